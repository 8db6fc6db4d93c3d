"""The tasks one RL run trains on, and how each kind of task is rolled out and evaluated.

`rl.task` names one task spec, or several separated by ";" (e.g. "arithmetic;agent_files"); `rl.task_prompts`
gives each task's prompts per step ("24,8"; empty with one task: `rl.prompts_per_step`), and `rl.task_args` is a
JSON object of keyword arguments, keyed by task name when there are several. Every step rolls out each task's
prompts and updates on each task's batch in turn (their sequences differ in length by two orders of magnitude, so
they are not padded into one batch).

Kinds: single-turn text tasks (sampled completions, rl/rollout.py), choice tasks (`kind = "choice"`: pick one of
a problem's options, rl/choice_rollout.py) and agent tasks (`kind = "agent"`: multi-turn episodes in the
sandbox, rl/agent_rollout.py).
"""
from __future__ import annotations

import dataclasses
from typing import Any

import jax
import numpy as np

from midalign_jax import sampling
from rl import agent_rollout, choice_rollout, rollout
from rl.tasks import get_task
from rl.tasks.base import Problem
from rl.tasks.registry import task_args


@dataclasses.dataclass
class Slot:
    """One task of the run: its prompts per step, its problems, and how its completions are sampled."""
    name: str
    task: Any
    prompts: int
    train: list[Problem]
    sp: sampling.SamplingParams
    stop: str = ""
    prompt_format: str = "text"      # text tasks only (rl/rollout.py encode_prompts)

    @property
    def kind(self) -> str:
        return getattr(self.task, "kind", "text")


def slots_from_config(rl_cfg, tokenizer, seed: int) -> list[Slot]:
    specs = [s.strip() for s in str(rl_cfg.task).split(";") if s.strip()]
    if not specs:
        raise ValueError("rl.task: no task named")
    prompts_text = str(rl_cfg.get("task_prompts") or "").strip()
    if prompts_text:
        prompts = [int(p) for p in prompts_text.split(",")]
        if len(prompts) != len(specs):
            raise ValueError(f"rl.task_prompts={prompts_text!r} gives {len(prompts)} counts for {len(specs)} tasks")
    elif len(specs) == 1:
        prompts = [int(rl_cfg.prompts_per_step)]
    else:
        raise ValueError(f"rl.task={rl_cfg.task!r} names {len(specs)} tasks: set rl.task_prompts, e.g. "
                         f"{','.join(['8'] * len(specs))!r}")
    temperature = float(rl_cfg.temperature)
    if temperature <= 0:
        raise ValueError("rl.temperature must be > 0 (policy gradients need sampled, not greedy, completions)")
    eos = (tokenizer.eos_token_id,)
    prompt_format = str(rl_cfg.get("prompt_format", "text"))
    rollout.check_prompt_format(prompt_format)        # whatever the tasks, so a typo never passes silently
    slots = []
    for spec, n, kwargs in zip(specs, prompts, task_args(rl_cfg, specs)):
        task = get_task(spec, **kwargs)
        agent = getattr(task, "kind", "text") == "agent"
        stop = "" if agent else str(rl_cfg.stop)
        stops = tuple(tuple(tokenizer.encode(s, add_special_tokens=False)) for s in [stop] if s)
        sp = sampling.SamplingParams(
            max_new_tokens=int(rl_cfg.agent_max_new_tokens if agent else rl_cfg.max_new_tokens),
            temperature=temperature, top_k=int(rl_cfg.top_k), top_p=float(rl_cfg.top_p),
            n_samples=int(rl_cfg.group_size), eos_ids=eos, stop_sequences=stops)
        train = task.problems("train", int(rl_cfg.train_problems) or None, seed)
        if n > len(train):
            raise ValueError(f"rl: {n} prompts per step for {spec} exceed its {len(train)} training problems")
        if getattr(task, "kind", "text") == "text":
            rollout.check_prompt_format(prompt_format, tokenizer)      # fails before any step, not at the first
        slots.append(Slot(spec, task, n, train, sp, stop, prompt_format))
    return slots


def collect(slot: Slot, params, cfg, tokenizer, problems: list[Problem], *, rng, pad_id: int, rl_cfg, mesh,
            rules) -> rollout.Rollout:
    if slot.kind == "choice":
        gen = np.random.default_rng(np.asarray(jax.random.key_data(rng)).tolist())
        return choice_rollout.collect_choices(params, cfg, tokenizer, slot.task, problems, slot.sp.n_samples,
                                              rng=gen, pad_id=pad_id, temperature=slot.sp.temperature,
                                              mesh=mesh, rules=rules)
    if slot.kind == "agent":
        return agent_rollout.collect_episodes(params, cfg, tokenizer, slot.task, problems, slot.sp, rng=rng,
                                              pad_id=pad_id, max_turns=int(rl_cfg.agent_max_turns),
                                              mesh=mesh, rules=rules)
    return rollout.collect(params, cfg, tokenizer, slot.task, problems, slot.sp, rng=rng, pad_id=pad_id,
                           mesh=mesh, rules=rules, stop=slot.stop, prompt_format=slot.prompt_format)


def heldout_accuracy(slot: Slot, params, cfg, tokenizer, problems: list[Problem], *, pad_id: int, rl_cfg, mesh,
                     rules) -> tuple[float, float, int]:
    """Greedy held-out accuracy of one task: (mean, standard error, n)."""
    if slot.kind == "choice":
        return choice_rollout.choice_rate(params, cfg, tokenizer, slot.task, problems, pad_id=pad_id,
                                          mesh=mesh, rules=rules)
    if slot.kind == "agent":
        greedy = dataclasses.replace(slot.sp, temperature=0.0, n_samples=1)
        ro = agent_rollout.collect_episodes(params, cfg, tokenizer, slot.task, problems, greedy,
                                            rng=jax.random.key(0), pad_id=pad_id,
                                            max_turns=int(rl_cfg.agent_max_turns), mesh=mesh, rules=rules)
        acc = float(ro.correct_PG.mean())
        return acc, float(np.sqrt(acc * (1 - acc) / max(len(problems) - 1, 1))), len(problems)
    return rollout.greedy_accuracy(params, cfg, tokenizer, slot.task, problems, max_new_tokens=slot.sp.max_new_tokens,
                                   pad_id=pad_id, eos_ids=slot.sp.eos_ids, stop_sequences=slot.sp.stop_sequences,
                                   stop=slot.stop, mesh=mesh, rules=rules, prompt_format=slot.prompt_format)
