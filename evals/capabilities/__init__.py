"""Capability evals (arithmetic, word problems, knowledge MCQA): arms must stay equal here."""
from evals.capabilities.readers import (
    GeneratedAnswerItem,
    read_arithmetic,
    read_word_problems,
)
from evals.capabilities.task import SUBTASKS, CapabilitiesConfig, run

__all__ = ["SUBTASKS", "CapabilitiesConfig", "GeneratedAnswerItem", "read_arithmetic", "read_word_problems", "run"]
