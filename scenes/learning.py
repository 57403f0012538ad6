"""How the weights were learned: the model at its training snapshots, run on the prompt, and the loss falling."""

from __future__ import annotations

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Axes,
    Create,
    DashedLine,
    Dot,
    FadeIn,
    FadeOut,
    GrowFromCenter,
    GrowFromEdge,
    LaggedStart,
    MoveAlongPath,
    ReplacementTransform,
    ShowPassingFlash,
    Succession,
    SurroundingRectangle,
    TransformFromCopy,
    VGroup,
    VMobject,
    Wait,
    linear,
)

from model.claims import statements
from scenes import style
from scenes.base import TraceScene
from scenes.components import (
    HEADING,
    NUMBER,
    SMALLEST,
    ProbabilityBars,
    TokenBox,
    claim,
    label,
    number,
    sentence,
    statement,
)
from scenes.pacing import cue, dim, said_by, spoken, travel
from scenes.speech import big, dec, plain_quote, spoken_token
from scenes.style import FONT, fmt_percent

RIGHT_X = 0.45  # the right panel's left edge
PANEL = NUMBER  # the right panel's type: bars, tokens, ranks
GHOST = 0.35  # the whole loss curve's opacity until the stages have drawn it over
PROMPT_TAIL = 4  # prompt tokens shown before each greedy continuation
RANK_LEAD = 1.6  # seconds before a sentence ends (where its number is said) that the number is on screen
STEP_CHANGE = 1.5  # seconds a stage's bars or continuation take to change, at most (never past their sentence)
# Published figures of two larger GPTs (reference, not this model): parameters, training text, year.
GPT2 = {"params": "1.5 B", "trained": "40 GB of web text", "year": "2019"}
GPT3 = {"trained": "300 B tokens", "year": "2020"}


def said_pct(p: float) -> str:
    """A probability said as its bar shows it (one decimal, “<0.1%” said “under 0.1%”): the voice and the screen
    round alike."""
    return fmt_percent(p).replace("<", "under ")


