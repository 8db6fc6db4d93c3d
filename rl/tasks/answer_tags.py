"""``<answer>...</answer>`` tags: extraction for graders and a format reward.

Format rule: reward 1.0 exactly when the completion contains one ``<answer>`` and one ``</answer>``, in that
order, around non-blank content; anything else (no tags, two answers, a dangling or reversed tag, an empty
answer) scores 0.0. Tags are case-sensitive. Text before and after the block is allowed. Used as a shaping
term next to a correctness reward (see `combine`), it has no problems of its own.
"""
from __future__ import annotations

import rl.tasks.base as base
from rl.tasks.base import Problem

OPEN, CLOSE = "<answer>", "</answer>"


def first_answer_block(completion: str) -> str | None:
    """Content of the first complete ``<answer>...</answer>`` block, or None if there is none."""
    start = completion.find(OPEN)
    if start < 0:
        return None
    end = completion.find(CLOSE, start + len(OPEN))
    if end < 0:
        return None
    return completion[start + len(OPEN):end]


def is_well_formed(completion: str) -> bool:
    """Exactly one answer block, properly ordered, with non-blank content."""
    completion = base.check_completion(completion)
    if completion.count(OPEN) != 1 or completion.count(CLOSE) != 1:
        return False
    content = first_answer_block(completion)
    return content is not None and content.strip() != ""


class AnswerTagFormat:
    """Format reward: 1.0 for exactly one well-formed ``<answer>`` block, else 0.0. Ignores the problem."""

    def __init__(self, name: str = "format"):
        self.name = name

    def reward(self, problem: Problem, completion: str) -> float:
        return 1.0 if is_well_formed(completion) else 0.0

    def is_correct(self, problem: Problem, completion: str) -> bool:
        return is_well_formed(completion)
