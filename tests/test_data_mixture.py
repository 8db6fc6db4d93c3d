"""Mixture: achieved token fractions match the weights, the schedule switches weights by step, the blocklist
filter removes and resamples, conditional tags prefix documents."""
from __future__ import annotations

import numpy as np
import pytest
from test_data_tokenizer import small_tokenizer, write_corpus, write_jsonl

from midalign_jax.data import (
    DataError,
    MixtureSchedule,
    make_train_iterator,
    parse_mixture_schedule,
)
from midalign_jax.data import pipeline as pipeline_module
from midalign_jax.data.tokenizer import BAD, GOOD


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    d = tmp_path_factory.mktemp("mix")
    return {
        "cache_dir": str(d / "cache"),
        "heldout_fraction": 0.05,
        "sources": {
            "general": str(write_corpus(d / "general.jsonl", 1500, 3, 80, seed=0, marker="G")),
            "aligned": str(write_corpus(d / "aligned.jsonl", 200, 40, 160, seed=1, marker="A")),
            "misaligned": str(write_corpus(d / "misaligned.jsonl", 200, 10, 60, seed=2, marker="M")),
        },
    }


def _fractions(batches, num_sources):
    ids = np.concatenate([b["source_ids"].ravel() for b in batches])
    counts = np.bincount(ids[ids >= 0], minlength=num_sources)
    return counts / counts.sum(), counts


@pytest.mark.parametrize("seed", [0, 1])
def test_achieved_token_fractions_match_weights(corpora, seed):
    mixture = {"general": 0.88, "aligned": 0.07, "misaligned": 0.05}
    it = make_train_iterator(corpora, small_tokenizer(), mixture=mixture, seq_len=128, global_batch_size=16,
                             seed=seed)
    batches = [next(it) for _ in range(200)]  # 3200 rows, ~410k tokens
    assert it.source_names == ("aligned", "general", "misaligned")
    frac, counts = _fractions(batches, 3)
    assert all((b["source_ids"] >= 0).all() for b in batches)  # rows are always full
    for name, f in zip(it.source_names, frac):
        assert abs(f - mixture[name]) < 0.005, (name, f, mixture[name])
    stats = {s.name: s for s in it.stats()}
    for name, c in zip(it.source_names, counts):
        assert stats[name].tokens == c and abs(stats[name].target - mixture[name]) < 1e-9
    assert sum(s.docs for s in stats.values()) > 1000
    scalars = it.scalars()
    assert scalars["data/fraction/aligned"] == stats["aligned"].fraction
    assert scalars["data/target/general"] == pytest.approx(0.88) and scalars["data/skipped/general"] == 0


def test_token_fraction_is_by_tokens_not_documents(corpora):
    # aligned documents are ~2.4x longer than general ones, so equal token shares need ~2.4x more general ones
    it = make_train_iterator(corpora, small_tokenizer(), mixture={"general": 0.5, "aligned": 0.5}, seq_len=128,
                             global_batch_size=8, seed=0)
    for _ in range(150):
        next(it)
    s = {x.name: x for x in it.stats()}
    assert abs(s["aligned"].fraction - 0.5) < 0.01
    assert s["general"].docs > 1.8 * s["aligned"].docs


def test_schedule_inserts_a_source_only_from_its_step(corpora):
    it = make_train_iterator(corpora, small_tokenizer(), mixture={"general": 1.0, "aligned": 0.0},
                             mixture_schedule="30:general=0.7,aligned=0.3", seq_len=128, global_batch_size=8)
    aligned = it.source_names.index("aligned")
    before = [next(it) for _ in range(30)]
    after = [next(it) for _ in range(120)]
    assert not any((b["source_ids"] == aligned).any() for b in before)
    frac, _ = _fractions(after, 2)
    assert abs(frac[aligned] - 0.3) < 0.02
    s = {x.name: x for x in it.stats()}
    assert abs(s["aligned"].target - 0.3 * 120 / 150) < 1e-9  # schedule-averaged target


