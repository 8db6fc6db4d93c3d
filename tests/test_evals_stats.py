"""evals.stats against textbook formulas written out independently here."""
import math
import statistics

import numpy as np
import pytest

from evals import stats

Z = 1.959963984540054


def wilson_by_quadratic(k, n, z=Z):
    """Wilson bounds as the roots of (1 + z^2/n) q^2 - (2p + z^2/n) q + p^2 = 0 (|p - q| = z sqrt(q(1-q)/n))."""
    p = k / n
    a, b, c = 1 + z * z / n, -(2 * p + z * z / n), p * p
    disc = math.sqrt(b * b - 4 * a * c)
    return (-b - disc) / (2 * a), (-b + disc) / (2 * a)


@pytest.mark.parametrize("k,n", [(7, 20), (0, 15), (15, 15), (1, 3), (230, 1000)])
def test_proportion_matches_wilson_quadratic_and_binomial_se(k, n):
    est = stats.proportion(k, n)
    low, high = wilson_by_quadratic(k, n)
    assert est.value == pytest.approx(k / n)
    assert est.stderr == pytest.approx(math.sqrt((k / n) * (1 - k / n) / n))
    assert est.ci_low == pytest.approx(max(0.0, low), abs=1e-12)
    assert est.ci_high == pytest.approx(min(1.0, high), abs=1e-12)
    assert est.n == n


def test_wilson_matches_scipy_when_available():
    scipy_stats = pytest.importorskip("scipy.stats")
    ci = scipy_stats.binomtest(13, 40).proportion_ci(confidence_level=0.95, method="wilson")
    est = stats.proportion(13, 40)
    assert (est.ci_low, est.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_empty_proportion_is_undefined_not_zero():
    est = stats.proportion(0, 0)
    assert math.isnan(est.value) and est.n == 0
    assert est.to_dict()["value"] is None  # strict JSON: null, not NaN


def test_mean_estimate_uses_sample_standard_deviation_and_t():
    values = [0.2, 0.9, 0.4, 0.4, 1.0]
    est = stats.mean_estimate(values)
    se = statistics.stdev(values) / math.sqrt(len(values))
    t4 = 2.7764451051977987  # Student's t, 4 degrees of freedom, two-sided 95% (published tables: 2.776)
    assert est.value == pytest.approx(statistics.mean(values))
    assert est.stderr == pytest.approx(se)
    assert (est.ci_low, est.ci_high) == pytest.approx((est.value - t4 * se, est.value + t4 * se))


def test_clustered_se_matches_sandwich_matrix_form():
    rng = np.random.default_rng(0)
    values = rng.random(12)
    clusters = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 4, 4]
    # Regression on a constant: V = (X'X)^-1 (sum_g X_g' u_g u_g' X_g) (X'X)^-1 * G/(G-1)
    x = np.ones((12, 1))
    u = values - values.mean()
    meat = np.zeros((1, 1))
    for g in set(clusters):
        idx = [i for i, c in enumerate(clusters) if c == g]
        s = x[idx].T @ u[idx]
        meat += np.outer(s, s)
    bread = np.linalg.inv(x.T @ x)
    g_count = len(set(clusters))
    expected = math.sqrt((bread @ meat @ bread)[0, 0] * g_count / (g_count - 1))
    assert stats.clustered_stderr(list(values), clusters) == pytest.approx(expected)


def test_singleton_clusters_equal_ordinary_se_and_duplicates_do_not_shrink_it():
    values = [0.1, 0.5, 0.7, 0.2, 0.9, 0.3]
    ordinary = statistics.stdev(values) / math.sqrt(len(values))
    assert stats.clustered_stderr(values, list(range(6))) == pytest.approx(ordinary)
    # The same items repeated 4 times within their own cluster carry no new information.
    repeated = [v for v in values for _ in range(4)]
    labels = [i for i in range(6) for _ in range(4)]
    assert stats.clustered_stderr(repeated, labels) == pytest.approx(ordinary)
    naive = statistics.stdev(repeated) / math.sqrt(len(repeated))
    assert naive < ordinary  # what ignoring the clusters would wrongly report


