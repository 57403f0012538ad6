"""Weights and data: one real matrix-vector product, and where every weight of the model lives."""

from __future__ import annotations

import math

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    AnimationGroup,
    Brace,
    Circle,
    Create,
    DashedVMobject,
    FadeIn,
    FadeOut,
    FadeTransform,
    GrowFromCenter,
    GrowFromEdge,
    Indicate,
    LaggedStart,
    Line,
    Rectangle,
    ReplacementTransform,
    Square,
    SurroundingRectangle,
    Transform,
    TransformFromCopy,
    VGroup,
    there_and_back,
)

from model.claims import statements
from scenes import style
from scenes.base import TraceScene
from scenes.components import (
    HEADING,
    LABEL,
    NUMBER,
    SMALLEST,
    TOKEN,
    TokenBox,
    VectorColumn,
    WeightMatrix,
    claim,
    label,
    number,
    sentence,
    statement,
    swap,
)
from scenes.pacing import cue, dim, said_by, travel
from scenes.speech import big, dec, spoken_token

TERMS = 4  # products that fly into the running sum one by one (the shown columns) before it jumps to all of them
BIG = round(NUMBER * 1.4)  # the equation's numbers (weights × data = query): 1.4 times a picture's usual number
NAME = round(LABEL * 1.3)  # ... and the names over its parts
PRODUCT_Y = 0.9  # the product's centre line (weights × data = query) while the working is under it
SETTLED_Y = -0.45  # ... and once the working has gone
ROW_GAP_Y = 0.3  # between the product's rows of numbers
STRIP_STEP = 0.7  # the working's rows (the row of weights, the data, the products), across the frame under it
STRIP_X = (-2.8, 3.9, 5.7, -4.1)  # its first and last shown columns, its ⋯, and where its rows' names end
FRAME_USE = 13.2  # the product's widest
PROMPT_Y = 3.3  # the prompt's tokens, over the picture, in the last beat
WALL = (9, 8)  # rows and columns of the wall of weights that fills the frame before the data comes
WALL_BOX = (12.8, 6.2, 0.2)  # ... the most width and height it and its shape's marks take, and its centre's height


def slide(source, target, path_arc: float = 0.0) -> AnimationGroup:
    """A number moves whole to where its longer form stands and fades as that one comes in: no digits morph."""
    return AnimationGroup(source.copy().animate(path_arc=path_arc).move_to(target).set_opacity(0), FadeIn(target))


def shown_product(w: float, x: float, digits: int = 3) -> float:
    """The product of a weight and a data entry as written in the working (`digits` decimals each), rounded
    to as many: what a viewer who multiplies the shown factors gets."""
    return round(round(w, digits) * round(x, digits), digits)


def spread(matrix: WeightMatrix) -> WeightMatrix:
    """Each column as wide as its widest entry and one character from the next: a negative entry never runs into
    its neighbour ("−0.02 +0.03", not "−0.02+0.03")."""
    grid = matrix.grid
    gap = label("0", size=BIG).width
    widths = [max(row[c].width for row in grid if c < len(row)) for c in range(max(len(row) for row in grid))]
    x, centres = grid.get_left()[0], []
    for w in widths:
        centres.append(x + w / 2)
        x += w + gap
    for row in grid:
        for c, entry in enumerate(row):
            entry.set_x(centres[c])
    top, step = grid.get_top()[1], max(row.height for row in grid) + ROW_GAP_Y  # rows further apart too
    for r, row in enumerate(grid):
        row.set_y(top - r * step - row.height / 2)
    for bracket in (matrix[0], matrix[2]):
        bracket.stretch_to_fit_height(grid.height + 0.25)
    matrix[0].next_to(grid, LEFT, buff=0.1)
    matrix[2].next_to(grid, RIGHT, buff=0.1)
    return matrix


def airy(column: VectorColumn) -> VectorColumn:
    """A vector's entries as far apart as the matrix's rows (the picture fills the frame's height)."""
    left, body, right = column[0], column[1], column[2]
    parts = [*column.entries, *body[1:]]  # the entries, then the ⋮
    top, step = body.get_top()[1], max(e.height for e in parts) + ROW_GAP_Y
    for k, part in enumerate(parts):
        part.set_y(top - k * step - part.height / 2)
    for bracket in (left, right):
        bracket.stretch_to_fit_height(body.height + 0.2)
    left.next_to(body, LEFT, buff=0.08)
    right.next_to(body, RIGHT, buff=0.08)
    return column


def shape_marks(matrix: WeightMatrix, rows: int, cols: int, meta) -> VGroup:
    """A matrix's real shape on braces: its rows' count at its left, its columns' count over it."""
    left = Brace(matrix.grid[:rows], LEFT, color=style.MUTED)  # spans the rows, outside the brackets
    top = Brace(matrix.grid[0][:cols], UP, color=style.MUTED)
    left.next_to(matrix, LEFT, buff=0.2)
    top.next_to(matrix, UP, buff=0.2)
    return VGroup(
        VGroup(left, VGroup(number(meta.d_head, fmt="int", size=NAME), label("rows", size=LABEL,
               color=style.MUTED)).arrange(DOWN, buff=0.08).next_to(left, LEFT, buff=0.12)),
        VGroup(top, sentence("{c} columns", size=NAME, c=(meta.d_model, "int")).next_to(top, UP, buff=0.08)),
    )  # fmt: skip


