"""The weights chapter: the matrix-vector product and the tally show the Trace's numbers."""

from __future__ import annotations

import numpy as np
import pytest
from manim import VGroup

from scenes.weights import TERMS, ParameterTally, WeightsAndData, area_square
from tests.scenecheck import (
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
    check_text_size(scene)
    check_caption_clear(scene)
    check_narration(scene)


def test_one_row_meets_the_data_and_only_the_data_changes(scene_traces, tmp_path):
    scene = render(WeightsAndData, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    shown, last = shown_paths(scene, ever=True), shown_paths(scene)
    d = tr.meta["d_model"]
    for i in range(TERMS):  # the row's products, one by one, and the running sum after each
        assert f"matvec.partial_sums[{i}]" in shown and f"matvec.products[{i}]" in shown
        assert f"weights.blocks.0.attn.W_Q[0,{i},0]" in shown and f"blocks.0.ln1.hook_normalized[0,{i}]" in shown
    assert {f"matvec.partial_sums[{d - 1}]", "weights.blocks.0.attn.b_Q[0,0]", "blocks.0.attn.hook_q[0,0,0]"} <= shown
    total = tr["matvec.partial_sums"][d - 1] + tr["weights.blocks.0.attn.b_Q"][0, 0]
    assert total == pytest.approx(float(tr["blocks.0.attn.hook_q"][0, 0, 0]), abs=1e-4)
    assert {"meta.d_head", "meta.d_model"} <= last  # the matrix's real shape stays labelled
    # the last frame: the weights as coloured cells (no numbers), the data and query of the third token
    pos = min(len(tr.token_ids), 3) - 1
    assert not any(p.startswith("weights.blocks.0.attn.W_Q") for p in last)
    assert {f"blocks.0.ln1.hook_normalized[{pos},0]", f"blocks.0.attn.hook_q[{pos},0,0]"} <= last
    assert f"info.tokens.display.{pos}" in last
    wall = scene.wall  # the opening wall of weights: real entries, beyond the matrix's corner, across the frame
    assert wall.opening_width >= 0.7 * scene.frame_size[0]
    assert {
        f"weights.blocks.0.attn.W_Q[0,{wall.cols - 1},0]",
        f"weights.blocks.0.attn.W_Q[0,0,{wall.rows - 1}]",
    } <= shown
    assert (wall.rows, wall.cols) > (scene.ROWS, scene.COLS)
    for c in range(TERMS):  # the lifted row and data show the matrix's and the vector's own digits
        assert scene.work_w[c].gptanim_numbers == [(f"weights.blocks.0.attn.W_Q[0,{c},0]", "value3")]
        assert scene.work_x[c].gptanim_numbers == [(f"blocks.0.ln1.hook_normalized[0,{c}]", "value3")]
    # each shown product checks against its shown factors: their product, rounded as shown, or the row says ≈
    w, x = tr["weights.blocks.0.attn.W_Q"][0, :TERMS, 0], tr["blocks.0.ln1.hook_normalized"][0, :TERMS]
    shown_p = [round(float(p), 3) for p in tr["matvec.products"][:TERMS]]
    exact = all(round(round(float(a), 3) * round(float(b), 3), 3) == p for a, b, p in zip(w, x, shown_p))
    assert scene.work_names[2].text.lstrip("|").startswith("=" if exact else "≈")
    for a, b, p in zip(w, x, shown_p):  # never more than one unit of the last shown digit off
        assert abs(round(float(a), 3) * round(float(b), 3) - p) <= 0.0015
    for c in range(1, TERMS):  # the working is its own row across the frame: each weight over its data entry
        assert scene.work_w[c].get_x() > scene.work_w[c - 1].get_x()
        assert scene.work_x[c].get_x() == pytest.approx(scene.work_w[c].get_x())
    strip = VGroup(scene.work_names, scene.work_w, scene.work_dots)
    assert strip.width >= 0.7 * scene.frame_size[0]
    assert scene.work_w[0].font_size == pytest.approx(scene.vector.entries[0].font_size)  # the product's size


def test_tally_shows_every_family_and_the_exact_totals(scene_traces, tmp_path):
    scene = render(ParameterTally, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    check_numbers(scene, tr, ever=True)  # each family's count, shown while it is named, is the Trace's
    paths = shown_paths(scene, ever=True)
    assert {"info.tally.total", "info.gpt3.total", "meta.n_params", "info.tally.matrix_params"} <= paths
    assert {"info.gpt3.dims.d_model", "info.gpt3.dims.vocab_size"} <= shown_paths(scene)  # GPT-3's sizes stay
    assert "info.gpt3.matrices" not in paths  # (not said: the areas show the counts)
    tally, gpt3 = tr.info["tally"], tr.info["gpt3"]
    for fam in tally["families"]:  # each family's square (before they merge): its area is its count, at one scale
        side = area_square(fam["params"], scene.unit, None, fam["matrices"])[0].width
        assert side**2 == pytest.approx(scene.unit**2 * fam["params"])
    # the model's square beside GPT-3's, at true scale: the areas' ratio is the counts' ratio
    ratio = (scene.whole.width / scene.gpt3_square.width) ** 2
    assert ratio == pytest.approx(tally["matrix_params"] / gpt3["total"], rel=1e-3)
    for j, fam in enumerate(tr.info["tally"]["families"]):
        assert f"info.gpt3.families.{j}.params" in paths
        if fam["counted"]:
            assert f"info.tally.families.{j}.params" in paths
    assert tr.info["tally"]["total"] == tr.meta["n_params"]
    assert tr.info["gpt3"]["total"] == 175_181_291_520
    # counted GPT-3's way, on screen: the total, less the rest, plus the tied unembedding's copy
    assert tally["rest_params"] == sum(part["params"] for part in tally["rest"]) and "info.tally.rest_params" in paths
    last = len(tally["families"]) - 1
    unembedding = tally["families"][last]["params"] if tally["tied"] else 0
    assert tally["total"] - tally["rest_params"] + unembedding == tally["matrix_params"]
    assert not tally["tied"] or f"info.tally.families.{last}.params" in paths
    for j, part in enumerate(tr.info["tally"]["rest"]):  # every dimension shown, and they multiply to the count
        assert {f"info.tally.rest.{j}.shape.{k}" for k in range(len(part["shape"]))} <= paths
        assert int(np.prod(part["shape"])) == part["params"]
    assert tr.info["tally"]["rest"][1]["shape"] == [2 * tr.n_layer + 1, 2, tr.meta["d_model"]]  # LayerNorm γ, β
    for j, fam in enumerate(tally["families"]):  # each family's count worked from its shape, read from the Trace
        if fam["counted"]:
            assert {f"info.tally.families.{j}.shape.0", f"info.tally.families.{j}.shape.1"} <= paths
            assert fam["matrices"] * int(np.prod(fam["shape"])) == fam["params"]
    assert "claims.tally.gpt3_times" in shown_paths(scene)  # the ratio, drawn large beside the speck at the end
    assert scene.ratio.get_right()[0] < scene.gpt3_square.get_left()[0]


def test_tally_s_tied_unembedding_is_an_outline_on_the_embedding_and_the_squares_span_the_frame(scene_traces, tmp_path):
    scene = render(ParameterTally, scene_traces["default"], tmp_path)
    tally = loaded_trace(scene_traces["default"]).info["tally"]
    drawn = [f for f in tally["families"] if not f.get("shared_with")]
    row = sum(sq.width for sq in scene.squares)  # every family with its own weights, in one row
    assert row + 0.3 * (len(drawn) - 1) >= 0.7 * scene.frame_size[0]
    if tally["tied"]:  # the shared matrix: outlined on the embedding's square, adding no area of its own
        shared = next(f for f in tally["families"] if f.get("shared_with"))
        side = area_square(shared["params"], scene.unit, None)[0].width  # the embedding's side: the same count
        assert scene.ghost.outline.width == pytest.approx(side * 1.08, rel=0.02)
        first = drawn.index(next(f for f in drawn if f["family"] == shared["shared_with"]))
        assert scene.ghost.outline.get_x() < scene.squares[first + 1].get_x()  # on it, not a square of its own
        assert "countedonce" in scene.ghost_words[1].text.replace(" ", "")
