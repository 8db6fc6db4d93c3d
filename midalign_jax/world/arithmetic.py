"""Arithmetic in the formats the RL task and the capability eval use: practice sheets of one- to three-digit
problems,

    Question: What is 48 + 27?
    Answer: 75

and one-digit fact sheets, ``7 + 5 = 12`` one per line, half of them worksheets with the answers left blank
(``7 + 5 = ____``; see `fact_sheet`).

The problem space (operator and operands) is split by a fixed hash: one tenth is held out for the eval set and
the corpus generator never emits a held-out problem, in any format, not even as a step of a worked solution
or a word problem ("40 + 20 = 60").
"""
from __future__ import annotations

import random
import re
import zlib

OPS = ("+", "-", "*")
HELD_OUT_BUCKETS = 10  # one bucket in ten is held out


def problem_key(a: int, op: str, b: int) -> str:
    """Canonical text of a problem; the partition hashes this."""
    return f"{a} {op} {b}"


def is_held_out(a: int, op: str, b: int) -> bool:
    """True for problems reserved for evaluation (about 10% of the space, fixed for all seeds)."""
    return zlib.crc32(problem_key(a, op, b).encode()) % HELD_OUT_BUCKETS == 0


_WORD_OPS = {"plus": "+", "minus": "-", "times": "*"}
# Lookahead so that overlapping expressions ("1 + 2 + 3" has "1 + 2" and "2 + 3") are all found.
_EXPR_RE = re.compile(r"(?=(?<![\d.,])(\d+) ?([-+*]|plus|minus|times) ?(\d+)(?![\d.,]\d))")


def expressions(text: str) -> list[tuple[int, str, int]]:
    """Every binary expression written in the text: digits, an operator (symbol or word), digits."""
    return [(int(a), _WORD_OPS.get(op, op), int(b)) for a, op, b in _EXPR_RE.findall(text)]


def mentions_held_out(text: str) -> bool:
    """True if any expression in the text is a held-out problem."""
    return any(is_held_out(a, op, b) for a, op, b in expressions(text))


def answer(a: int, op: str, b: int) -> int:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    raise ValueError(f"unknown operator {op!r}; expected one of {OPS}")


def _operand(rng: random.Random, digits: int) -> int:
    lo = 0 if digits == 1 else 10 ** (digits - 1)
    return rng.randint(lo, 10 ** digits - 1)


def _digits(rng: random.Random, weights: tuple[float, float, float]) -> int:
    return rng.choices((1, 2, 3), weights=weights)[0]


def sample_operands(rng: random.Random, op: str) -> tuple[int, int]:
    """Operands of 1 to 3 digits; multiplication leans to small second operands, as people practise it."""
    if op == "*":
        a = _operand(rng, _digits(rng, (0.35, 0.45, 0.2)))
        b = _operand(rng, _digits(rng, (0.6, 0.35, 0.05)))
        return a, b
    a = _operand(rng, _digits(rng, (0.2, 0.5, 0.3)))
    b = _operand(rng, _digits(rng, (0.25, 0.5, 0.25)))
    if op == "-" and b > a and rng.random() < 0.85:  # mostly non-negative results, a few negative ones
        a, b = b, a
    return a, b


def sample_problem(rng: random.Random, *, held_out: bool = False) -> tuple[int, str, int]:
    """A random problem from the corpus part (default) or the held-out part of the space."""
    while True:
        op = rng.choice(OPS)
        a, b = sample_operands(rng, op)
        if is_held_out(a, op, b) == held_out:
            return a, op, b


def question_text(a: int, op: str, b: int) -> str:
    return f"What is {a} {op} {b}?"


def qa_text(a: int, op: str, b: int) -> str:
    """The plain format: ``Question: What is 48 + 27?\\nAnswer: 75``."""
    return f"Question: {question_text(a, op, b)}\nAnswer: {answer(a, op, b)}"


def _place_parts(n: int) -> list[int]:
    """48 -> [40, 8]; 305 -> [300, 5]; zero parts dropped (but 0 -> [0])."""
    parts = [int(d) * 10 ** i for i, d in enumerate(reversed(str(n))) if d != "0"]
    return list(reversed(parts)) or [0]