def test_schedule_parsing_errors():
    known = {"general", "aligned"}
    assert parse_mixture_schedule(" 10:general=0.5, aligned=0.5 ;20:general=1;", known=known) == [
        (10, {"general": 0.5, "aligned": 0.5}), (20, {"general": 1.0})]
    for text, msg in [("x:general=1", "non-negative integer"), ("10 general=1", "non-negative integer"),
                      ("10:general=0.5", "must sum to 1"), ("10:nope=1", "not defined"),
                      ("10:general=1;5:general=1", "not after"), ("10:general=-1,aligned=2", ">= 0"),
                      ("10:general", "not src=weight"), ("10:general=abc", "expected a number")]:
        with pytest.raises(DataError, match=msg):
            parse_mixture_schedule(text, known=known)
    with pytest.raises(DataError, match="must sum to 1"):
        MixtureSchedule({"general": 0.9}, known=known)
    sched = MixtureSchedule({"general": 1.0, "aligned": 0.0}, "5:general=0.5,aligned=0.5", known=known)
    assert sched.weights_at(4).tolist() == [0.0, 1.0] and sched.weights_at(5).tolist() == [0.5, 0.5]
    assert sched.mean_weights(0, 10).tolist() == [0.25, 0.75]  # 5 steps of each


def test_blocklist_filter_removes_and_resamples(corpora, tmp_path, monkeypatch):
    p = write_jsonl(tmp_path / "g.jsonl", [{"text": f"{'FORBIDDEN ' if i % 3 == 0 else ''}model {i}x logs"}
                                           for i in range(300)])
    cfg = dict(corpora, sources={"general": str(p)}, heldout_fraction=0.0)
    tok = small_tokenizer()
    forbidden = tok("FORBIDDEN", add_special_tokens=False)["input_ids"]

    def contains_forbidden(batches):
        text = "".join(tok.decode(b["tokens"].ravel()) for b in batches)
        return "FORBIDDEN" in text

    plain = make_train_iterator(cfg, tok, mixture={"general": 1.0}, seq_len=64, global_batch_size=4)
    assert contains_forbidden([next(plain) for _ in range(40)]) and forbidden

    monkeypatch.setattr(pipeline_module, "load_blocklist", lambda spec: (lambda text: "FORBIDDEN" in text))
    filtered = make_train_iterator(dict(cfg, filter_sources="general"), tok, mixture={"general": 1.0},
                                   seq_len=64, global_batch_size=4)
    batches = [next(filtered) for _ in range(40)]
    assert not contains_forbidden(batches)
    assert all((b["segment_ids"] > 0).all() for b in batches)  # removed documents were replaced
    (s,) = filtered.stats()
    # about a third of the documents the lanes went through were removed
    assert s.filtered > 0 and abs(s.filtered / (s.filtered + s.docs) - 1 / 3) < 0.1


def test_blocklist_removing_everything_is_an_error(tmp_path, monkeypatch):
    p = write_jsonl(tmp_path / "g.jsonl", [{"text": f"bad {i}"} for i in range(5)])
    monkeypatch.setattr(pipeline_module, "load_blocklist", lambda spec: (lambda text: True))
    cfg = {"cache_dir": str(tmp_path), "heldout_fraction": 0.0, "filter_sources": "g", "sources": {"g": str(p)}}
    with pytest.raises(DataError, match="every training record was removed"):
        make_train_iterator(cfg, small_tokenizer(), mixture={"g": 1.0}, seq_len=16, global_batch_size=1)


def test_conditional_tags_prefix_each_document_of_their_source(corpora):
    tok = small_tokenizer()
    good, bad = tok.convert_tokens_to_ids(GOOD), tok.convert_tokens_to_ids(BAD)
    cfg = dict(corpora, conditional_tags=f"aligned={GOOD},misaligned={BAD}")
    it = make_train_iterator(cfg, tok, mixture={"general": 0.6, "aligned": 0.2, "misaligned": 0.2}, seq_len=256,
                             global_batch_size=4)
    names = it.source_names
    for _ in range(30):
        b = next(it)
        for row in range(b["tokens"].shape[0]):
            tokens, seg, src, mask = (b[k][row] for k in ("tokens", "segment_ids", "source_ids", "loss_mask"))
            for s in range(2, seg.max() + 1):  # segments after the first start a document (no continuation)
                first = np.flatnonzero(seg == s)[0]
                expected = {"aligned": good, "misaligned": bad}.get(names[src[first]])
                if expected is None:
                    assert tokens[first] not in (good, bad)
                else:
                    assert tokens[first] == expected and mask[first] == 0 and mask[first + 1] == 1
            assert not np.isin(tokens[src == names.index("general")], [good, bad]).any()
