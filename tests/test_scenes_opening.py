"""The opening chapter shows the Trace's numbers and tokens, fits the frame, and renders the same twice."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import numpy as np
import pytest

from scenes import style
from scenes.catalog import DEFAULT_TITLE, lecture_plan, road_map
from scenes.components import TransformerStack, fan_arrow
from scenes.opening import InsideTransformer, PredictSampleRepeat, Title
from scenes.voice import sentences
from tests.conftest import PROMPTS
from tests.scenecheck import (
    check_layout,
    check_numbers,
    check_text_size,
    loaded_trace,
    render,
    shown_paths,
    shown_text,
    texts,
)
from tests.test_speech import check_narration

CASES = [(Title, "default"), (Title, "long")]  # the title shows the prompt's last tokens
CASES += [(cls, case) for cls in (PredictSampleRepeat, InsideTransformer) for case in [*PROMPTS, "12-layer"]]


@pytest.mark.parametrize("scene_cls, case", CASES, ids=[f"{c.__name__}-{k}" for c, k in CASES])
def test_scene_shows_the_trace_and_fits(scene_cls, case, scene_traces, tmp_path):
    scene = render(scene_cls, scene_traces[case], tmp_path)
    tr = loaded_trace(scene_traces[case])
    counts = check_numbers(scene, tr)
    assert counts["numbers"] + counts["tokens"] > 0
    check_layout(scene)
    check_narration(scene)  # said as a teacher says it
    said = [b["text"] for b in scene.beats]
    assert all(a != b for a, b in zip(said, said[1:])), said  # no caption repeated beat after beat
    if scene_cls is PredictSampleRepeat:  # a picture (issue 30): legible type, and no sentence said twice
        check_text_size(scene)
        spoken = [s for b in scene.beats for s in sentences(b["say"])]
        assert len(spoken) == len(set(spoken)), spoken
    if scene_cls is Title:  # the prompt's end is on screen, however long it is
        assert ("meta.settings.prompt", "ends64") in scene.prompt.gptanim_numbers  # read before it became tokens
        assert shown_text(scene.prompt).rstrip("”").endswith(tr.prompt[-20:])
        # The road map: the default lecture's parts as cards, a dot per chapter, legible at 480p in large type.
        assert card_headings(scene) == [part for part, _ in road_map()]
        assert [len(card[1][1]) for card in scene.cards_shown] == [len(names) for _, names in road_map()]
        assert shown_text(scene.heading) == DEFAULT_TITLE
        check_text_size(scene)
        shown = " ".join(shown_text(t) for t in texts(scene) if t is not scene.caption).split()
        # words and numbers: a takeaway (the title, the cards, the likeliest next token; the chips keep their shapes)
        assert len([w for w in shown if any(ch.isalnum() for ch in w)]) <= 30


def card_headings(scene) -> list[str]:
    return [" ".join(shown_text(line) for line in card.heading) for card in scene.cards_shown]


def test_title_reads_its_lecture(scene_traces, tmp_path, monkeypatch):
    """The lecture's own title, its road map drawn from its own scenes (one of your own among them, by its title),
    and its narration counting the parts there are."""
    chapters = ["Title", "Tokenization", "EmbeddingMatrix", "NextTokenGuess", "Softmax"]
    titles = ["Welcome", "Tokens", "The embedding matrix", "The model's five guesses", "Softmax"]
    monkeypatch.setenv("GPTANIM_LECTURE", json.dumps(lecture_plan("A lecture of my own", chapters, titles)))
    scene = render(Title, scene_traces["default"], tmp_path)
    assert shown_text(scene.heading) == "A lecture of my own"
    assert card_headings(scene) == ["Tokens become vectors", "The model's five guesses", "From vector to next token"]
    assert [len(card[1][1]) for card in scene.cards_shown] == [2, 1, 1]  # a dot per chapter
    road = scene.beats[-1]["say"]
    assert road.startswith("This lecture has three parts after this one.") and "“The model's five guesses”" in road
    check_layout(scene)
    check_text_size(scene)


def test_predict_sample_repeat_shows_every_generated_token_and_the_last_distribution(scene_traces, tmp_path):
    scene = render(PredictSampleRepeat, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene)
    steps = tr.info["continuation"]["steps"]
    for i in range(len(steps)):
        assert f"info.continuation.steps.{i}.chosen_display" in paths
    last = len(steps) - 1
    drawn = SimpleNamespace(mobjects=[scene.bars_drawn])  # the last bars' words and numbers, gone at the end
    shown = shown_paths(drawn)
    for j in range(min(PredictSampleRepeat.BARS, len(steps[last]["top"]))):
        assert f"info.continuation.steps.{last}.top.{j}.prob" in shown
        assert f"info.continuation.steps.{last}.top.{j}.display" in shown
    assert [shown_text(w) for w in scene.loop_words] == ["predict", "sample", "append", "repeat"]
    # The loop closes: model to bars, bars to wheel, wheel to the text's end, text back into the model
    out, draw, add, back = scene.loop_arrows
    box, wheel = scene.model_box, scene.wheel
    assert (
        np.linalg.norm(out.get_start() - box.get_right()) < 0.2
        and out.get_end()[0] < scene.bars.rows[0].bar.get_left()[0]
    )
    assert (
        np.linalg.norm(draw.get_end() - wheel.centre) < wheel.radius + 0.2
        and draw.get_start()[1] < scene.bars.rows.get_bottom()[1]
    )
    assert np.linalg.norm(add.get_end() - scene.boxes[-1].get_bottom()) < 0.2
    assert np.linalg.norm(back.get_end() - box.get_top()) < 0.2
    for j, name in wheel.names.items():  # every name rode with its slice and stands upright at its middle
        mid = wheel.mids[j] + wheel.turned
        where = name.get_center() - wheel.centre
        assert abs(np.angle(complex(*where[:2]) / complex(np.cos(mid), np.sin(mid)))) < 1e-3
    # The whole vocabulary as a strip: the last step's likeliest tokens lit where their ids sit, brightest the likeliest
    frame, slivers, name = scene.strip
    top = steps[last]["top"][: PredictSampleRepeat.BARS]
    where = [(s.get_x() - frame.get_left()[0]) / frame.width * tr.meta["vocab_size"] - 0.5 for s in slivers]
    assert np.allclose(where, [e["id"] for e in top], atol=tr.meta["vocab_size"] * 1e-3)
    assert slivers[0].get_fill_opacity() == max(s.get_fill_opacity() for s in slivers)
    assert [p for p, _ in name.gptanim_numbers] == ["meta.vocab_size"]
    check_numbers(drawn, tr)  # they were the Trace's
    for i in range(len(tr.token_ids)):
        assert f"info.tokens.display.{i}" in paths


def test_the_wheel_names_its_wide_slices_and_a_space_is_explained(scene_traces, tmp_path):
    """The wheel's wide slices carry their tokens' names (the grey rest says it holds the others); a prompt
    whose tokens show a space as "·" says so, on the first frame the chips are seen, in Title and here."""
    scene = render(PredictSampleRepeat, scene_traces["default"], tmp_path / "psr")
    tr = loaded_trace(scene_traces["default"])
    wheel, last = scene.wheel, len(tr.info["continuation"]["steps"]) - 1
    assert wheel.names, "no slice is named"
    assert wheel.rest.get_fill_color().to_hex() == style.MUTED.to_hex()  # the rest: plain grey
    for j, name in wheel.names.items():
        if j == len(wheel.slices) - 1:  # on one line or two
            assert " ".join(shown_text(t) for t in texts(SimpleNamespace(mobjects=[name]))) == "all others"
        else:
            assert name.gptanim_tokens[0][0] in {f"info.continuation.steps.{last}.top.{j}.display",
                                                 f"info.continuation.steps.{last}.chosen_display"}  # fmt: skip
    assert any("·" in d for d in tr.token_display)  # (the default prompt has spaces)
    ever = [shown_text(t) for t in scene.ever_shown.values()]
    assert "· = space" in ever
    title = render(Title, scene_traces["default"], tmp_path / "title")
    assert "· = space" in [shown_text(t) for t in title.ever_shown.values()]
    # Title: every token of a short prompt as a chip; G, P and T read left to right, each pointing at its part.
    shown = {p for t in title.ever_shown.values() for p, _ in getattr(t, "gptanim_tokens", [])}
    assert {f"info.tokens.display.{i}" for i in range(len(tr.token_ids))} <= shown
    names = title.words[:3]
    assert [shown_text(w) for w in names] == ["Generative", "Pre-trained", "Transformer"]
    assert names[0].get_x() < names[1].get_x() < names[2].get_x()
    assert [p for p, _ in title.written.text.gptanim_tokens] == ["info.continuation.steps.0.chosen_display"]
    parts = [title.written, title.words[3], title.stack]  # the token it wrote, the pages it learned from, its layers
    for pointer, part in zip(title.pointers, parts):
        end = pointer.get_end()
        assert part.get_left()[0] - 0.2 <= end[0] <= part.get_right()[0] + 0.2
        assert abs(end[1] - part.get_bottom()[1]) < 0.3


def test_inside_transformer_ends_on_the_same_probabilities(scene_traces, tmp_path):
    scene = render(InsideTransformer, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene)
    last = len(tr.token_ids) - 1
    assert scene.positions == list(range(len(tr.token_ids)))  # a short prompt is followed whole, as said
    for j in range(InsideTransformer.FINAL_BARS):
        assert f"info.continuation.steps.0.top.{j}.prob" in paths
    for i in range(5):
        assert f"ln_final.hook_normalized[{last},{i}]" in paths
        assert f"blocks.{tr.n_layer - 1}.hook_resid_post[{last},{i}]" in shown_paths(scene, ever=True)
    # One caption per layer: the later layers each say where the last token reads most.
    titles = [b["title"] for b in scene.beats]
    assert titles.count("Layer") == tr.n_layer - 1 and titles.count("Attention") == titles.count("MLP") == 1
    for layer in range(1, tr.n_layer):
        head = InsideTransformer.HEAD
        src = int(np.argmax(tr.pattern(layer, head)[last, : last + 1]))
        assert f"blocks.{layer}.attn.hook_pattern[{head},{last},{src}]" in {
            p for c in scene.captions for p, _ in c.gptanim_numbers
        }


@pytest.mark.parametrize("case", ["default", "long"])
def test_inside_transformer_says_only_percentages_it_shows(case, scene_traces, tmp_path):
    """Every percentage the narration says is written on screen at some point of the scene, the same way."""
    scene = render(InsideTransformer, scene_traces[case], tmp_path)
    on_screen = " ".join(shown_text(t) for t in [*scene.ever_shown.values(), *scene.captions]).replace("<", "under ")
    said = [p for b in scene.beats for p in re.findall(r"(?:under )?\d+(?:\.\d+)?%", b["say"])]
    assert said  # the layers' reads and the final probability are said
    for p in said:
        assert p in on_screen, f"{p} is said but never shown"


def test_attention_arrows_fan_and_block_labels_stand_upright():
    ends = [fan_arrow([x, 0, 0], [5, 0, 0], 0.5, depth=0.15 + 0.1 * (5 - x)) for x in (-5, -2, 1, 3)]
    lowest = [a.get_bottom()[1] for a in ends]
    assert all(b - a > 0.1 for a, b in zip(lowest, lowest[1:]))  # each arc its own depth: no shared baseline
    for n_layer, word in ((2, "Attention"), (4, "A"), (12, "A")):  # the whole word where it fits at 12 px
        stack = TransformerStack(n_layer, max_width=11.5, height=0.7, upright=True)
        text = stack.blocks[0][1]
        assert text.text.strip("|") == word and text.width > text.height  # reads left to right
        assert text.font_size >= TransformerStack.UPRIGHT_MIN_SIZE
        assert (stack.legend is None) == (word == "Attention")


def test_inside_transformer_draws_one_block_pair_per_layer(scene_traces, tmp_path):
    scene = render(InsideTransformer, scene_traces["12-layer"], tmp_path)
    # (by name: the light-theme tests reload scenes.components, so the class may be another copy of it)
    assert type(scene.stack).__name__ == "TransformerStack" and len(scene.stack.blocks) == 24  # (gone at the end)
    assert [b.kind for b in scene.stack.blocks[:4]] == ["Attention", "MLP", "Attention", "MLP"]


def test_same_prompt_and_seed_same_last_frame(scene_traces, tmp_path):
    a = render(PredictSampleRepeat, scene_traces["default"], tmp_path / "a").last_frame
    b = render(PredictSampleRepeat, scene_traces["default"], tmp_path / "b").last_frame
    assert a.shape == b.shape and np.array_equal(a, b)
    assert a.std() > 0  # not a blank frame


def test_spinner_slices_are_the_probabilities_and_each_stops_under_the_pointer():
    from scenes.components import SpinnerWheel

    probs = [0.5, 0.25, 0.1]
    wheel = SpinnerWheel(probs, [style.BAR] * 3, radius=1.0).shift([3, -1, 0])
    widths = [abs(s.angle) for s in wheel.slices]
    assert widths == pytest.approx([2 * np.pi * p for p in [*probs, 0.15]])  # the rest of 1: one grey slice
    for k in (2, 0, 3, 1):  # each slice, from wherever the last spin left the wheel
        angle = wheel.spin_to(k, turns=1)
        assert angle < -2 * np.pi + 1e-9  # clockwise, a whole turn at least
        wheel.disc.rotate(angle, about_point=wheel.centre)
        middle = wheel.slices[k].get_center_of_mass() - wheel.centre  # on the slice's bisector
        assert abs(middle[0]) < 1e-6 and middle[1] > 0  # straight up, under the pointer
    assert wheel.pointer.get_y() > wheel.centre[1] + wheel.radius - 0.15


def test_inside_transformer_lines_are_the_last_layers_weights(scene_traces, tmp_path):
    """The lines between the vectors (attention, the tokens talking) of the last layer: one per token shown, into
    the last one, each read from its pattern entry, as thick as the weight, the two largest labelled."""
    scene = render(InsideTransformer, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    layer, head, last = tr.n_layer - 1, InsideTransformer.HEAD, scene.positions[-1]
    lines, labels = scene.lines
    weights = np.array([tr.pattern(layer, head)[last, pos] for pos in scene.positions])
    top = sorted(np.argsort(-weights, kind="stable")[: InsideTransformer.TOP_LINES])
    assert scene.sources == [scene.positions[k] for k in top]  # only the three largest weights are drawn
    assert [a.gptanim_weight_path for a in lines] == [
        tr.attn.pattern[layer, head, last, pos].path for pos in scene.sources
    ]
    weights = weights[top]
    widths = np.array([a.get_stroke_width() for a in lines])
    assert np.all(np.diff(widths[np.argsort(weights, kind="stable")]) >= -1e-9)  # thicker, the larger the weight
    assert np.allclose(widths - widths.min(), (weights - weights.min()) * (np.ptp(widths) / max(np.ptp(weights), 1e-9)))
    assert [p for t in labels[: len(top)] for p, _ in t.gptanim_numbers] == [
        tr.attn.pattern[layer, head, last, pos].path for pos in scene.sources
    ]
    ends = [a.get_end()[0] for a in lines]  # each arc into its own point under the last token: no shared tip
    assert min(np.diff(sorted(ends)), default=1.0) > 0.05
    for text, k, line in zip(labels, top, lines):  # each weight along its own arc, under it, the source's chip lit
        assert scene.xs[k] - 0.6 <= text.get_x() <= scene.xs[-1] + 0.6
        assert text.get_top()[1] <= line.get_bottom()[1] + 1e-6
    boxes = [(t.get_left()[0], t.get_right()[0], t.get_bottom()[1], t.get_top()[1]) for t in labels[: len(top)]]
    for i, a in enumerate(boxes):  # no weight written over another
        for b in boxes[i + 1 :]:
            assert a[1] <= b[0] or b[1] <= a[0] or a[3] <= b[2] or b[3] <= a[2], (a, b)
    lit = [scene.lit[2 * i].get_center() for i in range(len(top))]
    assert np.allclose(lit, [scene.tokens[k].get_center() for k in top], atol=1e-6)


def test_inside_transformer_mlp_changes_one_vector_at_a_time(scene_traces, tmp_path):
    """The MLP's box visits every vector shown, one after another, and each vector's numbers become the layer's
    output at its own position."""
    scene = render(InsideTransformer, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    assert scene.mlp_visits == scene.positions
    for k, pos in enumerate(scene.positions):
        assert scene.columns[k].entries[0].gptanim_numbers[0][0] == f"blocks.{tr.n_layer - 1}.hook_resid_post[{pos},0]"


@pytest.mark.parametrize("case", ["default", "long"])
def test_inside_transformer_embedding_sum_checks_by_hand(case, scene_traces, tmp_path):
    """The first vector is built as a sum on screen: its shown terms add up to its shown entries, entry by entry,
    as a viewer checks by hand (else the sign says "≈")."""
    scene = render(InsideTransformer, scene_traces[case], tmp_path)
    parts, total, sign = scene.sum_shown

    def read(entry) -> float:
        return float(shown_text(entry).replace("−", "-"))

    if shown_text(sign) == "≈":  # only when no decimals shown would make every entry add up by hand
        from model.formats import adding_digits

        tr = loaded_trace(scene_traces[case])
        p, names = scene.positions[-1], ["hook_embed", "hook_pos_embed"][: len(parts)]
        rows = [
            ([tr[n][p][i] for n in names], tr["blocks.0.hook_resid_pre"][p][i]) for i in range(len(parts[0].entries))
        ]
        for digits in InsideTransformer.DIGITS:
            assert any(adding_digits(terms, total, digits, digits) is None for terms, total in rows)
        return
    assert shown_text(sign) == "="
    for i, entry in enumerate(total.entries):
        terms = [read(part.entries[i]) for part in parts]
        digits = len(shown_text(entry).split(".")[1])
        assert round(sum(terms), digits) == read(entry), (terms, shown_text(entry))
