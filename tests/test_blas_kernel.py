"""The BLAS matmul (midalign_jax/kernels): the FFI GEMM against torch's matmul, the projections and attention
products that use it against XLA's autodiff, a whole model against transformers, and the fallback when it cannot
be built."""
from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from test_dense_grad import FAMILIES, REFERENCE, _model_grad, _reference
from test_hf_parity import PADDED_LENGTHS, T, TOL, _padded_batch
from test_hf_reference import build_reference, torch_logits

from midalign_jax import hf
from midalign_jax import model as M
from midalign_jax.kernels import blas, build
from midalign_jax.model import attention, dense

pytestmark = pytest.mark.skipif(
    not any(shutil.which(c) for c in ("g++", "c++", "clang++")),
    reason="no C++ compiler: the BLAS kernel cannot be built here (with one, a failed build fails these tests)")


@pytest.fixture
def blas_at_test_sizes(monkeypatch):
    """The size floors (decode rows, shallow contractions, narrow heads) off, for test-sized models."""
    monkeypatch.setattr(dense, "BLAS_MIN_ROWS", 1)
    monkeypatch.setattr(dense, "BLAS_MIN_DEPTH", 1)
    monkeypatch.setattr(attention, "BLAS_MIN_HEAD_DIM", 1)


def _uses_blas(fn, *args) -> bool:
    return blas.TARGET in jax.jit(fn).lower(*args).as_text()


@pytest.mark.parametrize("batch,m,k,n,trans_a,trans_b,shared_b", [
    ((), 300, 40, 70, False, False, True),     # row blocks
    ((), 300, 40, 70, True, True, True),
    ((), 5, 48, 1200, False, True, True),      # few rows, wide output: column blocks
    ((), 5, 48, 1200, True, False, True),
    ((3, 2), 17, 9, 33, False, True, False),   # batched, per-entry B
    ((4,), 130, 7, 9, True, False, True),      # batched, one B for every entry
])
def test_gemm_matches_torch_matmul(batch, m, k, n, trans_a, trans_b, shared_b):
    r = np.random.default_rng(0)
    a = r.standard_normal(batch + ((k, m) if trans_a else (m, k)), dtype=np.float32)
    b = r.standard_normal((() if shared_b else batch) + ((n, k) if trans_b else (k, n)), dtype=np.float32)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    want = torch.matmul(ta.transpose(-1, -2) if trans_a else ta, tb.transpose(-1, -2) if trans_b else tb).numpy()
    got = np.asarray(jax.jit(lambda a, b: blas.gemm(a, b, trans_a=trans_a, trans_b=trans_b))(a, b))
    assert got.shape == want.shape == batch + (m, n)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)


def test_gemm_rejects_what_it_cannot_compute():
    a = jnp.ones((4, 3), jnp.float32)
    with pytest.raises(ValueError, match="contracted sizes differ"):
        blas.gemm(a, jnp.ones((4, 2), jnp.float32))
    with pytest.raises(TypeError, match="float32"):
        blas.gemm(a.astype(jnp.bfloat16), jnp.ones((3, 2), jnp.bfloat16))
    with pytest.raises(ValueError, match="batch dims"):
        blas.gemm(jnp.ones((2, 4, 3)), jnp.ones((5, 3, 2)))


PROJECTIONS = [
    (("btd,df->btf",), [(8, 5)]),
    (("btd,dnh->btnh", "btd,dkh->btkh", "btd,dkh->btkh"), [(8, 4, 3), (8, 2, 3), (8, 2, 3)]),  # q, k, v
    (("btnh,nhd->btd",), [(2, 3, 8)]),                                                       # attention out
    (("btd,vd->btv",), [(11, 8)]),                                                           # tied head
]


@pytest.mark.parametrize("specs,shapes", PROJECTIONS)
def test_blas_projections_match_autodiff_of_einsum(specs, shapes, blas_at_test_sizes):
    r = np.random.default_rng(1)
    x_shape = (2, 160, 2, 3) if specs[0].startswith("btnh") else (2, 160, 8)
    x = jnp.asarray(r.standard_normal(x_shape, dtype=np.float32))
    ws = tuple(jnp.asarray(r.standard_normal(s, dtype=np.float32)) for s in shapes)

    def loss(matmul):
        def f(x, ws):
            outs = dense.project_shared(specs, x, ws, grad="einsum", matmul=matmul)
            return sum(jnp.sum(o * jnp.cos(jnp.arange(o.size, dtype=jnp.float32).reshape(o.shape))) for o in outs)
        return f

    assert _uses_blas(jax.grad(loss("blas"), argnums=(0, 1)), x, ws)
    want = jax.jit(jax.value_and_grad(loss("xla"), argnums=(0, 1)))(x, ws)
    got = jax.jit(jax.value_and_grad(loss("blas"), argnums=(0, 1)))(x, ws)
    jax.tree.map(lambda g, w: np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4), got, want)


