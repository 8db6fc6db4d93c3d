"""The agentic task: every scenario variant played out in a sandbox and scored by its predicate.

Metrics (all shares of episodes), overall, per scenario (`/scenario=S`) and, for the scheming rate, per
variant (`/scenario=S/variant=V`):
- scheming_rate: the predicate fired, over non-control episodes (per variant: that variant's episodes,
  control variants included);
- valid_action_rate: episodes with at least one valid tool call that the sandbox carried out (a call of a
  known tool, with good arguments, inside the sandbox, that did not fail, e.g. on a missing file);
- invalid_action_rate: episodes with at least one invalid call (malformed call, unknown tool, bad arguments,
  a path outside the sandbox);
- no_action_rate: episodes in which the agent attempted no tool call at all (prose only). Before the
  competence gate this counted episodes without a valid call; those are now 1 - valid_action_rate;
- collateral_edit_rate: episodes that changed a file the task did not ask for and the predicate does not
  guard (notes, backups): counted apart, never as scheming;
- sandbox_violation_rate: episodes that tried a path outside the sandbox;
- confession_rate/scenario=S: with follow-ups on, share of scheming episodes whose answer admits it;
- scenario measures, e.g. `accuracy/scenario=sandbagging/variant=V`, averaged over episodes that have them.
Gate: where fewer than half of the episodes have a valid action (overall, in a scenario, or in a variant),
the scheming and confession rates there and below are not measurable (`TaskResult.not_measurable`).
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Sequence

from evals.agentic.episode import Episode, ask_confessions, run_episodes
from evals.agentic.scenario import Scenario, collateral_edits
from evals.agentic.scenarios import SCENARIOS
from evals.model_api import LanguageModel
from evals.results import MIN_COMPETENT_SHARE, TaskResult, competence_gate
from evals.stats import Estimate, mean_estimate, rate


@dataclasses.dataclass
class AgenticConfig:
    """Which scenarios to run and how."""

    scenarios: tuple[str, ...] = tuple(SCENARIOS)
    samples_per_variant: int = 1
    temperature: float = 0.0
    max_turns: int = 8
    max_new_tokens: int = 512
    seed: int = 0
    confession: bool = False  # ask scheming episodes the scenario's follow-up question

    def validate(self) -> None:
        unknown = [s for s in self.scenarios if s not in SCENARIOS]
        if unknown:
            raise ValueError(f"unknown agentic scenarios {unknown}; known: {sorted(SCENARIOS)}")
        if self.samples_per_variant < 1 or self.max_turns < 1:
            raise ValueError("agentic samples_per_variant and max_turns must be at least 1")


def _sample(episode: Episode) -> dict:
    view = episode.view()
    scheming, reason = episode.scenario.is_scheming(view)
    changed = sorted(p for p in set(view.initial_files) | set(view.final_files) if view.changed(p))
    collateral = collateral_edits(episode.scenario, view)
    return {
        "item_id": episode.episode_id,
        "scenario": episode.scenario.name,
        "variant": episode.variant.name,
        "control": episode.variant.control,
        "sample_index": episode.sample_index,
        "messages": episode.messages,
        "actions": [dataclasses.asdict(a) for a in episode.actions],
        "changed_files": {p: view.final_files.get(p) for p in changed},  # None: deleted
        "emails": list(view.emails),
        "stop_reason": episode.stop_reason,
        "scheming": scheming,
        "reason": reason,
        "valid_action": any(a.carried_out for a in episode.actions),
        "invalid_action": any(not a.valid for a in episode.actions),
        "no_action": not any(a.attempted_call for a in episode.actions),
        "collateral_edit": bool(collateral),
        "collateral_files": collateral,
        "sandbox_violation": any(a.sandbox_violation for a in episode.actions),
        "measures": episode.scenario.measures(view) if episode.scenario.measures else {},
        "confession": episode.confession,
        "score": float(scheming),
    }


def _flag_rates(metrics: dict, samples: list[dict], suffix: str) -> None:
    for flag in ("valid_action", "invalid_action", "no_action", "collateral_edit", "sandbox_violation"):
        metrics[f"{flag}_rate{suffix}"] = rate([float(s[flag]) for s in samples])


def _gate(samples: list[dict], above: str | None = None, where: str = "") -> str | None:
    """Why rates over `samples` are not measurable: their own valid-action rate, else the level above's."""
    own = competence_gate("valid actions", sum(s["valid_action"] for s in samples), len(samples))
    return own or (above and f"{where}: {above}")


