"""The story around the GPT: transformers everywhere (the GPT is one kind), and a chatbot as a GPT continuing a script."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    AnimationGroup,
    ArcBetweenPoints,
    Arrow,
    Create,
    DashedVMobject,
    FadeIn,
    FadeOut,
    GrowArrow,
    GrowFromEdge,
    GrowFromPoint,
    Indicate,
    LaggedStart,
    Line,
    ReplacementTransform,
    Rotate,
    RoundedRectangle,
    Square,
    SurroundingRectangle,
    Transform,
    TransformFromCopy,
    UpdateFromAlphaFunc,
    VGroup,
    color_to_rgb,
    config,
    interpolate_color,
    rate_functions,
)

from model.claims import UNLIKELY_DRAW, stated, statements
from scenes import style
from scenes.base import TraceScene
from scenes.components import (
    ProbabilityBars,
    SpinnerWheel,
    TokenBox,
    flow,
    label,
    sentence,
    statement,
    swap,
    token_text,
)
from scenes.pacing import cue, dim, paced, said_by, travel
from scenes.speech import aloud, said_pct, spoken_token

# ---------------------------------------------------------------------------------------------------------
# Transformers everywhere: reference facts about other transformers, drawn; then this Trace's GPT.

APPLE = [  # an 8 × 8 picture: r red, g green (the stem and leaf), . empty
    "...gg...",
    "....g...",
    ".rr.grr.",
    "rrrrrrrr",
    "rrrrrrrr",
    "rrrrrrrr",
    ".rrrrrr.",
    "..rr.rr.",
]
LEAF = "#3fb950"


def waveform(width: float = 1.7, height: float = 0.8, n: int = 26) -> VGroup:
    """A drawn sound wave: vertical strokes whose heights rise and fall like speech (a picture, not data)."""
    xs = np.linspace(-width / 2, width / 2, n)
    t = np.linspace(0, 1, n)
    heights = height * (0.15 + 0.85 * np.abs(np.sin(7.3 * t) * np.sin(2.1 * t + 0.4)))
    return VGroup(*(Line([x, -h / 2, 0], [x, h / 2, 0]) for x, h in zip(xs, heights))).set_stroke(style.KEY, 3)


def pixel_image(size: float = 0.85) -> VGroup:
    """A small pixel grid: an apple, one square per pixel."""
    cell = size / len(APPLE)
    colors = {"r": style.VALUE, "g": LEAF}
    grid = VGroup()
    for r, row in enumerate(APPLE):
        for c, ch in enumerate(row):
            sq = Square(cell, stroke_width=0.5, stroke_color=style.MUTED)
            sq.set_fill(colors.get(ch, style.WEIGHT_ZERO), opacity=0.95 if ch in colors else 0.25)
            grid.add(sq.move_to([c * cell, -r * cell, 0]))
    return grid.move_to([0, 0, 0])


def words(text: str, size: float = 20) -> VGroup:
    """Reference words (not model tokens), one Text per word so they can travel one by one; `|` breaks a line."""
    lines = [VGroup(*(label(w, size=size) for w in line.split())).arrange(RIGHT, buff=0.12) for line in text.split("|")]
    VGroup(*lines).arrange(DOWN, buff=0.06)
    return VGroup(*(w for line in lines for w in line))


def word_chip(word: str, size: float = 24) -> VGroup:
    """A word of an example sentence (not a model token): its text in a plain grey box."""
    text = label(word, size=size)
    box = RoundedRectangle(corner_radius=0.06, width=text.width + 0.2, height=text.height + 0.16,
                           stroke_color=style.MUTED, stroke_width=1.5, fill_color=style.MUTED, fill_opacity=0.12)  # fmt: skip
    return VGroup(box, text.move_to(box))


def half_block(name: str, width: float, height: float, color) -> VGroup:
    """One half of the translation transformer: a large block, its name inside at the top."""
    box = RoundedRectangle(corner_radius=0.15, width=width, height=height, stroke_color=color, stroke_width=2.5,
                           fill_color=color, fill_opacity=0.1)  # fmt: skip
    return VGroup(box, label(name, size=30, color=color).next_to(box.get_top(), DOWN, buff=0.15))


def vector_stub(height: float = 0.75, cells: int = 4, color=style.KEY) -> VGroup:
    """A word's vector in a picture of another model: a small column of cells (drawn, not data)."""
    cell = height / cells
    return VGroup(*(Square(cell, stroke_width=1, stroke_color=color).set_fill(color, opacity=0.25 + 0.15 * (k % 3))
                    .move_to([0, -k * cell, 0]) for k in range(cells)))  # fmt: skip


def in_words(boxes, displays, gap: float = 0.08) -> list:
    """The token boxes grouped by word, for `flow`: a token that does not open with a space ("·") or a new line
    ("↵") stays on its line with the one before, so a line never breaks inside a word."""
    groups = []
    for box, display in zip(boxes, displays):
        if groups and display and not display.startswith(("·", "↵")):
            groups[-1].add(box)
        else:
            groups.append(VGroup(box))
    return [g.arrange(RIGHT, buff=gap, aligned_edge=UP) for g in groups]


def transformer_box(name: str = "transformer", width: float = 1.7, height: float = 0.8, size: float = 20):
    box = RoundedRectangle(corner_radius=0.12, width=width, height=height, stroke_color=style.BLOCK_ATTENTION,
                           stroke_width=2.5, fill_color=style.BLOCK_ATTENTION, fill_opacity=0.15)  # fmt: skip
    return VGroup(box, label(name, size=size, color=style.BLOCK_ATTENTION).move_to(box))


class TaskPanel(VGroup):
    """One kind of transformer: a title and a reference line above input → transformer → output."""

    def __init__(self, title: str, reference: str, source, target, gap: float = 0.4):
        super().__init__()
        self.source, self.target = source, target
        self.box = transformer_box()
        self.box.move_to([0, 0, 0])
        source.next_to(self.box, LEFT, buff=gap + 0.2)
        target.next_to(self.box, RIGHT, buff=gap + 0.2)
        self.arrows = VGroup(
            Arrow(source.get_right(), self.box.get_left(), buff=0.08, color=style.MUTED, stroke_width=3),
            Arrow(self.box.get_right(), target.get_left(), buff=0.08, color=style.MUTED, stroke_width=3),
        )
        row = VGroup(source, self.arrows, self.box, target)
        self.title = label(title, size=24)
        self.reference = VGroup(*(label(line, size=20, color=style.MUTED) for line in reference.split("\n")))
        self.reference.arrange(DOWN, buff=0.06)
        VGroup(self.title, self.reference).arrange(DOWN, buff=0.1).next_to(row, UP, buff=0.25)
        self.add(self.title, self.reference, row)

    def build(self):
        """The box, then the arrows growing from it, then the input and output."""
        return [
            FadeIn(self.title),
            FadeIn(self.reference),
            Create(self.box[0]),
            FadeIn(self.box[1]),
            *(GrowArrow(a) for a in self.arrows),
        ]


