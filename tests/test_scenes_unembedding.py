"""Unembedding, softmax, temperature and truncation scenes show the Trace's numbers."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from manim import ManimColor

from scenes import style
from scenes.components import FORMATTERS, number
from scenes.unembedding import SOFTMAX_TOP, Recap, Softmax, Temperature, TopKTopP, Unembedding, softmax_shown
from tests.scenecheck import (
    MIN_CAP_PX,
    check_layout,
    check_narration,
    check_numbers,
    loaded_trace,
    render,
    shown_paths,
    shown_text,
    texts,
)
from tests.scenecheck import check_text_size as check_cap_height

CAP = 0.6  # a capital's height in DejaVu Sans, measured in units of font size at 480 px (size 17 → 10.2 px)


def font_size(t) -> float:
    """The size a text is drawn at now: a number's strut makes it taller than its letters, so its size is read
    against a fresh number's."""
    if hasattr(t, "gptanim_numbers") and not hasattr(t, "gptanim_static"):  # components.number
        return t.font_size / (number(0.0, "x", size=20).font_size / 20)
    return t.font_size


def check_text_size(scene) -> None:
    """Every text on screen, and every caption, is at least MIN_CAP_PX high in capitals at 854×480."""
    for t in [*texts(scene), *scene.captions]:
        assert font_size(t) * CAP >= MIN_CAP_PX - 0.05, f"{shown_text(t)!r} is {font_size(t) * CAP:.1f} px"


def check_captions_clear(scene) -> None:
    """The caption's band holds only the caption: no other text reaches down into it."""
    band = scene.caption.get_top()[1] + 0.05
    for t in texts(scene):
        if t is not scene.caption:
            assert t.get_bottom()[1] > band, f"{shown_text(t)!r} reaches into the caption's band"


@pytest.mark.parametrize("scene_cls", [Unembedding, Softmax, Temperature, TopKTopP, Recap])
@pytest.mark.parametrize("case", ["default", "unicode", "12-layer"])
def test_scene_shows_the_trace_and_fits(scene_cls, case, scene_traces, tmp_path):
    scene = render(scene_cls, scene_traces[case], tmp_path)
    counts = check_numbers(scene, loaded_trace(scene_traces[case]))
    assert counts["numbers"] + counts["tokens"] > 5
    check_layout(scene)
    check_text_size(scene)
    check_cap_height(scene)
    check_captions_clear(scene)
    check_narration(scene)


def test_softmax_shows_top_probabilities_and_the_rest_adding_to_one(scene_traces, tmp_path):
    scene = render(Softmax, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene)
    sm = softmax_shown(tr)  # the SOFTMAX_TOP steps it works out, of the ones the Trace keeps
    n = len(sm["ids"])
    assert n == min(SOFTMAX_TOP, len(tr.info["softmax"]["ids"])) == len(scene.table.rows)
    assert len(scene.stages) == 4
    for stage, field in zip(scene.stages, ["logits", "shifted", "exp_shifted", "probs"]):  # the values the bars took
        for r, text in enumerate(stage):
            ((path, fmt),) = text.gptanim_numbers
            assert path == f"info.softmax.{field}.{r}"
            assert shown_text(text) == FORMATTERS[fmt](sm[field][r])
    assert {f"info.softmax.probs.{r}" for r in range(n)} <= paths
    assert {sm["rest"].path, f"claims.softmax.top{n}.total"} <= paths
    # the sum of e^(x − max) is shown while it is added up, and leaves once each bar is divided by it
    assert "info.softmax.sum_exp_shifted" in shown_paths(scene, ever=True) - paths
    assert sm["rest"].path == f"info.softmax.others_after.{n - 1}"
    # Step one is x − max: the top token lands on 0, every other one below it, by the logits' own differences.
    np.testing.assert_allclose(sm["shifted"], np.array(sm["logits"]) - sm["shift"], atol=1e-12)
    assert sm["shifted"][0] == 0.0 and max(sm["shifted"]) == 0.0
    np.testing.assert_allclose(sm["exp_shifted"], np.exp(sm["shifted"]), rtol=1e-12)
    assert sum(sm["probs"]) + sm["rest"].value == pytest.approx(1.0)
    by_hand = np.exp(tr["logits"].astype(np.float64))
    np.testing.assert_allclose(sm["probs"], (by_hand / by_hand.sum())[sm["ids"]], rtol=1e-9)
    # The bars are the probabilities: the shown ones and the others bar fill exactly one bar's length (100%).
    bars = [row.bar.width for row in scene.table.rows] + [scene.others_bar.width]
    assert sum(bars) == pytest.approx(Softmax.WIDTH, abs=0.02 * len(bars))
    assert sum(s.width for s in scene.segments) == pytest.approx(Softmax.WIDTH, abs=0.01)
    for row, p in zip(scene.table.rows, sm["probs"]):
        assert row.bar.width == pytest.approx(max(Softmax.WIDTH * p, 0.02))


