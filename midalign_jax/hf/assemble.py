"""Builds our params pytree from a load plan, one parameter at a time, straight onto its target sharding.

Shared by every checkpoint format (HF directories, GGUF files): the format only supplies `read(src, layer)`, the
source tensor of one plan entry in HF layout ([out, in] for projections). Each parameter is one preallocated stacked
numpy array, filled layer by layer, placed on its devices, and dropped before the next one is read, so the host
never holds a second full copy of the model.
"""
from __future__ import annotations

from typing import Any, Callable

import jax
import numpy as np

from midalign_jax import model
from midalign_jax.hf.layout import Source
from midalign_jax.model import ModelConfig


def dtype_name(dtype: Any) -> str:
    """'float32' | 'bfloat16' | 'float16' from a name or any numpy / jax dtype."""
    name = dtype if isinstance(dtype, str) else np.dtype(dtype).name
    if name not in model.DTYPES:
        raise ValueError(f"dtype {dtype!r} not supported; expected one of {tuple(model.DTYPES)}")
    return name


def np_dtype(name: str) -> np.dtype:
    return np.dtype(model.DTYPES[name])


def lookup(tree: Any, path: tuple[str, ...], what: str):
    node = tree
    for key in path:
        if not isinstance(node, dict) or key not in node:
            raise ValueError(f"{what} has no entry for parameter {'/'.join(path)}; it must have the params' structure")
        node = node[key]
    return node


def set_leaf(tree: dict, path: tuple[str, ...], value) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def resolve_shardings(shardings: Any | Callable[[ModelConfig], Any], cfg: ModelConfig) -> Any:
    return shardings(cfg) if callable(shardings) else shardings


def assemble(cfg: ModelConfig, plan: list[Source], read: Callable[[Source, int | None], np.ndarray],
             shardings: Any = None, check: Callable[[Source, np.ndarray], None] | None = None) -> dict:
    """params for `cfg` (stored as cfg.param_dtype) from `read`; `check(src, host)` sees each filled parameter
    before it is placed. shardings: a pytree of shardings with the params' structure, or None (default device)."""
    dtype = np_dtype(cfg.param_dtype)
    shapes = model.param_shapes(cfg)
    params: dict = {}
    for src in plan:
        host = np.empty(lookup(shapes, src.path, "param_shapes").shape, dtype)
        if src.layered:
            for i in range(cfg.n_layers):
                host[i] = src.to_ours(read(src, i))
        else:
            host[...] = src.to_ours(read(src, None))
        if check is not None:
            check(src, host)
        target = None if shardings is None else lookup(shardings, src.path, "shardings")
        placed = jax.device_put(host, target) if target is not None else jax.device_put(host)
        # Wait for the transfer so the host buffer can go before the next parameter is read.
        placed.block_until_ready()
        del host
        set_leaf(params, src.path, placed)
    return params
