"""Log-likelihoods of continuations that share a context, with the context run once.

A batch holds B rows; a row is one context and its M continuations (an MCQA item and its options). Two jitted
programs score it:

    states    a prefill of a KV cache with [context | longest continuation], left-padded to W columns, so
              the longest continuation needs no padding of its own; then the cache slots of that
              continuation are relabelled empty (segment 0, which the attention mask hides from real
              tokens) and each further continuation extends the cache from the end of the prefill, J
              columns each. A continuation's last token is only a target, so it is never an input.
    head      the LM head and the log-softmax on the P hidden states that predict a scored token, gathered
              from every row and continuation into one [P, D] array (never [B, W, V]).

The head has a program of its own so that the number of compilations is the sum, not the product, of the
distinct (B, W, J) and P shapes. Relabelling the cache's `segment_ids` relies on the documented meaning of
that field in `model.init_cache` (0 = empty); the rest goes through `model.extend` as it is.

Schedule on a CPU backend, where memory traffic rather than arithmetic decides (tiny preset, 200 MCQA items, one
core): the rows go through the layers a few at a time (`lax.map` in the same program) so that a layer's attention
scores stay in cache; the prefill runs in two chunks, the second attending over the keys written so far, which
skips a quarter of the W x W scores; the head runs `head_chunk` tokens at a time so that each step's logits stay
in cache through the max, exp and sum. Together these cut the CPU time of a call by ~40% at equal results.
Accelerators take the whole batch in one step and one chunk.

The numbers are those of `model.forward` over context + continuation: the same layer code (`model.extend`), the
same LM head, a float32 log-softmax; the tests compare them with transformers' PyTorch model.
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

# Attention-score bytes per layer that one group of rows may take on CPU (rows x heads x W x W x 4 bytes).
CPU_SCORE_BYTES = 3 << 20
# Logit bytes that one step of the LM head may produce (rows x vocabulary x 4 bytes): on CPU, to stay in cache;
# elsewhere, to bound the memory of a large vocabulary.
CPU_LOGIT_BYTES = 2 << 20
ACCELERATOR_LOGIT_BYTES = 1 << 30
# Shortest prefill chunk on CPU.
MIN_CHUNK = 32


@dataclasses.dataclass(frozen=True)
class Layout:
    """How the states program walks a [B, W] batch: `group_rows` rows through the layers at a time, and the
    prefill's W columns in `chunks` (each chunk attends over the cache written so far, not over all W)."""

    group_rows: int
    chunks: tuple[int, ...]


