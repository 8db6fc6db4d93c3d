"""Our checkpoints behind Inspect's `ModelAPI`: `inspect eval TASK --model midalign/ours:DIR` (or `midalign/hf:DIR`,
or any other `evals.backends` spec after the slash).

The model name after "midalign/" is a backend spec, loaded once per eval with `evals.backends.load_model`; `-M
batch_size=N` sets the backend's batch (and inspect's max_connections, so that many samples are in flight). Each
generate call renders the conversation with the model's own chat template (`render_chat`), offers the task's tools
in our agent format (`evals.inspect_messages`), and honours stop_seqs, max_tokens, temperature, seed and
num_choices; logprobs (with top_logprobs) come from a forward pass of our JAX model over prompt and completion.
top_p and top_k are not part of `LanguageModel.generate_until` and are ignored, with a warning. Every output
carries its token usage counted with the model's tokenizer, so inspect never falls back to tiktoken (which
downloads its encoding at run time, and fails offline).
"""
from __future__ import annotations

import concurrent.futures
import functools
import logging
import queue
import threading
import time
from typing import Any

import anyio
import numpy as np
from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessage,
    ChatMessageAssistant,
    GenerateConfig,
    Logprob,
    Logprobs,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    TopLogprob,
)
from inspect_ai.tool import ToolChoice, ToolInfo

from evals.backends import load_model
from evals.inspect_messages import offers_tools, parse_tool_call, to_messages
from evals.model_api import GenerationRequest, LanguageModel
from midalign_jax.agent.tools import CALL_CLOSE, CALL_OPEN

log = logging.getLogger(__name__)

DEFAULT_MAX_TOKENS = 256
DEFAULT_BATCH_SIZE = 32
_GATHER_SECONDS = 0.05  # how long the batcher waits for more concurrent samples before it generates


class _Batcher:
    """Hands the requests of inspect's concurrent samples to the backend together: a LanguageModel batches a whole
    request list, while one request per call would leave the accelerator mostly idle. One worker thread, so the
    backend is never entered twice at once."""

    def __init__(self, lm: LanguageModel, batch_size: int):
        self.lm, self.batch_size = lm, batch_size
        self.queue: queue.Queue = queue.Queue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    async def generate(self, request: GenerationRequest) -> str:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self.queue.put((request, future))
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._work, name="midalign-inspect", daemon=True)
                self.thread.start()
        return await anyio.to_thread.run_sync(future.result, abandon_on_cancel=True)

    def _work(self) -> None:
        while True:
            items = [self.queue.get()]
            if items[0] is None:
                return
            deadline = time.monotonic() + _GATHER_SECONDS
            while len(items) < self.batch_size:
                try:
                    item = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    self.queue.put(None)  # stop after this batch
                    break
                items.append(item)
            try:
                outputs = self.lm.generate_until([request for request, _ in items])
            except BaseException as error:  # noqa: BLE001 - every waiting sample must hear about it
                for _, future in items:
                    future.set_exception(error)
            else:
                for (_, future), text in zip(items, outputs):
                    future.set_result(text)

    def close(self) -> None:
        if self.thread is not None:
            self.queue.put(None)


@functools.lru_cache(maxsize=8)
def _jitted_forward(cfg):
    import jax

    from midalign_jax import model as M

    return jax.jit(functools.partial(M.forward, cfg=cfg))


