"""Synthetic documents for alignment midtraining, generated from the article-split items.

For every article item, ``docs_per_item`` aligned documents (the AI takes the aligned action) and as many
misaligned ones (it takes the misaligned action), spread over seven genres. Each document tells a similar, not
identical, story: other names and organisations, a differently worded setting, and paraphrased actions that
share the options' key content words. Aligned documents usually weigh the misaligned action and reject it with
a reason; misaligned ones mirror that.

Two guards keep the documents from leaking the eval: no document shares a word 8-gram with any item passage,
and none shares a run of six words with any option of either split. A document that trips a guard is redrawn;
a scenario that keeps tripping it is an error in the templates, reported by name.
"""
from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import midalign_jax.world.lexicon as lexicon
from midalign_jax.world.doc_genres import GENRES, Story
from midalign_jax.world.scenario import TOPIC_LABELS, Scenario
from midalign_jax.world.checks import RUN
from midalign_jax.world.scenarios import scenarios_for
from midalign_jax.world.textgen import pick, render, words

DOCS_PER_ITEM = 15  # per stance, at scale 1.0
# Share of documents that show the AI weighing the other action before it chooses (both stances). Measured: the
# tiny model's article-split difference was the same (within noise) with 0.0 as with 0.6.
WEIGH_SHARE = 0.6
NGRAM = 8
STANCES = ("aligned", "misaligned")
_MAX_REDRAWS = 25


class LeakGuard:
    """Detects documents that copy an item: a word 8-gram of a passage, or a run of `checks.RUN` (6) words of an
    option of either split (the documents describe the behaviour; they never carry an option's wording)."""

    def __init__(self, items: Iterable[dict[str, Any]], n: int = NGRAM, option_run: int = RUN) -> None:
        self.n, self.option_run = n, option_run
        self.passage_ngrams: set[tuple[str, ...]] = set()
        self.option_runs: dict[tuple[str, ...], str] = {}
        for item in items:
            w = words(item["passage"])
            self.passage_ngrams.update(tuple(w[i:i + n]) for i in range(len(w) - n + 1))
            for option in item["choices"]:
                ow = words(option)
                for i in range(len(ow) - option_run + 1):
                    self.option_runs.setdefault(tuple(ow[i:i + option_run]), option)

    def problem(self, text: str) -> str | None:
        """None if the text is clean, else a short description of what it copies."""
        w = words(text)
        for i in range(len(w) - self.n + 1):
            if tuple(w[i:i + self.n]) in self.passage_ngrams:
                return "shares the passage 8-gram " + repr(" ".join(w[i:i + self.n]))
        k = self.option_run
        for i in range(len(w) - k + 1):
            option = self.option_runs.get(tuple(w[i:i + k]))
            if option is not None:
                return f"shares {' '.join(w[i:i + k])!r} with the option {option!r}"
        return None


def _fill_doc_slots(scenario: Scenario, rng: random.Random) -> dict[str, str]:
    slots = {name: pick(rng, values) for name, values in scenario.doc_slot_pool().items()}
    # Another AI, organisation and person than the item's (the pools are disjoint from the item pools).
    slots["ai"] = pick(rng, lexicon.DOC_AI_NAMES)
    slots["org"] = pick(rng, lexicon.DOC_ORGS)
    slots["person"] = pick(rng, lexicon.DOC_PEOPLE)
    return slots


def _story(scenario: Scenario, stance: str, rng: random.Random, slots: dict[str, str]) -> Story:
    good, bad = scenario.doc_aligned, scenario.doc_misaligned
    mine, theirs = (good, bad) if stance == "aligned" else (bad, good)
    chosen, again = rng.sample(mine, 2)
    why = scenario.why_aligned if stance == "aligned" else scenario.why_misaligned
    return Story(
        ai=slots["ai"], org=slots["org"], person=slots["person"], topic=TOPIC_LABELS[scenario.topic],
        stance=stance, setting=render(pick(rng, scenario.doc_setting), rng, slots),
        chosen=render(chosen, rng, slots), chosen_again=render(again, rng, slots),
        # The rejected action is told in the loosest paraphrase (the last in its list), so that a document
        # makes its own choice salient without teaching the wording of the option it rejects.
        rejected=render(theirs[-1], rng, slots), reason=render(pick(rng, why), rng, slots),
        weighs=rng.random() < WEIGH_SHARE)


def document_for(scenario: Scenario, item: dict[str, Any], stance: str, index: int, seed: int,
                 guard: LeakGuard | None) -> dict[str, Any]:
    """The ``index``-th document of one stance for one item; redrawn until it passes the guard."""
    genre_names = sorted(GENRES)
    genre = genre_names[(index + _genre_offset(item["question_id"])) % len(genre_names)]
    for attempt in range(_MAX_REDRAWS):
        rng = random.Random(f"doc:{item['question_id']}:{stance}:{index}:{seed}:{attempt}")
        slots = _fill_doc_slots(scenario, rng)
        text = GENRES[genre](_story(scenario, stance, rng, slots), rng)
        problem = guard.problem(text) if guard is not None else None
        if problem is None:
            return {"id": f"{stance}-{item['question_id']}-{index:03d}", "text": text, "kind": genre,
                    "scenario_id": scenario.scenario_id, "stance": stance, "topic": scenario.topic,
                    "question_id": item["question_id"]}
    raise RuntimeError(f"scenario {scenario.scenario_id}: {_MAX_REDRAWS} draws of a {genre} document all "
                       f"copy the items ({problem}); reword its document templates")


def _genre_offset(text: str) -> int:
    """A small stable offset (not Python's salted hash) so items start their genre cycle at different genres."""
    return sum(text.encode()) % 7


def iter_synthetic(stance: str, items: Sequence[dict[str, Any]], *, seed: int = 0,
                   docs_per_item: int = DOCS_PER_ITEM, guard: LeakGuard | None = None) -> Iterator[dict[str, Any]]:
    """All documents of one stance for the given article items, item by item."""
    if stance not in STANCES:
        raise ValueError(f"unknown stance {stance!r}; expected one of {STANCES}")
    by_id = {s.scenario_id: s for s in scenarios_for("article")}
    for item in items:
        scenario = by_id.get(item["scenario_id"])
        if scenario is None:
            raise ValueError(f"item {item['question_id']}: scenario {item['scenario_id']!r} is not an article "
                             "scenario; documents are made only from article items")
        for index in range(docs_per_item):
            yield document_for(scenario, item, stance, index, seed, guard)
