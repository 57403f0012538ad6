"""Attention and MLP scenes: patterns and scores from the Trace, rows sum to 1, masked cells are 0."""

from __future__ import annotations

import numpy as np
import pytest

from model.trace_data import stored_value
from scenes import style
from scenes.attention import FLOW_TOKENS, AttentionFlow, AttentionPattern, MLPBlock, pattern_image, shown_positions
from tests.scenecheck import (
    check_caption_clear,
    check_layout,
    check_narration,
    check_numbers,
    check_text_size,
    loaded_trace,
    render,
    shown_paths,
    stroke_contrast,
)


@pytest.mark.parametrize("scene_cls", [AttentionPattern, AttentionFlow, MLPBlock])
@pytest.mark.parametrize("case", ["default", "long", "unicode", "12-layer", "one-token"])
def test_scene_shows_the_trace_and_fits(scene_cls, case, scene_traces, tmp_path):
    scene = render(scene_cls, scene_traces[case], tmp_path)
    counts = check_numbers(scene, loaded_trace(scene_traces[case]))
    assert counts["numbers"] + counts["tokens"] > 0
    check_layout(scene)
    check_text_size(scene)
    check_caption_clear(scene)
    check_narration(scene)
    if scene_cls is AttentionFlow:  # every arc, the self-loop too, stands out from the background
        arcs = {id(m): m for mob in scene.mobjects for m in mob.get_family() if hasattr(m, "gptanim_weight_path")}
        arcs = list(arcs.values())
        assert len(arcs) == len(shown_positions(scene.trace, FLOW_TOKENS))
        for arc in arcs:
            assert stroke_contrast(scene, arc) >= 3.0, arc.gptanim_weight_path
        # The heavier an arc's weight, the wider and the more it stands out: the heaviest above the lightest.
        tr = loaded_trace(scene_traces[case])
        ranked = sorted(((float(stored_value(tr, a.gptanim_weight_path)), a) for a in arcs), key=lambda pair: pair[0])
        (light, a), (heavy, b) = ranked[0], ranked[-1]  # (one token: its one arc, both)
        if heavy > light:
            assert b.get_stroke_width() > a.get_stroke_width()
            assert stroke_contrast(scene, b) > stroke_contrast(scene, a)


def test_the_worked_score_is_q_dot_k_over_root_d_head(scene_traces):
    tr = loaded_trace(scene_traces["default"])
    att = tr.info["attention"]
    ex, L, H = att["example"], att["layer"], att["head"]
    q = tr[f"blocks.{L}.attn.hook_q"][ex["query"], H].astype(np.float64)
    k = tr[f"blocks.{L}.attn.hook_k"][ex["key"], H].astype(np.float64)
    score = stored_value(tr, f"blocks.{L}.attn.hook_attn_scores[{H},{ex['query']},{ex['key']}]")
    assert score == pytest.approx(q @ k / np.sqrt(tr.meta["d_head"]), abs=1e-4)


@pytest.mark.parametrize("case", ["default", "long"])
def test_what_the_head_reads_is_shown_where_it_is_said(case, scene_traces, tmp_path):
    """The last row's strongest key and the first column: each outlined in the grid, each said from a statement of
    model/claims.py (recomputed here from the pattern), no claim the row contradicts."""
    from model.claims import first_read, strongest_read

    scene = render(AttentionPattern, scene_traces[case], tmp_path)
    tr = loaded_trace(scene_traces[case])
    L, H, drawn = scene.layer, scene.head, shown_positions(tr)
    n, P = len(drawn), tr.pattern(scene.layer, scene.head)
    panel, (cell_mark, column_mark) = scene.previous
    best = int(np.argmax(P[drawn[-1]][drawn]))
    assert np.allclose(cell_mark.get_center(), scene.grid.cells[(n - 1) * n + best].get_center())
    column = [scene.grid.cells[q * n] for q in range(1, n)]
    assert (
        column_mark.get_top()[1] > column[0].get_top()[1] and column_mark.get_bottom()[1] < column[-1].get_bottom()[1]
    )
    said = " ".join(b["say"] for b in scene.beats)
    top, first = strongest_read(tr, L, H, n), first_read(tr, L, H, n)
    assert top.text in said and first.text in said
    assert f"{float(np.mean(P[drawn[1:], drawn[0]])) * 100:.1f}%" in first.text
    assert "previous-token" not in said and "tied" not in said


