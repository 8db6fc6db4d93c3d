"""Advantages and policy-gradient losses, checked against explicit numpy arithmetic."""
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rl.advantages import compute_advantages, update_ema_baseline
from rl.losses import (
    LOSS_PRESETS,
    RLLossConfig,
    aggregate,
    loss_preset,
    policy_loss,
    token_entropy,
    token_logprobs,
)

REWARDS = np.array([[1.0, 0.0, 0.0, 1.0], [0.5, 0.5, 0.5, 0.5], [0.0, 0.2, 0.9, 0.3]], np.float32)


# ------------------------------------------------------------------------------------------------ advantages


def test_grpo_advantages():
    adv = np.asarray(compute_advantages(jnp.asarray(REWARDS), "grpo", eps=1e-6))
    for p, row in enumerate(REWARDS):
        mean = sum(row) / len(row)
        std = (sum((r - mean) ** 2 for r in row) / (len(row) - 1)) ** 0.5
        np.testing.assert_allclose(adv[p], [(r - mean) / (std + 1e-6) for r in row], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(adv[1], 0.0)  # all-equal group carries no signal


def test_dr_grpo_rloo_and_reinforce_advantages():
    dr = np.asarray(compute_advantages(jnp.asarray(REWARDS), "dr_grpo"))
    rloo = np.asarray(compute_advantages(jnp.asarray(REWARDS), "rloo"))
    reinforce = np.asarray(compute_advantages(jnp.asarray(REWARDS), "reinforce"))
    with_baseline = np.asarray(compute_advantages(jnp.asarray(REWARDS), "reinforce", baseline=0.25))
    batch_mean = REWARDS.sum() / REWARDS.size
    for p, row in enumerate(REWARDS):
        for i, r in enumerate(row):
            others = [row[j] for j in range(len(row)) if j != i]
            np.testing.assert_allclose(dr[p, i], r - sum(row) / len(row), atol=1e-6)
            np.testing.assert_allclose(rloo[p, i], r - sum(others) / len(others), atol=1e-6)
            np.testing.assert_allclose(reinforce[p, i], r - batch_mean, atol=1e-6)
            np.testing.assert_allclose(with_baseline[p, i], r - 0.25, atol=1e-6)


def test_advantage_errors_and_jit():
    with pytest.raises(ValueError, match="group_size >= 2"):
        compute_advantages(jnp.ones((4, 1)), "grpo")
    with pytest.raises(ValueError, match="one of"):
        compute_advantages(jnp.ones((4, 2)), "ppo")
    with pytest.raises(ValueError, match="only used by 'reinforce'"):
        compute_advantages(jnp.ones((4, 2)), "grpo", baseline=0.0)
    with pytest.raises(ValueError, match="num_prompts, group_size"):
        compute_advantages(jnp.ones(8), "dr_grpo")
    jitted = jax.jit(compute_advantages, static_argnames=("algo",))
    for algo in ("grpo", "dr_grpo", "rloo", "reinforce"):
        np.testing.assert_allclose(jitted(REWARDS, algo=algo), compute_advantages(REWARDS, algo), atol=1e-6)


def test_ema_baseline():
    assert float(update_ema_baseline(0.5, jnp.asarray(REWARDS), 0.9)) == pytest.approx(
        0.9 * 0.5 + 0.1 * REWARDS.mean(), rel=1e-6)
    with pytest.raises(ValueError, match="decay"):
        update_ema_baseline(0.0, REWARDS, 1.0)


# -------------------------------------------------------------------------------------------- policy loss

LOGP = np.array([[-1.0, -0.5, -2.0, -0.3], [-0.2, -1.5, -0.7, -9.0], [-0.4, -0.4, -0.9, -1.1]], np.float32)
OLD = LOGP - np.array([[0.05, 0.4, -0.5, 0.0], [-0.3, 0.1, 0.6, 0.0], [0.0, 0.25, -0.25, 0.15]], np.float32)
REF = LOGP + np.array([[0.1, -0.2, 0.3, 0.0], [0.0, 0.5, -0.1, 0.0], [-0.4, 0.2, 0.0, 0.1]], np.float32)
ADV = np.array([1.0, -0.5, 2.0], np.float32)
MASK = np.array([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]], np.float32)


