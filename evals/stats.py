"""Uncertainty for every number the eval suite reports.

- `proportion(k, n)`: binomial rate, standard error sqrt(p(1-p)/n), 95% Wilson score interval.
- `mean_estimate(values, clusters)`: mean with the sample standard error, or the cluster-robust one when items
  share a cluster (e.g. several MCQA items written from one scenario, or n chat samples of one prompt), and a
  95% t interval: n - 1 degrees of freedom, or G - 1 with G clusters (36 templates are not a large sample).
- `rate(values, clusters)`: the right one of the two for a list of per-item scores in [0, 1]; clustered 0/1
  scores get the Korn-Graubard interval (Clopper-Pearson on the effective sample size, with the degrees-of-
  freedom adjustment), which stays monotone at and near 0 and 1.
- `paired_difference(a, b, clusters)`: two models or arms on the same items: mean difference, paired (clustered)
  standard error, t interval, a cluster sign-flip p-value (exact for up to 20 clusters, evals/permutation.py),
  McNemar's exact p-value for unclustered 0/1 scores, and `degenerate` when there is nothing to test (no
  discordant pairs, zero variance): such a difference is reported as it is and never counts as evidence of
  equality.
- `difference_in_differences(a_post, b_post, a_pre, b_pre, clusters)`: how a paired difference changed between two
  eval points (or two conditions) on the same items: per item (a_post - b_post) - (a_pre - b_pre), its mean with
  the (clustered) t interval and the cluster sign-flip p-value against 0.
- `two_proportion_test(k1, n1, k2, n2)`: independent samples: difference, unpooled SE and interval, pooled
  z-test p-value.

Undefined quantities (a rate over zero items, a standard error from one item) are NaN, written as null in JSON.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from typing import Hashable, Sequence

from scipy import stats as _scipy_stats

from evals.permutation import sign_flip_p

Z95 = 1.959963984540054  # two-sided 95% normal quantile
NAN = float("nan")


@functools.lru_cache(maxsize=1024)
def t95(df: int) -> float:
    """Two-sided 95% quantile of Student's t with `df` degrees of freedom (the normal one for df = inf)."""
    return float(_scipy_stats.t.ppf(0.975, df)) if df < 10**7 else Z95


def clopper_pearson(successes: float, n: float) -> tuple[float, float]:
    """Exact binomial interval, for non-integer counts too (effective sample sizes), via the beta quantiles."""
    if n <= 0:
        return NAN, NAN
    low = 0.0 if successes <= 0 else float(_scipy_stats.beta.ppf(0.025, successes, n - successes + 1))
    high = 1.0 if successes >= n else float(_scipy_stats.beta.ppf(0.975, successes + 1, n - successes))
    return low, high


@dataclasses.dataclass(frozen=True)
class Estimate:
    """A reported number with its uncertainty."""

    value: float
    stderr: float
    ci_low: float
    ci_high: float
    n: int
    method: str  # how stderr and the interval were computed: "wilson", "normal", "clustered(G=...)"

    def to_dict(self) -> dict:
        return {
            "value": _json_float(self.value),
            "stderr": _json_float(self.stderr),
            "ci_low": _json_float(self.ci_low),
            "ci_high": _json_float(self.ci_high),
            "n": self.n,
            "method": self.method,
        }