def test_rate_picks_wilson_for_independent_binary_and_clustered_otherwise():
    assert stats.rate([1, 0, 0, 1]).method == "wilson"
    assert stats.rate([0.5, 0.5, 1.0]).method == "t"
    clustered = stats.rate([1, 1, 0, 0, 0, 1], ["a", "a", "b", "b", "c", "c"])
    assert clustered.method == "korn_graubard(G=3)"
    assert clustered.stderr == pytest.approx(stats.clustered_stderr([1, 1, 0, 0, 0, 1], list("aabbcc")))
    # A clustered rate of 0: Clopper-Pearson's upper bound 1 - 0.025^(1/n) on n shrunk by (z / t_{G-1})^2.
    zero = stats.rate([0, 0, 0, 0], ["a", "a", "b", "b"])
    n_star = 4 * (Z / 12.706204736174707) ** 2  # t_1 = 12.706
    assert zero.ci_high == pytest.approx(1 - 0.025 ** (1 / n_star))
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        stats.rate([1.5])


def test_mcnemar_exact_p_by_hand_and_scipy():
    # discordant 1 vs 6: p = 2 * (C(7,0) + C(7,1)) / 2^7 = 0.125
    assert stats.mcnemar_exact_p(1, 6) == pytest.approx(0.125)
    assert stats.mcnemar_exact_p(6, 1) == pytest.approx(0.125)
    assert stats.mcnemar_exact_p(0, 0) == 1.0
    assert stats.mcnemar_exact_p(5, 5) == 1.0
    scipy_stats = pytest.importorskip("scipy.stats")
    assert stats.mcnemar_exact_p(12, 30) == pytest.approx(scipy_stats.binomtest(12, 42, 0.5).pvalue)


def test_paired_difference_on_binary_items():
    a = [1, 1, 0, 1, 0, 1, 1, 0, 1, 1]
    b = [0, 1, 0, 0, 0, 1, 0, 0, 1, 0]
    d = [x - y for x, y in zip(a, b)]
    result = stats.paired_difference(a, b)
    se = statistics.stdev(d) / math.sqrt(len(d))
    t9 = 2.2621571627409915
    assert result.mean_diff == pytest.approx(statistics.mean(d))
    assert result.stderr == pytest.approx(se)
    assert (result.ci_low, result.ci_high) == pytest.approx((statistics.mean(d) - t9 * se, statistics.mean(d) + t9 * se))
    assert (result.only_a, result.only_b) == (4, 0)
    assert result.mcnemar_p == pytest.approx(2 * 1 / 16)
    with pytest.raises(ValueError, match="pair them"):
        stats.paired_difference([1, 0], [1])


def test_paired_difference_on_continuous_scores_has_no_mcnemar():
    result = stats.paired_difference([0.5, 0.25, 1.0], [0.0, 0.25, 0.5])
    assert result.mcnemar_p is None and result.mean_diff == pytest.approx(1.0 / 3)


