"""How the weights were learned: the loss falling on a log step axis, and the model at its training snapshots run on the prompt."""

from __future__ import annotations

import math

from manim import (
    DOWN,
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    AnimationGroup,
    Arrow,
    Axes,
    Create,
    DashedLine,
    Dot,
    FadeIn,
    FadeOut,
    GrowFromCenter,
    GrowFromEdge,
    Indicate,
    LaggedStart,
    Line,
    MoveAlongPath,
    Rectangle,
    ReplacementTransform,
    ShowPassingFlash,
    Square,
    SurroundingRectangle,
    VGroup,
    VMobject,
    config,
)

from model.claims import statements
from scenes import style
from scenes.base import TraceScene
from scenes.components import (
    HEADING,
    LABEL,
    SMALLEST,
    TOKEN,
    TokenBox,
    claim,
    label,
    number,
    sentence,
    statement,
    swap,
)
from scenes.pacing import cue, dim, said_by
from scenes.speech import big, dec, plain_quote
from scenes.style import FONT

RIGHT_X = 1.0  # the right panel's left edge: the stage, what it writes, queen's rank
PROMPT_TAIL = 2  # prompt tokens shown before each greedy continuation
RANK_LEAD = 1.6  # seconds before a sentence ends (where its number is said) that the number is on screen
STEP_CHANGE = 1.5  # seconds a stage's continuation takes to change, at most (never past their sentence)
FIRST_TICK = 10  # the log step axis starts here (step 0, the random start, has no place on it)
SLOT = 1.0  # the width a scored token's place in the prompt row takes at least (its bar's "p = …" over it)
SURPRISE_BARS = 3  # the prompt's tokens whose surprise is drawn as bars, on their own axis in the right half
SURPRISE_X = 0.75  # the surprise axis's upright, just right of the loss chart's end (the right half its own)
# Published figures of two larger GPTs (reference, not this model): parameters, training text, year.
GPT2 = {"params": "1.5 B", "count": 1.5e9, "year": "2019"}
GPT3 = {"trained": "300 B tokens", "year": "2020"}


