"""The end of the pipeline: unembedding, softmax, temperature, and truncated sampling."""

from __future__ import annotations

import math
import re

import numpy as np
from manim import (
    DOWN,
    LEFT,
    PI,
    RIGHT,
    UP,
    AnimationGroup,
    Arrow,
    Create,
    DashedLine,
    FadeIn,
    FadeOut,
    GrowArrow,
    GrowFromEdge,
    GrowFromPoint,
    Indicate,
    LaggedStart,
    Line,
    MathTex,
    Rectangle,
    ReplacementTransform,
    Square,
    SurroundingRectangle,
    Transform,
    TransformFromCopy,
    Triangle,
    ValueTracker,
    VGroup,
    VMobject,
    Write,
    always_redraw,
    config,
)

from model.claims import (
    RULES,
    Statement,
    guesses_read,
    lecture_bars,
    softmax_total,
    statements,
    temperature_bars,
    truncation_share,
)
from model.sampling import softmax, top_entries
from scenes import style
from scenes.base import TraceScene
from scenes.components import (
    FORMATTERS,
    HEADING,
    LABEL,
    NUMBER,
    SMALLEST,
    TOKEN,
    ProbabilityBars,
    TokenBox,
    TokenRow,
    VectorColumn,
    WeightMatrix,
    claim,
    label,
    number,
    sentence,
    statement,
    swap,
    token_text,
    with_symbols,
)
from scenes.pacing import cue, dim, said_by, spoken, travel
from scenes.speech import big, dec, said_pct, spoken_token

BARS = 8
SOFTMAX_TOP = 8  # tokens whose softmax the Softmax scene works out step by step (TopKTopP shows as many)
STEP_LISTS = ("ids", "logits", "shifted", "exp_shifted", "probs")  # info.softmax's lists, one entry per token


def softmax_shown(trace) -> dict:
    """info.softmax for the SOFTMAX_TOP tokens the scenes show (all the Trace keeps, if fewer): the first entries
    of its lists, and `rest`, the share of every other token, read with its path (others_after)."""
    sm = trace.info["softmax"]
    n = min(SOFTMAX_TOP, len(sm["ids"]))
    return {**sm, **{k: sm[k][:n] for k in STEP_LISTS}, "rest": trace.fields.info.softmax.others_after[n - 1]}


def named(display: str, start: bool = False) -> str:
    """A vocabulary token as said, a piece of a word (lower-case letters, no space before) called a fragment."""
    if display.isalpha() and display[0].islower():  # (a word's start is shown with its space, "·miller")
        return ("The" if start else "the") + f" fragment {spoken_token(display)}"
    return spoken_token(display, start)


def byte_note(display: str) -> str | None:
    """What a token shown as ‹xx› is: bytes of a character the tokenizer split, or a control character."""
    found = re.findall(r"‹([0-9a-f ]+)›", display)
    if not found:
        return None
    codes = [int(b, 16) for part in found for b in part.split()]
    if all(c >= 0x80 for c in codes):
        return "{b}: a raw byte, part of a character that takes several bytes"
    return "{b}: a control character, written as its code"


