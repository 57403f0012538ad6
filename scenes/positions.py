"""Which position gives the next token: every position predicts the token after it, the last one is sampled."""

from __future__ import annotations

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    AnimationGroup,
    Arrow,
    Create,
    DashedVMobject,
    FadeIn,
    FadeOut,
    GrowArrow,
    GrowFromEdge,
    Indicate,
    LaggedStart,
    Line,
    Rectangle,
    ReplacementTransform,
    RoundedRectangle,
    SurroundingRectangle,
    TransformFromCopy,
    VGroup,
    config,
)

from model.claims import statements
from scenes import style
from scenes.base import TraceScene
from scenes.components import (
    LABEL,
    NUMBER,
    PUNCTUATION_GLYPH,
    TOKEN,
    ProbabilityBars,
    TokenBox,
    VectorStrip,
    bare_mark,
    label,
    number,
    sentence,
    statement,
    token_text,
)
from scenes.pacing import cue, dim, said_by, travel
from scenes.speech import big, said_pct, spoken_token
from scenes.unembedding import softmax_shown

SQUEEZE = 0.92  # a token's text may be set this much smaller to fit uncut


def cut_to(make, width: float | None):
    """The longest of `make(limit)` (a token's text cut at `limit` characters) that fits `width`: a token is cut
    only when it must be, and then no shorter than four characters (set smaller if even that is too wide)."""
    for limit in (12, 11, 10, 9, 8, 7, 6, 5, 4):
        mob = make(limit)
        if width is None or mob.width <= width:
            return mob
        if mob.width * SQUEEZE <= width:  # a little smaller rather than cut
            return mob.scale_to_fit_width(width)
    return mob.scale_to_fit_width(width)


