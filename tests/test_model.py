"""Model behaviour that needs no reference implementation: KV cache vs full forward, packing isolation,
dtypes and remat. Numerics against transformers live in test_hf_*.py."""
import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from midalign_jax import model as M

FAMILIES = {
    "llama_gqa": M.ModelConfig(vocab_size=101, d_model=64, n_layers=2, n_heads=4, n_kv_heads=2, head_dim=16,
                               d_ff=96),
    "qwen_bias_tied": M.ModelConfig(vocab_size=101, d_model=64, n_layers=2, n_heads=4, n_kv_heads=1,
                                    head_dim=16, d_ff=96, qkv_bias=True, tie_embeddings=True),
    "neox_parallel": M.ModelConfig(vocab_size=101, d_model=64, n_layers=3, n_heads=4, n_kv_heads=4,
                                   head_dim=16, d_ff=128, norm="layernorm", mlp="gelu", activation="gelu",
                                   mlp_bias=True, qkv_bias=True, out_bias=True, parallel_residual=True,
                                   rotary_pct=0.25),
}


@pytest.mark.parametrize("name,per_layer", [(n, False) for n in sorted(FAMILIES)] + [("llama_gqa", True),
                                                                                     ("neox_parallel", True)])
def test_kv_cache_decoding_matches_full_forward(name, per_layer):
    cfg = FAMILIES[name]
    params = M.init_params(cfg, jax.random.key(0))
    B, prompt, new = 2, 7, 32
    tokens = jax.random.randint(jax.random.key(1), (B, prompt + new), 0, cfg.vocab_size)
    full = M.forward(params, tokens, cfg)
    positions = jnp.broadcast_to(jnp.arange(prompt + new), (B, prompt + new))
    step = jax.jit(lambda p, t, c, pos: M.extend(p, t, cfg, c, pos))
    cache = M.init_cache(cfg, B, 64)
    if per_layer:  # the sampler's form on CPU: one buffer and one weight tree per layer, the same numbers
        cache = M.per_layer_cache(cache)
        params = M.per_layer_params(params, cfg)
        assert isinstance(params["layers"], tuple) and len(params["layers"]) == cfg.n_layers
    logits, cache = step(params, tokens[:, :prompt], cache, positions[:, :prompt])
    got = [logits]
    for t in range(prompt, prompt + new):
        logits, cache = step(params, tokens[:, t:t + 1], cache, positions[:, t:t + 1])
        got.append(logits)
    np.testing.assert_allclose(np.concatenate(got, axis=1), full, atol=1e-4, rtol=0)
    assert int(cache["index"]) == prompt + new
    assert isinstance(cache["k"], tuple) == per_layer and len(cache["k"]) == cfg.n_layers


def test_last_only_prefill_gives_the_last_logits_and_the_same_cache():
    cfg = FAMILIES["qwen_bias_tied"]
    params = M.init_params(cfg, jax.random.key(0))
    tokens = jax.random.randint(jax.random.key(1), (2, 9), 0, cfg.vocab_size)
    positions = jnp.broadcast_to(jnp.arange(9), (2, 9))
    cache = M.per_layer_cache(M.init_cache(cfg, 2, 16))
    full, cache_full = M.extend(params, tokens, cfg, cache, positions)
    last, cache_last = M.extend(M.per_layer_params(params, cfg), tokens, cfg, cache, positions, last_only=True)
    assert last.shape == (2, 1, cfg.vocab_size)
    np.testing.assert_allclose(last, full[:, -1:], atol=1e-5, rtol=0)
    np.testing.assert_allclose(cache_last["k"][1], cache_full["k"][1], atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="per-layer cache"):
        M.extend(M.per_layer_params(params, cfg), tokens, cfg, M.init_cache(cfg, 2, 16), positions)


def test_left_padded_cache_matches_unpadded_forward():
    cfg = FAMILIES["llama_gqa"]
    params = M.init_params(cfg, jax.random.key(0))
    seq = jax.random.randint(jax.random.key(2), (1, 12), 0, cfg.vocab_size)
    ref = M.forward(params, seq, cfg)
    pad = 5
    tokens = jnp.concatenate([jnp.zeros((1, pad), jnp.int32), seq[:, :6]], axis=1)
    segs = jnp.concatenate([jnp.zeros((1, pad), jnp.int32), jnp.ones((1, 6), jnp.int32)], axis=1)
    pos = jnp.concatenate([jnp.zeros((1, pad), jnp.int32), jnp.arange(6)[None]], axis=1)
    cache = M.init_cache(cfg, 1, 32)
    logits, cache = M.extend(params, tokens, cfg, cache, pos, segs)
    np.testing.assert_allclose(logits[:, pad:], ref[:, :6], atol=1e-4, rtol=0)
    for t in range(6, 12):
        logits, cache = M.extend(params, seq[:, t:t + 1], cfg, cache, jnp.array([[t]]), jnp.ones((1, 1), jnp.int32))
        np.testing.assert_allclose(logits[:, 0], ref[:, t], atol=1e-4, rtol=0)


