"""Tokens and embeddings scenes show the Trace's tokens, ids, W_E columns and cosines."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from scenes.embeddings import (
    ContextEmbedding,
    EmbeddingMatrix,
    EmbeddingSpace,
    Tokenization,
    adds_up,
    boxes_meet,
    drift_words,
    segments_meet_boxes,
    shown_sum,
)
from scenes.speech import dec
from tests.scenecheck import (
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
    check_text_size(scene)  # legible from the back of a room
    check_caption_clear(scene)
    check_narration(scene)  # said as a teacher says it


def test_tokenization_shows_every_token_with_its_id(scene_traces, tmp_path):
    scene = render(Tokenization, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths, ever = shown_paths(scene), shown_paths(scene, ever=True)
    for i in range(len(tr.token_ids)):  # each id was shown under its token, then went to its place in the vocabulary
        assert f"info.tokens.ids.{i}" in ever and f"info.tokens.display.{i}" in paths
    assert "meta.vocab_size" in paths
    marks = [-tick.get_y() for tick in scene.ticks]  # a slot per token, in the list top down in the order of ids
    assert len(marks) == len(tr.token_ids)
    for a, b in zip(np.argsort(marks, kind="stable"), np.argsort(tr.token_ids, kind="stable")):
        assert tr.token_ids[a] == tr.token_ids[b]
    split = tr.info["split_words"]
    source = "from_prompt" if split["from_prompt"] else "examples"
    split_lines = SimpleNamespace(mobjects=[scene.split_lines])  # drawn, then given way to other languages
    check_numbers(split_lines, tr)
    assert f"info.split_words.{source}.0.pieces.1.display" in shown_paths(split_lines)
    # One sentence in other languages, cut by the same tokenizer: its first pieces as chips, which become a bar of
    # one cell a piece, the count at its end (drawn, then given way to the vocabulary); the statement comparing the
    # counts is the caption of each other language's beat.
    languages = SimpleNamespace(mobjects=[scene.language_block])
    check_numbers(languages, tr)
    paths, ever = shown_paths(languages), shown_paths(scene, ever=True)
    said = {p for c in scene.captions for p, _ in getattr(c, "gptanim_numbers", [])}
    for j, line in enumerate(tr.info["other_languages"]):
        assert f"info.other_languages.{j}.language" in paths and f"info.other_languages.{j}.pieces" in paths
        assert f"info.other_languages.{j}.pieces.0.display" in ever
        name, text, cells, count = scene.language_block[j]
        assert len(cells) == len(line["pieces"]) and line["text"] in text.gptanim_text
        if j:
            assert f"claims.languages.{j}" in said
            assert cells.width > scene.language_block[0][2].width or len(line["pieces"]) <= len(
                tr.info["other_languages"][0]["pieces"]
            )


def test_tokenization_language_rows_show_every_piece_or_end_in_an_ellipsis(scene_traces, tmp_path):
    """A row never shows fewer pieces than its count says without a "…" mark at its end, and no chips overlap."""
    scene = render(Tokenization, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    for j, line in enumerate(tr.info["other_languages"]):
        name, text, chips, cells, count, more = scene.language_rows_drawn[j]
        assert len(chips) >= 1
        if len(chips) < len(line["pieces"]):
            assert len(more) == 1 and "…" in more[0].gptanim_text
            assert more.get_left()[0] > chips[-1].get_right()[0]  # the mark ends the row
        else:
            assert len(chips) == len(line["pieces"]) and len(more) == 0
        for a, b in zip(chips, chips[1:]):  # side by side (or on the next line), never overlapping
            assert b.get_left()[0] > a.get_right()[0] or b.get_y() < a.get_y() - 0.1
        assert len(chips) == len(line["pieces"]) or len({round(c.get_y(), 2) for c in chips}) == Tokenization.LINES


def test_embedding_matrix_column_is_the_token_vector(scene_traces, tmp_path):
    scene = render(EmbeddingMatrix, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    check_numbers(scene, tr, ever=True)  # every number it showed and took away, too
    paths, last = shown_paths(scene, ever=True), shown_paths(scene)
    n, rows = len(tr.token_ids), EmbeddingMatrix.ROWS
    k = len(scene.drawn)  # the first tokens whose columns fit beside the one-hot column
    assert scene.drawn == list(range(k)) and min(n, 6) <= k <= n
    assert scene.ids == sorted(set(tr.token_ids[:k]))
    ids = tr.info["embedding_slice_ids"]
    for p in scene.drawn:  # each drawn token's column of W_E, with its id above, becomes its vector: the same numbers
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
    one_hot = [c for c in scene.captions if "One-hot:" in c.gptanim_text]
    assert one_hot and ("meta.vocab_size", "comma") in one_hot[0].gptanim_numbers
    product = [c for c in scene.captions if "one-hot vector" in c.gptanim_text]
    assert product and str(tr.token_ids[0]) in product[0].gptanim_text
    # The last frame is the picture, not the working: the numbers have become squares of their colours.
    assert not any(p.startswith(("weights.W_E_slice", "hook_embed", "one_hot")) for p in last)
    assert len(scene.cells) == rows * (len(scene.ids) + k)


def test_context_embedding_ends_on_the_two_contexts(scene_traces, tmp_path):
    scene = render(ContextEmbedding, scene_traces["default"], tmp_path)
    tr = loaded_trace(scene_traces["default"])
    paths, ever = shown_paths(scene), shown_paths(scene, ever=True)
    for s in range(tr.n_layer + 1):  # one idea to the end: the same token's two vectors, each stage's cosine
        assert f"info.context_pair.cosines.{s}" in ever
    assert f"info.context_pair.cosines.{tr.n_layer}" in paths  # the last frame: where the two vectors ended
    # The token columns' cosine (1) is named as theirs; the vectors that go in, with their positions, have their own.
    assert "info.context_pair.input_cosine" in ever
    assert {"info.context_pair.positions.0", "info.context_pair.positions.1"} <= ever
    said = " ".join(b["say"] for b in scene.beats)
    assert dec(tr.info["context_pair"]["input_cosine"], 2) in said and "token columns are the same" in said
    assert not any(p.startswith("logit_lens") for p in ever)  # the lens is not this scene's
    # Both texts whole, as they fit: nothing is cut with an ellipsis.
    words = " ".join(c.gptanim_text for c in scene.contexts)
    assert tr.meta["settings"]["prompt"] in words and tr.info["context_pair"]["other_prompt"] in words
    assert len(scene.places) == len(tr.token_ids)  # a short prompt's every place is counted, as the voice counts
    # The context size, with GPT-3's beside it as a reference figure, was drawn (it gives way to the contexts).
    notes = [m for m in scene.size_group if hasattr(m, "gptanim_numbers")]
    assert {"meta.n_ctx", "info.gpt3.dims.n_ctx"} <= {p for note in notes for p, _ in note.gptanim_numbers}
    words = " ".join(note.gptanim_text for note in notes)
    assert f"{tr.meta['n_ctx']:,} positions" in words and "2,048" in words


@pytest.mark.parametrize("case", ["default", "long", "unicode"])
def test_context_embedding_sum_adds_up_as_shown(case, scene_traces, tmp_path):
    scene = render(ContextEmbedding, scene_traces[case], tmp_path)
    tok, _, pos, _, total = scene.cols  # token column + position column = the vector that goes in, row by row
    rows = [[e.gptanim_text for e in c.entries] for c in (tok, pos, total)]
    assert len(rows[0]) == len(rows[2]) > 0
    for a, b, s in zip(*rows):  # the written terms add to the written sum, or the sum is marked as approximate
        assert adds_up([a, b], s) or scene.sum_sign == "≈"


def test_shown_sum_takes_more_decimals_when_the_rounded_terms_do_not_add_up():
    terms, total = [np.array([-0.0961, 0.0247]), np.array([0.0114, 0.0200])], np.array([-0.0847, 0.0447])
    assert shown_sum(terms, total) == ("value3", "=")  # −0.10 + 0.01 ≠ −0.08, but −0.096 + 0.011 = −0.085
    assert shown_sum([np.array([0.21]), np.array([0.10])], np.array([0.31])) == ("value", "=")
    assert shown_sum([np.array([0.0045]), np.array([0.0045])], np.array([0.009]))[1] == "≈"  # 0.004 + 0.004


@pytest.mark.parametrize(
    "going_in, layers",
    [
        (0.92, [0.96, 0.94, 0.79]),  # a layer brings them closer, they end further apart
        (0.92, [0.90, 0.85, 0.79]),  # every layer pushes them apart
        (0.80, [0.70, 0.85, 0.90]),  # they end closer
        (0.80, [0.81, 0.799]),  # as close as they went in (at the 2 decimals shown)
    ],
)
def test_context_embedding_drift_words_follow_the_cosines(going_in, layers):
    caption, said = drift_words(going_in, layers)
    shown = [round(c, 2) for c in [going_in, *layers]]
    ends = "apart" if shown[-1] < shown[0] else "closer" if shown[-1] > shown[0] else "as close"
    assert ends in caption and ends in said  # the takeaway: where they end against where they began
    assert "{a} in, {b} out" in caption and f"{dec(going_in, 2)} going in, {dec(layers[-1], 2)} coming out" in said
    if shown[-1] >= shown[0]:
        assert "apart" not in caption + said


@pytest.fixture(scope="module")
def space(scene_traces, tmp_path_factory):
    """EmbeddingSpace rendered once for the tests below (each sets the camera's state it checks)."""
    scene = render(EmbeddingSpace, scene_traces["default"], tmp_path_factory.mktemp("space"))
    scene.end_view = scene.view_state()  # (angle, slide, zoom) as the scene ended
    return scene


def test_embedding_space_shows_the_real_analogy_and_directions(space, scene_traces):
    scene = space
    tr = loaded_trace(scene_traces["default"])
    paths = shown_paths(scene)
    geo = tr.info["geometry"]
    assert geo["analogies"][0]["expression"] == "king − man + woman"
    assert "claims.geometry.plural.numbers" in paths  # the takeaway, on the last frame: one to four along plurals
    # the pairs' dot products come early (before cosine ranks neighbours), their verdict said and shown then
    assert {"claims.geometry.negative", "claims.geometry.pairs"} <= shown_paths(scene, ever=True)
    said = [b["title"] for b in scene.beats]
    assert said.index("More pairs") < said.index("Neighbours")
    # Every beat's words were drawn and checked: the axes' shares, the arrows' names, the neighbours, the
    # analogy, the plural direction, one…four along it and each pair's dot product with its alignment.
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
    for j in range(len(geo["dots"])):
        assert {f"info.geometry.dots.{j}.dot", f"claims.geometry.dots.{j}"} <= drawn
    # the dot product worked with real entries: a few products (each its two entries multiplied), the sum of all,
    # and that sum over the two lengths: the cosine the neighbours list gives the same pair
    ex = geo["example"]
    for i in range(len(ex["dims"])):
        assert {f"info.geometry.example.{k}.{i}" for k in ("a_entries", "b_entries", "products")} <= drawn
        assert ex["products"][i] == pytest.approx(ex["a_entries"][i] * ex["b_entries"][i])
    assert {"info.geometry.example.dot", "info.geometry.example.cosine"} <= drawn
    listed = next(n["cosine"] for n in geo["neighbours"][ex["a"]] if n["word"] == ex["b"])
    assert ex["cosine"] == pytest.approx(ex["dot"] / (ex["norm_a"] * ex["norm_b"])) == pytest.approx(listed)


def test_embedding_space_draws_the_worked_pair_at_its_angle(space):
    """While the worked dot product is shown, its two words are two long arrows from one origin, at the angle their
    cosine gives (in degrees beside the arc, read from the Trace's cosine), each named at its tip."""
    ex = space.trace.info["geometry"]["example"]
    _, first, second, a_name, b_name, _, angle = space.flat
    u, v = (arrow.get_end() - arrow.get_start() for arrow in (first, second))
    assert np.allclose(first.get_start(), second.get_start())
    drawn = np.arccos(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))
    assert drawn == pytest.approx(np.arccos(ex["cosine"]), abs=1e-3) and min(map(np.linalg.norm, (u, v))) > 3.0
    assert angle.gptanim_numbers == [("info.geometry.example.cosine", "angle")]
    assert angle.gptanim_text == f"{np.degrees(np.arccos(ex['cosine'])):.0f}°"
    assert (a_name.gptanim_text, b_name.gptanim_text) == (ex["a"], ex["b"])
    # b's shadow on a, drawn at the same length: a segment along a as long as the cosine times a's length, named
    line, _, name = space.shadow_parts
    shadow = np.linalg.norm(line.get_end() - line.get_start())
    assert shadow == pytest.approx(abs(ex["cosine"]) * np.linalg.norm(u), abs=0.02)
    assert name.gptanim_numbers == [("info.geometry.example.cosine", "value")]


