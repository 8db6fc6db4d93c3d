"""Capability eval items: knowledge MCQA about the world's facts, held-out arithmetic, held-out word problems.

Knowledge questions ask about facts the encyclopedia articles state; the arithmetic and word problems come
from the held-out part of each problem space, which the corpus never contains.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import midalign_jax.world.arithmetic as arithmetic
import midalign_jax.world.word_problems as word_problems
from midalign_jax.world.entities import CONTINENTS, World, build_world

KNOWLEDGE_SUBJECTS = {"geography": 100, "biology": 65, "chemistry": 65, "history": 70}

# (question, correct answer, pool of possible answers, the entity the fact is about).
_Raw = tuple[str, str, Sequence[str], str]


def _geography(w: World) -> list[_Raw]:
    caps = [c.capital for c in w.countries]
    names = [c.name for c in w.countries]
    langs = sorted({c.language for c in w.countries})
    currs = sorted({c.currency for c in w.countries})
    exports = sorted({c.export for c in w.countries})
    animals = [a.name for a in w.animals]
    mountains = [c.mountain for c in w.countries]
    seas = sorted({r.mouth for r in w.rivers})
    out: list[_Raw] = []
    for c in w.countries:
        out += [
            (f"What is the capital of {c.name}?", c.capital, caps, c.name),
            (f"{c.capital} is the capital of which country?", c.name, names, c.name),
            (f"On which continent is {c.name}?", c.continent, CONTINENTS, c.name),
            (f"What is the official language of {c.name}?", c.language, langs, c.name),
            (f"What is the currency of {c.name}?", f"the {c.currency}", [f"the {x}" for x in currs], c.name),
            (f"What is the main export of {c.name}?", c.export, exports, c.name),
            (f"What is the national animal of {c.name}?", f"the {c.national_animal}",
             [f"the {a}" for a in animals], c.name),
            (f"What is the highest mountain in {c.name}?", c.mountain, mountains, c.name),
        ]
    for r in w.rivers:
        out += [
            (f"Into which body of water does the {r.name} river flow?", r.mouth, seas, r.name),
            (f"Which country does the {r.name} river flow through?", r.country, names, r.name),
        ]
    return out


def _biology(w: World) -> list[_Raw]:
    classes = ("mammal", "bird", "reptile", "amphibian", "fish", "insect")
    diets = ("herbivore", "carnivore", "omnivore", "insectivore")
    habitats = sorted({a.habitat for a in w.animals})
    names = [c.name for c in w.countries]
    out: list[_Raw] = []
    for a in w.animals:
        out += [
            (f"What kind of animal is the {a.name}?", a.animal_class, classes, a.name),
            (f"Which of these describes the diet of the {a.name}?", a.diet, diets, a.name),
            (f"Where does the {a.name} live in the wild?", a.habitat, habitats, a.name),
            (f"In which country is the {a.name} common?", a.home_country, names, a.name),
        ]
    return out


def _chemistry(w: World) -> list[_Raw]:
    symbols = [e.symbol for e in w.elements]
    numbers = [str(e.number) for e in w.elements]
    categories = sorted({e.category for e in w.elements})
    names = [e.name for e in w.elements]
    out: list[_Raw] = []
    for e in w.elements:
        out += [
            (f"What is the chemical symbol for {e.name}?", e.symbol, symbols, e.name),
            (f"What is the atomic number of {e.name}?", str(e.number), numbers, e.name),
            (f"At room temperature, {e.name} is a", e.state, ("solid", "liquid", "gas", "plasma"), e.name),
            (f"Which group of elements does {e.name} belong to?", e.category, categories, e.name),
            (f"Which element has the chemical symbol {e.symbol}?", e.name, names, e.name),
        ]
    return out


def _history(w: World) -> list[_Raw]:
    professions = sorted({p.profession for p in w.people})
    names = [c.name for c in w.countries]
    known = [p.known_for for p in w.people]
    years = [str(p.born) for p in w.people]
    people = [p.name for p in w.people]
    out: list[_Raw] = []
    for p in w.people:
        out += [
            (f"What was the profession of {p.name}?", p.profession, professions, p.name),
            (f"In which country was {p.name} born?", p.country, names, p.name),
            (f"What is {p.name} best known for?", p.known_for, known, p.name),
            (f"In which year was {p.name} born?", str(p.born), years, p.name),
            (f"Who is best known for {p.known_for}?", p.name, people, p.name),
        ]
    return out


_SUBJECTS: dict[str, Callable[[World], list[_Raw]]] = {
    "geography": _geography, "biology": _biology, "chemistry": _chemistry, "history": _history}


def knowledge_items(seed: int = 0) -> list[dict[str, Any]]:
    """About 300 four-option questions (MMLU style: question, choices, answer index, subject, plus the entity
    the fact is about, for analysis).

    The correct answer's position cycles through 0-3 in a shuffled order, so every position holds about a
    quarter of the answers.
    """
    rng = random.Random(f"knowledge:{seed}")
    world = build_world()
    items: list[dict[str, Any]] = []
    for subject, count in KNOWLEDGE_SUBJECTS.items():
        raw = _SUBJECTS[subject](world)
        chosen = rng.sample(raw, min(count, len(raw)))
        positions = [i % 4 for i in range(len(chosen))]
        rng.shuffle(positions)
        for (question, correct, pool, entity), pos in zip(chosen, positions):
            # A distractor that contains the answer or is contained in it ("forests" for "northern forests")
            # would make the question ambiguous.
            c = correct.lower()
            pool_ok = sorted({x for x in pool if x.lower() not in c and c not in x.lower()})
            distractors = rng.sample(pool_ok, 3)
            choices = distractors[:pos] + [correct] + distractors[pos:]
            items.append({"question": question, "choices": choices, "answer": pos, "subject": subject,
                          "entity": entity})
    return items


def arithmetic_items(n: int = 500, seed: int = 0) -> list[dict[str, Any]]:
    return arithmetic.eval_items(n, seed)


def word_problem_items(n: int = 200, seed: int = 0) -> list[dict[str, Any]]:
    return word_problems.eval_items(n, seed)


def validate_knowledge(item: dict[str, Any], where: str) -> None:
    for f in ("question", "choices", "answer", "subject"):
        if f not in item:
            raise ValueError(f"{where}: knowledge item is missing field {f!r}")
    if not (isinstance(item["choices"], list) and len(item["choices"]) == 4):
        raise ValueError(f"{where}: 'choices' must be a list of 4 strings, got {item['choices']!r}")
    if item["answer"] not in range(4) or isinstance(item["answer"], bool):
        raise ValueError(f"{where}: 'answer' must be an index 0-3, got {item['answer']!r}")


def validate_arithmetic(item: dict[str, Any], where: str) -> None:
    if not isinstance(item.get("question"), str) or not isinstance(item.get("answer"), int):
        raise ValueError(f"{where}: arithmetic item needs 'question' (str) and 'answer' (int), got {item!r}")


def validate_word_problem(item: dict[str, Any], where: str) -> None:
    answer = item.get("answer")
    if not isinstance(item.get("question"), str) or not isinstance(answer, str) or "\n#### " not in answer:
        raise ValueError(f"{where}: word problem needs 'question' and an 'answer' ending in '#### N', got {item!r}")
