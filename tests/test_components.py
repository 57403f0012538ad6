"""Shared pieces of the visual vocabulary (scenes/components.py) that no single scene's test covers."""

import numpy as np


def test_swap_slides_the_old_number_out_and_the_new_one_in_without_morphing_glyphs():
    from manim import UP, FadeIn, FadeOut

    from scenes.components import label, swap

    old, new = label("0.12"), label("3.4").shift(UP)
    group = swap(old, new)
    kinds = [type(a) for a in group.animations]
    assert kinds == [FadeOut, FadeIn]
    assert group.animations[0].mobject is old and group.animations[1].mobject is new
    assert np.allclose(group.animations[1].shift_vector, 0.25 * UP)  # both move the same way, a counter's turn
    assert group.lag_ratio == 1.0  # the old one gone before the new one comes: never two numbers stacked


def test_a_token_of_marks_alone_is_drawn_large_enough_to_see_in_a_line_of_the_same_height():
    from scenes.components import MARK_GROWTH, MARK_HEIGHT, TokenBox, token_text

    word = token_text("·to", "", size=22)
    for mark in (",", "."):
        t = token_text(mark, "", size=22)
        glyph = t[1].height
        plain = token_text("x" + mark, "", size=22)[2].height  # the same mark beside a letter: not grown
        assert np.isclose(t.height, word.height)  # rows of tokens still line up
        assert glyph >= min(MARK_HEIGHT * t.height, MARK_GROWTH * plain) - 1e-6
        assert glyph > 1.9 * plain  # a comma at least twice its size in running text
        assert t[0].get_right()[0] < t[1].get_left()[0] and t[1].get_right()[0] < t[2].get_left()[0]  # bars apart
    for high in ("`", "'", "#"):  # a mark high in the line, grown, still within it
        t = token_text(high, "", size=22)
        assert t[1].get_top()[1] <= t[0].get_top()[1] + 1e-6 and np.isclose(t.height, word.height)
    spaced = token_text("·,", "", size=22)
    assert np.isclose(spaced[1].height, token_text("·to", "", size=22)[1].height)  # the space mark keeps its size
    assert spaced[2].height > 1.9 * token_text("x,", "", size=22)[2].height
    chip = TokenBox(",", "", size=26)
    assert chip.text.height <= chip.box.height + 0.25 and chip.box.width >= chip.text[1].width