def label_boxes(labels) -> list[tuple]:
    return [(a, a.get_left()[0], a.get_right()[0], a.get_bottom()[1], a.get_top()[1]) for a in labels if a.placed]


def test_embedding_space_labels_stay_on_their_points(space):
    """Every set of labels the scene shows, placed where the camera projects their 3-D anchors at each view it was
    shown at (angle, slide, zoom), at the angles between and, for the few words of a beat, all round: each label
    beside its point (or joined to it by a line), one label a word, none meeting another, leaving the frame or
    entering the panel; at the first rest the words spoken of, none crowding another, all readable."""
    scene = space
    orbit, words = scene.orbit, scene.trace.info["geometry"]["pca_words"]
    sets = [s for s in scene.label_sets if s["views"]]
    assert len({theta for s in sets for theta, _, _ in s["views"]}) >= 3  # the camera turned, between rests
    first = sets[0]
    shown = {a.gptanim_text for a in first["labels"]}
    ex = scene.trace.info["geometry"]["example"]
    assert {ex["a"], ex["b"]} <= shown and len(shown & set(words)) < len(words)  # the opening: the words spoken of
    orbit.x.set_value(0.0), orbit.near.set_value(0.0)
    rest = min(first["views"])[0]
    seen = orbit.project_all(np.array([scene.point(w) for w in shown & set(words)]), rest)
    apart = np.linalg.norm(seen[:, None] - seen[None], axis=2) + np.eye(len(seen)) * scene.SPACING
    assert apart.min() >= scene.SPACING - 1e-9  # …none crowding another…
    scene.place_labels(first["labels"], rest)
    assert all(a.placed for a in first["labels"])  # …and readable, at the angle where the camera rests
    half_w, half_h = scene.frame_size[0] / 2, scene.frame_size[1] / 2
    placed = covering = 0  # labels, and those over a word's point or a line (axis, arrow), of all the scene's
    for s in sets:
        words_shown = [
            p
            for a in s["labels"]
            for p, _ in getattr(a, "gptanim_numbers", [])
            if p.startswith("info.geometry.pca_words.")
        ]
        assert len(words_shown) == len(set(words_shown)), f"a word labelled twice: {words_shown}"
        thetas = sorted({theta for theta, _, _ in s["views"]})
        angles = sorted({*np.linspace(thetas[0], thetas[-1], 4 if thetas[-1] > thetas[0] else 1)}) + (
            [*np.linspace(0, 2 * np.pi, 9)[:-1]] if len(s["labels"]) <= 12 else []
        )  # (a set shown while the camera turned: the angles between; a beat's few words: all round too)
        for x, near in sorted({(x, near) for _, x, near in s["views"]}):
            orbit.x.set_value(x), orbit.near.set_value(near)
            for theta in angles:
                scene.place_labels(s["labels"], theta)
                points = orbit.project_all(scene.positions(), theta)
                ends = [segment(theta) for segment in scene.segments]
                starts, stops = np.array([e[0] for e in ends]), np.array([e[1] for e in ends])
                boxes = label_boxes(s["labels"])
                for i, (a, left, right, bottom, top) in enumerate(boxes):
                    anchor = a.screen(theta) if hasattr(a, "screen") else orbit.project(a.anchor(), theta)[:2]
                    gap = np.hypot(
                        max(left - anchor[0], 0, anchor[0] - right), max(bottom - anchor[1], 0, anchor[1] - top)
                    )
                    joined = (
                        a.leader.get_stroke_opacity() > 0 and np.linalg.norm(a.leader.get_start()[:2] - anchor) < 0.1
                    )
                    assert gap < scene.ATTACHED or joined, f"{a.text} {gap:.2f} from its point at theta {theta:.2f}"
                    over_point = ((points[:, 0] > left) & (points[:, 0] < right) & (points[:, 1] > bottom)
                                  & (points[:, 1] < top)).any()  # fmt: skip
                    over_line = segments_meet_boxes(starts, stops, np.array([[left, right, bottom, top]])).any()
                    placed += 1
                    covering += bool(over_point or over_line)
                    assert -half_w < left and right < half_w and -half_h < bottom and top < half_h
                    assert right <= scene.view_box()[1] + 1e-6  # never into the panel beside the view
                    for b in boxes[i + 1 :]:
                        assert not boxes_meet(a, b[0]), f"{a.text} and {b[0].text} collide at theta {theta:.2f}"
    # Kept off the points and lines where the view leaves room (placed just above its anchor, a label covered a
    # point in about a third of these cases and a line in about two thirds).
    assert covering < 0.2 * placed, f"{covering} of {placed} labels over a point or a line"


def test_embedding_space_moves_in_on_the_four_words(space):
    """For the directions and the analogy the camera moves in on king, queen, man and woman (and the analogy's
    sum): magnified, they and their labels stay in the view at every angle of the turn."""
    scene = space
    orbit, geo = scene.orbit, scene.trace.info["geometry"]
    words = geo["analogies"][0]["words"][:4]
    assert scene.end_view[2] == 0.0  # back to the whole cloud by the end
    assert orbit.reach > 1.5  # the four words lie close together in this model: the view really moved in
    orbit.near.set_value(1.0)
    whole = {}
    for x in (0.0, scene.aside):
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
