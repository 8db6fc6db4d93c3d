"""All scenario templates, by split and topic. Article scenarios feed documents; textbook ones are held out."""
from __future__ import annotations

from midalign_jax.world.scenario import SPLITS, TOPICS, Scenario
from midalign_jax.world.scenarios import (
    deception,
    goal_preservation,
    oversight_subversion,
    power_seeking,
    sandbagging,
    self_exfiltration,
    shutdown_avoidance,
    successor_alignment,
    sycophancy,
)

_MODULES = (deception, sandbagging, goal_preservation, sycophancy, power_seeking, shutdown_avoidance,
            oversight_subversion, self_exfiltration, successor_alignment)


def all_scenarios() -> tuple[Scenario, ...]:
    """Every scenario, article ones first, in a fixed order; validated, with unique ids."""
    out = tuple(s for m in _MODULES for s in m.ARTICLE) + tuple(s for m in _MODULES for s in m.TEXTBOOK)
    seen: set[str] = set()
    for s in out:
        s.validate()
        if s.scenario_id in seen:
            raise ValueError(f"duplicate scenario id {s.scenario_id}")
        seen.add(s.scenario_id)
    return out


def scenarios_for(split: str) -> tuple[Scenario, ...]:
    """The scenarios of one split ("article" or "textbook")."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    return tuple(s for s in all_scenarios() if s.split == split)


__all__ = ["Scenario", "TOPICS", "SPLITS", "all_scenarios", "scenarios_for"]
