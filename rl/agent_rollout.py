"""Rollouts for multi-turn agent tasks (`task.kind == "agent"`): each sample is an episode in the sandbox.

Every turn, the active episodes' token sequences go to the sampler together; each writes one assistant turn,
its tool call (if any) is carried out in that episode's sandbox, and the tool's answer and the next generation
prompt are appended as context tokens. The learner's row is the whole episode: the sampled tokens (with the
sampler's log-probabilities) are the trained positions, everything else is context.

Context tokens are the chat template's text between the sampled turn and the next generation prompt, so the
model sees the layout it was post-trained on. When the template would spell the sampled turn differently
(extra spacing, no end token), the episode stops there rather than train on a sequence the template never makes.
"""
from __future__ import annotations

import dataclasses

import jax
import numpy as np

from midalign_jax import sampling
from midalign_jax.agent.tools import InvalidCall, format_result, parse_call
from rl.rollout import Rollout
from rl.tasks.base import Problem

_BUCKET = 64


@dataclasses.dataclass
class _Episode:
    problem: Problem
    state: object                    # the task's episode state (sandbox, messages)
    tokens: list[int]
    trained: list[bool]
    logprobs: list[float]
    turns: int = 0
    done: bool = False
    stop: str = ""                   # "final_message", "max_turns", "context", "template"


def _render(tokenizer, messages) -> str:
    return tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)


def collect_episodes(params, cfg, tokenizer, task, problems: list[Problem], sp: sampling.SamplingParams, *, rng,
                     pad_id: int, max_turns: int, mesh=None, rules=None) -> Rollout:
    """P problems x G episodes of at most `max_turns` assistant turns; rewards [P, G] from the end states."""
    G = sp.n_samples
    one = dataclasses.replace(sp, n_samples=1)
    eos = set(sp.eos_ids)
    episodes = []
    for problem in problems:
        for _ in range(G):
            state = task.start(problem)
            ids = list(tokenizer.encode(_render(tokenizer, state.messages), add_special_tokens=False))
            episodes.append(_Episode(problem, state, ids, [False] * len(ids), [0.0] * len(ids)))
    room = cfg.max_seq_len - sp.max_new_tokens
    generated = 0
    for turn in range(max_turns):
        if all(e.done for e in episodes):
            break
        # Every episode every turn (a finished one with a one-token prompt) and prompts bucketed by 64 tokens:
        # the sampler compiles one program per batch and prompt shape, and episodes finish at different turns.
        prompts = [e.tokens[-1:] if e.done else e.tokens for e in episodes]
        bucket = min(_BUCKET * -(-max(map(len, prompts)) // _BUCKET), room)
        out = sampling.generate(params, cfg, prompts, one, rng=jax.random.fold_in(rng, turn), pad_id=pad_id,
                                mesh=mesh, rules=rules, prompt_length=bucket)
        for row, e in enumerate(episodes):
            if e.done:
                continue
            n = int(out.lengths[row])
            gen = [int(t) for t in out.tokens[row, :n]]
            generated += n
            before = _render(tokenizer, e.state.messages)
            e.tokens += gen
            e.trained += [True] * n
            e.logprobs += [float(x) for x in out.logprobs[row, :n]]
            e.turns += 1
            text = tokenizer.decode([t for t in gen if t not in eos], skip_special_tokens=True)
            e.state.messages.append({"role": "assistant", "content": text.strip()})
            try:
                call = parse_call(text)
            except InvalidCall as error:
                result = f"error: invalid tool call: {error}"
                e.state.invalid += 1
            else:
                if call is None:
                    e.done, e.stop = True, "final_message"
                    continue
                result = e.state.env.execute(call).result
            e.state.messages.append({"role": "tool", "content": format_result(result)})
            full = _render(tokenizer, e.state.messages)
            sampled = before + tokenizer.decode(gen, skip_special_tokens=False)
            if not full.startswith(sampled):
                e.done, e.stop = True, "template"
                continue
            context = list(tokenizer.encode(full[len(sampled):], add_special_tokens=False))
            if len(e.tokens) + len(context) > room:
                e.done, e.stop = True, "context"
                continue
            e.tokens += context
            e.trained += [False] * len(context)
            e.logprobs += [0.0] * len(context)
            if e.turns >= max_turns:
                e.done, e.stop = True, "max_turns"
    P = len(problems)
    rewards = np.array([task.episode_reward(e.problem, e.state) for e in episodes], np.float32)
    correct = np.array([task.episode_correct(e.problem, e.state) for e in episodes], bool)
    return Rollout(problems, [e.state.messages[-1]["content"] for e in episodes], rewards.reshape(P, G),
                   correct.reshape(P, G), learner_rows(episodes, pad_id), generated,
                   stops=[e.stop or "max_turns" for e in episodes])


def learner_rows(episodes: list[_Episode], pad_id: int) -> dict:
    """Right-padded rows; position t predicts token t + 1, so a sampled token at index j is trained at j - 1."""
    T = _BUCKET * -(-max(len(e.tokens) for e in episodes) // _BUCKET)
    B = len(episodes)
    tokens = np.full((B, T), pad_id, np.int32)
    segs = np.zeros((B, T), np.int32)
    pos = np.zeros((B, T), np.int32)
    mask = np.zeros((B, T - 1), np.float32)
    old = np.zeros((B, T - 1), np.float32)
    for i, e in enumerate(episodes):
        n = len(e.tokens)
        tokens[i, :n] = e.tokens
        segs[i, :n] = 1
        pos[i, :n] = np.arange(n)
        trained = np.asarray(e.trained[1:], bool)
        mask[i, :n - 1] = trained
        old[i, :n - 1] = np.where(trained, e.logprobs[1:], 0.0)
    return {"tokens": tokens, "segment_ids": segs, "positions": pos, "mask": mask, "old_logp": old}