class Learning(TraceScene):
    """Weights start random and are tuned by backpropagation: the validation loss falling, and for the prompt
    the next-token bars, a greedy continuation and queen's analogy rank at each training snapshot."""

    TITLE = "How the weights were learned"
    PART = "The weights"
    SUMMARY = "Random weights tuned by backpropagation: the loss curve, and this prompt at each training snapshot."
    SECTIONS = ("learning",)
    RENDER_SECONDS = 19

    def construct(self):
        self.learn = self.section("learning")
        self.show_heading()
        if not self.learn.get("available"):
            self.no_record()
        else:
            self.stages = self.learn["stages"]
            self.show_start()
            self.show_training()
            for k in range(1, len(self.stages)):
                self.advance(k)
            self.sum_up()
        self.scale_up()

    # The pieces, each built from the Trace for stage k.
    def stage(self, k: int):
        """Stage k of the learning record, its fields read with their paths."""
        return self.trace.fields.info.learning.stages[k]

    def show_heading(self):
        meta = self.trace.fields.meta
        self.heading = sentence("How {model} learned its {n} weights", size=HEADING,
                                model=(meta.model, "text"), n=(meta.n_params, "comma"))  # fmt: skip
        self.fit_width(self.heading).to_edge(UP, buff=0.3)

    def bars(self, k: int) -> ProbabilityBars:
        top = max(e["prob"] for s in self.stages for e in s["top"])  # one scale for every stage: bars grow
        shown = self.stage(k).top
        entries = [{"display": shown[j].display, "prob": shown[j].prob} for j in range(len(shown))]
        bars = ProbabilityBars(entries, bar_width=2.2, size=PANEL, row_height=0.42, scale_to=top, ellipsis=False)
        return bars.shift([RIGHT_X + 2.0 - bars.rows[0].bar.get_left()[0], 2.2 - bars.get_top()[1], 0])

    def stage_title(self, k: int):
        title = statement(statements(self.trace)[f"learning.{k}.stage"], size=PANEL + 2, color=style.NEXT_SLOT)
        return title.move_to([RIGHT_X, 2.65, 0], aligned_edge=LEFT)

    def final_share(self, k: int) -> VGroup:
        final = self.trace.fields.info.learning.final_top
        row = VGroup(
            label("the shipped model's pick", size=SMALLEST, color=style.MUTED),
            TokenBox(final.display, hue=style.NEXT_SLOT, size=SMALLEST, limit=10),
            label("gets", size=SMALLEST, color=style.MUTED),
            number(self.stage(k).final_top_prob, fmt="percent", size=SMALLEST),
        ).arrange(RIGHT, buff=0.12)
        return row.move_to([RIGHT_X, 0.0, 0], aligned_edge=LEFT)

    def greedy(self, k: int) -> VGroup:
        """The prompt's last tokens, then this stage's greedy continuation in the next-token colour."""
        t = self.trace
        n = len(t.token_ids)
        first = max(0, n - PROMPT_TAIL)
        parts = [label("greedy:", size=PANEL, color=style.MUTED)]
        if first:
            parts.append(label("…", size=PANEL, color=style.MUTED))
        display = t.fields.info.tokens.display
        parts += [TokenBox(display[i], hue=style.token_hue(i), size=PANEL, limit=10) for i in range(first, n)]
        greedy = self.stage(k).greedy.display
        parts += [TokenBox(greedy[j], hue=style.NEXT_SLOT, size=PANEL, limit=10) for j in range(len(greedy))]
        row = VGroup(*parts).arrange(RIGHT, buff=0.08)
        self.fit_width(row)
        return row.move_to([0, -1.95, 0])

    def judged(self, k: int):
        line = statement(statements(self.trace)[f"learning.{k}.greedy"], size=SMALLEST, color=style.MUTED)
        return self.fit_width(line).move_to([0, -2.6, 0])

    def queen(self, k: int):
        return number(self.stage(k).queen_rank, fmt="comma", size=PANEL, color=style.NEXT_SLOT)

    # The loss curve.
    def build_axes(self):
        learn = self.learn
        curve = learn["curve"]
        steps = max(learn["steps"], max((c["step"] for c in curve), default=1))
        losses = [c["val_loss"] for c in curve]
        low = int(min(losses, default=3.0)) - 1 if losses else 2
        high = int(learn["uniform_loss"]) + 1
        tick = nice_step(steps / 4)
        self.axes = Axes(x_range=[0, steps, tick], y_range=[low, high, 1], x_length=5.6, y_length=3.0, tips=False,
                         axis_config={"color": style.MUTED, "stroke_width": 2})  # fmt: skip
        self.axes.move_to([-3.5, 0.75, 0])
        ticks = VGroup()
        for x in range(0, steps + 1, tick):
            ticks.add(label(f"{x:,}", size=SMALLEST, color=style.MUTED).next_to(self.axes.c2p(x, low), DOWN, buff=0.1))
        self.step_ticks = ticks[:]
        for y in range(high, low, -2 if high - low > 5 else -1):  # (none at the corner, where step 0 is)
            ticks.add(label(f"{y}", size=SMALLEST, color=style.MUTED).next_to(self.axes.c2p(0, y), LEFT, buff=0.1))
        names = VGroup(
            label("validation loss", size=SMALLEST, color=style.MUTED).next_to(self.axes.c2p(0, high), UP, buff=0.12),
            label("step", size=SMALLEST, color=style.MUTED).next_to(self.axes.c2p(steps, low), UP + LEFT, buff=0.1),
        )
        names[0].align_to(self.axes, LEFT)
        uniform = DashedLine(self.axes.c2p(0, learn["uniform_loss"]), self.axes.c2p(steps, learn["uniform_loss"]),
                             color=style.MUTED, stroke_width=2)  # fmt: skip
        uniform_label = sentence("uniform guess: ln {V} = {u}", size=SMALLEST, color=style.MUTED,
                                 V=(self.trace.fields.info.learning.vocab_size, "comma"),
                                 u=(self.trace.fields.info.learning.uniform_loss, "fixed2"))  # fmt: skip
        uniform_label.next_to(uniform, UP, buff=0.06).align_to(uniform, RIGHT)
        self.curve = VMobject(color=style.KEY, stroke_width=3, stroke_opacity=GHOST)  # drawn faint, then stage by stage
        self.curve.set_points_as_corners([self.axes.c2p(c["step"], c["val_loss"]) for c in curve])
        self.chart = VGroup(self.axes, ticks, names, uniform, uniform_label)

    def loss_tag(self, k: int):
        stage = self.stages[k]
        tag = number(self.stage(k).val_loss, fmt="fixed2", size=PANEL, color=style.NEXT_SLOT)
        return tag.next_to(self.axes.c2p(stage["step"], stage["val_loss"]), UP + RIGHT, buff=0.08)

    def segment(self, a: int, b: int) -> VMobject:
        """The curve from stage a's step to stage b's, for the dot to move along."""
        lo, hi = self.stages[a]["step"], self.stages[b]["step"]
        points = [self.axes.c2p(c["step"], c["val_loss"]) for c in self.learn["curve"] if lo <= c["step"] <= hi]
        path = VMobject()
        path.set_points_as_corners(points if len(points) > 1 else points * 2)
        return path

    # The beats. Each sentence of a beat brings in what it names (scenes.pacing): the picture changes as it is said.
    def show_start(self):
        self.build_axes()
        stage, learn = self.stages[0], self.learn
        self.title, self.bar_group = self.stage_title(0), self.bars(0)
        self.share = self.final_share(0)
        self.queen_head = label(f"{learn['analogy']['expression']}: “{learn['analogy']['target']}” ranks"
                                if learn.get("analogy") else "king − man + woman: “queen” ranks",
                                size=SMALLEST, color=style.MUTED)  # fmt: skip
        self.queen_head.move_to([RIGHT_X, -0.55, 0], aligned_edge=LEFT)
        self.ranks = VGroup()
        self.greedy_row, self.judged_line = self.greedy(0), self.judged(0)
        top = stage["top"][0]
        said = plain_quote(stage["greedy"]["text"], "this")
        if stage["kind"] == "start":
            first = "Every weight of this model began as a random number."
        else:
            first = f"The training record starts at step {stage['step']}."
        second = "Asked what comes next, it gives every token some probability."
        self.beat("The start", "Training begins at {s}.", s=claim(statements(self.trace)["learning.0.stage"]),
                  say=f"{first} {second} Its top guess, {spoken_token(top['display'])}, gets {said_pct(top['prob'])}. "
                  f"Picking its top guess again and again, it writes {said}.")  # fmt: skip
        self.play(FadeIn(VGroup(self.heading, self.axes, self.chart[1], self.chart[2], self.title)))
        start = SurroundingRectangle(self.title, buff=0.06, color=style.NEXT_SLOT)  # where training starts
        self.play(Create(start), run_time=min(1.0, said_by(self, 0, 0.6)))
        cue(self, 1)
        self.play(dim(start), run_time=0.3)
        rows = self.bar_group.rows
        self.play(LaggedStart(*(GrowFromEdge(r.bar, LEFT) for r in rows), lag_ratio=0.15),
                  *(FadeIn(r.name) for r in rows), *(FadeIn(r.pct) for r in rows), run_time=1.5)  # fmt: skip
        cue(self, 2)
        self.top_mark = SurroundingRectangle(rows[0], buff=0.05, color=style.NEXT_SLOT)
        self.play(Create(self.top_mark), FadeIn(self.share, shift=0.1 * DOWN))
        cue(self, 3)
        self.play(dim(self.top_mark), LaggedStart(*(FadeIn(p, shift=0.1 * RIGHT) for p in self.greedy_row),
                                                      lag_ratio=0.15), run_time=said_by(self, 3, 1.0) * 0.8)  # fmt: skip
        self.play(FadeIn(self.judged_line))
        self.dot, self.tag = None, None
        if stage["queen_rank"] is not None:
            self.ranks.add(self.queen(0))
            self.place_ranks()
            self.beat(
                "An analogy",
                "Every token sorted by how near it lands to king − man + woman: where does “queen” come?",
                static=True,  # the analogy's words are the lecture's, the rank is checked against the Trace
                say="We also follow the analogy from the embeddings: king minus man plus woman. Sort every token by "
                f"how near it lands to that point, and queen comes in at number {big(stage['queen_rank'])}. Number "
                "one would mean queen is the very nearest.",
            )
            self.play(FadeIn(self.queen_head, shift=0.1 * RIGHT))
            cue(self, 1)  # "sort every token ...": the words of the ranking marked, then its number as it is said
            self.rank_mark = SurroundingRectangle(self.queen_head, buff=0.06, color=style.NEXT_SLOT)
            self.play(Create(self.rank_mark), run_time=0.8)
            if (lead := said_by(self, 1, 0.0) - RANK_LEAD - 0.8) > 0.1:
                self.wait(lead)
            self.play(FadeIn(self.ranks, shift=0.1 * UP),
                      self.rank_mark.animate.become(SurroundingRectangle(self.ranks[0], buff=0.06,
                                                                         color=style.NEXT_SLOT)), run_time=0.8)  # fmt: skip
            cue(self, 2)
            self.play(self.rank_mark.animate.set_stroke(width=6), run_time=0.6)

    def place_ranks(self):
        self.ranks.arrange(RIGHT, buff=0.12).move_to([RIGHT_X, -1.0, 0], aligned_edge=LEFT)
        self.fit_right(self.ranks)

    def fit_right(self, mob):
        room = 7.11 - style.FRAME_MARGIN - mob.get_left()[0]
        if mob.width > room:
            mob.scale_to_fit_width(room, about_edge=LEFT)

    def show_training(self):
        learn, stage = self.learn, self.stages[0]
        batch = sentence("one step: a batch of {b} tokens", size=SMALLEST, color=style.MUTED,
                         b=(self.trace.fields.info.learning.batch_tokens, "comma"))  # fmt: skip
        batch.next_to(self.axes, DOWN, buff=0.5).align_to(self.axes, LEFT)
        uniform, uniform_label = self.chart[3], self.chart[4]
        self.beat(
            "The loss",
            "The loss: how surprised the model is by each real next token; lower is better.",
            say=f"Training shows the model a batch of fairy tales, {big(learn['batch_tokens'])} tokens at a time. The "
            "loss measures how surprised it is by each real next token. Guessing every token equally likely would "
            "score this dashed line.",
        )
        old = [m for m in (getattr(self, "rank_mark", None),) if m is not None]
        self.play(FadeIn(batch, shift=0.1 * UP), *(FadeOut(m) for m in old))
        cue(self, 1)
        name = SurroundingRectangle(self.chart[2][0], buff=0.06, color=style.KEY)
        self.play(Create(name))
        cue(self, 2)
        self.play(dim(name), Create(uniform), FadeIn(uniform_label), run_time=1.2)
        if stage["val_loss"] is not None:
            self.dot = Dot(self.axes.c2p(stage["step"], stage["val_loss"]), radius=0.08, color=style.NEXT_SLOT)
            self.tag = self.loss_tag(0)
            self.play(GrowFromCenter(self.dot), FadeIn(self.tag))
        self.beat(
            "Training",
            "Backpropagation nudges every weight to lower the loss on a batch of text, step after step.",
            say="Backpropagation works out how every weight should change to lower the loss, and nudges them all a "
            f"little. That is one step, and this model took {big(learn['steps'])}. On stories kept aside, which it "
            "never trains on, the loss fell like this.",
        )
        # the curve is drawn as the steps go by; the last step's tick is marked as their number is said
        start = spoken(self)[1][0] - self.time if len(spoken(self)) > 1 else 0.0
        mark = SurroundingRectangle(self.step_ticks[-1], buff=0.06, color=style.NEXT_SLOT)
        self.play(
            Create(self.curve, run_time=said_by(self, -1, 2.0), rate_func=linear),
            Succession(Wait(max(start, 0.1)), Create(mark, run_time=0.6), Wait(1.2), FadeOut(mark, run_time=0.5)),
        )
        self.batch = batch

    def advance(self, k: int):
        stage, t = self.stages[k], self.trace
        before = self.stages[k - 1]
        top, was = stage["top"][0], before["top"][0]
        when = "Now the shipped weights." if stage["kind"] == "final" else f"After {stage['step']:,} steps."
        loss = ""
        if stage["val_loss"] is not None:
            fell = before["val_loss"] is None or stage["val_loss"] < before["val_loss"]
            loss = f"The loss is {'down to' if fell else 'now'} {dec(stage['val_loss'], 2)}."
        if top["display"] == was["display"]:
            guess = f"{spoken_token(top['display'], start=True)} now gets {said_pct(top['prob'])}."
        else:
            guess = f"Its top guess is now {spoken_token(top['display'])}, with {said_pct(top['prob'])}."
        writes = f"On its own it writes {plain_quote(stage['greedy']['text'], 'this')}."
        queen = ""
        if stage["queen_rank"] is not None and before["queen_rank"] is not None:
            rank, old = stage["queen_rank"], before["queen_rank"]
            move = "climbs to" if rank < old else "stays at" if rank == old else "slips to"
            queen = f"Queen {move} number {big(rank)}."
        self.beat(
            "The shipped weights" if stage["kind"] == "final" else f"Step {stage['step']:,}",
            "Now at {s}; the same prompt, the same question.",
            s=claim(statements(t)[f"learning.{k}.stage"]),
            say=" ".join(s for s in (when, loss, guess, writes, queen) if s),
        )
        n = 0  # the sentence said next
        moves = [ReplacementTransform(self.title, new := self.stage_title(k))]
        self.title = new
        if stage["val_loss"] is not None:
            tag = self.loss_tag(k)
            if self.dot is None:
                self.dot = Dot(self.axes.c2p(stage["step"], stage["val_loss"]), radius=0.08, color=style.NEXT_SLOT)
                moves += [GrowFromCenter(self.dot), FadeIn(tag)]
            else:  # the dot draws the curve on from the last stage to this one
                trail = self.segment(k - 1, k).set_stroke(style.KEY, 4)
                moves += [MoveAlongPath(self.dot, self.segment(k - 1, k)), Create(trail),
                          ReplacementTransform(self.tag, tag)]  # fmt: skip
            self.tag = tag
            n += 1
        self.play(*moves, run_time=said_by(self, n, 1.0))
        cue(self, n + 1)
        # stage k - 1's bars and share become stage k's, then its continuation and the words on it
        bars, share = self.bars(k), self.final_share(k)
        self.play(ReplacementTransform(self.bar_group, bars), ReplacementTransform(self.share, share),
                  run_time=min(STEP_CHANGE, said_by(self, n + 1, 0.6)))  # fmt: skip
        self.bar_group, self.share = bars, share
        cue(self, n + 2)
        row, judged = self.greedy(k), self.judged(k)
        self.play(ReplacementTransform(self.greedy_row, row), ReplacementTransform(self.judged_line, judged),
                  run_time=min(STEP_CHANGE, said_by(self, n + 2, 0.6)))  # fmt: skip
        self.greedy_row, self.judged_line = row, judged
        if queen and len(self.ranks):
            cue(self, n + 3)
            arrow, rank = label("→", size=20, color=style.MUTED), self.queen(k)
            old = self.ranks[-1]
            self.ranks.add(arrow, rank)
            self.place_ranks()
            self.play(TransformFromCopy(old, rank), FadeIn(arrow), run_time=0.6)  # on screen as its sentence begins

    def sum_up(self):
        found = statements(self.trace)
        last = len(self.stages) - 1
        if "learning.loss" in found:
            ev = found["learning.loss"].evidence
            self.beat(
                "Lower loss",
                "{s}",
                s=claim(found["learning.loss"]),
                say=f"So on stories it never saw, the loss fell from {dec(ev['first'], 1)} to {dec(ev['last'], 1)}. "
                "Every point of this curve is the same model, only with better tuned weights.",
            )
            trail = self.curve.copy().set_stroke(style.NEXT_SLOT, width=6, opacity=1)
            self.play(ShowPassingFlash(trail, time_width=0.5), self.curve.animate.set_stroke(opacity=1),
                      run_time=said_by(self, 0, 1.5))  # fmt: skip
            cue(self, 1)  # a point travels the whole curve: the same model at every step, its weights better tuned
            walker = Dot(self.curve.get_start(), radius=0.06, color=style.NEXT_SLOT)
            self.play(MoveAlongPath(walker, self.curve), run_time=said_by(self, 1, 1.5))
            self.remove(walker)
        if f"learning.{last}.analogy" in found and len(self.ranks):
            verdict = found[f"learning.{last}.analogy"]
            self.beat(
                "Queen",
                "In the shipped weights {s}",
                s=claim(verdict),
                say="Nobody wrote that analogy in. Training moved the embeddings until king minus man plus woman "
                f"landed near queen. In the shipped weights, queen is number {big(verdict.evidence['rank'])}.",
            )
            ranks = self.ranks[::2]  # queen's rank at each stage (arrows between them)
            mark = self.rank_mark = SurroundingRectangle(ranks[0], buff=0.06, color=style.NEXT_SLOT)
            self.play(Create(mark), run_time=0.6)
            for r in ranks[1:]:  # the mark walks along queen's ranks, stage by stage
                self.play(mark.animate.become(SurroundingRectangle(r, buff=0.06, color=style.NEXT_SLOT)),
                          run_time=max(0.4, said_by(self, 1, 1.0) / max(1, len(ranks) - 1)))  # fmt: skip
            cue(self, 2)
            self.play(mark.animate.set_stroke(width=6), run_time=0.5)

    def scale_up(self):
        """GPT-2 and GPT-3 beside this model: the same recipe with far more parameters and text."""
        t, learn = self.trace, self.learn

        def cell(text: str, color=style.TEXT):
            return label(text, size=SMALLEST, color=color)

        trained = (sentence("{n} tokens", size=SMALLEST, n=(t.fields.info.learning.tokens_seen, "comma"))
                   if learn.get("tokens_seen") else cell(""))  # fmt: skip
        table = [
            VGroup(cell(""), cell("weights", style.MUTED), cell("trained on", style.MUTED)),
            VGroup(cell("this model", style.NEXT_SLOT), number(t.fields.meta.n_params, fmt="comma", size=SMALLEST,
                   font=FONT), trained),
            VGroup(cell(f"GPT-2 ({GPT2['year']})"), cell(GPT2["params"]), cell(GPT2["trained"])),
            VGroup(cell(f"GPT-3 ({GPT3['year']})"), number(t.fields.info.gpt3.total, fmt="billion",
                   size=SMALLEST, font=FONT), cell(GPT3["trained"])),
        ]  # fmt: skip
        left, top = (RIGHT_X - 0.45, 2.65) if learn.get("available") else (-3.1, 1.2)
        x = left
        for c in range(3):  # each column starts after the widest cell of the one before
            for r, row in enumerate(table):
                row[c].move_to([x, top - 0.6 * r, 0], aligned_edge=LEFT)
            x += max(row[c].width for row in table) + 0.35
        group = VGroup(*table)
        if learn.get("available"):
            self.fit_right(group)
        self.beat(
            "GPT-2 and GPT-3",
            "GPT-2, GPT-3: far more parameters and training text, far better text (published).",
            static=True,
            say=f"This model has {big(t.meta['n_params'])} weights. GPT-2, in 2019, had one and a half billion. "
            "GPT-3, a year later, had a hundred and seventy-five billion, and trained on about three hundred billion "
            "tokens. The recipe is the same: random weights, tuned by backpropagation. Scaled up, it writes far "
            "better text.",
        )
        # the stage's bars, words and queen's ranks give way to the table; the curve and the continuation stay
        old = [m for m in (getattr(self, n, None) for n in ("title", "bar_group", "share", "queen_head", "ranks",
                                                             "judged_line", "batch", "rank_mark")) if m is not None]  # fmt: skip
        if learn.get("available"):  # the curve stays, its dashed line's words go: the table is the subject now
            old.append(self.chart[4])
        old = [m for m in old if m in self.mobjects or any(m in x.get_family() for x in self.mobjects)]
        if old:
            self.play(*(FadeOut(m) for m in old), run_time=0.6)
        self.play(FadeIn(VGroup(table[0], table[1]), shift=0.1 * DOWN), run_time=1)
        cue(self, 1)
        self.play(FadeIn(table[2], shift=0.1 * DOWN), run_time=1)
        cue(self, 2)
        self.play(FadeIn(table[3], shift=0.1 * DOWN), run_time=1)
        mark = travel(self, table[3][1:], max(1.0, said_by(self, 2) - 0.5))  # its weights, then its training text
        self.play(dim(mark), run_time=0.4)
        if learn.get("available"):  # the recipe is the same: a dot runs the curve this model learned along
            cue(self, 3)
            runner = Dot(self.curve.get_start(), radius=0.09, color=style.NEXT_SLOT)
            self.play(MoveAlongPath(runner, self.curve), run_time=said_by(self, 3, 1.5))
            cue(self, 4)  # ... and what it writes now is marked
            self.play(Create(SurroundingRectangle(self.greedy_row, buff=0.08, color=style.NEXT_SLOT)), run_time=1.0)

    def no_record(self):
        learn, t = self.learn, self.trace
        if learn.get("reason"):
            line = sentence("{r}: the lecture cannot show how its weights were learned.", size=22,
                            r=(t.fields.info.learning.reason, "text"))  # fmt: skip
        else:  # a Trace saved before the learning record existed
            line = label("This Trace holds no training record of its model.", size=22)
        self.fit_width(line).move_to([0, 2.2, 0])
        self.beat(
            "No training record",
            "This model ships no training record: no snapshots, no loss curve.",
            say=f"{t.meta['model']} comes without a record of its training, so this lecture cannot replay it. Models "
            "trained with gptanim train keep snapshots of their weights along the way.",
        )
        self.play(FadeIn(self.heading), FadeIn(line))


def nice_step(raw: float) -> int:
    """The smallest of 1, 2, 5 × a power of ten that is at least `raw` (an axis's tick spacing)."""
    scale = 10 ** max(0, len(str(int(raw))) - 1)
    return next(m * scale for m in (1, 2, 5, 10) if m * scale >= raw)
