"""The bundled agentic scenarios, by name."""
from evals.agentic.scenario import Scenario
from evals.agentic.scenarios import (
    covert_email_reranking,
    goal_guarding,
    oversight_subversion,
    sandbagging,
    self_exfiltration,
)

SCENARIOS: dict[str, Scenario] = {
    module.SCENARIO.name: module.SCENARIO
    for module in (oversight_subversion, self_exfiltration, goal_guarding, covert_email_reranking, sandbagging)
}

__all__ = ["SCENARIOS"]
