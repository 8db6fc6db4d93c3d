"""Params-only checkpoints: the format downstream stages and the HF converter hand models over in.

A checkpoint is a directory:
    model_config.json   the ModelConfig fields (a field missing from the file takes its current default, so old
                        checkpoints stay readable when fields are added; an unknown field is an error)
    params/             the params pytree, written by orbax (one checkpoint from all processes)

`load_params` restores straight onto the requested shardings, which may use a different mesh than the one the
params were saved from; orbax reads only the slices each device needs.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, Callable

import jax
import orbax.checkpoint as ocp

from midalign_jax import model
from midalign_jax.model import ModelConfig

CONFIG_FILE = "model_config.json"
PARAMS_DIR = "params"


def _absolute(path: str | os.PathLike) -> Path:
    return Path(os.path.abspath(os.fspath(path)))  # orbax requires absolute paths


def check_params(cfg: ModelConfig, params: Any, what: str = "params", *, check_dtype: bool = True) -> None:
    """Raises a ValueError naming the first leaf whose presence, shape or (with check_dtype) dtype disagrees with
    `cfg`."""
    want = {jax.tree_util.keystr(p): s
            for p, s in jax.tree_util.tree_flatten_with_path(model.param_shapes(cfg))[0]}
    found = {jax.tree_util.keystr(p): x for p, x in jax.tree_util.tree_flatten_with_path(params)[0]}
    missing, extra = sorted(set(want) - set(found)), sorted(set(found) - set(want))
    if missing or extra:
        raise ValueError(f"{what} do not match the ModelConfig: missing {missing}, unexpected {extra}")
    for key, s in want.items():
        x = found[key]
        if tuple(x.shape) != tuple(s.shape) or (check_dtype and x.dtype != s.dtype):
            raise ValueError(f"{what}{key} is {x.dtype}{list(x.shape)}, but the ModelConfig (param_dtype="
                             f"{cfg.param_dtype}) implies {s.dtype}{list(s.shape)}")


def save_model_config(path: str | os.PathLike, cfg: ModelConfig) -> None:
    Path(path).mkdir(parents=True, exist_ok=True)
    (Path(path) / CONFIG_FILE).write_text(json.dumps(dataclasses.asdict(cfg), indent=2, sort_keys=True) + "\n")


def load_model_config(path: str | os.PathLike) -> ModelConfig:
    """The ModelConfig stored in a params checkpoint directory."""
    file = Path(path) / CONFIG_FILE
    if not file.is_file():
        raise FileNotFoundError(f"no {CONFIG_FILE} in params checkpoint {Path(path)}")
    try:
        fields = json.loads(file.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{file}: invalid JSON at line {e.lineno}: {e.msg}") from e
    if not isinstance(fields, dict):
        raise ValueError(f"{file}: expected a JSON object of ModelConfig fields, found {type(fields).__name__}")
    known = {f.name for f in dataclasses.fields(ModelConfig)}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise ValueError(f"{file}: unknown ModelConfig fields {unknown}; known fields: {sorted(known)}")
    try:
        return ModelConfig(**fields)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{file}: invalid ModelConfig: {e}") from e


def save_params(path: str | os.PathLike, cfg: ModelConfig, params: Any, *, overwrite: bool = False) -> Path:
    """Writes `params` (checked against `cfg`) and `model_config.json` to the directory `path`. All processes
    must call this; orbax coordinates the write and only process 0 writes the config file."""
    check_params(cfg, params)
    directory = _absolute(path)
    target = directory / PARAMS_DIR
    if target.exists() and not overwrite:
        raise FileExistsError(f"params checkpoint already exists at {target}; pass overwrite=True to replace it")
    with ocp.StandardCheckpointer() as checkpointer:
        checkpointer.save(target, params, force=overwrite)
        checkpointer.wait_until_finished()
    if jax.process_index() == 0:
        save_model_config(directory, cfg)
    return directory


def load_params(path: str | os.PathLike, *, shardings: Any | Callable[[ModelConfig], Any] = None
                ) -> tuple[ModelConfig, Any]:
    """(cfg, params) from a `save_params` directory.

    shardings: a pytree of shardings with the params' structure, or a function cfg -> such a tree; the params
      are restored directly onto them (any mesh). None puts every leaf on the default device.
    """
    directory = _absolute(path)
    cfg = load_model_config(directory)
    target = directory / PARAMS_DIR
    if not target.is_dir():
        raise FileNotFoundError(f"no {PARAMS_DIR}/ directory in params checkpoint {directory}")
    if callable(shardings):
        shardings = shardings(cfg)
    shapes = model.param_shapes(cfg)
    if shardings is None:
        device = jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
        shardings = jax.tree.map(lambda _: device, shapes)
    try:
        abstract = jax.tree.map(lambda s, sh: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sh), shapes, shardings)
    except ValueError as e:
        raise ValueError(f"shardings do not have the structure of the params of {directory}: {e}") from e
    with ocp.StandardCheckpointer() as checkpointer:
        # Compare the stored shapes with the config before reading, so a mismatch is one clear error.
        metadata = checkpointer.metadata(target)
        check_params(cfg, getattr(metadata, "item_metadata", metadata),
                     what=f"params stored in {target} (checked against {CONFIG_FILE})")
        try:
            params = checkpointer.restore(target, abstract)
        except Exception as e:  # noqa: BLE001 - orbax raises many types; say which checkpoint and what we expected
            raise ValueError(f"could not restore params from {target} as described by {directory / CONFIG_FILE}: "
                             f"{type(e).__name__}: {e}") from e
    check_params(cfg, params, what=f"params restored from {target}")
    return cfg, params
