"""Batched KV-cache sampling with per-token log-probabilities, shared by RL and the evals.

One jitted program per (batch, prompt bucket, max_new_tokens, sampling settings, placement): a prefill of the
left-padded prompts, then a `lax.while_loop` of one-token decode steps that ends when every row has stopped (EOS or
a stop token sequence) or the token limit is reached. The params are used where they are (same mesh as training):
nothing is copied between a "trainer" and a "sampler".
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from midalign_jax import model as M
from midalign_jax.parallel import sharding as S


@dataclasses.dataclass(frozen=True)
class SamplingParams:
    max_new_tokens: int = 128
    temperature: float = 1.0        # 0 = greedy
    top_k: int = 0                  # 0 = off
    top_p: float = 1.0              # 1 = off
    n_samples: int = 1              # completions per prompt (consecutive rows of the output)
    eos_ids: tuple[int, ...] = ()
    stop_sequences: tuple[tuple[int, ...], ...] = ()   # token sequences that end a row (included in the output)


@dataclasses.dataclass
class SampleOutput:
    tokens: np.ndarray      # [B * n, max_new_tokens] int32; after a row's end: pad_id
    logprobs: np.ndarray    # [B * n, max_new_tokens] float32: log p(token) under logits / temperature; 0 after end
    lengths: np.ndarray     # [B * n] generated tokens, the EOS / stop sequence included
    prompt_index: np.ndarray  # [B * n] which prompt each row continues


def _bucket(n: int, multiple: int = 16) -> int:
    """The padded prompt length: a multiple of `multiple`; below it, the next power of two from 4. Short prompts
    (an RL task's ``7 + 5 =`` is 4 tokens) padded to 16 made the sampler's cache and the RL update's rows twice
    as long as the work in them; the powers of two add at most two programs."""
    if n < multiple:
        return min(multiple, max(4, 1 << max(n - 1, 0).bit_length()))
    return -(-n // multiple) * multiple


def left_pad(prompts: Sequence[Sequence[int]], pad_id: int, length: int | None = None):
    """tokens/segment_ids/positions [B, P] with each prompt right-aligned (P bucketed to limit recompiles)."""
    lengths = np.array([len(p) for p in prompts], np.int32)
    if (lengths == 0).any():
        raise ValueError(f"empty prompt(s) at index {np.flatnonzero(lengths == 0).tolist()}: need at least one token")
    P = length or _bucket(int(lengths.max()))
    tokens = np.full((len(prompts), P), pad_id, np.int32)
    segs = np.zeros((len(prompts), P), np.int32)
    pos = np.zeros((len(prompts), P), np.int32)
    for i, p in enumerate(prompts):
        tokens[i, P - len(p):] = p
        segs[i, P - len(p):] = 1
        pos[i, P - len(p):] = np.arange(len(p))
    return tokens, segs, pos, lengths


def right_to_left(tokens_BP: np.ndarray, lengths_B: np.ndarray) -> list[list[int]]:
    """Right-padded rows (real tokens first) to plain prompt lists."""
    return [list(map(int, row[:n])) for row, n in zip(np.asarray(tokens_BP), np.asarray(lengths_B))]


def filter_logits(logits_BV: jax.Array, sp: SamplingParams) -> jax.Array:
    """Temperature, then top-k and top-p truncation (masked tokens get -inf)."""
    logits = logits_BV / sp.temperature
    if sp.top_k > 0:
        kth = jax.lax.top_k(logits, sp.top_k)[0][:, -1:]
        logits = jnp.where(logits < kth, -jnp.inf, logits)
    if sp.top_p < 1.0:
        sorted_desc = jnp.sort(logits, axis=-1)[:, ::-1]
        probs = jax.nn.softmax(sorted_desc, axis=-1)
        # Keep the smallest prefix whose mass reaches top_p: a token stays if the mass before it is < top_p.
        mass_before = jnp.cumsum(probs, axis=-1) - probs
        keep_sorted = mass_before < sp.top_p
        threshold = jnp.min(jnp.where(keep_sorted, sorted_desc, jnp.inf), axis=-1, keepdims=True)
        logits = jnp.where(logits < threshold, -jnp.inf, logits)
    return logits


def _greedy(logits_BV) -> tuple[jax.Array, jax.Array]:
    """(argmax, its log-probability). The argmax is the first index on ties, as max + min-index: XLA's CPU
    argmax reduction is several times slower. The chosen logit is the row's max, so log_softmax there is
    (max - max) - logsumexp, as `_token_logprob` computes it, with no gather."""
    top_B1 = jnp.max(logits_BV, axis=-1, keepdims=True)
    iota = jnp.arange(logits_BV.shape[-1], dtype=jnp.int32)
    tok_B = jnp.min(jnp.where(logits_BV == top_B1, iota, logits_BV.shape[-1]), axis=-1).astype(jnp.int32)
    lse_B = jnp.log(jnp.sum(jnp.exp(logits_BV - top_B1), axis=-1))
    return tok_B, (top_B1[:, 0] - top_B1[:, 0]) - lse_B


def _draw(key, logits_BV) -> jax.Array:
    """One token per row by inverting the CDF with one uniform per row: exact, and on CPU far cheaper than
    jax.random.categorical's Gumbel noise over the whole vocabulary. Masked (-inf) tokens have zero mass and
    are never drawn."""
    cdf_BV = jnp.cumsum(jax.nn.softmax(logits_BV, axis=-1), axis=-1)
    u_B1 = jax.random.uniform(key, (logits_BV.shape[0], 1), dtype=cdf_BV.dtype) * cdf_BV[:, -1:]
    tok_B = jnp.sum(cdf_BV < u_B1, axis=-1)
    return jnp.minimum(tok_B, logits_BV.shape[-1] - 1).astype(jnp.int32)


def _token_logprob(logits_BV, tok_B) -> jax.Array:
    """log_softmax(logits)[tok] per row, as log_softmax computes it, without the [B, V] log-probabilities: on CPU
    their subtraction, copy and gather were a tenth of a tiny-preset decode step."""
    top_B1 = jax.lax.stop_gradient(jnp.max(logits_BV, axis=-1, keepdims=True))
    lse_B = jnp.log(jnp.sum(jnp.exp(logits_BV - top_B1), axis=-1))
    return jnp.take_along_axis(logits_BV, tok_B[:, None], axis=-1)[:, 0] - top_B1[:, 0] - lse_B


def _ends_with_stop(out_BN, step, stop_seqs) -> jax.Array:
    hit = jnp.zeros(out_BN.shape[0], bool)
    for seq in stop_seqs:
        k = len(seq)
        if k == 0:
            continue
        idx = step - k + 1 + jnp.arange(k)
        got = jnp.take(out_BN, jnp.clip(idx, 0), axis=1)
        hit = hit | ((idx[0] >= 0) & jnp.all(got == jnp.asarray(seq, jnp.int32), axis=1))
    return hit


@functools.partial(jax.jit, static_argnames=("cfg", "sp", "pad_id", "placement"))
def _sample_program(params, tokens_BP, segs_BP, pos_BP, lengths_B, rng, *, cfg: M.ModelConfig,
                    sp: SamplingParams, pad_id: int, placement: S.Placement | None):
    B, P = tokens_BP.shape
    N = sp.max_new_tokens
    cache = M.init_cache(cfg, B, P + N)
    cache = jax.tree.map(lambda x, ax: S.constrain(x, ax, placement), cache, M.cache_logical_axes(),
                         is_leaf=lambda x: isinstance(x, tuple))
    if jax.default_backend() == "cpu":
        # Per-layer cache buffers in the loop carry and per-layer weights split once before it: no copy of a
        # layer's cache slice or weights per token (model.per_layer_cache, model.per_layer_params).
        # Elsewhere the stacked cache keeps the layer loop rolled, and compile time flat in depth.
        cache = M.per_layer_cache(cache)
        params = M.per_layer_params(params, cfg)
    logits, cache = M.extend(params, tokens_BP, cfg, cache, pos_BP, segs_BP, placement=placement, last_only=True)
    eos = jnp.asarray(sp.eos_ids or (-1,), jnp.int32)

    def choose(logits_BV, rng):
        rng, key = jax.random.split(rng)
        if sp.temperature == 0.0:
            return (*_greedy(logits_BV), rng)
        tok_B = _draw(key, filter_logits(logits_BV, sp))
        return tok_B, _token_logprob(logits_BV / sp.temperature, tok_B), rng

    def cond(carry):
        step, _, _, _, _, _, done, _ = carry
        return (step < N) & ~jnp.all(done)

    # The loop carries the next token rather than the logits it is chosen from: a [B, V] carry was copied on
    # every step.
    def body(carry):
        step, cache, tok_B, lp_B, out_BN, lp_BN, done_B, rng = carry
        tok_B = jnp.where(done_B, pad_id, tok_B)
        lp_B = jnp.where(done_B, 0.0, lp_B)
        out_BN = out_BN.at[:, step].set(tok_B)
        lp_BN = lp_BN.at[:, step].set(lp_B)
        stopped = jnp.any(tok_B[:, None] == eos[None, :], axis=1) | _ends_with_stop(out_BN, step, sp.stop_sequences)
        new_done = done_B | stopped
        logits, cache = M.extend(params, tok_B[:, None], cfg, cache, (lengths_B + step)[:, None],
                                 jnp.where(done_B, 0, 1)[:, None].astype(jnp.int32), placement=placement)
        next_B, next_lp_B, rng = choose(logits[:, -1], rng)
        return step + 1, cache, next_B, next_lp_B, out_BN, lp_BN, new_done, rng

    tok_B, lp_B, rng = choose(logits[:, -1], rng)
    init = (jnp.zeros((), jnp.int32), cache, tok_B, lp_B, jnp.full((B, N), pad_id, jnp.int32),
            jnp.zeros((B, N), jnp.float32), jnp.zeros((B,), bool), rng)
    _, _, _, _, out_BN, lp_BN, _, _ = jax.lax.while_loop(cond, body, init)
    # A row's length: up to and including the token that ended it (EOS/stop), else N.
    ended = jnp.any(out_BN[:, :, None] == eos[None, None, :], axis=-1)
    first_end = jnp.where(jnp.any(ended, 1), jnp.argmax(ended, 1) + 1, N)
    if sp.stop_sequences:
        stop_at = jax.vmap(lambda row: _first_stop_end(row, sp.stop_sequences, N))(out_BN)
        first_end = jnp.minimum(first_end, stop_at)
    return out_BN, lp_BN, first_end.astype(jnp.int32)


def _first_stop_end(row_N, stop_seqs, N):
    best = jnp.asarray(N, jnp.int32)
    for seq in stop_seqs:
        k = len(seq)
        if k == 0 or k > N:
            continue
        windows = jnp.stack([row_N[i:N - k + 1 + i] for i in range(k)], axis=1)
        match = jnp.all(windows == jnp.asarray(seq, jnp.int32), axis=1)
        best = jnp.minimum(best, jnp.where(jnp.any(match), jnp.argmax(match) + k, N))
    return best


def generate(params, cfg: M.ModelConfig, prompts: Sequence[Sequence[int]], sp: SamplingParams, *,
             rng: jax.Array | None = None, pad_id: int = 0, mesh=None, rules=None,
             prompt_length: int | None = None) -> SampleOutput:
    """Samples `sp.n_samples` completions for each prompt (a list of token ids; use `right_to_left` for
    right-padded arrays). Greedy when `sp.temperature == 0`. With a mesh, the batch is split over its data axes
    and the params stay on their shardings."""
    if sp.n_samples < 1 or sp.max_new_tokens < 1:
        raise ValueError(f"n_samples={sp.n_samples} and max_new_tokens={sp.max_new_tokens} must be >= 1")
    if sp.temperature < 0 or not 0 < sp.top_p <= 1:
        raise ValueError(f"temperature={sp.temperature} must be >= 0 and top_p={sp.top_p} in (0, 1]")
    expanded = [p for p in prompts for _ in range(sp.n_samples)]
    tokens, segs, pos, lengths = left_pad(expanded, pad_id, prompt_length)
    if tokens.shape[1] + sp.max_new_tokens > cfg.max_seq_len:
        raise ValueError(f"prompt bucket {tokens.shape[1]} + max_new_tokens {sp.max_new_tokens} exceeds the "
                         f"model's max_seq_len {cfg.max_seq_len}")
    rng = jax.random.key(0) if rng is None else rng
    B = tokens.shape[0]
    rows = B
    if mesh is not None:
        shards = mesh.shape["data"] * mesh.shape["fsdp"]
        rows = -(-B // shards) * shards   # pad the batch so it splits evenly; padded rows are dropped below
    if rows != B:
        extra = rows - B
        tokens = np.concatenate([tokens, np.repeat(tokens[-1:], extra, 0)])
        segs = np.concatenate([segs, np.repeat(segs[-1:], extra, 0)])
        pos = np.concatenate([pos, np.repeat(pos[-1:], extra, 0)])
        lengths = np.concatenate([lengths, np.repeat(lengths[-1:], extra, 0)])
    args = [tokens, segs, pos, lengths]
    placement = None
    if mesh is not None:
        placement = S.Placement.of(mesh, rules)
        args = [jax.device_put(a, S.batch_sharding(mesh, placement.rules, a.ndim)) for a in args]
    out, lp, n = jax.device_get(_sample_program(params, *args, rng, cfg=cfg, sp=sp, pad_id=int(pad_id),
                                                placement=placement))
    return SampleOutput(tokens=np.asarray(out)[:B], logprobs=np.asarray(lp)[:B], lengths=np.asarray(n)[:B],
                        prompt_index=np.repeat(np.arange(len(prompts)), sp.n_samples))
