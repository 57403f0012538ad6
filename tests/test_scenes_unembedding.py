"""Unembedding, softmax, temperature and truncation scenes show the Trace's numbers."""

from __future__ import annotations

import re

import numpy as np
import pytest

from scenes.components import FORMATTERS
from scenes.unembedding import BARS, Softmax, Temperature, TopKTopP, Unembedding
from tests.scenecheck import check_layout, check_numbers, loaded_trace, render, shown_paths, shown_text


@pytest.mark.parametrize("scene_cls", [Unembedding, Softmax, Temperature, TopKTopP])
@pytest.mark.parametrize("case", ["default", "unicode", "12-layer"])
def test_scene_shows_the_trace_and_fits(scene_cls, case, scene_traces, tmp_path):
    scene = render(scene_cls, scene_traces[case], tmp_path)
    counts = check_numbers(scene, loaded_trace(scene_traces[case]))
    assert counts["numbers"] + counts["tokens"] > 5
    check_layout(scene)


def test_softmax_shows_top_probabilities_and_the_rest_adding_to_one(scene_traces, tmp_path):
    scene = render(Softmax, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene)
    sm = tr.info["softmax"]
    for r in range(len(sm["ids"])):
        assert {f"info.softmax.logits.{r}", f"info.softmax.exp_shifted.{r}", f"info.softmax.probs.{r}"} <= paths
    assert "info.softmax.others" in paths
    assert sum(sm["probs"]) + sm["others"] == pytest.approx(1.0)
    by_hand = np.exp(tr["logits"].astype(np.float64))
    np.testing.assert_allclose(sm["probs"], (by_hand / by_hand.sum())[sm["ids"]], rtol=1e-9)


@pytest.mark.parametrize("temperature", [0.2, 0.5, 1.0, 2.0, 5.0])
def test_sweep_bars_equal_softmax_of_logits_over_t(temperature, scene_traces):
    tr = loaded_trace(scene_traces["default"])
    scene = Temperature()
    scene.trace = tr
    bars = scene.bars_at(temperature)[0]
    z = tr["logits"].astype(np.float64) / temperature
    by_hand = np.exp(z - z.max())
    by_hand /= by_hand.sum()
    ids = list(np.argsort(-tr["logits"], kind="stable")[:BARS])
    for row, i in zip(bars.rows, ids):
        assert shown_text(row.pct) == FORMATTERS["percent"](by_hand[i])
        assert row.bar.width == pytest.approx(max(4.5 * by_hand[i], 0.02), rel=1e-6)


def test_temperature_zero_is_the_argmax(scene_traces):
    tr = loaded_trace(scene_traces["default"])
    scene = Temperature()
    scene.trace = tr
    bars = scene.bars_at(0.0)[0]
    assert shown_text(bars.rows[0].pct) == "100.0%"
    assert all(shown_text(r.pct) == "0.0%" for r in bars.rows[1:])
    assert re.match(r"probs\[\d+,\d+\]", bars.rows[0].pct.gptanim_numbers[0][0])


def test_three_continuations_are_the_traces(scene_traces, tmp_path):
    scene = render(Temperature, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene)
    assert [c["temperature"] for c in tr.info["comparisons"]] == [0.0, 1.0, 3.0]
    for c, run in enumerate(tr.info["comparisons"]):
        assert f"info.comparisons.{c}.temperature" in paths
        for i in range(len(run["steps"])):
            assert f"info.comparisons.{c}.steps.{i}.chosen_display" in paths
