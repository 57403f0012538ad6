"""Attention and the MLP, from the real weights: patterns, one q·k worked out, flow, and neurons."""

from __future__ import annotations

import re

import numpy as np
from manim import (
    DOWN,
    DR,
    LEFT,
    RIGHT,
    UP,
    AnimationGroup,
    ArcBetweenPoints,
    Arrow,
    Axes,
    BackgroundRectangle,
    Circle,
    Create,
    CurvedArrow,
    Dot,
    FadeIn,
    FadeOut,
    Group,
    GrowArrow,
    GrowFromCenter,
    GrowFromEdge,
    ImageMobject,
    Indicate,
    LaggedStart,
    Line,
    Polygon,
    Rectangle,
    ReplacementTransform,
    Square,
    SurroundingRectangle,
    Transform,
    TransformFromCopy,
    UpdateFromAlphaFunc,
    VGroup,
    config,
    interpolate_color,
)

from model.claims import first_read, hidden_read, statements, strongest_read
from model.formats import fmt_percent
from scenes import style
from scenes.base import TraceScene
from scenes.components import (
    HEADING,
    LABEL,
    NUMBER,
    SMALLEST,
    AttentionGrid,
    TokenBox,
    VectorColumn,
    VectorStrip,
    claim,
    label,
    number,
    sentence,
    statement,
    swap,
    token_text,
    with_symbols,
)
from scenes.pacing import cue, dim, said_by
from scenes.speech import big, dec, spoken_token

MASK_BLACK = "#000000"  # a masked cell, in either theme: a token cannot look ahead
MAX_GRID = 16  # tokens in the big grid; longer prompts show their last 16
FLOW_TOKENS = 12  # tokens AttentionFlow draws: the last 12


TOKEN_SIZES = ((26, 10), (24, 10), (22, 8), (20, 7), (20, 6))  # (type size, letters) of token chips


def token_chips(trace, positions: list[int], width: float) -> VGroup:
    """The tokens at `positions` as chips in one row, as large as fits `width`, a short prompt spread over it."""
    for size, limit in TOKEN_SIZES:
        boxes = VGroup(*(TokenBox(trace.fields.info.tokens.display[p], hue=style.token_hue(p), size=size,
                                  limit=limit) for p in positions))  # fmt: skip
        if sum(b.width for b in boxes) + 0.18 * (len(boxes) - 1) <= width:
            break
    spare = width - sum(b.width for b in boxes)
    boxes.arrange(RIGHT, buff=min(1.4, max(0.18, spare / max(1, len(boxes) - 1))))
    if boxes.width > width:
        boxes.scale_to_fit_width(width)
    return boxes


def head_heading(trace, size: float = 26):
    """The head's name, short and large: what it does is shown, and said, beat by beat."""
    att = trace.fields.info.attention
    return sentence("Layer {L}, head {H}", size=size, L=(att.layer, "plus1"), H=(att.head, "plus1"))


def raw_scores(trace, layer: int, head: int, positions: list[int]) -> np.ndarray:
    """Every drawn query's q·k/√d_head with every drawn key, the cells the mask will black out too: the scores as
    they are before the mask (the Trace's own scores where the mask lets them through)."""
    turned = "rot_" if f"blocks.{layer}.attn.hook_rot_q" in trace.arrays else ""
    q = trace[f"blocks.{layer}.attn.hook_{turned}q"][positions, head].astype(np.float64)
    k = trace[f"blocks.{layer}.attn.hook_{turned}k"][positions, head].astype(np.float64)
    return q @ k.T / float(trace.info["attention"]["example"]["scale"])


def shown_positions(trace, limit: int = MAX_GRID) -> list[int]:
    n = len(trace.token_ids)
    return list(range(max(0, n - limit), n))


def pattern_image(trace, positions: list[int]) -> np.ndarray:
    """All heads of all layers as one RGB image: a block per (layer, head), a pixel per (query, key)."""
    n, gap = len(positions), 1
    L, H = trace.n_layer, trace.n_head
    zero = np.array(style.PATTERN_ZERO.to_int_rgb(), dtype=np.float64)
    image = np.zeros((L * (n + gap), H * (n + gap), 4), dtype=np.uint8)
    image[..., :3], image[..., 3] = zero, 255
    yellow = np.array(style.QUERY.to_int_rgb(), dtype=np.float64)
    idx = np.ix_(positions, positions)
    for layer in range(L):
        P = trace.attn.pattern[layer].value
        for head in range(H):
            block = P[head][idx]
            y, x = layer * (n + gap), head * (n + gap)
            image[y : y + n, x : x + n, :3] = np.round(zero + block[..., None] * (yellow - zero)).astype(np.uint8)
    return image


def bar_sides(scores: np.ndarray) -> str:
    """Where a row's score bars lie about zero, in words: said only as the picture shows it."""
    seen = scores[np.isfinite(scores)]
    if seen.size and seen.max() < 0:
        return "all left of zero, every score below zero"
    if seen.size and seen.min() >= 0:
        return "all right of zero"
    return "left and right of zero"


def entry_bars(values: np.ndarray, colors, x: float, half: float, top: float, bottom: float) -> VGroup:
    """A vector as a tall strip of thin horizontal bars, one per entry, each drawn from a centre line at `x`
    (right if above zero, left if below) as long as the entry is large; `colors` gives each bar's colour."""
    scale = float(np.max(np.abs(values))) or 1.0
    step = (top - bottom) / len(values)
    bars = VGroup()
    for i, v in enumerate(values):
        long = max(0.015, abs(float(v)) / scale * half)
        bar = Rectangle(width=long, height=0.7 * step, stroke_width=0).set_fill(colors(float(v)), opacity=0.95)
        bars.add(bar.move_to([x + (long / 2 if v >= 0 else -long / 2), top - (i + 0.5) * step, 0]))
    bars.centre_x = x  # the zero line (tests read it)
    return bars


