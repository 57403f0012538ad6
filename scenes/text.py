"""Making Text fast: every text is built once per process, and monospace text is set glyph by glyph.

A manim `Text` costs about 25 ms (Pango draws it to SVG, which is then parsed), and
it keeps parts of the parsed SVG that make every copy, and so every animation, many
times slower. `make_text` builds each distinct text once, drops those parts (the points
are already made) and hands out copies.

The numbers on screen are in a monospace font, and most of them appear once (a new
activation, a new percentage each frame of a sweep). In a monospace font Pango puts
every character in a cell of the same width, without kerning, so a number can be set
from glyphs drawn once each: the glyph of `c` as it sits in the middle cell of "|c|",
moved to its own cell. The result has the same points as the Text Pango would have made
(tests/test_text.py compares them) and costs under 2 ms.
"""

from __future__ import annotations

import string

import numpy as np
from manim import DL, ORIGIN, Text, VGroup, VMobject

from scenes.style import MONO

# Characters set glyph by glyph: those DejaVu Sans Mono draws itself (no fallback font, one cell each).
MONO_CHARS = frozenset(string.ascii_letters + string.digits + string.punctuation + " −×·…")

_TEXTS: dict[tuple, Text] = {}
_GLYPHS: dict[tuple, tuple[VMobject, np.ndarray, float] | None] = {}


def make_text(text: str, **kw) -> Text:
    """`Text(text, **kw)`, made once per process and copied after that."""
    key = (text, tuple(sorted((k, str(v)) for k, v in kw.items())))
    if key not in _TEXTS:
        template = None
        if kw.get("font") == MONO and set(kw) <= {"font", "font_size", "color"} and set(text) <= MONO_CHARS:
            template = set_in_cells(text, kw)
        if template is None:
            template = without_svg_paths(Text(text, **kw))
        _TEXTS[key] = template
    return _TEXTS[key].copy()


def without_svg_paths(text: Text) -> Text:
    """Drop what only building the Text needed, which every copy would otherwise copy again:
    each glyph's parsed SVG path, and the SVG's groups by id (only Tex looks them up)."""
    for part in text.get_family():
        if hasattr(part, "path_obj"):
            part.path_obj = None
        if hasattr(part, "id_to_vgroup_dict"):
            part.id_to_vgroup_dict = {}
    return text


def cell_glyph(char: str, kw: dict) -> tuple[VMobject, np.ndarray, float] | None:
    """The glyph of `char`, its lower-left corner's offset within its cell, and the cell width.

    Measured in "|c|": the bars sit in cells 0 and 2, so the cell width is half the distance
    between them and the glyph's cell starts one cell after the first bar's.
    """
    key = (char, tuple(sorted((k, str(v)) for k, v in kw.items())))
    if key not in _GLYPHS:
        drawn = without_svg_paths(Text(f"|{char}|", **kw))
        if len(drawn.submobjects) != 3:
            _GLYPHS[key] = None  # not one glyph: leave this text to Pango
        else:
            bar, glyph, end = drawn.submobjects
            cell = (end.get_corner(DL)[0] - bar.get_corner(DL)[0]) / 2
            _GLYPHS[key] = (glyph, glyph.get_corner(DL) - bar.get_corner(DL) - np.array([cell, 0, 0]), cell)
    return _GLYPHS[key]


def set_in_cells(text: str, kw: dict) -> Text | None:
    """A monospace Text assembled from one glyph per character; None when a character is not one glyph.

    Glyphs are drawn once per font and size, in white, and coloured here: numbers are often
    coloured by their value, so one drawing per colour would be one per number.
    """
    if not text.strip() or text == "0":  # nothing to set; or the shell itself, below
        return None
    color = kw.get("color")
    kw = {k: v for k, v in kw.items() if k != "color"}
    glyphs = []
    for k, char in enumerate(text):
        if char == " ":
            continue
        found = cell_glyph(char, kw)
        if found is None:
            return None
        glyph, offset, cell = found
        placed = glyph.copy()
        placed.shift(np.array([k * cell, 0, 0]) + offset - placed.get_corner(DL))
        glyphs.append(placed)
    shell = make_text("0", **kw)  # a Text to hold the glyphs, its own one removed
    shell.submobjects = []
    shell.add(*glyphs)
    shell.chars = VGroup(*glyphs)
    shell.original_text, shell.text = text, "".join(text.split())
    if color is not None:
        for glyph in glyphs:
            glyph.set_fill(color)
    return shell.move_to(ORIGIN)
