"""The lecture on other families: every scene's last frame for a Llama model, the scenes whose words differ
for GPT-NeoX; each shows the Trace's numbers, says the family's words and fits the frame."""

from __future__ import annotations

import importlib

import pytest

from scenes.catalog import SCENES
from tests.scenecheck import check_layout, check_numbers, loaded_trace, render, shown_text, texts

WORDED = ["InsideTransformer", "ContextEmbedding", "WeightsAndData", "ParameterTally", "MLPBlock", "Unembedding"]
# Words another family would say: never on screen for this one.
FOREIGN = {"llama": ["LayerNorm", "GELU", "position's vector"], "gpt_neox": ["RMSNorm", "SwiGLU", "position's vector"]}
CASES = [("llama", e) for e in SCENES] + [("gpt_neox", e) for e in SCENES if e.name in WORDED]


@pytest.mark.parametrize("kind, entry", CASES, ids=[f"{k}-{e.name}" for k, e in CASES])
def test_scene_renders_on_the_family(kind, entry, family_traces, tmp_path):
    scene_cls = getattr(importlib.import_module(f"scenes.{entry.module}"), entry.name)
    scene = render(scene_cls, family_traces[kind], tmp_path)
    check_numbers(scene, loaded_trace(family_traces[kind]))
    check_layout(scene)
    shown = " ".join(shown_text(x) for x in [*texts(scene), *scene.captions])
    for word in FOREIGN[kind]:
        assert word not in shown
    if entry.name == "MLPBlock":
        assert loaded_trace(family_traces[kind]).words["activation"] in shown
    if entry.name in ("MLPBlock", "InsideTransformer"):
        assert ("parallel residual" in shown) is (kind == "gpt_neox")
    if entry.name == "ContextEmbedding":
        assert "rotary" in shown
