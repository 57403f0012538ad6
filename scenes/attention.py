"""Attention and the MLP, from the real weights: patterns, one q·k worked out, flow, and neurons."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    DR,
    LEFT,
    RIGHT,
    UP,
    ArcBetweenPoints,
    Arrow,
    Axes,
    BackgroundRectangle,
    Create,
    Dot,
    FadeIn,
    FadeOut,
    ImageMobject,
    LaggedStart,
    Line,
    Rectangle,
    ReplacementTransform,
    RoundedRectangle,
    SurroundingRectangle,
    TransformFromCopy,
    UpdateFromAlphaFunc,
    VGroup,
    Write,
    config,
    interpolate_color,
)

from model.claims import hidden_read, statements, strongest_read
from scenes import style
from scenes.base import TraceScene
from scenes.components import (
    AttentionGrid,
    TokenBox,
    VectorColumn,
    claim,
    label,
    number,
    sentence,
    statement,
    token_text,
)
from scenes.pacing import cue, dim, said_by
from scenes.speech import big, dec, pct, spoken_token

MAX_GRID = 16  # tokens in the big grid; longer prompts show their last 16
FLOW_TOKENS = 12  # tokens AttentionFlow draws: the last 12


def head_heading(trace, size: float = 26, prefix: str = "Layer {L}, head {H}"):
    att = trace.info["attention"]
    return sentence(
        prefix + ": {why}",
        size=size,
        L=(att["layer"], "info.attention.layer", "plus1"),
        H=(att["head"], "info.attention.head", "plus1"),
        why=claim(statements(trace)["attention.choice"]),
    )


def shown_positions(trace, limit: int = MAX_GRID) -> list[int]:
    n = len(trace.token_ids)
    return list(range(max(0, n - limit), n))


def pattern_image(trace, positions: list[int]) -> np.ndarray:
    """All heads of all layers as one RGB image: a block per (layer, head), a pixel per (query, key)."""
    n, gap = len(positions), 1
    L, H = trace.n_layer, trace.n_head
    zero = np.array(style.PATTERN_ZERO.to_int_rgb(), dtype=np.float64)
    image = np.zeros((L * (n + gap), H * (n + gap), 4), dtype=np.uint8)
    image[..., :3], image[..., 3] = zero, 255
    yellow = np.array(style.QUERY.to_int_rgb(), dtype=np.float64)
    idx = np.ix_(positions, positions)
    for layer in range(L):
        P = trace[f"blocks.{layer}.attn.hook_pattern"]
        for head in range(H):
            block = P[head][idx]
            y, x = layer * (n + gap), head * (n + gap)
            image[y : y + n, x : x + n, :3] = np.round(zero + block[..., None] * (yellow - zero)).astype(np.uint8)
    return image


class AttentionPattern(TraceScene):
    """One real head: queries meet keys, the raw scores fill the grid (−∞ above the diagonal), one q·k worked
    out, the last row's scores become weights through softmax, then every head as small multiples."""

    TITLE = "An attention pattern"
    PART = "Attention and the MLP"
    SUMMARY = "A real head's pattern with its causal mask, one q·k score worked out, and every head as small multiples."
    RENDER_SECONDS = 9

    LABEL = 18  # type size of the grid's token labels

    def construct(self):
        self.show_grid()
        self.explain_mask()
        self.work_out_one_score()
        self.softmax_row()
        self.all_heads()

    def show_grid(self):
        t = self.trace
        att = t.info["attention"]
        self.layer, self.head = att["layer"], att["head"]
        L, H = self.layer, self.head
        self.positions = shown_positions(t)
        n = len(self.positions)
        idx = np.ix_(self.positions, self.positions)
        pattern = t.pattern(L, H)[idx]
        cell = min(0.6, 4.4 / n)
        displays = [t.token_display[p] for p in self.positions]
        paths = [f"info.tokens.display.{p}" for p in self.positions]
        self.grid = AttentionGrid(pattern, displays, f"blocks.{L}.attn.hook_pattern[{H}]", cell=cell,
                                  show_values=False, token_paths=paths)  # fmt: skip
        for labels, side in ((self.grid.row_labels, LEFT), (self.grid.col_labels, UP)):  # legible at any length
            for j, text in enumerate(labels):
                text.scale(self.LABEL / min(20, cell * 40))
                text.next_to(self.grid.cells[j * n if side is LEFT else j], side, buff=0.1)
        for sq, (q, k) in zip(self.grid.cells, ((q, k) for q in self.positions for k in self.positions)):
            sq.weight_path = f"blocks.{L}.attn.hook_pattern[{H},{q},{k}]"
        self.grid.move_to([-3.2, 0, 0]).align_to([0, 3.0, 0], UP)
        self.heading = head_heading(t, size=24).to_edge(UP, buff=0.3)
        self.fit_width(self.heading)
        # Before softmax: each cell coloured by its raw score q·k/√d (blue +, red −), masked cells empty.
        scores = t[f"blocks.{L}.attn.hook_attn_scores"][H][idx]
        seen = scores[np.isfinite(scores)]
        scale = float(np.max(np.abs(seen))) if seen.size else 1.0
        self.weights_fill = [(sq.get_fill_color(), sq.get_fill_opacity()) for sq in self.grid.cells]
        for sq, s in zip(self.grid.cells, scores.ravel()):
            if np.isfinite(s):
                sq.set_fill(style.weight_color(float(s), scale), opacity=0.9)
        masked = [self.grid.cells[q * n + k] for q in range(n) for k in range(q + 1, n)]
        probe = label("−∞", size=self.LABEL, color=style.NEGATIVE)
        if VGroup(*probe[1:-1]).width < cell - 0.06:  # room in each masked cell: −∞ written in it
            self.minus_inf = VGroup(*(probe.copy().move_to(sq) for sq in masked))
        elif masked:  # small cells: one large −∞ in the masked triangle
            self.minus_inf = label("−∞", size=30, color=style.NEGATIVE)
            corner = self.grid.cells[n - 1].get_corner(UP + RIGHT)
            self.minus_inf.move_to(corner + np.array([-0.3 * n * cell, -0.3 * n * cell, 0]))
        else:
            self.minus_inf = VGroup()
        self.play(FadeIn(self.heading))
        self.hidden_note = VGroup()
        if n < len(t.token_ids):
            self.hidden_note = sentence("In the last row, {c}.", size=18, color=style.MUTED,
                                        c=claim(hidden_read(t, L, H, MAX_GRID)))  # fmt: skip
            self.fit_width(self.hidden_note, 6.2 - self.grid.get_right()[0])
            self.hidden_note.next_to([self.grid.get_right()[0] + 0.5, 2.85, 0], DOWN + RIGHT, buff=0)
            self.beat(
                "Last part",
                f"The prompt has {{n}} tokens; the grid shows the last {n}.",
                static=True,  # the grid's size is the scene's choice, not a model number
                n=(t.token_ids, "info.tokens.ids", "len"),
                say=f"This prompt has {len(t.token_ids)} tokens, so the grid shows only the last {n}. In its last "
                f"row, {hidden_read(t, L, H, MAX_GRID).text}.",
            )
            cue(self, 1)
            self.play(FadeIn(self.hidden_note))
        self.beat(
            "Pattern",
            "Each row is a query token, each column a key token; every cell is a score.",
            say=f"Here is attention up close, in {statements(t)['attention.choice'].text}. Each row is a token "
            "that reads, through its query. Each column is a token being read, through its key. Where they meet, "
            "query times key gives a score, blue above zero and red below.",
        )
        # the empty grid is drawn while the head is introduced; its cells fill with scores later
        outline = VGroup(*(sq.copy().set_fill(opacity=0).set_stroke(style.MUTED, width=1) for sq in self.grid.cells))
        self.grid.add_to_back(outline)
        self.play(LaggedStart(*(Create(sq) for sq in outline), lag_ratio=0.01), run_time=said_by(self, 0, 1.5))
        cue(self, 1)
        self.play(LaggedStart(*(FadeIn(x, shift=0.2 * RIGHT) for x in self.grid.row_labels), lag_ratio=0.15),
                  run_time=said_by(self, 1, 1.0))  # fmt: skip
        cue(self, 2)
        self.play(LaggedStart(*(FadeIn(x, shift=0.2 * DOWN) for x in self.grid.col_labels), lag_ratio=0.15),
                  run_time=said_by(self, 2, 1.0))  # fmt: skip
        cue(self, 3)
        self.play(LaggedStart(*(FadeIn(c) for c in self.grid.cells), lag_ratio=0.01), run_time=said_by(self, 3, 2.0))

    def explain_mask(self):
        if not len(self.minus_inf):  # one token: nothing lies ahead of it, no score to mask
            return
        cells, n = self.grid.cells, len(self.positions)
        diagonal = Line(cells[0].get_corner(UP + LEFT), cells[n * n - 1].get_corner(DOWN + RIGHT), color=style.TEXT,
                        stroke_width=3)  # fmt: skip
        self.beat(
            "Causal mask",
            "A token may not look ahead: its scores for later tokens are −∞.",
            say="Above the diagonal, a token would read tokens that come after it. It may not look ahead, so those "
            "scores are set to minus infinity.",
        )
        self.play(Create(diagonal), run_time=said_by(self, 0, 1.0))
        cue(self, 1)
        self.play(LaggedStart(*(Write(m) for m in self.minus_inf), lag_ratio=0.01), dim(diagonal),
                  run_time=said_by(self, 1, 1.5))  # fmt: skip

    def work_out_one_score(self):
        t = self.trace
        ex = t.info["attention"]["example"]
        q, k = ex["query"], ex["key"]
        n = len(self.positions)
        L, H = self.layer, self.head
        self.cell_mark = VGroup()
        if q in self.positions and k in self.positions:
            cell = self.grid.cells[self.positions.index(q) * n + self.positions.index(k)]
            self.cell_mark = SurroundingRectangle(cell, buff=0.02, color=style.TEXT, stroke_width=3)
        self.score_path = f"blocks.{L}.attn.hook_attn_scores[{H},{q},{k}]"
        lines = VGroup(
            sentence(
                "query “{a}” · key “{b}”",
                size=20,
                a=(t.token_display[q], f"info.tokens.display.{q}", "text"),
                b=(t.token_display[k], f"info.tokens.display.{k}", "text"),
            ),  # fmt: skip
            sentence("q · k = {d}", size=20, color=style.QUERY, d=(ex["dot"], "info.attention.example.dot", "value")),
            sentence(
                "÷ √{dh} = {s}",
                size=20,
                dh=(t.meta["d_head"], "meta.d_head", "int"),
                s=(float(t[f"blocks.{L}.attn.hook_attn_scores"][H, q, k]), self.score_path, "value"),
            ),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.25)
        self.fit_width(lines, 6.4 - self.grid.get_right()[0])
        lines.next_to([self.grid.get_right()[0] + 0.5, 2.85, 0], DOWN + RIGHT, buff=0)
        score = float(t[f"blocks.{L}.attn.hook_attn_scores"][H, q, k])
        self.beat(
            "One score",
            "A score is a query times a key, divided by the square root of the head size.",
            say=f"Take one cell, where the query of {spoken_token(t.token_display[q])} meets the key of "
            f"{spoken_token(t.token_display[k])}. Their dot product is {dec(ex['dot'])}. It is divided by the square "
            f"root of {t.meta['d_head']}, the size of a head. That gives the cell's score, {dec(score, 2)}.",
        )
        self.play(Create(self.cell_mark), FadeOut(self.hidden_note), FadeIn(lines[0], shift=0.1 * RIGHT))
        for j in (1, 2):
            cue(self, j)
            self.play(FadeIn(lines[j], shift=0.1 * RIGHT), run_time=1.0)
        cue(self, 3)
        into = lines[2].copy()  # the score goes into its cell
        self.play(into.animate.move_to(self.cell_mark).scale_to_fit_width(self.cell_mark.width).set_opacity(0),
                  run_time=1.2)  # fmt: skip
        self.remove(into)
        self.example = lines

    def softmax_row(self):
        """The last query's row: its real scores, then softmax turns them into weights, and the grid's
        scores into the pattern."""
        t = self.trace
        L, H = self.layer, self.head
        n, last = len(self.positions), self.positions[-1]
        scores = t[f"blocks.{L}.attn.hook_attn_scores"][H, last]
        weights = t.pattern(L, H)[last]
        top = 2.85
        step = min(0.34, (top + 3.15) / (n + 1))
        x0 = self.grid.get_right()[0] + 0.5
        xs = [x0, x0 + 1.9, x0 + 3.6]
        head = VGroup(
            label("key", size=18, color=style.KEY),
            label("score", size=18, color=style.MUTED),
            label("weight", size=18, color=style.QUERY),
        )
        rows, score_cells, weight_cells = VGroup(), VGroup(), VGroup()
        for j, p in enumerate(self.positions):
            y = top - step * (j + 1)
            key = token_text(t.token_display[p], f"info.tokens.display.{p}", size=18, color=style.token_hue(j), limit=8)
            s = number(float(scores[p]), f"blocks.{L}.attn.hook_attn_scores[{H},{last},{p}]", size=18)
            w = number(float(weights[p]), f"blocks.{L}.attn.hook_pattern[{H},{last},{p}]", "percent", size=18,
                       color=style.QUERY)  # fmt: skip
            key.move_to([xs[0], y, 0], aligned_edge=LEFT)
            s.move_to([xs[1] + 0.6, y, 0], aligned_edge=RIGHT)
            w.move_to([xs[2] + 0.7, y, 0], aligned_edge=RIGHT)
            rows.add(key)
            score_cells.add(s)
            weight_cells.add(w)
        for c, h in enumerate(head):
            h.move_to(
                [[xs[0], 0, 0], [xs[1] + 0.6, 0, 0], [xs[2] + 0.7, 0, 0]][c], aligned_edge=LEFT if c == 0 else RIGHT
            )
            h.set_y(top)
        row_mark = SurroundingRectangle(self.grid.cells[(n - 1) * n : n * n], buff=0.03, color=style.QUERY,
                                        stroke_width=2.5)  # fmt: skip
        best = int(np.argmax(weights[self.positions]))
        self.beat(
            "Softmax",
            "Softmax turns a row of scores into weights that sum to 1; −∞ becomes 0.",
            say=f"Now the last row, the query of {spoken_token(t.token_display[last])}. Softmax raises e to each "
            "score, then divides by their sum. The scores become weights, positive and adding up to one. The "
            f"largest score takes {pct(weights[self.positions].max())} of the weight. Every row goes through the "
            "same softmax, and minus infinity becomes zero.",
        )
        self.play(FadeOut(self.cell_mark), FadeOut(self.example), Create(row_mark), FadeIn(head), FadeIn(rows),
                  LaggedStart(*(TransformFromCopy(sq, s) for sq, s in zip(self.grid.cells[(n - 1) * n :], score_cells)),
                              lag_ratio=0.05), run_time=said_by(self, 0, 2.0))  # fmt: skip
        cue(self, 1)
        self.play(LaggedStart(*(TransformFromCopy(s, w) for s, w in zip(score_cells, weight_cells)), lag_ratio=0.05),
                  run_time=said_by(self, 2, 2.0))  # fmt: skip
        cue(self, 3)
        top_mark = SurroundingRectangle(VGroup(rows[best], weight_cells[best]), buff=0.05, color=style.QUERY)
        self.play(Create(top_mark), run_time=0.8)
        cue(self, 4)
        # The whole grid goes through softmax, row by row: the scores' colours become the pattern's.
        self.play(
            LaggedStart(*(sq.animate.set_fill(color, opacity=op) for sq, (color, op) in
                          zip(self.grid.cells, self.weights_fill)), lag_ratio=0.01),
            dim(self.minus_inf), dim(top_mark),  # −∞ becomes a weight of 0
            run_time=said_by(self, 4, 2.0),
        )  # fmt: skip
        self.row = VGroup(head, rows, score_cells, weight_cells, row_mark)

    def all_heads(self):
        t = self.trace
        image = pattern_image(t, self.positions)
        multiples = ImageMobject(image)
        multiples.set_resampling_algorithm(0)  # nearest: one crisp square per weight
        multiples.height = min(5.0, 11.0 * image.shape[0] / image.shape[1])
        if multiples.width > 11.0:
            multiples.width = 11.0
        multiples.move_to([0.4, -0.35, 0])
        self.multiples = multiples
        rows = VGroup(
            *(
                label(f"layer {layer + 1}", size=18, color=style.MUTED).move_to(
                    [
                        multiples.get_left()[0] - 0.55,
                        multiples.get_top()[1] - (layer + 0.5) * multiples.height / t.n_layer,
                        0,
                    ]
                )
                for layer in range(t.n_layer)
            )
        )
        heading = sentence(
            "All {H} heads of all {L} layers",
            size=26,
            H=(t.n_head, "meta.n_head", "int"),
            L=(t.n_layer, "meta.n_layer", "int"),
        ).to_edge(UP, buff=0.3)
        spread = statement(statements(t)["attention.heads"], size=18, color=style.MUTED)
        self.fit_width(spread).next_to(heading, DOWN, buff=0.15)
        heads = statements(t)["attention.heads"].text
        self.beat(
            "Every head",
            "Every head of every layer computes its own pattern.",
            say=f"Here is every head of every layer, on the same prompt, {statements(t)['family.heads'].text}. "
            f"Each draws its own pattern. The head we just watched is this one. {heads[0].upper()}{heads[1:]}.",
        )
        self.play(FadeOut(self.grid), FadeOut(self.row), FadeOut(self.heading), run_time=0.6)
        self.play(FadeIn(heading), FadeIn(multiples), FadeIn(rows))
        cell_w = multiples.width / t.n_head
        cell_h = multiples.height / t.n_layer

        def block(layer: int, head: int) -> Rectangle:
            return Rectangle(width=cell_w, height=cell_h, color=style.TEXT, stroke_width=2).move_to(
                [multiples.get_left()[0] + (head + 0.5) * cell_w, multiples.get_top()[1] - (layer + 0.5) * cell_h, 0]
            )

        cue(self, 1)  # a frame walks along the first layer's heads, one pattern after another
        mark = block(0, 0)
        self.play(Create(mark), run_time=0.5)
        for head in range(1, t.n_head):
            self.play(mark.animate.move_to(block(0, head)), run_time=max(0.3, said_by(self, 1, 1.0) / t.n_head))
        cue(self, 2)
        self.play(mark.animate.move_to(block(self.layer, self.head)), run_time=1.0)
        cue(self, 3)
        self.play(FadeIn(spread, shift=0.1 * DOWN))


