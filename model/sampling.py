"""Turning logits into a distribution and picking a token: pure numpy, one definition.

The model side uses these to generate; scenes use them to redraw a distribution at
another temperature from the Trace's logits, so both always agree.
"""

from __future__ import annotations

import math

import numpy as np

from model.errors import GptanimError


def check_temperature(temperature: float) -> float:
    t = float(temperature)
    if math.isnan(t) or math.isinf(t) or t < 0:
        raise GptanimError(f"temperature must be a finite number ≥ 0, got {temperature!r}")
    return t


def check_top_k(top_k: int | None) -> int | None:
    if top_k is not None and int(top_k) < 1:
        raise GptanimError(f"top-k must be at least 1, got {top_k!r}")
    return None if top_k is None else int(top_k)


def check_top_p(top_p: float | None) -> float | None:
    if top_p is None:
        return None
    p = float(top_p)
    if math.isnan(p) or not 0.0 < p <= 1.0:
        raise GptanimError(f"top-p must be in (0, 1], got {top_p!r}")
    return p


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """softmax(logits / T) along the last axis, in float64; T = 0 puts all mass on the argmax (first one on ties)."""
    t = check_temperature(temperature)
    z = np.array(logits, dtype=np.float64)  # a copy, worked on in place (the same operations, no new arrays)
    if t == 0.0:
        out = np.zeros_like(z)
        np.put_along_axis(out, np.argmax(z, axis=-1)[..., None], 1.0, axis=-1)
        return out
    if t != 1.0:
        z /= t
    z -= np.max(z, axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= np.sum(z, axis=-1, keepdims=True)
    return z


def most_likely_first(probs: np.ndarray) -> np.ndarray:
    """Every id, most likely first, ties by lower id: `np.argsort(-probs, kind="stable")`. numpy's default sort
    takes half the time; it is the same order whenever no two probabilities are equal (else the stable one runs)."""
    negated = -np.asarray(probs, dtype=np.float64)
    order = np.argsort(negated)
    ordered = negated[order]
    return np.argsort(negated, kind="stable") if np.any(ordered[1:] == ordered[:-1]) else order


def truncate_top_k(probs: np.ndarray, k: int | None, order: np.ndarray | None = None) -> np.ndarray:
    """Keep the k most likely tokens (ties broken by lower id) and renormalise. `order`: `most_likely_first(probs)`,
    when it is known already."""
    k = check_top_k(k)
    p = np.asarray(probs, dtype=np.float64)
    if k is None or k >= p.shape[-1]:
        return p / p.sum()
    keep = (most_likely_first(p) if order is None else order)[:k]
    out = np.zeros_like(p)
    out[keep] = p[keep]
    return out / out.sum()


def truncate_top_p(probs: np.ndarray, top_p: float | None, order: np.ndarray | None = None) -> np.ndarray:
    """Nucleus: keep the smallest set of most likely tokens whose mass reaches top_p, renormalised. `order`: as
    for `truncate_top_k`."""
    top_p = check_top_p(top_p)
    p = np.asarray(probs, dtype=np.float64)
    if top_p is None or top_p >= 1.0:
        return p / p.sum()
    order = most_likely_first(p) if order is None else order
    cumulative = np.cumsum(p[order])
    n_keep = int(np.searchsorted(cumulative, top_p * cumulative[-1], side="left")) + 1
    out = np.zeros_like(p)
    kept = order[:n_keep]
    out[kept] = p[kept]
    return out / out.sum()


def next_token_distribution(
    logits: np.ndarray, temperature: float, top_k: int | None = None, top_p: float | None = None
) -> np.ndarray:
    """The distribution a token is actually drawn from: temperature, then top-k, then top-p."""
    return truncate_top_p(truncate_top_k(softmax(logits, temperature), top_k), top_p)


def sample(probs: np.ndarray, rng: np.random.Generator) -> int:
    """Draw one id by inverse CDF with one uniform number from a seeded generator."""
    cumulative = np.cumsum(probs)
    u = rng.random() * cumulative[-1]
    return int(min(np.searchsorted(cumulative, u, side="right"), len(probs) - 1))


def top_ids(values: np.ndarray, k: int) -> np.ndarray:
    """The ids of the k largest values, largest first, ties by lower id: `np.argsort(-values, kind="stable")[:k]`,
    without sorting the whole vocabulary (the k-th largest value bounds the candidates, ties included)."""
    values = np.asarray(values)
    k = min(int(k), len(values))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    negated = -values
    bound = np.partition(negated, k - 1)[k - 1]
    candidates = np.flatnonzero(negated <= bound)  # in id order, so the stable sort breaks ties by lower id
    return candidates[np.argsort(negated[candidates], kind="stable")][:k]


def rank_of(values: np.ndarray, i: int) -> int:
    """Where id i stands in `top_ids`' order, from 1: the ids above it, counted without sorting."""
    values = np.asarray(values)
    return int(np.count_nonzero(values > values[i]) + np.count_nonzero(values[:i] == values[i])) + 1


def top_entries(probs: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k most likely ids with their probabilities, most likely first (ties by lower id)."""
    return [(int(i), float(probs[i])) for i in top_ids(probs, k)]