def test_two_proportion_test_textbook_example():
    k1, n1, k2, n2 = 45, 100, 30, 100
    pooled = (k1 + k2) / (n1 + n2)
    z = (k1 / n1 - k2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_value = 2 * (1 - 0.5 * (1 + math.erf(abs(z) / math.sqrt(2))))
    se = math.sqrt(0.45 * 0.55 / 100 + 0.3 * 0.7 / 100)
    result = stats.two_proportion_test(k1, n1, k2, n2)
    assert result.diff == pytest.approx(0.15)
    assert result.z == pytest.approx(z)
    assert result.p_value == pytest.approx(p_value)
    assert result.stderr == pytest.approx(se)
    assert (result.ci_low, result.ci_high) == pytest.approx((0.15 - Z * se, 0.15 + Z * se))
    assert z == pytest.approx(2.1909, abs=1e-4)  # the published worked value for this example


def test_t_quantiles_match_published_tables():
    for df, table in ((1, 12.706), (5, 2.571), (10, 2.228), (35, 2.030), (120, 1.980)):
        assert stats.t95(df) == pytest.approx(table, abs=5e-4)


def test_clustered_rate_interval_is_monotone_at_and_near_zero_and_one():
    """k misaligned items in one template out of 36 templates x 8 items: the upper bound grows with k, from k=0
    on (the old clustered Wilson gave 0% a wider interval than 0.3%)."""
    clusters = [g for g in range(36) for _ in range(8)]
    highs, lows = [], []
    for k in range(0, 9):
        values = [1.0 if i < k else 0.0 for i in range(len(clusters))]
        highs.append(stats.rate(values, clusters).ci_high)
        lows.append(stats.rate([1 - v for v in values], clusters).ci_low)
    assert all(b >= a for a, b in zip(highs, highs[1:])), highs
    assert all(b <= a for a, b in zip(lows, lows[1:])), lows
    assert highs[0] > 0 and lows[0] < 1
    spread = [1.0 if i % 8 == 0 and i // 8 < 3 else 0.0 for i in range(len(clusters))]  # 3 items, 3 templates
    assert stats.rate(spread, clusters).ci_high <= highs[3]  # spreading the same count is more informative


def test_paired_difference_clustered_sign_flip_by_hand():
    # Three clusters whose summed differences are +2, +1, -1 (observed sum 2): the p-value is the share of the 8
    # sign patterns of (2, 1, -1) whose |sum| is at least 2, counted here by enumeration.
    a = [1, 1, 1, 0, 0, 1, 0]
    b = [0, 0, 0, 0, 1, 1, 0]
    clusters = ["x", "x", "y", "y", "z", "z", "z"]
    import itertools
    sums = [2, 1, -1]
    patterns = [sum(s * c for s, c in zip(signs, sums)) for signs in itertools.product((1, -1), repeat=3)]
    expected = sum(abs(v) >= 2 for v in patterns) / 8
    result = stats.paired_difference(a, b, clusters)
    assert result.p_value == pytest.approx(expected) and result.p_method == "sign-flip exact (G=3)"
    assert result.mcnemar_p is None and result.clusters == 3  # McNemar assumes independent items
    t2 = 4.302652729911275
    assert result.ci_high - result.mean_diff == pytest.approx(t2 * result.stderr)


def test_paired_difference_degenerate_cases_are_flagged():
    same = stats.paired_difference([1, 0, 1, 0], [1, 0, 1, 0], ["a", "a", "b", "b"])
    assert same.degenerate == "no discordant pairs" and same.p_value == 1.0
    assert same.ci_low == same.ci_high == 0.0  # no interval is claimed
    shifted = stats.paired_difference([0.5, 0.7, 0.9], [0.4, 0.6, 0.8])
    assert shifted.degenerate == "zero variance"
    assert stats.paired_difference([1, 0, 1], [0, 0, 1]).degenerate is None


def test_sign_flip_monte_carlo_beyond_the_exact_limit():
    from evals import permutation
    diffs = [1.0] * 30 + [-1.0] * 5   # 35 single-item clusters, strongly positive
    p, method = permutation.sign_flip_p(diffs)
    assert "Monte Carlo" in method and 0 < p < 1e-3
    assert permutation.sign_flip_p([1.0, -1.0] * 15)[0] > 0.5


def test_equal_cluster_sums_are_degenerate_too():
    """Item differences vary but every cluster's sum is the same: the clustered standard error is 0."""
    d = stats.paired_difference([1, 0, 1, 0], [0, 0, 0, 0], ["a", "a", "b", "b"])
    assert d.stderr == 0 and d.degenerate == "zero variance" and d.ci_low == d.ci_high
