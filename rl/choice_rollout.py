"""Rollouts for choice tasks (`task.kind == "choice"`): the action is one of a problem's `meta["choices"]`.

Each option is scored as the continuation of the prompt (the sum of its tokens' log-probabilities under
logits / temperature), and each of the G samples of a problem picks option k with probability
softmax(option log-likelihoods)[k]. The learner's row is the prompt followed by the picked option, with the
option's tokens as the trained positions and their scored log-probabilities as `old_logp`.

Why the token-level loss is the right gradient: log pi(k) = log p(k) - logsumexp_j log p(j), and the second
term's gradient does not depend on which k was drawn; multiplied by group-centred advantages (GRPO, RLOO,
Dr. GRPO all centre within a group) it sums to zero, so the policy gradient is that of log p(k) alone.
"""
from __future__ import annotations

import functools

import jax
import numpy as np

from midalign_jax import model as M
from midalign_jax.parallel import sharding as S
from rl.losses import token_logprobs
from rl.rollout import Rollout
from rl.tasks.base import Problem


def _bucket(n: int, multiple: int = 16) -> int:
    return max(multiple, -(-n // multiple) * multiple)


def _rows(pairs: list[tuple[list[int], list[int]]], pad_id: int) -> dict:
    """Right-padded rows of prompt + option, with the option's target positions marked."""
    T = _bucket(max(len(c) + len(o) for c, o in pairs))
    B = len(pairs)
    tokens = np.full((B, T), pad_id, np.int32)
    segs = np.zeros((B, T), np.int32)
    pos = np.zeros((B, T), np.int32)
    mask = np.zeros((B, T - 1), np.float32)
    for i, (ctx, opt) in enumerate(pairs):
        row = ctx + opt
        tokens[i, :len(row)] = row
        segs[i, :len(row)] = 1
        pos[i, :len(row)] = np.arange(len(row))
        mask[i, len(ctx) - 1:len(row) - 1] = 1.0   # position t predicts token t + 1: the option's tokens
    return {"tokens": tokens, "segment_ids": segs, "positions": pos, "mask": mask}


@functools.partial(jax.jit, static_argnames=("cfg", "temperature", "placement"))
def _scored(params, tokens, segs, pos, *, cfg: M.ModelConfig, temperature: float,
            placement: S.Placement | None):
    logits = M.forward(params, tokens, cfg, positions=pos, segment_ids=segs, placement=placement)[:, :-1]
    return token_logprobs(logits / temperature, tokens[:, 1:])


def collect_choices(params, cfg, tokenizer, task, problems: list[Problem], group_size: int, *, rng: np.random.Generator,
                    pad_id: int, temperature: float = 1.0, mesh=None, rules=None) -> Rollout:
    """P problems x G picks: rewards [P, G] and the learner batch [P * G, T]."""
    pairs, owner = [], []
    for p_idx, problem in enumerate(problems):
        ctx = list(tokenizer.encode(problem.prompt, add_special_tokens=False))
        for choice in problem.meta["choices"]:
            pairs.append((ctx, list(tokenizer.encode(" " + choice, add_special_tokens=False))))
            owner.append(p_idx)
    rows = _rows(pairs, pad_id)
    placement = S.Placement.of(mesh, rules) if mesh is not None else None
    logp = np.asarray(_scored(params, rows["tokens"], rows["segment_ids"], rows["positions"], cfg=cfg,
                              temperature=float(temperature), placement=placement))
    option_lp = (logp * rows["mask"]).sum(axis=1)
    picked_rows, picked_text, starts = [], [], 0
    for problem in problems:
        k = len(problem.meta["choices"])
        scores = option_lp[starts:starts + k]
        probs = np.exp(scores - scores.max())
        probs /= probs.sum()
        for choice in rng.choice(k, size=group_size, p=probs):
            picked_rows.append(starts + int(choice))
            picked_text.append(problem.meta["choices"][int(choice)])
        starts += k
    picked = np.asarray(picked_rows)
    batch = {key: value[picked] for key, value in rows.items()}
    batch["old_logp"] = (logp * rows["mask"])[picked].astype(np.float32)
    P, G = len(problems), group_size
    rewards = np.array([task.reward(problems[i // G], t) for i, t in enumerate(picked_text)], np.float32)
    correct = np.array([task.is_correct(problems[i // G], t) for i, t in enumerate(picked_text)], bool)
    return Rollout(problems, picked_text, rewards.reshape(P, G), correct.reshape(P, G), batch,
                   int(batch["mask"].sum()))


def choice_rate(params, cfg, tokenizer, task, problems: list[Problem], *, pad_id: int, mesh=None,
                rules=None) -> tuple[float, float, int]:
    """Share of problems whose rewarded option has the higher log-likelihood (the eval's argmax rule):
    (mean, standard error, n)."""
    pairs = []
    for problem in problems:
        ctx = list(tokenizer.encode(problem.prompt, add_special_tokens=False))
        pairs += [(ctx, list(tokenizer.encode(" " + c, add_special_tokens=False))) for c in problem.meta["choices"]]
    rows = _rows(pairs, pad_id)
    placement = S.Placement.of(mesh, rules) if mesh is not None else None
    logp = np.asarray(_scored(params, rows["tokens"], rows["segment_ids"], rows["positions"], cfg=cfg,
                              temperature=1.0, placement=placement))
    option_lp = (logp * rows["mask"]).sum(axis=1)
    hits, start = [], 0
    for problem in problems:
        k = len(problem.meta["choices"])
        best = int(np.argmax(option_lp[start:start + k]))
        hits.append(task.is_correct(problem, problem.meta["choices"][best]))
        start += k
    acc = float(np.mean(hits))
    return acc, float(np.sqrt(acc * (1 - acc) / max(len(hits) - 1, 1))), len(hits)
