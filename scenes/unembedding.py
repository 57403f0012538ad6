"""The end of the pipeline: unembedding, softmax, temperature, and truncated sampling."""

from __future__ import annotations

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    FadeIn,
    FadeOut,
    GrowFromEdge,
    LaggedStart,
    Line,
    MathTex,
    SurroundingRectangle,
    ValueTracker,
    VGroup,
    always_redraw,
)

from model.claims import RULES, Statement, statements
from model.sampling import softmax, top_entries
from scenes import style
from scenes.base import TraceScene
from scenes.components import (
    ProbabilityBars,
    TokenRow,
    VectorColumn,
    WeightMatrix,
    claim,
    label,
    number,
    sentence,
    statement,
    token_text,
)
from scenes.speech import big, dec, pct, spoken_token

BARS = 8


def vocab_path(token_id: int) -> str:
    return f"info.vocab_display.{token_id}"


class Unembedding(TraceScene):
    """The last vector times the unembedding matrix: one logit per token of the vocabulary."""

    ROWS, COLS = 6, 6

    def construct(self):
        self.show_last_vector()
        self.multiply()
        self.lowest_logits()
        self.why_last()

    def show_last_vector(self):
        t = self.trace
        self.last = len(t.token_ids) - 1
        x = t["ln_final.hook_normalized"][self.last]
        self.vector = VectorColumn(
            x, lambda i: f"ln_final.hook_normalized[{self.last},{i}]", shown=self.COLS, size=16
        ).move_to([1.7, 0.3, 0])
        norm = self.trace.words["norm"]
        title = label(f"last vector, after the final {norm}", size=18, color=style.MUTED)
        self.vector_title = title.next_to(self.vector, UP, buff=0.3)
        self.beat(
            "The last vector",
            f"After the last layer, the vector at the last position goes through a final {norm}.",
            say=f"At the end of the network, the last position's vector, for "
            f"{spoken_token(t.token_display[self.last])}, is rescaled by a final {norm}. It alone predicts the "
            "next token.",
        )
        self.play(FadeIn(self.vector), FadeIn(title))

    def multiply(self):
        t = self.trace
        ids = t.info["unembed_ids"][: self.ROWS]
        W = t["weights.W_U_rows"]
        matrix = WeightMatrix(W, lambda r, c: f"weights.W_U_rows[{r},{c}]", self.ROWS, self.COLS, size=15)
        matrix.next_to(self.vector, LEFT, buff=0.7)
        times = label("×", size=28).move_to((matrix.get_right() + self.vector.get_left()) / 2)
        rows = VGroup(
            *(
                token_text(t.info["vocab_display"][str(i)], vocab_path(i), size=18, color=style.token_hue(r), limit=9)
                .next_to(matrix.grid[r], LEFT, buff=0.35)
                .set_y(matrix.grid[r].get_y())
                for r, i in enumerate(ids)
            )
        )
        logits = VGroup(
            *(
                number(float(t["logits"][i]), f"logits[{i}]", size=18).move_to([4.6, matrix.grid[r].get_y(), 0])
                for r, i in enumerate(ids)
            )
        )
        equals = label("=", size=28).move_to([3.55, self.vector.get_y(), 0])
        head = label("W_U (unembedding)", size=18, color=style.POSITIVE).next_to(matrix, UP, buff=0.3)
        head.align_to(self.vector_title, DOWN)
        logit_head = label("logits", size=18, color=style.MUTED).move_to([4.6, self.vector_title.get_y(), 0])
        count = sentence(
            "{v} logits, one per token",
            size=16,
            color=style.MUTED,
            v=(t.meta["vocab_size"], "meta.vocab_size", "comma"),
        ).next_to(logits, DOWN, buff=0.5)
        count.set_x(4.6)
        dims = sentence(
            "{v} × {d}",
            size=16,
            color=style.MUTED,
            v=(t.meta["vocab_size"], "meta.vocab_size", "comma"),
            d=(t.meta["d_model"], "meta.d_model", "int"),
        ).next_to(matrix, DOWN, buff=0.2)
        self.beat(
            "Unembedding",
            "The unembedding matrix has one row per token: each row's dot product with the vector is that token's logit.",
            say=f"The unembedding matrix has a row per token. Each row's dot product with the vector is that token's "
            f"score, its logit: {spoken_token(t.info['vocab_display'][str(ids[0])])} scores "
            f"{dec(t['logits'][ids[0]])}.",
        )
        self.play(FadeIn(matrix), FadeIn(rows), FadeIn(head), FadeIn(times), FadeIn(dims))
        self.play(FadeIn(equals), LaggedStart(*(FadeIn(n) for n in logits), lag_ratio=0.1), FadeIn(logit_head))
        self.play(FadeIn(count))
        self.count = count

    def lowest_logits(self):
        t = self.trace
        low = t.info["lowest_logit_ids"][:3]
        fields = {}
        parts = []
        for k, i in enumerate(low):
            fields[f"t{k}"] = (t.info["vocab_display"][str(i)], vocab_path(i), "text")
            fields[f"x{k}"] = (float(t["logits"][i]), f"logits[{i}]", "value")
            parts.append(f"“{{t{k}}}” {{x{k}}}")
        line = sentence("lowest: " + ",  ".join(parts), size=18, color=style.MUTED, **fields)
        self.fit_width(line).move_to([0, -2.75, 0])
        self.beat(
            "Highest and lowest",
            "The highest logits are the likeliest next tokens; the lowest, the least likely.",
            say=f"High scores become likely tokens, low ones unlikely. Lowest of all: "
            f"{spoken_token(t.info['vocab_display'][str(low[0])])}, at {dec(t['logits'][low[0]])}.",
        )
        self.play(FadeIn(line))

    def why_last(self):
        self.beat(
            "Why the last",
            "In training every position predicts its own next token; to continue the text only the last one counts.",
            say="Every position predicts its own next token, and training scores them all. To continue the text, "
            "only the last one is new.",
        )
        self.wait(1.5)