def overlaps(a, b, gap: float = 0.05) -> bool:
    """Whether two mobjects' boxes come closer than `gap`."""
    return (
        a.get_left()[0] < b.get_right()[0] + gap
        and b.get_left()[0] < a.get_right()[0] + gap
        and a.get_bottom()[1] < b.get_top()[1] + gap
        and b.get_bottom()[1] < a.get_top()[1] + gap
    )


def travel(mob, path, end_scale: float) -> UpdateFromAlphaFunc:
    """Move `mob` along `path` while it scales to `end_scale`: a value vector carried by its attention weight."""
    start = mob.copy()

    def update(m, alpha):
        m.become(start)
        m.scale(1 + (end_scale - 1) * alpha)
        m.move_to(path.point_from_proportion(alpha))

    return UpdateFromAlphaFunc(mob, update)


ARC_MIN_OPACITY = 0.6  # the faintest arc still stands 3:1 against the background (tests check it)


def arc_stroke(arc, weight: float, largest: float = 1.0):
    """An arc as wide as its weight and as bright as its weight beside the `largest` one drawn: the heaviest arc
    in the text colour at full strength (the most contrast in either theme), the lightest in the key colour,
    never fainter than ARC_MIN_OPACITY."""
    t = weight / largest if largest > 0 else 0.0
    return arc.set_stroke(interpolate_color(style.KEY, style.TEXT, t), width=2 + 18 * weight,
                          opacity=ARC_MIN_OPACITY + (1 - ARC_MIN_OPACITY) * t)  # fmt: skip


