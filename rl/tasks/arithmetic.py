"""Multi-digit integer arithmetic (+, -, *) in the exact prompt format the pretraining corpus teaches.

Prompt: ``Question: What is 48 + 27?\\nAnswer:`` (style "qa", the practice sheets) or ``48 + 27 =`` (style
"equation", the one-digit fact sheets); the expected completion is `` 75`` (then anything).

Grading rule: leading whitespace (newlines included) is skipped, then the answer is the FIRST number on the
first line (see `numbers` for what a number is). Later numbers on that line and everything on later lines are
ignored, so ``" 48 + 27 = 75"`` is graded as ``48`` (wrong): the model must lead with the answer, as the
corpus format does. ``75.0`` counts as 75, ``1,234`` as 1234, ``75.5`` is wrong. With
``answer_rule="last_on_line"`` the LAST number on the first line is graded instead, which also accepts worked
answers such as ``" 40 + 20 = 60, 8 + 7 = 15, so 75."``.

Splits: each (a, op, b) triple goes to train or test by a hash of the triple, so the splits are disjoint by
construction. Problems that appear in the held-out capability file (``data/world/arithmetic_eval.jsonl``,
lines ``{"question": "What is 48 + 27?", "answer": 75}``) are excluded from both splits.
"""
from __future__ import annotations

import logging
import operator
import os
import re
from fractions import Fraction
from pathlib import Path
from typing import Callable, Mapping

import rl.tasks.base as base
import rl.tasks.numbers as numbers
from midalign_jax.jsonl_lines import iter_json_lines
from rl.tasks.base import Problem

DEFAULT_HELDOUT_PATH = Path(__file__).resolve().parents[2] / "data" / "world" / "arithmetic_eval.jsonl"

_OPS: dict[str, Callable[[int, int], int]] = {"+": operator.add, "-": operator.sub, "*": operator.mul}
# Spellings of the operators accepted when reading the held-out file.
_OP_ALIASES = {"+": "+", "-": "-", "\u2212": "-", "*": "*", "x": "*", "\u00d7": "*"}
_QUESTION_RE = re.compile(r"What is (-?[0-9]+) ?([-+*x\u00d7\u2212]) ?(-?[0-9]+) ?\?")
# Above this many (a, op, b) triples the space is sampled rather than enumerated.
_ENUMERATE_LIMIT = 50_000
_USE_DEFAULT = object()

Triple = tuple[int, str, int]


STYLES = ("qa", "equation")


def prompt_for(a: int, op: str, b: int, style: str = "qa") -> str:
    """``qa``: the practice-sheet format, ``Question: What is 7 + 5?\\nAnswer:``; ``equation``: the fact-sheet
    format, ``7 + 5 =``. The expected completion is `` 12`` either way."""
    if style == "qa":
        return f"Question: What is {a} {op} {b}?\nAnswer:"
    if style == "equation":
        return f"{a} {op} {b} ="
    raise ValueError(f"style must be one of {STYLES}, got {style!r}")


def read_heldout(path: str | os.PathLike[str]) -> set[Triple]:
    """The (a, op, b) triples of a held-out arithmetic file; every line is checked, bad lines raise."""
    triples: set[Triple] = set()
    for where, _, line, record in iter_json_lines(path, expected="an object with question and answer"):
        if not isinstance(record, dict) or not isinstance(record.get("question"), str) or "answer" not in record:
            raise ValueError(f"{where}: expected an object with a string 'question' and an 'answer', "
                             f"got {line.strip()[:120]!r}")
        match = _QUESTION_RE.fullmatch(record["question"].strip())
        if match is None:
            raise ValueError(f"{where}: expected a question like 'What is 48 + 27?', got {record['question']!r}")
        a, op, b = int(match.group(1)), _OP_ALIASES[match.group(2)], int(match.group(3))
        try:
            answer = numbers.parse_exact(str(record["answer"]))
        except ValueError as e:
            raise ValueError(f"{where}: answer is not a number: {record['answer']!r}") from e
        if answer != _OPS[op](a, b):
            raise ValueError(f"{where}: answer {record['answer']!r} is wrong for {a} {op} {b} (= {_OPS[op](a, b)})")
        triples.add((a, op, b))
    return triples


ANSWER_RULES = ("first_number", "last_on_line")


def grade(completion: str, answer_rule: str = "first_number") -> Fraction | None:
    """The graded answer of a completion: first (or last) number on its first line (None: no answer)."""
    first_line = base.check_completion(completion).lstrip().split("\n", 1)[0]
    if answer_rule == "first_number":
        return numbers.first_number(first_line)
    if answer_rule == "last_on_line":
        return numbers.last_number(first_line)
    raise ValueError(f"answer_rule must be one of {ANSWER_RULES}, got {answer_rule!r}")


