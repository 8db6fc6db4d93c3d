"""The decoder: its architecture (`ModelConfig`), parameters as a pytree, and the pure forward and KV-cache passes.

`forward(params, tokens, cfg)` is the model (decoder.py); `init_params`, `logical_axes` and `param_shapes` describe
its parameters (params.py); presets.py holds the published shapes, flops.py the FLOP counts MFU is measured by.
"""
from midalign_jax.model.config import DTYPES, REMAT_POLICIES, ModelConfig, param_specs
from midalign_jax.model.decoder import (cache_logical_axes, extend, forward, init_cache, per_layer_cache,
    per_layer_params)
from midalign_jax.model.params import Params, init_params, logical_axes, param_shapes

__all__ = [
    "DTYPES", "REMAT_POLICIES", "ModelConfig", "Params", "cache_logical_axes", "extend", "forward", "init_cache",
    "init_params", "logical_axes", "param_shapes", "param_specs", "per_layer_cache", "per_layer_params",
]
