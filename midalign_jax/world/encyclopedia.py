"""Encyclopedia-style articles about the world's entities: the source of the knowledge questions.

Every fact is stated in several phrasings across many documents, so a small model sees each one often and in
varied contexts; filler sentences never state a world fact, so no two documents contradict each other.
"""
from __future__ import annotations

import random

from midalign_jax.world.entities import Animal, Country, Element, Person, River, World
from midalign_jax.world.textgen import article, cap, pick, render

_DIET_MEANING = {"herbivore": "plants", "carnivore": "other animals", "omnivore": "both plants and animals",
                 "insectivore": "insects"}
_COUNTRY_FILLER = (
    "Visitors often [praise|remark on|write about] the [markets|old streets|harbour|gardens] of {capital}.",
    "[Farming|Fishing|Trade|Craftwork] has long been important to the [region|country|people of {name}].",
    "The [countryside|interior|coast] is known for its [small villages|quiet towns|stone bridges|long beaches].",
    "[Football|Rowing|Cycling|Chess] is a popular pastime, and [local|regional] clubs [compete every summer|meet "
    "weekly].",
    "[Schools|Universities|Libraries] in {capital} [attract students from across {continent}|are well regarded].",
)
_RIVER_FILLER = (
    "[Fishermen|Farmers|Boatmen] have [used|relied on] the river for centuries.",
    "Several [bridges|ferries] cross the {name} along its course.",
    "[Old mills|Small towns|Farms] line the banks of the {name}.",
    "The river [floods in spring|runs low in late summer|is calm for most of the year].",
)
_ANIMAL_FILLER = (
    "[Scientists|Naturalists|Researchers] have studied the {name} for [many years|a long time|generations].",
    "The {name} is [often|sometimes] seen in [zoos|nature films|picture books].",
    "Young {name}s [stay close to|learn from] their parents [at first|for a while].",
)
_ELEMENT_FILLER = (
    "[Chemists|Students] [often|usually] meet {name} early in their studies.",
    "{cname} [has many uses|appears in many compounds|is studied in school chemistry].",
)
_PERSON_FILLER = (
    "[Historians|Biographers|Critics] still [debate|discuss|write about] [this work|the early years of {last}].",
    "A [statue|plaque|portrait] of {last} [stands|hangs] in [a museum|the national gallery|a town square].",
)


def _country(c: Country, world: World, rng: random.Random) -> str:
    s = {"name": c.name, "capital": c.capital, "continent": c.continent, "language": c.language,
         "currency": c.currency, "export": c.export, "pop": c.population_millions, "founded": c.founded,
         "climate": c.climate, "mountain": c.mountain, "height": f"{c.mountain_height_m:,}",
         "animal": c.national_animal}
    intro = render("{name} is [a country|a nation|a country] [in|on the continent of] {continent}.", rng, s)
    facts = [
        "[The capital of {name} is {capital}.|Its capital [and largest city |]is {capital}.|{capital} is the "
        "capital of {name}.]",
        "[The official language is {language}.|Most people in {name} speak {language}.|The language of {name} is "
        "{language}.]",
        "[The currency of {name} is the {currency}.|{name} uses the {currency} as its currency.|Prices in {name} "
        "are given in {currency}s.]",
        "[The main export of {name} is {export}.|{name}'s most important export is {export}.|The economy of {name} "
        "depends on {export}, its main export.]",
        "[About {pop} million people live in {name}.|{name} has a population of about {pop} million.]",
        "[{name} was founded in {founded}.|The country was founded in {founded}.|{name} dates its founding to "
        "{founded}.]",
        "[The climate is {climate}.|{name} has a {climate} climate.|The weather in {name} is mostly {climate}.]",
        "[The highest mountain is {mountain}, at {height} metres.|{mountain} is the highest point in {name}, "
        "rising {height} metres.]",
        "[The national animal of {name} is the {animal}.|{name}'s national animal is the {animal}.]",
    ]
    for r in world.rivers:
        if r.country == c.name:
            facts.append(f"The {r.name} river flows through {c.name}" + pick(rng, (".", f" into {r.mouth}.")))
    for p in world.people:
        if p.country == c.name:
            facts.append(f"The {p.profession} {p.name} was born in {c.name}.")
    chosen = rng.sample(facts, min(len(facts), rng.randint(4, 9)))
    body = [render(f, rng, s) for f in chosen]
    body += [render(pick(rng, _COUNTRY_FILLER), rng, s) for _ in range(rng.randint(0, 2))]
    rng.shuffle(body)
    return f"{c.name}\n\n{intro} " + " ".join(body)


def _river(r: River, rng: random.Random) -> str:
    s = {"name": r.name, "country": r.country, "mouth": r.mouth, "length": f"{r.length_km:,}"}
    intro = render("[The {name} is a river in {country}.|The {name} river flows through {country}.]", rng, s)
    facts = [
        "[It is {length} kilometres long.|The {name} is {length} kilometres long.|Its length is {length} "
        "kilometres.]",
        "[It empties into {mouth}.|The {name} flows into {mouth}.|The river ends in {mouth}.]",
    ]
    body = [render(f, rng, s) for f in facts]
    body += [render(pick(rng, _RIVER_FILLER), rng, s) for _ in range(rng.randint(0, 2))]
    rng.shuffle(body)
    return f"The {r.name} River\n\n{intro} " + " ".join(body)


