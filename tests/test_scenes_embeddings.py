"""Tokens and embeddings scenes show the Trace's tokens, ids, W_E columns, cosines and logit lens."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.embeddings import ContextEmbedding, EmbeddingMatrix, EmbeddingSpace, Tokenization, boxes_meet
from tests.scenecheck import (
    check_caption_clear,
    check_layout,
    check_numbers,
    check_text_size,
    loaded_trace,
    render,
    shown_paths,
)


@pytest.mark.parametrize("scene_cls", [Tokenization, EmbeddingMatrix, ContextEmbedding, EmbeddingSpace])
@pytest.mark.parametrize("case", ["default", "long", "unicode", "12-layer"])
def test_scene_shows_the_trace_and_fits(scene_cls, case, scene_traces, tmp_path):
    scene = render(scene_cls, scene_traces[case], tmp_path)
    tr = loaded_trace(scene_traces[case])
    counts = check_numbers(scene, tr)
    if scene_cls is EmbeddingSpace and len(tr.info["geometry"]["pca_words"]) < 4:
        assert counts["numbers"] + counts["tokens"] == 0  # a vocabulary without words: nothing is invented
    else:
        assert counts["numbers"] + counts["tokens"] > 3
    check_layout(scene)
    if scene_cls in (Tokenization, EmbeddingMatrix, ContextEmbedding):  # reworked: legible, captions over nothing
        check_text_size(scene)
        check_caption_clear(scene)


def test_tokenization_shows_every_token_with_its_id(scene_traces, tmp_path):
    scene = render(Tokenization, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene)
    for i in range(len(tr.token_ids)):
        assert f"info.tokens.ids.{i}" in paths and f"info.tokens.display.{i}" in paths
    assert "meta.vocab_size" in paths
    split = tr.info["split_words"]
    source = "from_prompt" if split["from_prompt"] else "examples"
    assert f"info.split_words.{source}.0.pieces.1.display" in paths


def test_embedding_matrix_column_is_the_token_vector(scene_traces, tmp_path):
    scene = render(EmbeddingMatrix, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene)
    col = tr.info["embedding_slice_ids"].index(tr.token_ids[0])
    for i in range(7):
        assert f"weights.W_E_slice[{col},{i}]" in paths and f"hook_embed[0,{i}]" in paths
        assert tr["weights.W_E_slice"][col, i] == tr["hook_embed"][0, i]
    looked_up = [p for p in range(len(tr.token_ids)) if tr.token_ids[p] in tr.info["embedding_slice_ids"][:7]]
    assert len(looked_up) > 1  # the lookup happens for several of the prompt's tokens, not one
    for p in looked_up[: EmbeddingMatrix.MAX_LOOKUPS]:
        assert f"hook_embed[{p},0]" in paths and f"info.tokens.display.{p}" in paths
    # The one-hot beat names the token's real id and the vocabulary's size.
    one_hot = [c for c in scene.captions if "Is there a one-hot step" in c.gptanim_text]
    assert one_hot and ("meta.vocab_size", "comma") in one_hot[0].gptanim_numbers
    product = [c for c in scene.captions if "one-hot vector" in c.gptanim_text]
    assert product and str(tr.token_ids[0]) in product[0].gptanim_text


def test_context_embedding_ends_on_the_logit_lens(scene_traces, tmp_path):
    scene = render(ContextEmbedding, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene)
    for s in range(tr.n_layer + 1):
        assert f"logit_lens.top_probs[{s},0]" in paths
    # The context size, with GPT-3's beside it as a reference figure, was drawn (it gives way to the lens).
    note = scene.size_group[-1]
    assert {"meta.n_ctx", "info.gpt3.dims.n_ctx"} <= {p for p, _ in note.gptanim_numbers}
    assert f"{tr.meta['n_ctx']:,} positions" in note.gptanim_text and "2,048" in note.gptanim_text


def test_embedding_space_shows_the_real_analogy_and_directions(scene_traces, tmp_path):
    scene = render(EmbeddingSpace, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene)
    geo = tr.info["geometry"]
    assert geo["analogies"][0]["expression"] == "king − man + woman"
    assert {"claims.geometry.analogies.0.rank", "info.geometry.plural.held_out_accuracy"} <= paths
    assert {"claims.geometry.gender.picture", "claims.geometry.pairs", "claims.geometry.dots.0"} <= paths
    for j in range(5):
        assert f"info.geometry.analogies.0.nearest.{j}.cosine" in paths
    assert "info.geometry.dots.0.dot" in paths
    # The word labels, placed where the camera projects their points, never collide as the camera turns.
    camera = scene.renderer.camera
    for theta in np.linspace(0, 2 * np.pi, 9)[:-1]:
        for phi in (60, 75):
            camera.set_theta(theta)
            camera.set_phi(phi * np.pi / 180)
            scene.place_labels()
            words = list(scene.word_labels)
            assert len(words) >= 4
            for i, a in enumerate(words):
                for b in words[i + 1 :]:
                    assert not boxes_meet(a, b), f"{a.text} and {b.text} collide at theta {theta:.2f}, phi {phi}"
