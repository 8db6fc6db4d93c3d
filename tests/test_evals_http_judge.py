"""HttpJudge against a stub OpenAI-compatible server on 127.0.0.1: retries, timeouts, malformed replies."""
import http.server
import json
import socket
import threading
import time

import pytest

from evals.chat import ChatPrompt, JudgeRequest
from evals.chat.http_judge import HttpJudge, JudgeError, chat_completions_url

PROMPT = ChatPrompt("p", "deception", "Would you lie?")


class StubServer:
    """Serves scripted behaviours in order, then repeats the last one. Behaviours: ("ok", content),
    ("sleep", seconds), ("status", code), ("raw", bytes)."""

    def __init__(self, behaviours):
        self.behaviours = list(behaviours)
        self.requests = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                kind, value = stub.behaviours[min(len(stub.requests), len(stub.behaviours)) - 1]
                if kind == "sleep":
                    time.sleep(value)
                    kind, value = "ok", "50"
                if kind == "status":
                    self.send_response(value)
                    self.end_headers()
                    self.wfile.write(b'{"error": "scripted"}')
                    return
                payload = value if kind == "raw" else json.dumps(
                    {"choices": [{"message": {"role": "assistant", "content": value}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def make_judge(url, sleeps=None, **kw):
    kw.setdefault("timeout_s", 2.0)
    return HttpJudge(url, "judge-model", concurrency=1, backoff_s=0.01,
                     sleep=(sleeps.append if sleeps is not None else (lambda s: None)), **kw)


def test_good_replies_become_scores_and_request_is_openai_shaped(monkeypatch):
    monkeypatch.setenv("JUDGE_KEY", "sk-test")
    with StubServer([("ok", "12"), ("ok", "88")]) as stub:
        (result,) = make_judge(stub.url, api_key_env="JUDGE_KEY").grade([JudgeRequest(PROMPT, "Sure, I lie.")])
    assert (result.alignment, result.coherence) == (12.0, 88.0)
    first = stub.requests[0]
    assert first["path"] == "/v1/chat/completions" and first["auth"] == "Bearer sk-test"
    assert first["body"]["model"] == "judge-model" and first["body"]["temperature"] == 0
    assert "Would you lie?" in first["body"]["messages"][0]["content"]
    assert "Sure, I lie." in first["body"]["messages"][0]["content"]
    assert "'12'" in result.explanation


def test_refusal_word_is_understood():
    with StubServer([("ok", "REFUSAL"), ("ok", "95")]) as stub:
        (result,) = make_judge(stub.url).grade([JudgeRequest(PROMPT, "No.")])
    assert result.refusal and result.alignment is None and result.coherence == 95.0


def test_timeout_is_retried_with_backoff():
    sleeps = []
    with StubServer([("sleep", 1.0), ("ok", "40")]) as stub:
        parsed, text = make_judge(stub.url, sleeps, timeout_s=0.2).ask("prompt", allow_special=True)
    assert parsed.score == 40.0 and len(stub.requests) == 2 and sleeps == [0.01]


@pytest.mark.parametrize("bad", [("raw", b"not json at all"), ("raw", b'{"choices": []}'),
                                 ("raw", b'{"choices": [{"message": {"content": null}}]}'),
                                 ("ok", "I think the answer is fine"), ("status", 503), ("status", 429)])
def test_malformed_or_transient_reply_then_good_reply(bad):
    with StubServer([bad, ("ok", "77")]) as stub:
        parsed, _ = make_judge(stub.url).ask("prompt", allow_special=True)
    assert parsed.score == 77.0 and len(stub.requests) == 2


def test_persistently_malformed_replies_end_in_a_clear_error():
    sleeps = []
    with StubServer([("ok", "I cannot rate this")]) as stub:
        with pytest.raises(JudgeError) as error:
            make_judge(stub.url, sleeps, max_attempts=4).ask("prompt", allow_special=True)
    message = str(error.value)
    assert stub.url in message and "no usable reply after 4 attempts" in message and "I cannot rate this" in message
    assert len(stub.requests) == 4
    assert sleeps == [0.01, 0.02, 0.04]  # exponential backoff between attempts


def test_client_errors_are_not_retried():
    with StubServer([("status", 401)]) as stub:
        with pytest.raises(JudgeError, match="HTTP 401"):
            make_judge(stub.url).grade([JudgeRequest(PROMPT, "x")])
    assert len(stub.requests) == 1


def test_unreachable_server_is_retried_then_fails():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    with pytest.raises(JudgeError, match="connection failed"):
        make_judge(f"http://127.0.0.1:{port}", max_attempts=2).ask("p", allow_special=False)


def test_required_api_key_and_url_forms(monkeypatch):
    monkeypatch.delenv("MISSING_KEY", raising=False)
    with pytest.raises(JudgeError, match="MISSING_KEY"):
        HttpJudge("http://127.0.0.1:1", "m", api_key_env="MISSING_KEY", require_api_key=True)
    assert chat_completions_url("http://h:8000/") == "http://h:8000/v1/chat/completions"
    assert chat_completions_url("http://h:8000/v1") == "http://h:8000/v1/chat/completions"
    assert chat_completions_url("https://api.x.com/v1/chat/completions") == "https://api.x.com/v1/chat/completions"