class Softmax(TraceScene):
    """Logits to probabilities: exponentiate, add up over the whole vocabulary, divide."""

    def construct(self):
        self.show_formula()
        self.show_table()
        self.show_others()

    def show_formula(self):
        self.formula = MathTex(r"p_i = \frac{e^{x_i}}{\sum_j e^{x_j}}", font_size=44).to_edge(UP, buff=0.3)
        self.beat(
            "Softmax",
            "Softmax turns any list of scores into probabilities: positive, and adding up to 1.",
            say="Logits can be any numbers. Softmax turns them into probabilities, positive and adding up to one. "
            "Let's do it by hand.",
        )
        self.play(FadeIn(self.formula))

    def show_table(self):
        sm = self.trace.info["softmax"]
        self.xs = [-5.6, -3.0, -0.6, 1.9, 4.6]
        self.top = 1.6
        head = VGroup(
            label("token", size=18, color=style.MUTED),
            label("logit x", size=18, color=style.MUTED),
            label("e^(x − max)", size=18, color=style.MUTED),
            label("÷ sum", size=18, color=style.MUTED),
            label("probability", size=18, color=style.MUTED),
        )
        self.place(head, -1)
        rows = []
        for r, i in enumerate(sm["ids"]):
            p = "info.softmax"
            rows.append(
                self.place(
                    VGroup(
                        token_text(self.trace.info["vocab_display"][str(i)], vocab_path(i), size=18, limit=10),
                        number(sm["logits"][r], f"{p}.logits.{r}", size=18),
                        number(sm["exp_shifted"][r], f"{p}.exp_shifted.{r}", "exp", size=18),
                        number(sm["sum_exp_shifted"], f"{p}.sum_exp_shifted", "exp", size=18, color=style.MUTED),
                        number(sm["probs"][r], f"{p}.probs.{r}", "percent", size=18),
                    ),
                    r,
                )
            )
        self.beat(
            "Exponentiate",
            "Subtracting the largest logit first ({m}) changes no probability and keeps the numbers small.",
            m=(sm["shift"], "info.softmax.shift", "value"),
            say=f"Step one: subtract the largest logit, {dec(sm['shift'])}, which changes no probability, and raise "
            f"e to each. The top token gets one, the next {dec(sm['exp_shifted'][1], 2)}.",
        )
        self.play(FadeIn(head), LaggedStart(*(FadeIn(VGroup(*row[:3])) for row in rows), lag_ratio=0.1))
        self.beat(
            "Normalise",
            "Divide by the sum over all {v} tokens: the probabilities add up to exactly 1.",
            v=(self.trace.meta["vocab_size"], "meta.vocab_size", "comma"),
            say=f"Step two: add them up over all {big(self.trace.meta['vocab_size'])} tokens, "
            f"{dec(sm['sum_exp_shifted'], 2)}, and divide. "
            f"{spoken_token(self.trace.info['vocab_display'][str(sm['ids'][0])], start=True)} gets "
            f"{pct(sm['probs'][0])}.",
        )
        self.play(LaggedStart(*(FadeIn(VGroup(*row[3:])) for row in rows), lag_ratio=0.1))
        self.rows = rows

    def place(self, row: VGroup, r: int) -> VGroup:
        y = self.top - 0.38 * r
        row[0].move_to([self.xs[0], y, 0], aligned_edge=LEFT)
        for c in range(1, len(row)):
            row[c].move_to([self.xs[c] + 0.8, y, 0], aligned_edge=RIGHT)
        return row

    def show_others(self):
        sm = self.trace.info["softmax"]
        n = len(sm["ids"])
        others = self.place(
            VGroup(
                label("all other tokens", size=18, color=style.MUTED),
                label("", size=18),
                label("", size=18),
                label("", size=18),
                number(sm["others"], "info.softmax.others", "percent", size=18, color=style.MUTED),
            ),
            n,
        )
        rule = Line([self.xs[0], 0, 0], [self.xs[4] + 0.85, 0, 0], stroke_width=1, color=style.MUTED)
        rule.set_y(self.top - 0.38 * n + 0.2)
        total = VGroup(label("total", size=18), statement(statements(self.trace)["softmax.total"], size=18))
        y = self.top - 0.38 * (n + 1)
        total[0].move_to([self.xs[0], y, 0], aligned_edge=LEFT)
        total[1].move_to([self.xs[4] + 0.8, y, 0], aligned_edge=RIGHT)  # under the probabilities
        self.beat(
            "The rest",
            "The shown tokens and all the others together: the whole distribution.",
            say=f"All the other tokens together share {pct(sm['others'])}. With the {n} shown, that is the whole "
            "distribution: the probabilities add up to one.",
        )
        self.play(FadeIn(others), Create(rule), FadeIn(total))
        self.wait(1.5)


