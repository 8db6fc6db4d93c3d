"""Scalars to TensorBoard (process 0 only); the console's progress bar and lines are midalign_jax/progress.py."""
from __future__ import annotations

import json
import logging
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
