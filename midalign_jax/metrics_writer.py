"""Scalars to TensorBoard (process 0 only) and a progress line on the console."""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Mapping

import jax

log = logging.getLogger(__name__)


class MetricsWriter:
    """TensorBoard event files under `logdir`, plus a JSONL copy of every scalar (easy to read in a report)."""

    def __init__(self, logdir: str | Path):
        self.enabled = jax.process_index() == 0
        self.logdir = Path(logdir)
        self._tb = None
        if self.enabled:
            from tensorboardX import SummaryWriter
            self.logdir.mkdir(parents=True, exist_ok=True)
            self._tb = SummaryWriter(str(self.logdir), flush_secs=10)
            self._jsonl = open(self.logdir / "scalars.jsonl", "a", encoding="utf-8")

    def scalars(self, step: int, values: Mapping[str, float]) -> None:
        if not self.enabled:
            return
        for tag, value in values.items():
            self._tb.add_scalar(tag, float(value), int(step))
        self._jsonl.write(json.dumps({"step": int(step), **{k: float(v) for k, v in values.items()}}) + "\n")

    def text(self, step: int, tag: str, value: str) -> None:
        if self.enabled:
            self._tb.add_text(tag, value, int(step))

    def flush(self) -> None:
        if self.enabled:
            self._tb.flush()
            self._jsonl.flush()

    def close(self) -> None:
        if self.enabled:
            self._tb.close()
            self._jsonl.close()


class Progress:
    """`[stage] step 120/600 loss 3.412 | 41.2k tok/s | eta 3m05s` every `every` steps."""

    def __init__(self, stage: str, total_steps: int, start_step: int = 0):
        self.stage, self.total, self.start = stage, total_steps, start_step
        self.t0 = time.perf_counter()

    def line(self, step: int, loss: float, tokens_per_sec: float) -> str:
        done = step - self.start
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / done * (self.total - step) if done > 0 else float("nan")
        eta_s = f"{int(eta // 60)}m{int(eta % 60):02d}s" if eta == eta else "?"
        return (f"[{self.stage}] step {step}/{self.total} loss {loss:.4f} | "
                f"{tokens_per_sec / 1e3:.1f}k tok/s | eta {eta_s}")

    def report(self, step: int, loss: float, tokens_per_sec: float) -> None:
        if jax.process_index() == 0:
            print(self.line(step, loss, tokens_per_sec), flush=True)