class Unembedding(TraceScene):
    """The last vector times the unembedding matrix: one logit per token of the vocabulary."""

    TITLE = "Unembedding"
    PART = "From vector to next token"
    SUMMARY = "The last vector times the unembedding matrix gives one logit per token."
    RENDER_SECONDS = 7

    ROWS, COLS = 6, 3
    SIZE = 1.3  # the matrix × vector = logits picture, drawn this much larger than NUMBER's size (it fills the frame)
    HEAD_Y = 3.35  # the line of its headings, at the frame's top
    BAR_X, BAR_W = 4.0, 1.75  # where the logit bars start, and the longest bar's length
    BIG = 1.8  # the last vector's size while it is shown alone (under its chip)
    HOME = (1.1, 0.7)  # where the vector sits beside W_U
    STRIP_H = 0.5  # the tallest of all d products' bars, in a strip across the frame under the matrix's size label
    STRIP_Y = -2.5  # the strip's line: the positives grow up from it, the negatives down

    def construct(self):
        self.show_last_vector()
        self.multiply()
        self.whole_vocabulary()
        self.why_last()

    def show_last_vector(self):
        """The last token's vector comes down out of its chip, then the final norm rescales it in place."""
        t = self.trace
        self.last = len(t.token_ids) - 1
        first = max(0, len(t.token_ids) - 8)  # the prompt's last few tokens, one chip each
        shown = [t.fields.info.tokens.display[i] for i in range(first, len(t.token_ids))]
        chips = TokenRow([d.value for d in shown], [d.path for d in shown], max_width=11.0, size=TOKEN,
                         first_hue=first)  # fmt: skip
        self.fit_width(chips).move_to([0, 3.3, 0])
        raw = VectorColumn(t.resid.post[t.n_layer - 1, self.last], shown=self.COLS, size=NUMBER)
        x = t.stored("ln_final.hook_normalized")[self.last]
        self.vector = VectorColumn(x, shown=self.COLS, size=NUMBER)
        norm = self.trace.words["norm"]
        raw.scale(self.BIG)  # large while it is the only thing on screen, under its chip; it shrinks beside W_U
        self.vector.scale(self.BIG)
        under = 1.0  # a little right of the middle: its size bars, leftwards, fill the middle of the frame
        for v in (raw, self.vector):
            v.move_to([under, -0.35, 0])
        title = label("last vector", size=LABEL, color=style.MUTED)
        self.vector_title = title.next_to(raw, UP, buff=0.25)
        normed = label(f"after the final {norm}", size=LABEL, color=style.MUTED).move_to(title)
        normed.shift(LEFT * max(0.0, normed.get_right()[0] - (config.frame_width / 2 - 0.2)))
        self.beat(
            "The last vector",
            f"After the last layer, the vector at the last position goes through a final {norm}.",
            say="At the end of the network sits the vector of the last position, for "
            f"{spoken_token(t.token_display[self.last])}. A final {norm} rescales it. This one vector now predicts "
            "the next token.",
        )
        self.play(FadeIn(chips), run_time=0.6)
        self.play(Create(mark := SurroundingRectangle(chips.boxes[-1], buff=0.06, color=style.NEXT_SLOT)),
                  run_time=0.6)  # fmt: skip
        before, after = self.size_bars(raw, t.resid.post[t.n_layer - 1, self.last], x)
        self.play(GrowFromPoint(raw, chips.boxes[-1].get_bottom()), run_time=said_by(self, 0, 1.0) * 0.7)
        self.play(FadeIn(title), *(GrowFromEdge(b, RIGHT) for b in before), run_time=0.8)  # all at once: as sized
        cue(self, 1)  # the norm rescales it: each entry's bar shrinks or grows to its new size
        self.play(ReplacementTransform(raw.entries, self.vector.entries), ReplacementTransform(raw.decor, self.vector.decor),
                  ReplacementTransform(title, normed), Transform(before, after),
                  run_time=said_by(self, 1, 1.0))  # fmt: skip
        self.add(self.vector)
        self.vector_title = normed
        cue(self, 2)
        self.vector_mark = SurroundingRectangle(self.vector, buff=0.1, color=style.NEXT_SLOT)
        self.play(FadeIn(self.vector_mark), run_time=0.8)
        self.chips, self.chip_mark, self.size_marks = chips, mark, before

    def size_bars(self, column, raw, normed) -> tuple[VGroup, VGroup]:
        """Beside each shown entry, a bar as long as its size (red if negative), leftwards from the column: before
        the final norm and after it, on one scale, so that the rescaling shows as the bars changing length."""
        old, new = (np.asarray(v.value, dtype=np.float64)[: self.COLS] for v in (raw, normed))
        scale = 4.2 / (max(np.abs(old).max(), np.abs(new).max()) or 1.0)
        edge = column.get_left()[0] - 0.15
        out = []
        for values in (old, new):
            bars = VGroup()
            for c, v in enumerate(values):
                bar = Rectangle(width=max(scale * abs(float(v)), 0.02), height=0.32, stroke_width=0, fill_opacity=0.9,
                                fill_color=style.BAR if v >= 0 else style.NEGATIVE)  # fmt: skip
                bars.add(bar.move_to([edge - bar.width / 2, column.entries[c].get_y(), 0]))
            out.append(bars)
        return out[0], out[1]

    def multiply(self):
        """W_U comes in, one row per token; one row lies along the vector, the entries multiply pairwise (bars as
        long as the products), all d of them add up to that token's logit; then every other row at once."""
        t = self.trace
        order = sorted(range(self.ROWS), key=lambda r: t.info["unembed_ids"][r])  # W_U's rows in vocabulary order
        ids = [t.info["unembed_ids"][r] for r in order]
        W_U = t.stored("weights.W_U_rows")
        matrix = WeightMatrix(W_U.value[order], lambda r, c: W_U[order[r], c].path, self.ROWS, self.COLS, size=NUMBER)
        matrix.scale(self.SIZE)
        small = self.vector.copy().scale(self.SIZE / self.BIG).move_to([*self.HOME, 0])  # where the vector goes
        matrix.next_to(small, LEFT, buff=0.75).set_y(small.get_y() + 0.15)
        times = label("×", size=HEADING).move_to((matrix.get_right() + small.get_left()) / 2)
        names = self.row_names(ids, matrix)
        logits = [float(t["logits"][i]) for i in ids]
        widths, colors = logit_widths(logits, self.BAR_W)
        values = [number(t.stored("logits")[i], size=NUMBER) for i in ids]
        self.table = BarRows([n.copy() for n in names], widths, values, colors, x0=self.BAR_X,
                             top=matrix.grid[0].get_y(), row_height=matrix.grid[0].get_y() - matrix.grid[1].get_y(),
                             value_x=self.BAR_X + self.BAR_W + 1.15)  # fmt: skip
        left = min(row.name.get_left()[0] for row in self.table.rows)  # between the vector and the logits' names
        equals = label("=", size=HEADING).move_to([(small.get_right()[0] + left) / 2, small.get_y(), 0])
        plain = label("one row per token", size=LABEL, color=style.POSITIVE)  # what it is, before its name
        head = with_symbols("unembedding matrix $W_U$", size=LABEL, color=style.POSITIVE)
        for h in (plain, head):
            h.move_to([matrix.get_x(), self.HEAD_Y, 0])
        logit_head = label("logits", size=LABEL, color=style.MUTED).move_to([self.BAR_X + self.BAR_W / 2, self.HEAD_Y,
                                                                             0])  # fmt: skip
        dims = sentence("{v} rows × {d}", size=LABEL, color=style.MUTED, v=(t.fields.meta.vocab_size, "comma"),
                        d=(t.fields.meta.d_model, "int")).next_to(matrix, DOWN, buff=0.15)  # fmt: skip
        self.beat(
            "Unembedding",
            "Each token's row times the vector, all added up: that token's logit.",
            say="Next comes the unembedding matrix, a table with one row for every token of the vocabulary. To "
            "score one token, lay its row along the vector and multiply them entry by entry. Add up all "
            f"{t.meta['d_model']} products: that sum is the token's score, its logit. "
            f"{spoken_token(t.info['vocab_display'][str(ids[0])], start=True)} scores {dec(logits[0], 2)}. Every "
            "other row works the same way, so every token gets its logit at once.",
        )
        short = label("last vector", size=LABEL, color=style.MUTED).move_to([self.HOME[0], self.HEAD_Y, 0])
        self.play(dim(self.vector_mark), FadeOut(self.chips), FadeOut(self.chip_mark), FadeOut(self.size_marks),
                  ReplacementTransform(self.vector_title, short), self.vector.animate.scale(self.SIZE / self.BIG).move_to(small),
                  run_time=0.6)  # fmt: skip
        self.play(FadeIn(matrix), *(FadeIn(n) for n in names), FadeIn(plain), FadeIn(times), FadeIn(dims),
                  run_time=said_by(self, 0, 0.8) * 0.6)  # fmt: skip
        self.play(swap(plain, head), run_time=0.8, now=True)  # named once it has been said what it is
        self.vector_title = short
        mark = self.dot_product(matrix, names, ids[0])
        cue(self, 4)  # every other row at once, each its own logit
        rest = list(enumerate(self.table.rows))[1:]
        self.play(
            mark.animate.become(
                SurroundingRectangle(VGroup(*names[1:], *matrix.grid[1 : self.ROWS]), buff=0.06, color=style.NEXT_SLOT)
            ),  # fmt: skip
            FadeIn(equals),
            FadeIn(logit_head),
            run_time=0.6,
        )
        ghosts = [matrix.grid[r][: self.COLS].copy() for r, _ in rest]  # each row flies into its bar and fades
        self.play(LaggedStart(*(AnimationGroup(g.animate.move_to(row.bar).set_opacity(0), GrowFromEdge(row.bar, LEFT),
                                               TransformFromCopy(names[r], row.name), FadeIn(row.value, shift=0.2 * RIGHT))
                                for g, (r, row) in zip(ghosts, rest)), lag_ratio=0.12), run_time=1.6)  # fmt: skip
        self.remove(*ghosts)
        self.play(dim(mark), run_time=0.4)
        self.names, self.matrix, self.logits, self.logit_head = names, matrix, logits, logit_head
        self.matrix_parts = [head, times, dims, equals, mark, self.vector_mark]

    def row_names(self, ids, matrix) -> list:
        """Each row's token at its left, a long one giving way near the frame's edge."""
        t = self.trace
        names = [
            token_text(t.fields.info.vocab_display[str(i)], size=LABEL * self.SIZE, color=style.token_hue(r), limit=9)
            .next_to(matrix.grid[r], LEFT, buff=0.35)
            .set_y(matrix.grid[r].get_y())
            for r, i in enumerate(ids)
        ]
        edge = -config.frame_width / 2 + 0.08  # as near the edge as the layout check allows
        for name in names:  # a wide matrix (many digits) leaves less room: a long token gives way
            if name.get_left()[0] < edge:
                name.scale_to_fit_width(name.get_right()[0] - edge, about_edge=RIGHT)
        return names

    def dot_product(self, matrix, names, i: int):
        """The first row's shown entries turn upright beside the vector's, each pair multiplies into a bar as long
        as its product (red if negative), and the sum of all d products, that token's logit, goes to its row."""
        t = self.trace
        x = t.stored("ln_final.hook_normalized")[self.last]
        w = t.stored("weights.W_U_rows")[t.info["unembed_ids"].index(i)]
        entries = self.vector.entries[: self.COLS]
        col_x = self.vector.get_right()[0] + 0.55
        laid = matrix.grid[0][: self.COLS].copy()
        spots = [laid[c].copy().scale(1.25).move_to([col_x + laid[c].width * 0.625, entries[c].get_y(), 0])
                 for c in range(self.COLS)]  # fmt: skip
        signs = VGroup(*(label("×", size=LABEL, color=style.MUTED).move_to([col_x - 0.22, entries[c].get_y(), 0])
                         for c in range(self.COLS)))  # fmt: skip
        products = [float(x.value[c]) * float(w.value[c]) for c in range(self.COLS)]
        top = max(abs(p) for p in products) or 1.0
        zero = col_x + max(s.width for s in spots) + 1.7  # the products' bars grow either way from here
        bars = VGroup()
        for c, p in enumerate(products):
            bar = Rectangle(width=max(1.3 * abs(p) / top, 0.03), height=0.3, stroke_width=0, fill_opacity=0.9,
                            fill_color=style.BAR if p >= 0 else style.NEGATIVE)  # fmt: skip
            bars.add(bar.next_to([zero, entries[c].get_y(), 0], RIGHT if p >= 0 else LEFT, buff=0))
        axis = Line([zero, entries[0].get_top()[1] + 0.15, 0], [zero, entries[-1].get_bottom()[1] - 0.15, 0],
                    color=style.MUTED, stroke_width=2)  # fmt: skip
        total = sentence("sum of all {d} products", size=LABEL, color=style.TEXT, d=(t.fields.meta.d_model, "int"))
        total.move_to([zero, self.vector.get_bottom()[1] - 0.35, 0])
        value = number(t.stored("logits")[i], size=NUMBER, color=style.TEXT).next_to(total, RIGHT, buff=0.2)
        VGroup(total, value).shift(LEFT * max(0.0, value.get_right()[0] - (config.frame_width / 2 - 0.3)))
        named = label("products", size=LABEL, color=style.MUTED).move_to([zero, self.vector_title.get_y(), 0])
        first = self.table.rows[0]
        mark = SurroundingRectangle(VGroup(names[0], matrix.grid[0]), buff=0.06, color=style.NEXT_SLOT)
        cue(self, 1)  # its row lies along the vector: entry beside entry
        self.play(Create(mark), run_time=0.5)
        self.play(*(TransformFromCopy(matrix.grid[0][c], spots[c], path_arc=-PI / 3) for c in range(self.COLS)),
                  FadeIn(signs), run_time=said_by(self, 1, 1.4) * 0.5)  # fmt: skip
        self.play(Create(axis), FadeIn(named), LaggedStart(*(AnimationGroup(Indicate(entries[c], scale_factor=1.15, color=style.NEXT_SLOT),
                                                             Indicate(spots[c], scale_factor=1.15, color=style.NEXT_SLOT),
                                                             GrowFromEdge(bars[c], LEFT if products[c] >= 0 else RIGHT))
                                              for c in range(self.COLS)), lag_ratio=0.3),
                  run_time=max(1.4, said_by(self, 1) - 0.2))  # fmt: skip
        cue(self, 2)  # added up, all of them: every product, sorted, then laid end to end into their sum
        strip = self.all_products(x.value, w.value)
        VGroup(total, value).next_to(strip.sum, RIGHT, buff=0.3)  # the sum's name beside its bar
        self.play(LaggedStart(*(GrowFromEdge(b, DOWN if b.positive else UP) for b in strip.bars), lag_ratio=0.004),
                  FadeIn(strip.rest), *(b.animate.move_to(strip.bars[0]).set_opacity(0) for b in bars),
                  FadeOut(axis), FadeOut(named), run_time=said_by(self, 2, 2.0) * 0.4, now=True)  # fmt: skip
        moving = strip.bars.copy()  # (the strip's own bars stay as drawn)
        self.remove(*strip.bars)
        self.add(moving)
        self.play(Transform(moving, strip.laid), FadeOut(strip.rest), run_time=said_by(self, 2, 1.4) * 0.3, now=True)
        self.play(ReplacementTransform(moving, strip.sum), FadeIn(total, shift=0.2 * DOWN), FadeIn(value),
                  run_time=max(0.8, said_by(self, 2, 1.0) * 0.3), now=True)  # fmt: skip
        cue(self, 3)  # that sum is the token's logit: its bar flies into its row
        flying = strip.sum.copy()  # (the strip's sum stays as drawn)
        self.remove(strip.sum)
        self.play(ReplacementTransform(value, first.value), TransformFromCopy(names[0], first.name),
                  ReplacementTransform(flying, first.bar), FadeOut(VGroup(*spots, signs, total)),
                  run_time=said_by(self, 3, 1.2), now=True)  # fmt: skip
        self.remove(*bars)
        self.product_bars = (i, bars)
        self.strip = strip  # the token whose row was multiplied out, and its products' bars
        return mark

    def all_products(self, x, w) -> VGroup:
        """Every one of the d products of the row and the vector, sorted, as thin bars up (positive, blue) or down
        (negative, red) from a line across the frame under the matrix; then `laid`, the same bars end to end (the
        positives rightwards, the negatives back from their end, a row lower), and `sum`, the one bar they make,
        as long as the logit on the same scale."""
        products = np.sort(np.asarray(x, dtype=np.float64) * np.asarray(w, dtype=np.float64))[::-1]
        left, width, y, height = -5.6, 11.2, self.STRIP_Y, self.STRIP_H
        top = float(np.abs(products).max()) or 1.0
        step = width / len(products)
        bars = VGroup()
        for k, p in enumerate(products):
            h = max(height * abs(float(p)) / top, 0.01)
            bar = Rectangle(width=step * 0.8, height=h, stroke_width=0, fill_opacity=0.9,
                            fill_color=style.BAR if p >= 0 else style.NEGATIVE)  # fmt: skip
            bar.move_to([left + (k + 0.5) * step, y + (h / 2 if p >= 0 else -h / 2), 0])
            bar.positive = bool(p >= 0)
            bars.add(bar)
        line = Line([left, y, 0], [left + width, y, 0], color=style.MUTED, stroke_width=1.5)
        name = sentence("all {d} products, largest first", size=LABEL, color=style.MUTED,
                        d=(self.trace.fields.meta.d_model, "int"))  # fmt: skip
        name.next_to(line, DOWN, buff=0.1).align_to(line, LEFT)  # under the positives' side
        strip = VGroup(bars, VGroup(line, name))
        strip.bars, strip.rest, strip.products = bars, VGroup(line, name), products
        strip.laid, strip.sum = self.end_to_end(products, left, width, y)
        return strip

    def end_to_end(self, products, left: float, width: float, y: float) -> tuple[VGroup, Rectangle]:
        """The products laid end to end on one scale (the positives' total the strip's width): each positive a
        blue piece rightwards, each negative a red one back leftwards from there, a row lower; and their sum."""
        pos, neg = float(products[products > 0].sum()), float(products[products < 0].sum())
        scale = width / (max(pos, -neg) or 1.0)  # a negative sum runs back past the positives' start: room for it
        start = left + scale * max(0.0, -(pos + neg))
        laid, at = VGroup(), start
        for p in products:
            piece = Rectangle(width=max(scale * abs(float(p)), 0.002), height=0.28, stroke_width=0, fill_opacity=0.9,
                              fill_color=style.BAR if p >= 0 else style.NEGATIVE)  # fmt: skip
            laid.add(piece.move_to([at + scale * float(p) / 2, y if p >= 0 else y - 0.32, 0]))
            at += scale * float(p)
        total = scale * float(products.sum())
        bar = Rectangle(width=max(abs(total), 0.02), height=0.28, stroke_width=0, fill_opacity=0.9,
                        fill_color=style.BAR if total >= 0 else style.NEGATIVE)  # fmt: skip
        return laid, bar.move_to([start + total / 2, y, 0])

    def whole_vocabulary(self):
        """The bars sorted; the matrix leaves, and every logit of the vocabulary appears at once: how they spread."""
        t = self.trace
        logits = t["logits"].astype(np.float64)
        rank = sorted(range(len(self.logits)), key=lambda r: -self.logits[r])  # highest first
        moves = [row.animate.set_y(self.table.y(rank.index(r))) for r, row in enumerate(self.table.rows)]
        counts, edges = np.histogram(logits, bins=48)
        width, height, x0, base = 11.0, 1.5, -5.5, -2.15
        lo, hi = float(edges[0]), float(edges[-1])
        bars = VGroup()
        for c, left, right in zip(counts, edges[:-1], edges[1:]):  # as tall as its count (a bin of 1 still shows)
            h = max(height * c / counts.max(), 0.04 if c else 0.0) or 0.005
            bar = Rectangle(width=width * (right - left) / (hi - lo) * 0.9, height=h, stroke_width=0,
                            fill_color=style.BAR, fill_opacity=0.8)  # fmt: skip
            bars.add(bar.move_to([x0 + width * ((left + right) / 2 - lo) / (hi - lo), base + h / 2, 0]))
        axis = Line([x0, base, 0], [x0 + width, base, 0], stroke_width=2, color=style.MUTED)
        ticks = VGroup()  # the logit's value along the axis: where a bin's scores lie
        for v in range(math.ceil(lo / 5) * 5, math.floor(hi / 5) * 5 + 1, 5):
            x = x0 + width * (v - lo) / (hi - lo)
            tick = Line([x, base, 0], [x, base - 0.1, 0], stroke_width=2, color=style.MUTED)
            ticks.add(tick, label(f"{v:+d}" if v else "0", size=NUMBER, color=style.MUTED).next_to(tick, DOWN, 0.06))
        axis = VGroup(axis, ticks)
        low, high = int(np.argmin(logits)), int(np.argmax(logits))
        ends, arrows = [], []
        for i, side, b in ((low, LEFT, bars[0]), (high, RIGHT, bars[-1])):  # each end's token, above its bin
            end = sentence(
                "“{tok}” {x}",
                size=LABEL,
                color=style.TEXT,
                tok=(t.fields.info.vocab_display[str(i)], "cut16"),
                x=(t.stored("logits")[i], "value"),
            )
            end.move_to([b.get_x(), base, 0]).align_to(axis, side)
            under = [o for o in bars if abs(o.get_x() - end.get_x()) < end.width / 2 + 0.1]  # the bins it spans
            end.set_y(max(o.get_top()[1] for o in under) + 0.5 + end.height / 2)
            ends.append(end)
            arrows.append(Arrow(end.get_bottom(), b.get_top(), buff=0.06, stroke_width=3, color=style.NEXT_SLOT,
                                max_tip_length_to_length_ratio=0.3))  # fmt: skip
        count = sentence(
            "all {v} logits: a bar's height, how many have its value",
            size=LABEL,
            color=style.MUTED,
            v=(t.fields.meta.vocab_size, "comma"),
        ).next_to(axis, DOWN, buff=0.1)
        count.align_to(axis, LEFT).shift(RIGHT * 0.1)
        notes = VGroup()
        for i in (low, high):
            words = byte_note(t.info["vocab_display"][str(i)])
            if words:
                notes.add(sentence(words, size=SMALLEST, color=style.MUTED,
                                   b=(t.fields.info.vocab_display[str(i)], "text")))  # fmt: skip
        self.beat(
            "Highest and lowest",
            "The highest logits are the likeliest next tokens; the lowest, the least likely.",
            say="Sorted, the highest scores belong to the likeliest tokens. In fact every one of the "
            f"{big(t.meta['vocab_size'])} tokens gets a score. This histogram counts how many scores fall at each "
            f"value. At the top end sits {named(t.info['vocab_display'][str(high)])}. At the bottom, "
            f"{named(t.info['vocab_display'][str(low)])}.",
        )
        self.play(*moves, run_time=said_by(self, 0, 1.2))
        cue(self, 1)
        done = [self.matrix, *self.names, *self.matrix_parts, self.vector, self.vector_title]
        shown = VGroup(self.table, self.logit_head)
        self.play(*(m.animate.set_opacity(0) for m in done), shown.animate.move_to([0, 1.45, 0]),
                  run_time=said_by(self, 1, 1.0))  # fmt: skip
        cue(self, 2)
        self.play(Create(axis), LaggedStart(*(GrowFromEdge(b, DOWN) for b in bars), lag_ratio=0.03), FadeIn(count),
                  run_time=said_by(self, 2, 2.0))  # fmt: skip
        cue(self, 3)
        self.play(FadeIn(ends[1], shift=0.1 * DOWN), GrowArrow(arrows[1]))
        cue(self, 4)
        self.play(FadeIn(ends[0], shift=0.1 * DOWN), GrowArrow(arrows[0]))
        if len(notes):  # under the axis, at the lowest end's side, clear of the bars
            notes.arrange(DOWN, aligned_edge=LEFT, buff=0.08).next_to(count, DOWN, buff=0.08).align_to(axis, LEFT)
            self.play(FadeIn(notes))
        self.spread = VGroup(axis, bars, count, *ends, *arrows, notes)

    def why_last(self):
        """Every position's final vector gets scores too: above each chip, its top guess for the token after it
        (a bar as tall as that guess's probability); only the last position's are used to continue the text."""
        t = self.trace
        first = max(0, len(t.token_ids) - 8)  # the prompt's last few tokens, one chip each
        shown = [t.fields.info.tokens.display[i] for i in range(first, len(t.token_ids))]
        chips = TokenRow([d.value for d in shown], [d.path for d in shown], max_width=11.0, size=TOKEN,
                         first_hue=first)  # fmt: skip
        self.fit_width(chips).scale(min(1.4, 11.0 / chips.width)).move_to([0, -2.35, 0])  # across the frame
        last = chips.boxes[-1]
        table = VGroup(self.table, self.logit_head)  # the last position's scores, above it at the right
        need = chips.get_top()[1] + 0.12 + 0.1 + 1.3 + 0.1 + 0.15  # a short bar, its guess, ✗ and rank under it
        shrink = max(0.88, min(0.92, (config.frame_height / 2 - 0.3 - need) / table.height))  # (still readable)
        place = table.copy().scale(shrink).to_edge(RIGHT, buff=0.4).to_edge(UP, buff=0.3)
        ranks = [int(t["positions.next_ranks"][p]) for p in range(first, len(t.token_ids) - 1)]
        verdict = guesses_read(t, first)  # how the shown guesses fare: every one a miss, every one a hit, or some
        legend = VGroup(label("above each token:", size=LABEL, color=style.MUTED),
                        label("its top guess for the next", size=LABEL, color=style.TEXT),
                        label("bar: how sure", size=LABEL, color=style.MUTED),
                        *([label("✓: it is the real next token", size=LABEL, color=style.MUTED)]
                          if any(r == 1 for r in ranks) else []),
                        *([label("✗ #n: the real next token's rank", size=LABEL, color=style.MUTED)]
                          if any(r != 1 for r in ranks) else []))  # fmt: skip
        legend.arrange(DOWN, aligned_edge=LEFT, buff=0.1).to_corner(UP + LEFT, buff=0.4)
        self.guess_row = guesses = self.guesses(chips, first, place, legend)
        low = place.get_bottom()
        arrow = Arrow(last.get_top(), [last.get_x(), low[1], 0], buff=0.1, color=style.NEXT_SLOT, stroke_width=4)
        self.beat(
            "Why the last",
            "Each position guesses; only the last continues the text.",
            say="In fact every position gets scores like these, not only the last. Above each token stands its own "
            f"top guess for the token after it. Its bar shows how sure it is. {verdict.text if verdict else ''} "
            "To continue the text, only the last one counts.",
        )
        self.play(FadeOut(self.spread), table.animate.scale(shrink).move_to(place), run_time=0.7)
        self.play(FadeIn(chips), run_time=said_by(self, 0, 0.6))  # the row comes in once the histogram has gone
        cue(self, 1)
        grow = [AnimationGroup(GrowFromEdge(bar, DOWN), FadeIn(name, shift=0.2 * UP)) for bar, name, *_ in guesses]
        # (a one-token prompt has no earlier guesses)
        self.play(*([LaggedStart(*grow, lag_ratio=0.15)] if grow else []), FadeIn(legend), GrowArrow(arrow),
                  run_time=said_by(self, 1, 1.5))  # fmt: skip
        cue(self, 3)  # each guess against the token that really follows it
        if len(guesses):
            self.play(LaggedStart(*(FadeIn(g[2], scale=1.5) for g in guesses), lag_ratio=0.2),
                      run_time=said_by(self, 3, 1.0))  # fmt: skip
            if any(len(g) > 3 for g in guesses):  # under each cross, where the real next token ranked
                self.play(LaggedStart(*(FadeIn(g[3], shift=0.15 * DOWN) for g in guesses if len(g) > 3),
                                      lag_ratio=0.15), run_time=said_by(self, 4, 1.0))  # fmt: skip
        final = max(len(spoken(self)) - 1, 0)  # "only the last one counts", the beat's last sentence
        cue(self, final)  # the mark runs along the guesses to the last, the earlier ones fade
        mark = travel(self, [VGroup(b, g) for b, g in zip(chips.boxes, guesses)] + [last],
                      said_by(self, final, 1.0) * 0.3)  # fmt: skip
        earlier = [*chips.boxes[:-1], *(g[:2] for g in guesses)]  # (none for a one-token prompt); the ✓ ✗ stay
        if earlier:
            self.play(
                *(m.animate.fade(0.6) for m in earlier),
                FadeOut(legend, shift=0.2 * UP),
                run_time=said_by(self, final, 1.0),
                now=True,
            )  # the key has done its work: the takeaway is the last
        self.play(mark.animate.set_stroke(width=7), Indicate(arrow, color=style.NEXT_SLOT), run_time=0.8)

    def guesses(self, chips, first: int, table, legend) -> VGroup:
        """Above each chip but the last, a bar as tall as its position's top guess's probability (3.4 for 100%,
        less if a bar and its name would reach the table above it, or the frame's top), and the guess."""
        t = self.trace
        top, probs = t["positions.top_ids"], t["positions.top_probs"]
        scale = 3.4
        for k, box in enumerate(chips.boxes[:-1]):
            under = box.get_right()[0] > table.get_left()[0] - 0.1
            ceiling = table.get_bottom()[1] - 0.15 if under else config.frame_height / 2 - 0.4
            if box.get_left()[0] < legend.get_right()[0] + 0.1:  # under the legend, at the top left
                ceiling = min(ceiling, legend.get_bottom()[1] - 0.15)
            room = (
                ceiling - box.get_top()[1] - 0.12 - 0.1 - 1.3
            )  # between the chip and the ceiling: a name, a ✗, a rank
            scale = min(scale, room / max(float(probs[first + k]), 0.01))
        self.guess_scale = scale
        out = VGroup()
        for k, box in enumerate(chips.boxes[:-1]):
            p = first + k
            bar = Rectangle(width=min(0.5, box.width * 0.6), height=max(scale * float(probs[p]), 0.04), stroke_width=0,
                            fill_color=style.BAR, fill_opacity=0.9)  # fmt: skip
            bar.next_to(box, UP, buff=0.12)
            room = box.width + 0.08  # over its own chip: shortened, or a little smaller, never below the least size
            for limit in (7, 5, 3, 1):
                name = token_text(t.fields.info.vocab_display[str(int(top[p]))], size=LABEL, color=style.TEXT,
                                  limit=limit)  # fmt: skip
                if name.width * SMALLEST / LABEL <= room:
                    break
            name.scale(max(min(1.0, room / name.width), SMALLEST / LABEL + 0.01))
            name.next_to(bar, UP, buff=0.1)
            hit = int(t["positions.next_ranks"][p]) == 1  # the token that really follows was its top guess
            sign = label("✓" if hit else "✗", size=HEADING, color=style.POSITIVE if hit else style.NEGATIVE)
            sign.next_to(name, UP, buff=0.08)
            sign.hit = hit
            out.add(VGroup(bar, name, sign))
            if not hit:  # above the cross, where the model ranked the token that really came next
                rank = sentence(
                    "#{r}", size=LABEL, color=style.NEGATIVE, r=(t.stored("positions.next_ranks")[p], "comma")
                )
                rank.scale(max(min(1.0, (box.width + 0.25) / rank.width), SMALLEST / LABEL + 0.01))
                out[-1].add(rank.next_to(sign, UP, buff=0.08))
        lift_clear(out)
        return out