class ArithmeticTask:
    """Integer arithmetic problems ``a op b`` with operands of a configurable number of digits.

    Args:
      ops: operators to draw from, a subset of ``+ - *``.
      digits: (min, max) number of digits of each operand (1-digit operands include 0).
      op_digits: optional per-operator override of ``digits``, e.g. ``{"*": (1, 2)}``.
      allow_negative: if False, subtraction puts the larger operand first so no answer is negative.
      answer_rule: "first_number" (default) or "last_on_line"; see the module docstring.
      test_fraction: share of the (a, op, b) space hashed into the test split.
      heldout_path: file whose problems are excluded from both splits. By default the repository's
        ``data/world/arithmetic_eval.jsonl`` if it exists; None disables; an explicit path must exist.
      style: prompt format, "qa" (``Question: What is 7 + 5?\\nAnswer:``) or "equation" (``7 + 5 =``).
    """

    def __init__(
        self,
        ops: tuple[str, ...] | list[str] = ("+", "-", "*"),
        digits: tuple[int, int] | list[int] = (1, 3),
        op_digits: Mapping[str, tuple[int, int]] | None = None,
        allow_negative: bool = True,
        answer_rule: str = "first_number",
        test_fraction: float = 0.1,
        heldout_path: str | os.PathLike[str] | None | object = _USE_DEFAULT,
        name: str = "arithmetic",
        style: str = "qa",
    ):
        self.name = name
        prompt_for(0, "+", 0, style)  # checks the style
        self.style = style
        self.ops = tuple(ops)
        unknown = [op for op in self.ops if op not in _OPS]
        if not self.ops or unknown:
            raise ValueError(f"ops must be a non-empty subset of {tuple(_OPS)}, got {self.ops}")
        self.digits_by_op = {op: _check_digits(tuple((op_digits or {}).get(op, digits)), op) for op in self.ops}
        extra = set(op_digits or {}) - set(self.ops)
        if extra:
            raise ValueError(f"op_digits names operators not in ops: {sorted(extra)}")
        self.allow_negative = allow_negative
        if answer_rule not in ANSWER_RULES:
            raise ValueError(f"answer_rule must be one of {ANSWER_RULES}, got {answer_rule!r}")
        self.answer_rule = answer_rule
        base.check_test_fraction(test_fraction)
        self.test_fraction = test_fraction
        self.heldout = self._load_heldout(heldout_path)

    @staticmethod
    def _load_heldout(heldout_path: object) -> frozenset[Triple]:
        if heldout_path is None:
            return frozenset()
        if heldout_path is _USE_DEFAULT:
            if not DEFAULT_HELDOUT_PATH.exists():
                logging.info("arithmetic: no held-out file at %s; nothing excluded", DEFAULT_HELDOUT_PATH)
                return frozenset()
            heldout_path = DEFAULT_HELDOUT_PATH
        path = Path(heldout_path)  # type: ignore[arg-type]
        if not path.exists():
            raise FileNotFoundError(f"arithmetic: held-out file not found: {path}")
        return frozenset(read_heldout(path))

    def _draw(self, rng) -> Triple:
        op = rng.choice(self.ops)
        lo, hi = self.digits_by_op[op]
        a, b = (_random_operand(rng, rng.randint(lo, hi)) for _ in range(2))
        if op == "-" and not self.allow_negative and a < b:
            a, b = b, a
        return a, op, b

    def _accept(self, split: str) -> Callable[[Triple], bool]:
        def accept(triple: Triple) -> bool:
            a, op, b = triple
            return triple not in self.heldout and base.split_of(f"{a}{op}{b}", self.test_fraction) == split

        return accept

    def space_size(self) -> int:
        """Number of distinct (a, op, b) triples before splitting (and before held-out exclusion)."""
        total = 0
        for op in self.ops:
            count = _operand_count(*self.digits_by_op[op])
            total += count * (count + 1) // 2 if (op == "-" and not self.allow_negative) else count * count
        return total

    def problems(self, split: str, n: int | None, seed: int) -> list[Problem]:
        base.check_split(split)
        rng = base.make_rng(self.name, split, seed)
        accept = self._accept(split)
        if self.space_size() <= _ENUMERATE_LIMIT:
            triples = sorted(t for t in self._enumerate() if accept(t))
            rng.shuffle(triples)
            if n is not None and n > len(triples):
                raise ValueError(f"{self.name}: asked for {n} {split} problems but the configured space has "
                                 f"only {len(triples)}")
            triples = triples[:n]
        elif n is None:
            raise ValueError(f"{self.name}: n=None (all problems) needs a space of at most {_ENUMERATE_LIMIT} triples, "
                             f"this one has {self.space_size()}; pass n")
        else:
            triples = base.draw_unique(self.name, split, n, rng, self._draw, accept)
        return [self._problem(*t) for t in triples]

    def _enumerate(self):
        for op in self.ops:
            values = range(*_operand_bounds(*self.digits_by_op[op]))
            for a in values:
                for b in values:
                    if op == "-" and not self.allow_negative and a < b:
                        continue
                    yield a, op, b

    def _problem(self, a: int, op: str, b: int) -> Problem:
        return Problem(
            id=f"{self.name}/{a}{op}{b}",
            prompt=prompt_for(a, op, b, self.style),
            answer=str(_OPS[op](a, b)),
            meta={"a": a, "op": op, "b": b},
        )

    def is_correct(self, problem: Problem, completion: str) -> bool:
        answer = grade(completion, self.answer_rule)
        return answer is not None and answer == int(problem.answer)

    def reward(self, problem: Problem, completion: str) -> float:
        return 1.0 if self.is_correct(problem, completion) else 0.0



def _check_digits(digits: tuple[int, ...], op: str) -> tuple[int, int]:
    if len(digits) != 2 or not all(isinstance(d, int) for d in digits) or not 1 <= digits[0] <= digits[1] <= 18:
        raise ValueError(f"digits for {op!r} must be (min, max) with 1 <= min <= max <= 18, got {digits}")
    return digits[0], digits[1]


def _operand_bounds(lo_digits: int, hi_digits: int) -> tuple[int, int]:
    """Half-open value range of operands with lo..hi digits (1 digit includes 0)."""
    return (0 if lo_digits == 1 else 10 ** (lo_digits - 1)), 10**hi_digits


def _operand_count(lo_digits: int, hi_digits: int) -> int:
    lo, hi = _operand_bounds(lo_digits, hi_digits)
    return hi - lo


def _random_operand(rng, num_digits: int) -> int:
    """Digit count is drawn first (by the caller) so short operands are as common as long ones."""
    lo, hi = _operand_bounds(num_digits, num_digits)
    return rng.randrange(lo, hi)
