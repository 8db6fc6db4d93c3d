"""The KV-cache sampler against full-forward decoding, with mixed prompt lengths, stops and sharding."""
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from midalign_jax import model as M
from midalign_jax import sampling
from midalign_jax.parallel import sharding as S

CFG = M.ModelConfig(vocab_size=50, d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, head_dim=8, d_ff=64)
PARAMS = M.init_params(CFG, jax.random.key(0))
# Sharpen the model so greedy choices are not decided by float noise.
PARAMS["lm_head"] = PARAMS["lm_head"] * 40
PROMPTS = [[3, 4, 5], [7, 1, 2, 9, 9, 8, 1, 4, 11, 30, 2], [12]]


def reference_greedy(prompt, n):
    seq = list(prompt)
    lps = []
    for _ in range(n):
        logits = M.forward(PARAMS, jnp.asarray([seq]), CFG)[0, -1]
        tok = int(jnp.argmax(logits))
        lps.append(float(jax.nn.log_softmax(logits)[tok]))
        seq.append(tok)
    return seq[len(prompt):], lps


def test_greedy_equals_repeated_full_forward_argmax_for_mixed_lengths():
    out = sampling.generate(PARAMS, CFG, PROMPTS, sampling.SamplingParams(max_new_tokens=12, temperature=0.0))
    for i, p in enumerate(PROMPTS):
        toks, lps = reference_greedy(p, 12)
        assert out.tokens[i].tolist() == toks
        np.testing.assert_allclose(out.logprobs[i], lps, atol=1e-4)
    assert out.lengths.tolist() == [12, 12, 12]


def test_right_padded_input_gives_the_same_completions():
    right = np.zeros((3, 11), np.int32)
    for i, p in enumerate(PROMPTS):
        right[i, :len(p)] = p
    prompts = sampling.right_to_left(right, np.array([len(p) for p in PROMPTS]))
    a = sampling.generate(PARAMS, CFG, prompts, sampling.SamplingParams(max_new_tokens=6, temperature=0.0))
    b = sampling.generate(PARAMS, CFG, PROMPTS, sampling.SamplingParams(max_new_tokens=6, temperature=0.0))
    np.testing.assert_array_equal(a.tokens, b.tokens)


def test_short_prompts_pad_to_powers_of_two_and_the_padding_does_not_change_completions():
    widths = {n: sampling.left_pad([[1] * n], 0)[0].shape[1] for n in (1, 4, 5, 9, 16, 17, 33)}
    assert widths == {1: 4, 4: 4, 5: 8, 9: 16, 16: 16, 17: 32, 33: 48}
    short = [[3, 4, 5], [12]]
    sp = sampling.SamplingParams(max_new_tokens=6, temperature=0.0)
    tight = sampling.generate(PARAMS, CFG, short, sp)
    wide = sampling.generate(PARAMS, CFG, short, sp, prompt_length=16)
    np.testing.assert_array_equal(tight.tokens, wide.tokens)
    np.testing.assert_allclose(tight.logprobs, wide.logprobs, atol=1e-5)


def test_eos_and_stop_sequences_end_rows_and_lengths_count_them():
    greedy = sampling.generate(PARAMS, CFG, PROMPTS[:1], sampling.SamplingParams(max_new_tokens=10, temperature=0))
    toks = greedy.tokens[0].tolist()
    eos = toks[3]
    first = toks.index(eos)
    out = sampling.generate(PARAMS, CFG, PROMPTS[:1],
                            sampling.SamplingParams(max_new_tokens=10, temperature=0, eos_ids=(eos,)))
    assert out.lengths[0] == first + 1
    assert out.tokens[0, :first + 1].tolist() == toks[:first + 1]
    assert (out.tokens[0, first + 1:] == 0).all() and (out.logprobs[0, first + 1:] == 0).all()
    stop = tuple(toks[4:6])
    out = sampling.generate(PARAMS, CFG, PROMPTS[:1],
                            sampling.SamplingParams(max_new_tokens=10, temperature=0, stop_sequences=(stop,)))
    expected_end = next(i + 2 for i in range(9) if tuple(toks[i:i + 2]) == stop)
    assert out.lengths[0] == expected_end