def lift_clear(guesses) -> None:
    """A rank wider than its chip, left to right, rises above whatever of its neighbours' it would touch."""
    for k, g in enumerate(guesses):
        if len(g) < 4:
            continue
        rank = g[3]
        near = [m for j in (k - 1, k + 1) if 0 <= j < len(guesses) for m in guesses[j][1:]]
        for m in sorted(near, key=lambda m: m.get_bottom()[1]):
            apart = rank.get_left()[0] > m.get_right()[0] + 0.05 or rank.get_right()[0] < m.get_left()[0] - 0.05
            if (
                not apart
                and rank.get_bottom()[1] < m.get_top()[1] + 0.05
                and rank.get_top()[1] > m.get_bottom()[1] - 0.05
            ):
                rank.shift(UP * (m.get_top()[1] + 0.08 - rank.get_bottom()[1]))


class BarRows(VGroup):
    """Rows of token | bar | value, the bars growing right from one edge and the values in one column: the look
    logits have in Unembedding and Softmax, so that one set of bars can turn into the next (`bars`, `values`)."""

    def __init__(self, names, widths, values, colors, x0: float = -4.2, top: float = 2.6, row_height: float = 0.46,
                 value_x: float = 1.75):  # fmt: skip
        super().__init__()
        self.x0, self.top, self.row_height, self.value_x = x0, top, row_height, value_x
        self.rows = VGroup()
        for r, (name, bar, value) in enumerate(zip(names, self.bars(widths, colors), self.values(values))):
            name.move_to([x0 - 0.15 - name.width / 2, self.y(r), 0])
            row = VGroup(name, bar, value)
            row.name, row.bar, row.value = name, bar, value
            self.rows.add(row)
        self.add(self.rows)

    def y(self, r: int) -> float:
        return self.top - r * self.row_height

    def bars(self, widths, colors, first: int = 0) -> list[Rectangle]:
        out = []
        for r, (w, c) in enumerate(zip(widths, colors)):
            bar = Rectangle(width=max(w, 0.02), height=self.row_height * 0.6, stroke_width=0, fill_color=c,
                            fill_opacity=0.9)  # fmt: skip
            out.append(bar.move_to([self.x0 + bar.width / 2, self.y(first + r), 0]))
        return out

    def values(self, texts, first: int = 0) -> list:
        for r, t in enumerate(texts):
            t.move_to([self.value_x - t.width / 2, self.y(first + r), 0])
        return list(texts)


def turn(old, new, distance: float = 0.25) -> AnimationGroup:
    """components.swap, one after the other: the old number leaves upwards before the new one comes in under
    it, so two scales (or two columns of numbers) are never drawn on top of each other."""
    group = AnimationGroup(FadeOut(old, shift=distance * UP), FadeIn(new, shift=distance * UP), lag_ratio=1.0)
    group.gptanim_swap = True  # a replacement, not a clearing (scenes.base)
    return group


def logit_widths(logits, width: float) -> tuple[list[float], list]:
    """Bars as long as the logits (relative to the largest size shown), red where a logit is negative."""
    top = max(abs(float(x)) for x in logits) or 1.0
    return [width * abs(float(x)) / top for x in logits], [style.BAR if x >= 0 else style.NEGATIVE for x in logits]


class Softmax(TraceScene):
    """Logits to probabilities: the bars exponentiated, added up over the whole vocabulary, divided."""

    TITLE = "Softmax"
    PART = "From vector to next token"
    SUMMARY = "Logits to probabilities: exponentiate, add up, divide; the rest as one bar."
    RENDER_SECONDS = 7

    WIDTH = 7.0  # a bar of this length is 100% once divided
    X0, TOP, ROW = -3.2, 1.5, 0.43  # where the bars start, the first row's height, one row's height
    # the formula's glyphs each step lights up: −max (twice), the numerator, the sum under the line, the line
    PARTS = {"max": (*range(6, 10), *range(16, 20)), "exp": tuple(range(3, 10)), "sum": tuple(range(11, 20)),
             "divide": (0, 1, 10)}  # fmt: skip

    def construct(self):
        self.sm = softmax_shown(self.trace)
        self.sm_fields = self.trace.fields.info.softmax  # the same lists, each entry read with its path
        self.show_logits()
        self.subtract_max()
        self.exponentiate()
        self.normalise()
        self.show_others()

    def show_logits(self):
        t, sm = self.trace, self.sm
        names = [token_text(t.fields.info.vocab_display[str(i)], size=LABEL, limit=10) for i in sm["ids"]]
        names.append(label("all other tokens", size=LABEL, color=style.MUTED))
        widths, colors = logit_widths(sm["logits"], self.WIDTH)
        values = [number(self.sm_fields.logits[r], size=NUMBER) for r in range(len(sm["logits"]))]
        self.table = BarRows(names[:-1], widths, values, colors, x0=self.X0, top=self.TOP, row_height=self.ROW,
                             value_x=self.X0 + self.WIDTH + 2.6)  # fmt: skip
        self.stages = [values]  # each set of numbers the bars take, in turn
        self.others_name = names[-1].move_to([self.table.x0 - 0.15 - names[-1].width / 2, self.table.y(len(values)), 0])
        self.head = label("logit x", size=LABEL, color=style.MUTED)
        self.place_head(self.head)
        self.formula = MathTex(r"p_i = \frac{e^{x_i - \max}}{\sum_j e^{x_j - \max}}", font_size=44, color=style.TEXT)
        self.formula.to_corner(UP + RIGHT, buff=0.5)  # its mark clear of the frame's top
        self.lit = VGroup()  # the formula's part the step now said works out
        self.steps = VGroup()  # the worked step being said, at the top left (one at a time)
        self.beat(
            "Softmax",
            "Softmax turns any list of scores into probabilities: positive, and adding up to 1.",
            say=f"Here are the {big(len(values))} highest scores, the logits, from the unembedding. A logit can be any "
            "number. Softmax turns them into probabilities, positive and adding up to one.",
        )
        rows = self.table.rows
        self.play(FadeIn(VGroup(*(r.name for r in rows)), self.head), LaggedStart(
            *(AnimationGroup(GrowFromEdge(r.bar, LEFT), FadeIn(r.value, shift=0.2 * LEFT)) for r in rows),
            lag_ratio=0.3), run_time=said_by(self, 0, 2.0))  # fmt: skip
        self.add(self.table)
        cue(self, 1)
        self.play(FadeIn(self.formula, shift=0.2 * DOWN), run_time=0.8)
        mark = SurroundingRectangle(VGroup(*(row.bar for row in self.table.rows)), buff=0.08, color=style.NEXT_SLOT)
        self.play(Create(mark), run_time=0.8)
        cue(self, 2)
        self.play(mark.animate.become(SurroundingRectangle(self.formula, buff=0.12, color=style.NEXT_SLOT)))
        self.mark = mark

    def light(self, part: str | None):
        """The formula's part the step now said works out turns yellow (the one before goes back), so that the
        four steps are seen to make up p_i."""
        out = [self.lit.animate.set_color(style.TEXT)] if len(self.lit) else []
        self.lit = VGroup(*(self.formula[0][k] for k in self.PARTS[part])) if part else VGroup()
        if part:
            out.append(self.lit.animate.set_color(style.NEXT_SLOT))
        return AnimationGroup(*out)

    def rows_box(self, first: int, last: int, right: float) -> Rectangle:
        """A mark round rows first..last, from left of every name to x = right, exactly as tall as those rows:
        it never runs through a name or a neighbouring row."""
        left = min(row.name.get_left()[0] for row in self.table.rows) - 0.12
        top, bottom = self.table.y(first) + self.ROW / 2, self.table.y(last) - self.ROW / 2
        box = Rectangle(width=right - left, height=top - bottom, color=style.NEXT_SLOT, stroke_width=4)
        return box.move_to([(left + right) / 2, (top + bottom) / 2, 0])

    def place_head(self, head):
        return head.move_to([self.table.value_x - head.width / 2, self.table.top + 0.45, 0])

    def step(self, text: str, **fields):
        """The line of the worked step now said, at the top left, in place of the one before."""
        line = sentence(text, size=LABEL, color=style.TEXT, static=True, **fields)  # the step numbers are static
        line.to_corner(UP + LEFT, buff=0.35)
        return line

    def show_step(self, line):
        """The step line changes: the one said before leaves upwards, the new one comes in under it."""
        out = [old.animate.shift(0.3 * UP).set_opacity(0) for old in self.steps]  # faded, not removed: no wait
        self.steps = VGroup(line)
        if not out:
            return FadeIn(line, shift=0.3 * UP)
        return AnimationGroup(AnimationGroup(*out), FadeIn(line, shift=0.3 * UP), lag_ratio=0.9)

    def subtract_max(self):
        """The largest logit is taken from every logit: the bars hang left from a zero line, the top one at 0."""
        sm = self.sm
        shifted = sm["shifted"]
        zero_x = self.table.x0 + self.WIDTH
        scale = self.WIDTH / (max(abs(float(x)) for x in sm["logits"]) or 1.0)  # the logits' own scale
        bars = []
        for r, x in enumerate(shifted):
            bar = Rectangle(width=max(-x * scale, 0.02), height=self.ROW * 0.6, stroke_width=0,
                            fill_color=style.NEGATIVE, fill_opacity=0.9)  # fmt: skip
            bars.append(bar.move_to([zero_x - bar.width / 2, self.table.y(r), 0]))
        values = self.table.values([number(self.sm_fields.shifted[r], size=NUMBER) for r in range(len(shifted))])
        self.zero = VGroup(
            DashedLine(
                [zero_x, self.table.top + 0.3, 0],
                [zero_x, self.table.y(len(shifted) - 1) - 0.3, 0],
                color=style.MUTED,
                stroke_width=3,
            ),  # fmt: skip
            label("0", size=NUMBER, color=style.MUTED).move_to([zero_x, self.table.y(len(shifted) - 1) - 0.5, 0]),
        )
        head = self.place_head(label("x − max", size=LABEL, color=style.MUTED))
        line = VGroup(label("1. subtract the largest logit", size=LABEL), number(self.sm_fields.shift,
                      size=LABEL, color=style.NEXT_SLOT)).arrange(RIGHT, buff=0.25)  # fmt: skip
        line.to_corner(UP + LEFT, buff=0.35)
        self.beat(
            "Subtract the max",
            "Subtracting the largest logit ({m}) first changes no probability.",
            m=(self.sm_fields.shift, "value"),
            say=f"Step one: find the largest logit, {dec(sm['shift'], 2)}. Subtract it from every logit. The top "
            "token lands on zero, and every other one falls below it. That changes no probability, and it keeps "
            "the next step's numbers small.",
        )
        top = SurroundingRectangle(self.table.rows[0].value, buff=0.06, color=style.NEXT_SLOT)
        self.play(self.show_step(line[0]), FadeOut(self.mark), Create(top), self.light("max"),
                  run_time=said_by(self, 0, 1.0) * 0.5)  # fmt: skip
        self.steps.add(line[1])
        self.play(TransformFromCopy(self.table.rows[0].value, line[1]), dim(top), run_time=said_by(self, 0, 1.0))
        cue(self, 1)
        self.play(
            turn(self.head, head),
            *(Transform(row.bar, bar) for row, bar in zip(self.table.rows, bars)),
            *(turn(row.value, v) for row, v in zip(self.table.rows, values)),
            Create(self.zero[0]),
            run_time=said_by(self, 1, 1.5),
            now=True,
        )
        for row, v in zip(self.table.rows, values):
            row.value = v
        self.stages.append(values)
        cue(self, 2)
        mark = self.rows_box(0, 0, zero_x + 0.2)
        self.play(FadeIn(self.zero[1], shift=0.1 * UP), Create(mark), run_time=0.8)
        self.play(mark.animate.become(self.rows_box(0, len(shifted) - 1, zero_x + 0.2)),
                  run_time=said_by(self, 2, 1.0))  # fmt: skip
        cue(self, 3)  # "keeps the next step's numbers small": the column of x − max, none above 0
        column = VGroup(head, *(row.value for row in self.table.rows))
        around = SurroundingRectangle(column, buff=0.12, color=style.NEXT_SLOT)
        self.play(mark.animate.become(around.stretch_to_fit_width(around.width + 0.1, about_edge=RIGHT)),
                  run_time=0.6 * said_by(self, 3, 1.0))  # fmt: skip
        self.mark, self.head = mark, head  # (it fades as the next step begins: the slide rests on it)

    def axis(self, scale: float, ticks) -> VGroup:
        """A scale above the bars: a line the bars' length, a mark and a label at each (value, text), `scale` long
        per unit; a mark beyond the line's end is there but unseen (it slides in when the scale shrinks)."""
        y = self.table.top + 0.4
        line = Line([self.table.x0, y, 0], [self.table.x0 + self.WIDTH, y, 0], color=style.MUTED, stroke_width=2)
        marks, labels = VGroup(), VGroup()
        for value, text in ticks:
            x = self.table.x0 + value * scale
            mark = Line([x, y - 0.08, 0], [x, y + 0.08, 0], color=style.MUTED, stroke_width=2)
            name = label(text, size=NUMBER, color=style.MUTED).move_to([x, y + 0.27, 0])
            if x > self.table.x0 + self.WIDTH * 1.02:  # (a Text's own hidden struts must stay hidden when seen)
                mark.set_opacity(0), name.set_opacity(0)
            marks.add(mark), labels.add(name)
        group = VGroup(line, marks, labels)
        group.line, group.marks, group.labels = line, marks, labels
        return group

    def exponentiate(self):
        """e to each: the hanging bars turn into positive ones, 0 into the longest (1), the grey bar for the rest,
        on a scale (0, 0.5, 1) above them."""
        sm = self.sm
        exps, n = sm["exp_shifted"], len(sm["exp_shifted"])
        self.others_exp = self.sm_fields.exp_others_after[n - 1]  # e^(x − max) of every token not shown, added up
        scale = self.WIDTH / max(max(exps), self.others_exp.value)
        bars = self.table.bars([scale * e for e in exps], [style.BAR] * n)
        values = self.table.values([number(self.sm_fields.exp_shifted[r], fmt="exp", size=NUMBER) for r in range(n)])
        others_bar = self.table.bars([scale * self.others_exp.value], [style.MUTED], first=n)[0]
        self.others_value = self.table.values([number(self.others_exp, fmt="exp", size=NUMBER, color=style.MUTED)],
                                              first=n)[0]  # fmt: skip
        self.ticks = [0.0, 0.5, 1.0, 2.0]
        self.scale_bar = self.axis(scale, [(v, f"{v:g}") for v in self.ticks])
        head = self.place_head(label("e^(x − max)", size=LABEL, color=style.MUTED))
        line = self.step("2. e to the power of each")
        self.beat(
            "Exponentiate",
            "e to the power of each: every result is positive, and the top token's 0 becomes exactly 1.",
            static=True,
            say="Step two: raise e to the power of each number. Zero becomes exactly one, the longest of these "
            "bars. The further below zero, the shorter the bar, yet none goes negative. All the other tokens of "
            "the vocabulary, added up, make the grey bar.",
        )
        self.play(self.show_step(line), turn(self.head, head), dim(self.mark), self.light("exp"),
                  run_time=said_by(self, 0, 1.0), now=True)  # fmt: skip
        cue(self, 1)
        self.play(
            *(Transform(row.bar, bar) for row, bar in zip(self.table.rows, bars)),
            *(turn(row.value, v) for row, v in zip(self.table.rows, values)),
            FadeOut(self.zero),
            FadeIn(self.scale_bar),
            run_time=said_by(self, 1, 1.5),
            now=True,
        )
        for row, v in zip(self.table.rows, values):
            row.value = v
        self.stages.append(values)
        right = self.table.value_x + 0.12
        top = self.rows_box(0, 0, right)
        self.play(Create(top), run_time=0.6)
        cue(self, 2)
        low = self.rows_box(n - 1, n - 1, right)
        self.play(top.animate.become(low), run_time=said_by(self, 2, 1.0))
        cue(self, 3)
        self.play(FadeIn(self.others_name), GrowFromEdge(others_bar, LEFT), FadeIn(self.others_value),
                  dim(top), run_time=said_by(self, 3, 1.0), now=True)  # fmt: skip
        self.head, self.others_bar = head, others_bar

    def sum_bar(self, scale: float):
        """The sum laid end to end: one bar per token (and the grey rest), `scale` long per unit, under the rows."""
        sm, n = self.sm, len(self.sm["ids"])
        x, segments = self.table.x0, VGroup()
        y = self.table.y(n + 1) - 0.15
        for k, e in enumerate([*sm["exp_shifted"], self.others_exp.value]):
            seg = Rectangle(width=max(scale * e, 0.005), height=0.3, stroke_width=1, stroke_color=style.BACKGROUND,
                            fill_color=style.MUTED if k == n else style.BAR, fill_opacity=0.9)  # fmt: skip
            segments.add(seg.move_to([x + seg.width / 2, y, 0]))
            x += scale * e
        return segments

    def normalise(self):
        """Added up, the sum is 2.02 times the top bar: the scale shrinks so that it fits, on the same scale; then
        divided by it, the long bar is 1 (the scale's 2.02 becomes 100%) and each bar its share."""
        t, sm = self.trace, self.sm
        n = len(sm["ids"])
        total_exp = sm["sum_exp_shifted"]
        scale = self.WIDTH / total_exp  # the sum's bar as long as the scale: every bar shrinks by the same factor
        segments = self.sum_bar(scale)
        y = segments.get_y()
        total_name = sentence("sum of all {v}", size=LABEL, color=style.MUTED,
                              v=(t.fields.meta.vocab_size, "comma"))  # fmt: skip
        total_name.move_to([self.table.x0 - 0.15 - total_name.width / 2, y, 0])
        total = number(self.sm_fields.sum_exp_shifted, fmt="fixed2", size=NUMBER, color=style.MUTED)
        self.table.values([total], first=n + 1)
        total.set_y(y)
        line2 = self.step("3. add them up:")  # its sum comes when the bars are laid end to end
        summed = number(self.sm_fields.sum_exp_shifted, fmt="fixed2", size=LABEL, color=style.NEXT_SLOT)
        summed.next_to(line2, RIGHT, buff=0.25)
        line3 = self.step("4. divide each by the sum")
        top_name = spoken_token(t.info["vocab_display"][str(sm["ids"][0])], start=True)
        self.beat(
            "Normalise",
            "Divide by the sum over all {v} tokens: the probabilities add up to exactly 1.",
            v=(t.fields.meta.vocab_size, "comma"),
            say=f"Step three: add them all up, over every token. To make room, the scale shrinks. Laid end to end, "
            f"they make one long bar, {FORMATTERS['fixed2'](total_exp)} times as long as the top token's. Step four: "
            f"divide each by the sum. The long bar becomes one, a hundred percent, and each bar its share. "
            f"{top_name} gets {said_pct(sm['probs'][0])}.",
        )
        self.play(self.show_step(line2), FadeIn(total_name), self.light("sum"), run_time=said_by(self, 0, 1.0),
                  now=True)  # fmt: skip
        cue(self, 1)
        shrunk = self.axis(scale, [(v, f"{v:g}") for v in self.ticks])
        self.play(*(Transform(row.bar, bar) for row, bar in zip(self.table.rows, self.table.bars(
            [scale * e for e in sm["exp_shifted"]], [style.BAR] * n))),
            Transform(self.others_bar, self.table.bars([scale * self.others_exp.value], [style.MUTED], first=n)[0]),
            Transform(self.scale_bar, shrunk), run_time=said_by(self, 1, 1.2))  # fmt: skip
        cue(self, 2)
        sources = [row.bar for row in self.table.rows] + [self.others_bar]
        self.play(*(TransformFromCopy(s, seg) for s, seg in zip(sources, segments)),
                  run_time=max(1.2, said_by(self, 2, 2.0) - 0.8))  # fmt: skip
        self.play(FadeIn(total), TransformFromCopy(total, summed), run_time=0.8)  # the long bar's length, said
        self.steps.add(summed)
        cue(self, 3)
        self.play(self.show_step(line3), self.light("divide"), run_time=said_by(self, 3, 1.0), now=True)
        cue(self, 4)
        self.divide(segments, total)
        cue(self, 5)
        self.top_mark = self.rows_box(0, 0, self.table.value_x + 0.12)
        self.play(Create(self.top_mark), run_time=0.8)
        self.segments, self.sum_label = segments, total_name

    def divide(self, segments, total):
        """Step four in one motion: the values become shares, the scale's units percentages (its 2.02 mark at the
        long bar's end now 100%), the sum the total of the shares; the bars keep their lengths."""
        sm, n = self.sm, len(self.sm["ids"])
        values = self.table.values([number(self.sm_fields.probs[r], fmt="percent", size=NUMBER) for r in range(n)])
        share = self.table.values([number(sm["rest"], fmt="percent", size=NUMBER, color=style.MUTED)], first=n)[0]
        found = sentence("{t}", size=NUMBER, color=style.TEXT, t=claim(softmax_total(self.trace, n)))
        if found.width < 1.8:  # in the values' column, like each row's share
            found.move_to([self.table.value_x - found.width / 2, segments.get_y(), 0])
        else:  # a longer statement (the shares' rounding): under the bar
            found.next_to(segments, DOWN, buff=0.12).align_to(segments, LEFT)
        percent = self.axis(self.WIDTH, [(q, f"{q:.0%}") for q in (0.0, 0.25, 0.5, 1.0)])
        head = self.place_head(label("probability", size=LABEL, color=style.MUTED))
        self.play(
            turn(self.head, head),
            *(turn(row.value, v) for row, v in zip(self.table.rows, values)),
            turn(self.others_value, share),
            turn(total, found),
            Transform(self.scale_bar.marks, percent.marks),
            *(turn(a, b) for a, b in zip(self.scale_bar.labels, percent.labels)),
            run_time=1.2,
            now=True,
        )
        self.play(Indicate(segments, scale_factor=1.04, color=style.NEXT_SLOT),
                  run_time=max(0.8, said_by(self, 4, 1.5) - 1.2))  # fmt: skip
        for row, v in zip(self.table.rows, values):
            row.value = v
        self.stages.append(values)
        self.head, self.others_value, self.total = head, share, found

    def show_others(self):
        """The grey row of all the other tokens; then the long bar, now the whole of it, is every token's share
        added up: its name says so, and the worked steps leave (the takeaway)."""
        sm = self.sm
        n = len(sm["ids"])
        y = self.segments.get_y()
        name = label("all tokens", size=LABEL, color=style.TEXT)
        name.move_to([self.table.x0 - 0.15 - name.width / 2, y, 0])
        mark = SurroundingRectangle(VGroup(self.others_name, self.others_bar, self.others_value), buff=0.06,
                                    color=style.NEXT_SLOT)  # fmt: skip
        self.beat(
            "The rest",
            "Together, the whole distribution.",
            say=f"All the other tokens together take {said_pct(sm['rest'].value)}, the grey bar. With the {big(n)} "
            "shown, that is the whole distribution, and the probabilities add up to one.",
        )
        self.play(FadeIn(mark), FadeOut(self.top_mark), self.light(None), run_time=said_by(self, 0, 1.0), now=True)
        cue(self, 1)
        steps = [old.animate.shift(0.3 * UP).set_opacity(0) for old in self.steps]  # the working leaves
        self.play(mark.animate.become(SurroundingRectangle(VGroup(self.sum_label, self.segments, self.total),
                                                           buff=0.06, color=style.NEXT_SLOT)),  # fmt: skip
                  AnimationGroup(FadeOut(self.sum_label, shift=0.25 * UP), FadeIn(name, shift=0.25 * UP),
                                 lag_ratio=1.0),  # one name after the other: they never overlap
                  *steps, run_time=said_by(self, 1, 1.0) * 0.6, now=True)  # fmt: skip
        self.steps = VGroup()
        self.play(dim(mark), run_time=0.5)
        self.wait(1.1)  # the takeaway rests a moment once the working has left (the last slide ends on it)