class AttentionFlow(TraceScene):
    """The last token's attention as arcs from the tokens it reads, width by the real weight; the value
    vectors travel along them, scaled by the weight, and add up to the head's output for the last token."""

    TITLE = "Where the last token looks"
    PART = "Attention and the MLP"
    SUMMARY = "The last token's attention as arcs from the tokens it reads."
    RENDER_SECONDS = 5

    VALUES = 3  # tokens whose value vectors travel (the largest weights)
    ENTRIES = 3  # entries of each value vector shown
    TOKEN_SIZES = ((26, 8), (24, 8), (22, 7), (20, 6))  # (type size, letters) of the tokens, the largest that fit
    ROW_WIDTH = 13.0
    TOKEN_Y = 0.2  # the arcs hang below the tokens, the value vectors stand above them
    BOW = 1.7  # the arcs' angle: long ones reach down towards the weighted sum

    def construct(self):
        self.show_tokens()
        self.draw_flow()
        self.carry_values()

    def show_tokens(self):
        t = self.trace
        self.positions = shown_positions(t, FLOW_TOKENS)
        att = t.info["attention"]
        self.layer, self.head = att["layer"], att["head"]
        title = sentence("Layer {L}, head {H}", size=28, L=(att["layer"], "info.attention.layer", "plus1"),
                         H=(att["head"], "info.attention.head", "plus1"))  # fmt: skip
        why = self.fit_width(statement(statements(t)["attention.choice"], size=22, color=style.MUTED))
        self.heading = VGroup(title, why).arrange(DOWN, buff=0.12).to_edge(UP, buff=0.25)
        for size, limit in self.TOKEN_SIZES:  # as large as the row fits across the frame
            boxes = VGroup(*(TokenBox(t.token_display[p], f"info.tokens.display.{p}", style.token_hue(p), size=size,
                                      limit=limit) for p in self.positions))  # fmt: skip
            if sum(b.width for b in boxes) + 0.18 * (len(boxes) - 1) <= self.ROW_WIDTH:
                break
        spare = self.ROW_WIDTH - sum(b.width for b in boxes)  # a short prompt spreads over the frame's width
        boxes.arrange(RIGHT, buff=min(1.4, max(0.18, spare / max(1, len(boxes) - 1))))
        self.fit_width(boxes, self.ROW_WIDTH)
        self.boxes = boxes.move_to([0, self.TOKEN_Y, 0])
        self.play(FadeIn(self.heading), LaggedStart(*(FadeIn(b) for b in boxes), lag_ratio=0.05))

    def draw_flow(self):
        t = self.trace
        last = self.positions[-1]
        weights = t.pattern(self.layer, self.head)[last]
        target = self.boxes[-1].get_bottom() + 0.05 * DOWN
        self.arcs = VGroup()
        for box, pos in zip(self.boxes, self.positions):
            start = box.get_bottom() + 0.05 * DOWN
            if pos == last:  # the token reads itself too: a loop under its own box
                half = min(0.2, box.width / 2 - 0.02) * RIGHT
                arc = ArcBetweenPoints(target - half, target + half, angle=1.6 * np.pi)
            else:
                arc = ArcBetweenPoints(start, target, angle=self.BOW)
            arc_stroke(arc, float(weights[pos]), float(np.max(weights[self.positions])))
            arc.gptanim_weight_path = f"blocks.{self.layer}.attn.hook_pattern[{self.head},{last},{pos}]"
            self.arcs.add(arc)
        self.order = [int(j) for j in np.argsort(-weights[self.positions], kind="stable")[: self.VALUES]]
        numbers = VGroup()
        for j in self.order:
            pos = self.positions[j]
            numbers.add(
                number(
                    float(weights[pos]),
                    f"blocks.{self.layer}.attn.hook_pattern[{self.head},{last},{pos}]",
                    "percent",
                    size=22,
                    color=style.KEY,
                ).next_to(self.boxes[j], UP, buff=0.12)  # fmt: skip
            )
            while any(overlaps(numbers[-1], other) for other in numbers[:-1]):
                numbers[-1].shift(0.3 * UP)  # over a narrow token: stack above its neighbour's number
        self.numbers = numbers
        hidden = hidden_read(t, self.layer, self.head, FLOW_TOKENS)
        self.note = VGroup()
        if hidden is not None:  # a longer prompt: say what the picture leaves out
            self.note = statement(hidden, size=20, color=style.MUTED)
            self.fit_width(self.note, 9.0)
            self.note.move_to([-6.6, -2.75, 0], aligned_edge=LEFT)  # below the lowest arc, left of the sum
        first = self.positions[self.order[0]]
        self.beat(
            "Flow",
            "The last token reads from the tokens before it (and itself), each by its real attention weight.",
            say=f"Now the same head from the side, for the last token, {spoken_token(t.token_display[last])}. Each arc "
            "brings it attention from one token. The larger that token's weight, the wider and brighter its arc. "
            "The widest, "
            f"{pct(weights[first])}, comes from {spoken_token(t.token_display[first])}, "
            f"{strongest_read(t, self.layer, self.head, FLOW_TOKENS).text}.",
        )
        mark = SurroundingRectangle(self.boxes[-1], buff=0.06, color=style.NEXT_SLOT)
        self.play(Create(mark), run_time=said_by(self, 0, 1.0))
        cue(self, 1)
        self.play(LaggedStart(*(Create(a) for a in self.arcs), lag_ratio=0.1), dim(mark),
                  run_time=said_by(self, 2, 2.0))  # fmt: skip
        cue(self, 3)
        own = self.arcs[self.order[0]].get_stroke_color()
        half = said_by(self, 3, 2.0) / 2  # the widest while it is named, then the next ones beside it
        self.play(FadeIn(numbers[0], shift=0.1 * UP), self.arcs[self.order[0]].animate.set_stroke(style.NEXT_SLOT),
                  run_time=half)  # fmt: skip
        self.play(FadeIn(numbers[1:]), FadeIn(self.note), self.arcs[self.order[0]].animate.set_stroke(own),
                  run_time=half)  # fmt: skip

    def value_columns(self) -> list:
        """The value vectors of the tokens that weigh most, side by side above their tokens, pushed apart where
        tokens are close, inside the frame."""
        t = self.trace
        L, H = self.layer, self.head
        v = t[f"blocks.{L}.attn.hook_v"]
        columns = []
        for j in self.order:
            pos = self.positions[j]
            col = VectorColumn(v[pos, H], lambda i, pos=pos: f"blocks.{L}.attn.hook_v[{pos},{H},{i}]",
                               shown=self.ENTRIES, size=22, dim_path=None)  # fmt: skip
            columns.append(col)
        top = max(n.get_top()[1] for n in self.numbers) + 0.15
        order_x = sorted(range(len(columns)), key=lambda c: self.boxes[self.order[c]].get_x())
        right = -np.inf
        for c in order_x:
            col = columns[c]
            col.move_to([self.boxes[self.order[c]].get_x(), top + col.height / 2, 0])
            if col.get_left()[0] < right + 0.25:
                col.shift((right + 0.25 - col.get_left()[0]) * RIGHT)
            right = col.get_right()[0]
        spill = max(c.get_right()[0] for c in columns) - (config.frame_width / 2 - 0.4)
        if spill > 0:
            for col in columns:
                col.shift(spill * LEFT)
        return columns

    def carry_values(self):
        t = self.trace
        L, H, last = self.layer, self.head, self.positions[-1]
        weights = t.pattern(L, H)[last]
        columns = self.value_columns()
        tag = sentence(
            "value vectors ({d} numbers)", size=22, color=style.VALUE, d=(t.meta["d_head"], "meta.d_head", "int")
        )
        edge = config.frame_width / 2 - style.FRAME_MARGIN
        tag.next_to(VGroup(*columns), LEFT, buff=0.3)
        if tag.get_left()[0] < -edge:
            tag.next_to(VGroup(*columns), RIGHT, buff=0.3)
        if tag.get_right()[0] > edge:  # no room beside them: the caption names them
            tag = VGroup()
        z = VectorColumn(t[f"blocks.{L}.attn.hook_z"][last, H], lambda i: f"blocks.{L}.attn.hook_z[{last},{H},{i}]",
                         shown=self.ENTRIES, size=22, dim_path=None)  # fmt: skip
        z.move_to([self.boxes[-1].get_x(), -2.1, 0])
        if z.get_right()[0] > config.frame_width / 2 - 0.4:
            z.shift((z.get_right()[0] - config.frame_width / 2 + 0.4) * LEFT)
        z_tag = label("their weighted sum", size=22, color=style.VALUE).next_to(z, LEFT, buff=0.3)
        z_tag = VGroup(BackgroundRectangle(z_tag, color=style.BACKGROUND, fill_opacity=0.85, buff=0.06), z_tag)
        self.beat(
            "Values",
            "Each token also offers a value vector ({d} numbers; its first entries shown).",
            d=(t.meta["d_head"], "meta.d_head", "int"),
            say=f"Each token also offers a value vector, {self.trace.meta['d_head']} numbers in this head. Here are "
            "the first few entries, for the tokens that weigh most.",
        )
        self.play(
            *([FadeIn(tag)] if len(tag) else []), FadeIn(columns[0], shift=0.2 * UP), run_time=said_by(self, 0, 1.0)
        )
        cue(self, 1)
        if len(columns) > 1:  # (a one-token prompt has one value only)
            self.play(LaggedStart(*(FadeIn(c, shift=0.2 * UP) for c in columns[1:]), lag_ratio=0.4),
                      run_time=said_by(self, 1, 1.0))  # fmt: skip
        first = t[f"blocks.{L}.attn.hook_z"][last, H, 0]
        self.beat(
            "Weighted sum",
            "Each value travels along its arc, scaled by the weight, and they add into the last token's vector.",
            say="Along each arc a value vector travels to the last token, shrunk or kept by its weight. There they "
            f"add up. In this head, the sum's first entry is {dec(first, 2)}.",
        )
        paths = []
        for c, j in enumerate(self.order):
            arc = self.arcs[j]
            path = Line(columns[c].get_center(), arc.get_start())
            path.append_points(arc.points)
            paths.append(path)
        self.play(
            *([FadeOut(tag)] if len(tag) else []),
            LaggedStart(
                *(
                    travel(col, path, 0.35 + 0.65 * float(weights[self.positions[j]]))
                    for col, path, j in zip(columns, paths, self.order)
                ),
                lag_ratio=0.25,
            ),  # fmt: skip
            run_time=said_by(self, 0, 3.0),
        )
        cue(self, 1)
        self.play(ReplacementTransform(VGroup(*columns), z), FadeIn(z_tag), run_time=1.2)
        cue(self, 2)
        self.play(Create(SurroundingRectangle(z.entries[0], buff=0.05, color=style.VALUE)), run_time=0.8)


