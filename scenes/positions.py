"""Which position gives the next token: every position predicts the token after it, the last one is sampled."""

from __future__ import annotations

from manim import (
    DOWN,
    LEFT,
    UP,
    Arrow,
    Create,
    FadeIn,
    FadeOut,
    GrowArrow,
    GrowFromEdge,
    LaggedStart,
    ReplacementTransform,
    SurroundingRectangle,
    TransformFromCopy,
    VGroup,
    config,
)

from model.claims import statements
from scenes import style
from scenes.base import TraceScene
from scenes.components import (
    ProbabilityBars,
    TokenBox,
    VectorColumn,
    label,
    number,
    sentence,
    statement,
    token_text,
    with_symbols,
)
from scenes.pacing import cue, dim, said_by
from scenes.speech import big, pct, spoken_token
from scenes.unembedding import vocab_path


class LastPosition(TraceScene):
    """Every position's final vector, through the unembedding, predicts the token after it; training scores them
    all at once; the next token is read from the last position, and there is no extra one."""

    TITLE = "Which position predicts"
    PART = "From vector to next token"
    SUMMARY = "Every position predicts the token after it (training scores them all); the next token is the last one's."
    RENDER_SECONDS = 10

    COLUMNS = 8  # positions drawn: the last ones
    ENTRIES = 3  # entries of each final vector shown
    LEFT_X = -4.75  # the row labels end here; the columns start to its right
    # Heights of the rows: the prompt's next token and its probability, the top guess and its probability,
    # the final vector, the token.
    NEXT_Y, NEXT_P_Y, GUESS_Y, GUESS_P_Y, VECTOR_Y, TOKEN_Y = 2.3, 1.88, 1.05, 0.63, -1.05, -2.45
    BARS, BAR_X = 6, -0.2  # the distribution's bars shown, and where they start

    def construct(self):
        self.show_columns()
        self.predict_everywhere()
        self.score_in_training()
        self.last_position()
        self.to_the_distribution()

    # The picture: one column per position, the token at the bottom, its final vector above.
    def show_columns(self):
        t = self.trace
        n = len(t["positions.top_ids"])  # the positions of the forward pass: one final vector each
        self.positions = list(range(max(0, n - self.COLUMNS), n))
        right = config.frame_width / 2 - 0.35
        pitch = min(1.7, (right - self.LEFT_X - 0.2) / len(self.positions))
        self.xs = [right - pitch * (len(self.positions) - k - 0.5) for k in range(len(self.positions))]
        self.pitch = pitch
        self.boxes = VGroup()
        self.vectors = VGroup()
        for x, p in zip(self.xs, self.positions):
            box = TokenBox(t.token_display[p], f"info.tokens.display.{p}", style.token_hue(p), size=18, limit=7)
            self.fit_width(box, pitch - 0.12)
            self.boxes.add(box.move_to([x, self.TOKEN_Y, 0]))
            vec = VectorColumn(t["ln_final.hook_normalized"][p], lambda i, p=p: f"ln_final.hook_normalized[{p},{i}]",
                               shown=self.ENTRIES, size=17, dim_path=None)  # fmt: skip
            self.vectors.add(vec.move_to([x, self.VECTOR_Y, 0]))
        names = [("actual next", self.NEXT_Y), ("probability given", self.NEXT_P_Y),
                 ("top guess", self.GUESS_Y), ("its probability", self.GUESS_P_Y),
                 ("final vector", self.VECTOR_Y), ("token", self.TOKEN_Y)]  # fmt: skip
        self.row_labels = VGroup()
        for text, y in names:
            name = label(text, size=17, color=style.MUTED)
            self.fit_width(name, self.LEFT_X + config.frame_width / 2 - 0.45)
            self.row_labels.add(name.move_to([self.LEFT_X - 0.15 - name.width / 2, y, 0]))
        drawn = f"; the last {len(self.positions)} drawn" if len(self.positions) < n else ""
        whole = "the final vectors of all {n} positions" if n > 1 else "the final vector of its {n} position"
        self.heading = sentence(whole + drawn, size=24, static=bool(drawn),
                                n=(t["positions.top_ids"], "positions.top_ids", "len"))  # fmt: skip
        self.heading.to_corner(UP + LEFT, buff=0.35)
        self.beat(
            "Every position",
            "After the last layer every position has a final vector, not only the last one.",
            say="Back to the end of the network. After the last layer, every position has its own final vector, "
            "not only the last. "
            + (
                f"The {len(t.token_ids)} tokens of this prompt give {n} of them."
                if n > 1
                else "This prompt is a single token, so there is one."
            ),
        )
        self.play(FadeIn(self.heading), FadeIn(self.boxes), FadeIn(self.row_labels[-1]))
        cue(self, 1)
        self.play(FadeIn(self.row_labels[-2]), LaggedStart(*(TransformFromCopy(b, v) for b, v in
                  zip(self.boxes, self.vectors)), lag_ratio=0.12), run_time=said_by(self, 2, 1.6))  # fmt: skip

    # Each final vector through the unembedding and softmax: a top guess rises from each column.
    def predict_everywhere(self):
        t = self.trace
        top, prob = t["positions.top_ids"], t["positions.top_probs"]
        self.arrows, self.guesses = VGroup(), VGroup()
        for x, p, vec in zip(self.xs, self.positions, self.vectors):
            i = int(top[p])
            name = token_text(t.info["vocab_display"][str(i)], vocab_path(i), size=18, color=style.NEXT_SLOT, limit=7)
            self.fit_width(name, self.pitch - 0.1)
            share = number(float(prob[p]), f"positions.top_probs[{p}]", "percent", size=17)
            self.guesses.add(VGroup(name.move_to([x, self.GUESS_Y, 0]), share.move_to([x, self.GUESS_P_Y, 0])))
            self.arrows.add(Arrow([x, vec.get_top()[1] + 0.05, 0], [x, self.GUESS_P_Y - 0.25, 0], buff=0,
                                  stroke_width=2, color=style.MUTED, max_tip_length_to_length_ratio=0.3))  # fmt: skip
        how = with_symbols("× $W_U$, softmax", size=17, color=style.MUTED)
        how.move_to([self.LEFT_X - 0.15 - how.width / 2, self.arrows[0].get_y(), 0])
        first, p0 = self.positions[0], int(top[self.positions[0]])
        self.beat(
            "Each predicts",
            "The same unembedding and softmax turn each final vector into a guess at the token after it.",
            say="Each one goes through the same unembedding and softmax, and guesses the token after it. "
            f"After {spoken_token(t.token_display[first])}, the top guess is "
            f"{spoken_token(t.info['vocab_display'][str(p0)])}, at {pct(prob[first])}.",
        )
        self.play(FadeIn(how), LaggedStart(*(GrowArrow(a) for a in self.arrows), lag_ratio=0.1), run_time=1.2)
        self.play(FadeIn(self.row_labels[2:4]), LaggedStart(*(TransformFromCopy(v.entries, g) for v, g in
                  zip(self.vectors, self.guesses)), lag_ratio=0.12), run_time=said_by(self, 0, 2.0))  # fmt: skip
        cue(self, 1)
        self.first_mark = SurroundingRectangle(VGroup(self.boxes[0], self.guesses[0]), buff=0.06, color=style.NEXT_SLOT)
        self.play(Create(self.first_mark), run_time=0.8)

    # Training knows the text: each position is scored against the token that really follows it.
    def score_in_training(self):
        t = self.trace
        n = len(t.token_ids)
        given = t["positions.next_probs"]
        self.nexts, moves = VGroup(), []
        for k, (x, p) in enumerate(zip(self.xs, self.positions)):
            if p + 1 < n:
                name = token_text(t.token_display[p + 1], f"info.tokens.display.{p + 1}", size=18,
                                  color=style.token_hue(p + 1), limit=7)  # fmt: skip
                self.fit_width(name, self.pitch - 0.1)
                share = number(float(given[p]), f"positions.next_probs[{p}]", "percent", size=17)
                cell = VGroup(name.move_to([x, self.NEXT_Y, 0]), share.move_to([x, self.NEXT_P_Y, 0]))
                moves.append(TransformFromCopy(self.boxes[k + 1].text, name))
                moves.append(FadeIn(share, shift=0.2 * UP))
            else:  # the last position: the prompt has no token after it
                cell = VGroup(label("?", size=24, color=style.NEXT_SLOT).move_to([x, (self.NEXT_Y + self.NEXT_P_Y) / 2,
                                                                                  0]))  # fmt: skip
            self.nexts.add(cell)
        hits = statements(t)["positions.hits"]
        self.verdict = statement(hits, size=18, color=style.MUTED)
        self.fit_width(self.verdict).next_to(self.heading, DOWN, buff=0.15).align_to(self.heading, LEFT)
        self.beat(
            "Scored at once",
            "In training the text is known: every position is scored on the token that really follows it.",
            say="In training the text is known, so every position is scored at once on the token that really "
            "follows it. "
            + (
                f"One passage gives a lesson at every position. Here, {hits.text}."
                if n > 1
                else "This prompt is a single token, so nothing in it follows."
            ),
        )
        self.play(FadeIn(self.row_labels[:2]), dim(self.first_mark), *([LaggedStart(*moves, lag_ratio=0.1)] if moves else []),
                  run_time=said_by(self, 0, 2.2))  # fmt: skip
        cue(self, 2)
        self.play(FadeIn(self.verdict), FadeIn(self.nexts[-1]))

    # Generating, only the last position's guess is new: it is the one sampled from.
    def last_position(self):
        t = self.trace
        last = self.positions[-1]
        column = VGroup(self.boxes[-1], self.vectors[-1], self.guesses[-1], self.nexts[-1])
        self.mark = SurroundingRectangle(column, buff=0.1, color=style.NEXT_SLOT, corner_radius=0.08)
        found = statements(t)["positions.count"]
        count = statement(found, size=18, color=style.NEXT_SLOT)
        self.fit_width(count).next_to(self.heading, DOWN, buff=0.15).align_to(self.heading, LEFT)
        top = int(t["positions.top_ids"][last])
        self.beat(
            "The last position",
            "The next token is read from the last position: there is no extra position for it.",
            say="So where does the next token come from? From the last position, and there is no extra one. Its "
            f"guess, {spoken_token(t.info['vocab_display'][str(top)])}, heads the distribution we draw from.",
        )
        self.play(Create(self.mark), run_time=said_by(self, 0, 1.0))
        cue(self, 1)
        self.play(ReplacementTransform(self.verdict, count), run_time=1.2)
        cue(self, 2)  # its guess: the mark closes in on it
        self.play(self.mark.animate.become(SurroundingRectangle(self.guesses[-1], buff=0.08, color=style.NEXT_SLOT)),
                  run_time=max(1.0, 0.5 * said_by(self, 2)))  # fmt: skip
        self.count = count

    # The last column's guess travels into the distribution the next scenes work with.
    def to_the_distribution(self):
        t = self.trace
        sm = t.info["softmax"]
        entries = [{"display": t.info["vocab_display"][str(i)], "prob": p, "token_path": vocab_path(i),
                    "prob_path": f"info.softmax.probs.{r}"}
                   for r, (i, p) in enumerate(zip(sm["ids"][: self.BARS], sm["probs"]))]  # fmt: skip
        bars = ProbabilityBars(entries, bar_width=4.0, size=20, row_height=0.46)
        column = VGroup(self.boxes[-1], self.vectors[-1], self.arrows[-1], self.guesses[-1], self.nexts[-1], self.mark)
        target_x = self.LEFT_X + 0.9  # the last column moves beside its row labels
        bars.shift([self.BAR_X - bars.rows[0].bar.get_left()[0], self.GUESS_Y - bars.rows[0].get_y(), 0])
        head = sentence("the last position’s distribution, over all {v} tokens", size=18, color=style.MUTED,
                        v=(t.meta["vocab_size"], "meta.vocab_size", "comma"))  # fmt: skip
        head.next_to(bars, UP, buff=0.3).align_to(bars.rows[0].bar, LEFT)
        self.fit_width(head)
        if head.get_right()[0] > config.frame_width / 2 - 0.3:
            head.shift(LEFT * (head.get_right()[0] - config.frame_width / 2 + 0.3))
        others = [m for k in range(len(self.positions) - 1) for m in
                  (self.boxes[k], self.vectors[k], self.arrows[k], self.guesses[k], self.nexts[k])]  # fmt: skip
        self.beat(
            "Sampled from",
            "Its distribution over the whole vocabulary is the one the next token is drawn from.",
            say=f"That last distribution, over all {big(t.meta['vocab_size'])} tokens, is what the next scenes work "
            "with. The next token is drawn from it.",
        )
        self.play(*(FadeOut(m) for m in others), FadeOut(self.row_labels[:2]), run_time=0.8)
        self.play(column.animate.set_x(target_x), run_time=1.0)
        first = bars.rows[0]
        guess = self.guesses[-1]
        self.play(TransformFromCopy(guess[0], first.name), TransformFromCopy(guess[1], first.pct),
                  GrowFromEdge(first.bar, LEFT), FadeIn(head), run_time=1.4)  # fmt: skip
        rest = bars.rows[1:]
        self.play(LaggedStart(*(GrowFromEdge(r.bar, LEFT) for r in rest), lag_ratio=0.12),
                  *(FadeIn(r.name) for r in rest), *(FadeIn(r.pct) for r in rest), FadeIn(bars.dots), run_time=1.5)  # fmt: skip
        self.bars = bars