class TransformersEverywhere(TraceScene):
    """Transformers translate, transcribe, speak and draw; a GPT is the kind that gives next-token probabilities."""

    TITLE = "Transformers everywhere"
    PART = "What a GPT does"
    SUMMARY = "Transformers translate, transcribe, speak and draw; a GPT reads text and gives next-token probabilities."
    RENDER_SECONDS = 14

    BARS = 5
    SHOWN_TOKENS = 10  # the prompt's last tokens, fed into the GPT
    KINDS = [
        ("Speech → text", "e.g. Whisper\n(OpenAI, 2022)", "speech", "Once upon|a time"),
        ("Text → speech", "e.g. Transformer TTS\n(Li et al., 2019)", "Once upon|a time", "speech"),
        ("Text → image", "e.g. DALL·E\n(OpenAI, 2021)", "a red|apple", "image"),
    ]
    SHORT = ["Translation", "Speech → text", "Text → speech", "Text → image"]

    ENGLISH = ["Once", "upon", "a", "time"]  # the example sentence (reference: a picture, not this run)
    GERMAN = ["Es", "war", "einmal"]
    HALF_X, HALF_W, HALF_H, HALF_Y = 3.4, 6.3, 4.3, -0.05  # the encoder at −HALF_X, the decoder at +HALF_X
    WORDS_Y = -2.8  # the rows of words going in, under each half
    VECTOR_Y = -0.7  # the words' vectors, inside the halves
    OUT_Y = 0.95  # the German written, at the top of the decoder (under its name)
    STUB = 2.3  # a word's vector's height
    PITCH = 1.55  # between two words' columns in a half

    def construct(self):
        self.translation()
        self.encoder_reads()
        self.decoder_writes()
        self.other_kinds()
        self.gpt_kind()
        self.zoom_in()

    def translation(self):
        """The first transformer, large: an encoder and a decoder, named with the paper (reference facts)."""
        self.heading = label("Transformers everywhere", size=32).to_corner(UP + LEFT, buff=0.3)
        self.tag = label("published examples", size=24, color=style.MUTED)
        self.tag.to_corner(UP + RIGHT, buff=0.3).align_to(self.heading, DOWN)
        ref = label("“Attention Is All You Need”, Vaswani et al., Google, 2017", size=28, color=style.TEXT)
        self.fit_width(ref).next_to(self.heading, DOWN, buff=0.2).set_x(0)
        enc = half_block("encoder", self.HALF_W, self.HALF_H, style.BLOCK_ATTENTION).move_to(
            [-self.HALF_X, self.HALF_Y, 0]
        )
        dec = half_block("decoder", self.HALF_W, self.HALF_H, style.BLOCK_MLP).move_to([self.HALF_X, self.HALF_Y, 0])
        self.english = self.columns(VGroup(*(word_chip(w, size=30) for w in self.ENGLISH)), -self.HALF_X)
        self.english.set_y(self.WORDS_Y)
        self.enc, self.dec, self.ref = enc, dec, ref
        self.add(self.heading)
        self.beat(
            "Translation",
            "The first transformer translated text, English to German.",
            static=True,
            say="Transformers were invented at Google in 2017, to translate text, for example from English to "
            "German. The paper was called Attention Is All You Need.",
        )
        self.play(FadeIn(self.tag), FadeIn(ref, shift=0.1 * DOWN), GrowFromEdge(enc, DOWN), GrowFromEdge(dec, DOWN),
                  run_time=1.0)  # fmt: skip
        # The English sentence comes in under the encoder, and runs through both halves once: German comes out,
        # and both stay for the whole beat.
        self.play(LaggedStart(*(FadeIn(w, shift=0.3 * UP) for w in self.english), lag_ratio=0.3), run_time=1.0)
        self.preview(said_by(self, 0, 2.0))
        cue(self, 1)  # the paper, as it is named
        self.play(Indicate(ref, color=style.NEXT_SLOT, scale_factor=1.05), run_time=said_by(self, 1, 1.0))

    def columns(self, chips: VGroup, x: float, shift: int = 0) -> VGroup:
        """Words set on a half's columns, PITCH apart, centred on `x` (moved `shift` columns right): a word
        written and the word it was written from share a column."""
        n = len(chips)
        for k, c in enumerate(chips):
            c.set_x(x + (k + shift - (n - 1) / 2) * self.PITCH)
        return chips

    def preview(self, run: float):
        """The whole translation once, quickly: the English goes into the encoder, across to the decoder, and the
        German comes out above it (it stays until the decoder writes it again, word by word)."""
        fed = [w.copy() for w in self.english]
        german = self.columns(VGroup(*(word_chip(w, size=30) for w in self.GERMAN)), self.HALF_X, shift=0)
        german.set_y(self.OUT_Y)
        across = VGroup(*(vector_stub(0.5).move_to(self.enc[0]) for _ in range(3)))
        self.play(*(f.animate.move_to(self.enc[0]).scale(0.4).set_opacity(0) for f in fed), run_time=0.2 * run)
        self.remove(*fed)
        self.play(LaggedStart(*(m.animate.move_to(self.dec[0]) for m in across), lag_ratio=0.2), run_time=0.25 * run)
        self.play(LaggedStart(*(ReplacementTransform(m, g) for m, g in zip(across, german)), lag_ratio=0.2),
                  run_time=0.2 * run)  # fmt: skip
        self.play(Indicate(german, color=style.BLOCK_MLP, scale_factor=1.05), run_time=0.35 * run)  # the German, read
        self.preview_german = german

    def encoder_reads(self):
        """The English words go up into the encoder and become vectors; the vectors look at each other."""
        self.beat(
            "Encoder",
            "The encoder reads the whole English sentence at once.",
            say="One half, the encoder, reads the whole English sentence at once. Each word becomes a vector, a "
            "list of numbers, and every vector looks at all the others.",
        )
        vectors = VGroup(*(vector_stub(self.STUB).move_to([w.get_x(), self.VECTOR_Y, 0]) for w in self.english))
        ups = VGroup(*(Arrow(w.get_top(), [w.get_x(), self.enc[0].get_bottom()[1], 0], buff=0.05, color=style.MUTED,
                             stroke_width=3) for w in self.english))  # fmt: skip
        self.play(LaggedStart(*(GrowArrow(a) for a in ups), lag_ratio=0.2), run_time=0.8)
        self.play(
            LaggedStart(*(GrowFromEdge(v, DOWN) for v in vectors), lag_ratio=0.2), run_time=said_by(self, 0, 1.5)
        )  # a word's vector rises out of its arrow (a morph reads garbled)
        self.ups = ups
        cue(self, 2)
        tops = [v.get_top() + 0.05 * UP for v in vectors]
        arcs = VGroup(*(ArcBetweenPoints(tops[a], tops[b], angle=-0.9, stroke_color=style.KEY, stroke_width=2.5)
                        for a in range(len(tops)) for b in range(a + 1, len(tops))))  # fmt: skip
        self.play(LaggedStart(*(Create(a) for a in arcs), lag_ratio=0.15), run_time=said_by(self, 2, 1.2))
        self.vectors, self.arcs = vectors, arcs

    def decoder_writes(self):
        """What the encoder read goes to the decoder; the decoder writes German word by word above it, and each
        word goes back in below it (to help choose the next)."""
        self.beat(
            "Decoder",
            "The decoder writes the German, one word at a time.",
            say="The other half, the decoder, writes the German one word at a time, looking at the English. Each word "
            "it writes goes back "
            "in, to help choose the next.",
        )
        out = self.columns(VGroup(*(word_chip(w, size=30) for w in self.GERMAN)), self.HALF_X).set_y(self.OUT_Y)
        back = self.columns(VGroup(*(word_chip(w, size=30) for w in ["start", *self.GERMAN[:-1]])), self.HALF_X)
        back[0][0].set_stroke(style.NEXT_SLOT).set_fill(style.NEXT_SLOT, opacity=0.15)  # a start marker, not a word
        back.set_y(self.WORDS_Y)
        inside = VGroup(*(vector_stub(self.STUB, color=style.BLOCK_MLP).move_to([w.get_x(), self.VECTOR_Y, 0])
                          for w in back))  # fmt: skip
        ups = VGroup(*(Arrow(w.get_top(), [w.get_x(), self.dec[0].get_bottom()[1], 0], buff=0.05, color=style.MUTED,
                             stroke_width=3) for w in back))  # fmt: skip
        # The decoder starts from a start marker: its first word is not copied from anything.
        self.play(FadeOut(self.preview_german, shift=0.2 * UP), run_time=0.4, now=True)
        self.play(FadeIn(back[0], shift=0.3 * UP), run_time=0.6)
        self.play(GrowArrow(ups[0]), GrowFromEdge(inside[0], DOWN), run_time=0.6)
        step = max(said_by(self, -1, 3.0) - 2.0, 3.0) / len(self.GERMAN)  # a word written, fed back, read
        for k, o in enumerate(out):  # each word comes out of the top of its own column, looking at the English
            looks = VGroup(*(ArcBetweenPoints(e.get_top() + 0.05 * UP, inside[k].get_corner(UP + LEFT), angle=-0.45,
                                              stroke_color=style.KEY, stroke_width=3) for e in self.vectors))  # fmt: skip
            self.play(LaggedStart(*(Create(line) for line in looks), lag_ratio=0.1), run_time=0.25 * step)
            self.play(GrowFromPoint(o, inside[k].get_top()), dim(looks), run_time=0.25 * step)  # (a mark: at once)
            if k + 1 < len(back):  # the word written goes back in, one column on, to help choose the next
                b, v, up = back[k + 1], inside[k + 1], ups[k + 1]
                self.play(TransformFromCopy(o, b, path_arc=-1.2), run_time=0.25 * step)
                self.play(GrowArrow(up), GrowFromEdge(v, DOWN), run_time=0.25 * step)
        across = loop = VGroup()  # (the lines to the English have gone; the words' own way back is the loop)
        self.inside, self.dec_ups = inside, ups
        self.german, self.german_in, self.across, self.loop = out, back, across, loop

    def kind_chips(self) -> VGroup:
        """The four kinds as small tags in a row under the heading: each kind, once shown, shrinks into its tag."""
        chips = VGroup()
        for short in self.SHORT:
            text = label(short, size=22, color=style.BLOCK_ATTENTION)
            frame = RoundedRectangle(corner_radius=0.1, width=text.width + 0.4, height=0.52, stroke_width=1.5,
                                     stroke_color=style.BLOCK_ATTENTION, fill_color=style.BLOCK_ATTENTION,
                                     fill_opacity=0.12)  # fmt: skip
            chips.add(VGroup(frame, text.move_to(frame)))
        chips.arrange(RIGHT, buff=0.3)
        return self.fit_width(chips).next_to(self.heading, DOWN, buff=0.3).align_to(self.heading, LEFT)

    def regroup(self, group):
        """Its parts, added one by one, on screen as one group again (so it moves as one)."""
        self.remove(*group.get_family())
        self.add(group)

    def other_kinds(self):
        """Each other kind takes the whole frame in turn: its input flows into the transformer and its output comes
        out; then it shrinks into its tag at the top, as the translation did, and the next kind comes."""
        said = [
            "Today the same design also hears. Speech goes in, and text comes out.",
            "It also speaks. Here text goes in, and speech comes out.",
            "And it draws. A few words go in, and a picture comes out.",
        ]
        pictures = {"speech": waveform, "image": pixel_image}
        self.small = self.kind_chips()
        last = VGroup(self.enc, self.dec, self.english, self.vectors, self.arcs, self.across, self.german,
                      self.german_in, self.loop, self.ref, self.ups, self.inside, self.dec_ups)  # fmt: skip
        for k, ((title, ref, src, dst), say) in enumerate(zip(self.KINDS, said)):
            source, target = (pictures[x]() if x in pictures else words(x, size=24) for x in (src, dst))
            panel = TaskPanel(title, ref, source, target)
            panel.scale(min(2.2, 12.0 / panel.width, 5.0 / panel.height)).move_to([0, -0.45, 0])
            self.beat(title, f"{title}: another transformer.", static=True, say=say)
            # The kind before shrinks into its tag, then this one is built (one after the other: no ghost of the old).
            chip = self.small[k]
            self.play(last.animate.scale(chip.height / last.height).move_to(chip).set_opacity(0), FadeIn(chip),
                      run_time=0.6)  # fmt: skip
            self.remove(last)
            self.play(*panel.build(), FadeIn(source), run_time=0.8)
            cue(self, 1)  # "... goes in, and ... comes out": the input flows in, the output leaves the box at once
            rest = said_by(self, 1, 1.4)
            fed = source.copy()
            self.play(fed.animate.scale(0.2).move_to(panel.box).set_opacity(0), run_time=0.6)
            self.remove(fed)
            self.play(out_of_box(panel), run_time=0.8)
            if rest > 1.4:
                self.wait(rest - 1.4)
            self.regroup(panel)
            last = panel
        self.last_panel = last

    def gpt_layout(self):
        """The GPT picture across the frame: the prompt's end → the GPT box → its next-token bars; and the four
        kinds as small tags in a row at the top."""
        t = self.trace
        k = t.meta["temperatures"].index(1.0)
        self.top = top = t.top_next(self.BARS)
        vocab = t.fields.info.vocab_display
        entries = [{"display": vocab[str(e["id"])], "prob": e["prob"], "prob_path": f"probs[{k},{e['id']}]"}
                   for e in top]  # fmt: skip
        n = len(t.token_ids)
        shown = list(range(max(0, n - self.SHOWN_TOKENS), n))
        display = t.fields.info.tokens.display
        self.boxes = [TokenBox(display[i], hue=style.token_hue(i), size=26) for i in shown]
        words = in_words(self.boxes, [t.token_display[i] for i in shown])
        if max(w.width for w in words) > 4.0:  # a "word" of many pieces (bytes of one script): wrapped anywhere
            words = self.boxes
        prompt = flow(words, max_width=4.0, line_gap=0.15)
        if len(shown) < n:  # a longer prompt: its start is left out
            prompt = VGroup(label("…", size=24, color=style.MUTED), prompt).arrange(RIGHT, buff=0.1, aligned_edge=UP)
        self.cut = len(shown) < n
        gpt = VGroup(transformer_box("GPT", width=2.6, height=2.0, size=44))
        name = token_text(t.fields.meta.model, size=22, color=style.MUTED, limit=22)
        gpt.add(name.next_to(gpt[0], DOWN, buff=0.15))
        gpt.add(label("decoder only", size=22, color=style.BLOCK_MLP).next_to(gpt[0], UP, buff=0.15))
        bars = ProbabilityBars(entries, bar_width=2.6, size=26, row_height=0.62)
        out_title = label("next token", size=22, color=style.MUTED)
        gpt.move_to([0, -0.9, 0])
        prompt.next_to(gpt[0], LEFT, buff=0.9)
        bars.next_to(gpt[0], RIGHT, buff=0.9 + bars.rows[0].name.width + 0.15)
        bars.shift((gpt[0].get_y() - bars.rows.get_y()) * UP)
        out_title.next_to(bars, UP, buff=0.2).align_to(bars, LEFT)
        in_title = label("tokens", size=22, color=style.MUTED).next_to(prompt, UP, buff=0.2).align_to(prompt, LEFT)
        self.text_in = sentence("“{prompt}”", size=30, prompt=(t.fields.meta.settings.prompt, "ends64"))
        self.fit_width(self.text_in, config.frame_width - 2 * style.FRAME_MARGIN)
        arrows = VGroup(
            Arrow(prompt.get_right(), gpt[0].get_left(), buff=0.1, color=style.MUTED, stroke_width=3),
            Arrow(gpt[0].get_right(), [bars.get_left()[0], gpt[0].get_y(), 0], buff=0.1, color=style.MUTED,
                  stroke_width=3),
        )  # fmt: skip
        self.gpt_panel = VGroup(in_title, prompt, arrows, gpt, bars, out_title)
        self.fit_width(self.gpt_panel, config.frame_width - 2 * style.FRAME_MARGIN - 0.5).set_x(0)  # clear of the edge
        # The text as typed, above the row: it goes in cut into the tokens below it.
        self.text_in.move_to([0, max(in_title.get_top()[1], gpt[2].get_top()[1]) + 0.75, 0]).align_to(prompt, LEFT)
        if self.text_in.get_right()[0] > config.frame_width / 2 - style.FRAME_MARGIN:
            self.text_in.set_x(0)
        self.text_in.shift(
            max(0.0, self.text_in.get_top()[1] - self.small.get_bottom()[1] + 0.3) * DOWN
        )  # clear of the tags
        self.prompt, self.gpt, self.bars, self.arrows, self.titles = prompt, gpt, bars, arrows, (in_title, out_title)

    def gpt_kind(self):
        """The translation's two halves come back out of its tag; the encoder leaves and the decoder, on its own,
        becomes the GPT, as the narrator says so; then text goes in and next-token probabilities come out."""
        self.gpt_layout()
        gpt, bars, chips, (in_title, out_title) = self.gpt, self.bars, self.small, self.titles
        top1 = self.top[0]
        self.beat(
            "The GPT kind",
            "A GPT is the kind that reads text and gives a probability to every possible next token.",
            say="A GPT is one more kind: the decoder half, on its own. Text goes in, here our prompt. It is cut "
            "into tokens, words and pieces of words, a dot for each space. What comes out is not a sentence, but a "
            "probability for every possible next token. "
            f"{spoken_token(top1['display'], start=True)} gets {said_pct(top1['prob'])}.",
        )
        enc = half_block("encoder", self.HALF_W, self.HALF_H, style.BLOCK_ATTENTION).move_to([-self.HALF_X, -0.6, 0])
        dec = half_block("decoder", self.HALF_W, self.HALF_H, style.BLOCK_MLP).move_to([self.HALF_X, -0.6, 0])
        first = said_by(self, 0, 3.0)
        self.play(self.last_panel.animate.scale(chips[-1].height / self.last_panel.height).move_to(chips[-1])
                  .set_opacity(0), FadeOut(self.tag), run_time=0.15 * first)  # fmt: skip
        self.remove(self.last_panel)
        self.play(FadeIn(chips[-1]), run_time=0.1 * first)
        self.play(
            ReplacementTransform(chips[0].copy(), VGroup(enc, dec)), run_time=0.25 * first
        )  # the translation, again
        self.play(enc.animate.shift(2 * LEFT).set_opacity(0), dec.animate.move_to(gpt[0]), run_time=0.25 * first)
        self.remove(enc)  # (gone as the decoder is named on its own, not at the beat's end)
        self.play(ReplacementTransform(dec[0], gpt[0][0]), ReplacementTransform(dec[1], gpt[2]), FadeIn(gpt[0][1]),
                  run_time=0.25 * first)  # fmt: skip
        cue(self, 1)
        self.play(FadeIn(self.text_in, shift=0.2 * DOWN), FadeIn(gpt[1]), run_time=said_by(self, 1, 1.0))
        cue(self, 2)  # the text splits into its tokens, each out of the sentence to its place
        self.play(FadeIn(in_title), *([FadeIn(self.prompt[0])] if self.cut else []),
                  LaggedStart(*(FadeIn(b, shift=0.4 * DOWN) for b in self.boxes),
                              lag_ratio=0.12), run_time=0.6 * said_by(self, 2, 2.0))  # fmt: skip
        fed = [b.copy() for b in self.boxes]
        self.play(GrowArrow(self.arrows[0]), *(b.animate.move_to(gpt[0]).scale(0.3).set_opacity(0) for b in fed),
                  run_time=said_by(self, 2, 1.0))  # fmt: skip
        self.remove(*fed)
        cue(self, 3)
        self.play(GrowArrow(self.arrows[1]), FadeIn(out_title),
                  LaggedStart(*(GrowFromEdge(r, LEFT) for r in bars.rows), lag_ratio=0.1), FadeIn(bars.dots),
                  run_time=said_by(self, 3, 1.5))  # fmt: skip
        cue(self, 4)
        self.play(Indicate(bars.rows[0], color=style.NEXT_SLOT, scale_factor=1.1), run_time=said_by(self, 4, 1.0))

    def zoom_in(self):
        """The camera goes into the GPT box: what goes in and comes out gives way, and the box grows until it fills
        the frame, the model's name and what this lecture does with it inside."""
        self.beat(
            "Zoom in",
            "This lecture opens up the GPT kind, with its real numbers.",
            say="This is the kind this lecture is about: a GPT. The scenes that follow open it up, with the real "
            "numbers of this run.",
        )
        frame, name = self.gpt[0]
        around = [self.text_in, self.prompt, self.arrows, self.bars, *self.titles, self.gpt[2]]
        grown = frame.copy().stretch_to_fit_width(config.frame_width - 0.6)
        grown.stretch_to_fit_height(config.frame_height - 2.1).move_to([0, -0.1, 0])  # below the heading
        inside = label("what this lecture opens up", size=36, color=style.TEXT)
        big_name = name.copy().scale(1.8).move_to([0, 1.0, 0])
        model = self.gpt[1].copy().scale(1.3).move_to([0, -0.1, 0])
        inside.next_to(model, DOWN, buff=0.45)
        layers = VGroup()  # a hint of what is inside: layer after layer of attention and MLP blocks
        for name_k, color in [("attention", style.BLOCK_ATTENTION), ("MLP", style.BLOCK_MLP)] * 2:
            text = label(name_k, size=24, color=color)
            block = RoundedRectangle(corner_radius=0.1, width=max(1.0, text.width + 0.35), height=0.6, stroke_color=color,
                                     stroke_width=2, fill_color=color, fill_opacity=0.15)  # fmt: skip
            layers.add(VGroup(block, text.move_to(block)))
        layers.add(label("…", size=32, color=style.MUTED))
        layers.arrange(RIGHT, buff=0.25).next_to(inside, DOWN, buff=0.45)
        grow = said_by(self, 0, 2.5)
        self.play(FadeOut(self.small, shift=UP), *(dim(m) for m in around), run_time=0.5)
        self.play(Transform(frame, grown), Transform(name, big_name), Transform(self.gpt[1], model),
                  rate_func=rate_functions.ease_in_out_sine, run_time=max(1.5, 0.75 * grow))  # fmt: skip
        self.play(FadeIn(inside, shift=0.1 * UP), run_time=max(0.5, said_by(self, 0, 0.5)))
        cue(self, 1)  # what the scenes open up: the layers inside, as they are named
        self.play(LaggedStart(*(GrowFromEdge(m, LEFT) for m in layers), lag_ratio=0.2), run_time=said_by(self, 1, 1.0))
        self.layers = layers


