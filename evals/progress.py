"""A progress bar on stderr, driven by the model calls the tasks make.

Tasks pass whole request lists to the model; `ProgressModel` forwards them in chunks (large enough for the
backend to batch well) and advances a bar after each chunk, so a long eval shows where it is.
"""
from __future__ import annotations

import sys
import time
from typing import Sequence, TextIO, TypeVar

from evals.model_api import GenerationRequest, LanguageModel, LoglikelihoodResult
from midalign_jax.progress import is_terminal

T = TypeVar("T")


class ProgressBar:
    """On a terminal, `desc [#####.....] done/total elapsed` redrawn in place at most ten times a second.
    Elsewhere (a log file, CI) a plain `desc done/total elapsed` line every `PLAIN_EVERY_S` seconds, and a last
    one at the end only when an earlier one was printed: a long eval shows where it is, a quick one prints
    nothing."""

    PLAIN_EVERY_S = 30.0

    def __init__(self, total: int, desc: str, stream: TextIO | None = None, width: int = 30,
                 live: bool | None = None) -> None:
        self.total, self.desc, self.width = total, desc, width
        self.stream = stream or sys.stderr
        self.live = is_terminal(self.stream) if live is None else live
        self.done = 0
        self.start = time.monotonic()
        self._last_draw = self.start if not self.live else 0.0
        self._plain_lines = 0
        if self.live:
            self._draw(force=True)

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.live:
            if now - self._last_draw >= self.PLAIN_EVERY_S or (force and self._plain_lines):
                self._last_draw = now
                self._plain_lines += 1
                self.stream.write(f"{self.desc} {self.done}/{self.total} {now - self.start:.0f}s\n")
                self.stream.flush()
            return
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        filled = int(self.width * self.done / self.total) if self.total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r{self.desc} [{bar}] {self.done}/{self.total} {now - self.start:.0f}s")
        self.stream.flush()

    def update(self, n: int) -> None:
        self.done += n
        self._draw(force=self.live and self.done >= self.total)

    def close(self) -> None:
        self._draw(force=True)
        if self.live:
            self.stream.write("\n")
            self.stream.flush()



class ProgressModel:
    """Wraps a LanguageModel; every call shows a bar labelled with the current `phase`."""

    def __init__(self, model: LanguageModel, chunk_size: int = 256, stream: TextIO | None = None) -> None:
        self.model = model
        self.name = model.name
        self.chunk_size = max(1, chunk_size)
        self.stream = stream
        self.phase = ""

    def _chunked(self, method: str, requests: Sequence[T]) -> list:
        bar = ProgressBar(len(requests), f"{self.phase} {method}".strip(), self.stream)
        results: list = []
        for start in range(0, len(requests), self.chunk_size):
            chunk = requests[start : start + self.chunk_size]
            results += getattr(self.model, method)(chunk)
            bar.update(len(chunk))
        bar.close()
        return results

    def loglikelihood(self, requests: Sequence[tuple[str, str]]) -> list[LoglikelihoodResult]:
        return self._chunked("loglikelihood", requests)

    def loglikelihood_rolling(self, texts: Sequence[str]) -> list[float]:
        return self._chunked("loglikelihood_rolling", texts)

    def generate_until(self, requests: Sequence[GenerationRequest]) -> list[str]:
        return self._chunked("generate_until", requests)

    def render_chat(self, messages: Sequence[dict]) -> str:
        return self.model.render_chat(messages)