class Temperature(TraceScene):
    """Divide the logits by T before softmax: T = 0 is the argmax, T = 1 the model's own probabilities, a high T
    spreads the probability over the whole vocabulary; then the same prompt continued at three temperatures, and
    last the distribution at this lecture's own temperature (its continuation's), the bars it samples from."""

    TITLE = "Temperature"
    PART = "From vector to next token"
    SUMMARY = "A sweep of T over the real logits, from the argmax to a flat spread, ending at the lecture's own T."
    USES_TEMPERATURE = True  # the last picture is the distribution at the continuation's temperature
    RENDER_SECONDS = 18
    READS = ("sampling",)

    SHOWN = SOFTMAX_TOP  # bars of the likeliest tokens, as many as Softmax shows; a last one holds all the others
    HIGH = 5.0  # where the sweep turns the knob up to, when no continuation is sampled at a T above 1
    SLIDER_X, SLIDER_Y, SLIDER_H = 6.35, -1.95, 4.25  # the T knob, upright at the right: its x, where T = 0 is, length
    BAR_X, BAR_W, ROW, TOP_ROW = (
        -0.3,
        4.4,
        0.52,
        2.15,
    )  # where the bars start, a bar of 100%, one row, the first row's y

    def construct(self):
        self.show_formula()
        self.model_own()
        self.turn_down()
        self.turn_up()
        self.three_continuations()
        self.lecture_temperature()

    # --- what the bars show at a temperature ---

    @property
    def lecture_t(self) -> float:
        return float(self.trace.info["continuation"]["temperature"])

    @property
    def high(self) -> float:
        """Where the sweep turns the knob up to: the highest T the three continuations are sampled at (so the
        bars and the samples that follow agree), else HIGH."""
        above = [float(run["temperature"]) for run in self.trace.info["comparisons"] if run["temperature"] > 1]
        return max(above, default=self.HIGH)

    def scale_top(self) -> float:
        """The knob's scale: 0 to where the sweep turns it up to, or to the lecture's own T when it is higher."""
        return max(float(math.ceil(self.high)), float(math.ceil(self.lecture_t)))

    def slider_y(self, temperature: float) -> float:
        return self.SLIDER_Y + min(temperature, self.scale_top()) / self.scale_top() * self.SLIDER_H

    def slider(self) -> VGroup:
        """The knob: an upright scale of T at the right of the frame, clear of the bars, like a thermometer."""
        x, top = self.SLIDER_X, self.scale_top()
        axis = Line([x, self.slider_y(0), 0], [x, self.slider_y(top), 0], color=style.MUTED, stroke_width=3)
        ticks = VGroup()
        step = max(1, math.ceil(top / 5))
        for v in range(0, int(top) + 1, step):
            tick = Line([x - 0.1, self.slider_y(v), 0], [x + 0.1, self.slider_y(v), 0], color=style.MUTED,
                        stroke_width=3)  # fmt: skip
            ticks.add(tick, label(str(v), size=SMALLEST, color=style.MUTED).next_to(tick, RIGHT, buff=0.08))
        return VGroup(axis, ticks)

    def gaps(self, temperature: float) -> list[float]:
        """How far each shown token's logit lies below the top one's, divided by T (as softmax's first step
        subtracts the largest): 0 for the top token, inf for the others at T = 0."""
        logits = self.trace["logits"].astype(np.float64)
        top = float(logits.max())
        out = []
        for i in self.top_ids():
            gap = top - float(logits[i])
            out.append(gap / temperature if temperature > 0 else (math.inf if gap > 0 else 0.0))
        return out

    def logit_axis(self, temperature: float = 1.0) -> tuple[float, float, float]:
        """The (logit − max) ÷ T axis, one for every T: where 0 is (at the names' left), where it ends (the frame's
        left), and the gap at its end, a round number twice the widest gap at T = 1 or more (a low T stretches
        the gaps towards it, a high T shrinks them towards 0; at T = 0 they run off it)."""
        if not hasattr(self, "logit_zero"):  # the names do not change with T: found once
            names = self.bars_at(1.0, logits=False)[0].rows[: self.SHOWN]
            self.logit_zero = min(row.name.get_left()[0] for row in names) - 0.2
        span = float(math.ceil(2.0 * max(max(self.gaps(1.0)), 0.5)))
        return self.logit_zero, -config.frame_width / 2 + 0.45, span

    def logit_scale(self, temperature: float = 1.0) -> VGroup:
        """The axis of the gap bars: a baseline at 0 beside the names, faint lines at round values leftwards (0,
        −1, −2, ...), their numbers under the last row; the same at every T."""
        zero, end, span = self.logit_axis(temperature)
        top = self.TOP_ROW + self.ROW * 0.4
        bottom = self.TOP_ROW - (self.SHOWN - 0.6) * self.ROW  # the shown tokens' rows
        y = self.TOP_ROW - (self.SHOWN + 0.5) * self.ROW  # under "all other tokens"
        out = VGroup(Line([zero, top, 0], [zero, bottom, 0], color=style.MUTED, stroke_width=2),
                     Line([zero, y, 0], [end, y, 0], color=style.MUTED, stroke_width=2))  # fmt: skip
        step = next(m * 10**e for e in range(-1, 6) for m in (1, 2, 5) if m * 10**e >= span / 4.0)
        for k in range(int(span / step + 1e-9) + 1):
            x = zero + (end - zero) * k * step / span
            if k:
                out.add(DashedLine([x, top, 0], [x, bottom, 0], color=style.MUTED, stroke_width=1, dash_length=0.06))
            out.add(Line([x, y, 0], [x, y - 0.08, 0], color=style.MUTED, stroke_width=2))
            out.add(label(f"−{k * step:g}" if k else "0", size=NUMBER, color=style.MUTED).next_to(
                [x, y - 0.08, 0], DOWN, buff=0.06))  # fmt: skip
        return out

    def logit_bars(self, temperature: float, bars: ProbabilityBars) -> VGroup:
        """(logit − max) ÷ T of the shown tokens, as red bars hanging left from 0 on one fixed axis: the top token
        at 0, a low T stretching the gaps (a bar past the axis's end runs off, with an arrow), a high T shrinking
        them towards 0, where the shares even out."""
        zero, end, span = self.logit_axis(temperature)
        out = VGroup()
        for row, gap in zip(bars.rows, self.gaps(temperature)):
            off = gap > span
            width = (zero - end) if off else max((zero - end) * gap / span, 0.02)
            bar = Rectangle(width=width, height=self.ROW * 0.62, stroke_width=0, fill_color=style.NEGATIVE,
                            fill_opacity=0.9)  # fmt: skip
            part = VGroup(bar.move_to([zero - width / 2, row.get_y(), 0]))
            if off:  # past the axis: an arrow at the frame's side says it goes on
                tip = Triangle(color=style.NEGATIVE, fill_opacity=1, stroke_width=0).scale(0.13).rotate(PI / 2)
                part.add(tip.next_to(bar, LEFT, buff=0.02))
            out.add(part)
        return out

    def top_ids(self) -> list[int]:
        return [i for i, _ in top_entries(self.trace["logits"], self.SHOWN)]

    def paths_at(self, temperature: float, probs) -> tuple[list[str], dict]:
        """Where each bar's share is in the Trace, and what the row of all other tokens and the sum say: the
        continuation's own temperature (info.continuation.untruncated), a stored one (probs[k]), else (mid-sweep)
        the same rule computed from these bars."""
        ids = self.top_ids()
        if temperature == self.lecture_t and "untruncated" in self.trace.info["continuation"]:
            rest, total = lecture_bars(self.trace, self.SHOWN)
            lecture = self.trace.fields.info.continuation.untruncated.probs  # the bars' shares, computed again
            return [lecture[j].path for j in range(len(ids))], {
                "statement": rest,
                "total": total,
            }
        stored = [k for k, t in enumerate(self.trace.meta["temperatures"]) if t == temperature]
        if stored:
            rest, total = temperature_bars(self.trace, stored[0], self.SHOWN)
            return [self.trace.stored("probs")[stored[0], i].path for i in ids], {"statement": rest, "total": total}
        shown = [float(probs[i]) for i in ids]
        total = Statement(f"temperature.total.T{temperature:g}", "bars_total", RULES["bars_total"](shown),
                          {"probs": shown})  # fmt: skip
        return [f"softmax(logits/{temperature:g})[{i}]" for i in ids], {
            "prob_path": f"1 − sum of the bars above, softmax(logits/{temperature:g})",
            "total": total,
        }

    def bars_at(self, temperature: float, logits: bool = True) -> VGroup:
        """The bars of softmax(logits / T), from the Trace's logits, then one bar for all other tokens (the mass a
        high T moves into the long tail), the shares' sum, and T's marker on the slider."""
        probs = softmax(self.trace["logits"], temperature)
        ids = self.top_ids()
        paths, rest = self.paths_at(temperature, probs)
        vocab = self.trace.fields.info.vocab_display
        entries = [{"display": vocab[str(i)], "prob": float(probs[i]), "prob_path": path}
                   for i, path in zip(ids, paths)]  # fmt: skip
        shown = sum(e["prob"] for e in entries)
        total = rest.pop("total")
        entries.append({"name": "all other tokens", "prob": max(1.0 - shown, 0.0), **rest})
        bars = ProbabilityBars(entries, bar_width=self.BAR_W, size=TOKEN, row_height=self.ROW, scale_to=1.0,
                               ellipsis=False)  # fmt: skip
        bars.shift([self.BAR_X - bars.rows[0].bar.get_left()[0], self.TOP_ROW - bars.rows[0].get_y(), 0])
        del total  # (the shares' sum is not shown: its rounding would need a footnote)
        shares = VMobject()
        if getattr(self, "curve_on", False):  # once it is said: every token's share in their place, by rank
            for row in bars.rows:
                row.bar.set_opacity(0)
                row.pct.set_opacity(0)
            bars.rows[-1].name.set_opacity(0)
            shares = VGroup(self.curve(temperature), self.curve_name(temperature))
        return VGroup(bars, self.marker(temperature), shares,
                      *((self.logit_bars(temperature, bars), self.logit_scale(temperature)) if logits else ()))  # fmt: skip

    CURVE = (1.0, -1.95, 4.5, 4.15)  # the curve of every token's share: its left, bottom, width and height
    FLOOR = -6.0  # the curve's log10 share at its bottom (a lower share sits on it)

    def curve_points(self, temperature: float) -> np.ndarray:
        """Every token's share at T, likeliest first, as (log10 rank, log10 share) sampled at 160 ranks; T = 0:
        one token at 1, the rest on the floor."""
        probs = np.sort(softmax(self.trace["logits"], temperature))[::-1].astype(np.float64)
        ranks = np.unique(np.geomspace(1, len(probs), 160).astype(int))
        return np.stack([np.log10(ranks), np.maximum(np.log10(np.maximum(probs[ranks - 1], 1e-300)), self.FLOOR)], 1)

    def curve_xy(self, x: float, y: float) -> list[float]:
        """Where log10 rank x, log10 share y lies in the curve's box."""
        left, bottom, w, h = self.CURVE
        return [left + w * x / math.log10(len(self.trace["logits"])), bottom + h * (y - self.FLOOR) / -self.FLOOR, 0]

    def curve(self, temperature: float, color=style.BAR, width: float = 5) -> VMobject:
        """The sorted shares as a line in the curve's box: steep when a few tokens hold nearly all, flat when the
        shares even out."""
        xy = [self.curve_xy(x, y) for x, y in self.curve_points(temperature)]
        return VMobject(stroke_color=color, stroke_width=width).set_points_as_corners(xy)

    def curve_name(self, temperature: float, color=style.BAR) -> VGroup:
        """The curve's T, above it at rank 1,000 (T = 1's above right of its own, at rank 10)."""
        pts = self.curve_points(temperature)
        at = 3.0 if color == style.BAR else 1.0
        y = float(np.interp(at, pts[:, 0], pts[:, 1]))
        text = label(f"T = {temperature:g}", size=LABEL, color=color)
        if temperature == self.lecture_t and color == style.BAR:
            text = sentence("T = {T}", size=LABEL, color=color, T=(self.trace.fields.info.continuation.temperature,
                                                                     "float"))  # fmt: skip
        return text.next_to(self.curve_xy(at, y), UP if color == style.BAR else UP + RIGHT, buff=0.15)

    def curve_frame(self) -> VGroup:
        """The curve's axes, ticked: the share (log) upwards, the rank (log, 1 to the vocabulary's size) along;
        and T = 1's curve in grey, named, to compare."""
        left, bottom, w, h = self.CURVE
        axes = VGroup(Line([left, bottom, 0], [left + w, bottom, 0], color=style.MUTED, stroke_width=2),
                      Line([left, bottom, 0], [left, bottom + h, 0], color=style.MUTED, stroke_width=2))  # fmt: skip
        for e, name in ((0, "100%"), (-2, "1%"), (-4, "0.01%")):  # the share, every factor of 100
            at = self.curve_xy(0, e)
            axes.add(Line(at, [left - 0.1, at[1], 0], color=style.MUTED, stroke_width=2))
            axes.add(label(name, size=NUMBER, color=style.MUTED).next_to([left - 0.1, at[1], 0], LEFT, buff=0.08))
        for r in [1, 10, 100, 1000]:  # the rank, every factor of 10, and the last token's
            at = self.curve_xy(math.log10(r), self.FLOOR)
            axes.add(Line(at, [at[0], bottom - 0.1, 0], color=style.MUTED, stroke_width=2))
            axes.add(label(f"{r:,}", size=NUMBER, color=style.MUTED).next_to([at[0], bottom - 0.1, 0], DOWN, 0.06))
        rank = label("rank", size=LABEL, color=style.MUTED).next_to([left + w, bottom, 0], DOWN, buff=0.5)
        rank.align_to([left + w, 0, 0], RIGHT)  # under the ticks' numbers
        return VGroup(axes, rank, self.curve(1.0, color=style.MUTED, width=3), self.curve_name(1.0, style.MUTED))

    def marker(self, temperature: float) -> VGroup:
        """T's place on the slider, with its value (the lecture's own read from the Trace)."""
        tip = Triangle(color=style.TEMPERATURE, fill_opacity=1, stroke_width=0).scale(0.12).rotate(-PI / 2)
        tip.move_to([self.SLIDER_X - 0.22, self.slider_y(temperature), 0])
        fill = Line(
            [self.SLIDER_X, self.SLIDER_Y, 0],
            [self.SLIDER_X, self.slider_y(temperature), 0],
            color=style.TEMPERATURE,
            stroke_width=9,
        )  # the knob's column, red up to T
        if temperature == self.lecture_t:
            text = sentence("T = {T}", size=LABEL, color=style.TEMPERATURE,
                            T=(self.trace.fields.info.continuation.temperature, "float"))  # fmt: skip
        else:
            text = label(f"T = {temperature:g}", size=LABEL, color=style.TEMPERATURE)
        text.move_to([self.SLIDER_X, self.slider_y(self.scale_top()) + 0.6, 0])  # read above the knob
        text.shift(LEFT * max(0.0, text.get_right()[0] - (config.frame_width / 2 - 0.3)))  # stays in frame
        return VGroup(tip, text, fill)

    def tail_name(self) -> str:
        return self.trace.info["vocab_display"][str(self.trace.info["softmax"]["ids"][self.tail_rank()])]

    def top_name(self) -> str:
        return self.trace.info["vocab_display"][str(self.top_ids()[0])]

    def share(self, temperature: float) -> str:
        """The likeliest token's share at T, said as its bar shows it."""
        return said_pct(softmax(self.trace["logits"], temperature)[self.top_ids()[0]])

    def tail_at(self, temperature: float) -> float:
        """The share of all tokens but the shown ones at T."""
        probs = softmax(self.trace["logits"], temperature)
        return max(1.0 - sum(float(probs[i]) for i in self.top_ids()), 0.0)

    # --- the beats ---

    def show_formula(self):
        self.formula = MathTex(r"p_i = \frac{e^{(x_i - \max) / T}}{\sum_j e^{(x_j - \max) / T}}", font_size=72,
                               substrings_to_isolate=["T"]).move_to([0, 0.4, 0])  # fmt: skip
        self.formula.set_color_by_tex("T", style.TEMPERATURE)
        self.beat(
            "Temperature",
            "Temperature T divides every logit before the softmax.",
            say="One knob remains: the temperature, T. Every logit is divided by T before the softmax.",
        )
        self.slider_mob = self.slider()
        self.knob_name = MathTex("T", font_size=40, color=style.TEMPERATURE)  # the knob's name, till it reads a T
        self.knob_name.move_to([self.SLIDER_X, self.slider_y(self.scale_top()) + 0.6, 0])
        self.play(Write(self.formula), Create(self.slider_mob), FadeIn(self.knob_name),
                  run_time=said_by(self, 0, 1.0))  # fmt: skip
        cue(self, 1)
        self.mark = SurroundingRectangle(self.formula, buff=0.15, color=style.TEMPERATURE)
        self.play(Create(self.mark), run_time=0.8)
        self.play(Indicate(self.knob_name, color=style.TEMPERATURE, scale_factor=1.8),  # the knob T turns
                  run_time=max(1.0, said_by(self, 1) - 0.3))  # fmt: skip

    def model_own(self):
        self.tracker = ValueTracker(1.0)
        self.bars = always_redraw(lambda: self.bars_at(self.tracker_t()))
        self.beat(
            "T = 1",
            "At T = 1 these are the model's own probabilities.",
            say="On the left, how far each logit falls below the top one, divided by T. On the right, the softmax of those. At a "
            f"temperature of one, nothing changes. {spoken_token(self.top_name(), True)} keeps its "
            f"{self.share(1.0)}.",
        )
        corner = self.formula.copy().scale(0.48).to_edge(UP, buff=0.1).set_x(-1.5)  # above the names, clear of both
        self.play(self.formula.animate.become(corner), dim(self.mark), dim(self.knob_name), run_time=0.8)
        self.remove(self.mark)
        grown = self.bars_at(1.0)  # grows in; then the knob's bars, redrawn as T moves, take its place
        self.heads = self.heads_for(grown)
        self.play(Create(grown[4]), LaggedStart(*(GrowFromEdge(bar, RIGHT) for bar in grown[3]), lag_ratio=0.15),
                  FadeIn(self.heads[0]), *(FadeIn(row.name) for row in grown[0].rows[: self.SHOWN]),
                  FadeIn(grown[1]), run_time=said_by(self, 0, 1.2))  # fmt: skip
        cue(self, 1)  # each divided logit becomes its share
        self.play(*(TransformFromCopy(part[0], row.bar) for part, row in zip(grown[3], grown[0].rows)),
                  *(FadeIn(row.pct) for row in grown[0].rows), FadeIn(VGroup(*grown[0].rows[-1][:2])),
                  FadeIn(self.heads[1]), run_time=said_by(self, 1, 1.2))  # fmt: skip
        self.curve_box = self.curve_frame()  # (comes in when the high T's beat says "Below, every token's share")
        self.remove(*grown.family_members_with_points())  # (its parts came in one by one)
        self.add(self.bars)
        cue(self, 2)  # "a temperature of one": the knob's reading
        knob = SurroundingRectangle(self.bars[1][1], buff=0.08, color=style.TEMPERATURE)
        self.play(Create(knob), run_time=0.8)
        cue(self, 3)
        self.first = SurroundingRectangle(self.bars[0].rows[0], buff=0.05, color=style.NEXT_SLOT)
        self.play(ReplacementTransform(knob, self.first), run_time=0.8)

    def heads_for(self, bars) -> VGroup:
        """What each set of bars is: the logits ÷ T at the left, their softmax at the right."""
        y = self.TOP_ROW + 0.55
        zero, end, _ = self.logit_axis()
        left = with_symbols("(logit − max) ÷ $T$", size=LABEL, color=style.MUTED).move_to([(zero + end) / 2, y, 0])
        right = label("softmax", size=LABEL, color=style.MUTED).move_to([self.BAR_X + 1.2, y, 0])
        return VGroup(left, right)

    def tracker_t(self) -> float:
        """The knob's value, rounded to what its label shows, exact at the lecture's own T."""
        t = self.tracker.get_value()
        return self.lecture_t if abs(t - self.lecture_t) < 1e-9 else round(t, 2)

    def turn_down(self):
        self.beat(
            "Low T",
            "Lower T sharpens the distribution; T = 0 is always the likeliest token (the argmax).",
            say="Turn it down, and dividing by a small T stretches the gaps between the logits. At zero, all the probability goes to the likeliest "
            f"token. {spoken_token(self.top_name(), True)} is picked every time.",
        )
        self.play(dim(self.first), run_time=0.4)  # the mark leaves before the bars it marked change
        self.remove(self.first)
        self.play(self.tracker.animate.set_value(0.5), run_time=said_by(self, 0, 2.0))
        cue(self, 1)  # "at zero": every logit ÷ T runs off the axis, only the order is left
        self.play(self.tracker.animate.set_value(0.0), run_time=said_by(self, 1, 1.5))
        self.bars.update()
        cue(self, 2)
        pick = SurroundingRectangle(self.bars[0].rows[0], buff=0.06, color=style.NEXT_SLOT)
        self.play(Create(pick), run_time=0.8)
        self.play(dim(pick), run_time=0.5)
        self.remove(pick)

    def turn_up(self):
        vocab = int(self.trace.meta["vocab_size"])
        self.beat(
            "High T",
            "Higher T flattens it: the likeliest tokens lose their share to the long tail of others.",
            say=f"Turn it up, and the gaps shrink, so the shares even out. At {self.high:g}, "
            f"{spoken_token(self.top_name())} drops to {self.share(self.high)}. The top bars shrink into the last "
            f"row: the other {big(vocab - self.SHOWN)} tokens. Each one is unlikely, but together they now hold "
            f"{said_pct(self.tail_at(self.high))}. Now the right side shows every token's share, likeliest first. The "
            "grey curve is the model's own, at T of one, and the blue one flattens as T rises.",
        )
        self.play(self.tracker.animate.set_value(1.5), run_time=said_by(self, 0, 1.5))  # "the bars even out"
        cue(self, 1)
        self.play(self.tracker.animate.set_value(self.high), run_time=said_by(self, 1, 1.5))
        self.bars.update()
        self.bars.clear_updaters()  # the knob rests: what follows points at these bars
        cue(self, 2)
        self.tail = SurroundingRectangle(self.bars[0].rows[-1], buff=0.06, color=style.NEXT_SLOT)
        self.play(Create(self.tail), run_time=said_by(self, 2, 0.8))
        cue(self, 3)
        self.play(Indicate(self.bars[0].rows[-1].pct, color=style.NEXT_SLOT), run_time=said_by(self, 3, 1.0))
        cue(self, 4)  # "every token's share": the bars give way to the curve of all of them, beside T = 1's
        old = self.bars[0].rows
        self.curve_on = True
        shares = self.bars_at(self.high)[2]
        head = label("every token's share", size=LABEL, color=style.MUTED).move_to(self.heads[1])
        head.set_x(self.CURVE[0] + self.CURVE[2] / 2)
        self.play(FadeOut(self.tail), *(VGroup(row.bar, row.pct).animate.set_opacity(0) for row in old),
                  old[-1].name.animate.set_opacity(0), run_time=0.6, now=True)  # fmt: skip
        self.play(swap(self.heads[1], head), FadeIn(self.curve_box), Create(shares[0]), FadeIn(shares[1]),
                  run_time=1.2, now=True)  # fmt: skip
        self.heads = VGroup(self.heads[0], head)
        self.tail = VMobject()
        gone = set(self.bars.get_family()) | set(shares.get_family())  # (an animated part may stand on its own)
        self.remove(*(m for m in self.mobjects if m in gone))  # the knob turns again: all redrawn as it moves
        self.bars = always_redraw(lambda: self.bars_at(self.tracker_t()))
        self.add(self.bars)
        cue(self, 5)  # the grey curve, T = 1's: the knob back to it, and up again
        self.play(Indicate(self.curve_box[3], color=style.TEXT), run_time=1.0)
        self.play(self.tracker.animate.set_value(1.0), run_time=max(1.0, 0.4 * said_by(self, 5)))  # back, and up
        self.play(self.tracker.animate.set_value(self.high), run_time=max(1.0, said_by(self, 5) - 0.3))
        self.bars.update()
        self.bars.clear_updaters()

    def three_continuations(self):
        t = self.trace
        columns = VGroup()
        runs = t.fields.info.comparisons
        for c in range(len(runs)):
            run = runs[c]
            head = sentence("T = {T}", size=HEADING, color=style.TEMPERATURE, T=(run.temperature, "float"))
            chosen = [run.steps[i].chosen_display for i in range(len(run.steps))]
            row = TokenRow([d.value for d in chosen], [d.path for d in chosen], max_width=11.2, size=LABEL,
                           first_hue=len(t.token_ids))  # fmt: skip
            judged = statement(statements(t)[f"comparisons.{c}"], size=LABEL, color=style.MUTED)
            body = VGroup(judged, row).arrange(DOWN, buff=0.12, aligned_edge=LEFT)
            columns.add(VGroup(head, body.next_to(head, RIGHT, buff=0.4, aligned_edge=UP)))
        columns.arrange(DOWN, buff=0.45, aligned_edge=LEFT)  # one row per temperature, the frame's full width
        self.fit_width(columns)
        prompt = sentence("“{p}” …", size=LABEL, p=(t.fields.meta.settings.prompt, "ends64"))  # whole if it fits
        prompt.to_corner(UP + LEFT, buff=0.35)
        room = prompt.get_bottom()[1] - 0.3 - (-2.95)  # down to the caption's band
        if columns.height > room:
            columns.scale_to_fit_height(room)
        grow = min((config.frame_width - 0.8) / columns.width, room / columns.height)
        columns.scale(max(1.0, min(grow, 1.5)))  # as large as the room allows: the rank lines readable
        columns.next_to(prompt, DOWN, buff=0.3).to_edge(LEFT, buff=0.4)
        self.beat(
            "Three temperatures",
            "One prompt at three temperatures (seed {s}), each judged by the model's ranks.",
            s=(t.fields.info.comparisons[0].seed, "int"),
            say=self.comparison_words(),
        )
        leaving = [self.bars, self.tail, self.slider_mob, self.formula, self.heads, self.curve_box]
        self.play(*(FadeOut(m) for m in leaving), run_time=0.6)  # the sweep leaves as the new beat starts
        self.play(FadeIn(prompt), LaggedStart(*(FadeIn(col[0], shift=0.2 * RIGHT) for col in columns), lag_ratio=0.3),
                  run_time=said_by(self, 0, 0.6))  # fmt: skip
        for c, col in enumerate(columns):  # one row per sentence, as its temperature is said
            cue(self, c + 1)
            self.play(LaggedStart(*(GrowFromEdge(m, LEFT) for m in col[1][1]), lag_ratio=0.1),
                      FadeIn(col[1][0]), run_time=max(1.0, 0.8 * said_by(self, c + 1)))  # fmt: skip
        cue(self, len(columns) + 1)
        self.play(LaggedStart(*(col[1][0].animate.set_color(style.TEXT) for col in columns),
                              lag_ratio=0.5), run_time=said_by(self, len(columns) + 1, 1.5))  # fmt: skip
        self.continuations = VGroup(prompt, columns)

    def comparison_words(self) -> str:
        """The same prompt at each temperature, one sentence each: what that temperature does to the choice (the
        judging words stay on screen, from the claims)."""
        runs = self.trace.info["comparisons"]
        if not any(run["steps"] for run in runs):  # --generate 0: the rows are empty, and say so
            return ("This lecture generates no tokens, so there is nothing to continue. Each temperature's row says "
                    f"so: {statements(self.trace)['comparisons.0'].text}.")  # fmt: skip
        said = ["Here is the same prompt, continued with the same seed at different temperatures."]
        for run in runs:
            T = run["temperature"]
            if T == 0:
                said.append("At zero it takes the likeliest token every time.")
            elif T == 1:
                said.append("At one it draws from the model's own probabilities.")
            elif T > 1:
                said.append(f"At {T:g} the distribution is flatter, so less likely tokens are drawn more often.")
            else:
                said.append(f"At {T:g} the distribution is sharper, so the likeliest tokens win more often.")
        said.append("Above each row, a line says how the model itself ranks the tokens drawn.")
        return " ".join(said)

    def lecture_temperature(self):
        """The takeaway: the knob set to this lecture's own temperature, the bars its continuation samples from."""
        T = self.lecture_t
        self.beat(
            "This lecture's T",
            "This lecture draws its tokens at T = {T}.",
            T=(self.trace.fields.info.continuation.temperature, "float"),
            say=f"This lecture's own continuation uses a temperature of {T:g}. "
            f"Set the knob there, and {spoken_token(self.top_name())} gets {self.share(T)}. "
            "These are the odds its next tokens are drawn with.",
        )
        self.tracker.set_value(self.high)
        self.curve_on = False  # the bars again: the odds of the likeliest tokens, read as numbers
        self.bars = always_redraw(lambda: self.bars_at(self.tracker_t()))
        heads = self.heads_for(self.bars)
        self.play(FadeOut(self.continuations), FadeIn(self.slider_mob), FadeIn(self.bars), FadeIn(heads),
                  FadeIn(self.formula), run_time=1.0)  # fmt: skip
        cue(self, 1)
        self.play(self.tracker.animate.set_value(T), run_time=said_by(self, 1, 2.0))
        self.bars.clear_updaters()
        self.remove(self.bars)  # the same picture, made anew: a redrawn Text keeps the words it was made with
        self.bars = self.bars_at(T)

        self.add(self.bars)
        cue(self, 2)
        self.play(Indicate(self.bars[1], color=style.TEMPERATURE), run_time=1.0)


