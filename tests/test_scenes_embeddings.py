"""Tokens and embeddings scenes show the Trace's tokens, ids, W_E columns, cosines and logit lens."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from scenes.embeddings import (
    ContextEmbedding,
    EmbeddingMatrix,
    EmbeddingSpace,
    Tokenization,
    boxes_meet,
    segments_meet_boxes,
)
from tests.scenecheck import (
    MIN_CAP_PX,
    PICTURE_CAP_PX,
    check_caption_clear,
    check_layout,
    check_numbers,
    check_text_size,
    loaded_trace,
    render,
    shown_paths,
)
from tests.test_speech import check_narration


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
    picture = (Tokenization, ContextEmbedding, EmbeddingMatrix)  # redrawn as pictures: issue 30's larger type
    check_text_size(scene, PICTURE_CAP_PX if scene_cls in picture else MIN_CAP_PX)  # legible
    check_caption_clear(scene)
    check_narration(scene)  # said as a teacher says it


def test_tokenization_shows_every_token_with_its_id(scene_traces, tmp_path):
    scene = render(Tokenization, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene)
    for i in range(len(tr.token_ids)):
        assert f"info.tokens.ids.{i}" in paths and f"info.tokens.display.{i}" in paths
    assert "meta.vocab_size" in paths
    split = tr.info["split_words"]
    source = "from_prompt" if split["from_prompt"] else "examples"
    split_lines = SimpleNamespace(mobjects=[scene.split_lines])  # drawn, then given way to other languages
    check_numbers(split_lines, tr)
    assert f"info.split_words.{source}.0.pieces.1.display" in shown_paths(split_lines)
    # One sentence in other languages, cut by the same tokenizer, with the statement comparing the counts (drawn,
    # then given way to the vocabulary).
    languages = SimpleNamespace(mobjects=[scene.language_block])
    check_numbers(languages, tr)
    paths = shown_paths(languages)
    for j in range(len(tr.info["other_languages"])):
        assert f"info.other_languages.{j}.language" in paths and f"info.other_languages.{j}.pieces.0.display" in paths
        if j:
            assert f"claims.languages.{j}" in paths


def test_embedding_matrix_column_is_the_token_vector(scene_traces, tmp_path):
    scene = render(EmbeddingMatrix, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    check_numbers(scene, tr, ever=True)  # every number it showed and took away, too
    paths, last = shown_paths(scene, ever=True), shown_paths(scene)
    n, rows = len(tr.token_ids), EmbeddingMatrix.ROWS
    assert scene.drawn == list(range(n))  # a short prompt: every token, and the column of each of its ids
    assert scene.ids == sorted(set(tr.token_ids))
    ids = tr.info["embedding_slice_ids"]
    for p in range(n):  # each token's column of W_E, with its id above, becomes its vector: the same numbers
        col = ids.index(tr.token_ids[p])
        assert f"info.embedding_slice_ids.{col}" in paths and f"info.vocab_display.{tr.token_ids[p]}" in last
        for i in range(rows):
            assert f"weights.W_E_slice[{col},{i}]" in paths and f"hook_embed[{p},{i}]" in paths
            assert tr["weights.W_E_slice"][col, i] == tr["hook_embed"][p, i]
        assert f"info.tokens.display.{p}" in last  # the prompt's chips stay, under their vectors
    assert {"meta.d_model", "meta.vocab_size"} <= last  # W_E's real size stays beside it
    # The one-hot answer: the model's own product over the whole vocabulary, beside the lookup, and the statement.
    for i in range(rows):
        assert f"one_hot.product[0,{i}]" in paths
    assert "claims.one_hot.same" in paths
    one_hot = [c for c in scene.captions if "Is there a one-hot step" in c.gptanim_text]
    assert one_hot and ("meta.vocab_size", "comma") in one_hot[0].gptanim_numbers
    product = [c for c in scene.captions if "one-hot vector" in c.gptanim_text]
    assert product and str(tr.token_ids[0]) in product[0].gptanim_text
    # The last frame is the picture, not the working: the numbers have become squares of their colours.
    assert not any(p.startswith(("weights.W_E_slice", "hook_embed", "one_hot")) for p in last)
    assert len(scene.cells) == rows * (len(scene.ids) + n)


def test_context_embedding_ends_on_the_logit_lens(scene_traces, tmp_path):
    scene = render(ContextEmbedding, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene)
    for s in range(tr.n_layer + 1):
        assert f"logit_lens.top_probs[{s},0]" in paths
    assert len(scene.places) == len(tr.token_ids)  # a short prompt's every place is counted, as the voice counts
    # The context size, with GPT-3's beside it as a reference figure, was drawn (it gives way to the lens).
    notes = [m for m in scene.size_group if hasattr(m, "gptanim_numbers")]
    assert {"meta.n_ctx", "info.gpt3.dims.n_ctx"} <= {p for note in notes for p, _ in note.gptanim_numbers}
    words = " ".join(note.gptanim_text for note in notes)
    assert f"{tr.meta['n_ctx']:,} positions" in words and "2,048" in words


def test_embedding_space_shows_the_real_analogy_and_directions(scene_traces, tmp_path):
    scene = render(EmbeddingSpace, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene)
    geo = tr.info["geometry"]
    assert geo["analogies"][0]["expression"] == "king − man + woman"
    assert {"claims.geometry.negative", "claims.geometry.pairs", "claims.geometry.dots.0"} <= paths
    assert "info.geometry.dots.0.dot" in paths
    # Every beat's words were drawn and checked: the axes' shares, the arrows' names, the neighbours, the
    # analogy, the plural direction and one…four along it (earlier panels are among the captions' checks).
    for group in scene.drawn:  # each checked against the Trace as the last frame is
        check_numbers(SimpleNamespace(mobjects=[group]), tr)
    drawn = {p for group in scene.drawn for p in shown_paths(SimpleNamespace(mobjects=[group]))}
    for i in range(3):
        assert f"info.geometry.pca_explained.{i}" in drawn
    assert {"claims.geometry.gender.picture", "claims.geometry.analogies.0.rank", "info.geometry.plural.in_view",
            "claims.geometry.plural.numbers"} <= drawn  # fmt: skip
    for j in range(5):
        assert f"info.geometry.neighbours.king.{j}.cosine" in drawn
        assert f"info.geometry.analogies.0.nearest.{j}.cosine" in drawn
    for j in range(len(geo["plural"]["numbers"])):
        assert f"info.geometry.plural.numbers.{j}.projection" in drawn
    # Every set of labels the scene shows, placed where the camera projects their 3-D anchors, at the angles of
    # the turn as rendered and all round: no two labels' boxes meet, none leaves the frame or enters the panel.
    orbit = scene.orbit
    start, end = -60 * np.pi / 180, orbit.theta.get_value()
    assert end > start + 0.5  # the camera really turned
    angles = [*np.linspace(start, end, 12), *np.linspace(0, 2 * np.pi, 13)[:-1]]
    half_w, half_h = scene.frame_size[0] / 2, scene.frame_size[1] / 2
    assert len(scene.label_sets) >= 4 and max(len(s) for s in scene.label_sets) >= 7
    placed = covering = 0  # labels, and those over a word's point or a line (axis, arrow), of all the scene's
    for labels in scene.label_sets:
        for x in (0.0, scene.PANEL_LEFT - 0.45 - scene.HALF_WIDTH):  # centred, then beside the panel
            orbit.x.set_value(x)
            for theta in angles:
                scene.place_labels(labels, theta)
                points = orbit.project_all(scene.positions(), theta)
                ends = [segment(theta) for segment in scene.segments]
                starts, stops = np.array([e[0] for e in ends]), np.array([e[1] for e in ends])
                for a in labels:
                    left, right, bottom, top = a.get_left()[0], a.get_right()[0], a.get_bottom()[1], a.get_top()[1]
                    over_point = ((points[:, 0] > left) & (points[:, 0] < right) & (points[:, 1] > bottom)
                                  & (points[:, 1] < top)).any()  # fmt: skip
                    over_line = segments_meet_boxes(starts, stops, np.array([[left, right, bottom, top]])).any()
                    placed += 1
                    covering += bool(over_point or over_line)
                for i, a in enumerate(labels):
                    assert -half_w < a.get_left()[0] and a.get_right()[0] < half_w
                    assert -half_h < a.get_bottom()[1] and a.get_top()[1] < half_h
                    if x < 0:
                        assert a.get_right()[0] < scene.PANEL_LEFT
                    for b in labels[i + 1 :]:
                        assert not boxes_meet(a, b), f"{a.text} and {b.text} collide at theta {theta:.2f}"
    # Kept off the points and lines where the view leaves room: placed just above its anchor, a label covered a
    # point in about a third of these cases and a line in about two thirds; in the clearest slot, about 1 in 20.
    assert covering < 0.15 * placed, f"{covering} of {placed} labels over a point or a line"


def test_embedding_space_moves_in_on_the_four_words(scene_traces, tmp_path):
    """For the directions and the analogy the camera moves in on king, queen, man and woman (and the analogy's
    sum): magnified, they and their labels stay in the view at every angle of the turn."""
    scene = render(EmbeddingSpace, scene_traces["default"], tmp_path)
    orbit, geo = scene.orbit, scene.trace.info["geometry"]
    words = geo["analogies"][0]["words"][:4]
    assert orbit.near.get_value() == 0.0  # back to the whole cloud by the end
    assert orbit.reach > 1.5  # the four words lie close together in this model: the view really moved in
    orbit.near.set_value(1.0)
    whole = {}
    for x in (0.0, scene.PANEL_LEFT - 0.45 - scene.HALF_WIDTH):
        orbit.x.set_value(x)
        left, right, bottom, top = scene.view_box()
        for theta in np.linspace(0, 2 * np.pi, 13)[:-1]:
            seen = orbit.project_all(np.array([scene.point(w) for w in words]), theta)
            assert ((seen[:, 0] > left) & (seen[:, 0] < right) & (seen[:, 1] > bottom) & (seen[:, 1] < top)).all()
            whole[theta] = seen
    orbit.near.set_value(0.0)
    for theta, seen in whole.items():  # woman − man, drawn longer than in the whole cloud
        far = orbit.project_all(np.array([scene.point(w) for w in words]), theta)
        assert np.linalg.norm(seen[2] - seen[0]) > 1.4 * np.linalg.norm(far[2] - far[0])