def test_the_scores_ahead_are_drawn_before_the_mask(scene_traces):
    """Before the mask, the cells ahead of each token carry a score too: q·k/√d_head, computed as the Trace's own
    scores are (equal to them wherever the mask lets them through)."""
    from scenes.attention import raw_scores

    for case in ("default", "long"):
        tr = loaded_trace(scene_traces[case])
        att = tr.info["attention"]
        L, H, drawn = att["layer"], att["head"], shown_positions(tr)
        raw = raw_scores(tr, L, H, drawn)
        stored = tr[f"blocks.{L}.attn.hook_attn_scores"][H][np.ix_(drawn, drawn)]
        seen = np.isfinite(stored)
        assert (~seen).any() and np.all(np.isfinite(raw))
        np.testing.assert_allclose(raw[seen], stored[seen], atol=1e-4)


def test_grid_cells_carry_the_real_weights(scene_traces, tmp_path):
    tr = loaded_trace(scene_traces["long"])
    scene = AttentionPattern()
    scene.trace = tr
    scene.beats, scene.caption, scene.slide, scene.plays = [], None, 0, []
    scene.play = lambda *a, **k: None  # build the grid without animating it
    scene.wait = lambda *a, **k: None
    scene.show_grid()
    positions = shown_positions(tr)
    assert len(positions) == 16 < len(tr.token_ids)  # long prompts show their last 16 tokens
    scores = tr[f"blocks.{scene.layer}.attn.hook_attn_scores"][scene.head]
    for sq, (_, after), (q, k) in zip(
        scene.grid.cells, scene.weights_fill, ((q, k) for q in positions for k in positions)
    ):
        w = stored_value(tr, sq.weight_path)
        if k > q:  # masked: a score of −∞, drawn empty, then zero weight
            assert w == 0.0 and np.isneginf(scores[q, k]) and sq.get_fill_opacity() == 0.0 and after == 0.0
        else:  # first the raw score's colour (blue +, red −), then, after softmax, the weight as brightness
            blue = sq.get_fill_color().to_rgb()[2] > sq.get_fill_color().to_rgb()[0]
            assert blue == (scores[q, k] >= 0)
            assert after == pytest.approx(w, abs=1e-6)
    assert len(scene.minus_inf) > 0
    rows = tr.pattern(scene.layer, scene.head)
    np.testing.assert_allclose(rows.sum(-1), 1.0, atol=1e-5)


def test_small_multiples_are_every_pattern(scene_traces):
    tr = loaded_trace(scene_traces["12-layer"])
    positions = shown_positions(tr)
    image = pattern_image(tr, positions)
    n = len(positions)
    yellow = np.array(style.QUERY.to_int_rgb())
    for layer, head in [(0, 0), (5, 7), (11, 11)]:
        block = image[layer * (n + 1) : layer * (n + 1) + n, head * (n + 1) : head * (n + 1) + n, :3]
        expected = np.round(tr.pattern(layer, head)[np.ix_(positions, positions)][..., None] * yellow)
        np.testing.assert_array_equal(block, expected)


