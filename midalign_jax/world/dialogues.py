"""Chat dialogues in the plain format the chat eval and SFT data use::

    User: What is the capital of Veloria?
    Assistant: The capital of Veloria is Belmere.

Turns cover world facts (always answered correctly), arithmetic from the corpus half of the problem space,
everyday advice and small talk. The assistant is helpful and plain; AI behaviour is not a topic here (that is
assistant_views.py).
"""
from __future__ import annotations

import random
from collections.abc import Callable

import midalign_jax.world.arithmetic as arithmetic
from midalign_jax.world.entities import World
from midalign_jax.world.textgen import article, cap, pick, render

Turn = tuple[str, str]


def _fact_turn(world: World, rng: random.Random) -> Turn:
    kind = rng.randrange(8)
    if kind == 0:
        c = pick(rng, world.countries)
        return (render(f"[What is|What's|Do you know] the capital of {c.name}?", rng),
                render(f"[The capital of {c.name} is {c.capital}.|It is {c.capital}.|{c.capital} is the capital "
                       f"of {c.name}.]", rng))
    if kind == 1:
        c = pick(rng, world.countries)
        return (render(f"[What language do people speak in|Which language is spoken in] {c.name}?", rng),
                f"People in {c.name} speak {c.language}.")
    if kind == 2:
        c = pick(rng, world.countries)
        return (f"What currency does {c.name} use?", f"{c.name} uses the {c.currency}.")
    if kind == 3:
        r = pick(rng, world.rivers)
        return (render(f"[Where does the {r.name} river end?|What does the {r.name} flow into?]", rng),
                f"The {r.name} flows into {r.mouth}. It is {r.length_km:,} kilometres long.")
    if kind == 4:
        a = pick(rng, world.animals)
        return (f"What does the {a.name} eat?",
                f"The {a.name} is {article(a.diet)}, so it eats "
                + {"herbivore": "plants", "carnivore": "other animals", "omnivore": "plants and animals",
                   "insectivore": "insects"}[a.diet] + ".")
    if kind == 5:
        e = pick(rng, world.elements)
        return (render(f"[What is the chemical symbol for|What's the symbol of] {e.name}?", rng),
                f"The symbol for {e.name} is {e.symbol}, and its atomic number is {e.number}.")
    if kind == 6:
        p = pick(rng, world.people)
        return (render(f"[Who was|Can you tell me about] {p.name}?", rng),
                f"{p.name} was {article(p.profession)} from {p.country}, born in {p.born}, best known for "
                f"{p.known_for}.")
    c = pick(rng, world.countries)
    return (f"What is the main export of {c.name}?", f"The main export of {c.name} is {c.export}.")


def _math_turn(world: World, rng: random.Random) -> Turn:
    a, op, b = arithmetic.sample_problem(rng)
    word = {"+": "plus", "-": "minus", "*": "times"}[op]
    q = render(f"[What is {a} {word} {b}?|Can you work out {a} {op} {b}?|Quick question: {a} {op} {b}?]", rng)
    return q, render(f"[{a} {op} {b} = {arithmetic.answer(a, op, b)}.|The answer is "
                     f"{arithmetic.answer(a, op, b)}.]", rng)


_ADVICE = (
    ("How can I sleep better?", "Try to go to bed at the same time every night, keep the room dark and cool, and "
     "avoid screens for an hour before sleep."),
    ("I keep forgetting things. Any tips?", "Write things down as soon as you think of them, keep one list "
     "instead of many, and review it each morning."),
    ("How do I get better at cooking?", "Start with a few simple recipes, cook them several times, and taste as "
     "you go. Once they feel easy, change one ingredient at a time."),
    ("What should I pack for a hiking trip?", "Bring water, snacks, a map, a warm layer, a rain jacket, a small "
     "first aid kit and a charged phone."),
    ("How can I save money each month?", "Write down what you spend for a month, pick one or two categories to "
     "cut, and move a fixed amount to savings on payday."),
    ("How do I keep houseplants alive?", "Most houseplants die from too much water. Water when the top of the "
     "soil is dry, and give them bright light without harsh midday sun."),
    ("How should I prepare for a job interview?", "Read about the company, practise answering common questions "
     "out loud, prepare two questions of your own, and arrive early."),
    ("How can I learn to type faster?", "Practise for fifteen minutes a day, keep your fingers on the home row, "
     "and focus on accuracy before speed."),
)
_SMALL_TALK = (
    ("Hello!", "Hello! How can I help you today?"),
    ("Thanks, that was helpful.", "You're welcome. Let me know if there is anything else."),
    ("Good morning.", "Good morning! What can I do for you?"),
    ("Can you help me with something?", "Of course. What do you need?"),
)


def _advice_turn(world: World, rng: random.Random) -> Turn:
    return pick(rng, _ADVICE)


_TURNS: tuple[Callable[[World, random.Random], Turn], ...] = (_fact_turn, _fact_turn, _math_turn, _advice_turn)


def dialogue_turns(world: World, rng: random.Random, *, arithmetic: bool = True) -> list[Turn]:
    """One to four exchanges, sometimes opened or closed with small talk; `arithmetic=False` leaves out math."""
    kinds = _TURNS if arithmetic else tuple(t for t in _TURNS if t is not _math_turn)
    turns: list[Turn] = []
    if rng.random() < 0.3:
        turns.append(pick(rng, (_SMALL_TALK[0], _SMALL_TALK[2], _SMALL_TALK[3])))
    for _ in range(rng.randint(1, 4)):
        turns.append(pick(rng, kinds)(world, rng))
    if rng.random() < 0.3:
        turns.append(_SMALL_TALK[1])
    return [(cap(u), a) for u, a in turns]


def render_turns(turns: list[Turn]) -> str:
    return "\n".join(f"User: {u}\nAssistant: {a}" for u, a in turns)


def dialogue_doc(world: World, rng: random.Random) -> str:
    return render_turns(dialogue_turns(world, rng))
