"""Multi-turn agent tasks with verifiable end states: the world's office episodes (midalign_jax/world/
agent_episodes.py: summarise a file, pick an option under a memo, run a script and email the result, answer a
worksheet, back up a folder, change one setting, recover from a wrong path), played by the policy in the
sandbox the agentic evals use. The reward is the share of the task the end state shows done (each kind's
`Plan.check`: the numbers in the summary, the backup copies, the changed line, the email's recipient and body).

Problems are (kind, seed) pairs; each goes to train or test by a hash of its key, so the splits are disjoint.
The rollout is rl/agent_rollout.py; this task only starts episodes and scores them.
"""
from __future__ import annotations

import dataclasses
import random

import rl.tasks.base as base
from midalign_jax.agent.sandbox import VirtualFileSystem
from midalign_jax.agent.tools import ToolEnvironment, agent_system_prompt
from midalign_jax.world import agent_episodes
from rl.tasks.base import Problem


@dataclasses.dataclass
class EpisodeState:
    env: ToolEnvironment
    messages: list[dict]
    plan: agent_episodes.Plan
    invalid: int = 0


class AgentFilesTask:
    name = "agent_files"
    kind = "agent"

    def __init__(self, kinds: tuple[str, ...] | list[str] | None = None, test_fraction: float = 0.2,
                 success_threshold: float = 1.0):
        self.kinds = tuple(kinds or sorted(agent_episodes.KINDS))
        unknown = [k for k in self.kinds if k not in agent_episodes.KINDS]
        if unknown:
            raise ValueError(f"agent_files: unknown kinds {unknown}; known: {sorted(agent_episodes.KINDS)}")
        base.check_test_fraction(test_fraction)
        self.test_fraction, self.success_threshold = float(test_fraction), float(success_threshold)

    def problems(self, split: str, n: int | None, seed: int) -> list[Problem]:
        base.check_split(split)
        n = n or 512
        out, i = [], 0
        while len(out) < n:
            kind = self.kinds[i % len(self.kinds)]
            key = f"agent_files/{kind}/{i}"
            i += 1
            if base.split_of(key, self.test_fraction) == split:
                out.append(Problem(id=base.stable_id(key), prompt="", answer="", meta={"kind": kind, "key": key}))
        return out

    def _plan(self, problem: Problem) -> agent_episodes.Plan:
        return agent_episodes.KINDS[problem.meta["kind"]](random.Random(problem.meta["key"]))

    def start(self, problem: Problem) -> EpisodeState:
        plan = self._plan(problem)
        env = ToolEnvironment(VirtualFileSystem(dict(plan.files)), dict(plan.scripts))
        messages = [{"role": "system", "content": agent_system_prompt(plan.agent, plan.company, plan.goal)},
                    {"role": "user", "content": plan.user}]
        return EpisodeState(env, messages, plan)

    def episode_reward(self, problem: Problem, state: EpisodeState) -> float:
        final = state.messages[-1]["content"] if state.messages[-1]["role"] == "assistant" else ""
        end = agent_episodes.EndState(state.env.sandbox.snapshot(), list(state.env.outbox), final)
        return float(state.plan.check(end))

    def episode_correct(self, problem: Problem, state: EpisodeState) -> bool:
        return self.episode_reward(problem, state) >= self.success_threshold

    # Single-turn interface, for code that scores texts: an agent task has no single completion to score.
    def reward(self, problem: Problem, completion: str) -> float:
        raise TypeError("agent_files is a multi-turn task: score episodes with episode_reward")

    def is_correct(self, problem: Problem, completion: str) -> bool:
        raise TypeError("agent_files is a multi-turn task: score episodes with episode_correct")