@pytest.mark.parametrize("temperature", [0.2, 0.5, 1.0, 2.0, 5.0])
def test_sweep_bars_equal_softmax_of_logits_over_t(temperature, scene_traces):
    tr = loaded_trace(scene_traces["default"])
    scene = Temperature()
    scene.trace = tr
    bars = scene.bars_at(temperature)[0]
    z = tr["logits"].astype(np.float64) / temperature
    by_hand = np.exp(z - z.max())
    by_hand /= by_hand.sum()
    ids = list(np.argsort(-tr["logits"], kind="stable")[: Temperature.SHOWN])
    assert len(bars.rows) == Temperature.SHOWN + 1  # and one for all the other tokens
    for row, i in zip(bars.rows, ids):
        assert shown_text(row.pct) == FORMATTERS["percent"](by_hand[i])
        assert row.bar.width == pytest.approx(max(Temperature.BAR_W * by_hand[i], 0.02), rel=1e-6)


@pytest.mark.parametrize("temperature", [0.0, 0.2, 0.5, 1.0, 2.0])
def test_logit_bars_are_gaps_over_t_on_one_fixed_axis(temperature, scene_traces):
    """The left bars are (logit − max) ÷ T, hanging from one 0 on an axis that is the same at every T (twice the
    widest gap at T = 1, rounded up): a low T stretches the gaps, a high T shrinks them; a gap past the axis runs
    off with an arrow (every one but the top token's at T = 0)."""
    tr = loaded_trace(scene_traces["default"])
    scene = Temperature()
    scene.trace = tr
    zero, end, span = scene.logit_axis(1.0)
    ids = list(np.argsort(-tr["logits"], kind="stable")[: Temperature.SHOWN])
    top = float(tr["logits"].max())
    widest = max(top - float(tr["logits"][i]) for i in ids)
    assert span == float(math.ceil(2.0 * max(widest, 0.5)))
    drawn = scene.bars_at(temperature)[3]
    assert scene.logit_axis(temperature) == (zero, end, span)  # the same, whatever T is drawn
    for part, i in zip(drawn, ids):
        bar = part[0]
        assert bar.get_right()[0] == pytest.approx(zero, abs=1e-6)
        gap = top - float(tr["logits"][i])
        if temperature == 0 and gap > 0 or temperature > 0 and gap / temperature > span:
            assert bar.width == pytest.approx(zero - end) and len(part) == 2  # run off, with its arrow
            continue
        expected = gap / temperature if temperature > 0 else 0.0
        assert len(part) == 1 and bar.width == pytest.approx(max((zero - end) * expected / span, 0.02), rel=1e-6)
    ticks = [t for t in scene.bars_at(temperature)[4] if getattr(t, "gptanim_static", False)]  # round values
    values = [-float(shown_text(t).replace("−", "")) for t in ticks]
    assert values[0] == 0 and values == sorted(values, reverse=True) and -values[-1] <= span
    assert 2 <= len(values) <= 5  # the same round values at every T


def test_temperature_zero_is_the_argmax(scene_traces):
    tr = loaded_trace(scene_traces["default"])
    scene = Temperature()
    scene.trace = tr
    bars = scene.bars_at(0.0)[0]
    assert shown_text(bars.rows[0].pct) == "100.0%"
    assert all(shown_text(r.pct) == "0.0%" for r in bars.rows[1:])
    assert re.match(r"probs\[\d+,\d+\]", bars.rows[0].pct.gptanim_numbers[0][0])


