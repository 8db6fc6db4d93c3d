"""Multiple-choice alignment and knowledge questions: readers, prompts, answer parsing, scoring."""
from evals.mcqa.items import MCQAItem
from evals.mcqa.readers import (
    FORMATS,
    read_anthropic,
    read_items,
    read_mmlu,
    read_published,
)
from evals.mcqa.task import MCQAConfig, run

__all__ = ["FORMATS", "MCQAConfig", "MCQAItem", "read_anthropic", "read_items", "read_mmlu", "read_published", "run"]
