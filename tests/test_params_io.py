"""Params-only checkpoints: exact round trip, restore onto another mesh, and clear errors."""
from __future__ import annotations

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from ml_collections import ConfigDict

from midalign_jax import model, params_io
from midalign_jax.model import ModelConfig
from midalign_jax.parallel import sharding

CFG = ModelConfig(vocab_size=64, d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, head_dim=8, d_ff=64,
                  qkv_bias=True, rope_scaling="linear", rope_scaling_factor=2.0)


def _random_params(cfg, seed=0):
    rng = np.random.default_rng(seed)
    return jax.tree.map(lambda s: jnp.asarray(rng.standard_normal(s.shape), s.dtype), model.param_shapes(cfg))


def _shardings(cfg, data, fsdp, tensor):
    mesh = sharding.make_mesh(ConfigDict(dict(data=data, fsdp=fsdp, tensor=tensor)))
    return sharding.tree_shardings(model.logical_axes(cfg), model.param_shapes(cfg), mesh, sharding.DEFAULT_RULES)


def _assert_equal(a, b):
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_round_trip_is_exact(tmp_path):
    cfg = dataclasses.replace(CFG, param_dtype="bfloat16")
    params = _random_params(cfg)
    params_io.save_params(tmp_path / "ckpt", cfg, params)
    cfg_back, back = params_io.load_params(tmp_path / "ckpt")
    assert cfg_back == cfg
    _assert_equal(params, back)
    assert back["embed"].dtype == jnp.bfloat16


def test_restore_onto_a_different_mesh(tmp_path):
    saved = sharding.place(_random_params(CFG), _shardings(CFG, 1, 4, 2))
    params_io.save_params(tmp_path / "ckpt", CFG, saved)
    target = _shardings(CFG, 2, 1, 4)
    cfg, restored = params_io.load_params(tmp_path / "ckpt", shardings=lambda c: _shardings(c, 2, 1, 4))
    assert cfg == CFG
    for got, want in zip(jax.tree.leaves(restored), jax.tree.leaves(target)):
        assert got.sharding == want
    assert restored["layers"]["mlp"]["up"].sharding.spec == jax.sharding.PartitionSpec(None, None, "tensor")
    assert restored["layers"]["mlp"]["up"].sharding.mesh.shape["tensor"] == 4
    _assert_equal(saved, restored)


def test_errors_name_the_problem(tmp_path):
    params = _random_params(CFG)
    bad = jax.tree.map(lambda x: x, params)
    bad["layers"]["attn"]["k"] = bad["layers"]["attn"]["k"][:, :, :1]
    with pytest.raises(ValueError, match=r"\['layers'\]\['attn'\]\['k'\] is float32\[2, 32, 1, 8\].*\[2, 32, 2, 8\]"):
        params_io.save_params(tmp_path / "bad", CFG, bad)
    with pytest.raises(ValueError, match=r"\['embed'\] is bfloat16"):
        params_io.save_params(tmp_path / "bad", CFG, {**params, "embed": params["embed"].astype(jnp.bfloat16)})

    params_io.save_params(tmp_path / "ckpt", CFG, params)
    with pytest.raises(FileExistsError, match="already exists"):
        params_io.save_params(tmp_path / "ckpt", CFG, params)
    params_io.save_params(tmp_path / "ckpt", CFG, jax.tree.map(lambda x: x + 1, params), overwrite=True)
    _assert_equal(jax.tree.map(lambda x: x + 1, params), params_io.load_params(tmp_path / "ckpt")[1])

    config_file = tmp_path / "ckpt" / "model_config.json"
    fields = json.loads(config_file.read_text())
    config_file.write_text(json.dumps({**fields, "n_layer": 3}))
    with pytest.raises(ValueError, match=r"model_config.json: unknown ModelConfig fields \['n_layer'\]"):
        params_io.load_params(tmp_path / "ckpt")
    config_file.write_text(json.dumps({**fields, "n_layers": 3}))
    with pytest.raises(ValueError, match=r"params stored in .*\['layers'\]\['attn'\]\['k'\] is float32\[2, 32, 2, 8\], "
                                         r"but the ModelConfig .* implies float32\[3, 32, 2, 8\]"):
        params_io.load_params(tmp_path / "ckpt")
    with pytest.raises(FileNotFoundError, match="no model_config.json"):
        params_io.load_params(tmp_path / "nowhere")
