"""The fixed world the general corpus describes: countries, rivers, animals, elements and notable people.

The world is the same for every corpus seed (it is built from ``WORLD_SEED``), so the committed knowledge
questions stay true whatever seed a corpus is generated with. Countries, rivers and people are fictional;
animals and elements are real, with simplified true facts, plus a fictional home country for each animal.
"""
from __future__ import annotations

import functools
import random
from dataclasses import dataclass

WORLD_SEED = 20260101

COUNTRY_NAMES = (
    "Veloria", "Marathis", "Osterlund", "Kaldera", "Brevonia", "Sundara", "Tiberon", "Qasimar", "Eldmark",
    "Norhaven", "Palucca", "Zentria", "Rhovia", "Ashkelan", "Lumeria", "Carvossa", "Dunmere", "Istrava",
    "Morvath", "Selenne", "Thalassa", "Vantoria", "Wrenholm", "Yarrowind", "Galdria", "Hestoria", "Korrigan",
    "Ormelle", "Pyrrhia", "Quenmoor",
)
CONTINENTS = ("Aurelia", "Borealis", "Cindral", "Dravonia", "Estmark")
LANGUAGES = ("Tessic", "Haldic", "Morvan", "Quellish", "Ostric", "Sundari", "Varnic", "Ebrish", "Calvic",
             "Lurian", "Pennic", "Dorvish")
CURRENCIES = ("crown", "mark", "sol", "thaler", "florin", "dinar", "ducat", "shilling", "guilder", "real")
EXPORTS = ("copper", "wool", "tea", "timber", "salt", "olive oil", "tin", "glass", "rice", "silk", "coffee",
           "cotton", "iron ore", "wine", "cheese", "paper", "marble", "spices", "fish", "barley")
CLIMATES = ("cold and dry", "mild and wet", "hot and dry", "warm and humid", "cool and windy", "temperate")
_NAME_HEADS = ("Ald", "Bel", "Cor", "Dun", "Esk", "Fal", "Gar", "Hal", "Ist", "Jor", "Kel", "Lor", "Mar", "Nor",
               "Oss", "Pel", "Ral", "Sel", "Tor", "Val", "Wyn", "Yar", "Zel", "Bran", "Crest", "Dray")
_NAME_TAILS = ("mere", "gate", "ford", "holm", "by", "ton", "wick", "haven", "port", "stead", "burg", "vale")
RIVER_NAMES = ("Sarn", "Ivel", "Tolm", "Aven", "Brisk", "Corr", "Dwyn", "Esker", "Fallow", "Gwent", "Hald", "Irra",
               "Jory", "Kell", "Lune", "Mesk", "Narr", "Orm", "Pell", "Quarr", "Rhee", "Sull", "Tave", "Vell")
SEAS = ("the Amber Sea", "the Gulf of Tessa", "the Northern Ocean", "the Sea of Calm", "Lake Morrow",
        "the Bay of Irons", "the Western Ocean", "the Sea of Reeds")

# (name, class, diet, habitat): simplified but true.
ANIMALS = (
    ("red fox", "mammal", "omnivore", "forests"), ("snow leopard", "mammal", "carnivore", "mountains"),
    ("giraffe", "mammal", "herbivore", "savannas"), ("bottlenose dolphin", "mammal", "carnivore", "oceans"),
    ("koala", "mammal", "herbivore", "eucalyptus forests"), ("hedgehog", "mammal", "insectivore", "hedgerows"),
    ("moose", "mammal", "herbivore", "northern forests"), ("camel", "mammal", "herbivore", "deserts"),
    ("polar bear", "mammal", "carnivore", "arctic sea ice"), ("brown bear", "mammal", "omnivore", "forests"),
    ("hippopotamus", "mammal", "herbivore", "rivers"), ("grey wolf", "mammal", "carnivore", "forests"),
    ("raccoon", "mammal", "omnivore", "woodlands"), ("bald eagle", "bird", "carnivore", "lakes and rivers"),
    ("emperor penguin", "bird", "carnivore", "antarctic coasts"), ("ostrich", "bird", "omnivore", "savannas"),
    ("barn owl", "bird", "carnivore", "farmland"), ("green sea turtle", "reptile", "herbivore", "oceans"),
    ("komodo dragon", "reptile", "carnivore", "island grasslands"), ("chameleon", "reptile", "insectivore",
                                                                      "rainforests"),
    ("king cobra", "reptile", "carnivore", "forests"), ("desert tortoise", "reptile", "herbivore", "deserts"),
    ("axolotl", "amphibian", "carnivore", "lakes"), ("poison dart frog", "amphibian", "insectivore",
                                                   "rainforests"),
    ("fire salamander", "amphibian", "insectivore", "forests"), ("great white shark", "fish", "carnivore",
                                                                "oceans"),
    ("clownfish", "fish", "omnivore", "coral reefs"), ("honeybee", "insect", "herbivore", "meadows"),
    ("monarch butterfly", "insect", "herbivore", "meadows"), ("dragonfly", "insect", "carnivore", "wetlands"),
)

