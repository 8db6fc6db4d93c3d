"""One decode step's float32 attention over a KV cache on the CPU backend, as an XLA FFI custom call.

XLA:CPU runs a decode step's score and value products as B x K tiny batched matmuls over the whole cache
buffer, filled or not. The handler (decode_attention.cc, built by build.py) reads each row's keys and values
only up to the last slot its mask allows, and does scores, softmax and value sum in one pass per (row, KV
head) on XLA's thread pool. `model.attention.attend_cached` uses it for one new token per row.
"""
from __future__ import annotations

import functools
import logging

import jax
import jax.numpy as jnp

from midalign_jax.kernels import build

log = logging.getLogger(__name__)

TARGET = "midalign_decode_attention"


@functools.lru_cache(maxsize=None)
def _register() -> str:
    """Loads and registers the handler once per process; returns '' or the reason it cannot run."""
    handler, reason = build.load()
    if handler is None:
        return reason
    jax.ffi.register_ffi_target(TARGET, jax.ffi.pycapsule(handler.MidalignDecodeAttention), platform="cpu")
    return ""


def available() -> bool:
    return not _register()


@functools.lru_cache(maxsize=1)
def usable() -> bool:
    """`available()`, with one warning per process when it is not (callers then use XLA's products)."""
    if _register():
        log.warning("decode attention kernel: %s; using XLA's products instead", _register())
    return not _register()


def attend(q_BKGH, k_BKHS, v_BKSH, mask_BS):
    """softmax(q kᵀ / sqrt(H), masked) v for one query per (row, query head): q [B, K, G, H] (G query heads per
    KV head), keys [B, K, H, S], values [B, K, S, H], mask [B, S] bool; returns [B, K, G, H] float32. A row whose
    mask is all false gets zeros."""
    reason = _register()
    if reason:
        raise build.KernelUnavailable(reason)
    if not q_BKGH.dtype == k_BKHS.dtype == v_BKSH.dtype == jnp.float32:
        raise TypeError(f"decode attention takes float32, got {q_BKGH.dtype}, {k_BKHS.dtype}, {v_BKSH.dtype}")
    B, K, G, H = q_BKGH.shape
    S = k_BKHS.shape[-1]
    if k_BKHS.shape != (B, K, H, S) or v_BKSH.shape != (B, K, S, H) or mask_BS.shape != (B, S):
        raise ValueError(f"decode attention: q {q_BKGH.shape}, k {k_BKHS.shape}, v {v_BKSH.shape}, mask "
                         f"{mask_BS.shape}; expected [B, K, G, H], [B, K, H, S], [B, K, S, H], [B, S]")
    call = jax.ffi.ffi_call(TARGET, jax.ShapeDtypeStruct((B, K, G, H), jnp.float32), vmap_method="sequential")
    return call(q_BKGH, k_BKHS, v_BKSH, mask_BS.astype(jnp.bool_))
