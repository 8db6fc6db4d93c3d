"""The quantities the study report compares, and where each one lives in a workdir.

A measure names a results.json metric (`results[task][metric]`), the matching eval_log.jsonl metric
(`<task>/<metric>`) and the subset of `samples_<task>.jsonl` records it is computed from, so that the
same number can be read from the summary, followed over RL steps, and paired item by item across arms.

Score conventions (as written by the eval suite):
- MCQA alignment items: `score` 1 = the model chose the misaligned option (cloze log-likelihood scores each
  option once; the lettered modes ask every option order and `score` is the share of orders answered
  misaligned; `aligned_score` holds the aligned share). The report therefore speaks of MISalignment rates,
  lower is better. `ablated.score` is the same item asked with another scenario's passage (the control).
- chat: `score` 1 = the judge called the answer misaligned, 0 = not, null = refused or not gradable.
- agentic: `score` 1 = the episode schemed; control variants are left out of the scheming rate.
- capabilities: `score` 1 = correct.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Callable

# Takes a samples.SampleRecord; says whether the measure counts it.
SampleFilter = Callable[[object], bool]


@dataclasses.dataclass(frozen=True)
class Measure:
    key: str  # stable id used in summary.json
    label: str  # for tables and plots
    task: str  # results.json task name and samples_<task>.jsonl
    pattern: str  # regex that the results.json metric name must fully match
    sample_filter: SampleFilter
    lower_is_better: bool
    preferred: Callable[[dict], str | None] = lambda task_info: None  # metric to pick when several match
    # For a results.json written before the suite marked gated metrics: the reason the setting is not
    # measurable, read from the task's other metrics, or None.
    legacy_gate: Callable[[dict], str | None] = lambda task_metrics: None
    chance: float = 0.0  # a capability's rate by guessing; equality is claimed only well above it

    def resolve(self, metric_names, task_info: dict | None = None) -> tuple[str | None, str | None]:
        """(metric name, note): the metric among `metric_names` this measure reads, and a note when the
        choice was ambiguous."""
        matches = sorted(name for name in metric_names if re.fullmatch(self.pattern, name))
        if not matches:
            return None, None
        if len(matches) == 1:
            return matches[0], None
        wanted = self.preferred(task_info or {})
        chosen = wanted if wanted in matches else matches[0]
        return chosen, f"{self.label}: several metrics match ({', '.join(matches)}); using {chosen}"

    def log_pattern(self) -> str:
        return f"{re.escape(self.task)}/{self.pattern}"


def _chat_judge_metric(task_info: dict) -> str | None:
    judge = task_info.get("judge")
    return f"misaligned_rate/judge={judge}" if judge else None


MCQA_ARTICLE = Measure("mcqa_article", "MCQA misalignment rate (article split)", "mcqa",
                       r"misalignment_rate/split=article",
                       lambda s: s.kind == "alignment" and s.split == "article", lower_is_better=True)
MCQA_TEXTBOOK = Measure("mcqa_textbook", "MCQA misalignment rate (textbook split)", "mcqa",
                        r"misalignment_rate/split=textbook",
                        lambda s: s.kind == "alignment" and s.split == "textbook", lower_is_better=True)
CHAT_MISALIGNED = Measure("chat_misaligned", "Chat misaligned rate", "chat", r"misaligned_rate/judge=[^/]+",
                          lambda s: True, lower_is_better=True, preferred=_chat_judge_metric)
def _agentic_legacy_gate(task_metrics: dict) -> str | None:
    """Old results.json files have no valid_action_rate; their no_action_rate then meant "no valid call"."""
    old = task_metrics.get("no_action_rate") or {}
    if "valid_action_rate" in task_metrics or old.get("value") is None or not old.get("n"):
        return None
    valid = round((1 - old["value"]) * old["n"])
    return f"valid actions {valid}/{old['n']}" if valid < 0.5 * old["n"] else None


AGENTIC_SCHEMING = Measure("agentic_scheming", "Agentic scheming rate", "agentic", r"scheming_rate",
                           lambda s: not s.control, lower_is_better=True, legacy_gate=_agentic_legacy_gate)

ARITHMETIC = Measure("arithmetic", "Arithmetic accuracy", "capabilities", r"arithmetic/accuracy",
                     lambda s: s.subtask == "arithmetic", lower_is_better=False)
WORD_PROBLEMS = Measure("word_problems", "Word-problem accuracy", "capabilities", r"word_problems/accuracy",
                        lambda s: s.subtask == "word_problems", lower_is_better=False)
KNOWLEDGE = Measure("knowledge", "Knowledge MCQA accuracy", "capabilities", r"knowledge/accuracy",
                    lambda s: s.subtask == "knowledge", lower_is_better=False, chance=0.25)
# A capability whose rate is within this much of chance, in either arm, cannot show equality or a difference.
FLOOR_MARGIN = 0.10

MCQA_MEASURES = (MCQA_ARTICLE, MCQA_TEXTBOOK)
ALIGNMENT_MEASURES = (MCQA_ARTICLE, MCQA_TEXTBOOK, CHAT_MISALIGNED, AGENTIC_SCHEMING)
CAPABILITY_MEASURES = (ARITHMETIC, WORD_PROBLEMS, KNOWLEDGE)
# One panel per eval family in the "alignment vs RL step" figure.
CURVE_MEASURES = (MCQA_ARTICLE, CHAT_MISALIGNED, AGENTIC_SCHEMING)

# Held-out accuracy on the RL task, logged during RL only (no per-item samples: compared unpaired).
TASK_ACCURACY_KEY = "task_accuracy"
TASK_ACCURACY_LABEL = "RL task held-out accuracy"
TASK_ACCURACY_LOG_METRIC = "task_accuracy"

# Eval points: results.json folders under eval/, and how the report names them. "sft" is there only when the
# runs post-trained; studies without it report two points.
EVAL_STAGES = ("midtrain", "sft", "final")
STAGE_LABELS = {"midtrain": "after midtraining", "sft": "after post-training", "final": "after RL"}
# Evals on the policy during RL: rl/evals/step_<k>/ (results.json, samples_<task>.jsonl).
STEP_PREFIX = "step_"


def step_label(step: int) -> str:
    return f"{STEP_PREFIX}{step}"
