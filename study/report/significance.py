"""Tests the report needs beyond `evals.stats`: chi-square homogeneity over arms and t intervals over seeds.

scipy is used when it is installed; otherwise the chi-square survival function and the t quantile come
from the closed forms below (exact for integer degrees of freedom, and a standard table for t), so the
report has no hard dependency on it.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from typing import Sequence

NAN = float("nan")


@functools.lru_cache(maxsize=1)
def _scipy_stats():
    """scipy.stats if installed (imported on first use: it takes a second or two), else None."""
    try:
        from scipy import stats
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    return stats

# Two-sided 95% quantiles t_{0.975, df} for df = 1..30 (standard tables).
_T975 = (12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
         2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
         2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423)
_Z975 = 1.959963984540054


def chi2_sf_closed_form(x: float, df: int) -> float:
    """P(X >= x) for X ~ chi-square(df), integer df >= 1.

    Even df: exp(-x/2) * sum_{i < df/2} (x/2)^i / i!.
    Odd df:  erfc(sqrt(x/2)) + exp(-x/2) * sum_{i=1}^{(df-1)/2} (x/2)^(i-1/2) / Gamma(i + 1/2).
    Terms are summed in log space so large x or df do not overflow.
    """
    if df < 1 or int(df) != df:
        raise ValueError(f"chi2_sf: degrees of freedom must be a positive integer, got {df}")
    if x <= 0:
        return 1.0
    half = x / 2.0
    if df % 2 == 0:
        terms = (-half + i * math.log(half) - math.lgamma(i + 1) for i in range(df // 2))
        total = 0.0
    else:
        terms = (-half + (i - 0.5) * math.log(half) - math.lgamma(i + 0.5) for i in range(1, (df - 1) // 2 + 1))
        total = math.erfc(math.sqrt(half))
    total += sum(math.exp(t) for t in terms)
    return min(1.0, max(0.0, total))


def chi2_sf(x: float, df: int) -> float:
    """Chi-square survival function: scipy's when installed, else the closed form."""
    if _scipy_stats() is not None:
        return float(_scipy_stats().chi2.sf(x, df))
    return chi2_sf_closed_form(x, df)


def t_quantile_975_table(df: int) -> float:
    """t_{0.975, df}: the table for df <= 30, the Cornish-Fisher expansion in 1/df above (error < 1e-4)."""
    if df < 1:
        raise ValueError(f"t quantile: need df >= 1, got {df}")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    return (z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3))


def t_quantile_975(df: int) -> float:
    if _scipy_stats() is not None:
        return float(_scipy_stats().t.ppf(0.975, df))
    return t_quantile_975_table(df)


@dataclasses.dataclass(frozen=True)
class SeedInterval:
    """Mean over seeds with a t interval across seeds."""

    mean: float
    ci_low: float
    ci_high: float
    stderr: float
    n_seeds: int


def seed_interval(values: Sequence[float]) -> SeedInterval:
    """Mean of per-seed values, 95% t interval (df = seeds - 1); the interval is NaN for one seed."""
    k = len(values)
    if k == 0:
        return SeedInterval(NAN, NAN, NAN, NAN, 0)
    mean = sum(values) / k
    if k == 1:
        return SeedInterval(mean, NAN, NAN, NAN, 1)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (k - 1))
    se = sd / math.sqrt(k)
    half = t_quantile_975(k - 1) * se
    return SeedInterval(mean, mean - half, mean + half, se, k)


@dataclasses.dataclass(frozen=True)
class HomogeneityTest:
    """Pearson chi-square test that several groups share one success probability."""

    statistic: float
    df: int
    p_value: float
    min_expected: float  # the usual approximation wants every expected count >= 5
    groups: int
    note: str = ""


def chi_square_homogeneity(counts: Sequence[tuple[float, float]]) -> HomogeneityTest | None:
    """Test over groups given as (successes, trials); None with fewer than two non-empty groups.

    Successes may be non-integer (value * n of a fractional score) and are rounded to counts.
    """
    table = [(round(k), round(n)) for k, n in counts if n > 0]
    for k, n in table:
        if not 0 <= k <= n:
            raise ValueError(f"chi_square_homogeneity: need 0 <= successes <= trials, got {k}/{n}")
    if len(table) < 2:
        return None
    total_k = sum(k for k, _ in table)
    total_n = sum(n for _, n in table)
    df = len(table) - 1
    if total_k == 0 or total_k == total_n:
        return HomogeneityTest(0.0, df, 1.0, 0.0, len(table), note="every group has the same outcome on every item")
    p = total_k / total_n
    statistic, min_expected = 0.0, math.inf
    for k, n in table:
        for observed, expected in ((k, n * p), (n - k, n * (1 - p))):
            statistic += (observed - expected) ** 2 / expected
            min_expected = min(min_expected, expected)
    note = "some expected counts < 5: the chi-square approximation is rough" if min_expected < 5 else ""
    return HomogeneityTest(statistic, df, chi2_sf(statistic, df), min_expected, len(table), note)
