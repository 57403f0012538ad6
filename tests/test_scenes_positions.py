"""LastPosition: every position's prediction is the model's own, and the next token is the last position's."""

from __future__ import annotations

import numpy as np
import pytest
from manim import config

from model.claims import statements
from scenes import style
from scenes.positions import LastPosition
from tests.conftest import PROMPTS
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


@pytest.mark.parametrize("case", ["default", "one-token", "long", "12-layer"])
def test_last_position_shows_the_trace_and_fits(case, scene_traces, tmp_path):
    scene = render(LastPosition, scene_traces[case], tmp_path)
    tr = loaded_trace(scene_traces[case])
    counts = check_numbers(scene, tr)
    assert counts["tokens"] >= len(scene.positions) + 1  # the prompt's chips and the token drawn after them
    # the guesses, the scores and the statements it showed and took away, too
    assert check_numbers(scene, tr, ever=True)["claims"] >= 2
    check_layout(scene)
    check_text_size(scene)
    check_caption_clear(scene)
    check_narration(scene)
    n = len(tr.token_ids)
    assert scene.positions == list(range(max(0, n - LastPosition.COLUMNS), n))
    last, ever = shown_paths(scene), shown_paths(scene, ever=True)
    # Every drawn position guessed the token after it; training checked each on the prompt's real next token, a ✓
    # exactly where the top guess was that token (the Trace's rank), a ✗ elsewhere, a "?" over the last.
    for p in scene.positions:
        assert f"info.vocab_display.{int(tr['positions.top_ids'][p])}" in ever
        if p + 1 < n:
            assert f"claims.positions.mark.{p}" in ever and f"info.tokens.display.{p + 1}" in ever
    marks = [m.gptanim_text for m in scene.checks]
    assert marks == ["✓" if tr["positions.next_ranks"][p] == 1 else "✗" for p in scene.positions if p + 1 < n]
    assert [m.get_x() for m in scene.checks] == pytest.approx(scene.xs[: len(marks)])
    assert scene.unknown.get_x() == pytest.approx(scene.xs[len(scene.positions) - 1])
    # The answer stays: the prompt's chips, no extra position, and the distribution the next token is drawn from,
    # headed by the last position's own top guess (the Trace's softmax).
    assert {f"info.tokens.display.{p}" for p in scene.positions} <= last
    assert "claims.positions.count" in ever
    assert "meta.vocab_size" in ever  # the vocabulary's size on screen as it is said
    # The columns not used to write are named so (greyed, not crossed out as wrong); the last one is ticked.
    assert [m.original_text.strip("|") for m in scene.ticks] == ["not used to write"] * (len(scene.positions) > 1) + [
        "✓"
    ]
    # Predict, sample, append: the continuation's first token ends in the slot after the prompt's last chip.
    assert "info.continuation.steps.0.chosen_display" in last
    assert scene.chip_drawn.get_left()[0] > scene.boxes[-1].get_right()[0] + 0.3  # clear of the last column's box
    edge = config.frame_width / 2 - style.FRAME_MARGIN
    assert scene.chip_drawn.get_right()[0] <= edge + 1e-6 and scene.ghost.get_right()[0] <= edge + 1e-6  # in frame
    assert scene.chip_drawn.get_y() == pytest.approx(scene.boxes[-1].get_y())
    drawn = tr.info["continuation"]["steps"][0]["chosen_id"]
    if drawn not in tr.info["softmax"]["ids"][: len(scene.bars.rows)]:  # drawn from beyond the bars: its chance
        assert "info.continuation.steps.0.chosen_prob" in ever
    assert int(tr["positions.top_ids"][n - 1]) == tr.info["softmax"]["ids"][0]
    assert len(scene.bars.rows) == min(LastPosition.BARS, len(tr.info["softmax"]["ids"]))


@pytest.mark.parametrize("case", ["default", "other"])
def test_every_position_predicts_as_the_model_does(case, embedded, one_torch_thread, tmp_path):
    """Each position's top guess, and the share it gives the prompt's next token, recomputed from the model's
    own forward pass; the last position's distribution is the one the next token is drawn from."""
    import torch

    from model.run import TraceSettings, trace

    prompt = PROMPTS["default"] if case == "default" else "The old fisherman looked at the grey sea and said"
    tr = trace(TraceSettings(prompt=prompt, generate=2), embedded)
    ids = tr.token_ids
    with torch.no_grad():
        logits = embedded.model(input_ids=torch.tensor([ids])).logits[0].double()
    probs = torch.softmax(logits, -1).numpy()  # (pos, vocab)
    assert len(tr["positions.top_ids"]) == len(probs) == len(ids)  # one position per token, none extra
    np.testing.assert_array_equal(tr["positions.top_ids"], probs.argmax(-1))
    np.testing.assert_allclose(tr["positions.top_probs"], probs.max(-1), rtol=1e-5)
    given = probs[np.arange(len(ids) - 1), ids[1:]]
    np.testing.assert_allclose(tr["positions.next_probs"], given, rtol=1e-5)
    np.testing.assert_array_equal(tr["positions.next_ranks"], (probs[:-1] > given[:, None]).sum(-1) + 1)
    # The last position is the one sampled from: its top guess heads the distribution of the next token.
    assert int(tr["positions.top_ids"][-1]) == tr.info["softmax"]["ids"][0]
    assert tr["positions.top_probs"][-1] == pytest.approx(tr.info["softmax"]["probs"][0], rel=1e-12)
    found = statements(tr)
    hits = int((tr["positions.next_ranks"] == 1).sum())
    assert found["positions.hits"].text.endswith(f"at {hits} of {len(ids) - 1} positions")
    assert found["positions.count"].text == f"{len(ids)} tokens, {len(ids)} positions: no extra position"
