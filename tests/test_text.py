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
    ("percent", 0.00004), ("comma", 175181291520), ("round", 4.5), ("float", 1e-05), ("percent0", 1.0),
]  # fmt: skip


@pytest.mark.parametrize("fmt,value", NUMBERS)
@pytest.mark.parametrize("size", [14, 20, 31])
def test_a_number_set_glyph_by_glyph_is_pangos_text(fmt, value, size):
    shown = FORMATTERS[fmt](value)
    assert set(shown) <= MONO_CHARS
    ours = number(value, "x", fmt=fmt, size=size, color=style.VALUE)
    pango = Text(shown, font=style.MONO, font_size=size, color=style.VALUE)
    assert len(ours.submobjects) == len(pango.submobjects)
    assert np.abs(outline(ours) - outline(pango)).max() < 1e-6
    for a, b in zip(ours.submobjects, pango.submobjects):
        assert np.array_equal(a.fill_rgbas, b.fill_rgbas) and np.array_equal(a.stroke_rgbas, b.stroke_rgbas)
    assert ours.text == pango.text


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
