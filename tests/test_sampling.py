"""The numpy helpers shared by the model side and the scenes."""

import numpy as np
import pytest

from model.errors import GptanimError
from model.sampling import (
    most_likely_first,
    next_token_distribution,
    sample,
    softmax,
    top_entries,
    truncate_top_k,
    truncate_top_p,
)

LOGITS = np.array([2.0, 1.0, 0.5, -1.0, 3.0])


def test_softmax_by_hand():
    for t in (0.3, 1.0, 4.0):
        e = np.exp(LOGITS / t)
        np.testing.assert_allclose(softmax(LOGITS, t), e / e.sum(), rtol=1e-12)


def test_temperature_zero_is_the_argmax():
    p = softmax(LOGITS, 0)
    assert p.tolist() == [0, 0, 0, 0, 1]
    assert np.argmax(softmax(LOGITS, 1e-4)) == 4


def test_high_temperature_flattens():
    assert softmax(LOGITS, 100).max() - softmax(LOGITS, 100).min() < 0.01


@pytest.mark.parametrize("t", [-1, float("nan"), float("inf")])
def test_bad_temperatures_are_refused(t):
    with pytest.raises(GptanimError):
        softmax(LOGITS, t)


def test_top_k_keeps_k_and_renormalises():
    p = softmax(LOGITS)
    q = truncate_top_k(p, 2)
    assert np.count_nonzero(q) == 2 and q.sum() == pytest.approx(1.0)
    assert q[4] / q[0] == pytest.approx(p[4] / p[0])
    with pytest.raises(GptanimError):
        truncate_top_k(p, 0)


def test_top_p_keeps_the_smallest_nucleus():
    p = np.array([0.5, 0.3, 0.15, 0.05])
    q = truncate_top_p(p, 0.8)
    np.testing.assert_allclose(q, [0.5 / 0.8, 0.3 / 0.8, 0, 0])
    assert np.count_nonzero(truncate_top_p(p, 0.81)) == 3
    assert np.count_nonzero(truncate_top_p(p, 0.01)) == 1
    for bad in (0, 1.5, float("nan")):
        with pytest.raises(GptanimError):
            truncate_top_p(p, bad)


def test_sampling_is_seeded_and_follows_the_distribution():
    p = next_token_distribution(LOGITS, 1.0)
    draws = [sample(p, np.random.default_rng(s)) for s in range(4000)]
    assert draws == [sample(p, np.random.default_rng(s)) for s in range(4000)]
    freq = np.bincount(draws, minlength=5) / len(draws)
    np.testing.assert_allclose(freq, p, atol=0.03)
    assert sample(softmax(LOGITS, 0), np.random.default_rng(0)) == 4


def test_top_entries_sorted():
    p = softmax(LOGITS)
    assert [i for i, _ in top_entries(p, 3)] == [4, 0, 1]


@pytest.mark.parametrize("ties", [False, True])
def test_most_likely_first_is_the_stable_descending_order(ties):
    rng = np.random.default_rng(5)
    for _ in range(20):
        p = rng.random(3000)
        if ties:  # equal probabilities, as a flat tail or repeated logits give them
            p[rng.integers(0, len(p), 600)] = p[7]
            p[rng.integers(0, len(p), 50)] = 0.0
        assert np.array_equal(most_likely_first(p), np.argsort(-p, kind="stable"))