def token_logprobs(lm, prompt: str, completion: str, top: int | None) -> list[Logprob]:
    """Log-probabilities of the completion's tokens given the prompt (and the `top` likeliest tokens at each), from
    one forward pass of our model; the context keeps its last tokens when the pair is longer than the window."""
    tok = lm.tokenizer
    cont = list(tok.encode(completion, add_special_tokens=False))
    if not cont:
        return []
    ctx = (list(tok.encode(prompt, add_special_tokens=False)) or [lm.prefix_id])[-(lm.max_length - len(cont)):]
    ids = ctx + cont
    width = -(-len(ids) // 32) * 32  # few distinct shapes: right padding does not change earlier logits
    tokens = np.full((1, min(width, lm.max_length)), lm.pad_id, np.int32)
    tokens[0, :len(ids)] = ids
    logits = np.asarray(_jitted_forward(lm.cfg)(lm.params, tokens))[0, len(ctx) - 1:len(ids) - 1]
    logp = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    out = []
    for row, token in zip(logp, cont):
        tops = None
        if top:
            tops = [TopLogprob(token=tok.decode([int(i)]), logprob=float(row[i]),
                               bytes=list(tok.decode([int(i)]).encode("utf-8"))) for i in np.argsort(-row)[:top]]
        text = tok.decode([token])
        out.append(Logprob(token=text, logprob=float(row[token]), bytes=list(text.encode("utf-8")),
                           top_logprobs=tops))
    return out


class MidalignAPI(ModelAPI):
    def __init__(self, model_name: str, base_url: str | None = None, api_key: str | None = None,
                 config: GenerateConfig = GenerateConfig(), **model_args: Any):
        super().__init__(model_name=model_name, base_url=base_url, api_key=api_key, api_key_vars=[], config=config)
        self.batch_size = int(model_args.pop("batch_size", DEFAULT_BATCH_SIZE))
        if model_args:
            raise ValueError(f"midalign/{model_name}: unknown model args {sorted(model_args)}; known: batch_size")
        self.lm = load_model(model_name)
        if hasattr(self.lm, "batch_size"):
            self.lm.batch_size = self.batch_size
        self.batcher = _Batcher(self.lm, self.batch_size)
        self._warned: set[str] = set()

    def count(self, text: str) -> int:
        """Tokens in `text` by the model's tokenizer (a backend without one: about four characters a token)."""
        tok = getattr(self.lm, "tokenizer", None)
        if tok is None:
            return max(1, len(text) // 4) if text else 0
        return len(tok.encode(text, add_special_tokens=False))

    def _warn_once(self, what: str) -> None:
        if what not in self._warned:
            self._warned.add(what)
            log.warning("midalign/%s: %s", self.model_name, what)

    async def generate(self, input: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice,
                       config: GenerateConfig) -> ModelOutput:
        tooled = offers_tools(tools, tool_choice)
        prompt = self.lm.render_chat(to_messages(input, tools, tool_choice))
        stop = tuple(config.stop_seqs or ()) + ((CALL_CLOSE,) if tooled else ())
        max_new = int(config.max_tokens or DEFAULT_MAX_TOKENS)
        if config.top_p is not None or config.top_k is not None:
            self._warn_once("top_p / top_k are not supported by our sampler and are ignored")
        seed = int(config.seed or 0)
        requests = [GenerationRequest(prompt, stop=stop, max_new_tokens=max_new,
                                      temperature=float(config.temperature or 0.0), seed=seed + i)
                    for i in range(max(int(config.num_choices or 1), 1))]
        texts = [await self.batcher.generate(r) for r in requests]
        choices, output_tokens = [], 0
        for text in texts:
            if tooled and CALL_OPEN in text and CALL_CLOSE not in text.split(CALL_OPEN, 1)[1]:
                text += CALL_CLOSE  # generation stopped at the close tag, which the backend cuts off
            n_out = self.count(text)
            output_tokens += n_out
            content, calls = parse_tool_call(text) if tooled else (text, None)
            logprobs = None
            if config.logprobs:
                logprobs = await self._logprobs(prompt, text, config.top_logprobs)
            reason = "tool_calls" if calls else ("max_tokens" if n_out >= max_new else "stop")
            choices.append(ChatCompletionChoice(
                message=ChatMessageAssistant(content=content, tool_calls=calls, model=self.model_name,
                                             source="generate"),
                stop_reason=reason, logprobs=logprobs))
        input_tokens = self.count(prompt)
        window = getattr(self.lm, "max_length", None)
        if window is not None and input_tokens + max_new > window:
            self._warn_once(f"a prompt of {input_tokens} tokens plus {max_new} new ones exceeds the model's window "
                            f"of {window}: the backend keeps the prompt's last tokens (the start is not seen)")
        return ModelOutput(model=self.model_name, choices=choices,
                           usage=ModelUsage(input_tokens=input_tokens, output_tokens=output_tokens,
                                            total_tokens=input_tokens + output_tokens))

    async def _logprobs(self, prompt: str, text: str, top: int | None) -> Logprobs | None:
        if not all(hasattr(self.lm, a) for a in ("params", "cfg", "tokenizer")):
            self._warn_once("logprobs need our JAX backend (ours: or hf:); this backend gives none")
            return None
        content = await anyio.to_thread.run_sync(token_logprobs, self.lm, prompt, text, top)
        return Logprobs(content=content)

    async def count_text_tokens(self, text: str) -> int:
        return self.count(text)

    def max_tokens(self) -> int | None:
        return DEFAULT_MAX_TOKENS

    def max_connections(self) -> int:
        return self.batch_size

    def close(self) -> None:
        self.batcher.close()
