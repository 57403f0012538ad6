"""Weights and data: one real matrix-vector product, and where every weight of the model lives."""

from __future__ import annotations

import math
from collections.abc import Sequence

from manim import (
    DOWN,
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    BackgroundRectangle,
    Circle,
    Create,
    FadeIn,
    FadeOut,
    GrowFromEdge,
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
    VectorColumn,
    WeightMatrix,
    claim,
    label,
    number,
    sentence,
    statement,
    with_symbols,
)
from scenes.pacing import cue, dim, said_by, travel
from scenes.speech import big, dec

TERMS = 5  # products shown one by one before jumping to the full sum


class WeightsAndData(TraceScene):
    """Weights (coloured by sign) times data (grey): a real query entry, summed term by term."""

    TITLE = "Weights and data"
    PART = "The weights"
    SUMMARY = "Weights versus data, and one real query entry summed term by term."
    RENDER_SECONDS = 8

    ROWS, COLS = 4, 6

    def construct(self):
        self.show_product()
        self.sum_one_row()
        self.training_note()

    def show_product(self):
        t = self.trace
        W = t.attn.W_Q[0, 0]  # block 0, head 0: (d_model, d_head); shown turned, row j makes query entry j
        self.matrix = WeightMatrix(W.value.T, lambda r, c: W[c, r].path, self.ROWS, self.COLS, size=18)
        self.vector = VectorColumn(t.ln1.normalized[0, 0], shown=self.COLS, size=18, dim_path=None)  # position 0
        self.result = VectorColumn(t.attn.q[0, 0, 0], shown=self.ROWS, size=18, dim_path=None)  # position 0, head 0
        times, equals = label("×", size=30), label("=", size=30)
        product = VGroup(self.matrix, times, self.vector, equals, self.result)
        product.arrange(RIGHT, buff=0.3).move_to([0, 1.45, 0])
        titles = VGroup(
            with_symbols("weights $W_Q$ of layer 1, head 1", size=18, color=style.POSITIVE),
            label("data", size=18, color=style.MUTED),
            label("query", size=18, color=style.QUERY),
        )
        top = max(part.get_top()[1] for part in (self.matrix, self.vector, self.result)) + 0.25
        for title, part in zip(titles, (self.matrix, self.vector, self.result)):
            title.move_to([part.get_x(), top, 0])
        self.titles = titles
        self.beat(
            "Weights and data",
            "Weights are the model's fixed numbers (blue +, red −); data flows through them (grey).",
            say="One distinction runs through everything. Weights, in blue and red, are learned once and then fixed. "
            "Data, in grey, is the current token's vector, and it changes with every prompt.",
        )
        self.play(FadeIn(self.matrix), FadeIn(titles[0]))
        cue(self, 1)
        mark = SurroundingRectangle(self.matrix, buff=0.1, color=style.POSITIVE)
        self.play(Create(mark), run_time=0.8)
        cue(self, 2)
        self.play(FadeIn(self.vector, shift=0.3 * LEFT), FadeIn(titles[1]), FadeIn(times),
                  mark.animate.become(SurroundingRectangle(self.vector, buff=0.1, color=style.MUTED)))  # fmt: skip
        self.beat(
            "Matrix times vector",
            "Almost everything a GPT computes is a weighted sum: a matrix times a vector.",
            say="They meet in a matrix times a vector. This one makes a query, for the first head of the first layer. "
            "Almost everything a GPT computes looks like this.",
        )
        self.play(FadeOut(mark), FadeIn(equals),
                  LaggedStart(*(TransformFromCopy(self.matrix.grid[r], self.result.entries[r]) for r in range(self.ROWS)),
                              lag_ratio=0.2), FadeIn(self.result.decor), run_time=said_by(self, 0, 1.5))  # fmt: skip
        cue(self, 1)
        self.play(FadeIn(titles[2], shift=0.1 * DOWN))
        cue(self, 2)  # "almost everything looks like this": the whole product, weights times data
        whole = SurroundingRectangle(product, buff=0.15, color=style.MUTED)
        self.play(Create(whole), run_time=said_by(self, 2, 1.0) * 0.7)
        self.play(dim(whole), run_time=0.5)
        self.product = VGroup(product, titles)

    def sum_one_row(self):
        t = self.trace
        d = t.meta["d_model"]
        row = SurroundingRectangle(self.matrix.grid[0], buff=0.08, color=style.QUERY)
        self.beat(
            "One entry",
            "One query entry is the sum of {d} products, weight × data, "
            + ("plus a bias:" if t.words["query_bias"] else "and no bias (this model has none):"),
            d=(t.fields.meta.d_model, "int"),
            say=f"Take one row of weights. Each weight is multiplied by the matching data entry. Then all {d} "
            "products are added up, "
            + ("plus a bias. " if t.words["query_bias"] else "with no bias in this model. ")
            + f"The result, {dec(t.attn.q[0, 0, 0, 0].value, 2)}, is one entry of the query.",
        )
        self.play(Create(row), run_time=said_by(self, 0, 0.8))
        cue(self, 1)
        table, rest, bias, total = self.products_table()
        rule = self.place_table(table, rest, bias, total)
        self.play(FadeIn(table[0]), run_time=0.5)
        # The row leaves the matrix and meets the vector: weight i beside data entry i, then their product,
        # then the running sum.
        lines = table[1:]
        self.play(
            LaggedStart(*(TransformFromCopy(self.matrix.grid[0][i], line[0]) for i, line in enumerate(lines)), lag_ratio=0.15),
            LaggedStart(*(TransformFromCopy(self.vector.entries[i], line[1]) for i, line in enumerate(lines)), lag_ratio=0.15),
            run_time=2,
        )  # fmt: skip
        self.play(LaggedStart(*(TransformFromCopy(VGroup(line[0], line[1]), line[2]) for line in lines), lag_ratio=0.2),
                  run_time=1.5)  # fmt: skip
        cue(self, 2)
        self.play(
            LaggedStart(
                *(TransformFromCopy(line[2], line[3]) for line in lines),  # each product joins the sum
                lag_ratio=0.3,
            ),
            run_time=2,
        )  # fmt: skip
        self.play(FadeIn(rest), run_time=0.6)
        self.play(FadeIn(bias), Create(rule), run_time=0.6)
        cue(self, 3)
        self.play(FadeIn(total), dim(row))
        self.table = VGroup(table, rest, bias, total, rule)

    def products_table(self) -> tuple[VGroup, VGroup, VGroup, VGroup]:
        """The first query entry's sum, term by term: a header and a line per shown term (weight, data, product,
        running sum), the rest of the terms, the bias and the total."""
        t = self.trace
        table = VGroup()
        head = VGroup(
            label("weight", size=18, color=style.MUTED),
            label("data", size=18, color=style.MUTED),
            label("product", size=18, color=style.MUTED),
            label("running sum", size=18, color=style.MUTED),
        )
        table.add(head)
        W, x = t.attn.W_Q[0, 0], t.ln1.normalized[0, 0]  # block 0: head 0's weights, position 0's data
        products, sums = t.stored("matvec.products"), t.stored("matvec.partial_sums")
        w_scale = float(abs(W.value[:TERMS, 0]).max()) or 1.0
        for i in range(TERMS):
            w = W[i, 0]  # the weight of data entry i in query entry 0
            table.add(
                VGroup(
                    number(w, fmt="value3", size=18, color=style.weight_color(w.value, w_scale)),
                    number(x[i], fmt="value3", size=18),
                    number(products[i], fmt="value3", size=18),
                    number(sums[i], fmt="value3", size=18),
                )
            )
        rest = VGroup(
            sentence("… up to term {d}", size=18, color=style.MUTED, d=(t.fields.meta.d_model, "int")),
            number(sums[len(sums) - 1], fmt="value3", size=18),
        )
        bias = VGroup(
            label("+ bias" if self.trace.words["query_bias"] else "+ no bias", size=18, color=style.MUTED),
            number(t.attn.b_Q[0, 0, 0], fmt="value3", size=18),
        )
        total = VGroup(
            statement(statements(t)["matvec.total"], size=18, color=style.QUERY),
            number(t.attn.q[0, 0, 0, 0], fmt="value3", size=18, color=style.QUERY),
        )
        return table, rest, bias, total

    def place_table(self, table: VGroup, rest: VGroup, bias: VGroup, total: VGroup) -> Line:
        """The table's cells in four columns under the product; the rule above the total."""
        xs = [-3.6, -1.6, 0.4, 2.8]
        top = self.product.get_bottom()[1] - 0.3
        for r, line in enumerate(table):
            for c, cell in enumerate(line):
                cell.move_to([xs[c], top - 0.32 * r, 0])
        for r, line in enumerate((rest, bias, total)):
            y = top - 0.32 * (TERMS + 1 + r) - 0.05
            line[0].move_to([xs[0], y, 0], aligned_edge=LEFT).shift(0.55 * LEFT)
            line[1].move_to([xs[3], y, 0])
        rule = Line([xs[0] - 0.6, 0, 0], [xs[3] + 0.7, 0, 0], stroke_width=1, color=style.MUTED)
        rule.set_y((bias.get_bottom()[1] + total.get_top()[1]) / 2)
        return rule

    def training_note(self):
        self.beat(
            "Training",
            "Training tunes the weights so the model predicts text well; the data changes with every prompt.",
            say="Training sets the weights, a little at a time, so that the model predicts real text better. After "
            "that, only the data changes.",
        )
        mark = SurroundingRectangle(self.matrix, buff=0.1, color=style.POSITIVE)
        self.play(Create(mark), run_time=said_by(self, 0, 1.0))
        cue(self, 1)
        self.play(mark.animate.become(SurroundingRectangle(self.vector, buff=0.1, color=style.MUTED)), run_time=1.0)


