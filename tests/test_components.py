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
