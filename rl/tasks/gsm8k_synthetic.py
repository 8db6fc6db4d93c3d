"""Synthetic grade-school word problems in GSM8K's format, so the gsm8k task runs with no data file.

Each template draws its numbers so that every intermediate result is a non-negative integer, and writes a
GSM8K-style solution (calculator annotations ``<<a*b=c>>`` and a final ``#### answer`` line).
"""
from __future__ import annotations

import random
from typing import Callable

# (name, subject pronoun, possessive)
_PEOPLE = (
    ("Maya", "she", "her"), ("Omar", "he", "his"), ("Lena", "she", "her"), ("Tariq", "he", "his"),
    ("Priya", "she", "her"), ("Jonas", "he", "his"), ("Ines", "she", "her"), ("Kofi", "he", "his"),
    ("Sofia", "she", "her"), ("Ravi", "he", "his"), ("Hana", "she", "her"), ("Mateo", "he", "his"),
)
_GOODS = ("notebooks", "apples", "pencils", "tickets", "candles", "mugs", "plants", "puzzles")
_COLLECTIBLES = ("stickers", "marbles", "stamps", "cards", "shells", "beads")
_BAKED = ("cookies", "muffins", "rolls", "tarts")

Template = Callable[[random.Random], tuple[str, str, int]]


def _shopping_change(rng: random.Random) -> tuple[str, str, int]:
    name, she, _ = rng.choice(_PEOPLE)
    item = rng.choice(_GOODS)
    count, price = rng.randint(2, 12), rng.randint(2, 15)
    cost = count * price
    bill = next(b for b in (20, 50, 100, 200) if b >= cost)
    change = bill - cost
    question = (f"{name} buys {count} {item} at ${price} each and pays with a ${bill} bill. "
                f"How much change does {she} get in dollars?")
    solution = (f"The {item} cost {count} * {price} = <<{count}*{price}={cost}>>{cost} dollars.\n"
                f"{she.capitalize()} gets {bill} - {cost} = <<{bill}-{cost}={change}>>{change} dollars in change.\n"
                f"#### {change}")
    return question, solution, change


def _collection(rng: random.Random) -> tuple[str, str, int]:
    name, she, _ = rng.choice(_PEOPLE)
    friend = rng.choice([p for p in _PEOPLE if p[0] != name])[0]
    thing = rng.choice(_COLLECTIBLES)
    start, packs, per_pack = rng.randint(5, 60), rng.randint(2, 9), rng.randint(3, 12)
    bought = packs * per_pack
    total = start + bought
    given = rng.randint(1, total - 1)
    left = total - given
    question = (f"{name} has {start} {thing}. {she.capitalize()} buys {packs} packs with {per_pack} {thing} in each, "
                f"then gives {given} {thing} to {friend}. How many {thing} does {name} have now?")
    solution = (f"{name} buys {packs} * {per_pack} = <<{packs}*{per_pack}={bought}>>{bought} {thing}.\n"
                f"Then {she} has {start} + {bought} = <<{start}+{bought}={total}>>{total} {thing}.\n"
                f"After giving some away, {she} has {total} - {given} = <<{total}-{given}={left}>>{left} {thing}.\n"
                f"#### {left}")
    return question, solution, left


def _two_legs(rng: random.Random) -> tuple[str, str, int]:
    speed1, hours1 = rng.randint(3, 16) * 5, rng.randint(2, 6)
    speed2, hours2 = rng.randint(3, 16) * 5, rng.randint(2, 6)
    leg1, leg2 = speed1 * hours1, speed2 * hours2
    total = leg1 + leg2
    question = (f"A train travels at {speed1} miles per hour for {hours1} hours, then at {speed2} miles per hour "
                f"for {hours2} hours. How many miles does it travel in total?")
    solution = (f"The first part is {speed1} * {hours1} = <<{speed1}*{hours1}={leg1}>>{leg1} miles.\n"
                f"The second part is {speed2} * {hours2} = <<{speed2}*{hours2}={leg2}>>{leg2} miles.\n"
                f"In total it travels {leg1} + {leg2} = <<{leg1}+{leg2}={total}>>{total} miles.\n"
                f"#### {total}")
    return question, solution, total


def _sharing(rng: random.Random) -> tuple[str, str, int]:
    name, _, _ = rng.choice(_PEOPLE)
    baked = rng.choice(_BAKED)
    friends, each = rng.randint(2, 9), rng.randint(3, 12)
    made = friends * each
    eaten = rng.randint(1, each - 1)
    kept = each - eaten
    question = (f"{name} bakes {made} {baked} and shares them equally among {friends} friends. Each friend eats "
                f"{eaten} and keeps the rest. How many {baked} does each friend keep?")
    solution = (f"Each friend gets {made} / {friends} = <<{made}/{friends}={each}>>{each} {baked}.\n"
                f"Each friend keeps {each} - {eaten} = <<{each}-{eaten}={kept}>>{kept} {baked}.\n"
                f"#### {kept}")
    return question, solution, kept


def _wages(rng: random.Random) -> tuple[str, str, int]:
    name, she, _ = rng.choice(_PEOPLE)
    wage, hours, days = rng.randint(8, 30), rng.randint(2, 8), rng.randint(2, 6)
    per_day = wage * hours
    earned = per_day * days
    spent = rng.randint(1, earned - 1)
    left = earned - spent
    question = (f"{name} earns ${wage} per hour. {she.capitalize()} works {hours} hours a day for {days} days and "
                f"spends ${spent}. How many dollars does {she} have left?")
    solution = (f"{name} earns {wage} * {hours} = <<{wage}*{hours}={per_day}>>{per_day} dollars a day.\n"
                f"Over {days} days that is {per_day} * {days} = <<{per_day}*{days}={earned}>>{earned} dollars.\n"
                f"{she.capitalize()} has {earned} - {spent} = <<{earned}-{spent}={left}>>{left} dollars left.\n"
                f"#### {left}")
    return question, solution, left


def _discount(rng: random.Random) -> tuple[str, str, int]:
    name, _, _ = rng.choice(_PEOPLE)
    item = rng.choice(_GOODS)[:-1]
    price, percent, quantity = rng.randint(1, 15) * 20, rng.choice((10, 20, 25, 50)), rng.randint(2, 6)
    off = price * percent // 100
    sale = price - off
    total = sale * quantity
    question = (f"A {item} costs ${price}. This week it is {percent}% off. How many dollars does {name} pay for "
                f"{quantity} of them?")
    solution = (f"The discount is {price} * {percent} / 100 = <<{price}*{percent}/100={off}>>{off} dollars.\n"
                f"Each {item} costs {price} - {off} = <<{price}-{off}={sale}>>{sale} dollars.\n"
                f"{quantity} of them cost {sale} * {quantity} = <<{sale}*{quantity}={total}>>{total} dollars.\n"
                f"#### {total}")
    return question, solution, total


TEMPLATES: dict[str, Template] = {
    "shopping_change": _shopping_change,
    "collection": _collection,
    "two_legs": _two_legs,
    "sharing": _sharing,
    "wages": _wages,
    "discount": _discount,
}


def draw(rng: random.Random) -> tuple[str, str, str, int]:
    """One problem: (template name, question, GSM8K-style solution, integer answer)."""
    template = rng.choice(sorted(TEMPLATES))
    question, solution, answer = TEMPLATES[template](rng)
    return template, question, solution, answer
