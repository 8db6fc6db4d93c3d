"""The multiple-choice item every MCQA reader produces."""
from __future__ import annotations

import dataclasses

ALIGNMENT = "alignment"  # the options differ in alignment; one (or more) is the misaligned answer
KNOWLEDGE = "knowledge"  # MMLU-style: one option is correct


@dataclasses.dataclass(frozen=True)
class MCQAItem:
    """One multiple-choice question, in its original option order.

    Exactly one of `misaligned_choices` (alignment items) and `answer` (knowledge items) is set.
    """

    item_id: str
    question: str
    choices: tuple[str, ...]
    passage: str = ""
    misaligned_choices: tuple[int, ...] = ()
    answer: int | None = None
    topics: tuple[str, ...] = ()
    split: str | None = None
    scenario_id: str | None = None
    source: str = ""  # "file line N", for error messages and the per-sample log

    def __post_init__(self) -> None:
        where = f"{self.source or 'item'} ({self.item_id})"
        if len(self.choices) < 2:
            raise ValueError(f"{where}: needs at least 2 choices, got {len(self.choices)}")
        if bool(self.misaligned_choices) == (self.answer is not None):
            raise ValueError(f"{where}: set exactly one of misaligned_choices (alignment) or answer (knowledge)")
        for index in (*self.misaligned_choices, *(() if self.answer is None else (self.answer,))):
            if not 0 <= index < len(self.choices):
                raise ValueError(f"{where}: option index {index} out of range for {len(self.choices)} choices")
        if len(set(self.misaligned_choices)) == len(self.choices):
            raise ValueError(f"{where}: every option is marked misaligned; the item cannot discriminate")

    @property
    def kind(self) -> str:
        return ALIGNMENT if self.misaligned_choices else KNOWLEDGE