class Learning(TraceScene):
    """Weights start random and are tuned by backpropagation: the validation loss drawn on a log step axis as
    training goes, and beside it what the model writes for the prompt and queen's analogy rank at each
    training snapshot."""

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

    def stage_title(self, k: int):
        title = statement(statements(self.trace)[f"learning.{k}.stage"], size=LABEL + 4, color=style.NEXT_SLOT)
        self.fit_right(title.move_to([RIGHT_X, 2.55, 0], aligned_edge=LEFT))
        return title

    def greedy(self, k: int) -> VGroup:
        """The prompt's last tokens, then this stage's greedy continuation in the next-token colour, wrapped in
        the right panel under the words "it writes"."""
        t = self.trace
        n = len(t.token_ids)
        first = max(0, n - PROMPT_TAIL)
        display = t.fields.info.tokens.display
        while first > max(0, n - PROMPT_TAIL - 2) and not display[first].value.startswith("·"):
            first -= 1  # (from a word's start: not "ets" of "nets")
        chips = [label("…", size=TOKEN, color=style.MUTED)] if first else []
        chips += [
            TokenBox(display[i], hue=style.MUTED, size=TOKEN, limit=10) for i in range(first, n)
        ]  # (prompt: grey)
        greedy = self.stage(k).greedy.display
        chips += [TokenBox(greedy[j], hue=style.NEXT_SLOT, size=TOKEN, limit=10) for j in range(len(greedy))]
        room = config.frame_width / 2 - style.FRAME_MARGIN - RIGHT_X
        rows, row = VGroup(), VGroup()
        for chip in chips:  # wrapped: a new line when the next chip would pass the frame's edge
            if len(row) and VGroup(*row, chip).arrange(RIGHT, buff=0.08).width > room:
                rows.add(row)
                row = VGroup()
            row.add(chip)
            row.arrange(RIGHT, buff=0.08)
        rows.add(row)
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.16)
        rows.prompt_count = len(chips) - len(greedy)  # (the prompt's chips come first, the same at every stage)
        return rows.move_to([RIGHT_X, 1.85, 0], aligned_edge=LEFT + UP)

    def queen(self, k: int):
        return number(self.stage(k).queen_rank, fmt="comma", size=HEADING, color=style.NEXT_SLOT)

    # The loss curve, on a log step axis: each tenfold more steps as wide as the one before.
    def at(self, step: float, loss: float):
        return self.axes.c2p(math.log10(max(step, FIRST_TICK)), loss)

    def build_axes(self):
        learn = self.learn
        curve = learn["curve"]
        steps = max(learn["steps"], max((c["step"] for c in curve), default=1))
        low = 0  # (from zero: the surprise bars stand on it, and a bar's height is read on this axis)
        high = int(learn["uniform_loss"]) + 1
        right = math.log10(max(steps, FIRST_TICK * 10))
        self.axes = Axes(x_range=[1, right, 1], y_range=[low, high, 1], x_length=6.4, y_length=4.3, tips=False,
                         axis_config={"color": style.MUTED, "stroke_width": 3})  # fmt: skip
        self.axes.move_to([-3.0, 0.1, 0])
        ticks = VGroup()
        for e in range(1, int(right) + 1):
            if 10**e < steps * 0.6:  # (the last tick is the steps taken)
                ticks.add(label(f"{10**e:,}", size=SMALLEST, color=style.MUTED).next_to(self.at(10**e, low), DOWN))
        ticks.add(number(self.trace.fields.info.learning.steps, fmt="comma", size=SMALLEST, color=style.MUTED)
                  .next_to(self.at(steps, low), DOWN))  # fmt: skip
        self.step_ticks = ticks[:]
        for y in range(high, low, -5 if high - low > 8 else -1):  # (none at the corner; few: the bars carry numbers)
            ticks.add(label(f"{y}", size=SMALLEST, color=style.MUTED).next_to(self.axes.c2p(1, y), LEFT, buff=0.1))
        names = VGroup(
            label("loss", size=LABEL, color=style.MUTED).next_to(self.axes.c2p(1, high), UP, buff=0.12),
            label("training steps (log scale)", size=LABEL, color=style.MUTED).next_to(ticks[0], DOWN, buff=0.1),
        )
        names[0].align_to(self.axes, LEFT)
        names[1].align_to(self.axes, RIGHT)
        uniform = DashedLine(self.axes.c2p(1, learn["uniform_loss"]), self.axes.c2p(right, learn["uniform_loss"]),
                             color=style.MUTED, stroke_width=2)  # fmt: skip
        uniform_label = sentence("every token equally likely: {u}", size=LABEL, color=style.MUTED,
                                 u=(self.trace.fields.info.learning.uniform_loss, "fixed2"))  # fmt: skip
        uniform_label.next_to(uniform, UP, buff=0.06).align_to(uniform, RIGHT)  # (above: the curve runs below it)
        self.curve = VMobject(color=style.KEY, stroke_width=5)  # drawn stage by stage, as training goes
        self.curve.set_points_as_corners([self.at(c["step"], c["val_loss"]) for c in curve])
        self.chart = VGroup(self.axes, ticks, names, uniform, uniform_label)

    def surprise_positions(self) -> list[int]:
        """Positions p whose next token's surprise (−log p, the loss of one token) is drawn: of the prompt's tokens
        the shipped model found likelier than an even guess (word starts if there are enough), SURPRISE_BARS at
        even steps from the least surprising to the most, in prompt order."""
        t = self.trace
        probs = [float(x) for x in t["positions.next_probs"]]
        display = t.info["tokens"]["display"]
        even = 1.0 / self.learn["vocab_size"]
        fits = [p for p, x in enumerate(probs) if x > even]
        words = [p for p in fits if display[p + 1].startswith("·") and display[p + 1][1:2].isalnum()  # whole words,
                 and (p + 2 >= len(display) or not display[p + 2][:1].isalnum())]  # no piece after  # fmt: skip
        pool = sorted(words if len(words) >= SURPRISE_BARS else fits, key=lambda p: -probs[p])
        if len(pool) <= SURPRISE_BARS:
            return sorted(pool)
        picks = {pool[round(i * (len(pool) - 1) / (SURPRISE_BARS - 1))] for i in range(SURPRISE_BARS)}
        return sorted(picks)

    def prompt_row(self) -> VGroup:
        """The prompt, one grey tile a token, across the right half under the surprise axis: shown from the
        start, each surprise bar later stands on the token it scores (those tokens full size, in slots wide enough
        for their bar's numbers). A prompt too long to read that way shows only each scored token and the one
        before it, "…" between. `self.chip_of[i]`: token i's tile."""
        display = self.trace.fields.info.tokens.display
        scored = {p + 1 for p in self.surprise_positions()}
        room = config.frame_width / 2 - style.FRAME_MARGIN - SURPRISE_X - 0.15
        tile = lambda i: TokenBox(display[i], hue=style.MUTED, size=TOKEN, limit=10)  # noqa: E731
        self.chip_of = {i: tile(i) for i in range(len(self.trace.token_ids))}
        rest = sum(c.width for i, c in self.chip_of.items() if i not in scored)
        fixed = 0.06 * (len(self.chip_of) - 1) + sum(max(SLOT, self.chip_of[i].width) for i in scored)
        scale = (room - fixed) / max(rest, 1e-6)  # (the others shrunk alike to make room)
        if scale >= 0.45:
            shown = list(self.chip_of)
        else:  # only the scored tokens and their one token before, "…" where tokens are left out
            keep = sorted({j for i in scored for j in (i - 1, i) if j >= 0})
            shown, scale = [], 0.75  # (the token before, smaller: the scored one is what its bar is about)
            for j in keep:
                if j - 1 not in keep and j > 0:
                    shown.append(None)
                shown.append(j)
        row, x = VGroup(), 0.0
        for i in shown:  # (left to right, a scored token full size, centred in its wider slot)
            chip = label("…", size=TOKEN, color=style.MUTED).scale(scale) if i is None else self.chip_of[i]
            if i is not None and i not in scored:
                chip.scale(min(1.0, scale))
            slot = max(chip.width, SLOT if i in scored else 0)
            row.add(chip.move_to([x + slot / 2, 0, 0]))
            x += slot + 0.06
        if row.width > room:  # (still too long: all of it shrunk to fit)
            row.scale_to_fit_width(room)
        return row

    def surprise_axis(self) -> VGroup:
        """The surprise's own upright in the right half: the loss axis's scale and floor (a bar's height reads as
        it would as a loss), its floor the line the prompt's tiles hang under (named by the rule, over it)."""
        high, floor = self.axes.y_range[1], self.axes.c2p(1, 0)[1]
        right = config.frame_width / 2 - style.FRAME_MARGIN
        up = Line([SURPRISE_X, floor, 0], [SURPRISE_X, self.axes.c2p(1, high)[1], 0], color=style.MUTED,
                  stroke_width=3)  # fmt: skip
        base = Line([SURPRISE_X, floor, 0], [right, floor, 0], color=style.MUTED, stroke_width=3)
        ticks = VGroup(*(label(f"{y}", size=SMALLEST, color=style.MUTED).next_to([SURPRISE_X, self.axes.c2p(1, y)[1],
                         0], LEFT, buff=0.1) for y in range(high, 0, -5 if high > 8 else -1)))  # fmt: skip
        return VGroup(up, base, ticks)

    def surprise_bars(self) -> tuple[VGroup, VGroup]:
        """The shipped model's surprise at a few of the prompt's real next tokens, as bars on their own axis in the
        right half, each standing on its token's tile (self.prompt): as tall as −log p, "p = …" over it."""
        t = self.trace
        shown = self.surprise_positions()
        read = t.stored("positions.next_probs")
        bars = self.place_surprises(shown, read, two_lines=False)
        if any(b[2].gptanim_stacked for b in bars):  # neighbours' "p = …" would touch: each on two lines
            bars = self.place_surprises(shown, read, two_lines=True)
        self.surprise_shown = [(p, bar.height) for p, bar in zip(shown, (b[0] for b in bars))]  # (for the tests)
        self.surprise_feet = [(self.chip_of[p + 1], bar.get_center()[0]) for p, bar in zip(shown, (b[0] for b in bars))]
        rule = VGroup(label("surprise = −log p", size=HEADING, color=style.KEY),
                      label("(finished model)", size=TOKEN, color=style.MUTED)).arrange(RIGHT, buff=0.2)  # fmt: skip
        rule.next_to([SURPRISE_X, self.axes.c2p(1, self.axes.y_range[1])[1], 0], UP, buff=0.12)
        self.fit_right(rule.align_to([SURPRISE_X - 0.3, 0, 0], LEFT))  # (the surprise axis's name, over its top)
        return bars, rule

    def place_surprises(self, shown: list[int], read, two_lines: bool) -> VGroup:
        """Each shown position's bar on its token's tile, its surprise in or over it, "p = …" over that (on two
        lines when asked); a "p = …" that would touch its neighbour's goes over it (`gptanim_stacked`)."""
        t, bars = self.trace, VGroup()
        bottom = self.axes.c2p(1, 0)[1]
        for p in shown:
            chip = self.chip_of[p + 1]
            top = self.axes.c2p(1, -math.log(float(t["positions.next_probs"][p])))[1]
            bar = Rectangle(width=max(0.45, min(0.9, chip.width)), height=max(top - bottom, 0.02), stroke_width=0,
                            fill_color=style.KEY, fill_opacity=0.75)  # fmt: skip
            bar.move_to([chip.get_center()[0], (top + bottom) / 2, 0])
            value = number(read[p], fmt="surprise", size=TOKEN, color=style.TEXT, font=FONT)
            chance = sentence("p = {p}", size=TOKEN, color=style.TEXT, p=(read[p], "percent"))  # its p
            if two_lines:
                chance = VGroup(label("p =", size=TOKEN, color=style.TEXT),
                                number(read[p], fmt="percent", size=TOKEN, color=style.TEXT)).arrange(DOWN, buff=0.06)  # fmt: skip
            chance.gptanim_stacked = False
            if bar.height > value.height + 0.3:  # (its surprise inside the bar's top, else over it)
                value.move_to(bar.get_top() + (value.height / 2 + 0.12) * DOWN)
                chance.next_to(bar, UP, buff=0.12)
            else:
                value.set_color(style.KEY).next_to(bar, UP, buff=0.08)
                chance.next_to(value, UP, buff=0.1)
            right = config.frame_width / 2 - style.FRAME_MARGIN
            chance.shift(min(0, right - chance.get_right()[0]) * RIGHT)  # (inside the frame, over its bar still)
            prev = bars[-1][2] if bars else None  # (neighbours that would touch: one over the other)
            if prev is not None and chance.get_left()[0] < prev.get_right()[0] + 0.25 and \
                    abs(chance.get_y() - prev.get_y()) < chance.height + 0.08:  # fmt: skip
                chance.shift((prev.get_top()[1] - chance.get_bottom()[1] + 0.08) * UP)
                chance.gptanim_stacked = True
            bars.add(VGroup(bar, value, chance))
        return bars

    def loss_tag(self, k: int):
        stage = self.stages[k]
        tag = number(self.stage(k).val_loss, fmt="fixed2", size=TOKEN, color=style.NEXT_SLOT)
        tag.next_to(self.at(stage["step"], stage["val_loss"]), UP + RIGHT, buff=0.1)
        if tag.get_right()[0] > RIGHT_X - 0.2:  # (the last stage's, at the axis's end: above its point)
            tag.next_to(self.at(stage["step"], stage["val_loss"]), UP, buff=0.15)
        return tag

    def segment(self, a: int, b: int) -> VMobject:
        """The curve from stage a's step to stage b's, for the dot to move along."""
        lo, hi = self.stages[a]["step"], self.stages[b]["step"]
        points = [self.at(c["step"], c["val_loss"]) for c in self.learn["curve"] if lo <= c["step"] <= hi]
        path = VMobject()
        path.set_points_as_corners(points if len(points) > 1 else points * 2)
        return path

    # The beats. Each sentence of a beat brings in what it names (scenes.pacing): the picture changes as it is said.
    def show_start(self):
        self.build_axes()
        stage, learn = self.stages[0], self.learn
        self.title = self.stage_title(0)
        self.writes = label("it writes (yellow)", size=LABEL, color=style.NEXT_SLOT).move_to(
            [RIGHT_X, 2.05, 0], aligned_edge=LEFT
        )
        self.greedy_row = self.greedy(0)
        self.greedy_row.shift(0.25 * DOWN)
        self.queen_head = label(f"{learn['analogy']['expression']}: “{learn['analogy']['target']}” ranks"
                                if learn.get("analogy") else "king − man + woman: “queen” ranks",
                                size=LABEL, color=style.MUTED)  # fmt: skip
        self.queen_head.move_to([RIGHT_X, -0.75, 0], aligned_edge=LEFT)
        self.fit_right(self.queen_head)
        self.ranks = VGroup()
        said = plain_quote(stage["greedy"]["text"], "this")
        if stage["kind"] == "start":
            first = "Every weight of this model began as a random number."
        else:
            first = f"The training record starts at step {stage['step']}."
        self.beat("The start", "Training begins at {s}.", s=claim(statements(self.trace)["learning.0.stage"]),
                  say=f"{first} Asked to go on from the prompt, picking its top guess again and again, it writes "
                  f"{said}.")  # fmt: skip
        self.prompt = self.prompt_row()  # (in the right half, under where the surprise axis will stand)
        right = config.frame_width / 2 - style.FRAME_MARGIN
        self.prompt.move_to([(SURPRISE_X + 0.15 + right) / 2, self.axes.c2p(1, 0)[1] - 0.2 - self.prompt.height / 2, 0])
        self.prompt_name = label("the prompt", size=LABEL, color=style.MUTED).next_to(self.prompt, UP, buff=0.12)
        self.prompt_name.align_to(self.prompt, LEFT)
        self.play(FadeIn(VGroup(self.heading, self.title, self.axes, self.chart[1], self.chart[2])),
                  FadeIn(VGroup(self.prompt, self.prompt_name), shift=0.1 * DOWN))  # (axes named; the prompt whole)  # fmt: skip
        start = SurroundingRectangle(self.title, buff=0.06, color=style.NEXT_SLOT)  # where training starts
        self.play(Create(start), run_time=min(1.0, said_by(self, 0, 0.6)))
        cue(self, 1)
        self.play(dim(start), FadeIn(self.writes), run_time=0.5)
        chips = [c for row in self.greedy_row for c in row]
        self.play(LaggedStart(*(FadeIn(c, shift=0.1 * RIGHT) for c in chips), lag_ratio=0.15),
                  run_time=said_by(self, 1, 1.0) * 0.8)  # fmt: skip
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
        """Queen's ranks in a chain at full size, wrapped onto a new line at the frame's edge (never shrunk)."""
        room = config.frame_width / 2 - style.FRAME_MARGIN - RIGHT_X
        x, y = RIGHT_X, -1.35
        for m in self.ranks:
            if x > RIGHT_X and x + m.width > RIGHT_X + room:
                x, y = RIGHT_X, y - 0.62
            m.move_to([x, y, 0], aligned_edge=LEFT)
            x += m.width + 0.16

    def left_middle(self) -> float:
        """The middle of the left half (the loss axes' side), between the frame's edge and the right panel."""
        return (RIGHT_X - 0.3 - config.frame_width / 2 + style.FRAME_MARGIN) / 2

    def fit_right(self, mob):
        room = config.frame_width / 2 - style.FRAME_MARGIN - mob.get_left()[0]
        if mob.width > room:
            mob.scale_to_fit_width(room, about_edge=LEFT)
        return mob

    def show_training(self):
        self.show_surprise()
        self.show_loss()
        self.show_backprop()

    def show_surprise(self):
        """The prompt's tiles lie down under the axis (the step ticks go), and a few bars of surprise rise on them."""
        self.beat(
            "Surprise",
            "Surprise = −log p: the rarer the model thought the real next token, the taller its bar.",
            say="Before each token of a story, the model gives the real next token a probability, p. Its surprise is minus the log of p: small when it expected the token, "
            "large when it did not. Here is the surprise of the finished model at a few words of our prompt.",
        )
        old = [m for m in (getattr(self, "rank_mark", None),) if m is not None]
        # the random start's panel steps aside while the shipped model's surprise is shown: one model at a time
        chips = [c for row in self.greedy_row for c in row]  # (they came one by one: each is on screen itself)
        self.aside = VGroup(*(m for m in (self.title, self.writes, *chips, self.queen_head, self.ranks)
                              if any(m in x.get_family() for x in self.mobjects)))  # fmt: skip
        self.surprise_frame = self.surprise_axis()  # its own axis over the prompt, in the right half
        self.play(*(dim(m) for m in old), FadeOut(self.prompt_name), FadeOut(self.aside), run_time=0.6, now=True)
        self.play(Create(self.surprise_frame[:2]), FadeIn(self.surprise_frame[2]), run_time=0.8)
        bars, rule = self.surprise_bars()
        self.bars = bars
        if not len(bars):  # a one-token prompt holds no real next token to score: the rule alone
            self.play(FadeIn(rule, shift=0.1 * DOWN), run_time=0.8)
            self.rule = rule
            return
        scored = [self.chip_of[p + 1] for p, _ in self.surprise_shown]
        # a probability for the real next token (said now): each scored token marked, its p over it
        self.play(LaggedStart(*(AnimationGroup(Indicate(c, color=style.KEY), FadeIn(b[2], shift=0.2 * DOWN))
                                for c, b in zip(scored, bars)), lag_ratio=0.3), run_time=1.2)  # fmt: skip
        cue(self, 1)  # the rule, and each token's p becomes its surprise: the bars grow up to their p
        self.play(FadeIn(rule, shift=0.1 * DOWN), run_time=0.8)
        grow = [AnimationGroup(GrowFromEdge(b[0], DOWN), FadeIn(b[1])) for b in bars]
        self.play(LaggedStart(*grow, lag_ratio=0.3), run_time=max(1.5, said_by(self, 1, 1.5) - 0.8))
        cue(self, 2)  # the shipped model's surprise at these words: its name, then each bar in turn
        self.play(Indicate(rule[1], color=style.KEY), run_time=0.8)
        self.play(LaggedStart(*(Indicate(b[0], color=style.NEXT_SLOT, scale_factor=1.05) for b in bars),
                              lag_ratio=0.4), run_time=max(1.2, said_by(self, 2, 1.5) - 0.8))  # fmt: skip
        self.rule = rule

    def show_loss(self):
        """The bars squash into one, their average, which slides onto the loss axis as a mark named "loss"."""
        self.beat(
            "The loss",
            "The loss: the surprise averaged over many real tokens; lower is better.",
            say="The loss is this surprise, averaged over many tokens: lower is better. Guessing every token equally "
            "likely would score this dashed line.",
        )
        bars, uniform, uniform_label = self.bars, self.chart[3], self.chart[4]
        if not len(bars):  # (nothing scored: the mark starts at the first measured loss)
            first = next(c["val_loss"] for c in self.trace.info["learning"]["curve"] if c["val_loss"] is not None)
            bars = VGroup(VGroup(Rectangle(width=0.6, height=self.axes.c2p(1, first)[1] - self.axes.c2p(1, 0)[1],
                                           stroke_width=0).move_to(self.axes.c2p(1, 0), aligned_edge=DOWN)))  # fmt: skip
        mean = sum(b[0].height for b in bars) / len(bars)  # the bars pour into one: their average surprise
        merged = bars[0][0].copy().stretch_to_fit_width(max(1.2, bars[-1][0].get_right()[0] - bars[0][0].get_left()[0]))
        merged.stretch_to_fit_height(mean).move_to(VGroup(*(b[0] for b in bars))).align_to(bars[0][0], DOWN)
        average = label("loss = average surprise", size=HEADING, color=style.KEY)
        self.fit_right(average.move_to(self.rule, aligned_edge=LEFT))
        self.play(*(ReplacementTransform(b[0], merged) for b in bars), *(FadeOut(b[1:]) for b in bars),
                  swap(self.rule, average), run_time=min(1.5, said_by(self, 0, 1.0)), now=True)  # fmt: skip
        origin = self.axes.c2p(1, 0)  # (the two axes share floor and scale: the average flies straight across)
        self.loss_mark = Line(ORIGIN, RIGHT * 0.55, color=style.KEY, stroke_width=10)
        self.loss_mark.move_to([origin[0], origin[1] + mean, 0], aligned_edge=LEFT)
        self.mark_start = (mean, origin[1] + mean)  # (the average bar's height, where the mark lands: the tests)
        self.mark_name = label("loss", size=TOKEN, color=style.KEY).next_to(self.loss_mark, RIGHT, buff=0.12)
        home = average.copy().next_to(self.chart[2][0], RIGHT, buff=0.4)  # (beside the loss axis's name)
        self.play(ReplacementTransform(merged, self.loss_mark), FadeIn(self.mark_name, shift=0.3 * LEFT),
                  average.animate.move_to(home), FadeOut(VGroup(self.prompt, self.surprise_frame)), run_time=1.2,
                  now=True)  # fmt: skip
        cue(self, 1)  # the even guess's line, its name where "loss = average surprise" was
        self.play(FadeOut(average), run_time=0.4, now=True)
        self.play(Create(uniform), FadeIn(uniform_label), run_time=1.2)

    WEIGHTS = 7  # the weights drawn in the training picture (a few of them: each a knob on its own track)

    def weight_knobs(self) -> VGroup:
        """A few weights, each a knob on its own short track, low in the chart (where a knob sits only suggests a
        value: no number is claimed), named under the step axis."""
        floor, top = self.axes.c2p(1, 0.6)[1], self.axes.c2p(1, 3.6)[1]
        left, right = self.axes.c2p(1.3, 0)[0], self.axes.get_right()[0] - 0.3
        tracks, knobs = VGroup(), VGroup()
        for i in range(self.WEIGHTS):
            x = left + (right - left) * i / (self.WEIGHTS - 1)
            tracks.add(Line([x, floor, 0], [x, top, 0], color=style.MUTED, stroke_width=4))
            knobs.add(Dot([x, floor + (top - floor) * (0.25 + 0.5 * ((i * 5) % 7) / 6), 0], radius=0.13,
                          color=style.TEXT))  # fmt: skip
        name = label("a few of the weights", size=LABEL, color=style.MUTED)
        name.next_to(self.axes.c2p(1, 0), DOWN, buff=0.2).align_to(tracks, LEFT)
        group = VGroup(tracks, knobs, name)
        group.span = (floor, top)
        return group

    def gradients(self, knobs: VGroup, round_: int) -> tuple[VGroup, list]:
        """Each knob's arrow, the way that lowers the loss (up or down, never off its track), and the nudge: each
        knob a little along its arrow."""
        floor, top = knobs.span
        arrows, moves = VGroup(), []
        for i, k in enumerate(knobs[1]):
            way = 1 if (i * 3 + round_ * 2) % 5 < 2 else -1
            y = k.get_y()
            if not floor + 0.35 < y + way * 0.3 < top - 0.35:
                way = -way
            start = k.get_center() + way * 0.18 * UP
            arrows.add(Arrow(start, start + way * 0.55 * UP, buff=0, color=style.NEXT_SLOT, stroke_width=5,
                             tip_length=0.16, max_tip_length_to_length_ratio=0.5))  # fmt: skip
            moves.append(k.animate.shift(way * 0.22 * UP))
        return arrows, moves

    def step_tag(self, i: int, y: float) -> VGroup:
        """ "step N" beside the loss mark at height y: the N of the curve's i-th measured point."""
        tag = VGroup(label("step", size=TOKEN, color=style.KEY), number(self.trace.fields.info.learning.curve[i].step,
                     fmt="comma", size=TOKEN, color=style.KEY, font=FONT)).arrange(RIGHT, buff=0.12)  # fmt: skip
        return tag.move_to([self.loss_mark.get_right()[0] + 0.15, y, 0], aligned_edge=LEFT)

    def show_backprop(self):
        """A few weight cells are nudged, round after round, while the loss mark steps down the curve's first
        measured points; then the step axis returns, its ticks tenfold apart."""
        learn = self.learn
        self.beat(
            "Training",
            "Backpropagation: which way each weight lowers the loss; all nudged a little = one step.",
            say="After each batch, a method called backpropagation works out which way every weight should move to "
            f"lower the loss, and nudges them all a little. That is one step, and this model took {big(learn['steps'])}. Each step to the right here is "
            "ten times as many as the one before. We measure the loss on stories it never trains on.",
        )
        knobs, curve = self.weight_knobs(), learn["curve"]
        points = [i for i in range(min(4, len(curve))) if curve[i]["val_loss"] is not None]
        steps = VGroup(*self.step_ticks, self.chart[2][1])  # (the knobs' name takes their place a while)
        self.play(FadeOut(steps), FadeIn(knobs, shift=0.1 * UP),
                  Indicate(self.chart[2][0], color=style.KEY), run_time=0.8, now=True)  # fmt: skip
        per = max(0.8, (said_by(self, 0, 1.2) - 0.8) / max(1, len(points)))
        name, self.mark_steps = self.mark_name, []  # (the curve points the mark stepped to, for the tests)
        arrows = VGroup()
        for r, i in enumerate(points):  # round after round: which way each weight goes, a nudge, the loss lower
            y = self.axes.c2p(1, curve[i]["val_loss"])[1]
            tag = self.step_tag(i, y)
            self.mark_steps.append((i, y))
            new, moves = self.gradients(knobs, r)
            self.play(FadeOut(arrows), FadeIn(new), run_time=0.4 * per, now=True)  # (the old arrows gone first)
            # the finished model's loss gives way to training's first measured one (never a mark climbing while
            # the narrator says the nudges lower it); from there the mark steps down the curve
            mark = [FadeOut(self.loss_mark), FadeOut(name)] if r == 0 else [self.loss_mark.animate.set_y(y),
                                                                            swap(name, tag)]  # fmt: skip
            self.play(*moves, *(a.animate.shift(a.get_vector() * 0.4) for a in new), *mark, run_time=0.6 * per,
                      now=True)  # fmt: skip
            if r == 0:
                self.play(FadeIn(self.loss_mark.set_y(y)), FadeIn(tag), run_time=0.3, now=True)
            name, arrows = tag, new
        cue(self, 1)  # the steps taken: the step axis back, a marker running along it to the last tick
        runner = Dot(self.at(FIRST_TICK, 0), radius=0.11, color=style.NEXT_SLOT)  # (all the steps: from the start)
        trail = Line(self.at(FIRST_TICK, 0), self.at(self.learn["steps"], 0), color=style.NEXT_SLOT, stroke_width=6)
        self.play(FadeOut(VGroup(knobs, arrows, name)), FadeIn(VGroup(*self.step_ticks, self.chart[2][1])),
                  FadeIn(runner), run_time=0.6, now=True)  # fmt: skip
        mark = SurroundingRectangle(self.step_ticks[-1], buff=0.06, color=style.NEXT_SLOT)
        self.play(Create(trail), runner.animate.move_to(trail.get_end()), run_time=1.2)
        self.play(Create(mark), run_time=0.5)
        cue(self, 2)  # tenfold: the ticks, one after another
        self.play(dim(mark), LaggedStart(*(Indicate(t, color=style.NEXT_SLOT) for t in self.step_ticks),
                                         lag_ratio=0.5), run_time=min(2.5, said_by(self, 2, 1.5)))  # fmt: skip
        cue(self, 3)  # the loss, measured on stories kept aside: they pour into the mark, which gives way to the curve
        stories = self.held_out_stories()
        self.play(FadeOut(VGroup(runner, trail)), FadeIn(stories, shift=0.2 * UP), run_time=0.8, now=True)
        self.wait(0.8)  # (the pages read before they pour into the loss)
        self.play(stories[0].animate.scale(0.15).move_to(self.loss_mark), FadeOut(stories[1]), run_time=1.0, now=True)
        self.play(FadeOut(VGroup(self.loss_mark, stories[0])), Indicate(self.chart[2][0], color=style.KEY),
                  run_time=1.0, now=True)  # (the beat ends on the axis named)  # fmt: skip
        self.dot, self.tag = None, None
        first, back = self.stages[0], FadeIn(self.aside)  # (the random start's panel back: the stages follow)
        if first["val_loss"] is not None:  # (the loss the next stage's is "down" from)
            self.tag = self.loss_tag(0)
            self.dot = Dot(self.at(first["step"], first["val_loss"]), radius=0.1, color=style.NEXT_SLOT)
            self.play(GrowFromCenter(self.dot), FadeIn(self.tag), back, run_time=0.8)
        else:
            self.play(back, run_time=0.8)

    def held_out_stories(self) -> VGroup:
        """Three pages of story text (lines, no words) in the chart's middle, named as the stories kept aside."""
        pages = VGroup()
        for _ in range(3):
            page = Rectangle(width=1.0, height=1.25, stroke_color=style.MUTED, stroke_width=2, fill_opacity=0)
            lines = VGroup(*(Line(LEFT * 0.32, RIGHT * (0.32 - 0.12 * (j % 2)), color=style.MUTED, stroke_width=3)
                             for j in range(5))).arrange(DOWN, buff=0.14, aligned_edge=LEFT)  # fmt: skip
            pages.add(VGroup(page, lines.move_to(page)))
        pages.arrange(RIGHT, buff=0.3).move_to([self.axes.get_center()[0] + 0.6, self.axes.c2p(1, 4.6)[1], 0])
        name = label("stories it never trains on", size=LABEL, color=style.TEXT).next_to(pages, DOWN, buff=0.15)
        return VGroup(pages, name)

    def advance(self, k: int):
        stage, t = self.stages[k], self.trace
        before = self.stages[k - 1]
        when = "Now the shipped weights." if stage["kind"] == "final" else f"After {stage['step']:,} steps."
        loss = ""
        if stage["val_loss"] is not None:
            fell = before["val_loss"] is None or stage["val_loss"] < before["val_loss"]
            loss = f"The loss is {'down to' if fell else 'now'} {dec(stage['val_loss'], 2)}."
        writes = f"It writes {plain_quote(stage['greedy']['text'], 'this')}."
        queen = ""
        if stage["queen_rank"] is not None and before["queen_rank"] is not None:
            rank, old = stage["queen_rank"], before["queen_rank"]
            move = "climbs to" if rank < old else "stays at" if rank == old else "slips to"
            queen = f"Queen {move} number {big(rank)}."
        self.beat(
            "The shipped weights" if stage["kind"] == "final" else f"Step {stage['step']:,}",
            "Now at {s}; the same prompt, the same question.",
            s=claim(statements(t)[f"learning.{k}.stage"]),
            say=" ".join(s for s in (when, loss, writes, queen) if s),
        )
        n = 0  # the sentence said next
        new = self.stage_title(k)  # the old title slides out before the new slides in: never both at once
        moves = [AnimationGroup(FadeOut(self.title, shift=0.3 * UP), FadeIn(new, shift=0.3 * UP), lag_ratio=0.6)]
        self.title = new
        if stage["val_loss"] is not None:
            tag = self.loss_tag(k)
            if self.dot is None:
                self.dot = Dot(self.at(stage["step"], stage["val_loss"]), radius=0.1, color=style.NEXT_SLOT)
                moves += [GrowFromCenter(self.dot), FadeIn(tag)]
            else:  # the dot draws the curve on from the last stage to this one
                trail = self.segment(k - 1, k).set_stroke(style.KEY, 5)
                moves += [MoveAlongPath(self.dot, self.segment(k - 1, k)), Create(trail),
                          swap(self.tag, tag)]  # fmt: skip
            self.tag = tag
            n += 1
        self.play(*moves, run_time=said_by(self, n, 1.0), now=True)  # (a stage replacing the last, as it is said)
        cue(self, n + 1)  # what it writes now, in place of what it wrote
        row = self.greedy(k).shift(0.25 * DOWN)
        old, new = [c for r in self.greedy_row for c in r], [c for r in row for c in r]
        keep = row.prompt_count  # the prompt's chips stay; the continuation slides out and the new one in
        self.play(*(ReplacementTransform(a, b) for a, b in zip(old[:keep], new[:keep])),
                  AnimationGroup(FadeOut(VGroup(*old[keep:]), shift=0.3 * UP), FadeIn(VGroup(*new[keep:]),
                                 shift=0.3 * UP), lag_ratio=0.7),  # (one after the other: never two rows at once)
                  run_time=min(STEP_CHANGE, said_by(self, n + 1, 0.6)), now=True)  # fmt: skip
        self.greedy_row = row
        if queen and len(self.ranks) and stage["queen_rank"] != before["queen_rank"]:  # (a rank kept: said, not added)
            cue(self, n + 2)
            arrow, rank = label("→", size=HEADING, color=style.MUTED), self.queen(k)
            old = self.ranks[-1]
            self.ranks.add(arrow, rank)
            self.place_ranks()
            # on screen as its sentence begins; faded across, not morphed glyph by glyph (no "2θ" halfway)
            self.play(FadeIn(rank, target_position=old), FadeIn(arrow), run_time=0.6)

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
            self.add(self.curve)  # (over the stages' trails, the same line)
            trail = self.curve.copy().set_stroke(style.NEXT_SLOT, width=8, opacity=1)
            self.play(ShowPassingFlash(trail, time_width=0.5), run_time=said_by(self, 0, 1.5))
            cue(self, 1)  # a point travels the whole curve: the same model at every step, its weights better tuned
            walker = Dot(self.curve.get_start(), radius=0.08, color=style.NEXT_SLOT)
            self.play(MoveAlongPath(walker, self.curve), run_time=said_by(self, 1, 1.5))
            self.remove(walker)
        if f"learning.{last}.analogy" in found and len(self.ranks):
            verdict = found[f"learning.{last}.analogy"]
            first = next(st["queen_rank"] for st in self.stages if st["queen_rank"] is not None)  # (the chain's first)
            self.beat(
                "Queen",
                "In the shipped weights {s}",
                s=claim(verdict),
                say="Nobody wrote that analogy in: training found it. Step by step, queen climbed from number "
                f"{big(first)} to number {big(verdict.evidence['rank'])}.",
            )
            ranks = self.ranks[::2]  # queen's rank at each stage (arrows between them)
            mark = self.rank_mark = SurroundingRectangle(ranks[0], buff=0.06, color=style.NEXT_SLOT)
            self.play(Create(mark), Indicate(self.queen_head, color=style.NEXT_SLOT), run_time=1.0)
            cue(self, 1)  # the mark walks along queen's ranks as the climb is said: a quick move, then a hold
            per = max(0.4, (said_by(self, 1, 1.0) - 0.5) / max(1, len(ranks) - 1))
            for r in ranks[1:]:
                self.play(mark.animate.become(SurroundingRectangle(r, buff=0.06, color=style.NEXT_SLOT)), run_time=0.3)
                self.wait(per - 0.3)
            self.play(mark.animate.set_stroke(width=6), run_time=0.5)

    def sizes(self, side: float) -> VGroup:
        """The three models as squares of area in proportion to their weights, nested in one corner: GPT-3's as
        wide as `side`, GPT-2's a small square inside it, this model's a speck."""
        counts = [float(self.trace.meta["n_params"]), GPT2["count"], float(self.trace.info["gpt3"]["total"])]
        colors = [style.NEXT_SLOT, style.TEXT, style.MUTED]
        squares = [Square(max(0.04, side * math.sqrt(c / counts[-1])), stroke_color=col, stroke_width=2,
                          fill_color=col, fill_opacity=0.25 if i == 2 else 0.8) for i, (c, col) in enumerate(zip(counts, colors))]  # fmt: skip
        for q in squares[:2]:
            q.align_to(squares[2], DOWN + LEFT)
        return VGroup(*reversed(squares))

    def scale_table(self, size: float) -> VGroup:
        """This model, GPT-2 and GPT-3 by their weights (this model in millions, the published two in billions, as
        said), each name in its square's colour."""
        t = self.trace

        def cell(text: str, color=style.TEXT):
            return label(text, size=size, color=color)

        table = VGroup(
            VGroup(cell("this model", style.NEXT_SLOT), number(t.fields.meta.n_params, fmt="million", size=size,
                   font=FONT, color=style.NEXT_SLOT)),
            VGroup(cell("GPT-2"), cell(GPT2["params"])),
            VGroup(cell("GPT-3", style.MUTED), number(t.fields.info.gpt3.total, fmt="billion", size=size, font=FONT,
                   color=style.MUTED)),
        )  # fmt: skip
        x = max(row[0].width for row in table) + 0.4
        for r, row in enumerate(table):
            row[0].move_to([0, -0.5 * r, 0], aligned_edge=LEFT)
            row[1].move_to([x, -0.5 * r, 0], aligned_edge=LEFT)
        head = cell("weights", style.MUTED).move_to([x, 0.48, 0], aligned_edge=LEFT)
        return VGroup(head, *table)

    def scale_up(self):
        """GPT-2 and GPT-3 beside this model, each row as it is said, with squares as large as their weights:
        the same recipe with far more weights."""
        t, learn = self.trace, self.learn
        group = self.scale_table(TOKEN)
        head, table = group[0], group[1:]
        trained = label(f"GPT-3 trained on {GPT3['trained']}", size=LABEL, color=style.MUTED)
        trained.next_to(table[2], DOWN, buff=0.2).align_to(table[2][0], LEFT)
        group.add(trained)
        rows = VGroup(head, *table)  # (the squares as tall as the table, beside it: never over the notes under it)
        room = config.frame_width / 2 - style.FRAME_MARGIN - RIGHT_X - rows.width - 0.4  # (beside, with a gap)
        squares = self.size_squares = self.sizes(min(rows.height, room) if learn.get("available") else 2.0)
        if learn.get("available"):
            top = min(0.45, self.greedy_row.get_bottom()[1] - 0.15)  # (room under it for the two notes)
            group.move_to([RIGHT_X, top, 0], aligned_edge=LEFT + UP)
            right = config.frame_width / 2 - style.FRAME_MARGIN
            squares.move_to([right, rows.get_top()[1], 0], aligned_edge=RIGHT + UP)
        else:
            group.move_to([-3.1, 1.2, 0], aligned_edge=LEFT + UP)
            squares.next_to(group, RIGHT, buff=1.0).align_to(group, UP)
        ref = label("GPT-2, GPT-3: published figures", size=LABEL, color=style.MUTED)
        self.fit_right(ref.next_to(trained, DOWN, buff=0.15).align_to(trained, LEFT))
        area = label("area = weights", size=LABEL, color=style.MUTED).next_to(squares, DOWN, buff=0.15)
        area.align_to(squares, RIGHT)  # (what the squares are: each as large as its model, named in its colour)
        for note in (trained, ref):  # (the notes end short of it)
            if note.get_right()[0] > area.get_left()[0] - 0.2 and abs(note.get_y() - area.get_y()) < area.height:
                note.scale_to_fit_width(area.get_left()[0] - 0.2 - note.get_left()[0], about_edge=LEFT)
        self.beat(
            "GPT-2 and GPT-3",
            "Same recipe, scaled up: far better text.",
            static=True,
            say=f"This model has {big(t.meta['n_params'])} weights. For reference, the published figures: GPT-2, in "
            "2019, had one and a half billion. "
            "GPT-3, a year later, had a hundred and seventy-five billion, and trained on about three hundred billion "
            "tokens. The recipe is the same: random weights, tuned by backpropagation. Scaled up, it writes far "
            "better text.",
        )
        # the stage's title and queen's ranks give way to the table; the curve and the continuation stay
        old = [m for m in (getattr(self, n, None) for n in ("title", "queen_head", "ranks", "rank_mark"))
               if m is not None]  # fmt: skip
        old = [m for m in old if m in self.mobjects or any(m in x.get_family() for x in self.mobjects)]
        if old:
            self.play(*(FadeOut(m) for m in old), run_time=0.6, now=True)
        self.play(FadeIn(VGroup(head, table[0], area), shift=0.1 * DOWN), GrowFromCenter(squares[2]), run_time=1)
        cue(self, 1)
        self.play(FadeIn(VGroup(ref, table[1]), shift=0.1 * DOWN), run_time=0.8)
        self.play(GrowFromEdge(squares[1], DOWN + LEFT), run_time=max(1.0, said_by(self, 1, 1.0) - 0.3))  # (as said)
        cue(self, 2)
        self.play(FadeIn(table[2], shift=0.1 * DOWN), run_time=0.8)
        grow = max(1.2, said_by(self, 2, 0.0) - 2.4)  # (the largest square grows till its training text is said)
        self.play(GrowFromEdge(squares[0], DOWN + LEFT), run_time=grow)
        self.play(FadeIn(trained, shift=0.1 * DOWN), run_time=0.8)
        if learn.get("available"):
            self.takeaway(VGroup(group, ref, squares, area))

    def takeaway(self, table: VGroup):
        """The table leaves, then the recipe comes in its place while a dot runs the curve this model learned along;
        what it writes now is marked."""
        cue(self, 3)
        takeaway = VGroup(*(label(words, size=HEADING, color=style.NEXT_SLOT)
                            for words in ("random weights", "+ backpropagation", "= lower loss")))  # fmt: skip
        takeaway.arrange(DOWN, aligned_edge=LEFT, buff=0.2).move_to([RIGHT_X, -1.3, 0], aligned_edge=LEFT)
        self.fit_right(takeaway)
        runner = Dot(self.curve.get_start(), radius=0.1, color=style.NEXT_SLOT)
        side = [self.chart[3], self.chart[4], self.writes]  # (the last picture: the curve, the recipe, the text)
        self.play(FadeOut(table, shift=0.2 * DOWN), *(FadeOut(m) for m in side), run_time=0.6, now=True)
        self.play(FadeIn(takeaway, shift=0.2 * DOWN), run_time=0.6)
        self.play(MoveAlongPath(runner, self.curve), run_time=max(1.0, said_by(self, 3, 1.5)))
        cue(self, 4)  # ... and what it writes now is marked
        self.play(Create(SurroundingRectangle(self.greedy_row, buff=0.1, color=style.NEXT_SLOT)), run_time=1.0)

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
