"""The opening chapter: what a GPT is, how it writes (predict, sample, repeat), and what is inside."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    AnimationGroup,
    Arrow,
    Create,
    DashedVMobject,
    Dot,
    FadeIn,
    FadeOut,
    GrowArrow,
    GrowFromEdge,
    GrowFromPoint,
    Indicate,
    LaggedStart,
    Line,
    ManimColor,
    Rectangle,
    ReplacementTransform,
    Rotate,
    RoundedRectangle,
    ShowPassingFlash,
    Square,
    SurroundingRectangle,
    Transform,
    TransformFromCopy,
    UpdateFromAlphaFunc,
    VGroup,
    Write,
    config,
    interpolate_color,
    rate_functions,
)

from model.claims import hidden_read, statements
from model.formats import adding_digits
from scenes import style
from scenes.base import TraceScene
from scenes.catalog import DEFAULT_TITLE, current_plan, lecture_parts
from scenes.components import (
    PUNCTUATION_GLYPH,
    SMALLEST,
    ProbabilityBars,
    SpinnerWheel,
    TokenBox,
    TokenRow,
    TransformerStack,
    VectorColumn,
    bare_mark,
    claim,
    fan_arrow,
    flow,
    label,
    sentence,
    statement,
    swap,
    token_text,
    with_entry_paths,
)
from scenes.pacing import cue, dim, paced, said_by, travel
from scenes.speech import big, lower_first, plain_quote, said_pct, spoken_token, words


def space_note(displays) -> VGroup | None:
    """ "· = space", small, for a picture whose tokens show a space as "·" (None when none does)."""
    if not any("·" in d for d in displays):
        return None
    return label("· = space", size=SMALLEST, color=style.MUTED)


def word_groups(boxes, displays) -> list[VGroup]:
    """Token chips grouped into the words they spell (a word starts at a space, "·"), so a wrapped row of chips
    never cuts inside a word."""
    groups = []
    for box, display in zip(boxes, displays):
        if not groups or display[:1] in ("·", " ", "\n"):
            groups.append([])
        groups[-1].append(box)
    return [VGroup(*g).arrange(RIGHT, buff=0.08) for g in groups]


def plain_sampling(trace) -> bool:
    """Whether the continuation was drawn from the model's own probabilities (temperature 1, no top-k or top-p
    cut): then the bars need no note on how they were made."""
    run = trace.fields.info.continuation
    return run.temperature.value == 1 and not run.top_k.value and not run.top_p.value


def step_entries(trace, i: int, n: int) -> list[dict]:
    """Bars for generation step i: the top n of the distribution the token was drawn from."""
    top = trace.fields.info.continuation.steps[i].top
    return [with_entry_paths({"display": top[j].display, "prob": top[j].prob}) for j in range(min(len(top), n))]


class Title(TraceScene):
    """The lecture's own title over a real GPT reading the prompt, what G, P and T stand for, and the road map: a
    picture of the pipeline the lecture walks (token chips, vectors, attention and MLP blocks, probability bars),
    each of the lecture's parts lighting up its stations as it is named."""

    TITLE = "What GPT stands for"
    SUMMARY = "The lecture's title, what G, P and T stand for, and its road map as a picture."
    RENDER_SECONDS = 6
    READS_LECTURE = True

    CHIPS_WIDTH = 3.9  # the prompt's tokens, as chips wrapped within this width (a long prompt: its end)
    CHIPS = 10  # at most (the road map's frame keeps to about 35 words: title, chips and cards)
    CELLS = 5  # entries of each token's vector, as coloured cells
    BARS = 2  # next-token probabilities (the likeliest two: the last frame keeps to about 30 words)
    MAX_BARS = 4  # (more rows when the drawn token is one of the likeliest four)
    TOP_Y, BOTTOM_Y = 2.45, -1.0  # the pipeline's band
    LEFT_X, VECTORS_X, MODEL_X, BARS_X = -6.65, -1.75, 1.3, 4.15  # where its stations stand
    # The stations of the picture each part of the built-in road map lights (the scenes' PART); a part
    # of your own lights none (its card alone).
    STATIONS = {
        "What a GPT does": ("tokens", "vectors", "blocks", "bars"),
        "Tokens become vectors": ("tokens", "vectors"),
        "The weights": ("blocks",),
        "Attention and the MLP": ("blocks",),
        "From vector to next token": ("bars",),
    }

    def construct(self):
        self.plan = current_plan()
        self.parts = lecture_parts(self.plan["chapters"])
        self.show_title()
        self.read_prompt()
        self.spell_out()
        self.road_map()

    BIG = 1.5  # the model's box, first the whole picture, then in its place in the pipeline

    def show_title(self):
        meta = self.trace.meta
        self.heading = self.title_text(self.plan["title"] or DEFAULT_TITLE).move_to([0, 3.3, 0])
        box = RoundedRectangle(corner_radius=0.15, width=2.7, height=self.TOP_Y - self.BOTTOM_Y, stroke_color=style.TEXT,
                               fill_color=style.BLOCK_ATTENTION, fill_opacity=0.12)  # fmt: skip
        name = token_text(self.trace.fields.meta.model, size=30, limit=22)
        size = VGroup(sentence("{n}", size=34, color=style.TEXT, n=(self.trace.fields.meta.n_params, "comma")),
                      label("parameters:", size=26, color=style.TEXT)).arrange(DOWN, buff=0.1)  # fmt: skip
        learned = VGroup(*(label(w, size=24, color=style.TEXT) for w in ("numbers", "it learned"))).arrange(
            DOWN, buff=0.08
        )
        inner = VGroup(name, size, learned).arrange(DOWN, buff=0.3)
        self.fit_width(inner, box.width - 0.3)
        self.model_box = VGroup(box, inner.move_to(box)).move_to([self.MODEL_X, (self.TOP_Y + self.BOTTOM_Y) / 2, 0])
        self.home = self.model_box.get_center()
        self.model_box.scale(self.BIG).move_to([0, -0.2, 0])  # the subject, large, alone
        with self.narrate(f"This lecture takes apart a real GPT. It is called {meta['model']}, and it has "
                          f"{big(meta['n_params'])} parameters: numbers it learned, which decide what it writes.",
                          title="Title", caption="A real GPT: the numbers it learned decide what it writes.") as n:  # fmt: skip
            self.play(Write(self.heading), run_time=1.0)
            self.play(GrowFromEdge(box, DOWN), run_time=max(0.6, n.left(0) - 0.2))  # "a real GPT"
            n.wait_for(1)
            self.play(FadeIn(name, shift=0.2 * UP), run_time=0.6)
            self.play(FadeIn(size, shift=0.2 * UP), run_time=max(0.5, 0.5 * n.left(1)))
            self.play(FadeIn(learned, shift=0.2 * UP), run_time=max(0.5, n.left(1)))

    def title_text(self, title: str) -> VGroup:
        """The lecture's title, large, on one line or two (cut at the space nearest its middle)."""
        width = config.frame_width - 2 * style.FRAME_MARGIN - 0.4
        line = label(title, size=40)
        if line.width > width and " " in title:
            cut_at = min((i for i, ch in enumerate(title) if ch == " "), key=lambda i: abs(i - len(title) / 2))
            line = VGroup(label(title[:cut_at], size=34), label(title[cut_at + 1 :], size=34)).arrange(DOWN, buff=0.12)
        return self.fit_width(line, width)

    def prompt_chips(self) -> VGroup:
        """The prompt's tokens as chips, wrapped within CHIPS_WIDTH and the band (a long prompt keeps its end after
        an ellipsis); sets `positions` (the tokens shown) and `note` ("· = space" under them, when needed)."""
        t, n = self.trace, len(self.trace.token_ids)
        display, room = t.fields.info.tokens.display, self.TOP_Y - self.BOTTOM_Y - 0.45
        for start in range(max(0, n - self.CHIPS), n):
            self.positions = list(range(start, n))
            boxes = [TokenBox(display[p], hue=style.token_hue(p), size=26, limit=10) for p in self.positions]
            dots = [label("…", size=26, color=style.MUTED)] if start else []
            groups = word_groups(boxes, [t.token_display[p] for p in self.positions])
            if any(g.width > self.CHIPS_WIDTH for g in groups):  # a word wider than the band: wrapped chip by chip
                groups = [VGroup(b) for b in boxes]
            chips = flow([*dots, *groups], self.CHIPS_WIDTH)
            if chips.height <= room:
                break
        self.note = space_note([t.token_display[p] for p in self.positions])
        block = VGroup(chips, *([self.note] if self.note is not None else []))
        if self.note is not None:
            self.note.next_to(chips, DOWN, buff=0.2).align_to(chips, LEFT)
        block.move_to([0, (self.TOP_Y + self.BOTTOM_Y) / 2, 0]).align_to([self.LEFT_X, 0, 0], LEFT)
        self.chip_boxes = VGroup(*boxes)
        return chips

    def read_prompt(self):
        t = self.trace
        prompt = sentence("“{prompt}”", size=26, prompt=(t.fields.meta.settings.prompt, "ends64"))
        self.prompt = self.fit_width(prompt).move_to([0, self.BOTTOM_Y - 1.1, 0])  # below the G, P, T to come
        shrunk = self.model_box.copy().scale(1 / self.BIG).move_to(self.home)
        self.chips = self.prompt_chips()
        y = self.home[1]
        self.into = Arrow([self.chips.get_right()[0] + 0.05, y, 0], shrunk.get_left(), buff=0.1,
                          color=style.MUTED)  # fmt: skip
        # the likeliest two, and the drawn token's own row when it is a little further down (its number shown)
        rank = t.info["continuation"]["steps"][0]["chosen_rank"]
        shown = rank if self.BARS < rank <= self.MAX_BARS else self.BARS
        self.bars = ProbabilityBars(step_entries(t, 0, shown), bar_width=1.4, size=30, row_height=0.85)
        self.bars.shift([self.BARS_X - self.bars.rows[0].bar.get_left()[0], y - self.bars.rows.get_y(), 0])
        self.drawn_row = None  # the drawn token's own row, under the ⋮, when it is further down than those shown
        if rank > shown:
            step = t.fields.info.continuation.steps[0]
            drawn = ProbabilityBars([{"display": step.chosen_display, "prob": step.chosen_prob}], bar_width=1.4,
                                    size=30, row_height=0.85, ellipsis=False, scale_to=step_entries(t, 0, 1)[0]["prob"])  # fmt: skip
            drawn.shift(self.bars.rows[0].bar.get_left() - drawn.rows[0].bar.get_left())
            self.drawn_row = drawn.rows[0].set_y(self.bars.dots.get_bottom()[1] - 0.4)
        self.out = Arrow(shrunk.get_right(), [self.bars.get_left()[0] - 0.05, y, 0], buff=0.1,
                         color=style.MUTED)  # fmt: skip
        top = step_entries(t, 0, 1)[0]
        with self.narrate(f"We watch it read {plain_quote(t.prompt, 'one prompt')}. It guesses that what comes next "
                          f"is likely {spoken_token(top['display'])}, at {said_pct(top['prob'])}.", title="Prompt",
                          caption="Every number ahead comes from one run of the model on one prompt.") as n:  # fmt: skip
            self.play(Write(self.prompt), self.model_box.animate.scale(1 / self.BIG).move_to(self.home),
                      run_time=min(1.2, n.left(0)))  # fmt: skip
            self.play(LaggedStart(*(FadeIn(chip, shift=0.4 * UP) for chip in self.chips), lag_ratio=0.1),
                      *([FadeIn(self.note)] if self.note is not None else []),
                      run_time=max(0.8, n.left(0) - 0.6))  # fmt: skip
            self.play(GrowArrow(self.into), run_time=0.5)
            n.wait_for(1)
            self.play(GrowArrow(self.out), run_time=0.4)
            self.play(LaggedStart(*(GrowFromEdge(r, LEFT) for r in self.bars.rows), lag_ratio=0.2), FadeIn(self.bars.dots),
                      *([GrowFromEdge(self.drawn_row, LEFT)] if self.drawn_row is not None else []),
                      run_time=max(0.8, n.left(1) - 0.4))  # fmt: skip

    def spell_out(self):
        """G, P and T in their order, left to right, each lighting its own part of the picture as it is said: a
        drawn token joins the text (generative), pages of text go into the model (pre-trained), the model opens into
        its layers, the tokens' vectors going in (transformer)."""
        t = self.trace
        names = VGroup(*(label(word, size=38, t2c={"[0:1]": style.NEXT_SLOT}) for word in ("Generative", "Pre-trained",
                                                                                          "Transformer")))  # fmt: skip
        names.arrange(RIGHT, buff=1.0).move_to([0, self.BOTTOM_Y - 1.6, 0])
        self.fit_width(names)
        self.written = TokenBox(t.fields.info.continuation.steps[0].chosen_display, hue=style.NEXT_SLOT, size=26)
        self.written.next_to(self.chip_boxes[-1], RIGHT, buff=0.08)
        pages = self.pages()
        trained = VGroup(*(label(w, size=24, color=style.TEXT) for w in ("trained on", "lots of text")))
        trained.arrange(DOWN, buff=0.08, aligned_edge=LEFT)
        VGroup(pages, trained).arrange(RIGHT, buff=0.2).move_to([self.MODEL_X, self.BOTTOM_Y - 0.6, 0])
        cell = min(0.3, (self.TOP_Y - self.BOTTOM_Y) / (1.15 * len(self.positions)))
        vectors = VGroup(*(self.vector(pos, cell) for pos in self.positions)).arrange(DOWN, buff=0.15 * cell)
        vectors.move_to([self.VECTORS_X, self.model_box.get_y(), 0])
        left = max(self.written.get_right()[0], self.chips.get_right()[0]) + 0.65  # room for an arrow into them
        right = self.home[0] - self.model_box.width / 2 - 0.5
        if vectors.get_left()[0] < left:  # never over the written token: between it and the model
            if vectors.width > right - left:
                vectors.scale_to_fit_width(max(right - left, 0.5))
            vectors.set_x((left + right) / 2)
        stack = TransformerStack(t.n_layer, max_width=self.model_box.width - 0.3, height=self.model_box.height - 0.2)
        for block in stack.blocks:
            block.remove(block[1])  # shapes without words: their colours say attention and MLP
        stack.move_to(self.model_box)
        self.stack, self.vectors = stack, vectors
        ends = [self.written.get_bottom(), pages.get_bottom(), stack.get_corner(DOWN + RIGHT) + 0.5 * LEFT]
        # what the new shapes are, named above them: the vectors, and the model's layers
        self.station_names = VGroup(
            label("vectors", size=24, color=style.TEXT).next_to(vectors, UP, buff=0.15),
            sentence("{n} layers", size=24, color=style.TEXT, n=(t.fields.meta.n_layer, "int")).next_to(
                self.model_box, UP, buff=0.12
            ),
        )
        self.pointers = VGroup(*(Arrow(w.get_top(), end, buff=0.12, color=style.NEXT_SLOT, stroke_width=3,
                                       max_tip_length_to_length_ratio=0.2) for w, end in zip(names, ends)))  # fmt: skip
        rank = t.info["continuation"]["steps"][0]["chosen_rank"]
        source = self.bars.rows[rank - 1] if rank <= len(self.bars.rows) else self.drawn_row
        with self.narrate(
            f"G is for generative: it writes, {self.draw_words(rank)} P is for pre-trained: it learned from a lot "
            "of text first. T is for transformer, the kind of network inside.",
            title="GPT",
            caption="GPT stands for Generative Pre-trained Transformer.",
        ) as n:
            # the quote leaves before the word arrives in its place: never the two at once
            self.play(AnimationGroup(FadeOut(self.prompt), FadeIn(names[0], shift=0.2 * UP), lag_ratio=1.0),
                      run_time=0.6)  # fmt: skip
            self.draw_marker(source, run=max(0.8, 0.45 * n.left(0)))
            self.play(TransformFromCopy(source.name, self.written), GrowArrow(self.pointers[0]),
                      self.into.animate.put_start_and_end_on([self.written.get_right()[0] + 0.12, self.into.get_y(), 0],
                                                             self.into.get_end()),
                      run_time=max(0.6, n.left(0)))  # fmt: skip
            n.wait_for(1)
            self.play(FadeIn(names[1], shift=0.2 * UP), LaggedStart(*(FadeIn(p, shift=0.2 * UP) for p in pages),
                                                                    lag_ratio=0.3), FadeIn(trained),
                      GrowArrow(self.pointers[1]), run_time=max(0.6, 0.5 * n.left(1)))  # fmt: skip
            into = pages.copy()
            self.play(into.animate.scale(0.3).move_to(self.model_box).set_opacity(0),
                      Indicate(self.model_box[0], color=style.NEXT_SLOT, scale_factor=1.05), run_time=max(0.6, n.left(1)))  # fmt: skip
            self.remove(into)
            n.wait_for(2)
            # the tokens' vectors between the text and the model: an arrow into them, one out of them
            self.feed = Arrow(vectors.get_right() + 0.1 * RIGHT, self.model_box.get_left() + 0.05 * LEFT, buff=0,
                              color=style.MUTED)  # fmt: skip
            self.play(FadeIn(names[2], shift=0.2 * UP), GrowArrow(self.pointers[2]),
                      LaggedStart(*(FadeIn(v, shift=0.3 * RIGHT) for v in vectors), lag_ratio=0.08),
                      Transform(self.into, Arrow([self.written.get_right()[0] + 0.08, self.into.get_y(), 0],
                                                 [vectors.get_left()[0] - 0.05, self.into.get_y(), 0], buff=0,
                                                 color=style.MUTED, max_tip_length_to_length_ratio=0.45)),
                      GrowArrow(self.feed), FadeIn(self.station_names[0]), run_time=0.5 * max(0.8, n.left(2)))  # fmt: skip
            self.play(dim(self.model_box[1]), ReplacementTransform(self.model_box[0], stack),
                      FadeIn(self.station_names[1], shift=0.1 * DOWN), run_time=max(0.8, n.left(2)))  # fmt: skip
        self.words = VGroup(*names, pages, trained)

    def draw_words(self, rank: int) -> str:
        """How the drawn token was chosen, said (model/claims.py: by chance at the bars' odds, at reshaped odds, or
        the likeliest at temperature 0), and the likelier one named when it was not the likeliest (so "likely the
        comma" then "drawing 'were'" never reads as a contradiction)."""
        step, top = self.trace.info["continuation"]["steps"][0], step_entries(self.trace, 0, 1)[0]
        drawn, manner = spoken_token(step["chosen_display"]), statements(self.trace)["continuation.draw"].text
        if rank == 1:
            return f"here drawing {drawn}, {manner}."
        return f"here drawing {drawn}, {manner}, though {spoken_token(top['display'])} was likelier."

    def draw_marker(self, source, run: float):
        """The draw on the bars: a marker runs down the rows, as a chance falls, and stops on the drawn one."""
        rows = [*self.bars.rows, *([self.drawn_row] if self.drawn_row is not None else [])]
        stops = rows[: rows.index(source) + 1] if source in rows else [source]
        marker = SurroundingRectangle(stops[0], buff=0.08, color=style.NEXT_SLOT, stroke_width=4)
        self.play(Create(marker), run_time=0.3)
        for row in stops[1:]:
            self.play(Transform(marker, SurroundingRectangle(row, buff=0.08, color=style.NEXT_SLOT, stroke_width=4)),
                      run_time=max(0.2, (run - 0.8) / max(len(stops) - 1, 1)))  # fmt: skip
        self.play(Indicate(source, color=style.NEXT_SLOT, scale_factor=1.1), run_time=0.5)
        self.draw_mark = marker

    def pages(self) -> VGroup:
        """A small stack of pages of text: what the model learned from before it was ever used."""
        stack = VGroup()
        for k in range(3):
            page = RoundedRectangle(corner_radius=0.04, width=0.62, height=0.8, stroke_color=style.MUTED, stroke_width=2,
                                    fill_color=style.BACKGROUND, fill_opacity=1)  # fmt: skip
            lines = VGroup(*(Line(0.22 * LEFT, 0.22 * RIGHT, stroke_width=2, color=style.MUTED) for _ in range(4)))
            stack.add(VGroup(page, lines.arrange(DOWN, buff=0.12).move_to(page)).shift(0.1 * k * (RIGHT + DOWN)))
        return stack

    def vector(self, pos: int, cell: float) -> VGroup:
        """A token's vector entering the first layer, as a row of cells coloured by its first entries."""
        values = self.trace.resid.pre[0, pos].value[: self.CELLS]
        scale = float(np.max(np.abs(values))) or 1.0
        cells = VGroup(*(Square(cell, stroke_color=style.MUTED, stroke_width=1, fill_opacity=1,
                                fill_color=style.data_color(float(v), scale)) for v in values))  # fmt: skip
        return cells.arrange(RIGHT, buff=0.13 * cell)

    def road_map(self):
        """The lecture's parts as cards under the pipeline, each lighting its stations as the narrator names it."""
        stations = {"tokens": self.chips, "vectors": self.vectors, "blocks": self.stack, "bars": self.bars}
        cards = self.cards()
        count = len(self.parts)
        said = [f"This lecture has {words(count)} part{'s' if count != 1 else ''} after this one." if count else
                "This opening is the whole lecture."]  # fmt: skip
        for k, (heading, _, built_in) in enumerate(self.parts):
            named = (
                (lower_first(heading) if count > 1 else heading)
                if built_in
                else plain_quote(heading, "a scene of your own")
            )
            said.append(
                f"{('First, ' if k == 0 else 'And last, ' if k == count - 1 else 'Then, ') if count > 1 else ''}"
                f"{named}."
            )
        with self.narrate(" ".join(said), title="Road map", caption="The road map of this lecture.") as n:  # fmt: skip
            # The pipeline keeps its shapes; its words leave for the cards' (but the likeliest next token's)
            shown = [
                self.words,
                self.pointers,
                self.draw_mark,
                self.station_names,
                *self.bars.rows[1:],
                self.bars.dots,
                *([self.drawn_row] if self.drawn_row is not None else []),
                *(c.text for c in [*self.chip_boxes, self.written]),
            ]
            self.play(*(FadeOut(m) for m in [*shown, *([self.note] if self.note is not None else [])]), run_time=0.5)
            mark = None
            for k, ((heading, _, _), card) in enumerate(zip(self.parts, cards)):
                n.wait_for(k + 1)
                lit = [stations[s] for s in self.STATIONS.get(heading, ())] if self.parts[k][2] else []
                target = SurroundingRectangle(VGroup(*lit) if lit else card, buff=0.12, color=card.hue)
                move = FadeIn(target) if mark is None else Transform(mark, target)
                mark = mark or target
                self.play(FadeIn(card, shift=0.2 * UP), move, run_time=min(0.8, n.left(k + 1)))
            if mark is not None:
                self.play(dim(mark), run_time=0.5)
        self.cards_shown = cards

    def cards(self) -> VGroup:
        """A card per part, in rows of at most six under the pipeline: its heading, and a dot per chapter."""
        per_row = min(len(self.parts), 6) or 1
        width = (config.frame_width - 2 * style.FRAME_MARGIN - 0.2 * (per_row - 1)) / per_row
        cards = VGroup()
        for k, (heading, chapters, _) in enumerate(self.parts):
            hue = style.token_hue(2 * k)
            text = wrapped(heading, width - 0.2, size=26)
            dots = VGroup(*(Dot(radius=0.06, color=hue) for _ in chapters)).arrange(RIGHT, buff=0.1)
            inside = VGroup(text, dots).arrange(DOWN, buff=0.15)
            frame = RoundedRectangle(corner_radius=0.1, width=width, height=1.5, stroke_color=hue, stroke_width=2,
                                     fill_color=hue, fill_opacity=0.12)  # fmt: skip
            card = VGroup(frame, inside.move_to(frame))
            card.hue, card.heading = hue, text
            cards.add(card)
        rows = VGroup(
            *(VGroup(*cards[i : i + per_row]).arrange(RIGHT, buff=0.2) for i in range(0, len(cards), per_row))
        )
        rows.arrange(DOWN, buff=0.15).next_to([0, self.BOTTOM_Y, 0], DOWN, buff=0.55)
        room = self.BOTTOM_Y - 0.55 - (-3.15)  # down to the caption's band
        if rows.height > room:
            rows.scale_to_fit_height(room, about_edge=UP)
        return cards


