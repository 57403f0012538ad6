"""Tokens and embeddings: text into tokens, tokens into vectors, and what the vectors' directions mean."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from manim import (
    DEGREES,
    DOWN,
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    AnimationGroup,
    Arc,
    Arrow,
    Create,
    DashedLine,
    DashedVMobject,
    Dot,
    FadeIn,
    FadeOut,
    Group,
    GrowFromCenter,
    GrowFromEdge,
    ImageMobject,
    Indicate,
    LaggedStart,
    Line,
    MathTex,
    MoveToTarget,
    Rectangle,
    ReplacementTransform,
    Restore,
    Square,
    SurroundingRectangle,
    Text,
    Transform,
    TransformFromCopy,
    ValueTracker,
    VGroup,
    Write,
    always_redraw,
    config,
)
from manim.animation.animation import Animation

from model.claims import statements
from scenes import style
from scenes.base import TraceScene
from scenes.components import (
    CAPTION,
    FORMATTERS,
    HEADING,
    LABEL,
    NUMBER,
    SMALLEST,
    TOKEN,
    TokenBox,
    VectorColumn,
    claim,
    flow,
    label,
    number,
    sentence,
    statement,
    swap,
    with_symbols,
)
from scenes.components import _bracket as bracket
from scenes.pacing import cue, dim, paced, said_by, travel
from scenes.speech import aloud, big, dec, lower_first, spoken_token
from scenes.speech import words as in_words


class Tokenization(TraceScene):
    """The prompt cut into the real tokenizer's pieces, with ids (the pieces of one word kept together); words of
    several pieces coming out of it; one sentence in three languages, its pieces becoming a bar as long as their
    count; the vocabulary."""

    TITLE = "Tokens"
    PART = "Tokens become vectors"
    SUMMARY = "The prompt cut into the real tokenizer's pieces, with ids and the vocabulary."
    RENDER_SECONDS = 7

    MAX_TOKENS = 40
    MAX_PIECES = 9  # of a word split into pieces
    SIZES = (48, 40, 34, 28, 24)  # the prompt's chips: the largest type whose lines fit ROW_HEIGHT
    ROW_WIDTH, ROW_HEIGHT = 13.4, 3.4  # (the frame's width inside its margins)
    ONE_LINE_SIZE = 28  # the prompt on one line across the frame when it fits at this size or larger
    TOP_SIZE = 30  # the chips' type once the row has moved to the top, to make room
    WORD_GAP, PIECE_GAP = 0.24, 0.03  # between words; between the pieces of one word, so they read as one word
    BAR_HEIGHT = 0.42  # a language's bar: a cell per piece

    def construct(self):
        self.show_pieces()
        self.split_words()
        self.other_languages()
        self.vocabulary()

    @staticmethod
    def starts_word(display: str, before: str) -> bool:
        """Whether a token begins a new word: it begins with a space or a newline, or follows one."""
        return display[:1] in "·↵" or before[-1:] in "·↵"

    def word_groups(self, items: list, displays: list) -> list[VGroup]:
        """The chips grouped into the words they spell (a word too wide for the row is cut where it must be)."""
        groups: list[list] = []
        for k, (item, display) in enumerate(zip(items, displays)):
            width = sum(i.width + self.PIECE_GAP for i in groups[-1]) if groups else 0.0
            if not groups or self.starts_word(display, displays[k - 1]) or width + item.width > self.ROW_WIDTH:
                groups.append([])
            groups[-1].append(item)
        return [VGroup(*g).arrange(RIGHT, buff=self.PIECE_GAP, aligned_edge=UP) for g in groups]

    def prompt_row(self, n: int) -> tuple[VGroup, list, list, int]:
        """The first n tokens as chips with their ids below, the pieces of a word side by side, at the largest size
        whose lines fit ROW_HEIGHT; whole lines that fit at the smallest (a long prompt shows its beginning).
        Returns the row, boxes, ids and size."""
        tokens = self.trace.fields.info.tokens
        fits = None  # the largest size whose lines fit ROW_HEIGHT; one line across the width wins if legible
        for size in self.SIZES:
            items = []
            for i in range(n):
                box = TokenBox(tokens.display[i], hue=style.token_hue(i), size=size)
                tid = number(
                    tokens.ids[i],
                    fmt="int",
                    size=max(24 * size / min(size, self.TOP_SIZE), 0.7 * size),
                    color=style.TEXT,
                )  # (legible at the top too, once the row has shrunk)
                items.append(VGroup(box, tid.next_to(box, DOWN, buff=0.1)))
            row = flow(self.word_groups(items, tokens.display.value[:n]), self.ROW_WIDTH, gap=self.WORD_GAP,
                       line_gap=0.3)  # fmt: skip
            if len(row) == 1 and size >= self.ONE_LINE_SIZE:
                fits = (row, size)
                break
            if fits is None and row.height <= self.ROW_HEIGHT:
                fits = (row, size)
        row, size = fits or (row, size)
        while len(row) > 1 and row.height > self.ROW_HEIGHT:  # whole lines that fit, at a legible size
            row.remove(row[-1])
        kept = [item for line in row for word in line for item in word]
        return row, [item[0] for item in kept], [item[1] for item in kept], size

    def legend(self, n: int) -> tuple[VGroup, str, str]:
        """What the marks on the chips mean, for the marks the first n tokens have: · a space, ‹…› a byte. Returns
        the lines, and the words that say them (caption, narration)."""
        tokens = self.trace.fields.info.tokens
        lines, caption, say = VGroup(), "", ""
        if any("·" in d for d in tokens.display.value[:n]):
            lines.add(label("· = a space", size=LABEL + 8, color=style.MUTED))
            caption, say = "; · is a space", " The small dot stands for a space."
        byte = next((i for i in range(n) if "‹" in tokens.display.value[i]), None)
        char, count = self.byte_letter(tokens.display.value[:n], byte) if byte is not None else ("", 0)
        if count:  # the letter drawn large, its bytes inside it
            reads = [tokens.display[byte + j] for j in range(count)]
            lines.add(self.letter_callout(char, reads, byte, size=64, across=True))
            caption += (", " if caption else "; ") + "‹ › a byte"
            say += f" Some letters have no token of their own: “{char}” is stored as {in_words(count)} bytes."
        elif byte is not None:
            lines.add(sentence("{b} = one byte, a part of a character", size=LABEL, color=style.MUTED,
                               b=(tokens.display[byte], "text")))  # fmt: skip
            caption += (", " if caption else "; ") + "‹ › a byte"
            say += " A piece in angle brackets is a single byte: a part of a character that has no token of its own."
        self.bytes_said = byte is not None
        return lines.arrange(RIGHT, buff=0.8), caption, say

    def show_pieces(self):
        t = self.trace
        row, boxes, ids, self.size = self.prompt_row(min(len(t.token_ids), self.MAX_TOKENS))
        n = len(boxes)
        self.row, self.boxes, self.ids = row.move_to([0, 0.3, 0]), boxes, ids
        for tid in ids:  # (drawn with the next beat; restored, not set to 1: each keeps its invisible strut)
            tid.save_state()
            tid.set_opacity(0)
        joined = VGroup(*(b.copy() for b in boxes)).arrange(RIGHT, buff=0)  # the text before it is cut
        self.fit_width(joined).move_to([0, 0.3, 0])
        plain = None
        if n == len(t.token_ids):  # the whole prompt as plain text first, in the place of the pieces it is cut into
            plain = sentence("{p}", size=self.size, p=(t.fields.meta.settings.prompt, "text"))
            plain.scale_to_fit_width(min(joined.width, config.frame_width - 2 * style.FRAME_MARGIN)).move_to(joined)
        self.play(FadeIn(plain if plain is not None else joined))
        self.beat(
            "Tokens",
            "The model never sees letters: the text is cut into {n} tokens.",
            n=(t.fields.info.tokens.ids, "len"),
            say=f"The model never sees letters. A tokenizer cuts the text into {len(t.token_ids)} known pieces, "
            "called tokens.",
        )
        cue(self, 1)  # the cut, as it is said
        if plain is not None:  # the text gets its boxes, then the pieces part
            self.play(FadeOut(plain), FadeIn(joined), run_time=0.5, now=True)
        self.play(*(ReplacementTransform(j, b) for j, b in zip(joined, boxes)), run_time=said_by(self, 1, 1.5) * 0.5)
        mark = travel(self, boxes, said_by(self, 1, 1.0))  # the eye counts the pieces
        legend, caption, say = self.legend(n)
        if len(legend):  # (a prompt with no space or byte marks has no legend): under the row, over the caption
            top, low = row.get_bottom()[1] - 0.4, -config.frame_height / 2 + 1.0
            for line in legend:  # (a drawn letter too tall for the room shrinks; the words keep their size)
                if line.height > top - low:
                    line.scale_to_fit_height(top - low)
            self.fit_width(legend.arrange(RIGHT, buff=0.8))
            legend.move_to([0, min(top - 0.2, low + legend.height), 0], aligned_edge=UP)
        self.beat(
            "Ids",
            "Each token is a number, its place in the vocabulary" + caption + ".",
            say="Each token is just a number, its place in the vocabulary. "
            f"{spoken_token(t.token_display[0], start=True)} is number {t.token_ids[0]:,}." + say,
        )
        self.play(FadeOut(mark), run_time=0.3, now=True)  # (counted: the mark goes before the ids are said)
        for tid in ids:
            tid.restore()
        self.play(LaggedStart(*(FadeIn(i, shift=0.2 * DOWN) for i in ids), lag_ratio=0.15),
                  run_time=said_by(self, 0, 1.5))  # fmt: skip
        cue(self, 1)
        self.play(Indicate(VGroup(boxes[0], ids[0]), color=style.NEXT_SLOT), run_time=said_by(self, 1, 1.0))
        for k, line in enumerate(legend):  # each mark's meaning as it is said
            cue(self, 2 + k)
            self.play(FadeIn(line, shift=0.1 * UP), run_time=0.6)  # (as the sentence begins)
        self.legend_lines = legend
        if len(t.token_ids) > n:
            self.beat(
                "More",
                "The prompt goes on for {n} tokens; the picture shows its beginning.",
                n=(t.fields.info.tokens.ids, "len"),
                say=f"The prompt goes on for {len(t.token_ids)} tokens in all. Here are its first lines.",
            )

    def make_room(self):
        """The prompt's row moves to the top, smaller (never under TOP_SIZE), for what comes next."""
        return self.row.animate.scale(min(1.0, self.TOP_SIZE / self.size)).to_edge(UP, buff=0.3)

    def split_line(self, entry) -> VGroup:
        """A word, an arrow, its pieces side by side (one word, in their hues in the row when they are the
        prompt's own) and how many there are."""
        word = sentence("“{w}”", size=30, w=(entry.word, "cut16"))
        arrow = label("→", size=30, color=style.MUTED)
        shown = range(min(len(entry.pieces), self.MAX_PIECES))
        places = entry.value.get("positions", [])
        hues = [style.token_hue(places[j] if len(places) == len(entry.pieces) else j) for j in shown]
        pieces = VGroup(*(TokenBox(entry.pieces[j].display, hue=hues[j], size=28) for j in shown))
        pieces.arrange(RIGHT, buff=self.PIECE_GAP, aligned_edge=DOWN)
        count = sentence("{n} tokens", size=LABEL, color=style.MUTED, n=(entry.pieces, "len"))
        return VGroup(word, arrow, pieces, count).arrange(RIGHT, buff=0.3)

    def split_words(self):
        split = self.trace.fields.info.split_words
        source, key = ("from_prompt", "prompt") if split.value["from_prompt"] else ("examples", "examples")
        entries = [split[source][e] for e in range(min(len(split[source]), 3))]
        lines = VGroup(*(self.split_line(entry) for entry in entries))
        lines.arrange(DOWN, aligned_edge=LEFT, buff=0.45)
        self.fit_width(lines, config.frame_width - 0.8 - style.FRAME_MARGIN - 0.1)  # many byte pieces (CJK, emoji)
        self.top_row = self.row.copy().scale(min(1.0, self.TOP_SIZE / self.size)).to_edge(UP, buff=0.3)
        lines.next_to(self.top_row, DOWN, buff=0.7).set_x(0)
        text = (
            "Some words of the prompt are cut into several pieces."
            if key == "prompt"
            else "Every word of this prompt is one token; longer or rarer words are cut into pieces."
        )
        example = entries[0].value
        say = (
            "Some words of the prompt are cut into several pieces. "
            if key == "prompt"
            else "Every word of this prompt is a single token. Longer or rarer words are cut into pieces. "
        )
        say += f"“{example['word']}” becomes {len(example['pieces'])} of them."
        self.beat("Pieces", text, say=say)
        self.play(self.make_room(), FadeOut(self.legend_lines), run_time=0.8)
        each = paced(self.beats[-1]["audio"], 1.2, 0.8) / max(len(lines), 1)
        for entry, (word, arrow, pieces, count) in zip(entries, lines):  # each word, then its pieces
            places = entry.value.get("positions", [])
            self.play(FadeIn(word), FadeIn(arrow), run_time=0.3 * each)
            if key == "prompt" and len(places) == len(pieces) and max(places) < len(self.boxes):
                moves = [TransformFromCopy(self.boxes[p], piece) for p, piece in zip(places, pieces)]  # its own
            else:
                moves = [FadeIn(piece, target_position=word.get_center(), scale=0.5) for piece in pieces]
            self.play(LaggedStart(*moves, lag_ratio=0.2), run_time=0.5 * each)
            self.play(FadeIn(count, shift=0.1 * RIGHT), run_time=0.2 * each)
        self.lines = self.split_lines = lines  # (they give way to the other languages; tests read them here)

    def language_rows(self, entries: list) -> tuple[VGroup, list]:
        """For each language its name, its sentence, its pieces as chips (those that fit) and as a bar of one cell
        a piece (the longest line across the frame) and the count at the bar's end."""
        names = [sentence("{l}", size=LABEL, l=(e.language, "text")) for e in entries]
        left = -config.frame_width / 2 + style.FRAME_MARGIN + max(n.width for n in names) + 0.35
        counts = [sentence("{n} tokens", size=LABEL, color=style.MUTED, n=(e.pieces, "len")) for e in entries]
        right = config.frame_width / 2 - style.FRAME_MARGIN - max(c.width for c in counts) - 0.25
        cell = (right - left) / max(len(e.pieces) for e in entries)
        top, step = self.top_row.get_bottom()[1] - 1.0, 1.3
        block, rows = VGroup(), []
        for j, (entry, name, count) in enumerate(zip(entries, names, counts)):
            y = top - j * step
            text = sentence("{t}", size=NUMBER, color=style.TEXT, t=(entry.text, "text"))
            text.move_to([left, y + 0.5, 0], aligned_edge=LEFT)
            name.move_to([left - 0.35, y, 0], aligned_edge=RIGHT)
            n = len(entry.pieces)
            cells = VGroup(*(Rectangle(width=0.86 * cell, height=self.BAR_HEIGHT, stroke_width=0)
                             .set_fill(style.token_hue(k), opacity=0.85)
                             .move_to([left + cell * (k + 0.5), y, 0]) for k in range(n)))  # fmt: skip
            count.next_to(cells, RIGHT, buff=0.25)
            chips, more = self.row_chips(entry, left, right, y)  # (room after them for the count)
            rows.append(VGroup(name, text, VGroup(*chips), cells, count, more))
            block.add(VGroup(name, text, cells, count))  # (the chips become the cells)
        return block, rows

    CHIP_GAP = 0.08  # between a language row's chips

    LINE_STEP, LINES = 0.52, 2  # a language row's chips wrap onto at most LINES lines, this far apart

    def row_chips(self, entry, left: float, end: float, y: float) -> tuple[list, VGroup]:
        """The pieces' chips that fit between left and end, side by side and never overlapping, wrapping onto a
        second line; a row that cannot show them all ends with a "…" chip, so the picture never shows fewer pieces
        than the count says. Returns the chips and the mark (empty when every piece is shown)."""
        n = len(entry.pieces)
        boxes = [TokenBox(entry.pieces[k].display, hue=style.token_hue(k), size=22, limit=8) for k in range(n)]
        more = VGroup(label("…", size=32, color=style.TEXT))
        units: list[list] = []  # a letter's bytes together: a continuation byte (‹80›–‹bf›) stays with its lead
        for k, b in enumerate(boxes):
            code = re.fullmatch(r"‹([89abAB][0-9a-fA-F])›", entry.pieces.value[k]["display"])
            (units[-1].append(b) if code and units else units.append([b]))
        x, line, placed = left, 0, []
        for unit in units:
            width = sum(b.width + self.CHIP_GAP for b in unit) - self.CHIP_GAP
            if x + width > end and x > left:
                line, x = line + 1, left
            if line >= self.LINES:
                break
            for b in unit:
                b.move_to([x, y - line * self.LINE_STEP, 0], aligned_edge=LEFT)
                placed.append(b)
                x = b.get_right()[0] + self.CHIP_GAP
        if len(placed) == n:
            return placed, VGroup()
        while placed and placed[-1].get_right()[0] + self.CHIP_GAP + more.width > end:  # room for the mark
            placed.pop()
        last = placed[-1]
        more.move_to([last.get_right()[0] + self.CHIP_GAP, last.get_y(), 0], aligned_edge=LEFT)
        return placed, more

    def other_languages(self):
        """One sentence in English, German and Japanese cut by the same tokenizer: its pieces, then a bar as long as
        their count, the others longer."""
        t = self.trace
        languages = t.fields.info.other_languages
        entries = [languages[j] for j in range(len(languages))]
        found = statements(t)
        block, rows = self.language_rows(entries)
        self.play(FadeOut(self.lines), run_time=0.5)  # (the split words leave before the next words begin)
        self.lines = self.language_block = block  # (they give way to the vocabulary; tests read them here)
        self.language_rows_drawn = rows  # (each row's chips and its "…" mark, as drawn; tests read them here)
        for j, (entry, row) in enumerate(zip(entries, rows)):  # one language a beat, its pieces as it is named
            if j == 0:
                self.beat(
                    "Other languages",
                    f"One sentence in {in_words(len(entries))} languages, cut by the same tokenizer.",
                    say=f"Here is one sentence in {in_words(len(entries))} languages, cut by the same tokenizer. "
                    "English comes first.",
                )
            else:
                said = found[f"languages.{j}"].text.split(";")[0].replace(": ", " takes ", 1)
                self.beat("Other languages", "{c}", c=claim(found[f"languages.{j}"]), say=f"{said}.")
            name, text, chips, cells, count, more = row
            share = paced(self.beats[-1]["audio"], 1.4, 0.8)
            if getattr(self, "byte_callout", None):  # the letter gives way to the next language, before it comes
                self.play(FadeOut(self.byte_callout), run_time=0.4, now=True)
                self.byte_callout = None
            self.play(
                FadeIn(name),
                FadeIn(text),
                FadeIn(more),
                LaggedStart(*(FadeIn(c, shift=0.1 * RIGHT) for c in chips), lag_ratio=0.1),
                run_time=0.5 * share,
                now=True,
            )  # (the "…" from the start)
            early = count.copy().next_to(more if len(more) else chips[-1], RIGHT, buff=0.25)  # the count, as said
            self.play(FadeIn(early, shift=0.1 * RIGHT), run_time=0.4, now=True)
            if not self.bytes_said and any("‹" in p["display"] for p in entry.pieces.value[: len(chips)]):
                self.say_bytes(chips, entry)
                share = 2 * said_by(self, 0, 0.8)  # (the bar is drawn while the bytes are explained)
            self.squeeze(chips, cells, count, 0.5 * share, more, early)

    CALLOUT_HEIGHT = 2.0  # the least room for a letter drawn with its bytes (else the bytes are only named)

    @staticmethod
    def byte_letter(displays: list[str], k: int) -> tuple[str, int]:
        """The character that the byte pieces from k on spell (UTF-8), and how many bytes it takes ("", 0 when
        they spell none)."""
        raw = b""
        for display in displays[k : k + 4]:
            code = re.fullmatch(r"‹([0-9a-fA-F]{2})›", display)
            if code is None:
                break
            raw += bytes([int(code.group(1), 16)])
            try:
                return raw.decode("utf-8"), len(raw)
            except UnicodeDecodeError:
                continue
        return "", 0

    @staticmethod
    def letter_callout(char: str, reads: list, first: int, size: float = 100, across: bool = False) -> VGroup:
        """A letter drawn large in a frame, its bytes as boxes inside it (under it, or beside it `across`; the
        pieces read, hued as from place `first` on), and "“ä” = 2 bytes" beside it."""
        letter = label(char, size=size, color=style.TEXT)
        box = (0.45 if across else 0.32) * size
        boxes = VGroup(*(TokenBox(r, hue=style.token_hue(first + j), size=box) for j, r in enumerate(reads)))
        inside = VGroup(letter, boxes.arrange(RIGHT, buff=0.12)).arrange(RIGHT if across else DOWN, buff=0.25)
        frame = SurroundingRectangle(inside, buff=0.25, corner_radius=0.15, color=style.NEXT_SLOT)
        says = label(f"“{char}” = {len(reads)} bytes", size=0.4 * size, color=style.TEXT)
        return VGroup(VGroup(frame, inside), says).arrange(RIGHT, buff=0.6)

    def say_bytes(self, chips, entry) -> None:
        """The first line with byte pieces: a letter with no token of its own, drawn large, its bytes as boxes
        inside it, while it is said."""
        pieces = entry.pieces.value
        k = next(k for k, p in enumerate(pieces) if "‹" in p["display"])
        char, n = self.byte_letter([p["display"] for p in pieces], k)
        marked = [c for c, p in zip(chips, pieces) if "‹" in p["display"]]
        self.no_token_language = entry.language.value  # (named again with the vocabulary: why it has bytes)
        low = -config.frame_height / 2 + 1.0  # (the callout goes under the row, over the caption, when it fits)
        if not n or k + n > len(chips) or min(c.get_bottom()[1] for c in chips) - 0.3 - low < self.CALLOUT_HEIGHT:
            self.beat("Bytes", "{b} is one byte: a part of a character that has no token of its own.",
                      b=(entry.pieces[k].display, "text"),
                      say="A piece in angle brackets is a single byte: a part of a character that has no token of "
                      "its own.")  # fmt: skip
            self.play(LaggedStart(*(Indicate(c, color=style.NEXT_SLOT) for c in marked), lag_ratio=0.1),
                      run_time=0.5 * said_by(self, 0, 2.4))  # fmt: skip
            self.bytes_said = True
            return
        callout = self.letter_callout(char, [entry.pieces[k + j].display for j in range(n)], k)
        (frame, (letter, boxes)), says = callout
        top = min(c.get_bottom()[1] for c in chips) - 0.3  # (under the row's lowest line)
        if callout.height > top - low:
            callout.scale_to_fit_height(top - low)
        callout.move_to([0, (top + low) / 2, 0])
        with self.narrate(
            "Some letters have no token of their own. "
            f"“{char}” is stored as {in_words(n)} bytes, and each byte becomes a piece.",
            title="Bytes",
            caption="A letter with no token of its own is cut into its bytes.",
        ) as talk:
            self.play(LaggedStart(*(Indicate(c, color=style.NEXT_SLOT) for c in chips[k : k + n]), lag_ratio=0.2),
                      run_time=talk.left(0, 1.0))  # fmt: skip
            talk.wait_for(1)
            self.play(FadeIn(letter, scale=0.5), Create(frame), run_time=0.8)
            self.play(*(TransformFromCopy(chips[k + j], boxes[j]) for j in range(n)), FadeIn(says, shift=0.2 * LEFT),
                      run_time=talk.left(1, 1.2))  # fmt: skip
        self.byte_callout = callout
        self.bytes_said = True

    def squeeze(self, chips, cells, count, seconds: float, more=None, early=None) -> None:
        """The chips shrink into the bar's first cells, the rest of the pieces grow after them (the "…" mark giving
        way to them), and the count."""
        kept = len(chips)
        copies = [c.copy() for c in chips]  # (the chips stay as they were drawn, off screen; their copies shrink)
        self.remove(*chips)
        if more is not None and len(more):
            self.remove(*more)
        grow = (
            [LaggedStart(*(GrowFromEdge(c, LEFT) for c in cells[kept:]), lag_ratio=0.05)] if len(cells) > kept else []
        )
        arrive = ReplacementTransform(early, count) if early is not None else FadeIn(count, shift=0.1 * RIGHT)
        self.play(*(ReplacementTransform(c, cells[k]) for k, c in enumerate(copies)), *grow, arrive,
                  run_time=max(0.8, seconds))  # fmt: skip

    LIST_STEP, LIST_SIZE = 0.74, 32  # the vocabulary list: between its lines, its type

    def vocab_list(self, x: float) -> tuple[VGroup, dict]:
        """The vocabulary as a list in id order, a line per id of the Trace's vocab_window ("id  token", a ⋮ where
        ids are skipped), the prompt's tokens' lines with an empty slot for their chip. Returns the lines and the
        slot of each prompt id."""
        t = self.trace
        window, names = t.fields.info.vocab_window, t.fields.info.vocab_display
        prompt = set(t.token_ids[: len(self.boxes)])
        lines, slots, before = VGroup(), {}, -1
        for k, j in enumerate(window.value):
            if j - before > 1:
                lines.add(VGroup(label("⋮", size=self.LIST_SIZE, color=style.MUTED)))
            before = j
            tid = number(window[k], fmt="int", size=self.LIST_SIZE, color=style.TEXT if j in prompt else style.MUTED)
            chip = TokenBox(names[str(j)], hue=style.MUTED, size=self.LIST_SIZE, limit=16)
            if j in prompt:  # its slot waits for the prompt's chip
                slots[j] = DashedVMobject(chip.box.copy().set_fill(opacity=0).set_stroke(style.TEXT, 2), num_dashes=16)
                chip = slots[j]
            lines.add(VGroup(tid, chip))
        for k, line in enumerate(lines):
            if len(line) == 2:
                line[0].move_to([x - 0.2, 0, 0], aligned_edge=RIGHT)
                line[1].move_to([x + 0.1, 0, 0], aligned_edge=LEFT)
            else:
                line[0].move_to([x - 0.5, 0, 0])
            line.set_y(-k * self.LIST_STEP)
        if before < t.meta["vocab_size"] - 1:
            lines.add(
                label("⋮", size=self.LIST_SIZE, color=style.MUTED).move_to([x - 0.5, -len(lines) * self.LIST_STEP, 0])
            )
        return lines, slots

    def vocabulary(self):
        """The vocabulary as a list of its lines, id by id, scrolling past in a window; each of the prompt's tokens
        drops from the row into its line's slot as the list reaches it."""
        t = self.trace
        vocab = t.meta["vocab_size"]
        top = min(i.get_bottom()[1] for i in self.ids) - 0.45
        bottom = -config.frame_height / 2 + 1.25  # above the caption's band, a line's half clear of it
        lines, slots = self.vocab_list(2.4)
        for line in lines:
            line.gptanim_alpha = [
                (m, m.get_stroke_opacity(), m.get_fill_opacity()) for m in line.family_members_with_points()
            ]
        scroll, reveal = ValueTracker(0.0), ValueTracker(0.0)  # the list's offset; its lines' opacity, to come in
        first_y = top - self.LIST_STEP / 2
        ys = [line.get_y() for line in lines]

        def place(group):
            for line, y0 in zip(group, ys):
                y = first_y + y0 + scroll.get_value()
                line.set_y(y)
                a = float(np.clip((top - y) / 0.35, 0, 1) * np.clip((y - bottom) / 0.35, 0, 1)) * reveal.get_value()
                for m, so, fo in line.gptanim_alpha:
                    m.set_stroke(opacity=so * a, family=False).set_fill(opacity=fo * a, family=False)

        size = sentence("Vocabulary: {v} tokens", size=40, v=(t.fields.meta.vocab_size, "comma"))
        simpler = VGroup(label("A token: often a word,", size=32), label("sometimes a piece of one.", size=32))
        simpler.arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        side = VGroup(size, simpler).arrange(DOWN, aligned_edge=LEFT, buff=0.6)
        self.fit_width(side, 6.2).move_to([-3.4, (top + bottom) / 2, 0])
        centre = (top + bottom) / 2
        order = sorted(slots)  # the prompt's ids, in the list's order
        targets = [centre - first_y - ys[next(k for k, line in enumerate(lines) if slots[i] in line)] for i in order]
        drops = {i: [p for p in range(len(self.boxes)) if t.token_ids[p] == i] for i in order}
        no_token = getattr(self, "no_token_language", "")
        self.play(FadeOut(self.lines), run_time=0.5)  # (the bars leave before the vocabulary is written)
        with self.narrate(
            f"The vocabulary has {big(vocab)} tokens, learned from the training text. Each id is a line in it. "
            "So a token is often a word, but sometimes only a piece of one."
            + (
                f" A letter that never got a token of its own falls back to bytes, as in the {no_token} line."
                if no_token
                else ""
            ),
            title="Vocabulary",
            caption="The vocabulary is learned from training text; each id is a line in it.",
        ) as n:
            place(lines)
            lines.add_updater(place)
            self.add(lines)
            self.play(Write(size), reveal.animate.set_value(1.0), run_time=n.left(0, 1.0))
            n.wait_for(1)
            each = n.left(-1, 0.8 * len(order)) / len(order)
            for k, (i, target) in enumerate(zip(order, targets)):  # the list scrolls to each id; its chips drop in
                self.play(scroll.animate.set_value(target), run_time=0.45 * each)
                slot = slots[i]
                chips = [self.boxes[p].copy() for p in drops[i]]
                for c in chips:
                    c.generate_target()
                    c.target.scale_to_fit_height(slot.height).move_to(slot)
                self.play(*(MoveToTarget(c) for c in chips), Indicate(self.boxes[drops[i][0]], color=style.NEXT_SLOT),
                          *([FadeIn(simpler, shift=0.1 * UP)] if k == len(order) // 2 else []), run_time=0.55 * each)  # fmt: skip
                line = next(line for line in lines if slot in line)
                self.remove(*chips)
                line.add(chips[0])
                line.gptanim_alpha += [(m, m.get_stroke_opacity(), m.get_fill_opacity())
                                       for m in chips[0].family_members_with_points()]  # fmt: skip
        lines.clear_updaters()
        lines.remove(*(line for line in lines if not bottom + 0.35 <= line.get_y() <= top - 0.35))  # (faded: gone)
        self.ticks = [slots[t.token_ids[p]] for p in range(len(self.boxes))]
        self.vocab_lines = lines
        self.wait(1.5)


class EmbeddingMatrix(TraceScene):
    """W_E drawn large with ellipses, its real size beside it, the columns of the prompt's tokens in the order of
    their ids. A one-hot vector times W_E keeps exactly one column (the model's own product, against its lookup);
    then every token of the prompt picks its column by id, and the column leaves W_E as that token's vector."""

    TITLE = "The embedding matrix"
    PART = "Tokens become vectors"
    SUMMARY = "W_E with its real size; a one-hot times W_E is the lookup; each prompt token picks its column."
    RENDER_SECONDS = 9

    ROWS = 4  # entries of each column drawn (of d_model)
    MAX_TOKENS = 8  # the prompt's first tokens drawn with their vectors; a longer prompt ends in "…"
    MATRIX_RIGHT = 6.6  # the matrix's right edge (the one-hot row lies under it); W_E's symbol left of it
    ROW_STEP, COLUMN_GAP = 0.6, 0.18  # between the matrix's rows, between its columns
    ENTRY = 30  # the matrix's entries: W_E is the subject, drawn large
    LEFT_ROOM = 1.9  # left of the matrix: W_E's symbol and its size (legible)
    CELL = 0.3  # a matrix entry as a square of its colour, once its number has been read
    CLOSER = 0.42  # W_E's row step once the prompt's vectors come under it

    def construct(self):
        self.lay_out()
        self.show_matrix()
        self.one_hot()
        self.times_matrix()
        self.pick_columns()
        self.learned()

    def lay_out(self):
        """The first tokens that fit and whose rows the Trace keeps (their distinct ids in id order, ⋯ between ids
        far apart) and the matrix."""
        t = self.trace
        kept = set(t.info["embedding_slice_ids"])  # the tokens whose columns of W_E the Trace keeps
        for k in range(min(len(t.token_ids), self.MAX_TOKENS), 0, -1):
            if not set(t.token_ids[:k]) <= kept:
                continue
            self.drawn = list(range(k))
            self.ids = sorted(set(t.token_ids[:k]))
            self.build_matrix()
            if self.matrix.width <= self.MATRIX_RIGHT + config.frame_width / 2 - self.LEFT_ROOM:
                break
        self.matrix.shift((self.MATRIX_RIGHT - self.matrix.get_right()[0]) * RIGHT)
        self.header = self.column_heads()
        top = config.frame_height / 2 - 0.2
        VGroup(self.matrix, self.header).shift((top - self.header.get_top()[1]) * UP)

    def build_matrix(self) -> None:
        """One column of ROWS entries per id, a ⋯ column where other ids lie between, ⋮ under every column."""
        t = self.trace
        W, slice_ids, vocab = t.stored("weights.W_E_slice"), t.info["embedding_slice_ids"], t.meta["vocab_size"]
        slots, before = [], -1
        for i in self.ids:
            if i - before > 1:
                slots.append(None)
            slots.append(i)
            before = i
        if before < vocab - 1:
            slots.append(None)
        self.scale = scale = float(np.max(np.abs([W.value[slice_ids.index(i), : self.ROWS] for i in self.ids]))) or 1.0
        self.columns, self.gaps, x = {}, VGroup(), 0.0
        self.matrix = VGroup()
        for slot in slots:
            if slot is None:
                column = VGroup(*(label("⋯", size=NUMBER, color=style.MUTED) for _ in range(self.ROWS)))
            else:
                s = slice_ids.index(slot)
                column = VGroup(*(number(W[s, r], size=self.ENTRY,
                                         color=style.weight_color(float(W.value[s, r]), scale))
                                  for r in range(self.ROWS)))  # fmt: skip
                column.add(label("⋮", size=self.ENTRY, color=style.MUTED))
            width = max(entry.width for entry in column)
            for r, entry in enumerate(column):
                entry.move_to([x + width / 2, -r * self.ROW_STEP, 0])
            x += width + self.COLUMN_GAP
            (self.gaps.add(column) if slot is None else self.columns.__setitem__(slot, column))
            self.matrix.add(column)
        h = self.matrix.height + 0.25
        self.brackets = VGroup(bracket(h, LEFT).next_to(self.matrix, LEFT, buff=0.12),
                               bracket(h, RIGHT).next_to(self.matrix, RIGHT, buff=0.12))  # fmt: skip
        self.matrix = VGroup(self.brackets, *self.matrix)

    def column_heads(self) -> VGroup:
        """Above each id's column its id, and above that its token as a chip (two heights when chips would meet)."""
        t = self.trace
        first = {i: t.token_ids.index(i) for i in self.ids}  # the hue of the token's first place in the prompt
        self.ids_shown, self.chips, placed = {}, {}, []
        top = self.matrix.get_top()[1]
        for i in self.ids:
            column = self.columns[i]
            tid = number(t.fields.info.embedding_slice_ids[t.info["embedding_slice_ids"].index(i)], fmt="int",
                         size=LABEL, color=style.TEXT)  # fmt: skip
            self.ids_shown[i] = tid.move_to([column.get_x(), top + 0.3, 0])
            chip = TokenBox(
                t.fields.info.vocab_display[str(i)], hue=style.token_hue(first[i]), size=LABEL
            )  # fmt: skip (whole: chips that would meet go a level up)
            level = 0
            while any(lv == level and chip.width / 2 + w / 2 + 0.1 > abs(column.get_x() - x) for x, w, lv in placed):
                level += 1
            placed.append((column.get_x(), chip.width, level))
            self.chips[i] = chip.move_to([column.get_x(), top + 0.8 + 0.6 * level, 0])
        return VGroup(*self.ids_shown.values(), *self.chips.values())

    HEAT_WIDTH, HEAT_HEIGHT = 10.8, 4.2  # W_E whole, as colours, across the frame

    def heat_map(self) -> Group:
        """W_E whole as a picture, a pixel per entry of its first dims and sampled tokens (from the Trace), filling
        the frame, its outline round it; an outline alone for a Trace saved without the picture."""
        t = self.trace
        outline = Rectangle(width=self.HEAT_WIDTH, height=self.HEAT_HEIGHT, color=style.MUTED, stroke_width=2)
        if "weights.W_E_picture" not in t.arrays:
            return Group(outline)
        values = np.asarray(t["weights.W_E_picture"], dtype=float).T  # (dims, tokens)
        image = ImageMobject(heat_image(values, float(np.quantile(np.abs(values), 0.95))))
        image.set_resampling_algorithm(0)  # nearest: crisp entries
        image.stretch_to_fit_width(self.HEAT_WIDTH).stretch_to_fit_height(self.HEAT_HEIGHT)
        return Group(image, outline)

    def heat_column(self, heat: Group, i: int, color=style.NEXT_SLOT) -> Rectangle:
        """The place of token id i's column on the whole picture: a thin bar, never thinner than seen."""
        t, outline = self.trace, heat[-1]
        x = outline.get_left()[0] + self.HEAT_WIDTH * (i + 0.5) / t.meta["vocab_size"]
        return Rectangle(width=0.06, height=self.HEAT_HEIGHT + 0.2, color=color, stroke_width=3).move_to(
            [x, outline.get_y(), 0]
        )

    def show_matrix(self):
        t = self.trace
        heat = self.heat_map().move_to([0.75, 0.55, 0])
        symbol = MathTex("W_E", font_size=64)
        place = [(self.matrix.get_left()[0] - config.frame_width / 2) / 2, self.matrix.get_y() + 0.5, 0]
        symbol.move_to(place)
        size_line = sentence("{d} × {v}", size=HEADING + 10, d=(t.fields.meta.d_model, "int"),
                       v=(t.fields.meta.vocab_size, "comma"))  # fmt: skip
        size_line.next_to(heat, DOWN, buff=0.3)
        across = sentence("{v} columns, one per token", size=LABEL + 4, color=style.TEXT,
                          v=(t.fields.meta.vocab_size, "comma"))  # fmt: skip
        down = sentence("{d} numbers in each", size=LABEL + 4, color=style.TEXT, d=(t.fields.meta.d_model, "int"))
        across.next_to(heat, UP, buff=0.2)
        down.rotate(-np.pi / 2).next_to(heat, RIGHT, buff=0.2)  # (clear of W_E's symbol, on the left)
        shape = VGroup(
            sentence("{d} ×", size=LABEL + 6, d=(t.fields.meta.d_model, "int")),
            sentence("{v}", size=LABEL + 6, v=(t.fields.meta.vocab_size, "comma")),
        )
        shape.arrange(DOWN, buff=0.12).next_to(symbol, DOWN, buff=0.3)  # fmt: skip
        room = 2 * (self.matrix.get_left()[0] - 0.15 - symbol.get_x())  # (left of the matrix, centred under W_E)
        self.fit_width(shape, min(room, 2 * (symbol.get_x() + config.frame_width / 2 - style.FRAME_MARGIN)))
        wide = symbol.copy().next_to(heat, LEFT, buff=0.3)
        first = self.heat_column(heat, self.ids[0])
        marks = [self.heat_column(heat, i) for i in self.ids]
        with self.narrate(
            "Each token now becomes a vector, read from the embedding matrix. It has one column for every token "
            f"in the vocabulary, {big(t.meta['vocab_size'])} in all. Each column holds {t.meta['d_model']} numbers. "
            + (
                f"Here are the columns of this prompt's first {len(self.drawn)} tokens, in the order of their ids."
                if len(self.drawn) < len(t.token_ids)
                else "Here are the columns of this prompt's tokens, in the order of their ids."
            ),
            title="Embedding matrix",
            caption="The embedding matrix holds one column of learned numbers for every token.",
        ) as n:
            cover = Rectangle(width=self.HEAT_WIDTH + 0.1, height=self.HEAT_HEIGHT + 0.1, stroke_width=0,
                              fill_color=config.background_color, fill_opacity=1).move_to(heat)  # fmt: skip
            self.add(*heat, cover)
            self.play(FadeIn(wide), run_time=0.3)  # (the opening picture, at once; then its colours spread across)
            self.play(cover.animate.stretch(0.001, 0, about_edge=RIGHT), run_time=n.left(0, 1.5))
            self.remove(cover)
            n.wait_for(1)
            self.play(Write(across), FadeIn(size_line, shift=0.2 * UP), run_time=n.left(1, 1.2))
            n.wait_for(2)
            self.play(Create(first), Write(down), run_time=n.left(2, 1.0))
            n.wait_for(3)
            self.play(ReplacementTransform(first, marks[0]), *(Create(m) for m in marks[1:]), run_time=1.0)
            # the zoom: the picture gives way as the marked columns open into their numbers
            self.play(FadeOut(Group(heat, across, down, size_line)), Transform(wide, symbol), FadeIn(self.brackets),
                      *(m.animate.move_to(self.columns[i]).stretch_to_fit_width(self.columns[i].width + 0.1)
                        .stretch_to_fit_height(self.columns[i].height + 0.1) for m, i in zip(marks, self.ids)),
                      run_time=1.2)  # fmt: skip
            self.remove(wide)
            self.add(symbol)
            self.play(LaggedStart(*(FadeIn(c, shift=0.1 * DOWN) for c in self.matrix[1:]), lag_ratio=0.05),
                      FadeIn(shape), FadeOut(VGroup(*marks)), run_time=1.0)  # fmt: skip
            self.play(LaggedStart(*(FadeIn(h, shift=0.2 * DOWN) for h in self.header), lag_ratio=0.1),
                      run_time=n.left(3, 1.5))  # fmt: skip
        self.symbol, self.shape = symbol, shape

    def one_hot(self):
        """The first token as a one-hot vector, a row under W_E: an entry under each column of W_E (⋯ for the ids
        between), 1 under its id's column, 0 under the rest."""
        t = self.trace
        token_id = t.token_ids[0]
        slots = list(self.matrix[1:])
        y = self.matrix.get_bottom()[1] - 0.45
        self.bits = VGroup()
        for column in slots:
            hot = column is self.columns[token_id]
            mark = "⋯" if any(column is g for g in self.gaps) else "1" if hot else "0"  # (the ids between: zeros too)
            self.bits.add(label(mark, size=HEADING, color=style.NEXT_SLOT if hot else style.MUTED)
                          .move_to([column.get_x(), y, 0]))  # fmt: skip
        self.bits_decor = label("one-hot", size=LABEL, color=style.MUTED)
        self.bits_decor.next_to(self.brackets[0], LEFT, buff=0.15).set_y(y)
        chip = self.chips[token_id]
        name = sentence("one-hot “{tok}”: a 1 at id {id}, 0 at the other {rest}", size=LABEL + 4,
                        tok=(t.fields.info.tokens.display[0], "text"), id=(t.fields.info.tokens.ids[0], "int"),
                        rest=(t.fields.meta.vocab_size, "comma_less1"))  # fmt: skip
        self.fit_width(name, self.matrix.width).next_to(self.bits, DOWN, buff=0.4).set_x(self.matrix.get_x())
        self.beat(
            "One-hot",
            "One-hot: {v} entries, all 0 but a 1 at the token's id.",
            v=(t.fields.meta.vocab_size, "comma"),
            say="A one-hot vector is a list of zeros with a single 1 in it. "
            f"{spoken_token(t.token_display[0], start=True)} is token {token_id:,}. Write it as "
            f"{big(t.meta['vocab_size'])} entries, all zero but a single 1 at that place.",
        )
        hot = next(b for b, c in zip(self.bits, self.matrix[1:]) if c is self.columns[token_id])
        blank = label("0", size=HEADING, color=style.MUTED).move_to(hot)  # (its 1 is written as it is said)
        zeros = [blank if b is hot else b for b in self.bits]
        self.play(
            FadeIn(self.bits_decor),
            LaggedStart(*(FadeIn(b, shift=0.3 * RIGHT) for b in zeros), lag_ratio=0.06),
            run_time=said_by(self, 0, 1.2),
        )  # fmt: skip (an entry for each column)
        cue(self, 1)  # the token and its id, as they are named
        self.play(
            Indicate(VGroup(chip, self.ids_shown[token_id]), color=style.NEXT_SLOT), run_time=said_by(self, 1, 1.0)
        )
        cue(self, 2)
        self.play(swap(blank, hot), FadeIn(name), run_time=0.6 * said_by(self, 2, 1.2), now=True)
        self.link = VGroup(SurroundingRectangle(VGroup(self.columns[token_id], self.ids_shown[token_id], chip),
                                                buff=0.1, color=style.NEXT_SLOT),
                           SurroundingRectangle(hot, buff=0.08, color=style.NEXT_SLOT))  # fmt: skip
        self.play(Create(self.link), run_time=said_by(self, 2, 0.8))  # its 1 and the token's own column
        self.one_hot_name = name

    def times_matrix(self):
        """Each column times its entry: the one-hot's entries climb onto the columns as ×0 and ×1, every ×0 column
        turns to zeros, and all the columns add up into the product, which is the kept column; the model's own
        product against its lookup."""
        t = self.trace
        token_id = t.token_ids[0]
        kept = self.columns[token_id]
        d = t.meta["d_model"]
        product = self.vector(t.stored("one_hot.product")[0], size=LABEL + 4)
        lookup = self.vector(t.stored("hook_embed")[0], size=LABEL + 4)
        equals = label("=", size=HEADING + 8)
        pair = VGroup(product, equals, lookup).arrange(RIGHT, buff=0.7)
        names = VGroup(with_symbols("$W_E$ × one-hot", size=LABEL + 4).next_to(product, LEFT, buff=0.45),
                       sentence("the lookup of “{tok}”", size=LABEL + 4, tok=(t.fields.info.tokens.display[0],
                                "text")).next_to(lookup, RIGHT, buff=0.45))  # fmt: skip
        same = statement(statements(t)["one_hot.same"], size=LABEL, color=style.NEXT_SLOT)
        exact = float(np.max(t["one_hot.max_difference"])) == 0  # (as the statement on screen says it)
        shown = VGroup(pair, names)
        self.fit_width(shown).set_x(0)
        low = -config.frame_height / 2 + 0.95  # above the caption's band
        closer = self.closer_rows()  # W_E's rows closer together: room for the product, drawn large
        top = closer.get_bottom()[1] - 0.2  # under W_E's bracket (the factors have gone by then)
        self.fit_width(same)
        if same.height + 0.3 + shown.height > top - low:
            VGroup(same, shown).scale((top - low) / (same.height + 0.3 + shown.height))
        shown.move_to([0, top - shown.height / 2, 0])
        same.next_to(shown, DOWN, buff=0.3).set_x(0)  # (under the pair: never inside W_E's bracket)
        self.beat(
            "Times the matrix",
            "The matrix times the one-hot vector keeps one column: column {id}, the token's vector.",
            id=(t.fields.info.tokens.ids[0], "int"),
            say="Multiply the matrix by it, and each column is scaled by its entry. The zeros wipe out every column "
            f"but one. We did this product for real, for all {len(t.token_ids)} tokens of the prompt, over all "
            f"{big(t.meta['vocab_size'])} columns. Each gives {'exactly' if exact else 'almost'} the token's column: "
            f"the same {d} numbers as simply reading the column out, a lookup.",
        )
        slots = list(self.matrix[1:])
        gap = [any(c is g for g in self.gaps) for c in slots]
        others = [c for c, g in zip(slots, gap) if c is not kept and not g]
        # Each entry of the one-hot, under its column, becomes the factor the column is scaled by: ×0, or ×1.
        turned = [(b, label("×1" if c is kept else "×0", size=HEADING, color=style.NEXT_SLOT if c is kept
                                                                             else style.MUTED).move_to(b))
                  for b, c, g in zip(self.bits, slots, gap) if not g]  # fmt: skip
        factors = VGroup(*(f for _, f in turned), *(b for b, g in zip(self.bits, gap) if g))
        self.play(FadeOut(self.one_hot_name), FadeOut(self.link), FadeOut(self.bits_decor), now=True, run_time=0.4)
        rise = (closer.get_bottom()[1] - self.matrix.get_bottom()[1]) * UP  # the one-hot's entries rise with it
        self.play(Transform(self.matrix, closer), VGroup(*self.bits).animate.shift(rise), run_time=0.5)
        for _, f in turned:
            f.shift(rise)
        self.play(LaggedStart(*(swap(b, f) for b, f in turned), lag_ratio=0.06), run_time=said_by(self, 0, 1.0))
        cue(self, 1)  # every ×0 column becomes zeros (its numbers come back once the product is made)
        zeros = VGroup(*(VGroup(*(label("0", size=self.ENTRY, color=style.MUTED).move_to(e) for e in c[: self.ROWS]))
                         for c in others))  # fmt: skip
        for c in others:
            c.save_state()
        step = 0.2 * UP
        to_zero = [
            AnimationGroup(c[: self.ROWS].animate.shift(step).set_opacity(0), FadeIn(z, shift=step), lag_ratio=1.0)
            for c, z in zip(others, zeros)
        ]  # fmt: skip (none when the prompt has one token)
        self.play(*([LaggedStart(*to_zero, lag_ratio=0.1)] if to_zero else []),
                  Indicate(kept, color=style.NEXT_SLOT, scale_factor=1.08), run_time=said_by(self, 1, 1.0))  # fmt: skip
        cue(self, 2)  # the columns add up: the zeros add nothing, the kept column comes down as the product
        self.play(FadeOut(factors), now=True, run_time=0.3)  # (used up: the product comes where they were)
        self.play(
            FadeIn(names[0]),
            FadeIn(product.decor),
            TransformFromCopy(kept[: self.ROWS], product.entries),
            run_time=said_by(self, 2, 1.2) * 0.6,
        )  # fmt: skip (the zeros add nothing: only the kept column comes)
        if others:  # W_E whole again
            self.play(LaggedStart(*(AnimationGroup(FadeOut(z, shift=step), Restore(c), lag_ratio=1.0) for c, z in zip(others, zeros)),
                                  lag_ratio=0.05), run_time=0.8, now=True)  # fmt: skip
        cue(self, 3)
        self.play(FadeIn(equals), FadeIn(names[1]), TransformFromCopy(product.entries, lookup.entries),
                  FadeIn(lookup.decor), run_time=0.6 * said_by(self, 3, 1.0))  # fmt: skip
        self.play(Write(same), run_time=max(0.5, said_by(self, 3)))
        self.answer = VGroup(pair, names, same)
        self.others = others

    def closer_rows(self) -> VGroup:
        """The matrix with its rows CLOSER together under the same top, its brackets to its new height."""
        target = self.matrix.copy()
        for column in target[1:]:
            top = column[0].get_y()
            for r, entry in enumerate(column):
                entry.set_y(top - r * self.CLOSER)
        body = VGroup(*target[1:])
        h = body.height + 0.25
        target[0].become(VGroup(bracket(h, LEFT).next_to(body, LEFT, buff=0.12),
                                bracket(h, RIGHT).next_to(body, RIGHT, buff=0.12)))  # fmt: skip
        return target

    def vector(self, part, size: float = NUMBER) -> VectorColumn:
        """A token's vector (a part of the Trace read by name), its entries in the colours of its column in W_E."""
        vector = VectorColumn(part, shown=self.ROWS, size=size, dim_path=None)
        for e, value in zip(vector.entries, part.value):
            e.set_color(style.weight_color(float(value), self.scale))
        return vector

    def bottom_row(self) -> tuple[dict, dict, VGroup]:
        """Under the matrix, each drawn token of the prompt as a chip, its vector's place above it, "…" after."""
        t = self.trace
        more = len(t.token_ids) > len(self.drawn)
        pitch = min(1.7, (config.frame_width - 1.2) / (len(self.drawn) + more))
        left = -pitch * (len(self.drawn) + more) / 2
        top = self.matrix.get_bottom()[1] - 0.3
        vectors, chips, rest = {}, {}, VGroup()
        for k, p in enumerate(self.drawn):
            x = left + pitch * (k + 0.5)
            vector = self.vector(t.stored("hook_embed")[p])
            vectors[p] = vector.move_to([x, top - vector.height / 2, 0])
            chip = TokenBox(t.fields.info.tokens.display[p], hue=style.token_hue(p), size=LABEL)
            for size in (LABEL - 2, SMALLEST):  # a long token: smaller type, never cut
                if chip.width <= pitch - 0.15:
                    break
                chip = TokenBox(t.fields.info.tokens.display[p], hue=style.token_hue(p), size=size)
            chips[p] = self.fit_width(chip, pitch - 0.15).next_to(vector, DOWN, buff=0.2)
        if more:
            rest.add(label("…", size=TOKEN, color=style.MUTED).move_to([left + pitch * (len(self.drawn) + 0.5),
                                                                        chips[0].get_y(), 0]))  # fmt: skip
        return vectors, chips, rest

    def pick_columns(self):
        """Real models read the column directly: each token picks its column by id, which leaves as its vector."""
        t = self.trace
        repeated = len(set(t.token_ids[: len(self.drawn)])) < len(self.drawn)
        self.beat(
            "Look up",
            "Each token of the prompt picks its column by its id: that column is the token's first vector.",
            say="Real models skip that product, and read the column directly. Each token of the prompt picks its "
            "column by its id, and the column becomes its vector."
            + (" A token that comes twice picks the same column twice." if repeated else ""),
        )
        self.play(FadeOut(self.answer), run_time=0.5, now=True)
        # W_E, drawn large for its one-hot product, makes room for the prompt's vectors under it.
        self.play(Transform(self.matrix, self.closer_rows()), run_time=0.5)
        vectors, chips, rest = self.bottom_row()
        self.play(LaggedStart(*(FadeIn(chips[p], shift=0.3 * UP) for p in self.drawn), lag_ratio=0.1),
                  FadeIn(rest), run_time=1.0)  # fmt: skip
        each = max(0.5, said_by(self, -1, 1.0) / len(self.drawn))
        mark = None
        for p in self.drawn:  # one mark travels from column to column, in the order of the prompt
            i = t.token_ids[p]
            target = SurroundingRectangle(VGroup(self.chips[i], self.columns[i]), buff=0.08, color=style.NEXT_SLOT)
            light = SurroundingRectangle(chips[p], buff=0.06, color=style.NEXT_SLOT)
            if mark is None:
                mark = VGroup(target, light)
                self.play(Create(mark), run_time=0.35 * each)
            else:
                self.play(Transform(mark, VGroup(target, light)), run_time=0.35 * each)
            self.play(TransformFromCopy(self.columns[i][: self.ROWS], vectors[p].entries), FadeIn(vectors[p].decor),
                      run_time=0.65 * each)  # fmt: skip
        self.play(dim(mark), run_time=0.4)
        self.vectors, self.bottom_chips = vectors, chips

    def learned(self):
        """The numbers were learned: read once, they give way to squares of their colour (the picture that stays)."""
        self.beat(
            "Learned",
            "Nobody chose these numbers: training learned them.",
            say="Nobody chose these numbers by hand. They started random, and training nudged them until they "
            "predicted text well.",
        )
        t, W, ids = self.trace, self.trace.stored("weights.W_E_slice").value, self.trace.info["embedding_slice_ids"]
        entries = [(e, W[ids.index(i), r], self.columns[i].get_x()) for i in self.ids
                   for r, e in enumerate(self.columns[i][: self.ROWS])]  # fmt: skip
        entries += [(e, t["hook_embed"][p, r], self.vectors[p].entries.get_x()) for p in self.drawn
                    for r, e in enumerate(self.vectors[p].entries)]  # fmt: skip
        cells = [
            Square(self.CELL, stroke_width=0)
            .set_fill(style.weight_color(float(v), self.scale), opacity=1.0)
            .move_to([x, e.get_y(), 0])
            for e, v, x in entries
        ]  # fmt: skip (a column's squares in a line)
        entries = [e for e, _, _ in entries]
        self.play(*(ReplacementTransform(e, c) for e, c in zip(entries, cells)), FadeOut(VGroup(*self.ids_shown.values())),
                  run_time=said_by(self, 0, 1.5))  # fmt: skip
        self.cells = VGroup(*cells)
        cue(self, 1)  # before training nothing was learned: every square blank, then each takes its learned colour
        # (no made-up random values on screen: the Trace holds the learned weights only)
        learned = [c.get_fill_color() for c in cells]
        self.play(*(c.animate.set_fill(style.WEIGHT_ZERO) for c in cells), run_time=0.6)
        self.play(LaggedStart(*(c.animate.set_fill(colour) for c, colour in zip(cells, learned)), lag_ratio=0.02),
                  run_time=said_by(self, 1, 1.5))  # fmt: skip
        self.wait(1.0)


class ContextEmbedding(TraceScene):
    """One idea: a token's vector depends on where it stands and what came before. Token vector + position vector
    add into the residual; the context size; the same token in two contexts, its two vectors' cosine layer by layer,
    drawn as two arrows at their real angle."""

    TITLE = "Position and context"
    PART = "Tokens become vectors"
    SUMMARY = "Position vectors; the same token in two contexts, its two vectors compared layer by layer."
    RENDER_SECONDS = 8
    READS = ("context",)

    MOST_TOKENS = 12  # the prompt's last tokens drawn with their positions (as many of them as fit the width)
    ROW_WIDTH = 13.0  # the tokens' row, at a legible size (never shrunk: tokens at the front give way)
    RADIUS = 4.0  # the two arrows' length in the context picture

    def construct(self):
        self.add_position()
        self.context_size()
        self.two_contexts()

    def shown_tokens(self) -> tuple[int, VGroup]:
        """The first position drawn and the row of boxes: the prompt's last tokens, as many as fit."""
        display = self.trace.fields.info.tokens.display
        p = len(display) - 1
        first = max(0, p + 1 - self.MOST_TOKENS)
        while True:
            boxes = VGroup(*(TokenBox(display[i], hue=style.token_hue(i), size=24, limit=10)
                             for i in range(first, p + 1))).arrange(RIGHT, buff=0.12)  # fmt: skip
            if boxes.width <= self.ROW_WIDTH or first == p:
                return first, boxes
            first += 1

    TABLE_ROWS, TABLE_SIZE = 3, 22  # the entries of each column drawn of W_E and W_P; their type
    TABLE_COLUMNS = 4  # W_P's columns drawn: the last positions, up to the token's own
    entry_fmt = "value"  # how the tables' and the sum's entries are written (shown_sum)

    def table(self, symbol: str, parts: list, heads: list, at: float) -> tuple[VGroup, list]:
        """A matrix drawn as W_E is: a column of entries per part (⋯ between and after), its head above it, its
        symbol left of it, centred at x = at. Returns the matrix and its columns' entries."""
        values = [np.asarray(p.value[: self.TABLE_ROWS], dtype=float) for p in parts]
        scale = float(max(np.max(np.abs(v)) for v in values)) or 1.0
        body, columns = VGroup(), []
        for part in [None, *parts, None]:
            if part is None:
                body.add(VGroup(*(label("⋯", size=self.TABLE_SIZE, color=style.MUTED)
                                  for _ in range(self.TABLE_ROWS))).arrange(DOWN, buff=0.14))  # fmt: skip
                continue
            column = VectorColumn(part, shown=self.TABLE_ROWS, size=self.TABLE_SIZE, dim_path=None, fmt=self.entry_fmt)
            for e, value in zip(column.entries, part.value):
                e.set_color(style.weight_color(float(value), scale))
            columns.append(column.entries)
            body.add(VGroup(column.entries, label("⋮", size=self.TABLE_SIZE, color=style.MUTED)
                            .next_to(column.entries, DOWN, buff=0.08)))  # fmt: skip
        body.arrange(RIGHT, buff=0.3, aligned_edge=UP)
        h = body.height + 0.2
        brackets = VGroup(bracket(h, LEFT).next_to(body, LEFT, buff=0.1),
                          bracket(h, RIGHT).next_to(body, RIGHT, buff=0.1))  # fmt: skip
        name = MathTex(symbol, font_size=52).next_to(brackets, LEFT, buff=0.3)
        for head, column in zip(heads, columns):
            head.next_to(column, UP, buff=0.2)
        block = VGroup(name, brackets, body, VGroup(*heads))
        block.shift((at - body.get_x()) * RIGHT)
        return block, columns

    def tables(self, first: int, boxes: list) -> tuple[VGroup, VGroup, list, list]:
        """W_E with the token's column (its id above) and W_P with the last positions' columns (the position
        above each), side by side under the row."""
        t = self.trace
        p = len(t.token_ids) - 1
        tokens = t.fields.info.tokens
        token_head = TokenBox(tokens.display[p], hue=style.token_hue(p), size=self.TABLE_SIZE, limit=10)
        w_e, e_cols = self.table("W_E", [t.stored("hook_embed")[p]], [token_head], -3.9)
        shown = list(range(max(first, p + 1 - self.TABLE_COLUMNS), p + 1))
        heads = [label(str(i), size=self.TABLE_SIZE, color=style.MUTED) for i in shown]
        heads[-1] = number(tokens.ids, fmt="lastindex", size=self.TABLE_SIZE, color=style.MUTED)
        w_p, p_cols = self.table("W_P", [t.stored("hook_pos_embed")[i] for i in shown], heads, 3.0)
        top = boxes[0].get_bottom()[1] - 1.35  # (under the places, the columns' heads clear of them)
        for block in (w_e, w_p):
            block.shift((top - block[1].get_top()[1]) * UP)
        return w_e, w_p, e_cols, p_cols

    def add_position(self):
        if self.trace.words["positions"] == "rotary":
            return self.turn_by_position()
        t = self.trace
        p = len(t.token_ids) - 1
        first, row = self.shown_tokens()
        boxes = list(row)
        self.fit_width(row).to_edge(UP, buff=0.35)
        places = VGroup(*(label(str(i), size=20, color=style.MUTED).next_to(b, DOWN, buff=0.1)
                          for i, b in zip(range(first, p + 1), boxes)))  # fmt: skip
        tokens = t.fields.info.tokens
        places[-1].become(number(tokens.ids, fmt="lastindex", size=20, color=style.MUTED).move_to(places[-1]))
        parts = [t.stored("hook_embed")[p], t.stored("hook_pos_embed")[p], t.resid.pre[0, p]]
        rows = self.TABLE_ROWS  # written so that the shown entries add up as shown
        self.entry_fmt, sign = shown_sum(
            [np.asarray(v.value)[:rows] for v in parts[:2]], np.asarray(parts[2].value)[:rows]
        )
        w_e, w_p, e_cols, p_cols = self.tables(first, boxes)
        tok, pos, total = (VectorColumn(v, shown=rows, size=26, dim_path=None, fmt=self.entry_fmt) for v in parts)
        cols = VGroup(tok, label("+", size=44), pos, label(sign, size=44), total).arrange(RIGHT, buff=1.1)
        cols.move_to([0, -2.2, 0])
        names = VGroup(
            sentence("token “{tok}”", size=LABEL + 2, color=style.MUTED, tok=(tokens.display[p], "text")),
            sentence("position {n}", size=LABEL + 2, color=style.MUTED, n=(tokens.ids, "lastindex")),
            label("the vector that goes in", size=LABEL + 2, color=style.MUTED),
        )
        for name, col in zip(names, (cols[0], cols[2], cols[4])):
            name.next_to(col, UP, buff=0.2)
        top = max(n.get_y() for n in names)
        for name in names:
            name.set_y(top)
        tok, plus, pos, eq, total = cols
        with self.narrate(
            "A token's vector says nothing about where it stands. So a second matrix holds a learned column for "
            f"every position. {spoken_token(t.token_display[p], start=True)} is at position {p}: it takes that "
            "column. Added together, the two columns make the vector that goes in.",
            title="Position",
            caption="A learned column for each position is added, so the model knows the order of the words.",
        ) as n:
            self.play(FadeIn(row), FadeIn(places), FadeIn(w_e), run_time=0.8)
            # The token's column leaves W_E, as in the scene before.
            self.play(TransformFromCopy(e_cols[0], tok.entries), FadeIn(tok.decor), FadeIn(names[0]),
                      run_time=n.left(0, 1.2))  # fmt: skip
            n.wait_for(1)
            w_heads = w_p[3]
            self.play(
                FadeIn(VGroup(w_p[0], w_p[1], w_p[2])),
                LaggedStart(*(FadeIn(h, shift=0.2 * DOWN) for h in w_heads), lag_ratio=0.2),
                run_time=n.left(1, 1.2),
            )  # fmt: skip (no copy in flight: one number a place)
            n.wait_for(2)
            mark = SurroundingRectangle(VGroup(w_heads[-1], p_cols[-1]), buff=0.1, color=style.NEXT_SLOT)
            self.play(Create(mark), Indicate(places[-1], color=style.NEXT_SLOT), run_time=0.6)
            self.play(TransformFromCopy(p_cols[-1], pos.entries), FadeIn(pos.decor), FadeIn(names[1]), FadeIn(plus),
                      FadeOut(mark), run_time=n.left(2, 1.0))  # fmt: skip
            n.wait_for(3)
            a, b = tok.entries.copy(), pos.entries.copy()  # the two slide on and fade as their sum comes in
            self.play(FadeIn(eq), FadeIn(total.decor), FadeIn(names[2]),
                      a.animate.move_to(total.entries).set_opacity(0), b.animate.move_to(total.entries).set_opacity(0),
                      run_time=0.6)  # fmt: skip
            self.remove(a, b)
            self.play(FadeIn(total.entries, shift=0.2 * RIGHT), run_time=n.left(3, 0.6))
        self.row, self.places, self.cols, self.names, self.sum_sign = row, places, cols, names, sign
        self.tables_drawn, self.p_cols = VGroup(w_e, w_p), p_cols

    STRIP_WIDTH, STRIP_HEIGHT, STRIP_ROWS = 11.0, 2.6, 8  # W_P drawn whole: a thin column per position

    def position_strip(self) -> tuple[VGroup, VGroup, ImageMobject | None]:
        """W_P zoomed out: an outline filled with every position's column, its first entries' colours (a rotary
        model, which has no W_P: a line between each two places), and the prompt's positions' columns in the same
        colours (a rotary model's in one colour). Returns (outline and lines, used columns, the whole matrix's
        picture or None)."""
        t = self.trace
        n_ctx, n = int(t.meta["n_ctx"]), len(t.token_ids)
        width, height, rows = self.STRIP_WIDTH, self.STRIP_HEIGHT, self.STRIP_ROWS
        left = np.array([-width / 2, -0.7, 0])
        outline = Rectangle(width=width, height=height, color=style.MUTED, stroke_width=2).move_to(
            left + width / 2 * RIGHT
        )
        lines = VGroup(*(Line(outline.get_top() + (-width / 2 + width * i / n_ctx) * RIGHT,
                              outline.get_bottom() + (-width / 2 + width * i / n_ctx) * RIGHT,
                              stroke_width=1, color=style.MUTED, stroke_opacity=0.3)
                         for i in range(1, n_ctx if n_ctx <= 512 else 0)))  # fmt: skip
        image = None
        if t.words["positions"] == "rotary":  # no position matrix: each place used is lit, one colour
            colors = [[style.KEY] * rows for _ in range(n)]
        else:
            values = np.asarray(t.stored("hook_pos_embed").value, dtype=float)[:, :rows]
            scale = float(np.quantile(np.abs(values), 0.95)) or 1.0  # (the largest few would dim all the rest)
            colors = [[style.weight_color(float(v), scale) for v in row] for row in values]
            if "weights.W_pos_picture" in t.arrays:  # every position's column (a Trace saved before: only lines)
                whole = np.asarray(t["weights.W_pos_picture"], dtype=float)[:n_ctx, :rows]
                image = ImageMobject(heat_image(whole.T, scale))
                image.set_resampling_algorithm(0)  # nearest: one crisp column per position
                image.stretch_to_fit_width(width).stretch_to_fit_height(height).move_to(outline)
                lines = VGroup()
        step = width / n_ctx
        used = VGroup()
        for i in range(n):
            used.add(VGroup(*(Rectangle(width=step, height=height / rows, stroke_width=0, fill_opacity=1,
                                        fill_color=colors[i][r])
                              .move_to(outline.get_corner(UP + LEFT) + ((i + 0.5) * step) * RIGHT
                                       + ((r + 0.5) * height / rows) * DOWN)
                              for r in range(rows))))  # fmt: skip
        return VGroup(outline, lines), used, image

    def context_size(self):
        t = self.trace
        n, n_ctx, g = len(t.token_ids), t.fields.meta.n_ctx, t.fields.info.gpt3.dims.n_ctx
        frame, used, image = self.position_strip()
        ends = VGroup(label("0", size=22, color=style.MUTED).next_to(frame[0], LEFT, buff=0.2),
                      number(n_ctx, fmt="comma_less1", size=22, color=style.MUTED).next_to(frame[0], RIGHT, buff=0.2))  # fmt: skip
        learned = t.words["positions"] != "rotary"  # a rotary model has places, but no matrix W_P for them
        note = VGroup(sentence("{c} positions,", size=24, c=(n_ctx, "comma")),
                      sentence("{n} used here", size=24, n=(t.fields.info.tokens.ids, "len")))  # fmt: skip
        if learned:  # W_P typeset as in the first beat
            note.submobjects.insert(0, MathTex("W_P:", font_size=34))
        note.arrange(RIGHT, buff=0.15, aligned_edge=DOWN).next_to(frame[0], UP, buff=0.3)
        lit = SurroundingRectangle(used, buff=0.06, color=style.KEY, stroke_width=4)
        shown = len(self.places) if hasattr(self, "places") else n
        self.beat(
            "Context size",
            "Context: {p}.",
            p=claim(statements(t)["family.positions"]),
            say=f"This model has {lower_first(aloud(statements(t)['family.positions'].text))} Our prompt uses {n}"
            + (f", and the picture shows its last {shown}. " if shown < n else ". ")
            + f"GPT-3 reads {big(t.info['gpt3']['dims']['n_ctx'])}.",
        )
        if hasattr(self, "cols"):  # the sum leaves; W_P zooms out to all its columns, the ones drawn into theirs
            w_e, w_p = self.tables_drawn
            firsts = [used[len(used) - len(self.p_cols) + k] for k in range(len(self.p_cols))]
            kept = VGroup(*self.p_cols)  # W_P's drawn entries go on into their columns; the rest of it leaves
            rest = [m for m in w_p.get_family() if not m.submobjects and m not in kept.get_family()]
            self.play(FadeOut(VGroup(self.cols, self.names, w_e, *rest)), run_time=0.5, now=True)
            self.play(
                *(FadeOut(c, target_position=u.get_center(), scale=0.2) for c, u in zip(self.p_cols, firsts)),
                *(FadeIn(u, target_position=c.get_center()) for c, u in zip(self.p_cols, firsts)),
                FadeIn(ends[0]),
                run_time=1.2,
                now=True,
            )  # fmt: skip (moved, never morphed: no debris)
        else:
            self.play(FadeIn(ends[0]), run_time=0.5)
        self.play(FadeIn(note[:-1], shift=0.1 * UP), run_time=0.5)
        # W_P grows to its full length, a thin column per position drawn along, as its size is said.
        lines = [LaggedStart(*(Create(line) for line in frame[1]), lag_ratio=0.02)] if len(frame[1]) else []
        grow = []
        if image is not None:  # every position's column, coloured, spreads right with the outline
            image.save_state()
            image.stretch_to_fit_width(0.02).align_to(frame[0], LEFT)
            self.add(image)
            self.bring_to_front(*used)
            grow = [Restore(image)]
        self.play(GrowFromEdge(frame[0], LEFT), *lines, *grow, run_time=said_by(self, 0, 1.0))
        self.play(FadeIn(ends[1]), run_time=0.3)
        cue(self, 1)
        if hasattr(self, "places"):  # the prompt's places, counted, light their columns
            rest = [u for u in used if u not in self.get_top_level_mobjects()]
            self.play(
                ReplacementTransform(self.places.copy(), lit),
                *(FadeIn(u) for u in rest),
                FadeIn(note[-1], shift=0.1 * UP),
                run_time=said_by(self, 1, 1.0),
            )  # fmt: skip (the places into theirs)
        else:
            self.play(FadeIn(used, lag_ratio=0.2), Create(lit), FadeIn(note[-1], shift=0.1 * UP),
                      run_time=said_by(self, 1, 1.0))  # fmt: skip
        cue(self, 2)
        pictured = [image] if image is not None else []
        self.size_group = Group(frame, *pictured, used, lit, ends, *note,
                                *self.beside_gpt3(frame, used, lit, ends, note, g, image))  # fmt: skip

    def beside_gpt3(self, frame, used, lit, ends, note, g, image=None) -> list:
        """GPT-3's context as an outline to the same scale beside this model's W_P (which shrinks to make room
        when GPT-3's is the longer), labelled with its size."""
        n_ctx, gpt3 = int(self.trace.meta["n_ctx"]), int(g.value)
        unit = self.STRIP_WIDTH / max(n_ctx, gpt3)
        left = frame[0].get_left()
        ghost = DashedVMobject(Rectangle(width=gpt3 * unit, height=self.STRIP_HEIGHT, color=style.MUTED,
                                         stroke_width=2), num_dashes=120)  # fmt: skip
        ghost.move_to(left + gpt3 * unit / 2 * RIGHT)
        name = sentence("GPT-3: {g}", size=HEADING, color=style.MUTED, g=(g, "comma"))
        strip = VGroup(frame, used, lit)
        target = strip.copy().stretch(n_ctx * unit / self.STRIP_WIDTH, 0, about_point=left)
        lit_width = max(lit.width * n_ctx * unit / self.STRIP_WIDTH, 0.25)
        target[2].become(
            SurroundingRectangle(target[1], buff=0.06, color=style.KEY, stroke_width=4).stretch_to_fit_width(lit_width)
        )  # fmt: skip (still seen however thin)
        name.move_to([(target[0][0].get_right()[0] + ghost.get_right()[0]) / 2, ghost.get_y(), 0])
        along = (
            [image.animate.stretch(n_ctx * unit / self.STRIP_WIDTH, 0, about_point=left)] if image is not None else []
        )
        seconds = said_by(self, 2, 1.2)  # this model's shrinks first, then GPT-3's is drawn beside it
        self.play(Transform(strip, target), *along, FadeOut(ends[1]),
                  note.animate.next_to(target[0][0], UP, buff=0.3, aligned_edge=LEFT), run_time=0.5 * seconds,
                  now=True)  # fmt: skip
        self.play(Create(ghost), FadeIn(name, shift=0.1 * UP), run_time=0.5 * seconds)
        self.wait(1.0)
        return [ghost, name]

    def turn_by_position(self):
        """Rotary models add no position vector: the token's vector enters as it is, and queries and keys are
        turned by angles set by their position (shown: layer 0, head 0, the last token)."""
        t = self.trace
        p = len(t.token_ids) - 1
        tokens, meta = t.fields.info.tokens, t.fields.meta
        cols = VGroup(
            VectorColumn(t.stored("hook_embed")[p], shown=5, size=20),
            label("=", size=32),
            VectorColumn(t.resid.pre[0, p], shown=5, size=20),
            label("  ", size=32),
            VectorColumn(t.attn.q[0, p, 0], shown=5, size=20),  # block 0, the last position, head 0
            label("→", size=32),
            VectorColumn(t.attn.rot_q[0, p, 0], shown=5, size=20),
        ).arrange(RIGHT, buff=0.8)
        self.fit_width(cols)
        cols.move_to([0, 0.2, 0])
        names = VGroup(
            sentence("token “{tok}”", size=20, color=style.MUTED, tok=(tokens.display[p], "text")),
            label("first vector", size=20, color=style.MUTED),
            label("query, head 0", size=20, color=style.QUERY),
            sentence("turned for position {n}", size=20, color=style.QUERY, n=(tokens.ids, "lastindex")),
        )  # fmt: skip
        for name, col in zip(names, (cols[0], cols[2], cols[4], cols[6])):
            name.next_to(col, UP, buff=0.25)
        top = max(n.get_y() for n in names)
        for name in names:
            name.set_y(top)
        turned = sentence(
            "{r} of the {d} numbers of each head turn",
            size=20,
            color=style.MUTED,
            r=(meta.words.rotary_dim, "comma"),
            d=(meta.d_head, "comma"),
        ).next_to(VGroup(cols[4], cols[6]), DOWN, buff=0.45)
        self.beat(
            "No position vector",
            "No position vector is added: the token's row of the embedding matrix goes in.",
            say="This model adds no position vector: the token's row of the embedding matrix goes in as it is.",
        )
        self.play(FadeIn(cols[:3]), FadeIn(names[:2]))
        self.beat(
            "Rotary",
            "Position enters in every layer: queries and keys are turned by angles set by it (rotary).",
            say=f"Position enters in every layer instead: each query and key is turned by angles set by its "
            f"position. This is called rotary. Here {t.words['rotary_dim']} of the {t.meta['d_head']} numbers of "
            "each head turn.",
        )
        self.play(FadeIn(cols[4]), FadeIn(names[2]))
        self.play(TransformFromCopy(cols[4], cols[6]), FadeIn(cols[5]), FadeIn(names[3]), FadeIn(turned), run_time=1.5)
        names.add(turned)
        self.wait(1)
        self.play(FadeOut(cols), FadeOut(names))

    APART = 0.14  # the two arrows' feet, this far either side of the origin: at cosine 1 both are seen

    def tip(self, angle: ValueTracker, origin: np.ndarray, s: int) -> np.ndarray:
        """Where arrow s (1: the first text's, left; -1: the second's, right) ends at the tracker's angle."""
        half = s * angle.get_value() / 2
        foot = origin - s * self.APART * RIGHT
        return foot + self.RADIUS * np.array([np.cos(np.pi / 2 + half), np.sin(np.pi / 2 + half), 0])

    def pair_arrows(self, angle: ValueTracker, origin: np.ndarray) -> VGroup:
        """The token's two vectors as arrows from one point, `angle` apart (the real angle of their cosine),
        symmetric about the vertical, with the arc between them."""

        def draw():
            half = angle.get_value() / 2
            arrows = VGroup(*(Arrow(origin - s * self.APART * RIGHT, self.tip(angle, origin, s), buff=0,
                                    stroke_width=9, color=color, max_tip_length_to_length_ratio=0.12)
                              for s, color in ((1, style.KEY), (-1, style.VALUE))))  # fmt: skip
            if half > 0.01:
                arrows.add(Arc(radius=0.9, start_angle=np.pi / 2 - half, angle=2 * half, arc_center=origin,
                               color=style.MUTED, stroke_width=3))  # fmt: skip
            return arrows

        return always_redraw(draw)

    def arrow_names(self, angle: ValueTracker, origin: np.ndarray) -> VGroup:
        """Each arrow's name beside its tip, "A" (the first text) left of the first, "B" right of the second."""
        names = VGroup(label("A", size=HEADING, color=style.KEY), label("B", size=HEADING, color=style.VALUE))
        names[0].add_updater(lambda m: m.next_to(self.tip(angle, origin, 1), LEFT, buff=0.25))
        names[1].add_updater(lambda m: m.next_to(self.tip(angle, origin, -1), RIGHT, buff=0.25))
        return names.update()

    def stage_cosines(self) -> list[float]:
        """The two vectors' cosine at each stage drawn: the token's columns, the vectors that go in (with their
        positions' columns; learned positions only), then after each layer."""
        pair = self.trace.fields.info.context_pair
        cosines = [float(c) for c in pair.cosines.value]
        if self.trace.words["positions"] == "rotary":
            return cosines
        return [cosines[0], float(pair.input_cosine.value), *cosines[1:]]

    def two_contexts(self):
        t = self.trace
        pair = t.fields.info.context_pair
        tok_read = t.fields.info.tokens.display[len(t.token_ids) - 1]
        first = sentence("A: “{a}”", size=LABEL + 2, color=style.KEY, a=(t.fields.meta.settings.prompt, "ends64"))
        second = sentence(
            "B: “{b}” + “{tok}”",
            size=LABEL + 2,
            color=style.VALUE,
            b=(pair.other_prompt, "ends64"),
            tok=(tok_read, "text"),
        )  # fmt: skip (whole when it fits: never cut what fits)
        contexts = VGroup(first, second).arrange(DOWN, aligned_edge=LEFT, buff=0.25).to_edge(UP, buff=0.35)
        self.fit_width(contexts, config.frame_width - 2 * style.FRAME_MARGIN - 0.6).set_x(0)  # (clear of the edges)
        angles = [float(np.arccos(np.clip(c, -1.0, 1.0))) for c in self.stage_cosines()]
        reach = self.RADIUS * np.sin(max(angles) / 2)  # how far right of the origin an arrow ever goes
        origin = np.array([-1.6 - reach / 2, -2.75, 0])  # the arrows left, the readout and its plot right
        angle = ValueTracker(angles[0])
        arrows, names = self.pair_arrows(angle, origin), self.arrow_names(angle, origin)
        flat = VGroup(
            label("each arrow:", size=LABEL, color=style.MUTED),
            sentence("{d} numbers", size=LABEL, color=style.MUTED, d=(t.fields.meta.d_model, "int")),
        )
        flat.arrange(DOWN, aligned_edge=RIGHT, buff=0.1)  # (two short lines, clear of the arrows)
        at = np.array([origin[0] + reach + 1.6, origin[1] + 3.05, 0])  # right of where any arrow or name can reach
        flat.next_to(origin + 0.6 * UP + 0.9 * LEFT, LEFT, buff=0)
        edge = -config.frame_width / 2 + style.FRAME_MARGIN + 0.3
        if flat.get_left()[0] < edge:
            flat.shift((edge - flat.get_left()[0]) * RIGHT)
        self.beat(
            "Context",
            "The same token after two different texts: each arrow is its vector in one of them.",
            say=f"Now take {spoken_token(tok_read.value)} after two different texts. Each arrow stands for its "
            f"vector in one of them: {t.meta['d_model']} numbers, drawn flat. A cosine similarity of 1 would mean "
            "they point the same way.",
        )
        gone = [self.size_group, *([self.row, self.places] if hasattr(self, "row") else [])]
        self.play(
            AnimationGroup(FadeOut(Group(*gone)), FadeIn(contexts, shift=0.1 * DOWN), lag_ratio=1.0),
            run_time=1.2,
            now=True,
        )  # fmt: skip (the row gone before the texts come)
        cue(self, 1)
        one, two = (Arrow(origin - s * self.APART * RIGHT, self.tip(angle, origin, s), buff=0, stroke_width=9,
                          color=c, max_tip_length_to_length_ratio=0.12) for s, c in ((1, style.KEY), (-1, style.VALUE)))  # fmt: skip
        self.play(AnimationGroup(GrowFromEdge(one, DOWN), FadeIn(names[0]), lag_ratio=0.85),
                  Indicate(first, color=style.KEY, scale_factor=1.05),
                  run_time=0.4 * said_by(self, 1, 1.2))  # fmt: skip
        self.play(AnimationGroup(GrowFromEdge(two, DOWN), FadeIn(names[1]), lag_ratio=0.85),
                  Indicate(second, color=style.VALUE, scale_factor=1.05),
                  run_time=0.4 * said_by(self, 1, 1.2))  # fmt: skip
        self.remove(one, two)
        self.add(arrows, names)
        self.play(FadeIn(flat, shift=0.1 * UP), run_time=said_by(self, 1, 0.6))
        cue(self, 2)
        shown = self.readout(0, at)
        self.plot = self.cosine_plot(at + 2.7 * DOWN)
        self.play(FadeIn(shown), FadeIn(self.plot[0]), GrowFromEdge(self.plot[1][0], DOWN),
                  run_time=said_by(self, 2, 1.0))  # fmt: skip
        self.arrows_at = (angle, angles, origin)
        shown = self.at_input(shown, at)
        self.drift(shown, at, arrows, contexts)
        self.wait(1.0)
        self.contexts = contexts

    PLOT_WIDTH, PLOT_HEIGHT = 5.2, 1.5  # the small cosine-by-stage plot under the readout

    def cosine_plot(self, corner: np.ndarray) -> VGroup:
        """A small plot of the cosine at each stage (a dot per stage, joined), from its lower left corner: its
        baseline with each stage's name under it ("token", "input", the layers' numbers), and the dots (hidden
        until their stage comes)."""
        t = self.trace
        cos = self.stage_cosines()
        learned = t.words["positions"] != "rotary"
        low = min(0.0, np.floor(min(cos) * 10) / 10 - 0.1) if min(cos) < 0 else np.floor(min(cos) * 10) / 10 - 0.1
        step = self.PLOT_WIDTH / max(len(cos) - 1, 1)
        points = [corner + np.array([k * step, self.PLOT_HEIGHT * (c - low) / (1.0 - low), 0]) for k, c in
                  enumerate(cos)]  # fmt: skip
        base = Line(corner + 0.3 * LEFT, corner + (self.PLOT_WIDTH + 0.3) * RIGHT, stroke_width=2, color=style.MUTED)
        names = ["token", *(["input"] if learned else []), *(str(k + 1) for k in range(t.n_layer))]
        ticks, right = VGroup(), -np.inf  # a stage's name where it fits (many layers: some go unnamed)
        for name, p in zip(names, points):
            tick = label(name, size=LABEL - 2, color=style.MUTED).next_to(base, DOWN, buff=0.12).set_x(p[0])
            if tick.get_left()[0] > right:  # (a label's ends are already padded)
                ticks.add(tick)
                right = tick.get_right()[0]
        layers = VGroup(*(k for k in ticks if k.text.isdigit())) or ticks
        word = label("layer", size=LABEL - 2, color=style.MUTED).next_to(layers, DOWN, buff=0.08)
        dots = VGroup(*(Dot(p, radius=0.08, color=style.TEXT) for p in points))
        joins = VGroup(*(Line(a, b, stroke_width=3, color=style.TEXT) for a, b in zip(points, points[1:])))
        return VGroup(VGroup(base, ticks, word), dots, joins)

    def plot_step(self, s: int) -> AnimationGroup:
        """The plot's dot for stage s comes, along its line from the last."""
        dots, joins = self.plot[1], self.plot[2]
        return AnimationGroup(Create(joins[s - 1]), GrowFromEdge(dots[s], DOWN), lag_ratio=0.6)

    def turn_to(self, s: int, shown: VGroup, at: np.ndarray, seconds: float, *also) -> VGroup:
        """The arrows turn to stage s's angle as its cosine takes the last's place (the old number out before the
        new one in) and the plot gains its dot. Returns the readout now shown."""
        angle, angles, _ = self.arrows_at
        new = self.readout(s, at)
        change = AnimationGroup(FadeOut(shown[1:], shift=0.25 * UP, run_time=0.45),
                                FadeIn(new[1:], shift=0.25 * UP, run_time=0.55), lag_ratio=1.0)  # fmt: skip
        self.play(
            AnimationGroup(angle.animate(run_time=1.0).set_value(angles[s]), change),
            self.plot_step(s),
            *also,
            run_time=max(0.8, seconds),
            now=True,
        )  # fmt: skip (the number changes as the arrows turn)
        self.remove(shown[0])  # (the word "cosine" stays where it is: only the number and the stage change)
        self.add(new[0])
        return new

    def at_input(self, shown: VGroup, at: np.ndarray) -> VGroup:
        """A learned-position model: the token's columns are the same, but with the positions added the vectors
        that go in differ already (a beat of its own, its caption its number). Returns the readout now shown."""
        t = self.trace
        if t.words["positions"] == "rotary":
            return shown
        pair, cos = t.fields.info.context_pair, self.stage_cosines()
        a, b = pair.positions.value
        with self.narrate(
            f"Their token columns are the same: {dec(cos[0], 2)}. But the token stands at position {a} in A and at "
            f"{b} in B. With positions added, the vectors that go in already differ: {dec(cos[1], 2)}.",
            title="Positions",
            caption="Positions added (A at {a}, B at {b}): the vectors that go in have cosine {c}.",
            a=(pair.positions[0], "int"),
            b=(pair.positions[1], "int"),
            c=(pair.input_cosine, "fixed2"),
        ) as n:
            self.play(Indicate(shown[1], color=style.NEXT_SLOT), run_time=n.left(0, 1.0))
            n.wait_for(1)
            shown = self.turn_to(1, shown, at, n.left(1, 1.0))
            n.wait_for(2)
            self.play(Indicate(shown[1], color=style.NEXT_SLOT), run_time=n.left(2, 0.8))
        return shown

    def drift(self, shown: VGroup, at: np.ndarray, arrows, contexts) -> None:
        """The layers one at a time: at each the arrows turn to the layer's angle, its cosine takes the last's place,
        the plot gains its dot and its layer's number lights; then the takeaway, the cosine in and out, and the two
        texts by their last words with the lesson beside them. The input's pair stays as a ghost."""
        t = self.trace
        cos = self.stage_cosines()
        learned = t.words["positions"] != "rotary"
        pair = t.fields.info.context_pair
        going_in = (pair.input_cosine if learned else pair.cosines[0], "fixed2")
        caption, told = drift_words(cos[-t.n_layer - 1], cos[-t.n_layer :])  # (read off the cosines shown)
        same = "" if learned else f"Their token columns are the same: {dec(cos[0], 2)}. "
        moved = round(cos[-1], 2) < 1.0  # (as the screen rounds it)
        end = "Same token, different texts: different vectors." if moved else "Here the texts left it as it was."
        with self.narrate(
            f"{same}The model has {t.n_layer} layers, steps that each mix in the text before. Watch the arrows after "
            f"each one. {told} {end}",
            title="Layers",
            caption=caption,
            a=going_in,
            b=(pair.cosines[t.n_layer], "fixed2"),
        ) as n:
            ghost = arrows.copy().clear_updaters().set_opacity(0.18)  # the pair that went in
            self.add(ghost)
            first = 0 if learned else 1  # (a rotary model's first sentence names the token columns)
            n.wait_for(first)
            each = n.left(first + 1, 0.9 * t.n_layer) / t.n_layer
            lit = None
            for layer in range(1, t.n_layer + 1):  # one layer a step, its number lit under the plot
                tick = self.layer_tick(layer)
                light = [tick.animate.set_color(style.NEXT_SLOT)] if tick is not None else []
                if lit is not None:
                    light.append(lit.animate.set_color(style.MUTED))
                shown = self.turn_to(layer + (1 if learned else 0), shown, at, 0.8 * each, *light)
                self.wait(0.2 * each)
                lit = tick if tick is not None else lit
            n.wait_for(first + 2)
            dots = self.plot[1]  # the cosine in and out, as said
            self.play(Indicate(dots[-t.n_layer - 1], color=style.NEXT_SLOT, scale_factor=1.8),
                      Indicate(dots[-1], color=style.NEXT_SLOT, scale_factor=1.8),
                      Indicate(shown[1], color=style.NEXT_SLOT), run_time=n.left(first + 2, 1.0))  # fmt: skip
            n.wait_for(first + 3)
            short = self.short_contexts(contexts)  # the two texts by their last words, the lesson beside them
            takeaway = self.lesson(short, moved)
            self.play(
                AnimationGroup(FadeOut(contexts, shift=0.2 * UP), FadeIn(short, shift=0.2 * UP), lag_ratio=1.0),
                run_time=1.0,
            )  # fmt: skip (one after the other: never the two texts over each other)
            self.play(Write(takeaway), run_time=n.left(-1, 1.0))
        self.readouts = [shown]
        self.takeaway, self.short = takeaway, short
        self.pair = VGroup(arrows, ghost)

    def layer_tick(self, layer: int):
        """The plot's label of a layer's number, if it is drawn (many layers: some go unnamed)."""
        return next((k for k in self.plot[0][1] if k.text == str(layer)), None)

    def lesson(self, short: VGroup, moved: bool) -> VGroup:
        """The takeaway in two lines at the top right, beside the two texts' ends and clear of them."""
        takeaway = VGroup(
            label("Same token, different texts:", size=HEADING - 4),
            label("different vectors" if moved else "the same vector", size=HEADING - 4, color=style.NEXT_SLOT),
        ).arrange(DOWN, aligned_edge=RIGHT, buff=0.15)
        edge = config.frame_width / 2 - style.FRAME_MARGIN
        room = edge - short.get_right()[0] - 0.5
        if takeaway.width > room:
            takeaway.scale_to_fit_width(room)
        return takeaway.align_to(short, UP).shift((edge - takeaway.get_right()[0]) * RIGHT)

    def short_contexts(self, contexts: VGroup) -> VGroup:
        """The two texts by their last words, larger, where the whole texts stood."""
        t = self.trace
        tok = (t.fields.info.tokens.display[len(t.token_ids) - 1], "text")
        short = VGroup(
            sentence("A: “{a}”", size=HEADING, color=style.KEY, a=(t.fields.meta.settings.prompt, "tail3")),
            sentence("B: “{b}” + “{tok}”", size=HEADING, color=style.VALUE,
                     b=(t.fields.info.context_pair.other_prompt, "tail3"), tok=tok),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.25)  # fmt: skip
        return self.fit_width(short).move_to(contexts, aligned_edge=UP + LEFT)

    def readout(self, s: int, at: np.ndarray) -> VGroup:
        """The two vectors' cosine at stage s of `stage_cosines`, large, and the stage's name under it."""
        t = self.trace
        pair = t.fields.info.context_pair
        layer = s - (1 if t.words["positions"] == "rotary" else 2)  # the layer it is after (-1: the input)
        if s == 0:
            value = number(pair.cosines[0], fmt="fixed2", size=HEADING, font=style.FONT)
            name = label("token columns", size=LABEL + 2, color=style.MUTED)
        elif layer < 0:
            value = number(pair.input_cosine, fmt="fixed2", size=HEADING, font=style.FONT)
            name = sentence("A at position {a}, B at {b}", size=LABEL + 2, color=style.MUTED,
                            a=(pair.positions[0], "int"), b=(pair.positions[1], "int"))  # fmt: skip
        else:
            value = number(
                pair.cosines[layer + 1], fmt="fixed2", size=HEADING, font=style.FONT
            )  # (as said: 2 decimals)
            name = label(f"after layer {layer + 1} of {t.n_layer}", size=LABEL + 2, color=style.MUTED)
        word = label("cosine", size=HEADING)
        value.next_to(word, RIGHT, buff=0.25).align_to(word, DOWN)
        name.next_to(word, DOWN, buff=0.25, aligned_edge=LEFT)
        return VGroup(word, value, name).move_to(at, aligned_edge=LEFT)


def heat_image(values: np.ndarray, scale: float) -> np.ndarray:
    """A matrix as an RGBA image, a pixel per entry, coloured as `style.weight_color` colours one entry (blue
    above zero, red below, brighter for larger); drawn whole at once, as thousands of squares would be slow."""
    t = np.clip(np.abs(values) / (scale or 1.0), 0.0, 1.0)[..., None]
    zero, pos, neg = (np.array(c.to_rgb()) for c in (style.WEIGHT_ZERO, style.POSITIVE, style.NEGATIVE))
    base = np.where(values[..., None] >= 0, pos, neg)
    rgb = zero + (base - zero) * (0.25 + 0.75 * t)
    alpha = np.ones(values.shape + (1,))
    return (np.concatenate([rgb, alpha], axis=-1) * 255).round().astype(np.uint8)


def shown_sum(terms: list, total) -> tuple[str, str]:
    """How a sum of vectors' entries is written so that it adds up as shown: the format (2 decimals if the rounded
    terms add to the rounded sum in every row, else 3) and the sign before the sum ("=", or "≈" when even 3
    decimals do not add up)."""
    for fmt in ("value", "value3"):
        if all(adds_up([FORMATTERS[fmt](float(v[r])) for v in terms], FORMATTERS[fmt](float(total[r])))
               for r in range(len(total))):  # fmt: skip
            return fmt, "="
    return "value3", "≈"


def adds_up(terms: list[str], total: str) -> bool:
    """Whether numbers as written ("−0.10", "+0.01") add to the written total."""

    def read(text: str) -> float:
        return float(text.replace("−", "-"))

    return abs(sum(read(t) for t in terms) - read(total)) < 1e-9


def fill_to(group, opacity: float) -> AnimationGroup:
    """The visible parts of `group` faded to `opacity` (a number's invisible strut stays invisible)."""
    shown = [m for m in group.family_members_with_points() if m.get_fill_opacity() > 0]
    return AnimationGroup(*(m.animate.set_fill(opacity=opacity, family=False) for m in shown))


def drift_words(going_in: float, layers: list[float]) -> tuple[str, str]:
    """The caption (a template: {a} the cosine going in, {b} after the last layer) and the spoken sentence for the
    two vectors' cosine through the layers, built on the takeaway, every characterising word read off the numbers
    as the screen rounds them (2 decimals): whether the layers leave them further apart or closer than they went in."""
    start, last = (round(float(c), 2) for c in (going_in, layers[-1]))
    if last < start:
        verb = "pull the two vectors apart"
    elif last > start:
        verb = "bring the two vectors closer"
    else:
        verb = "leave the two vectors as close as they were"
    said = f"In all, the layers {verb}: {dec(going_in, 2)} going in, {dec(layers[-1], 2)} coming out."
    return f"The layers {verb}: {{a}} in, {{b}} out.", said


def boxes_meet(a, b, margin: float = 0.0) -> bool:
    """Whether two mobjects' frame boxes overlap (with `margin` to spare)."""
    return (
        min(a.get_right()[0], b.get_right()[0]) - max(a.get_left()[0], b.get_left()[0]) > -margin
        and min(a.get_top()[1], b.get_top()[1]) - max(a.get_bottom()[1], b.get_bottom()[1]) > -margin
    )


class Orbit:
    """The embedding view's camera: 3-D points turned by `theta` about the vertical axis, tilted by `phi` and
    drawn flat around `center` in a light perspective. Everything in the view is placed through `project`,
    so its labels can be checked where the viewer sees them, at any angle of the turn. `near` moves the
    camera towards `focus` (0: the whole cloud; 1: `focus` at the centre, magnified `reach` times)."""

    FOCAL = 20.0  # a point this far towards the viewer would be at infinity

    def __init__(self, center, phi: float = 70 * DEGREES, theta: float = -60 * DEGREES):
        self.x = ValueTracker(center[0])  # the view slides aside when a panel needs the room
        self.y = center[1]
        self.phi = phi
        self.theta = ValueTracker(theta)
        self.near = ValueTracker(0.0)
        self.focus, self.reach = np.zeros(3), 1.0

    @property
    def center(self) -> np.ndarray:
        return np.array([self.x.get_value(), self.y, 0.0])

    def zoom(self) -> tuple[np.ndarray, float]:
        """The point the view is centred on, and the magnification."""
        s = self.near.get_value()
        return s * self.focus, self.reach**s

    def axes(self, theta: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The screen's right and up directions and the direction towards the viewer, in 3-D."""
        th, ph = self.theta.get_value() if theta is None else theta, self.phi
        right = np.array([-np.sin(th), np.cos(th), 0.0])
        up = np.array([-np.cos(ph) * np.cos(th), -np.cos(ph) * np.sin(th), np.sin(ph)])
        toward = np.array([np.sin(ph) * np.cos(th), np.sin(ph) * np.sin(th), np.cos(ph)])
        return right, up, toward

    def scale(self, point, theta: float | None = None) -> float:
        """How much nearer (> 1) or further (< 1) than the centre a point looks."""
        return self.FOCAL / (self.FOCAL - float((np.asarray(point) - self.zoom()[0]) @ self.axes(theta)[2]))

    def project(self, point, theta: float | None = None) -> np.ndarray:
        return np.array([*self.project_all(np.asarray(point, dtype=float)[None], theta)[0], 0.0])

    def project_all(self, points: np.ndarray, theta: float | None = None) -> np.ndarray:
        """Where the camera sees 3-D points (n, 3): their screen x, y (n, 2)."""
        right, up, toward = self.axes(theta)
        focus, reach = self.zoom()
        q = points - focus
        f = reach * self.FOCAL / (self.FOCAL - q @ toward)
        return self.center[:2] + f[:, None] * np.stack([q @ right, q @ up], axis=1)


def segments_meet_boxes(a: np.ndarray, b: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Which of the segments a[k]..b[k] (2-D, (n, 2)) cross which boxes (m, 4: left, right, bottom, top): (m, n)."""
    lo, hi = boxes[:, None, [0, 2]], boxes[:, None, [1, 3]]  # (m, 1, 2)
    d = (b - a)[None]
    flat = np.abs(d) < 1e-9  # parallel to a side: inside its slab or not at all
    with np.errstate(divide="ignore", invalid="ignore"):
        t1, t2 = (lo - a[None]) / np.where(flat, 1.0, d), (hi - a[None]) / np.where(flat, 1.0, d)
    inside = (a[None] >= lo) & (a[None] <= hi)
    enter = np.where(flat, np.where(inside, -np.inf, np.inf), np.minimum(t1, t2)).max(axis=2)
    leave = np.where(flat, np.where(inside, np.inf, -np.inf), np.maximum(t1, t2)).min(axis=2)
    return (enter <= leave) & (leave >= 0) & (enter <= 1)


def clip_to_box(a: np.ndarray, b: np.ndarray, box: tuple[float, float, float, float]) -> tuple[float, float]:
    """The part of the segment a..b (2-D) inside the box, as fractions t0 <= t1 of its length (t0 > t1: none)."""
    t0, t1 = 0.0, 1.0
    for k, (lo, hi) in enumerate(((box[0], box[1]), (box[2], box[3]))):
        d = b[k] - a[k]
        if abs(d) < 1e-9:
            if not lo <= a[k] <= hi:
                return 1.0, 0.0
            continue
        u, v = sorted(((lo - a[k]) / d, (hi - a[k]) / d))
        t0, t1 = max(t0, u), min(t1, v)
    return t0, t1


class EmbeddingSpace(TraceScene):
    """Word tokens of W_E in 3-D (PCA of the centred matrix), every word labelled while the camera rests, then only
    the words a sentence is about: a word's nearest neighbours; directions between words drawn large (woman − man
    beside queen − king, the analogy's sum, the plural direction with words and one…four dropped onto it); and a dot
    product as two vectors in the plane they span, the shadow of one on the other their cosine."""

    TITLE = "The embedding space"
    PART = "Tokens become vectors"
    SUMMARY = "Word tokens of W_E in 3D; woman − man beside queen − king; real analogy ranks, plurals, dot products."
    RENDER_SECONDS = 66
    MODEL_ONLY = True  # the same for every prompt: drawn once per model

    ANCHORS = ["king", "queen", "man", "woman"]  # the directions' words
    RADIUS = 4.0  # the farthest word from the centre, in frame units
    HALF_WIDTH, BOTTOM, TOP = 6.4, -3.2, 2.9  # where the view's labels stay, about its centre's x
    PANEL_LEFT = 2.6  # the right panel's texts start here (the view then slides left to make room)
    CLOSE_UP = 2.4  # moved in on a few words, the farthest of them is this far from the view's centre
    START = -60 * DEGREES  # the camera's first angle; it turns only between rests (a resting view is one frame)

    def construct(self):
        self.show_space()
        self.entries()
        self.dot_products()  # (right after the worked pair: aligned, unrelated, opposed, before cosine ranks words)
        self.neighbours()
        self.gender_arrows()
        self.analogy()
        self.plurality()
        self.numbers()

    # -- the view ---------------------------------------------------------------------------------------

    def point(self, word: str) -> np.ndarray:
        return self.coords[self.geo["pca_words"].index(word)]

    def show_space(self):
        t = self.trace
        self.geo = geo = t.info["geometry"]
        self.G = t.fields.info.geometry  # the same, each value read with its path
        self.labels, self.label_sets, self.panel, self.named = [], [], VGroup(), {}
        self.segments = []  # what labels keep off besides the words' points: lines and arrows, drawn flat
        self.drawn = []  # every panel, statement and label drawn, for the tests (most leave before the end)
        self.view = []  # what the 3-D view draws besides its dots and labels (axes, arrows, lines)
        if len(geo["pca_words"]) < 4:
            self.coords = np.zeros((0, 3))
            self.beat(
                "Embedding space",
                "This model's vocabulary has too few whole-word tokens for the 3D picture.",
                say="This model's vocabulary has too few whole-word tokens to draw its embedding space.",
            )
            return
        coords = np.asarray(geo["pca_coords"], dtype=float)
        self.coords = coords / (np.linalg.norm(coords, axis=1).max() or 1.0) * self.RADIUS
        self.orbit = Orbit([0.0, (self.BOTTOM + self.TOP) / 2 - 0.12 * self.RADIUS], theta=self.START + 0.3)
        heading = sentence("{n} words, along the 3 directions in which they vary most", size=LABEL,
                           color=style.MUTED, static=True, n=(self.G.pca_words, "len"))  # fmt: skip
        self.heading = self.fit_width(heading).to_edge(UP, buff=0.2)
        self.add(self.orbit.theta, self.orbit.x, self.orbit.near)
        axes = self.draw_axes()
        self.arrival = ValueTracker(0.0)  # words fly in from in front of the viewer and settle at their points
        self.dots = self.word_dots()
        self.placer = VGroup()  # (its updater places the labels, after the dots have moved)
        self.placer.add_updater(lambda m: self.place_labels())
        words = [self.word_label(w, size=SMALLEST) for w in geo["pca_words"]]
        rest = self.resting_angle([*words, *axes.labels])
        words = self.opening_words(rest)
        self.orbit.theta.set_value(rest + 0.3)
        n = len(self.coords)
        self.beat(
            "Embedding space",
            "Each token's vector is a point in a space of {d} dimensions; here, the 3 that show the words best.",
            d=(t.fields.meta.d_model, "int"),
            say=f"Each vector is a point in a space of {t.meta['d_model']} dimensions. Here are {n} word tokens, "
            "seen along the three directions in which they spread out most. Each axis's percent says how much of "
            "their spread lies along it.",
        )
        self.play(FadeIn(self.heading), FadeIn(axes))
        self.add(self.dots, self.placer)
        self.play(self.arrival.animate.set_value(1.0), self.orbit.theta.animate.set_value(rest),
                  run_time=2.5, rate_func=lambda x: x)  # fmt: skip
        self.add_labels(*words, *axes.labels)
        self.play(LaggedStart(*(FadeIn(w) for w in [*words, *axes.labels]), lag_ratio=0.02), run_time=1.5)
        self.axes = axes
        cue(self, 1)  # "Here are 43 word tokens …": the labelled words, one after another
        self.play(LaggedStart(*(Indicate(w, color=style.NEXT_SLOT, scale_factor=1.15) for w in words), lag_ratio=0.3),
                  run_time=max(1.5, said_by(self, 1, 1.5) - 0.5))  # fmt: skip
        cue(self, 2)  # "Each axis says how much of their spread it shows."
        self.play(LaggedStart(*(Indicate(a, color=style.TEXT) for a in axes.labels), lag_ratio=0.6), run_time=2.0)

    def resting_angle(self, texts: list) -> float:
        """The camera's first resting angle, where every word is labelled: of a few angles about START, the one
        where fewest labels find no room beside their points (the nearest to START of those)."""
        for text in texts:
            self.prepare(text)
        self.arrival.set_value(1.0)
        hidden = {}
        for k in (0, 1, -1, 2, -2, 3, -3, 4, -4):
            theta = self.START + k * 20 * DEGREES
            self.place_labels(texts, theta)
            hidden[theta] = sum(not text.placed for text in texts)
        self.arrival.set_value(0.0)
        for text in texts:
            text.slot = None
            text.leader.set_stroke(opacity=0)
        return min(hidden, key=hidden.get)  # (the first of the fewest: the nearest to START)

    SPACING = 1.0  # the opening labels only words at least this far apart on screen: never a crowd

    def opening_words(self, theta: float) -> list:
        """The words labelled at the opening rest: the ones the scene speaks of first, then any other, each kept
        only if its point lies SPACING clear of every word kept before it, where the camera rests."""
        geo = self.geo
        ex = geo.get("example") or {}
        named = [*self.ANCHORS, ex.get("a"), ex.get("b"), *(w for d in geo["dots"] for w in (d["a"], d["b"])),
                 *(n["word"] for n in geo["plural"].get("numbers", []))]  # fmt: skip
        words = geo["pca_words"]
        order = [w for w in dict.fromkeys(named) if w in words]
        order += [w for w in words if w not in order]
        seen = self.orbit.project_all(self.coords, theta)
        kept = []
        for w in order:
            p = seen[words.index(w)]
            if all(np.linalg.norm(p - seen[words.index(k)]) >= self.SPACING for k in kept):
                kept.append(w)
        return [self.named[w] for w in words if w in kept]

    def word_dots(self) -> VGroup:
        """The words' points, placed where the camera sees them (nearer ones larger); a word the camera moved out
        of the view fades at its edge."""
        toward = self.orbit.axes()[2]
        n = len(self.coords)
        lag = np.linspace(0, 0.6, n)

        def positions() -> np.ndarray:  # (n, 3)
            p = np.clip((self.arrival.get_value() - lag) / 0.4, 0, 1)
            p = p * p * (3 - 2 * p)  # smooth
            return self.coords + (1 - p)[:, None] * 7.0 * toward

        self.positions = positions
        self.position = lambda j: positions()[j]
        dots = VGroup(*(Dot(radius=0.06, color=style.MUTED) for _ in range(n)))

        def move_dots(group):
            points = positions()
            seen = self.orbit.project_all(points)
            near = self.orbit.FOCAL / (self.orbit.FOCAL - (points - self.orbit.zoom()[0]) @ self.orbit.axes()[2])
            left, right, bottom, top = self.view_box()
            outside = np.maximum.reduce([left - seen[:, 0], seen[:, 0] - right, bottom - seen[:, 1], seen[:, 1] - top])
            for j, dot in enumerate(group):
                dot.move_to([*seen[j], 0]).set(width=0.12 * min(near[j], 3.0))
                dot.set_opacity(float(np.clip(1 - outside[j] / 0.3, 0, 1)))

        dots.add_updater(move_dots)
        move_dots(dots)
        return dots

    def draw_axes(self) -> VGroup:
        """Three axes through the words' mean, each labelled with its share of the words' variance."""
        length = self.RADIUS * 1.1

        def ends(i: int, theta: float | None = None) -> tuple[np.ndarray, np.ndarray]:
            """Axis i's part inside the view (all of it, unless the camera has moved in)."""
            a, b = self.orbit.project_all(np.array([-length, length])[:, None] * np.eye(3)[i], theta)
            left, right, bottom, top = self.view_box()
            t0, t1 = clip_to_box(a, b, (left - 0.1, right + 0.1, bottom - 0.1, top + 0.1))
            t1 = max(t1, t0 + 1e-3)
            return a + (b - a) * t0, a + (b - a) * t1

        def draw():
            return VGroup(*(Arrow([*a, 0], [*b, 0], buff=0, stroke_width=2, color=style.MUTED, tip_length=0.16,
                                  max_tip_length_to_length_ratio=0.1)
                            for a, b in (ends(i) for i in range(3))))  # fmt: skip

        axes = always_redraw(draw)
        self.view.append(axes)
        self.segments += [lambda theta, i=i: ends(i, theta) for i in range(3)]
        axes.labels = []
        for i in range(3):
            text = sentence(f"axis {i + 1} · {{p}}", size=SMALLEST, color=style.MUTED, static=True,
                            p=(self.G.pca_explained[i], "percent"))  # fmt: skip
            text.anchor = lambda i=i: length * np.eye(3)[i]
            text.screen = lambda theta, i=i: ends(i, theta)[1]  # at the tip the viewer sees
            text.apart = 0.2  # (kept clear of the words and arrows' names: "queen − king" over "PC 2" read as one)
            text.own_line = True  # (hidden rather than drawn across a line, its own axis where the view cuts it)
            axes.labels.append(text)
        return axes

    def word_label(self, word: str, color=style.TEXT, size: float = LABEL) -> Text:
        """A word's one label: a word already labelled keeps its label (recoloured and resized, if asked)."""
        old = self.named.get(word)
        if old is not None and old in self.labels:
            if abs(old.font_size - size) > 0.5:
                old.scale(size / old.font_size)
                old.half_size = (old.width / 2, old.height / 2)
            old[1:-1].set_fill(color)
            return old
        j = self.geo["pca_words"].index(word)
        text = sentence("{w}", size=size, color=color, w=(self.G.pca_words[j], "text"))
        text.anchor = lambda j=j: self.position(j)
        self.named[word] = text
        return text

    def add_labels(self, *texts) -> None:
        texts = [t for t in texts if t not in self.labels]
        for text in texts:
            self.prepare(text)
            self.labels.append(text)
        self.new_label_set()
        self.drawn.append(VGroup(*texts))
        self.place_labels()  # (where they enter: an entrance animates towards where they are now)

    def prepare(self, text) -> None:
        """A label made ready to place: outlined, its size kept, a thin line to its point when further off."""
        text[1:-1].set_stroke(style.BACKGROUND, width=5, background=True)  # legible over dots and arrows
        text.half_size = (text.width / 2, text.height / 2)
        if not hasattr(text, "leader"):
            text.leader = Line(ORIGIN, RIGHT, color=style.MUTED, stroke_width=1.2).set_stroke(opacity=0)
            self.placer.add(text.leader)

    def drop_labels(self, *texts) -> None:
        for text in texts:
            if text in self.labels:
                self.labels.remove(text)
                text.leader.set_stroke(opacity=0)
        self.new_label_set()

    def new_label_set(self) -> None:
        """The labels shown from now on, with the views (angle, slide, zoom) they are placed at, for the tests."""
        self.label_sets.append({"labels": list(self.labels), "views": set()})

    def keep_labels(self, words: list[str]) -> list:
        """Animations taking away every word label but those of `words` (and the axes' labels, arrows' names)."""
        gone = [self.named[w] for w in self.named if w not in words and self.named[w] in self.labels]
        self.drop_labels(*gone)
        return [FadeOut(VGroup(*gone))] if gone else []

    @property
    def aside(self) -> float:
        """The view's centre when it has slid aside for the panel: between the frame's left and the panel."""
        return (self.PANEL_LEFT - 0.2 - self.HALF_WIDTH) / 2

    def view_box(self) -> tuple[float, float, float, float]:
        """Where the view's words and labels stay: left, right, bottom, top (its right edge moves to the panel's
        left as the view slides aside)."""
        s = float(np.clip(self.orbit.x.get_value() / self.aside, 0, 1))
        return -self.HALF_WIDTH, self.HALF_WIDTH + s * (self.PANEL_LEFT - 0.2 - self.HALF_WIDTH), self.BOTTOM, self.TOP

    # Where a label may sit about its anchor, in order of preference: above, beside, below, at the corners;
    # then the same, a little further off. (dx, dy): the side of the anchor its box is on.
    SLOTS = np.array([(0, 1), (1, 0), (-1, 0), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1)], dtype=float)
    RINGS = np.array([0.0, 0.2, 0.45, 0.8])  # how much further off than next to the anchor the slots lie
    LEADER = 0.3  # a label further off than this has a line to its point
    GAP = 0.05  # between a label's box and its anchor, a point or a line
    ATTACHED = 0.3  # a label's box is never further than this from its point, or has a line to it (the tests)

    def place_labels(self, labels=None, theta: float | None = None) -> None:
        """Each label beside where the camera sees its anchor, inside the view: at the first of the SLOTS
        that covers no point, line or arrow (or the one covering fewest), never on a label placed before it.
        A label keeps its slot while it stays clear, so labels do not flicker as the camera turns. A label
        is never moved away from its anchor: one with no free slot next to it is hidden until one frees.
        (Boxes as plain numbers, all slots at once: this runs every frame the view moves.)"""
        if labels is None and self.label_sets:
            self.label_sets[-1]["views"].add(self.view_state())
        left, right, bottom, top = self.view_box()
        points = self.orbit.project_all(self.positions(), theta) if len(self.coords) else np.zeros((0, 2))
        inside = (points[:, 0] > left) & (points[:, 0] < right) & (points[:, 1] > bottom) & (points[:, 1] < top)
        points = points[inside]
        ends = [segment(theta) for segment in self.segments]
        seg_a = np.array([e[0] for e in ends]).reshape(-1, 2)
        seg_b = np.array([e[1] for e in ends]).reshape(-1, 2)
        rings = np.repeat(self.RINGS, len(self.SLOTS))
        slots = np.tile(self.SLOTS, (len(self.RINGS), 1))
        further = rings[:, None] * slots / np.linalg.norm(slots, axis=1)[:, None]
        placed = []  # (x, y, half width, half height)
        texts = self.labels if labels is None else labels
        anchors = np.array([t.screen(theta) if getattr(t, "screen", None) else self.orbit.project(t.anchor(), theta)[:2]
                            for t in texts]).reshape(-1, 2)  # fmt: skip
        crowd = (np.linalg.norm(anchors[:, None] - anchors[None], axis=2) < 0.9).sum(axis=1)
        for i in np.argsort(-crowd, kind="stable"):  # the most crowded first, while the room is there
            text, anchor = texts[i], anchors[i]
            w, h = text.half_size
            xy = anchor + slots * (np.array([w, h]) + self.GAP) + further
            cost = np.arange(len(slots)) * 0.01 + getattr(text, "tether", 2) * rings  # the nearer the better
            out = (xy[:, 0] - w < left) | (xy[:, 0] + w > right) | (xy[:, 1] - h < bottom) | (xy[:, 1] + h > top)
            cost[out] = np.inf
            boxes = np.stack([xy[:, 0] - w, xy[:, 0] + w, xy[:, 1] - h, xy[:, 1] + h], axis=1)
            cost += self.covering(boxes, points, seg_a, seg_b)
            if getattr(text, "own_line", False):  # (an axis's name never drawn through a line)
                cost[self.covering(boxes, points, seg_a, seg_b) > 0] = np.inf  # (nor over a word's point)
            apart = getattr(text, "apart", 0.02)  # (numbers at nearby feet keep a clear line between them)
            if placed:
                other = np.array(placed)
                gap = np.maximum(apart, other[None, :, 4])  # (the wider of the two labels' gaps)
                meets = (np.abs(xy[:, None, 0] - other[None, :, 0]) < w + other[None, :, 2] + 0.1 + gap - 0.02) & (
                    np.abs(xy[:, None, 1] - other[None, :, 1]) < h + other[None, :, 3] + gap
                )  # (a word apart sideways: "one" and "−0.45" beside it must not read as "one −0.45")
                cost[meets.any(axis=1)] = np.inf
            last = getattr(text, "slot", None)
            if last is not None and np.isfinite(cost[last]):
                cost[last] -= 0.5  # keep the slot unless another is clearly better (a ring nearer, or clear)
            k = int(np.argmin(cost))
            text.placed = bool(np.isfinite(cost[k]))
            text.slot = k if text.placed else None
            x, y = xy[k] if text.placed else anchor + np.array([0.0, h + self.GAP])
            if text.placed:
                placed.append((float(x), float(y), w, h, apart))
            text.move_to([x, y, 0])
            text[1:-1].set_opacity(1.0 if text.placed else 0.0)
            self.lead(text, anchor, rings[k] > self.LEADER and text.placed)

    def lead(self, text, anchor: np.ndarray, shown: bool) -> None:
        """A label's line from its point to the nearest point of its box (when `shown`)."""
        if not hasattr(text, "leader"):
            return
        if not shown:
            text.leader.set_stroke(opacity=0)
            return
        w, h = text.half_size
        c = text.get_center()[:2]
        end = np.clip(anchor, c - [w, h], c + [w, h])
        d = end - anchor
        n = np.linalg.norm(d) or 1.0
        a, b = anchor + d / n * 0.08, end - d / n * 0.03
        text.leader.put_start_and_end_on([*a, 0], [*b, 0]).set_stroke(opacity=0.7)

    @staticmethod
    def covering(boxes: np.ndarray, points: np.ndarray, seg_a: np.ndarray, seg_b: np.ndarray) -> np.ndarray:
        """How much each box (n, 4) covers of the words' points and of the lines (a cost for placing a label)."""
        cost = np.zeros(len(boxes))
        if len(points):
            pad = 0.04
            covered = (
                (points[None, :, 0] > boxes[:, None, 0] - pad)
                & (points[None, :, 0] < boxes[:, None, 1] + pad)
                & (points[None, :, 1] > boxes[:, None, 2] - pad)
                & (points[None, :, 1] < boxes[:, None, 3] + pad)
            )
            cost += covered.sum(axis=1)
        if len(seg_a):
            cost += 1.5 * segments_meet_boxes(seg_a, seg_b, boxes).sum(axis=1)
        return cost

    def view_state(self) -> tuple[float, float, float]:
        return (round(self.orbit.theta.get_value(), 4), round(self.orbit.x.get_value(), 4),
                round(self.orbit.near.get_value(), 4))  # fmt: skip

    def turn(self, by: float) -> Animation:
        """The camera turning by `by` radians (while something else moves: it rests otherwise)."""
        return self.orbit.theta.animate.increment_value(by)

    def flat_arrow(self, start, end, grown: ValueTracker, color=style.VALUE, width: float = 6, tip: bool = True):
        """An arrow (a line, without `tip`) between two 3-D points, drawn flat where the camera sees them."""

        def ends(theta: float | None = None) -> tuple[np.ndarray, np.ndarray]:
            a, b = self.orbit.project_all(np.array([start(), end()]), theta)
            return a, a + (b - a) * grown.get_value()

        def draw():
            a, b = ends()
            if not tip:
                return Line([*a, 0], [*b, 0], color=color, stroke_width=width)
            return Arrow([*a, 0], [*b, 0], buff=0.08, color=color, stroke_width=width, tip_length=0.24,
                         max_tip_length_to_length_ratio=0.4)  # fmt: skip

        self.segments.append(ends)  # (labels keep off it)
        arrow = always_redraw(draw)
        arrow.ends = ends
        self.view.append(arrow)
        return arrow

    def unflat(self, *arrows) -> None:
        """Arrows or lines of the view taken out of it (frozen, to fade or to vanish)."""
        for arrow in arrows:
            arrow.clear_updaters()
            if arrow.ends in self.segments:
                self.segments.remove(arrow.ends)
            if arrow in self.view:
                self.view.remove(arrow)

    def show_panel(self, lines: VGroup, sources: list | None = None, leaving=()) -> None:
        """The right panel's new content, the old one leaving. `sources[i]`, if given, is a mobject that
        becomes line i (a number at its place in the picture moves into the panel); `leaving`: labels placed
        in the picture until then."""
        for line in lines:  # (each line fitted alone: a long title never shrinks the list under it)
            self.fit_width(line, config.frame_width / 2 - self.PANEL_LEFT - style.FRAME_MARGIN)
        lines.arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        lines.move_to([0, (self.BOTTOM + self.TOP) / 2, 0]).align_to([self.PANEL_LEFT, 0, 0], LEFT)
        sources = (sources or []) + [None] * len(lines)
        anims = [FadeOut(self.panel)] if len(self.panel) else []
        if self.orbit.x.get_value() > self.aside:
            self.play(self.orbit.x.animate.set_value(self.aside), run_time=1.0)
        moving = [src.copy() if src is not None else None for src in sources]
        anims += [ReplacementTransform(src, line) if src is not None else FadeIn(line)
                  for line, src in zip(lines, moving)]  # fmt: skip
        if leaving:
            if len(self.panel):
                self.hold()  # (the old panel's fade waits for the beat's words: the labels are placed till then)
            self.drop_labels(*leaving)  # no longer placed: they move into the panel
        self.remove(*leaving)  # (their copies move instead: the labels keep their shapes for the tests)
        self.play(*anims, run_time=1.2)
        self.panel = lines
        self.drawn.append(lines)

    def clearing(self) -> list:
        """The right panel and the statement under the heading leaving: for a beat's first animation, so that a
        beat's new picture comes while it is said (what leaves later in a beat waits for its words)."""
        old = [m for m in (self.panel, getattr(self, "top_statement", None)) if m is not None and len(m)]
        self.panel, self.top_statement = VGroup(), None
        back = [FadeIn(self.heading)] if getattr(self, "heading_away", False) else []
        self.heading_away = False
        return [FadeOut(m) for m in old] + back

    def show_statement(self, stmt) -> None:
        """A statement of the beat under the heading, replacing the previous one."""
        new = self.fit_width(statement(stmt, size=CAPTION, color=style.TEXT)).next_to(self.heading, DOWN, buff=0.1)
        old = getattr(self, "top_statement", None)
        self.play(*([FadeOut(old)] if old else []), FadeIn(new), run_time=0.6)
        self.top_statement = new
        self.drawn.append(new)

    def move_in(self, words: list[str], *also) -> None:
        """The camera moves in on some words (and on where the analogy's sum lands, if it is in the view) until
        they fill the view, turning a little: the arrows between them become long enough to compare."""
        points = [self.point(w) for w in words if w in self.geo["pca_words"]]
        analogy = self.geo["analogies"][0]["words"] if self.geo["analogies"] else []
        if len(analogy) >= 3 and all(w in self.geo["pca_words"] for w in analogy[:3]):
            man, king, woman = (self.point(w) for w in analogy[:3])
            points.append(king - man + woman)
        focus = np.mean(points, axis=0)
        spread = max(float(np.linalg.norm(p - focus)) for p in points)
        self.orbit.focus = focus
        self.orbit.reach = float(np.clip(self.CLOSE_UP / (spread or 1.0), 1.0, 6.0))
        self.play(self.orbit.near.animate.set_value(1.0), self.turn(0.3), *also, run_time=2.0)

    def here(self, word: str) -> np.ndarray:
        """Where the camera sees a word now."""
        return self.orbit.project(self.point(word))

    # -- the beats --------------------------------------------------------------------------------------

    def flat_pair(self, panel_left: float) -> VGroup:
        """The worked pair as two long arrows from one origin, in the flat plane the two vectors span, at the angle
        their cosine gives, over a cover that hides the 3-D view (whose PCA angles are not the true ones): the
        cosine seen as an angle. Parts: cover, a's arrow, b's arrow, their names, the arc, the angle."""
        ex, read = self.geo["example"], self.G.example
        theta = float(np.arccos(np.clip(ex["cosine"], -1, 1)))
        left, right = -config.frame_width / 2 + style.FRAME_MARGIN, panel_left - 0.3
        bottom, top = self.BOTTOM, self.heading.get_bottom()[1] - 0.15
        edge = -config.frame_width / 2 - 0.1, config.frame_width / 2 + 0.1  # (all the view: its axes' tips, names)
        cover = Rectangle(width=edge[1] - edge[0], height=top - bottom + 0.3, fill_color=style.BACKGROUND,
                          fill_opacity=1, stroke_width=0).move_to([sum(edge) / 2, (top + bottom) / 2, 0])  # fmt: skip
        xs = [0.0, 1.0, float(np.cos(theta))]
        room = right - left - 1.6  # (the first name sits right of its tip)
        length = min(room / (max(xs) - min(xs)), (top - bottom - 1.4) / max(float(np.sin(theta)), 0.2), 6.5)
        o = np.array([left + 0.2 + (room - length * (max(xs) - min(xs))) / 2 - length * min(xs), bottom + 0.85, 0])
        # (0.85 up: room under the first arrow for the shadow's name, clear of the caption)
        tips = [o + length * RIGHT, o + length * np.array([np.cos(theta), np.sin(theta), 0.0])]
        arrows = [Arrow(o, tip, buff=0, color=c, stroke_width=9, tip_length=0.35, max_tip_length_to_length_ratio=0.1)
                  for tip, c in zip(tips, (style.VALUE, style.KEY))]  # fmt: skip
        names = [sentence("{w}", size=TOKEN + 8, color=style.VALUE, w=(read.a, "text")).next_to(tips[0], RIGHT),
                 sentence("{w}", size=TOKEN + 8, color=style.KEY, w=(read.b, "text")).next_to(tips[1], UP)]  # fmt: skip
        arc = Arc(
            radius=1.4, start_angle=0, angle=max(theta, 1e-3), arc_center=o, color=style.NEXT_SLOT, stroke_width=5
        )
        angle = number(read.cosine, fmt="angle", size=TOKEN + 6, color=style.NEXT_SLOT, font=style.FONT)
        angle.move_to(o + 2.0 * np.array([np.cos(theta / 2), np.sin(theta / 2), 0.0]))
        return VGroup(cover, *arrows, *names, arc, angle)

    def shadow(self, flat: VGroup, read) -> VGroup:
        """The second arrow's shadow on the first (drawn at the same length: its length is their cosine), the line
        it drops along, and "cos" with the value under it. Its `cast` tracker lets it fall from the tip."""
        _, first, second = flat[:3]
        o, cast = first.get_start(), ValueTracker(0.0)
        shadow_end = lambda: np.array([second.get_end()[0], o[1], 0.0])  # noqa: E731
        foot = lambda: second.get_end() + cast.get_value() * (shadow_end() - second.get_end())  # noqa: E731
        line = always_redraw(lambda: Line(o, shadow_end() + 1e-3 * RIGHT, color=style.NEXT_SLOT, stroke_width=14)
                             .set_stroke(opacity=cast.get_value()))  # fmt: skip
        drop = always_redraw(lambda: DashedLine(second.get_end(), foot() + 1e-3 * DOWN, color=style.NEXT_SLOT,
                                                stroke_width=3, dash_length=0.1))  # fmt: skip
        name = sentence("cos {c}", size=TOKEN + 6, color=style.NEXT_SLOT, c=(read.cosine, "value"))
        name.next_to((o + shadow_end()) / 2, DOWN, buff=0.15)
        group = VGroup(line, drop, name)
        group.cast = cast
        return group

    def swing(self, flat: VGroup, cosine, *hide) -> None:
        """The second arrow of the flat pair swings onto the first and back: a cosine of one, the same direction."""
        from manim import Rotate, there_and_back  # (here: the file's shared imports stay as they are)

        _, first, second, _, _, arc, angle = flat
        turn = -float(np.arccos(np.clip(self.geo["example"]["cosine"], -1, 1)))
        self.play(Indicate(cosine, color=style.NEXT_SLOT, scale_factor=1.1), FadeOut(VGroup(arc, angle, *hide)),
                  run_time=0.6, now=True)  # fmt: skip
        self.play(Rotate(second, turn, about_point=first.get_start(), rate_func=there_and_back), run_time=2.0)
        self.play(FadeIn(VGroup(arc, angle, *hide)), run_time=0.5)

    def payoff(self, read, size: float, big_label: float, y: float) -> tuple[VGroup, VGroup]:
        """The worked pair's sum of all products, and that sum over both lengths: the cosine, each on two lines
        in large type, under the products' rows (y their ⋮)."""
        total = VGroup(sentence("sum of all {d} products", size=big_label, d=(read.d, "int")),
                       sentence("= {v}", size=size + 6, v=(read.dot, "value"))).arrange(DOWN, aligned_edge=LEFT, buff=0.08)  # fmt: skip
        divide = label("÷", size=1.6 * big_label, color=style.NEXT_SLOT)  # large: at text size it reads as "+"
        per = VGroup(divide, label("both lengths", size=big_label, color=style.NEXT_SLOT)).arrange(RIGHT, buff=0.12)
        cosine = VGroup(per, sentence("= cosine {c}", size=size + 6, color=style.NEXT_SLOT, c=(read.cosine, "value")))
        cosine.arrange(DOWN, aligned_edge=LEFT, buff=0.08)
        room = config.frame_width / 2 - self.PANEL_LEFT - style.FRAME_MARGIN
        for line in (total, cosine):
            self.fit_width(line, room)
        total.move_to([0, y - 0.45, 0], aligned_edge=UP).align_to([self.PANEL_LEFT, 0, 0], LEFT)
        cosine.next_to(total, DOWN, buff=0.2).align_to(total, LEFT)
        return total, cosine

    def entries(self):
        """A dot product worked out with real entries, before any nearness is named: a word and its nearest
        pictured neighbour, the entries whose products weigh most multiplied, all of them added up, and the sum
        divided by the two lengths: the cosine."""
        ex = self.geo.get("example")
        if not ex or not len(self.coords):
            return
        read = self.G.example
        right = config.frame_width / 2 - style.FRAME_MARGIN
        size, big_label = NUMBER + 4, LABEL + 4  # (this panel alone on its side: its type a size up)
        rows = []
        order = sorted(range(len(ex["dims"])), key=lambda i: -abs(ex["products"][i]))  # (largest first, as said)
        for r, i in enumerate(order):  # a's entry × b's entry = their product, right-aligned to the frame
            row = VGroup(
                number(read.a_entries[i], fmt="value3", size=size, color=style.VALUE),
                label("×", size=size, color=style.MUTED),
                number(read.b_entries[i], fmt="value3", size=size, color=style.KEY),
                label("=", size=size, color=style.MUTED),
                number(read.products[i], fmt="value3", size=size, color=style.NEXT_SLOT),
            ).arrange(RIGHT, buff=0.14)
            rows.append(row.move_to([0, 1.35 - 0.5 * r, 0]).align_to([right, 0, 0], RIGHT))
        head = VGroup(
            sentence("{w}", size=big_label, color=style.VALUE, w=(read.a, "text")),
            sentence("{w}", size=big_label, color=style.KEY, w=(read.b, "text")),
            label("product", size=big_label, color=style.MUTED),
        )
        for h, k in zip(head, (0, 2, 4)):
            h.move_to([rows[0][k].get_center()[0], 1.9, 0])
        head[2].align_to(rows[0][4], RIGHT)
        y = 1.35 - 0.5 * len(rows)
        more = VGroup(*(label("⋮", size=size, color=style.MUTED).move_to([rows[0][k].get_center()[0], y, 0])
                        for k in (0, 2, 4)))  # fmt: skip
        total, cosine = self.payoff(read, size, big_label, y)
        d = self.trace.meta["d_model"]

        def said(v: float) -> str:  # as the screen rounds it (“+0.31” said “0.31”)
            return ("minus " if v < 0 else "") + f"{abs(v):.2f}"

        self.beat(
            "Dot product",
            "How near two words lie: multiply their vectors entry by entry, add up, divide by their lengths.",
            say=f"How near do two words lie? Take “{ex['a']}” and “{ex['b']}”. Multiply their vectors entry by "
            f"entry: here are {in_words(len(rows))} of the {d} products, the largest first. Add up all {d}: that is their "
            f"dot product, {said(ex['dot'])}. Divided by the two vectors' lengths, it becomes their cosine, "
            f"{said(ex['cosine'])}: it stands for the angle between them. Drawn at the same length, "
            f"“{ex['b']}” casts a shadow on “{ex['a']}”: the cosine is that shadow's length. One would mean the very "
            "same direction.",
        )
        pair = [self.word_label(w, color=c) for w, c in ((ex["a"], style.VALUE), (ex["b"], style.KEY))]
        self.play(*self.keep_labels([ex["a"], ex["b"]]), self.orbit.x.animate.set_value(self.aside),
                  FadeIn(head[:2]), run_time=1.2)  # fmt: skip
        flat = self.flat_pair(min(m.get_left()[0] for m in (*rows, total, cosine, *head)))
        cover, a_arrow, b_arrow, a_name, b_name, arc, angle = self.flat = flat
        cue(self, 1)  # the two words leave the 3-D view and become two long arrows from one origin
        for m in (*head[:2], a_name, b_name):
            m.set_z_index(1)  # (over the cover, which hides the whole view)
        self.heading_away = True  # (the 3-D view's header leaves with it; the next beat's clearing brings it back)
        self.play(FadeIn(cover), FadeOut(self.heading), Create(a_arrow), Create(b_arrow), TransformFromCopy(pair[0], a_name),
                  TransformFromCopy(pair[1], b_name), run_time=1.2, now=True)  # (as it is said)  # fmt: skip
        cue(self, 2)  # the entries, row by row, each pair's product from its two factors
        self.play(LaggedStart(*(FadeIn(VGroup(r[0], r[1], r[2]), shift=0.1 * LEFT) for r in rows), lag_ratio=0.3),
                  run_time=1.2)  # fmt: skip
        self.play(FadeIn(head[2]), LaggedStart(*(AnimationGroup(FadeIn(r[3]), TransformFromCopy(VGroup(r[0], r[2]), r[4]))
                                for r in rows), lag_ratio=0.4), FadeIn(more), run_time=min(said_by(self, 2, 2.0), 3.0))  # fmt: skip
        cue(self, 3)  # all of them added up: the products fall into the sum
        self.play(TransformFromCopy(VGroup(*(r[4] for r in rows)), total), run_time=1.2)
        cue(self, 4)  # the cosine, and the angle between the arrows it stands for
        self.play(TransformFromCopy(total, cosine), run_time=1.5)
        self.play(Create(arc), FadeIn(angle, scale=0.8), run_time=max(1.0, said_by(self, 4, 1.0) - 0.5))  # (as said)
        cue(self, 5)  # b's shadow on a: the cosine seen as a length
        shadow = self.shadow_parts = self.shadow(flat, read)
        self.add(shadow[1], shadow[0])
        self.play(shadow.cast.animate.set_value(1.0), run_time=1.2)
        self.play(FadeIn(shadow[2], shift=0.2 * UP), Indicate(cosine[1], color=style.NEXT_SLOT), run_time=0.8)
        cue(self, 6)  # "One would mean the very same direction": the second arrow swings onto the first and back
        self.swing(flat, cosine, shadow[2])
        self.panel = VGroup(head, *rows, more, total, cosine, flat, shadow)
        self.drawn.append(self.panel)

    def neighbours(self):
        geo = self.geo
        word = next((w for w in geo["neighbours"] if w in geo["pca_words"]), None)
        if word is None or not len(self.coords):
            return
        near = self.G.neighbours[word]
        top = [n["word"] for n in geo["neighbours"][word][:5]]
        pictured = [w for w in top if w in geo["pca_words"] and w != word]
        named = self.G.pca_words[geo["pca_words"].index(word)]
        meta = self.trace.fields.meta
        title = sentence("nearest to “{w}” of {v} tokens", w=(named, "text"), v=(meta.vocab_size, "comma"))
        sub = sentence("cosine, in all {d} dimensions", color=style.MUTED, d=(meta.d_model, "int"))
        rows = [
            sentence(f"{j + 1}. {{w}}  {{c}}", static=True, color=style.VALUE if near[j].word.value in pictured
                     else style.TEXT, w=(near[j].word, "text"), c=(near[j].cosine, "value"))
            for j in range(min(5, len(near)))
        ]  # fmt: skip
        self.beat(
            "Neighbours",
            "The words nearest to “{w}” by cosine, over the whole vocabulary.",
            w=(named, "text"),
            say=f"Words that mean similar things lie near each other. Which tokens lie nearest to “{word}”? "
            f"Nearness here is that cosine, the angle between two vectors in all {self.trace.meta['d_model']} "
            "dimensions.",
        )
        center = self.word_label(word, color=style.NEXT_SLOT)
        texts = [self.word_label(w, color=style.VALUE) for w in pictured]
        lines = [self.flat_arrow(lambda: self.point(word), lambda w=w: self.point(w), ValueTracker(1.0),
                                 color=style.VALUE, width=3, tip=False) for w in pictured]  # fmt: skip
        self.play(*self.keep_labels([word, *pictured]), *(Create(line) for line in lines), *self.clearing(),
                  run_time=1.2)  # (the worked dot product leaves as the neighbours come)  # fmt: skip
        self.show_panel(VGroup(title, sub, *rows), sources=[None, None] + [center.copy() for _ in rows])
        cue(self, 2)  # "Nearness here is the angle …, measured by its cosine."
        self.play(LaggedStart(*(Indicate(m, color=style.TEXT, scale_factor=1.1) for m in (sub, *rows)), lag_ratio=0.3),
                  run_time=2.0)  # fmt: skip
        self.neighbour_lines = lines
        self.add_labels(*texts)

    def gender_arrows(self):
        if not len(self.coords):
            return
        words = self.geo["pca_words"]
        found = statements(self.trace)
        pairs = [(a, b) for a, b in (("man", "woman"), ("king", "queen")) if a in words and b in words]
        if "geometry.gender.directions" not in found or len(pairs) < 2:
            self.beat(
                "Directions",
                "Directions can carry meaning; this vocabulary lacks the words to test one.",
                say="Directions between words can carry meaning, but this vocabulary lacks the words to test one.",
            )
            return
        words_of = self.geo["analogies"][0]["words"]  # man, king, woman, queen
        self.beat(
            "Directions",
            "Directions between words can carry meaning: woman − man beside queen − king.",
            say="Directions can carry meaning too. Let us move in, and draw an arrow from “man” to “woman”, and "
            "one from “king” to “queen”.",
        )
        lines = getattr(self, "neighbour_lines", [])
        self.unflat(*lines)
        texts = [self.word_label(w) for w in words_of]
        self.add_labels(*texts)
        self.move_in(words_of, *self.clearing(), *self.keep_labels(words_of), *(FadeOut(m) for m in lines),
                     *(FadeIn(t) for t in texts))  # fmt: skip
        grown = ValueTracker(0.05)
        names = []
        for (a, b), color in zip(pairs, (style.VALUE, style.KEY)):
            i, k = words_of.index(a), words_of.index(b)
            self.add(self.flat_arrow(lambda a=a: self.point(a), lambda b=b: self.point(b), grown, color=color))
            name = sentence(
                "{b} − {a}",
                color=color,
                b=(self.G.analogies[0].words[k], "text"),
                a=(self.G.analogies[0].words[i], "text"),
            )  # fmt: skip  (checked in this order)
            name.anchor = lambda a=a, b=b: (self.point(a) + self.point(b)) / 2
            name.tether = 5  # (beside its arrow even over an axis, rather than off by the other words)
            names.append(name)
        self.play(grown.animate.set_value(1.0), run_time=1.5)
        self.add_labels(*names)
        self.play(FadeIn(VGroup(*names)), run_time=0.6)
        self.gender_names = names
        self.beat(
            "Side by side",
            "woman − man and queen − king: {c}.",
            c=claim(found["geometry.gender.directions"]),
            say=f"Slide one arrow onto the other to compare them. {aloud(found['geometry.gender.directions'].text)} "
            f"{aloud(found['geometry.gender.picture'].text)}",
        )
        self.side_by_side(*pairs, names[1], FadeOut(self.heading))  # (the header below takes its place)
        self.compare_header(found)
        names[1].slot = None  # (it chooses its place anew beside the arrow it goes back to)
        self.play(self.slid.animate.set_value(0.0), run_time=1.0)
        self.unflat(self.slide_copy)
        self.remove(self.slide_copy)  # (back on the arrow it copies: it leaves unseen)

    def compare_header(self, found) -> None:
        """In the heading's place, each as it is said: the two arrows' cosine in all dimensions (large), then the
        same arrows' cosine in this 3-D picture under it (muted), then the axes' shares that explain the gap."""
        full = self.fit_width(statement(found["geometry.gender.directions"], size=LABEL + 4, color=style.TEXT))
        full.move_to(self.heading, UP)
        flat = statement(found["geometry.gender.picture"], size=LABEL, color=style.MUTED)
        flat = self.fit_width(flat).next_to(full, DOWN, buff=0.1)
        old = getattr(self, "top_statement", None)
        cue(self, 1)  # "In all 256 dimensions they point partly the same way, cosine +0.37."
        self.play(*([FadeOut(old)] if old else []), FadeIn(full, shift=0.1 * DOWN), run_time=0.6, now=True)
        self.play(
            Indicate(full, color=style.NEXT_SLOT, scale_factor=1.04), run_time=max(1.0, said_by(self, 1, 1.0) - 0.4)
        )
        self.heading_away = True
        cue(self, 2)  # "In this 3-D picture, cosine +0.93."
        self.play(FadeIn(flat, shift=0.1 * DOWN), run_time=0.6)
        self.top_statement = VGroup(full, flat)
        self.drawn += [full, flat]
        cue(self, 3)  # "Its 3 axes hold 30.1% of the words' variance.": the axes' shares, one after another
        self.play(LaggedStart(*(Indicate(a, color=style.TEXT) for a in self.axes.labels), lag_ratio=0.5),
                  run_time=max(1.2, said_by(self, 3, 1.2) - 1.0))  # fmt: skip

    def side_by_side(self, first: tuple[str, str], second: tuple[str, str], name, *also) -> None:
        """A copy of the second arrow slides, with its name, to start where the first starts: the two from one
        point (then back: `slid`)."""
        (a, _), (c, d) = first, second
        self.slid = slide = ValueTracker(0.0)  # (not `self.slide`: TraceScene counts its slides in that)
        tail = lambda: self.point(c) + slide.get_value() * (self.point(a) - self.point(c))  # noqa: E731
        copy = self.flat_arrow(tail, lambda: tail() + self.point(d) - self.point(c), ValueTracker(1.0), color=style.KEY)
        name.anchor = lambda: tail() + (self.point(d) - self.point(c)) / 2
        self.add(copy)
        self.play(slide.animate.set_value(1.0), *also, run_time=1.5)
        self.slide_copy = copy

    def analogy(self):
        geo = self.geo
        if not geo["analogies"]:
            self.beat(
                "Analogy",
                "This model's vocabulary lacks the words for the analogy.",
                say="This model's vocabulary lacks the words for the classic analogy.",
            )
            return
        a, read = geo["analogies"][0], self.G.analogies[0]
        lines = [sentence("{b} − {a} + {c} ≈", b=(read.words[1], "text"), a=(read.words[0], "text"),
                          c=(read.words[2], "text"))]  # fmt: skip
        for j, near in enumerate(a["nearest"][:5]):
            lines.append(sentence(f"{j + 1}. {{w}}  {{c}}", static=True,
                                  color=style.NEXT_SLOT if near["word"] == a["target"] else style.TEXT,
                                  w=(read.nearest[j].word, "text"), c=(read.nearest[j].cosine, "value")))  # fmt: skip
        found = statements(self.trace)
        for part in ("rank", "rank_with_inputs"):
            lines.append(statement(found[f"geometry.analogies.0.{part}"], size=LABEL, color=style.MUTED))
        in_view = all(w in geo["pca_words"] for w in a["words"])
        self.beat(
            "Analogy",
            "The classic analogy: {e}.",
            e=(read.expression, "text"),
            say=f"Now the classic analogy. Start at “{a['words'][1]}”, subtract “{a['words'][0]}”, and add "
            f"“{a['words'][2]}”."
            + (
                f" The red arrow, {a['words'][2]} minus {a['words'][0]}, moved onto {a['words'][1]}, shows where that lands."
                if in_view
                else ""
            ),
        )
        if in_view:  # the sum drawn in the picture: from king, along woman − man
            man, king, woman = (lambda w=w: self.point(w) for w in a["words"][:3])
            grown = ValueTracker(0.05)
            start = [m for m in self.labels if m is self.named.get(a["words"][1])]
            first = [*self.clearing(), *(Indicate(m, color=style.NEXT_SLOT) for m in start)]
            if first:
                self.play(*first, run_time=1.0)
            cue(self, 1)  # "Start at king, subtract man, and add woman.": the woman − man arrow, moved onto king
            moved = ValueTracker(0.0)
            shift = lambda: moved.get_value() * (king() - man())  # noqa: E731
            self.add(self.flat_arrow(lambda: man() + shift(), lambda: woman() + shift(), grown, color=style.VALUE))
            run = min(said_by(self, 1, 2.0), 3.5)
            self.play(grown.animate.set_value(1.0), run_time=0.4 * run)
            self.play(moved.animate.set_value(1.0), run_time=0.6 * run)
            cue(self, 2)  # "… shows where that lands.": its tip marked, and the target's word
            tip = Dot(radius=0.11, color=style.NEXT_SLOT).add_updater(
                lambda m: m.move_to([*self.orbit.project(woman() + king() - man())[:2], 0])
            )
            tip.ends = None  # (a mark of the view: it leaves with the arrows)
            self.view.append(tip)
            lands = [Indicate(m, color=style.NEXT_SLOT) for m in self.labels if m is self.named.get(a["target"])]
            self.play(GrowFromCenter(tip.update()), *lands, run_time=1.2)
        self.beat(
            "Nearest to the sum",
            "{e}: {v}.",
            e=(read.expression, "text"),
            v=claim(found["geometry.analogies.0.verdict"]),
            say=f"Then search all {big(self.trace.meta['vocab_size'])} tokens, except those three, for the one "
            f"nearest to where it lands. {aloud(found['geometry.analogies.0.verdict'].text)}",
        )
        self.show_panel(VGroup(*lines))
        near = [n["word"] for n in a["nearest"][:5]]
        if a["target"] in near:  # the target's row, and its word in the picture, as the verdict is said
            cue(self, 1)
            marks = [lines[1 + near.index(a["target"])]] + [m for m in self.labels if m is self.named.get(a["target"])]
            self.play(*(Indicate(m, color=style.NEXT_SLOT) for m in marks), run_time=1.5)

    def plural_axis(self) -> tuple[np.ndarray, Callable]:
        """The plural direction in the picture (unit, 3-D), and where a projection value lies along it."""
        plural = self.geo["plural"]
        u = np.asarray(plural["in_view"], dtype=float)
        u = u / (np.linalg.norm(u) or 1.0)
        values = [v for pair in plural["projections"] for v in pair] + [n["projection"] for n in plural["numbers"]]
        lo, hi = min(values), max(values)
        reach = self.RADIUS * 0.95 * getattr(self, "plural_scale", 1.0)

        def along(value: float) -> np.ndarray:
            return u * (-reach + 2 * reach * (value - lo) / ((hi - lo) or 1.0))

        return u, along

    def plural_fit(self, u: np.ndarray) -> float:
        """How much the plural arrow (and its scale of projections) is shortened so that its tips and its name stay
        inside the view, above the caption, while the camera turns on from here."""
        left, right, bottom, top = self.view_box()
        theta, scale = self.orbit.theta.get_value(), 1.0
        for _ in range(30):
            tips = [self.orbit.project(e * scale * self.RADIUS * 1.12 * u, theta + k * 0.1)[:2]
                    for e in (-1, 1) for k in range(4)]  # fmt: skip
            if all(left < x < right and bottom < y < top for x, y in tips):
                break
            scale *= 0.95
        return scale

    def drop(self, words: list[str], values: list[float], paths: list[str]) -> tuple[VGroup, list]:
        """Dashed lines from words' points down onto the plural arrow, where their projections lie; the
        projections written at the feet (to move into the panel)."""
        _, along = self.plural_axis()
        grown = ValueTracker(0.0)
        lines = VGroup()
        numbers = []
        for w, v, path in zip(words, values, paths):

            def draw(w=w, v=v):
                a, b = self.here(w), self.orbit.project(along(v))
                return DashedLine(a, a + (b - a) * max(grown.get_value(), 0.01), dash_length=0.08,
                                  stroke_width=3, color=style.KEY)  # fmt: skip

            def ends(theta=None, w=w, v=v):
                a, b = self.orbit.project_all(np.array([self.point(w), along(v)]), theta)
                return a, a + (b - a) * grown.get_value()

            lines.add(always_redraw(draw))
            lines[-1].ends = ends
            self.segments.append(ends)  # (labels keep off it)
            numbers.append(number(v, path, "value", size=NUMBER, color=style.KEY))
        self.add(lines)
        self.play(grown.animate.set_value(1.0), run_time=1.2)
        for v in values:  # where each lands, marked on the arrow
            lines.add(always_redraw(lambda v=v: Dot(self.orbit.project(along(v)), radius=0.08, color=style.KEY)))
        self.add(lines)
        for n, v in zip(numbers, values):  # at their feet, placed with the labels: clear of them and of each other
            n.anchor = lambda v=v: along(v)
            n.apart = 0.15  # (two feet a hundredth apart must not stack their numbers into one block)
        self.add_labels(*numbers)
        self.place_labels()
        return lines, numbers

    def drop_into_panel(self, words, values, paths, rows, head=(), first=()) -> tuple[list, VGroup]:
        """Words labelled, dropped onto the plural arrow, their projections moving into the panel's rows
        (each row takes the next projections: one, or a singular and its plural). `first`: animations to play
        with the labels' entrance."""
        texts = [self.word_label(w, color=style.KEY) for w in words]
        self.add_labels(*texts)
        self.play(FadeIn(VGroup(*texts)), *first, run_time=0.6)
        lines, numbers = self.drop(words, values, paths)
        self.add(*numbers)
        self.wait(0.5)
        per = len(numbers) // max(len(rows), 1)
        sources = [None] * len(head) + [VGroup(*numbers[per * k : per * (k + 1)]) for k in range(len(rows))]
        self.show_panel(VGroup(*head, *rows), sources=sources, leaving=numbers)
        return texts, lines

    def clear_drops(self, texts: list, lines: VGroup) -> None:
        self.drop_labels(*texts)
        lines.clear_updaters()  # (redrawn, a dashed line changes its dashes: frozen, it can fade)
        for line in lines:
            if getattr(line, "ends", None) in self.segments:  # (the feet's marks have none)
                self.segments.remove(line.ends)
        self.play(FadeOut(lines), FadeOut(VGroup(*texts)), run_time=0.6)

    def fit_pairs(self, grown: ValueTracker, reach: float, u: np.ndarray) -> list:
        """A few of the pairs the direction is found from, each a short arrow from its singular to its plural; the
        arrows slide to the centre, where their average grows into the plural direction. Returns their labels."""
        plural, pictured = self.geo["plural"], self.geo["pca_words"]
        fit = [(a, b) for a, b in plural["pairs"][: plural["n_fit"]] if a in pictured and b in pictured][:4]
        texts = [self.word_label(w, color=style.KEY if k else style.TEXT) for a, b in fit for k, w in enumerate((a, b))]
        slide, short = ValueTracker(0.0), ValueTracker(0.05)
        tail = lambda a: (1 - slide.get_value()) * self.point(a)  # noqa: E731
        arrows = [self.flat_arrow(lambda a=a: tail(a), lambda a=a, b=b: tail(a) + self.point(b) - self.point(a), short,
                                  color=style.KEY, width=4) for a, b in fit]  # fmt: skip
        self.add_labels(*texts)
        self.add(*arrows)
        self.play(FadeIn(VGroup(*texts)), short.animate.set_value(1.0), run_time=min(2.0, said_by(self, 0, 1.5)))
        self.play(slide.animate.set_value(1.0), run_time=1.5)  # the pairs' arrows moved to one common tail
        self.unflat(*arrows)
        self.add(self.flat_arrow(lambda: -reach * u, lambda: reach * u, grown, color=style.KEY, width=7))
        self.play(grown.animate.set_value(1.0), FadeOut(VGroup(*arrows)), run_time=1.2, now=True)  # (their average)
        return texts

    def held_out_pair(self, along: Callable, stmt) -> tuple[list, list]:
        """The first held-out pair (not among the pictured words) marked where it lands on the plural arrow, its
        singular then its plural, a check mark once the test's result is said. Returns its labels and marks."""
        plural, read = self.geo["plural"], self.G.plural
        j = plural["n_fit"]
        feet = [along(plural["projections"][j][k]) for k in (0, 1)]
        marks = [Dot(self.orbit.project(f), radius=0.09, color=c) for f, c in zip(feet, (style.TEXT, style.NEXT_SLOT))]
        for m, f in zip(marks, feet):
            m.add_updater(lambda m, f=f: m.move_to(self.orbit.project(f)))
        texts = [sentence("{w}", size=LABEL, color=c, w=(read.pairs[j][k], "text"))
                 for k, c in ((0, style.TEXT), (1, style.NEXT_SLOT))]  # fmt: skip
        for t, f in zip(texts, feet):
            t.anchor = lambda f=f: f
            t.tether = 1
        self.add_labels(*texts)
        self.play(*(GrowFromCenter(m) for m in marks), FadeIn(VGroup(*texts)), run_time=0.8)
        cue(self, 2)  # the test's result: every held-out plural further along than its singular
        check = label("✓", size=HEADING, color=style.NEXT_SLOT)
        check.anchor = lambda: feet[1]
        self.add_labels(check)
        self.show_statement(stmt)
        self.play(FadeIn(check, scale=1.5), Indicate(texts[1], color=style.NEXT_SLOT), run_time=0.8)
        return [*texts, check], marks

    def plurality(self):
        plural, geo = self.geo["plural"], self.geo
        if not plural["n_held_out"] or "in_view" not in plural:
            self.beat(
                "Plurality",
                "This model's vocabulary has too few singular and plural pairs to test a direction.",
                say="This model's vocabulary has too few singular and plural pairs to test a plural direction.",
            )
            return
        found = statements(self.trace)
        u, along = self.plural_axis()
        grown = ValueTracker(0.05)
        reach = self.RADIUS * 1.05
        name = label("plural direction", color=style.KEY)
        name.anchor = lambda: reach * 1.05 * u
        self.beat(
            "Plurality",
            "A plural direction, found from other pairs: {c}.",
            c=claim(found["geometry.plural"]),
            say=f"A plural direction can be found the same way, from {plural['n_fit']} pairs of singular and plural "
            f"words. Then it is tested on pairs it has not seen. {aloud(found['geometry.plural'].text)}",
        )
        old = [m for m in self.view if m is not self.axes]  # the directions' arrows and the analogy's sum
        self.unflat(*old)
        names = getattr(self, "gender_names", [])
        self.drop_labels(*names)
        self.play(self.orbit.near.animate.set_value(0.0), self.turn(0.3), FadeOut(VGroup(*names, *old)),
                  *self.clearing(), *self.keep_labels([]), run_time=1.5)  # back to the whole cloud  # fmt: skip
        self.plural_scale = self.plural_fit(u)
        reach = self.RADIUS * 1.05 * self.plural_scale
        fit = self.fit_pairs(grown, reach, u)
        self.add_labels(name)
        self.play(FadeIn(name), run_time=0.4)
        cue(self, 1)  # "Then it is tested on pairs it has not seen": a held-out pair on the arrow
        held, marks = self.held_out_pair(along, found["geometry.plural"])
        shown = [(j, a, b) for j, (a, b) in enumerate(plural["pairs"]) if a in geo["pca_words"] and b in geo["pca_words"]][:2]  # fmt: skip
        words = [w for _, a, b in shown for w in (a, b)]
        values = [plural["projections"][j][k] for j, _, _ in shown for k in (0, 1)]
        plural_read = self.G.plural
        paths = [plural_read.projections[j][k].path for j, _, _ in shown for k in (0, 1)]
        rows = [
            sentence(
                "{a} {x}  →  {b} {y}",
                a=(plural_read.pairs[j][0], "text"),
                x=(plural_read.projections[j][0], "value"),
                b=(plural_read.pairs[j][1], "text"),
                y=(plural_read.projections[j][1], "value"),
            )  # fmt: skip
            for j, a, b in shown
        ]
        head = [sentence("{s} of the arrow in view", color=style.MUTED,
                         s=(plural_read.in_view, "length_percent"))]  # fmt: skip
        self.beat(
            "Along it",
            "Each word dropped onto the plural direction, where its projection lies.",
            say="Each word now drops onto the arrow. Where it lands is its projection, one number for how far it "
            "goes along that direction.",
        )
        gone = [*fit[4:], *held]  # (two pairs stay for the drops: their labels already there)
        self.drop_labels(*gone)
        for m in marks:
            m.clear_updaters()
        self.play(FadeOut(VGroup(*gone, *marks)), *self.clearing(), run_time=0.5)
        dropped = self.drop_into_panel(words, values, paths, rows, head)
        self.wait(1)
        self.clear_drops(*dropped)

    def numbers(self):
        plural = self.geo["plural"]
        if not plural["n_held_out"] or "in_view" not in plural:
            return
        found = statements(self.trace)
        stmt = found["geometry.plural.numbers"]
        shown = plural["numbers"]  # (number words are among the pictured ones)
        self.beat(
            "One, two, three, four",
            "The number words, dropped onto the same plural direction.",
            say=f"And the number words? They drop onto the same direction. {aloud(stmt.text)}",
        )
        if len(shown) < 2:
            self.show_statement(stmt)
            return
        words = [n["word"] for n in shown]
        values = [n["projection"] for n in shown]
        numbers = self.G.plural.numbers
        paths = [numbers[j].projection.path for j in range(len(shown))]
        rows = [
            sentence("{w}  {x}", w=(numbers[j].word, "text"), x=(numbers[j].projection, "value"))
            for j in range(len(shown))
        ]
        dropped = self.drop_into_panel(words, values, paths, rows, first=self.clearing())
        self.show_statement(stmt)
        self.play(LaggedStart(*(Indicate(r, color=style.KEY) for r in self.panel), lag_ratio=0.5),
                  run_time=max(1.0, said_by(self, -1, 1.0) - 0.3))  # (one to four read in turn)  # fmt: skip
        self.clear_drops(*dropped)
        self.play(Indicate(self.top_statement, color=style.KEY, scale_factor=1.05), run_time=1.0)  # (the last word)

    # -- the dot product: two vectors in the plane they span ----------------------------------------------

    ORIGIN = np.array([-3.2, -2.1, 0.0])  # the two vectors' common tail
    LENGTH = 4.8  # a unit vector's length on screen

    def leave_view(self) -> list:
        """The 3-D view frozen, for its leaving: dots, axes, arrows, labels and the panel."""
        for m in [self.dots, self.placer, *self.view]:
            m.clear_updaters()
        gone = [self.dots, self.placer, *self.view, *self.labels, *self.clearing()]
        self.drop_labels(*self.labels)
        return [FadeOut(m) if not isinstance(m, FadeOut) else m for m in gone]

    def pair_picture(self, angle: ValueTracker, cast: ValueTracker) -> VGroup:
        """Two unit vectors `angle` apart, the second's shadow on the first (its length: their cosine; `cast`: how
        far it has fallen), the line it drops along and the angle between them."""
        o, n = self.ORIGIN, self.LENGTH

        def tip() -> np.ndarray:
            a = angle.get_value()
            return o + n * np.array([np.cos(a), np.sin(a), 0.0])

        first = Arrow(o, o + n * RIGHT, buff=0, color=style.VALUE, stroke_width=7, tip_length=0.3)
        base = DashedLine(o + n * LEFT, o, color=style.MUTED, stroke_width=2, dash_length=0.1)
        second = always_redraw(lambda: Arrow(o, tip(), buff=0, color=style.KEY, stroke_width=7, tip_length=0.3))
        foot = lambda: np.array([tip()[0], o[1] + (1 - cast.get_value()) * (tip()[1] - o[1]), 0])  # noqa: E731
        shadow = always_redraw(lambda: Line(o, [tip()[0], o[1], 0], color=style.NEXT_SLOT, stroke_width=12)
                               .set_stroke(opacity=cast.get_value()))  # fmt: skip
        drop = always_redraw(lambda: DashedLine(tip(), foot() + 1e-3 * UP, color=style.NEXT_SLOT, stroke_width=3,
                                                dash_length=0.08))  # fmt: skip
        arc = always_redraw(lambda: Arc(radius=0.6, start_angle=0, angle=max(angle.get_value(), 1e-3),
                                        arc_center=o, color=style.TEXT, stroke_width=3))  # fmt: skip
        return VGroup(base, first, shadow, drop, arc, second)

    def pair_words(self, j: int, angle: float) -> VGroup:
        """Pair j's words at its vectors' tips, its dot product and its alignment (claims.py) beside."""
        o, n, read = self.ORIGIN, self.LENGTH, self.G.dots[j]
        a = sentence("{w}", size=30, color=style.VALUE, w=(read.a, "text")).next_to(o + n * RIGHT, DOWN, buff=0.2)
        b = sentence("{w}", size=30, color=style.KEY, w=(read.b, "text"))
        b.next_to(o + n * np.array([np.cos(angle), np.sin(angle), 0]), UP if angle < 1.2 else LEFT, buff=0.15)
        # The words say "drawn at length one, the shadow is their cosine": the raw product is named as such (it
        # also counts the vectors' lengths), the cosine as the shadow's length.
        dot = VGroup(
            label("dot product of the full vectors", size=22, color=style.MUTED),
            sentence("{a} · {b} = {v}", size=28, a=(read.a, "text"), b=(read.b, "text"), v=(read.dot, "value")),
        )
        found = statements(self.trace)
        kind = VGroup(
            label("at length one, the shadow's length:", size=22, color=style.MUTED),
            sentence("{kind}", size=26, color=style.NEXT_SLOT, kind=claim(found[f"geometry.dots.{j}"])),
        )
        for line in (*dot, *kind):  # (each kept to its size unless too wide: the products all alike)
            self.fit_width(line, config.frame_width / 2 - 1.9 - style.FRAME_MARGIN)
        for two in (dot, kind):
            two.arrange(DOWN, aligned_edge=LEFT, buff=0.12)
        side = VGroup(dot, kind).arrange(DOWN, aligned_edge=LEFT, buff=0.4)
        side.move_to([0, 0.3, 0]).align_to([1.9, 0, 0], LEFT)
        return VGroup(a, b, side)

    def dot_products(self):
        dots = self.geo["dots"]
        found = statements(self.trace)
        if not dots or "geometry.negative" not in found:
            return
        angles = [float(np.arccos(np.clip(d["cosine"], -1, 1))) for d in dots]
        self.beat(
            "More pairs",
            "The dot product as a picture: two vectors at length one, the shadow of one on the other.",
            say="A few more pairs, each drawn at length one. "
            f"For “{dots[0]['a']}” and “{dots[0]['b']}”, {lower_first(self.cosine_said(found['geometry.dots.0']))}",
        )
        angle, cast = ValueTracker(0.0), ValueTracker(0.0)
        pair = base, first, shadow, drop, arc, second = self.pair_picture(angle, cast)
        words = self.pair_words(0, angles[0])
        cover = self.cover_view()  # (the 3-D view stays under it: it comes back for the neighbours)
        self.heading_away = False  # (the heading stays away while the pairs are drawn)
        clearing = self.clearing()
        if clearing:  # (a model whose earlier beats were skipped has nothing on screen to clear)
            self.play(*clearing, run_time=0.8, now=True)
        self.heading_away = True  # (its own heading, the next beat's clearing brings it back)
        self.add(base, first, arc, second)
        self.play(angle.animate.set_value(angles[0]), FadeIn(words[:2]), run_time=said_by(self, 0, 1.5))
        cue(self, 1)  # the product, the shadow falling, and the verdict on its length
        self.add(drop, shadow)
        self.play(FadeIn(words[2][0], shift=0.3 * LEFT), cast.animate.set_value(1.0), run_time=1.2)
        self.play(FadeIn(words[2][1], shift=0.3 * LEFT), run_time=0.8)
        self.drawn.append(words.copy())  # (a copy: its product later becomes the verdict)
        low = self.geo["pair_cosines"]["lowest"]
        last = len(dots) - 1  # the lowest pair, when it is the last one, is shown once: in the lowest pair's beat
        later = last if last > 0 and (dots[last]["a"], dots[last]["b"]) == (low["a"], low["b"]) else None
        for j in range(1, len(dots) if later is None else last):
            self.beat(
                "Alignment",
                "{a} · {b}: {c}.",
                a=(self.G.dots[j].a, "text"),
                b=(self.G.dots[j].b, "text"),
                c=claim(found[f"geometry.dots.{j}"]),
                say=f"Now “{dots[j]['a']}” and “{dots[j]['b']}”. {self.cosine_said(found[f'geometry.dots.{j}'])}",
            )
            new = self.pair_words(j, angles[j])
            self.play(angle.animate.set_value(angles[j]), swap(words, new), run_time=said_by(self, 0, 1.5))
            self.drawn.append(new.copy())
            words = new
        stmt = found["geometry.negative"]
        self.beat("Lowest pair", "Dot products: {c}.", c=claim(found["geometry.pairs"]),
                  say=self.lowest_words(low, stmt))  # fmt: skip
        if later is not None:  # the pair drawn as it is named, its product and alignment beside
            new = self.pair_words(later, angles[later])
            self.play(angle.animate.set_value(angles[later]), swap(words, new),
                      run_time=said_by(self, 0, 1.5))  # fmt: skip
            self.drawn.append(new.copy())
            words = new
            cue(self, 1)
        note = self.fit_width(statement(stmt, size=30, color=style.TEXT)).to_edge(UP, buff=0.4)
        self.play(ReplacementTransform(words[2], note), run_time=1.2)  # the pair's product becomes the verdict
        self.drawn.append(note)
        self.wait(1.5)
        for m in pair:
            m.clear_updaters()
        self.panel = VGroup(cover, *pair, words[:2], note)  # (it leaves as the neighbours come: the view back)

    def cover_view(self):
        """A cover over the 3-D view: the worked pair's (its panel leaving, it stays), or a new one faded in."""
        flat = getattr(self, "flat", None)
        if flat is not None and flat[0] in self.mobjects:
            self.panel = VGroup(*(m for m in self.panel if m is not flat), *flat[1:])  # (all of it but the cover)
            return flat[0]
        cover = Rectangle(width=config.frame_width + 0.2, height=config.frame_height + 0.2, fill_opacity=1,
                          fill_color=style.BACKGROUND, stroke_width=0)  # fmt: skip
        self.play(FadeIn(cover), FadeOut(self.heading), run_time=0.6, now=True)
        return cover

    @staticmethod
    def cosine_said(stmt) -> str:
        """An alignment statement ("cos 0.74: aligned") as said: "Their cosine is 0.74, aligned." """
        said = aloud(stmt.text)
        return "Their cosine is " + said[4:] if said.startswith("Cos ") else said

    @staticmethod
    def lowest_words(low: dict, stmt) -> str:
        """The pair of lowest cosine among the pictured words, as said: named, then the statement's verdict on
        it (its words after the equation, which is on screen); a statement that names the pair itself is said
        as it is."""
        if ": " not in stmt.text:
            return aloud(stmt.text)
        return f"Take the pair with the lowest cosine here, “{low['a']}” and “{low['b']}”. " + aloud(
            stmt.text.split(": ", 1)[1]
        )