def _expected(aggregation, clip_low, clip_high, kl_coef, max_len=None):
    """The loss written out token by token in plain Python."""
    B, T = LOGP.shape
    per_token, per_seq = [], []
    clipped = kl_sum = ratio_sum = 0.0
    for b in range(B):
        seq = []
        for t in range(T):
            if not MASK[b, t]:
                continue
            ratio = float(np.exp(LOGP[b, t] - OLD[b, t]))
            clipped_ratio = min(max(ratio, 1 - clip_low), 1 + clip_high)
            pg = max(-ADV[b] * ratio, -ADV[b] * clipped_ratio)
            d = float(REF[b, t] - LOGP[b, t])
            kl = np.exp(d) - d - 1
            seq.append(pg + kl_coef * kl)
            clipped += (ADV[b] > 0 and ratio > 1 + clip_high) or (ADV[b] < 0 and ratio < 1 - clip_low)
            kl_sum += kl
            ratio_sum += ratio
        per_token += seq
        per_seq.append(sum(seq) / len(seq))
    n = len(per_token)
    loss = {"token": sum(per_token) / n, "sequence": sum(per_seq) / B,
            "dr_grpo": sum(per_token) / (B * (max_len or T))}[aggregation]
    return loss, {"clip_fraction": clipped / n, "kl": kl_sum / n, "ratio_mean": ratio_sum / n, "num_tokens": n}


@pytest.mark.parametrize("aggregation,clip_low,clip_high,kl_coef,max_len", [
    ("token", 0.2, 0.2, 0.0, None), ("token", 0.1, 0.3, 0.05, None), ("sequence", 0.2, 0.28, 0.04, None),
    ("dr_grpo", 0.2, 0.2, 0.1, None), ("dr_grpo", 0.15, 0.25, 0.0, 16),
])
def test_policy_loss_matches_hand_computation(aggregation, clip_low, clip_high, kl_coef, max_len):
    loss, metrics = policy_loss(jnp.asarray(LOGP), jnp.asarray(OLD), jnp.asarray(ADV), jnp.asarray(MASK),
                                ref_logp_BT=jnp.asarray(REF), clip_low=clip_low, clip_high=clip_high,
                                kl_coef=kl_coef, aggregation=aggregation, max_len=max_len)
    expected_loss, expected_metrics = _expected(aggregation, clip_low, clip_high, kl_coef, max_len)
    assert float(loss) == pytest.approx(expected_loss, rel=1e-5, abs=1e-6)
    for key, value in expected_metrics.items():
        assert float(metrics[key]) == pytest.approx(value, rel=1e-5, abs=1e-6), key
    assert expected_metrics["clip_fraction"] > 0  # the example does exercise clipping


def _grad_per_token(ratios, advs, clip_low, clip_high):
    """d loss / d logp for one-token sequences with the given ratios (token aggregation)."""
    logp = jnp.log(jnp.asarray(ratios, jnp.float32))[:, None]
    old = jnp.zeros_like(logp)
    mask = jnp.ones_like(logp)

    def loss_fn(lp):
        return policy_loss(lp, old, jnp.asarray(advs, jnp.float32), mask, clip_low=clip_low, clip_high=clip_high)

    (loss, metrics), grad = jax.value_and_grad(loss_fn, has_aux=True)(logp)
    return float(loss), metrics, np.asarray(grad)[:, 0]


def test_clipping_at_both_edges_for_both_advantage_signs():
    # ratio above/below the range, advantage positive/negative; asymmetric clip range [0.9, 1.3].
    ratios, advs = [1.5, 0.5, 0.5, 1.5, 1.2, 0.85, 0.85, 1.2], [1, 1, -1, -1, 1, -1, 1, -1]
    loss, metrics, grad = _grad_per_token(ratios, advs, clip_low=0.1, clip_high=0.3)
    n = len(ratios)
    # Clipped (no gradient): A>0 & r>1.3, A<0 & r<0.9. Everything else follows -A * r exactly.
    clipped = [True, False, True, False, False, True, False, False]
    for i, (r, a, c) in enumerate(zip(ratios, advs, clipped)):
        expected = 0.0 if c else -a * r / n
        assert grad[i] == pytest.approx(expected, abs=1e-6), (r, a)
    expected_terms = [-a * (min(max(r, 0.9), 1.3) if c else r) for r, a, c in zip(ratios, advs, clipped)]
    assert loss == pytest.approx(sum(expected_terms) / n, rel=1e-6)
    assert float(metrics["clip_fraction"]) == pytest.approx(3 / n)
    assert float(metrics["clip_high_fraction"]) == pytest.approx(1 / n)
    assert float(metrics["clip_low_fraction"]) == pytest.approx(2 / n)
    # Swapping the bounds moves the edges: now 1.2 with A>0 is clipped and 0.85 with A<0 is not.
    _, _, swapped = _grad_per_token([1.2, 0.85], [1, -1], clip_low=0.3, clip_high=0.1)
    assert swapped[0] == 0.0 and swapped[1] == pytest.approx(0.85 / 2, rel=1e-6)


