"""tools/convert_hf.py: HF -> params checkpoint -> HF keeps the model exact, tokenizer included."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import jax
import numpy as np
from test_hf_export import _tiny_tokenizer, _transformers_model
from test_hf_reference import build_reference, torch_logits

from midalign_jax import hf, params_io

_TOOL = Path(__file__).resolve().parents[1] / "tools" / "convert_hf.py"


def _tool():
    spec = importlib.util.spec_from_file_location("convert_hf", _TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_round_trip_through_the_tool(tmp_path, capsys):
    reference = build_reference("neox_parallel_pct25", seed=7)
    reference.save_pretrained(tmp_path / "hf")
    _tiny_tokenizer(tmp_path / "hf")
    tool = _tool()

    assert tool.main([f"--from={tmp_path / 'hf'}", f"--to={tmp_path / 'ours'}"]) == 0
    summary = capsys.readouterr().out
    n_params = sum(p.numel() for p in reference.parameters())
    for part in ("GPTNeoXForCausalLM", f"{n_params:,}", "float32", "model.safetensors", "tokenizer"):
        assert part in summary, summary
    cfg, params = params_io.load_params(tmp_path / "ours")
    cfg_hf, params_hf = hf.load_hf(tmp_path / "hf")
    assert cfg == cfg_hf
    for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(params_hf)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))

    assert tool.main(["--reverse", f"--from={tmp_path / 'ours'}", f"--to={tmp_path / 'back'}",
                      "--max_shard_size=20000"]) == 0
    summary = capsys.readouterr().out
    assert "model.safetensors.index.json" in summary and "GPTNeoXForCausalLM" in summary
    tokens = np.random.default_rng(0).integers(0, 96, (2, 9))
    np.testing.assert_array_equal(torch_logits(_transformers_model(tmp_path / "back"), tokens),
                                  torch_logits(reference, tokens))
    assert hf.load_tokenizer_dir(tmp_path / "back")("the model")["input_ids"] == [3, 4]


def test_tool_reports_errors_without_a_traceback(tmp_path, capsys):
    assert _tool().main([f"--from={tmp_path / 'missing'}", f"--to={tmp_path / 'out'}"]) == 2
    assert "error:" in capsys.readouterr().err