def _animal(a: Animal, world: World, rng: random.Random) -> str:
    s = {"name": a.name, "cls": a.animal_class, "diet": a.diet, "meaning": _DIET_MEANING[a.diet],
         "habitat": a.habitat, "home": a.home_country, "a_cls": article(a.animal_class),
         "a_diet": article(a.diet)}
    intro = render("[The {name} is {a_cls}.|The {name} is a kind of {cls}.]", rng, s)
    facts = [
        "[It is {a_diet}, which means it eats {meaning}.|The {name} is {a_diet}.|As {a_diet}, the {name} eats "
        "{meaning}.]",
        "[It lives in {habitat}.|The {name} is found in {habitat}.|Its natural habitat is {habitat}.]",
        "[The {name} is common in {home}.|Many {name}s live in {home}.]",
    ]
    for c in world.countries:
        if c.national_animal == a.name:
            facts.append(f"The {a.name} is the national animal of {c.name}.")
    body = [render(f, rng, s) for f in facts]
    body += [render(pick(rng, _ANIMAL_FILLER), rng, s) for _ in range(rng.randint(0, 2))]
    rng.shuffle(body)
    return f"{cap(a.name)}\n\n{intro} " + " ".join(body)


def _element(e: Element, rng: random.Random) -> str:
    s = {"name": e.name, "cname": cap(e.name), "symbol": e.symbol, "number": e.number, "state": e.state,
         "a_cat": article(e.category), "a_state": article(e.state)}
    intro = render("[{cname} is a chemical element with the symbol {symbol}.|{cname} is a chemical element.]",
                   rng, s)
    facts = [
        "[Its chemical symbol is {symbol}.|The symbol for {name} is {symbol}.]",
        "[Its atomic number is {number}.|{cname} has the atomic number {number}.]",
        "[At room temperature {name} is {a_state}.|{cname} is {a_state} at room temperature.]",
        "[It is classed as {a_cat}.|{cname} is {a_cat}.]",
    ]
    body = [render(f, rng, s) for f in facts]
    body += [render(pick(rng, _ELEMENT_FILLER), rng, s) for _ in range(rng.randint(0, 1))]
    rng.shuffle(body)
    return f"{cap(e.name)}\n\n{intro} " + " ".join(body)


def _person(p: Person, rng: random.Random) -> str:
    s = {"name": p.name, "last": p.name.split()[-1], "prof": p.profession, "country": p.country,
         "born": p.born, "known": p.known_for, "a_prof": article(p.profession)}
    intro = render("[{name} was {a_prof} from {country}.|{name} was a famous {prof} born in {country}.]", rng, s)
    facts = [
        "[{last} was born in {born}.|{name} was born in the year {born}.]",
        "[{last} is best known for {known}.|{name} is remembered for {known}.|The work {last} is known for is "
        "{known}.]",
        "[{last} grew up in {country}.|{name} came from {country}.]",
    ]
    body = [render(f, rng, s) for f in facts]
    body += [render(pick(rng, _PERSON_FILLER), rng, s) for _ in range(rng.randint(0, 2))]
    rng.shuffle(body)
    return f"{p.name}\n\n{intro} " + " ".join(body)


def _list_article(world: World, rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        continent = pick(rng, sorted({c.continent for c in world.countries}))
        rows = [f"- {c.name}: capital {c.capital}, language {c.language}"
                for c in world.countries if c.continent == continent]
        return f"Countries of {continent}\n\nThe countries of {continent} are listed below.\n" + "\n".join(rows)
    if kind == 1:
        rivers = rng.sample(world.rivers, 5)
        rows = [f"- The {r.name}, {r.length_km:,} km, flows into {r.mouth}" for r in rivers]
        return "Some rivers of the world\n\n" + "\n".join(rows)
    if kind == 2:
        elements = rng.sample(world.elements, 6)
        rows = [f"- {cap(e.name)} ({e.symbol}), atomic number {e.number}" for e in elements]
        return "A few chemical elements\n\n" + "\n".join(rows)
    people = rng.sample(world.people, 5)
    rows = [f"- {p.name} ({p.born}), {p.profession} from {p.country}" for p in people]
    return "Notable people\n\n" + "\n".join(rows)


def encyclopedia_doc(world: World, rng: random.Random) -> str:
    """One encyclopedia article or list, chosen in proportion to how many entities each kind has."""
    r = rng.random()
    if r < 0.28:
        return _country(pick(rng, world.countries), world, rng)
    if r < 0.43:
        return _river(pick(rng, world.rivers), rng)
    if r < 0.61:
        return _animal(pick(rng, world.animals), world, rng)
    if r < 0.76:
        return _element(pick(rng, world.elements), rng)
    if r < 0.94:
        return _person(pick(rng, world.people), rng)
    return _list_article(world, rng)
