"""The weights chapter: the matrix-vector product and the tally show the Trace's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.weights import TERMS, ParameterTally, WeightsAndData
from tests.scenecheck import (
    MIN_CAP_PX,
    PICTURE_CAP_PX,
    check_caption_clear,
    check_layout,
    check_narration,
    check_numbers,
    check_text_size,
    loaded_trace,
    render,
    shown_paths,
)


@pytest.mark.parametrize("scene_cls", [WeightsAndData, ParameterTally])
@pytest.mark.parametrize("case", ["default", "12-layer"])
def test_scene_shows_the_trace_and_fits(scene_cls, case, scene_traces, tmp_path):
    scene = render(scene_cls, scene_traces[case], tmp_path)
    counts = check_numbers(scene, loaded_trace(scene_traces[case]), ever=True)  # the ones it showed and took away too
    assert counts["numbers"] > 10
    check_layout(scene)
    check_text_size(scene, PICTURE_CAP_PX if scene_cls is ParameterTally else MIN_CAP_PX)
    check_caption_clear(scene)
    check_narration(scene)


def test_partial_sums_end_at_the_query_value(scene_traces, tmp_path):
    scene = render(WeightsAndData, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene)
    d = tr.meta["d_model"]
    for i in range(TERMS):
        assert f"matvec.partial_sums[{i}]" in paths and f"matvec.products[{i}]" in paths
    assert {f"matvec.partial_sums[{d - 1}]", "weights.blocks.0.attn.b_Q[0,0]", "blocks.0.attn.hook_q[0,0,0]"} <= paths
    total = tr["matvec.partial_sums"][d - 1] + tr["weights.blocks.0.attn.b_Q"][0, 0]
    assert total == pytest.approx(float(tr["blocks.0.attn.hook_q"][0, 0, 0]), abs=1e-4)


def test_tally_shows_every_family_and_the_exact_totals(scene_traces, tmp_path):
    scene = render(ParameterTally, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    check_numbers(scene, tr, ever=True)  # each family's count, shown while it is named, is the Trace's
    paths = shown_paths(scene, ever=True)
    assert {"info.tally.total", "info.gpt3.total", "info.gpt3.matrices", "meta.n_params"} <= paths
    for j, fam in enumerate(tr.info["tally"]["families"]):
        assert f"info.gpt3.families.{j}.params" in paths
        if fam["counted"]:
            assert f"info.tally.families.{j}.params" in paths
    assert tr.info["tally"]["total"] == tr.meta["n_params"]
    assert tr.info["gpt3"]["total"] == 175_181_291_520
    for j, part in enumerate(tr.info["tally"]["rest"]):  # every dimension shown, and they multiply to the count
        assert {f"info.tally.rest.{j}.shape.{k}" for k in range(len(part["shape"]))} <= paths
        assert int(np.prod(part["shape"])) == part["params"]
    assert tr.info["tally"]["rest"][1]["shape"] == [2 * tr.n_layer + 1, 2, tr.meta["d_model"]]  # LayerNorm γ, β