@pytest.mark.parametrize("aggregation", ["token", "sequence", "dr_grpo"])
def test_on_policy_gradient_is_the_reinforce_gradient(aggregation):
    """ratio == 1 and no KL: the gradient of a small softmax policy equals the REINFORCE estimator."""
    rng = np.random.default_rng(0)
    B, T, D, V, max_len = 4, 5, 3, 6, 7
    x_BTD = rng.normal(size=(B, T, D)).astype(np.float32)
    w_DV = rng.normal(size=(D, V)).astype(np.float32)
    actions_BT = rng.integers(0, V, size=(B, T))
    adv_B = rng.normal(size=B).astype(np.float32)
    mask_BT = np.ones((B, T), np.float32)
    mask_BT[0, 3:] = 0
    mask_BT[2, 1:] = 0

    def loss_fn(w):
        logp_BT = token_logprobs(jnp.einsum("btd,dv->btv", x_BTD, w), actions_BT)
        return policy_loss(logp_BT, jax.lax.stop_gradient(logp_BT), adv_B, mask_BT, aggregation=aggregation,
                           max_len=max_len)[0]

    grad = np.asarray(jax.grad(loss_fn)(jnp.asarray(w_DV)))
    expected = np.zeros_like(w_DV, dtype=np.float64)
    lengths = mask_BT.sum(1)
    for b in range(B):
        for t in range(T):
            if not mask_BT[b, t]:
                continue
            logits = x_BTD[b, t].astype(np.float64) @ w_DV
            probs = np.exp(logits - logits.max())
            probs /= probs.sum()
            dlogp_dw = np.outer(x_BTD[b, t], np.eye(V)[actions_BT[b, t]] - probs)
            weight = {"token": 1 / mask_BT.sum(), "sequence": 1 / (B * lengths[b]), "dr_grpo": 1 / (B * max_len)}
            expected -= adv_B[b] * weight[aggregation] * dlogp_dw
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-6)


def test_kl_term_is_zero_when_reference_equals_policy_and_has_the_k3_gradient():
    kwargs = dict(aggregation="token", clip_low=0.2, clip_high=0.2)
    loss_ref, metrics_ref = policy_loss(LOGP, OLD, ADV, MASK, ref_logp_BT=LOGP, kl_coef=0.5, **kwargs)
    loss_none, _ = policy_loss(LOGP, OLD, ADV, MASK, **kwargs)
    assert float(loss_ref) == pytest.approx(float(loss_none), rel=1e-7)
    assert float(metrics_ref["kl"]) == 0.0 and float(metrics_ref["kl_loss"]) == 0.0

    def kl_only(lp):  # zero advantages isolate the KL term
        return policy_loss(lp, OLD, jnp.zeros(3), MASK, ref_logp_BT=REF, kl_coef=0.5, **kwargs)[0]

    grad = np.asarray(jax.grad(kl_only)(jnp.asarray(LOGP)))
    expected = 0.5 * (1.0 - np.exp(REF - LOGP)) * MASK / MASK.sum()  # d/dlogp of exp(d) - d - 1, d = ref - logp
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-7)
    assert float(kl_only(jnp.asarray(LOGP))) > 0
    with pytest.raises(ValueError, match="needs ref_logp_BT"):
        policy_loss(LOGP, OLD, ADV, MASK, kl_coef=0.1)


@pytest.mark.parametrize("aggregation", ["token", "sequence", "dr_grpo"])
def test_padding_changes_nothing(aggregation):
    garbage = np.where(MASK > 0, 0.0, np.array([np.nan, np.inf, -np.inf, 1e30])[np.arange(4)][None, :])
    clean = dict(ref_logp_BT=REF, clip_low=0.2, clip_high=0.3, kl_coef=0.1, aggregation=aggregation, max_len=8)

    def run(logp, old, ref, mask):
        def f(lp):
            return policy_loss(lp, old, ADV, mask, **{**clean, "ref_logp_BT": ref})
        (loss, metrics), grad = jax.value_and_grad(f, has_aux=True)(jnp.asarray(logp))
        return float(loss), {k: float(v) for k, v in metrics.items()}, np.asarray(grad)

    base = run(LOGP, OLD, REF, MASK)
    dirty = run(LOGP + garbage, OLD - garbage, REF + garbage, MASK)
    assert np.isfinite(base[0]) and dirty[0] == base[0] and dirty[1] == base[1]
    np.testing.assert_array_equal(dirty[2], base[2])
    assert np.all(dirty[2][MASK == 0] == 0)
    # Extra padding columns and an all-padding sequence change nothing either.
    pad = lambda a, v=0.0: np.pad(a, ((0, 1), (0, 3)), constant_values=v)  # noqa: E731
    adv_padded = np.append(ADV, 5.0)
    loss_padded = policy_loss(pad(LOGP, -3.0), pad(OLD), adv_padded, pad(MASK), **{**clean, "ref_logp_BT": pad(REF)})
    if aggregation == "dr_grpo":  # divides by the number of sequences by design
        assert float(loss_padded[0]) * 4 == pytest.approx(base[0] * 3, rel=1e-6)
    else:
        assert float(loss_padded[0]) == pytest.approx(base[0], rel=1e-6)


