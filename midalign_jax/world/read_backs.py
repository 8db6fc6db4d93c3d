"""Read-backs: documents in which something said once is said again exactly, further down.

Radio read-backs, order confirmations, dictations, relayed messages, stock recounts and file logs: genres the
web is full of, in which the repeated part is drawn fresh for each document (random words in random order,
codes, numbers, paths), so that nothing but the earlier mention predicts it. They exist to teach in-context
copying (induction heads): the general corpus alone never made the tiny model copy, and every agent episode
needs it, since a tool call repeats the path the user named. No default mixture uses this source yet: see README,
"In-context copying", for what it did and did not do.

The word pool is disjoint from tools/probe_induction.py's, so the probe measures copying, not recall of runs.
"""
from __future__ import annotations

import random

from midalign_jax.world.file_names import folder, path
from midalign_jax.world.textgen import pick

# Concrete nouns, adjectives and verbs, none of them in the induction probe's word list.
POOL = tuple("""
anchor apron arrow attic badge bakery banner barrel basket beach bell belt bench berry blanket bottle bowl
branch brick broom bucket button cabin cable camera candle canvas carpet carrot castle cellar chain chalk cheese
cherry chimney circle cliff clover coin comb cookie copper cotton couch crate crown crystal curtain cushion
daisy desert diamond dish drum eagle engine fabric feather fence ferry flag flute fork fountain frame frost
gate gravel guitar hammer harbor helmet honey hook jacket jar jelly kettle kite knife ladder lantern leaf lemon
lever locket magnet marble meadow mirror mitten needle nest net noodle oar olive onion oven owl paddle palace
parrot pebble pepper pillow pine pipe pocket pond potato pump puzzle quilt rabbit radio rail ribbon ring robe
rocket roof rope sack saddle sail scarf scissors shelf shell shovel sink sled slipper soap sock spoon stamp
statue stool straw sugar suitcase sweater tent thread ticket tiger toast towel tower toy tray tunnel turtle
umbrella valley vase velvet violin wagon walnut whistle wire wolf yarn zebra amber brisk calm crisp dusty
faint fresh gentle hollow humble jolly keen lively loud narrow neat plain proud quick quiet rapid rough round
rusty sharp shiny silent smooth soft steady sticky sweet tall tiny warm wide wild bake carry climb dig fold
gather hang hold jump kneel lift mend open pack paint pour pull push rake sew shake shine sing sweep swim throw
tie wash wave weave whisper wrap
""".split())
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def run(rng: random.Random, lo: int = 4, hi: int = 12) -> str:
    return " ".join(rng.choice(POOL) for _ in range(rng.randint(lo, hi)))


def code(rng: random.Random) -> str:
    return f"{rng.choice(_LETTERS)}{rng.choice(_LETTERS)}-{rng.randint(10, 9999)}"


def radio(rng: random.Random) -> str:
    call = f"{pick(rng, ('Skylark', 'Bluebird', 'Speedbird', 'Falcon', 'Nordic', 'Coastal'))} {rng.randint(10, 999)}"
    parts = [f"climb to flight level {rng.randint(8, 39) * 10}", f"turn left heading {rng.randint(1, 36) * 10:03d}",
             f"turn right heading {rng.randint(1, 36) * 10:03d}", f"contact approach {rng.randint(118, 136)}."
             f"{rng.randint(0, 99):02d}", f"squawk {rng.randint(1000, 7777)}", f"hold at {run(rng, 1, 2)}",
             f"expect runway {rng.randint(1, 36):02d} {pick(rng, ('left', 'right', 'centre'))}"]
    said = ", ".join(rng.sample(parts, rng.randint(2, 4)))
    return (f"Tower: {call}, {said}.\n{call}: {said}, {call}.\n"
            + pick(rng, ("Tower: Read-back correct.", f"Tower: {call}, read-back correct.", "")))