TOTAL_BUFF = 0.4  # the running total over its column: clear of the "100%" tick as it turns


class TopKTopP(TraceScene):
    """Keep only the k likeliest tokens, or the smallest set holding p of the probability; renormalise; draw."""

    TITLE = "Top-k and top-p"
    PART = "From vector to next token"
    SUMMARY = "Top-k and top-p truncation of the real distribution, renormalised, sampled."
    RENDER_SECONDS = 5
    READS = ("sampling",)

    SHOWN = 6
    K_X = -0.7  # top-k's panel centre: its bars left of the running total's column (STACK_X)
    P_ROWS = 15  # top-p's bars drawn at most (every kept token of a peaked distribution), then two that are cut
    P_PCT = 3  # the renormalised shares written beside the first few bars
    STACK_X, STACK_BOTTOM, STACK_H = 5.1, -2.75, 5.3  # the running total: a column, 0% at the bottom, 100% tall
    P_BAR_X, P_BAR_W, P_TOP, P_BOTTOM = -3.4, 5.8, 2.95, -2.9  # top-p's bars: their start, the longest's length,
    # the first row's and the last's height (its rows as large as top-k's where they fit)

    def construct(self):
        self.heading()
        self.panel("top_k", self.K_X)
        self.nucleus(0.3)

    def heading(self):
        """The untruncated distribution first: what the two cuts start from, all the other tokens' share a grey
        bar of its own under the ⋮ (on the same scale), the tail the cuts remove."""
        t = self.trace
        n = min(self.SHOWN, len(t.info["softmax"]["ids"]))  # the same bars, and the same tail, as top-k's panel
        shown = {"rest": t.fields.info.softmax.others_after[n - 1]}
        entries = self.entries(t.fields.info.truncation.base_top, n)
        scale = max(max(e["prob"].value for e in entries), shown["rest"].value)  # (the tail may be the longest)
        self.base = ProbabilityBars(
            entries, bar_width=7.6, size=NUMBER + 10, row_height=0.8, ellipsis=True, scale_to=scale
        )  # fmt: skip (the first picture fills the frame)
        self.base.shift([-2.8 - self.base.rows[0].bar.get_left()[0], 2.55 - self.base.rows[0].get_y(), 0])
        self.prompt = sentence(
            "“{p}” →", size=LABEL + 6, color=style.MUTED, p=(t.fields.meta.settings.prompt, "ends64")
        )  # fmt: skip (what the bars are the next token of)
        self.fit_width(self.prompt).move_to([0, 3.45, 0])
        others = self.tail(shown["rest"], self.base, 7.6, scale, NUMBER + 10, gap=0.6)
        self.beat(
            "Truncation",
            "Before drawing, many GPTs cut off the unlikely tail.",
            say=f"Here again are the likeliest next tokens. All the others below them share "
            f"{said_pct(shown['rest'].value)}. Many GPTs cut off that long tail before drawing.",
        )
        self.play(
            LaggedStart(*(GrowFromEdge(r.bar, LEFT) for r in self.base.rows), lag_ratio=0.1),
            *(FadeIn(VGroup(r.name, r.pct)) for r in self.base.rows),
            FadeIn(self.prompt, shift=0.1 * DOWN),
            run_time=said_by(self, 0, 1.5),
        )  # fmt: skip (the names at their size, under the prompt)
        self.play(dim(travel(self, [r.bar for r in self.base.rows], max(1.0, said_by(self, 0) - 0.5))), run_time=0.3)
        cue(self, 1)
        self.play(FadeIn(self.base.dots), GrowFromEdge(others, LEFT), run_time=said_by(self, 1, 1.0))
        cue(self, 2)  # the tail turns red as its cutting is said
        self.play(others.animate.set_color(style.NEGATIVE), self.base.dots.animate.set_color(style.NEGATIVE),
                  run_time=said_by(self, 2, 1.0))  # fmt: skip
        self.others = others

    def tail(self, share, bars, bar_width: float, scale: float, size: float, gap: float = 0.5) -> VGroup:
        """Every token below the drawn bars as one grey bar (`share` read with its path), on their scale, under
        their ⋮: the tail a cut removes."""
        row = ProbabilityBars([{"name": "all other tokens", "prob": share}], bar_width=bar_width, size=size,
                              ellipsis=False, scale_to=scale).rows[0]  # fmt: skip
        row.shift([bars.rows[0].bar.get_left()[0] - row.bar.get_left()[0], bars.dots.get_y() - gap - row.get_y(), 0])
        return row

    def panel_words(self, kind: str) -> str:
        demo = self.trace.info["truncation"]
        part = demo[kind]
        drawn = spoken_token(self.trace.info["vocab_display"][str(part["chosen_id"])])
        first = spoken_token(self.trace.info["vocab_display"][str(part["top"][0][0])], start=True)
        if kind == "top_k":
            return (
                f"Top-k keeps only the {demo['k']} likeliest tokens. Everything below them is cut. Together they "
                f"held {said_pct(part['kept_mass'])}, so each is divided by that, and they grow to fill the whole. "
                f"{first} now has {said_pct(part['top'][0][1])}. The draw gives {drawn}."
            )
        return (
            "Top-p keeps the fewest tokens that together hold a share p of the probability, here "
            f"{FORMATTERS['float'](demo['p'])}. Everything below them is cut. That leaves {part['kept']} tokens, "
            f"which held {said_pct(part['kept_mass'])}, and they grow the same way. The draw gives {drawn}."
        )

    def nucleus_words(self, kept: int) -> str:
        demo = self.trace.info["truncation"]
        part = demo["top_p"]
        drawn = spoken_token(self.trace.info["vocab_display"][str(part["chosen_id"])])
        p = FORMATTERS["float"](demo["p"])
        return (
            "Top-p keeps the fewest tokens that together hold a share p of the probability, here "
            f"{p}. Take the likeliest tokens one at a time, and add up their shares. After {part['kept']} tokens the "
            f"total passes {p}, and everything below is cut. Together they held {said_pct(part['kept_mass'])}, so they "
            f"grow the same way, to fill the whole. The draw gives {drawn}."
        )

    def nucleus_parts(self, x: float, kept: int, n: int):
        """Top-p's bars: the n likeliest tokens' untruncated shares (info.softmax), then the kept ones'
        renormalised bars (their shares over the kept mass; the first P_PCT written, from info.truncation)."""
        t = self.trace
        part, read = t.info["truncation"]["top_p"], t.fields.info.truncation
        vocab, sm = t.fields.info.vocab_display, t.fields.info.softmax
        ids, probs = t.info["softmax"]["ids"], t.info["softmax"]["probs"]
        row_h = min(0.66, (self.P_TOP - self.P_BOTTOM) / (n + 1.5))  # (and the tail's row under the ⋮)
        size = NUMBER + 4 if row_h >= 0.34 else SMALLEST
        scale = max(part["top"][0][1], sm.others_after[n - 1].value)  # the longest renormalised bar (or the tail)
        old = ProbabilityBars([{"display": vocab[str(ids[r])], "prob": sm.probs[r]} for r in range(n)],
                              bar_width=self.P_BAR_W, size=size, row_height=row_h, ellipsis=True, scale_to=scale)  # fmt: skip
        for row in old.rows[self.P_PCT :]:
            row.remove(row.pct)
        tallest = float(np.median([r.name.height for r in old.rows]))  # a word's line
        for row in old.rows:  # a punctuation token's mark, drawn larger, keeps within a word's line
            if row.name.height > tallest:
                row.name.scale(tallest / row.name.height, about_edge=RIGHT)
        old.shift([self.P_BAR_X - old.rows[0].bar.get_left()[0], self.P_TOP - old.rows[0].get_y(), 0])
        grown = VGroup()
        for r in range(kept):
            width = max(self.P_BAR_W * probs[r] / part["kept_mass"] / scale, 0.02)
            grown.add(old.rows[r].bar.copy().stretch_to_fit_width(width).align_to(old.rows[r].bar, LEFT))
        pcts = [number(read.top_p.top[j][1], fmt="percent", size=size) for j in range(min(self.P_PCT, kept))]
        for j, pct in enumerate(pcts):
            pct.next_to(grown[j], RIGHT, buff=0.12)
        old.tail = self.tail(sm.others_after[n - 1], old, self.P_BAR_W, scale, size, gap=row_h).set_color(style.MUTED)
        return old, grown, pcts

    def column(self, kept: int) -> tuple[Rectangle, VGroup, VGroup]:
        """The running total's column, 0% at its foot and 100% at its head, and a piece of it for each of the
        first `kept` tokens, as tall as its untruncated share (info.softmax.probs)."""
        probs = self.trace.info["softmax"]["probs"]
        frame = Rectangle(width=0.7, height=self.STACK_H, stroke_color=style.MUTED, stroke_width=2)
        frame.move_to([self.STACK_X, self.STACK_BOTTOM + self.STACK_H / 2, 0])
        ticks = VGroup(label("0%", size=SMALLEST, color=style.MUTED).next_to(frame.get_corner(DOWN + LEFT), LEFT, 0.12),
                       label("100%", size=SMALLEST, color=style.MUTED).next_to(frame.get_corner(UP + LEFT), LEFT, 0.12))  # fmt: skip
        segments, y = VGroup(), self.STACK_BOTTOM
        for r in range(min(kept, len(probs))):
            seg = Rectangle(width=0.64, height=max(self.STACK_H * probs[r], 0.005), stroke_width=1,
                            stroke_color=style.BACKGROUND, fill_color=style.BAR, fill_opacity=0.9)  # fmt: skip
            segments.add(seg.move_to([self.STACK_X, y + seg.height / 2, 0]))
            y += seg.height
        return frame, ticks, segments

    def gauge(self):
        """Top-p's column (top-k's, kept): p dashed across it, and a piece for each kept token."""
        t = self.trace
        kept = min(t.info["truncation"]["top_p"]["kept"], self.P_ROWS, len(t.info["softmax"]["probs"]))
        frame, ticks, segments = self.column(kept)
        frame, ticks = getattr(self, "k_column", (frame, ticks))
        p_y = self.STACK_BOTTOM + self.STACK_H * float(t.info["truncation"]["p"])
        p_line = DashedLine([self.STACK_X - 0.5, p_y, 0], [self.STACK_X + 0.35, p_y, 0], color=style.NEGATIVE,
                            stroke_width=3)  # fmt: skip
        p_name = label("p", size=LABEL, color=style.NEGATIVE).next_to(p_line, LEFT, buff=0.1)
        return frame, ticks, VGroup(p_line, p_name), segments

    def nucleus(self, x: float):
        """Top-p over the whole frame: the likeliest tokens' bars; each added in turn to a running total (a column
        from 0% to 100%, p marked on it) until it passes p; the cut below them; the kept bars grown; the draw."""
        t = self.trace
        part, read = t.info["truncation"]["top_p"], t.fields.info.truncation
        kept = min(part["kept"], self.P_ROWS, len(t.info["softmax"]["ids"]))
        more = part["kept"] > kept  # more kept tokens than bars: the ⋮ stands for the rest of them
        n = kept if more else min(kept + 1, len(t.info["softmax"]["ids"]))  # and the first one cut
        title = sentence("top-p, p = {p}", size=HEADING - 4, p=(read.p, "float")).move_to([x, 3.5, 0])
        old, grown, pcts = self.nucleus_parts(x, kept, n)
        frame, ticks, p_mark, segments = self.gauge()
        self.beat("Nucleus", "Top-p keeps the fewest tokens holding a share p.",
                  say=self.nucleus_words(kept))  # fmt: skip
        self.clear_top_k()
        self.play(FadeIn(title), LaggedStart(*(GrowFromEdge(r.bar, LEFT) for r in old.rows), lag_ratio=0.05),
                  *(FadeIn(VGroup(*(m for m in r if m is not r.bar))) for r in old.rows),  # (names at their size)
                  FadeIn(old.dots), GrowFromEdge(old.tail, LEFT), Create(p_mark[0]), FadeIn(p_mark[1]),
                  *([] if frame in self.mobjects else [Create(frame), FadeIn(ticks)]),
                  run_time=max(1.0, said_by(self, 0, 1.5) - 1.0))  # fmt: skip
        cue(self, 1)  # each bar in turn joins the running total, until it passes p
        total = self.running_total(old, frame, segments, kept, more)
        cut_y = (VGroup(old.dots, self.kept_count) if more else old.rows[kept - 1]).get_bottom()[1] - 0.06
        cut = DashedLine([self.P_BAR_X - 1.6, cut_y, 0], [self.P_BAR_X + self.P_BAR_W + 0.9, cut_y, 0],
                         color=style.NEGATIVE, stroke_width=3)  # fmt: skip
        gone = ([] if more else [*old.rows[kept:], old.dots]) + [old.tail]
        self.play(Create(cut), *(m.animate.set_color(style.NEGATIVE) for m in gone), run_time=0.6)
        self.play(*(m.animate.shift(DOWN * 0.6).set_opacity(0) for m in gone), run_time=0.7)  # the tail falls away
        self.remove(*gone)
        cue(self, 3)  # divided by the kept mass: the bars grow, and the total fills the column
        self.play(FadeOut(VGroup(*(old.rows[j].pct for j in range(len(pcts))))), run_time=0.3, now=True)
        self.play(
            *(Transform(old.rows[r].bar, grown[r]) for r in range(kept)),
            *(FadeIn(pct) for pct in pcts),
            segments.animate.stretch_to_fit_height(self.STACK_H, about_edge=DOWN),
            dim(cut),
            FadeOut(p_mark),
            swap(total, self.full(total)),
            run_time=said_by(self, 3, 1.5),
            now=True,
        )  # fmt: skip (p is
        # passed: the kept tokens are now the whole)
        self.stack, self.kept_bars, self.p_rows, self.p_mark = (
            segments,
            [old.rows[r].bar for r in range(kept)],
            old,
            p_mark,
        )
        self.nucleus_draw(old, kept, title, pcts, grown)

    def full(self, total):
        """What a renormalised total reads: the whole, 100%, where the kept mass was written."""
        return label("100%", size=NUMBER, color=style.NEXT_SLOT).move_to(total)

    def running_total(self, old, frame, segments, kept: int, more: bool):
        """Each kept bar in turn joins the column, its share written beside the piece it adds and the total
        above the column counting up (then, if there are more kept tokens than bars, the rest of them in one
        grey piece from the ⋮)."""
        t = self.trace
        step = max(0.2, (said_by(self, 2, 1.0) - 0.5) / (kept + more))
        rest, sm = t.fields.info.softmax.others_after, t.fields.info.softmax  # the total: 1 − the share after it
        total, added = None, None
        for r in range(kept):
            now = number(rest[r], fmt="taken_percent", size=NUMBER, color=style.NEXT_SLOT)
            now.next_to(frame, UP, buff=TOTAL_BUFF)
            plus = sentence("+{p}", size=NUMBER, color=style.MUTED, p=(sm.probs[r], "percent"))
            plus.next_to(segments[r], RIGHT, buff=0.12)
            plus.set_y(min(max(plus.get_y(), self.STACK_BOTTOM + 0.15), self.STACK_BOTTOM + self.STACK_H - 0.15))
            moves = [FadeIn(now) if total is None else swap(total, now)]
            moves += [FadeIn(plus)] if added is None else [swap(added, plus, direction=RIGHT, distance=0.1)]
            self.play(TransformFromCopy(old.rows[r].bar, segments[r]), Indicate(old.rows[r].name, scale_factor=1.1),
                      *moves, run_time=step, now=True)  # fmt: skip
            total, added = now, plus
        if more:
            part = t.info["truncation"]["top_p"]
            height = self.STACK_H * (part["kept_mass"] - sum(t.info["softmax"]["probs"][:kept]))
            piece = Rectangle(
                width=0.64,
                height=max(height, 0.005),
                stroke_width=1,
                stroke_color=style.BACKGROUND,
                fill_color=style.BAR,
                fill_opacity=0.9,
            )  # fmt: skip (kept: blue, like theirs)
            segments.add(piece.next_to(segments, UP, buff=0))
            now = number(t.fields.info.truncation.top_p.kept_mass, fmt="percent", size=NUMBER, color=style.NEXT_SLOT)
            now.next_to(frame, UP, buff=TOTAL_BUFF)
            count = sentence(
                "{n} tokens kept", size=NUMBER, color=style.BAR, n=(t.fields.info.truncation.top_p.kept, "comma")
            )  # the ⋮ stands for the rest of them
            count.next_to(old.dots, RIGHT, buff=0.3)
            self.play(TransformFromCopy(old.dots, piece), swap(total, now), FadeIn(count, shift=0.1 * RIGHT),
                      FadeOut(added), run_time=max(step, 0.6), now=True)  # fmt: skip
            total, added, self.kept_count = now, None, count
        if added is not None:
            self.play(FadeOut(added), run_time=0.3, now=True)
        return total

    def nucleus_draw(self, old, kept: int, title, pcts, grown):
        """The drawn token: its row boxed (name, grown bar and share), its name carried out to the right of the
        longest bar near it, in the empty part of the frame, clear of every share written."""
        t = self.trace
        chosen = t.info["truncation"]["top_p"]["chosen_id"]
        drawn = sentence("drawn: “{tok}”", size=HEADING - 4, color=style.NEXT_SLOT,
                         tok=(t.fields.info.vocab_display[str(chosen)], "text"))  # fmt: skip
        cue(self, 4)
        hit = [r for r in range(kept) if t.info["softmax"]["ids"][r] == chosen]
        drawn.next_to(title, RIGHT, buff=0.6)
        if hit:  # beside its row, right of the bars and shares of the rows around it
            j = hit[0]
            mark = SurroundingRectangle(old.rows[j].name, buff=0.04, color=style.NEXT_SLOT)  # its name alone
            near = [grown[r] for r in range(max(0, j - 2), min(kept, j + 3))] + pcts[max(0, j - 2) : j + 3]
            right = max(m.get_right()[0] for m in [mark, *near]) + 0.6
            if right + drawn.width < self.STACK_X - 1.0:  # (else right of the title)
                drawn.move_to([right + drawn.width / 2, old.rows[j].get_y(), 0])
            self.play(
                Create(mark),
                old.rows[j].name.animate.set_color(style.NEXT_SLOT),
                FadeIn(drawn, shift=0.3 * RIGHT),
                run_time=0.8,
            )  # fmt: skip (no text morphs into another)
        else:
            self.play(FadeIn(drawn), run_time=0.6)
        self.wait(2.0)  # the draw, the answer, held
        self.drawn = drawn

    def k_stack(self, old, kept: int) -> dict:
        """Top-k's column: each kept bar copied into a piece as tall as its share, the kept mass written above."""
        frame, ticks, segments = self.column(kept)
        total = number(self.trace.fields.info.truncation.top_k.kept_mass, fmt="percent", size=NUMBER,
                       color=style.NEXT_SLOT).next_to(frame, UP, buff=TOTAL_BUFF)  # fmt: skip
        self.k_column = (frame, ticks)
        moves = [Create(frame), FadeIn(ticks), FadeIn(total)]
        moves += [TransformFromCopy(old.rows[r].bar, segments[r]) for r in range(len(segments))]
        self.k_gone = [segments, full := self.full(total)]  # (they leave with the panel)
        fill = [segments.animate.stretch_to_fit_height(self.STACK_H, about_edge=DOWN), swap(total, full)]
        return {"fill": fill, "moves": moves}

    def clear_top_k(self):
        """The finished top-k panel leaves, all of it but the column's frame, before top-p's list takes the
        frame at the same size."""
        k = self.k_panel
        rows = VGroup(*(k["new"].rows[j] for j in range(k["kept"])))
        self.play(FadeOut(VGroup(k["title"], rows, *k["rest"], *self.k_gone), shift=0.3 * LEFT), run_time=0.6,
                  now=True)  # fmt: skip

    def entries(self, pairs, n: int) -> list[dict]:
        """The bars of the first n of a Trace list of (token id, share) pairs, each read with its path."""
        vocab = self.trace.fields.info.vocab_display
        return [{"display": vocab[str(pairs[j][0].value)], "prob": pairs[j][1]} for j in range(min(n, len(pairs)))]

    def panel_parts(self, kind: str, x: float) -> tuple[VGroup, VGroup, ProbabilityBars, ProbabilityBars, VGroup, ...]:
        """One cut's panel, centred at x: its title, what it keeps, the bars before and after renormalising
        (in the same place), the share statement and the drawn token."""
        t = self.trace
        demo = t.info["truncation"]
        part = demo[kind]
        read = t.fields.info.truncation
        if kind == "top_k":
            title = sentence("top-k, k = {k}", size=HEADING - 4, k=(read.k, "int"))
        else:
            title = sentence("top-p, p = {p}", size=HEADING - 4, p=(read.p, "float"))
        note = sentence("keeps {n} tokens, which held {m}", size=NUMBER, color=style.MUTED,
                        n=(read[kind].kept, "comma"), m=(read[kind].kept_mass, "percent"))  # fmt: skip
        kept = min(part["kept"], self.SHOWN)
        before = self.entries(read.base_top, self.SHOWN)
        after = self.entries(read[kind].top, kept)
        rest = t.fields.info.softmax.others_after[min(self.SHOWN, len(t.info["softmax"]["ids"])) - 1]
        scale = max(part["top"][0][1], rest.value)  # the largest renormalised share (or the tail) fills the length
        old = ProbabilityBars(before, bar_width=7.0, size=NUMBER + 4, row_height=0.66, ellipsis=True, scale_to=scale)
        new = ProbabilityBars(after, bar_width=7.0, size=NUMBER + 4, row_height=0.66, ellipsis=part["kept"] > kept,
                              scale_to=scale)  # fmt: skip
        title.move_to([x, 3.0, 0])
        note.next_to(title, DOWN, buff=0.2)
        shift = [x - 3.3 - old.rows[0].bar.get_left()[0], note.get_bottom()[1] - 0.35 - old.get_top()[1], 0]
        old.shift(shift)
        new.shift(shift)
        old.tail = self.tail(rest, old, 7.0, scale, NUMBER + 4, gap=0.45).set_color(style.NEGATIVE)
        chosen = part["chosen_id"]
        share = statement(truncation_share(t, kind, self.SHOWN), size=NUMBER, color=style.MUTED)
        share.next_to(new.rows, DOWN, buff=0.3).set_x(x)  # under the kept bars it is about
        drawn = sentence(
            "drawn: “{tok}”",
            size=LABEL,
            color=style.NEXT_SLOT,
            tok=(t.fields.info.vocab_display[str(chosen)], "text"),
        )
        drawn.next_to(share, DOWN, buff=0.25).set_x(x)
        return title, note, old, new, share, drawn

    def panel(self, kind: str, x: float):
        part = self.trace.info["truncation"][kind]
        kept, chosen = min(part["kept"], self.SHOWN), part["chosen_id"]
        title, note, old, new, share, drawn = self.panel_parts(kind, x)
        self.beat(
            "Renormalise" if kind == "top_k" else "Nucleus",
            "Top-k keeps a fixed number of tokens."
            if kind == "top_k"
            else "Top-p keeps the fewest tokens holding a share p.",
            say=self.panel_words(kind),
        )
        if kind == "top_k":  # the full distribution moves into the first panel (the prompt gone before the title)
            self.play(FadeOut(self.prompt, shift=0.2 * UP), run_time=0.3, now=True)
            self.play(
                FadeIn(title),
                ReplacementTransform(self.base, old),
                ReplacementTransform(self.others[:2], old.tail[:2]),
                swap(self.others.pct, old.tail.pct),
                run_time=1.2,
                now=True,
            )  # fmt: skip (the title takes the prompt's place)
        else:
            self.play(FadeIn(title), FadeIn(old), FadeOut(self.share), FadeOut(self.note),  # top-k's, said, give way
                      run_time=1.2)  # fmt: skip
        # The cut: a line comes down the bars and stops under the last kept token; what is below it goes.
        edge = old.rows[kept - 1].get_bottom()[1] - 0.04 if part["kept"] <= self.SHOWN else old.dots.get_bottom()[1]
        cut = DashedLine([x - 3.2, old.get_top()[1] + 0.1, 0], [x + 3.0, old.get_top()[1] + 0.1, 0],
                         color=style.NEGATIVE, stroke_width=3)  # fmt: skip
        self.play(Create(cut), run_time=0.5)
        self.play(cut.animate.set_y(edge), run_time=said_by(self, 0, 1.0))
        cue(self, 1)
        gone = [old.rows[j] for j in range(kept, len(old.rows))] + ([old.dots] if part["kept"] <= self.SHOWN else [])
        gone += [old.tail] if kind == "top_k" else []
        self.play(*(m.animate.set_color(style.NEGATIVE) for m in gone), run_time=0.4)
        self.play(*(m.animate.shift(DOWN * 0.8).set_opacity(0) for m in gone), run_time=0.8)  # the tail falls away
        self.remove(*gone)
        cue(self, 2)  # what they held: top-k's kept bars stacked in the column, 0% to 100%, as tall as their shares
        stack = self.k_stack(old, kept) if kind == "top_k" else None
        self.play(FadeIn(note, shift=0.1 * DOWN), *(stack["moves"] if stack else []), run_time=0.8)
        self.note = note
        # The kept bars grow: each divided by the mass that was kept, which stands beside them as they do.
        div = sentence("÷ {m}", size=HEADING, color=style.NEXT_SLOT, m=(self.trace.fields.info.truncation[kind]
                       .kept_mass, "percent"))  # fmt: skip
        left = max(new.rows[kept - 1].pct.get_right()[0] + 0.6, x + 1.0)  # right of the shortest kept bar, grown
        div.move_to([min(left + div.width / 2, self.STACK_X - 1.0 - div.width / 2), old.rows[kept - 1].get_y(), 0])
        self.play(FadeIn(div, shift=0.4 * LEFT), *(dim(old.rows[j].pct) for j in range(kept)), run_time=0.5)
        self.play(
            *(Transform(old.rows[j].bar, new.rows[j].bar) for j in range(kept)),
            *(FadeIn(new.rows[j].pct) for j in range(kept)),  # (a number morphing into another is unreadable)
            *(ReplacementTransform(old.rows[j].name, new.rows[j].name) for j in range(kept)),
            *([ReplacementTransform(old.dots, new.dots)] if part["kept"] > kept else []),
            *(stack["fill"] if stack else []),  # they fill the whole column
            dim(cut),
            run_time=max(1.5, 0.6 * said_by(self, 2)),
        )
        self.remove(*(old.rows[j].bar for j in range(kept)))
        self.add(*(new.rows[j].bar for j in range(kept)))
        self.play(FadeIn(share), dim(div), run_time=0.5)
        self.share = share
        if kind == "top_k":  # the first kept share, as it is said
            cue(self, 3)
            top = SurroundingRectangle(new.rows[0], buff=0.05, color=style.MUTED)
            self.play(Create(top), run_time=0.8)
        cue(self, 4 if kind == "top_k" else 3)  # the draw, in one short move: its sentence is short
        hit = [j for j in range(kept) if part["top"][j][0] == chosen]
        done = [dim(top)] if kind == "top_k" else []
        mark = None
        if hit:  # the drawn token is among the bars shown: marked, and its name carried down
            mark = SurroundingRectangle(new.rows[hit[0]], buff=0.05, color=style.NEXT_SLOT)
            self.play(Create(mark), TransformFromCopy(new.rows[hit[0]].name, drawn), *done, run_time=0.7)
        else:
            self.play(FadeIn(drawn), *done, run_time=0.7)
        self.k_panel = {"title": title, "new": new, "kept": kept, "hit": hit, "rest": [note, share, drawn, cut, top]
                        + ([mark] if mark else []) + ([new.dots] if part["kept"] > kept else [])}  # fmt: skip