def test_sampling_is_seeded_and_n_samples_differ():
    sp = sampling.SamplingParams(max_new_tokens=8, temperature=1.0, n_samples=4)
    PARAMS_FLAT = dict(PARAMS, lm_head=PARAMS["lm_head"] / 40)
    a = sampling.generate(PARAMS_FLAT, CFG, PROMPTS[:2], sp, rng=jax.random.key(1))
    b = sampling.generate(PARAMS_FLAT, CFG, PROMPTS[:2], sp, rng=jax.random.key(1))
    np.testing.assert_array_equal(a.tokens, b.tokens)
    assert a.tokens.shape == (8, 8) and a.prompt_index.tolist() == [0] * 4 + [1] * 4
    assert len({tuple(r) for r in a.tokens[:4]}) > 1
    # Sampled logprobs are the model's log-softmax of the chosen tokens (what the RL learner recomputes).
    for r in range(2):
        seq = PROMPTS[a.prompt_index[r]] + a.tokens[r].tolist()
        logits = M.forward(PARAMS_FLAT, jnp.asarray([seq]), CFG)[0]
        P = len(PROMPTS[a.prompt_index[r]])
        ref = jax.nn.log_softmax(logits[P - 1:P - 1 + 8], -1)[jnp.arange(8), jnp.asarray(a.tokens[r])]
        np.testing.assert_allclose(a.logprobs[r], ref, atol=1e-4)


def test_top_k_one_is_greedy_and_top_p_filter_keeps_the_nucleus():
    g = sampling.generate(PARAMS, CFG, PROMPTS, sampling.SamplingParams(max_new_tokens=5, temperature=0))
    k1 = sampling.generate(PARAMS, CFG, PROMPTS, sampling.SamplingParams(max_new_tokens=5, temperature=0.7,
                                                                         top_k=1), rng=jax.random.key(3))
    np.testing.assert_array_equal(g.tokens, k1.tokens)
    logits = jnp.log(jnp.asarray([[0.5, 0.3, 0.15, 0.05]]))
    kept = sampling.filter_logits(logits, sampling.SamplingParams(temperature=1.0, top_p=0.8))
    assert np.isfinite(np.asarray(kept)).tolist() == [[True, True, False, False]]


@pytest.mark.parametrize("shape", [(8, 1, 1), (2, 2, 2)])
def test_sharded_sampling_matches_single_device(shape):
    mesh = S.make_mesh(ml_collections.ConfigDict(dict(data=shape[0], fsdp=shape[1], tensor=shape[2])))
    shard = S.tree_shardings(M.logical_axes(CFG), M.param_shapes(CFG), mesh, S.DEFAULT_RULES)
    sp = sampling.SamplingParams(max_new_tokens=6, temperature=0.0)
    ref = sampling.generate(PARAMS, CFG, PROMPTS, sp)
    got = sampling.generate(S.place(PARAMS, shard), CFG, PROMPTS, sp, mesh=mesh)
    np.testing.assert_array_equal(got.tokens, ref.tokens)
    np.testing.assert_allclose(got.logprobs, ref.logprobs, atol=1e-4)


def test_draw_follows_the_distribution_and_never_picks_masked_tokens():
    probs = np.array([0.5, 0.0, 0.3, 0.2])
    logits = jnp.log(jnp.asarray(np.tile(probs, (20000, 1))))
    toks = np.asarray(sampling._draw(jax.random.key(0), logits))
    freq = np.bincount(toks, minlength=4) / len(toks)
    np.testing.assert_allclose(freq, probs, atol=0.015)
    assert freq[1] == 0
