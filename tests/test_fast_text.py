"""Texts built from glyphs read once (`scenes.svg_glyphs`, through the engine's `text_parts`) are manim's own
Texts, to the last bit."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from manim import BOLD, ITALIC, Mobject, Text, tempconfig

from scenes import engine, style
from scenes.svg_glyphs import glyphs_from_svg
from scenes.text import drawable, struck

CORPUS = [
    ("Once upon a time", {"font": style.FONT, "font_size": 24, "color": style.TEXT}),
    ("softmax(x) = e^x / Σ e^x; 42% — “quoted”, naïve!?", {"font": style.FONT, "font_size": 18, "color": style.MUTED}),
    ("175,181,291,520 parameters", {"font": style.FONT, "font_size": 31, "color": style.KEY}),
    ("-0.0042 +1.25e-05 99.9%", {"font": style.MONO, "font_size": 14, "color": style.VALUE}),
    ("The next token", {"font": style.FONT, "font_size": 44, "color": style.TEXT, "t2c": {"[1:2]": style.NEXT_SLOT}}),
    ("Heavy and slanted", {"font": style.FONT, "font_size": 22, "weight": BOLD, "slant": ITALIC}),
    ("a tiny caption", {"font": style.FONT, "font_size": 10, "color": style.token_hue(3)}),
    ("first line\nsecond, longer line\n3", {"font": style.FONT, "font_size": 20, "color": style.TEXT}),
    ("你好，世界。日本へようこそ", {"font": style.FONT, "font_size": 24, "color": style.TEXT}),
    (drawable("שלום עולם"), {"font": style.FONT, "font_size": 24, "color": style.TEXT}),
    (drawable("مرحبا بالعالم"), {"font": style.FONT, "font_size": 24, "color": style.TEXT}),
    (drawable("mixed שלום and مرحبا 12"), {"font": style.MONO, "font_size": 20}),
    ("🙂 emoji 🚀 ★", {"font": style.FONT, "font_size": 24, "color": style.TEXT}),
    ("𦽎 𗣻 no font has them", {"font": style.FONT, "font_size": 24, "color": style.TEXT}),
    (drawable("\u0301e\u0301 n\u0303 combining"), {"font": style.FONT, "font_size": 24, "color": style.TEXT}),
    ("ﬁ ligature fi ffl", {"font": style.MONO, "font_size": 18, "color": style.TEXT}),
    (f"|{drawable('·who ↵ tab→ ‹1b›', one_line=True)}|", {"font": style.FONT, "font_size": 22, "color": "#ff0000"}),
    ("x  y", {"font": style.FONT, "font_size": 24}),
    (" ", {"font": style.FONT, "font_size": 24}),
]


@pytest.fixture(autouse=True)
def own_text_dir(tmp_path):
    """Each test draws its texts in a folder of its own (one test alters the drawings)."""
    with tempconfig({"text_dir": str(tmp_path)}):
        yield tmp_path


def fast(text: str, **kw) -> Text:
    with engine.only(engine.text_parts), glyphs_from_svg():
        return Text(text, **kw)


def same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, Mobject):  # a part of a part (a Rectangle's grid lines): compared by its points
        family, others = a.get_family(), b.get_family()
        return len(family) == len(others) and all(np.array_equal(m.points, o.points) for m, o in zip(family, others))
    return a == b


def assert_same_text(ours: Text, manims: Text) -> None:
    """Every part: same class, same points and every other attribute; the Text: same chars and sizes."""
    assert len(ours.submobjects) == len(manims.submobjects)
    for a, b in zip(ours.submobjects, manims.submobjects):
        assert type(a) is type(b)
        assert np.array_equal(a.points, b.points)
        mine, theirs = dict(vars(a)), dict(vars(b))
        mine.pop("path_obj", None), theirs.pop("path_obj", None)  # svgelements paths: manim's input
        assert mine.keys() == theirs.keys()
        assert all(same(mine[k], theirs[k]) for k in mine), [k for k in mine if not same(mine[k], theirs[k])]
    assert (ours.text, ours.original_text) == (manims.text, manims.original_text)
    assert [ours.submobjects.index(c) for c in ours.chars] == [manims.submobjects.index(c) for c in manims.chars]
    assert (ours.width, ours.height, ours.initial_height) == (manims.width, manims.height, manims.initial_height)
    assert np.array_equal(ours.get_center(), manims.get_center())


@pytest.mark.parametrize("text,kw", CORPUS, ids=[repr(t)[:24] for t, _ in CORPUS])
def test_a_text_from_glyphs_is_manims_text(text, kw):
    manims = Text(text, **kw)
    ours = fast(text, **kw)
    assert ours.id_to_vgroup_dict == {} and manims.id_to_vgroup_dict  # ours was read glyph by glyph
    assert_same_text(ours, manims)
    assert "generate_mobject" not in vars(Text)  # manim's own again outside the block


def test_a_text_is_read_glyph_by_glyph_only_when_asked_and_applied():
    kw = {"font": style.FONT, "font_size": 24, "color": style.TEXT}
    with glyphs_from_svg():  # asked, but manim as it is
        assert Text("Once", **kw).id_to_vgroup_dict
    with engine.only(engine.text_parts):  # applied, but not asked (a Text of a scene of your own)
        assert Text("Once", **kw).id_to_vgroup_dict
    assert fast("Once", **kw).id_to_vgroup_dict == {}


# Letters of every script, combining marks, digits, punctuation, symbols (emoji), spaces, format characters.
ANY_TEXT = st.text(st.characters(categories=("Lu", "Ll", "Lo", "Lm", "Mn", "Mc", "Nd", "No", "Pd", "Ps", "Pe", "Po",
                                              "Sm", "Sc", "So", "Zs", "Cf")), min_size=1, max_size=12)  # fmt: skip


@pytest.mark.filterwarnings("ignore")
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(text=ANY_TEXT, mono=st.booleans())
def test_any_text_from_glyphs_is_manims_text(text, mono):
    kw = {"font": style.MONO if mono else style.FONT, "font_size": 22, "color": style.TEXT}
    shown = drawable(text)
    assert_same_text(fast(shown, **kw), Text(shown, **kw))


@pytest.mark.parametrize("size", [14, 18, 22, 31])
def test_struck_words_are_pangos_struck_text(size):
    for words in ["·who", "Attention scores", drawable("שלום, world", one_line=True), "a\nb"]:
        ours = struck(words, font=style.FONT, font_size=size, color=style.TEXT)
        manims = Text(f"|{drawable(words, one_line=True)}|", font=style.FONT, font_size=size, color=style.TEXT)
        assert len(ours.submobjects) == len(manims.submobjects)
        assert all(np.array_equal(a.points, b.points) for a, b in zip(ours.submobjects, manims.submobjects))
        assert ours[0].get_fill_opacity() == 0 and ours[-1].get_fill_opacity() == 0


ALTERATIONS = {  # a drawing altered: is it still read glyph by glyph (else manim reads it), and how
    "a rectangle": (False, r'(<g id="surface\d+">)', r'\1<rect x="30" y="5" width="8" height="3" style="fill:rgb(0%,0%,100%);"/>'),
    "a transform": (False, r'(<g id="surface\d+")>', r'\1 transform="translate(3,1) scale(1.5)">'),
    "a quadratic curve": (False, r'd="M [^"]*"', 'd="M 0 0 Q 2 -4 4 0 Z"'),
    "an arc": (False, r'd="M [^"]*"', 'd="M 0 0 A 2 2 0 0 1 4 0 Z"'),
    "an unknown element": (False, r"(</defs>)", r'\1<line x1="0" y1="0" x2="40" y2="20" style="stroke:rgb(0%,0%,0%);"/>'),
    "a stroke": (True, r'(<g id="surface\d+")>', r'\1 style="stroke:rgb(0%,0%,100%);stroke-width:0.5;">'),
    "a use's own style": (False, r'(<use xlink:href="[^"]*")', r'\1 style="fill-opacity:0.5"'),
    "relative commands": (True, r'd="M [^"]*"', 'd="M 1 0 l 2 -3 h 2 v 3 z m 0.5 -0.5 L 3 -1 Z"'),
    "a closing line shorter than manim's threshold": (True, r'd="M [^"]*"', 'd="M 1 0 L 3 -3 L 1.00005 0 Z"'),
    "a closing line too near manim's threshold to decide": (False, r'd="M [^"]*"', 'd="M 1 0 L 3 -3 L 1.0001 0 Z"'),
    "a half-transparent fill": (True, r"fill-opacity:1;", "fill-opacity:0.4;"),
}  # fmt: skip


@pytest.mark.parametrize("name", ALTERATIONS)
def test_an_altered_drawing_is_read_as_manim_reads_it(name, own_text_dir):
    """What the glyph-by-glyph reading does not understand is left to manim, so the Text is manim's own."""
    text, kw = f"Altered by {name}", {"font": style.FONT, "font_size": 24, "color": style.TEXT}
    Text(text, **kw)  # draws it
    (drawing,) = Path(own_text_dir).glob("*.svg")
    understood, pattern, replacement = ALTERATIONS[name]
    altered, count = re.subn(pattern, replacement, drawing.read_text())  # every glyph, for path data
    assert count >= 1
    drawing.write_text(altered)
    manims = Text(text, **kw)
    ours = fast(text, **kw)
    assert (ours.id_to_vgroup_dict == {}) == understood  # read glyph by glyph, or by manim
    assert_same_text(ours, manims)
