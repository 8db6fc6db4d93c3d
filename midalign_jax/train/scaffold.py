"""What every training loop does around its steps, written once for the train loop and the RL loop: restore the
newest readable checkpoint, write metrics, honour SIGTERM (save, then exit 143 so a scheduler retries), report
progress, save on a cadence and at the end, and stop or skip on a non-finite update.

    with LoopScaffold(stage_dir, "midtrain", steps, t_cfg, iterator=it) as loop:
        start, state = loop.restore(state)
        for step in range(start, steps):
            state, metrics = jstep(state, ...)
            loop.writer.scalars(step + 1, ...)
            loop.after_step(step + 1, state)
        loop.finish(state)
"""
from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Any

import jax
import numpy as np

from midalign_jax.metrics_writer import MetricsWriter
from midalign_jax.progress import Progress
from midalign_jax.train.checkpoints import Checkpointer, abstract_like

log = logging.getLogger(__name__)

NONFINITE_POLICIES = ("stop", "skip")


class NonFiniteLossError(RuntimeError):
    pass


class Preempted(SystemExit):
    """Raised after SIGTERM once the checkpoint is safely written; the exit code tells schedulers to retry."""

    def __init__(self):
        super().__init__(143)


class SigtermFlag:
    """Records a SIGTERM instead of dying on it, so the loop can save first."""

    def __init__(self):
        self.raised = False
        self._previous = None

    def __enter__(self):
        try:
            self._previous = signal.signal(signal.SIGTERM, self._handle)
        except ValueError:  # not the main thread (e.g. inside a test runner thread): no handler
            self._previous = None
        return self

    def _handle(self, signum, frame):
        log.warning("SIGTERM received: saving a checkpoint after the current step")
        self.raised = True

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


def all_agree_to_stop(raised: bool) -> bool:
    """True on every process when any process was asked to stop (a collective on multi-process runs)."""
    if jax.process_count() == 1:
        return raised
    from jax.experimental import multihost_utils
    return bool(np.max(multihost_utils.process_allgather(np.int32(raised))))


def parse_milestones(text: str) -> tuple[int, ...]:
    return tuple(int(m) for m in str(text).split(",") if m.strip())


class LoopScaffold:
    """Checkpointer, metrics writer, SIGTERM flag and progress line of one stage's loop.

    `section` is the stage's config section: it supplies `checkpoint_every`, `keep_checkpoints` and `milestones`.
    `iterator` (anything with get_state/set_state) is checkpointed with the train state.
    """

    def __init__(self, stage_dir: str | Path, name: str, steps: int, section, *, iterator: Any = None,
                 metric: str | None = None):
        self.name, self.steps, self.iterator = name, int(steps), iterator
        # What the loop reports through progress.report: rl/trainer.py reports the mean reward there.
        self.metric = metric or ("reward" if name == "rl" else "loss")
        self.checkpoint_every = int(section.checkpoint_every)
        self.ckpt = Checkpointer(Path(stage_dir) / "checkpoints", keep=int(section.keep_checkpoints),
                                 milestones=parse_milestones(section.milestones))
        self.writer = MetricsWriter(Path(stage_dir) / "tb")
        self.sigterm = SigtermFlag()
        self.start = 0
        self.saved: int | None = None   # the step of the last periodic checkpoint
        self.progress = Progress(name, self.steps, 0, metric=self.metric)

    def __enter__(self) -> LoopScaffold:
        self.sigterm.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        # Also on a crash: let in-flight asynchronous saves finish so they are not lost with the process.
        self.sigterm.__exit__()
        self.progress.close()
        try:
            self.ckpt.close()
        finally:
            self.writer.close()

    def restore(self, state: Any) -> tuple[int, Any]:
        """(start step, state): the newest readable checkpoint (re-sharded onto `state`'s shardings), or (0, state)."""
        restored = self.ckpt.restore_latest(
            abstract_like(state), self.iterator,
            on_fallback=lambda s, e: self.writer.text(s, "checkpoint/fallback", f"{s}: {e}"))
        if restored is not None:
            self.start, state = restored
            log.info("%s: resumed from step %d", self.name, self.start)
        self.progress.close()
        self.progress = Progress(self.name, self.steps, self.start, metric=self.metric)
        return self.start, state

    def after_step(self, step: int, state: Any, *, agree: bool = True) -> None:
        """Preemption and the checkpoint cadence once `step` steps are done. `agree=False` skips the stop check:
        every process must reach it at the same steps, or one would enter the checkpoint's collectives while the
        others are inside the next step's."""
        self.progress.advance(step)
        if agree and all_agree_to_stop(self.sigterm.raised):
            self.ckpt.save(step, state, self.iterator, force=True)
            log.warning("%s: checkpoint at step %d written after SIGTERM; exiting", self.name, step)
            raise Preempted()
        if step % self.checkpoint_every == 0 and step != self.steps:  # `finish` writes the last one
            self.ckpt.save(step, state, self.iterator)
            self.saved = step

    def finish(self, state: Any, step: int | None = None) -> None:
        """The final checkpoint (also when a resumed run had nothing left to do but no checkpoint exists), at
        `step` when the loop ran a number of steps it learned only while running (the RL loop's token floor)."""
        step = self.steps if step is None else int(step)
        if step != self.saved and (self.start < step or not self.ckpt.all_steps()):
            self.ckpt.save(step, state, self.iterator, force=True)

    def check_finite(self, step: int, metrics: dict, policy: str = "stop") -> None:
        """The guarded update left params untouched on a non-finite loss or gradient; stop, or log and go on."""
        if metrics["nonfinite"] <= 0:
            return
        msg = (f"{self.name}: non-finite loss or gradient at step {step} (loss={metrics['loss']}, "
               f"grad_norm={metrics['grad_norm']})")
        if policy == "stop":
            raise NonFiniteLossError(msg + f"; the update was not applied and the last good checkpoint is kept in "
                                     f"{self.ckpt.directory}")
        log.warning(msg + "; update skipped (on_nonfinite='skip')")