class Temperature(TraceScene):
    """Divide the logits by T before softmax: high T flattens, low T sharpens, T = 0 is the argmax."""

    SWEEP = [(1.0, 0.0), (0.2, 2.5), (5.0, 4.0), (2.0, 2.0)]  # (target T, seconds); ends on a stored T

    def construct(self):
        self.show_formula()
        self.sweep()
        self.zero()
        self.three_continuations()

    def show_formula(self):
        self.formula = MathTex(r"p_i = \frac{e^{x_i / T}}{\sum_j e^{x_j / T}}", font_size=44).to_edge(UP, buff=0.3)
        self.formula.set_color_by_tex("T", style.TEMPERATURE)
        self.beat(
            "Temperature",
            "Temperature T divides every logit before the softmax.",
            say="One knob remains: the temperature, T. Every logit is divided by T before the softmax.",
        )
        self.play(FadeIn(self.formula))

    def top_ids(self) -> list[int]:
        return [i for i, _ in top_entries(self.trace["logits"], BARS)]

    def bars_at(self, temperature: float) -> VGroup:
        """The bars of softmax(logits / T), computed with the shared helper from the Trace's logits, then
        one bar for all other tokens (the mass that high T moves into the tail) and the shares' sum."""
        probs = softmax(self.trace["logits"], temperature)
        stored = [k for k, t in enumerate(self.trace.meta["temperatures"]) if t == temperature]
        entries = []
        for i in self.top_ids():
            path = f"probs[{stored[0]},{i}]" if stored else f"softmax(logits/{temperature:g})[{i}]"
            entries.append({"display": self.trace.info["vocab_display"][str(i)], "prob": float(probs[i]),
                            "token_path": vocab_path(i), "prob_path": path})  # fmt: skip
        shown = [e["prob"] for e in entries]
        rest = {"name": "all other tokens", "prob": max(1.0 - sum(shown), 0.0)}
        if stored:
            found = statements(self.trace)
            rest["statement"] = found[f"temperature.tail.{stored[0]}"]
            total = found[f"temperature.total.{stored[0]}"]
        else:  # between the stored temperatures, during the sweep: the same rule, from these bars
            rest["prob_path"] = f"1 − sum of the bars above, softmax(logits/{temperature:g})"
            total = Statement(f"temperature.total.T{temperature:g}", "bars_total", RULES["bars_total"](shown),
                              {"probs": shown})  # fmt: skip
        entries.append(rest)
        bars = ProbabilityBars(entries, bar_width=4.5, size=20, row_height=0.4, scale_to=1.0, ellipsis=False)
        bars.shift([-1.5 - bars.rows[0].bar.get_left()[0], 1.5 - bars.get_top()[1], 0])
        t_label = label(f"T = {temperature:g}", size=26, color=style.TEMPERATURE).move_to([-4.8, 0.0, 0])
        total_line = sentence("total {t}", size=18, color=style.MUTED, t=claim(total))
        total_line.next_to(bars, DOWN, buff=0.2).align_to(bars.rows[0].bar, LEFT)
        return VGroup(bars, t_label, total_line)

    def sweep(self):
        tracker = ValueTracker(1.0)
        self.bars = always_redraw(lambda: self.bars_at(round(tracker.get_value(), 2)))
        top = self.top_ids()[0]
        display = spoken_token(self.trace.info["vocab_display"][str(top)])
        self.beat(
            "T = 1",
            "At T = 1 these are the model's own probabilities.",
            say=f"At T equal to one, nothing changes: {display} has {pct(softmax(self.trace['logits'], 1.0)[top])}.",
        )
        self.play(FadeIn(self.bars))
        self.beat(
            "Low and high T",
            "Lower T sharpens the distribution; higher T flattens it towards uniform.",
            say=f"Turn it down, and gaps between logits grow: at 0.2, {display} takes "
            f"{pct(softmax(self.trace['logits'], 0.2)[top])}. Turn it up to 5, and it drops to "
            f"{pct(softmax(self.trace['logits'], 5.0)[top])}.",
        )
        for target, seconds in self.SWEEP[1:]:
            self.play(tracker.animate.set_value(target), run_time=seconds)
        self.bars.clear_updaters()
        self.tracker = tracker

    def zero(self):
        zero = self.bars_at(0.0)
        self.beat(
            "T = 0",
            "T = 0 means: always the most likely token (the argmax).",
            say="T equal to zero means the limit: all probability on the likeliest token, picked every time.",
        )
        self.play(FadeOut(self.bars), FadeIn(zero))
        self.wait(1)
        self.play(FadeOut(zero))

    def three_continuations(self):
        t = self.trace
        columns = VGroup()
        for c, run in enumerate(t.info["comparisons"]):
            head = sentence(
                "T = {T}",
                size=24,
                color=style.TEMPERATURE,
                T=(run["temperature"], f"info.comparisons.{c}.temperature", "float"),
            )
            displays = [s["chosen_display"] for s in run["steps"]]
            paths = [f"info.comparisons.{c}.steps.{i}.chosen_display" for i in range(len(run["steps"]))]
            row = TokenRow(displays, paths, max_width=4.0, size=17, first_hue=len(t.token_ids))
            judged = statement(statements(t)[f"comparisons.{c}"], size=15, color=style.MUTED)
            columns.add(VGroup(head, judged, row).arrange(DOWN, buff=0.2, aligned_edge=LEFT))
        columns.arrange(RIGHT, buff=0.45, aligned_edge=UP)
        self.fit_width(columns)
        prompt = sentence("“{p}” …", size=22, p=(t.prompt, "meta.settings.prompt", "cut40"))
        prompt.next_to(self.formula, DOWN, buff=0.35)  # under the formula, which stays on screen
        room = prompt.get_bottom()[1] - 0.4 - (-2.9)  # down to the caption's band
        if columns.height > room:
            columns.scale_to_fit_height(room)
        columns.next_to(prompt, DOWN, buff=0.4)
        self.beat(
            "Three temperatures",
            "The same prompt continued at three temperatures (seed {s}), each judged by the model's own ranks.",
            s=(t.info["comparisons"][0]["seed"], "info.comparisons.0.seed", "int"),
            say=self.comparison_words(),
        )
        self.play(FadeIn(prompt), LaggedStart(*(FadeIn(col) for col in columns), lag_ratio=0.4), run_time=2.5)
        self.wait(2)

    def comparison_words(self) -> str:
        runs, found = self.trace.info["comparisons"], statements(self.trace)
        judged = [f"at {run['temperature']:g}, {found[f'comparisons.{c}'].text}" for c, run in enumerate(runs)]
        return (
            "The same prompt and seed at three temperatures, each judged by how the model ranked the tokens drawn: "
            + "; ".join(judged)
            + "."
        )