class LastPosition(TraceScene):
    """Every position's final vector, through the unembedding, predicts the token after it; training scores them
    all at once; the next token is read from the last position, and there is no extra one."""

    TITLE = "Which position predicts"
    PART = "From vector to next token"
    SUMMARY = "Every position predicts the token after it (training scores them all); the next token is the last one's."
    RENDER_SECONDS = 10
    USES_TEMPERATURE = True  # the token drawn at the end is the continuation's first

    COLUMNS = 10  # positions drawn: all of them up to this many (a longer prompt: its last ones, and said so)
    ENTRIES = 8  # entries of each final vector drawn as cells
    BARS = 3  # the last position's likeliest next tokens drawn
    NAMES_W = 1.45  # the rows' names, at the left of the frame
    GAP = 0.1  # between two columns' words
    SLOT = 0.45  # the room kept after the last column for the token drawn (a wider chip runs on to the frame's edge)
    # Heights: the statement, the real next token, its ✓/✗ (guess and truth compared), the top guess, the vectors,
    # the chips.
    FLOW_Y = 2.25  # the last vector's way to the distribution, once the other columns have gone
    STATEMENT_Y, TRUTH_Y, CHECK_Y, GUESS_Y, VECTOR_Y, CHIP_Y = 3.55, 2.75, 1.85, 1.05, -0.75, -2.6
    NET_Y = -0.75  # the network's layers, where the final vectors come out of them (beat 1)
    LIFT = 1.0  # the chips, vectors and guesses sit this much higher until the real next tokens come above them
    MARK_Y = 0.68  # the ✓/✗ of each position, where the guesses were, once the distribution takes the top

    def construct(self):
        self.show_columns()
        self.predict_everywhere()
        self.score_in_training()
        self.last_position()
        self.to_the_distribution()
        self.append_sampled()

    def chip(self, p: int, width: float) -> TokenBox:
        """Position p's token as a chip no wider than `width` (its text cut shorter rather than set smaller)."""
        display = self.trace.fields.info.tokens.display[p]
        return cut_to(lambda limit: TokenBox(display, hue=style.token_hue(p), size=self.size, limit=limit), width)

    def word(self, display, color, width: float | None = None):
        """A guessed or real next token's text, a full stop seen, cut only when it is wider than `width`."""
        size = self.size * (PUNCTUATION_GLYPH if bare_mark(display.value) else 1)
        return cut_to(lambda limit: token_text(display, size=size, color=color, limit=limit), width)

    def row_name(self, text: str, y: float) -> VGroup:
        """A row's name at the left of the frame: what the row holds."""
        lines = VGroup(*(label(line, size=LABEL, color=style.TEXT) for line in text.split("\n")))
        lines.arrange(DOWN, buff=0.06, aligned_edge=LEFT)
        self.fit_width(lines, self.NAMES_W)
        return lines.move_to([-config.frame_width / 2 + style.FRAME_MARGIN, y, 0], aligned_edge=LEFT)

    def column_widths(self) -> list[float]:
        """Each drawn position's width: its widest word uncut (chip, top guess, real next token), the widest ones
        narrowed together when the frame is full; SLOT is kept after the last. The words are set
        a size smaller (never below NUMBER) before any is cut."""
        t = self.trace
        n, top = len(t.token_ids), t["positions.top_ids"]
        vocab, tokens = t.fields.info.vocab_display, t.fields.info.tokens.display
        room = config.frame_width - 2 * style.FRAME_MARGIN - self.NAMES_W - 0.5 * (self.positions[0] > 0)
        for self.size in (TOKEN, NUMBER):
            natural = []
            for p in self.positions:
                words = [self.chip(p, None), self.word(vocab[str(int(top[p]))], style.NEXT_SLOT)]
                if p + 1 < n:  # the real next token
                    words.append(self.word(tokens[p + 1], style.TEXT))
                natural.append(max(0.6, *(w.width for w in words)) + self.GAP)
            if sum(natural) + self.SLOT <= room:
                break
        cap = max(natural)
        while sum(min(w, cap) for w in natural) + self.SLOT > room and cap > 0.5:
            cap -= 0.05
        return [min(w, cap) for w in natural]

    # The picture: the prompt's tokens as chips, each position's final vector above its token.
    def show_columns(self):
        t = self.trace
        n = len(t["positions.top_ids"])  # the positions of the forward pass: one final vector each
        self.positions = list(range(max(0, n - self.COLUMNS), n))
        self.size = TOKEN  # the words' size: TOKEN, or a size smaller when the frame is full
        self.widths = self.column_widths()
        left = -config.frame_width / 2 + style.FRAME_MARGIN + self.NAMES_W + 0.5 * (self.positions[0] > 0)
        spare = config.frame_width / 2 - style.FRAME_MARGIN - left - sum(self.widths) - self.SLOT
        left += max(spare, 0) / 2  # the columns centred in what the names leave
        self.xs, x = [], left
        for w in [*self.widths, self.SLOT]:
            self.xs.append(x + w / 2)
            x += w
        self.boxes, self.vectors = VGroup(), VGroup()
        for x, p, w in zip(self.xs, self.positions, self.widths):
            self.boxes.add(self.chip(p, w - self.GAP).move_to([x, self.CHIP_Y, 0]))
            strip = VectorStrip(t["ln_final.hook_normalized"][p], shown=self.ENTRIES, cell=0.3)
            self.vectors.add(strip.move_to([x, self.VECTOR_Y, 0]))
        self.before = VGroup()
        if self.positions[0] > 0:  # a long prompt: its earlier tokens are left of the picture
            self.before.add(label("…", size=TOKEN, color=style.MUTED).move_to([self.xs[0] - self.widths[0] / 2 - 0.25,
                                                                               self.CHIP_Y, 0]))  # fmt: skip
        self.names = {"chips": self.row_name("prompt\ntokens", self.CHIP_Y),
                      "vectors": self.row_name("final\nvectors", self.VECTOR_Y)}  # fmt: skip
        self.beat(
            "Every position",
            "After the last layer every position has a final vector, not only the last one.",
            say="Back to the end of the network. After the last layer, every position has its own final vector, "
            "not only the last. "
            + (
                f"The {len(t.token_ids)} tokens of this prompt give {n} of them."
                if n > 1
                else "This prompt is a single token, so there is one."
            )
            + (f" Here are the last {len(self.positions)}." if self.positions[0] > 0 else ""),
        )
        # The network as a stack of layers above the chips: the tokens go in, the final vectors come out on top.
        span = self.xs[len(self.positions) - 1] - self.xs[0] + self.widths[0]
        layers = VGroup(*(RoundedRectangle(corner_radius=0.1, width=span, height=0.42, stroke_color=style.BLOCK_ATTENTION,
                                           stroke_width=2, fill_color=style.BLOCK_ATTENTION, fill_opacity=0.15)
                          for _ in range(3))).arrange(UP, buff=0.1)  # fmt: skip
        layers.move_to([(self.xs[0] + self.xs[len(self.positions) - 1]) / 2, self.NET_Y, 0])
        layers.add(label("the network's layers", size=LABEL, color=style.BLOCK_ATTENTION).move_to(layers))
        for m in (self.boxes, self.vectors, self.before, *self.names.values(), layers):
            m.shift(self.LIFT * UP)
        self.play(FadeIn(self.boxes), FadeIn(self.before), FadeIn(self.names["chips"]),
                  LaggedStart(*(GrowFromEdge(m, DOWN) for m in layers), lag_ratio=0.2),
                  run_time=said_by(self, 0, 1.2))  # fmt: skip
        fed = [b.box.copy() for b in self.boxes]
        self.play(
            *(f.animate.move_to([f.get_x(), layers.get_bottom()[1], 0]).set_opacity(0) for f in fed),
            FadeOut(layers[-1]),  # the layers' name goes first: the vectors rise through the layers, not through it
            run_time=0.6,
            now=True,
        )
        self.remove(*fed)
        cue(self, 1)
        # The layers give way to what comes out of them: one final vector per position, rising out of the stack.
        self.play(FadeOut(layers), LaggedStart(*(GrowFromEdge(v, DOWN) for v in self.vectors), lag_ratio=0.12),
                  FadeIn(self.names["vectors"]), run_time=said_by(self, 1, 1.6), now=True)  # fmt: skip
        if n > 1:  # the eye counts them
            cue(self, 2)
            self.play(dim(travel(self, self.vectors, said_by(self, 2, 1.0), buff=0.08)), run_time=0.3)

    # Each final vector through the unembedding and softmax: a top guess rises from each column.
    def predict_everywhere(self):
        t = self.trace
        top = t["positions.top_ids"]
        self.arrows, self.guesses = VGroup(), VGroup()
        for x, p, vec, w in zip(self.xs, self.positions, self.vectors, self.widths):
            name = self.word(t.fields.info.vocab_display[str(int(top[p]))], style.NEXT_SLOT, w - self.GAP)
            self.guesses.add(name.move_to([x, self.GUESS_Y + self.LIFT, 0]))
            self.arrows.add(Arrow([x, vec.get_top()[1] + 0.05, 0], [x, self.GUESS_Y + self.LIFT - 0.3, 0], buff=0,
                                  stroke_width=3, color=style.MUTED, max_tip_length_to_length_ratio=0.25))  # fmt: skip
        first, p0 = self.positions[0], int(top[self.positions[0]])
        self.beat(
            "Each predicts",
            "The same unembedding and softmax turn each final vector into a guess at the token after it.",
            say="Each one goes through the same unembedding and softmax, and guesses the token after it. "
            f"After {spoken_token(t.token_display[first])}, the top guess is "
            f"{spoken_token(t.info['vocab_display'][str(p0)])}, at {said_pct(t['positions.top_probs'][first])}.",
        )
        self.names["guesses"] = self.row_name("top\nguess", self.GUESS_Y + self.LIFT)
        self.play(LaggedStart(*(GrowArrow(a) for a in self.arrows), lag_ratio=0.1), FadeIn(self.names["guesses"]),
                  run_time=1.0)  # fmt: skip
        self.play(LaggedStart(*(FadeIn(g, shift=0.3 * UP) for g in self.guesses), lag_ratio=0.12),
                  run_time=said_by(self, 0, 1.5))  # fmt: skip
        cue(self, 1)
        self.first_p = number(t.stored("positions.top_probs")[first], fmt="percent", size=LABEL + 6,
                              color=style.NEXT_SLOT).next_to(self.guesses[0], UP, buff=0.1)  # fmt: skip
        self.play(FadeIn(self.first_p, shift=0.1 * UP), run_time=said_by(self, 1, 0.8))

    # Training knows the text: each position is checked against the token that really follows it, ✓ or ✗.
    def score_in_training(self):
        t = self.trace
        n = len(t.token_ids)
        found = statements(t)
        self.truths, self.checks, sources = VGroup(), VGroup(), []
        for k, (x, p, w) in enumerate(zip(self.xs, self.positions, self.widths)):
            if p + 1 >= n:
                continue  # the last position: nothing in the prompt follows it
            name = self.word(t.fields.info.tokens.display[p + 1], style.token_hue(p + 1), w - self.GAP)
            self.truths.add(name.move_to([x, self.TRUTH_Y, 0]))
            sources.append(self.boxes[k + 1])
            mark = statement(found[f"positions.mark.{p}"], size=TOKEN + 10)  # ✓ or ✗, from the position's rank
            hit = mark.gptanim_text == "✓"
            self.checks.add(mark.set_color(style.NEXT_SLOT if hit else style.MUTED).move_to([x, self.CHECK_Y, 0]))
        # The last column: nothing follows it yet, so nothing to check it on.
        self.unknown = label("?", size=TOKEN + 10, color=style.TEXT).move_to([self.xs[len(self.positions) - 1],
                                                                             self.TRUTH_Y, 0])  # fmt: skip
        self.verdict = statement(found["positions.hits"], size=LABEL, color=style.TEXT)  # a one-token prompt's
        self.fit_width(self.verdict).move_to([0, self.STATEMENT_Y, 0])
        self.beat(
            "Checked at once",
            "In training the text is known: every position is checked against the token that really follows it.",
            say="In training the text is known, so every position is checked at once against the token that really "
            "follows it. "
            + (
                "The last one has no next token yet, so nothing checks it. "
                "A tick where the top guess was that token, a cross where it was not: a lesson at every position."
                if n > 1
                else "This prompt is a single token, so nothing in it follows."
            ),
        )
        self.names["truths"] = self.row_name("real next\ntoken", self.TRUTH_Y)
        lifted = [self.boxes, self.vectors, self.before, self.guesses, self.arrows, *self.names.values()]
        self.play(FadeOut(self.first_p), *(m.animate.shift(self.LIFT * DOWN) for m in lifted if m is not
                                           self.names["truths"]), run_time=0.7, now=True)  # fmt: skip
        if len(self.truths):  # the real next tokens, each lit in the chip it is, come up above the guesses
            self.play(LaggedStart(*(AnimationGroup(Indicate(c, color=style.NEXT_SLOT), FadeIn(m, shift=0.3 * DOWN))
                                    for c, m in zip(sources, self.truths)), lag_ratio=0.2),
                      FadeIn(self.names["truths"]), FadeIn(self.unknown), run_time=said_by(self, 0, 2.0))  # fmt: skip
        if n > 1:  # the last column has nothing to be checked on; every other gets its ✓ or ✗, left to right
            cue(self, 1)
            self.play(Indicate(self.unknown, color=style.NEXT_SLOT, scale_factor=1.5), run_time=said_by(self, 1, 1.0))
            cue(self, 2)
            self.play(LaggedStart(*(FadeIn(m, scale=1.8) for m in self.checks), lag_ratio=0.5),
                      run_time=said_by(self, 2, 2.0))  # fmt: skip
        else:
            self.play(FadeIn(self.verdict), run_time=said_by(self, 0, 1.0))

    # Generating, only the last position's guess is used: it is read there, and there is no extra position.
    def last_position(self):
        t = self.trace
        n = len(t.token_ids)
        self.mark = SurroundingRectangle(VGroup(self.boxes[-1], self.vectors[-1], self.guesses[-1]), buff=0.12,
                                         color=style.NEXT_SLOT, corner_radius=0.08)  # fmt: skip
        # The extra slot, as wide as the room right of the last column allows (a chip's width at most): crossed out.
        room = config.frame_width / 2 - style.FRAME_MARGIN - self.mark.get_right()[0] - 0.12
        width = max(self.SLOT - self.GAP, min(0.9, room))
        ghost = RoundedRectangle(corner_radius=0.06, width=width, height=self.boxes[-1].height + 0.2)
        ghost = DashedVMobject(ghost.set_stroke(style.MUTED, 3), num_dashes=22)
        edge = config.frame_width / 2 - style.FRAME_MARGIN - ghost.width / 2  # inside the frame, clear of the chip
        ghost.move_to([min(max(self.xs[-1], self.mark.get_right()[0] + 0.12 + ghost.width / 2), edge),
                       self.CHIP_Y, 0])  # fmt: skip
        corners = [ghost.get_corner(UP + LEFT), ghost.get_corner(DOWN + RIGHT), ghost.get_corner(DOWN + LEFT),
                   ghost.get_corner(UP + RIGHT)]  # fmt: skip
        cross = VGroup(Line(*corners[:2]), Line(*corners[2:])).set_stroke(style.MUTED, 3)
        count = statement(statements(t)["positions.count"], size=LABEL, color=style.NEXT_SLOT)
        self.fit_width(count).move_to([0, self.STATEMENT_Y, 0])
        # A ✓ over the last position's guess (the one used to generate); the other columns greyed, "not used to write".
        k_last = len(self.positions) - 1
        unused = label("not used to write", size=LABEL, color=style.MUTED)
        if k_last > 0:
            self.fit_width(unused, self.xs[k_last - 1] - self.xs[0] + self.widths[0])
        unused.move_to([(self.xs[0] + self.xs[max(k_last - 1, 0)]) / 2, self.TRUTH_Y, 0])
        check = label("✓", size=40, color=style.NEXT_SLOT).move_to([self.xs[k_last], self.TRUTH_Y, 0])
        self.ticks = VGroup(*([unused] if k_last > 0 else []), check)
        used = self.row_name("used to\nwrite?", self.TRUTH_Y)
        self.beat(
            "The last position",
            "Only the last position's guess is used to write; the others are greyed out.",
            say="So where does the next token come from? Only the last position's guess is used to write. The others "
            "guess tokens the prompt already has, so they are greyed out. "
            + (
                f"You might expect an extra slot after the {n} tokens, but there is none."
                if n > 1
                else "You might expect an extra slot after it, but there is none."
            ),
        )
        rest = VGroup(*self.truths, *self.checks, self.verdict, self.unknown)
        truths = [ReplacementTransform(self.names["truths"], used)] if "truths" in self.names else [FadeIn(used)]
        self.play(FadeOut(rest), *truths, run_time=said_by(self, 0, 1.0))
        self.names["used"] = used
        cue(self, 1)  # the last position's guess: used to write
        self.play(FadeIn(self.ticks[-1], scale=1.5), Create(self.mark), run_time=said_by(self, 1, 1.0))
        cue(self, 2)
        if len(self.positions) > 1:  # the other positions' guesses: not used, greyed as it is said
            self.play(FadeIn(self.ticks[0], shift=0.1 * DOWN), *(v.animate.fade(0.7) for v in self.vectors[:-1]),
                      *(b.animate.fade(0.5) for b in self.boxes[:-1]),
                      *(g.animate.fade(0.6) for g in self.guesses[:-1]), run_time=said_by(self, 2, 1.5))  # fmt: skip
        cue(self, 3)
        self.play(Create(ghost), run_time=0.6)
        self.play(Create(cross), FadeIn(count), run_time=max(0.6, said_by(self, 3) - 0.6))
        self.count, self.ghost = count, VGroup(ghost, cross)

    # The last position's vector goes through the unembedding: its distribution is the one drawn from.
    def to_the_distribution(self):
        t = self.trace
        sm = softmax_shown(t)  # the tokens Softmax showed, headed by the likeliest
        vocab, probs = t.fields.info.vocab_display, t.fields.info.softmax.probs
        entries = [{"display": vocab[str(i)], "prob": probs[r]} for r, i in enumerate(sm["ids"][: self.BARS])]
        bars = ProbabilityBars(entries, bar_width=4.2, size=LABEL, row_height=0.5)
        # The last vector rises straight out of its column and the distribution comes out of it, to its left; if
        # there is no room on its left (a short prompt), the vector goes to the left edge and the bars to its right.
        x = self.xs[len(self.positions) - 1]
        side = LEFT if x - 3.9 - bars.width > -config.frame_width / 2 + style.FRAME_MARGIN else RIGHT
        flying = self.vectors[-1].copy().scale(0.85).move_to([x if side is LEFT else -5.9, self.FLOW_Y, 0])
        how = label("unembedding", size=LABEL, color=style.MUTED)
        start = flying.get_left() if side is LEFT else flying.get_right()
        arrow = Arrow(start + 0.1 * side, start + 3.0 * side, buff=0, stroke_width=3, color=style.MUTED)
        how.next_to(arrow, UP, buff=0.12)
        gap = (arrow.get_left()[0] - 0.3 - bars.get_right()[0]) if side is LEFT else (arrow.get_right()[0] + 0.5
                                                                                        - bars.get_left()[0])  # fmt: skip
        bars.shift(gap * RIGHT + (self.FLOW_Y - bars.rows.get_y()) * UP)
        top = int(t["positions.top_ids"][-1])
        self.vocab = sentence("{v} chances", size=LABEL, color=style.MUTED, v=(t.fields.meta.vocab_size, "comma"))
        self.vocab.next_to(arrow, DOWN, buff=0.12)
        self.beat(
            "Sampled from",
            "The next token is drawn from the last position's distribution.",
            say=f"That last vector gives a distribution over all {big(t.meta['vocab_size'])} tokens, headed by "
            f"{spoken_token(t.info['vocab_display'][str(top)])}. The next token will be drawn from it.",
        )
        # The guesses make room: each position keeps its ✓ or ✗ where its guess was.
        tick = self.ticks[-1].copy().set_y(self.MARK_Y)
        mark = SurroundingRectangle(VGroup(self.boxes[-1], self.vectors[-1], tick), buff=0.12, color=style.NEXT_SLOT,
                                    corner_radius=0.08)  # fmt: skip
        self.play(FadeOut(self.guesses), FadeOut(self.arrows), FadeOut(self.names["guesses"]),
                  *(m.animate.set_y(self.MARK_Y) for m in self.ticks), self.names["used"].animate.set_y(self.MARK_Y),
                  self.mark.animate.become(mark), run_time=0.8)  # fmt: skip
        self.play(TransformFromCopy(self.vectors[-1], flying), run_time=max(0.8, said_by(self, 0, 1.2) * 0.3))
        self.play(GrowArrow(arrow), FadeIn(how), run_time=0.8)
        self.play(LaggedStart(*(GrowFromEdge(r.bar, LEFT) for r in bars.rows), lag_ratio=0.15),
                  *(FadeIn(r.name) for r in bars.rows), *(FadeIn(r.pct) for r in bars.rows), FadeIn(bars.dots),
                  FadeIn(self.vocab, shift=0.1 * UP), run_time=max(1.0, said_by(self, 0)))  # fmt: skip
        cue(self, 1)
        self.whole = SurroundingRectangle(bars.rows, buff=0.12, color=style.NEXT_SLOT)
        self.play(Create(self.whole),
                  run_time=said_by(self, 1, 0.8))  # fmt: skip
        self.bars, self.how, self.flow = bars, how, VGroup(flying, arrow)

    TAKEAWAY = ("Only the last position's guess is used.", "The earlier guesses: what training checks.")

    # Predict, sample, append: the drawn token flies into the slot after the prompt, a new position.
    def append_sampled(self):
        t = self.trace
        n = len(t.token_ids)
        drawn = t.fields.info.continuation.steps[0]
        # The drawn chip goes right after the last one; if the frame has no room for it, the whole picture moves
        # left into the room the rows' names leave (they go as the beat begins).
        left = self.boxes[-1].get_right()[0] + 0.35  # clear of the last column's box
        right = config.frame_width / 2 - style.FRAME_MARGIN - 0.2  # and of the frame's edge
        room = right - left + self.NAMES_W
        for limit in (12, 10, 8, 6, 4):  # cut shorter rather than set smaller
            chip = TokenBox(drawn.chosen_display, hue=style.token_hue(n), size=self.size, limit=limit)
            if chip.width <= room:
                break
        need = min(self.NAMES_W, max(0.0, left + chip.width - right))
        chip.move_to([left - need + chip.width / 2, self.CHIP_Y, 0])
        shown = [r for r, e in zip(self.bars.rows, softmax_shown(t)["ids"]) if e == drawn.chosen_id.value]
        # A token drawn from beyond the bars shown: its own row under the ⋮, its chance, drawn at random.
        extra = VGroup()
        if not shown:
            word = token_text(drawn.chosen_display, size=LABEL, color=style.NEXT_SLOT)
            share = number(drawn.chosen_prob, fmt="percent", size=LABEL, color=style.NEXT_SLOT)
            why = label("drawn at random", size=LABEL, color=style.TEXT)
            extra = VGroup(word, share, why).arrange(RIGHT, buff=0.3)
            extra.next_to(self.bars.dots, RIGHT, buff=0.35)  # on the ⋮'s line: one of the rest, under the frame
            extra.set_y(min(extra.get_y(), self.whole.get_bottom()[1] - 0.08 - extra.height / 2))
        start = shown[0].name if shown else extra[0]
        takeaway = VGroup(
            *(label(line, size=LABEL + 4, color=c) for line, c in zip(self.TAKEAWAY, (style.NEXT_SLOT, style.TEXT)))
        )
        takeaway.arrange(DOWN, buff=0.12)
        self.fit_width(takeaway).to_edge(UP, buff=0.35)  # the distribution has gone by then
        self.beat(
            "Appended",
            "Predict, sample, append.",
            say=(
                f"The draw gives {spoken_token(drawn.chosen_display.value)}. "
                if shown
                else f"The draw is random: it gives {spoken_token(drawn.chosen_display.value)}, at "
                f"{said_pct(drawn.chosen_prob.value)}. "
            )
            + "It is appended after the prompt, a new "
            "position, and the whole pass runs again. So only the last position's guess is used to write. The "
            "earlier guesses are what training checks.",
        )
        pick_box = [SurroundingRectangle(shown[0], buff=0.06, color=style.NEXT_SLOT)] if shown else []
        pick = [Create(b) for b in pick_box]
        names = [m for m in self.names.values() if m in self.mobjects]
        self.play(*pick, *(FadeOut(m) for m in names), FadeOut(self.how), FadeOut(self.vocab), FadeOut(self.count),
                  *([FadeIn(extra, shift=0.1 * DOWN)] if len(extra) else []), run_time=said_by(self, 0, 0.8),
                  now=True)  # fmt: skip
        if need > 0:  # the picture makes room for the drawn token
            movers = [m for m in self.mobjects if m is not self.caption and m not in names]
            self.play(*(m.animate.shift(need * LEFT) for m in movers), run_time=0.6)
        cue(self, 1)
        flying = chip.copy().move_to(start)
        ghost, cross = self.ghost
        rest = [*self.bars, self.whole, *pick_box, *extra, self.flow]  # the distribution leaves; the chip stays
        self.play(FadeOut(cross), ReplacementTransform(flying, chip), FadeOut(ghost), *(FadeOut(m) for m in rest),
                  path_arc=-0.6,
                  run_time=max(1.0, 0.6 * said_by(self, 1, 1.2)), now=True)  # fmt: skip
        # A new position: its column waits for a vector, and the whole pass runs again over every column.
        outline = Rectangle(width=self.vectors[-1].width, height=self.vectors[-1].height)
        new_column = DashedVMobject(outline.set_stroke(style.NEXT_SLOT, 2), num_dashes=24)
        new_column.move_to([chip.get_x(), self.VECTOR_Y, 0])
        self.play(Create(new_column), Indicate(chip, color=style.NEXT_SLOT), run_time=0.8)
        self.play(LaggedStart(*(Indicate(v, color=style.NEXT_SLOT, scale_factor=1.1) for v in [*self.vectors,
                                                                                              new_column]),
                              lag_ratio=0.1), run_time=max(1.0, said_by(self, 1, 1.0)))  # fmt: skip
        cue(self, 2)
        self.play(FadeIn(takeaway[0], shift=0.1 * DOWN), Indicate(self.ticks[-1], scale_factor=1.4),
                  run_time=said_by(self, 2, 1.0))  # fmt: skip
        cue(self, 3)
        crosses = [Indicate(self.ticks[0], color=style.TEXT, scale_factor=1.1)]
        self.play(FadeIn(takeaway[1], shift=0.1 * DOWN), *(crosses if len(self.ticks) > 1 else []),
                  run_time=said_by(self, 3, 1.0))  # fmt: skip
        self.chip_drawn, self.takeaway = chip, takeaway
