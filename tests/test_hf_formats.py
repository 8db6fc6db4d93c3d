"""load_hf reads every weight layout identically, checks tensors against config.json, and places onto shardings."""
from __future__ import annotations

import json

import jax
import ml_dtypes
import numpy as np
import pytest
from ml_collections import ConfigDict
from safetensors.numpy import load_file, save_file
from test_hf_reference import build_reference, torch

from midalign_jax import hf, model
from midalign_jax.parallel import sharding

CASES = ["neox_sequential_pct50_tied", "neox_parallel_pct25", "qwen2_gqa_tied", "llama_gqa"]


def _save_bin(reference, directory, shards: int) -> None:
    """What transformers 4.x wrote with safe_serialization=False: torch.save'd state dicts (+ index if sharded)."""
    directory.mkdir(parents=True, exist_ok=True)
    reference.config.save_pretrained(directory)
    state = reference.state_dict()
    if shards == 1:
        torch.save(state, directory / "pytorch_model.bin")
        return
    names = list(state)
    weight_map = {}
    for k, chunk in enumerate(np.array_split(np.arange(len(names)), shards)):
        file = f"pytorch_model-{k + 1:05d}-of-{shards:05d}.bin"
        torch.save({names[i]: state[names[i]] for i in chunk}, directory / file)
        weight_map.update({names[i]: file for i in chunk})
    (directory / "pytorch_model.bin.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))


def _assert_same_params(a, b):
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for path, x in jax.tree_util.tree_flatten_with_path(a)[0]:
        y = b
        for key in path:
            y = y[key.key]
        assert x.dtype == y.dtype, path
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=str(path))


@pytest.mark.parametrize("case", CASES)
def test_all_layouts_load_identically(case, tmp_path):
    reference = build_reference(case, seed=3)
    reference.save_pretrained(tmp_path / "single")
    reference.save_pretrained(tmp_path / "sharded", max_shard_size="20KB")
    _save_bin(reference, tmp_path / "bin", shards=1)
    _save_bin(reference, tmp_path / "bin_sharded", shards=3)
    assert len(list((tmp_path / "sharded").glob("model-*.safetensors"))) > 1

    cfg, params = hf.load_hf(tmp_path / "single")
    # The loaded weights are the reference's own tensors (checked here for the embedding; the parity tests
    # check every other tensor through the logits).
    np.testing.assert_array_equal(np.asarray(params["embed"]),
                                  reference.get_input_embeddings().weight.detach().numpy())
    for layout in ("sharded", "bin", "bin_sharded"):
        cfg_b, params_b = hf.load_hf(tmp_path / layout)
        assert cfg_b == cfg, layout
        _assert_same_params(params, params_b)


def test_bfloat16_checkpoints_load_exactly(tmp_path):
    reference = build_reference("llama_gqa", seed=1).to(torch.bfloat16)
    reference.save_pretrained(tmp_path / "st")
    _save_bin(reference, tmp_path / "bin", shards=1)
    want = reference.model.layers[1].mlp.down_proj.weight.detach().float().numpy().T  # ours is [F, D]
    for layout in ("st", "bin"):
        cfg, params = hf.load_hf(tmp_path / layout)
        assert cfg.param_dtype == "float32" and params["layers"]["mlp"]["down"].dtype == np.float32
        np.testing.assert_array_equal(np.asarray(params["layers"]["mlp"]["down"][1]), want)
        cfg16, params16 = hf.load_hf(tmp_path / layout, dtype="bfloat16")
        assert cfg16.param_dtype == "bfloat16"
        assert all(x.dtype == ml_dtypes.bfloat16 for x in jax.tree.leaves(params16))
        np.testing.assert_array_equal(np.asarray(params16["layers"]["mlp"]["down"][1]).astype(np.float32), want)