class AttentionPattern(TraceScene):
    """One real head: queries meet keys, the raw scores fill the grid (−∞ above the diagonal), one q·k worked
    out, the last row's scores become weights through softmax, then every head as small multiples."""

    TITLE = "An attention pattern"
    PART = "Attention and the MLP"
    SUMMARY = "A real head's pattern with its causal mask, one q·k score worked out, and every head as small multiples."
    RENDER_SECONDS = 9

    GRID_LABEL = 22  # type size of the grid's token labels, where the cells are large enough
    GRID_HEIGHT = 5.6  # the grid's height: from above the caption band to below the column labels and heading
    COL_LIMIT = 10  # letters of a token's name in the grid's labels: "·fisherman" in full
    GRID_BOTTOM = -3.2
    PANEL = 30  # type size of the right half's worked score

    def construct(self):
        self.show_grid()
        self.draw_grid()
        self.explain_mask()
        self.work_out_one_score()
        self.softmax_row()
        self.what_it_reads()
        self.all_heads()

    def label_size(self, cell: float) -> float:
        """The grid's token labels: GRID_LABEL where a row is tall enough, never under SMALLEST."""
        return max(SMALLEST, min(self.GRID_LABEL, cell * 40))

    def show_grid(self):
        t = self.trace
        att = t.info["attention"]
        self.layer, self.head = att["layer"], att["head"]
        L, H = self.layer, self.head
        self.positions = shown_positions(t)
        n = len(self.positions)
        idx = np.ix_(self.positions, self.positions)
        pattern = t.pattern(L, H)[idx]
        cell = min(0.62, self.GRID_HEIGHT / n)  # the grid as tall as the frame allows, the subject of the scene
        displays = [t.token_display[p] for p in self.positions]
        paths = [t.fields.info.tokens.display[p].path for p in self.positions]
        self.grid = AttentionGrid(pattern, displays, t.attn.pattern[L, H].path, cell=cell,
                                  show_values=False, token_paths=paths)  # fmt: skip
        for j, p in enumerate(self.positions):  # the tokens' names written out in full
            self.grid.row_labels.submobjects[j] = token_text(
                t.fields.info.tokens.display[p],
                size=self.label_size(cell),
                color=style.token_hue(j),
                limit=self.COL_LIMIT,
            )
            self.grid.col_labels.submobjects[j] = token_text(t.fields.info.tokens.display[p], size=self.label_size(cell),
                                                             color=style.token_hue(j), limit=self.COL_LIMIT).rotate(
                                                                 np.pi / 2)  # fmt: skip
        for labels, side in ((self.grid.row_labels, LEFT), (self.grid.col_labels, UP)):  # legible at any length
            for j, text in enumerate(labels):
                text.scale(self.label_size(cell) / max(SMALLEST, min(NUMBER, cell * 40)))
                text.next_to(self.grid.cells[j * n if side is LEFT else j], side, buff=0.1)
        for sq, (q, k) in zip(self.grid.cells, ((q, k) for q in self.positions for k in self.positions)):
            sq.weight_path = t.attn.pattern[L, H, q, k].path
        corner = self.grid.cells[(n - 1) * n].get_corner(DOWN + LEFT)  # the grid's bottom left on the caption band
        self.grid.shift(np.array([-5.3, self.GRID_BOTTOM, 0]) - corner)
        spill = -config.frame_width / 2 + style.FRAME_MARGIN - self.grid.row_labels.get_left()[0]
        self.grid.shift(max(0.0, spill) * RIGHT)
        self.heading = head_heading(t, size=HEADING - 6).to_edge(UP, buff=0.3)
        self.fit_width(self.heading)
        room = self.heading.get_bottom()[1] - 0.12 - self.GRID_BOTTOM  # the column names stay under the heading
        tall = self.grid.col_labels.get_top()[1] - self.GRID_BOTTOM
        if tall > room:
            self.grid.scale(room / tall, about_point=self.grid.cells[(n - 1) * n].get_corner(DOWN + LEFT))
        self.panel_x = self.grid.cells.get_right()[0] + 0.6  # where the right half's panels start
        # Before softmax: each cell coloured by its raw score q·k/√d (blue +, red −), masked cells empty.
        scores = t.attn.scores[L, H].value[idx]
        seen = scores[np.isfinite(scores)]
        scale = float(np.max(np.abs(seen))) if seen.size else 1.0
        self.weights_fill = [(sq.get_fill_color(), sq.get_fill_opacity()) for sq in self.grid.cells]
        for sq, s in zip(self.grid.cells, scores.ravel()):
            if np.isfinite(s):
                sq.set_fill(style.weight_color(float(s), scale), opacity=0.9)
        # the cells ahead of each token have a score too, before the mask sets it to −∞: drawn, then blacked out
        self.before_mask = raw_scores(t, L, H, self.positions)
        self.ahead_fill = [style.weight_color(float(self.before_mask[q, k]), scale) for q in range(n)
                           for k in range(q + 1, n)]  # fmt: skip
        masked = [self.grid.cells[q * n + k] for q in range(n) for k in range(q + 1, n)]
        if masked:  # one large −∞ over the masked triangle: the rule, not a number per cell
            self.minus_inf = with_symbols("$-\\infty$", size=56, color=style.NEGATIVE)
            corner = self.grid.cells[n - 1].get_corner(UP + RIGHT)
            self.minus_inf.move_to(corner + np.array([-0.3 * n * cell, -0.3 * n * cell, 0]))
        else:
            self.minus_inf = VGroup()
        self.hidden_note = VGroup()
        if n < len(t.token_ids):
            self.play(FadeIn(self.heading))
            self.hidden_note = VGroup(label("In the last row,", size=SMALLEST, color=style.MUTED),
                                      sentence("{c}.", size=SMALLEST, color=style.MUTED,
                                               c=claim(hidden_read(t, L, H, MAX_GRID)))).arrange(DOWN, aligned_edge=LEFT,
                                                                                                 buff=0.12)  # fmt: skip
            self.fit_width(self.hidden_note, 6.5 - self.panel_x)
            self.hidden_note.next_to([self.panel_x, 2.6, 0], DOWN + RIGHT, buff=0)
            self.beat(
                "Last part",
                f"The prompt has {{n}} tokens; the grid shows the last {n}.",
                static=True,  # the grid's size is the scene's choice, not a model number
                n=(t.fields.info.tokens.ids, "len"),
                say=f"This prompt has {len(t.token_ids)} tokens, so the grid shows only the last {n}. In its last "
                f"row, {hidden_read(t, L, H, MAX_GRID).text}.",
            )
            cue(self, 1)
            self.play(FadeIn(self.hidden_note))

    def legend(self) -> VGroup:
        """How to read the grid, right of it: rows are queries (yellow), columns keys (teal), blue and red scores."""
        size = LABEL + 4
        rows = VGroup(label("each row: a query", size=size, color=style.QUERY),
                      label("each column: a key", size=size, color=style.KEY))  # fmt: skip
        for color, words in ((style.weight_color(1.0, 1.0), "score above zero"), (style.weight_color(-1.0, 1.0),
                             "score below zero")):  # fmt: skip
            swatch = Square(0.4, stroke_width=0).set_fill(color, opacity=0.9)
            rows.add(VGroup(swatch, label(words, size=size)).arrange(RIGHT, buff=0.2))
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.35)
        self.fit_width(rows, config.frame_width / 2 - style.FRAME_MARGIN - self.panel_x)
        return rows.next_to([self.panel_x, 1.7, 0], DOWN + RIGHT, buff=0)

    def overview(self):
        """Every head of every layer as small multiples, large and labelled (a row per layer, a column per head);
        a function giving a head's frame; the heading that names their count."""
        t = self.trace
        image = pattern_image(t, self.positions)
        multiples = ImageMobject(image)
        multiples.set_resampling_algorithm(0)  # nearest: one crisp square per weight
        multiples.height = min(5.0, 11.0 * image.shape[0] / image.shape[1])
        if multiples.width < 10.4:  # across the frame: each head's pattern drawn wider than tall, rows and columns kept
            multiples.stretch_to_fit_width(10.4)
        multiples.move_to([0.3, -0.55, 0])
        self.multiples = multiples
        w, h = multiples.width / t.n_head, multiples.height / t.n_layer
        left, top = multiples.get_left()[0], multiples.get_top()[1]
        size = max(SMALLEST, min(LABEL, h * 36))
        names = VGroup(label("layer", size=size, color=style.MUTED).rotate(np.pi / 2).move_to([left - 0.75,
                       multiples.get_y(), 0]), label("head", size=size, color=style.MUTED).next_to([left - 0.05,
                       top + 0.25, 0], LEFT, buff=0.1))  # fmt: skip
        for layer in range(t.n_layer):
            names.add(
                label(str(layer + 1), size=size, color=style.MUTED).move_to([left - 0.3, top - (layer + 0.5) * h, 0])
            )
        for head in range(0, t.n_head, 1 if w >= 0.55 else 2):  # every other head where they are narrow
            names.add(
                label(str(head + 1), size=size, color=style.MUTED).move_to([left + (head + 0.5) * w, top + 0.25, 0])
            )
        heading = sentence("{L} layers × {H} heads", size=HEADING - 6, H=(t.fields.meta.n_head, "int"),
                           L=(t.fields.meta.n_layer, "int")).to_edge(UP, buff=0.3)  # fmt: skip

        def block(layer: int, head: int) -> Rectangle:
            return Rectangle(width=w, height=h, color=style.TEXT, stroke_width=3).move_to(
                [left + (head + 0.5) * w, top - (layer + 0.5) * h, 0]
            )

        return Group(multiples, names), block, heading

    def draw_grid(self):
        """The grid drawn as the narration names its parts: every head first, then the watched one alone grows into
        the empty grid; the queries' rows, the keys' columns, the scores (those ahead of each token too), with a
        legend beside it."""
        t = self.trace
        self.key = self.legend()
        self.beat(
            "Pattern",
            "Each head is a grid: a row for each query token, a column for each key token.",
            say="Attention runs as several heads side by side: each head is one small reader, with its own "
            f"queries and keys. Here is one head up close: layer {self.layer + 1}, head {self.head + 1}. Each row "
            "is a token that reads, through its query. Each column is a token being read, through its key. Where "
            "they meet, query times key gives a score, blue above zero and red below.",
        )
        outline = VGroup(*(sq.copy().set_fill(opacity=0).set_stroke(style.MUTED, width=1) for sq in self.grid.cells))
        self.grid.add_to_back(outline)
        self.outline = outline
        heads, block, heading = self.overview()
        shown = [m for m in (self.heading, self.hidden_note) if m in self.mobjects]  # a long prompt's: back later
        self.play(*(FadeOut(m) for m in shown), FadeIn(heading), FadeIn(heads[0]), FadeIn(heads[1]), run_time=1.0)
        numbers = heads[1][2 + t.n_layer :]  # the heads' numbers light in turn: several readers side by side
        self.play(LaggedStart(*(Indicate(m, color=style.TEXT, scale_factor=1.4) for m in numbers), lag_ratio=0.5),
                  run_time=max(1.0, said_by(self, 0, 1.0) - 1.0))  # fmt: skip
        cue(self, 1)  # the watched head framed; the others leave and it alone grows into the grid
        mark = block(self.layer, self.head)
        self.play(Create(mark), run_time=0.6)
        alone = self.head_alone(heads[0], mark)
        self.add(alone)
        self.play(FadeOut(heads), FadeOut(mark), swap(heading, self.heading), run_time=0.6, now=True)
        cells = self.grid.cells
        self.play(alone.animate.stretch_to_fit_width(cells.width).stretch_to_fit_height(cells.height)
                  .move_to(cells), run_time=max(0.8, said_by(self, 1, 1.0) - 1.8))  # fmt: skip
        # its weights come later: first its empty grid
        self.play(FadeIn(outline), FadeOut(alone), run_time=0.6, now=True)
        cue(self, 2)
        self.play(LaggedStart(*(FadeIn(x, shift=0.2 * RIGHT) for x in self.grid.row_labels), lag_ratio=0.15),
                  FadeIn(self.key[0]), FadeIn(self.hidden_note), run_time=said_by(self, 2, 1.0))  # fmt: skip
        cue(self, 3)
        self.play(LaggedStart(*(FadeIn(x, shift=0.2 * DOWN) for x in self.grid.col_labels), lag_ratio=0.15),
                  FadeIn(self.key[1]), run_time=said_by(self, 3, 1.0))  # fmt: skip
        cue(self, 4)
        n = len(self.positions)
        self.masked = VGroup(*(self.grid.cells[q * n + k] for q in range(n) for k in range(q + 1, n)))
        for sq, color in zip(self.masked, self.ahead_fill):  # ahead of its row's token: a score all the same
            sq.set_fill(color, opacity=0.9)
        self.play(LaggedStart(*(FadeIn(c) for c in self.grid.cells), lag_ratio=0.01), FadeIn(self.key[2:]),
                  run_time=said_by(self, 4, 2.0))  # fmt: skip

    def head_alone(self, image: ImageMobject, mark: Rectangle) -> ImageMobject:
        """The watched head's block of the small multiples, cut out alone, exactly over its place in them."""
        n = len(self.positions)
        pixels = image.pixel_array
        y, x = self.layer * (n + 1), self.head * (n + 1)
        alone = ImageMobject(np.ascontiguousarray(pixels[y : y + n, x : x + n]))
        alone.set_resampling_algorithm(0)
        alone.stretch_to_fit_width(mark.width * n / (n + 1)).stretch_to_fit_height(mark.height * n / (n + 1))
        return alone.move_to(mark.get_corner(UP + LEFT), aligned_edge=UP + LEFT)

    def explain_mask(self):
        if not len(self.minus_inf):  # one token: nothing lies ahead of it, no score to mask
            return
        cells, n = self.grid.cells, len(self.positions)
        diagonal = Line(cells[0].get_corner(UP + LEFT), cells[n * n - 1].get_corner(DOWN + RIGHT), color=style.TEXT,
                        stroke_width=3)  # fmt: skip
        self.beat(
            "Causal mask",
            "A token may not look ahead: its scores for later tokens are −∞.",
            say="Above the diagonal, a token would read tokens that come after it. It may not look ahead, so those "
            "cells are blacked out: their scores are set to minus infinity.",
        )
        self.play(Create(diagonal), run_time=said_by(self, 0, 1.0))
        cue(self, 1)  # row by row, the cells ahead of each token turn black
        self.play(LaggedStart(*(sq.animate.set_fill(MASK_BLACK, opacity=1.0) for sq in self.masked), lag_ratio=0.04),
                  run_time=said_by(self, 1, 1.5) * 0.6)  # fmt: skip
        self.play(FadeIn(self.minus_inf, scale=1.3), dim(diagonal),
                  run_time=said_by(self, 1, 1.0))  # fmt: skip

    def score_panel(self, q: int, k: int) -> tuple[VGroup, VGroup, VGroup]:
        """Right of the grid: the query's and the key's vectors as tall bar strips (yellow, teal), their entrywise
        products (blue above zero, red below); under them the products' sum, then divided by the root of d_head."""
        t, L, H = self.trace, self.layer, self.head
        turned = "rot_" if f"blocks.{L}.attn.hook_rot_q" in t.arrays else ""  # rotary: q and k after turning
        qv = np.asarray(getattr(t.attn, turned + "q")[L, q, H].value, dtype=float)
        kv = np.asarray(getattr(t.attn, turned + "k")[L, k, H].value, dtype=float)
        left, right = self.panel_x + 0.3, config.frame_width / 2 - style.FRAME_MARGIN - 0.2
        gap = (right - left) / 3
        xs = [left + gap * (c + 0.5) for c in range(3)]
        half, top, bottom = 0.42 * gap, 1.85, -1.15
        prod = qv * kv
        scale = float(np.max(np.abs(prod))) or 1.0
        strips = VGroup(entry_bars(qv, lambda v: style.QUERY, xs[0], half, top, bottom),
                        entry_bars(kv, lambda v: style.KEY, xs[1], half, top, bottom),
                        entry_bars(prod, lambda v: style.weight_color(v, scale), xs[2], half, top, bottom))  # fmt: skip
        size = 24
        names = VGroup(
            VGroup(label("query", size=size, color=style.QUERY),
                   token_text(t.fields.info.tokens.display[q], size=size, color=style.QUERY, limit=12)),
            VGroup(label("key", size=size, color=style.KEY),
                   token_text(t.fields.info.tokens.display[k], size=size, color=style.KEY, limit=12)),
            VGroup(label("products", size=size), label("q × k", size=size)),
        )  # fmt: skip
        for name, x in zip(names, xs):
            name.arrange(DOWN, buff=0.08)
            self.fit_width(name, gap - 0.1).move_to([x, top + 0.15, 0], aligned_edge=DOWN)
        signs = VGroup(label("×", size=34).move_to([(xs[0] + xs[1]) / 2, (top + bottom) / 2, 0]),
                       label("=", size=34).move_to([(xs[1] + xs[2]) / 2, (top + bottom) / 2, 0]))  # fmt: skip
        count = sentence("{d} numbers each", size=size, color=style.MUTED, d=(t.fields.meta.d_head, "int"))
        count.next_to(strips[:2], DOWN, buff=0.2).set_x((xs[0] + xs[1]) / 2)
        ex = t.fields.info.attention.example
        lines = VGroup(
            VGroup(label("sum =", size=self.PANEL), number(ex.dot, size=self.PANEL)).arrange(RIGHT, buff=0.2),
            VGroup(sentence("÷ {r} =", size=self.PANEL, r=(ex.scale, "int")),
                   number(t.attn.scores[L, H, q, k], size=self.PANEL)).arrange(RIGHT, buff=0.2),
        ).arrange(DOWN, aligned_edge=RIGHT, buff=0.25)  # fmt: skip
        self.fit_width(lines, right - left)
        lines.next_to([right, count.get_bottom()[1] - 0.2, 0], DOWN + LEFT, buff=0)
        return VGroup(names, signs, count), strips, lines

    def work_out_one_score(self):
        """One cell's score worked out beside the grid: the query and the key as strips of bars, multiplied entry
        by entry, the products summed, divided by the root of d_head; the score flies into its cell."""
        t = self.trace
        ex = t.info["attention"]["example"]
        q, k = ex["query"], ex["key"]
        n = len(self.positions)
        self.cell_mark = VGroup()
        if q in self.positions and k in self.positions:
            cell = self.grid.cells[self.positions.index(q) * n + self.positions.index(k)]
            self.cell_mark = SurroundingRectangle(cell, buff=0.02, color=style.TEXT, stroke_width=3)
        words, strips, lines = self.score_panel(q, k)
        score = float(t.attn.scores[self.layer, self.head, q, k].value)
        self.beat(
            "One score",
            "A score is a query times a key, divided by the square root of the head size.",
            say=f"Take one cell: the query of {spoken_token(t.token_display[q])} meets the key of "
            f"{spoken_token(t.token_display[k])}, {t.meta['d_head']} numbers each. Multiply them entry by entry, "
            f"and add the products up: {dec(ex['dot'], 2)}. Divide by {dec(ex['scale'], 0)}, the square root of that "
            f"size, and the cell's score is {dec(score, 2)}.",
        )
        self.play(FadeOut(self.key), FadeOut(self.hidden_note), run_time=0.4)  # the legend leaves, then the vectors
        self.play(Create(self.cell_mark), FadeIn(words[0][:2]), FadeIn(words[1][0]), FadeIn(words[2]),
                  *(GrowFromEdge(s, UP) for s in strips[:2]), run_time=max(1.0, said_by(self, 0, 1.5)))  # fmt: skip
        cue(self, 1)  # entry by entry: each pair of bars gives a product
        self.play(FadeIn(words[0][2]), FadeIn(words[1][1]),
                  LaggedStart(*(TransformFromCopy(VGroup(a, b), c) for a, b, c in zip(*strips)), lag_ratio=0.02),
                  run_time=said_by(self, 1, 2.5) * 0.6)  # fmt: skip
        total = strips[2].copy()  # the products fall together into their sum
        self.play(total.animate.move_to(lines[0][-1]).scale(0.2).set_opacity(0), FadeIn(lines[0]),
                  run_time=said_by(self, 1, 1.2) * 0.4)  # fmt: skip
        self.remove(total)
        cue(self, 2)
        self.play(FadeIn(lines[1], shift=0.1 * DOWN), run_time=1.0)
        # an arrow from the score to its cell (a copy flying there would overprint the number as it leaves)
        into = Arrow(lines[1][1].get_bottom(), self.cell_mark.get_right(), buff=0.15, color=style.TEXT, stroke_width=4)
        self.play(GrowArrow(into), Indicate(self.cell_mark, color=style.TEXT),
                  run_time=max(0.8, said_by(self, 2, 1.2) - 1.0))  # fmt: skip
        self.example = VGroup(words, strips, lines)
        self.example_arrow = into

    def row_bars(self, scores: np.ndarray, weights: np.ndarray) -> tuple[VGroup, VGroup, VGroup]:
        """The last row as bars beside the grid, each key on the height of its own grid row: first its score
        (blue right of a zero line, red left of it), then its weight (yellow, from the left edge)."""
        t, n = self.trace, len(self.positions)
        cell = self.grid.cells[0].width
        x0, x1 = self.panel_x, config.frame_width / 2 - style.FRAME_MARGIN - 1.75  # room for the numbers right
        keys, score_bars, weight_bars = VGroup(), VGroup(), VGroup()
        size = self.label_size(cell)
        for j, p in enumerate(self.positions):
            key = token_text(t.fields.info.tokens.display[p], size=size, color=style.token_hue(j), limit=10)
            keys.add(key.move_to([x0, self.grid.cells[j * n].get_y(), 0], aligned_edge=LEFT))
        left = keys.get_right()[0] + 0.25
        middle, scale = (left + x1) / 2, float(np.max(np.abs(scores))) or 1.0
        top = float(np.max(weights)) or 1.0
        for key, s, w in zip(keys, scores, weights):
            half = max(0.02, abs(float(s)) / scale * (x1 - middle))
            bar = Rectangle(width=half, height=0.7 * cell, stroke_width=0)
            bar.set_fill(style.weight_color(float(s), scale), opacity=0.9)
            score_bars.add(bar.move_to([middle + (half / 2 if s >= 0 else -half / 2), key.get_y(), 0]))
            long = max(0.02, float(w) / top * (x1 - left))
            bar = Rectangle(width=long, height=0.7 * cell, stroke_width=0).set_fill(style.QUERY, opacity=0.9)
            weight_bars.add(bar.move_to([left + long / 2, key.get_y(), 0]))
        self.zero_line = Line([middle, keys.get_top()[1] + 0.1, 0], [middle, keys.get_bottom()[1] - 0.1, 0],
                              color=style.MUTED, stroke_width=2)  # fmt: skip
        self.bar_room = (left, x1)
        return keys, score_bars, weight_bars

    def row_numbers(self, reads, fmt: str, keys: VGroup, color=style.TEXT) -> VGroup:
        """One number per key, in a column at the right edge, each on its key's line."""
        size = max(SMALLEST, min(self.label_size(self.grid.cells[0].width), 24))
        right = config.frame_width / 2 - style.FRAME_MARGIN
        return VGroup(*(number(r, fmt=fmt, size=size, color=color).move_to([0, k.get_y(), 0]).align_to(
            [right, 0, 0], RIGHT) for r, k in zip(reads, keys)))  # fmt: skip

    def softmax_headings(self, keys, raised) -> tuple:
        """The row's column headings (score, e^score, weight) at the right, and the sum of e^score and "÷ sum"
        on their line, left of the column it sums."""
        power = VGroup(label("e", size=LABEL + 2, color=style.KEY), label("score", size=SMALLEST, color=style.KEY))
        power[1].next_to(power[0], UP + RIGHT, buff=0.02).shift(0.12 * DOWN)  # e to the score, the score raised
        heads = [label("score", size=LABEL), power, label("weight", size=LABEL, color=style.QUERY)]
        for h in heads:
            h.next_to(keys, UP, buff=0.3).align_to([config.frame_width / 2 - style.FRAME_MARGIN, 0, 0], RIGHT)
        total = sentence("sum {s}", size=LABEL, color=style.KEY, s=(raised.sum, "sig3"))
        total.next_to(heads[1], LEFT, buff=0.5)
        divide = sentence("÷ {s}", size=LABEL, color=style.QUERY, s=(raised.sum, "sig3")).move_to(
            total, aligned_edge=RIGHT
        )
        return heads, total, divide

    def softmax_row(self):
        """The last query's row, softmax drawn step by step: its scores as bars about a zero line, e to each score
        (all positive, the largest still the largest), their sum, each divided by it: the weights, in percent;
        then the grid's scores become the pattern."""
        t = self.trace
        L, H = self.layer, self.head
        n, last = len(self.positions), self.positions[-1]
        score_row, weight_row = t.attn.scores[L, H, last], t.attn.pattern[L, H, last]
        weights = weight_row.value
        keys, score_bars, weight_bars = self.row_bars(score_row.value[self.positions], weights[self.positions])
        self.score_bars = score_bars.copy()  # the scores as bars, before softmax changes them (tests read them)
        raised = t.fields.info.attention.softmax
        left, x1 = self.bar_room
        top_raised = max(float(raised.exp[p].value) for p in self.positions) or 1.0
        exp_bars = VGroup(*(Rectangle(width=max(0.02, float(raised.exp[p].value) / top_raised * (x1 - left)),
                                      height=b.height, stroke_width=0).set_fill(style.KEY, opacity=0.9)
                            for p, b in zip(self.positions, weight_bars)))  # fmt: skip
        for e, w in zip(exp_bars, weight_bars):
            e.move_to(w, aligned_edge=LEFT)
        scores = self.row_numbers([score_row[p] for p in self.positions], "value", keys)
        exps = self.row_numbers([raised.exp[p] for p in self.positions], "sig3", keys, color=style.KEY)
        shares = self.row_numbers([weight_row[p] for p in self.positions], "percent", keys, color=style.QUERY)
        best = int(np.argmax(weights[self.positions]))
        zero = label("0", size=LABEL, color=style.MUTED).next_to(self.zero_line, UP, buff=0.08)
        heads, total, divide = self.softmax_headings(keys, raised)
        name = sentence("row of “{q}”", size=LABEL, color=style.QUERY, q=(t.fields.info.tokens.display[last], "text"))
        name.next_to(heads[0], UP, buff=0.12).align_to(keys, LEFT)  # its own line: legible, never shrunk
        if overlaps(name, self.heading):  # a tall grid: no line free under the heading, the name shares the bars'
            self.fit_width(name, total.get_left()[0] - self.panel_x - 0.3).next_to(keys, UP, buff=0.3)
            name.align_to(keys, LEFT)
        row_mark = SurroundingRectangle(self.grid.cells[(n - 1) * n : n * n], buff=0.03, color=style.QUERY,
                                        stroke_width=2.5)  # fmt: skip
        best_mark = SurroundingRectangle(VGroup(keys[best], shares[best]), buff=0.06, color=style.QUERY)
        self.beat(
            "Softmax",
            "Softmax: e to each score, then divided by their sum. The weights sum to 1; −∞ becomes 0.",
            say=f"Now the last row, the query of {spoken_token(t.token_display[last])}: its scores, drawn as bars "
            f"{bar_sides(score_row.value[self.positions])}. Softmax first raises e to each score: every bar becomes positive, and the "
            "largest score stays the largest. Then it adds them up, and divides each by their sum. The results are "
            f"weights, adding up to one: the largest score takes {fmt_percent(weights[self.positions].max())}. "
            "Every row goes through the same softmax, and minus infinity becomes zero.",
        )
        self.play(FadeOut(self.cell_mark), FadeOut(self.example), FadeOut(self.example_arrow), run_time=0.4)
        self.play(Create(row_mark), FadeIn(name), FadeIn(keys), Create(self.zero_line), FadeIn(zero),
                  FadeIn(heads[0]), LaggedStart(*(GrowFromEdge(b, RIGHT if b.get_x() < self.zero_line.get_x() else LEFT)
                                                  for b in score_bars), lag_ratio=0.05),
                  run_time=said_by(self, 0, 2.0) * 0.6)  # fmt: skip
        self.play(LaggedStart(*(FadeIn(v, shift=0.1 * LEFT) for v in scores), lag_ratio=0.05), run_time=1.0)
        self.score_zero = self.zero_line.copy()  # where zero was for the scores (tests read it)
        cue(self, 1)  # e to each score: every bar positive, from zero at the left
        self.play(*(Transform(a, b) for a, b in zip(score_bars, exp_bars)),
                  *(swap(a, b) for a, b in zip(scores, exps)), swap(heads[0], heads[1]),
                  self.zero_line.animate.set_x(left), zero.animate.set_x(left).set_opacity(0),
                  run_time=said_by(self, 1, 2.0) * 0.7, now=True)  # fmt: skip
        self.add(*exps)  # (already in place: added again, so that what each step showed is on the record)
        cue(self, 2)  # their sum, then each divided by it: the same shapes, now weights
        self.play(FadeIn(total, shift=0.1 * UP), run_time=1.0)
        # the row's own cells take their weights' colours as its bars do (the rest of the grid follows at cue 4)
        last_row_to_weights = [sq.animate.set_fill(color, opacity=op) for sq, (color, op) in
                               list(zip(self.grid.cells, self.weights_fill))[(n - 1) * n : n * n]]  # fmt: skip
        self.play(*(Transform(a, b) for a, b in zip(score_bars, weight_bars)),
                  *(swap(a, b) for a, b in zip(exps, shares)), swap(heads[1], heads[2]),
                  swap(total, divide), *last_row_to_weights, run_time=said_by(self, 2, 1.5), now=True)  # fmt: skip
        self.add(*shares, divide)
        cue(self, 3)
        self.play(Create(best_mark), dim(divide), run_time=said_by(self, 3, 0.8))
        cue(self, 4)
        # The whole grid goes through softmax, row by row: the scores' colours become the pattern's.
        self.play(
            LaggedStart(*(sq.animate.set_fill(color, opacity=op) for sq, (color, op) in
                          zip(self.grid.cells, self.weights_fill)), lag_ratio=0.01),
            dim(self.minus_inf),  # −∞ becomes a weight of 0
            run_time=said_by(self, 4, 2.0),
        )  # fmt: skip
        self.row = VGroup(name, keys, score_bars, shares, heads[2], best_mark, row_mark, zero, divide, self.zero_line)
        self.bars, self.row_marks = (weight_bars, self.score_zero), VGroup()  # the weights' bars, the scores' zero

    def what_it_reads(self):
        """What the finished pattern shows, in two statements of model/claims.py: the last row's strongest key (its
        cell outlined, its weight large beside the grid with an arrow to it), then the first column (outlined)."""
        t = self.trace
        L, H, n = self.layer, self.head, len(self.positions)
        first, top = first_read(t, L, H, n), strongest_read(t, L, H, n)
        self.previous = VGroup()
        if first is None or top is None:  # one token: nothing before it to read
            return
        last = self.positions[-1]
        best = int(np.argmax(t.pattern(L, H)[last][self.positions]))
        cell = self.grid.cells[(n - 1) * n + best]
        display = t.fields.info.tokens.display
        size, left, right = LABEL + 6, self.panel_x + 0.3, config.frame_width / 2 - style.FRAME_MARGIN
        reads = sentence("“{q}” reads “{k}” most:", size=size, q=(display[last], "text"), k=(display[self.positions[
            best]], "text"))  # fmt: skip
        share = number(t.attn.pattern[L, H, last, self.positions[best]], fmt="percent", size=64, color=style.QUERY)
        ahead = statement(top, size=size - 2, color=style.TEXT)
        row_panel = VGroup(reads, share, ahead).arrange(DOWN, buff=0.3)
        self.fit_width(row_panel, right - left).move_to([(left + right) / 2, 0.6, 0])
        arrow = Arrow(share.get_left() + 0.1 * LEFT, cell.get_right(), buff=0.1, color=style.QUERY, stroke_width=5)
        cell_mark = SurroundingRectangle(cell, buff=0.02, color=style.QUERY, stroke_width=6)
        column = VGroup(*(self.grid.cells[q * n] for q in range(1, n)))
        column_mark = SurroundingRectangle(column, buff=0.03, color=style.KEY, stroke_width=6)
        name = sentence("“{k}”, the first column:", size=size, color=style.KEY, k=(display[self.positions[0]],
                        "text"))  # fmt: skip
        parts = first.text.split(" of its weight")  # the statement on two lines, each carrying it
        lines = VGroup(*(sentence(w, size=size, static=True) for w in (parts[0], "of its weight" + parts[1])))
        for line in lines:
            line.gptanim_claims = [first]
        column_panel = VGroup(name, lines.arrange(DOWN, buff=0.12)).arrange(DOWN, buff=0.3)
        self.fit_width(column_panel, right - left).move_to([(left + right) / 2, 0.3, 0])
        self.beat(
            "What it reads",
            "What this head reads: the last row's largest weight, and the first column.",
            say=f"What does this head read? In the last row, {spoken_token(t.token_display[last])} gives the most "
            f"weight to {spoken_token(t.token_display[self.positions[best]])}: {share.gptanim_text}, {top.text}. "
            f"Now the first column, {spoken_token(t.token_display[self.positions[0]])}: {first.text}.",
        )
        self.play(FadeOut(self.row), run_time=0.4)  # the row's bars leave before the reading takes their place
        self.play(Create(cell_mark), FadeIn(reads), FadeIn(share, scale=0.6), GrowArrow(arrow),
                  run_time=said_by(self, 1, 1.2) * 0.6)  # fmt: skip
        self.play(FadeIn(ahead), run_time=said_by(self, 1, 0.6))
        cue(self, 2)  # the first column: the row's reading steps back, the column's takes its place
        self.play(FadeOut(row_panel), FadeOut(arrow), dim(cell_mark), run_time=0.5, now=True)
        self.play(Create(column_mark), FadeIn(column_panel), run_time=min(1.5, said_by(self, 2, 1.2)))
        # row after row down the column, the weight each later row gives it
        self.play(LaggedStart(*(Indicate(c, color=style.KEY, scale_factor=1.15) for c in column), lag_ratio=0.3),
                  run_time=said_by(self, 2, 1.0))  # fmt: skip
        self.previous = VGroup(column_panel, VGroup(cell_mark, column_mark))

    def all_heads(self):
        """Back out to every head of every layer, the watched head shrinking into its own frame among them; the
        frame walks along the first layer's heads, then rests on the watched one."""
        t = self.trace
        heads, block, heading = self.overview()
        said = re.sub(r"\s*\([^)]*\)", "", statements(t)["attention.heads"].text)  # no bracket read aloud
        self.beat(
            "Every head",
            "Each head draws its own pattern.",
            say=f"Back to every head of every layer, on the same prompt, {statements(t)['family.heads'].text}. "
            f"Each draws its own pattern. The head we just watched is this one. {said[0].upper()}{said[1:]}.",
        )
        target = block(self.layer, self.head)
        watched = VGroup(self.outline, self.grid.cells, *self.previous[1:])
        leaving = self.previous[0] if len(self.previous) else self.row
        self.play(FadeOut(leaving), FadeOut(self.grid.row_labels), FadeOut(self.grid.col_labels), run_time=0.4,
                  now=True)  # fmt: skip
        # the grid shrinks into its own place among the heads, then they appear round it (no grid over them)
        n = len(self.positions)  # a head's block is its n × n weights and a gap right and below
        cells = self.grid.cells
        corner = cells.get_corner(UP + LEFT)
        shrink = target.width * n / (n + 1) / cells.width
        self.play(watched.animate.scale(shrink, about_point=corner).shift(target.get_corner(UP + LEFT) - corner)
                  .stretch(target.height * n / (n + 1) / (cells.height * shrink), 1, about_point=target.get_corner(
                      UP + LEFT)), swap(self.heading, heading), run_time=min(1.2, said_by(self, 0, 1.2)))  # fmt: skip
        self.play(FadeIn(heads), FadeOut(watched), run_time=0.6, now=True)
        numbers = heads[1][2 + t.n_layer :]  # each head its own pattern: their numbers light in turn
        self.play(LaggedStart(*(Indicate(m, color=style.TEXT, scale_factor=1.4) for m in numbers), lag_ratio=0.5),
                  run_time=said_by(self, 1, 1.0))  # fmt: skip
        cue(self, 2)  # the watched head framed, as the sentence names it
        self.play(Create(target), run_time=said_by(self, 2, 1.0))
        cue(self, 3)  # (said, not written: the heads' patterns beside one another show it)
        self.wait(said_by(self, 3, 0.5))