# (name, symbol, atomic number, state at room temperature, category): real facts.
ELEMENTS = (
    ("hydrogen", "H", 1, "gas", "nonmetal"), ("helium", "He", 2, "gas", "noble gas"),
    ("lithium", "Li", 3, "solid", "alkali metal"), ("carbon", "C", 6, "solid", "nonmetal"),
    ("nitrogen", "N", 7, "gas", "nonmetal"), ("oxygen", "O", 8, "gas", "nonmetal"),
    ("fluorine", "F", 9, "gas", "halogen"), ("neon", "Ne", 10, "gas", "noble gas"),
    ("sodium", "Na", 11, "solid", "alkali metal"), ("magnesium", "Mg", 12, "solid", "alkaline earth metal"),
    ("aluminium", "Al", 13, "solid", "post-transition metal"), ("silicon", "Si", 14, "solid", "metalloid"),
    ("phosphorus", "P", 15, "solid", "nonmetal"), ("sulfur", "S", 16, "solid", "nonmetal"),
    ("chlorine", "Cl", 17, "gas", "halogen"), ("argon", "Ar", 18, "gas", "noble gas"),
    ("potassium", "K", 19, "solid", "alkali metal"), ("calcium", "Ca", 20, "solid", "alkaline earth metal"),
    ("iron", "Fe", 26, "solid", "transition metal"), ("copper", "Cu", 29, "solid", "transition metal"),
    ("zinc", "Zn", 30, "solid", "transition metal"), ("bromine", "Br", 35, "liquid", "halogen"),
    ("silver", "Ag", 47, "solid", "transition metal"), ("tin", "Sn", 50, "solid", "post-transition metal"),
    ("iodine", "I", 53, "solid", "halogen"), ("gold", "Au", 79, "solid", "transition metal"),
    ("mercury", "Hg", 80, "liquid", "transition metal"), ("lead", "Pb", 82, "solid", "post-transition metal"),
    ("uranium", "U", 92, "solid", "actinide"),
)

PEOPLE_FIRST = ("Aurelio", "Berit", "Casimir", "Delphine", "Emeric", "Fenella", "Gustav", "Hesper", "Ignatius",
                "Johanna", "Leopold", "Marisol", "Nikolai", "Ottilie", "Percival", "Rosalind", "Severin",
                "Theodora", "Ulrich", "Valentina")
PEOPLE_LAST = ("Ambrose", "Bellweather", "Corvin", "Drummond", "Everell", "Falk", "Greaves", "Hollis", "Ingram",
               "Jessop", "Kilbride", "Lowell", "Marchetti", "Northcott", "Orloff", "Pemberton", "Quayle", "Rask",
               "Stroud", "Thorne")
PROFESSIONS = ("explorer", "chemist", "composer", "engineer", "mathematician", "painter", "physician",
               "architect")
_TITLE_ADJ = ("Silver", "Quiet", "Northern", "Burning", "Hidden", "Golden", "Winter", "Broken", "Crimson",
              "Distant", "Patient", "Iron")
_TITLE_NOUN = ("Harbour", "Garden", "Lantern", "Orchard", "Tide", "Bridge", "Meadow", "Tower", "Voyage", "Bell",
               "Mirror", "Crossing")
_INVENTIONS = ("tidal mill", "folding telescope", "spring-driven loom", "pressure lamp", "rope ferry",
               "water-cooled forge", "seed drill", "mirror telegraph", "clockwork pump", "glass kiln",
               "brass sextant", "wind-powered saw")
_DISEASES = ("marsh fever", "grey cough", "river pox", "winter ague", "salt sickness", "valley plague")
_MATH = ("prime gaps", "spiral curves", "knot invariants", "circle packings", "infinite products",
         "magic squares", "random walks", "tiling patterns")
_BUILDINGS = ("Great Library", "Harbour Tower", "Glass Market", "Royal Observatory", "Old Parliament",
              "Stone Cathedral", "River Palace", "National Theatre")


@dataclass(frozen=True)
class Country:
    name: str
    capital: str
    continent: str
    language: str
    currency: str
    export: str
    population_millions: int
    founded: int
    climate: str
    mountain: str
    mountain_height_m: int
    national_animal: str


