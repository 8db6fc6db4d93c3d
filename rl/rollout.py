"""Rollouts: prompts -> sampled completions -> rewards -> the learner's batch (tokens, masks, old log-probs)."""
from __future__ import annotations

import dataclasses
from typing import Sequence

import jax
import numpy as np

from midalign_jax import sampling
from rl.tasks import Problem

# How a single-turn problem's prompt reaches the model: its text as is, or as the user turn of a conversation.
PROMPT_FORMATS = ("text", "chat")


@dataclasses.dataclass
class Rollout:
    problems: list[Problem]          # P prompts
    completions: list[str]           # P * G, prompt-major
    rewards_PG: np.ndarray
    correct_PG: np.ndarray
    batch: dict                      # learner arrays, see `learner_batch`
    generated_tokens: int
    stops: list[str] | None = None   # agent episodes: why each ended (final_message, max_turns, context, template)


def learner_batch(prompt_ids: Sequence[Sequence[int]], out: sampling.SampleOutput, pad_id: int) -> dict:
    """[B, Pp + N] rows: left-padded prompt, then the completion. Position t predicts token t+1, so completion
    token j (column Pp + j) is scored at t = Pp + j - 1; `mask` and `old_logp` are laid out on those targets."""
    prompts = [prompt_ids[i] for i in out.prompt_index]
    p_tok, p_seg, p_pos, p_len = sampling.left_pad(prompts, pad_id)
    B, Pp = p_tok.shape
    N = out.tokens.shape[1]
    live = np.arange(N)[None, :] < out.lengths[:, None]
    tokens = np.concatenate([p_tok, np.where(live, out.tokens, pad_id)], axis=1).astype(np.int32)
    segs = np.concatenate([p_seg, live.astype(np.int32)], axis=1)
    pos = np.concatenate([p_pos, p_len[:, None] + np.arange(N)[None, :]], axis=1).astype(np.int32)
    T = Pp + N
    mask = np.zeros((B, T - 1), np.float32)
    old = np.zeros((B, T - 1), np.float32)
    mask[:, Pp - 1:Pp - 1 + N] = live
    old[:, Pp - 1:Pp - 1 + N] = np.where(live, out.logprobs, 0.0)
    return {"tokens": tokens, "segment_ids": segs, "positions": pos, "mask": mask, "old_logp": old}


def check_prompt_format(prompt_format: str, tokenizer=None) -> None:
    """ValueError unless `prompt_format` is one of PROMPT_FORMATS and, for "chat" with a tokenizer given, the
    tokenizer has a chat template to render the turn with."""
    if prompt_format not in PROMPT_FORMATS:
        raise ValueError(f"rl.prompt_format must be one of {PROMPT_FORMATS}, got {prompt_format!r}")
    if prompt_format == "chat" and tokenizer is not None and not getattr(tokenizer, "chat_template", None):
        raise ValueError("rl.prompt_format='chat' needs a tokenizer with a chat template; this one has none "
                         "(use 'text', or a tokenizer folder whose tokenizer_config.json has chat_template)")


def encode_prompts(tokenizer, problems: Sequence[Problem], prompt_format: str = "text") -> list[list[int]]:
    """Each problem's prompt tokens. "text" feeds the prompt as written (a base model continues it); "chat" makes it
    the user turn of a conversation rendered by the tokenizer's chat template up to the assistant's reply, so an
    instruct model is trained and evaluated in the layout it answers in (as the chat and agentic evals prompt it)."""
    check_prompt_format(prompt_format, tokenizer)
    if prompt_format == "text":
        texts = [p.prompt for p in problems]
    else:
        texts = [tokenizer.apply_chat_template([{"role": "user", "content": p.prompt}], tokenize=False,
                                               add_generation_prompt=True) for p in problems]
    # The template's text already holds its special tokens (e.g. <|im_start|>): encoding must not add a BOS.
    return [list(tokenizer.encode(t, add_special_tokens=False)) for t in texts]


def collect(params, cfg, tokenizer, task, problems: list[Problem], sp: sampling.SamplingParams, *, rng, pad_id,
            mesh=None, rules=None, stop: str = "", prompt_format: str = "text") -> Rollout:
    prompt_ids = encode_prompts(tokenizer, problems, prompt_format)
    out = sampling.generate(params, cfg, prompt_ids, sp, rng=rng, pad_id=pad_id, mesh=mesh, rules=rules)
    texts = decode_completions(tokenizer, out, sp.eos_ids, stop)
    P, G = len(problems), sp.n_samples
    rewards = np.array([task.reward(problems[out.prompt_index[i]], t) for i, t in enumerate(texts)], np.float32)
    correct = np.array([task.is_correct(problems[out.prompt_index[i]], t) for i, t in enumerate(texts)], bool)
    return Rollout(problems, texts, rewards.reshape(P, G), correct.reshape(P, G),
                   learner_batch(prompt_ids, out, pad_id), int(out.lengths.sum()))


def decode_completions(tokenizer, out: sampling.SampleOutput, eos_ids, stop: str = "") -> list[str]:
    texts = []
    for r in range(out.tokens.shape[0]):
        ids = [int(t) for t in out.tokens[r, :out.lengths[r]] if int(t) not in eos_ids]
        text = tokenizer.decode(ids, skip_special_tokens=True)
        if stop and stop in text:
            text = text[:text.index(stop)]
        texts.append(text)
    return texts


def greedy_accuracy(params, cfg, tokenizer, task, problems: list[Problem], *, max_new_tokens: int, pad_id: int,
                    eos_ids: tuple[int, ...], stop_sequences=(), stop: str = "", mesh=None, rules=None,
                    batch_size: int = 64, prompt_format: str = "text") -> tuple[float, float, int]:
    """Held-out accuracy under greedy decoding: (mean, standard error, n)."""
    sp = sampling.SamplingParams(max_new_tokens=max_new_tokens, temperature=0.0, eos_ids=eos_ids,
                                 stop_sequences=stop_sequences)
    correct = []
    for start in range(0, len(problems), batch_size):
        chunk = problems[start:start + batch_size]
        ids = encode_prompts(tokenizer, chunk, prompt_format)
        out = sampling.generate(params, cfg, ids, sp, rng=jax.random.key(0), pad_id=pad_id, mesh=mesh, rules=rules)
        for p, text in zip(chunk, decode_completions(tokenizer, out, eos_ids, stop)):
            correct.append(task.is_correct(p, text))
    n = len(correct)
    acc = float(np.mean(correct)) if n else float("nan")
    return acc, float(np.sqrt(acc * (1 - acc) / max(n - 1, 1))), n