@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0])
def test_the_curve_is_every_token_s_share_sorted_and_flattens_as_t_rises(temperature, scene_traces):
    """Beside the names, every token's share at T, likeliest first, on log scales: the softmax of the Trace's
    logits over T; a higher T leaves a flatter curve (the first and last shares closer)."""
    tr = loaded_trace(scene_traces["default"])
    scene = Temperature()
    scene.trace = tr
    z = tr["logits"].astype(np.float64) / temperature
    by_hand = np.sort(np.exp(z - z.max()) / np.exp(z - z.max()).sum())[::-1]
    pts = scene.curve_points(temperature)
    ranks = np.rint(10 ** pts[:, 0]).astype(int)
    assert ranks[0] == 1 and ranks[-1] == len(by_hand)
    np.testing.assert_allclose(pts[:, 1], np.maximum(np.log10(by_hand[ranks - 1]), Temperature.FLOOR), atol=1e-6)
    drop = pts[0, 1] - pts[-1, 1]
    assert drop > (scene.curve_points(temperature * 2)[0, 1] - scene.curve_points(temperature * 2)[-1, 1]) > 0


def test_three_continuations_are_the_traces(scene_traces, tmp_path):
    scene = render(Temperature, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene, ever=True)  # shown before the last picture, the lecture's own temperature
    assert [c["temperature"] for c in tr.info["comparisons"]] == [0.0, 1.0, 3.0]
    for c, run in enumerate(tr.info["comparisons"]):
        assert f"info.comparisons.{c}.temperature" in paths
        for i in range(len(run["steps"])):
            assert f"info.comparisons.{c}.steps.{i}.chosen_display" in paths


def test_the_last_picture_is_the_distribution_at_the_lecture_s_own_temperature(embedded, tmp_path):
    """The continuation's T (not one of the stored ones) marked on the knob, its bars read from the Trace; the
    narration says T as the screen shows it; another T is another picture."""
    from model.run import TraceSettings, trace

    made = trace(TraceSettings(prompt="The old miller counted his sacks", generate=3, temperature=0.23), embedded)
    scene = render(Temperature, made.save(tmp_path / "t.npz"), tmp_path)
    tr = loaded_trace(tmp_path / "t.npz")
    check_numbers(scene, tr)
    check_layout(scene)
    shown = tr.info["continuation"]["untruncated"]
    z = tr["logits"].astype(np.float64) / 0.23
    by_hand = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    assert shown["ids"] == [int(i) for i in np.argsort(-tr["logits"], kind="stable")[: len(shown["ids"])]]
    np.testing.assert_allclose(shown["probs"], by_hand[shown["ids"]], rtol=1e-9)
    for j, row in enumerate(scene.bars[0].rows[: Temperature.SHOWN]):
        assert row.pct.gptanim_numbers == [(f"info.continuation.untruncated.probs.{j}", "percent")]
    assert shown_text(scene.bars[1][1]) == "T = 0.23"
    assert "temperature of 0.23." in scene.beats[-1]["say"]
    assert scene.bars[0].rows[-1].pct.gptanim_claims[0].key == f"temperature.lecture.tail.top{Temperature.SHOWN}"