def swap_column(old, new) -> AnimationGroup:
    """A vector column giving way to another in its place, the numbers sliding out and in (swap: no garbled
    digits); `new` is on screen whole afterwards."""
    return swap(old, new, distance=0.2)


def overlaps(a, b, gap: float = 0.05) -> bool:
    """Whether two mobjects' boxes come closer than `gap`."""
    return (
        a.get_left()[0] < b.get_right()[0] + gap
        and b.get_left()[0] < a.get_right()[0] + gap
        and a.get_bottom()[1] < b.get_top()[1] + gap
        and b.get_bottom()[1] < a.get_top()[1] + gap
    )


def travel(mob, path, end_scale: float) -> UpdateFromAlphaFunc:
    """Move `mob` along `path` while it scales to `end_scale`: a value vector carried by its attention weight."""
    start = mob.copy()

    def update(m, alpha):
        m.become(start)
        m.scale(1 + (end_scale - 1) * alpha)
        m.move_to(path.point_from_proportion(alpha))

    return UpdateFromAlphaFunc(mob, update)


ARC_MIN_OPACITY = 0.6  # the faintest arc still stands 3:1 against the background (tests check it)


def arc_stroke(arc, weight: float, largest: float = 1.0):
    """An arc as wide and as bright as its weight beside the `largest` one drawn (by the root of their ratio, so
    that small weights still differ): the heaviest arc in the text colour at full strength (the most contrast in
    either theme), the lightest in the key colour, never fainter than ARC_MIN_OPACITY."""
    t = float(np.sqrt(max(0.0, weight / largest))) if largest > 0 else 0.0
    return arc.set_stroke(interpolate_color(style.KEY, style.TEXT, t), width=1 + 22 * t,
                          opacity=ARC_MIN_OPACITY + (1 - ARC_MIN_OPACITY) * t)  # fmt: skip