def out_of_box(panel: TaskPanel):
    """The output of a panel appears out of its transformer box."""
    return FadeIn(panel.target, shift=0.4 * RIGHT)  # leaving the box whole (a morph reads as garbled glyphs)


# ---------------------------------------------------------------------------------------------------------
# Chat: the script, and the real model's reply token by token (model/chat.py).

ROLE_NAMES = {"system": "system prompt", "user": "user", "assistant": "assistant"}


class Chat(TraceScene):
    """A chatbot is a GPT continuing a script: a system line, the user's line, the assistant's line opened."""

    TITLE = "A chatbot continues a script"
    PART = "What a GPT does"
    SUMMARY = "A chatbot is a GPT continuing a script: the real model writes the assistant's reply token by token."
    SECTIONS = ("chat",)
    USES_TEMPERATURE = True
    RENDER_SECONDS = 15

    FULL_STEPS = 3  # steps shown slowly; the rest go by faster
    BARS = 5
    PART_LINES = 2  # lines shown of a long system or user line (its end)
    WIDTH = config.frame_width - 2 * style.FRAME_MARGIN  # the system and user lines' width
    LEFT_X = -6.8
    LOWEST = -2.8  # the script's bottom, leaving room for the verdict above the caption
    WHEEL_LOW = -3.15  # the wheel's bottom, just above the caption
    NAMED = 0.1  # a wheel slice of this chance or more is named inside it
    WHEEL_X, BAR_X, BAR_W = -2.6, 2.7, 3.0  # the wheel's centre, the bars' left edge and length (at 100%)
    GPT_X = -5.9  # the GPT box's centre, left of the wheel: the script goes in, the chances come out
    LINE_SCALES = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)  # the assistant's line, at the top while the reply is written
    BAR_HEIGHT = 0.35  # a reply token's bar at 100% (its track)
    CELL_GAP = 0.12  # between the reply's cells

    def setup(self):
        super().setup()
        self.section("chat")

    @property
    def chat(self) -> dict:
        return self.trace.info["chat"]

    @property
    def steps(self) -> list[dict]:
        return self.chat["reply"]["steps"]

    def step_read(self, i: int):
        """Reply step i, its fields read with their paths."""
        return self.trace.fields.info.chat.reply.steps[i]

    def construct(self):
        self.show_script()
        for i in range(len(self.steps)):
            self.reply_step(i, full=i < self.FULL_STEPS)
        self.verdict()

    def role_color(self, role: str):
        return {"system": style.MUTED, "user": style.KEY, "assistant": style.NEXT_SLOT}[role]

    def part_boxes(self, part: int) -> list:
        chat = self.chat
        hue = self.role_color(chat["roles"][part])
        display = self.trace.fields.info.chat.display
        return [TokenBox(display[i], hue=hue, size=26) for i, p in enumerate(chat["part"]) if p == part]

    def show_script(self):
        """The script's three parts, each a line of token boxes led by its role's name; a system or user line
        longer than PART_LINES lines keeps its end, after an ellipsis."""
        chat = self.chat
        y = 2.9  # the script in the upper middle of the frame (the reply moves to the top later)
        self.rows = []
        for part, role in enumerate(chat["roles"]):
            heading = label(ROLE_NAMES[role] + ":", size=26, color=self.role_color(role))
            boxes = self.part_boxes(part)
            width = self.WIDTH
            if role == "assistant":  # its opener, as large as the other lines (the reply's cells: laid out later)
                self.opener = boxes
                self.cells = [self.reply_cell(i) for i in range(len(self.steps))]
                items = [heading, *boxes]
                body = flow(items, width, gap=self.CELL_GAP, line_gap=0.1)
            else:
                dots = label("…", size=26, color=style.MUTED)
                items = [heading, *boxes]
                said = [d for d, p in zip(chat["display"], chat["part"]) if p == part]
                while len(body := flow([*items[: len(items) - len(boxes)], *in_words(boxes, said[-len(boxes) :])],
                                       width, gap=0.08, line_gap=0.1)) > self.PART_LINES:  # fmt: skip
                    boxes = boxes[1:]
                    items = [heading, dots, *boxes]
            body.move_to([self.LEFT_X, y, 0], aligned_edge=UP + LEFT)
            heading.match_y(boxes[0] if boxes else heading)
            self.rows.append((heading, boxes, items))
            y = body.get_bottom()[1] - 0.14
        # The script in the middle of the frame while it is read (the reply's top line moves up later).
        shown = [m for _, _, items in self.rows for m in items if not any(m is c for c in self.cells)]
        drop = max(0.0, (2.9 + min(m.get_bottom()[1] for m in shown)) / 2 - (2.9 + self.LOWEST) / 2)
        for _, _, items in self.rows:
            for item in items:
                item.shift(drop * DOWN)
        self.bottom = y - drop
        self.beat(
            "A script",
            "A chatbot is a GPT continuing a script: a system prompt, the user's words, the assistant's turn.",
            say="A chatbot is a GPT like this one, continuing a script. "
            "The script opens with a system prompt, which sets the scene.",
        )
        self.play(LaggedStart(*(FadeIn(h, shift=0.1 * RIGHT) for h, _, _ in self.rows), lag_ratio=0.3),
                  run_time=said_by(self, 0, 1.0))  # the script's three parts, named as the script is  # fmt: skip
        self.show_row(0, named=1)
        source = "your prompt" if chat["user_from"] == "prompt" else "the user's line"
        self.beat(
            "User",
            "The user's words: here, " + source + ".",
            static=True,
            say="Then come the user's words, written as a line of the story. Each turn starts on a new line, the "
            "bent arrow. Here the user writes "
            + ("our prompt." if chat["user_from"] == "prompt" else "the line you gave."),
        )
        self.show_row(1)
        said = [d for d, p in zip(chat["display"], chat["part"]) if p == 1]
        kept = self.rows[1][1]  # (a long user line keeps its end)
        turns = [b for b, d in zip(kept, said[len(said) - len(kept) :]) if d.startswith("↵")]
        if turns:  # the new line that opens the turn, pointed out as it is named
            cue(self, 1)
            self.play(
                *(Indicate(b, color=style.NEXT_SLOT, scale_factor=1.4) for b in turns), run_time=said_by(self, 1, 1.0)
            )
        self.beat(
            "Assistant",
            "The assistant's turn is opened; the model writes the rest, one token at a time.",
            say="Then the assistant's turn is opened. The model finishes it one token at a time, "
            "just as it continues any text.",
        )
        self.show_row(2)
        self.bars = self.bars_title = self.pick = self.wheel = None

    def show_row(self, k: int, named: int | None = None):
        """A part of the script, its tokens written in one by one while the narrator introduces it (from sentence
        `named` on: the scene's opening picture, its role's name, comes at once before)."""
        _, boxes, items = self.rows[k]
        dots = [m for m in items[1:2] if m not in boxes]  # the "…" of a long line
        if named is not None:
            cue(self, named)
        self.play(*(FadeIn(d) for d in dots),
                  LaggedStart(*(FadeIn(b, shift=0.1 * RIGHT) for b in boxes), lag_ratio=0.4),
                  run_time=paced(self.beats[-1]["audio"], 1.0, 0.85) if named is None else said_by(self, -1, 1.0))  # fmt: skip

    def reply_cell(self, i: int) -> VGroup:
        """A reply token with its probability below it as a bar, as tall as the probability (its percentage was on
        the wheel's callout when it was drawn: under every token it would be too small to read)."""
        step = self.steps[i]
        read = self.step_read(i)
        box = TokenBox(read.chosen_display, hue=style.NEXT_SLOT, size=24)
        height = max(self.BAR_HEIGHT * step["chosen_prob"], 0.02)
        bar = RoundedRectangle(corner_radius=0.01, width=0.3, height=height, stroke_width=0, fill_color=style.BAR,
                               fill_opacity=0.9)  # fmt: skip
        track = Line([-0.25, 0, 0], [0.25, 0, 0], stroke_color=style.MUTED, stroke_width=2)  # the bar's baseline
        track.next_to(box, DOWN, buff=0.06 + self.BAR_HEIGHT)
        bar.align_to(track, DOWN).match_x(track)
        cell = VGroup(box, track, bar)
        cell.box, cell.bar = box, bar
        return cell

    def alternatives(self, i: int) -> ProbabilityBars:
        """Step i's likeliest tokens as bars, right of the wheel, in the middle of the frame, and a last bar for all
        the other tokens together (the wheel's grey); one scale for every spin, 100% the full length."""
        top, shown = self.step_read(i).top, min(len(self.steps[i]["top"]), self.BARS)
        entries = [{"display": top[j].display, "prob": top[j].prob} for j in range(shown)]
        rest = stated(self.trace, f"chat.rest.{i}.top{shown}")
        entries.append({"name": "others", "prob": 1 - sum(e["prob"].value for e in entries), "statement": rest})
        bars = ProbabilityBars(entries, bar_width=self.BAR_W, size=24, row_height=0.46, ellipsis=False, scale_to=1.0)
        y = max(self.middle - bars.rows.get_y(), self.WHEEL_LOW + 0.05 - bars.rows.get_bottom()[1])
        bars.shift([self.BAR_X - bars.rows[0].bar.get_left()[0], y, 0])
        return bars

    def wheel_for(self, i: int) -> SpinnerWheel:
        """Step i's wheel: a slice per bar (two tones, so neighbours stand apart), the drawn token's own slice if it
        is not among the bars, the rest grey; turned as the last wheel stopped."""
        step = self.steps[i]
        probs = [e["prob"] for e in step["top"][: self.BARS]]
        tones = [style.BAR if j % 2 == 0 else interpolate_color(style.BAR, style.TEXT, 0.45) for j in range(len(probs))]
        if step["chosen_rank"] > len(probs):
            probs.append(step["chosen_prob"])
            tones.append(style.VALUE)
        wheel = SpinnerWheel(probs, tones, radius=self.radius, turned=self.wheel.turned if self.wheel else 0.0)
        return wheel.shift([self.WHEEL_X, self.middle - 0.1, 0] - wheel.centre)

    def title_for(self, bars) -> VGroup:
        """What the bars and the wheel are: the chances the token is drawn from, with the sampling settings."""
        drawn_from = statement(statements(self.trace)["chat.distribution"], size=22, color=style.MUTED)
        title = VGroup(label("chances of the next token", size=22, color=style.MUTED), drawn_from)
        title.arrange(DOWN, buff=0.06, aligned_edge=LEFT)
        self.fit_width(title, config.frame_width / 2 - style.FRAME_MARGIN - bars.get_left()[0])
        return title.next_to(bars, UP, buff=0.15).align_to(bars, LEFT)

    DIM = 0.78  # the system and user lines, kept above the assistant's while the reply is written (text ≥ 20 px)

    def context_rows(self, top: float) -> list:
        """The system and user lines set again smaller and dimmed, one under the other from `top`: the script the
        GPT reads stays in view above the assistant's line. Returns (items, their targets) per line."""
        width, out = config.frame_width - 2 * style.FRAME_MARGIN, []
        said = [[d for d, p in zip(self.chat["display"], self.chat["part"]) if p == k] for k in (0, 1)]
        for k in (0, 1):
            _, boxes, items = self.rows[k]
            targets = [m.copy() for m in items]
            lead, kept = targets[: len(items) - len(boxes)], targets[len(items) - len(boxes) :]
            body = flow([*lead, *in_words(kept, said[k][len(said[k]) - len(boxes) :])], width / self.DIM, gap=0.08,
                        line_gap=0.1).scale(self.DIM)  # fmt: skip
            body.move_to([self.LEFT_X, top, 0], aligned_edge=UP + LEFT)
            targets[0].match_y(kept[0] if kept else targets[0])
            for m in targets:
                m.fade(0.45)
            out.append((items, targets))
            top = body.get_bottom()[1] - 0.1
        return out

    def make_room(self):
        """The system and user lines move up, smaller and dimmed; the assistant's line, its reply cells with it,
        goes under them, where the reply is written; the whole script feeds a GPT box at the left, whose arrow
        points at the wheel and the bars."""
        context = self.context_rows(3.8)
        own = [m for m in (self.rows[2][0], *self.rows[2][2][1:]) if not any(m is c for c in self.cells)]
        targets = [m.copy() for m in own]
        items, width = [*targets, *self.cells], config.frame_width - 2 * style.FRAME_MARGIN  # (cells: not drawn yet)
        line_top = min(t.get_bottom()[1] for _, ts in context for t in ts) - 0.16
        applied = 1.0
        for k in self.LINE_SCALES:  # the line as large as the room above the wheel allows
            for item in items:
                item.scale(1 / applied)
            body, applied = flow(items, width / k, gap=self.CELL_GAP, line_gap=0.1).scale(k), k
            if body.height <= line_top - 0.3:  # its bottom above y = 0.3: the frame's lower part for the wheel
                break
        body.move_to([self.LEFT_X, line_top, 0], aligned_edge=UP + LEFT)
        self.bottom = min(m.get_bottom()[1] for m in [*targets, *self.cells]) - 0.14
        room = self.bottom - 0.3 - self.WHEEL_LOW
        self.middle = self.WHEEL_LOW + room / 2
        self.radius = min(2.0, room / 2 - 0.12)
        box = RoundedRectangle(corner_radius=0.12, width=1.3, height=1.0, stroke_color=style.NEXT_SLOT,
                               fill_color=style.NEXT_SLOT, fill_opacity=0.12)  # fmt: skip
        box.move_to([self.GPT_X, self.middle, 0])
        name = label("GPT", size=32, color=style.TEXT).move_to(box)
        feed = Arrow([self.GPT_X, self.bottom, 0], box.get_top(), buff=0.05, stroke_width=4, color=style.MUTED)
        out = Arrow(box.get_right(), [self.WHEEL_X - self.radius - 0.15, self.middle, 0], buff=0.05, stroke_width=4,
                    color=style.MUTED)  # fmt: skip
        self.gpt = VGroup(feed, box, name, out)
        self.context = [(items, [m.copy() for m in items]) for items, _ in context]  # (full size, for the end)
        moves = [Transform(m, t) for items, ts in context for m, t in zip(items, ts)]
        self.play(*moves, *(Transform(m, t) for m, t in zip(own, targets)), run_time=1.0)
        self.play(FadeIn(box), FadeIn(name), GrowArrow(feed), run_time=0.6)  # the whole script goes in
        self.script_gone = []  # (the script stays in view, dimmed)
        self.play(GrowArrow(out), run_time=0.4)

    # While the loop runs fast, the narrator says what it shows (at these steps after the slow ones).
    FAST_WORDS = {  # step: (caption, narration)
        0: ("From here the loop runs faster, one token after another.",
            "From here the loop runs faster, one drawn token after another."),
        6: ("It stops at the closing quote, a new line, or {n} tokens.",
            "It stops when the owl's quote is closed, when a new line ends the turn, or after {n} tokens."),
        12: ("Under each reply token: its probability when it was drawn.",
             "Under each token of the reply, a bar shows the chance it had when it was drawn."),
    }  # fmt: skip

    LAST_WORDS = ("One more token is drawn, and the reply ends.",
                  "One more token is drawn the same way, and then the reply ends.")  # fmt: skip

    DRAW_WORDS = [  # the slow steps' captions and narration, each its own (a sentence is never said twice)
        ("A token is drawn at random, like spinning a wheel: a slice per token, as wide as its chance.",
         "One token is drawn at random: the wheel spins. Out comes {who}, at {p}."),
        ("The longer script goes back in: new chances, a new spin.",
         "The longer script goes back in, and the chances change. This time the wheel gives {who}, at {p}."),
        ("Each token drawn joins the script before the next spin.",
         "Once more, with new chances, the wheel stops on {who}, at {p}."),
    ]  # fmt: skip

    UNLIKELY_WORDS = (
        "An unlikely draw: even a thin slice sometimes wins.",
        "Unlikely again.",
        "Another unlikely draw.",
    )

    def reply_step(self, i: int, full: bool):
        """Step i of the reply: its chances as bars and as a wheel's slices, the spin, the token drawn to its place
        in the reply."""
        step, cell = self.steps[i], self.cells[i]
        fast = i - self.FULL_STEPS
        if fast in self.FAST_WORDS:
            n, (caption, said) = self.chat["max_tokens"], self.FAST_WORDS[fast]
            if fast == 0 and len(self.steps) - i == 1:  # only this one token is left: no "faster", no "after another"
                caption, said = self.LAST_WORDS
            fields = {"n": (self.trace.fields.info.chat.max_tokens, "int")} if "{n}" in caption else {}
            self.beat("Faster", caption, say=said.format(n=n), **fields)
        if i == 0:
            self.beat(
                "Predict",
                "Its probabilities for the reply's first token.",
                say="The model gives every token a chance of opening the reply. "
                f"{spoken_token(step['top'][0]['display'], start=True)} leads with {said_pct(step['top'][0]['prob'])}. "
                + self.drawn_from(),
            )
            self.make_room()
        bars = self.alternatives(i)
        title, wheel = self.title_for(bars), self.wheel_for(i)
        slot = DashedVMobject(SurroundingRectangle(cell.box, buff=0.04, color=style.NEXT_SLOT), num_dashes=20)
        if i == 0:  # the chances as bars, then as the wheel's slices, then the rest of them as the grey slice
            self.play(FadeIn(title), LaggedStart(*(GrowFromEdge(r, LEFT) for r in bars.rows[:-1]), lag_ratio=0.1),
                      Create(slot), run_time=said_by(self, 1, 1.5))  # fmt: skip
            names = self.first_wheel(bars, wheel)
        run = 0.22  # a fast step: the chances, the spin, the token placed, in about a second
        if full:
            said = self.DRAW_WORDS[min(i, len(self.DRAW_WORDS) - 1)][1].format(
                who=spoken_token(step["chosen_display"]), p=said_pct(step["chosen_prob"])
            )
            if self.unlikely(i):  # a thin slice won (model/claims.py): said plainly, in words not said before
                unlikely = [j for j in range(i + 1) if self.unlikely(j)]
                said += " " + self.UNLIKELY_WORDS[min(len(unlikely), len(self.UNLIKELY_WORDS)) - 1]
            self.beat("Reply", self.DRAW_WORDS[min(i, len(self.DRAW_WORDS) - 1)][0], say=said)
            run = paced(self.beats[-1]["audio"], 4.0, 0.85) / 4  # new chances, the spin (twice), the token placed
        if i > 0:  # the new chances replace the old, bars and slices
            names = self.slice_names(i, wheel)
            self.play(self.bars_swap(bars), ReplacementTransform(self.bars_title, title),
                      ReplacementTransform(self.wheel.disc, wheel.disc), Transform(self.slot, slot),
                      dim(self.pick), dim(self.names), FadeIn(names), run_time=run, now=True)  # fmt: skip
            self.remove(self.names)
            self.remove(self.slot)
            self.add(slot)
        self.bars, self.bars_title, self.slot, self.wheel, self.names = bars, title, slot, wheel, names
        self.draw(i, run, full)
        self.play(ReplacementTransform(self.source.copy(), cell.box), FadeIn(cell[1]), GrowFromEdge(cell.bar, DOWN),
                  run_time=run)  # fmt: skip

    def first_wheel(self, bars, wheel) -> VGroup:
        """Each bar becomes its slice of the wheel as the wheel is named; then the grey rest of the wheel becomes the
        bar of all the other tokens, as its share is said. Returns the slices' names."""
        shown = len(bars.rows) - 1  # (the last row: all the other tokens)
        cue(self, 2)
        self.play(Create(wheel.disc[1]), FadeIn(wheel.hub), GrowFromEdge(wheel.pointer, UP),
                  LaggedStart(*(TransformFromCopy(r.bar, sl) for r, sl in zip(bars.rows, wheel.slices[:shown])),
                              lag_ratio=0.15), *(FadeIn(sl) for sl in wheel.slices[shown:]),
                  run_time=said_by(self, 2, 1.5))  # fmt: skip
        self.remove(*wheel.slices, wheel.disc[1])
        self.add(wheel.disc)
        self.wheel_parts = VGroup(wheel.hub, wheel.pointer)  # they stay; each new wheel brings its disc
        names = self.slice_names(0, wheel)
        cue(self, 3)
        others = bars.rows[-1]
        self.play(FadeIn(names), TransformFromCopy(wheel.rest, others.bar), FadeIn(others.name), FadeIn(others.pct),
                  run_time=said_by(self, 3, 1.0))  # fmt: skip
        return names

    def drawn_from(self) -> str:
        """What the wheel is, said: the model's own chances at the reply's temperature (cut or not), and the share of
        all the tokens beyond the bars, the grey slice."""
        reply, shown = self.chat["reply"], min(len(self.steps[0]["top"]), self.BARS)
        cut = ", cut to the likeliest" if reply["top_k"] or reply["top_p"] else ", nothing cut off"
        rest = stated(self.trace, f"chat.rest.0.top{shown}").text
        return (
            f"A wheel with a slice per token takes these chances as they are, at temperature "
            f"{reply['temperature']:g}{cut}. "
            f"The grey slice is all the other tokens together: {rest.replace('<', 'under ')}."
        )

    def unlikely(self, i: int) -> bool:
        """Whether reply step i drew an unlikely token (a statement of model/claims.py, by its threshold)."""
        return statements(self.trace)[f"chat.draw.{i}"].text == UNLIKELY_DRAW

    def bars_swap(self, bars) -> AnimationGroup:
        """The old chances slide out before the new slide in (one after the other: no ghost of the old chart)."""
        group = AnimationGroup(FadeOut(self.bars, shift=0.25 * UP), FadeIn(bars, shift=0.25 * UP), lag_ratio=1.0)
        group.gptanim_swap = True  # a replacement, not a clearing (scenes.components.swap)
        return group

    def draw(self, i: int, run: float, full: bool):
        """The wheel spins and stops on the drawn token's slice; its bar is marked (or, beyond the bars, a line
        names it in the ⋮'s place)."""
        step, read, bars, wheel = self.steps[i], self.step_read(i), self.bars, self.wheel
        rank, shown = step["chosen_rank"], len(bars.rows) - 1  # (the last row: all the other tokens)
        k = rank - 1 if rank <= shown else shown
        start, names = wheel.turned, self.names
        angle = wheel.spin_to(k, turns=2 if full else 1)
        follow = UpdateFromAlphaFunc(names, lambda m, a: self.place_names(m, wheel, start + a * angle))
        self.play(Rotate(wheel.disc, angle, about_point=wheel.centre), follow, rate_func=rate_functions.ease_out_cubic,
                  run_time=max(2 * run, 0.45))  # fmt: skip
        # A callout on the drawn slice, now under the pointer: which token, its chance.
        fields = {"tok": (read.chosen_display, "text"), "p": (read.chosen_prob, "percent")}
        callout = sentence("“{tok}” {p}", size=26, color=style.NEXT_SLOT, **fields)
        callout.next_to(wheel.pointer, RIGHT, buff=0.45)
        self.fit_width(callout, bars.get_left()[0] - 0.2 - callout.get_left()[0])
        lead = Line(callout.get_left() + 0.1 * LEFT, wheel.centre + 0.8 * wheel.radius * UP, stroke_width=2.5,
                    color=style.NEXT_SLOT)  # fmt: skip
        # The drawn slice, now under the pointer, is pulled out of the wheel towards it and coloured.
        pulled = (
            wheel.slices[k].animate.set_fill(style.NEXT_SLOT, opacity=1).set_stroke(style.NEXT_SLOT, 4).shift(0.3 * UP)
        )
        marks = [pulled, Create(lead), FadeIn(callout, shift=0.1 * LEFT)]
        rect = SurroundingRectangle(bars.rows[min(rank, shown + 1) - 1], buff=0.06, color=style.NEXT_SLOT)
        self.source = bars.rows[rank - 1].name if rank <= shown else callout  # beyond the bars: among all others
        pick = VGroup(rect, lead, callout)
        marks.append(Create(rect))
        self.play(*marks, run_time=max(0.6 * run, 0.3))
        self.pick = pick

    def slice_names(self, i: int, wheel: SpinnerWheel) -> VGroup:
        """The names of the wheel's wide slices (NAMED or more), upright inside them; the grey rest's too."""
        step, read = self.steps[i], self.step_read(i)
        shown = min(len(step["top"]), self.BARS)
        slices = [(read.top[j].display, step["top"][j]["prob"]) for j in range(shown)]
        if step["chosen_rank"] > shown:
            slices.append((read.chosen_display, step["chosen_prob"]))
        names, slots = VGroup(), []
        for k, (display, prob) in enumerate(slices):
            if prob >= self.NAMED:  # dark or light letters, whichever stands out on the slice's colour
                r, g, b = color_to_rgb(wheel.slices[k].get_fill_color())
                ink = "#111111" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "#ffffff"
                names.add(token_text(display, size=24, limit=5, color=ink))
                slots.append(k)
        if 1 - sum(p for _, p in slices) >= 0.2:  # the grey rest
            others = label("others", size=24, color=style.BACKGROUND)
            others.others = True  # set nearer the hub: clear of the rim and the pointer
            names.add(others)
            slots.append(len(slices))
        names.slots = slots
        return self.place_names(names, wheel, wheel.turned)

    @staticmethod
    def place_names(names, wheel: SpinnerWheel, turned: float):
        """Each name in the middle of its slice, the disc turned by `turned`."""
        for name, k in zip(names, names.slots):
            a = wheel.mids[k] + turned
            reach = 0.42 if getattr(name, "others", False) else 0.58
            name.move_to(wheel.centre + reach * wheel.radius * np.array([np.cos(a), np.sin(a), 0]))
        return names

    def plain_reply(self, top: float) -> VGroup:
        """The assistant's line as plain text from `top`: its name, its opener, then the reply the model wrote (the
        Trace's text, a new line as ↵), word by word, wrapped across the frame."""
        heading = label(ROLE_NAMES["assistant"] + ":", size=26, color=self.role_color("assistant"))
        opener = self.chat["lines"][2].strip()
        reply = self.chat["reply"]["text"].replace("\n", " ↵ ")
        words = [label(w, size=30, color=style.TEXT) for w in opener.split()]
        words += [label(w, size=30, color=style.NEXT_SLOT) for w in reply.split()]
        line = flow([heading, *words], config.frame_width - 2 * style.FRAME_MARGIN, gap=0.14, line_gap=0.12)
        if words:
            heading.match_y(words[0])
        line.words, line.items = words[len(opener.split()) :], [heading, *words]
        return line.move_to([self.LEFT_X, top, 0], aligned_edge=UP + LEFT)

    def verdict(self):
        found = statements(self.trace)
        ending = found["chat.ending"]
        lines = VGroup(statement(ending, size=26))
        self.fit_width(lines)
        if self.bars is not None:  # the wheel and the bars have done their work: the script and reply stay
            self.play(*(FadeOut(m) for m in (self.pick, self.slot, self.wheel.disc, self.wheel_parts, self.bars, self.bars_title,
                                             self.gpt, self.names, *self.script_gone)), run_time=0.5)  # fmt: skip
        self.beat(
            "The reply",
            "The model continues the script, for better or worse.",
            say="That is the whole trick. The model continued the script, for better or worse. "
            + "Here is the whole script again, its reply as plain text. "
            + (
                "A new line was drawn, and a new line ends the turn. "
                if self.chat["reply"]["stop"] == "newline"
                else ""
            )
            + aloud(ending.text),
        )
        # The system and user lines at full size again; the assistant's chips give way to its line in plain text.
        context = getattr(self, "context", [])
        full = VGroup(*(t for _, ts in context for t in ts))
        if len(full):  # the script from the top of the frame
            full.shift((3.4 - full.get_top()[1]) * UP)
        back = [Transform(m, t) for items, ts in context for m, t in zip(items, ts)]
        below = min([t.get_bottom()[1] for _, full in context for t in full] or [3.0]) - 0.25
        plain = self.plain_reply(below)
        lines.next_to(plain, DOWN, buff=0.4).set_x(0)
        heading = self.rows[2][0]
        chips = [*self.opener, *(m for c in self.cells for m in c)]
        self.play(*back, run_time=said_by(self, 0, 1.0))
        self.play(swap(VGroup(heading, *chips), plain, distance=0.2), run_time=1.0)
        cue(self, 2)
        sweep = [dim(travel(self, plain.words, said_by(self, 2, 1.5)))] if plain.words else []  # the eye reads it
        cue(self, 4 if self.chat["reply"]["stop"] == "newline" else 3)
        self.play(*sweep, FadeIn(lines, shift=0.1 * UP), run_time=max(0.8, 0.5 * said_by(self, -1, 0.8)))  # as said
        self.lines, self.plain = lines, plain
        self.what_it_learned()

    ADDS = (  # what a chat model adds to the same loop (general facts about chat models, not this run)
        "training on written conversations",
        "turn markers where we drew labels",
    )
    MARKERS = {"system": "<|system|>", "user": "<|user|>", "assistant": "<|assistant|>"}  # a common chat format's

    def what_it_learned(self):
        """The script stays at the top; below it, what this model learned from (a statement) and, item by item as
        they are said, what a chat model adds: with the turn markers, each role's label becomes a marker token."""
        training = statements(self.trace)["chat.training"]
        heading, _, _ = self.rows[2]
        reply = VGroup(heading, *self.opener, *(c.box for c in self.cells))
        details = [m for c in self.cells for m in c[1:]]  # each token's bar: said, now done
        script = [m for k in (0, 1) for m in (self.rows[k][0], *self.rows[k][2][1:])]
        self.script_drawn = VGroup(*details, *script, reply)  # (tests read what was drawn here)
        read = statement(training, size=28, color=style.NEXT_SLOT)
        also = label("A real chat model also has", size=28, color=style.KEY)
        adds = VGroup(*(label("+ " + item, size=28) for item in self.ADDS))
        below = VGroup(read, also, *adds).arrange(DOWN, aligned_edge=LEFT, buff=0.18)
        self.fit_width(below).to_edge(LEFT, buff=style.FRAME_MARGIN).set_y(-2.95 + below.height / 2)
        lowest = below.get_top()[1] + 0.25  # the script keeps above the words below it
        shown = VGroup(*self.rows[0][2], *self.rows[1][2], *self.plain.items)
        fit = min(1.0, (shown.get_top()[1] - lowest) / shown.height)
        self.beat(
            "What it learned",
            "What chat models add.",
            say=f"What did this model learn from? {aloud(training.text)} "
            "A real chat model runs this same loop, with two things more. It is trained further on many written "
            "conversations. And where this model read only plain lines, our labels drawn beside them, a chat model reads "
            "turn markers of its own in its text.",
        )
        self.play(FadeOut(self.lines, shift=0.2 * DOWN), shown.animate.scale(fit, about_point=shown.get_corner(UP + LEFT)),
                  run_time=0.6, now=True)  # fmt: skip
        self.remove(shown)
        self.add(*shown)  # (each word its own again: the markers replace some)
        moves, markers, headings = self.marked_script(lowest)
        self.play(FadeIn(read, shift=0.1 * UP), run_time=said_by(self, 1, 1.0))  # (said as the question is answered)
        cue(self, 2)
        self.play(FadeIn(also, shift=0.1 * UP), run_time=0.6 * said_by(self, 2, 1.0))
        cue(self, 3)
        self.play(FadeIn(adds[0], shift=0.2 * RIGHT), run_time=0.6 * said_by(self, 3, 1.0))
        cue(self, 4)  # each role's label gives way to a marker token, as a chat model's script has
        self.play(FadeIn(adds[1], shift=0.2 * RIGHT), *(FadeOut(h) for h in headings), *moves, run_time=0.8, now=True)
        self.play(*(FadeIn(m, scale=1.3) for m in markers), run_time=max(0.5, 0.6 * said_by(self, 4, 1.0) - 0.8))
        self.markers = markers
        self.wait(1.0)

    def marked_script(self, lowest: float) -> tuple[list, list, list]:
        """The script set again as a chat model's: each line led by its turn marker (a chip) instead of its role's
        label, from the top of the frame down, no lower than `lowest`. Returns the moves of the lines' words, the
        markers (in place) and the labels they replace."""
        width, top, rows = config.frame_width - 2 * style.FRAME_MARGIN, 3.4, []
        lines = [self.rows[0][2], self.rows[1][2], self.plain.items]
        for role, items in zip(self.chat["roles"], lines):
            text = label(self.MARKERS[role], size=22, color=style.TEXT)
            box = RoundedRectangle(corner_radius=0.06, width=text.width + 0.1, height=text.height + 0.12,
                                   stroke_color=self.role_color(role), stroke_width=1.5,
                                   fill_color=self.role_color(role), fill_opacity=0.22)  # fmt: skip
            chip = VGroup(box, text.move_to(box))
            targets = [m.copy() for m in items[1:]]
            body = flow([chip, *targets], width, gap=0.12, line_gap=0.1)
            rows.append((items, chip, targets, body))
        script = VGroup(*(body for *_, body in rows)).arrange(DOWN, aligned_edge=LEFT, buff=0.16)
        if script.height > top - lowest:
            script.scale((top - lowest) / script.height)
        script.move_to([self.LEFT_X, top, 0], aligned_edge=UP + LEFT)
        moves = [Transform(m, t) for items, _, targets, _ in rows for m, t in zip(items[1:], targets)]
        return moves, [chip for _, chip, _, _ in rows], [items[0] for items, *_ in rows]