def gelu(x):
    """GPT-2's GELU (tanh form), to draw its curve; the dots on it are the Trace's own values."""
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


CURVES = {"GELU": gelu}  # activations drawn as a curve, by the Trace's word for them


class MLPBlock(TraceScene):
    """The MLP on one token: up-projection, its activation (its curve, with this token's real pre-activations on
    it; or a gated SwiGLU), down-projection, added back to the residual stream (beside attention's output, in a
    model with a parallel residual)."""

    TITLE = "The MLP block"
    PART = "Attention and the MLP"
    SUMMARY = "Up-projection, GELU, down-projection on one token, added to the residual."
    RENDER_SECONDS = 10

    SHOWN = 4  # entries of each vector shown

    def construct(self):
        self.show_input()
        self.up_and_gelu()
        self.down_and_add()

    def show_input(self):
        t = self.trace
        self.layer = t.info["mlp"]["layer"]
        self.last = len(t.token_ids) - 1
        L, p = self.layer, self.last
        heading = sentence("The MLP of layer {L}, on the last token “{tok}”", size=26,
                           L=(L, "info.mlp.layer", "plus1"),
                           tok=(t.token_display[p], f"info.tokens.display.{p}", "text"))  # fmt: skip
        self.heading = self.fit_width(heading).to_edge(UP, buff=0.3)
        self.x = VectorColumn(t[f"blocks.{L}.ln2.hook_normalized"][p], lambda i: f"blocks.{L}.ln2.hook_normalized[{p},{i}]",
                              shown=self.SHOWN, size=18, dim_path=None).move_to([-6.1, 1.2, 0])  # fmt: skip
        x_label = label(f"input (after {t.words['norm']})", size=18, color=style.MUTED)
        x_label.next_to(self.x, UP, buff=0.2).align_to(self.x, LEFT)
        self.beat(
            "One token at a time",
            "The MLP works on each token's vector alone; here, the last token's.",
            say=f"The MLP works on each token's vector on its own. Here, the vector of {spoken_token(t.token_display[p])}, "
            f"in layer {L + 1}.",
        )
        self.play(FadeIn(self.heading), FadeIn(self.x), FadeIn(x_label))
        cue(self, 1)
        self.play(Create(mark := SurroundingRectangle(self.x, buff=0.1, color=style.NEXT_SLOT)), run_time=1.0)
        self.x_mark = mark

    def block(self, text: str, fields: dict, at) -> VGroup:
        box = RoundedRectangle(corner_radius=0.1, width=1.9, height=1.0, stroke_color=style.BLOCK_MLP,
                               fill_color=style.BLOCK_MLP, fill_opacity=0.15)  # fmt: skip
        inner = sentence(text, size=18, color=style.TEXT, **fields)
        if inner.width > 1.8:  # two lines rather than small type
            name, _, dims = text.partition(": ")
            inner = VGroup(label(name, size=18), sentence(dims, size=18, **fields)).arrange(DOWN, buff=0.08)
        return VGroup(box, inner.move_to(box)).move_to(at)

    def neurons(self) -> list[tuple[int, str | None]]:
        """The neurons shown: the most active ones (from the Trace's summary) and the most negative before
        the activation, so both sides of the curve are seen."""
        t = self.trace
        pre = t[f"blocks.{self.layer}.mlp.hook_pre"][self.last]
        top = [(n, f"info.mlp.top_neurons.{j}") for j, n in enumerate(t.info["mlp"]["top_neurons"][:3])]
        taken = {n for n, _ in top}
        low = [(int(n), None) for n in np.argsort(pre, kind="stable") if int(n) not in taken][:3]
        return top + low

    def up_and_gelu(self):
        t = self.trace
        dims = {"d": (t.meta["d_model"], "meta.d_model", "int"), "m": (t.meta["d_mlp"], "meta.d_mlp", "comma")}
        up = self.block(("gate, up" if t.words["mlp_gated"] else "up") + ": {d} → {m}", dims, [-3.9, 1.2, 0])
        chosen = self.neurons()
        rows, befores, afters = self.neuron_table(chosen)
        head = rows[0]
        note = VGroup(
            sentence(f"{len(chosen)} of {{m}} neurons:", size=18, color=style.MUTED, static=True,
                     m=(t.meta["d_mlp"], "meta.d_mlp", "comma")),
            label("most active, most negative", size=18, color=style.MUTED),
        ).arrange(DOWN, buff=0.08)  # fmt: skip
        note.next_to(VGroup(*rows), DOWN, buff=0.2).set_x(head[1].get_x())
        if note.get_right()[0] > config.frame_width / 2 - 0.3:
            note.shift((note.get_right()[0] - config.frame_width / 2 + 0.3) * LEFT)
        self.beat(
            "Up",
            "Up-projection: the vector is spread into many more numbers, one per neuron.",
            say=f"A matrix spreads the {t.meta['d_model']} numbers into {big(t.meta['d_mlp'])} neurons. Here are "
            "the three most active, and the three most negative.",
        )
        self.play(Create(Arrow(self.x.get_right(), up.get_left(), buff=0.1, color=style.MUTED)), FadeIn(up),
                  dim(self.x_mark))  # fmt: skip
        for sentence_k, part in ((0, slice(1, 4)), (1, slice(4, None))):  # the most active, then the most negative
            cue(self, sentence_k)
            new = [head, note] if sentence_k == 0 else []
            self.play(FadeIn(VGroup(*new, *(r[0] for r in rows[part]))),
                      LaggedStart(*(TransformFromCopy(up, r[1]) for r in rows[part]), lag_ratio=0.15),
                      run_time=1.5)  # fmt: skip
        self.up, self.note = up, note
        self.dots = self.through_activation(chosen, befores, afters)

    def neuron_table(self, chosen: list[tuple[int, str | None]]) -> tuple[list[VGroup], VGroup, VGroup]:
        """A header and a line per chosen neuron (its number, its value before the activation or its gate, and
        after), placed at the right; the befores and the afters as groups."""
        t = self.trace
        L, p = self.layer, self.last
        pre, post = t[f"blocks.{L}.mlp.hook_pre"][p], t[f"blocks.{L}.mlp.hook_post"][p]
        head = VGroup(
            label("neuron", size=18, color=style.MUTED),
            label("gate" if t.words["mlp_gated"] else "before", size=18, color=style.MUTED),
            label("after", size=18, color=style.MUTED),
        )
        rows, befores, afters = [head], VGroup(), VGroup()
        for n, path in chosen:
            ident = (
                number(n, path, "int", size=18, color=style.MUTED)
                if path
                else label(str(n), size=18, color=style.MUTED)
            )
            b = number(float(pre[n]), f"blocks.{L}.mlp.hook_pre[{p},{n}]", size=18)
            a = number(float(post[n]), f"blocks.{L}.mlp.hook_post[{p},{n}]", size=18, color=style.NEXT_SLOT)
            rows.append(VGroup(ident, b, a))
            befores.add(b)
            afters.add(a)
        xs = [3.3, 4.75, 6.2]
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                cell.move_to([xs[c], 2.75 - 0.34 * r, 0])
        return rows, befores, afters

    def through_activation(self, chosen, befores: VGroup, afters: VGroup) -> VGroup:
        """The activation beat: each chosen neuron's value goes through the curve, each dot placed on it at its
        real values (a gated MLP's output is no curve of one number: its gates become the results). Returns
        what marks the neurons' results."""
        t = self.trace
        L, p = self.layer, self.last
        pre, post = t[f"blocks.{L}.mlp.hook_pre"][p], t[f"blocks.{L}.mlp.hook_post"][p]
        act = t.words["activation"]
        shape = CURVES.get(act) if not t.words["mlp_gated"] else None
        top, low = chosen[0][0], chosen[3][0]
        if shape is None:  # gated: the gate and the result, as numbers
            self.beat(
                f"Up and {act}",
                f"A gate and an up-projection; {act} squashes the gate's negatives and multiplies by the up.",
                say=f"A second matrix makes the up-projection; {act} squashes the gate's negative values towards zero "
                f"and multiplies by the up. Neuron {top} has gate {dec(pre[top], 2)} and ends at {dec(post[top], 2)}.",
            )
            self.play(LaggedStart(*(TransformFromCopy(b, a) for b, a in zip(befores, afters)), lag_ratio=0.1))
            return afters
        # The activation's curve over the range of the shown neurons.
        values = np.array([pre[n] for n, _ in chosen], dtype=np.float64)
        lo, hi = min(-2.0, float(values.min()) - 0.3), max(2.0, float(values.max()) + 0.3)
        ys = np.array([post[n] for n, _ in chosen], dtype=np.float64)
        top_y = max(1.0, float(ys.max()) + 0.3)
        axes = Axes(x_range=[lo, hi, 1], y_range=[-0.5, top_y, 1], x_length=4.1, y_length=2.6, tips=False,
                    axis_config={"color": style.MUTED, "stroke_width": 2, "include_ticks": False})  # fmt: skip
        axes.move_to([0.1, 1.35, 0])
        curve = axes.plot(lambda v: float(shape(v)), x_range=[lo, hi], color=style.BLOCK_MLP, stroke_width=4)
        name = label(act, size=20, color=style.BLOCK_MLP).next_to(axes.c2p(lo, top_y), DR, buff=0.1)
        dots = VGroup(
            *(
                Dot(axes.c2p(float(pre[n]), 0), radius=0.07, color=style.NEXT_SLOT if pre[n] > 0 else style.NEGATIVE)
                for n, _ in chosen
            )
        )
        self.beat(
            f"Up and {act}",
            f"Then {act}: each neuron's value goes through this curve; negatives end near 0.",
            say=f"Then each neuron goes through {act}, this curve. Positive values pass almost unchanged: neuron "
            f"{top} ends at {dec(post[top], 2)}. Negative values are squashed towards zero: neuron {low} ends at "
            f"{dec(post[low], 2)}.",
        )
        self.play(Create(axes), Create(curve), FadeIn(name), run_time=said_by(self, 0, 1.5))
        self.play(LaggedStart(*(TransformFromCopy(b, d) for b, d in zip(befores, dots)), lag_ratio=0.1), run_time=1.2)
        cue(self, 1)
        positive = [(d, n) for d, (n, _) in zip(dots, chosen) if pre[n] > 0]
        negative = [(d, n) for d, (n, _) in zip(dots, chosen) if pre[n] <= 0]
        for group, sentence_k in ((positive, 1), (negative, 2)):  # each side moves onto the curve as it is said
            cue(self, sentence_k)
            moves = [d.animate.move_to(axes.c2p(float(pre[n]), float(post[n]))) for d, n in group]
            moves += [TransformFromCopy(d, afters[list(dots).index(d)]) for d, _ in group]
            if moves:
                self.play(*moves, run_time=1.5)
        return dots

    def down_and_add(self):
        t = self.trace
        L, p = self.layer, self.last
        dims = {"m": (t.meta["d_mlp"], "meta.d_mlp", "comma"), "d": (t.meta["d_model"], "meta.d_model", "int")}
        y = -1.9
        down = self.block("down: {m} → {d}", dims, [-5.3, y, 0])

        def column(name: str, x: float) -> VectorColumn:
            return VectorColumn(t[name][p], lambda i: f"{name}[{p},{i}]", shown=self.SHOWN, size=18,
                                dim_path=None).move_to([x, y, 0])  # fmt: skip

        out = column(f"blocks.{L}.hook_mlp_out", -2.4)
        mid = column(f"blocks.{L}.hook_resid_mid", 0.6)
        post = column(f"blocks.{L}.hook_resid_post", 3.6)
        plus = label("+", size=28).move_to([-0.9, y, 0])
        equals = label("=", size=28).move_to([2.1, y, 0])
        labels = VGroup(
            label("MLP output", size=18, color=style.MUTED).next_to(out, UP, buff=0.15),
            label("residual", size=18, color=style.MUTED).next_to(mid, UP, buff=0.15),
            label("new residual", size=18, color=style.MUTED).next_to(post, UP, buff=0.15),
        )
        if t.words["parallel_residual"]:
            labels[1].become(label("residual + attention", size=18, color=style.MUTED).next_to(mid, UP, buff=0.15))
            self.beat(
                "Down and add",
                "Back down, then added: here MLP and attention run side by side (parallel residual).",
                say=f"A second matrix brings them back to {t.meta['d_model']} numbers. In this model the MLP read the "
                "same vector as attention, side by side, and both outputs are added to the residual stream.",
            )
        else:
            self.beat(
                "Down and add",
                "Down-projection back to the vector's size, then added to the residual stream.",
                say=f"A second matrix brings them back to {self.trace.meta['d_model']} numbers, added to the token's "
                "vector. This running sum is the residual stream.",
            )
        start = [self.up.get_x(), self.up.get_bottom()[1] - 0.05, 0]
        step = max(1.0, said_by(self, 0, 3.0) / 3)  # the first sentence: down, out, and beside the residual
        self.play(Create(Arrow(start, down.get_top(), buff=0.1, color=style.MUTED)), FadeIn(down), run_time=step)
        self.play(Create(Arrow(down.get_right(), out.get_left(), buff=0.1, color=style.MUTED)),
                  TransformFromCopy(self.dots, out.entries), FadeIn(out.decor), FadeIn(labels[0]), run_time=step)  # fmt: skip
        self.play(FadeIn(plus), FadeIn(mid, shift=0.2 * LEFT), FadeIn(labels[1]), run_time=step)
        cue(self, 1)  # the sum, as the residual stream is named
        self.play(FadeIn(equals), FadeIn(post.decor), FadeIn(labels[2]),
                  *(TransformFromCopy(VGroup(a, b), c) for a, b, c in zip(out.entries, mid.entries, post.entries)),
                  run_time=said_by(self, 1, 1.5))  # fmt: skip