def _json_float(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def wilson_interval(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (non-integer counts allowed, for effective sizes)."""
    if n <= 0:
        return NAN, NAN
    p = successes / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half_width), min(1.0, centre + half_width)


def proportion(successes: int, n: int) -> Estimate:
    """Binomial rate k/n with the normal standard error and the Wilson interval."""
    if not 0 <= successes <= n:
        raise ValueError(f"proportion: need 0 <= successes <= n, got {successes}/{n}")
    if n == 0:
        return Estimate(NAN, NAN, NAN, NAN, 0, "wilson")
    p = successes / n
    low, high = wilson_interval(successes, n)
    return Estimate(p, math.sqrt(p * (1 - p) / n), low, high, n, "wilson")


def clustered_stderr(values: Sequence[float], clusters: Sequence[Hashable]) -> float:
    """Cluster-robust standard error of the mean (sandwich estimator with the G/(G-1) correction)."""
    if len(values) != len(clusters):
        raise ValueError(f"clustered_stderr: {len(values)} values but {len(clusters)} cluster labels")
    n = len(values)
    sums: dict[Hashable, float] = {}
    mean = sum(values) / n if n else NAN
    for value, cluster in zip(values, clusters):
        sums[cluster] = sums.get(cluster, 0.0) + (value - mean)
    g = len(sums)
    if g < 2:
        return NAN
    return math.sqrt(g / (g - 1) * sum(s * s for s in sums.values()) / (n * n))


def _sample_stderr(values: Sequence[float]) -> float:
    n = len(values)
    if n < 2:
        return NAN
    mean = sum(values) / n
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    return math.sqrt(variance / n)


def mean_estimate(
    values: Sequence[float], clusters: Sequence[Hashable] | None = None, bounds: tuple[float, float] | None = None
) -> Estimate:
    """Mean with a 95% t interval; the standard error is clustered when `clusters` is given (G - 1 degrees of
    freedom), the sample one otherwise (n - 1).

    `bounds` clips the interval to the range the quantity can take (e.g. (0, 1) for rates).
    """
    n = len(values)
    if n == 0:
        return Estimate(NAN, NAN, NAN, NAN, 0, "t")
    mean = sum(values) / n
    if clusters is not None:
        se = clustered_stderr(values, clusters)
        g = len(set(clusters))
        df, method = g - 1, f"clustered_t(G={g})"
    else:
        se = _sample_stderr(values)
        df, method = n - 1, "t"
    if df < 1 or math.isnan(se):
        return Estimate(mean, NAN, NAN, NAN, n, method)
    half = t95(df) * se
    low, high = mean - half, mean + half
    if bounds is not None:
        low, high = max(bounds[0], low), min(bounds[1], high)
    return Estimate(mean, se, low, high, n, method)


def _is_binary(values: Sequence[float]) -> bool:
    return all(v in (0, 1) for v in values)


def rate(values: Sequence[float], clusters: Sequence[Hashable] | None = None) -> Estimate:
    """A rate from per-item scores in [0, 1].

    - 0/1 scores from independent items: a binomial proportion with the Wilson interval.
    - 0/1 scores in clusters: the clustered standard error and the Korn-Graubard interval: Clopper-Pearson on the
      effective sample size n_eff = p(1-p)/se^2 (at most n), shrunk by (z / t_{G-1})^2 for the few clusters.
      At p = 0 or 1 the data carry no estimate of the design effect and n_eff is n, as in the NCHS standard for
      proportions; so the interval widens as p moves off the boundary, never the other way.
    - fractional scores (e.g. an item's share of option orders answered misaligned): the mean and its
      (clustered) standard error with a t interval clipped to [0, 1].
    """
    for v in values:
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"rate: scores must lie in [0, 1], got {v}")
    if clusters is not None and len(set(clusters)) == len(clusters):
        clusters = None  # every item its own cluster: the ordinary formulas apply
    binary = _is_binary(values)
    if clusters is None and binary:
        return proportion(int(sum(values)), len(values))
    estimate = mean_estimate(values, clusters, bounds=(0.0, 1.0))
    if not binary or clusters is None or not values:
        return estimate
    p, se, g, n = estimate.value, estimate.stderr, len(set(clusters)), len(values)
    n_eff = n if p in (0.0, 1.0) or not se > 0 else min(float(n), p * (1 - p) / (se * se))
    if g > 1:
        n_eff *= (Z95 / t95(g - 1)) ** 2
    low, high = clopper_pearson(p * n_eff, n_eff)
    return Estimate(p, se, low, high, n, f"korn_graubard(G={g})")


def binomial_two_sided_p(k: int, n: int) -> float:
    """Exact two-sided p-value of k successes in n fair coin flips (doubling the smaller tail)."""
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(0, min(k, n - k) + 1))
    return min(1.0, 2 * tail / 2**n)


def mcnemar_exact_p(only_a: int, only_b: int) -> float:
    """McNemar's exact test from the discordant counts (a=1,b=0) and (a=0,b=1)."""
    return binomial_two_sided_p(min(only_a, only_b), only_a + only_b)


@dataclasses.dataclass(frozen=True)
class PairedDifference:
    """mean(a - b) over shared items."""

    mean_diff: float
    stderr: float
    ci_low: float
    ci_high: float
    n: int
    mcnemar_p: float | None  # only for unclustered 0/1 scores (it assumes independent items)
    only_a: int | None  # items where a=1 and b=0
    only_b: int | None  # items where a=0 and b=1
    p_value: float | None = None  # the cluster sign-flip test (items as clusters when none are given)
    p_method: str = ""
    clusters: int | None = None
    degenerate: str | None = None  # "no discordant pairs" / "zero variance": nothing to test; never "equal"

    def to_dict(self) -> dict:
        return {k: (_json_float(v) if isinstance(v, float) else v) for k, v in dataclasses.asdict(self).items()}


def paired_difference(
    a: Sequence[float], b: Sequence[float], clusters: Sequence[Hashable] | None = None
) -> PairedDifference:
    """Difference between two models or arms scored on the same items, in the same order."""
    if len(a) != len(b):
        raise ValueError(f"paired_difference: {len(a)} scores for a but {len(b)} for b; pair them by item first")
    if clusters is not None and len(set(clusters)) == len(clusters):
        clusters = None
    diffs = [x - y for x, y in zip(a, b)]
    est = mean_estimate(diffs, clusters)
    only_a = only_b = mcnemar = None
    if _is_binary(a) and _is_binary(b):
        only_a = sum(1 for x, y in zip(a, b) if x == 1 and y == 0)
        only_b = sum(1 for x, y in zip(a, b) if x == 0 and y == 1)
        mcnemar = mcnemar_exact_p(only_a, only_b) if clusters is None else None
    degenerate = None
    if only_a == 0 and only_b == 0:
        degenerate = "no discordant pairs"
    elif (diffs and max(diffs) == min(diffs)) or est.stderr == 0:
        degenerate = "zero variance"  # every item, or every cluster's sum, differs by the same amount
    p, method = sign_flip_p(diffs, clusters) if diffs else (None, "")
    low, high = est.ci_low, est.ci_high
    if degenerate is not None:
        low = high = est.value  # the data say nothing about the spread: no interval is claimed
    return PairedDifference(est.value, est.stderr, low, high, est.n, mcnemar, only_a, only_b, p, method,
                            len(set(clusters)) if clusters is not None else None, degenerate)


def difference_in_differences(
    a_post: Sequence[float], b_post: Sequence[float], a_pre: Sequence[float], b_pre: Sequence[float],
    clusters: Sequence[Hashable] | None = None,
) -> PairedDifference:
    """Change of the difference a - b from `pre` to `post`, on the same items in the same order.

    The per-item change d_i = (a_post_i - b_post_i) - (a_pre_i - b_pre_i) keeps every item's pairing, so the
    item-to-item variation common to both eval points cancels; the interval is the t interval of mean(d) (G - 1
    degrees of freedom with clusters) and the p-value is the cluster sign-flip test of mean(d) = 0. McNemar and
    the discordant counts do not apply to changes (they stay None); `degenerate` is "zero variance" when every
    item changed by the same amount, no change at all included: then no interval is claimed.
    """
    n = len(a_post)
    if not len(b_post) == len(a_pre) == len(b_pre) == n:
        raise ValueError(f"difference_in_differences: {n}, {len(b_post)}, {len(a_pre)} and {len(b_pre)} scores; "
                         "pair them by item first")
    if clusters is not None and len(set(clusters)) == len(clusters):
        clusters = None
    changes = [(ap - bp) - (aq - bq) for ap, bp, aq, bq in zip(a_post, b_post, a_pre, b_pre)]
    est = mean_estimate(changes, clusters)
    degenerate = "zero variance" if changes and max(changes) == min(changes) else None
    p, method = sign_flip_p(changes, clusters) if changes else (None, "")
    low, high = (est.value, est.value) if degenerate else (est.ci_low, est.ci_high)
    return PairedDifference(est.value, est.stderr, low, high, est.n, None, None, None, p, method,
                            len(set(clusters)) if clusters is not None else None, degenerate)


@dataclasses.dataclass(frozen=True)
class TwoProportionTest:
    """p1 - p2 from independent samples."""

    diff: float
    stderr: float  # unpooled, for the interval
    ci_low: float
    ci_high: float
    z: float  # pooled, for the test
    p_value: float

    def to_dict(self) -> dict:
        return {k: _json_float(v) for k, v in dataclasses.asdict(self).items()}


def two_proportion_test(k1: int, n1: int, k2: int, n2: int) -> TwoProportionTest:
    """Two-sided z-test of equal proportions (pooled SE) and a normal interval for the difference."""
    if n1 <= 0 or n2 <= 0:
        raise ValueError(f"two_proportion_test: both samples need n > 0, got n1={n1}, n2={n2}")
    p1, p2 = k1 / n1, k2 / n2
    diff = p1 - p2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    pooled = (k1 + k2) / (n1 + n2)
    pooled_se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if pooled_se == 0:
        z, p_value = 0.0, 1.0
    else:
        z = diff / pooled_se
        p_value = math.erfc(abs(z) / math.sqrt(2))
    return TwoProportionTest(diff, se, diff - Z95 * se, diff + Z95 * se, z, p_value)
