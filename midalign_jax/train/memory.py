"""A fail-fast estimate of per-device training memory, so an OOM-prone config stops before compiling."""
from __future__ import annotations

import os

import jax

from midalign_jax.model import ModelConfig


def estimate_bytes_per_device(cfg: ModelConfig, *, batch_size: int, seq_len: int, grad_accum: int,
                              num_devices: int, param_shards: int) -> int:
    """Params + grads + Adam moments (float32, sharded `param_shards` ways) plus activations of one micro-batch
    (the residual stream saved per layer, the MLP width and the float32 logits, split over the batch)."""
    n = cfg.num_params()
    state = n * 4 * 4 // max(param_shards, 1)
    micro_rows = max(batch_size // grad_accum // max(num_devices // max(param_shards, 1), 1), 1)
    act_bytes = 2 if cfg.dtype == "bfloat16" else 4
    per_layer = seq_len * (4 * cfg.d_model + 2 * cfg.d_ff) * act_bytes
    if cfg.remat == "full":
        per_layer = seq_len * cfg.d_model * act_bytes
    logits = seq_len * cfg.vocab_size * 4 * 3
    return int(state + micro_rows * (cfg.n_layers * per_layer + logits))


def device_memory_limit() -> int | None:
    stats = None
    try:
        stats = jax.devices()[0].memory_stats()
    except Exception:  # noqa: BLE001 - CPU backends may not implement memory_stats
        pass
    if stats and stats.get("bytes_limit"):
        return int(stats["bytes_limit"])
    if jax.devices()[0].platform == "cpu":
        # All simulated CPU devices share host RAM.
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // max(jax.local_device_count(), 1)
    return None


def check_fits(cfg: ModelConfig, **kwargs) -> int:
    need = estimate_bytes_per_device(cfg, **kwargs)
    limit = device_memory_limit()
    if limit is not None and need > 0.9 * limit:
        raise MemoryError(
            f"estimated {need / 2**30:.2f} GiB per device for training ({cfg.num_params() / 1e6:.1f}M params, "
            f"{kwargs}) exceeds 90% of the {limit / 2**30:.2f} GiB available: lower batch_size, raise grad_accum, "
            "enable remat, or shard wider (mesh.fsdp / mesh.tensor)")
    return need