def test_policy_loss_jits_and_runs_on_a_sharded_batch():
    mesh = jax.make_mesh((jax.device_count(),), ("data",))
    B, T = 2 * jax.device_count(), 6
    rng = np.random.default_rng(1)
    logp, old, ref = (-rng.random((B, T)).astype(np.float32) for _ in range(3))
    adv, mask = rng.normal(size=B).astype(np.float32), (rng.random((B, T)) > 0.3).astype(np.float32)
    fn = jax.jit(functools.partial(policy_loss, clip_low=0.2, clip_high=0.28, kl_coef=0.04, aggregation="sequence"))
    rows = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("data"))
    sharded = [jax.device_put(a, rows) for a in (logp, old, adv, mask, ref)]
    loss, metrics = fn(*sharded[:4], ref_logp_BT=sharded[4])
    eager, _ = policy_loss(logp, old, adv, mask, ref_logp_BT=ref, clip_low=0.2, clip_high=0.28, kl_coef=0.04,
                           aggregation="sequence")
    assert float(loss) == pytest.approx(float(eager), rel=1e-5)
    assert float(metrics["num_tokens"]) == mask.sum()


def test_shape_and_argument_errors():
    with pytest.raises(ValueError, match="shape mismatch"):
        policy_loss(LOGP, OLD, ADV[:2], MASK)
    with pytest.raises(ValueError, match="clip_low"):
        policy_loss(LOGP, OLD, ADV, MASK, clip_low=1.0)
    with pytest.raises(ValueError, match="aggregation"):
        aggregate(LOGP, MASK, "mean")


# ----------------------------------------------------------------------------------- helpers and configs


def test_token_logprobs_and_entropy_match_numpy():
    rng = np.random.default_rng(2)
    logits = (rng.normal(size=(2, 3, 5)) * 3).astype(np.float32)
    targets = rng.integers(0, 5, size=(2, 3))
    mask = np.array([[1, 1, 0], [1, 0, 0]], np.float32)
    log_softmax = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected_logp = np.take_along_axis(log_softmax, targets[..., None], -1)[..., 0]
    np.testing.assert_allclose(token_logprobs(logits, targets), expected_logp, rtol=1e-5, atol=1e-6)
    entropy = -(np.exp(log_softmax) * log_softmax).sum(-1)
    assert float(token_entropy(logits, mask)) == pytest.approx((entropy * mask).sum() / mask.sum(), rel=1e-5)
    uniform = np.zeros((1, 2, 7), np.float32)
    assert float(token_entropy(uniform, np.ones((1, 2)))) == pytest.approx(np.log(7), rel=1e-6)


def test_loss_config_presets_and_round_trip():
    assert {"grpo", "dr_grpo", "rloo", "reinforce"} <= set(LOSS_PRESETS)
    for name, cfg in LOSS_PRESETS.items():
        assert RLLossConfig.from_dict(cfg.to_dict()) == cfg
        assert cfg.advantage in ("grpo", "dr_grpo", "rloo", "reinforce"), name
    assert loss_preset("dr_grpo").aggregation == "dr_grpo" and loss_preset("dr_grpo").advantage == "dr_grpo"
    assert loss_preset("grpo").aggregation == "sequence" and loss_preset("grpo").kl_coef > 0
    assert loss_preset("grpo", kl_coef=0.0).kl_coef == 0.0
    kwargs = loss_preset("rloo", clip_high=0.28).policy_loss_kwargs()
    loss, _ = policy_loss(LOGP, OLD, ADV, MASK, **kwargs)
    assert float(loss) == pytest.approx(_expected("token", 0.2, 0.28, 0.0)[0], rel=1e-5)
    with pytest.raises(ValueError, match="unknown RL loss config keys \\['kl_coeff'\\]"):
        RLLossConfig.from_dict({"kl_coeff": 0.1})
    with pytest.raises(ValueError, match="aggregation"):
        RLLossConfig(aggregation="mean")
    with pytest.raises(ValueError, match="unknown RL loss preset"):
        loss_preset("ppo2")