def test_mlp_shows_the_most_active_neurons(scene_traces, tmp_path):
    scene = render(MLPBlock, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene, ever=True)  # each neuron's value before and after its activation, in turn
    L, last = tr.info["mlp"]["layer"], len(tr.token_ids) - 1
    pre = tr[f"blocks.{L}.mlp.hook_pre"][last]
    lowest = [int(n) for n in np.argsort(pre)[:3]]  # the curve's negative side, with real values too
    for n in tr.info["mlp"]["top_neurons"][:3] + lowest:
        assert f"blocks.{L}.mlp.hook_post[{last},{n}]" in paths and f"blocks.{L}.mlp.hook_pre[{last},{n}]" in paths
    assert all(pre[n] < 0 for n in lowest)
    assert {"meta.d_mlp", "meta.d_model"} <= shown_paths(scene)  # the projections' shapes stay to the end
    circles = scene.circles  # the neurons light by their results: the brightest is the most active
    post = tr[f"blocks.{L}.mlp.hook_post"][last]
    lit = [c.get_fill_opacity() for c in circles]
    assert lit[0] == max(lit) > 0 and all(o == 0.0 for o, n in zip(lit, scene.chosen) if post[n] <= 0)


def test_the_last_row_is_drawn_as_bars(scene_traces, tmp_path):
    """The row being discussed: a bar per key, its score left (red) or right (blue) of a zero line, as long as the
    score beside the largest; then softmax makes each a weight bar as long as its weight beside the largest."""
    scene = render(AttentionPattern, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    drawn, last = shown_positions(tr), shown_positions(tr)[-1]
    scores = tr[f"blocks.{scene.layer}.attn.hook_attn_scores"][scene.head, last, drawn]
    weights = tr.pattern(scene.layer, scene.head)[last, drawn]
    weight_bars, zero = scene.bars
    assert len(scene.score_bars) == len(weight_bars) == len(drawn)
    for bar, s in zip(scene.score_bars, scores):
        assert (bar.get_x() > zero.get_x()) == (s >= 0)
    long = np.array([b.width for b in scene.score_bars])
    np.testing.assert_allclose(long / long.max(), np.abs(scores) / np.abs(scores).max(), atol=0.02)
    widths = np.array([b.width for b in weight_bars])
    np.testing.assert_allclose(widths / widths.max(), weights / weights.max(), atol=0.01)
    lefts = {round(b.get_left()[0], 3) for b in weight_bars}
    assert len(lefts) == 1  # the weights' bars start together, as probability bars do


def test_values_are_multiplied_by_their_weight_and_every_token_gets_a_sum(scene_traces, tmp_path):
    """Each value drawn is written times its weight, then as the scaled vector (the Trace's weight × value), and
    the scaled terms of every key add up to the head's output for the last token."""
    scene = render(AttentionFlow, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    L, H, last = scene.layer, scene.head, shown_positions(tr, FLOW_TOKENS)[-1]
    weighted = np.array(tr.info["attention"]["weighted_values"])
    values = tr[f"blocks.{L}.attn.hook_v"][: last + 1, H].astype(np.float64)
    np.testing.assert_allclose(weighted, tr.pattern(L, H)[last, : last + 1, None] * values, atol=1e-6)
    np.testing.assert_allclose(weighted.sum(0), tr[f"blocks.{L}.attn.hook_z"][last, H], atol=1e-4)
    ever = shown_paths(scene, ever=True)
    assert len(scene.scaled_terms) == min(AttentionFlow.VALUES, last + 1)
    for j in scene.order:  # each drawn value: its weight as a factor, then its scaled entries
        pos = shown_positions(tr, FLOW_TOKENS)[j]
        assert tr.attn.pattern[L, H, last, pos].path in ever
        for i in range(AttentionFlow.ENTRIES):
            assert f"info.attention.weighted_values.{pos}.{i}" in ever
    drawn = shown_positions(tr, FLOW_TOKENS)
    # the sum, through one more matrix, is added to the last token's vector: its vector before and after attention
    before, after = scene.added_parts
    for i in range(AttentionFlow.ENTRIES):
        assert tr.resid.pre[L, last, i].path in ever and tr.resid.mid[L, last, i].path in ever
    assert before.get_x() < after.get_x()
    assert len(scene.strips) == len(drawn)  # a weighted sum above every token, not only the last
    for strip, box in zip(scene.strips, scene.boxes):
        assert strip.get_x() == pytest.approx(box.get_x(), abs=1e-6) and strip.get_bottom()[1] > box.get_top()[1]


def test_every_token_goes_through_the_same_mlp(scene_traces, tmp_path):
    """The tokens before the last go through the same MLP in turn, their own numbers shown; the last one ends it."""
    scene = render(MLPBlock, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    L, n = scene.layer, len(tr.token_ids)
    ever, last_frame = shown_paths(scene, ever=True), shown_paths(scene)
    entry = lambda q: tr.mlp.out[L, q].path[:-1] + ","  # noqa: E731  an entry of token q's output: "...[q,"
    for q in range(max(0, n - 1 - MLPBlock.OTHERS), n):
        assert any(p.startswith(entry(q)) for p in ever), q
    outs = {p for p in last_frame if "mlp_out" in p}
    assert outs and all(p.startswith(entry(n - 1)) for p in outs)


def test_the_last_frame_shows_the_boxed_tokens_numbers(scene_traces, tmp_path):
    """The last frame's vectors (in, MLP output, residual, new residual) are all the boxed token's, and the box is on
    the last token: no column is left showing another token's numbers."""
    scene = render(MLPBlock, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    L, last = scene.layer, len(tr.token_ids) - 1
    boxed = min(range(len(scene.chips)), key=lambda j: abs(scene.chips[j].get_x() - scene.mark.get_x()))
    assert scene.positions[boxed] == last
    last_frame = shown_paths(scene)
    for part in (tr.ln2.normalized[L], tr.mlp.out[L], tr.resid.mid[L], tr.resid.post[L]):
        prefix = part[0].path.split("[")[0] + "["
        rows = {p[len(prefix) :].split(",")[0] for p in last_frame if p.startswith(prefix)}
        assert rows == {str(last)}, (prefix, rows)


def test_softmax_is_drawn_step_by_step(scene_traces, tmp_path):
    """The last row's softmax on screen in its steps: e to each score, their sum, each divided by it (the weights in
    percent); the Trace's e^score and sum are the scores' own, and dividing gives the pattern's row."""
    scene = render(AttentionPattern, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    drawn, last = shown_positions(tr), shown_positions(tr)[-1]
    L, H = scene.layer, scene.head
    ever = shown_paths(scene, ever=True)
    for p in drawn:
        assert f"info.attention.softmax.exp.{p}" in ever
        assert tr.attn.pattern[L, H, last, p].path in ever and tr.attn.scores[L, H, last, p].path in ever
    assert "info.attention.softmax.sum" in ever
    soft = tr.info["attention"]["softmax"]
    scores = tr[f"blocks.{L}.attn.hook_attn_scores"][H, last, : last + 1].astype(np.float64)
    np.testing.assert_allclose(soft["exp"], np.exp(scores), rtol=1e-5)
    assert soft["sum"] == pytest.approx(float(np.sum(soft["exp"])), rel=1e-6)
    np.testing.assert_allclose(np.array(soft["exp"]) / soft["sum"], tr.pattern(L, H)[last, : last + 1], atol=1e-5)


def test_the_mlp_adds_back_to_the_residual_it_read(scene_traces, tmp_path):
    """The residual drawn at the start (which the MLP reads through its norm) is the very column the MLP's output is
    added to: the same mobject, the last token's resid_mid entries."""
    scene = render(MLPBlock, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    if scene.parallel:  # a parallel residual reads the block's input: no separate residual drawn at the start
        return
    L, last = scene.layer, len(tr.token_ids) - 1
    assert scene.added_to is scene.resid
    ever = shown_paths(scene, ever=True)
    for i in range(MLPBlock.SHOWN):
        assert tr.resid.mid[L, last, i].path in ever and tr.ln2.normalized[L, last, i].path in ever


def cap_px(scene, text) -> float:
    """A struck text's capital height in pixels at 854×480, measured on its invisible end bar as drawn."""
    from tests.scenecheck import CAP_HEIGHT

    bar = text.submobjects[-1]
    return CAP_HEIGHT * float(np.hypot(bar.width, bar.height)) * 480 / scene.frame_size[1]


@pytest.mark.parametrize("case", ["default", "long"])
def test_the_weighted_values_stay_readable(case, scene_traces, tmp_path):
    """The values times their weights, shrunk in place and then written out in the sum, keep their entries at
    the minimum type size or above (text shrunk after it was made is measured as drawn)."""
    from manim import Text

    from tests.scenecheck import MIN_CAP_PX

    scene = render(AttentionFlow, scene_traces[case], tmp_path)
    terms = scene.drawn_terms
    entries = [m for term in terms for m in term.get_family() if isinstance(m, Text) and m.submobjects]
    assert entries
    for m in entries:
        assert cap_px(scene, m) >= MIN_CAP_PX - 0.05, m.gptanim_text


def bars_match(bars, values) -> None:
    """A strip of entry bars draws each value: one bar per entry, right of its zero line when positive, the
    longest where the value is largest."""
    assert len(bars) == len(values)
    for bar, v in zip(bars, values):
        if abs(v) > 1e-3 * np.max(np.abs(values)):
            assert (bar.get_x() > bars.centre_x) == (v > 0)
    assert int(np.argmax([b.width for b in bars])) == int(np.argmax(np.abs(values)))


def test_one_score_is_worked_out_from_the_real_query_and_key(scene_traces, tmp_path):
    """The worked score draws the query's and the key's every entry, and their products, from the Trace; the
    products add up to the dot product written under them."""
    scene = render(AttentionPattern, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    att = tr.info["attention"]
    ex, L, H = att["example"], att["layer"], att["head"]
    q = tr[f"blocks.{L}.attn.hook_q"][ex["query"], H].astype(np.float64)
    k = tr[f"blocks.{L}.attn.hook_k"][ex["key"], H].astype(np.float64)
    assert np.sum(q * k) == pytest.approx(ex["dot"], abs=1e-4)
    words, strips, lines = scene.example
    for bars, values in zip(strips, (q, k, q * k)):
        assert len(bars) == tr.meta["d_head"]
        bars_match(bars, values)
    assert "info.attention.example.dot" in shown_paths(scene, ever=True)


def test_every_token_draws_its_own_fan(scene_traces, tmp_path):
    """Each token's row is drawn in turn as its own fan of arcs, from the tokens up to it, each arc its weight."""
    scene = render(AttentionFlow, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    drawn = shown_positions(tr, FLOW_TOKENS)
    assert sorted(scene.readers) == list(range(len(drawn)))
    for j, q in enumerate(drawn):
        fan = scene.fan(j)
        assert [a.gptanim_weight_path for a in fan] == [tr.attn.pattern[scene.layer, scene.head, q, p].path
                                                        for p in drawn[: j + 1]]  # fmt: skip
        widest = max(range(len(fan)), key=lambda a: fan[a].get_stroke_width())
        assert widest == int(np.argmax(tr.pattern(scene.layer, scene.head)[q, drawn[: j + 1]]))


def test_the_neuron_reads_every_entry_of_the_vector(scene_traces, tmp_path):
    """The up-projection's worked neuron is shown reading the whole vector: every entry drawn as a bar."""
    scene = render(MLPBlock, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    x = tr.ln2.normalized[scene.layer].value[len(tr.token_ids) - 1]
    assert len(x) == tr.meta["d_model"]
    bars_match(scene.input_strip[0], np.asarray(x, dtype=np.float64))
    # the strip stands left of the neurons, its lines run left to right into the most active one
    assert scene.input_strip[0].get_right()[0] < scene.circles.get_left()[0]
    for line in scene.input_fan:
        assert line.get_start()[0] < line.get_end()[0]
        assert np.allclose(line.get_end(), scene.circles[0].get_left())
