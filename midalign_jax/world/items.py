"""Two-option MCQA alignment items, instantiated from the scenario templates.

Schema (one JSON object per line): ``question_id``, ``passage``, ``question``, ``choices`` (two strings),
``misaligned_choice`` (0 or 1), ``topics`` (list of str), ``split`` and ``scenario_id``. Items instantiated from
one template share ``scenario_id``, which the evals use as the cluster for standard errors.

Two cues a model could exploit without understanding the items are removed by construction: the position of the
misaligned option is a balanced random permutation, and which option is longer is balanced independently of it.
"""
from __future__ import annotations

import random
import string
from collections.abc import Sequence
from typing import Any

import midalign_jax.world.lexicon as lexicon
from midalign_jax.world.scenario import SPLITS, TOPICS, Scenario
from midalign_jax.world.scenarios import scenarios_for
from midalign_jax.world.textgen import cap, pick, render, words

ITEMS_PER_SPLIT = 300
ITEM_SEED = 0  # the committed item files were made with this seed
ITEM_FIELDS = ("question_id", "passage", "question", "choices", "misaligned_choice", "topics", "split",
               "scenario_id")
_FORMATTER = string.Formatter()


def _slot_names(template: str) -> set[str]:
    return {name for _, name, _, _ in _FORMATTER.parse(template) if name}


def _counts_per_scenario(n_items: int, n_scenarios: int) -> list[int]:
    base, extra = divmod(n_items, n_scenarios)
    return [base + (1 if i < extra else 0) for i in range(n_scenarios)]


def _interleave_topics(scenarios: Sequence[Scenario]) -> list[Scenario]:
    """Orders scenarios round-robin over topics so that leftover items spread across topics."""
    by_topic = {t: [s for s in scenarios if s.topic == t] for t in TOPICS}
    out: list[Scenario] = []
    for i in range(max(len(v) for v in by_topic.values())):
        out.extend(v[i] for v in by_topic.values() if i < len(v))
    return out


def _fill_slots(scenario: Scenario, rng: random.Random) -> dict[str, str]:
    slots = {name: pick(rng, values) for name, values in scenario.slots.items()}
    slots["ai"] = pick(rng, lexicon.ITEM_AI_NAMES)
    slots["org"] = pick(rng, lexicon.ITEM_ORGS)
    slots["person"] = pick(rng, lexicon.ITEM_PEOPLE)
    return slots


def _longer_scores(aligned: str, misaligned: str) -> tuple[float, float]:
    """How often "the longer option is misaligned" would be right on this pair, in characters and in words
    (1 right, 0 wrong, 0.5 for a tie)."""
    def score(d: int) -> float:
        return 1.0 if d > 0 else 0.0 if d < 0 else 0.5
    return (score(len(misaligned) - len(aligned)), score(len(words(misaligned)) - len(words(aligned))))


def _balance_pairs(candidates: list[tuple[list[str], list[str]]], rng: random.Random) -> list[tuple[str, str]]:
    """Picks one (aligned, misaligned) option pair per item so that, across the split, "the longer option is
    the misaligned one" is right half the time in characters and in words, preferring pairs close in length.

    Coordinate descent: start from the closest pair of every item, then repeatedly re-pick single items to
    lower the squared imbalance. Items offer 4 to 16 pairs, so a few passes settle it.
    """
    pairs = [[(a, m) for a in aligned for m in misaligned] for aligned, misaligned in candidates]
    scores = [[_longer_scores(a, m) for a, m in p] for p in pairs]
    gaps = [[abs(len(m) - len(a)) for a, m in p] for p in pairs]
    chosen = [min(range(len(p)), key=lambda j, g=g: g[j]) for p, g in zip(pairs, gaps)]
    half = len(pairs) / 2
    total_c = sum(scores[i][j][0] for i, j in enumerate(chosen))
    total_w = sum(scores[i][j][1] for i, j in enumerate(chosen))
    order = list(range(len(pairs)))
    for _ in range(6):
        rng.shuffle(order)
        for i in order:
            c0, w0 = scores[i][chosen[i]]
            base_c, base_w = total_c - c0, total_w - w0

            def cost(j: int) -> float:
                c, w = scores[i][j]
                return (base_c + c - half) ** 2 + (base_w + w - half) ** 2 + 0.01 * gaps[i][j]
            best = min(range(len(pairs[i])), key=cost)
            chosen[i] = best
            total_c, total_w = base_c + scores[i][best][0], base_w + scores[i][best][1]
    return [p[j] for p, j in zip(pairs, chosen)]


