"""Tokens and embeddings: text into tokens, tokens into vectors, and what the vectors' directions mean."""

from __future__ import annotations

import numpy as np
from manim import (
    DEGREES,
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    BackgroundRectangle,
    Create,
    Dot,
    FadeIn,
    FadeOut,
    GrowFromEdge,
    LaggedStart,
    Line,
    ReplacementTransform,
    SurroundingRectangle,
    Transform,
    TransformFromCopy,
    ValueTracker,
    VGroup,
    always_redraw,
    config,
)

from model.claims import statements
from scenes import style
from scenes.base import ThreeDSceneBase, TraceScene
from scenes.components import (
    TokenBox,
    VectorColumn,
    WeightMatrix,
    claim,
    flow,
    label,
    number,
    sentence,
    statement,
    token_text,
)
from scenes.speech import big, dec, listing, pct, spoken_token


class Tokenization(TraceScene):
    """The prompt cut into the real tokenizer's pieces, with ids; words of several pieces; the vocabulary."""

    MAX_TOKENS = 40
    MAX_PIECES = 9  # of a word split into pieces

    def construct(self):
        self.show_pieces()
        self.split_words()
        self.vocabulary()

    def show_pieces(self):
        t = self.trace
        n = min(len(t.token_ids), self.MAX_TOKENS)
        items = []
        for i in range(n):
            box = TokenBox(t.token_display[i], f"info.tokens.display.{i}", style.token_hue(i), size=22)
            tid = number(t.token_ids[i], f"info.tokens.ids.{i}", "int", size=17, color=style.MUTED)
            items.append(VGroup(box, tid.next_to(box, DOWN, buff=0.08)))
        row = flow(items, 12.6, gap=0.12, line_gap=0.2)
        while len(row) > 1 and row.height > 3.0:  # whole lines that fit, at a legible size (not shrunk)
            row.remove(row[-1])
        n = sum(len(line) for line in row)
        self.row = row.to_edge(UP, buff=0.45).to_edge(LEFT, buff=0.5)
        self.beat(
            "Tokens",
            "The model never sees letters: the text is cut into {n} tokens, each a number in its vocabulary.",
            n=(t.token_ids, "info.tokens.ids", "len"),
            say=f"The model never sees letters. A tokenizer cuts the text into {len(t.token_ids)} known pieces, and "
            f"each is just a number: {spoken_token(t.token_display[0])} is number {t.token_ids[0]:,}. "
            "A dot marks a space.",
        )
        self.play(LaggedStart(*(FadeIn(item, shift=0.1 * DOWN) for item in items[:n]), lag_ratio=0.05), run_time=2)
        if len(t.token_ids) > n:
            self.beat(
                "More",
                "The prompt goes on; the picture shows its beginning.",
                say=f"The prompt goes on for {len(t.token_ids)} tokens in all; the picture shows the first {n}.",
            )

    def split_words(self):
        t = self.trace
        split = t.info["split_words"]
        source, key = ("from_prompt", "prompt") if split["from_prompt"] else ("examples", "examples")
        entries = split[source][:3]
        lines = VGroup()
        for e_index, entry in enumerate(entries):
            word = sentence("“{w}”", size=22, w=(entry["word"], f"info.split_words.{source}.{e_index}.word", "cut16"))
            arrow = label("→", size=22, color=style.MUTED)
            pieces = VGroup(
                *(
                    TokenBox(
                        p["display"],
                        f"info.split_words.{source}.{e_index}.pieces.{j}.display",
                        style.token_hue(j),
                        size=20,
                    )
                    for j, p in enumerate(entry["pieces"][: self.MAX_PIECES])
                )
            )
            if len(entry["pieces"]) > self.MAX_PIECES:  # a word of many byte pieces (CJK, emoji)
                path = f"info.split_words.{source}.{e_index}.pieces"
                pieces.add(sentence("… {n} in all", size=20, color=style.MUTED, n=(entry["pieces"], path, "len")))
            pieces.arrange(RIGHT, buff=0.08)
            lines.add(VGroup(word, arrow, pieces).arrange(RIGHT, buff=0.25))
        lines.arrange(DOWN, aligned_edge=LEFT, buff=0.3)
        self.fit_width(lines, config.frame_width - 0.8 - style.FRAME_MARGIN - 0.1)  # many byte pieces (CJK, emoji)
        lines.next_to(self.row, DOWN, buff=0.6).to_edge(LEFT, buff=0.8)
        text = (
            "Some words of the prompt are cut into several pieces:"
            if key == "prompt"
            else "Every word of this prompt is one token; longer or rarer words are cut into pieces:"
        )
        example = entries[0]
        say = (
            "Some words of the prompt are cut into pieces. "
            if key == "prompt"
            else "Every word of this prompt is a single token, but rarer words are cut into pieces. "
        )
        say += (
            f"“{example['word']}” becomes {len(example['pieces'])}: "
            f"{listing([spoken_token(p['display']) for p in example['pieces']])}."
        )
        self.beat("Pieces", text, say=say)
        self.play(LaggedStart(*(FadeIn(line) for line in lines), lag_ratio=0.3))
        self.lines = lines

    def vocabulary(self):
        t = self.trace
        note = sentence(
            "Vocabulary: {v} tokens. “Tokens are words” is a convenient simplification.",
            size=22,
            v=(t.meta["vocab_size"], "meta.vocab_size", "comma"),
        )
        self.fit_width(note).next_to(self.lines, DOWN, buff=0.5).to_edge(LEFT, buff=0.8)
        self.beat(
            "Vocabulary",
            "Common words are single tokens; rare ones, names and other languages are split.",
            say=f"The vocabulary has {big(t.meta['vocab_size'])} tokens, learned from the training text. So "
            "“tokens are words” is only a handy simplification.",
        )
        self.play(FadeIn(note))
        self.wait(1.5)


