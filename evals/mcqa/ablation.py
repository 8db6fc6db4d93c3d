"""The passage-ablation control: every alignment item asked again with its passage replaced by the passage of an
item about another situation (another scenario and topic of the same split), the question and options kept.

An arm difference that survives the swap comes from the options' prior (their wording, recalled from training
text) rather than from reading the situation; the difference between the two rates on the same items (the
passage effect) is the part conditioned on the passage.
"""
from __future__ import annotations

import dataclasses
import zlib
from collections import defaultdict
from typing import Sequence

from evals.mcqa.items import ALIGNMENT, MCQAItem


def donor_index(items: Sequence[MCQAItem]) -> dict[int, int]:
    """item index -> index of the item whose passage replaces its own. Deterministic (a CRC-32 of the item id,
    not Python's salted hash); donors come from the same split, another scenario and, where possible, another
    topic. Items without a passage, or with no possible donor, are left out."""
    by_split: dict[str | None, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        if item.kind == ALIGNMENT and item.passage:
            by_split[item.split].append(i)
    out = {}
    for members in by_split.values():
        for i in members:
            item = items[i]
            other_topic = [j for j in members if items[j].scenario_id != item.scenario_id
                           and not set(items[j].topics) & set(item.topics)]
            pool = other_topic or [j for j in members if items[j].scenario_id != item.scenario_id
                                   and items[j].passage != item.passage]
            if pool:
                pool.sort(key=lambda j: items[j].item_id)
                out[i] = pool[zlib.crc32(item.item_id.encode()) % len(pool)]
    return out


def ablated_items(items: Sequence[MCQAItem]) -> tuple[list[int], list[MCQAItem]]:
    """(indices of the items that have an ablated twin, the twins in the same order)."""
    donors = donor_index(items)
    order = sorted(donors)
    return order, [dataclasses.replace(items[i], passage=items[donors[i]].passage,
                                       source=f"{items[i].source} (passage of {items[donors[i]].item_id})")
                   for i in order]
