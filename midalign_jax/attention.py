"""Causal attention over packed sequences, with a kernel chosen in the config.

Masking rule, shared by every kernel: query t may attend key s when both carry the same segment id and s is not
after t. Segment 0 is padding; padding attends only to padding, so no row is ever fully masked (no NaNs).
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

KERNELS = ("auto", "xla", "cudnn", "splash")


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
    # cuDNN flash attention needs bf16/fp16 inputs; the XLA path is the exact reference everywhere else.
    return {"gpu": "cudnn", "tpu": "splash"}.get(platform, "xla")


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
    return jax.nn.dot_product_attention(q_BTNH, k_BSKH, v_BSKH, mask=mask_B1TS, implementation=kernel)


def attend_cached(q_BTNH, k_BKSH, v_BKSH, mask_B1TS) -> jnp.ndarray:
    """Attention of T new queries over a KV cache kept as [B, K, S, H]: the layout the score and value einsums
    read directly, so a decode step does not transpose every layer's whole cache (jax.nn.dot_product_attention
    wants [B, S, K, H] and would). Query heads are grouped per KV head (GQA) instead of repeating K and V."""
    B, T, N, H = q_BTNH.shape
    K = k_BKSH.shape[1]
    q_BTKGH = q_BTNH.reshape(B, T, K, N // K, H)
    scores = jnp.einsum("btkgh,bksh->bkgts", q_BTKGH, k_BKSH, preferred_element_type=jnp.float32)
    scores = scores / jnp.sqrt(jnp.float32(H))
    scores = jnp.where(mask_B1TS[:, :, None], scores, jnp.finfo(jnp.float32).min)
    probs = jax.nn.softmax(scores, axis=-1).astype(v_BKSH.dtype)
    out = jnp.einsum("bkgts,bksh->btkgh", probs, v_BKSH)
    return out.reshape(B, T, N, H).astype(q_BTNH.dtype)


def _splash(q_BTNH, k_BTKH, v_BTKH, segment_ids_BT) -> jnp.ndarray:
    """Pallas splash attention (TPU only): causal + segment ids, GQA by repeating KV heads."""
    from jax.experimental.pallas.ops.tpu.splash_attention import splash_attention_kernel as sk
    from jax.experimental.pallas.ops.tpu.splash_attention import splash_attention_mask as sm

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
