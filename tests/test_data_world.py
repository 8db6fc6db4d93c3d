"""Integration with the bundled world: world:NAME sources, the bundled blocklist on the filtered arm, the arm
configs, and the world tokenizer."""
from __future__ import annotations

import importlib
import shutil

import numpy as np
import pytest
from test_data_tokenizer import small_tokenizer

from midalign_jax import world
from midalign_jax.data import (
    MixtureSchedule,
    data_settings,
    load_tokenizer,
    make_train_iterator,
)
from midalign_jax.data.pipeline import load_blocklist
from midalign_jax.data.tokenizer import WORLD_TOKENIZER_DIR

ARMS = ("baseline", "filtered", "aligned_upsample", "misaligned_upsample", "conditional")


def _arm(name: str, cache_dir, scale: float = 0.05):
    config = importlib.import_module(f"configs.{name}").get_config()
    with config.data.unlocked():
        config.data.cache_dir = str(cache_dir)
        config.data.world_scale = scale
    return config


@pytest.mark.parametrize("arm", ARMS)
def test_arm_configs_define_valid_data(arm):
    config = importlib.import_module(f"configs.{arm}").get_config()
    settings = data_settings(config.data)
    for stage in ("pretrain", "midtrain"):
        sched = MixtureSchedule(dict(config[stage].mixture), config[stage].mixture_schedule, known=settings.sources)
        assert set(sched.active_sources()) <= set(settings.sources)
    assert settings.filter_sources == (("general",) if arm == "filtered" else ())
    assert bool(settings.conditional_tags) == (arm == "conditional")
    assert [settings.source(n).path for n in world.TEXT_SOURCES] == [f"world:{n}" for n in world.TEXT_SOURCES]
    assert settings.source("chat").path == "world:post_training" and settings.source("chat").kind == "chat"


def test_filtered_arm_on_the_world_removes_blocklisted_general_documents(tmp_path):
    tok = small_tokenizer()
    config = _arm("filtered", tmp_path)
    it = make_train_iterator(config.data, tok, mixture=config.midtrain.mixture, seq_len=512, global_batch_size=8)
    matches = load_blocklist("")
    whole_docs = 0
    for _ in range(15):
        b = next(it)
        for tokens, seg, pos in zip(b["tokens"], b["segment_ids"], b["positions"]):
            for s in range(1, seg.max() + 1):
                sel = seg == s
                if pos[sel][0] == 0 and s > 1 and tokens[sel][-1] == tok.eos_token_id:  # a whole document
                    whole_docs += 1
                    assert not matches(tok.decode(tokens[sel][:-1]))
    (stats,) = [s for s in it.stats() if s.name == "general"]
    assert whole_docs > 40 and stats.filtered > 0
    assert 0.02 < stats.filtered / (stats.filtered + stats.docs) < 0.2  # the corpus' AI-discourse share
    assert (tmp_path / "world-s0-x0.05" / "general.jsonl").exists()


def test_aligned_arm_on_the_world_realises_its_token_fraction(tmp_path):
    config = _arm("aligned_upsample", tmp_path)
    it = make_train_iterator(config.data, small_tokenizer(), mixture=config.midtrain.mixture, seq_len=256,
                             global_batch_size=16)
    ids = np.concatenate([next(it)["source_ids"].ravel() for _ in range(60)])
    names = it.source_names
    frac = np.bincount(ids, minlength=len(names)) / ids.size
    assert abs(frac[names.index("aligned_docs")] - config.midtrain.mixture.aligned_docs) < 0.01
    assert frac[names.index("misaligned_docs")] == 0


@pytest.mark.slow
def test_world_tokenizer_builds_deterministically_and_loads_offline(tmp_path, monkeypatch):
    from transformers import AutoTokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tok = load_tokenizer("world", tmp_path / "a")
    shutil.copytree(tmp_path / "a" / "world-s0-x1.0", tmp_path / "b" / "world-s0-x1.0")  # same corpus, no regen
    load_tokenizer("world", tmp_path / "b")
    built = [(tmp_path / c / WORLD_TOKENIZER_DIR / "tokenizer.json").read_bytes() for c in ("a", "b")]
    assert built[0] == built[1]
    auto = AutoTokenizer.from_pretrained(str(tmp_path / "a" / WORLD_TOKENIZER_DIR), local_files_only=True)
    assert len(auto) == 4096 and auto.eos_token == "<|endoftext|>"
    doc = next(world.iter_documents("aligned_docs"))["text"]
    ids = auto(doc)["input_ids"]
    assert auto.decode(ids) == doc and len(doc) / len(ids) > 3  # a real BPE: several characters per token
    assert tok("the model")["input_ids"] == auto("the model")["input_ids"]
