"""Paired bootstrap intervals, the length-controlled win rate, and met / not met / inconclusive verdicts.

The bootstrap resamples questions (with replacement) and recomputes each statistic on the same resample for
both models, so the tuned-vs-base pairing is kept. The length-controlled win rate follows AlpacaEval 2:
fit P(tuned wins) = sigmoid(theta + phi * tanh(length difference / its std)) to the judge's points and
report sigmoid(theta), the win rate the judge would give if both answers were equally long.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np


def length_controlled_win_rate(points: Sequence[float], length_diff: Sequence[float]) -> float | None:
    """sigmoid(theta) of a logistic fit of the points (ties = 0.5) on tanh-scaled length differences."""
    y = np.asarray(points, dtype=float)
    d = np.asarray(length_diff, dtype=float)
    if len(y) == 0:
        return None
    std = d.std()
    x = np.tanh(d / std) if std > 0 else np.zeros_like(d)
    design = np.stack([np.ones_like(x), x], axis=1)
    w = np.zeros(2)
    for _ in range(50):  # Newton steps on the (fractional-target) logistic log-likelihood, lightly L2-damped
        p = 1 / (1 + np.exp(-design @ w))
        grad = design.T @ (y - p) - 1e-3 * w
        hess = (design * (p * (1 - p))[:, None]).T @ design + 1e-3 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        w += step
        if np.abs(step).max() < 1e-8:
            break
    return float(1 / (1 + math.exp(-w[0])))


def paired_bootstrap(
    n: int, statistic: Callable[[np.ndarray], float | None], resamples: int = 2000, seed: int = 0
) -> tuple[float, float] | None:
    """The 2.5th and 97.5th percentiles of `statistic(indices)` over resamples of range(n)."""
    if n == 0:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        v = statistic(rng.integers(0, n, size=n))
        if v is not None and math.isfinite(v):
            values.append(v)
    if not values:
        return None
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)


def relative_reduction(tuned: np.ndarray, base: np.ndarray) -> float | None:
    """1 - tuned rate / base rate (None when the base never hallucinates)."""
    b = float(base.sum())
    return None if b == 0 else 1 - float(tuned.sum()) / b


def verdict(interval: tuple[float, float] | None, target: float, n: int) -> str:
    """'met' when the whole interval is at or above the target, 'not met' when it is below, else inconclusive."""
    if interval is None:
        return "not measured"
    lo, hi = interval
    if lo >= target:
        return "met"
    if hi < target:
        return "not met"
    return f"inconclusive at n = {n}"