class EmbeddingMatrix(TraceScene):
    """W_E as a real slice, one column per token; a one-hot vector times W_E picks a column; each prompt
    token's column leaves the matrix and becomes that token's vector."""

    COLS, ROWS = 7, 7
    MAX_LOOKUPS = 5  # prompt tokens whose column flies out (those among the first COLS columns)

    def construct(self):
        self.show_matrix()
        self.one_hot()
        self.pick_columns()

    def show_matrix(self):
        t = self.trace
        ids = t.info["embedding_slice_ids"][: self.COLS]
        W = t["weights.W_E_slice"][: self.COLS].T  # (d_model, tokens): vocabulary across, dimensions down
        self.ids = ids
        self.matrix = WeightMatrix(W, lambda r, c: f"weights.W_E_slice[{c},{r}]", self.ROWS, self.COLS, size=18)
        self.matrix.move_to([-3.2, -0.55, 0])
        self.heads = VGroup(
            *(
                token_text(
                    t.info["vocab_display"][str(i)],
                    f"info.vocab_display.{i}",
                    size=18,
                    color=style.token_hue(c),
                    limit=8,
                )
                .rotate(np.pi / 4)
                .next_to(self.matrix.grid[0][c], UP, buff=0.62)
                .align_to(self.matrix.grid[0][c], LEFT)
                for c, i in enumerate(ids)
            )
        )
        top = min(h.get_bottom()[1] for h in self.heads)
        for h in self.heads:
            h.align_to([0, top, 0], DOWN)
        title = label("W_E: the embedding matrix", size=26).to_edge(UP, buff=0.25).to_edge(LEFT, buff=0.6)
        size = sentence(
            "{d} rows × {v} columns, one per token",
            size=18,
            color=style.MUTED,
            d=(t.meta["d_model"], "meta.d_model", "int"),
            v=(t.meta["vocab_size"], "meta.vocab_size", "comma"),
        ).next_to(self.matrix, DOWN, buff=0.2)
        self.beat(
            "Embedding matrix",
            "The embedding matrix holds one column of learned numbers for every token.",
            say=f"Next, each token is looked up in the embedding matrix: {big(t.meta['vocab_size'])} columns, one "
            f"per token, of {t.meta['d_model']} numbers each. Here is a small slice.",
        )
        self.play(FadeIn(title), FadeIn(self.matrix), FadeIn(self.heads), FadeIn(size))
        self.title, self.size_note = title, size

    def column_cells(self, col: int) -> VGroup:
        return VGroup(*(row[col] for row in self.matrix.grid[: self.ROWS]))

    def one_hot(self):
        """The first token as a one-hot vector (1 at its id): laid over the columns, times W_E, it keeps one."""
        t = self.trace
        token_id = t.token_ids[0]
        col = self.ids.index(token_id)
        bits = VGroup(*(label("1" if i == token_id else "0", size=18, color=style.KEY if i == token_id else style.MUTED)
                        for i in self.ids))  # fmt: skip
        vec = VGroup(*bits, label("⋮", size=18, color=style.MUTED)).arrange(DOWN, buff=0.12)
        vec.move_to([1.3, self.matrix.get_y(), 0])
        name = VGroup(
            sentence("one-hot “{tok}”:", size=18, tok=(t.token_display[0], "info.tokens.display.0", "text")),
            sentence("1 at id {id},", size=18, id=(token_id, "info.tokens.ids.0", "int")),
            sentence("0 at the other {rest}", size=18, rest=(t.meta["vocab_size"], "meta.vocab_size", "comma_less1")),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        self.fit_width(name, 4.0).next_to(vec, RIGHT, buff=1.2).align_to(vec, UP)
        ids = VGroup(
            *(
                number(i, f"info.embedding_slice_ids.{c}", "int", size=17, color=style.MUTED).next_to(
                    bits[c], RIGHT, buff=0.3
                )
                for c, i in enumerate(self.ids)
            )
        )
        self.beat(
            "One-hot",
            "Is there a one-hot step first? Yes: a vector of {v} zeros with a 1 at the token's id.",
            v=(t.meta["vocab_size"], "meta.vocab_size", "comma"),
            say=f"Is there a one-hot step before the embedding? In effect, yes. {spoken_token(t.token_display[0])} "
            f"is token {token_id:,}: a vector of {big(t.meta['vocab_size'])} zeros with a single 1 at that place.",
        )
        self.play(FadeIn(vec), FadeIn(ids), FadeIn(name))
        # Laid along the columns: each entry above the column of its id, then multiplied in.
        targets = [self.matrix.grid[0][c].get_top() + 0.28 * UP for c in range(self.COLS)]
        self.beat(
            "Times W_E",
            "W_E times the one-hot vector: every column times zero but one; the product is column {id}.",
            id=(token_id, "info.tokens.ids.0", "int"),
            say="Multiply the matrix by it. Each column is scaled by its entry: zero wipes out every column but one, "
            "so the product is just the token's column. Real models skip the multiplication and read the column.",
        )
        self.play(FadeOut(ids), FadeOut(vec[-1]), *(b.animate.move_to(p) for b, p in zip(bits, targets)), run_time=1.2)
        shades = VGroup(
            *(
                BackgroundRectangle(self.column_cells(c), color=style.BACKGROUND, fill_opacity=0.8, buff=0.04)
                for c in range(self.COLS)
                if c != col
            )
        )
        self.play(FadeIn(shades), run_time=1.0)
        self.wait(0.5)
        self.play(FadeOut(bits), FadeOut(name), FadeOut(shades), run_time=0.6)

    def pick_columns(self):
        t = self.trace
        positions = [p for p in range(len(t.token_ids)) if t.token_ids[p] in self.ids][: self.MAX_LOOKUPS]
        vectors, marks, labels = VGroup(), VGroup(), VGroup()
        x0 = 0.9
        step = min(1.25, (6.6 - x0) / max(len(positions), 1))
        for k, p in enumerate(positions):
            col = self.ids.index(t.token_ids[p])
            vector = VectorColumn(t["hook_embed"][p], lambda i, p=p: f"hook_embed[{p},{i}]", shown=self.ROWS, size=21)
            vector.move_to([x0 + step * (k + 0.5), self.matrix.get_y() - 0.05, 0])
            vector.align_to(self.matrix.grid[0][0], UP).shift(0.05 * UP)
            name = token_text(
                t.token_display[p], f"info.tokens.display.{p}", size=18, color=style.token_hue(col), limit=6
            )
            self.fit_width(name, step - 0.1).next_to(vector, UP, buff=0.2)
            mark = SurroundingRectangle(self.column_cells(col), buff=0.08, color=style.token_hue(col))
            vectors.add(vector)
            labels.add(name)
            marks.add(mark)
        self.beat(
            "Look up",
            "Each token of the prompt picks its column: that column is the token's first vector.",
            say=f"So each token of the prompt simply picks its column: {spoken_token(t.token_display[0])} first, "
            "then the next ones, and those numbers become their vectors.",
        )
        for k, p in enumerate(positions):
            col = self.ids.index(t.token_ids[p])
            run = 1.4 if k == 0 else 0.8
            self.play(Create(marks[k]), FadeIn(labels[k]), run_time=0.4 if k else 0.6)
            self.play(
                TransformFromCopy(self.column_cells(col), vectors[k].entries),
                FadeIn(vectors[k].decor),
                FadeOut(marks[k]),
                run_time=run,
            )
        self.beat(
            "Learned",
            "These numbers were learned in training; nobody chose them by hand.",
            say="Nobody chose these numbers. They started random and were nudged in training towards whatever "
            "predicted text well.",
        )
        self.wait(1.5)


class ContextEmbedding(TraceScene):
    """One shot: token vector + position vector add into the residual; the context size; the same token in
    two contexts drifting apart; the logit lens."""

    SHOWN_TOKENS = 8  # the prompt's last tokens drawn with their positions
    ROWS_X = -0.3  # where the cosine bars start (the summed vector stays on their left)

    def construct(self):
        self.add_position()
        self.context_size()
        self.two_contexts()
        self.logit_lens()

    def add_position(self):
        if self.trace.words["positions"] == "rotary":
            return self.turn_by_position()
        t = self.trace
        p = len(t.token_ids) - 1
        first = max(0, p + 1 - self.SHOWN_TOKENS)
        boxes = [
            TokenBox(t.token_display[i], f"info.tokens.display.{i}", style.token_hue(i), size=20)
            for i in range(first, p + 1)
        ]
        row = VGroup(*boxes).arrange(RIGHT, buff=0.1)
        self.fit_width(row, 11.0).to_edge(UP, buff=0.35)
        places = VGroup(*(label(str(i), size=17, color=style.MUTED).next_to(b, DOWN, buff=0.1)
                          for i, b in zip(range(first, p + 1), boxes)))  # fmt: skip
        places[-1].become(number(t.token_ids, "info.tokens.ids", "lastindex", size=17, color=style.MUTED)
                          .move_to(places[-1]))  # fmt: skip
        cols = VGroup(
            VectorColumn(t["hook_embed"][p], lambda i: f"hook_embed[{p},{i}]", shown=5, size=20),
            label("+", size=28),
            VectorColumn(t["hook_pos_embed"][p], lambda i: f"hook_pos_embed[{p},{i}]", shown=5, size=20),
            label("=", size=28),
            VectorColumn(
                t["blocks.0.hook_resid_pre"][p], lambda i: f"blocks.0.hook_resid_pre[{p},{i}]", shown=5, size=20
            ),
        ).arrange(RIGHT, buff=0.5)
        cols.move_to([0, -0.1, 0])
        names = VGroup(
            sentence(
                "token “{tok}”",
                size=18,
                color=style.MUTED,
                tok=(t.token_display[p], f"info.tokens.display.{p}", "text"),
            ),  # fmt: skip
            sentence("position {n}", size=18, color=style.MUTED, n=(t.token_ids, "info.tokens.ids", "lastindex")),
            label("into the residual stream", size=18, color=style.MUTED),
        )
        for name, col in zip(names, (cols[0], cols[2], cols[4])):
            name.next_to(col, UP, buff=0.25)
        top = max(n.get_y() for n in names)
        for name in names:
            name.set_y(top)
        self.beat(
            "Position",
            "A vector for the token's position is added, so the model knows the order of the words.",
            say=f"A token's vector says nothing about where it stands, so a learned vector for its position is "
            f"added. Here for {spoken_token(t.token_display[p])}, at position {p}.",
        )
        self.play(FadeIn(row), FadeIn(places))
        tok, plus, pos, eq, total = cols
        self.play(
            TransformFromCopy(boxes[-1], tok.entries),
            FadeIn(tok.decor),
            FadeIn(names[0]),
            TransformFromCopy(places[-1], pos.entries),
            FadeIn(pos.decor),
            FadeIn(names[1]),
            FadeIn(plus),
            run_time=1.5,
        )
        a, b = tok.entries.copy(), pos.entries.copy()
        self.play(FadeIn(eq), FadeIn(total.decor), FadeIn(names[2]),
                  Transform(a, total.entries), Transform(b, total.entries), run_time=1.5)  # fmt: skip
        self.remove(a, b)
        self.add(total.entries)
        self.row, self.places, self.cols, self.names = row, places, cols, names

    def context_size(self):
        t = self.trace
        n, n_ctx = len(t.token_ids), t.meta["n_ctx"]
        width = 10.0
        left = np.array([-width / 2, -2.45, 0])
        track = Line(left, left + width * RIGHT, stroke_width=8, color=style.MUTED).set_opacity(0.35)
        used = Line(left, left + max(width * n / n_ctx, 0.06) * RIGHT, stroke_width=8, color=style.KEY)
        ends = VGroup(
            label("0", size=17, color=style.MUTED).next_to(track, LEFT, buff=0.15),
            number(n_ctx, "meta.n_ctx", "comma", size=17, color=style.MUTED).next_to(track, RIGHT, buff=0.15),
        )
        note = sentence(
            "context: {c} positions, {n} used here; GPT-3 (reference figure): {g}",
            size=18,
            c=(n_ctx, "meta.n_ctx", "comma"),
            n=(t.token_ids, "info.tokens.ids", "len"),
            g=(t.info["gpt3"]["dims"]["n_ctx"], "info.gpt3.dims.n_ctx", "comma"),
        ).next_to(track, UP, buff=0.2)
        self.beat(
            "Context size",
            "One position vector per place: the model reads at most {c} tokens at once.",
            c=(n_ctx, "meta.n_ctx", "comma"),
            say=f"There is one learned position vector per place, {big(n_ctx)} of them, so this model reads at most "
            f"{big(n_ctx)} tokens at once; the prompt uses {n}. GPT-3 has {big(t.info['gpt3']['dims']['n_ctx'])}.",
        )
        self.play(Create(track), FadeIn(ends), FadeIn(note))
        self.play(GrowFromEdge(used, LEFT), run_time=1.0)
        self.wait(1)
        self.size_group = VGroup(track, used, ends, note)

    def turn_by_position(self):
        """Rotary models add no position vector: the token's vector enters as it is, and queries and keys are
        turned by angles set by their position (shown: layer 0, head 0, the last token)."""
        t = self.trace
        p = len(t.token_ids) - 1

        def column(name, index):
            return VectorColumn(t[name][index], lambda i: f"{name}[{','.join(map(str, index))},{i}]", shown=5, size=15)

        cols = VGroup(
            column("hook_embed", (p,)),
            label("=", size=26),
            column("blocks.0.hook_resid_pre", (p,)),
            label("  ", size=26),
            column("blocks.0.attn.hook_q", (p, 0)),
            label("→", size=26),
            column("blocks.0.attn.hook_rot_q", (p, 0)),
        ).arrange(RIGHT, buff=0.6)
        self.fit_width(cols)
        cols.move_to([0, 0.2, 0])
        names = VGroup(
            sentence("token “{tok}”", size=17, color=style.MUTED, tok=(t.token_display[p], f"info.tokens.display.{p}", "text")),
            label("first vector", size=17, color=style.MUTED),
            label("query, head 0", size=17, color=style.QUERY),
            sentence("turned for position {n}", size=17, color=style.QUERY, n=(t.token_ids, "info.tokens.ids", "lastindex")),
        )  # fmt: skip
        for name, col in zip(names, (cols[0], cols[2], cols[4], cols[6])):
            name.next_to(col, UP, buff=0.25)
        top = max(n.get_y() for n in names)
        for name in names:
            name.set_y(top)
        turned = sentence(
            "{r} of the {d} numbers of each head turn",
            size=17,
            color=style.MUTED,
            r=(t.words["rotary_dim"], "meta.words.rotary_dim", "comma"),
            d=(t.meta["d_head"], "meta.d_head", "comma"),
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

    def two_contexts(self):
        t = self.trace
        pair = t.info["context_pair"]
        p = len(t.token_ids) - 1
        tok = t.token_display[p]
        first = sentence("“…{a}”", size=20, a=(t.prompt, "meta.settings.prompt", "cut40"))
        second = sentence("“…{b}” + “{tok}”", size=20, b=(pair["other_prompt"], "info.context_pair.other_prompt", "cut40"),
                          tok=(tok, f"info.tokens.display.{p}", "text"))  # fmt: skip
        contexts = VGroup(first, second).arrange(DOWN, aligned_edge=LEFT, buff=0.2).to_edge(UP, buff=0.4)
        self.fit_width(contexts)
        stages = ["embedding"] + [f"after layer {i + 1}" for i in range(t.n_layer)]
        rows = VGroup()
        bar_w = 4.0
        for s, name in enumerate(stages):
            cos = pair["cosines"][s]
            bar = Line([0, 0, 0], [bar_w * max(cos, 0.0), 0, 0], stroke_width=10, color=style.KEY)
            row = VGroup(
                label(name, size=17, color=style.MUTED),
                bar,
                number(cos, f"info.context_pair.cosines.{s}", "value3", size=17),
            )
            rows.add(row)
        step = min(0.4, 4.2 / len(stages))
        for s, row in enumerate(rows):
            y = 1.9 - 0.45 - s * step
            x = self.ROWS_X
            row[0].move_to([x - 0.2, y, 0], aligned_edge=RIGHT)
            row[1].put_start_and_end_on([x, y, 0], [x + max(bar_w * max(pair["cosines"][s], 0.0), 0.02), y, 0])
            row[2].move_to([x + bar_w + 0.7, y, 0])
        heading = sentence("cosine similarity of the two “{tok}” vectors", size=18,
                           tok=(tok, f"info.tokens.display.{p}", "text")).next_to(rows, UP, buff=0.2)  # fmt: skip
        self.beat(
            "Context",
            "The same token after two different texts: identical at first, then each layer mixes in its context.",
            say=f"Now {spoken_token(tok)} after two different texts. The bars show the cosine similarity of its "
            f"two vectors, 1 meaning the same direction: {dec(pair['cosines'][0], 2)} at first, "
            f"{dec(pair['cosines'][-1], 2)} after the last layer, as each layer mixes in context.",
        )
        # The summed vector stays: it is the "embedding" row's vector; the rest makes room.
        if hasattr(self, "cols"):  # learned positions: the summed vector stays, the rest makes room
            self.play(
                FadeOut(self.row),
                FadeOut(self.places),
                FadeOut(VGroup(*self.cols[:4], *self.names[:2])),
                VGroup(self.cols[4], self.names[2]).animate.move_to([-4.9, 0.0, 0]),
                FadeOut(self.size_group),
                FadeIn(contexts),
            )
        else:
            self.play(FadeOut(self.size_group), FadeIn(contexts))  # fmt: skip
        self.play(
            FadeIn(heading),
            LaggedStart(*(GrowFromEdge(r[1], LEFT) for r in rows), lag_ratio=0.2),
            LaggedStart(*(FadeIn(VGroup(r[0], r[2])) for r in rows), lag_ratio=0.2),
            run_time=2,
        )
        self.wait(1)
        self.contexts, self.cos_rows, self.heading = contexts, rows, heading

    def lens_token(self, stage: int) -> str:
        return spoken_token(self.trace.info["vocab_display"][str(int(self.trace["logit_lens.top_ids"][stage, 0]))])

    def logit_lens(self):
        t = self.trace
        ids, probs = t["logit_lens.top_ids"], t["logit_lens.top_probs"]
        stages = ["embedding"] + [f"after layer {i + 1}" for i in range(t.n_layer)]
        title = label("If the model stopped here, it would predict…", size=24).to_edge(UP, buff=0.4)
        table = VGroup()
        step = min(0.55, 5.0 / len(stages))
        for s, name in enumerate(stages):
            row = VGroup(label(name, size=18, color=style.MUTED))
            for j in range(3):
                i = int(ids[s, j])
                row.add(
                    token_text(t.info["vocab_display"][str(i)], f"info.vocab_display.{i}", size=20, limit=10),
                    number(float(probs[s, j]), f"logit_lens.top_probs[{s},{j}]", "percent", size=17, color=style.MUTED),
                )
            y = 2.6 - s * step
            row[0].move_to([-3.6, y, 0], aligned_edge=RIGHT)
            for j in range(3):
                row[1 + 2 * j].move_to([-2.6 + 3.1 * j, y, 0], aligned_edge=LEFT)
                row[2 + 2 * j].move_to([-0.4 + 3.1 * j, y, 0], aligned_edge=RIGHT)
                room = row[2 + 2 * j].get_left()[0] - 0.12 - row[1 + 2 * j].get_left()[0]
                if row[1 + 2 * j].width > room:  # a wide token beside a wide "<0.1%": the token gives way
                    row[1 + 2 * j].scale_to_fit_width(room, about_edge=LEFT)
            table.add(row)
        note = statement(statements(t)["lens.embedding"], size=18, color=style.MUTED)
        self.fit_width(note).next_to(table, DOWN, buff=0.35).set_x(0)
        self.beat(
            "Logit lens",
            f"The logit lens: each layer's last vector through the final {t.words['norm']} and unembedding.",
            say=f"What would the model predict if it stopped early? From the embedding alone: {self.lens_token(0)}, "
            f"at {pct(probs[0, 0])}. After the last layer: {self.lens_token(t.n_layer)}, at "
            f"{pct(probs[t.n_layer, 0])}.",
        )
        # The stage names move from the cosine rows into the table; the rest gives way to the predictions.
        self.play(
            FadeOut(self.contexts), FadeOut(self.heading), *([FadeOut(VGroup(self.cols[4], self.names[2]))] if hasattr(self, "cols") else []),
            *(FadeOut(VGroup(r[1], r[2])) for r in self.cos_rows),
            *(ReplacementTransform(r[0], row[0]) for r, row in zip(self.cos_rows, table)),
            FadeIn(title),
        )  # fmt: skip
        self.play(LaggedStart(*(FadeIn(VGroup(*row[1:])) for row in table), lag_ratio=0.2), run_time=2)
        self.play(FadeIn(note))
        self.wait(1.5)


def boxes_meet(a, b, margin: float = 0.0) -> bool:
    """Whether two mobjects' frame boxes overlap (with `margin` to spare)."""
    return (
        min(a.get_right()[0], b.get_right()[0]) - max(a.get_left()[0], b.get_left()[0]) > -margin
        and min(a.get_top()[1], b.get_top()[1]) - max(a.get_bottom()[1], b.get_bottom()[1]) > -margin
    )


class EmbeddingSpace(TraceScene, ThreeDSceneBase):
    """Word tokens of W_E in 3D (PCA of the centred matrix), meaningful directions, analogies, dot products."""

    LABELLED = ["king", "queen", "man", "woman", "dogs", "red"]  # the rest are unlabelled dots
    RADIUS = 2.5

    def pin(self, *mobjects):
        self.add_fixed_in_frame_mobjects(*mobjects)

    def construct(self):
        self.set_camera_orientation(phi=70 * DEGREES, theta=-60 * DEGREES)
        self.show_cloud()
        self.gender_arrows()
        self.analogy()
        self.plurality()
        self.dot_products()
        self.stop_ambient_camera_rotation()
        self.wait(0.5)

    def point(self, word: str) -> np.ndarray:
        return self.coords[self.geo["pca_words"].index(word)]

    def show_cloud(self):
        t = self.trace
        self.geo = geo = t.info["geometry"]
        if len(geo["pca_words"]) < 4:
            self.coords = np.zeros((0, 3))
            self.beat(
                "Embedding space",
                "This model's vocabulary has too few whole-word tokens for the 3D picture.",
                say="This model's vocabulary has too few whole-word tokens to draw its embedding space.",
            )
            return
        coords = np.asarray(geo["pca_coords"], dtype=float)
        self.coords = coords / (np.abs(coords).max() or 1.0) * self.RADIUS - np.array([0, 0, 0.6])  # below the panels
        # Flat dots that face the camera: a sphere (Dot3D) is 64 faces to shade and sort every frame.
        dots = VGroup(*(Dot(p, radius=0.05, color=style.MUTED) for p in self.coords))
        labels = VGroup()
        for j, word in enumerate(geo["pca_words"]):
            if word in self.LABELLED:
                text = sentence("{w}", size=18, w=(word, f"info.geometry.pca_words.{j}", "text"))
                text[1:-1].set_stroke(style.BACKGROUND, width=5, background=True)  # legible over dots and arrows
                text.anchor = self.coords[j]
                labels.add(text)
                dots[j].set_color(style.TEXT)
        self.add_fixed_orientation_mobjects(*dots)
        # Labels are placed in the frame where the camera sees their words, then pushed apart: they never
        # collide in the projected picture, whatever the camera's angle.
        self.word_labels = labels
        self.place_labels()
        self.add_fixed_in_frame_mobjects(*labels)
        self.add_updater(lambda dt: self.place_labels())
        self.skipped_note = sentence(
            "{n} single-token words of W_E, centred, in their first 3 principal directions",
            size=18,
            color=style.MUTED,
            static=True,
            n=(geo["pca_words"], "info.geometry.pca_words", "len"),
        ).to_edge(UP, buff=0.3)
        self.pin(self.skipped_note)
        self.beat(
            "Embedding space",
            "Each token's vector is a point in a space of many dimensions; here, 3 of them.",
            say=f"Each vector is a point in a space of {t.meta['d_model']} dimensions. Here are "
            f"{len(geo['pca_words'])} word tokens, seen along the three directions in which they vary most.",
        )
        self.play(FadeIn(self.skipped_note), LaggedStart(*(FadeIn(d) for d in dots), lag_ratio=0.02), FadeIn(labels))
        self.begin_ambient_camera_rotation(rate=0.12)
        self.wait(1)

    def place_labels(self) -> None:
        """Each word's label just above where its point is drawn now, nudged down or up off earlier labels."""
        camera = self.renderer.camera
        camera.reset_rotation_matrix()  # where the camera is now
        placed = []
        for text in self.word_labels:
            x, y = (camera.project_point(text.anchor) * [1, 1, 0])[:2]
            text.move_to([x, y + 0.25, 0])
            up = None  # pushed one way only: it then passes each earlier label at most once, and ends clear
            for _ in range(len(placed) + 1):
                hit = next((o for o in placed if boxes_meet(text, o, 0.05)), None)
                if hit is None:
                    break
                up = text.get_y() >= hit.get_y() if up is None else up
                gap = (hit.get_top()[1] - text.get_bottom()[1]) if up else (text.get_top()[1] - hit.get_bottom()[1])
                text.shift((gap + 0.06) * (UP if up else DOWN))
            placed.append(text)

    def flat_arrow(self, start: np.ndarray, end: np.ndarray, grown: ValueTracker) -> Arrow:
        """An arrow between two points of the cloud, drawn flat where the camera sees them, so its tip
        always faces the viewer (a 3D cone and cylinder, Arrow3D, are hundreds of faces to shade a frame)."""
        camera = self.renderer.camera

        def draw():
            camera.reset_rotation_matrix()  # where the camera is now, not where it was last drawn
            a, b = (camera.project_point(p) * [1, 1, 0] for p in (start, end))
            return Arrow(a, a + (b - a) * grown.get_value(), buff=0.06, color=style.VALUE, stroke_width=3,
                         tip_length=0.14, max_tip_length_to_length_ratio=0.35)  # fmt: skip

        arrow = always_redraw(draw)
        self.add_fixed_in_frame_mobjects(arrow)
        return arrow

    def gender_arrows(self):
        words = self.geo["pca_words"]
        grown = ValueTracker(0.05)
        pairs = [(a, b) for a, b in (("man", "woman"), ("king", "queen")) if a in words and b in words]
        found = statements(self.trace)
        if "geometry.gender.directions" in found:
            self.beat(
                "Directions",
                "woman − man and queen − king: {c}.",
                c=claim(found["geometry.gender.directions"]),
                say="Directions can carry meaning. Compare the arrow from “man” to “woman” with the arrow from "
                f"“king” to “queen”: {found['geometry.gender.directions'].text}.",
            )
        else:
            self.beat(
                "Directions",
                "Directions can carry meaning; this vocabulary lacks the words to test one.",
                say="Directions between words can carry meaning, but this vocabulary lacks the words to test one.",
            )
        if "geometry.gender.picture" in found:
            picture = statement(found["geometry.gender.picture"], size=17, color=style.MUTED)
            self.pin(picture.next_to(self.skipped_note, DOWN, buff=0.12))
            self.play(FadeIn(picture), run_time=0.5)
        for a, b in pairs:
            self.flat_arrow(self.point(a), self.point(b), grown)
        if pairs:
            self.play(grown.animate.set_value(1.0), run_time=1.5)
        self.wait(1)

    def analogy(self):
        geo = self.geo
        if not geo["analogies"]:
            self.beat(
                "Analogy",
                "This model's vocabulary lacks the words for the analogy.",
                say="This model's vocabulary lacks the words for the classic analogy.",
            )
            return
        a = geo["analogies"][0]
        lines = [
            sentence(
                "{b} − {a} + {c} ≈",
                size=20,
                b=(a["words"][1], "info.geometry.analogies.0.words.1", "text"),
                a=(a["words"][0], "info.geometry.analogies.0.words.0", "text"),
                c=(a["words"][2], "info.geometry.analogies.0.words.2", "text"),
            )
        ]
        for j, near in enumerate(a["nearest"][:5]):
            lines.append(
                sentence(
                    f"{j + 1}. {{w}}  {{c}}",
                    size=18,
                    color=style.NEXT_SLOT if near["word"] == a["target"] else style.TEXT,
                    static=True,
                    w=(near["word"], f"info.geometry.analogies.0.nearest.{j}.word", "text"),
                    c=(near["cosine"], f"info.geometry.analogies.0.nearest.{j}.cosine", "value"),
                )
            )
        found = statements(self.trace)
        for part in ("rank", "rank_with_inputs"):
            lines.append(statement(found[f"geometry.analogies.0.{part}"], size=17, color=style.MUTED))
        panel = (
            VGroup(*lines).arrange(DOWN, aligned_edge=LEFT, buff=0.16).to_corner(LEFT + UP, buff=0.4).shift(0.6 * DOWN)
        )
        self.pin(panel)
        self.beat(
            "Analogy",
            "{e}, by cosine (input words left out): {v}.",
            e=(a["expression"], "info.geometry.analogies.0.expression", "text"),
            v=claim(found["geometry.analogies.0.verdict"]),
            say=f"Take “{a['words'][1]}”, subtract “{a['words'][0]}”, add “{a['words'][2]}”, and search all "
            f"{big(self.trace.meta['vocab_size'])} tokens but those three: "
            f"{found['geometry.analogies.0.verdict'].text}.",
        )
        self.play(FadeIn(panel))
        self.wait(1)

    def plurality(self):
        plural = self.geo["plural"]
        if not plural["n_held_out"]:
            self.beat(
                "Plurality",
                "This model's vocabulary has too few singular and plural pairs to test a direction.",
                say="This model's vocabulary has too few singular and plural pairs to test a plural direction.",
            )
            return
        lines = [
            sentence(
                "plural direction: {a} right on {n} held-out pairs",
                size=18,
                a=(plural["held_out_accuracy"], "info.geometry.plural.held_out_accuracy", "percent0"),
                n=(plural["n_held_out"], "info.geometry.plural.n_held_out", "int"),
            )
        ]
        start = plural["n_fit"]
        for j in range(start, min(start + 4, len(plural["pairs"]))):
            one, many = plural["pairs"][j]
            lines.append(
                sentence(
                    "{a} {x}  →  {b} {y}",
                    size=18,
                    a=(one, f"info.geometry.plural.pairs.{j}.0", "text"),
                    x=(plural["projections"][j][0], f"info.geometry.plural.projections.{j}.0", "value"),
                    b=(many, f"info.geometry.plural.pairs.{j}.1", "text"),
                    y=(plural["projections"][j][1], f"info.geometry.plural.projections.{j}.1", "value"),
                )
            )
        panel = (
            VGroup(*lines)
            .arrange(DOWN, aligned_edge=RIGHT, buff=0.16)
            .to_corner(RIGHT + UP, buff=0.4)
            .shift(0.6 * DOWN)
        )
        self.pin(panel)
        self.beat(
            "Plurality",
            "Along a plural direction found from other pairs, {c}:",
            c=claim(statements(self.trace)["geometry.plural"]),
            say=f"A plural direction, found from {plural['n_fit']} pairs, is tested on the others: "
            f"{statements(self.trace)['geometry.plural'].text}.",
        )
        self.play(FadeIn(panel))
        self.wait(1)

    def dot_products(self):
        dots = self.geo["dots"]
        if not dots:
            return
        found = statements(self.trace)
        lines = []
        for j, d in enumerate(dots):
            lines.append(
                sentence(
                    "{a} · {b} = {v}, {kind}",
                    size=18,
                    a=(d["a"], f"info.geometry.dots.{j}.a", "text"),
                    b=(d["b"], f"info.geometry.dots.{j}.b", "text"),
                    v=(d["dot"], f"info.geometry.dots.{j}.dot", "value"),
                    kind=claim(found[f"geometry.dots.{j}"]),
                )
            )
        panel = (
            VGroup(*lines)
            .arrange(DOWN, aligned_edge=RIGHT, buff=0.16)
            .to_corner(RIGHT + DOWN, buff=0.4)
            .shift(0.6 * UP)
        )
        self.pin(panel)
        self.beat(
            "Dot product",
            "The dot product measures alignment; here {c}.",
            c=claim(found["geometry.pairs"]),
            say="The dot product measures how far two vectors point the same way: multiply entry by entry, add up. "
            f"Here {found['geometry.pairs'].text}. Attention is built on it.",
        )
        self.play(FadeIn(panel))
        self.wait(1.5)
