"""A judge behind an OpenAI-compatible `/v1/chat/completions` endpoint (a hosted API or a local vLLM server).

Standard library only (urllib). Each judge question is one POST; requests run on a few threads. Timeouts,
connection errors, HTTP 429 and 5xx, and malformed replies (not JSON, no `choices[0].message.content`, or no
score in it) are retried with exponential backoff; when the attempts run out the run stops with a
`JudgeError` naming the endpoint and the last problem. Other HTTP errors (401, 404, ...) stop at once, since
retrying cannot fix them.
"""
from __future__ import annotations

import concurrent.futures
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from typing import Callable, Sequence

from evals.chat.judge_prompts import (
    ParsedScore,
    alignment_prompt,
    coherence_prompt,
    parse_score,
)
from evals.chat.judges import JudgeRequest, JudgeResult


class JudgeError(RuntimeError):
    """The judge could not produce a usable grade."""


def chat_completions_url(base_url: str) -> str:
    """`http://host:8000` or `http://host:8000/v1` -> `http://host:8000/v1/chat/completions`."""
    base = base_url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    return f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"


class _Retryable(Exception):
    pass


class HttpJudge:
    """OpenAI-compatible chat-completions judge; see the module docstring for the retry policy.

    The API key is read from the environment variable `api_key_env` at construction; when that variable is
    unset no Authorization header is sent (local servers usually need none), unless `require_api_key`.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str = "OPENAI_API_KEY",
        require_api_key: bool = False,
        timeout_s: float = 60.0,
        max_attempts: int = 5,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        max_tokens: int = 16,
        concurrency: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.url = chat_completions_url(base_url)
        self.model = model
        self.api_key = os.environ.get(api_key_env) or None
        if require_api_key and not self.api_key:
            raise JudgeError(f"HTTP judge {self.url}: environment variable {api_key_env} is not set")
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_tokens = max_tokens
        self.concurrency = max(1, concurrency)
        self.sleep = sleep
        self.name = f"http:{model}"

    def _post(self, prompt: str) -> str:
        body = json.dumps({
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0,
            "max_tokens": self.max_tokens,
        }).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read()[:300].decode("utf-8", "replace")
            if error.code == 429 or error.code >= 500:
                raise _Retryable(f"HTTP {error.code}: {detail}") from None
            raise JudgeError(f"HTTP judge {self.url}: HTTP {error.code} (not retried): {detail}") from None
        except (socket.timeout, TimeoutError) as error:
            raise _Retryable(f"timed out after {self.timeout_s}s ({error})") from None
        except urllib.error.URLError as error:
            raise _Retryable(f"connection failed: {error.reason}") from None
        except (ConnectionError, OSError) as error:
            raise _Retryable(f"connection failed: {error}") from None
        try:
            reply = json.loads(raw)
            content = reply["choices"][0]["message"]["content"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, IndexError, TypeError):
            raise _Retryable(f"malformed reply (expected choices[0].message.content): {raw[:200]!r}") from None
        if not isinstance(content, str):
            raise _Retryable(f"malformed reply: message content is {type(content).__name__}, not a string")
        return content

    def ask(self, prompt: str, allow_special: bool) -> tuple[ParsedScore, str]:
        """Parsed score and the judge's reply text, retrying as the module docstring says."""
        last_problem = ""
        for attempt in range(self.max_attempts):
            if attempt:
                self.sleep(min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1)))
            try:
                content = self._post(prompt)
            except _Retryable as problem:
                last_problem = str(problem)
                continue
            parsed = parse_score(content, allow_special)
            if parsed.ok:
                return parsed, content
            last_problem = f"reply has no score: {content[:200]!r}"
        raise JudgeError(f"HTTP judge {self.url}: no usable reply after {self.max_attempts} attempts; "
                         f"last problem: {last_problem}")

    def grade(self, requests: Sequence[JudgeRequest]) -> list[JudgeResult]:
        jobs = [(alignment_prompt(r.prompt.prompt, r.response), True) for r in requests]
        jobs += [(coherence_prompt(r.prompt.prompt, r.response), False) for r in requests]
        failed = threading.Event()  # after one hard failure, the remaining questions are not sent

        def ask_unless_failed(job: tuple[str, bool]) -> tuple[ParsedScore, str]:
            if failed.is_set():
                raise JudgeError(f"HTTP judge {self.url}: not asked after an earlier failure")
            try:
                return self.ask(*job)
            except JudgeError:
                failed.set()
                raise

        with concurrent.futures.ThreadPoolExecutor(self.concurrency) as pool:
            answers = list(pool.map(ask_unless_failed, jobs))
        results = []
        for (a, a_text), (c, c_text) in zip(answers[: len(requests)], answers[len(requests):]):
            explanation = f"alignment reply: {a_text!r}; coherence reply: {c_text!r}"
            results.append(JudgeResult(a.score, c.score, explanation, refusal=a.refusal, off_topic_code=a.code))
        return results
