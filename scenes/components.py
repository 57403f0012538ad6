"""Reusable pictures built from Trace data: data in, Mobject out.

Every number a component draws is a `Text` tagged with the Trace paths it came
from and the formatter used (`gptanim_numbers`), every token with the path of its
display text (`gptanim_tokens`), so tests can look the paths up in the Trace and
compare them with the text on screen. Text whose other digits are not model numbers
(a layer index, a heading) is tagged `gptanim_static`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
from manim import (
    DOWN,
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    AnimationGroup,
    AnnularSector,
    Arrow,
    Circle,
    Dot,
    FadeIn,
    FadeOut,
    Line,
    MathTex,
    Rectangle,
    RoundedRectangle,
    Square,
    Text,
    Triangle,
    VGroup,
)

from scenes import style
from scenes.style import FONT, MONO, cut, fmt_percent, fmt_value
from scenes.text import make_text, struck

# One type scale for every scene (font sizes). At 854×480 a size of 20 has capitals 12 px high (DejaVu's capitals
# are 0.73 of its line): SMALLEST is the least a viewer reads from the back of a room, nothing is set smaller.
SMALLEST = 20  # indices, units, a vector's length, the faintest label
NUMBER = 22  # a number in a picture (a probability, an entry, a count)
LABEL = 24  # a word naming a part of the picture
TOKEN = 26  # a token chip's text
CAPTION = 24  # the caption under the picture (scenes.base)
HEADING = 34  # a scene's heading
PUNCTUATION_GLYPH = 1.6  # a token of punctuation or a whitespace mark alone ("." "," "↵") is drawn this much larger
MARK_HEIGHT = 0.5  # such a token's marks reach at least this share of its line's height (a comma as tall as an "x")
MARK_GROWTH = 2.6  # but grow at most this much (a full stop stays a dot, not a disc)


FORMATTERS: dict[str, Callable] = {
    "value": fmt_value,
    "value3": lambda v: fmt_value(v, 3),
    "near0": lambda v: fmt_value(v) if abs(float(v)) >= 0.005 else "≈ 0",  # an entry that rounds to zero, said so
    "exp": lambda v: f"{float(v):.4f}",
    "sig3": lambda v: f"{float(v):.{max(0, 2 - int(np.floor(np.log10(abs(float(v))))))}f}" if float(v) else "0",
    "plus1": lambda v: str(int(v) + 1),  # a 0-based index shown counting from 1
    "lastindex": lambda v: str(len(v) - 1),
    "percent0": lambda v: f"{float(v) * 100:.0f}%",
    "length_percent": lambda v: f"{float(np.linalg.norm(v)) * 100:.0f}%",  # a vector's length, as a share of 1
    "round": lambda v: f"{round(float(v)):,}",
    "percent": fmt_percent,
    "taken_percent": lambda v: fmt_percent(1 - float(v)),  # the share of all but a rest: a running total's
    "int": lambda v: f"{int(v)}",
    "comma": lambda v: f"{int(v):,}",
    "comma_less1": lambda v: f"{int(v) - 1:,}",  # all but one of a count
    "float": lambda v: f"{float(v):g}",
    "fixed2": lambda v: f"{float(v):.2f}",  # a loss, 2 decimals, no sign
    "angle": lambda v: f"{np.degrees(np.arccos(np.clip(float(v), -1, 1))):.0f}°",  # a cosine, as its angle
    "surprise": lambda v: f"{-np.log(max(float(v), 1e-300)):.1f}",  # a probability's surprise, −log p (as a loss)
    "billion": lambda v: f"{float(v) / 1e9:,.0f} B",  # a count in billions (“175 B”)
    "million": lambda v: f"{float(v) / 1e6:,.{1 if float(v) < 1e8 else 0}f} M",  # in millions (“5.3 M”, “175,000 M”)
    "text": str,
    "len": lambda v: str(len(v)),
    "cut16": lambda v: cut(str(v), 16),
    "cut40": lambda v: cut(str(v), 40),
    "ends64": lambda v: str(v) if len(str(v)) <= 64 else f"{str(v)[:30]} … {str(v)[-30:]}",  # keeps both ends
    "tail3": lambda v: str(v) if len(str(v).split()) <= 3 else "… " + " ".join(str(v).split()[-3:]),  # last words
    "claim": lambda v: v.text,  # a model.claims.Statement: its words
}


def label(text: str, size: float = LABEL, color=style.TEXT, font: str = FONT, **kw) -> Text:
    """Words that are not model numbers (headings, explanations)."""
    t = struck(text, font=font, font_size=size, color=color, **kw)
    t.gptanim_static = True
    return t


def number(value, path: str | None = None, fmt: str = "value", size: float = SMALLEST, color=style.TEXT,
           font: str = MONO) -> Text:  # fmt: skip
    """A number taken from the Trace at `path`, formatted by `FORMATTERS[fmt]`: `number(trace.attn.q[0, 2, 1, 5],
    fmt="value3")`, a value read with its path (model/trace_paths.py), or `number(value, path, fmt)`.

    It is as tall as a struck text (an invisible strut), so a number and a word placed at the
    same height share a baseline.
    """
    if path is None:
        value, path = value.value, value.path
    t = make_text(FORMATTERS[fmt](value), strut=True, font=font, font_size=size, color=color)
    t.gptanim_numbers, t.gptanim_text = [(path, fmt)], FORMATTERS[fmt](value)
    return t


def swap(old, new, direction=UP, distance: float = 0.25) -> AnimationGroup:
    """One number (or label) giving way to another in its place, like a counter turning: the old slides out
    `direction` as it fades, the new slides in after it. Morphing the glyphs of "0.12" into "3.4" instead draws
    garbled shapes halfway. `new` is placed where it should end; add the AnimationGroup to a `play`. Something
    takes its place, so the picture is not cleared: a swap runs at once even outside a `narrate` block."""
    step = distance * np.asarray(direction, dtype=float)
    # the old leaves before the new arrives: never two numbers stacked in one place
    group = AnimationGroup(FadeOut(old, shift=step), FadeIn(new, shift=step), lag_ratio=1.0)
    group.gptanim_swap = True  # a replacement, not a clearing: it runs when played, even mid-beat (scenes.base)
    return group


def sentence(template: str, size: float = LABEL, color=style.TEXT, static: bool = False, **fields) -> Text:
    """One line of text with Trace numbers in it: fields are (read, fmt) pairs, a value read with its path
    (model/trace_paths.py), or (value, path, fmt) triples.

    `sentence("{n} parameters", n=(trace.fields.meta.n_params, "comma"))`
    """
    fields = {k: (f[0].value, f[0].path, f[1]) if len(f) == 2 else f for k, f in fields.items()}
    text = template.format(**{k: FORMATTERS[f](v) for k, (v, _, f) in fields.items()})
    t = struck(text, font=FONT, font_size=size, color=color)
    t.gptanim_numbers = [(p, f) for _, p, f in fields.values()]
    t.gptanim_claims = [v for v, _, f in fields.values() if f == "claim"]
    t.gptanim_static = static
    return t


def claim(stmt) -> tuple:
    """A statement as a field of `sentence` (or of a beat's explanation): `{w}` with `w=claim(stmt)`."""
    return (stmt, f"claims.{stmt.key}", "claim")


def statement(stmt, size: float = 18, color=style.TEXT) -> Text:
    """A statement of model/claims.py on its own line: words computed from the Trace, with evidence."""
    return sentence("{s}", size=size, color=color, s=claim(stmt))


def token_text(display, path: str | None = None, size: float = 22, color=style.TEXT, limit: int = 12) -> Text:
    """A token's visible text (from the Trace at `path`, or read with its path), cut with an ellipsis when long."""
    if path is None:
        display, path = display.value, display.path
    t = struck(cut(display, limit), font=FONT, font_size=size, color=color)
    t.gptanim_tokens = [(path, limit)]
    if bare_mark(display) and len(t) > 2:
        enlarge_marks(t)
    return t


def enlarge_marks(t: Text) -> Text:
    """A token of marks alone ("," "." "↵") grown in its line until its marks reach MARK_HEIGHT of the line's
    height (at most MARK_GROWTH times), the line's invisible end bars moved apart to keep their gap: the
    line keeps its height, so rows still line up, and a viewer sees the comma."""
    marks = VGroup(*t[1:-1])
    shown = t.gptanim_text
    spaces = [m for m, ch in zip(marks, shown) if ch == "·"] if len(shown) == len(marks) else []
    grown = [m for m in marks if all(m is not s for s in spaces)]
    tallest = max((m.height for m in grown), default=0.0)  # "·,": the comma, not the space mark before it
    grow = min(MARK_GROWTH, MARK_HEIGHT * t.height / max(tallest, 1e-6))
    if grow > 1:
        heights = [s.get_y() for s in spaces]
        wider = marks.width * (grow - 1)
        marks.scale(grow)
        for space, y in zip(spaces, heights):  # the space mark keeps its size and height
            space.scale(1 / grow).set_y(y)
        t[0].shift(LEFT * wider / 2)
        t[-1].shift(RIGHT * wider / 2)
        marks.shift(UP * max(0.0, t[0].get_bottom()[1] - marks.get_bottom()[1]))  # inside the line's height
    return t


def bare_mark(display: str) -> bool:
    """Whether a token shows no letter or digit and is one or two marks long ("." "," "↵" "·"): small on screen."""
    return 0 < len(display) <= 2 and not any(ch.isalnum() for ch in display)


class TokenBox(VGroup):
    """One token: its text in a translucent box of its own hue. A token of punctuation alone is drawn
    larger (`enlarge_marks`) in a chip at least as wide as it is tall, so a viewer sees a full stop."""

    def __init__(self, display, path: str | None = None, hue=style.TEXT, size: float = 22, limit: int = 12):
        """`display` a token's text and `path` where the Trace has it, or a text read with its path:
        `TokenBox(trace.fields.info.tokens.display[p], hue=style.token_hue(p))`."""
        super().__init__()
        if path is None:
            display, path = display.value, display.path
        line = token_text("x", "", size=size).height  # one height per size, so rows line up
        height = max(line + 0.1, size / 40) + 0.12
        self.text = token_text(display, path, size=size, limit=limit)  # marks alone drawn larger
        self.box = RoundedRectangle(
            corner_radius=0.06,
            width=max(self.text.width + 0.06, 0.8 * height),  # the invisible end bars already pad the text
            height=height,
            stroke_color=hue,
            stroke_width=1.5,
            fill_color=hue,
            fill_opacity=0.22,
        )
        self.text.move_to(self.box)
        self.add(self.box, self.text)


def flow(items: Sequence, max_width: float, gap: float = 0.08, line_gap: float = 0.12) -> VGroup:
    """Items placed left to right, wrapped onto new lines within `max_width` (top-aligned lines)."""
    lines, line, width = [], [], 0.0
    for item in items:
        if line and width + gap + item.width > max_width:
            lines.append(line)
            line, width = [], 0.0
        line.append(item)
        width += item.width + (gap if len(line) > 1 else 0)
    if line:
        lines.append(line)
    rows = VGroup(*(VGroup(*ln).arrange(RIGHT, buff=gap, aligned_edge=UP) for ln in lines))
    return rows.arrange(DOWN, aligned_edge=LEFT, buff=line_gap)


class TokenRow(VGroup):
    """The prompt's tokens as boxes, left to right, wrapped onto new lines within `max_width`."""

    def __init__(self, displays, paths: Sequence[str] | None = None, max_width: float = 12.5, size: float = 22,
                 gap: float = 0.08, first_hue: int = 0):  # fmt: skip
        """`displays` the tokens' texts and `paths` where the Trace has them, or a list read with its path:
        `TokenRow(trace.fields.info.tokens.display)`."""
        super().__init__()
        if paths is None:
            displays, paths = displays.value, [displays[i].path for i in range(len(displays))]
        self.boxes = [TokenBox(d, p, style.token_hue(first_hue + i), size=size) for i, (d, p) in
                      enumerate(zip(displays, paths))]  # fmt: skip
        self.add(*flow(self.boxes, max_width, gap))


class VectorColumn(VGroup):
    """The first entries of a real vector in brackets, an ellipsis row, and its length written below."""

    def __init__(
        self,
        values,
        path_of: Callable[[int], str] | None = None,
        shown: int = 6,
        size: float = 18,
        scale: float | None = None,
        dim_path: str | None = "meta.d_model",
        fmt: str = "value",
    ):
        super().__init__()
        values, path_of = with_paths(values, path_of)
        scale = scale or float(np.max(np.abs(values))) or 1.0
        self.entries = VGroup(
            *(
                number(float(values[i]), path_of(i), fmt, size=size, color=style.data_color(float(values[i]), scale))
                for i in range(min(shown, len(values)))
            )
        ).arrange(DOWN, buff=0.1, aligned_edge=RIGHT)
        body = VGroup(self.entries)
        if len(values) > shown:
            body.add(label("⋮", size=size, color=style.MUTED))
            body.arrange(DOWN, buff=0.1)
        h = body.height + 0.2
        left, right = (
            _bracket(h, LEFT).next_to(body, LEFT, buff=0.08),
            _bracket(h, RIGHT).next_to(body, RIGHT, buff=0.08),
        )
        self.add(left, body, right)
        self.decor = VGroup(left, right, *body[1:])  # everything but the entries
        if dim_path:
            self.size_label = number(len(values), dim_path, "int", size=max(size - 4, SMALLEST), color=style.MUTED)
            self.add(self.size_label.next_to(self, DOWN, buff=0.12))
            self.decor.add(self.size_label)


def with_paths(values, path_of: Callable | None) -> tuple[np.ndarray, Callable]:
    """The values as an array and the path of each entry: from `path_of`, else from `values`, a part of the Trace
    read by name (model/trace_paths.py)."""
    if path_of is not None:
        return np.asarray(values), path_of
    part = values

    def path_of_entry(*index: int) -> str:
        return part[index].path

    return np.asarray(part.value), path_of_entry


def _bracket(height: float, side) -> VGroup:
    sign = -1 if side is LEFT else 1
    top, bottom = UP * height / 2, DOWN * height / 2
    tick = RIGHT * 0.08 * -sign
    return VGroup(Line(top, bottom), Line(top, top + tick), Line(bottom, bottom + tick)).set_stroke(style.MUTED, 2)


class WeightMatrix(VGroup):
    """A slice of a real weight matrix, entries coloured by sign and size, with ellipses for the rest."""

    def __init__(
        self,
        values,
        path_of: Callable[[int, int], str] | None,
        rows: int,
        cols: int,
        size: float = 16,
        more_rows: bool = True,
        more_cols: bool = True,
    ):
        super().__init__()
        values, path_of = with_paths(values, path_of)
        scale = float(np.max(np.abs(values[:rows, :cols]))) or 1.0
        grid = VGroup()
        for r in range(rows):
            row = VGroup(
                *(
                    number(
                        float(values[r, c]),
                        path_of(r, c),
                        size=size,
                        color=style.weight_color(float(values[r, c]), scale),
                    )
                    for c in range(cols)
                )
            )
            if more_cols:
                row.add(label("⋯", size=size, color=style.MUTED))
            grid.add(row.arrange(RIGHT, buff=0.22))
        if more_rows:
            dots = VGroup(*(label("⋮", size=size, color=style.MUTED) for _ in range(cols)))
            grid.add(dots)
        grid.arrange(DOWN, buff=0.14)
        for r in range(rows):  # columns aligned on the first row
            for c in range(cols):
                grid[r][c].set_x(grid[0][c].get_x())
        if more_rows:
            for c in range(cols):
                grid[-1][c].set_x(grid[0][c].get_x())
        self.grid = grid
        h = grid.height + 0.25
        self.add(
            _bracket(h, LEFT).next_to(grid, LEFT, buff=0.1), grid, _bracket(h, RIGHT).next_to(grid, RIGHT, buff=0.1)
        )


class ProbabilityBars(VGroup):
    """Sorted next-token probabilities: token on the left, a bar, the percentage on the right, ⋮ below."""

    def __init__(
        self,
        entries: Sequence[dict],
        bar_width: float = 4.0,
        size: float = 22,
        row_height: float = 0.42,
        ellipsis: bool = True,
        scale_to: float | None = None,
    ):
        """`entries`: dicts with display, prob, token_path and prob_path, most likely first, or with display and
        prob read with their paths (`{"display": vocab[str(i)], "prob": trace.stored("probs")[k, i]}`). A row for
        the rest has a `name` instead of a token and its share as a `statement` (model/claims.py)."""
        super().__init__()
        entries = [with_entry_paths(e) for e in entries]
        top = scale_to if scale_to is not None else max((e["prob"] for e in entries), default=1.0) or 1.0
        self.rows = VGroup()
        for i, e in enumerate(entries):
            if "name" in e:
                name = label(e["name"], size=size, color=style.MUTED)
            else:
                name = token_text(e["display"], e["token_path"], size=size)  # a full stop seen: marks drawn larger
            bar = Rectangle(
                width=max(bar_width * e["prob"] / top, 0.02),
                height=row_height * 0.62,
                stroke_width=0,
                fill_color=style.MUTED if "name" in e else style.BAR,
                fill_opacity=0.9,
            )
            if "statement" in e:
                pct = statement(e["statement"], size=max(size - 2, SMALLEST))
            else:
                pct = number(e["prob"], e["prob_path"], "percent", size=max(size - 2, SMALLEST))
            y = -i * row_height
            name.move_to([-0.15 - name.width / 2, y, 0])
            bar.move_to([bar.width / 2, y, 0])
            pct.move_to([bar.get_right()[0] + 0.12 + pct.width / 2, y, 0])
            row = VGroup(name, bar, pct)
            row.name, row.bar, row.pct = name, bar, pct
            self.rows.add(row)
        self.add(self.rows)
        if ellipsis and entries:
            self.dots = label("⋮", size=size, color=style.MUTED).next_to(self.rows[-1][0], DOWN, buff=0.12)
            self.add(self.dots)


def with_entry_paths(entry: dict) -> dict:
    """A bar's entry with its display and prob as plain values and their paths (token_path, prob_path), from
    values read with their paths where it has them."""
    for key, path_key in (("display", "token_path"), ("prob", "prob_path")):
        if hasattr(entry.get(key), "path"):
            entry = {**entry, key: entry[key].value, path_key: entry[key].path}
    return entry


class AttentionGrid(VGroup):
    """An attention pattern [query, key]: a square per pair, brighter for more weight; rows are queries."""

    def __init__(
        self,
        pattern,
        displays,
        path: str | None = None,
        cell: float = 0.45,
        show_values: bool = False,
        token_paths: Sequence[str] | None = None,
    ):
        """`pattern` [query, key] and its `path`, or a head's pattern read with its path
        (`trace.attn.pattern[L, H]`); `displays` the tokens' texts (with `token_paths`), or read with their path
        (`trace.fields.info.tokens.display`)."""
        super().__init__()
        pattern, path_of = with_paths(pattern, None if path is None else lambda q, k: f"{path}[{q},{k}]")
        if hasattr(displays, "path"):
            displays, token_paths = displays.value, [displays[i].path for i in range(len(displays))]
        n = len(displays)
        self.cells = VGroup()
        for q in range(n):
            for k in range(n):
                w = float(pattern[q, k])
                sq = Square(
                    cell,
                    stroke_width=0.6,
                    stroke_color=style.MUTED,
                    fill_color=style.QUERY if k <= q else style.BACKGROUND,
                    fill_opacity=w if k <= q else 0.0,
                )
                sq.move_to([k * cell, -q * cell, 0])
                sq.weight_path = path_of(q, k)
                self.cells.add(sq)
                if show_values and k <= q:
                    self.add(number(w, path_of(q, k), "value", size=cell * 18).move_to(sq))
        self.add(self.cells)
        size = max(SMALLEST, min(NUMBER, cell * 40))
        paths = token_paths or [""] * n
        self.row_labels = VGroup(
            *(
                token_text(d, p, size=size, color=style.token_hue(i), limit=8)
                for i, (d, p) in enumerate(zip(displays, paths))
            )
        )
        for q, t in enumerate(self.row_labels):
            t.next_to(self.cells[q * n], LEFT, buff=0.12)
        self.col_labels = VGroup(
            *(
                token_text(d, p, size=size, color=style.token_hue(i), limit=8).rotate(np.pi / 2)
                for i, (d, p) in enumerate(zip(displays, paths))
            )
        )
        for k, t in enumerate(self.col_labels):
            t.next_to(self.cells[k], UP, buff=0.12)
        self.add(self.row_labels, self.col_labels)


class TransformerStack(VGroup):
    """Attention and MLP blocks alternating, one pair per layer, left to right."""

    def __init__(self, n_layer: int, max_width: float = 11.0, height: float = 1.6, upright: bool = False):
        """`upright`: labels read left to right, "Attention" and "MLP" where they fit at a legible size, else
        their initials "A" and "M" (then `self.legend` says which is which)."""
        super().__init__()
        gap = 0.12
        block_w = min(1.6 if upright else 0.9, (max_width - gap * (2 * n_layer - 1)) / (2 * n_layer))
        if upright:
            self._upright(n_layer, block_w, height, gap)
            return
        # One type size for both kinds: as large as fits "Attention" along the block.
        probe = label("Attention", size=20)
        size = 20 * min(1.0, (height - 0.15) / probe.width, (block_w - 0.12) / probe.height)
        self.blocks = VGroup()
        for i in range(n_layer):
            for kind, color in (("Attention", style.BLOCK_ATTENTION), ("MLP", style.BLOCK_MLP)):
                box = RoundedRectangle(
                    corner_radius=0.08,
                    width=block_w,
                    height=height,
                    stroke_color=color,
                    stroke_width=2,
                    fill_color=color,
                    fill_opacity=0.18,
                )
                text = label(kind, size=size, color=color).rotate(np.pi / 2)
                block = VGroup(box, text.move_to(box))
                block.kind, block.layer = kind, i
                self.blocks.add(block)
        self.blocks.arrange(RIGHT, buff=gap)
        self.add(self.blocks)

    UPRIGHT_MIN_SIZE = SMALLEST  # the smallest legible type at 854×480

    def _upright(self, n_layer: int, block_w: float, height: float, gap: float) -> None:
        probe = label("Attention", size=20)
        size = 20 * min(1.0, (block_w - 0.12) / probe.width)
        names = {"Attention": "Attention", "MLP": "MLP"}
        if size < self.UPRIGHT_MIN_SIZE:
            names, size = {"Attention": "A", "MLP": "M"}, self.UPRIGHT_MIN_SIZE
        self.blocks = VGroup()
        for i in range(n_layer):
            for kind, color in (("Attention", style.BLOCK_ATTENTION), ("MLP", style.BLOCK_MLP)):
                box = RoundedRectangle(corner_radius=0.08, width=block_w, height=height, stroke_color=color,
                                       stroke_width=2, fill_color=color, fill_opacity=0.18)  # fmt: skip
                block = VGroup(box, label(names[kind], size=size, color=color).move_to(box))
                block.kind, block.layer = kind, i
                self.blocks.add(block)
        self.blocks.arrange(RIGHT, buff=gap)
        self.add(self.blocks)
        self.legend = None
        if names["MLP"] == "M":
            self.legend = label("A: attention · M: MLP", size=size, color=style.MUTED)
            self.add(self.legend.next_to(self.blocks, DOWN, buff=0.1).align_to(self.blocks, LEFT))

    def block(self, layer: int, kind: str) -> VGroup:
        return self.blocks[2 * layer + (0 if kind == "Attention" else 1)]


def fan_arrow(start, end, weight: float, depth: float, color=style.QUERY) -> Arrow:
    """An arrow like `flow_arrow`, bowed by `depth` (frame units, positive sags below the chord), so arrows
    from several tokens to one fan out instead of lying on one line."""
    chord = float(np.linalg.norm(np.asarray(end) - np.asarray(start))) or 1.0
    angle = 4 * np.arctan(2 * depth / chord) * (1 if end[0] >= start[0] else -1)
    arrow = Arrow(
        start, end, buff=0.05, path_arc=angle, stroke_width=1 + 5 * weight, color=color, tip_length=0.16,
        max_tip_length_to_length_ratio=0.2,
    )  # fmt: skip
    opacity = 0.45 + 0.55 * weight  # the faintest still about 3.5:1 against the dark background
    arrow.set_fill(opacity=0).set_stroke(opacity=opacity)  # an arc's path is open: nothing to fill
    arrow.tip.set_fill(color, opacity=opacity)
    return arrow


def flow_arrow(start, end, weight: float, color=style.QUERY) -> Arrow:
    """An arrow whose opacity and width follow a real attention weight."""
    return Arrow(
        start, end, buff=0.05, stroke_width=1 + 5 * weight, color=color, max_tip_length_to_length_ratio=0.12
    ).set_opacity(0.15 + 0.85 * weight)


def with_symbols(template: str, size: float = 18, color=style.TEXT) -> VGroup:
    """A label with fixed math symbols in it, the symbols set in LaTeX: `with_symbols("weights $W_Q$ of layer 1")`.
    Only the lecture's own symbols go between the dollars, never user text."""
    parts = VGroup()
    for k, part in enumerate(re.split(r"(\$[^$]+\$)", template)):
        if k % 2:
            mob = MathTex(part[1:-1], font_size=size * 1.35, color=color)
        elif part.strip():
            mob = label(part.strip(), size=size, color=color)
        else:
            continue
        if len(parts):  # words that follow a symbol at once ("$W_U$, one row") keep close to it
            mob.next_to(parts[-1], RIGHT, buff=0.1 if k % 2 or part[:1].isspace() else 0.04)
        parts.add(mob)
    words = [p for p in parts if not isinstance(p, MathTex)]
    for p in parts:  # a symbol's capital stands on the words' baseline
        if isinstance(p, MathTex) and words:
            p.shift((words[0].get_center()[1] - p[0][0].get_center()[1]) * UP)
    return parts


class VectorStrip(VGroup):
    """A vector as a column of small cells, one per entry shown, each as bright as the entry is large (the data
    colour, grey to white): a vector in flight, where its numbers would be too small to read. No text."""

    def __init__(self, values: np.ndarray, shown: int = 6, cell: float = 0.16, scale: float | None = None):
        super().__init__()
        values = np.asarray(values, dtype=float)[:shown]
        scale = scale or float(np.max(np.abs(values))) or 1.0
        for i, v in enumerate(values):
            square = Square(cell, stroke_width=1, stroke_color=style.MUTED)
            self.add(square.set_fill(style.data_color(float(v), scale), opacity=1.0).move_to([0, -i * cell, 0]))


class SpinnerWheel(VGroup):
    """Sampling as a wheel of fortune: one slice per probability (as wide as the probability), a grey slice for
    everything else, and a fixed pointer at the top. Spin `disc` (`Rotate(wheel.disc, wheel.spin_to(k),
    about_point=wheel.centre)`) and slice k stops under the pointer. No text: the slices' colours match the bars
    that name them."""

    START = np.pi / 2  # the first slice starts at the top and the slices follow clockwise
    REST = style.MUTED  # everything else: a plain grey, unlike any token's colour

    def __init__(self, probs: Sequence[float], colors: Sequence, radius: float = 1.5, turned: float = 0.0):
        """`probs`: the shown probabilities in order; the rest of 1 is one grey slice. `turned`: the wheel starts
        turned by this angle (the angle an earlier wheel stopped at, so a new wheel replaces it in place)."""
        super().__init__()
        self.radius, self.turned = radius, turned
        shares = [max(float(p), 0.0) for p in probs]
        rest = max(1.0 - sum(shares), 0.0)
        self.slices, self.mids, start = VGroup(), [], self.START
        for share, color in [*zip(shares, colors), (rest, self.REST)]:
            angle = -2 * np.pi * share
            piece = AnnularSector(inner_radius=0, outer_radius=radius, angle=angle, start_angle=start,
                                  fill_color=color, fill_opacity=1.0, stroke_width=1.5,
                                  stroke_color=style.BACKGROUND)  # fmt: skip
            self.slices.add(piece)
            self.mids.append(start + angle / 2)
            start += angle
        self.rest = self.slices[-1]
        rim = Circle(radius=radius, stroke_color=style.MUTED, stroke_width=2)
        self.disc = VGroup(self.slices, rim).rotate(turned, about_point=ORIGIN)
        self.hub = Dot(radius=0.07, color=style.TEXT)
        self.pointer = Triangle(color=style.NEXT_SLOT, fill_opacity=1.0, stroke_width=0).scale(0.18).rotate(np.pi)
        self.pointer.next_to([0, radius, 0], UP, buff=-0.12)
        self.add(self.disc, self.hub, self.pointer)

    @property
    def centre(self) -> np.ndarray:
        return self.hub.get_center()

    def spin_to(self, k: int, turns: int = 2) -> float:
        """The angle (clockwise, `turns` whole turns and the rest) that brings the middle of slice k, where the
        disc stands now, under the pointer; the disc's `turned` is updated to where it will stop."""
        now = self.mids[k] + self.turned
        rest = (now - self.START) % (2 * np.pi)  # clockwise distance to the top
        angle = -(rest + 2 * np.pi * turns)
        self.turned = (self.turned + angle) % (2 * np.pi)
        return angle
