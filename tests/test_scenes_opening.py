"""The opening chapter shows the Trace's numbers and tokens, fits the frame, and renders the same twice."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.catalog import readable_title, road_map
from scenes.components import TransformerStack, fan_arrow
from scenes.opening import InsideTransformer, PredictSampleRepeat, Title
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

CASES = [(Title, "default"), (Title, "long")]  # the title shows the prompt only in its footer
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
    if scene_cls is Title:  # the prompt's end is on screen, however long it is
        prompt = [t for t in texts(scene) if ("meta.settings.prompt", "ends64") in getattr(t, "gptanim_numbers", [])]
        assert prompt and shown_text(prompt[0]).rstrip("”").endswith(tr.prompt[-20:])
        # The road map: every chapter of the lecture after the title, in order, legible at 480p.
        assert [shown_text(c) for c in scene.chapters] == [readable_title(n) for _, ns in road_map() for n in ns]
        assert all(c in texts(scene) for c in scene.chapters)
        check_text_size(scene)


def test_predict_sample_repeat_shows_every_generated_token_and_the_last_distribution(scene_traces, tmp_path):
    scene = render(PredictSampleRepeat, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene)
    steps = tr.info["continuation"]["steps"]
    for i in range(len(steps)):
        assert f"info.continuation.steps.{i}.chosen_display" in paths
    last = len(steps) - 1
    for j in range(min(8, len(steps[last]["top"]))):
        assert f"info.continuation.steps.{last}.top.{j}.prob" in paths
        assert f"info.continuation.steps.{last}.top.{j}.display" in paths
    for i in range(len(tr.token_ids)):
        assert f"info.tokens.display.{i}" in paths


def test_inside_transformer_ends_on_the_same_probabilities(scene_traces, tmp_path):
    scene = render(InsideTransformer, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene)
    last = len(tr.token_ids) - 1
    assert scene.positions == list(range(len(tr.token_ids)))  # a short prompt is followed whole, as said
    for j in range(8):
        assert f"info.continuation.steps.0.top.{j}.prob" in paths
    for i in range(5):
        assert f"ln_final.hook_normalized[{last},{i}]" in paths
        assert f"blocks.{tr.n_layer - 1}.hook_resid_post[{last},{i}]" in paths
    # One caption per layer: the later layers each say where the last token reads most.
    titles = [b["title"] for b in scene.beats]
    assert titles.count("Layer") == tr.n_layer - 1 and titles.count("Attention") == titles.count("MLP") == 1
    for layer in range(1, tr.n_layer):
        head = InsideTransformer.HEAD
        src = int(np.argmax(tr.pattern(layer, head)[last, : last + 1]))
        assert f"blocks.{layer}.attn.hook_pattern[{head},{last},{src}]" in {
            p for c in scene.captions for p, _ in c.gptanim_numbers
        }


def test_attention_arrows_fan_and_block_labels_stand_upright():
    ends = [fan_arrow([x, 0, 0], [5, 0, 0], 0.5, depth=0.15 + 0.1 * (5 - x)) for x in (-5, -2, 1, 3)]
    lowest = [a.get_bottom()[1] for a in ends]
    assert all(b - a > 0.1 for a, b in zip(lowest, lowest[1:]))  # each arc its own depth: no shared baseline
    for n_layer, word in ((4, "Attention"), (12, "A")):
        stack = TransformerStack(n_layer, max_width=11.5, height=0.7, upright=True)
        text = stack.blocks[0][1]
        assert text.text.strip("|") == word and text.width > text.height  # reads left to right
        assert text.font_size >= TransformerStack.UPRIGHT_MIN_SIZE
        assert (stack.legend is None) == (word == "Attention")


def test_inside_transformer_draws_one_block_pair_per_layer(scene_traces, tmp_path):
    scene = render(InsideTransformer, scene_traces["12-layer"], tmp_path)
    stacks = [m for m in scene.mobjects if m.__class__.__name__ == "TransformerStack"]
    assert len(stacks) == 1 and len(stacks[0].blocks) == 24
    assert [b.kind for b in stacks[0].blocks[:4]] == ["Attention", "MLP", "Attention", "MLP"]


def test_same_prompt_and_seed_same_last_frame(scene_traces, tmp_path):
    a = render(PredictSampleRepeat, scene_traces["default"], tmp_path / "a").last_frame
    b = render(PredictSampleRepeat, scene_traces["default"], tmp_path / "b").last_frame
    assert a.shape == b.shape and np.array_equal(a, b)
    assert a.std() > 0  # not a blank frame
