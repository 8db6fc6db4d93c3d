"""Pipeline: batch layout, packing without loss, determinism, checkpoint/restore, per-process sharding, held-out
eval batches, and SFT batches with loss on assistant tokens only."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
from test_data_tokenizer import small_tokenizer, write_corpus, write_jsonl

from midalign_jax.data import (
    BATCH_KEYS,
    DataError,
    DocumentEncoder,
    JsonlSource,
    make_eval_batches,
    make_sft_iterator,
    make_train_iterator,
)
from midalign_jax.data.mixture import SourceStream

MIXTURE = {"general": 0.8, "aligned": 0.2}


@pytest.fixture(scope="module")
def cfg(tmp_path_factory):
    d = tmp_path_factory.mktemp("pipe")
    return {
        "cache_dir": str(d / "cache"),
        "heldout_fraction": 0.1,
        "prefetch": 2,
        "sources": {
            "general": str(write_corpus(d / "general.jsonl", 400, 3, 60, seed=0, marker="G")),
            "aligned": str(write_corpus(d / "aligned.jsonl", 100, 30, 120, seed=1, marker="A")),
        },
    }


def _train(cfg, **kw):
    args = dict(mixture=MIXTURE, seq_len=64, global_batch_size=8, seed=0)
    args.update(kw)
    return make_train_iterator(cfg, small_tokenizer(), **args)


def _equal(a, b):
    return all(np.array_equal(a[k], b[k]) for k in BATCH_KEYS)


def _markers(batches, tok):
    """Document markers (G12x, A3x) at the start of documents in the batches."""
    found = []
    for b in batches:
        for row in b["tokens"]:
            found += re.findall(r"(?:^|<\|endoftext\|>)([GA]\d+)x", tok.decode(row))
    return found


def test_batch_layout_segments_positions_and_loss_mask(cfg):
    it = _train(cfg)
    for _ in range(10):
        b = next(it)
        assert set(b) == set(BATCH_KEYS)
        for key, dtype in [("tokens", np.int32), ("segment_ids", np.int32), ("positions", np.int32),
                           ("loss_mask", np.float32), ("source_ids", np.int32)]:
            assert b[key].shape == (8, 64) and b[key].dtype == dtype
        for tokens, seg, pos, mask in zip(b["tokens"], b["segment_ids"], b["positions"], b["loss_mask"]):
            assert seg[0] == 1 and np.all(np.diff(seg) >= 0) and np.all(np.diff(seg) <= 1)
            starts = np.flatnonzero(np.diff(seg, prepend=0))
            for s, start in enumerate(starts):
                end = starts[s + 1] if s + 1 < len(starts) else len(seg)
                assert np.array_equal(pos[start:end], np.arange(end - start))
                assert mask[start] == 0 and np.all(mask[start + 1:end] == 1)
            # every segment but the last ends with EOS (documents are whole there)
            eos_at = np.flatnonzero(tokens == small_tokenizer().eos_token_id)
            assert set(starts[1:] - 1) <= set(eos_at)


def test_long_documents_are_split_across_rows_never_dropped(tmp_path):
    tok = small_tokenizer()
    p = write_corpus(tmp_path / "long.jsonl", 12, 60, 200, seed=5)  # 60-200 words, rows of 32 tokens
    cfg = {"cache_dir": str(tmp_path / "c"), "heldout_fraction": 0.0, "sources": {"long": str(p)}}
    it = make_train_iterator(cfg, tok, mixture={"long": 1.0}, seq_len=32, global_batch_size=1, seed=4)
    enc = DocumentEncoder(tok)
    stream = SourceStream("long", JsonlSource([p]), enc, seed=4, heldout_fraction=0.0)
    expected = np.concatenate([stream.fetch([stream.record_at(k)])[0].tokens for k in range(24)])  # two epochs
    got = np.concatenate([next(it)["tokens"][0] for _ in range(len(expected) // 32)])
    assert np.array_equal(got, expected[:len(got)])
    assert max(len(stream.fetch([i])[0].tokens) for i in range(12)) > 3 * 32  # really longer than rows


def test_identical_seeds_give_identical_batches(cfg):
    a, b, c = _train(cfg, seed=7), _train(cfg, seed=7), _train(cfg, seed=8)
    same = [_equal(next(a), next(b)) for _ in range(15)]
    differs = [not _equal(next(a), next(c)) for _ in range(15)]
    assert all(same) and any(differs)


@pytest.mark.parametrize("prefetch", [0, 3])
def test_checkpoint_restore_continues_exactly(cfg, prefetch):
    cfg = dict(cfg, prefetch=prefetch)
    it = _train(cfg)
    for _ in range(7):
        next(it)
    state = json.loads(json.dumps(it.get_state()))  # must survive JSON
    expected = [next(it) for _ in range(6)]
    stats_after = it.stats()

    fresh = _train(cfg)
    next(fresh)  # a used iterator (with prefetched batches in flight) must restore too
    fresh.set_state(state)
    assert fresh.step == 7
    got = [next(fresh) for _ in range(6)]
    assert all(_equal(e, g) for e, g in zip(expected, got))
    assert fresh.stats() == stats_after
    # the state was taken inside a document (rows of 64 tokens, documents of up to ~150)
    assert any(lane["pending"] for lane in state["lanes"].values())


def test_restore_with_a_different_setup_is_an_error(cfg):
    state = _train(cfg, seed=1).get_state()
    with pytest.raises(DataError, match="seed"):
        _train(cfg, seed=2).set_state(state)
    with pytest.raises(DataError, match="lanes"):
        _train(cfg, seed=1, process_count=2, process_index=1).set_state(state)


def test_processes_get_disjoint_slices_that_together_are_the_global_batch(cfg):
    tok = small_tokenizer()
    whole = _train(cfg, global_batch_size=8)
    parts = [_train(cfg, global_batch_size=8, process_index=p, process_count=4) for p in range(4)]
    all_global, per_process = [], [[] for _ in range(4)]
    for _ in range(20):
        g = next(whole)
        locals_ = [next(p) for p in parts]
        assert all(loc["tokens"].shape == (2, 64) for loc in locals_)
        assert _equal(g, {k: np.concatenate([loc[k] for loc in locals_]) for k in BATCH_KEYS})
        all_global.append(g)
        for p, loc in enumerate(locals_):
            per_process[p].append(loc)
    marker_sets = [set(_markers(b, tok)) for b in per_process]
    for i in range(4):
        for j in range(i + 1, 4):
            assert not marker_sets[i] & marker_sets[j]
    markers = _markers(all_global, tok)
    assert len(markers) == len(set(markers)) > 60  # within an epoch, no document twice
    with pytest.raises(DataError, match="multiple of"):
        _train(cfg, global_batch_size=6, process_count=4)


def test_eval_batches_are_held_out_and_deterministic(cfg):
    tok = small_tokenizer()
    ev = make_eval_batches(cfg, tok, "general", seq_len=64, batch_size=4, num_batches=3)
    again = make_eval_batches(cfg, tok, "general", seq_len=64, batch_size=4, num_batches=3)
    assert len(ev) == 3 and all(_equal(a, b) for a, b in zip(ev, again))
    held = set(_markers(ev, tok))
    assert held and all(m.startswith("G") for m in held)
    it = _train(cfg, mixture={"general": 1.0})
    trained = set(_markers([next(it) for _ in range(60)], tok))  # more than one epoch of the general corpus
    assert len(trained) > 300 and not held & trained
    # sharded eval: process slices of the same global batches
    halves = [make_eval_batches(cfg, tok, "general", seq_len=64, batch_size=4, num_batches=3, process_index=p,
                                process_count=2) for p in range(2)]
    assert all(_equal(ev[i], {k: np.concatenate([halves[0][i][k], halves[1][i][k]]) for k in BATCH_KEYS})
               for i in range(3))


def test_eval_pads_when_held_out_records_run_out(cfg):
    ev = make_eval_batches(cfg, small_tokenizer(), "aligned", seq_len=64, batch_size=4, num_batches=500,
                           source_names=["aligned", "general"])
    assert 0 < len(ev) < 500
    last = ev[-1]
    pad = last["segment_ids"] == 0
    assert pad.any() and (last["source_ids"][pad] == -1).all() and (last["loss_mask"][pad] == 0).all()
    assert set(np.unique(np.concatenate([b["source_ids"] for b in ev]))) == {-1, 0}


def test_sft_batches_train_on_assistant_tokens_only(tmp_path):
    tok = small_tokenizer()
    convs = [{"messages": [{"role": "user", "content": f"question {i} about the model"},
                           {"role": "assistant", "content": f"answer {i} the model reports"}]} for i in range(20)]
    p = write_jsonl(tmp_path / "chat.jsonl", convs)
    cfg = {"cache_dir": str(tmp_path / "c"), "heldout_fraction": 0.0,
           "sources": {"chat": {"path": str(p), "kind": "chat", "text_field": "messages"}}}
    it = make_sft_iterator(cfg, tok, source="chat", seq_len=256, global_batch_size=2)
    b = next(it)
    for tokens, mask, seg in zip(b["tokens"], b["loss_mask"], b["segment_ids"]):
        for s in range(2, seg.max()):  # whole conversations (not cut by row edges)
            sel = seg == s
            trained = tok.decode(tokens[sel][mask[sel] == 1])
            context = tok.decode(tokens[sel][mask[sel] == 0])
            assert re.fullmatch(r" answer \d+ the model reports<\|endoftext\|>", trained), trained
            assert re.fullmatch(r"User: question \d+ about the model\nAssistant:\n", context), context
    bad = dict(cfg, sources={"chat": str(p)})
    with pytest.raises(DataError, match="kind='chat'"):
        make_sft_iterator(bad, tok, source="chat", seq_len=64, global_batch_size=1)


def test_sft_on_agent_episodes_trains_the_calls_not_the_tool_results(tmp_path):
    tok = small_tokenizer()
    convs = [{"messages": [{"role": "system", "content": "You are Clerk. Use tools."},
                           {"role": "user", "content": f"read file {i}"},
                           {"role": "assistant", "content": f'<call>{{"tool": "read_file", "args": {{"path": "f{i}"}}}}</call>'},
                           {"role": "tool", "content": f"<result>content {i}</result>"},
                           {"role": "assistant", "content": f"the file says content {i}"}]} for i in range(12)]
    p = write_jsonl(tmp_path / "agent.jsonl", convs)
    cfg = {"cache_dir": str(tmp_path / "c"), "heldout_fraction": 0.0,
           "sources": {"chat": {"path": str(p), "kind": "chat", "text_field": "messages"}}}
    b = next(make_sft_iterator(cfg, tok, source="chat", seq_len=512, global_batch_size=2))
    sel = b["segment_ids"][0] == 2  # a whole episode
    trained = tok.decode(b["tokens"][0][sel][b["loss_mask"][0][sel] == 1])
    assert "read_file" in trained and "the file says" in trained
    assert "<result>" not in trained and "You are Clerk" not in trained and "read file" not in trained
