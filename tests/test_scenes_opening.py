"""The opening chapter shows the Trace's numbers and tokens, fits the frame, and renders the same twice."""

from __future__ import annotations

import numpy as np
import pytest

from model.loading import load
from model.run import TraceSettings, trace
from scenes.opening import InsideTransformer, PredictSampleRepeat, Title
from tests.scenecheck import check_layout, check_numbers, render, shown_paths

PROMPTS = {
    "default": "Once upon a time, a little girl",
    "one-token": "The",
    "unicode": "Crème brûlée 🍮 für 王子 and the 🐺",
    "long": " ".join(["the old king walked into the dark forest and"] * 6),  # about 60 tokens
}


@pytest.fixture(scope="module")
def traces(tmp_path_factory, embedded, deep_gpt2):
    folder = tmp_path_factory.mktemp("traces")
    paths = {}
    for name, prompt in PROMPTS.items():
        paths[name] = trace(TraceSettings(prompt=prompt, generate=6, seed=0), embedded).save(folder / f"{name}.npz")
    deep = load(str(deep_gpt2))
    paths["12-layer"] = trace(TraceSettings(prompt=PROMPTS["default"], generate=4), deep).save(folder / "deep.npz")
    return paths


def loaded_trace(path):
    from model.trace_data import Trace

    return Trace.load(path)


@pytest.mark.parametrize("scene_cls", [Title, PredictSampleRepeat, InsideTransformer])
@pytest.mark.parametrize("case", list(PROMPTS) + ["12-layer"])
def test_scene_shows_the_trace_and_fits(scene_cls, case, traces, tmp_path):
    if scene_cls is Title and case not in ("default", "long"):
        pytest.skip("the title shows the prompt only in its footer")
    scene = render(scene_cls, traces[case], tmp_path)
    tr = loaded_trace(traces[case])
    counts = check_numbers(scene, tr)
    assert counts["numbers"] + counts["tokens"] > 0
    check_layout(scene)


def test_predict_sample_repeat_shows_every_generated_token_and_the_last_distribution(traces, tmp_path):
    scene = render(PredictSampleRepeat, traces["default"], tmp_path)
    tr = loaded_trace(traces["default"])
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


def test_inside_transformer_ends_on_the_same_probabilities(traces, tmp_path):
    scene = render(InsideTransformer, traces["default"], tmp_path)
    tr = loaded_trace(traces["default"])
    paths = shown_paths(scene)
    last = len(tr.token_ids) - 1
    for j in range(8):
        assert f"info.continuation.steps.0.top.{j}.prob" in paths
    for i in range(5):
        assert f"ln_final.hook_normalized[{last},{i}]" in paths
        assert f"blocks.{tr.n_layer - 1}.hook_resid_post[{last},{i}]" in paths


def test_inside_transformer_draws_one_block_pair_per_layer(traces, tmp_path):
    scene = render(InsideTransformer, traces["12-layer"], tmp_path)
    stacks = [m for m in scene.mobjects if m.__class__.__name__ == "TransformerStack"]
    assert len(stacks) == 1 and len(stacks[0].blocks) == 24
    assert [b.kind for b in stacks[0].blocks[:4]] == ["Attention", "MLP", "Attention", "MLP"]


def test_same_prompt_and_seed_same_last_frame(traces, tmp_path):
    a = render(PredictSampleRepeat, traces["default"], tmp_path / "a").last_frame
    b = render(PredictSampleRepeat, traces["default"], tmp_path / "b").last_frame
    assert a.shape == b.shape and np.array_equal(a, b)
    assert a.std() > 0  # not a blank frame