def test_load_onto_shardings(tmp_path):
    build_reference("qwen2_gqa_tied", seed=2).save_pretrained(tmp_path)
    mesh = sharding.make_mesh(ConfigDict(dict(data=1, fsdp=4, tensor=2)))

    def shardings_for(cfg):
        return sharding.tree_shardings(model.logical_axes(cfg), model.param_shapes(cfg), mesh, sharding.DEFAULT_RULES)
    cfg, placed = hf.load_hf(tmp_path, shardings=shardings_for)
    _, plain = hf.load_hf(tmp_path)
    expected = shardings_for(cfg)
    for got, want in zip(jax.tree.leaves(placed), jax.tree.leaves(expected)):
        assert got.sharding == want
    assert placed["layers"]["attn"]["q"].sharding.spec == jax.sharding.PartitionSpec(None, "fsdp", "tensor", None)
    _assert_same_params(placed, plain)


# ----------------------------------------------------------------------------------------------------- errors

@pytest.fixture
def llama_dir(tmp_path):
    build_reference("llama_gqa", seed=4).save_pretrained(tmp_path / "llama")
    return tmp_path / "llama"


def _edit_tensors(directory, edit):
    tensors = load_file(directory / "model.safetensors")
    edit(tensors)
    save_file(tensors, directory / "model.safetensors", metadata={"format": "pt"})


def _edit_config(directory, **changes):
    config = json.loads((directory / "config.json").read_text())
    config.update(changes)
    (directory / "config.json").write_text(json.dumps(config))


def test_mismatched_tensor_shape_names_architecture_tensor_and_shapes(llama_dir):
    name = "model.layers.1.mlp.up_proj.weight"
    _edit_tensors(llama_dir, lambda t: t.update({name: t[name][:60]}))
    with pytest.raises(ValueError) as err:
        hf.load_hf(llama_dir)
    message = str(err.value)
    for part in ("LlamaForCausalLM", name, "(60, 32)", "(64, 32)", "layers/mlp/up"):
        assert part in message, message


def test_config_disagreeing_with_tensors_is_refused(llama_dir):
    _edit_config(llama_dir, vocab_size=100)
    with pytest.raises(ValueError, match=r"LlamaForCausalLM .*'model.embed_tokens.weight' has shape \(96, 32\).*"
                                         r"implies \(100, 32\)"):
        hf.load_hf(llama_dir)


def test_missing_tensor_is_refused(llama_dir):
    _edit_tensors(llama_dir, lambda t: t.pop("model.layers.0.self_attn.k_proj.weight"))
    with pytest.raises(ValueError, match=r"LlamaForCausalLM .*'model.layers.0.self_attn.k_proj.weight'.*missing"):
        hf.load_hf(llama_dir)


def test_unexpected_tensor_is_refused_but_old_buffers_are_ignored(llama_dir):
    _edit_tensors(llama_dir, lambda t: t.update({
        "model.layers.0.self_attn.rotary_emb.inv_freq": np.ones(4, np.float32)}))
    hf.load_hf(llama_dir)  # a derived buffer old checkpoints carried: fine
    _edit_tensors(llama_dir, lambda t: t.update({"model.layers.0.self_attn.q_norm.weight": np.ones(8, np.float32)}))
    with pytest.raises(ValueError, match=r"LlamaForCausalLM .*unexpected tensors.*q_norm.weight \(8,\)"):
        hf.load_hf(llama_dir)


def test_unsupported_architecture_is_refused(llama_dir):
    _edit_config(llama_dir, architectures=["MistralForCausalLM"], model_type="mistral")
    with pytest.raises(ValueError, match="architecture 'MistralForCausalLM' is not supported"):
        hf.load_hf(llama_dir)


def test_tied_config_with_different_head_is_refused(tmp_path):
    reference = build_reference("qwen2_gqa_tied", seed=5)
    reference.save_pretrained(tmp_path)
    _edit_tensors(tmp_path, lambda t: t.update({"lm_head.weight": t["model.embed_tokens.weight"] + 1.0}))
    with pytest.raises(ValueError, match="tie_word_embeddings=true but 'lm_head.weight' differs"):
        hf.load_hf(tmp_path)
    _edit_tensors(tmp_path, lambda t: t.update({"lm_head.weight": t["model.embed_tokens.weight"]}))
    hf.load_hf(tmp_path)  # an identical copy is accepted


def test_missing_files_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        hf.load_hf(tmp_path)
    build_reference("llama_gqa").config.save_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match="no weight files found"):
        hf.load_hf(tmp_path)