RECAP_TOKENS = 12  # the prompt's tokens the recap replays, all of a short prompt (an ellipsis chip before the rest)
RECAP_ENTRIES = 6  # entries of each token's vector drawn as a column of cells
RECAP_BARS = 4  # next-token probabilities the last vector's scores become
CELL = 0.24  # a vector entry's cell under its token (the final vectors' cells are OUT_CELL)
OUT_CELL = 0.19
ROAD_LEFT, ROAD_RIGHT = -4.95, 2.1  # the road's x: chips, their columns, and the blocks across them
CHIP_Y, BAND_TOP, BAND_BOTTOM, OUT_TOP = 3.35, 1.3, -1.6, -1.78  # the road's rows, top to bottom (the frame's height)
ROW_MAX = ROAD_RIGHT - ROAD_LEFT


class Recap(TraceScene):
    """The lecture's ending: the whole road replayed with this prompt's own tokens and vectors, top to bottom:
    chips become columns, the columns flow down through the layers' blocks (one band each, across every
    position) and change, the last one becomes the next token's bars; the drawn token gets its own column."""

    TITLE = "Recap, and what comes next"
    PART = "From vector to next token"
    SUMMARY = "The ending: prompt, tokens, vectors, layers, last vector, probabilities, drawn token; attention next."
    NEEDS_CONTINUATION = True
    RENDER_SECONDS = 5

    def construct(self):
        self.build_road()
        self.show_tokens()
        self.through_layers()
        self.predict()
        self.run_again()

    def cells(self, values, scale: float, cell: float = CELL) -> VGroup:
        """A token's vector as a column of RECAP_ENTRIES cells, grey to white by size (no digits: a picture)."""
        column = VGroup(*(Square(cell, stroke_width=0.6, stroke_color=style.MUTED, fill_opacity=1,
                                 fill_color=style.data_color(float(v), scale)) for v in values[:RECAP_ENTRIES]))  # fmt: skip
        return column.arrange(DOWN, buff=0.02)

    def vectors(self, part, cell: float = CELL, top: float = 0.0, height: float | None = None) -> VGroup:
        """The shown tokens' vectors in `part`, an array read by name (`trace.resid.pre[0]`), one column each
        under its chip, its top at `top` (squeezed to `height` inside a block), on one scale for the stage."""
        rows = part.value[self.first :, :RECAP_ENTRIES]
        scale = float(np.abs(rows).max()) or 1.0
        out = VGroup()
        for row, chip in zip(rows, self.boxes):
            col = self.cells(row, scale, cell)
            if height is not None:
                col.stretch_to_fit_height(height)
            out.add(col.move_to([chip.get_x(), top - col.height / 2, 0]))
        return out

    def in_band(self, part, band) -> VGroup:
        return self.vectors(part, CELL * self.zoom, top=band.get_top()[1] - 0.03, height=band.height - 0.06)

    def zoom_road(self) -> None:
        """While it is built, the road (chips, vectors, blocks and their names) is drawn larger and centred; the
        final vectors, the drawn token's slot and the bars keep their places right of it until `road_home`."""
        built = VGroup(self.chips, self.inputs, self.band_rows, self.labels)
        self.zoom = min(1.5, 6.9 / built.height, 13.4 / built.width)
        self.home = built.get_center()
        self.away = np.array([0.0, 0.25, 0.0])  # the built road's centre while large
        for part in (self.chips, self.slot, self.inputs, self.band_rows, self.labels, self.outputs):
            part.scale(self.zoom, about_point=self.home).shift(self.away - self.home)
        for part in (self.slot, self.outputs):  # (not shown yet: they wait at home)
            part.scale(1 / self.zoom, about_point=self.away).shift(self.home - self.away)

    def road_home(self, moving, run_time: float) -> None:
        """The road shrinks back to the left of the frame, making room for the bars."""
        shown = VGroup(self.chips, self.inputs, self.band_rows, self.labels, moving)
        self.play(shown.animate.scale(1 / self.zoom, about_point=self.away).shift(self.home - self.away),
                  run_time=run_time)  # fmt: skip
        self.zoom = 1.0

    def chip_row(self, first: int, extra=None) -> VGroup:
        t = self.trace
        chips = VGroup(*(TokenBox(t.fields.info.tokens.display[i], hue=style.token_hue(i), size=NUMBER, limit=10)
                         for i in range(first, len(t.token_ids))))  # fmt: skip
        if first:
            chips.add_to_back(label("…", size=NUMBER, color=style.MUTED))
        if extra is not None:
            chips.add(extra)
        room = ROW_MAX - sum(c.width for c in chips)  # a short prompt spread out, so the road is wide
        return chips.arrange(RIGHT, buff=min(0.9, max(0.1, room / max(len(chips) - 1, 1))))

    def bands(self) -> VGroup:
        """A band across the road for every block, top to bottom, attention then MLP, a wider gap between layers."""
        n = self.trace.meta["n_layer"]
        pair_gap, layer_gap = 0.04, min(0.12, 0.9 / n)
        h = (BAND_TOP - BAND_BOTTOM - n * pair_gap - (n - 1) * layer_gap) / (2 * n)
        bands, y = VGroup(), BAND_TOP
        for i in range(n):
            for kind, color in (("Attention", style.BLOCK_ATTENTION), ("MLP", style.BLOCK_MLP)):
                band = Rectangle(width=ROAD_RIGHT - ROAD_LEFT + 0.2, height=h, stroke_color=color, stroke_width=1.5,
                                 fill_color=color, fill_opacity=0.22)  # fmt: skip
                band.move_to([(ROAD_LEFT + ROAD_RIGHT) / 2, y - h / 2, 0])
                band.kind, band.layer = kind, i
                bands.add(band)
                y -= h + (pair_gap if kind == "Attention" else layer_gap)
        return bands

    def road_labels(self) -> VGroup:
        """Left of the road: the vectors' length, the two kinds of block, and how many layers."""
        t, b = self.trace, self.band_rows
        x = ROAD_LEFT - 0.25
        size = VGroup(number(t.fields.meta.d_model, fmt="int", size=LABEL, color=style.MUTED),
                      label("numbers", size=LABEL, color=style.MUTED)).arrange(DOWN, buff=0.06)  # fmt: skip
        size.move_to([x - size.width / 2, self.inputs.get_y(), 0])
        att = label("attention", size=LABEL, color=style.BLOCK_ATTENTION)
        att.move_to([x - att.width / 2, b[0].get_y(), 0])
        mlp = label("MLP", size=LABEL, color=style.BLOCK_MLP)
        mlp.move_to([x - mlp.width / 2, min(b[1].get_y(), att.get_y() - 0.36), 0])
        layers = sentence("{n} layers", size=LABEL, color=style.MUTED, n=(t.fields.meta.n_layer, "int"))
        layers.move_to([x - layers.width / 2, min((BAND_TOP + BAND_BOTTOM) / 2 - 0.3, mlp.get_y() - 0.6), 0])
        return VGroup(size, VGroup(att, mlp, layers))

    def build_road(self):
        """The prompt; its chips, with the slot the drawn token will take; each chip's vector; the bands; the
        final vectors; the bars."""
        t = self.trace
        n = len(t.token_ids)
        sm, step = softmax_shown(t), t.info["continuation"]["steps"][0]
        self.first = max(0, n - RECAP_TOKENS)
        drawn = TokenBox(t.fields.info.continuation.steps[0].chosen_display, hue=style.NEXT_SLOT, size=NUMBER, limit=10)
        while self.chip_row(self.first, drawn).width > ROW_MAX and self.first < n - 1:  # all that fit at full size,
            self.first += 1  # with room for the token that will be drawn (an ellipsis for the ones before)
        self.prompt = sentence(
            "“{p}”", size=HEADING + 6, p=(t.fields.meta.settings.prompt, "ends64")
        )  # whole if it fits
        self.fit_width(self.prompt).move_to([0, 0.6, 0])  # large in the middle, before it becomes the chips
        row = self.chip_row(self.first, drawn)
        row.move_to([ROAD_LEFT + row.width / 2, CHIP_Y, 0])
        self.slot = row[-1]  # where the drawn token goes
        self.chips = VGroup(*row[:-1])
        self.boxes = self.chips[1:] if self.first else self.chips
        self.inputs = self.vectors(t.resid.pre[0], top=self.chips.get_bottom()[1] - 0.12)
        self.band_rows = self.bands()
        self.labels = self.road_labels()
        self.outputs = self.vectors(t.stored("ln_final.hook_normalized"), OUT_CELL, top=OUT_TOP)
        self.build_bars()
        self.zoom_road()
        self.beat(
            "The whole road",
            "From the prompt to the next token, with this prompt's numbers.",
            say=f"That is the whole road. The prompt became {n} tokens"
            + (f", the last {len(self.boxes)} shown here. " if self.first else ". ")
            + f"Each token became a vector of {t.meta['d_model']} numbers. Then {t.meta['n_layer']} layers of "
            "attention and MLP reworked those vectors, block by block. At the end, the last vector scored every "
            "token of the vocabulary. Turned into probabilities, the scores gave "
            f"{spoken_token(t.info['vocab_display'][str(sm['ids'][0])])} "
            f"{said_pct(sm['probs'][0])}. And "
            + ("a random draw by these odds, with no cut, " if self.plain_draw() else "the draw ")
            + f"picked {spoken_token(step['chosen_display'])}.",
        )

    def plain_draw(self) -> bool:
        """The continuation was drawn by the bars' own odds: at temperature 1, with no top-k or top-p cut."""
        c = self.trace.info["continuation"]
        return float(c["temperature"]) == 1.0 and not c.get("top_k") and not c.get("top_p")

    def build_bars(self):
        """The last vector's likeliest next tokens (the drawn one last if it is further down), right of the road."""
        t = self.trace
        step = t.info["continuation"]["steps"][0]
        vocab, probs = t.fields.info.vocab_display, t.fields.info.softmax.probs
        ids = t.info["softmax"]["ids"]  # the likeliest first; the drawn token's row last if it is further down
        self.ranks = list(range(RECAP_BARS))
        if step["chosen_id"] in ids[RECAP_BARS:]:
            self.ranks[-1] = ids.index(step["chosen_id"])
        entries = [{"display": vocab[str(ids[r])], "prob": probs[r]} for r in self.ranks]
        self.bars = ProbabilityBars(entries, bar_width=2.1, size=NUMBER + 10, row_height=0.85, ellipsis=False)
        self.bars.gap = None
        if self.ranks[-1] != RECAP_BARS - 1:  # a ⋮ between the likeliest and the drawn one
            self.bars.rows[-1].shift(0.4 * DOWN)
            self.bars.gap = label("⋮", size=NUMBER + 10, color=style.MUTED)
            self.bars.gap.move_to([self.bars.rows[0].bar.get_left()[0], self.bars.rows[-1].get_y() + 0.6, 0])
            self.bars.add(self.bars.gap)
        right = config.frame_width / 2 - style.FRAME_MARGIN - 0.1
        room = right - ROAD_RIGHT - 0.5  # large, right of the road and clear of it
        self.bars.scale(min(1.0, room / self.bars.width))
        self.bars.move_to([right - min(room, self.bars.width) / 2, (BAND_TOP + BAND_BOTTOM) / 2 + 0.2, 0])
        self.lead = Arrow(self.outputs[-1].get_right(), self.bars.get_left(), buff=0.12, stroke_width=3,
                          color=style.NEXT_SLOT, max_tip_length_to_length_ratio=0.15)  # fmt: skip
        lines = ("drawn at random", "by these odds:") if self.plain_draw() else ("drawn",)  # (no cut, at T = 1)
        words = VGroup(*(label(w, size=LABEL, color=style.TEXT) for w in lines)).arrange(DOWN, buff=0.08,
                                                                                         aligned_edge=LEFT)  # fmt: skip
        self.drawn = VGroup(words, self.slot.copy()).arrange(RIGHT, buff=0.2)
        self.drawn.next_to(self.bars, DOWN, buff=0.3).align_to(self.bars, LEFT)
        self.drawn.shift(min(0.0, right - self.drawn.get_right()[0]) * RIGHT)  # within the frame

    def show_tokens(self):
        self.play(FadeIn(self.prompt), run_time=0.6)
        cue(self, 1)  # the prompt's words move up to where they become chips, then give way to them (no morph)
        run = said_by(self, 1, 1.0)
        self.play(self.prompt.animate.scale_to_fit_width(self.chips.width).move_to(self.chips), run_time=run * 0.6)
        self.play(swap(self.prompt, self.chips, distance=0.1), run_time=run * 0.4)
        cue(self, 2)  # each chip gives its vector
        self.play(LaggedStart(*(GrowFromEdge(col, UP) for col in self.inputs), lag_ratio=0.12),
                  FadeIn(self.labels[0]), run_time=said_by(self, 2, 1.0))  # fmt: skip

    def through_layers(self):
        """The bands grow down the road; the vectors flow down into the first and on through every band,
        taking each block's output values as they leave it (the real residual stream), then out of the last as
        the final vectors."""
        cue(self, 3)
        bands = list(self.band_rows)
        resid = self.trace.resid
        parts = [(resid.mid if b.kind == "Attention" else resid.post)[b.layer] for b in bands]  # each block's output
        self.play(LaggedStart(*(GrowFromEdge(b, UP) for b in bands), lag_ratio=0.08), FadeIn(self.labels[1]),
                  run_time=1.2)  # fmt: skip
        step = max(0.2, (said_by(self, 3) - 1.5) / (len(bands) + 1))
        moving = self.in_band(resid.pre[0], bands[0])
        self.play(TransformFromCopy(self.inputs, moving), bands[0].animate.set_fill(opacity=0.5),
                  *(c.animate.set_opacity(0.5) for c in self.inputs), run_time=step + 0.3)  # fmt: skip
        self.play(Transform(moving, self.in_band(parts[0], bands[0])), run_time=step)
        for prev, band, part in zip(bands, bands[1:], parts[1:]):
            self.play(Transform(moving, self.in_band(part, band)), prev.animate.set_fill(opacity=0.22),
                      band.animate.set_fill(opacity=0.5), run_time=step)  # fmt: skip
        cue(self, 4)  # out of the last block, through the final norm: the last vector scores the vocabulary
        self.road_home(moving, 0.8)
        stand_in = self.outputs.copy()
        self.play(ReplacementTransform(moving, stand_in), bands[-1].animate.set_fill(opacity=0.22), run_time=0.8)
        self.remove(stand_in)
        self.add(self.outputs)

    def predict(self):
        self.play(*(c.animate.set_opacity(0.35) for c in self.outputs[:-1]), GrowArrow(self.lead), run_time=0.8)
        self.play(LaggedStart(*(GrowFromEdge(r.bar, LEFT) for r in self.bars.rows), lag_ratio=0.2),
                  *(FadeIn(VGroup(r.name, r.pct)) for r in self.bars.rows), *([FadeIn(self.bars.gap)] if self.bars.gap else []),
                  run_time=said_by(self, 4, 1.0))  # fmt: skip
        cue(self, 5)
        top_mark = SurroundingRectangle(self.bars.rows[0], buff=0.05, color=style.NEXT_SLOT)
        self.play(Create(top_mark), run_time=0.6)
        self.play(
            Indicate(self.bars.rows[0].pct, color=style.NEXT_SLOT), run_time=max(0.6, said_by(self, 5, 0.6) * 0.6)
        )
        cue(self, 6)  # the draw: the drawn token's bar is marked (when shown), and its name comes down from it
        step = self.trace.info["continuation"]["steps"][0]
        ids = [self.trace.info["softmax"]["ids"][r] for r in self.ranks]
        if step["chosen_id"] in ids:
            row = self.bars.rows[ids.index(step["chosen_id"])]
            self.drawn_mark = SurroundingRectangle(row, buff=0.05, color=style.NEXT_SLOT, stroke_width=6)
            self.play(ReplacementTransform(top_mark, self.drawn_mark), row.bar.animate.set_fill(style.NEXT_SLOT),
                      FadeIn(self.drawn[0]), TransformFromCopy(row.name, self.drawn[1]), run_time=1.0)  # fmt: skip
        else:
            self.drawn_mark = top_mark
            self.play(dim(top_mark), FadeIn(self.drawn, shift=0.1 * UP), run_time=0.8)

    def empty_column(self, x: float, top: float, cell: float = CELL) -> VGroup:
        """A vector not yet worked out (the Trace stops at the prompt): cells outlined, none filled."""
        col = VGroup(*(Square(cell, stroke_width=1.2, stroke_color=style.NEXT_SLOT, fill_opacity=0)
                       for _ in range(RECAP_ENTRIES))).arrange(DOWN, buff=0.02)  # fmt: skip
        return col.move_to([x, top - col.height / 2, 0])

    def run_again(self):
        """The drawn token takes its slot at the end of the chips, its own column under it runs down through the
        bands to the last row, and the next chapter is announced right of the road."""
        x, bands = self.slot.get_x(), list(self.band_rows)
        column = self.empty_column(x, self.inputs.get_top()[1])
        qkv = VGroup(label("queries", size=NUMBER, color=style.QUERY), label("keys", size=NUMBER, color=style.KEY),
                     label("values", size=NUMBER, color=style.VALUE)).arrange(DOWN, aligned_edge=LEFT, buff=0.12)  # fmt: skip
        nxt = VGroup(label("Next:", size=LABEL, color=style.MUTED), label("attention in depth", size=LABEL), qkv)
        nxt.arrange(DOWN, aligned_edge=LEFT, buff=0.22)
        box = SurroundingRectangle(nxt, buff=0.2, color=style.BLOCK_ATTENTION, corner_radius=0.1)
        card = VGroup(box, nxt)
        card.move_to([config.frame_width / 2 - style.FRAME_MARGIN - card.width / 2, (BAND_TOP + BAND_BOTTOM) / 2, 0])
        card.shift(max(0.0, ROAD_RIGHT + 0.25 - card.get_left()[0]) * RIGHT)  # clear of the road
        self.beat(
            "Next",
            "The road runs again with the new token.",
            say="The token is appended, and the whole road runs again. Next time: attention in depth, how each head "
            "decides where to look, with queries, keys and values.",
        )
        working = [self.drawn[0], self.drawn_mark, self.labels[0]]  # the old bars leave as the token is appended
        self.play(self.drawn[1].animate(path_arc=-0.6).move_to(self.slot), *(dim(m) for m in working),
                  FadeOut(VGroup(self.bars, self.lead)), run_time=1.0)  # fmt: skip
        self.play(GrowFromEdge(column, UP), run_time=0.6)
        shown = bands[:: max(1, len(bands) // 8)]  # (many layers: the column skips some bands)
        step = max(0.2, (said_by(self, 0) - 2.2) / (len(shown) + 1))
        moving = column.copy()
        for band in shown:
            squeezed = column.copy().stretch_to_fit_height(band.height - 0.06).move_to([x, band.get_y(), 0])
            self.play(Transform(moving, squeezed), run_time=step)
        self.play(Transform(moving, self.empty_column(x, OUT_TOP, OUT_CELL)), run_time=step)
        cue(self, 1)
        self.play(Create(box), FadeIn(nxt[:2], shift=0.2 * UP), run_time=1.2)
        self.play(
            LaggedStart(*(FadeIn(w, shift=0.1 * RIGHT) for w in nxt[2]), lag_ratio=0.6),
            run_time=max(1.0, said_by(self, 1) - 0.3),
        )  # (as the three are named)
