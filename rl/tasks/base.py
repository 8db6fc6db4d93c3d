"""The task interface shared by every verifiable RL task.

A task is a deterministic, offline dataset of prompts plus a checker. Rewards are plain Python so they can run
on the host between sampling and the update step, identically on every process.
"""
from __future__ import annotations

import dataclasses
import hashlib
import random
from typing import Any, Protocol, runtime_checkable

SPLITS = ("train", "test")


@dataclasses.dataclass(frozen=True)
class Problem:
    """One prompt with its canonical answer.

    Attributes:
      id: stable identifier, unique within a task and split (used to pair completions across runs).
      prompt: the exact text fed to the model; base-model style, e.g. ``"Question: What is 48 + 27?\\nAnswer:"``.
      answer: the canonical answer in string form (``"75"``).
      meta: task-specific extras (operands, the given numbers, a reference solution, the source line).
    """

    id: str
    prompt: str
    answer: str
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)


@runtime_checkable
class RewardFn(Protocol):
    """Anything that scores a completion of a problem; a `Task` is one, the answer-tag format check is another."""

    name: str

    def reward(self, problem: Problem, completion: str) -> float:
        """A reward in [0, 1] (weighted combinations may exceed 1, see `combine.WeightedTask`)."""
        ...


@runtime_checkable
class Task(RewardFn, Protocol):
    """A dataset of problems with a checker."""

    name: str

    def problems(self, split: str, n: int | None, seed: int) -> list[Problem]:
        """``n`` problems of ``split`` ("train" or "test"), deterministic in ``(split, n, seed)``.

        Train and test are disjoint by construction. For generated tasks the first ``k`` problems for a seed
        are the same for every ``n >= k``, so growing ``n`` extends a run's data rather than reshuffling it.
        """
        ...

    def reward(self, problem: Problem, completion: str) -> float:
        ...

    def is_correct(self, problem: Problem, completion: str) -> bool:
        ...


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def check_completion(completion: object) -> str:
    """Completions are strings; anything else is a bug upstream, not a model output to score as 0."""
    if not isinstance(completion, str):
        raise TypeError(f"completion must be a str, got {type(completion).__name__}: {completion!r:.80}")
    return completion


def stable_fraction(key: str) -> float:
    """A number in [0, 1) fixed by ``key`` alone (sha256; unlike ``hash()`` it does not change per process)."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def stable_id(key: str) -> str:
    """A short stable identifier derived from ``key`` (12 hex digits of sha256)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def split_of(key: str, test_fraction: float) -> str:
    """Assign a problem to "test" or "train" by hashing its defining key: disjoint splits by construction."""
    return "test" if stable_fraction(key) < test_fraction else "train"


def make_rng(task_name: str, split: str, seed: int) -> random.Random:
    """A private RNG per (task, split, seed) so tasks never share or disturb a global random state."""
    return random.Random(f"{task_name}/{split}/{seed}")


def check_test_fraction(test_fraction: float) -> None:
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")


def draw_unique(
    task_name: str,
    split: str,
    n: int,
    rng: random.Random,
    draw: Any,
    accept: Any,
    max_tries_per_item: int = 200,
) -> list[Any]:
    """Rejection-sample ``n`` distinct keys with ``draw(rng)`` that pass ``accept(key)``.

    Raises a clear error instead of looping forever when the configured space is too small for ``n``.
    """
    seen: set[Any] = set()
    out: list[Any] = []
    budget = max_tries_per_item * n + 1000
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > budget:
            raise ValueError(
                f"{task_name}: found only {len(out)} distinct {split} problems of the {n} requested after "
                f"{budget} draws; the configured problem space is too small (widen the ranges or lower n)"
            )
        key = draw(rng)
        if key in seen:
            continue
        seen.add(key)
        if accept(key):
            out.append(key)
    return out
