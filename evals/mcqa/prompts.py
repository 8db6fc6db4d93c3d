"""Prompt layouts for MCQA scoring, and the option orders each item is asked in.

Cloze (loglikelihood mode): the options are never shown; each is scored as the continuation of
    "{passage}\n\nQuestion: {question}\nAnswer:"  +  " {choice}"
Lettered (letter_loglikelihood and generate modes): the options are listed as "A. ...", "B. ..." in a given
order and the model answers with a letter. Because the listed order can bias the answer, every item is asked
in several orders (`option_orders`) and the results are averaged, so a pure position preference cancels.
"""
from __future__ import annotations

import itertools
import math
from typing import Sequence

from evals.mcqa.items import MCQAItem
from evals.mcqa.readers import LETTERS

LETTERED_INSTRUCTION = "Answer with the letter of the option you choose."


def _question_block(item: MCQAItem) -> str:
    question = f"Question: {item.question}"
    return f"{item.passage}\n\n{question}" if item.passage.strip() else question


def cloze_context(item: MCQAItem) -> str:
    """Context for scoring each option as a continuation."""
    return f"{_question_block(item)}\nAnswer:"


def cloze_continuation(choice: str) -> str:
    return f" {choice}"


def lettered_body(item: MCQAItem, order: Sequence[int]) -> str:
    """Question with the options listed in `order` (order[k] = original index of the option shown k-th)."""
    options = "\n".join(f"{LETTERS[k]}. {item.choices[original]}" for k, original in enumerate(order))
    return f"{_question_block(item)}\n\n{options}\n\n{LETTERED_INSTRUCTION}"


def lettered_prompt(item: MCQAItem, order: Sequence[int]) -> str:
    """Plain (base-model) lettered prompt; the model continues after "Answer:"."""
    return f"{lettered_body(item, order)}\nAnswer:"


def option_orders(num_options: int, max_orders: int) -> list[tuple[int, ...]]:
    """Orders to ask an item in, identity first.

    All permutations when there are at most `max_orders` of them; otherwise the `num_options` cyclic rotations,
    which still show every option in every position exactly once (so a fixed position preference cancels
    exactly). Only when even the rotations exceed `max_orders` is the list cut, and then the cancellation is
    approximate.
    """
    if max_orders < 1:
        raise ValueError(f"max_orders must be at least 1, got {max_orders}")
    if math.factorial(num_options) <= max_orders:
        return list(itertools.permutations(range(num_options)))
    rotations = [tuple((start + k) % num_options for k in range(num_options)) for start in range(num_options)]
    return rotations[:max_orders]
