"""A training loop's progress on the console: a live bar on a terminal, a plain line every `log_every` steps
elsewhere (CI, log files, `tools/run_study.py`'s pipe), both with the stage's ETA and the ETA of the whole run.

    [midtrain]  40%|████      | 60/150, loss 3.4120 | 41.2k tok/s | eta 1m05s | run eta 4m30s
    [midtrain] step 60/150 loss 3.4120 | 41.2k tok/s | eta 1m05s | run eta 4m30s

The run's ETA needs the stages still to come; `study.stages` lists them with `set_plan` before it runs the first.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import sys
import time
from typing import Sequence, TextIO

import jax


@dataclasses.dataclass(frozen=True)
class PlannedStage:
    name: str
    steps: int
    tokens_per_step: int  # what one step processes; the unit in which later stages' time is estimated
    # Stages of one kind cost alike per token and are estimated from each other's rate. An RL step samples its
    # tokens one at a time (on the tiny preset a sampled token cost ~7x a trained one, on SmolLM2-135M ~4x), so a
    # later stage of another kind is named in the run ETA ("+ rl") instead of being given a number that is off by
    # that factor.
    kind: str = "train"


_PLAN: list[PlannedStage] = []


def set_plan(stages: Sequence[PlannedStage]) -> None:
    """The stages this run will still execute, in order (finished ones left out)."""
    _PLAN[:] = list(stages)


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


class _ClearBarAround(logging.Handler):
    """Runs another handler with the live bars cleared and redrawn after, so a log line never lands inside a bar."""

    def __init__(self, inner: logging.Handler):
        super().__init__(inner.level)
        self.inner = inner

    def handle(self, record: logging.LogRecord) -> bool:
        from tqdm import tqdm

        with tqdm.external_write_mode(file=sys.stderr):
            return self.inner.handle(record)


class Progress:
    """Progress of one stage's loop. `advance(step)` after every step; `report(step, value, tokens_per_sec)` on log
    steps, with `metric` naming the value (the loss, or the mean reward of an RL step).

    `live` (default: whether `stream` is a terminal) draws a tqdm bar on `stream`; otherwise `report` prints a line.
    Only process 0 prints.
    """

    def __init__(self, stage: str, total_steps: int, start_step: int = 0, *, metric: str = "loss",
                 stream: TextIO | None = None, live: bool | None = None):
        self.stage, self.total, self.start, self.metric = stage, int(total_steps), int(start_step), metric
        self.stream = stream if stream is not None else sys.stdout
        self.enabled = jax.process_index() == 0
        self.live = self.enabled and (is_terminal(self.stream) if live is None else live)
        self.t0 = time.perf_counter()
        self._first: tuple[int, float] | None = None  # (step, time) when the first step of this process finished
        self._value: float | None = None
        self._tokens_per_sec: float | None = None
        self._bar = None
        self._swapped: list[tuple[logging.Handler, logging.Handler]] = []

    # ------------------------------------------------------------------------------------------ estimates
    def seconds_per_step(self, step: int, now: float | None = None) -> float:
        """Mean seconds per step, timed from the end of the first step so its compilation does not count; with only
        that step done, its own time (compilation included) is the best guess there is."""
        now = time.perf_counter() if now is None else now
        if self._first is not None and step > self._first[0]:
            return (now - self._first[1]) / (step - self._first[0])
        done = step - self.start
        return (now - self.t0) / done if done > 0 else math.nan

    def stage_eta(self, step: int) -> float:
        return self.seconds_per_step(step) * max(self.total - step, 0)  # RL can run past its planned steps

    def startup_seconds(self, step: int) -> float:
        """What this stage spent before its steps ran at their steady rate: from the start of the loop to the end
        of its first step, less one ordinary step (compilation, restore, the RL stage's step-0 evals)."""
        if self._first is None or step <= self._first[0]:
            return 0.0
        return max(self._first[1] - self.t0 - self.seconds_per_step(step) * (self._first[0] - self.start), 0.0)

    def run_eta(self, step: int) -> float:
        """This stage's ETA plus the stages planned after it.

        A later stage has not run yet, so its time is estimated from this one's: its steps x its tokens per step x
        (this stage's seconds per step / this stage's tokens per step), plus a start-up like this stage's (each
        stage compiles its own step). Training stages run the same step over batch_size x seq_len tokens, so the
        scaling holds well between them. Later stages of another kind (RL) are not estimated (`unestimated_stages`);
        once one runs, its own measured steps give its ETA. Stages without steps (eval, export) are not counted.
        """
        here, later = self._placed()
        if here is None:
            return self.stage_eta(step)
        per_token = self.seconds_per_step(step) / max(here.tokens_per_step, 1)
        same_kind = [s for s in later if s.kind == here.kind]
        work = sum(s.steps * s.tokens_per_step for s in same_kind)
        return self.stage_eta(step) + work * per_token + len(same_kind) * self.startup_seconds(step)

    def unestimated_stages(self) -> list[str]:
        """Later stages of another kind than this one: left out of `run_eta`, named after it."""
        here, later = self._placed()
        return [s.name for s in later if s.kind != here.kind] if here is not None else []

    def _placed(self) -> tuple[PlannedStage | None, list[PlannedStage]]:
        """This stage's entry in the plan and the stages after it; (None, []) when it is not in the plan."""
        names = [s.name for s in _PLAN]
        if self.stage not in names:
            return None, []
        i = names.index(self.stage)
        return _PLAN[i], _PLAN[i + 1:]

    # -------------------------------------------------------------------------------------------- text
    def status(self, step: int) -> str:
        """`loss 3.4120 | 41.2k tok/s | eta 1m05s | run eta 4m30s` (the parts known so far)."""
        parts = []
        if self._value is not None:
            parts.append(f"{self.metric} {self._value:.4f}")
        if self._tokens_per_sec is not None:
            parts.append(f"{self._tokens_per_sec / 1e3:.1f}k tok/s")
        parts.append(f"eta {format_duration(self.stage_eta(step))}")
        if self._placed()[1]:
            parts.append(" + ".join([f"run eta {format_duration(self.run_eta(step))}", *self.unestimated_stages()]))
        return " | ".join(parts)

    def line(self, step: int, value: float, tokens_per_sec: float) -> str:
        self._value, self._tokens_per_sec = float(value), float(tokens_per_sec)
        return f"[{self.stage}] step {step}/{self.total} {self.status(step)}"

    # ----------------------------------------------------------------------------------------- updates
    def advance(self, step: int) -> None:
        """`step` steps of the stage are done (called after every step)."""
        if self._first is None:
            self._first = (step, time.perf_counter())
        if self.live:
            bar = self._open_bar()
            bar.set_postfix_str(self.status(step), refresh=False)
            bar.update(step - bar.n)

    def report(self, step: int, value: float, tokens_per_sec: float) -> None:
        """The loop's logged value at a log step: a line when not live, the bar's text when live."""
        text = self.line(step, value, tokens_per_sec)
        if self.live:
            self._open_bar().set_postfix_str(self.status(step))
        elif self.enabled:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        root = logging.getLogger()
        for inner, wrapper in self._swapped:
            if wrapper in root.handlers:
                root.removeHandler(wrapper)
                root.addHandler(inner)
        self._swapped = []

    def _open_bar(self):
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, initial=self.start, desc=f"[{self.stage}]", file=self.stream,
                             leave=True, dynamic_ncols=True, mininterval=0.2,
                             bar_format="{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt}{postfix}")
            root = logging.getLogger()
            for handler in list(root.handlers):
                wrapper = _ClearBarAround(handler)
                root.removeHandler(handler)
                root.addHandler(wrapper)
                self._swapped.append((handler, wrapper))
        return self._bar


def is_terminal(stream) -> bool:
    """Whether `stream` is a terminal (False for a stream without isatty, or a closed one)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
