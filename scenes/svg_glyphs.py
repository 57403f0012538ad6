"""Reading the SVG Pango writes for a Text glyph by glyph, instead of parsing all of it.

Pango (through cairo) writes a text as glyph outlines, each once, as `<symbol id="glyph…"><path d="…"/>`
in `<defs>`, and places them with `<use xlink:href="#glyph…" x="…" y="…"/>` inside `<g style="fill:…">`
(and a character no font has as a `<path>` drawn in place: a box, its code point in it).
manim parses the whole file with svgelements, every placed copy of every glyph again, and builds a VGroup
for every element: about 85% of the time of a `Text`.

`placed_glyphs` reads the same file with ElementTree, takes each glyph's outline apart once per process
(keyed by its `d`, so shared across texts), and for each `<use>` computes the points manim would: the
outline's points moved by (x, y), which is all svgelements does to them (x·1 + y·0 + e), then manim's own
arithmetic for the control points of straight lines ((s+s+e)/3, (s+e+e)/3), done on the moved points so
the results are equal to the last bit. The style of a glyph comes from manim and svgelements themselves,
run once per style on a one-path SVG with the same groups around it. Each outline is checked once against
manim's own `VMobjectFromSVGPath` of it, unmoved.

Anything else (another element or attribute, a transform, a path segment other than a move, a line, a
cubic curve or a close as svgelements reads the path data, a closing line whose length is too near manim's
1e-4 threshold to decide, OpenGL's quadratic curves) returns None, and the Text is left to manim, as it is
when the reading fails in any way. What manim then does to the Text (flip, centring, colours, closing each
curve, scaling) is manim's own. Unlike manim, the Text keeps no parsed SVG paths nor SVG groups by id
(`id_to_vgroup_dict`): only Tex looks them up, and `scenes.text` drops them anyway.

`glyphs_from_svg()` asks that the Texts built while it is active (scenes.text's `pango_text`) be read this
way; the render engine (`scenes.engine.text_parts`, in render workers) does it, manim as it is does not.
This module changes nothing of manim's.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import svgelements as se
from manim import RendererType, SVGMobject, VMobject, config
from manim.mobject.svg.svg_mobject import VMobjectFromSVGPath

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
CLOSE_AT = 0.0001  # manim draws a closing line when the pen is farther than this from the subpath's start
CLOSE_MARGIN = 1e-9  # a gap this near CLOSE_AT could round either way once moved: left to manim
ROOT_STYLE_KEYS = ("fill", "fill-opacity", "stroke", "stroke-opacity", "stroke-width", "style")  # as manim's


class Outline:
    """A glyph's outline as manim's `VMobjectFromSVGPath.handle_commands` draws it (cubic curves, 4 points
    each), kept as a recipe: the outline's own points, and which of them, or which straight line's control
    points, make each curve's points."""

    def __init__(self, d: str):
        corners: list[tuple[float, float]] = []
        lines: list[tuple[int, int]] = []
        picks: list[tuple[str, int]] = []  # ("p", corner), ("1", line) or ("2", line): a line's control points

        def corner(p: se.Point) -> int:
            corners.append((p.x, p.y))
            return len(corners) - 1

        def line(start: int, end: int) -> int:
            lines.append((start, end))
            picks.extend([("p", start), ("1", len(lines) - 1), ("2", len(lines) - 1), ("p", end)])
            return end

        pen = subpath_start = None
        for segment in se.Path(d):
            kind = type(segment)
            if kind is se.Move:
                pen = subpath_start = corner(segment.end)
            elif kind is se.Line:
                pen = line(pen, corner(segment.end))
            elif kind is se.CubicBezier:
                controls = [corner(segment.control1), corner(segment.control2), corner(segment.end)]
                picks.extend([("p", pen)] + [("p", c) for c in controls])
                pen = controls[-1]
            elif kind is se.Close:
                gap = float(np.hypot(*np.subtract(corners[pen], corners[subpath_start])))
                if abs(gap - CLOSE_AT) < CLOSE_MARGIN:
                    raise ValueError("closing line too near manim's threshold")
                if gap > CLOSE_AT:
                    pen = line(pen, subpath_start)
            else:
                raise ValueError(f"path command {kind.__name__}")
        self.corners = np.array([(x, y, 0.0) for x, y in corners], dtype=float).reshape(-1, 3)
        self.line_starts = np.array([s for s, _ in lines], dtype=int)
        self.line_ends = np.array([e for _, e in lines], dtype=int)
        n, m = len(corners), len(lines)
        self.picks = np.array([i if k == "p" else n + i if k == "1" else n + m + i for k, i in picks], dtype=int)

    def points_at(self, x: float, y: float) -> np.ndarray:
        """The curves' points with the outline moved to (x, y), computed as svgelements and manim do."""
        moved = self.corners + np.array([x, y, 0.0])
        starts, ends = moved[self.line_starts], moved[self.line_ends]
        every = np.concatenate([moved, (starts + starts + ends) / 3, (starts + ends + ends) / 3])
        return every[self.picks].reshape(-1, 3)


_OUTLINES: dict[str, Outline | None] = {}
_STYLES: dict[tuple, VMobject | None] = {}


def outline(d: str) -> Outline | None:
    """The outline of path data `d`, once per process; None when manim must draw it itself."""
    if d not in _OUTLINES:
        try:
            found = Outline(d)
            manims = VMobjectFromSVGPath(se.Path(d)).points
            _OUTLINES[d] = found if np.array_equal(found.points_at(0.0, 0.0), manims) else None
        except (ValueError, TypeError, IndexError):
            _OUTLINES[d] = None
    return _OUTLINES[d]


