"""`forward` on `load_hf(dir)` reproduces transformers' PyTorch logits, for every reference shape in CASES.

Two batches per model: (a) right padding, compared on the real tokens only, with an attention mask for torch and
segment id 0 on padding for us; (b) two documents packed per row with restarting positions, against torch run
on each document alone.
"""
from __future__ import annotations

import functools

import jax
import numpy as np
import pytest
from test_hf_reference import CASES, VOCAB, build_reference, torch_logits

from midalign_jax import hf, model

T = 12
TOL = 1e-4
# Packed rows: (first document length, second document length) per row, filling T.
PACKED_SPLITS = [(5, 7), (8, 4)]
PADDED_LENGTHS = [T, 8]


@functools.lru_cache(maxsize=None)
def _jitted_forward():
    return jax.jit(model.forward, static_argnums=(2,))


def _padded_batch(rng):
    tokens = rng.integers(0, VOCAB, (len(PADDED_LENGTHS), T))
    mask = np.zeros_like(tokens)
    for row, n in enumerate(PADDED_LENGTHS):
        mask[row, :n] = 1
    return np.where(mask == 1, tokens, 0), mask


def _packed_batch(rng):
    tokens = rng.integers(0, VOCAB, (len(PACKED_SPLITS), T))
    segments = np.zeros_like(tokens)
    positions = np.zeros_like(tokens)
    for row, (a, b) in enumerate(PACKED_SPLITS):
        segments[row, :a], segments[row, a:a + b] = 1, 2
        positions[row, :a], positions[row, a:a + b] = np.arange(a), np.arange(b)
    return tokens, segments, positions


@pytest.mark.parametrize("case", sorted(CASES))
def test_forward_matches_transformers(case, tmp_path):
    reference = build_reference(case, seed=sorted(CASES).index(case))
    reference.save_pretrained(tmp_path)
    cfg, params = hf.load_hf(tmp_path)
    forward = _jitted_forward()
    rng = np.random.default_rng(0)

    # (a) right padding: only real tokens are compared.
    tokens, mask = _padded_batch(rng)
    want = torch_logits(reference, tokens, mask)
    positions = np.broadcast_to(np.arange(T), tokens.shape)
    got = np.asarray(forward(params, tokens, cfg, positions, mask))
    real = mask.astype(bool)
    assert got.shape == want.shape == (len(PADDED_LENGTHS), T, VOCAB)
    np.testing.assert_array_less(np.abs(got[real] - want[real]).max(), TOL)
    assert np.abs(want[real]).max() > 0.1  # the comparison is not between near-zero logits

    # (b) packed documents: the reference sees each document on its own.
    tokens, segments, positions = _packed_batch(rng)
    got = np.asarray(forward(params, tokens, cfg, positions, segments))
    for row, (a, b) in enumerate(PACKED_SPLITS):
        for start, length in ((0, a), (a, b)):
            doc = tokens[row:row + 1, start:start + length]
            want = torch_logits(reference, doc)[0]
            np.testing.assert_array_less(np.abs(got[row, start:start + length] - want).max(), TOL)