def test_packed_documents_do_not_attend_across_segments():
    cfg = FAMILIES["neox_parallel"]
    params = M.init_params(cfg, jax.random.key(0))
    a = jax.random.randint(jax.random.key(3), (1, 9), 0, cfg.vocab_size)
    b = jax.random.randint(jax.random.key(4), (1, 7), 0, cfg.vocab_size)
    packed = jnp.concatenate([a, b], axis=1)
    segs = jnp.array([[1] * 9 + [2] * 7])
    pos = jnp.array([list(range(9)) + list(range(7))])
    out = M.forward(params, packed, cfg, positions=pos, segment_ids=segs)
    np.testing.assert_allclose(out[:, :9], M.forward(params, a, cfg), atol=1e-5, rtol=0)
    np.testing.assert_allclose(out[:, 9:], M.forward(params, b, cfg), atol=1e-5, rtol=0)
    # Changing document a must leave every logit of document b untouched, and vice versa.
    other = packed.at[0, 3].set((packed[0, 3] + 1) % cfg.vocab_size)
    out2 = M.forward(params, other, cfg, positions=pos, segment_ids=segs)
    np.testing.assert_array_equal(out2[:, 9:], out[:, 9:])
    assert not np.allclose(out2[:, 3:9], out[:, 3:9])


@pytest.mark.parametrize("remat", ["full", "dots", "dots_no_batch"])
def test_remat_policies_give_same_loss_and_grads(remat):
    cfg = FAMILIES["llama_gqa"]
    params = M.init_params(cfg, jax.random.key(0))
    tokens = jax.random.randint(jax.random.key(5), (2, 16), 0, cfg.vocab_size)

    def loss(p, c):
        return jnp.mean(jax.nn.logsumexp(M.forward(p, tokens, c), axis=-1))

    ref_l, ref_g = jax.value_and_grad(loss)(params, cfg)
    got_l, got_g = jax.jit(jax.value_and_grad(loss), static_argnums=1)(params, dataclasses.replace(cfg, remat=remat))
    np.testing.assert_allclose(got_l, ref_l, rtol=1e-6)
    jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, atol=1e-6), got_g, ref_g)


def test_full_remat_shrinks_the_train_steps_temporaries_with_the_default_unroll():
    """On CPU the layer scan is unrolled by default, which made XLA keep every layer's activations and remat a no-op
    (SmolLM2-135M at 4 x 1024 tokens: 10.1 GiB either way); with remat the scan stays rolled."""
    cfg = M.ModelConfig(vocab_size=256, d_model=128, n_layers=8, n_heads=4, n_kv_heads=2, head_dim=32, d_ff=512,
                        max_seq_len=512)
    tokens = jax.ShapeDtypeStruct((4, 512), jnp.int32)

    def temp_bytes(remat):
        c = dataclasses.replace(cfg, remat=remat)
        grad = jax.jit(jax.grad(lambda p, t: jnp.mean(jax.nn.logsumexp(M.forward(p, t, c), axis=-1))))
        return grad.lower(M.param_shapes(c), tokens).compile().memory_analysis().temp_size_in_bytes

    assert temp_bytes("full") < 0.5 * temp_bytes("none")


def test_bfloat16_compute_is_close_to_float32_and_logits_stay_float32():
    cfg = FAMILIES["qwen_bias_tied"]
    params = M.init_params(cfg, jax.random.key(0))
    tokens = jax.random.randint(jax.random.key(6), (2, 16), 0, cfg.vocab_size)
    ref = M.forward(params, tokens, cfg)
    got = M.forward(params, tokens, dataclasses.replace(cfg, dtype="bfloat16"))
    assert got.dtype == jnp.float32
    assert float(jnp.max(jnp.abs(got - ref))) < 5e-2


def test_bad_config_names_the_field():
    with pytest.raises(ValueError, match="norm"):
        M.ModelConfig(norm="batchnorm")
    with pytest.raises(ValueError, match="n_kv_heads"):
        M.ModelConfig(n_heads=4, n_kv_heads=3)
