"""Causal attention over packed sequences, with a kernel chosen in the config.

Masking rule, shared by every kernel: query t may attend key s when both carry the same segment id and s is not
after t. Segment 0 is padding; padding attends only to padding, so no row is ever fully masked (no NaNs).

Kernels: `xla` is `jax.nn.dot_product_attention`'s reference path; `recompute` is the same arithmetic in plain XLA
ops with a custom backward that keeps only each row's log-sum-exp and recomputes the probabilities, as flash
attention does (without the tiling). Autodiff of `xla` keeps the [B, N, T, S] probabilities of every layer for
the backward pass, and on CPU writing, zero-filling and transposing those buffers costs more than recomputing
them. `auto` picks cuDNN on GPU, splash attention on TPU and `recompute` on CPU.
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

KERNELS = ("auto", "xla", "recompute", "cudnn", "splash")


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


def attend(q_BTNH, k_BSKH, v_BSKH, mask_B1TS, *, kernel: str, segment_ids=None) -> jnp.ndarray:
    """Scaled dot-product attention; returns [B, T, N, H] in the query dtype."""
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
        return _recompute(q_BTNH, k_BSKH, v_BSKH, mask_B1TS)
    return jax.nn.dot_product_attention(q_BTNH, k_BSKH, v_BSKH, mask=mask_B1TS, implementation=kernel)


def attend_cached(q_BTNH, k_BKSH, v_BKSH, mask_B1TS) -> jnp.ndarray:
    """Attention of T new queries over a KV cache kept as [B, K, S, H]: the layout the score and value einsums
    read directly, so a decode step does not transpose every layer's whole cache (jax.nn.dot_product_attention
    wants [B, S, K, H] and would). Query heads are grouped per KV head (GQA) instead of repeating K and V."""
    B, T, N, H = q_BTNH.shape
    K = k_BKSH.shape[1]
    q_BKGTH = q_BTNH.reshape(B, T, K, N // K, H).transpose(0, 2, 3, 1, 4)
    scores = jnp.einsum("bkgth,bksh->bkgts", q_BKGTH, k_BKSH, preferred_element_type=jnp.float32)
    scores = scores / jnp.sqrt(jnp.float32(H))
    scores = jnp.where(mask_B1TS[:, :, None], scores, jnp.finfo(jnp.float32).min)
    probs = jax.nn.softmax(scores, axis=-1).astype(v_BKSH.dtype)
    # Output in (b, k) batch, (g, t) rows, h columns: a plain batched matmul. Asking for [B, T, K, G, H] here lets
    # XLA swap the operands and contract V on its middle axis, which the CPU backend runs through its generic,
    # several times slower dot (the costliest op of a decode step before this).
    out = jnp.einsum("bkgts,bksh->bkgth", probs, v_BKSH)
    return out.transpose(0, 3, 1, 2, 4).reshape(B, T, N, H).astype(q_BTNH.dtype)


def _recompute(q_BTNH, k_BSKH, v_BSKH, mask_B1TS) -> jnp.ndarray:
    """Grouped-query attention in the [B, K, G, T, S] layout (G = query heads per KV head), so every score and
    value product is a batched matmul over (B, K) with no transpose of a [T, S] buffer."""
    B, T, N, H = q_BTNH.shape
    K = k_BSKH.shape[2]
    q_BKGTH = q_BTNH.reshape(B, T, K, N // K, H).transpose(0, 2, 3, 1, 4)
    k_BKSH = k_BSKH.transpose(0, 2, 1, 3)
    v_BKSH = v_BSKH.transpose(0, 2, 1, 3)
    out_BKGTH = _lse_attention(q_BKGTH, k_BKSH, v_BKSH.astype(q_BTNH.dtype), mask_B1TS)
    return out_BKGTH.transpose(0, 3, 1, 2, 4).reshape(B, T, N, H)


def _masked_scores(q_BKGTH, k_BKSH, mask_B1TS):
    """Scaled scores in float32, masked keys at a large negative value (not -inf: exp gives exact zeros, and a
    difference of two of them stays finite)."""
    scale = 1.0 / math.sqrt(q_BKGTH.shape[-1])
    s = jnp.einsum("bkgth,bksh->bkgts", q_BKGTH, k_BKSH, preferred_element_type=jnp.float32) * scale
    return jnp.where(mask_B1TS[:, :, None], s, _MASKED), scale


_MASKED = -0.7 * float(jnp.finfo(jnp.float32).max)


@jax.custom_vjp
def _lse_attention(q_BKGTH, k_BKSH, v_BKSH, mask_B1TS):
    return _lse_attention_fwd(q_BKGTH, k_BKSH, v_BKSH, mask_B1TS)[0]


def _lse_attention_fwd(q_BKGTH, k_BKSH, v_BKSH, mask_B1TS):
    s, _ = _masked_scores(q_BKGTH, k_BKSH, mask_B1TS)
    m = jnp.max(s, axis=-1, keepdims=True)
    p = jnp.exp(s - m)
    denom = jnp.sum(p, axis=-1, keepdims=True)
    # Normalise after the value product: a [T, H] division instead of a [T, S] one.
    out = jnp.einsum("bkgts,bksh->bkgth", p.astype(v_BKSH.dtype), v_BKSH, preferred_element_type=jnp.float32)
    out = (out / denom).astype(q_BKGTH.dtype)
    lse = (m + jnp.log(denom))[..., 0]
    return out, (q_BKGTH, k_BKSH, v_BKSH, mask_B1TS, out, lse)


def _lse_attention_bwd(res, dout_BKGTH):
    q, k, v, mask, out, lse_BKGT = res
    s, scale = _masked_scores(q, k, mask)
    p = jnp.exp(s - lse_BKGT[..., None])                      # the forward probabilities, exactly zero if masked
    # dV = P^T dO and dK = dS^T Q contract over (G, T). Written as (dO^T P)^T and (Q^T dS)^T, the big [T, S]
    # operand is used as stored and only [T, H]-sized operands are transposed (kept as copies by the barrier).
    dout_t = jax.lax.optimization_barrier(dout_BKGTH.transpose(0, 1, 4, 2, 3))      # [B, K, H, G, T]
    dv = _transposed_product(dout_t, p.astype(dout_BKGTH.dtype))
    dp = jnp.einsum("bkgth,bksh->bkgts", dout_BKGTH, v, preferred_element_type=jnp.float32)
    delta = jnp.sum(dout_BKGTH.astype(jnp.float32) * out.astype(jnp.float32), axis=-1, keepdims=True)
    ds = p * (dp - delta) * scale
    dq = jnp.einsum("bkgts,bksh->bkgth", ds.astype(q.dtype), k, preferred_element_type=jnp.float32)
    q_t = jax.lax.optimization_barrier(q.transpose(0, 1, 4, 2, 3))                  # [B, K, H, G, T]
    dk = _transposed_product(q_t, ds.astype(q.dtype))
    return dq.astype(q.dtype), dk.astype(k.dtype), dv.astype(v.dtype), None


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
