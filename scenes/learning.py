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
    MoveAlongPath,
    ReplacementTransform,
    TransformFromCopy,
    VGroup,
    VMobject,
)

from model.claims import statements
from scenes import style
from scenes.base import TraceScene
from scenes.components import ProbabilityBars, TokenBox, claim, label, number, sentence, statement
from scenes.speech import big, dec, pct, plain_quote, spoken_token
from scenes.style import FONT

RIGHT_X = 0.55  # the right panel's left edge
PROMPT_TAIL = 4  # prompt tokens shown before each greedy continuation
# Published figures of two larger GPTs (reference, not this model): parameters, training text, year.
GPT2 = {"params": "1.5 B", "trained": "40 GB of web text", "year": "2019"}
GPT3 = {"trained": "300 B tokens", "year": "2020"}


class Learning(TraceScene):
    """Weights start random and are tuned by backpropagation: the validation loss falling, and for the prompt
    the next-token bars, a greedy continuation and queen's analogy rank at each training snapshot."""

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
    def path(self, k: int) -> str:
        return f"info.learning.stages.{k}"

    def show_heading(self):
        meta = self.trace.meta
        self.heading = sentence("How {model} learned its {n} weights", size=28,
                                model=(meta["model"], "meta.model", "text"),
                                n=(meta["n_params"], "meta.n_params", "comma"))  # fmt: skip
        self.fit_width(self.heading).to_edge(UP, buff=0.3)

    def bars(self, k: int) -> ProbabilityBars:
        top = max(e["prob"] for s in self.stages for e in s["top"])  # one scale for every stage: bars grow
        entries = [{"display": e["display"], "prob": e["prob"], "token_path": f"{self.path(k)}.top.{j}.display",
                    "prob_path": f"{self.path(k)}.top.{j}.prob"} for j, e in enumerate(self.stages[k]["top"])]  # fmt: skip
        bars = ProbabilityBars(entries, bar_width=2.3, size=18, row_height=0.36, scale_to=top, ellipsis=False)
        return bars.shift([RIGHT_X + 2.0 - bars.rows[0].bar.get_left()[0], 2.25 - bars.get_top()[1], 0])

    def stage_title(self, k: int):
        title = statement(statements(self.trace)[f"learning.{k}.stage"], size=24, color=style.NEXT_SLOT)
        return title.move_to([RIGHT_X, 2.75, 0], aligned_edge=LEFT)

    def final_share(self, k: int) -> VGroup:
        final = self.learn["final_top"]
        row = VGroup(
            label("the shipped model's pick", size=18, color=style.MUTED),
            TokenBox(final["display"], "info.learning.final_top.display", style.NEXT_SLOT, size=18, limit=10),
            label("gets", size=18, color=style.MUTED),
            number(self.stages[k]["final_top_prob"], f"{self.path(k)}.final_top_prob", "percent", size=18),
        ).arrange(RIGHT, buff=0.12)
        return row.move_to([RIGHT_X, 0.25, 0], aligned_edge=LEFT)

    def spread(self, k: int):
        line = statement(statements(self.trace)[f"learning.{k}.spread"], size=18, color=style.MUTED)
        return line.move_to([RIGHT_X, -0.2, 0], aligned_edge=LEFT)

    def greedy(self, k: int) -> VGroup:
        """The prompt's last tokens, then this stage's greedy continuation in the next-token colour."""
        t = self.trace
        n = len(t.token_ids)
        first = max(0, n - PROMPT_TAIL)
        parts = [label("greedy:", size=18, color=style.MUTED)]
        if first:
            parts.append(label("…", size=18, color=style.MUTED))
        parts += [TokenBox(t.token_display[i], f"info.tokens.display.{i}", style.token_hue(i), size=18, limit=10)
                  for i in range(first, n)]  # fmt: skip
        stage = self.stages[k]["greedy"]
        parts += [TokenBox(d, f"{self.path(k)}.greedy.display.{j}", style.NEXT_SLOT, size=18, limit=10)
                  for j, d in enumerate(stage["display"])]  # fmt: skip
        row = VGroup(*parts).arrange(RIGHT, buff=0.08)
        self.fit_width(row)
        return row.move_to([0, -2.05, 0])

    def judged(self, k: int):
        line = statement(statements(self.trace)[f"learning.{k}.greedy"], size=18, color=style.MUTED)
        return line.move_to([0, -2.55, 0])

    def queen(self, k: int):
        rank = self.stages[k]["queen_rank"]
        return number(rank, f"{self.path(k)}.queen_rank", "comma", size=20, color=style.NEXT_SLOT)

    # The loss curve.
    def build_axes(self):
        learn = self.learn
        curve = learn["curve"]
        steps = max(learn["steps"], max((c["step"] for c in curve), default=1))
        losses = [c["val_loss"] for c in curve]
        low = int(min(losses, default=3.0)) - 1 if losses else 2
        high = int(learn["uniform_loss"]) + 1
        tick = nice_step(steps / 4)
        self.axes = Axes(x_range=[0, steps, tick], y_range=[low, high, 1], x_length=5.3, y_length=3.2, tips=False,
                         axis_config={"color": style.MUTED, "stroke_width": 2})  # fmt: skip
        self.axes.move_to([-3.55, 0.65, 0])
        ticks = VGroup()
        for x in range(0, steps + 1, tick):
            ticks.add(label(f"{x:,}", size=18, color=style.MUTED).next_to(self.axes.c2p(x, low), DOWN, buff=0.1))
        for y in range(high, low, -2 if high - low > 5 else -1):  # (none at the corner, where step 0 is)
            ticks.add(label(f"{y}", size=18, color=style.MUTED).next_to(self.axes.c2p(0, y), LEFT, buff=0.1))
        names = VGroup(
            label("validation loss", size=18, color=style.MUTED).next_to(self.axes.c2p(0, high), UP, buff=0.12),
            label("step", size=18, color=style.MUTED).next_to(self.axes.c2p(steps, low), UP + LEFT, buff=0.1),
        )
        names[0].align_to(self.axes, LEFT)
        uniform = DashedLine(self.axes.c2p(0, learn["uniform_loss"]), self.axes.c2p(steps, learn["uniform_loss"]),
                             color=style.MUTED, stroke_width=2)  # fmt: skip
        uniform_label = sentence("uniform guess: ln {V} = {u}", size=18, color=style.MUTED,
                                 V=(learn["vocab_size"], "info.learning.vocab_size", "comma"),
                                 u=(learn["uniform_loss"], "info.learning.uniform_loss", "fixed2"))  # fmt: skip
        uniform_label.next_to(uniform, UP, buff=0.06).align_to(uniform, RIGHT)
        self.curve = VMobject(color=style.KEY, stroke_width=3)
        self.curve.set_points_as_corners([self.axes.c2p(c["step"], c["val_loss"]) for c in curve])
        self.chart = VGroup(self.axes, ticks, names, uniform, uniform_label)

    def loss_tag(self, k: int):
        stage = self.stages[k]
        tag = number(stage["val_loss"], f"{self.path(k)}.val_loss", "fixed2", size=18, color=style.NEXT_SLOT)
        return tag.next_to(self.axes.c2p(stage["step"], stage["val_loss"]), UP + RIGHT, buff=0.08)

    def segment(self, a: int, b: int) -> VMobject:
        """The curve from stage a's step to stage b's, for the dot to move along."""
        lo, hi = self.stages[a]["step"], self.stages[b]["step"]
        points = [self.axes.c2p(c["step"], c["val_loss"]) for c in self.learn["curve"] if lo <= c["step"] <= hi]
        path = VMobject()
        path.set_points_as_corners(points if len(points) > 1 else points * 2)
        return path

    # The beats.
    def show_start(self):
        self.build_axes()
        stage = self.stages[0]
        self.title, self.bar_group = self.stage_title(0), self.bars(0)
        self.share, self.spread_line = self.final_share(0), self.spread(0)
        self.queen_head = label("king − man + woman: “queen” ranks", size=18, color=style.MUTED)
        self.queen_head.move_to([RIGHT_X, -0.75, 0], aligned_edge=LEFT)
        self.ranks = VGroup()
        self.greedy_row, self.judged_line = self.greedy(0), self.judged(0)
        top = stage["top"][0]
        if stage["kind"] == "start":
            say = (f"Before training, every weight of the model is drawn at random, from seed {self.learn['seed']}. "
                   f"Asked for the next token, it barely prefers any: the likeliest, {spoken_token(top['display'])}, "
                   f"gets {pct(top['prob'])}. Run greedily, it writes "
                   f"{plain_quote(stage['greedy']['text'], 'tokens no sentence would hold')}.")  # fmt: skip
        else:
            say = (f"The training record starts at step {stage['step']}. There the likeliest next token, "
                   f"{spoken_token(top['display'])}, gets {pct(top['prob'])}.")  # fmt: skip
        self.beat("The start", "Training begins at {s}.", s=claim(statements(self.trace)["learning.0.stage"]), say=say)
        parts = [self.heading, self.chart, self.title, self.bar_group, self.share, self.spread_line,
                 self.greedy_row, self.judged_line]  # fmt: skip
        if stage["queen_rank"] is not None:
            self.ranks.add(self.queen(0))
            self.place_ranks()
            parts += [self.queen_head, self.ranks]
        self.play(*(FadeIn(p) for p in parts))
        self.dot, self.tag = None, None
        if stage["val_loss"] is not None:
            self.play(Create(self.curve), run_time=1.5)
            self.dot = Dot(self.axes.c2p(stage["step"], stage["val_loss"]), radius=0.08, color=style.NEXT_SLOT)
            self.tag = self.loss_tag(0)
            self.play(GrowFromCenter(self.dot), FadeIn(self.tag))

    def place_ranks(self):
        self.ranks.arrange(RIGHT, buff=0.12).move_to([RIGHT_X, -1.2, 0], aligned_edge=LEFT)
        self.fit_right(self.ranks)

    def fit_right(self, mob):
        room = 7.11 - style.FRAME_MARGIN - RIGHT_X
        if mob.width > room:
            mob.scale_to_fit_width(room, about_edge=LEFT)

    def show_training(self):
        learn = self.learn
        self.beat(
            "Training",
            "Backpropagation nudges every weight to lower the loss on a batch of text, step after step.",
            say=f"Training shows the model a batch of the fairy tales, {big(learn['batch_tokens'])} tokens, and measures "
            "the loss: how surprised it is by each real next token. Backpropagation works out how each weight "
            f"should change to lower it, and nudges them all. That is one step; this model took {big(learn['steps'])}.",
        )
        if self.dot is None:
            self.play(Create(self.curve), run_time=2)
        else:
            self.wait(0.5)

    def advance(self, k: int):
        stage, t = self.stages[k], self.trace
        top = stage["top"][0]
        words = "the shipped weights" if stage["kind"] == "final" else f"step {stage['step']:,}"
        loss = f" The validation loss is {dec(stage['val_loss'], 2)}." if stage["val_loss"] is not None else ""
        queen = f" Queen now ranks {big(stage['queen_rank'])}." if stage["queen_rank"] is not None else ""
        self.beat(
            words.capitalize(),
            "Now at {s}; the same prompt, the same question.",
            s=claim(statements(t)[f"learning.{k}.stage"]),
            say=f"At {words}.{loss} The likeliest next token is {spoken_token(top['display'])}, at {pct(top['prob'])}; "
            f"greedily it writes {plain_quote(stage['greedy']['text'], 'these tokens')}.{queen}",
        )
        # Every picture of stage k - 1 becomes stage k's: the bars and their numbers, the continuation, the words.
        moves = []
        for name, make in (("bar_group", self.bars), ("title", self.stage_title), ("share", self.final_share),
                           ("spread_line", self.spread), ("greedy_row", self.greedy), ("judged_line", self.judged)):  # fmt: skip
            new = make(k)
            moves.append(ReplacementTransform(getattr(self, name), new))
            setattr(self, name, new)
        if stage["val_loss"] is not None:
            tag = self.loss_tag(k)
            if self.dot is None:
                self.dot = Dot(self.axes.c2p(stage["step"], stage["val_loss"]), radius=0.08, color=style.NEXT_SLOT)
                moves += [GrowFromCenter(self.dot), FadeIn(tag)]
            else:
                moves += [MoveAlongPath(self.dot, self.segment(k - 1, k)), ReplacementTransform(self.tag, tag)]
            self.tag = tag
        if stage["queen_rank"] is not None and len(self.ranks):
            arrow, rank = label("→", size=20, color=style.MUTED), self.queen(k)
            old = self.ranks[-1]
            self.ranks.add(arrow, rank)
            self.place_ranks()
            moves += [TransformFromCopy(old, rank), FadeIn(arrow)]
        self.play(*moves, run_time=2)

    def sum_up(self):
        found = statements(self.trace)
        last = len(self.stages) - 1
        if "learning.loss" in found:
            self.beat(
                "Lower loss",
                "{s}",
                s=claim(found["learning.loss"]),
                say=f"Over training the validation loss, measured on stories the model never trained on, went from "
                f"{dec(found['learning.loss'].evidence['first'], 1)} to {dec(found['learning.loss'].evidence['last'], 1)}.",
            )
        if f"learning.{last}.analogy" in found:
            verdict = found[f"learning.{last}.analogy"]
            self.beat(
                "Queen",
                "In the shipped weights {s}",
                s=claim(verdict),
                say="Nobody wrote the analogy in: king minus man plus woman lands near queen only because training "
                f"moved the embeddings. In the shipped weights queen ranks {big(verdict.evidence['rank'])}.",
            )

    def scale_up(self):
        """GPT-2 and GPT-3 beside this model: the same recipe with far more parameters and text."""
        t, learn = self.trace, self.learn

        def cell(text: str, color=style.TEXT):
            return label(text, size=18, color=color)

        trained = (sentence("{n} tokens", size=18, n=(learn["tokens_seen"], "info.learning.tokens_seen", "comma"))
                   if learn.get("tokens_seen") else cell(""))  # fmt: skip
        table = [
            VGroup(cell(""), cell("parameters", style.MUTED), cell("trained on", style.MUTED)),
            VGroup(cell("this model", style.NEXT_SLOT), number(t.meta["n_params"], "meta.n_params", "comma", size=18,
                   font=FONT), trained),
            VGroup(cell(f"GPT-2 ({GPT2['year']})"), cell(GPT2["params"]), cell(GPT2["trained"])),
            VGroup(cell(f"GPT-3 ({GPT3['year']})"), number(t.info["gpt3"]["total"], "info.gpt3.total", "billion",
                   size=18, font=FONT), cell(GPT3["trained"])),
        ]  # fmt: skip
        left, top = (RIGHT_X, 2.7) if learn.get("available") else (-3.1, 1.2)
        x = left
        for c in range(3):  # each column starts after the widest cell of the one before
            for r, row in enumerate(table):
                row[c].move_to([x, top - 0.5 * r, 0], aligned_edge=LEFT)
            x += max(row[c].width for row in table) + 0.35
        note = label("published figures; the same recipe, scaled up", size=18, color=style.MUTED)
        note.move_to([left, top - 0.5 * len(table), 0], aligned_edge=LEFT)
        group = VGroup(*table, note)
        if learn.get("available"):
            self.fit_right(group)
        self.beat(
            "GPT-2 and GPT-3",
            "GPT-2, GPT-3: far more parameters and training text, far better text (published).",
            static=True,
            say=f"This model has {big(t.meta['n_params'])} weights. GPT-2, in 2019, had one and a half billion; "
            "GPT-3, in 2020, a hundred and seventy-five billion, trained on about three hundred billion tokens. Same "
            "recipe: random weights, tuned by backpropagation. More parameters and more training write far better text.",
        )
        # the stage's bars and words give way to the table; queen's ranks and the continuation stay
        old = [m for m in (getattr(self, n, None) for n in ("title", "bar_group", "share", "spread_line"))
               if m is not None]  # fmt: skip
        if old:
            self.play(*(FadeOut(m) for m in old))
        self.play(FadeIn(group, shift=0.1 * DOWN), run_time=1.5)
        self.wait(1)

    def no_record(self):
        learn, t = self.learn, self.trace
        if learn.get("reason"):
            line = sentence("{r}: the lecture cannot show how its weights were learned.", size=22,
                            r=(learn["reason"], "info.learning.reason", "text"))  # fmt: skip
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
