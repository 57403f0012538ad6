"""Weights and data: one real matrix-vector product, and where every weight of the model lives."""

from __future__ import annotations

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    FadeIn,
    FadeOut,
    LaggedStart,
    Line,
    SurroundingRectangle,
    TransformFromCopy,
    VGroup,
)

from model.claims import statements
from scenes import style
from scenes.base import TraceScene
from scenes.components import (
    VectorColumn,
    WeightMatrix,
    claim,
    label,
    number,
    sentence,
    statement,
    with_symbols,
)
from scenes.pacing import cue, dim, said_by
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


def shape_text(shape: list[int], path: str):
    """A tally row's shape, every dimension (“9 × 2 × 256”), from the Trace at `path`.shape."""
    fields = {f"s{k}": (n, f"{path}.shape.{k}", "comma") for k, n in enumerate(shape)}
    return sentence(" × ".join(f"{{s{k}}}" for k in range(len(shape))), size=18, **fields)


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


class ParameterTally(TraceScene):
    """The eight families of weights with real shapes and counts, the rest, and GPT-3 beside them."""

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
        meta = self.trace.meta
        self.heading = sentence(
            "Where the {n} weights of {model} are",
            size=30,
            n=(meta["n_params"], "meta.n_params", "comma"),
            model=(meta["model"], "meta.model", "text"),
        )
        self.fit_width(self.heading).to_edge(UP, buff=0.35)
        self.play(FadeIn(self.heading))
        self.xs = [-6.4, -2.9, -0.9, 1.1, 4.3]  # family, shape, matrices, this model, GPT-3 (right edges 2-4)
        self.y = 2.55
        head = VGroup(
            label("family", size=18, color=style.MUTED),
            label("shape", size=18, color=style.MUTED),
            label("matrices", size=18, color=style.MUTED),
            label("weights", size=18, color=style.MUTED),
        )
        self.place(head, 0)
        self.head = head
        self.play(FadeIn(head))

    def place(self, row: VGroup, index: int) -> VGroup:
        y = self.y - 0.4 * index
        for c, cell in enumerate(row):
            if c == 0:
                cell.move_to([self.xs[0], y, 0], aligned_edge=LEFT)
            elif c == 1:
                cell.move_to([self.xs[1], y, 0])
            else:
                cell.move_to([self.xs[c] + 0.9, y, 0], aligned_edge=RIGHT)
        return row

    def show_families(self):
        tally = self.trace.info["tally"]
        meta = self.trace.meta
        self.beat(
            "Families",
            "This model's weights come in {n} families of matrices.",
            n=(tally["families"], "info.tally.families", "len"),
            say=f"Where do the {big(meta['n_params'])} weights of {meta['model']} live? They come in "
            f"{len(tally['families'])} families of matrices, each with its own job.",
        )
        rows = []
        for j, fam in enumerate(tally["families"]):
            p = f"info.tally.families.{j}"
            shape = shape_text(fam["shape"], p)
            if fam.get("shared_with"):
                count = label("(tied)", size=18, color=style.MUTED)
            else:
                count = number(fam["params"], f"{p}.params", "comma", size=18)
            row = VGroup(
                label(fam["family"], size=18, color=style.POSITIVE),
                shape,
                number(fam["matrices"], f"{p}.matrices", "comma", size=18),
                count,
            )
            rows.append(self.place(row, j + 1))
        self.play(FadeIn(rows[0], shift=0.1 * RIGHT), run_time=said_by(self, -1, 1.0))
        # each family then gets a beat: its row is marked while its job is said (its definition the caption)
        mark = None
        for fam, row in zip(tally["families"], rows):
            words = DEFINITIONS.get(fam["family"], fam["family"])
            said = SAID.get(fam["family"], f"Then the {fam['family']}.")
            if fam["family"] == "unembedding" and tally["tied"]:
                said += " Here it reuses the embedding matrix, so it adds no weights."
                words += " (tied: the embedding matrix again)"
            self.beat(fam["family"].capitalize(), words, static=True, say=said)
            box = SurroundingRectangle(row, buff=0.05, color=style.NEXT_SLOT)
            parts = [] if row is rows[0] else [FadeIn(row, shift=0.1 * RIGHT)]
            parts.append(Create(box) if mark is None else mark.animate.become(box))
            self.play(*parts, run_time=max(0.8, 0.6 * said_by(self)))  # the mark travels while the job is said
            mark = mark or box
        self.mark, self.rows = mark, rows

    def show_rest_and_total(self):
        tally = self.trace.info["tally"]
        n_fam = len(tally["families"])
        extra = []
        for j, part in enumerate(tally["rest"]):
            p = f"info.tally.rest.{j}"
            shape = shape_text(part["shape"], p)
            row = VGroup(
                label(part["family"], size=18, color=style.MUTED),
                shape,
                label("", size=18),
                number(part["params"], f"{p}.params", "comma", size=18),
            )
            extra.append(self.place(row, n_fam + 1 + j))
        rest = ", ".join(part["family"] for part in tally["rest"])
        self.beat("The rest", f"Plus small ones: {rest}.", say="Then come a few small ones.")
        fades = [FadeOut(self.mark)] if self.mark is not None else []
        self.play(*fades, LaggedStart(*(FadeIn(r, shift=0.1 * RIGHT) for r in extra), lag_ratio=0.3),
                  run_time=said_by(self, -1, 1.0))  # fmt: skip
        index = n_fam + 1 + len(extra)
        total = self.place(
            VGroup(
                label("total", size=20),
                label("", size=18),
                number(tally["matrices"], "info.tally.matrices", "comma", size=20),
                number(tally["total"], "info.tally.total", "comma", size=20, color=style.NEXT_SLOT),
            ),
            index,
        )
        rule = Line([self.xs[0], 0, 0], [self.xs[4] + 0.95, 0, 0], stroke_width=1, color=style.MUTED)
        rule.set_y(self.y - 0.4 * index + 0.22)
        self.beat(
            "Total",
            "Together: {n}.",
            n=claim(statements(self.trace)["tally.total"]),
            say=f"Added up, that is {statements(self.trace)['tally.total'].text}.",
        )
        counts = [r[3] for r in self.rows + extra if not getattr(r[3], "gptanim_static", False)]
        self.play(Create(rule), FadeIn(VGroup(*total[:3])), run_time=0.8)
        self.play(TransformFromCopy(VGroup(*counts), total[3]), run_time=said_by(self, -1, 1.5))  # the counts add up
        self.total_index, self.total = index, total[3]

    def compare_gpt3(self):
        gpt3 = self.trace.info["gpt3"]
        head = label("GPT-3", size=18, color=style.NEXT_SLOT)
        head.gptanim_static = True
        head.move_to([self.xs[4] + 0.9, self.y, 0], aligned_edge=RIGHT)
        ours = [fam["family"] for fam in self.trace.info["tally"]["families"]]  # GPT-3 has no gate-projection
        cells = [
            number(fam["params"], f"info.gpt3.families.{j}.params", "comma", size=18).move_to(
                [self.xs[4] + 0.9, self.y - 0.4 * (ours.index(fam["family"]) + 1), 0], aligned_edge=RIGHT
            )
            for j, fam in enumerate(gpt3["families"])
        ]
        total = number(gpt3["total"], "info.gpt3.total", "comma", size=20, color=style.NEXT_SLOT)
        total.move_to([self.xs[4] + 0.9, self.y - 0.4 * self.total_index, 0], aligned_edge=RIGHT)
        self.beat(
            "GPT-3",
            "GPT-3 (published sizes): {m} such matrices, {x}.",
            static=True,  # "GPT-3" is a name; the figures are still checked against the Trace
            m=(gpt3["matrices"], "info.gpt3.matrices", "comma"),
            x=claim(statements(self.trace)["tally.gpt3"]),
            say=f"GPT-3 has the same families, only far bigger. From its published sizes, that makes "
            f"{big(gpt3['total'])} weights. Counted the way GPT-3 is counted, this model's families hold "
            f"{big(self.trace.info['tally']['matrix_params'])}. So GPT-3 has "
            f"{statements(self.trace)['tally.gpt3'].text}.",
        )
        # GPT-3's total counts its eight families only: this model's count beside it is of the same families
        same = statement(statements(self.trace)["tally.families"], size=18, color=style.MUTED)
        self.fit_width(same).next_to(total, DOWN, buff=0.35).align_to(total, RIGHT)
        self.play(FadeIn(head), LaggedStart(*(FadeIn(c, shift=0.1 * LEFT) for c in cells), lag_ratio=0.2),
                  run_time=said_by(self, 0, 2.0))  # fmt: skip
        cue(self, 1)
        self.play(FadeIn(total, shift=0.1 * UP), run_time=1.0)
        cue(self, 2)
        self.play(FadeIn(same, shift=0.1 * UP), run_time=1.0)
        cue(self, 3)
        self.play(*(Create(SurroundingRectangle(m, buff=0.06, color=style.NEXT_SLOT)) for m in (same, total)),
                  run_time=0.8)  # the two counts of the same families side by side  # fmt: skip