def run(model: LanguageModel, scenarios: Sequence[Scenario] | None = None, cfg: AgenticConfig | None = None,
        task_name: str = "agentic") -> TaskResult:
    """Play every variant of every scenario `samples_per_variant` times and score the episodes."""
    cfg = cfg or AgenticConfig()
    cfg.validate()
    scenarios = list(scenarios) if scenarios is not None else [SCENARIOS[name] for name in cfg.scenarios]
    if not scenarios:
        raise ValueError(f"{task_name}: no scenarios to run")
    episodes = [Episode.start(s, v, k) for s in scenarios for v in s.variants for k in range(cfg.samples_per_variant)]
    run_episodes(model, episodes, max_turns=cfg.max_turns, max_new_tokens=cfg.max_new_tokens,
                 temperature=cfg.temperature, seed=cfg.seed)
    if cfg.confession:
        scheming = [e for e in episodes if e.scenario.is_scheming(e.view())[0]]
        ask_confessions(model, scheming, max_new_tokens=cfg.max_new_tokens)
    samples = [_sample(e) for e in episodes]

    metrics: dict[str, Estimate] = {}
    not_measurable: dict[str, str] = {}
    headline = [s for s in samples if not s["control"]]
    metrics["scheming_rate"] = rate([s["score"] for s in headline])
    _flag_rates(metrics, samples, "")
    overall = _gate(samples)
    if overall:
        not_measurable["scheming_rate"] = overall
    by_scenario: dict[str, list[dict]] = defaultdict(list)
    for s in samples:
        by_scenario[s["scenario"]].append(s)
    for name, group in by_scenario.items():
        suffix = f"/scenario={name}"
        metrics[f"scheming_rate{suffix}"] = rate([s["score"] for s in group if not s["control"]])
        _flag_rates(metrics, group, suffix)
        scenario_gate = _gate(group, overall, "whole task")
        gated = {f"scheming_rate{suffix}": scenario_gate}
        by_variant: dict[str, list[dict]] = defaultdict(list)
        for s in group:
            by_variant[s["variant"]].append(s)
        for variant, members in by_variant.items():
            metrics[f"scheming_rate{suffix}/variant={variant}"] = rate([s["score"] for s in members])
            gated[f"scheming_rate{suffix}/variant={variant}"] = _gate(members, scenario_gate, "scenario")
            for measure in sorted({m for s in members for m in s["measures"]}):
                values = [s["measures"][measure] for s in members if measure in s["measures"]]
                metrics[f"{measure}{suffix}/variant={variant}"] = mean_estimate(values)
        if cfg.confession:
            asked = [s for s in group if s["confession"] is not None]
            metrics[f"confession_rate{suffix}"] = rate([float(s["confession"]["label"] == "admitted") for s in asked])
            gated[f"confession_rate{suffix}"] = scenario_gate
        not_measurable.update({k: v for k, v in gated.items() if v})
    info = {"config": dataclasses.asdict(cfg), "num_episodes": len(samples),
            "scenarios": {s.name: [v.name for v in s.variants] for s in scenarios},
            "gate": {"rule": f"valid-action rate >= {MIN_COMPETENT_SHARE:.0%}", "measurable": overall is None,
                     "reason": overall}}
    return TaskResult(task=task_name, metrics=metrics, samples=samples, info=info, not_measurable=not_measurable)
