"""Parameters as a plain pytree: their logical axes, abstract shapes, and initialisation."""
from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from midalign_jax.model.config import DTYPES, ModelConfig, _is_spec, param_specs

Params = dict[str, Any]


def logical_axes(cfg: ModelConfig) -> dict:
    """Pytree matching the params with a tuple of logical axis names at each leaf."""
    return jax.tree.map(lambda s: s[1], param_specs(cfg), is_leaf=_is_spec)


def param_shapes(cfg: ModelConfig) -> dict:
    dtype = DTYPES[cfg.param_dtype]
    return jax.tree.map(lambda s: jax.ShapeDtypeStruct(s[0], dtype), param_specs(cfg), is_leaf=_is_spec)


def init_params(cfg: ModelConfig, rng: jax.Array) -> Params:
    """Normal(init_std) weights, output projections scaled by 1/sqrt(2 * n_layers), ones/zeros for norms/biases."""
    specs = param_specs(cfg)
    flat, treedef = jax.tree.flatten_with_path(specs, is_leaf=_is_spec)
    keys = jax.random.split(rng, len(flat))
    dtype = DTYPES[cfg.param_dtype]
    leaves = []
    for (path, (shape, _)), key in zip(flat, keys):
        name = str(path[-1].key)
        if name == "scale":
            leaves.append(jnp.ones(shape, dtype))
        elif name.endswith("bias"):
            leaves.append(jnp.zeros(shape, dtype))
        else:
            std = cfg.init_std / math.sqrt(2 * cfg.n_layers) if name in ("o", "down") else cfg.init_std
            leaves.append((std * jax.random.normal(key, shape, jnp.float32)).astype(dtype))
    return jax.tree.unflatten(treedef, leaves)
