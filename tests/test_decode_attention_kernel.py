"""The decode-step attention kernel (midalign_jax/kernels/decode_attention.cc): against torch's
scaled_dot_product_attention, and a greedy generate that runs it against transformers' generate."""
from __future__ import annotations

import dataclasses
import logging
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from test_hf_reference import build_reference

from midalign_jax import hf
from midalign_jax import sampling
from midalign_jax.kernels import decode_attention
from midalign_jax.model import attention

pytestmark = pytest.mark.skipif(
    not any(shutil.which(c) for c in ("g++", "c++", "clang++")),
    reason="no C++ compiler: the kernels cannot be built here (with one, a failed build fails these tests)")


def _torch_attention(q_BKGH, k_BKHS, v_BKSH, mask_BS):
    q = torch.from_numpy(np.asarray(q_BKGH))                       # [B, K, G, H]: G queries per KV head
    k = torch.from_numpy(np.asarray(k_BKHS)).transpose(-1, -2)      # [B, K, S, H]
    v = torch.from_numpy(np.asarray(v_BKSH))
    m = torch.from_numpy(np.asarray(mask_BS))[:, None, None, :]
    return torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m).numpy()


@pytest.mark.parametrize("B,K,G,H,S", [(3, 2, 2, 8, 21), (2, 3, 3, 64, 40), (5, 1, 4, 16, 7)])
def test_kernel_matches_torch_sdpa_with_padding_and_unfilled_slots(B, K, G, H, S):
    r = np.random.default_rng(B * S)
    # Scores spread over tens of nats, so the softmax's exp runs through most of its range.
    q = r.standard_normal((B, K, G, H), dtype=np.float32) * 4
    k = r.standard_normal((B, K, H, S), dtype=np.float32)
    v = r.standard_normal((B, K, S, H), dtype=np.float32)
    filled = r.integers(1, S + 1, B)                                # slots written so far, per row
    pad = r.integers(0, filled)                                     # left padding of each row's prompt
    slot = np.arange(S)
    mask = (slot[None] < filled[:, None]) & (slot[None] >= pad[:, None])
    mask[0, :] = False                                              # a row that may see nothing
    mask[0, S // 2] = True
    got = np.asarray(jax.jit(decode_attention.attend)(q, k, v, mask))
    np.testing.assert_allclose(got, _torch_attention(q, k, v, mask), rtol=1e-5, atol=2e-6)
    none = mask.copy()
    none[1] = False
    out = np.asarray(jax.jit(decode_attention.attend)(q, k, v, none))
    assert (out[1] == 0).all() and np.isfinite(out).all()


def test_attend_cached_uses_the_kernel_only_for_float32_decode_steps_when_allowed():
    B, K, G, H, S = 2, 2, 2, 8, 12
    q = jnp.ones((B, 1, K * G, H))
    k, v, mask = jnp.ones((B, K, H, S)), jnp.ones((B, K, S, H)), jnp.ones((B, 1, 1, S), bool)

    def uses(q, matmul):
        text = jax.jit(lambda q: attention.attend_cached(q, k.astype(q.dtype), v.astype(q.dtype),
                                                         jnp.broadcast_to(mask, (B, 1, q.shape[1], S)),
                                                         matmul)).lower(q).as_text()
        return decode_attention.TARGET in text

    assert uses(q, "blas")
    assert not uses(q, "xla") and not uses(jnp.ones((B, 3, K * G, H)), "blas")
    assert not uses(q.astype(jnp.bfloat16), "blas")
    assert jax.device_count() == 8 and not uses(q, "auto")   # our kernels only where the CPU is the one device
    with pytest.raises(ValueError, match="matmul='fast'"):
        attention.attend_cached(q, k, v, mask, "fast")


def test_bad_inputs_are_named():
    q, k, v, mask = jnp.ones((2, 1, 3, 8)), jnp.ones((2, 1, 8, 5)), jnp.ones((2, 1, 5, 8)), jnp.ones((2, 5), bool)
    with pytest.raises(ValueError, match=r"expected \[B, K, G, H\]"):
        decode_attention.attend(q, k, v, jnp.ones((2, 6), bool))
    with pytest.raises(TypeError, match="float32"):
        decode_attention.attend(q.astype(jnp.bfloat16), k, v, mask)


@pytest.mark.parametrize("case", ["llama_gqa", "qwen2_gqa_tied"])
def test_greedy_generate_with_the_kernel_matches_transformers_generate(case, tmp_path):
    reference = build_reference(case, seed=5)
    reference.save_pretrained(tmp_path)
    cfg, params = hf.load_hf(tmp_path)
    cfg = dataclasses.replace(cfg, matmul="blas")
    prompts = [[5, 9, 11, 3], [7, 2, 30, 41, 8, 8, 1], [12]]
    new = 12
    sp = sampling.SamplingParams(max_new_tokens=new, temperature=0.0)
    tokens, segs, pos, lengths = sampling.left_pad(prompts, 0)
    text = sampling._sample_program.lower(params, tokens, segs, pos, lengths, jax.random.key(0), cfg=cfg, sp=sp,
                                          pad_id=0, placement=None).as_text()
    assert decode_attention.TARGET in text
    out = sampling.generate(params, cfg, prompts, sp)
    for i, p in enumerate(prompts):   # one row at a time: no padding on the reference side
        with torch.no_grad():
            ref = reference.generate(torch.tensor([p]), max_new_tokens=new, min_new_tokens=new, do_sample=False,
                                     output_scores=True, return_dict_in_generate=True, pad_token_id=0,
                                     eos_token_id=None)
        want = ref.sequences[0, len(p):].numpy()
        assert out.tokens[i].tolist() == want.tolist()
        want_lp = [float(torch.log_softmax(s[0].float(), -1)[t]) for s, t in zip(ref.scores, want)]
        np.testing.assert_allclose(out.logprobs[i], want_lp, atol=1e-4)


def test_without_the_kernels_decode_steps_fall_back_and_say_so_once(monkeypatch, caplog):
    monkeypatch.setattr(decode_attention, "_register", lambda: "no C++ compiler (test)")
    decode_attention.usable.cache_clear()
    q, k, v, mask = jnp.ones((2, 1, 4, 8)), jnp.ones((2, 2, 8, 5)), jnp.ones((2, 2, 5, 8)), jnp.ones((2, 1, 1, 5), bool)
    try:
        with caplog.at_level(logging.WARNING, logger=decode_attention.__name__):
            for _ in range(2):
                text = jax.jit(lambda q: attention.attend_cached(q, k, v, mask, "blas")).lower(q).as_text()
                assert decode_attention.TARGET not in text
        warnings = [r.getMessage() for r in caplog.records if "decode attention" in r.getMessage()]
        assert warnings == ["decode attention kernel: no C++ compiler (test); using XLA's products instead"]
        assert not attention.use_decode_kernel("auto")
    finally:
        decode_attention.usable.cache_clear()
