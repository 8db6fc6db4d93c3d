"""Model FLOPs per token and the device's peak, for MFU.

Peak sources, in order: a table of published dense peaks for known accelerators (bf16), or a matmul measured on
this device at start-up (CPUs, unknown chips). The source is reported next to every MFU figure.
"""
from __future__ import annotations

import functools
import time

import jax
import jax.numpy as jnp

from midalign_jax.model.config import ModelConfig

# Dense bf16 peaks per chip, from the vendors' data sheets.
PUBLISHED_PEAKS = {
    "H100": (989e12, "NVIDIA H100 SXM data sheet, dense bf16"),
    "H200": (989e12, "NVIDIA H200 data sheet, dense bf16"),
    "A100": (312e12, "NVIDIA A100 data sheet, dense bf16"),
    "TPU v4": (275e12, "Cloud TPU v4 docs, bf16"),
    "TPU v5 lite": (197e12, "Cloud TPU v5e docs, bf16"),
    "TPU v5p": (459e12, "Cloud TPU v5p docs, bf16"),
    "TPU v6 lite": (918e12, "Cloud TPU v6e docs, bf16"),
}


def flops_per_token(cfg: ModelConfig, seq_len: int, training: bool = True) -> float:
    """6N (forward + backward of the matmuls) plus causal attention's 6 * L * T * N_heads * head_dim (halved
    causal 12*L*T*D), following the PaLM appendix; 2N + 2*L*T*heads*dim for inference."""
    # The input embedding is a lookup, not a matmul; a tied table still counts once, as the output head.
    n_matmul = cfg.num_params() - (0 if cfg.tie_embeddings else cfg.vocab_size * cfg.d_model)
    attn = cfg.n_layers * seq_len * cfg.n_heads * cfg.head_dim  # causal: half of 2*T*D per QK^T and AV
    return (6 * n_matmul + 12 * attn) if training else (2 * n_matmul + 4 * attn)


@functools.lru_cache(maxsize=None)
def device_peak_flops(dtype: str = "float32") -> tuple[float, str]:
    """(peak FLOP/s of one device, where that number comes from)."""
    dev = jax.devices()[0]
    kind = getattr(dev, "device_kind", "")
    if dev.platform != "cpu" and dtype == "bfloat16":
        for name, (peak, source) in PUBLISHED_PEAKS.items():
            if name.lower() in kind.lower():
                return peak, source
    return _measured_matmul_peak(dtype), f"measured {dtype} matmul on {kind or dev.platform} at start-up"


def _measured_matmul_peak(dtype: str, n: int = 1024, reps: int = 5) -> float:
    dt = jnp.bfloat16 if dtype == "bfloat16" else jnp.float32
    a = jnp.ones((n, n), dt)
    f = jax.jit(lambda x: x @ x)
    f(a).block_until_ready()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        f(a).block_until_ready()
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best