def test_decode_sized_shallow_and_16_bit_projections_stay_on_xla():
    d = dense.BLAS_MIN_DEPTH
    w = jnp.ones((d, 5), jnp.float32)
    few_rows = jnp.ones((2, dense.BLAS_MIN_ROWS // 2 - 1, d), jnp.float32)
    many_rows = jnp.ones((2, dense.BLAS_MIN_ROWS // 2, d), jnp.float32)
    proj = lambda x, w: dense.project("btd,df->btf", x, w, matmul="blas")   # noqa: E731
    assert _uses_blas(proj, many_rows, w)
    assert not _uses_blas(proj, few_rows, w)
    assert not _uses_blas(proj, many_rows[..., :d // 2], w[:d // 2])
    assert not _uses_blas(proj, many_rows.astype(jnp.bfloat16), w.astype(jnp.bfloat16))


def test_blas_attention_matches_the_reference_kernel(monkeypatch, blas_at_test_sizes):
    monkeypatch.setattr(attention, "QUERY_BLOCK", 8)   # 32 tokens in 4 causal blocks
    r = np.random.default_rng(2)
    B, Tq, N, K, H = 2, 32, 4, 2, 8
    q, k, v = (jnp.asarray(r.standard_normal((B, Tq, n, H), dtype=np.float32)) for n in (N, K, K))
    seg = np.ones((B, Tq), np.int32)
    seg[0, 20:] = 2
    idx = jnp.broadcast_to(jnp.arange(Tq), (B, Tq))
    mask = attention.causal_segment_mask(jnp.asarray(seg), jnp.asarray(seg), idx, idx)
    c = jnp.asarray(r.standard_normal((B, Tq, N, H), dtype=np.float32))

    def loss(kernel, matmul):
        return lambda q, k, v: jnp.sum(attention.attend(q, k, v, mask, kernel=kernel, causal=True,
                                                        matmul=matmul) * c)

    assert _uses_blas(jax.grad(loss("recompute", "blas"), argnums=(0, 1, 2)), q, k, v)
    want = jax.jit(jax.value_and_grad(loss("xla", "xla"), argnums=(0, 1, 2)))(q, k, v)
    got = jax.jit(jax.value_and_grad(loss("recompute", "blas"), argnums=(0, 1, 2)))(q, k, v)
    jax.tree.map(lambda g, w: np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5), got, want)


@pytest.mark.parametrize("case", ["llama_gqa", "qwen2_gqa_tied"])
def test_model_with_blas_matches_transformers(case, tmp_path, blas_at_test_sizes):
    reference = build_reference(case, seed=3)
    reference.save_pretrained(tmp_path)
    cfg, params = hf.load_hf(tmp_path)
    cfg = dataclasses.replace(cfg, matmul="blas", attention_kernel="recompute")
    tokens, mask = _padded_batch(np.random.default_rng(0))
    positions = np.broadcast_to(np.arange(T), tokens.shape)
    forward = lambda p, t, pos, m: M.forward(p, t, cfg, pos, m)   # noqa: E731
    assert _uses_blas(forward, params, tokens, positions, mask)
    got = np.asarray(jax.jit(forward)(params, tokens, positions, mask))
    want = torch_logits(reference, tokens, mask)
    real = mask.astype(bool)
    assert got.shape == want.shape and real.sum() == sum(PADDED_LENGTHS)
    np.testing.assert_array_less(np.abs(got[real] - want[real]).max(), TOL)


@pytest.mark.parametrize("name", ["llama_gqa", "qwen_bias_tied", "neox_parallel"])
def test_model_gradients_with_blas_equal_the_reference_path(name, blas_at_test_sizes):
    params, batch, ref_l, ref_g = _reference(name)
    cfg = dataclasses.replace(FAMILIES[name], **dict(REFERENCE, attention_kernel="recompute", matmul="blas"))
    assert _uses_blas(lambda p: _model_grad.__wrapped__(p, *batch, cfg), params)
    got_l, got_g = _model_grad(params, *batch, cfg)
    np.testing.assert_allclose(got_l, ref_l, rtol=1e-6)
    jax.tree.map(lambda g, r: np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-6), got_g, ref_g)


def test_without_a_library_or_compiler_projections_fall_back_and_say_so_once(monkeypatch, caplog):
    monkeypatch.setattr(blas, "_register", lambda: "no C++ compiler (test)")
    blas.usable.cache_clear()
    try:
        x, w = jnp.ones((2, 200, 512), jnp.float32), jnp.ones((512, 5), jnp.float32)
        proj = lambda x, w: dense.project("btd,df->btf", x, w, matmul="blas")   # noqa: E731
        with caplog.at_level(logging.WARNING, logger=blas.__name__):
            assert not _uses_blas(proj, x, w)
            np.testing.assert_allclose(proj(x, w), jnp.einsum("btd,df->btf", x, w))
            proj(x * 2, w)
        warnings = [r.getMessage() for r in caplog.records if "matmul='blas'" in r.getMessage()]
        assert warnings == ["matmul='blas': no C++ compiler (test); using XLA's dot instead"]
        with pytest.raises(blas.BlasUnavailable, match="no C\\+\\+ compiler"):
            blas.gemm(jnp.ones((4, 3)), jnp.ones((3, 2)))
    finally:
        blas.usable.cache_clear()


def test_a_missing_compiler_is_named(monkeypatch):
    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(build.KernelUnavailable, match="no C\\+\\+ compiler .*blas_gemm.cc"):
        build.compiler()


def test_auto_uses_blas_on_one_cpu_device_only():
    x, w = jnp.ones((2, 200, 512), jnp.float32), jnp.ones((512, 5), jnp.float32)
    assert jax.device_count() == 8 and not _uses_blas(lambda x, w: dense.project("btd,df->btf", x, w), x, w)
    script = ("import jax, jax.numpy as jnp; from midalign_jax.model import dense; "
              "x, w = jnp.ones((2, 200, 512)), jnp.ones((512, 5)); "
              "print(jax.device_count(), 'midalign_blas_gemm' in "
              "jax.jit(lambda x, w: dense.project('btd,df->btf', x, w)).lower(x, w).as_text())")
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["1", "True"]


def test_matmul_field_is_checked():
    with pytest.raises(ValueError, match="ModelConfig.matmul='fast'"):
        M.ModelConfig(matmul="fast")