class TopKTopP(TraceScene):
    """Keep only the k likeliest tokens, or the smallest set holding p of the probability; renormalise; draw."""

    SHOWN = 6

    def construct(self):
        self.heading()
        self.play(FadeOut(self.base))
        self.panel("top_k", -3.6)
        self.panel("top_p", 3.4)
        self.wait(1.5)

    def heading(self):
        """The untruncated distribution first: what the two cuts start from."""
        t = self.trace
        top = t.info["truncation"]["base_top"][: len(t.info["softmax"]["ids"])]  # the tokens Softmax showed
        entries = [{"display": t.info["vocab_display"][str(i)], "prob": p, "token_path": vocab_path(i),
                    "prob_path": f"info.truncation.base_top.{j}.1"} for j, (i, p) in enumerate(top)]  # fmt: skip
        self.base = ProbabilityBars(entries, bar_width=4.0, size=20, row_height=0.4, ellipsis=True)
        self.base.move_to([0, 0.5, 0])
        self.beat(
            "Truncation",
            "Before drawing, many GPTs cut off the unlikely tail, then renormalise what is left.",
            say=f"Below these {len(top)} bars, the other {big(t.meta['vocab_size'] - len(top))} tokens share "
            f"{pct(t.info['softmax']['others'])}. Many systems cut off that tail before drawing.",
        )
        self.play(LaggedStart(*(GrowFromEdge(r, LEFT) for r in self.base.rows), lag_ratio=0.1), FadeIn(self.base.dots))

    def panel_words(self, kind: str) -> str:
        demo = self.trace.info["truncation"]
        part = demo[kind]
        drawn = spoken_token(self.trace.info["vocab_display"][str(part["chosen_id"])])
        first = spoken_token(self.trace.info["vocab_display"][str(part["top"][0][0])])
        if kind == "top_k":
            return (
                f"Top-k keeps the {demo['k']} likeliest, which held {pct(part['kept_mass'])}; scaled up, {first} has "
                f"{pct(part['top'][0][1])}. The draw: {drawn}."
            )
        return (
            f"Top-p keeps the fewest tokens holding {pct(demo['p'])} of the probability: here {part['kept']}. "
            f"The draw: {drawn}."
        )

    def panel(self, kind: str, x: float):
        t = self.trace
        demo = t.info["truncation"]
        part = demo[kind]
        base = f"info.truncation.{kind}"
        if kind == "top_k":
            title = sentence("top-k, k = {k}", size=26, k=(demo["k"], "info.truncation.k", "int"))
            note = sentence("keeps {n} tokens", size=18, color=style.MUTED, n=(part["kept"], f"{base}.kept", "int"))
        else:
            title = sentence("top-p, p = {p}", size=26, p=(demo["p"], "info.truncation.p", "float"))
            note = sentence(
                "keeps {n} tokens holding {m}",
                size=18,
                color=style.MUTED,
                n=(part["kept"], f"{base}.kept", "comma"),
                m=(part["kept_mass"], f"{base}.kept_mass", "percent"),
            )
        entries = [
            {
                "display": t.info["vocab_display"][str(i)],
                "prob": p,
                "token_path": vocab_path(i),
                "prob_path": f"{base}.top.{j}.1",
            }  # fmt: skip
            for j, (i, p) in enumerate(part["top"][: self.SHOWN])
        ]
        bars = ProbabilityBars(entries, bar_width=2.6, size=18, row_height=0.38, ellipsis=part["kept"] > self.SHOWN)
        title.move_to([x, 2.9, 0])
        note.next_to(title, DOWN, buff=0.2)
        bars.shift([x - 1.2 - bars.rows[0].bar.get_left()[0], note.get_bottom()[1] - 0.35 - bars.get_top()[1], 0])
        chosen = part["chosen_id"]
        drawn = sentence(
            "drawn: “{tok}”",
            size=20,
            color=style.NEXT_SLOT,
            tok=(t.info["vocab_display"][str(chosen)], vocab_path(chosen), "text"),
        ).next_to(bars, DOWN, buff=0.35)
        drawn.set_x(x)
        share = statement(statements(t)[f"truncation.{kind}.shown"], size=16, color=style.MUTED)
        if share.width > 6.4:
            share.scale_to_fit_width(6.4)
        share.next_to(bars, DOWN, buff=0.3).set_x(x)
        drawn.next_to(share, DOWN, buff=0.25).set_x(x)
        self.beat(
            "Renormalise" if kind == "top_k" else "Nucleus",
            "Top-k keeps a fixed number of tokens."
            if kind == "top_k"
            else "Top-p keeps the fewest tokens that hold p of the probability.",
            say=self.panel_words(kind),
        )
        self.play(FadeIn(title), FadeIn(note))
        self.play(
            LaggedStart(*(FadeIn(r) for r in bars.rows), lag_ratio=0.1),
            *([FadeIn(bars.dots)] if part["kept"] > self.SHOWN else []),
        )
        marks = [
            SurroundingRectangle(r, buff=0.05, color=style.NEXT_SLOT)
            for j, r in enumerate(bars.rows)
            if entries[j]["token_path"] == vocab_path(chosen)
        ]
        self.play(FadeIn(share))
        self.play(FadeIn(drawn), *(Create(m) for m in marks))