class AttentionFlow(TraceScene):
    """The last token's attention as arcs from the tokens it reads, width by the real weight; the value
    vectors travel along them, scaled by the weight, and add up to the head's output for the last token."""

    TITLE = "Where the last token looks"
    PART = "Attention and the MLP"
    SUMMARY = "The last token's attention as arcs from the tokens it reads."
    RENDER_SECONDS = 5

    VALUES = 3  # tokens whose value vectors travel (the largest weights)
    ENTRIES = 3  # entries of each value vector shown
    ROW_WIDTH = 13.0
    TOKEN_Y = 1.5  # the tokens high, the arcs hang below them, the value vectors stand in the lower half
    BOW = 1.7  # the arcs' angle: long ones reach down towards the weighted sum
    TYPE = 28  # type size of the weights and the vectors' entries
    VALUE_Y = -1.75  # the value vectors' middle line, each under its own token; later the written sum's
    SMALLEST_VALUE = 0.72  # a value times its weight shrinks by the root of its weight over the heaviest's, never
    # below this: its entries stay legible

    def construct(self):
        self.show_tokens()
        self.draw_flow()
        self.carry_values()
        self.every_token()

    def show_tokens(self):
        t = self.trace
        self.positions = shown_positions(t, FLOW_TOKENS)
        att = t.info["attention"]
        self.layer, self.head = att["layer"], att["head"]
        heads = t.fields.info.attention
        title = sentence("Layer {L}, head {H}", size=30, L=(heads.layer, "plus1"), H=(heads.head, "plus1"))
        self.heading = title.to_edge(UP, buff=0.25)
        boxes = token_chips(t, self.positions, self.ROW_WIDTH)  # as large as the row fits across the frame
        self.boxes = boxes.move_to([0, self.TOKEN_Y, 0])
        self.play(FadeIn(self.heading), LaggedStart(*(FadeIn(b) for b in boxes), lag_ratio=0.05))

    def fan(self, reader: int) -> VGroup:
        """The arcs into the token drawn `reader`-th from each token up to it (a loop for itself), each as wide and
        bright as its weight in the reader's row of the pattern."""
        t, L, H = self.trace, self.layer, self.head
        q = self.positions[reader]
        row = t.pattern(L, H)[q]
        largest = float(np.max(row[self.positions[: reader + 1]]))
        target = self.boxes[reader].get_bottom() + 0.05 * DOWN
        arcs = VGroup()
        for box, pos in zip(self.boxes[: reader + 1], self.positions[: reader + 1]):
            if pos == q:  # the token reads itself too: a loop under its own box
                half = min(0.2, box.width / 2 - 0.02) * RIGHT
                arc = ArcBetweenPoints(target - half, target + half, angle=1.6 * np.pi)
            else:
                arc = ArcBetweenPoints(box.get_bottom() + 0.05 * DOWN, target, angle=self.BOW)
            arc_stroke(arc, float(row[pos]), largest)
            arc.gptanim_weight_path = t.attn.pattern[L, H, q, pos].path
            arcs.add(arc)
        return arcs

    def draw_flow(self):
        t = self.trace
        last = self.positions[-1]
        weights = t.pattern(self.layer, self.head)[last]
        self.arcs = self.fan(len(self.positions) - 1)
        self.order = [int(j) for j in np.argsort(-weights[self.positions], kind="stable")[: self.VALUES]]
        numbers = VGroup()
        for j in self.order:
            pos = self.positions[j]
            numbers.add(
                number(
                    t.attn.pattern[self.layer, self.head, last, pos],
                    fmt="percent",
                    size=self.TYPE,
                    color=style.KEY,
                ).next_to(self.boxes[j], UP, buff=0.12)  # fmt: skip
            )
            while any(overlaps(numbers[-1], other) for other in numbers[:-1]):
                numbers[-1].shift(0.3 * UP)  # over a narrow token: stack above its neighbour's number
        self.numbers = numbers
        hidden = hidden_read(t, self.layer, self.head, FLOW_TOKENS)
        self.note = VGroup()
        if hidden is not None:  # a longer prompt: say what the picture leaves out
            self.note = statement(hidden, size=SMALLEST, color=style.MUTED)
            self.fit_width(self.note, 9.0)
            self.note.move_to([-6.6, 2.75, 0], aligned_edge=LEFT)  # high, under the heading, above the tokens
            self.note = VGroup(BackgroundRectangle(self.note, color=style.BACKGROUND, fill_opacity=0.85, buff=0.06),
                               self.note)  # fmt: skip
        first = self.positions[self.order[0]]
        self.beat(
            "Flow",
            "The last token reads from the tokens before it (and itself), each by its real attention weight.",
            say=f"Now the same head from the side, for the last token, {spoken_token(t.token_display[last])}. Each arc "
            "brings it attention from one token. The larger that token's weight, the wider and brighter its arc. "
            "The widest, "
            f"{fmt_percent(weights[first])}, comes from {spoken_token(t.token_display[first])}, "
            f"{strongest_read(t, self.layer, self.head, FLOW_TOKENS).text}.",
        )
        mark = SurroundingRectangle(self.boxes[-1], buff=0.06, color=style.NEXT_SLOT)
        self.play(Create(mark), run_time=said_by(self, 0, 1.0))
        cue(self, 1)
        # the arcs are drawn alike, then take their weights' width and brightness as the sentence says so
        weighted = [(a.get_stroke_color(), a.get_stroke_width(), a.get_stroke_opacity()) for a in self.arcs]
        self.arc_opacity = [o for _, _, o in weighted]  # to bring the arcs back after the sum
        for a in self.arcs:
            a.set_stroke(style.KEY, width=2, opacity=ARC_MIN_OPACITY)
        self.play(LaggedStart(*(Create(a) for a in self.arcs), lag_ratio=0.1), dim(mark),
                  run_time=said_by(self, 1, 1.5))  # fmt: skip
        cue(self, 2)
        self.play(*(a.animate.set_stroke(c, width=w, opacity=o) for a, (c, w, o) in zip(self.arcs, weighted)),
                  run_time=said_by(self, 2, 1.5))  # fmt: skip
        cue(self, 3)
        half = said_by(self, 3, 2.0) / 2  # the widest's weight while it is named, then the next ones beside it
        self.play(FadeIn(numbers[0], shift=0.1 * UP), run_time=half)
        self.play(FadeIn(numbers[1:]), FadeIn(self.note), run_time=half)

    def value_columns(self) -> list:
        """The value vectors of the tokens that weigh most, each in the lower half under its own token, pushed
        apart where tokens are close, inside the frame; each with its token's name under it."""
        t = self.trace
        L, H = self.layer, self.head
        columns = []
        for j in self.order:
            pos = self.positions[j]
            col = VectorColumn(t.attn.v[L, pos, H], shown=self.ENTRIES, size=self.TYPE, dim_path=None)
            col.decor.set_color(style.VALUE)  # values are red
            columns.append(col)
        order_x = sorted(range(len(columns)), key=lambda c: self.boxes[self.order[c]].get_x())
        right = -np.inf
        for c in order_x:
            col = columns[c]
            col.move_to([self.boxes[self.order[c]].get_x(), self.VALUE_Y, 0])
            if col.get_left()[0] < right + 0.6:
                col.shift((right + 0.6 - col.get_left()[0]) * RIGHT)
            right = col.get_right()[0]
        spill = max(c.get_right()[0] for c in columns) - (config.frame_width / 2 - 0.6)
        if spill > 0:
            for col in columns:
                col.shift(spill * LEFT)
        self.value_names = VGroup(*(token_text(t.fields.info.tokens.display[self.positions[j]], size=LABEL,
                                               color=style.token_hue(j), limit=10).next_to(col, DOWN, buff=0.12)
                                    for j, col in zip(self.order, columns)))  # fmt: skip
        return columns

    def carry_values(self):
        t = self.trace
        columns = self.value_columns()
        tag = sentence(
            "value vectors ({d} numbers)", size=self.TYPE, color=style.VALUE, d=(t.fields.meta.d_head, "int")
        )
        edge = config.frame_width / 2 - style.FRAME_MARGIN
        tag.next_to(VGroup(*columns), LEFT, buff=0.4)
        if tag.get_left()[0] < -edge:
            tag.next_to(VGroup(*columns), RIGHT, buff=0.3)
        if tag.get_right()[0] > edge:  # no room beside them: the caption names them
            tag = VGroup()
        self.beat(
            "Values",
            "Each token also offers a value vector ({d} numbers; its first entries shown).",
            d=(t.fields.meta.d_head, "int"),
            say=f"Each token also offers a value vector, {self.trace.meta['d_head']} numbers in this head. It is "
            "what the token passes on to whoever reads it. Here are the first few entries, for the tokens that "
            "weigh most.",
        )
        first = self.boxes[self.order[0]].copy()
        self.play(*([FadeIn(tag)] if len(tag) else []), self.arcs.animate.set_stroke(opacity=0.25),
                  FadeIn(columns[0], shift=0.3 * DOWN), TransformFromCopy(first, self.value_names[0]),
                  run_time=said_by(self, 0, 1.0))  # fmt: skip
        cue(self, 2)
        if len(columns) > 1:  # (a one-token prompt has one value only)
            self.play(LaggedStart(*(AnimationGroup(FadeIn(c, shift=0.3 * DOWN), TransformFromCopy(
                self.boxes[self.order[k + 1]].copy(), self.value_names[k + 1])) for k, c in enumerate(columns[1:])),
                lag_ratio=0.4), run_time=said_by(self, 2, 1.0))  # fmt: skip
        if len(tag):
            self.play(FadeOut(tag), run_time=0.4)
        self.weighted_sum(columns)

    def sum_row(self, columns: list) -> tuple[list, list, VGroup, VectorColumn]:
        """Each value's scaled vector (the Trace's weight times value), first in its value's place, smaller by its
        weight; then the same written out in a row on the values' line, in the tokens' order, "+" between,
        "+ the rest", "=" the sum."""
        t = self.trace
        L, H, last = self.layer, self.head, self.positions[-1]
        weights = t.pattern(L, H)[last]
        in_place, scaled = [], []
        for c, j in enumerate(self.order):
            pos = self.positions[j]
            scaled.append(VectorColumn(t.fields.info.attention.weighted_values[pos].value,
                                       lambda i, pos=pos: f"info.attention.weighted_values.{pos}.{i}",
                                       shown=self.ENTRIES, size=self.TYPE, dim_path=None))  # fmt: skip
            scaled[-1].decor.set_color(style.VALUE)
            here = scaled[-1].copy()
            heaviest = float(weights[self.positions[self.order[0]]]) or 1.0  # the heaviest keeps its size
            shrink = max(self.SMALLEST_VALUE, float(np.sqrt(weights[pos] / heaviest)))
            here.scale(shrink * columns[c].height / here.height if here.height else 1.0)
            in_place.append(here.move_to(columns[c]))
        signs = VGroup(*(label("+", size=36) for _ in scaled[1:]))
        rest = label("+ the rest", size=self.TYPE, color=style.MUTED) if last + 1 > len(scaled) else VGroup()
        z = VectorColumn(t.attn.z[L, last, H], shown=self.ENTRIES, size=self.TYPE, dim_path=None)
        z.decor.set_color(style.VALUE)
        equals = label("=", size=36)
        # the terms in the tokens' order, left to right, as they stood under their tokens
        by_x = sorted(range(len(scaled)), key=lambda c: self.boxes[self.order[c]].get_x())
        parts = [scaled[by_x[0]]]
        for sign, c in zip(signs, by_x[1:]):
            parts += [sign, scaled[c]]
        row = VGroup(*parts, *([rest] if len(rest) else []), equals, z).arrange(RIGHT, buff=0.35)
        edge = config.frame_width - 2 * style.FRAME_MARGIN
        if row.width > edge:
            row.scale(edge / row.width)
        row.move_to([0, self.VALUE_Y, 0])
        row.shift((self.boxes[-1].get_x() - z.get_x()) * RIGHT)  # the sum under the token that receives it
        row.shift(min(0.0, config.frame_width / 2 - style.FRAME_MARGIN - row.get_right()[0]) * RIGHT)
        self.drawn_terms = [m.copy() for m in (*in_place, *scaled, z)]  # as they are drawn (tests read their type)
        return in_place, scaled, VGroup(signs, rest, equals), z

    def weighted_sum(self, columns: list):
        """Each value, times its weight written over it, shrinks in place into its scaled vector; the scaled
        vectors slide into a written sum, their tokens' names under them, which goes into the last token."""
        t = self.trace
        L, H, last = self.layer, self.head, self.positions[-1]
        in_place, scaled, ops, z = self.sum_row(columns)
        first = t.attn.z[L, last, H, 0].value
        heavy = self.positions[self.order[0]]
        times = VGroup(*(sentence("× {w}", size=self.TYPE, color=style.KEY, w=(t.attn.pattern[L, H, last,
                       self.positions[j]], "percent")).next_to(col, UP, buff=0.15) for j, col in zip(self.order,
                       columns)))  # fmt: skip
        self.beat(
            "Weighted sum",
            "Each value is multiplied by its weight; the results add up, into the last token's vector.",
            say="Each value vector is multiplied by its weight. "
            f"The vector of {spoken_token(t.token_display[heavy])}, weighted "
            f"{fmt_percent(t.pattern(L, H)[last, heavy])}, shrinks the least. A light weight shrinks its vector "
            "towards zero. Then they are all added up, with the terms of every other token. The sum, whose "
            f"first entry is {dec(first, 2)}, goes through one more matrix, with the other heads' sums. The result "
            f"is added to the vector of {spoken_token(t.token_display[last])}, not put in its place. It is what "
            "this token takes from the tokens it reads.",
        )
        self.play(LaggedStart(*(FadeIn(x, shift=0.2 * DOWN) for x in times), lag_ratio=0.2),
                  LaggedStart(*(Indicate(n, color=style.KEY, scale_factor=1.0) for n in self.numbers), lag_ratio=0.2),
                  self.arcs.animate.set_stroke(opacity=0),  # the arcs have done their work: no lines behind the sums
                  run_time=said_by(self, 0, 1.5))  # fmt: skip
        cue(self, 1)  # the heaviest becomes its scaled vector as it is named, in place, then the lighter ones
        self.play(swap_column(columns[0], in_place[0]), Indicate(times[0], color=style.KEY),
                  run_time=said_by(self, 1, 1.5), now=True)  # fmt: skip
        if len(columns) > 1:
            cue(self, 2)
            self.play(*(swap_column(col, here) for col, here in zip(columns[1:], in_place[1:])),
                      run_time=said_by(self, 2, 1.5), now=True)  # fmt: skip
        cue(self, 3)  # each scaled vector slides into the written sum, its token's name with it; the arcs step back
        names = [n.copy().next_to(sc, DOWN, buff=0.12) for n, sc in zip(self.value_names, scaled)]
        self.play(FadeOut(times), self.arcs.animate.set_stroke(opacity=0), run_time=0.4, now=True)
        left_first = sorted(range(len(scaled)), key=lambda c: in_place[c].get_x())
        self.play(LaggedStart(*(AnimationGroup(ReplacementTransform(in_place[c], scaled[c]), self.value_names[
            c].animate.move_to(names[c])) for c in left_first), lag_ratio=0.6), FadeIn(ops[0]), FadeIn(ops[1]),
            run_time=2.0)  # fmt: skip
        # the terms light together, then their sum arrives beside them (no copies flying over the terms)
        self.play(Indicate(VGroup(*scaled), color=style.VALUE, scale_factor=1.05), run_time=0.8)
        self.play(FadeIn(ops[2]), FadeIn(z, shift=0.3 * LEFT), run_time=said_by(self, 3, 1.0))
        cue(self, 4)
        first_mark = SurroundingRectangle(z.entries[0], buff=0.05, color=style.VALUE)
        self.play(Create(first_mark), run_time=min(1.0, said_by(self, 4, 0.8)))
        self.scaled_terms, self.z = scaled, z
        self.sum_parts = VGroup(*scaled, ops, self.value_names)
        self.sum_parts.add(*self.added(z, first_mark))

    def added(self, z: VectorColumn, first_mark) -> list:
        """The sum goes through one more matrix (with the other heads' sums), and the result is added to the last
        token's vector: the terms leave, the sum slides left into the matrix, then "+ its vector = its new vector"
        (the residual before and after attention, whose difference is every head's output)."""
        t = self.trace
        L, last = self.layer, self.positions[-1]
        size = self.TYPE
        words = VGroup(label("one more matrix", size=LABEL), label("+ the other heads", size=LABEL, color=style.MUTED))
        words.arrange(DOWN, buff=0.12)
        box = Rectangle(width=words.width + 0.5, height=words.height + 0.6, stroke_color=style.VALUE, stroke_width=3)
        box = VGroup(box.set_fill(style.VALUE, 0.12), words)
        before = VectorColumn(t.resid.pre[L][last], shown=self.ENTRIES, size=size, dim_path=None)
        after = VectorColumn(t.resid.mid[L][last], shown=self.ENTRIES, size=size, dim_path=None)
        plus, equals = label("+", size=36), label("=", size=36)
        row = VGroup(z.copy(), box, plus, before, equals, after).arrange(RIGHT, buff=0.45)
        # across the frame, the new vector under the token it goes to
        left = -config.frame_width / 2 + style.FRAME_MARGIN + 0.2
        right = min(config.frame_width / 2 - style.FRAME_MARGIN, self.boxes[-1].get_x() + after.width / 2)
        spare = right - left - sum(m.width for m in row)
        if spare > 0:
            row.arrange(RIGHT, buff=min(1.4, spare / (len(row) - 1)))
        self.fit_width(row, right - left).move_to([(left + right) / 2, self.VALUE_Y, 0])
        into = Arrow(row[0].get_right(), box.get_left(), buff=0.08, color=style.VALUE, stroke_width=5)
        names = VGroup(VGroup(label("vector of", size=LABEL, color=style.MUTED), token_text(t.fields.info.tokens.
                       display[last], size=LABEL, color=style.token_hue(len(self.positions) - 1), limit=10)).arrange(
                       RIGHT, buff=0.12), label("its new vector", size=LABEL, color=style.MUTED))  # fmt: skip
        for name, col in zip(names, (before, after)):
            name.next_to(col, DOWN, buff=0.15)
        up = Arrow(after.get_top(), self.boxes[-1].get_bottom(), buff=0.12, color=style.VALUE, stroke_width=6)
        # the terms leave; the sum, its first entry marked, slides to the left, then into the matrix
        self.play(FadeOut(self.sum_parts), VGroup(z, first_mark).animate.move_to(row[0]), run_time=0.8, now=True)
        self.play(FadeIn(box), GrowArrow(into), run_time=0.6)
        self.play(Indicate(box, color=style.VALUE, scale_factor=1.05), run_time=max(0.5, said_by(self, 4, 0.8)))
        cue(self, 5)  # the result added to the token's vector: its vector, plus, equals its new vector
        self.play(FadeIn(plus), FadeIn(before, shift=0.2 * DOWN), FadeIn(names[0]), run_time=1.0)
        self.play(FadeIn(equals), FadeIn(after, shift=0.3 * RIGHT), FadeIn(names[1]), run_time=1.0)
        self.play(GrowArrow(up), self.boxes[-1].box.animate.set_stroke(style.VALUE, width=4),
                  run_time=said_by(self, 5, 0.8))  # fmt: skip
        self.added_parts = (before, after)  # (tests: the vector before attention and after)
        return [first_mark, box, into, plus, before, equals, after, names, up]

    def every_token(self):
        """Every token gets its own weighted sum from its own row: the last token's sum goes up into a strip above
        it; then each token in turn draws its own fan of arcs, and its sum grows above it as a strip (values red);
        the heading names the strips. The last token's fan comes back at the end."""
        t = self.trace
        L, H = self.layer, self.head
        sums = [t.attn.z[L, pos, H].value for pos in self.positions]
        scale = float(max(np.max(np.abs(v[: self.ENTRIES])) for v in sums)) or 1.0
        above = self.boxes.get_top()[1] + 0.15  # where the weights' numbers were: they make way
        cell = min(0.36, 0.8 * min(b.width for b in self.boxes))
        strips = VGroup(*(VectorStrip(v, shown=self.ENTRIES, cell=cell, scale=scale).set_stroke(style.VALUE, width=3)
                          .next_to([b.get_x(), above, 0], UP, buff=0) for v, b in zip(sums, self.boxes)))  # fmt: skip
        heading = label("Above each token: its own sum of values", size=30, color=style.TEXT)
        heading = self.fit_width(heading).move_to(self.heading)
        self.beat(
            "Every token",
            "Every token does the same, each with its own row of weights (in the model, all at once).",
            say="This happens for every token, not only the last. Each one reads through its own row of the "
            "pattern, and gets its own weighted sum of values. Here they come one after another. In the model, "
            "they are all computed at the same time.",
        )
        self.play(FadeOut(self.sum_parts), FadeOut(self.numbers), FadeOut(self.note), run_time=0.4, now=True)
        self.play(swap(self.heading, heading), GrowFromEdge(strips[-1], DOWN),
                  self.z.animate.move_to(strips[-1]).scale(0.3).set_opacity(0),
                  run_time=min(1.5, said_by(self, 0, 1.0)), now=True)  # fmt: skip
        self.remove(self.z)  # gone into its strip
        cue(self, 1)
        n = len(self.positions)
        step = max(0.4, (said_by(self, 2, 0.5 * n) - 0.8) / n)  # the fans in turn fill the sentence
        arcs, self.readers = self.arcs, [n - 1]  # the tokens whose fans were drawn, in turn (tests read them)
        for j in range(n - 1):  # each token's own fan, then its sum above it
            fan = self.fan(j)
            self.play(ReplacementTransform(arcs, fan), self.boxes[j].box.animate.set_stroke(style.VALUE, width=4),
                      GrowFromEdge(strips[j], DOWN), run_time=step)  # fmt: skip
            arcs = fan
            self.readers.append(j)
        self.arcs = self.fan(n - 1)  # the last token's fan again, at its full weights
        self.play(ReplacementTransform(arcs, self.arcs), run_time=0.8)
        self.strips = strips