def styled(svg: SVGMobject, root: dict, groups: tuple[dict, ...], path: dict) -> VMobject | None:
    """An empty part styled as manim styles a path with these attributes inside these groups, or None.

    manim (modify_xml_tree, svgelements, apply_style_to_mobject) styles a one-path SVG built alike."""
    key = (repr(svg.svg_default), tuple(sorted(root.items())), tuple(tuple(sorted(g.items())) for g in groups),
           tuple(sorted(path.items())))  # fmt: skip
    if key not in _STYLES:
        top = ElementTree.Element(f"{SVG}svg", root)
        parent = top
        for group in groups:
            parent = ElementTree.SubElement(parent, f"{SVG}g", group)
        ElementTree.SubElement(parent, f"{SVG}path", {**path, "d": "M 0 0 L 1 0 L 1 1 Z"})
        tree = svg.modify_xml_tree(ElementTree.ElementTree(top))
        text = io.BytesIO()
        tree.write(text)
        text.seek(0)
        parts, _ = svg.get_mobjects_from(se.SVG.parse(text))
        part = parts[0] if len(parts) == 1 and type(parts[0]) is VMobjectFromSVGPath else None
        if part is not None:
            part.path_obj = None
            part.points = np.zeros((0, 3))
        _STYLES[key] = part
    return _STYLES[key]


def placed_glyphs(svg: SVGMobject, file: Path) -> list[VMobject] | None:
    """The parts manim's `get_mobjects_from` makes of a Pango SVG, in its order; None if it holds more."""
    if config.renderer != RendererType.CAIRO or svg.path_string_config:
        return None
    root = ElementTree.parse(file).getroot()
    root_style = {k: v for k, v in root.attrib.items() if k in ROOT_STYLE_KEYS}
    symbols: dict[str, dict] = {}
    parts: list[VMobject] = []
    for child in root:
        if child.tag == f"{SVG}defs":
            if child.attrib or not read_symbols(child, symbols):
                return None
        elif child.tag == f"{SVG}g":
            if not place(svg, child, (), root_style, symbols, parts):
                return None
        else:
            return None
    return parts


def read_symbols(defs: ElementTree.Element, symbols: dict[str, dict]) -> bool:
    """Collect `<g><symbol id><path style d/></symbol></g>`, the only shape of `<defs>` understood."""
    for group in defs:
        if group.tag != f"{SVG}g" or group.attrib:
            return False
        for symbol in group:
            if symbol.tag != f"{SVG}symbol" or set(symbol.attrib) - {"id", "overflow"} or len(symbol) != 1:
                return False
            (path,) = symbol
            if path.tag != f"{SVG}path" or len(path) or set(path.attrib) - {"style", "d"}:
                return False
            symbols[symbol.attrib["id"]] = path.attrib
    return True


def place(svg, group, outer: tuple[dict, ...], root_style: dict, symbols: dict, parts: list) -> bool:
    """Add to `parts` a moved copy of each glyph `<use>`d in `group` (and in groups inside it), and its paths."""
    if set(group.attrib) - {"id", "style"}:
        return False
    groups = (*outer, {k: v for k, v in group.attrib.items() if k == "style"})
    for child in group:
        if child.tag == f"{SVG}g":
            if not place(svg, child, groups, root_style, symbols, parts):
                return False
            continue
        if child.tag == f"{SVG}path" and not len(child) and not set(child.attrib) - {"style", "d"}:
            path, x, y = child.attrib, 0.0, 0.0  # drawn where it is (the box of a character no font has)
        elif child.tag == f"{SVG}use" and not len(child) and set(child.attrib) == {XLINK_HREF, "x", "y"}:
            path = symbols.get(child.attrib[XLINK_HREF].removeprefix("#"))
            x, y = float(child.attrib["x"]), float(child.attrib["y"])
        else:
            return False
        if path is None:
            return False
        shape = outline(path.get("d", ""))
        style = styled(svg, root_style, groups, {k: v for k, v in path.items() if k == "style"})
        if shape is None or style is None:
            return False
        points = shape.points_at(x, y)
        if len(points):  # manim keeps no part without points (a space's glyph)
            parts.append(fresh_copy(style, points))
    return True


def fresh_copy(style: VMobject, points: np.ndarray) -> VMobject:
    """A copy of `style` holding `points`: what `style.copy()` (a deep copy) gives, a third sooner, as it
    copies only what can change (arrays, lists, colours), and without manim's note of the original."""
    part = object.__new__(type(style))
    for name, value in vars(style).items():
        kind = type(value)
        if kind is np.ndarray:
            value = value.copy()
        elif not (kind in (bool, int, float, str, type(None)) or isinstance(value, Enum)):
            value = copy.deepcopy(value)
        part.__dict__[name] = value
    part.points = points
    return part


ASKED = [0]  # how many `glyphs_from_svg` blocks are open


def asked() -> bool:
    return ASKED[0] > 0


@contextmanager
def glyphs_from_svg() -> Iterator[None]:
    """While active, every `Text` built is read with `placed_glyphs`, when the render engine is applied
    (`scenes.engine.text_parts`); with manim as it is, manim reads it."""
    ASKED[0] += 1
    try:
        yield
    finally:
        ASKED[0] -= 1