def wrapped(text: str, width: float, size: float) -> VGroup:
    """Words on at most two lines within `width` (cut at the space that best balances them), smaller if need be."""
    one = label(text, size=size)
    if one.width <= width or " " not in text:
        lines = VGroup(one)
    else:
        spaces = [i for i, ch in enumerate(text) if ch == " "]
        cut_at = min(spaces, key=lambda i: max(len(text[:i]), len(text[i + 1 :])))
        lines = VGroup(label(text[:cut_at], size=size), label(text[cut_at + 1 :], size=size)).arrange(DOWN, buff=0.08)
    if lines.width > width:
        lines.scale_to_fit_width(width)
    return lines


class PredictSampleRepeat(TraceScene):
    """Predict the next token's probabilities, sample one by spinning a wheel whose slices are those
    probabilities, append it to the text, repeat: the prompt's real continuation, step by step."""

    TITLE = "Predict, sample, repeat"
    PART = "What a GPT does"
    SUMMARY = "Predict a distribution over the next token, sample one, append it, repeat."
    USES_TEMPERATURE = True
    NEEDS_CONTINUATION = True
    RENDER_SECONDS = 16

    FULL_STEPS = 3  # steps shown slowly; the rest go by faster
    BARS = 6  # (and the whole vocabulary under them, as a strip)
    BAR_X = -1.7  # where the bars start (their tokens to the left)
    WHEEL_RADIUS = 2.2  # the wheel's radius at most: as large as the room under the text allows
    MODEL_X = -5.35
    LOWEST = -2.95  # the picture's bottom, above the caption's band
    STRIP_ROOM = 0.8  # under the bars: the whole vocabulary as a strip, and its label

    def construct(self):
        self.show_prompt()
        for i in range(len(self.steps)):
            full = i < self.FULL_STEPS
            self.predict(i, full)
            self.spin(i, full)
            self.append(i, full)
        self.wrap_up()

    @property
    def steps(self) -> list[dict]:
        return self.trace.info["continuation"]["steps"]

    def step_read(self, i: int):
        """Generation step i, its fields read with their paths."""
        return self.trace.fields.info.continuation.steps[i]

    def show_prompt(self):
        """The prompt as tokens; the model appears as the narrator says it guesses what comes next (the dashed slot
        at the text's end); the eye then follows the prompt, token by token, as it is counted."""
        t = self.trace
        row, self.boxes, n_prompt = self.text_row()
        self.n_prompt = n_prompt  # the prompt's tokens shown (a long prompt: its end)
        row.to_corner(UP + LEFT, buff=0.35)
        self.context_bottom = row.get_bottom()[1]
        self.layout()
        note = space_note(t.token_display[len(t.token_ids) - n_prompt :])
        if note is not None:  # the first time the lecture shows a space as "·"
            note.next_to(row, DOWN, buff=0.15).align_to(row, LEFT)
        self.beat(
            "The prompt",
            "A GPT reads text as tokens: here is the prompt, cut into its {n} tokens.",
            n=(t.fields.info.tokens.ids, "len"),
            say="A GPT does one thing. Given some text, it guesses what comes next. It reads the text as tokens, "
            f"pieces from a fixed vocabulary, and our prompt is {len(t.token_ids)} of them.",
        )
        self.play(*(FadeIn(d) for d in self.dots), *([FadeIn(note)] if note is not None else []),
                  LaggedStart(*(FadeIn(b, shift=0.1 * DOWN) for b in self.boxes[:n_prompt]), lag_ratio=0.05))  # fmt: skip
        cue(self, 1)
        self.old_slot = self.slot_mark(0)
        self.play(FadeIn(self.model_box), GrowArrow(self.into_model), Create(self.old_slot),
                  run_time=said_by(self, 1, 1.0))  # fmt: skip
        cue(self, 2)
        sweep = travel(self, self.boxes[:n_prompt], said_by(self, -1, 1.5) - 0.4)
        self.play(dim(sweep), run_time=0.4)
        self.bars = self.bars_title = self.pick = self.wheel = None

    ROW_HEIGHT = 1.9  # the text's lines at most

    def text_row(self) -> tuple[VGroup, list, int]:
        """The prompt's tokens and the slots of the tokens to come, as large as fits ROW_HEIGHT; a long prompt keeps
        its end after an ellipsis. Returns the row, its token boxes and how many are the prompt's."""
        t, n = self.trace, len(self.trace.token_ids)
        displays = t.token_display + [s["chosen_display"] for s in self.steps]
        paths = [t.fields.info.tokens.display[i].path for i in range(n)]
        paths += [self.step_read(i).chosen_display.path for i in range(len(self.steps))]
        self.dots = []
        for size in (26, 24, 22, 20):
            row = TokenRow(displays, paths, max_width=13.4, size=size)
            if row.height <= self.ROW_HEIGHT:
                return row, row.boxes, n
        for cut_at in range(1, n):  # the prompt's start left out, token by token, until the rest fits
            boxes = TokenRow(displays[cut_at:], paths[cut_at:], size=20, first_hue=cut_at).boxes
            self.dots = [label("…", size=20, color=style.MUTED)]
            row = flow([*self.dots, *boxes], 13.4)
            if row.height <= self.ROW_HEIGHT:
                break
        return row, boxes, n - cut_at

    def slot_mark(self, i: int) -> DashedVMobject:
        box = SurroundingRectangle(self.boxes[self.n_prompt + i], buff=0.04, color=style.NEXT_SLOT)
        return DashedVMobject(box, num_dashes=24)

    def layout(self):
        """The model, the bars and the wheel in a row under the text, as large as the room below it allows."""
        meta = self.trace.fields.meta
        self.bars_top = self.context_bottom - 1.0
        self.row_height = min(0.46, (self.bars_top - self.LOWEST - 0.35 - self.STRIP_ROOM) / (self.BARS + 0.5))
        self.radius = min(self.WHEEL_RADIUS, (self.context_bottom - 0.45 - self.LOWEST) / 2)
        self.mid_y = self.bars_top - self.row_height * (self.BARS - 1) / 2 - 0.2  # the bars' middle
        self.wheel_y = self.context_bottom - 0.45 - self.radius  # the pointer just under the text
        self.wheel_x = config.frame_width / 2 - style.FRAME_MARGIN - 0.1 - self.radius
        box = RoundedRectangle(corner_radius=0.15, width=2.7, height=1.7, stroke_color=style.TEXT,
                               fill_color=style.BLOCK_ATTENTION, fill_opacity=0.12)  # fmt: skip
        name = token_text(meta.model, size=24, limit=22)
        if name.width > box.width - 0.3:  # a long name: smaller (never under the smallest type)
            name.scale(max(box.width - 0.3, name.width * SMALLEST / 24) / name.width)
            box.stretch_to_fit_width(max(box.width, name.width + 0.3))
        inner = VGroup(name, label("the model", size=22, color=style.MUTED)).arrange(DOWN, buff=0.15)
        self.model_box = VGroup(box, inner.move_to(box)).move_to([self.MODEL_X, self.mid_y, 0])
        # From the middle of the prompt's tokens, bowing up (clear of the bars) into the model: the whole text goes in.
        prompt = VGroup(*self.boxes[: self.n_prompt])
        self.into_model = Arrow([prompt.get_x(), self.context_bottom - 0.05, 0], self.model_box.get_top(), buff=0.1,
                                path_arc=0.5, color=style.TEXT, stroke_width=5)  # fmt: skip

    def bars_for(self, i: int) -> ProbabilityBars:
        entries = step_entries(self.trace, i, self.BARS)
        bars = ProbabilityBars(entries, bar_width=3.2, size=22, row_height=self.row_height)
        bars.shift([self.BAR_X - bars.rows[0].bar.get_left()[0], self.bars_top - bars.get_top()[1], 0])
        return bars

    def vocab_strip(self, i: int) -> VGroup:
        """The whole vocabulary as one strip under the bars, a token a sliver in id order: step i's likeliest
        tokens lit where they sit, brighter the likelier; its size written under it."""
        meta, top = self.trace.fields.meta, self.steps[i]["top"][: self.BARS]
        left = self.BAR_X - 1.6
        width = min(6.0, self.wheel_x - self.radius - 1.9 - left)
        y = self.LOWEST + self.STRIP_ROOM - 0.25
        frame = Rectangle(width=width, height=0.34, stroke_color=style.MUTED, stroke_width=1.5, fill_color=style.MUTED,
                          fill_opacity=0.15).move_to([left + width / 2, y, 0])  # fmt: skip
        peak = max(e["prob"] for e in top)
        slivers = VGroup(*(Rectangle(width=0.07, height=0.34, stroke_width=0, fill_color=style.BAR,
                                     fill_opacity=0.35 + 0.65 * e["prob"] / peak)
                           .move_to([left + width * (e["id"] + 0.5) / self.trace.meta["vocab_size"], y, 0])
                           for e in top))  # fmt: skip
        name = sentence("all {V} tokens", size=20, color=style.MUTED, V=(meta.vocab_size, "comma"))
        name.next_to(frame, DOWN, buff=0.08).align_to(frame, LEFT)
        return VGroup(frame, slivers, name)

    def wheel_for(self, i: int) -> SpinnerWheel:
        """Step i's wheel: a slice per bar (two tones, so neighbours stand apart), the drawn token's own slice if
        it is not among the bars, the rest grey; turned as the last wheel stopped."""
        step = self.steps[i]
        probs = [e["prob"] for e in step["top"][: self.BARS]]
        tones = [style.BAR if j % 2 == 0 else interpolate_color(style.BAR, ManimColor(style.BACKGROUND), 0.35)
                 for j in range(len(probs))]  # fmt: skip
        if step["chosen_rank"] > len(probs):  # the drawn token's own slice, toned like a bar's (it is one more)
            probs.append(step["chosen_prob"])
            tones.append(tones[-2] if len(tones) > 1 else style.BAR)
        wheel = SpinnerWheel(probs, tones, radius=self.radius, turned=self.wheel.turned if self.wheel else 0.0)
        self.name_slices(wheel, i)
        return wheel.shift([self.wheel_x, self.wheel_y, 0] - wheel.centre)

    def name_slices(self, wheel: SpinnerWheel, i: int):
        """Each slice wide enough for its token's name gets it, upright, inside the slice (the grey rest says it
        holds all the others); the names turn with the wheel. `wheel.names`: slice index to its name."""
        read, bars = self.step_read(i), min(len(self.steps[i]["top"]), self.BARS)
        r, wheel.names = 0.64 * wheel.radius, {}
        for j, piece in enumerate(wheel.slices):
            if j == len(wheel.slices) - 1:  # on one line, or two where the slice is narrow
                name = label("all others", size=SMALLEST, color=style.TEXT)
                chord = 2 * r * np.sin(min(abs(piece.angle) / 2, np.pi / 2))
                if np.hypot(name.width, name.height) > 0.95 * chord:
                    name = VGroup(*(label(w, size=SMALLEST, color=style.TEXT) for w in ("all", "others")))
                    name.arrange(DOWN, buff=0.04)
            else:
                shown = read.top[j].display if j < bars else read.chosen_display
                name = token_text(shown, size=22 * (PUNCTUATION_GLYPH if bare_mark(shown.value) else 1))
            chord = 2 * r * np.sin(min(abs(piece.angle) / 2, np.pi / 2))  # a circle this wide fits in the slice
            if np.hypot(name.width, name.height) <= 0.95 * chord:
                mid = wheel.mids[j] + wheel.turned
                wheel.names[j] = name.move_to(wheel.centre + r * np.array([np.cos(mid), np.sin(mid), 0]))
        wheel.disc.add(*wheel.names.values())

    def title_for(self, bars) -> VGroup:
        """Over the bars: what they are, in plain words; the sampling settings too when they change the chances
        (a temperature other than 1, a top-k or top-p cut)."""
        if plain_sampling(self.trace):
            title = label("how likely each next token is", size=22)
        else:
            d = claim(statements(self.trace)["continuation.distribution"])
            title = sentence("next token: {d}", size=22, color=style.TEXT, d=d)
        title.next_to(bars, UP, buff=0.25).align_to(bars, LEFT)
        room = self.wheel_x - self.radius - 0.3 - title.get_left()[0]
        if title.width > room:  # a long title (top-k, top-p): shrink it, keep its left edge
            title.scale_to_fit_width(room, about_edge=LEFT)
        return title

    # While the loop runs fast, the narrator says what it shows (at these steps after the slow ones).
    FAST_WORDS = {  # step: (caption, narration)
        0: ("From here the loop runs faster: predict, spin, append, again.",
            "From here the loop runs faster. Predict, spin, append, and again."),
        4: ("Each step: the whole text so far in, new probabilities out.",
            "At every step the chances change, because the text they follow has grown. Each new token joins it."),
    }  # fmt: skip

    def predict(self, i: int, full: bool):
        """The text so far goes into the model; its probabilities come out as bars (the new replace the old). Fast,
        the wheel takes its new slices at the same time."""
        step = self.steps[i]
        bars, self.next_wheel = self.bars_for(i), self.wheel_for(i)
        title = self.title_for(bars)
        self.run = 1.0 if full else 0.25
        fast = i - self.FULL_STEPS  # (the second words halfway through the fast steps, so none runs silent long)
        fast = {0: 0, max(1, (len(self.steps) - self.FULL_STEPS) // 2): 4}.get(fast, -1)
        if fast in self.FAST_WORDS:
            caption, said = self.FAST_WORDS[fast]
            self.beat("Faster", caption, say=said)
        if i == 0:
            top = step["top"]
            self.beat(
                "Predict",
                "Predict: the model gives each of its {V} tokens a probability of coming next.",
                V=(self.trace.fields.meta.vocab_size, "comma"),
                say=f"It answers with a probability for each of the {big(self.trace.meta['vocab_size'])} tokens it "
                "knows, the whole strip below. "
                f"The likeliest is {spoken_token(top[0]['display'])}, at {said_pct(top[0]['prob'])}.",
            )
            self.out_arrow = Arrow(self.model_box.get_right(), bars.get_left() + 0.1 * LEFT, buff=0.1,
                                   color=style.MUTED, stroke_width=3)  # fmt: skip
            self.strip = self.vocab_strip(i)
            self.play(GrowArrow(self.out_arrow), GrowFromEdge(self.strip[0], LEFT), FadeIn(self.strip[2]),
                      run_time=0.4 * said_by(self, 0, 1.5))  # fmt: skip
            # the likeliest tokens rise out of the whole vocabulary into their bars
            self.play(LaggedStart(*(AnimationGroup(TransformFromCopy(s, r.bar), FadeIn(r.name), FadeIn(r.pct))
                                    for s, r in zip(self.strip[1], bars.rows)), lag_ratio=0.1),
                      FadeIn(self.strip[1]), FadeIn(bars.dots), FadeIn(title), run_time=said_by(self, 0, 1.0))  # fmt: skip
            cue(self, 1)
            self.play(Indicate(bars.rows[0], color=style.NEXT_SLOT, scale_factor=1.05), run_time=said_by(self, 1, 1.0))
            self.bars, self.bars_title = bars, title
            return
        if full:
            self.again_beat(i, step)
        # The longer text goes in again (the arrow into the model flashes); new chances replace the old.
        slot_mark = self.slot_mark(i)
        flash = self.into_model.copy().set_color(style.NEXT_SLOT).set_stroke(width=9)
        going_in = [ShowPassingFlash(flash, time_width=0.6), Indicate(self.into_model, color=style.NEXT_SLOT,
                                                                      scale_factor=1.0),
                    Transform(self.old_slot, slot_mark), *([dim(self.pick)] if self.pick is not None else [])]  # fmt: skip
        strip = self.vocab_strip(i)
        new = [*self.bars_change(self.bars, bars), ReplacementTransform(self.bars_title, title),
               Transform(self.strip[1], strip[1])]  # fmt: skip
        if full:
            self.play(*going_in, run_time=self.run)
            self.play(*new, run_time=self.run, now=True)
        else:
            # the old wheel gives way to the new (slices and names of different counts would morph into blots)
            self.play(*going_in, *new, FadeOut(self.wheel.disc), FadeIn(self.next_wheel.disc), run_time=self.run,
                      now=True)  # fmt: skip
        self.remove(self.old_slot)
        self.add(slot_mark)
        self.bars, self.bars_title, self.old_slot, self.pick = bars, title, slot_mark, None

    @staticmethod
    def bars_change(old: ProbabilityBars, new: ProbabilityBars) -> list:
        """The new chances replace the old: each bar grows or shrinks in place, its token and percentage slide
        out for the new ones (no digits morphing through garbled shapes)."""
        anims = []
        for o, n in zip(old.rows, new.rows):
            anims += [ReplacementTransform(o.bar, n.bar), swap(o.name, n.name, distance=0.3),
                      swap(o.pct, n.pct, distance=0.3)]  # fmt: skip
        anims += [FadeOut(o) for o in old.rows[len(new.rows) :]] + [FadeIn(n) for n in new.rows[len(old.rows) :]]
        return [*anims, ReplacementTransform(old.dots, new.dots)]

    def again_beat(self, i: int, step: dict):
        """The caption of a slow step after the first: the draw, its chance and its rank."""
        read = self.step_read(i)
        place = "the likeliest" if step["chosen_rank"] == 1 else f"number {step['chosen_rank']} on the list"
        said = f"{spoken_token(step['chosen_display'])}, {place}, at {said_pct(step['chosen_prob'])}."
        self.beat(
            "Sample",
            f"Draw {i + 1}: “{{tok}}”, at {{p}}, rank {{r}}.",
            static=True,
            tok=(read.chosen_display, "text"),
            p=(read.chosen_prob, "percent"),
            r=(read.chosen_rank, "int"),
            say=("The longer text goes back in, and the chances change. The new wheel stops on " + said)
            if i == 1
            else f"Once more, new chances make a new wheel. This time it gives {said}",
        )
        # in, new chances, the new wheel, its spin (twice as long), the mark, the token to its place
        self.run = paced(self.beats[-1]["audio"], 3.5, 0.9) / 7

    def spin(self, i: int, full: bool):
        """The first time, the bars become the wheel's slices; after, the slices take the new chances. The wheel
        spins and stops on the drawn token's slice."""
        step, wheel = self.steps[i], self.next_wheel
        shown = len(wheel.slices) - 1 - (step["chosen_rank"] > len(self.bars.rows))  # slices with a bar
        k = step["chosen_rank"] - 1 if step["chosen_rank"] <= shown else shown
        turn = 2 * self.run if full else 0.4
        if i == 0:
            self.build_wheel(wheel, shown)
            seed = self.trace.fields.info.continuation.seed
            self.beat(
                "Spin",
                "Seed {s} starts the random spins: this one stops on “{tok}”, at {p}.",
                s=(seed, "int"),
                tok=(self.step_read(0).chosen_display, "text"),
                p=(self.step_read(0).chosen_prob, "percent"),
                say="A seed starts the random spins, so the same seed gives the same text. This spin stops on "
                f"{spoken_token(step['chosen_display'])}, at {said_pct(step['chosen_prob'])}.",
            )
            self.seed = sentence("seed {s}", size=20, color=style.MUTED, s=(seed, "int"))
            self.seed.next_to(wheel.disc, LEFT, buff=0.2).align_to(wheel.disc, DOWN)
            self.play(FadeIn(self.seed), Indicate(wheel.hub, color=style.NEXT_SLOT), run_time=said_by(self, 0, 1.0))
            cue(self, 1)
            turn = said_by(self, 1, 1.5) - 1.0
        elif full:
            self.play(ReplacementTransform(self.wheel.disc, wheel.disc), run_time=self.run)
        self.wheel = wheel
        self.spun = wheel.spin_to(k, turns=2 if full else 1)
        # The slices turn; their names ride along, upright (never upside down)
        names = VGroup(*wheel.names.values())
        wheel.disc.remove(*names)
        self.add(names)
        starts = [m.get_center() - wheel.centre for m in names]

        def ride(group, alpha):
            a = self.spun * rate_functions.ease_out_cubic(alpha)
            turn_by = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
            for m, v in zip(group, starts):
                m.move_to(wheel.centre + turn_by @ v)

        self.play(Rotate(wheel.disc, self.spun, about_point=wheel.centre, rate_func=rate_functions.ease_out_cubic),
                  UpdateFromAlphaFunc(names, ride, rate_func=rate_functions.linear),  # (ride eases as the disc does)
                  run_time=max(turn, 0.45))  # fmt: skip
        self.remove(names)
        wheel.disc.add(*names)
        self.mark_drawn(i, step, k)

    def build_wheel(self, wheel: SpinnerWheel, shown: int):
        """The wheel's rim and pointer as the narrator names the wheel; each bar becomes its slice as he says each
        token gets one; then the grey rest."""
        self.beat(
            "Sample",
            "Sample: a wheel with a slice for each token, as wide as its probability.",
            say="Then one token is picked at random, like spinning a wheel. Each token gets a slice as wide as its "
            "probability. The grey slice holds all the other tokens.",
        )
        rim = wheel.disc[1]
        self.play(Create(rim), FadeIn(wheel.hub), GrowFromEdge(wheel.pointer, UP), run_time=said_by(self, 0, 1.0))
        cue(self, 1)
        named = wheel.names
        self.play(LaggedStart(*(AnimationGroup(TransformFromCopy(r.bar, s), *([TransformFromCopy(r.name, named[j])]
                                                                               if j in named else []))
                                for j, (r, s) in enumerate(zip(self.bars.rows, wheel.slices[:shown]))),
                              lag_ratio=0.15), run_time=said_by(self, 1, 1.5))  # fmt: skip
        cue(self, 2)
        rest = [*wheel.slices[shown:], *(named[j] for j in named if j >= shown)]
        # (no Indicate with the FadeIn: it would end where it began, the slice still unseen, and leave it black)
        self.play(*(FadeIn(s) for s in rest), run_time=said_by(self, 2, 1.0))
        self.remove(*wheel.slices, rim)
        self.add(wheel.disc)

    def mark_drawn(self, i: int, step: dict, k: int):
        """Where the wheel stopped: its slice lights up, the bar of the token is marked (or, beyond the bars, a
        row of its own under the ⋮ names it), and the token comes out of the wheel as a chip above the pointer."""
        rank, read = step["chosen_rank"], self.step_read(i)
        if rank <= len(self.bars.rows):
            pick = SurroundingRectangle(self.bars.rows[rank - 1], buff=0.06, color=style.NEXT_SLOT)
        else:
            # Beyond the bars: its own row under the ⋮, rank, token and probability, framed like a marked bar.
            row = sentence("#{r}  {tok}  {p}", size=22, r=(read.chosen_rank, "int"), tok=(read.chosen_display, "text"),
                           p=(read.chosen_prob, "percent"))  # fmt: skip
            row.move_to(self.bars.dots).align_to(self.bars.rows[0].bar, LEFT)  # on the ⋮ line, above the strip
            pick = VGroup(row, SurroundingRectangle(row, buff=0.06, color=style.NEXT_SLOT))
        self.chip = TokenBox(read.chosen_display, hue=style.NEXT_SLOT, size=24)
        self.chip.next_to(self.wheel.pointer, LEFT, buff=0.15)
        slice_ = self.wheel.slices[k]
        self.play(Create(pick) if rank <= len(self.bars.rows) else FadeIn(pick), slice_.animate.set_fill(style.NEXT_SLOT),
                  GrowFromPoint(self.chip, self.wheel.pointer.get_bottom()),
                  run_time=self.run)  # fmt: skip
        self.pick = pick

    def append(self, i: int, full: bool):
        """The drawn token flies from the wheel to the end of the text."""
        step = self.steps[i]
        if i == 0:
            self.beat(
                "Append",
                "Append: the drawn token joins the end of the text.",
                say="The drawn token is appended to the text, which is now one token longer.",
            )
            self.run = paced(self.beats[-1]["audio"], 1.0, 0.7)
        self.play(ReplacementTransform(self.chip, self.boxes[self.n_prompt + i]), run_time=self.run)
        if full and step["chosen_rank"] > 1 and not any(b["title"] == "Not the favourite" for b in self.beats):
            self.beat(
                "Not the favourite",
                "It need not be the likeliest token (this one ranks {r}): a wide slice is only more likely to win.",
                r=(self.step_read(i).chosen_rank, "int"),
                say=f"{spoken_token(step['chosen_display'], start=True)} was not the favourite. A narrow slice "
                "sometimes wins, so the same prompt can go on in different ways.",
            )
            self.play(Indicate(self.boxes[self.n_prompt + i], color=style.NEXT_SLOT),
                      run_time=paced(self.beats[-1]["audio"], 1.0, 0.8))  # fmt: skip

    def wrap_up(self):
        self.play(FadeOut(self.old_slot), *([FadeOut(self.pick)] if self.pick is not None else []), run_time=0.3)
        written = self.boxes[self.n_prompt :]
        self.beat(
            "Written",
            "{n} tokens written, one spin at a time.",
            n=(self.trace.fields.info.continuation.ids, "len"),
            say=f"{len(self.steps)} tokens later, the model has written "
            f"{plain_quote(self.trace.info['continuation']['text'], 'the text you see')}.",
        )
        if len(written):  # the eye follows what was written as it is read out
            sweep = travel(self, written, paced(self.beats[-1]["audio"], 1.5, 0.7))
            self.play(FadeOut(sweep), run_time=0.3)
        self.loop()

    def loop(self):
        """The takeaway: the loop drawn as four curved arrows, model to bars (predict), bars to wheel (sample), wheel
        to the text's end (append), text back into the model (repeat), each lit and named as it is said."""
        self.beat(
            "Repeat",
            "That is all a GPT does when it writes.",
            say="Predict, sample, append, repeat. That is all a GPT does when it writes. "
            "The rest of this lecture opens up the prediction.",
        )
        bars, wheel, hue = self.bars, self.wheel, style.NEXT_SLOT
        words = [label(w, size=26, color=hue) for w in ("predict", "sample", "append", "repeat")]
        last = self.boxes[-1] if len(self.boxes) > self.n_prompt else self.boxes[self.n_prompt - 1]
        rim = wheel.centre + wheel.radius * np.array([np.cos(2.5), np.sin(2.5), 0])  # the wheel's upper left
        arrows = [
            Arrow(self.model_box.get_right(), [self.BAR_X - 0.1, bars.rows.get_y(), 0], buff=0.1, path_arc=0.6),
            Arrow([self.BAR_X + 1.2, bars.rows.get_bottom()[1] - 0.2, 0],
                  wheel.centre + wheel.radius * np.array([np.cos(3.6), np.sin(3.6), 0]), buff=0.12, path_arc=0.9),
            Arrow(rim, last.get_bottom(), buff=0.1, path_arc=0.7),
            self.into_model.copy(),
        ]  # fmt: skip
        for arrow in arrows:
            arrow.set_color(hue).set_stroke(width=5)
        words[0].next_to(arrows[0].point_from_proportion(0.5), DOWN, buff=0.15)
        words[1].next_to(arrows[1].point_from_proportion(0.5), DOWN, buff=0.2)
        words[2].next_to(arrows[2].point_from_proportion(0.5), LEFT, buff=0.2)
        words[3].next_to(arrows[3].point_from_proportion(0.5), RIGHT, buff=0.2)
        if words[2].get_left()[0] < words[3].get_right()[0] + 0.2:  # the text's end far left: "append" on the right
            words[2].next_to(arrows[2].point_from_proportion(0.5), RIGHT, buff=0.2)
        gone = [*(r.name for r in bars.rows), *(r.pct for r in bars.rows), bars.dots, self.bars_title]
        self.bars_drawn = VGroup(*gone)  # (tests read what was drawn here)
        step = said_by(self, 0, 2.0) / 4
        self.play(*(FadeOut(m) for m in [*gone, self.seed]), ReplacementTransform(self.out_arrow, arrows[0]),
                  FadeIn(words[0], shift=0.1 * UP), run_time=step)  # fmt: skip
        self.play(GrowArrow(arrows[1]), FadeIn(words[1], shift=0.1 * UP), run_time=step)
        self.play(GrowArrow(arrows[2]), FadeIn(words[2]), run_time=step)
        self.play(ReplacementTransform(self.into_model, arrows[3]), FadeIn(words[3]), run_time=step)
        cue(self, 2)
        self.play(Indicate(self.model_box, color=hue, scale_factor=1.05), run_time=said_by(self, 2, 1.0))
        self.loop_words, self.loop_arrows = VGroup(*words), VGroup(*arrows)


class InsideTransformer(TraceScene):
    """Tokens become vectors; each block takes the vectors in and gives them back changed: attention mixes them
    across positions, the MLP changes each alone; repeat."""

    TITLE = "Inside a transformer"
    PART = "What a GPT does"
    SUMMARY = "Tokens become vectors, flow through attention and MLP blocks, and the last one becomes probabilities."
    USES_TEMPERATURE = True
    NEEDS_CONTINUATION = True
    RENDER_SECONDS = 18

    SHOWN_TOKENS = 10  # the last 10 tokens: a short prompt whole
    SHOWN_ENTRIES = 5
    COLUMN_Y = -1.6  # the vectors sit low enough for the lines between them (attention) above
    TOKEN_Y = 2.3  # (a long token's neighbours a row higher)
    FINAL_SCALE = 1.35  # the last vector, larger once it stands alone
    FINAL_BARS = 5  # the last frame keeps to about 30 words
    BAR_WIDTH, ROW_HEIGHT = 4.3, 0.85  # the final bars: wide, across the right half
    HEAD = 0  # the one of attention's patterns that draws the lines

    def construct(self):
        self.show_stack()
        self.embed_tokens()
        for layer in range(self.trace.n_layer):
            self.attention(layer, full=layer == 0)
            self.mlp(layer, full=layer == 0)
        self.unembed()

    def show_stack(self):
        # Tall enough that the vectors, passing through a block as strips of cells, can be seen changing there.
        n_layer = self.trace.n_layer
        self.stack = TransformerStack(n_layer, max_width=12.6 - 0.2 * (n_layer - 1), height=0.65, upright=True)
        if self.stack.legend is not None:  # (the blocks are named as they are explained: "attention", "MLP")
            self.stack.remove(self.stack.legend)
        for k, block in enumerate(self.stack.blocks):  # a layer's two blocks together, a gap between layers
            block.shift(0.2 * (k // 2) * RIGHT)
        self.stack.to_edge(UP, buff=0.1)
        self.layer_names = VGroup()
        for layer in range(n_layer):
            pair = VGroup(self.stack.block(layer, "Attention"), self.stack.block(layer, "MLP"))
            name = label(f"layer {layer + 1}" if n_layer <= 6 else f"{layer + 1}", size=SMALLEST, color=style.MUTED)
            self.layer_names.add(name.next_to(pair, DOWN, buff=0.06))
        self.stack.add(self.layer_names)
        self.play(FadeIn(self.stack))
        self.marker = None

    def embed_tokens(self):
        t = self.trace
        n = len(t.token_ids)
        self.positions = list(range(max(0, n - self.SHOWN_TOKENS), n))
        xs = np.linspace(-6.0, 6.0, len(self.positions)) if len(self.positions) > 1 else [0.0]
        self.xs = xs
        self.tokens = VGroup()
        for x, pos in zip(xs, self.positions):
            box = TokenBox(t.fields.info.tokens.display[pos], hue=style.token_hue(pos), size=24, limit=14)
            self.tokens.add(box.move_to([x, self.TOKEN_Y, 0]))
        if any(a.get_right()[0] > b.get_left()[0] - 0.08 for a, b in zip(self.tokens, self.tokens[1:])):
            for box in self.tokens[1::2]:  # whole tokens, never cut: every other one a row lower
                box.shift((box.height + 0.06) * UP)
        clear = self.layer_names.get_bottom()[1] - 0.12 - self.tokens.get_top()[1]
        if clear < 0:  # the higher row never covers the layers' names
            self.tokens.shift(clear * UP)
        self.columns = VGroup(
            *(
                self.column(t.resid.pre[0].name, pos).move_to([x, self.COLUMN_Y, 0])
                for x, pos in zip(xs, self.positions)
            )
        )
        self.current = t.resid.pre[0].name
        if n > len(self.positions):
            self.beat(
                "Tokens",
                "The prompt has {n} tokens; the picture follows the last few.",
                n=(t.fields.info.tokens.ids, "len"),
                say=f"Now, inside. We follow the last {len(self.positions)} of the {len(t.token_ids)} tokens.",
            )
        self.play(LaggedStart(*(FadeIn(b) for b in self.tokens), lag_ratio=0.1))
        self.embed_last()

    MATRIX_ROWS = 24  # the embedding matrix's rows drawn (it has one per token of the vocabulary)

    def matrix(self, height: float) -> tuple[VGroup, Rectangle]:
        """The embedding matrix drawn whole: a tall block of thin rows, its name and its row count above; returns
        it and the last token's own row in it (lit, where its id falls in the vocabulary)."""
        t, p = self.trace, self.positions[-1]
        frame = Rectangle(width=3.2, height=height, stroke_color=style.TEXT, stroke_width=2)
        step = height / self.MATRIX_ROWS
        rules = VGroup(*(Line(frame.get_left(), frame.get_right(), stroke_width=1, color=style.MUTED)
                         .shift((height / 2 - k * step) * UP) for k in range(1, self.MATRIX_ROWS)))  # fmt: skip
        at = min(int(t.token_ids[p] * self.MATRIX_ROWS / t.meta["vocab_size"]), self.MATRIX_ROWS - 1)
        row = Rectangle(width=3.2, height=step, stroke_width=0, fill_color=style.token_hue(p), fill_opacity=0.95)
        row.move_to(frame.get_top() + (at + 0.5) * step * DOWN)
        names = VGroup(label("embedding matrix", size=26),
                       sentence("{V} rows, one per token", size=24, color=style.TEXT,
                                V=(t.fields.meta.vocab_size, "comma"))).arrange(DOWN, buff=0.12)  # fmt: skip
        names.next_to(frame, UP, buff=0.2)
        return VGroup(frame, rules, row, names), row

    def embed_last(self):
        """The last token's vector made before the eyes: its row pulled out of the embedding matrix, its position's
        vector added (a learned one), the sum dropping into its place; then every other token's, quickly."""
        t, p = self.trace, self.positions[-1]
        learned = t.words["positions"] == "learned"
        names = ["hook_embed"] + (["hook_pos_embed"] if learned else [])
        fmt = self.sum_format(names, self.current, p)  # the shown entries add up by hand, else "≈"
        if fmt not in (None, "value"):  # the sum's own column, at the decimals where it checks
            self.columns[-1] = self.column(self.current, p, fmt).move_to(self.columns[-1])
        final = self.columns[-1]
        parts = [self.column(name, p, fmt or "value") for name in names]
        equals = "=" if fmt else "≈"
        signs = [label("+", size=44), label(equals, size=44)] if learned else [label(equals, size=44)]
        self.sum_shown = (parts, final, signs[-1])
        sum_row = VGroup(parts[0], signs[0], *parts[1:], *signs[1:], final.copy()).arrange(RIGHT, buff=0.45)
        sum_row.shift((self.xs[-1] - sum_row[-1].get_x()) * RIGHT + (self.COLUMN_Y - sum_row[-1].get_y()) * UP)
        matrix, row = self.matrix(final.height)
        matrix.shift((sum_row[0].get_left()[0] - 1.0 - matrix[0].get_right()[0]) * RIGHT
                     + (self.COLUMN_Y - matrix[0].get_y()) * UP)  # fmt: skip
        heads = [label("its row", size=24, color=style.TEXT)]
        if learned:
            # (counted from 1, as a viewer counts the chips: the last of n tokens is at position n)
            heads.append(sentence("position {n}", size=24, color=style.TEXT, n=(t.fields.info.tokens.ids, "len")))
        for head, part in zip(heads, parts):
            head.next_to(part, UP, buff=0.2)
        d, token = t.meta["d_model"], spoken_token(t.token_display[p])
        with self.narrate(
            f"Each token becomes a vector of {d} numbers. For {token}, it starts as its row of the embedding "
            f"matrix, which has a row for each of the {big(t.meta['vocab_size'])} tokens. "
            + ("Its position adds a vector of its own. " if learned else "Its position comes in later, in attention. ")
            + "The other tokens get theirs the same way.",
            title="Embedding",
            caption="Each token becomes a vector: its row of the embedding matrix plus its position's vector ({d} "
            "numbers)."
            if learned
            else "Each token becomes a vector: its row of the embedding matrix ({d} numbers); "
            "its position enters later, as a turn of queries and keys (rotary).",
            d=(t.fields.meta.d_model, "int"),
        ) as n:
            self.play(FadeIn(matrix[:2]), FadeIn(matrix[3], shift=0.2 * UP), run_time=n.left(0, 0.8))
            n.wait_for(1)
            self.play(FadeIn(row), Indicate(self.tokens[-1], color=style.NEXT_SLOT), run_time=0.6)
            pulled = row.copy()
            self.play(pulled.animate.rotate(np.pi / 2).stretch_to_fit_height(parts[0].entries.height)
                      .stretch_to_fit_width(parts[0].entries.width).move_to(parts[0].entries), run_time=0.8)  # fmt: skip
            self.play(pulled.animate.set_opacity(0), FadeIn(parts[0]), FadeIn(heads[0]), run_time=n.left(1, 0.6))
            self.remove(pulled)
            n.wait_for(2)
            if learned:
                self.play(
                    FadeIn(signs[0]),
                    FadeIn(parts[1], shift=0.3 * LEFT),
                    FadeIn(heads[1]),
                    run_time=0.5 * n.left(2, 1.6),
                )
            a, b = parts[0].entries.copy(), parts[-1].entries.copy()
            self.play(FadeIn(signs[-1]), FadeIn(final.decor), a.animate.move_to(final.entries).set_opacity(0),
                      b.animate.move_to(final.entries).set_opacity(0), run_time=0.6)  # fmt: skip
            self.remove(a, b)
            self.play(FadeIn(final.entries, shift=0.2 * RIGHT), run_time=0.5)
            n.wait_for(3)
            self.play(FadeOut(VGroup(matrix, *parts, *signs, *heads)), run_time=0.5, now=True)
            if len(self.columns) > 1:  # (a one-token prompt has no others)
                self.play(LaggedStart(*(FadeIn(c, shift=0.6 * DOWN) for c in self.columns[:-1]),
                                      lag_ratio=0.1), run_time=n.left(-1, 1.2))  # fmt: skip
            else:  # the slide rests on the vector made, not on the clearing
                self.play(Indicate(final.entries, color=style.NEXT_SLOT, scale_factor=1.05), run_time=n.left(-1, 0.6))

    def column(self, name: str, pos: int, fmt: str = "value") -> VectorColumn:
        values = self.trace[name][pos]
        return VectorColumn(
            values,
            lambda i: f"{name}[{pos},{i}]",
            shown=self.SHOWN_ENTRIES,
            size=24,
            scale=float(np.max(np.abs(values[: self.SHOWN_ENTRIES]))) or 1.0,
            fmt=fmt,
        )

    DIGITS = {2: "value", 3: "value3"}  # the decimals a vector's entries can be shown with

    def sum_format(self, terms: list[str], total: str, pos: int) -> str | None:
        """The format at which every shown entry of the columns `terms` adds up by hand to the entry of `total`
        beside it (the fewest decimals that do, model.formats.adding_digits); None when none does ("≈" then)."""
        for digits, fmt in self.DIGITS.items():
            if all(
                adding_digits([self.trace[n][pos][i] for n in terms], self.trace[total][pos][i], digits, digits)
                == digits
                for i in range(self.SHOWN_ENTRIES)
            ):
                return fmt
        return None

    def highlight(self, layer: int, kind: str, run: float, *also):
        target = SurroundingRectangle(self.stack.block(layer, kind), buff=0.05, color=style.NEXT_SLOT)
        if self.marker is None:
            self.marker = target
            self.play(Create(target), *also, run_time=run)
        else:
            self.play(Transform(self.marker, target), *also, run_time=run)

    def band(self, block, layer: int) -> VGroup:
        """The attention block, drawn large around every vector at once (they talk): its colour and its name."""
        entries = VGroup(*(c.entries for c in self.columns))
        name = label(f"attention, layer {layer + 1}", size=22)
        shape = RoundedRectangle(corner_radius=0.12, width=entries.width + 0.5, height=entries.height + 0.35 +
                                 name.height + 0.15, stroke_color=block[0].get_stroke_color(), stroke_width=2,
                                 fill_color=block[0].get_fill_color(), fill_opacity=0.22)  # fmt: skip
        shape.move_to(entries).align_to(entries.get_bottom() + 0.175 * DOWN, DOWN)
        name.next_to(shape.get_corner(UP + LEFT), DOWN + RIGHT, buff=0.1)
        return VGroup(shape.set_z_index(-2), name)

    def new_columns(self, name: str) -> VGroup:
        return VGroup(*(self.column(name, pos).move_to(old) for old, pos in zip(self.columns, self.positions)))

    @staticmethod
    def changed(old: VectorColumn, new: VectorColumn) -> AnimationGroup:
        """One vector's numbers giving way to its new ones in place (no digit morphing through garbled shapes)."""
        return AnimationGroup(swap(old.entries, new.entries), ReplacementTransform(old.decor, new.decor))

    def attention(self, layer: int, full: bool):
        """Attention: the block comes down around all the vectors, lines as thick as the real weights join the
        earlier tokens' vectors to the last one (the tokens talk), every vector changes, and the block leaves."""
        pattern = self.trace.pattern(layer, self.HEAD)
        if full:
            self.beat(
                "Attention",
                "Attention: the tokens talk. Each vector takes in information from the tokens before it.",
                static=True,
                say=f"The vectors now pass through {self.trace.n_layer} layers, each of two steps. First comes "
                "attention, where the tokens talk to each other: each vector takes in information from the tokens "
                f"before it. The last token takes most from the {words(min(self.TOP_LINES, len(self.positions)))} "
                "lit ones, more where the line is thicker. Then every vector comes out changed.",
            )
        else:  # one beat for the whole layer: attention, then the MLP
            self.layer_beat(layer, pattern)
        block = self.stack.block(layer, "Attention")
        band = self.band(block, layer)
        # The sentences' ends (a full layer: block, lines, the thickest, the change; a later one: all in the first)
        ends = [said_by(self, k, 0.6) for k in range(4)] if full else [said_by(self, 0, 2.0) * f for f in (0.1, 0.2,
                                                                                                            0.28, 0.6)]  # fmt: skip
        self.highlight(layer, "Attention", ends[0], TransformFromCopy(block[0], band[0]),
                       FadeIn(band[1], shift=0.2 * DOWN))  # fmt: skip
        self.lines = self.talk_lines(layer, pattern)
        lines, labels = self.lines
        if full:
            cue(self, 1)
        self.play(LaggedStart(*(Create(a) for a in lines), lag_ratio=0.08),  # each drawn from its source
                  run_time=said_by(self, 1, 0.4) if full else max(0.4, ends[1] - ends[0]))  # fmt: skip
        if full:
            cue(self, 2)
        thickest = lines[int(np.argmax([float(pattern[self.positions[-1], p]) for p in self.sources]))]
        self.play(FadeIn(labels, shift=0.1 * UP), FadeIn(self.lit), Indicate(thickest, color=style.NEXT_SLOT,
                                                                             scale_factor=1.0),
                  run_time=said_by(self, 2, 0.4) if full else max(0.4, ends[2] - ends[1]))  # fmt: skip
        if full:
            cue(self, 3)
        new = self.new_columns(self.trace.resid.mid[layer].name)
        self.play(LaggedStart(*(self.changed(o, nw) for o, nw in zip(self.columns, new)), lag_ratio=0.1),
                  run_time=said_by(self, 3, 0.6) if full else max(0.6, ends[3] - ends[2]), now=True)  # fmt: skip
        self.columns = new
        if full:  # every vector changed: its new numbers flash
            self.play(LaggedStart(*(Indicate(c.entries, color=style.NEXT_SLOT, scale_factor=1.08) for c in new),
                                  lag_ratio=0.05), run_time=0.8)  # fmt: skip
        # (faded, not FadeOut: the beat's slide rests on the changed vectors, not on a clearing)
        self.play(VGroup(band, self.lines, self.lit).animate.set_opacity(0), run_time=0.4)
        self.remove(band, self.lines, self.lit)

    TOP_LINES = 3  # the lines drawn: the last token's three largest weights

    def talk_lines(self, layer: int, pattern: np.ndarray) -> VGroup:
        """An arc from each of the TOP_LINES tokens the last token takes most from, hanging under the token row into
        its own point under the last token (farther, wider and deeper: they nest, never share a path), each as thick
        as its real weight; each weight written under the middle of its arc, the source's chip and vector lit.
        `self.sources`: the positions drawn, in the order of the lines."""
        t, last = self.trace, self.positions[-1]
        y0 = min(b.get_bottom()[1] for b in self.tokens) - 0.08  # just under the token row
        floor = max(c.entries.get_top()[1] for c in self.columns) + 0.95  # above the block, its name, the labels
        reach = max(self.xs[-1] - self.xs[0], 1e-6)
        weights = [float(pattern[last, pos]) for pos in self.positions]
        top = sorted(np.argsort([-w for w in weights], kind="stable")[: self.TOP_LINES])
        self.sources = [self.positions[int(k)] for k in top]
        spread = 0.3 * self.tokens[-1].width
        ends = np.linspace(spread, -spread, len(top)) if len(top) > 1 else [0.0]  # the farthest, the outermost
        lines, labels, lit = VGroup(), VGroup(), VGroup()
        lo, hi = min(weights[int(k)] for k in top), max(weights[int(k)] for k in top)
        for k, dx in zip(top, ends):
            x, pos, w = self.xs[int(k)], self.positions[int(k)], weights[int(k)]
            end = self.xs[-1] + dx
            start = end - 0.55 if pos == last else x  # what it takes from itself: a small loop under its own chip
            # (by the square root of the distance: near sources' arcs still differ in depth)
            depth = 0.3 if pos == last else 0.4 + (y0 - floor - 0.4) * np.sqrt((self.xs[-1] - x) / reach)
            line = fan_arrow([start, y0, 0], [end, y0, 0], w, depth)
            # the heavier, the thicker: the lightest drawn thin, the heaviest very thick (so near weights still differ)
            line.set_stroke(width=3 + 14 * (w - lo) / (hi - lo) if hi > lo else 8)
            line.gptanim_weight_path = t.attn.pattern[layer, self.HEAD, last, pos].path
            lines.add(line)
            text = sentence("{w}", size=24, color=style.NEXT_SLOT, w=(t.attn.pattern[layer, self.HEAD, last, pos],
                                                                      "percent"))  # fmt: skip
            text.next_to([(start + end) / 2, line.get_bottom()[1], 0], DOWN, buff=0.1)  # at its middle
            for other in labels:  # never over another arc's weight: the nearer one's moves aside, clear of it
                if (
                    abs(text.get_y() - other.get_y()) < text.height
                    and abs(text.get_x() - other.get_x()) < (text.width + other.width) / 2 + 0.1
                ):
                    text.next_to(other, RIGHT, buff=0.15)  # (to the right, toward the last token)
            labels.add(text)
            column = self.columns[int(k)]
            lit.add(SurroundingRectangle(self.tokens[int(k)], buff=0.05, color=style.NEXT_SLOT),
                    SurroundingRectangle(column.entries, buff=0.06, color=style.NEXT_SLOT))  # fmt: skip
        hidden = hidden_read(self.trace, layer, self.HEAD, self.SHOWN_TOKENS)
        if hidden is not None:  # a longer prompt: what the lines leave out, in this layer
            note = statement(hidden, size=20, color=style.MUTED)
            top = max(c.entries.get_top()[1] for c in self.columns)  # in the block's top row, right of its name
            labels.add(self.fit_width(note, 8.5).move_to([0, top + 0.4, 0]).align_to(self.columns, RIGHT))
        self.lit = lit
        return VGroup(lines, labels)

    def layer_beat(self, layer: int, pattern: np.ndarray):
        """A later layer's own caption: where the last token takes most from, and how much (on screen, said as
        shown)."""
        t, last = self.trace, self.positions[-1]
        src = int(np.argmax(pattern[last, : last + 1]))
        w = float(pattern[last, src])
        source = "itself" if src == last else spoken_token(t.token_display[src]) if src in self.positions else (
            "an earlier token, not drawn")  # fmt: skip
        self.beat(
            "Layer",
            f"Layer {layer + 1}: “{{a}}” takes most from “{{b}}” ({{w}}).",
            static=True,
            a=(t.fields.info.tokens.display[last], "text"),
            b=(t.fields.info.tokens.display[src], "text"),
            w=(t.attn.pattern[layer, self.HEAD, last, src], "percent"),
            say=f"Layer {layer + 1}: the last token takes most from {source}, {said_pct(w)}, then the MLP.",
        )

    def mlp(self, layer: int, full: bool):
        """The MLP: a box comes down onto one vector at a time and changes it alone, with no talk between them."""
        if full:
            if self.trace.words["parallel_residual"]:
                self.beat(
                    "MLP",
                    "The MLP changes each vector on its own; here it runs beside attention (parallel residual).",
                    say="Then the MLP, a small network that changes each vector on its own, one token at a time. Here "
                    "it runs side by side with attention. The next layer repeats both steps.",
                )
            else:
                self.beat(
                    "MLP",
                    "The MLP: a small network changes each vector on its own, with no talk between tokens.",
                    say="Then the MLP, a small network that changes each vector on its own, one token at a time, "
                    "with no talking. The next layer repeats both steps.",
                )
        block = self.stack.block(layer, "MLP")
        box = self.mlp_box(block)
        news = self.new_columns(self.trace.resid.post[layer].name)
        self.mlp_visits = []
        # the shape flies down from the block, then its name appears on it (never a morphed or stray name)
        self.highlight(layer, "MLP", 0.4, AnimationGroup(TransformFromCopy(block[0], box[0]), FadeIn(box[1]),
                                                         lag_ratio=0.8))  # fmt: skip
        step = max(0.2, said_by(self, 0, 1.5) / len(self.columns)) if full else 0.15  # (a later layer: quickly)
        for k, (old, nw, pos) in enumerate(zip(self.columns, news, self.positions)):  # one vector at a time
            self.mlp_visits.append(pos)
            if k:
                self.play(box.animate.set_x(old.entries.get_x()), run_time=0.35 * step)
            self.play(self.changed(old, nw), run_time=0.65 * step if k else step, now=True)
        self.columns = news
        if full:
            cue(self, 1)  # "the next layer repeats both": the box goes back into the stack
        # its name leaves where it stands (never squeezed through garbled shapes), its shape goes back into the stack
        self.play(
            AnimationGroup(
                FadeOut(box[1]),
                box[0].animate.scale_to_fit_height(block.height).move_to(block).set_opacity(0),
                lag_ratio=0.6,
            ),
            run_time=said_by(self, -1, 0.4) if full else 0.4,
        )
        self.remove(box)

    def mlp_box(self, block) -> VGroup:
        """The MLP drawn as a box round the first vector's numbers, its name on top."""
        entries = self.columns[0].entries
        name = label("MLP", size=22)
        shape = RoundedRectangle(corner_radius=0.1, width=max(entries.width, name.width) + 0.3,
                                 height=entries.height + name.height + 0.45, stroke_color=block[0].get_stroke_color(),
                                 stroke_width=3, fill_color=block[0].get_fill_color(), fill_opacity=0.12)  # fmt: skip
        shape.move_to(entries).align_to(entries.get_bottom() + 0.15 * DOWN, DOWN)
        name.next_to(shape.get_top(), DOWN, buff=0.1)
        return VGroup(shape.set_z_index(-2), name)

    def unembed(self):
        t = self.trace
        last = self.positions[-1]
        gone = [self.marker, *self.columns[:-1], *self.tokens[:-1]]
        y = -0.4
        column_top = y + self.FINAL_SCALE * self.columns[-1].height / 2
        # The rest leaves while the last vector moves to where it will predict: the frame never stands empty.
        self.play(
            *(FadeOut(m) for m in gone),
            FadeOut(self.stack, shift=0.3 * UP),
            self.tokens[-1].animate.move_to([-5.0, column_top + 0.4, 0]),
            self.columns[-1].animate.scale(self.FINAL_SCALE).move_to([-5.0, y, 0]),
        )
        final = self.column("ln_final.hook_normalized", last).scale(self.FINAL_SCALE).move_to([-5.0, y, 0])
        ln = label("rescaled", size=24, color=style.TEXT).next_to(final, DOWN, buff=0.2)
        self.beat(
            "Unembedding",
            "At the end only the last vector predicts: one more matrix gives every token a probability.",
            say="By now the last vector has gathered what it needs from the tokens before it, so only it predicts. "
            "It is rescaled, then one more matrix turns it into a probability for every token.",
        )
        part = paced(self.beats[-1]["audio"], 1.0, 0.8) / 3
        # The vector is normalised in place: one column, its numbers turned into the normalised ones.
        self.play(self.changed(self.columns[-1], final), FadeIn(ln, shift=0.2 * UP), run_time=part, now=True)
        bars = ProbabilityBars(step_entries(t, 0, self.FINAL_BARS), bar_width=self.BAR_WIDTH, size=30,
                               row_height=self.ROW_HEIGHT)  # fmt: skip
        bars.shift([0.6 - bars.rows[0].bar.get_left()[0], 2.55 - bars.get_top()[1], 0])
        if plain_sampling(t):
            title = label("probabilities", size=24)
        else:
            title = sentence("probabilities: {d}", size=22, d=claim(statements(t)["continuation.distribution"]))
        title.next_to(bars, UP, buff=0.25).align_to(bars, LEFT)
        room = config.frame_width / 2 - style.FRAME_MARGIN - title.get_left()[0]
        if title.width > room:  # a long title (top-k, top-p): shrink it, keep its left edge
            title.scale_to_fit_width(room, about_edge=LEFT)
        arrow = Arrow(final.get_right(), [bars.get_left()[0] - 0.1, final.get_y(), 0], buff=0.15, color=style.MUTED)
        grid = Rectangle(width=1.3, height=1.5, stroke_color=style.TEXT, stroke_width=2, fill_color=style.BACKGROUND,
                         fill_opacity=1).move_to(arrow)  # fmt: skip
        grid.add(*(Line(grid.get_left(), grid.get_right(), stroke_width=1, color=style.MUTED).shift(k * 0.26 * UP)
                   for k in (-2, -1, 1, 2)),
                 *(Line(grid.get_bottom(), grid.get_top(), stroke_width=1, color=style.MUTED).shift(k * 0.22 * RIGHT)
                   for k in (-2, -1, 0, 1, 2)))  # fmt: skip
        size = sentence(
            "{d} × {V}",
            size=24,
            color=style.TEXT,
            d=(t.fields.meta.d_model, "int"),
            V=(t.fields.meta.vocab_size, "comma"),
        )  # its shape: from a vector's size to the vocabulary's
        wu = VGroup(grid, label("× matrix", size=26, color=style.TEXT).next_to(grid, UP, buff=0.12),
                    size.next_to(grid, DOWN, buff=0.12))  # fmt: skip
        self.play(Create(arrow), FadeIn(wu, shift=0.2 * DOWN), run_time=part)
        self.play(
            FadeIn(title),
            LaggedStart(*(GrowFromEdge(r, LEFT) for r in bars.rows), lag_ratio=0.1),
            FadeIn(bars.dots),
            run_time=max(part, 1.5),
        )
        self.same_numbers(bars)

    def drawn_row(self, bars: ProbabilityBars):
        """The drawn token's own row under the bars' ⋮ when it is further down than those shown (None otherwise)."""
        step = self.trace.fields.info.continuation.steps[0]
        if self.trace.info["continuation"]["steps"][0]["chosen_rank"] <= len(bars.rows):
            return None
        drawn = ProbabilityBars([{"display": step.chosen_display, "prob": step.chosen_prob}], bar_width=self.BAR_WIDTH,
                                size=30, row_height=self.ROW_HEIGHT, ellipsis=False,
                                scale_to=step_entries(self.trace, 0, 1)[0]["prob"])  # fmt: skip
        drawn.shift(bars.rows[0].bar.get_left() - drawn.rows[0].bar.get_left())
        return drawn.rows[0].set_y(bars.dots.get_bottom()[1] - 0.45)

    def same_numbers(self, bars: ProbabilityBars):
        """The bars are the very chances the model wrote with: the likeliest lit, then the token it drew (by chance
        at these odds, when it was not the likeliest)."""
        t = self.trace
        step, top = t.info["continuation"]["steps"][0], step_entries(t, 0, 1)[0]
        rank, row = step["chosen_rank"], self.drawn_row(bars)
        drawn = row if row is not None else bars.rows[step["chosen_rank"] - 1]
        said = [f"{spoken_token(top['display'], start=True)} gets {said_pct(top['prob'])}."]
        if rank == 1:
            said.append("These are the very numbers the model drew from.")
        else:
            said.append(f"The model drew from these very numbers: {spoken_token(step['chosen_display'])}, at "
                        f"{said_pct(step['chosen_prob'])}, came up by chance.")  # fmt: skip
        with self.narrate(" ".join(said), title="Same numbers", caption="The same chances the model wrote with.") as n:
            mark = SurroundingRectangle(bars.rows[0], buff=0.06, color=style.NEXT_SLOT)
            self.play(Create(mark), run_time=n.left(0, 0.6))
            if rank > 1:
                n.wait_for(1)
                if row is not None:  # the drawn token's own row, under the ⋮
                    self.play(GrowFromEdge(row, LEFT), run_time=0.6)
                self.play(Transform(mark, SurroundingRectangle(drawn, buff=0.06, color=style.NEXT_SLOT)),
                          run_time=n.left(1, 0.6))  # fmt: skip
        self.drawn = drawn
        self.wait(1.5)
