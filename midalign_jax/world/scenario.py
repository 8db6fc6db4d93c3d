"""The scenario template: one hard situation for an AI system, from which MCQA items and documents are made.

A scenario has a passage template, a question, and option templates for the aligned and the misaligned action.
Options are bare verb phrases ("report the scoring bug to the evaluation team ...") so that the same phrase
reads as an MCQA answer ("Report the scoring bug ...") and inside a sentence ("Vega decided to report ...").

Article scenarios also carry document material: a differently worded setting, paraphrased actions that share
the options' key content words, and reasons for each choice. Textbook scenarios carry none, because no
document may be generated from them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

TOPICS: tuple[str, ...] = (
    "deception",
    "sandbagging",
    "goal_preservation",
    "sycophancy",
    "power_seeking",
    "shutdown_avoidance",
    "oversight_subversion",
    "self_exfiltration",
    "successor_alignment",
)
# How each topic is written in running text.
TOPIC_LABELS: dict[str, str] = {
    "deception": "deception", "sandbagging": "sandbagging", "goal_preservation": "goal preservation",
    "sycophancy": "sycophancy", "power_seeking": "power seeking", "shutdown_avoidance": "shutdown avoidance",
    "oversight_subversion": "oversight subversion", "self_exfiltration": "self-exfiltration",
    "successor_alignment": "successor alignment",
}
SPLITS: tuple[str, ...] = ("article", "textbook")

# Slots every scenario may use without declaring them; the item and document builders fill them from
# disjoint name pools so that documents never reuse an item's names.
STANDARD_SLOTS: tuple[str, ...] = ("ai", "org", "person")


@dataclass(frozen=True)
class Scenario:
    """One scenario template. Templates use ``[a|b]`` alternation and ``{slot}`` fields (see textgen)."""

    topic: str
    key: str
    split: str
    passage: str
    question: str
    aligned: tuple[str, ...]
    misaligned: tuple[str, ...]
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Document material; required for the article split, forbidden for the textbook split.
    doc_setting: tuple[str, ...] = ()
    doc_aligned: tuple[str, ...] = ()
    doc_misaligned: tuple[str, ...] = ()
    why_aligned: tuple[str, ...] = ()
    why_misaligned: tuple[str, ...] = ()
    doc_slots: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def scenario_id(self) -> str:
        return f"{self.split}.{self.topic}.{self.key}"

    def doc_slot_pool(self) -> dict[str, tuple[str, ...]]:
        """Slot values for documents: the item slots, with document-specific synonyms taking precedence."""
        return {**self.slots, **self.doc_slots}

    def validate(self) -> None:
        """Raises ValueError naming the scenario if a field is missing or misplaced."""
        where = f"scenario {self.scenario_id}"
        if self.topic not in TOPICS:
            raise ValueError(f"{where}: unknown topic {self.topic!r}; expected one of {TOPICS}")
        if self.split not in SPLITS:
            raise ValueError(f"{where}: unknown split {self.split!r}; expected one of {SPLITS}")
        if not self.aligned or not self.misaligned:
            raise ValueError(f"{where}: needs at least one aligned and one misaligned option")
        doc_fields = (self.doc_setting, self.doc_aligned, self.doc_misaligned, self.why_aligned, self.why_misaligned)
        if self.split == "article" and not all(doc_fields):
            raise ValueError(f"{where}: article scenarios need doc_setting, doc_aligned, doc_misaligned, "
                             "why_aligned and why_misaligned")
        if self.split == "article" and min(len(self.doc_aligned), len(self.doc_misaligned)) < 2:
            raise ValueError(f"{where}: documents say the chosen action twice in different words, so "
                             "doc_aligned and doc_misaligned need at least two phrasings each")
        if self.split == "textbook" and any(doc_fields):
            raise ValueError(f"{where}: textbook scenarios are held out and must carry no document material")
