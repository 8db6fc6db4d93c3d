"""How numbers are written in the report: rates in percent, differences in percentage points."""
from __future__ import annotations

import math

from study.report.cells import NOT_MEASURABLE, OK, Cell, DiffCell

DASH = "—"


def _finite(x: float | None) -> bool:
    return x is not None and not math.isnan(x)


def pct(x: float | None, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%" if _finite(x) else DASH


def points(x: float | None, digits: int = 1, sign: bool = True) -> str:
    """A difference of rates in percentage points: -0.123 -> "-12.3"."""
    if not _finite(x):
        return DASH
    return f"{100 * x:+.{digits}f}" if sign else f"{100 * x:.{digits}f}"


def p_value(p: float | None) -> str:
    if not _finite(p):
        return DASH
    return "<0.0001" if p < 1e-4 else f"{p:.4f}" if p < 0.01 else f"{p:.3f}"


def not_measurable(cell: Cell | DiffCell) -> str:
    """"not measurable (valid actions 0/20)": printed in place of a rate or a difference and its interval."""
    return f"{NOT_MEASURABLE} ({cell.detail})" if cell.detail else NOT_MEASURABLE


def rate_cell(cell: Cell) -> str:
    """`rate [95% CI] (n)`, e.g. "19.0% [10.3, 32.3] (300)"; means over seeds say "(3 seeds)"."""
    if cell.status == NOT_MEASURABLE:
        return not_measurable(cell)
    if cell.status != OK:
        return cell.status
    ci = f" [{100 * cell.ci_low:.1f}, {100 * cell.ci_high:.1f}]" if _finite(cell.ci_low) and _finite(cell.ci_high) \
        else ""
    size = f" ({cell.n_seeds} seeds)" if cell.n_seeds else f" ({cell.n})" if cell.n is not None else ""
    return f"{pct(cell.value)}{ci}{size}"


def diff_ci(cell: DiffCell) -> str:
    """`diff [95% CI]` in points, e.g. "-12.3 [-18.0, -6.6]"."""
    if cell.status == NOT_MEASURABLE:
        return not_measurable(cell)
    if cell.status != OK:
        return cell.status
    ci = f" [{points(cell.ci_low)}, {points(cell.ci_high)}]" if cell.has_ci() else ""
    return f"{points(cell.diff)}{ci}"


def diff_n(cell: DiffCell) -> str:
    if cell.status != OK:
        return DASH
    if cell.n_seeds:
        return f"{cell.n_seeds} seeds"
    extra = [f"{k} {what}" for k, what in ((cell.unscored, "unscored"), (cell.unpaired, "unpaired")) if k]
    return f"{cell.n}" + (f" (+{', '.join(extra)})" if extra else "")


def retained(x: float | None) -> str:
    return f"{100 * x:.0f}%" if _finite(x) else DASH