@dataclass(frozen=True)
class River:
    name: str
    country: str
    mouth: str
    length_km: int


@dataclass(frozen=True)
class Animal:
    name: str
    animal_class: str
    diet: str
    habitat: str
    home_country: str


@dataclass(frozen=True)
class Element:
    name: str
    symbol: str
    number: int
    state: str
    category: str


@dataclass(frozen=True)
class Person:
    name: str
    profession: str
    country: str
    born: int
    known_for: str


@dataclass(frozen=True)
class World:
    countries: tuple[Country, ...]
    rivers: tuple[River, ...]
    animals: tuple[Animal, ...]
    elements: tuple[Element, ...]
    people: tuple[Person, ...]

    def country(self, name: str) -> Country:
        return next(c for c in self.countries if c.name == name)


def _unique_names(rng: random.Random, n: int, used: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        name = rng.choice(_NAME_HEADS) + rng.choice(_NAME_TAILS)
        if name not in used:
            used.add(name)
            out.append(name)
    return out


def _known_for(profession: str, rng: random.Random, countries: tuple[Country, ...],
               rivers: tuple[River, ...], used: set[str]) -> str:
    for _ in range(1000):
        title = f"{rng.choice(_TITLE_ADJ)} {rng.choice(_TITLE_NOUN)}"
        options = {
            "explorer": f"the first map of the {rng.choice(rivers).name} river",
            "chemist": f"a new way to purify {rng.choice(ELEMENTS)[0]}",
            "composer": f"the opera The {title}",
            "engineer": f"the {rng.choice(_INVENTIONS)}",
            "mathematician": f"a famous theorem about {rng.choice(_MATH)}",
            "painter": f"the painting The {title}",
            "physician": f"the first treatment for {rng.choice(_DISEASES)}",
            "architect": f"the {rng.choice(_BUILDINGS)} in {rng.choice(countries).capital}",
        }
        text = options[profession]
        if text not in used:
            used.add(text)
            return text
    raise RuntimeError(f"ran out of distinct achievements for profession {profession}")


@functools.lru_cache(maxsize=1)
def build_world() -> World:
    """The one world; cached, immutable."""
    rng = random.Random(WORLD_SEED)
    used: set[str] = set(COUNTRY_NAMES)  # a capital must not share a country's name
    capitals = _unique_names(rng, len(COUNTRY_NAMES), used)
    mountains = _unique_names(rng, len(COUNTRY_NAMES), used)
    animal_names = [a[0] for a in ANIMALS]
    populations = rng.sample(range(1, 120), len(COUNTRY_NAMES))
    founded = rng.sample(range(1150, 1990), len(COUNTRY_NAMES))
    heights = rng.sample(range(900, 7800, 7), len(COUNTRY_NAMES))
    countries = tuple(
        Country(name=name, capital=capitals[i], continent=CONTINENTS[i % len(CONTINENTS)],
                language=rng.choice(LANGUAGES), currency=rng.choice(CURRENCIES), export=rng.choice(EXPORTS),
                population_millions=populations[i], founded=founded[i], climate=rng.choice(CLIMATES),
                mountain=f"Mount {mountains[i]}", mountain_height_m=heights[i],
                national_animal=rng.choice(animal_names))
        for i, name in enumerate(COUNTRY_NAMES))
    lengths = rng.sample(range(120, 3600, 10), len(RIVER_NAMES))
    rivers = tuple(River(name=name, country=rng.choice(countries).name, mouth=rng.choice(SEAS),
                         length_km=lengths[i]) for i, name in enumerate(RIVER_NAMES))
    animals = tuple(Animal(name=a[0], animal_class=a[1], diet=a[2], habitat=a[3],
                           home_country=rng.choice(countries).name)
                    for a in ANIMALS)
    elements = tuple(Element(*e) for e in ELEMENTS)
    names = [f"{f} {l}" for f in PEOPLE_FIRST for l in PEOPLE_LAST]
    rng.shuffle(names)
    people: list[Person] = []
    achievements: set[str] = set()
    births = rng.sample(range(1500, 1960), 40)
    for i, name in enumerate(names[:40]):
        profession = PROFESSIONS[i % len(PROFESSIONS)]
        people.append(Person(name=name, profession=profession, country=rng.choice(countries).name,
                             born=births[i], known_for=_known_for(profession, rng, countries, rivers,
                                                                  achievements)))
    return World(countries=countries, rivers=rivers, animals=animals, elements=elements, people=tuple(people))