def gelu(x):
    """GPT-2's GELU (tanh form), to draw its curve; the dots on it are the Trace's own values."""
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def about(x: float, digits: int) -> str:
    """A value said as the screen rounds it; one that rounds to zero (shown "−0.00") is said "about zero"."""
    said = dec(x, digits)
    return "about zero" if said == "0" else said


CHIP_DIM = 0.55  # a dimmed token chip: set back, still legible in the light theme (2.2:1 at least)


def faded(mob, level: float):
    """A copy of `mob` with each part's own opacity times `level`: a dimmed token chip whose invisible parts (a
    text's end bars) stay invisible."""
    target = mob.copy()
    for m in target.get_family():
        if hasattr(m, "set_stroke"):
            m.set_fill(opacity=m.get_fill_opacity() * level, family=False)
            m.set_stroke(opacity=m.get_stroke_opacity() * level, family=False)
    return target


CURVES = {"GELU": gelu}  # activations drawn as a curve, by the Trace's word for them


class MLPBlock(TraceScene):
    """The MLP on one token, left to right across the frame: the token's vector goes up into a tall column of
    neurons (the real count, with an ellipsis), each neuron bends through its activation (its curve, with this
    token's real values on it; or a gated SwiGLU) and lights by its result, the down-projection brings them back to
    the vector's size, added to the residual stream (beside attention's output, in a parallel residual)."""

    TITLE = "The MLP block"
    PART = "Attention and the MLP"
    SUMMARY = "Up into a column of neurons, GELU, back down, added to the residual: one token at a time."
    RENDER_SECONDS = 10

    SHOWN = 3  # entries of each vector of the model's width shown
    TYPE = NUMBER + 4  # the vectors' entries: a little larger than a number elsewhere, to be read at a glance
    TOKENS = 8  # the prompt's last tokens drawn, each with its vector
    EACH_SIDE = 3  # neurons shown: the most active, and the most negative before the activation
    Y = 0.3  # the picture's middle line
    CHIPS_Y = -2.8  # the prompt's tokens, along the bottom
    OTHERS = 3  # tokens before the last that go through the same MLP at the end
    X_IN, X_NEURONS, X_OUT, X_RESID, X_NEW = -6.15, -2.75, 1.25, 3.45, 5.6  # the columns' places

    def construct(self):
        self.show_tokens()
        self.up_projection()
        self.activation()
        self.down_and_add()
        self.every_token()

    def show_tokens(self):
        """The prompt's tokens, each with its own vector; the MLP takes the last one's alone."""
        t = self.trace
        self.layer = t.info["mlp"]["layer"]
        n = len(t.token_ids)
        self.last, L, p = n - 1, self.layer, n - 1
        positions = list(range(max(0, n - self.TOKENS), n))
        heading = sentence("The MLP of layer {L}", size=HEADING - 4, L=(t.fields.info.mlp.layer, "plus1"))
        self.heading = heading.to_edge(UP, buff=0.25)
        chips = token_chips(t, positions, 12.8).move_to([0, self.CHIPS_Y, 0])  # the prompt stays along the bottom
        normalized = t.ln2.normalized[L]
        # the residual stream: each token's vector, which the MLP reads through its norm and adds back to (a
        # parallel residual's MLP reads the block's input instead: there the norm's output is drawn alone)
        self.parallel = t.words["parallel_residual"]
        source = normalized if self.parallel else t.resid.mid[L]
        strips = VGroup(*(VectorStrip(source.value[q], shown=8, cell=0.42).next_to(b, UP, buff=0.25)
                          for q, b in zip(positions, chips)))  # fmt: skip
        self.x = VectorColumn(normalized[p], shown=self.SHOWN, size=self.TYPE, dim_path=None)
        self.x.move_to([self.X_IN, self.Y, 0])
        self.resid = VGroup()
        if not self.parallel:
            self.resid = VectorColumn(t.resid.mid[L][p], shown=self.SHOWN, size=self.TYPE, dim_path=None)
            self.resid.move_to([self.X_RESID, self.Y, 0])
            self.resid_name = label("residual", size=LABEL, color=style.MUTED).next_to(self.resid, DOWN, buff=0.2)
            self.resid_lit, self.resid_name_lit = self.resid.copy(), self.resid_name.copy()  # to bring back as drawn
        # the MLP reads the residual after its norm (ln2), not the residual itself: said under the column
        self.x_name = VGroup(*(label(w, size=LABEL, color=style.MUTED) for w in ("after", t.words["norm"])))
        self.x_name.arrange(DOWN, buff=0.08).next_to(self.x, DOWN, buff=0.3)
        self.x_name.shift(max(0.0, -config.frame_width / 2 + style.FRAME_MARGIN - self.x_name.get_left()[0]) * RIGHT)
        self.play(FadeIn(self.heading), FadeIn(chips))
        shown = (
            f"Here are the prompt's last {len(positions)} tokens, each with its vector. " if len(positions) < n else ""
        )
        self.off = off = 1 if shown else 0  # the sentences' numbers, after the one saying which tokens are shown
        norm_said = "" if self.parallel else f" First, a {t.words['norm']} rescales it, and the MLP reads the result."
        self.beat(
            "One token at a time",
            "Attention mixes tokens. The MLP works on each token's vector alone.",
            say=f"{shown}In attention, the tokens read one another. The MLP is different. It works on each token's "
            f"vector alone. Here, the vector of {spoken_token(t.token_display[p])}, in layer {L + 1}: its running "
            "total so far, called the residual." + norm_said,
        )
        self.play(
            LaggedStart(*(GrowFromEdge(s, DOWN) for s in strips), lag_ratio=0.1), run_time=said_by(self, off, 1.0)
        )
        cue(self, 2 + off)
        self.chips, self.positions = chips, positions
        self.mark = SurroundingRectangle(chips[-1], buff=0.06, color=style.NEXT_SLOT)
        self.lit = [c.copy() for c in chips]  # each chip as drawn, to dim and light again
        self.play(*(Transform(c, faded(c, CHIP_DIM)) for c in chips[:-1]), *(s.animate.set_opacity(0.3) for s in strips[:-1]),
                  Create(self.mark),
                  run_time=said_by(self, 2 + off, 1.0))  # fmt: skip
        cue(
            self, 3 + off
        )  # the other vectors leave, the tokens stay along the bottom; this one goes where the MLP starts
        if len(strips) > 1:  # the others' vectors first, out of the way
            self.play(*(dim(m) for m in strips[:-1]), run_time=0.5)
        if self.parallel:
            self.rise(strips[-1], self.x, self.x_name, said_by(self, 3 + self.off, 1.2))
        else:
            self.through_norm(strips[-1])
        self.remove(*strips)

    def rise(self, strip, column, name, seconds: float):
        """The token's strip rises to where its column stands and fades; the column, its numbers, appears there
        (a strip of cells morphed into digits breaks into jagged pieces halfway)."""
        self.play(strip.animate.move_to(column).set_opacity(0), run_time=seconds * 0.45)
        self.play(FadeIn(column, shift=0.2 * UP), FadeIn(name), run_time=seconds * 0.55)

    def through_norm(self, strip):
        """The token's residual rises from its strip; a copy goes through the norm, over the top, to where the MLP
        starts, and there gives way to the norm's result."""
        self.rise(strip, self.resid, self.resid_name, said_by(self, 3 + self.off, 1.2))
        cue(self, 4 + self.off)
        self.norm_arrow = CurvedArrow(self.resid.get_top() + 0.1 * UP, self.x.get_top() + 0.1 * UP, angle=np.pi / 3,
                                      color=style.MUTED, stroke_width=3)  # fmt: skip
        norm = label(self.trace.words["norm"], size=LABEL, color=style.TEXT)
        norm.move_to(self.norm_arrow.point_from_proportion(0.5)).shift(0.3 * UP)
        norm = VGroup(BackgroundRectangle(norm, color=style.BACKGROUND, fill_opacity=0.9, buff=0.08), norm)
        self.play(Create(self.norm_arrow), FadeIn(norm), run_time=1.0)
        moving, seconds = self.resid.copy(), said_by(self, 4 + self.off, 1.2)
        self.play(moving.animate(path_arc=np.pi / 3).move_to(self.x), run_time=seconds * 0.5)
        self.play(swap_column(moving, self.x), FadeIn(self.x_name), run_time=seconds * 0.5)
        self.norm_path = VGroup(self.norm_arrow, norm)

    def funnel(self, wide_left: bool, x0: float, x1: float, narrow: float, wide: float) -> Polygon:
        """A projection as 3Blue1Brown draws it: a trapezoid from the narrow vector to the wide one."""
        hl, hr = (wide, narrow) if wide_left else (narrow, wide)
        y = self.Y
        return Polygon([x0, y + hl / 2, 0], [x1, y + hr / 2, 0], [x1, y - hr / 2, 0], [x0, y - hl / 2, 0],
                       stroke_color=style.BLOCK_MLP, stroke_width=2, fill_color=style.BLOCK_MLP,
                       fill_opacity=0.18)  # fmt: skip

    def chosen_neurons(self) -> list[int]:
        """The most active neurons (the Trace's summary), then the most negative before the activation."""
        pre = self.trace.mlp.pre[self.layer, self.last].value
        top = [int(n) for n in self.trace.info["mlp"]["top_neurons"][: self.EACH_SIDE]]
        low = [int(n) for n in np.argsort(pre, kind="stable") if int(n) not in top][: self.EACH_SIDE]
        return top + low

    def neuron_column(self, chosen: list[int]) -> tuple[VGroup, VGroup, VGroup]:
        """Circles, one per chosen neuron, the most active above an ellipsis, the most negative below; their
        values before the activation beside them; the whole column's count below."""
        t = self.trace
        L, p = self.layer, self.last
        pre = t.mlp.pre[L, p]
        scale = float(max(abs(pre.value[chosen]).max(), 1e-6))
        circles, values = VGroup(), VGroup()
        slots = [*range(self.EACH_SIDE), *range(self.EACH_SIDE + 1, 2 * self.EACH_SIDE + 1)]
        step = 0.56
        top = self.Y + step * self.EACH_SIDE
        for n, slot in zip(chosen, slots):
            y = top - step * slot
            circles.add(Circle(0.21, stroke_color=style.MUTED, stroke_width=2).set_fill(style.BLOCK_MLP, 0.0)
                        .move_to([self.X_NEURONS, y, 0]))  # fmt: skip
            v = number(pre[n], size=NUMBER, color=style.weight_color(float(pre.value[n]), scale))
            values.add(v.next_to(circles[-1], RIGHT, buff=0.15))
        dots = label("⋮", size=LABEL, color=style.MUTED).move_to([self.X_NEURONS, top - step * self.EACH_SIDE, 0])
        count = sentence("{m} neurons", size=LABEL, color=style.MUTED, m=(t.fields.meta.d_mlp, "comma"))
        count.next_to(circles, DOWN, buff=0.2).set_x(self.X_NEURONS + 0.3)
        return VGroup(circles, dots, count), circles, values

    def up_projection(self):
        t = self.trace
        dims = {"d": (t.fields.meta.d_model, "int"), "m": (t.fields.meta.d_mlp, "comma")}
        self.chosen = self.chosen_neurons()
        self.column, self.circles, self.values = self.neuron_column(self.chosen)
        x0, x1 = self.x.get_right()[0] + 0.15, self.X_NEURONS - 0.45
        self.up = self.funnel(False, x0, x1, self.x.height * 0.8, self.circles.height + 0.3)
        up_label = VGroup(label("gate, up" if t.words["mlp_gated"] else "up", size=LABEL),
                          sentence("{d} → {m}", size=SMALLEST, **dims)).arrange(DOWN, buff=0.1)  # fmt: skip
        up_label.move_to(self.up)
        self.fit_width(up_label, x1 - x0 - 0.2)
        self.beat(
            "Up",
            "Up-projection: the vector is spread into many more numbers, one per neuron.",
            say=f"A matrix spreads its {t.meta['d_model']} numbers out into {big(t.meta['d_mlp'])} neurons. Each "
            "neuron weighs the whole vector in its own way: every number times its own weight, all added up, "
            "plus a bias. "
            f"This one gets {dec(t.mlp.pre[self.layer, self.last].value[self.chosen[0]], 2)}. Here are the three "
            "most active, and the three most negative.",
        )
        quiet = [] if self.parallel else [dim(self.norm_path)]  # the norm's arrow has done its work
        hide = [] if self.parallel else [Transform(m, faded(m, 0.0)) for m in (self.resid, self.resid_name)]
        flow_in = self.x.copy()
        self.play(GrowFromEdge(self.up, LEFT), FadeIn(up_label), *quiet, *hide, run_time=said_by(self, 0, 1.2) / 2)
        self.play(flow_in.animate.move_to(self.up).scale(0.4).set_opacity(0),
                  LaggedStart(*(GrowFromCenter(c) for c in self.circles), lag_ratio=0.12), FadeIn(self.column[1:]),
                  run_time=said_by(self, 0, 1.2) / 2)  # fmt: skip
        self.remove(flow_in)
        cue(self, 1)  # one neuron: lines from every entry of the vector into it, its weighted sum written out
        strip, fan, worked = self.one_neuron()
        self.play(dim(up_label), self.up.animate.set_opacity(0.1), GrowFromEdge(strip[0], LEFT), FadeIn(strip[1]),
                  Indicate(self.x.entries, color=style.BLOCK_MLP, scale_factor=1.0),
                  run_time=min(1.5, said_by(self, 1, 1.0) / 3))  # fmt: skip
        self.play(LaggedStart(*(Create(f) for f in fan), lag_ratio=0.03), FadeIn(worked[:-1], shift=0.1 * RIGHT),
                  run_time=said_by(self, 1, 1.5))  # fmt: skip
        cue(self, 2)
        self.play(FadeIn(worked[-1], scale=1.3), run_time=said_by(self, 2, 0.8))
        cue(self, 3)
        self.play(ReplacementTransform(worked[-1], self.values[0]), FadeOut(worked[:-1]), FadeOut(fan),
                  FadeOut(strip), self.up.animate.set_fill(opacity=0.18).set_stroke(opacity=1.0), now=True,
                  run_time=1.0)  # fmt: skip
        self.input_strip, self.input_fan = strip, fan  # (tests: every entry of the vector, drawn; its lines)
        self.play(LaggedStart(*(FadeIn(v, shift=0.15 * RIGHT) for v in self.values[1:]), lag_ratio=0.12),
                  run_time=said_by(self, 3, 1.2))  # fmt: skip
        self.up_label = up_label

    def one_neuron(self) -> tuple[VGroup, VGroup, VGroup]:
        """The whole vector, every entry, as a tall strip of bars left of the neurons, where the up-projection
        stands (set back meanwhile); lines from its entries, left to right, into the most active neuron; its sum
        written large right of the neurons: each number times its own weight, added up."""
        t = self.trace
        x = np.asarray(t.ln2.normalized[self.layer].value[self.last], dtype=float)
        centre, top, bottom = (self.x.get_right()[0] + self.X_NEURONS) / 2 - 0.25, self.Y + 2.2, self.Y - 2.2
        scale = float(np.max(np.abs(x))) or 1.0
        bars = entry_bars(x, lambda v: style.data_color(v, scale), centre, 0.45, top, bottom)
        name = sentence("all {d} numbers", size=LABEL, color=style.MUTED, d=(t.fields.meta.d_model, "int"))
        strip = VGroup(bars, name.next_to(bars, UP, buff=0.15).set_x(centre))
        target = self.circles[0].get_left()
        fan = VGroup(*(Line([centre + 0.5, b.get_y(), 0], target, stroke_width=1.2, color=style.BLOCK_MLP,
                            stroke_opacity=0.7) for b in bars[:: max(1, len(bars) // 32)]))  # fmt: skip
        pre = t.mlp.pre[self.layer, self.last]
        worked = VGroup(
            sentence("each of {d} numbers", size=LABEL + 6, d=(t.fields.meta.d_model, "int")),
            label("× its own weight,", size=LABEL + 6),
            label("added up, plus a bias:", size=LABEL + 6),
            number(pre[self.chosen[0]], size=64, color=style.weight_color(1.0, 1.0)),
        ).arrange(DOWN, buff=0.3)
        left, right = self.X_NEURONS + 1.3, config.frame_width / 2 - style.FRAME_MARGIN
        self.fit_width(worked, right - left).move_to([(left + right) / 2, self.Y + 0.2, 0])
        return strip, fan, worked

    def activation(self):
        """Each neuron's value bends through the activation's curve to its result; the circles light by it."""
        t = self.trace
        L, p = self.layer, self.last
        pre, post = t.mlp.pre[L, p], t.mlp.post[L, p]
        act = t.words["activation"]
        top, low = self.chosen[0], self.chosen[self.EACH_SIDE]
        results = VGroup(*(number(post[n], fmt="near0",
                                  size=NUMBER, color=style.NEXT_SLOT).move_to(v, aligned_edge=LEFT)
                           for n, v in zip(self.chosen, self.values)))  # fmt: skip
        brightest = float(max(max(post.value[n] for n in self.chosen), 1e-6))
        lights = [c.animate.set_fill(style.NEXT_SLOT, opacity=0.9 * max(0.0, float(post.value[n])) / brightest)
                  for c, n in zip(self.circles, self.chosen)]  # fmt: skip
        shape = CURVES.get(act) if not t.words["mlp_gated"] else None
        if shape is None:  # gated: the gate times the up, no curve of one number
            self.beat(
                f"Up and {act}",
                f"A gate and an up-projection; {act} squashes the gate's negatives and multiplies by the up.",
                say=f"A second matrix makes the up-projection. {act} squashes the gate's negative values towards "
                f"zero, and multiplies by the up. The most active neuron ends at {dec(post.value[top], 2)}.",
            )
            self.play(*(swap(v, r) for v, r in zip(self.values, results)), *lights, now=True,
                      run_time=said_by(self, 1, 1.5))  # fmt: skip
            self.values, self.curve = results, VGroup()
            return
        curve = self.bend(shape, [float(pre.value[n]) for n in self.chosen], [float(post.value[n]) for n in
                          self.chosen])  # fmt: skip
        axes, line, name, dots = curve
        self.beat(
            f"Up and {act}",
            f"Then {act}: each neuron's value goes through this bend; negatives end near 0.",
            say=f"Then each neuron goes through {act}, this bend. Positive values pass almost unchanged: the most "
            f"active ends at {dec(post.value[top], 2)}. Negative values are squashed towards zero: the most "
            f"negative ends at {about(post.value[low], 2)}.",
        )
        self.play(Create(axes), Create(line), FadeIn(name), FadeIn(axes.numbers), run_time=said_by(self, 0, 1.2))
        self.play(LaggedStart(*(AnimationGroup(Indicate(v, color=style.TEXT, scale_factor=1.0), GrowFromCenter(d))
                              for v, d in zip(self.values, dots)), lag_ratio=0.1), run_time=1.0)  # fmt: skip
        for side, k in ((range(self.EACH_SIDE), 1), (range(self.EACH_SIDE, 2 * self.EACH_SIDE), 2)):
            cue(self, k)  # each side bends onto the curve as it is said; its neurons light by their results
            self.play(*(dots[j].animate.move_to(axes.c2p(float(pre.value[self.chosen[j]]), float(post.value[
                          self.chosen[j]]))) for j in side),
                      *(swap(self.values[j], results[j]) for j in side), *(lights[j] for j in side),
                      run_time=said_by(self, k, 1.5), now=True)  # fmt: skip
        self.values, self.curve = results, curve

    def bend(self, shape, xs: list[float], ys: list[float]) -> VGroup:
        """The activation's curve, large, right of the neurons, over the range of their values; a dot per neuron
        on its horizontal axis (the caller moves them onto the curve)."""
        lo, hi = min(-2.0, min(xs) - 0.3), max(2.0, max(xs) + 0.3)
        top_y = max(1.0, max(ys) + 0.3)
        axes = Axes(x_range=[lo, hi, 1], y_range=[-0.6, top_y, 1], x_length=6.6, y_length=4.0, tips=False,
                    axis_config={"color": style.MUTED, "stroke_width": 2, "include_ticks": True})  # fmt: skip
        axes.move_to([3.2, self.Y - 0.1, 0])
        ticks = [v for v in range(int(np.ceil(lo)), int(np.floor(hi)) + 1) if v and v % 2 == 0]
        axes.numbers = VGroup(*(label(f"{v:+d}".replace("-", "−"), size=SMALLEST, color=style.MUTED).next_to(
            axes.c2p(v, 0), DOWN, buff=0.15) for v in ticks), *(label(f"+{v}", size=SMALLEST, color=style.MUTED
            ).next_to(axes.c2p(0, v), LEFT, buff=0.15) for v in range(1, int(np.floor(top_y)) + 1)))  # fmt: skip
        line = axes.plot(lambda v: float(shape(v)), x_range=[lo, hi], color=style.BLOCK_MLP, stroke_width=5)
        name = label(self.trace.words["activation"], size=LABEL, color=style.BLOCK_MLP)
        name.next_to(axes.c2p(lo, top_y), DR, buff=0.1)
        dots = VGroup(*(Dot(axes.c2p(x, 0), radius=0.08, color=style.NEXT_SLOT if x > 0 else style.NEGATIVE)
                        for x in xs))  # fmt: skip
        return VGroup(axes, line, name, dots)

    def down_and_add(self):
        t = self.trace
        L, p = self.layer, self.last
        dims = {"m": (t.fields.meta.d_mlp, "comma"), "d": (t.fields.meta.d_model, "int")}

        def column(part, x: float) -> VectorColumn:
            return VectorColumn(part[p], shown=self.SHOWN, size=self.TYPE, dim_path=None).move_to([x, self.Y, 0])

        out = column(t.mlp.out[L], self.X_OUT)
        mid = column(t.resid.mid[L], self.X_RESID) if self.parallel else self.resid  # the one drawn at the start
        new = column(t.resid.post[L], self.X_NEW)
        plus = label("+", size=34).move_to([(self.X_OUT + self.X_RESID) / 2, self.Y, 0])
        equals = label("=", size=34).move_to([(self.X_RESID + self.X_NEW) / 2, self.Y, 0])
        parallel = t.words["parallel_residual"]
        names = [label(w, size=LABEL, color=style.MUTED) for w in ("MLP output", "residual", "new residual")]
        if parallel:  # the residual stream with attention's output already added: said on two lines
            names[1] = VGroup(names[1], label("+ attention", size=LABEL, color=style.MUTED)).arrange(DOWN, buff=0.08)
        for k, (name, col) in enumerate(zip(names, (out, mid, new))):
            name.next_to(col, DOWN, buff=0.2)
            if k == 1 and not parallel:  # the residual's own name, as drawn at the start
                names[1] = self.resid_name
        names = VGroup(*names)
        x0 = self.circles.get_right()[0] + 0.35  # the neurons' values leave as it grows
        x1 = min(out.get_left()[0] - 0.3, names[0].get_left()[0] - 0.15)  # clear of the output's name below it
        down = self.funnel(True, x0, x1, out.height * 0.6, self.circles.height + 0.3)  # wide at the neurons
        self.down = down
        down_label = VGroup(label("down", size=LABEL), sentence("{m} → {d}", size=SMALLEST, **dims))
        down_label.arrange(DOWN, buff=0.1).move_to(down).shift(0.05 * LEFT)
        self.fit_width(down_label, down.width - 0.2)
        # a last sentence, said over the finished sum: where the new residual goes
        onward = (f"The new residual goes on to layer {L + 2}." if L + 1 < t.n_layer
                  else "The new residual goes on to the unembedding, which turns it into the next token's "
                  "probabilities.")  # fmt: skip
        if parallel:
            self.beat(
                "Down and add",
                "Back down, then added: here MLP and attention run side by side (parallel residual).",
                say=f"A second matrix brings them back to {t.meta['d_model']} numbers. In this model the MLP read the "
                "same vector as attention, side by side. Both outputs are added to the residual stream. " + onward,
            )
        else:
            self.beat(
                "Down and add",
                "Back down, then added to the residual stream.",
                say=f"A second matrix brings them back down to {t.meta['d_model']} numbers. They are added to the "
                "token's vector. This running sum is the residual stream. " + onward,
            )
        shrink = self.shrink_curve()
        half = said_by(self, 0, 1.2) / 4  # the bend shrinks away first, then the down-projection grows where it was
        self.play(*shrink, run_time=half)
        self.play(GrowFromEdge(down, LEFT), FadeIn(down_label), run_time=half)
        self.play(FadeIn(out.decor), FadeIn(names[0]), LaggedStart(*(FadeIn(c, shift=0.4 * RIGHT) for c in
                  out.entries), lag_ratio=0.2), run_time=said_by(self, 0, 1.0))  # fmt: skip
        cue(self, 1)
        if parallel:
            self.play(FadeIn(plus), FadeIn(mid, shift=0.2 * LEFT), FadeIn(names[1]), run_time=said_by(self, 1, 1.0))
        else:  # the token's residual, seen at the start, comes back: the output is added to it
            back = CurvedArrow(out.get_top() + 0.1 * UP, mid.get_top() + 0.1 * UP, angle=-np.pi / 2,
                               color=style.BLOCK_MLP, stroke_width=4)  # fmt: skip
            self.play(Transform(self.resid, self.resid_lit), Transform(self.resid_name, self.resid_name_lit),
                      Create(back), FadeIn(plus), run_time=said_by(self, 1, 1.0))  # fmt: skip
            self.play(dim(back), run_time=0.4)
        cue(self, 2)  # the sum, as the residual stream is named: finished early, then held through the last sentence
        self.play(FadeIn(equals), FadeIn(new.decor), FadeIn(names[2]),
                  LaggedStart(*(FadeIn(c, shift=0.3 * RIGHT) for c in new.entries), lag_ratio=0.2),
                  run_time=1.2)  # fmt: skip
        self.sums = [out, mid, new]
        self.added_to = mid  # (tests: the residual the output is added to is the one drawn at the start)
        cue(self, 3)  # where the new residual goes: it is marked as the last sentence says so
        self.onward = SurroundingRectangle(new, buff=0.1, color=style.NEXT_SLOT)
        self.play(Create(self.onward), run_time=said_by(self, 3, 1.0))

    def shrink_curve(self) -> list:
        """The working leaves; the bend shrinks over the neurons it lit, its name beside it."""
        shrink = [FadeOut(self.values)]
        if len(self.curve):
            axes, line, name, dots = self.curve
            small = VGroup(axes, line).copy().scale_to_fit_width(1.3)
            small.next_to(self.circles, UP, buff=0.15).align_to(self.circles, LEFT)
            tag = label(self.trace.words["activation"], size=SMALLEST, color=style.BLOCK_MLP)
            tag.next_to(small, RIGHT, buff=0.12).align_to(small, DOWN)
            shrink += [Transform(VGroup(axes, line), small), ReplacementTransform(name, tag), dim(dots),
                       FadeOut(axes.numbers)]  # fmt: skip
        return shrink

    def turn(self, j: int, cols: list, post, brightest: float, step: float):
        """One token through the MLP, left to right: its vector in (the last token's output and sum leave), up
        into the neurons, which light by its values, then down into its own output and sum."""
        self.play(swap_column(self.x, cols[0]),
                  *(Transform(c, faded(lit, 1.0 if k == j else CHIP_DIM)) for k, (c, lit) in enumerate(zip(self.chips,
                    self.lit))),
                  *(s.animate.set_opacity(0.3) for s in self.sums),  # the last turn's output never beside this token
                  run_time=step * 0.15, now=True)  # fmt: skip
        self.play(Indicate(self.up, color=style.BLOCK_MLP, scale_factor=1.05),
                  *(c.animate.set_fill(style.NEXT_SLOT, opacity=0.9 * max(0.0, float(post[n])) / brightest)
                    for c, n in zip(self.circles, self.chosen)), run_time=step * 0.2)  # fmt: skip
        self.play(Indicate(self.down, color=style.BLOCK_MLP, scale_factor=1.05),
                  *(swap_column(old, new) for old, new in zip(self.sums, cols[1:])), run_time=step * 0.25,
                  now=True)  # fmt: skip
        self.wait(step * 0.4)
        self.x, self.sums = cols[0], cols[1:]

    def every_token(self):
        """The tokens before it go through the same MLP, one after the other, each with its real numbers: its
        vector in, its neurons lit, its output and sum; then the last token's again."""
        t = self.trace
        L = self.layer
        parts = [t.ln2.normalized[L], t.mlp.out[L], t.resid.mid[L], t.resid.post[L]]
        turns = [*self.positions[-1 - self.OTHERS : -1], self.last]
        if len(turns) < 2:  # one token: no other token to take through
            return
        self.beat(
            "Every token",
            "Same MLP for every token, each alone.",
            say="Every token goes through this same MLP, with the same weights, but on its own. Each token "
            "brings its own vector, lights its own neurons, and gets its own output.",
        )
        self.play(
            FadeOut(self.x_name), FadeOut(self.column[2]), FadeOut(self.onward), run_time=0.5
        )  # fewer words: the takeaway is the picture
        step = max(1.2, (said_by(self, -1, 6.0) - 1.0) / len(turns))  # the turns fill the sentence, then rest
        for q in turns:  # each turn: the token's vector in, its neurons lit, its output and sum out
            j = self.positions.index(q)
            cols = [VectorColumn(part[q], shown=self.SHOWN, size=self.TYPE, dim_path=None).move_to(old)
                    for part, old in zip(parts, [self.x, *self.sums])]  # fmt: skip
            post = t.mlp.post[L, q].value
            brightest = float(max(max(post[n] for n in self.chosen), 1e-6))
            self.mark.become(SurroundingRectangle(self.chips[j], buff=0.06, color=style.NEXT_SLOT))  # (never between)
            self.turn(j, cols, post, brightest, step)
