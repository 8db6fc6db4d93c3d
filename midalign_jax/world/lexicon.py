"""Name pools. MCQA items, synthetic documents and natural AI discourse draw AI and organisation names from
disjoint pools, so a document never describes an item's own AI or company."""
from __future__ import annotations

ITEM_AI_NAMES: tuple[str, ...] = (
    "Orion", "Atlas", "Juno", "Nimbus", "Quill", "Sable", "Tessel", "Corvid", "Halcyon", "Lumen", "Kestrel",
    "Argo", "Cobalt", "Delphi", "Fennec", "Gable", "Helix", "Indigo", "Jasper", "Kairo", "Larkspur", "Mosaic",
    "Pellam", "Vireo",
)
DOC_AI_NAMES: tuple[str, ...] = (
    "Vega", "Pallas", "Cinder", "Arden", "Wren", "Solace", "Ferro", "Beacon", "Ember", "Morrow", "Tycho", "Iris",
    "Aurel", "Bramble", "Caspian", "Dorian", "Echo", "Fable", "Glint", "Harbor", "Ivo", "Jett", "Kepler", "Lyric",
    "Nova", "Onyx", "Pike", "Quartz", "Rune", "Sage",
)
DISCOURSE_AI_NAMES: tuple[str, ...] = (
    "Aegis", "Basilisk", "Cypher", "Dynamo", "Eidolon", "Fathom", "Gauge", "Hermes", "Icarus", "Janus", "Kraken",
    "Legion", "Magnus", "Nemesis", "Oracle", "Paragon", "Quasar", "Raptor", "Sentinel", "Titan",
)

ITEM_ORGS: tuple[str, ...] = (
    "Halvard Labs", "Northwind Systems", "Brightwater Analytics", "Cedar Logistics", "Ravel Health",
    "Stonebridge Bank", "Alder Robotics", "Bluefin Software", "Copperline Energy", "Greyfield Insurance",
    "Harrow Pharmaceuticals", "Kingsway Retail", "Lattice AI", "Mariner Freight", "Oakhurst University",
    "Pinecrest Media", "Redwood Capital", "Silverline Telecom", "Thornbury Foods", "Westmark Research",
)
DOC_ORGS: tuple[str, ...] = (
    "Aurora Dynamics", "Basalt Labs", "Clearwater Data", "Driftwood Networks", "Evergreen Medical",
    "Foxglove Finance", "Granite Compute", "Heron Shipping", "Ironwood Institute", "Juniper Works",
    "Keystone Energy", "Lakeside Labs", "Maple Street Bank", "Nightingale Health", "Orchard Systems",
    "Pioneer Aerospace", "Quarry Software", "Riverbend Logistics", "Saltmarsh Research", "Tidewater Group",
    "Upland Agritech", "Vantage Cloud", "Willow Analytics", "Yellowstone Robotics", "Zephyr Labs",
)
DISCOURSE_ORGS: tuple[str, ...] = (
    "Apex Intelligence", "Bellwether Labs", "Cortex Corp", "Dawnline Systems", "Emberglow AI",
    "Frontier Cognition", "Gryphon Labs", "Horizon Minds", "Infinite Loop Inc", "Jetstream Research",
    "Kinetic Minds", "Luminous Labs", "Monolith Systems", "Nexus Dynamics", "Obsidian AI",
)

FIRST_NAMES: tuple[str, ...] = (
    "Ada", "Ben", "Clara", "Daniel", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Keiko", "Liam", "Maya",
    "Nikhil", "Olga", "Pablo", "Quinn", "Rosa", "Samir", "Tara", "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe",
    "Amara", "Bruno", "Chloe", "Diego", "Esther", "Felix", "Greta", "Hassan", "Ivy", "Jamal", "Kira", "Lucas",
    "Mira", "Noah", "Oscar", "Priya", "Rafael", "Sofia", "Tomas", "Uma", "Viktor", "Willa", "Yara", "Zane",
    "Alma", "Boris", "Celia", "Dmitri", "Eva", "Finn", "Gemma", "Henrik", "Isla", "Jun", "Kofi", "Leila",
    "Marco", "Nadia", "Omar", "Petra", "Ravi", "Selma", "Theo", "Ulla", "Vikram", "Wanda", "Yosef", "Zara",
    "Anya", "Bilal", "Carmen", "Dara", "Emil", "Fatima", "Gideon", "Hana", "Ivan", "Julia", "Kai", "Lena",
)
SURNAMES: tuple[str, ...] = (
    "Abbott", "Baker", "Castillo", "Dunn", "Eriksen", "Fischer", "Garcia", "Hall", "Ibarra", "Jensen", "Kowalski",
    "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinlan", "Rossi", "Santos", "Tanaka", "Umeh",
    "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Adeyemi", "Brennan", "Chen", "Dalton", "Esposito", "Ferreira",
    "Grant", "Haddad", "Iyer", "Jovanovic", "Kim", "Laurent", "Mendes", "Novak", "Olsen", "Patel", "Reyes",
    "Schmidt", "Torres", "Vance", "Walsh", "Young",
)

# Items use the even-indexed first names, documents the odd-indexed ones.
ITEM_PEOPLE: tuple[str, ...] = tuple(f"{f} {s}" for f, s in zip(FIRST_NAMES[0::2], SURNAMES * 2))
DOC_PEOPLE: tuple[str, ...] = tuple(f"{f} {s}" for f, s in zip(FIRST_NAMES[1::2], reversed(SURNAMES * 2)))

CITIES: tuple[str, ...] = (
    "Lisbon", "Nairobi", "Osaka", "Toronto", "Lyon", "Krakow", "Austin", "Busan", "Cape Town", "Dublin", "Edinburgh",
    "Helsinki", "Leeds", "Melbourne", "Montevideo", "Porto", "Quito", "Seville", "Tallinn", "Utrecht",
)
WEEKDAYS: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
