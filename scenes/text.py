"""Making Text fast: every text is built once per process, and monospace text is set glyph by glyph.

A manim `Text` costs about 25 ms (Pango draws it to SVG, which is then parsed), and
it keeps parts of the parsed SVG that make every copy, and so every animation, many
times slower. `make_text` builds each distinct text once, drops those parts (the points
are already made) and hands out copies.

In a render worker (`scenes.engine` applied), every Text built here (`pango_text`) reads Pango's SVG
glyph by glyph (`scenes.svg_glyphs`): each glyph's outline is taken apart once per process and its
placed copies are moved into place, with manim's own arithmetic, so the Text is the one manim would
build (tests/test_fast_text.py compares every attribute of every part), about 5x sooner
(bench/text_bench.py); a drawing holding anything else is left to manim.

The numbers on screen are in a monospace font, and most of them appear once (a new
activation, a new percentage each frame of a sweep). In a monospace font Pango puts
every character in a cell of the same width, without kerning, so a number can be set
from glyphs drawn once each: the glyph of `c` as it sits in the middle cell of "|c|",
moved to its own cell. The result has the same points as the Text Pango would have made
(tests/test_text.py compares them) and costs under 2 ms.

Texts placed side by side line up by their centres, so they carry the same height:
words get invisible end bars (`struck`), numbers an invisible strut as tall as those bars.

Whatever a user typed is drawn as it reads (`drawable`): control characters are spelled out
(`‹1b›`), a struck text stays on one line (`↵`), and a text with right-to-left letters (Hebrew, Arabic) is set in a left-to-right
paragraph, so its end bars stay at its ends and mixed-direction text keeps its order.
"""

from __future__ import annotations

import string
import sys
import unicodedata
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
from manim import DL, ORIGIN, Text, VGroup, VMobject, config

from model.tokens_text import NEWLINE, TAB, escape_controls
from scenes.style import MONO
from scenes.svg_glyphs import glyphs_from_svg

# Characters set glyph by glyph: those DejaVu Sans Mono draws itself (no fallback font, one cell each).
MONO_CHARS = frozenset(string.ascii_letters + string.digits + string.punctuation + " −×·…")

_TEXTS: dict[tuple, Text] = {}
_GLYPHS: dict[tuple, tuple[VMobject, np.ndarray, float, float] | None] = {}


LEFT_TO_RIGHT_MARK = "\u200e"
DOTTED_CIRCLE = "◌"  # the base a combining mark is shown on when it has none (Unicode's convention)


def drawable(text: str, one_line: bool = False) -> str:
    """`text` as Pango should set it: tabs, line and paragraph separators and control characters made
    visible (newlines stay unless `one_line`: they break lines), and a left-to-right start when it holds
    right-to-left letters.

    Pango gives a paragraph the direction of its first letter; a right-to-left one moved a struck text's
    bars and, for some texts, left manim with no glyphs at all.
    """
    for breaking in ("\u2028", "\u2029", "\r\n", "\n") if one_line else ("\u2028", "\u2029"):
        text = text.replace(breaking, NEWLINE)
    text = escape_controls(text.replace("\t", TAB), keep="\n")
    if text and unicodedata.category(text[0]).startswith("M"):
        text = DOTTED_CIRCLE + text
    if any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text):
        text = LEFT_TO_RIGHT_MARK + text
    return text


def options_key(kw: dict) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in kw.items()))


def make_text(text: str, strut: bool = False, bars: bool = False, **kw) -> Text:
    """`Text(text, **kw)`, made once per process and copied after that.

    With `strut`, the text also holds an invisible line of no width at its left edge, as tall
    as a struck text's bars: its centre is then where a struck text's is, on the same baseline.
    """
    key = (text, strut, bars, options_key(kw))
    if key not in _TEXTS:
        _TEXTS[key] = built_text(text, strut, bars, kw)
    return _TEXTS[key].copy()


def built_text(text: str, strut: bool, bars: bool, kw: dict) -> Text:
    """`make_text`'s Text, built (not kept)."""
    template = None
    if kw.get("font") == MONO and set(kw) <= {"font", "font_size", "color"} and set(text) <= MONO_CHARS:
        template = set_in_cells(text, kw, strut)
    if template is None:
        template = struck(text, **kw) if strut else without_svg_paths(pango_text(drawable(text), **kw))
    if bars:
        bars_first_and_last(template)
    return template


def pango_text(text: str, **kw) -> Text:
    """`Text(text, **kw)`; if manim's cached drawing of it was damaged (a process killed while writing it),
    the damaged drawings are removed and the text drawn again."""
    with glyphs_from_svg():
        try:
            return Text(text, **kw)
        except Exception:
            if not discard_damaged(Path(config.text_dir)):
                raise
            print("gptanim: removed damaged text drawings from the cache; drawing again", file=sys.stderr)
            return Text(text, **kw)