def shape_text(shape: list[int], path: str, size: float = SMALLEST + 2):
    """A tally row's shape, every dimension (“9 × 2 × 256”), from the Trace at `path`.shape."""
    fields = {f"s{k}": (n, f"{path}.shape.{k}", "comma") for k, n in enumerate(shape)}
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


AREA_SIDE = 3.9  # frame units: the side of the square whose area is all of this model's weights
GPT3_SIDE = 4.4  # ... and of GPT-3's, when the model's square has shrunk to its true share of it
ROW_GAP = 0.3  # between the families' squares
ROW_BASE = -1.2  # the families' squares stand on this line
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


def family_name(name: str, width: float, size: float) -> VGroup:
    """A family's name, broken after its hyphen onto two lines when one is wider than `width`."""
    one = label(name, size=size, color=style.TEXT)
    if one.width <= width or "-" not in name:
        return VGroup(one)
    head, tail = name.split("-", 1)
    return VGroup(label(head + "-", size=size), label(tail, size=size)).arrange(DOWN, buff=0.04)


def unstack(labels: Sequence, step: float) -> None:
    """Labels in a row that would touch their neighbour: every other one moves a line lower."""
    for a, b in zip(labels, labels[1:]):
        if b.get_left()[0] < a.get_right()[0] + 0.1 and abs(a.get_y() - b.get_y()) < 1e-6:
            b.shift(step * DOWN)