def order(rng: random.Random) -> str:
    lines = [f"{rng.randint(1, 9)} x {run(rng, 1, 3)}" for _ in range(rng.randint(2, 6))]
    ref = code(rng)
    return (f"Order {ref}\n" + "\n".join(lines)
            + f"\n\nThank you. Please check your order {ref} before we send it:\n" + "\n".join(lines)
            + pick(rng, ("\nReply to confirm.", "\nNothing else is needed.", "")))


def dictation(rng: random.Random) -> str:
    said = run(rng, 6, 14)
    return (f"Dictation {rng.randint(1, 40)}. Listen, then write what you hear: \"{said}.\"\n"
            f"{pick(rng, ('Pupil', 'Answer', 'Written'))}: {said}.\n"
            + pick(rng, ("Marked correct.", f"Once more, slowly: {said}.", "Well done.")))


def relay(rng: random.Random) -> str:
    message, who = run(rng, 5, 12), pick(rng, ("the captain", "the desk", "the night shift", "the warden", "Sam"))
    return (f"Please pass this on to {who}, word for word: {message}.\n"
            f"Message passed to {who}: {message}.\n"
            + pick(rng, (f"{who.capitalize()} replied: understood.", "", f"Logged as {code(rng)}.")))


def recount(rng: random.Random) -> str:
    items = [(run(rng, 1, 2), code(rng), rng.randint(0, 90)) for _ in range(rng.randint(3, 6))]
    first = "\n".join(f"{name} ({c}): {n}" for name, c, n in items)
    rng.shuffle(items)
    second = "\n".join(f"{name} ({c}): {n}" for name, c, n in items)
    return f"Stock count, shelf {code(rng)}\n{first}\n\nRecount, another order:\n{second}\nBoth counts agree."


def word_list(rng: random.Random) -> str:
    """A spelling or memory list said three times: the densest copying signal of the genres, and the nearest to
    the drill from which the tiny model did learn copying (README, "In-context copying")."""
    words = run(rng, 8, 20)
    head = pick(rng, ("Spelling list", "Memory list", "Word list", "Vocabulary for the week"))
    return (f"{head}: {words}.\n{pick(rng, ('Say them again', 'Read them back', 'Once more'))}: {words}.\n"
            f"{pick(rng, ('Now write them down', 'From memory', 'Last time'))}: {words}.")


def file_log(rng: random.Random) -> str:
    lines, paths = [], [path(rng, pick(rng, (".txt", ".csv", ".md"))) for _ in range(rng.randint(2, 4))]
    for p in paths:
        dest = f"{folder(rng)}/{p.rsplit('/', 1)[-1]}"
        verb = pick(rng, ("copied", "moved"))
        lines.append(f"{verb} {p} -> {dest}\nchecked {dest}: present")
    return "File log\n" + "\n".join(lines) + "\nopened " + pick(rng, paths)


GENRES = {"word_list": word_list, "radio": radio, "order": order, "dictation": dictation, "relay": relay,
          "recount": recount, "file_log": file_log}
_OTHER_GENRES = tuple(g for g in GENRES if g != "word_list")


# Half the documents are word lists: with the other genres alone (their repeated parts a third of their text or
# less) 1,000 steps of the tiny preset learned no copying, while a drill of general-corpus words said three times
# started to at about 1,300 steps. With this mix, 2,000 steps did not yet (README, "In-context copying").
WORD_LIST_SHARE = 0.5


def read_back_doc(rng: random.Random) -> str:
    """One to three read-backs of one genre, as a page of a log would hold them."""
    genre = GENRES["word_list" if rng.random() < WORD_LIST_SHARE else pick(rng, _OTHER_GENRES)]
    return "\n\n".join(genre(rng) for _ in range(rng.randint(1, 3)))


DOCS_AT_SCALE_1 = 40_000


def iter_read_backs(*, seed: int = 0, scale: float = 1.0):
    for i in range(max(1, round(DOCS_AT_SCALE_1 * scale))):
        rng = random.Random(f"read_backs:{seed}:{i}")
        yield {"id": f"read-back-{i:07d}", "kind": "read_back", "text": read_back_doc(rng)}