class WeightsAndData(TraceScene):
    """Weights (a real W_Q, coloured by sign, its shape from the Trace) times data (a token's vector, grey): one row
    slides out to meet the vector and its products add up to one query entry; then only the data changes."""

    TITLE = "Weights and data"
    PART = "The weights"
    SUMMARY = "Weights versus data: one real row of weights meets a token's vector and becomes one query entry."
    RENDER_SECONDS = 12

    ROWS, COLS = 4, TERMS

    def construct(self):
        self.build_product()
        self.show_weights_and_data()
        self.slide_out_one_row()
        self.add_up_the_row()
        self.only_data_changes()

    def build_product(self):
        """The matrix (turned: row j makes query entry j), the data vector and the query, on one line; the
        matrix's shape on braces; each part named above it."""
        t = self.trace
        self.W = t.attn.W_Q[0, 0]  # block 0, head 0: (d_model, d_head)
        self.grow = 1.0  # (smaller if the product is wider than the frame: below)
        d_model, d_head = self.W.value.shape
        self.ROWS, self.COLS = min(self.ROWS, d_head), min(self.COLS, d_model)  # (a tiny model shows all it has)
        self.W_shown = self.W.value.T[: self.ROWS, : self.COLS]
        self.matrix = spread(WeightMatrix(self.W.value.T, lambda r, c: self.W[c, r].path, self.ROWS, self.COLS,
                                          size=BIG, more_rows=d_head > self.ROWS, more_cols=d_model > self.COLS))  # fmt: skip
        self.vector, self.result = self.data_column(0), self.query_column(0)
        self.times, self.equals = label("×", size=40), label("=", size=40)
        line = VGroup(self.matrix, self.times, self.vector, self.equals, self.result)
        line.arrange(RIGHT, buff=0.22).move_to([0.6, PRODUCT_Y, 0])
        meta = t.fields.meta
        self.shape = shape_marks(self.matrix, self.ROWS, self.COLS, meta)
        self.wall = self.build_wall()
        self.chip = self.token_chip(0)
        top = self.chip.get_top()[1] + 0.26  # the data's and the query's names, over the token
        self.matrix_name = label("weights", size=NAME, color=style.POSITIVE)  # beside "… columns"
        self.matrix_name.move_to([self.shape.get_left()[0], self.shape[1][1].get_y(), 0], aligned_edge=LEFT)
        self.data_name = label("data", size=NAME, color=style.MUTED).move_to([self.vector.get_x(), top, 0])
        self.query_name = label("query", size=NAME, color=style.QUERY).move_to([self.result.get_x(), top, 0])
        self.d_model = number(meta.d_model, fmt="int", size=LABEL, color=style.MUTED)
        self.d_model.next_to(self.vector, DOWN, buff=0.12)
        self.d_head = number(meta.d_head, fmt="int", size=LABEL, color=style.MUTED)
        self.d_head.next_to(self.result, DOWN, buff=0.12).set_y(self.d_model.get_y())
        whole = VGroup(line, self.shape, self.chip)
        line.shift((-(whole.get_left()[0] + whole.get_right()[0]) / 2) * RIGHT)  # the whole width, centred
        for part in (self.shape, self.matrix_name, self.data_name, self.query_name, self.d_model, self.d_head):
            part.shift((line.get_x() - 0.6) * RIGHT)  # (they were placed from the line before it moved)
        self.chip.next_to(self.vector, UP, buff=0.15)
        self.picture = VGroup(line, self.shape, self.matrix_name, self.data_name, self.query_name, self.d_model,
                              self.d_head)  # fmt: skip
        self.grow = min(1.0, FRAME_USE / VGroup(self.picture, self.chip).width)  # within the frame
        VGroup(self.picture, self.chip).scale(self.grow, about_point=line.get_center())

    def build_wall(self) -> VGroup:
        """The same weights as a wall of numbers filling the frame (more rows and columns of W_Q), its shape on
        braces and its name: the opening picture, which shrinks into the matrix when the data comes."""
        d_model, d_head = self.W.value.shape
        rows, cols = min(WALL[0], d_head), min(WALL[1], d_model)
        wall = spread(WeightMatrix(self.W.value.T, lambda r, c: self.W[c, r].path, rows, cols, size=BIG,
                                   more_rows=d_head > rows, more_cols=d_model > cols))  # fmt: skip
        wall.rows, wall.cols = rows, cols
        wall.shape = shape_marks(wall, rows, cols, self.trace.fields.meta)
        wall.name = label("weights, first layer", size=NAME, color=style.POSITIVE)
        wall.name.move_to([wall.get_left()[0], wall.shape[1][1].get_y(), 0], aligned_edge=LEFT)
        whole = VGroup(wall, wall.shape, wall.name)
        whole.scale(min(1.0, WALL_BOX[0] / whole.width, WALL_BOX[1] / whole.height)).move_to([0, WALL_BOX[2], 0])
        wall.opening_width = whole.width  # (it shrinks into the matrix later)
        return wall

    def data_column(self, pos: int) -> VectorColumn:
        column = VectorColumn(self.trace.ln1.normalized[0, pos], shown=self.COLS, size=BIG, dim_path=None)
        return airy(column).scale(self.grow)

    def query_column(self, pos: int) -> VectorColumn:
        return airy(VectorColumn(self.trace.attn.q[0, pos, 0], shown=self.ROWS, size=BIG, dim_path=None)).scale(
            self.grow
        )

    def token_chip(self, pos: int) -> TokenBox:
        chip = TokenBox(self.trace.fields.info.tokens.display[pos], hue=style.token_hue(pos), size=TOKEN)
        tallest = TokenBox("x", "", style.token_hue(pos), size=TOKEN).height  # a mark's larger glyph keeps to it
        if chip.height > tallest:
            chip.scale(tallest / chip.height)
        return chip.scale(self.grow).next_to(self.vector, UP, buff=0.15)

    def weight_color(self, r: int, c: int):
        """The colour WeightMatrix gives the shown entry (r, c): by sign, brighter for larger."""
        return style.weight_color(float(self.W_shown[r, c]), float(abs(self.W_shown).max()) or 1.0)

    def show_weights_and_data(self):
        t = self.trace
        meta = t.meta
        self.beat(
            "Weights and data",
            "Weights: learned in training, then fixed.",
            say="A GPT runs on two kinds of numbers. The first kind, the weights, were learned in training and then "
            "fixed. A weight is blue when it is positive. It is red when it is negative. This block of them, from "
            f"the first layer, has {meta['d_head']} rows. It has {meta['d_model']} columns. The second kind, the data, "
            f"in grey, is the vector of one token, here {spoken_token(t.token_display[0])}. It has "
            f"{meta['d_model']} entries, one for each column.",
        )
        VGroup(self.picture, self.chip).shift((PRODUCT_Y - SETTLED_Y) * DOWN)  # centred until the working comes
        wall = self.wall
        self.play(LaggedStart(*(FadeIn(row, shift=0.1 * DOWN) for row in wall.grid), lag_ratio=0.15),
                  FadeIn(VGroup(wall[0], wall[2])), run_time=said_by(self, 0, 1.2) * 0.8)  # fmt: skip
        self.play(
            LaggedStart(
                *(row.animate(rate_func=there_and_back).scale(1.08) for row in wall.grid[: wall.rows]), lag_ratio=0.2
            ),
            run_time=max(0.8, said_by(self, 0, 0.8) - 0.2),
        )  # fmt: skip (numbers: alive)
        cue(self, 1)
        self.play(FadeIn(wall.name, shift=0.1 * DOWN), run_time=0.8)
        values = self.W.value.T[: wall.rows, : wall.cols]
        box = None
        for k, pick in ((2, values.argmax()), (3, values.argmin())):  # a blue weight, then a red one: boxed while said
            cue(self, k)
            r, c = divmod(int(pick), wall.cols)
            there = SurroundingRectangle(wall.grid[r][c], buff=0.07, color=style.TEXT)
            self.play(Create(there) if box is None else box.animate.become(there), run_time=0.5)
            box = box or there
            self.play(Indicate(wall.grid[r][c], scale_factor=1.3, color=wall.grid[r][c].get_color()), run_time=0.8)
        cue(self, 4)
        self.play(dim(box), run_time=0.3)
        for k, (part, lines) in enumerate(((wall.shape[0], wall.grid[: wall.rows]),
                                           (wall.shape[1], self.wall_columns()))):  # fmt: skip
            cue(self, 4 + k)  # a highlight sweeps down the rows, then across the columns; their count comes
            mark = travel(self, lines, max(0.8, said_by(self, 4 + k, 1.5) * 0.6), color=style.NEXT_SLOT)
            self.play(GrowFromCenter(part[0]), FadeIn(part[1]), dim(mark), run_time=0.6)
        cue(self, 6)
        self.shrink_wall()
        self.play(FadeIn(self.times), FadeIn(self.data_name), FadeIn(self.chip, shift=0.2 * DOWN),
                  LaggedStart(*(FadeIn(e, shift=0.3 * LEFT) for e in self.vector), lag_ratio=0.1),
                  run_time=said_by(self, 6, 1.2) * 0.7)  # fmt: skip
        cue(self, 7)  # the data's length is the matrix's width
        self.play(
            Indicate(self.shape[1][1], color=style.TEXT, scale_factor=1.1),
            FadeIn(self.d_model, shift=0.2 * DOWN),
            run_time=said_by(self, 7, 1.0) * 0.6,
        )  # fmt: skip (the columns' count, named again under the data)

    def wall_columns(self) -> list[VGroup]:
        wall = self.wall
        return [VGroup(*(wall.grid[r][c] for r in range(wall.rows))) for c in range(wall.cols)]

    def shrink_wall(self):
        """The wall shrinks to the left into the matrix: its corner's numbers move to their places there, the
        rest fade as they go; its shape's marks and name become the matrix's."""
        wall, m = self.wall, self.matrix
        brackets = VGroup(m[0], m[2])
        moves = [ReplacementTransform(VGroup(wall[0], wall[2]), brackets),
                 ReplacementTransform(wall.shape, self.shape), ReplacementTransform(wall.name, self.matrix_name)]  # fmt: skip
        kept = []
        for r in range(self.ROWS):
            kept += [(wall.grid[r][c], m.grid[r][c]) for c in range(self.COLS)]
            if len(m.grid[r]) > self.COLS:  # the row goes on (⋯)
                kept.append((wall.grid[r][-1], m.grid[r][-1]))
        if len(m.grid) > self.ROWS:  # (⋮)
            kept += [(wall.grid[-1][c], m.grid[-1][c]) for c in range(len(m.grid[-1]))]
        moves += [ReplacementTransform(a, b) for a, b in kept]
        gone = {id(a) for a, _ in kept}
        rest = VGroup(*(e for row in wall.grid for e in row if id(e) not in gone))
        self.play(*moves, rest.animate.scale(0.3).move_to(m.get_center()).set_opacity(0), run_time=1.0)  # (no FadeOut:
        # a removal would wait for the beat's end, base.TraceScene.play)
        self.remove(wall, brackets, *(b for _, b in kept))
        self.add(self.matrix, self.shape, self.matrix_name)

    def strip_rows(self, products) -> None:
        """The working's three rows across the frame at the matrix's number size: the first row of weights, the
        data under it, their products under that; each row named at its left (weights, × data, = products)."""
        x = self.trace.ln1.normalized[0, 0]
        top = min(self.matrix.get_bottom()[1], self.d_model.get_bottom()[1]) - 0.55
        ys = [top - k * STRIP_STEP for k in range(3)]
        xs = [STRIP_X[0] + k * (STRIP_X[1] - STRIP_X[0]) / max(1, self.COLS - 1) for k in range(self.COLS)]
        bright = [style.POSITIVE if float(self.W_shown[0, c]) >= 0 else style.NEGATIVE for c in range(self.COLS)]
        self.work_w = VGroup(
            *(
                number(self.W[c, 0], fmt="value3", size=BIG, color=bright[c]).move_to([xs[c], ys[0], 0])
                for c in range(self.COLS)
            )
        )  # fmt: skip (the matrix's own numbers, at its size, one digit longer: the products check against them)
        self.work_x = VGroup(*(number(x[c], fmt="value3", size=BIG).move_to([xs[c], ys[1], 0])
                               for c in range(self.COLS)))  # fmt: skip
        self.work_p = VGroup(*(number(products[c], fmt="value3", size=BIG).move_to([xs[c], ys[2], 0])
                               for c in range(self.COLS)))  # fmt: skip
        more = len(self.matrix.grid[0]) > self.COLS  # the row goes on (⋯)
        self.work_dots = VGroup(*(label("⋯", size=BIG, color=style.MUTED).move_to([STRIP_X[2], ys[k], 0])
                                  for k in range(3 if more else 0)))  # fmt: skip
        self.products_exact = all(shown_product(self.W[c, 0].value, x[c].value) ==
                                  round(float(products[c].value), 3) for c in range(self.COLS))  # fmt: skip
        equals = "=" if self.products_exact else "≈"  # (a shown product is its shown factors' product, rounded)
        names = ((("weights", style.POSITIVE)), ("× data", style.TEXT), (f"{equals} products", style.MUTED))
        self.work_names = VGroup(*(label(word, size=NAME, color=color).move_to([STRIP_X[3], ys[k], 0],
                                   aligned_edge=RIGHT) for k, (word, color) in enumerate(names)))  # fmt: skip
        for part in (*self.work_w, *self.work_x, *self.work_p, *self.work_dots):
            part.scale(self.grow)  # (at the product's size)
        for name in self.work_names:
            name.scale(self.grow, about_edge=RIGHT)
        self.strip_ys = ys

    def slide_out_one_row(self):
        self.beat(
            "One row meets the data",
            "Matrix times vector: each row of weights meets the data, entry by entry.",
            say="The model uses its weights by multiplying them with data, a matrix times a vector. Take the first "
            "row of weights, and line the data up under it. Multiply each weight by the data entry under it.",
        )
        up = (PRODUCT_Y - SETTLED_Y) * UP  # room for the working, under the equation
        VGroup(self.equals, self.result, self.query_name, self.d_head).shift(up)  # (not shown yet)
        seen = VGroup(self.matrix, self.matrix_name, self.shape, self.times, self.data_name, self.vector, self.d_model)
        self.play(VGroup(seen, self.chip).animate.shift(up), run_time=0.6)
        self.play(
            FadeIn(self.equals),
            Indicate(self.times, color=style.TEXT, scale_factor=1.5),
            run_time=max(0.5, said_by(self, 0, 1.0) * 0.6 - 0.6),
        )  # fmt: skip (the output comes when it is named)
        cue(self, 1)
        row = self.matrix.grid[0]
        self.strip_rows(self.trace.stored("matvec.products"))
        dots, names = self.work_dots, self.work_names
        self.row_mark = SurroundingRectangle(row, buff=0.08, color=style.QUERY)
        self.play(Create(self.row_mark), self.d_model.animate.set_opacity(0), run_time=0.5)  # (the data's entries
        # pass where its length is written: it comes back when the working has gone)
        self.play(LaggedStart(*(slide(row[c], self.work_w[c]) for c in range(self.COLS)), lag_ratio=0.12),
                  FadeIn(names[0]), *(TransformFromCopy(row[-1], d) for d in dots[:1]), run_time=1.4)  # fmt: skip
        self.play(LaggedStart(*(slide(self.vector.entries[c], self.work_x[c], path_arc=-0.6)
                                for c in range(self.COLS)), lag_ratio=0.12), *(FadeIn(d) for d in dots[1:2]),
                  FadeIn(names[1]), run_time=max(1.4, said_by(self, 1, 1.4) - 0.3))  # fmt: skip
        cue(self, 2)
        self.play(FadeIn(names[2]),
                  LaggedStart(*(AnimationGroup(Indicate(VGroup(self.work_w[c], self.work_x[c]), color=style.TEXT,
                                scale_factor=1.0), FadeIn(self.work_p[c], shift=0.25 * DOWN))
                                for c in range(self.COLS)), lag_ratio=0.15), *(FadeIn(d) for d in dots[2:]),
                  run_time=said_by(self, 2, 1.5) * 0.8)  # fmt: skip
        self.work = VGroup(self.work_w, self.work_x, self.work_p, dots, names)

    def add_up_the_row(self):
        t = self.trace
        d, has_bias = t.meta["d_model"], t.words["query_bias"]
        q = t.attn.q[0, 0, 0, 0]
        self.beat(
            "One query entry",
            "The products add up" + (", with a bias, " if has_bias else " (no bias in this model) ") + "to one entry.",
            say=f"Add up all {d} products, "
            + ("then a bias, one more learned number. " if has_bias else "with no bias in this model. ")
            + f"The result, {dec(q.value, 2)}, is the first entry of the output, a vector called a query. "
            "Every other row makes another entry the same way.",
        )
        line = self.sum_line()
        running = line.running
        products, pdots = self.work_p, self.work_dots[2:]
        spent = VGroup(self.work_w, self.work_x, self.work_dots[:2], self.work_names[:2])
        rise = (self.strip_ys[0] - self.strip_ys[2]) * UP  # the products take the weights' row; the sum goes under
        self.play(FadeOut(spent), run_time=0.4, now=True)
        self.play(VGroup(products, pdots, self.work_names[2]).animate.shift(rise), run_time=0.6)
        self.play(FadeIn(line.words), FadeIn(running[0]), run_time=0.4)
        step = max(0.5, (said_by(self, 0, 3.0) - 2.0) / self.COLS)
        for i in range(1, len(running)):  # each product drops into the running sum; the last jump takes the rest
            flying = products[i] if i < self.COLS else pdots  # (itself, not a copy: never two numbers stacked)
            moves = [flying.animate(path_arc=-0.4).move_to(running[i]).scale(0.6).set_opacity(0),
                     swap(running[i - 1], running[i])]  # fmt: skip
            if i == len(running) - 1:
                moves.append(swap(line.words, line.all_words))
            self.play(*moves, run_time=step if i < self.COLS else 1.0, now=True)
            self.remove(flying)
            self.add(running[i])  # (what replaced another is recorded as shown: tests/scenecheck.py)
        self.add(line.all_words)
        self.play(FadeIn(line.bias, shift=0.1 * LEFT), run_time=0.6)
        self.play(FadeIn(line.total, shift=0.1 * LEFT), run_time=0.6)
        cue(self, 1)
        self.play(FadeIn(self.result.decor), FadeIn(self.query_name, shift=0.1 * DOWN), run_time=0.6)  # "a query"
        entry = self.result.entries[0]  # the total itself rises into its place: one number flies, no digits morph
        self.play(line.total[1].copy().animate(path_arc=0.5).scale(entry.height / line.total[1].height).move_to(entry)
                  .set_opacity(0), FadeIn(entry), run_time=1.0)  # fmt: skip
        down = (SETTLED_Y - PRODUCT_Y) * UP
        VGroup(self.d_head, *self.result.entries[1:]).shift(down)  # (not shown yet: they move without showing)
        seen = VGroup(self.matrix, self.shape, self.matrix_name, self.times, self.data_name, self.vector,
                      self.equals, self.result.decor, entry, self.query_name, self.chip, self.row_mark)  # fmt: skip
        self.play(
            FadeOut(VGroup(products, pdots, self.work_names[2], line.all_words, running[-1], line.bias, line.total)),
            run_time=0.4,
            now=True,
        )  # fmt: skip (gone before the picture moves)
        self.play(seen.animate.shift(down), self.d_model.animate.shift(down).set_opacity(1),
                  run_time=max(0.6, said_by(self, 1, 0.8) - 0.9))  # fmt: skip
        cue(self, 2)
        rows = range(1, self.ROWS)
        step = max(0.5, said_by(self, 2, 2.0) / len(rows))
        for r in rows:  # the mark walks down the rows; each makes its entry
            row = self.matrix.grid[r]
            entry = self.result.entries[r]
            self.play(self.row_mark.animate.become(SurroundingRectangle(row, buff=0.08, color=style.QUERY)),
                      FadeIn(entry, shift=0.2 * RIGHT),
                      run_time=step)  # fmt: skip
        self.play(dim(self.row_mark), FadeIn(self.d_head, shift=0.1 * DOWN), run_time=0.5)  # (the query's length)

    def sum_line(self) -> VGroup:
        """One line under the products, across the frame: the running sum (after each shown product, then after all
        of them), plus the bias, equals the query's entry."""
        t = self.trace
        d = t.meta["d_model"]
        sums = t.stored("matvec.partial_sums")
        terms = [*range(self.COLS)] + ([d - 1] if d > self.COLS else [])  # the shown ones, then all of them
        running = VGroup(*(number(sums[i], fmt="value3", size=BIG) for i in terms))
        words = label("sum", size=NAME, color=style.MUTED)
        all_words = sentence("sum of all {d}", size=NAME, color=style.MUTED, d=(t.fields.meta.d_model, "int"))
        bias = VGroup(label("+ bias" if t.words["query_bias"] else "+ no bias", size=NAME, color=style.MUTED),
                      number(t.attn.b_Q[0, 0, 0], fmt="value3", size=BIG))  # fmt: skip
        total = VGroup(statement(statements(t)["matvec.total"], size=NAME, color=style.QUERY),
                       number(t.attn.q[0, 0, 0, 0], fmt="value3", size=BIG, color=style.QUERY))  # fmt: skip
        line = VGroup(all_words, running[-1].copy(), bias[0], bias[1], total[0], total[1]).arrange(RIGHT, buff=0.3)
        line.move_to([0, self.strip_ys[1], 0])
        fit = min(self.grow, 12.4 / line.width)  # clear of the frame's edges
        for part in (line, words, *running):
            part.scale(fit)
        words.move_to(all_words, aligned_edge=RIGHT)
        for part in running:
            part.move_to(line[1], aligned_edge=RIGHT)
        for k, part in enumerate((*bias, *total)):
            part.move_to(line[2 + k])
        out = VGroup(running, bias, total)
        out.running, out.words, out.all_words, out.bias, out.total = running, words, all_words, bias, total
        return out

    def as_cells(self) -> list[tuple]:
        """Each shown weight and a cell of its colour in its place: the weights drawn as what they are to the
        model from now on, fixed numbers (their values were read above)."""
        grid = self.matrix.grid
        w = 0.92 * (grid[0][1].get_x() - grid[0][0].get_x())
        h = 0.88 * (grid[0].get_y() - grid[1].get_y())
        pairs = []
        for r in range(self.ROWS):
            for c in range(self.COLS):
                cell = Rectangle(width=w, height=h, stroke_width=0, fill_color=self.weight_color(r, c), fill_opacity=1)
                pairs.append((grid[r][c], cell.move_to(grid[r][c])))
        return pairs

    def prompt_row(self, n: int) -> VGroup:
        """The prompt's first `n` tokens in a row over the picture, one after another (⋯ if the prompt goes on):
        the data comes from each in turn."""
        t = self.trace
        row = VGroup(*(TokenBox(t.fields.info.tokens.display[pos], hue=style.token_hue(pos), size=TOKEN)
                       for pos in range(n)))  # fmt: skip
        if len(t.token_ids) > n:
            row.add(label("⋯", size=TOKEN, color=style.MUTED))
        row.arrange(RIGHT, buff=0.2)
        row.scale(min(1.0, 12.0 / row.width)).move_to([0, PROMPT_Y, 0])
        return row

    def only_data_changes(self):
        t = self.trace
        n = min(len(t.token_ids), 3)  # the data of the prompt's first tokens, in turn
        self.beat(
            "Only the data changes",
            "Only the data changes.",
            say="Training set every one of these weights, so that the model predicts text well. Here they are as "
            "colours. "
            "After that, the weights never change. Only the data changes, with every token of every prompt."
            + (" The same weights turn each new vector into a new query." if n > 1 else ""),
        )
        cells = self.as_cells()
        low = min(self.matrix.get_bottom()[1], self.vector.get_bottom()[1], self.result.get_bottom()[1])
        same = label("the same weights, as colours", size=NAME, color=style.POSITIVE)  # under the matrix
        same.move_to([self.matrix.get_x(), low - 0.4, 0])
        self.play(Indicate(self.matrix, color=style.POSITIVE, scale_factor=1.03), run_time=max(1.0, said_by(self, 0)))
        cue(self, 1)  # as colours, as it is said
        self.play(LaggedStart(*(FadeTransform(m, cell) for m, cell in cells), lag_ratio=0.08),
                  FadeIn(same, shift=0.1 * UP), run_time=max(1.0, said_by(self, 1, 0.5)))  # fmt: skip
        for k, (_, cell) in enumerate(cells):  # the matrix holds its cells now
            self.matrix.grid[k // self.COLS].submobjects[k % self.COLS] = cell
        cue(self, 2)
        fixed = label("learned, then fixed", size=NAME, color=style.POSITIVE)  # on one line with the data's words
        fixed.move_to(same)
        lock = SurroundingRectangle(self.matrix, buff=0.1, color=style.POSITIVE)
        self.play(Create(lock), swap(same, fixed), run_time=said_by(self, 2, 1.0) * 0.6)
        cue(self, 3)
        changes = label("new for each token", size=NAME, color=style.MUTED)
        changes.move_to([self.vector.get_x(), fixed.get_y(), 0])
        prompt = self.prompt_row(n)
        mark = SurroundingRectangle(prompt[0], buff=0.06, color=style.TEXT)
        self.play(FadeIn(changes, shift=0.1 * UP), dim(VGroup(self.d_model, self.d_head)),  # (the braces keep the sizes)
                  Indicate(self.vector, color=style.TEXT, scale_factor=1.05), FadeIn(prompt), Create(mark))  # fmt: skip
        step = max(1.0, said_by(self, -1, 2.0) / max(1, n - 1))  # each token's turn held while it is said
        for pos in range(1, n):  # a new token: its vector replaces the data, and the same weights make its query
            chip, vector, result = self.token_chip(pos), self.data_column(pos), self.query_column(pos)
            vector.move_to(self.vector)
            result.move_to(self.result)
            chip.next_to(vector, UP, buff=0.15)
            self.play(
                swap(self.chip, chip, direction=LEFT),
                swap(self.vector.entries, vector.entries, direction=LEFT),
                mark.animate.become(SurroundingRectangle(prompt[pos], buff=0.06, color=style.TEXT)),
                run_time=0.25 * step,
            )  # fmt: skip (the prompt's next token, its data)
            self.play(
                swap(self.result.entries, result.entries, direction=LEFT),
                lock.animate.set_stroke(width=6),
                run_time=0.25 * step,
            )  # fmt: skip (the same weights, a new query)
            self.remove(*self.vector.get_family(), *self.result.get_family(), vector.entries, result.entries)
            self.add(vector, result)
            self.play(lock.animate.set_stroke(width=4), run_time=0.2)
            self.wait(max(0.1, 0.5 * step - 0.2))
            self.chip, self.vector, self.result = chip, vector, result
            self.add(chip, vector, result)


def shape_text(shape, size: float = SMALLEST + 2):
    """A tally row's shape, every dimension (“9 × 2 × 256”), its field read from the Trace (`rest[j].shape`)."""
    fields = {f"s{k}": (shape[k], "comma") for k in range(len(shape))}
    return sentence(" × ".join(f"{{s{k}}}" for k in range(len(shape))), size=size, **fields)


DEFINITIONS = {  # one line per family, shown as it is named (the lecture has not taught attention yet)
    "embedding": "embedding: one vector per token of the vocabulary",
    "key": "key: what a token offers, for others to match against",
    "query": "query: what a token looks for in the others",
    "value": "value: what a token passes on to those that read it",
    "output": "output: mixes the heads' results back into the vector",
    "up-projection": "up-projection: spreads the vector into the MLP's neurons",
    "down-projection": "down-projection: brings the neurons back to the vector's size",
    "gate-projection": "gate-projection: how much of each neuron passes",
    "unembedding": "unembedding: a score for every token of the vocabulary",
}
SAID = {  # ... and said as a sentence while its row comes in
    "embedding": "The embedding holds one vector for every token of the vocabulary.",
    "key": "The key matrices make what a token offers, for others to match against.",
    "query": "The query matrices make what a token looks for in the others.",
    "value": "The value matrices make what a token passes on to those that read it.",
    "output": "The output matrices mix the heads' results back into the vector.",
    "up-projection": "The up-projections spread the vector into the neurons of the MLP.",
    "down-projection": "The down-projections bring the neurons back to the vector's size.",
    "gate-projection": "The gate decides how much of each neuron passes.",
    "unembedding": "The unembedding gives a score to every token of the vocabulary.",
}


GHOST_SIDE = 99.0  # (no cap: the row's width sets the scale)
AREA_SIDE = 4.6  # frame units: the side of the square whose area is all of this model's weights
GPT3_SIDE = 5.4  # ... and of GPT-3's, when the model's square has shrunk to its true share of it
GPT3_AT = (0.9, -0.4)  # GPT-3's square's centre: its families are named at its right, the model's speck at its left
ROW_GAP = 0.3  # between the families' squares (in the attention's block, half that: its squares larger)
ROW_BOX = (-1.7, 2.6)  # the families' squares fill the frame between these heights (under the heading; under
# them, the unembedding's note and each family's shape)
ROW_WIDTH = 13.0  # ... and this width: the embedding, the attention's four (in a square), the MLP's (the dashed
# unembedding's outline round the embedding's square clear of the frame's edge)
ATTENTION_FAMILIES = {"key", "query", "value", "output"}


def family_color(family: str):
    if family in ATTENTION_FAMILIES:
        return style.BLOCK_ATTENTION
    if "projection" in family:
        return style.BLOCK_MLP
    return style.POSITIVE if "embedding" in family else style.MUTED


def area_square(params: int, unit: float, color, matrices: int = 1) -> VGroup:
    """A square whose area is `params` weights at `unit` frame units per weight's square root, divided into
    its `matrices` equal tiles when they make a square grid (16 matrices: 4 × 4)."""
    side = unit * math.sqrt(params)
    square = Square(side, stroke_color=color, stroke_width=1.5, fill_color=color, fill_opacity=0.4)
    grid = VGroup()
    per = math.isqrt(matrices)
    if per > 1 and per * per == matrices and side / per > 0.04:
        for k in range(1, per):
            at = -side / 2 + k * side / per
            grid.add(Line([at, -side / 2, 0], [at, side / 2, 0]), Line([-side / 2, at, 0], [side / 2, at, 0]))
        grid.set_stroke(style.BACKGROUND, 2.5)
    return VGroup(square, grid)


def family_blocks(squares, drawn) -> VGroup:
    """The families' squares in one row, the attention's (neighbours of one kind) two rows high, in a block:
    the row is shorter, so every square is larger."""
    row, block = VGroup(), VGroup()
    for sq, fam in zip(squares, drawn):
        if fam["family"] in ATTENTION_FAMILIES:
            block.add(sq)
            continue
        if len(block):
            row.add(block.arrange_in_grid(rows=2, buff=ROW_GAP / 2) if len(block) > 1 else block)
            block = VGroup()
        row.add(sq)
    if len(block):
        row.add(block.arrange_in_grid(rows=2, buff=ROW_GAP / 2) if len(block) > 1 else block)
    return row.arrange(RIGHT, buff=ROW_GAP * 1.2)


def family_name(name: str, width: float, size: float) -> VGroup:
    """A family's name, broken after its hyphen onto two lines when one is wider than `width`."""
    one = label(name, size=size, color=style.TEXT)
    if one.width <= width or "-" not in name:
        return VGroup(one)
    head, tail = name.split("-", 1)
    return VGroup(label(head + "-", size=size), label(tail, size=size)).arrange(DOWN, buff=0.04)


def square_words(sq, family: str, params) -> tuple[VGroup, VGroup]:
    """A family's name over its count, inside its square, as large as fits (else the name over the square)."""
    for size in (NAME, LABEL, SMALLEST):
        name = family_name(family, sq.width - 0.15, size)
        count = number(params, fmt="comma", size=size)
        both = VGroup(name, count).arrange(DOWN, buff=0.12)
        if both.width <= sq.width - 0.15 and both.height <= sq.height - 0.15:
            both.move_to(sq)
            return name, count
    name = family_name(family, sq.width + ROW_GAP - 0.1, LABEL).next_to(sq, UP, buff=0.12)
    count = number(params, fmt="comma", size=LABEL).move_to(sq)
    if count.width > sq.width - 0.12:  # smaller if need be
        count = number(params, fmt="comma", size=SMALLEST).move_to(sq)
    return name, count


class ParameterTally(TraceScene):
    """Where the weights are: each family a square whose area is its count, named as it grows; the rest;
    all of them merged into the model's square, which then shrinks to its true size beside GPT-3's."""

    TITLE = "Counting the parameters"
    PART = "The weights"
    SUMMARY = "The eight families of weights of the loaded model, the rest, and GPT-3 beside them."
    RENDER_SECONDS = 8
    MODEL_ONLY = True  # the same for every prompt: drawn once per model

    def construct(self):
        self.show_heading()
        self.show_families()
        self.show_rest_and_total()
        self.compare_gpt3()

    def show_heading(self):
        meta, tally = self.trace.fields.meta, self.trace.info["tally"]
        self.heading = sentence(
            "Where the {n} parameters of {model} sit",
            size=HEADING,
            n=(meta.n_params, "comma"),
            model=(meta.model, "text"),
        )
        self.fit_width(self.heading).to_edge(UP, buff=0.35)  # (it comes with the squares)
        drawn = [f for f in tally["families"] if not f.get("shared_with")]
        shared = [f for f in tally["families"] if f.get("shared_with")]  # a tied unembedding: a ghost square
        roots = sum(math.sqrt(f["params"]) for f in drawn)  # every square in one row across the frame
        unit = (ROW_WIDTH - ROW_GAP * len(drawn)) / roots  # (a first guess: the row is fitted to its box below)
        self.squares = VGroup(*(area_square(f["params"], unit, family_color(f["family"])) for f in drawn))  # (no
        # tiles: a family is one square, its count inside)
        self.ghost = None
        row = family_blocks(self.squares, drawn)
        grow = min(ROW_WIDTH / row.width, (ROW_BOX[1] - ROW_BOX[0]) / row.height)
        row.scale(grow).move_to([0, sum(ROW_BOX) / 2, 0])
        self.unit = unit * grow
        self.square_of = {f["family"]: sq for f, sq in zip(drawn, self.squares)}
        if shared:  # the same matrix as the embedding: a dashed outline on its square, with no area of its own
            self.ghost = area_square(shared[0]["params"], self.unit, family_color(shared[0]["shared_with"]))
            self.ghost[0].set_fill(opacity=0)
            self.ghost.outline = DashedVMobject(self.ghost[0].copy().set_stroke(style.NEXT_SLOT, 3), num_dashes=28)
            self.ghost.move_to(self.square_of[shared[0]["shared_with"]])
            self.ghost.outline.move_to(self.ghost).scale(1.08)
            note = VGroup(label("unembedding: the same matrix,", size=LABEL, color=style.NEXT_SLOT),
                          label("counted once", size=LABEL, color=style.NEXT_SLOT)).arrange(RIGHT, buff=0.1)  # fmt: skip
            note.next_to(self.ghost.outline, DOWN, buff=0.15)
            self.ghost_words = note.set_x(max(note.get_x(), -7.0 + note.width / 2 + 0.2))

    def show_families(self):
        tally = self.trace.info["tally"]
        meta = self.trace.meta
        self.beat(
            "Families",
            "This model's weights come in {n} families of matrices: each square's area is its count.",
            n=(self.trace.fields.info.tally.families, "len"),
            say=f"Where do the {big(meta['n_params'])} parameters of {meta['model']} live? Most are weights, in "
            f"{len(tally['families'])} families of matrices, each with its own job.",
        )
        for sq in self.squares:  # faint until each is explained
            sq[0].set_fill(opacity=0.2)
        families = self.trace.fields.info.tally.families
        self.labels, grows = VGroup(), []
        for j, fam in enumerate(tally["families"]):  # each named, with its count, as it grows
            if not fam.get("shared_with"):
                sq = self.square_of[fam["family"]]
                self.labels.add(*square_words(sq, fam["family"], families[j].params))
                grows.append(AnimationGroup(GrowFromCenter(sq[0]), FadeIn(VGroup(*self.labels[-2:])), lag_ratio=0.3))
        every = [sq[0] for sq in self.squares] + ([self.ghost.outline] if self.ghost is not None else [])
        self.play(FadeIn(self.heading), run_time=0.5)  # (the opening frame: the question, then the squares grow)
        self.play(LaggedStart(*grows, lag_ratio=0.25), run_time=max(1.2, said_by(self, 0, 1.0) * 0.75))
        if self.ghost is not None:  # the unembedding: the embedding's own matrix, outlined again, counted once
            self.play(Create(self.ghost.outline), FadeIn(self.ghost_words, shift=0.1 * UP), run_time=0.8)
        cue(self, 1)  # "... in 8 families": a highlight goes from family to family, all 8 on screen
        mark = travel(self, every, max(1.0, said_by(self, 1, 1.0) * 0.8))
        self.play(dim(mark), run_time=0.3)
        for j, fam in enumerate(tally["families"]):
            if fam.get("shared_with"):  # tied: a dashed outline on the embedding's square, no area of its own
                self.name_ghost(fam)
                continue
            self.name_family(j, fam)

    def name_family(self, j: int, fam) -> None:
        """A family's beat: its square lit and marked while its job is said, its shape under the squares."""
        tally = self.trace.info["tally"]
        sq = self.square_of[fam["family"]]
        source = self.count_source(j)
        words = DEFINITIONS.get(fam["family"], fam["family"])
        said = SAID.get(fam["family"], f"Then the {fam['family']}.")
        if fam["family"] == "unembedding" and tally["tied"]:
            said += " Here it reuses the embedding matrix, so it adds no weights."
            words += " (the embedding's matrix, reused)"
        self.beat(fam["family"].capitalize(), words, static=True, say=said)
        mark = SurroundingRectangle(sq, buff=0.06, color=style.NEXT_SLOT)
        last = getattr(self, "source", None)  # its shape under the squares, kept in the frame; the last gives way
        source.set_x(min(max(sq.get_x(), -7.0 + source.width / 2 + 0.2), 7.0 - source.width / 2 - 0.2))
        moves = [sq[0].animate.set_fill(opacity=0.4)]
        moves += [swap(last, source)] if last is not None else [FadeIn(source, shift=0.1 * UP)]
        self.source = source
        self.play(Create(mark), *moves, run_time=max(0.8, 0.6 * said_by(self)), now=True)
        self.play(dim(mark), run_time=0.4)

    def name_ghost(self, fam) -> None:
        """A tied unembedding: the embedding's square outlined again, dashed, as it is named; under it, in place
        of the last shape, that it is the same matrix and counted once (the areas still add up to the total)."""
        words, said = DEFINITIONS["unembedding"] + " (the embedding's matrix, reused)", SAID["unembedding"]
        self.beat("Unembedding", words, static=True, say=said + " Here it reuses the embedding matrix, so it adds "
                  "no weights.")  # fmt: skip
        last, self.source = getattr(self, "source", None), None
        mark = SurroundingRectangle(self.ghost.outline, buff=0.06, color=style.NEXT_SLOT)
        self.play(Create(mark), *([FadeOut(last)] if last is not None else []),
                  run_time=max(0.8, 0.5 * said_by(self, 0)), now=True)  # fmt: skip
        cue(self, 1)  # "it reuses the embedding matrix": its note, lit
        self.play(dim(mark), Indicate(self.ghost_words[1], color=style.NEXT_SLOT, scale_factor=1.15), run_time=1.0)

    def count_source(self, j: int):
        """Where family j's count comes from, read from the Trace: its matrices (by layer where there is one a
        layer) times each one's shape ("8,192 × 256", "4 layers × 256 × 1,024"), on one line under the squares."""
        fam, read = self.trace.info["tally"]["families"][j], self.trace.fields.info.tally.families[j]
        dims = {"a": (read.shape[0], "comma"), "b": (read.shape[1], "comma")}
        meta = self.trace.fields.meta
        if fam["matrices"] == 1:
            line = sentence("{a} × {b}", size=LABEL, color=style.MUTED, **dims)
        elif fam["matrices"] == self.trace.meta["n_layer"] * self.trace.meta["n_head"] != self.trace.meta["n_layer"]:
            line = sentence(
                "{n} layers × {h} heads × {a} × {b}",
                size=LABEL,
                color=style.MUTED,
                n=(meta.n_layer, "int"),
                h=(meta.n_head, "int"),
                **dims,
            )  # fmt: skip (one a head)
        else:
            per = "layers" if fam["matrices"] == self.trace.meta["n_layer"] else "matrices"
            line = sentence("{m} " + per + " × {a} × {b}", size=LABEL, color=style.MUTED,
                            m=(read.matrices, "int"), **dims)  # fmt: skip
        return line.set_y(self.squares.get_bottom()[1] - 0.95)  # (under the unembedding's note)

    def show_rest_and_total(self):
        tally = self.trace.info["tally"]
        rest = ", ".join(part["family"] for part in tally["rest"])
        self.beat("The rest", f"Plus small ones: {rest}.", say="Then come a few small ones, each with its shape.")
        gone = [self.labels] + ([self.source] if self.source is not None else [])  # the families have been named
        gone += [self.ghost_words, self.ghost.outline] if self.ghost is not None else []
        self.play(FadeOut(VGroup(*gone)), run_time=0.5, now=True)
        self.rest, lines = VGroup(), VGroup()
        rest_read = self.trace.fields.info.tally.rest
        for j, part in enumerate(tally["rest"]):
            sq = area_square(part["params"], self.unit, style.MUTED)
            line = VGroup(label(part["family"], size=LABEL + 2, color=style.MUTED),
                          shape_text(rest_read[j].shape, LABEL + 2),
                          number(rest_read[j].params, fmt="comma", size=LABEL + 2))  # fmt: skip
            line.arrange(RIGHT, buff=0.35)
            self.rest.add(sq)
            lines.add(VGroup(sq, line).arrange(RIGHT, buff=0.3))
        lift = 0.4 * UP  # the families' squares rise a little to make room under them, clear of the caption
        lines.arrange(DOWN, buff=0.1, aligned_edge=LEFT).next_to(self.squares, DOWN, buff=0.2).set_x(0).shift(lift)
        self.play(self.squares.animate.shift(lift), LaggedStart(*(FadeIn(ln, shift=0.1 * RIGHT) for ln in lines),
                  lag_ratio=0.3), run_time=said_by(self, -1, 1.0))  # fmt: skip
        self.beat(
            "Total",
            "Together: {n}.",
            n=claim(statements(self.trace)["tally.total"]),
            say=f"Added up, that is {statements(self.trace)['tally.total'].text}.",
        )
        every = VGroup(*(sq[0] for sq in self.squares), *(sq[0] for sq in self.rest))
        self.whole = Square(AREA_SIDE, stroke_color=style.NEXT_SLOT, stroke_width=2, fill_color=style.NEXT_SLOT,
                            fill_opacity=0.3).move_to([-1.2, 0.1, 0])  # fmt: skip
        self.total = number(self.trace.fields.info.tally.total, fmt="comma", size=NUMBER + 8, color=style.NEXT_SLOT)
        self.total.next_to(self.whole, RIGHT, buff=0.4)
        grids = VGroup(*(sq[1] for sq in self.squares))
        self.play(FadeOut(VGroup(*(ln[1] for ln in lines))), FadeOut(grids), run_time=0.6)
        self.play(
            ReplacementTransform(every, self.whole),
            FadeIn(self.total, shift=0.1 * UP),
            run_time=said_by(self, -1, 1.2) * 0.7,
        )  # fmt: skip (the areas add up)

    def compare_gpt3(self):
        t, gpt3 = self.trace, self.trace.info["gpt3"]
        st, info = statements(t), t.fields.info
        self.beat(
            "GPT-3",
            "Counted GPT-3's way, then beside GPT-3's published sizes.",
            static=True,  # "GPT-3" is a name; the figures are still checked against the Trace
            say=self.gpt3_way() + f"Counted that way, this model's {len(t.info['tally']['families'])} families hold "
            f"{big(t.info['tally']['matrix_params'])}. GPT-3 has the same families, only far bigger, in "
            f"{gpt3['dims']['n_layer']} layers. Its vectors have {gpt3['dims']['d_model']:,} numbers, and it knows "
            f"{gpt3['dims']['vocab_size']:,} tokens. That makes {big(gpt3['total'])} weights. Drawn to the same "
            f"scale, this model is the speck in the corner: GPT-3 has {st['tally.gpt3'].text}.",
        )
        counted = self.count_as_gpt3()
        k = 2 + t.info["tally"]["tied"]  # the sentences said so far
        cue(self, k)  # the model's square shrinks to its true share of GPT-3's, whose families grow beside it
        big_sq = self.gpt3_square = Square(GPT3_SIDE).move_to([*GPT3_AT, 0])  # (its outline is never drawn)
        speck_side = GPT3_SIDE * math.sqrt(t.info["tally"]["matrix_params"] / gpt3["total"])
        speck = self.whole.copy().set_stroke(width=0).scale(speck_side / self.whole.width)
        speck.move_to(big_sq.get_corner(DOWN + LEFT) + [-0.45, 0.45, 0])  # at true scale, beside GPT-3's corner
        strips, names = self.gpt3_strips(big_sq)
        dims = sentence("{n} layers, {d} dimensions, {v} tokens", size=LABEL, color=style.MUTED,
                        n=(info.gpt3.dims.n_layer, "int"), d=(info.gpt3.dims.d_model, "comma"),
                        v=(info.gpt3.dims.vocab_size, "comma"))  # fmt: skip
        dims.next_to(big_sq, UP, buff=0.2)
        gpt3_name = label("GPT-3", size=HEADING, color=style.NEXT_SLOT)
        gpt3_name.gptanim_static = True
        total = number(info.gpt3.total, fmt="comma", size=HEADING, color=style.NEXT_SLOT)
        weights = label("weights", size=NAME, color=style.NEXT_SLOT)
        VGroup(gpt3_name, total, weights).arrange(RIGHT, buff=0.3, aligned_edge=DOWN).next_to(dims, UP, buff=0.2)
        ring = Circle(radius=0.3, color=style.NEXT_SLOT, stroke_width=2).move_to(speck)
        name = label(t.meta["model"], size=NAME, color=style.NEXT_SLOT)
        name.gptanim_static = True
        ours = VGroup(counted.copy(), name).arrange(DOWN, buff=0.1, aligned_edge=RIGHT)
        ours.next_to(ring, LEFT, buff=0.2)
        self.play(Transform(self.whole, speck), counted.animate.move_to(ours[0]), GrowFromEdge(strips, UP),
                  run_time=max(1.0, said_by(self, k, 1.5) * 0.5))  # fmt: skip
        self.play(Create(ring), FadeIn(name), FadeIn(gpt3_name),
                  LaggedStart(*(FadeIn(n) for n in names), lag_ratio=0.3), run_time=max(1.2, said_by(self, k) * 0.8))  # fmt: skip
        cue(self, k + 1)  # its sizes, as they are said
        self.play(FadeIn(dims, shift=0.2 * UP), run_time=max(1.0, said_by(self, k + 1) * 0.6))
        cue(self, k + 2)
        self.play(
            strips.copy().animate.scale(0.2).move_to(total).set_opacity(0),
            FadeIn(total),
            FadeIn(weights),
            run_time=max(1.0, said_by(self, k + 2, 1.0) * 0.5),
        )  # fmt: skip (the strips add up, as it is said)
        cue(self, k + 3)  # how many times bigger: this model's square grows into GPT-3's
        self.play(ring.animate.scale(1.3).set_stroke(width=3), rate_func=there_and_back, run_time=1.0)
        copy = self.whole.copy().set_z_index(-1)  # (under GPT-3's strips and their names)
        self.play(copy.animate.replace(big_sq, stretch=True).set_fill(opacity=0.15), FadeOut(names.counts),
                  *(name.animate.move_to(strip) for name, strip in names.inside),  # (the areas say the counts)
                  run_time=max(1.5, 0.45 * said_by(self, k + 3)), now=True)  # fmt: skip
        times = sentence("{r}", size=HEADING + 18, color=style.NEXT_SLOT, r=claim(st["tally.gpt3_times"]))
        ratio = VGroup(times).next_to(ours, UP, buff=0.6)  # (the caption says what it is the ratio of)
        ratio.set_x(min(ratio.get_x(), big_sq.get_left()[0] - 0.25 - ratio.width / 2))  # clear of GPT-3's square
        ratio.set_x(max(ratio.get_x(), -7.0 + ratio.width / 2 + 0.2))
        self.ratio = ratio
        self.play(dim(copy), FadeIn(ratio, scale=1.2), run_time=0.8)  # how many times, large, beside the speck

    def gpt3_way(self) -> str:
        """GPT-3's count leaves the small ones out, and counts a tied unembedding as a matrix of its own."""
        tied = self.trace.info["tally"]["tied"]
        return "GPT-3's published count leaves out the small ones. " + (
            "And it counts the unembedding as a matrix of its own, as big as the embedding. " if tied else ""
        )

    def count_as_gpt3(self):
        """GPT-3's way of counting, worked on the squares: the small ones leave the model's square, a tied
        unembedding's ghost square lights up with its count, and both become one square, the families' count."""
        t, read = self.trace, self.trace.fields.info.tally
        tally = t.info["tally"]
        size = NUMBER + 8
        left = tally["total"] - tally["rest_params"]
        small = VGroup(label("− small ones", size=LABEL + 4, color=style.MUTED),
                       number(read.rest_params, fmt="comma", size=size)).arrange(DOWN, buff=0.1, aligned_edge=LEFT)  # fmt: skip
        small.next_to(self.total, DOWN, buff=0.3).align_to(self.total, LEFT)
        self.play(dim(self.heading), FadeIn(small, shift=0.1 * UP), self.whole.animate.scale(math.sqrt(left /
                  tally["total"])), run_time=max(0.8, said_by(self, 0, 1.0) * 0.6))  # fmt: skip
        parts, gone = VGroup(self.whole), [small]
        if self.ghost is not None:  # its own matrix, GPT-3's way: the ghost lights up with the embedding's count
            cue(self, 1)
            j = len(tally["families"]) - 1  # the unembedding, last
            side = AREA_SIDE * math.sqrt(tally["families"][j]["params"] / tally["total"])  # on the whole's scale
            self.ghost.scale(side / self.ghost[0].width)
            self.ghost.next_to(self.whole, LEFT, buff=0.3).align_to(self.whole, DOWN)  # its own square, left
            count = number(read.families[j].params, fmt="comma", size=LABEL + 2, color=style.POSITIVE)
            count.move_to(self.ghost).scale(min(1.0, (self.ghost.width - 0.15) / count.width))
            name = label("unembedding", size=LABEL, color=style.POSITIVE).next_to(self.ghost, UP, buff=0.12)
            self.ghost[0].set_fill(opacity=0.4).set_stroke(opacity=1)
            self.play(GrowFromCenter(self.ghost[0]), FadeIn(count), FadeIn(name),
                      run_time=max(0.8, said_by(self, 1, 1.0) * 0.6))  # fmt: skip
            parts.add(self.ghost[0])
            gone += [name, count]
        cue(self, 1 + (self.ghost is not None))  # "counted that way, ... hold": one square, the families' count
        grown = self.whole.copy().scale(math.sqrt(tally["matrix_params"] / left)).move_to(self.whole)
        counted = number(read.matrix_params, fmt="comma", size=size, color=style.NEXT_SLOT)
        counted.next_to(grown, RIGHT, buff=0.4)
        self.play(FadeOut(VGroup(*gone)), ReplacementTransform(parts, grown), swap(self.total, counted),
                  run_time=1.2, now=True)  # fmt: skip
        self.whole = grown
        return counted

    def gpt3_strips(self, big_sq) -> tuple[VGroup, VGroup]:
        """GPT-3's families as strips of its square, each as tall as its share, each named with its count inside
        its strip where that fits (on one line, or two), else beside the square at its strip's height (kept
        within the square's: the thin embedding strips are its top and bottom edges)."""
        gpt3 = self.trace.info["gpt3"]
        top, width = big_sq.get_top()[1], big_sq.width
        strips, names = VGroup(), VGroup()
        names.counts, names.inside = VGroup(), []  # (the counts leave at the end: the areas say them)
        for j, fam in enumerate(gpt3["families"]):
            h = GPT3_SIDE * fam["params"] / gpt3["total"]
            color = family_color(fam["family"])
            strip = Rectangle(width=width, height=max(h, 0.01), stroke_color=color, stroke_width=1,
                              fill_color=color, fill_opacity=0.45)  # fmt: skip
            strip.move_to([big_sq.get_x(), top - h / 2, 0])
            top -= h
            strips.add(strip)
            name = label(fam["family"], size=SMALLEST)
            count = number(self.trace.fields.info.gpt3.families[j].params, fmt="comma", size=SMALLEST)
            names.counts.add(count)
            one = VGroup(name, count).arrange(RIGHT, buff=0.25)
            if one.width < width - 0.2 and h > one.height + 0.04:
                names.add(one.move_to(strip))
                names.inside.append((name, strip))
                continue
            two = VGroup(name, count).arrange(DOWN, buff=0.04, aligned_edge=LEFT)
            if h > two.height + 0.1:  # a tall strip: its name over its count, inside
                names.add(two.move_to(strip))
                names.inside.append((name, strip))
                continue
            two.next_to(big_sq, RIGHT, buff=0.25)
            low, high = big_sq.get_bottom()[1] + two.height / 2, big_sq.get_top()[1] - two.height / 2
            names.add(two.set_y(min(max(strip.get_y(), low), high)))
        return strips, names