def plan_layout(cfg: M.ModelConfig, rows: int, width: int, *, cpu: bool, shards: int = 1) -> Layout:
    """All rows and one chunk on accelerators or with a sharded batch. On CPU: the largest divisor of `rows`
    whose attention scores fit `CPU_SCORE_BYTES`, and two chunks once each is at least `MIN_CHUNK` columns
    (a two-chunk prefill computes 3/4 of the W x W attention scores; more chunks cost more in per-chunk work
    than they save)."""
    if not cpu or shards > 1:
        return Layout(rows, (width,))
    target = max(1, CPU_SCORE_BYTES // (4 * cfg.n_heads * width * width))
    group = max(d for d in range(1, rows + 1) if rows % d == 0 and d <= target)
    if width < 2 * MIN_CHUNK:
        return Layout(group, (width,))
    first = width // 2 // 8 * 8
    return Layout(group, (first, width - first))


# ------------------------------------------------------------------------------------------------ host side

@dataclasses.dataclass
class Batch:
    """Host arrays of one batch and where each continuation's scores land in the head's output."""

    prefill_BW: np.ndarray  # [pad | context | continuation 0 without its last token]
    prefill_seg_BW: np.ndarray  # 1 on real tokens
    prefill_pos_BW: np.ndarray
    context_seg_BW: np.ndarray  # 1 on context tokens only: the cache's segments for continuations 1..
    context_len_B: np.ndarray
    inputs_NBJ: np.ndarray  # continuations 1.. without their last token, N = M - 1 (may be 0)
    input_segs_NBJ: np.ndarray
    select_P: np.ndarray  # which flat state predicts scored token p
    targets_P: np.ndarray  # the token id it is scored on
    spans: list[list[slice]]  # per row and continuation (in the order given), its slice of P

    def arrays(self) -> list[np.ndarray]:
        return [self.prefill_BW, self.prefill_seg_BW, self.prefill_pos_BW, self.context_seg_BW,
                self.context_len_B, self.inputs_NBJ, self.input_segs_NBJ]


def build_batch(rows: Sequence[tuple[Sequence[int], Sequence[Sequence[int]]]], *, B: int, W: int, J: int, P: int,
                pad_id: int) -> Batch:
    """Lays out `rows` of (context ids, continuation ids ...) in a [B, W] prefill and [N, B, J] extensions.

    Each row's longest continuation goes into the prefill. Needs W >= len(context) + len(longest) - 1,
    J >= len(other continuation) - 1 and P >= the number of continuation tokens; rows beyond len(rows) are
    padding.
    """
    n_ext = max(len(conts) for _, conts in rows) - 1
    b = Batch(np.full((B, W), pad_id, np.int32), np.zeros((B, W), np.int32), np.zeros((B, W), np.int32),
              np.zeros((B, W), np.int32), np.zeros((B,), np.int32), np.full((n_ext, B, J), pad_id, np.int32),
              np.zeros((n_ext, B, J), np.int32), np.zeros((P,), np.int32), np.zeros((P,), np.int32), [])
    p = 0
    for r, (ctx, conts) in enumerate(rows):
        order = sorted(range(len(conts)), key=lambda m: -len(conts[m]))
        first = conts[order[0]]
        ids = list(ctx) + list(first[:-1])
        if len(ids) > W or any(len(conts[m]) - 1 > J for m in order[1:]):
            raise ValueError(f"row {r} does not fit the batch shape W={W}, J={J}")
        lead = W - len(ids)
        b.prefill_BW[r, lead:] = ids
        b.prefill_seg_BW[r, lead:] = 1
        b.prefill_pos_BW[r, lead:] = np.arange(len(ids))
        b.context_seg_BW[r, lead:lead + len(ctx)] = 1
        b.context_len_B[r] = len(ctx)
        last_context = r * W + lead + len(ctx) - 1  # the state that predicts every continuation's first token
        spans: list[slice | None] = [None] * len(conts)
        for slot, m in enumerate(order):
            cont = conts[m]
            n = len(cont)
            if p + n > P:
                raise ValueError(f"the batch has more than P={P} continuation tokens")
            if slot == 0:
                b.select_P[p:p + n] = last_context + np.arange(n)
            else:
                b.inputs_NBJ[slot - 1, r, :n - 1] = cont[:-1]
                b.input_segs_NBJ[slot - 1, r, :n - 1] = 1
                b.select_P[p] = last_context
                b.select_P[p + 1:p + n] = B * W + ((slot - 1) * B + r) * J + np.arange(n - 1)
            b.targets_P[p:p + n] = cont
            spans[m] = slice(p, p + n)
            p += n
        b.spans.append(spans)  # type: ignore[arg-type]
    return b


# --------------------------------------------------------------------------------------------- the programs

def _hidden_params(params, cfg: M.ModelConfig):
    # `model.extend` ends in the LM head. With an identity head (untied) it returns the final-normed hidden states
    # instead, so the real head runs only where a token is scored.
    kept = {k: v for k, v in params.items() if k != "lm_head"}
    return {**kept, "lm_head": jnp.eye(cfg.d_model, dtype=params["embed"].dtype)}


def _grow(cache: dict, length: int, placement: S.Placement | None) -> dict:
    """The cache with room for `length` slots; filled slots keep their place, new ones are empty (segment 0)."""
    def pad(x, axes):
        if "cache_seq" not in axes:
            return x
        widths = [(0, 0)] * x.ndim
        widths[axes.index("cache_seq")] = (0, length - x.shape[axes.index("cache_seq")])
        return S.constrain(jnp.pad(x, widths), axes, placement)
    return jax.tree.map(pad, cache, M.cache_logical_axes(), is_leaf=lambda x: isinstance(x, tuple))


def _states(hidden, cfg: M.ModelConfig, chunks: tuple[int, ...], placement: S.Placement | None, prefill_BW,
            prefill_seg_BW, prefill_pos_BW, context_seg_BW, context_len_B, inputs_NBJ, input_segs_NBJ):
    """Final-normed hidden states: [B, W, D] of the prefill and [N, B, J, D] of the other continuations."""
    B, W = prefill_BW.shape
    N, _, J = inputs_NBJ.shape
    cache = jax.tree.map(lambda x, ax: S.constrain(x, ax, placement), M.init_cache(cfg, B, chunks[0]),
                         M.cache_logical_axes(), is_leaf=lambda x: isinstance(x, tuple))
    pieces, start = [], 0
    for size in chunks:
        cols = slice(start, start + size)
        cache = _grow(cache, start + size, placement)
        h_BTD, cache = M.extend(hidden, prefill_BW[:, cols], cfg, cache, prefill_pos_BW[:, cols],
                                prefill_seg_BW[:, cols], placement=placement)
        pieces.append(h_BTD)
        start += size
    h_BWD = jnp.concatenate(pieces, axis=1) if len(pieces) > 1 else pieces[0]
    if not N or not J:
        return h_BWD, jnp.zeros((N, B, J, h_BWD.shape[-1]), h_BWD.dtype)
    # Every further continuation sees the context and itself only: continuation 0's slots become empty.
    cache = _grow({**cache, "segment_ids": context_seg_BW}, W + J, placement)
    pos_BJ = context_len_B[:, None] + jnp.arange(J, dtype=jnp.int32)[None]
    ext = [M.extend(hidden, inputs_NBJ[n], cfg, cache, pos_BJ, input_segs_NBJ[n], placement=placement)[0]
           for n in range(N)]
    return h_BWD, jnp.stack(ext)


def _in_groups(fn, group: int, batch_axes: Sequence[int], out_axes: Sequence[int], *arrays):
    """fn over `arrays` split into groups of `group` rows along their batch axes, one group after the other
    (`lax.map`); each output is joined again along its batch axis. One group: just fn."""
    B = arrays[0].shape[batch_axes[0]]
    if group >= B:
        return fn(*arrays)
    n = B // group

    def split(x, axis):
        x = jnp.moveaxis(x, axis, 0)
        return x.reshape(n, group, *x.shape[1:])

    def one(xs):
        outs = fn(*[jnp.moveaxis(x, 0, a) for x, a in zip(xs, batch_axes)])
        return tuple(jnp.moveaxis(o, a, 0) for o, a in zip(outs, out_axes))

    outs = jax.lax.map(one, tuple(split(x, a) for x, a in zip(arrays, batch_axes)))
    return tuple(jnp.moveaxis(o.reshape(B, *o.shape[2:]), 0, a) for o, a in zip(outs, out_axes))


@functools.partial(jax.jit, static_argnames=("cfg", "placement", "layout"))
def hidden_states(params, *arrays, cfg: M.ModelConfig, placement: S.Placement | None, layout: Layout):
    """(params, *Batch.arrays()) -> flat hidden states [B * W + N * B * J, D], indexed by `select_P`."""
    fn = functools.partial(_states, _hidden_params(params, cfg), dataclasses.replace(cfg, tie_embeddings=False),
                           layout.chunks, placement)
    h_BWD, h_NBJD = _in_groups(fn, layout.group_rows, (0, 0, 0, 0, 0, 1, 1), (0, 1), *arrays)
    D = h_BWD.shape[-1]
    return jnp.concatenate([h_BWD.reshape(-1, D), h_NBJD.reshape(-1, D)])


def head_chunk(cfg: M.ModelConfig, P: int, *, cpu: bool, shards: int = 1) -> int:
    """Scored tokens per step of the head: all P with a sharded batch; otherwise the largest divisor of P whose
    logits fit `CPU_LOGIT_BYTES` (CPU) or `ACCELERATOR_LOGIT_BYTES`, but at least d_model rows where P has such
    a divisor (fewer rows would re-read the [D, V] head matrix for less than its size in logits)."""
    if shards > 1:
        return P
    budget = CPU_LOGIT_BYTES if cpu else ACCELERATOR_LOGIT_BYTES
    target = max(cfg.d_model, budget // (4 * cfg.vocab_size))
    return max(d for d in range(1, P + 1) if P % d == 0 and d <= target)


def _head_scores(params, cfg: M.ModelConfig, h_PD, targets_P):
    """(log-prob, greedy flag) of each target token under the LM head applied to h_PD."""
    dtype = cfg.compute_dtype
    h_PD = h_PD.astype(dtype)
    if cfg.tie_embeddings:
        logits_PV = jnp.einsum("pd,vd->pv", h_PD, params["embed"].astype(dtype), preferred_element_type=jnp.float32)
    else:
        logits_PV = jnp.einsum("pd,dv->pv", h_PD, params["lm_head"].astype(dtype), preferred_element_type=jnp.float32)
    vocab_V = jnp.arange(logits_PV.shape[-1], dtype=jnp.int32)
    target_P = jnp.take_along_axis(logits_PV, targets_P[:, None], axis=-1)[:, 0]
    # The largest other logit gives both the maximum (for the log-softmax) and, without ties, the greedy flag:
    # the target is the argmax when it beats every other token.
    other_P = jnp.max(jnp.where(vocab_V == targets_P[:, None], -jnp.inf, logits_PV), axis=-1)
    max_P = jnp.maximum(target_P, other_P)
    logprob_P = target_P - max_P - jnp.log(jnp.sum(jnp.exp(logits_PV - max_P[:, None]), axis=-1))

    def first_max(_):
        # A tie at the maximum: argmax's rule (and torch's) is the first index that holds it. This pass is as
        # slow as argmax on XLA's CPU backend, so it runs only when a tie occurs.
        first = jnp.min(jnp.where(logits_PV == max_P[:, None], vocab_V, logits_PV.shape[-1]), axis=-1)
        return first == targets_P

    greedy_P = jax.lax.cond(jnp.any(target_P == other_P), first_max, lambda _: target_P > other_P, None)
    return logprob_P, greedy_P


def head_scores(params, states_SD, select_P, targets_P, *, cfg: M.ModelConfig, placement: S.Placement | None,
                chunk: int):
    """(log-probs [P], greedy flags [P]) of the selected states' targets, `chunk` scored tokens per step
    (`lax.map`): the [chunk, V] logits of a step stay in cache through the log-softmax.

    The gather runs as its own small program, so that the head's program depends on P alone and not also on the
    states' (B, W, J) layout: inside it, every layout times every P compiled a head of its own (40 heads for
    one eval suite, 0.8 s each, against a few milliseconds for a gather)."""
    return _head_program(params, jnp.take(states_SD, select_P, axis=0), targets_P, cfg=cfg, placement=placement,
                         chunk=chunk)


@functools.partial(jax.jit, static_argnames=("cfg", "placement", "chunk"))
def _head_program(params, h_PD, targets_P, *, cfg: M.ModelConfig, placement: S.Placement | None, chunk: int):
    h_PD = S.constrain(h_PD, ("batch", None), placement)
    P = targets_P.shape[0]
    if chunk >= P:
        return _head_scores(params, cfg, h_PD, targets_P)
    lp, greedy = jax.lax.map(lambda xs: _head_scores(params, cfg, *xs),
                             (h_PD.reshape(P // chunk, chunk, -1), targets_P.reshape(P // chunk, chunk)))
    return lp.reshape(P), greedy.reshape(P)