class ParameterTally(TraceScene):
    """Where the weights are: each family a square whose area is its count, tiled by its matrices; the rest;
    all of them merged into the model's square, which then shrinks to its true size beside GPT-3's."""

    TITLE = "Counting the parameters"
    PART = "The weights"
    SUMMARY = "The eight families of weights of the loaded model, the rest, and GPT-3 beside them."
    RENDER_SECONDS = 8

    def construct(self):
        self.show_heading()
        self.show_families()
        self.show_rest_and_total()
        self.compare_gpt3()

    def show_heading(self):
        meta, tally = self.trace.meta, self.trace.info["tally"]
        self.heading = sentence(
            "Where the {n} weights of {model} are",
            size=HEADING,
            n=(meta["n_params"], "meta.n_params", "comma"),
            model=(meta["model"], "meta.model", "text"),
        )
        self.fit_width(self.heading).to_edge(UP, buff=0.35)
        self.play(FadeIn(self.heading))
        self.unit = AREA_SIDE / math.sqrt(tally["total"])
        drawn = [f for f in tally["families"] if not f.get("shared_with")]
        self.squares = VGroup(*(area_square(f["params"], self.unit, family_color(f["family"]), f["matrices"])
                                for f in drawn))  # fmt: skip
        self.squares.arrange(RIGHT, buff=ROW_GAP, aligned_edge=DOWN).move_to(ORIGIN).set_y(ROW_BASE, DOWN)
        self.square_of = {f["family"]: sq for f, sq in zip(drawn, self.squares)}

    def show_families(self):
        tally = self.trace.info["tally"]
        meta = self.trace.meta
        self.beat(
            "Families",
            "This model's weights come in {n} families of matrices: each square's area is its count.",
            n=(tally["families"], "info.tally.families", "len"),
            say=f"Where do the {big(meta['n_params'])} weights of {meta['model']} live? They come in "
            f"{len(tally['families'])} families of matrices, each with its own job.",
        )
        for sq in self.squares:
            sq[0].set_fill(opacity=0)
        self.play(LaggedStart(*(Create(sq[0]) for sq in self.squares), lag_ratio=0.15),
                  run_time=said_by(self, -1, 1.0))  # fmt: skip
        names, counts, self.labels = [], [], VGroup()
        for j, fam in enumerate(tally["families"]):
            p = f"info.tally.families.{j}"
            sq = self.square_of.get(fam["shared_with"]) if fam.get("shared_with") else self.square_of[fam["family"]]
            slot = sq.width + ROW_GAP - 0.1
            name = family_name(fam["family"], slot, SMALLEST + 2).next_to(sq, UP, buff=0.12)
            if fam.get("shared_with"):  # tied: the same square, named a second time above its first name
                name = label(f"= {fam['family']}", size=SMALLEST, color=style.MUTED).next_to(names[-len(names)],
                                                                                           UP, buff=0.08)  # fmt: skip
                count = None
            else:
                count = number(fam["params"], f"{p}.params", "comma", size=SMALLEST).next_to(sq, DOWN, buff=0.15)
                names.append(name)
                counts.append(count)
            words = DEFINITIONS.get(fam["family"], fam["family"])
            said = SAID.get(fam["family"], f"Then the {fam['family']}.")
            if fam["family"] == "unembedding" and tally["tied"]:
                said += " Here it reuses the embedding matrix, so it adds no weights."
                words += " (tied to the embedding)"
            self.beat(fam["family"].capitalize(), words, static=True, say=said)
            if count is not None:
                unstack(counts, 0.34)
            shown = [name] if count is None else [name, count]
            self.labels.add(*shown)
            mark = SurroundingRectangle(sq, buff=0.06, color=style.NEXT_SLOT)
            self.play(sq[0].animate.set_fill(opacity=0.4), FadeIn(VGroup(*shown), shift=0.1 * DOWN), Create(mark),
                      run_time=max(0.8, 0.6 * said_by(self)))  # fmt: skip
            self.play(dim(mark), run_time=0.4)

    def show_rest_and_total(self):
        tally = self.trace.info["tally"]
        rest = ", ".join(part["family"] for part in tally["rest"])
        self.beat("The rest", f"Plus small ones: {rest}.", say="Then come a few small ones.")
        self.play(FadeOut(self.labels), run_time=0.5)  # the families have been named: their room is the rest's
        self.rest, lines = VGroup(), VGroup()
        for j, part in enumerate(tally["rest"]):
            p = f"info.tally.rest.{j}"
            sq = area_square(part["params"], self.unit, style.MUTED)
            line = VGroup(label(part["family"], size=SMALLEST + 2, color=style.MUTED), shape_text(part["shape"], p),
                          number(part["params"], f"{p}.params", "comma", size=SMALLEST + 2))  # fmt: skip
            line.arrange(RIGHT, buff=0.35)
            self.rest.add(sq)
            lines.add(VGroup(sq, line).arrange(RIGHT, buff=0.3))
        lines.arrange(DOWN, buff=0.22, aligned_edge=LEFT).move_to([0, 2.0, 0])
        self.play(LaggedStart(*(FadeIn(ln, shift=0.1 * RIGHT) for ln in lines), lag_ratio=0.3),
                  run_time=said_by(self, -1, 1.0))  # fmt: skip
        self.beat(
            "Total",
            "Together: {n}.",
            n=claim(statements(self.trace)["tally.total"]),
            say=f"Added up, that is {statements(self.trace)['tally.total'].text}.",
        )
        every = VGroup(*(sq[0] for sq in self.squares), *(sq[0] for sq in self.rest))
        self.whole = Square(AREA_SIDE, stroke_color=style.NEXT_SLOT, stroke_width=2, fill_color=style.NEXT_SLOT,
                            fill_opacity=0.3).move_to([0, -0.35, 0])  # fmt: skip
        self.total = number(tally["total"], "info.tally.total", "comma", size=NUMBER + 8, color=style.NEXT_SLOT)
        self.total.next_to(self.whole, DOWN, buff=0.2)
        grids = VGroup(*(sq[1] for sq in self.squares))
        self.play(FadeOut(VGroup(*(ln[1] for ln in lines))), FadeOut(grids), run_time=0.6)
        self.play(ReplacementTransform(every, self.whole), run_time=said_by(self, -1, 1.2))  # the areas add up
        self.play(FadeIn(self.total, shift=0.1 * UP), run_time=0.6)

    def compare_gpt3(self):
        gpt3 = self.trace.info["gpt3"]
        st = statements(self.trace)
        self.beat(
            "GPT-3",
            "GPT-3 (published sizes) has {x}.",
            static=True,  # "GPT-3" is a name; the figures are still checked against the Trace
            x=claim(st["tally.gpt3"]),
            say=f"GPT-3 has the same families, only far bigger. From its published sizes, that makes "
            f"{big(gpt3['total'])} weights. Counted the way GPT-3 is counted, this model's families hold "
            f"{big(self.trace.info['tally']['matrix_params'])}. So GPT-3 has {st['tally.gpt3'].text}.",
        )
        big_sq = Square(GPT3_SIDE).move_to([2.4, -0.55, 0])
        speck_side = GPT3_SIDE * math.sqrt(self.trace.info["tally"]["total"] / gpt3["total"])
        speck = self.whole.copy().set_stroke(width=0).scale(speck_side / AREA_SIDE).move_to([-4.4, -1.2, 0])
        strips, names = self.gpt3_strips(big_sq)
        self.play(Transform(self.whole, speck), FadeOut(self.total),
                  LaggedStart(*(GrowFromEdge(s, UP) for s in strips), lag_ratio=0.1),
                  run_time=said_by(self, 0, 1.5))  # fmt: skip
        self.play(LaggedStart(*(FadeIn(n) for n in names), lag_ratio=0.1), run_time=0.8)
        cue(self, 1)
        title = VGroup(
            label("GPT-3", size=LABEL, color=style.NEXT_SLOT),
            number(gpt3["total"], "info.gpt3.total", "comma", size=NUMBER + 6, color=style.NEXT_SLOT),
            sentence("in {m} matrices", size=SMALLEST, m=(gpt3["matrices"], "info.gpt3.matrices", "comma")),
        )
        title.arrange(DOWN, buff=0.1).move_to(big_sq)  # fmt: skip
        title[0].gptanim_static = True
        plate = BackgroundRectangle(title, color=style.BACKGROUND, fill_opacity=0.85, buff=0.15)
        self.play(dim(names), run_time=0.6)  # (a removal would wait for the beat's words to end)
        mark = travel(self, strips, max(1.0, said_by(self, 1) - 1.2))  # the families added up, strip by strip
        self.play(dim(mark), FadeIn(plate), FadeIn(title, shift=0.1 * UP), run_time=1.0)
        cue(self, 2)
        ring = Circle(radius=0.3, color=style.NEXT_SLOT, stroke_width=2).move_to(self.whole)
        ours = VGroup(
            label(self.trace.meta["model"], size=LABEL, color=style.NEXT_SLOT),
            number(self.trace.info["tally"]["total"], "info.tally.total", "comma", size=NUMBER),
        )
        ours.arrange(DOWN, buff=0.1).next_to(ring, UP, buff=0.25)  # fmt: skip
        ours[0].gptanim_static = True
        same = statement(st["tally.families"], size=SMALLEST + 2, color=style.MUTED)
        self.fit_width(same).next_to(self.heading, DOWN, buff=0.3)
        self.play(Create(ring), FadeIn(ours, shift=0.1 * UP), FadeIn(same), run_time=said_by(self, 2, 1.0))
        cue(self, 3)
        self.play(ring.animate.scale(1.3).set_stroke(width=3), rate_func=there_and_back, run_time=1.0)

    def gpt3_strips(self, big_sq) -> tuple[VGroup, VGroup]:
        """GPT-3's families as strips of its square, each as tall as its share; each named with its count,
        inside its strip where that fits, else beside the square."""
        gpt3 = self.trace.info["gpt3"]
        top, width = big_sq.get_top()[1], big_sq.width
        strips, names, outside = VGroup(), VGroup(), []
        for j, fam in enumerate(gpt3["families"]):
            h = GPT3_SIDE * fam["params"] / gpt3["total"]
            color = family_color(fam["family"])
            strip = Rectangle(width=width, height=max(h, 0.01), stroke_color=color, stroke_width=1,
                              fill_color=color, fill_opacity=0.45)  # fmt: skip
            strip.move_to([big_sq.get_x(), top - h / 2, 0])
            top -= h
            strips.add(strip)
            name = label(fam["family"], size=SMALLEST)
            count = number(fam["params"], f"info.gpt3.families.{j}.params", "comma", size=SMALLEST)
            one = VGroup(name, count).arrange(RIGHT, buff=0.25)
            if one.width < width - 0.2 and h > one.height + 0.06:
                names.add(one.move_to(strip))
            elif h > 2 * one.height + 0.1:
                names.add(VGroup(name, count).arrange(DOWN, buff=0.06).move_to(strip))
            else:
                two = VGroup(name, count).arrange(DOWN, buff=0.04, aligned_edge=LEFT)
                outside.append(two.next_to(strip, RIGHT, buff=0.25))
                names.add(two)
        for a, b in zip(outside, outside[1:]):  # beside the square, one under the other
            if b.get_top()[1] > a.get_bottom()[1] - 0.08:
                b.next_to(a, DOWN, buff=0.08, aligned_edge=LEFT)
        return strips, names