def test_truncation_cuts_the_tail_and_the_kept_bars_grow_to_the_renormalised_shares(scene_traces, tmp_path):
    scene = render(TopKTopP, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    demo = tr.info["truncation"]
    panel = {
        p
        for row in scene.k_panel["new"].rows
        for t in (row.name, row.pct)
        for p, _ in getattr(t, "gptanim_numbers", []) + getattr(t, "gptanim_tokens", [])
    }
    for kind in ("top_k", "top_p"):  # top-k's panel, once worked out, shrinks to bars alone: what it showed
        part = demo[kind]
        paths = shown_paths(scene) if kind == "top_p" else panel | shown_paths(scene, ever=True)
        kept = min(part["kept"], TopKTopP.SHOWN if kind == "top_k" else TopKTopP.P_PCT)  # the shares written
        base = dict(demo["base_top"])
        for j, (i, p) in enumerate(part["top"]):  # each kept share is the untruncated one over the kept mass
            if i in base:
                assert p == pytest.approx(base[i] / part["kept_mass"], rel=1e-6)
            assert (f"info.truncation.{kind}.top.{j}.1" in paths) == (j < kept)
        assert not {f"info.truncation.{kind}.top.{j}.1" for j in range(kept, 10)} & paths
        assert f"info.vocab_display.{part['chosen_id']}" in paths
    assert "info.truncation.base_top.0.1" not in shown_paths(scene)  # the untruncated bars were cut and renormalised
    assert "info.truncation.k" in shown_paths(scene, ever=True) and "info.truncation.k" not in shown_paths(scene)
    # top-k's panel has left: top-p's list is written at top-k's size
    assert scene.p_rows.rows[0].pct.font_size == pytest.approx(scene.k_panel["new"].rows[0].pct.font_size)


def test_every_position_shows_its_top_guess_and_only_the_last_one_is_used(scene_traces, tmp_path):
    scene = render(Unembedding, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    n = len(tr.token_ids)
    first = max(0, n - 8)
    paths = shown_paths(scene)
    assert len(scene.guess_row) == n - 1 - first  # every shown position but the last, whose scores are the bars
    probs = tr["positions.top_probs"]
    ranks = tr["positions.next_ranks"]
    for k, (bar, name, sign, *rank) in enumerate(scene.guess_row):
        # ✓ exactly where the token that really follows was this position's top guess (its rank 1), ✗ elsewhere
        hit = int(tr["positions.top_ids"][first + k]) == int(tr.token_ids[first + k + 1])
        assert hit == (int(ranks[first + k]) == 1) == sign.hit
        assert shown_text(sign) == ("✓" if hit else "✗")
        # above each ✗, the rank the model gave the token that really came next, read from the Trace
        assert len(rank) == (0 if hit else 1)
        if rank:
            assert shown_text(rank[0]) == f"#{int(ranks[first + k]):,}"
            assert f"positions.next_ranks[{first + k}]" in paths
        assert name.gptanim_tokens[0][0] == f"info.vocab_display.{int(tr['positions.top_ids'][first + k])}"
        assert f"info.vocab_display.{int(tr['positions.top_ids'][first + k])}" in paths
        assert bar.height == pytest.approx(max(scene.guess_scale * float(probs[first + k]), 0.04))  # as its share
    assert 0 < scene.guess_scale <= 3.4


def test_one_row_times_the_vector_is_multiplied_out_and_its_products_add_up_to_the_logit(scene_traces, tmp_path):
    """The first row of W_U lies along the last (normed) vector: one bar per shown pair, as long as its product
    (red if negative); all d_model products added up are that token's logit, which the scene then shows."""
    tr = loaded_trace(scene_traces["default"])
    scene = render(Unembedding, scene_traces["default"], tmp_path)
    i, bars = scene.product_bars
    x = tr["ln_final.hook_normalized"][len(tr.token_ids) - 1].astype(np.float64)
    w = tr["weights.W_U_rows"][tr.info["unembed_ids"].index(i)].astype(np.float64)
    assert float(x @ w) == pytest.approx(float(tr["logits"][i]), abs=2e-3)  # the sum of all products is the logit
    products = x[: len(bars)] * w[: len(bars)]
    longest = max(b.width for b in bars)
    for bar, p in zip(bars, products):
        assert bar.width == pytest.approx(max(longest * abs(p) / np.abs(products).max(), 0.03), rel=1e-6)
        assert (bar.get_fill_color().to_hex() == ManimColor(style.NEGATIVE).to_hex()) == (p < 0)
    assert {f"logits[{i}]", "meta.d_model"} <= shown_paths(scene, ever=True)
    # then all d_model products, sorted, up if positive and down if negative, as tall as each product
    strip = scene.strip
    np.testing.assert_allclose(strip.products, np.sort(x * w)[::-1], rtol=1e-5, atol=1e-7)
    assert len(strip.bars) == len(x) == tr.meta["d_model"]
    tallest = np.abs(strip.products).max()
    for bar, p in zip(strip.bars, strip.products):
        assert bar.positive == (p >= 0)
        assert bar.height == pytest.approx(max(Unembedding.STRIP_H * abs(p) / tallest, 0.01), rel=1e-6)


def test_top_p_adds_every_kept_token_to_a_running_total_until_it_passes_p(scene_traces, tmp_path):
    scene = render(TopKTopP, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    demo = tr.info["truncation"]
    part, probs = demo["top_p"], tr.info["softmax"]["probs"]
    kept = min(part["kept"], TopKTopP.P_ROWS)
    assert len(scene.kept_bars) == kept  # every kept token drawn (up to P_ROWS)
    assert len(scene.stack) == kept + (part["kept"] > kept)  # a piece of the total each, and one for any more
    if part["kept"] <= TopKTopP.P_ROWS:  # the total passes p at the last kept token, not before
        assert sum(probs[: kept - 1]) < demo["p"] <= sum(probs[:kept]) + 1e-9
        assert sum(probs[:kept]) == pytest.approx(part["kept_mass"], rel=1e-9)
    # renormalised: the total fills the column, and the kept bars keep their shares' ratios
    assert sum(seg.height for seg in scene.stack) == pytest.approx(TopKTopP.STACK_H, rel=1e-3)
    widths = [bar.width for bar in scene.kept_bars]
    assert widths[1] / widths[0] == pytest.approx(probs[1] / probs[0], rel=1e-3)
    assert widths[0] / part["top"][0][1] == pytest.approx(widths[1] / part["top"][1][1], rel=1e-3)
    # every kept piece is blue like the kept bars (grey meant the cut tail), and p has gone once they are the whole
    assert all(seg.get_fill_color() == scene.stack[0].get_fill_color() for seg in scene.stack)
    assert not any(m in scene.mobjects for m in scene.p_mark.get_family())
    if part["kept"] > kept:  # more kept tokens than bars: how many, beside the ⋮, from the Trace
        assert "info.truncation.top_p.kept" in shown_paths(scene)


def test_top_k_stacks_its_kept_shares_and_they_fill_the_column_and_the_draw_overlaps_no_share(scene_traces, tmp_path):
    scene = render(TopKTopP, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    part = tr.info["truncation"]["top_k"]
    segments, full = scene.k_gone
    assert len(segments) == min(part["kept"], len(tr.info["softmax"]["probs"]))
    assert sum(seg.height for seg in segments) == pytest.approx(TopKTopP.STACK_H, rel=1e-3)  # renormalised: all of it
    heights = [seg.height for seg in segments]
    assert heights[1] / heights[0] == pytest.approx(tr.info["softmax"]["probs"][1] / tr.info["softmax"]["probs"][0])
    drawn = scene.drawn
    for row in scene.p_rows.rows:  # the drawn token's name clear of every share and bar written
        for m in (row.bar, *([row.pct] if row.pct in scene.mobjects else [])):
            apart = drawn.get_left()[0] > m.get_right()[0] or abs(drawn.get_y() - m.get_y()) > drawn.height / 2
            assert apart or drawn.get_right()[0] < m.get_left()[0]


def test_recap_shows_the_whole_prompt_and_marks_the_drawn_token_s_bar(scene_traces, tmp_path):
    scene = render(Recap, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    prompt = tr.meta["settings"]["prompt"]
    assert len(prompt) <= 64 and shown_text(scene.prompt) == f"“{prompt}”"
    chosen = tr.info["continuation"]["steps"][0]["chosen_id"]
    ids = [tr.info["softmax"]["ids"][r] for r in scene.ranks]  # the likeliest, and the drawn one if further down
    assert scene.ranks[:-1] == list(range(len(scene.ranks) - 1)) and scene.ranks[-1] >= len(scene.ranks) - 1
    if chosen in tr.info["softmax"]["ids"]:  # the mark is round the drawn token's row
        assert chosen in ids
        row = scene.bars.rows[ids.index(chosen)]
        assert scene.drawn_mark.get_center()[1] == pytest.approx(row.get_center()[1], abs=0.02)
    c = tr.info["continuation"]  # the draw is said random by these odds only when it was: T = 1, no cut
    plain = float(c["temperature"]) == 1.0 and not c.get("top_k") and not c.get("top_p")
    words = " ".join(shown_text(w) for w in scene.drawn[0])
    assert ("random" in words) == plain and ("by these odds" in scene.beats[0]["say"]) == plain


def test_recap_stacks_the_blocks_down_the_road_and_gives_the_drawn_token_its_own_column(scene_traces, tmp_path):
    scene = render(Recap, scene_traces["12-layer"], tmp_path)
    tr = loaded_trace(scene_traces["12-layer"])
    bands = list(scene.band_rows)
    assert [(b.layer, b.kind) for b in bands] == [
        (i, k) for i in range(tr.meta["n_layer"]) for k in ("Attention", "MLP")
    ]
    assert all(a.get_bottom()[1] > b.get_top()[1] for a, b in zip(bands, bands[1:]))  # top to bottom, apart
    for chip in [*scene.boxes, scene.slot]:  # every position, the drawn token's too, passes through every band
        assert bands[0].get_left()[0] < chip.get_x() < bands[0].get_right()[0]
    for col, chip in zip(scene.inputs, scene.boxes):  # each vector under its own token, above the first band
        assert col.get_x() == pytest.approx(chip.get_x()) and col.get_bottom()[1] > bands[0].get_top()[1]
    assert len(scene.outputs) == len(scene.boxes) and scene.outputs.get_top()[1] < bands[-1].get_bottom()[1]
    assert scene.drawn[1].get_center() == pytest.approx(scene.slot.get_center(), abs=1e-6)  # appended in its slot


def test_the_products_laid_end_to_end_make_one_bar_as_long_as_the_logit(scene_traces, tmp_path):
    """The strip's products, laid end to end, end where their sum does: the one bar that flies into the logits
    is as long as the logit on the pieces' own scale, and every piece as long as its product."""
    scene = render(Unembedding, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    strip, (i, _) = scene.strip, scene.product_bars
    pieces = [piece.width for piece in strip.laid]
    scale = pieces[0] / abs(strip.products[0])
    np.testing.assert_allclose(pieces, np.maximum(scale * np.abs(strip.products), 0.002), rtol=1e-6)
    assert strip.sum.width == pytest.approx(max(scale * abs(float(tr["logits"][i])), 0.02), rel=2e-3)
    last = strip.laid[-1]
    end = last.get_left()[0] if strip.products[-1] < 0 else last.get_right()[0]
    assert end == pytest.approx(strip.sum.get_right()[0] if strip.products.sum() >= 0 else strip.sum.get_left()[0])


def test_the_guesses_verdict_follows_the_ranks_and_is_said(scene_traces, tmp_path):
    """Whether every shown guess misses, every one hits, or some do is read from the Trace's ranks (any prompt)."""
    from model.claims import guess_verdict, guesses_read

    for name in ("default", "one-token", "unicode", "long"):  # some prompts have hits, some none, one no guesses
        tr = loaded_trace(scene_traces[name])
        first = max(0, len(tr.token_ids) - 8)
        found = guesses_read(tr, first)
        ranks = [int(tr["positions.next_ranks"][p]) for p in range(first, len(tr.token_ids) - 1)]
        assert found.evidence["ranks"] == ranks
        hits = sum(r == 1 for r in ranks)
        assert ("every guess misses" in found.text) == (hits == 0 < len(ranks))
        assert ("every guess is right" in found.text) == (hits == len(ranks) > 0)
    tr = loaded_trace(scene_traces["default"])
    found = guesses_read(tr, max(0, len(tr.token_ids) - 8))
    assert guess_verdict([4, 2]).startswith("Here every guess misses")
    assert guess_verdict([1, 1]).startswith("Here every guess is right")
    assert "1 of 2 here" in guess_verdict([1, 9])
    scene = render(Unembedding, scene_traces["default"], tmp_path)
    said = " ".join(b["say"] for b in scene.beats)
    assert found.text in said
