"""Device mesh, logical-axis rules, and placement of params and batches.

Every parameter and sharded activation carries logical axis names (`batch`, `embed`, `heads`, ...). A rule table
from the config maps each logical name to zero or more mesh axes (`data`, `fsdp`, `tensor`). Nothing else decides
placement: the train step and the sampler are jitted with the shardings computed here.
"""
from __future__ import annotations

import dataclasses
import logging
import math
from typing import Any, Mapping, Sequence

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

MESH_AXES = ("data", "fsdp", "tensor")

# Logical name -> mesh axes. Batch is split over both data-parallel axes; FSDP shards the embedding dimension of
# the weights; tensor parallelism shards heads, MLP width and vocabulary. `act_*` names are for activations.
DEFAULT_RULES: dict[str, tuple[str, ...]] = {
    "batch": ("data", "fsdp"),
    "seq": (),
    "embed": ("fsdp",),
    "heads": ("tensor",),
    "kv_heads": ("tensor",),
    "head_dim": (),
    "mlp": ("tensor",),
    "vocab": ("tensor",),
    "layers": (),
    "norm": (),
    "act_embed": (),
    "cache_seq": (),
}

Rules = Mapping[str, tuple[str, ...]]


def rules_from_config(rules_cfg: Mapping[str, str] | None) -> dict[str, tuple[str, ...]]:
    """Config strings like 'data,fsdp' or '' -> tuples of mesh axes, on top of the defaults."""
    rules = dict(DEFAULT_RULES)
    for name, value in dict(rules_cfg or {}).items():
        axes = tuple(a.strip() for a in str(value).split(",") if a.strip())
        for a in axes:
            if a not in MESH_AXES:
                raise ValueError(f"sharding rule {name}={value!r}: unknown mesh axis {a!r}; expected {MESH_AXES}")
        rules[name] = axes
    return rules


def mesh_shape(mesh_cfg, num_devices: int) -> tuple[int, int, int]:
    """Resolves the configured (data, fsdp, tensor) sizes; one of them may be -1 meaning 'the rest'."""
    sizes = [int(mesh_cfg.data), int(mesh_cfg.fsdp), int(mesh_cfg.tensor)]
    if sizes.count(-1) > 1:
        raise ValueError(f"mesh {sizes}: at most one axis may be -1")
    known = math.prod(s for s in sizes if s != -1)
    if any(s == 0 or s < -1 for s in sizes) or num_devices % known:
        raise ValueError(f"mesh data={sizes[0]} fsdp={sizes[1]} tensor={sizes[2]} does not fit {num_devices} devices")
    sizes = [num_devices // known if s == -1 else s for s in sizes]
    if math.prod(sizes) != num_devices:
        raise ValueError(f"mesh {sizes} uses {math.prod(sizes)} devices but {num_devices} are available; "
                         "set one axis to -1 to take the rest")
    return tuple(sizes)


def make_mesh(mesh_cfg, devices: Sequence[jax.Device] | None = None) -> Mesh:
    devices = list(jax.devices() if devices is None else devices)
    shape = mesh_shape(mesh_cfg, len(devices))
    try:
        # Topology-aware device order (ICI rings on TPU); falls back to plain order for simulated CPUs.
        from jax.experimental import mesh_utils
        grid = mesh_utils.create_device_mesh(shape, devices=devices)
    except Exception:  # noqa: BLE001 - any topology failure still leaves a valid (if slower) mesh
        grid = np.asarray(devices).reshape(shape)
    return Mesh(grid, MESH_AXES)


def logical_to_spec(logical: Sequence[str | None], rules: Rules, mesh: Mesh | None = None,
                    shape: Sequence[int] | None = None) -> PartitionSpec:
    """Maps logical names to a PartitionSpec. With a shape, mesh axes that do not divide a dimension are dropped
    (e.g. 2 KV heads on 8-way tensor parallelism stay replicated) rather than failing at placement time."""
    used: set[str] = set()
    out = []
    for i, name in enumerate(logical):
        axes = tuple(a for a in (rules.get(name, ()) if name else ()) if a not in used)
        if mesh is not None:
            axes = tuple(a for a in axes if mesh.shape[a] > 1)
            if shape is not None:
                kept = []
                for a in axes:
                    if shape[i] % (math.prod(mesh.shape[k] for k in kept) * mesh.shape[a]) == 0:
                        kept.append(a)
                    else:
                        logging.debug("dim %d (%s, size %d) not divisible by mesh axis %s; replicated",
                                      i, name, shape[i], a)
                axes = tuple(kept)
        used.update(axes)
        out.append(None if not axes else axes[0] if len(axes) == 1 else axes)
    return PartitionSpec(*out)


def tree_shardings(logical_tree: Any, shapes_tree: Any, mesh: Mesh, rules: Rules) -> Any:
    """NamedShardings for a pytree, given its logical-axes pytree (tuples as leaves) and shapes."""
    is_axes = lambda x: isinstance(x, tuple) and all(isinstance(a, (str, type(None))) for a in x)  # noqa: E731
    return jax.tree.map(
        lambda axes, s: NamedSharding(mesh, logical_to_spec(axes, rules, mesh, s.shape)),
        logical_tree, shapes_tree, is_leaf=is_axes)


def place(tree: Any, shardings: Any) -> Any:
    """Puts each leaf on its sharding (host arrays are split, not copied whole to every device)."""
    return jax.tree.map(lambda x, s: jax.device_put(x, s), tree, shardings)


def batch_sharding(mesh: Mesh, rules: Rules, ndim: int = 2) -> NamedSharding:
    """Batch arrays are [batch, seq, ...]: split on the batch axis only."""
    return NamedSharding(mesh, logical_to_spec(("batch",) + (None,) * (ndim - 1), rules, mesh))


@dataclasses.dataclass(frozen=True)
class Placement:
    """A mesh and its rules: where activations inside jitted model code are constrained to live. Passed explicitly
    to `forward` / `extend` (and frozen and hashable, so it can be a static argument of a jitted function); None
    there means no activation constraints, XLA propagating placement from the inputs alone."""
    mesh: Mesh
    rules_items: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def of(cls, mesh: Mesh, rules: Rules | None = None) -> Placement:
        return cls(mesh, tuple(sorted(dict(DEFAULT_RULES if rules is None else rules).items())))

    @property
    def rules(self) -> dict[str, tuple[str, ...]]:
        return dict(self.rules_items)


def constrain(x: jax.Array, logical: Sequence[str | None], placement: Placement | None) -> jax.Array:
    """Sharding constraint from logical names under `placement`; x unchanged when placement is None."""
    if placement is None:
        return x
    spec = logical_to_spec(logical, placement.rules, placement.mesh, x.shape)
    return jax.lax.with_sharding_constraint(x, NamedSharding(placement.mesh, spec))
