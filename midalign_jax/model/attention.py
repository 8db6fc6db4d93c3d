"""Causal attention over packed sequences, with a kernel chosen in the config.

Masking rule, shared by every kernel: query t may attend key s when both carry the same segment id and s is not
after t. Segment 0 is padding; padding attends only to padding, so no row is ever fully masked (no NaNs).

Kernels: `xla` is `jax.nn.dot_product_attention`'s reference path; `recompute` is the same arithmetic in plain XLA
ops with a custom backward that keeps only each row's log-sum-exp and recomputes the probabilities, as flash
attention does (without the tiling). Autodiff of `xla` keeps the [B, N, T, S] probabilities of every layer for
the backward pass, and on CPU writing, zero-filling and transposing those buffers costs more than recomputing
them. `auto` picks cuDNN on GPU, splash attention on TPU and `recompute` on CPU. With `matmul="blas"` the
recompute kernel's float32 products run as batched GEMMs in the CPU's BLAS library (midalign_jax/kernels), the
transposed operands of the backward pass read through the GEMM's flags instead of copied.
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

import midalign_jax.model.dense as dense
from midalign_jax.kernels import blas, decode_attention

KERNELS = ("auto", "xla", "recompute", "cudnn", "splash")
# Narrower heads (the tiny preset's 32) keep XLA's dot for the products, as shallow projections do (dense.py).
BLAS_MIN_HEAD_DIM = 64


def causal_segment_mask(q_segment_BT, kv_segment_BS, q_index_BT, kv_index_BS) -> jnp.ndarray:
    """Boolean mask [B, 1, T, S]: same segment and key index <= query index."""
    same = q_segment_BT[:, :, None] == kv_segment_BS[:, None, :]
    causal = kv_index_BS[:, None, :] <= q_index_BT[:, :, None]
    return (same & causal)[:, None, :, :]


def resolve_kernel(kernel: str) -> str:
    if kernel not in KERNELS:
        raise ValueError(f"attention kernel {kernel!r} unknown; expected one of {KERNELS}")
    if kernel != "auto":
        return kernel
    platform = jax.default_backend()
    # cuDNN flash attention needs bf16/fp16 inputs (`attend` falls back to the XLA reference for float32); on CPU
    # the recompute kernel does the reference arithmetic with a cheaper backward pass.
    return {"gpu": "cudnn", "tpu": "splash"}.get(platform, "recompute")


def attend(q_BTNH, k_BSKH, v_BSKH, mask_B1TS, *, kernel: str, segment_ids=None, causal: bool = False,
           matmul: str = "auto") -> jnp.ndarray:
    """Scaled dot-product attention; returns [B, T, N, H] in the query dtype. `causal`: the mask never lets a
    query see a later key (self-attention over one sequence, as in `forward`), so kernels may skip those blocks.
    `matmul`: "auto", "xla" or "blas" (the recompute kernel's float32 products in the BLAS library, dense.py)."""
    kernel = resolve_kernel(kernel)
    if kernel == "splash":
        if segment_ids is None or q_BTNH.shape[1] != k_BSKH.shape[1]:
            # Decode steps against a KV cache are not what splash attention is for; use the reference path.
            kernel = "xla"
        else:
            return _splash(q_BTNH, k_BSKH, v_BSKH, segment_ids)
    if kernel == "cudnn" and q_BTNH.dtype == jnp.float32:
        kernel = "xla"  # cuDNN's fused kernel has no float32 variant
    if kernel == "recompute":
        use_blas = (_all_float32(q_BTNH, k_BSKH, v_BSKH) and q_BTNH.shape[-1] >= BLAS_MIN_HEAD_DIM
                    and dense.use_blas(matmul))
        return _recompute(q_BTNH, k_BSKH, v_BSKH, mask_B1TS, causal, use_blas)
    return jax.nn.dot_product_attention(q_BTNH, k_BSKH, v_BSKH, mask=mask_B1TS, implementation=kernel)


def attend_cached(q_BTNH, k_BKHS, v_BKSH, mask_B1TS, matmul: str = "xla") -> jnp.ndarray:
    """Attention of T new queries over a KV cache kept as keys [B, K, H, S] and values [B, K, S, H]: the layouts
    the score and value products read as row-major matmuls, so a decode step neither transposes a layer's cache
    (jax.nn.dot_product_attention wants [B, S, K, H] and would) nor contracts it on its minor axis. Query heads are
    grouped per KV head (GQA) instead of repeating K and V. A float32 decode step (T = 1) goes to our CPU kernel
    (midalign_jax/kernels/decode_attention.cc) where `matmul` allows our kernels (`use_decode_kernel`)."""
    if q_BTNH.shape[1] == 1 and _all_float32(q_BTNH, k_BKHS, v_BKSH) and use_decode_kernel(matmul):
        B, _, N, H = q_BTNH.shape
        K = k_BKHS.shape[1]
        out = decode_attention.attend(q_BTNH.reshape(B, K, N // K, H), k_BKHS, v_BKSH, mask_B1TS[:, 0, 0])
        return out.reshape(B, 1, N, H)
    B, T, N, H = q_BTNH.shape
    K = k_BKHS.shape[1]
    q_BKGTH = q_BTNH.reshape(B, T, K, N // K, H).transpose(0, 2, 3, 1, 4)
    scores = jnp.einsum("bkgth,bkhs->bkgts", q_BKGTH, k_BKHS, preferred_element_type=jnp.float32)
    scores = scores / jnp.sqrt(jnp.float32(H))
    scores = jnp.where(mask_B1TS[:, :, None], scores, jnp.finfo(jnp.float32).min)
    probs = jax.nn.softmax(scores, axis=-1).astype(v_BKSH.dtype)
    # Output in (b, k) batch, (g, t) rows, h columns: a plain batched matmul. Asking for [B, T, K, G, H] here lets
    # XLA swap the operands and contract V on its middle axis, which the CPU backend runs through its generic,
    # several times slower dot (the costliest op of a decode step before this).
    out = jnp.einsum("bkgts,bksh->bkgth", probs, v_BKSH)
    return out.transpose(0, 3, 1, 2, 4).reshape(B, T, N, H).astype(q_BTNH.dtype)


def _all_float32(q, k, v) -> bool:
    return q.dtype == k.dtype == v.dtype == jnp.float32


def use_decode_kernel(matmul: str) -> bool:
    """Whether a float32 decode step's attention runs in our CPU kernel, by the rule of `dense.use_kernel`."""
    return dense.use_kernel(matmul, decode_attention)


def _recompute(q_BTNH, k_BSKH, v_BSKH, mask_B1TS, causal: bool, use_blas: bool = False) -> jnp.ndarray:
    """Grouped-query attention in the [B, K, G, T, S] layout (G = query heads per KV head), so every score and
    value product is a batched matmul over (B, K) with no transpose of a [T, S] buffer."""
    B, T, N, H = q_BTNH.shape
    K, S = k_BSKH.shape[2], k_BSKH.shape[1]
    q_BKGTH = q_BTNH.reshape(B, T, K, N // K, H).transpose(0, 2, 3, 1, 4)
    k_BKSH = k_BSKH.transpose(0, 2, 1, 3)
    v_BKSH = v_BSKH.transpose(0, 2, 1, 3)
    blocks = query_blocks(T) if causal and T == S else ((0, T),)
    out_BKGTH = _lse_attention(q_BKGTH, k_BKSH, v_BKSH.astype(q_BTNH.dtype), mask_B1TS, blocks, use_blas)
    return out_BKGTH.transpose(0, 3, 1, 2, 4).reshape(B, T, N, H)


# Query rows per block of the causal recompute kernel. Block i attends only to the keys up to its last row (the
# others are masked for every query in it), which skips 3/8 of the score work at T = 4 blocks, and each block's
# [Tb, S] buffers are a fraction of the whole: on a 2-core CPU one layer's attention forward and backward at
# batch 8 x 256 tokens took 62% (8 x 64-dim heads) and 65% (9 query / 3 KV heads) of the unblocked kernel's time.
QUERY_BLOCK = 64
MAX_QUERY_BLOCKS = 8


def query_blocks(T: int) -> tuple[tuple[int, int], ...]:
    """(start, end) query rows of each block: about T / QUERY_BLOCK blocks (at most MAX_QUERY_BLOCKS), inner
    edges on multiples of 8 rows where T allows."""
    n = max(1, min(MAX_QUERY_BLOCKS, round(T / QUERY_BLOCK)))
    step = 8 if T >= 8 * n else 1
    edges = sorted({0, T} | {min(T, -(-T * i // n) // step * step) for i in range(1, n)})
    return tuple((a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a)


def _masked_scores(q_scaled_BKGTH, k_BKSH, mask_B1TS, use_blas: bool):
    """Scores in float32 (the query is scaled already), masked keys at a large negative value (not -inf: exp gives
    exact zeros, and a difference of two of them stays finite)."""
    s = _rows_by_keys(q_scaled_BKGTH, k_BKSH, use_blas)
    return jnp.where(mask_B1TS[:, :, None], s, _MASKED)


def _gemm_bk(a, b, out_shape, *, trans_a=False, trans_b=False):
    """A BLAS GEMM per (b, k) entry: a and b as [B * K, rows, last dim] matrices (every dim between the first two
    and the last folds into the rows), the result reshaped to `out_shape`."""
    B, K = a.shape[:2]
    a3, b3 = a.reshape(B * K, -1, a.shape[-1]), b.reshape(B * K, -1, b.shape[-1])
    return blas.gemm(a3, b3, trans_a=trans_a, trans_b=trans_b).reshape(out_shape)


def _rows_by_keys(x_BKGTH, k_BKSH, use_blas: bool):
    """[B, K, G, T, S] = x . k over H, in float32 (scores, and dP = dO . V)."""
    if use_blas:
        B, K, G, T, _ = x_BKGTH.shape
        return _gemm_bk(x_BKGTH, k_BKSH, (B, K, G, T, k_BKSH.shape[2]), trans_b=True)
    return jnp.einsum("bkgth,bksh->bkgts", x_BKGTH, k_BKSH, preferred_element_type=jnp.float32)


def _rows_by_values(p_BKGTS, v_BKSH, use_blas: bool):
    """[B, K, G, T, H] = p . v over S, in float32 (the output, and dQ = dS . K)."""
    if use_blas:
        B, K, G, T, _ = p_BKGTS.shape
        return _gemm_bk(p_BKGTS, v_BKSH, (B, K, G, T, v_BKSH.shape[-1]))
    return jnp.einsum("bkgts,bksh->bkgth", p_BKGTS, v_BKSH, preferred_element_type=jnp.float32)


def _keys_by_rows(y_BKGTS, x_BKGTH, use_blas: bool):
    """[B, K, S, H] = y^T . x over (G, T), in float32 (dV = P^T dO and dK = dS^T Q). BLAS reads y transposed
    through its flag. XLA's dot does not take that form fast: the product runs as (x^T y)^T, with only the
    [T, H]-sized x transposed (kept a copy by the barrier) and the small [H, S] result transposed back."""
    if use_blas:   # (G, T) fold into the GEMM's rows, which the transposed y contracts over
        B, K, _, _, S = y_BKGTS.shape
        return _gemm_bk(y_BKGTS, x_BKGTH, (B, K, S, x_BKGTH.shape[-1]), trans_a=True)
    x_t = jax.lax.optimization_barrier(x_BKGTH.transpose(0, 1, 4, 2, 3))        # [B, K, H, G, T]
    return _transposed_product(x_t, y_BKGTS)


_MASKED = -0.7 * float(jnp.finfo(jnp.float32).max)


def _scale(q):
    # On the [T, H] query rather than on the [T, S] scores (exact for power-of-two head dims such as 64).
    return 1.0 / math.sqrt(q.shape[-1])


def _join(parts, axis):
    return parts[0] if len(parts) == 1 else jnp.concatenate(parts, axis=axis)


@functools.partial(jax.custom_vjp, nondiff_argnums=(4, 5))
def _lse_attention(q_BKGTH, k_BKSH, v_BKSH, mask_B1TS, blocks, use_blas):
    return _lse_attention_fwd(q_BKGTH, k_BKSH, v_BKSH, mask_B1TS, blocks, use_blas)[0]


def _lse_attention_fwd(q_BKGTH, k_BKSH, v_BKSH, mask_B1TS, blocks, use_blas):
    q_s = (q_BKGTH * _scale(q_BKGTH)).astype(q_BKGTH.dtype)
    outs, lses = [], []
    for a, b in blocks:   # keys [0, b) only: the causal mask hides every later key from rows [a, b)
        s = _masked_scores(q_s[:, :, :, a:b], k_BKSH[:, :, :b], mask_B1TS[:, :, a:b, :b], use_blas)
        m = jnp.max(s, axis=-1, keepdims=True)
        p = jnp.exp(s - m)
        denom = jnp.sum(p, axis=-1, keepdims=True)
        # Normalise after the value product: a [T, H] division instead of a [T, S] one.
        out = _rows_by_values(p.astype(v_BKSH.dtype), v_BKSH[:, :, :b], use_blas)
        outs.append((out / denom).astype(q_BKGTH.dtype))
        lses.append((m + jnp.log(denom))[..., 0])
    out = _join(outs, 3)
    return out, (q_s, k_BKSH, v_BKSH, mask_B1TS, out, _join(lses, 3))


def _lse_attention_bwd(blocks, use_blas, res, dout_BKGTH):
    q_s, k, v, mask, out, lse_BKGT = res
    S = k.shape[2]
    delta = jnp.sum(dout_BKGTH.astype(jnp.float32) * out.astype(jnp.float32), axis=-1, keepdims=True)
    dqs, dk, dv = [], None, None
    for a, b in blocks:
        q_i, dout_i = q_s[:, :, :, a:b], dout_BKGTH[:, :, :, a:b]
        s = _masked_scores(q_i, k[:, :, :b], mask[:, :, a:b, :b], use_blas)
        p = jnp.exp(s - lse_BKGT[:, :, :, a:b, None])          # the forward probabilities, exactly zero if masked
        dv_i = _keys_by_rows(p.astype(dout_i.dtype), dout_i, use_blas)
        dp = _rows_by_keys(dout_i, v[:, :, :b], use_blas)
        ds = (p * (dp - delta[:, :, :, a:b])).astype(q_s.dtype)   # d(scores); the scale sits on q_s
        dqs.append(_rows_by_values(ds, k[:, :, :b], use_blas))
        dk_i = _keys_by_rows(ds, q_i, use_blas)
        pad = [(0, 0), (0, 0), (0, S - b), (0, 0)]
        dk = jnp.pad(dk_i, pad) if dk is None else dk + jnp.pad(dk_i, pad)
        dv = jnp.pad(dv_i, pad) if dv is None else dv + jnp.pad(dv_i, pad)
    dq = _join(dqs, 3) * _scale(q_s)
    return dq.astype(q_s.dtype), dk.astype(k.dtype), dv.astype(v.dtype), None


def _transposed_product(x_BKHGT, y_BKGTS):
    """[B, K, S, H] = (x @ y)^T per (b, k): the matmul runs in its row-major form and only the small [H, S]
    result is transposed (the barrier stops the compiler from moving that transpose onto the [T, S] operand)."""
    xy_BKHS = jnp.einsum("bkhgt,bkgts->bkhs", x_BKHGT, y_BKGTS, preferred_element_type=jnp.float32)
    return jax.lax.optimization_barrier(xy_BKHS).transpose(0, 1, 3, 2)


_lse_attention.defvjp(_lse_attention_fwd, _lse_attention_bwd)


def _splash(q_BTNH, k_BTKH, v_BTKH, segment_ids_BT) -> jnp.ndarray:
    """Pallas splash attention (TPU only): causal + segment ids, GQA by repeating KV heads."""
    from jax.experimental.pallas.ops.tpu.splash_attention import (
        splash_attention_kernel as sk,
    )
    from jax.experimental.pallas.ops.tpu.splash_attention import (
        splash_attention_mask as sm,
    )

    _, T, N, H = q_BTNH.shape
    groups = N // k_BTKH.shape[2]
    k_BTNH = jnp.repeat(k_BTKH, groups, axis=2)
    v_BTNH = jnp.repeat(v_BTKH, groups, axis=2)
    mask = sm.MultiHeadMask([sm.CausalMask((T, T)) for _ in range(N)])
    kernel = sk.make_splash_mha(mask=mask, head_shards=1, q_seq_shards=1)
    scale = 1.0 / jnp.sqrt(jnp.asarray(H, q_BTNH.dtype))

    @functools.partial(jax.vmap, in_axes=(0, 0, 0, 0))
    def per_example(q_NTH, k_NTH, v_NTH, seg_T):
        return kernel(q_NTH * scale, k_NTH, v_NTH, segment_ids=sk.SegmentIds(q=seg_T, kv=seg_T))

    out_BNTH = per_example(q_BTNH.transpose(0, 2, 1, 3), k_BTNH.transpose(0, 2, 1, 3),
                           v_BTNH.transpose(0, 2, 1, 3), segment_ids_BT)
    return out_BNTH.transpose(0, 2, 1, 3)