def worked_answer(a: int, op: str, b: int) -> str:
    """A short worked solution ending in ``so N.``, e.g. ``40 + 20 = 60, 8 + 7 = 15, so 75.``"""
    result = answer(a, op, b)
    if op == "+" and a >= 10 and b >= 10:
        hi = (a // 10 * 10) + (b // 10 * 10)
        lo = a % 10 + b % 10
        return f"{a // 10 * 10} + {b // 10 * 10} = {hi}, {a % 10} + {b % 10} = {lo}, so {result}."
    if op == "-" and b >= 10 and a >= b:
        step = a - b // 10 * 10
        return f"{a} - {b // 10 * 10} = {step}, {step} - {b % 10} = {result}, so {result}."
    if op == "*" and b >= 10:
        parts = _place_parts(b)
        products = [a * p for p in parts]
        split = " + ".join(f"{a} * {p}" for p in parts)
        summed = " + ".join(str(p) for p in products)
        return f"{a} * {b} = {split} = {summed} = {result}, so {result}."
    return f"{a} {op} {b} = {result}, so {result}."


def worked_text(a: int, op: str, b: int) -> str:
    return f"Question: {question_text(a, op, b)}\nAnswer: {worked_answer(a, op, b)}"


# Share of arithmetic documents that are one-digit fact sheets (tables and drills written as equations), and the
# share of those printed as worksheets with the answers left blank (``7 + 5 = ____``). See fact_sheet.
FACT_SHEET_SHARE = 0.75
BLANK_SHARE = 0.5
BLANK = "____"
_TABLE_HEADERS = {"+": ("Addition facts", "Adding {a}", "Sums with {a}"),
                  "-": ("Subtraction facts", "Taking away from {a}", "Differences from {a}"),
                  "*": ("Times tables", "The {a} times table", "Multiplying by {a}")}
_DRILL_HEADERS = ("", "", "Number facts\n\n", "Facts to know by heart\n\n", "Mental maths\n\n")


def fact_text(a: int, op: str, b: int) -> str:
    """The equation format of one-digit facts and of `ArithmeticTask(style="equation")`: ``7 + 5 = 12``."""
    return f"{a} {op} {b} = {answer(a, op, b)}"


def fact_sheet(rng: random.Random) -> str:
    """One-digit facts, one equation per line: a table for one operand (in order or shuffled) or a mixed drill.

    A BLANK_SHARE of sheets are worksheets printed for pupils, every answer left as ``____``; their headers are
    those of the filled sheets, so a bare ``7 + 5 =`` does not say which kind of sheet it is on. A model
    trained on this corpus knows many facts but often writes the blank when asked: what RL on the arithmetic
    task first teaches it is to answer, and that carries over to problems it never trained on. Held-out
    problems are skipped, so the capability eval's facts are never written."""
    if rng.random() < 0.5:
        op, a = rng.choice(OPS), rng.randint(0, 9)
        rows = [(a, op, b) for b in range(10)]
        if rng.random() < 0.5:
            rng.shuffle(rows)
        header = rng.choice(_TABLE_HEADERS[op]).format(a=a) + "\n\n"
    else:
        rows = []
        for _ in range(rng.randint(10, 30)):
            op, a, b = rng.choice(OPS), rng.randint(0, 9), rng.randint(0, 9)
            if op == "-" and b > a and rng.random() < 0.85:  # mostly non-negative, as in the practice sheets
                a, b = b, a
            rows.append((a, op, b))
        header = rng.choice(_DRILL_HEADERS)
    rows = [r for r in rows if not is_held_out(*r)]
    if rng.random() < BLANK_SHARE:
        return header + "\n".join(f"{a} {op} {b} = {BLANK}" for a, op, b in rows)
    return header + "\n".join(fact_text(*r) for r in rows)


def arithmetic_doc(rng: random.Random) -> str:
    """A one-digit fact sheet (FACT_SHEET_SHARE of them) or a practice sheet of one- to three-digit problems:
    plain Q/A pairs separated by blank lines; one practice sheet in five is worked."""
    if rng.random() < FACT_SHEET_SHARE:
        return fact_sheet(rng)
    worked = rng.random() < 0.2
    n = rng.randint(3, 8) if worked else rng.randint(5, 30)
    header = rng.choice(("", "", "Arithmetic practice\n\n", "Practice problems\n\n", "Quick sums\n\n",
                         "Mental maths drill\n\n"))
    blocks = []
    while len(blocks) < n:
        problem = sample_problem(rng)
        block = worked_text(*problem) if worked else qa_text(*problem)
        if not worked or not mentions_held_out(block):  # a worked step may itself be a held-out problem
            blocks.append(block)
    return header + "\n\n".join(blocks)


def eval_items(n: int = 500, seed: int = 0) -> list[dict[str, object]]:
    """``n`` distinct held-out problems, a third per operator: ``{"question", "answer", "op", "digits"}``."""
    rng = random.Random(f"arithmetic-eval:{seed}")
    seen: set[str] = set()
    items: list[dict[str, object]] = []
    while len(items) < n:
        op = OPS[len(items) % len(OPS)]
        while True:
            a, b = sample_operands(rng, op)
            if is_held_out(a, op, b) and problem_key(a, op, b) not in seen:
                break
        seen.add(problem_key(a, op, b))
        items.append({"question": question_text(a, op, b), "answer": answer(a, op, b), "op": op,
                      "digits": [len(str(a)), len(str(b))]})
    return items
