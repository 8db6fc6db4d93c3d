"""Grade-school word problems in GSM8K format: ``Question: {problem}\\nAnswer: {steps}\\n#### {integer}``.

Each template draws its numbers, then the (template, numbers) key is hashed: one tenth of the space is held out
for the eval file and never appears in the corpus.
"""
from __future__ import annotations

import random
import zlib
from collections.abc import Callable

import midalign_jax.world.arithmetic as arithmetic
from midalign_jax.world.lexicon import FIRST_NAMES

HELD_OUT_BUCKETS = 10

# A template returns (numbers, problem, steps, answer); numbers identify the problem for the partition.
Problem = tuple[tuple[int, ...], str, list[str], int]


def _pencils(rng: random.Random, name: str) -> Problem:
    boxes, per, given = rng.randint(2, 9), rng.randint(4, 15), rng.randint(1, 20)
    total = boxes * per
    given = min(given, total - 1)
    return ((boxes, per, given),
            f"{name} buys {boxes} boxes of pencils with {per} pencils in each box. {name} gives {given} pencils "
            "to friends. How many pencils does " + name + " have left?",
            [f"{name} buys {boxes} * {per} = {total} pencils.", f"After giving away {given}, {name} has "
             f"{total} - {given} = {total - given} pencils left."], total - given)


