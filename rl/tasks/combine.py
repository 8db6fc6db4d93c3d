"""Weighted sums of rewards, e.g. correctness + 0.1 * answer-tag format."""
from __future__ import annotations

import math
from typing import Sequence

from rl.tasks.base import Problem, RewardFn, Task


class WeightedTask:
    """A task whose reward is ``primary_weight * primary.reward + sum(w_i * component_i.reward)``.

    Problems and correctness come from ``primary``; the extra components only shape the reward. The sum is
    not rescaled unless ``normalize`` (then it is divided by the total weight, which keeps it in [0, 1]).

    Args:
      primary: the task that supplies problems and `is_correct`.
      components: (reward function, weight) pairs added to the primary reward.
      primary_weight: weight of the primary reward.
      normalize: divide by the sum of weights.
    """

    def __init__(self, primary: Task, components: Sequence[tuple[RewardFn, float]], primary_weight: float = 1.0,
                 normalize: bool = False):
        if not callable(getattr(primary, "problems", None)) or not callable(getattr(primary, "is_correct", None)):
            raise TypeError(f"the primary reward {getattr(primary, 'name', primary)!r} is not a task with problems; "
                            "put a task (arithmetic, gsm8k, countdown) first")
        weights = [primary_weight] + [w for _, w in components]
        for weight in weights:
            if not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight < 0:
                raise ValueError(f"reward weights must be finite and non-negative, got {weight!r}")
        if sum(weights) <= 0:
            raise ValueError("at least one reward weight must be positive")
        self.primary = primary
        self.terms: list[tuple[RewardFn, float]] = [(primary, float(primary_weight))]
        self.terms += [(fn, float(w)) for fn, w in components]
        names = [fn.name for fn, _ in self.terms]
        if len(set(names)) != len(names):
            raise ValueError(f"reward components must have distinct names, got {names}")
        self.normalize = normalize
        self.total_weight = sum(weights)
        self.name = "+".join(f"{w:g}*{fn.name}" if w != 1 else fn.name for fn, w in self.terms)

    def problems(self, split: str, n: int | None, seed: int) -> list[Problem]:
        return self.primary.problems(split, n, seed)

    def is_correct(self, problem: Problem, completion: str) -> bool:
        return self.primary.is_correct(problem, completion)

    def reward_components(self, problem: Problem, completion: str) -> dict[str, float]:
        """Each component's unweighted reward, by name (for logging)."""
        return {fn.name: float(fn.reward(problem, completion)) for fn, _ in self.terms}

    def reward(self, problem: Problem, completion: str) -> float:
        total = sum(w * fn.reward(problem, completion) for fn, w in self.terms)
        return total / self.total_weight if self.normalize else total
