"""Texts made by `scenes.text` draw exactly what manim's own Text draws, in the same place."""

from __future__ import annotations

import numpy as np
import pytest
from manim import Text

from scenes import style
from scenes.components import FORMATTERS, number, struck
from scenes.text import MONO_CHARS, make_text


def outline(text: Text) -> np.ndarray:
    return np.concatenate([m.points for m in text.family_members_with_points()])


NUMBERS = [
    ("value", -1.2549), ("value", 0.7312), ("value3", 0.000123), ("exp", 2.718281828), ("percent", 0.123456),
    ("percent", 0.00004), ("comma", 175181291520), ("round", 4.5), ("float", 1e-05), ("percent0", 1.0), ("int", 0),
]  # fmt: skip


@pytest.mark.parametrize("fmt,value", NUMBERS)
@pytest.mark.parametrize("size", [14, 20, 31])
def test_a_number_set_glyph_by_glyph_is_pangos_text(fmt, value, size):
    shown = FORMATTERS[fmt](value)
    assert set(shown) <= MONO_CHARS
    ours = make_text(shown, font=style.MONO, font_size=size, color=style.VALUE)
    pango = Text(shown, font=style.MONO, font_size=size, color=style.VALUE)
    assert len(ours.submobjects) == len(pango.submobjects)
    assert np.abs(outline(ours) - outline(pango)).max() < 1e-6
    for a, b in zip(ours.submobjects, pango.submobjects):
        assert np.array_equal(a.fill_rgbas, b.fill_rgbas) and np.array_equal(a.stroke_rgbas, b.stroke_rgbas)
    assert ours.text == pango.text


@pytest.mark.parametrize("fmt,value", NUMBERS)
def test_a_number_sits_on_the_baseline_of_words_beside_it(fmt, value):
    """number() adds an invisible strut: centred at one height, a number and a struck word share
    their baseline, and the number's glyphs are still exactly Pango's."""
    shown = FORMATTERS[fmt](value)
    ours = number(value, "x", fmt=fmt, size=18).move_to([2, 1, 0])
    word = struck("·who", font=style.FONT, font_size=18).move_to([-2, 1, 0])
    pango_row = Text(f"|·who {shown}|", font=style.MONO, font_size=18)  # one line: one baseline
    strut = ours.submobjects[-1]
    assert strut.stroke_width == 0 and strut.get_fill_opacity() == 0
    assert abs(ours.height - word.height) < 1e-6 and abs(ours.get_center()[1] - word.get_center()[1]) < 1e-6
    glyphs, row_glyphs = ours.submobjects[:-1], pango_row.submobjects[-1 - len(ours.submobjects[:-1]) : -1]
    lift = glyphs[0].get_bottom()[1] - word[0].get_bottom()[1]  # first glyph above the bar's foot
    row_lift = row_glyphs[0].get_bottom()[1] - pango_row[0].get_bottom()[1]
    assert abs(lift - row_lift) < 1e-6
    shift = glyphs[0].get_corner([-1, -1, 0]) - row_glyphs[0].get_corner([-1, -1, 0])
    for a, b in zip(glyphs, row_glyphs):
        assert np.abs(a.points - shift - b.points).max() < 1e-6


def test_spaces_and_struck_bars_keep_their_cells():
    for shown in ["a  b", "x = +0.25", "[1, 2, 3]"]:
        ours = struck(shown, font=style.MONO, font_size=20)
        pango = Text(f"|{shown}|", font=style.MONO, font_size=20)
        assert np.abs(outline(ours) - outline(pango)).max() < 1e-6
        assert ours[0].get_fill_opacity() == 0 and ours[-1].get_fill_opacity() == 0


def test_other_texts_are_pangos_own_and_copies_are_independent():
    for shown, font in [("naïve 你好 🙂", style.MONO), ("Once upon a time", style.FONT)]:
        ours = make_text(shown, font=font, font_size=22)
        pango = Text(shown, font=font, font_size=22)
        assert np.abs(outline(ours) - outline(pango)).max() < 1e-6
    first = make_text("+0.50", font=style.MONO, font_size=20)
    second = make_text("+0.50", font=style.MONO, font_size=20)
    first.shift([1, 0, 0]).set_color("#ff0000")
    assert np.abs(outline(second) - outline(Text("+0.50", font=style.MONO, font_size=20))).max() < 1e-6
    assert second[0].get_fill_color() != first[0].get_fill_color()