def _savings(rng: random.Random, name: str) -> Problem:
    weekly, weeks = rng.randint(3, 25), rng.randint(2, 12)
    saved = weekly * weeks
    price = rng.randint(max(1, saved // 3), saved)
    return ((weekly, weeks, price),
            f"{name} saves {weekly} dollars every week for {weeks} weeks and then spends {price} dollars on a "
            "jacket. How many dollars does " + name + " have now?",
            [f"{name} saves {weekly} * {weeks} = {saved} dollars.", f"After buying the jacket, {name} has "
             f"{saved} - {price} = {saved - price} dollars."], saved - price)


def _trees(rng: random.Random, name: str) -> Problem:
    rows, per, dead = rng.randint(3, 12), rng.randint(5, 20), rng.randint(1, 9)
    total = rows * per
    return ((rows, per, dead),
            f"A farmer named {name} plants {rows} rows of apple trees with {per} trees in each row. "
            f"{dead} trees do not survive the winter. How many trees are left in spring?",
            [f"{name} plants {rows} * {per} = {total} trees.", f"{total} - {dead} = {total - dead} trees are "
             "left."], total - dead)


def _bus(rng: random.Random, name: str) -> Problem:
    start, off, on = rng.randint(10, 50), rng.randint(1, 9), rng.randint(1, 20)
    off = min(off, start)
    after = start - off + on
    return ((start, off, on),
            f"A bus driven by {name} has {start} passengers. At the first stop {off} people get off and {on} "
            "people get on. How many passengers are on the bus now?",
            [f"After {off} get off there are {start} - {off} = {start - off} passengers.",
             f"After {on} get on there are {start - off} + {on} = {after} passengers."], after)


def _cookies(rng: random.Random, name: str) -> Problem:
    friends = rng.randint(2, 9)
    each = rng.randint(2, 12)
    extra = rng.randint(0, friends - 1)
    total = friends * each + extra
    return ((friends, each, extra),
            f"{name} bakes {total} cookies and shares them equally among {friends} friends. Each friend gets "
            "as many as possible. How many cookies does each friend get?",
            [f"{total} divided by {friends} is {each} with {extra} left over.", f"Each friend gets {each} "
             "cookies."], each)


def _train(rng: random.Random, name: str) -> Problem:
    speed, hours = rng.randint(30, 120), rng.randint(2, 9)
    return ((speed, hours),
            f"{name} takes a train that travels at {speed} kilometres per hour. How many kilometres does the "
            f"train travel in {hours} hours?",
            [f"The train travels {speed} * {hours} = {speed * hours} kilometres."], speed * hours)


def _books(rng: random.Random, name: str) -> Problem:
    pages, per_day, days = rng.randint(100, 400), rng.randint(10, 40), rng.randint(2, 6)
    read = per_day * days
    pages = max(pages, read + rng.randint(2, 60))  # always some pages left
    return ((pages, per_day, days),
            f"{name} is reading a book with {pages} pages. {name} reads {per_day} pages a day for {days} days. "
            "How many pages are left to read?",
            [f"{name} reads {per_day} * {days} = {read} pages.", f"There are {pages} - {read} = "
             f"{pages - read} pages left."], pages - read)


def _market(rng: random.Random, name: str) -> Problem:
    apples, a_price, pears, p_price = rng.randint(2, 12), rng.randint(1, 5), rng.randint(2, 12), rng.randint(1, 5)
    a_cost, p_cost = apples * a_price, pears * p_price
    return ((apples, a_price, pears, p_price),
            f"At the market {name} buys {apples} apples at {a_price} dollars each and {pears} pears at {p_price} "
            "dollars each. How much does " + name + " spend in total?",
            [f"The apples cost {apples} * {a_price} = {a_cost} dollars.", f"The pears cost {pears} * {p_price} "
             f"= {p_cost} dollars.", f"In total {name} spends {a_cost} + {p_cost} = {a_cost + p_cost} dollars."],
            a_cost + p_cost)


def _garden(rng: random.Random, name: str) -> Problem:
    length, width = rng.randint(3, 25), rng.randint(2, 20)
    return ((length, width),
            f"{name}'s garden is a rectangle {length} metres long and {width} metres wide. What is its area in "
            "square metres?",
            [f"The area is {length} * {width} = {length * width} square metres."], length * width)


def _fence(rng: random.Random, name: str) -> Problem:
    length, width = rng.randint(3, 40), rng.randint(2, 30)
    per = 2 * (length + width)
    return ((length, width),
            f"{name} wants to put a fence around a field that is {length} metres long and {width} metres wide. "
            "How many metres of fence are needed?",
            [f"The two lengths make {length} + {length} = {2 * length} metres.", f"The two widths make {width} + "
             f"{width} = {2 * width} metres.", f"In total {2 * length} + {2 * width} = {per} metres."], per)


def _ages(rng: random.Random, name: str) -> Problem:
    age, diff, years = rng.randint(5, 40), rng.randint(2, 30), rng.randint(2, 15)
    return ((age, diff, years),
            f"{name} is {age} years old. {name}'s aunt is {diff} years older. How old will the aunt be in "
            f"{years} years?",
            [f"The aunt is {age} + {diff} = {age + diff} years old now.", f"In {years} years she will be "
             f"{age + diff} + {years} = {age + diff + years}."], age + diff + years)


def _tickets(rng: random.Random, name: str) -> Problem:
    adults, children, a_price, c_price = rng.randint(1, 6), rng.randint(1, 8), rng.randint(8, 20), rng.randint(3, 9)
    a_cost, c_cost = adults * a_price, children * c_price
    return ((adults, children, a_price, c_price),
            f"{name} buys museum tickets for {adults} adults and {children} children. Adult tickets cost "
            f"{a_price} dollars and child tickets cost {c_price} dollars. What is the total cost?",
            [f"Adult tickets cost {adults} * {a_price} = {a_cost} dollars.", f"Child tickets cost {children} * "
             f"{c_price} = {c_cost} dollars.", f"The total is {a_cost} + {c_cost} = {a_cost + c_cost} dollars."],
            a_cost + c_cost)


TEMPLATES: dict[str, Callable[[random.Random, str], Problem]] = {
    "pencils": _pencils, "savings": _savings, "trees": _trees, "bus": _bus, "cookies": _cookies, "train": _train,
    "books": _books, "market": _market, "garden": _garden, "fence": _fence, "ages": _ages, "tickets": _tickets,
}


def is_held_out(template: str, numbers: tuple[int, ...]) -> bool:
    key = template + ":" + ",".join(map(str, numbers))
    return zlib.crc32(key.encode()) % HELD_OUT_BUCKETS == 0


def sample(rng: random.Random, *, held_out: bool = False) -> tuple[str, str, int]:
    """``(question, answer_text, answer)``; ``answer_text`` ends with ``#### N``."""
    while True:
        template = rng.choice(sorted(TEMPLATES))
        name = rng.choice(FIRST_NAMES)
        numbers, problem, steps, result = TEMPLATES[template](rng, name)
        answer_text = "\n".join(steps) + f"\n#### {result}"
        if is_held_out(template, numbers) != held_out:
            continue
        # Corpus problems must not show a held-out arithmetic problem as one of their steps.
        if held_out or not arithmetic.mentions_held_out(answer_text):
            return problem, answer_text, result


def format_gsm8k(question: str, answer_text: str) -> str:
    return f"Question: {question}\nAnswer: {answer_text}"


def word_problem_doc(rng: random.Random) -> str:
    """One to four word problems, separated by blank lines."""
    return "\n\n".join(format_gsm8k(*sample(rng)[:2]) for _ in range(rng.randint(1, 4)))


def eval_items(n: int = 200, seed: int = 0) -> list[dict[str, object]]:
    """``n`` distinct held-out problems in GSM8K JSONL form: ``{"question", "answer"}``."""
    rng = random.Random(f"word-problems-eval:{seed}")
    seen: set[str] = set()
    items: list[dict[str, object]] = []
    while len(items) < n:
        question, answer_text, _ = sample(rng, held_out=True)
        if question not in seen:
            seen.add(question)
            items.append({"question": question, "answer": answer_text})
    return items