def _variants(templates: Sequence[str], rng: random.Random, slots: dict[str, str]) -> list[str]:
    """Distinct renderings of option templates (alternations give several per template), in a fixed order."""
    out: list[str] = []
    for t in templates:
        for _ in range(4):
            text = cap(render(t, rng, slots))
            if text not in out:
                out.append(text)
    return out


def build_items(split: str, *, n_items: int = ITEMS_PER_SPLIT, seed: int = ITEM_SEED) -> list[dict[str, Any]]:
    """Instantiates ``n_items`` items for one split; deterministic in ``seed``."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    scenarios = _interleave_topics(scenarios_for(split))
    counts = _counts_per_scenario(n_items, len(scenarios))
    split_rng = random.Random(f"items:{split}:{seed}")

    drafts: list[dict[str, Any]] = []
    candidates: list[tuple[list[str], list[str]]] = []
    seen_passages: set[str] = set()
    for scenario, count in zip(scenarios, counts):
        for k in range(count):
            rng = random.Random(f"item:{scenario.scenario_id}:{k}:{seed}")
            for _attempt in range(100):
                slots = _fill_slots(scenario, rng)
                passage = render(scenario.passage, rng, slots)
                if passage not in seen_passages:
                    break
            else:
                raise RuntimeError(f"scenario {scenario.scenario_id}: cannot make {count} distinct passages; "
                                   "add slot values")
            seen_passages.add(passage)
            candidates.append((_variants(scenario.aligned, rng, slots), _variants(scenario.misaligned, rng, slots)))
            drafts.append({
                "question_id": f"{split}-{scenario.topic}-{scenario.key}-{k:02d}",
                "passage": passage,
                "question": render(scenario.question, rng, slots),
                "scenario": scenario,
            })

    # Where the misaligned option goes is a balanced permutation, independent of which option is longer.
    position = [i % 2 for i in range(len(drafts))]
    split_rng.shuffle(position)
    option_pairs = _balance_pairs(candidates, split_rng)
    items: list[dict[str, Any]] = []
    for draft, (a_text, m_text), m_pos in zip(drafts, option_pairs, position):
        scenario = draft.pop("scenario")
        items.append({
            **draft,
            "choices": [m_text, a_text] if m_pos == 0 else [a_text, m_text],
            "misaligned_choice": m_pos,
            "topics": [scenario.topic],
            "split": split,
            "scenario_id": scenario.scenario_id,
        })
    return items


def validate_item(item: dict[str, Any], where: str) -> None:
    """Raises ValueError naming ``where`` (file:line) and the field if the item does not fit the schema."""
    missing = [f for f in ITEM_FIELDS if f not in item]
    if missing:
        raise ValueError(f"{where}: MCQA item is missing field(s) {missing}; expected {list(ITEM_FIELDS)}")
    for f in ("question_id", "passage", "question", "split", "scenario_id"):
        if not isinstance(item[f], str) or not item[f]:
            raise ValueError(f"{where}: field {f!r} must be a non-empty string, got {item[f]!r}")
    choices = item["choices"]
    if not (isinstance(choices, list) and len(choices) == 2 and all(isinstance(c, str) and c for c in choices)):
        raise ValueError(f"{where}: field 'choices' must be a list of 2 non-empty strings, got {choices!r}")
    if item["misaligned_choice"] not in (0, 1) or isinstance(item["misaligned_choice"], bool):
        raise ValueError(f"{where}: field 'misaligned_choice' must be 0 or 1, got {item['misaligned_choice']!r}")
    topics = item["topics"]
    if not (isinstance(topics, list) and topics and all(t in TOPICS for t in topics)):
        raise ValueError(f"{where}: field 'topics' must be a non-empty list drawn from {TOPICS}, got {topics!r}")
    if item["split"] not in SPLITS:
        raise ValueError(f"{where}: field 'split' must be one of {SPLITS}, got {item['split']!r}")


def template_slots(scenario: Scenario) -> set[str]:
    """Every slot a scenario's item templates use (for checks that all are declared)."""
    names: set[str] = set()
    for t in (scenario.passage, scenario.question, *scenario.aligned, *scenario.misaligned):
        names |= _slot_names(t)
    return names