def discard_damaged(folder: Path) -> int:
    """Remove the cached drawings in `folder` (texts, LaTeX) that do not parse, and the LaTeX sources and DVI
    files whose drawing is not there: manim trusts any file it finds. Returns how many were removed."""
    removed = 0
    for svg in folder.glob("*.svg") if folder.is_dir() else []:
        try:
            ElementTree.parse(svg)
        except (ElementTree.ParseError, OSError):
            svg.unlink(missing_ok=True)
            removed += 1
    for other in [*folder.glob("*.tex"), *folder.glob("*.dvi"), *folder.glob("*.xdv")] if folder.is_dir() else []:
        if not other.with_suffix(".svg").exists():
            other.unlink(missing_ok=True)
            removed += 1
    return removed


def bars_first_and_last(t: Text) -> None:
    """Put a struck text's bars, its leftmost and rightmost glyphs, first and last among its parts:
    Pango may draw others first (the box of a glyph no font has)."""
    parts = t.submobjects
    left = min(parts, key=lambda m: m.get_left()[0])
    right = max(parts, key=lambda m: m.get_right()[0])
    if (parts[0], parts[-1]) != (left, right):
        t.submobjects = [left, *(m for m in parts if m is not left and m is not right), right]


def struck(text: str, **kw) -> Text:
    """Text with an invisible bar at each end, so every line has the same height (ascender to
    descender) and texts in a row or table line up, whatever letters they hold."""
    key = (text, "struck", options_key(kw))
    if key not in _TEXTS:  # kept with its bars made invisible: each copy handed out is ready
        t = built_text(f"|{drawable(text, one_line=True)}|", False, True, kw)
        for bar in (t[0], t[-1]):
            bar.set_fill(opacity=0).set_stroke(opacity=0)
        t.gptanim_text = text
        _TEXTS[key] = t
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


def cell_glyph(char: str, kw: dict) -> tuple[VMobject, np.ndarray, float, float] | None:
    """The glyph of `char`, its lower-left corner's offset within its cell, the cell width and
    the bars' height.

    Measured in "|c|": the bars sit in cells 0 and 2, so the cell width is half the distance
    between them and the glyph's cell starts one cell after the first bar's. Offsets are from
    the first bar's lower-left corner, so a bar's bottom is at height 0.
    """
    key = (char, options_key(kw))
    if key not in _GLYPHS:
        drawn = without_svg_paths(pango_text(f"|{char}|", **kw))
        if len(drawn.submobjects) != 3:
            _GLYPHS[key] = None  # not one glyph: leave this text to Pango
        else:
            bar, glyph, end = drawn.submobjects
            cell = (end.get_corner(DL)[0] - bar.get_corner(DL)[0]) / 2
            offset = glyph.get_corner(DL) - bar.get_corner(DL) - np.array([cell, 0, 0])
            _GLYPHS[key] = (glyph, offset, cell, bar.height)
    return _GLYPHS[key]


def empty_text(kw: dict) -> Text:
    """A Text with no glyphs, to hold glyphs set one by one (made from "0", its glyph removed)."""
    key = ("", "empty", options_key(kw))
    if key not in _TEXTS:
        shell = without_svg_paths(pango_text("0", **kw))
        shell.submobjects, shell.chars = [], VGroup()
        _TEXTS[key] = shell
    return _TEXTS[key].copy()


def set_in_cells(text: str, kw: dict, strut: bool = False) -> Text | None:
    """A monospace Text assembled from one glyph per character; None when a character is not one glyph.

    Glyphs are drawn once per font and size, in white, and coloured here: numbers are often
    coloured by their value, so one drawing per colour would be one per number.
    """
    if not text.strip():
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
        glyph, offset, cell, bar_height = found
        placed = glyph.copy()
        placed.shift(np.array([k * cell, 0, 0]) + offset - placed.get_corner(DL))
        glyphs.append(placed)
    shell = empty_text(kw)
    shell.add(*glyphs)
    shell.chars = VGroup(*glyphs)
    shell.original_text, shell.text = text, "".join(text.split())
    if color is not None:
        for glyph in glyphs:
            glyph.set_fill(color)
    if strut:
        left = glyphs[0].get_left()[0]
        shell.add(VMobject(stroke_width=0, stroke_opacity=0, fill_opacity=0).set_points_as_corners(
            [[left, 0, 0], [left, bar_height, 0]]))  # fmt: skip
    return shell.move_to(ORIGIN)
