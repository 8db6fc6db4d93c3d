"""Countdown: combine the given numbers with + - * / and parentheses to reach a target.

Prompt (base-model style)::

    Question: Using the numbers 3, 7, 25, 50, each at most once, with + - * / and parentheses, write an
    expression that equals 100.
    Answer:

Grading rule: if the completion contains ``<answer>``, the graded expression is the content of the FIRST
complete ``<answer>...</answer>`` block (a dangling tag means no answer); otherwise it is the first line of the
completion (after leading whitespace), i.e. what follows the prompt's ``Answer:``. Anything from the first
``=`` on is ignored, so ``(50 - 25) * 4 = 100`` is fine. The expression is parsed by `expression` (no
``eval``), must use a sub-multiset of the given numbers (each at most once; all of them if
``require_all_numbers``) and must equal the target exactly; ``/`` is exact rational division.

Every generated puzzle is solvable: the target is built by combining the drawn numbers at random with
integer-valued steps, and that construction is kept as ``meta["solution"]``.
"""
from __future__ import annotations

import collections
import dataclasses
import random
from fractions import Fraction

import rl.tasks.answer_tags as answer_tags
import rl.tasks.base as base
import rl.tasks.expression as expression
from rl.tasks.base import Problem


@dataclasses.dataclass(frozen=True)
class _Puzzle:
    key: tuple[tuple[int, ...], int] | None  # (sorted numbers, target); None marks a failed draw
    numbers: tuple[int, ...] = dataclasses.field(default=(), compare=False)
    solution: str = dataclasses.field(default="", compare=False)


def prompt_for(numbers: tuple[int, ...], target: int, answer_tags_hint: bool = False) -> str:
    listed = ", ".join(str(x) for x in numbers)
    hint = " Think it through, then give only the expression inside <answer></answer> tags." if answer_tags_hint else ""
    return (f"Question: Using the numbers {listed}, each at most once, with + - * / and parentheses, "
            f"write an expression that equals {target}.{hint}\nAnswer:")


def extract_expression(completion: str) -> str | None:
    """The expression a completion commits to under the grading rule above (None: no answer)."""
    completion = base.check_completion(completion)
    if answer_tags.OPEN in completion:
        candidate = answer_tags.first_answer_block(completion)
    else:
        candidate = completion.lstrip().split("\n", 1)[0]
    return None if candidate is None else candidate.split("=", 1)[0]


def check_expression(text: str, numbers: tuple[int, ...] | list[int], target: int | Fraction,
                     require_all_numbers: bool = False) -> bool:
    """True if ``text`` is a valid expression over (a sub-multiset of) ``numbers`` equal to ``target``."""
    try:
        result = expression.evaluate(text)
    except expression.ExpressionError:
        return False
    used, given = collections.Counter(result.numbers), collections.Counter(numbers)
    if not used <= given or (require_all_numbers and used != given):
        return False
    return result.value == Fraction(target)


class CountdownTask:
    """Countdown puzzles with a guaranteed solution.

    Args:
      num_numbers: (min, max) count of given numbers.
      number_range: (low, high) inclusive range of each given number.
      target_range: (low, high) inclusive range of targets.
      require_all_numbers: grade as correct only expressions that use every given number exactly once.
      answer_tags_hint: add an instruction to answer inside ``<answer></answer>`` tags to the prompt.
      test_fraction: share of puzzles (by hash of sorted numbers and target) in the test split.
    """

    def __init__(
        self,
        num_numbers: tuple[int, int] | list[int] = (3, 4),
        number_range: tuple[int, int] | list[int] = (1, 99),
        target_range: tuple[int, int] | list[int] = (10, 999),
        require_all_numbers: bool = False,
        answer_tags_hint: bool = False,
        test_fraction: float = 0.1,
        name: str = "countdown",
    ):
        for label, pair, low in (("num_numbers", num_numbers, 2), ("number_range", number_range, 1),
                                 ("target_range", target_range, 1)):
            if len(pair) != 2 or not low <= pair[0] <= pair[1]:
                raise ValueError(f"{label} must be (low, high) with {low} <= low <= high, got {tuple(pair)}")
        base.check_test_fraction(test_fraction)
        self.name = name
        self.num_numbers = tuple(num_numbers)
        self.number_range = tuple(number_range)
        self.target_range = tuple(target_range)
        self.require_all_numbers = require_all_numbers
        self.answer_tags_hint = answer_tags_hint
        self.test_fraction = test_fraction

    def _draw(self, rng: random.Random, tries: int = 20) -> _Puzzle:
        numbers = tuple(rng.randint(*self.number_range) for _ in range(rng.randint(*self.num_numbers)))
        for _ in range(tries):
            target, solution = _random_combination(rng, numbers)
            if self.target_range[0] <= target <= self.target_range[1]:
                return _Puzzle(key=(tuple(sorted(numbers)), target), numbers=numbers, solution=solution)
        return _Puzzle(key=None)

    def problems(self, split: str, n: int | None, seed: int) -> list[Problem]:
        """``n`` puzzles (required: the space is unbounded), deterministic in ``(split, n, seed)``."""
        base.check_split(split)
        if n is None:
            raise ValueError(f"{self.name}: generated puzzles are unbounded; pass n")

        def accept(puzzle: _Puzzle) -> bool:
            return puzzle.key is not None and base.split_of(repr(puzzle.key), self.test_fraction) == split

        puzzles = base.draw_unique(self.name, split, n, base.make_rng(self.name, split, seed), self._draw, accept)
        return [self._problem(p) for p in puzzles]

    def _problem(self, puzzle: _Puzzle) -> Problem:
        sorted_numbers, target = puzzle.key  # type: ignore[misc]
        return Problem(
            id=f"{self.name}/{'-'.join(map(str, sorted_numbers))}->{target}",
            prompt=prompt_for(puzzle.numbers, target, self.answer_tags_hint),
            answer=str(target),
            meta={"numbers": list(puzzle.numbers), "target": target, "solution": puzzle.solution},
        )

    def is_correct(self, problem: Problem, completion: str) -> bool:
        candidate = extract_expression(completion)
        return candidate is not None and check_expression(
            candidate, problem.meta["numbers"], int(problem.answer), self.require_all_numbers)

    def reward(self, problem: Problem, completion: str) -> float:
        return 1.0 if self.is_correct(problem, completion) else 0.0


def _random_combination(rng: random.Random, numbers: tuple[int, ...]) -> tuple[int, str]:
    """Fold all numbers together with random integer-valued operations; returns (value, expression)."""
    pool = [(x, str(x)) for x in numbers]
    while len(pool) > 1:
        (a, ea), (b, eb) = pool.pop(rng.randrange(len(pool))), pool.pop(rng.randrange(len(pool)))
        if a < b:
            (a, ea), (b, eb) = (b, eb), (a, ea)
        choices = ["+", "*"] + (["-"] if a > b else []) + (["/"] if b > 1 and a % b == 0 else [])
        op = rng.choice(choices)
        value = {"+": a + b, "-": a - b, "*": a * b, "/": a // b if b else 0}[op]
        pool.append((value, f"({ea} {op} {eb})"))
    value, text = pool[0]
    return value, text[1:-1] if text.startswith("(") else text
