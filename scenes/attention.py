"""Attention and the MLP, from the real weights: patterns, one q·k worked out, flow, and neurons."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    ArcBetweenPoints,
    Arrow,
    Create,
    FadeIn,
    FadeOut,
    ImageMobject,
    LaggedStart,
    Rectangle,
    RoundedRectangle,
    SurroundingRectangle,
    VGroup,
)

from model.claims import FLOW_TOKENS, GRID_TOKENS, statements
from scenes import style
from scenes.base import TraceScene
from scenes.components import AttentionGrid, TokenBox, VectorColumn, claim, label, number, sentence, statement
from scenes.speech import big, dec, pct, spoken_token

MAX_GRID = GRID_TOKENS  # tokens in the big grid; longer prompts show their last 16


def head_heading(trace, size: float = 26, prefix: str = "Layer {L}, head {H}"):
    att = trace.info["attention"]
    return sentence(
        prefix + ": the head with the strongest previous-token attention",
        size=size,
        L=(att["layer"], "info.attention.layer", "plus1"),
        H=(att["head"], "info.attention.head", "plus1"),
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
    """One real head's pattern with its causal mask, one score worked out, then every head as small multiples."""

    def construct(self):
        self.show_grid()
        self.explain_mask()
        self.work_out_one_score()
        self.all_heads()

    def show_grid(self):
        t = self.trace
        att = t.info["attention"]
        self.layer, self.head = att["layer"], att["head"]
        self.positions = shown_positions(t)
        n = len(self.positions)
        pattern = t.pattern(self.layer, self.head)[np.ix_(self.positions, self.positions)]
        cell = min(0.5, 5.2 / n)
        displays = [t.token_display[p] for p in self.positions]
        paths = [f"info.tokens.display.{p}" for p in self.positions]
        self.grid = AttentionGrid(pattern, displays, f"blocks.{self.layer}.attn.hook_pattern[{self.head}]", cell=cell,
                                  show_values=False, token_paths=paths)  # fmt: skip
        for sq, (q, k) in zip(self.grid.cells, ((q, k) for q in self.positions for k in self.positions)):
            sq.weight_path = f"blocks.{self.layer}.attn.hook_pattern[{self.head},{q},{k}]"
        self.grid.move_to([-2.6, -0.45, 0])
        self.heading = head_heading(t, size=24).to_edge(UP, buff=0.3)
        self.fit_width(self.heading)
        self.play(FadeIn(self.heading))
        if n < len(t.token_ids):
            self.beat(
                "Last part",
                "The prompt has {n} tokens; the grid shows the last few. In its last row, {c}.",
                n=(t.token_ids, "info.tokens.ids", "len"),
                c=claim(statements(t)["attention.grid.hidden"]),
                say=f"The prompt has {len(t.token_ids)} tokens; the grid shows the last {n}. In its last row, "
                f"{statements(t)['attention.grid.hidden'].text}.",
            )
            self.wait(2.5)  # time to read what the grid leaves out
        self.beat(
            "Pattern",
            "Each row is a query token; the brighter a cell, the more it reads from that key token.",
            say=f"Attention, up close: of {t.n_head * t.n_layer} heads, the one that puts most weight on the "
            "previous token. Each row is a token reading, each column a token being read; brighter means more.",
        )
        self.play(FadeIn(self.grid.row_labels), FadeIn(self.grid.col_labels))
        self.play(LaggedStart(*(FadeIn(c) for c in self.grid.cells), lag_ratio=0.002), run_time=2)

    def explain_mask(self):
        self.beat(
            "Causal mask",
            "Above the diagonal the scores are −∞ (no peeking ahead), so those weights are 0; each row sums to 1.",
            say="Above the diagonal, all is dark: a token may not look ahead. Those scores are minus infinity, their "
            "weights zero, and each row adds up to one.",
        )
        n = len(self.positions)
        upper = [self.grid.cells[q * n + k] for q in range(n) for k in range(q + 1, n)]
        if upper:
            self.play(LaggedStart(*(c.animate.set_stroke(style.NEGATIVE, opacity=0.6) for c in upper), lag_ratio=0.002))

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
            self.play(Create(self.cell_mark))
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
                s=(
                    float(t[f"blocks.{L}.attn.hook_attn_scores"][H, q, k]),
                    f"blocks.{L}.attn.hook_attn_scores[{H},{q},{k}]",
                    "value",
                ),
            ),
            sentence(
                "softmax of the row → {w}",
                size=20,
                color=style.KEY,
                w=(
                    float(t[f"blocks.{L}.attn.hook_pattern"][H, q, k]),
                    f"blocks.{L}.attn.hook_pattern[{H},{q},{k}]",
                    "percent",
                ),
            ),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.3)
        lines.move_to([3.9, 0.2, 0])
        self.beat(
            "One score",
            "A score is the dot product of a query and a key, divided by the square root of the head size.",
            say=f"One cell: the query of {spoken_token(t.token_display[q])} dotted with the key of "
            f"{spoken_token(t.token_display[k])} gives {dec(ex['dot'])}, divided by {dec(ex['scale'], 0)}, the "
            f"square root of the head size. A softmax over the row makes it "
            f"{pct(t[f'blocks.{L}.attn.hook_pattern'][H, q, k])}.",
        )
        self.play(LaggedStart(*(FadeIn(x, shift=0.1 * RIGHT) for x in lines), lag_ratio=0.5), run_time=3)
        self.wait(1)
        self.example = lines

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
                label(f"layer {layer + 1}", size=14, color=style.MUTED).move_to(
                    [
                        multiples.get_left()[0] - 0.6,
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
        self.beat(
            "Every head",
            "Every head of every layer computes its own pattern; {c}.",
            c=claim(statements(t)["attention.heads"]),
            say=f"Here are all {t.n_head * t.n_layer} heads on the same prompt, each with its own query and key "
            f"matrices, so its own pattern; {statements(t)['attention.heads'].text}.",
        )
        self.play(FadeOut(self.grid), FadeOut(self.example), FadeOut(self.heading), FadeOut(self.cell_mark))
        self.play(FadeIn(heading), FadeIn(multiples), FadeIn(rows))
        cell_w = multiples.width / t.n_head
        cell_h = multiples.height / t.n_layer
        mark = Rectangle(width=cell_w, height=cell_h, color=style.TEXT, stroke_width=2).move_to(
            [
                multiples.get_left()[0] + (self.head + 0.5) * cell_w,
                multiples.get_top()[1] - (self.layer + 0.5) * cell_h,
                0,
            ]
        )
        self.play(Create(mark))
        self.wait(1.5)


def overlaps(a, b, gap: float = 0.05) -> bool:
    """Whether two mobjects' boxes come closer than `gap`."""
    return (
        a.get_left()[0] < b.get_right()[0] + gap
        and b.get_left()[0] < a.get_right()[0] + gap
        and a.get_bottom()[1] < b.get_top()[1] + gap
        and b.get_bottom()[1] < a.get_top()[1] + gap
    )


class AttentionFlow(TraceScene):
    """The last token's attention as arcs from the tokens it reads, opacity by the real weight."""

    def construct(self):
        self.show_tokens()
        self.draw_flow()

    def show_tokens(self):
        t = self.trace
        self.positions = shown_positions(t, FLOW_TOKENS)
        att = t.info["attention"]
        self.layer, self.head = att["layer"], att["head"]
        self.heading = head_heading(t, size=24).to_edge(UP, buff=0.3)
        self.fit_width(self.heading)
        boxes = VGroup(
            *(
                TokenBox(t.token_display[p], f"info.tokens.display.{p}", style.token_hue(p), size=20, limit=8)
                for p in self.positions
            )
        ).arrange(RIGHT, buff=0.18)
        self.fit_width(boxes, 12.8)
        self.boxes = boxes.move_to([0, 1.4, 0])
        self.play(FadeIn(self.heading), LaggedStart(*(FadeIn(b) for b in boxes), lag_ratio=0.05))

    def draw_flow(self):
        t = self.trace
        last = self.positions[-1]
        weights = t.pattern(self.layer, self.head)[last]
        target = self.boxes[-1].get_bottom() + 0.05 * DOWN
        arcs = VGroup()
        for box, pos in zip(self.boxes, self.positions):
            w = float(weights[pos])
            start = box.get_bottom() + 0.05 * DOWN
            if pos == last:
                continue
            arc = ArcBetweenPoints(start, target, angle=1.4).set_stroke(
                style.KEY, width=1 + 10 * w, opacity=0.1 + 0.9 * w
            )
            arc.gptanim_weight_path = f"blocks.{self.layer}.attn.hook_pattern[{self.head},{last},{pos}]"
            arcs.add(arc)
        order = np.argsort(-weights[self.positions], kind="stable")[:3]
        numbers = VGroup()
        for j in order:
            pos = self.positions[j]
            numbers.add(
                number(
                    float(weights[pos]),
                    f"blocks.{self.layer}.attn.hook_pattern[{self.head},{last},{pos}]",
                    "percent",
                    size=16,
                    color=style.KEY,
                ).next_to(self.boxes[j], UP, buff=0.15)  # fmt: skip
            )
            while any(overlaps(numbers[-1], other) for other in numbers[:-1]):
                numbers[-1].shift(0.3 * UP)  # over a narrow token: stack above its neighbour's number
        hidden = statements(t).get("attention.flow.hidden")
        if hidden is not None:  # a longer prompt: say what the picture leaves out
            note = statement(hidden, size=18, color=style.MUTED)
            self.fit_width(note).move_to([0, -2.3, 0])  # below the lowest arc
            numbers.add(note)
        self.beat(
            "Flow",
            "The last token reads from the tokens before it (and itself), each by its real attention weight.",
            say=f"The last token, {spoken_token(t.token_display[last])}, in the same head: each arc as strong as its "
            f"weight. The strongest, {pct(weights[self.positions[order[0]]])}, comes from "
            f"{spoken_token(t.token_display[self.positions[order[0]]])}.",
        )
        if arcs:
            self.play(LaggedStart(*(Create(a) for a in arcs), lag_ratio=0.1), run_time=2)
        self.play(FadeIn(numbers))
        self.beat(
            "Values",
            "What flows along each arc is that token's value vector, scaled by the weight.",
            say="Along each arc travels the token's value vector, scaled by the weight; their sum is added to the "
            "last token's vector.",
        )
        self.wait(1.5)


class MLPBlock(TraceScene):
    """The MLP on one token: up-projection, its activation (GELU, or a gated SwiGLU), down-projection, added back
    to the residual stream (beside attention's output, in a model with a parallel residual)."""

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
                              shown=5, size=16).move_to([-5.6, 0.6, 0])  # fmt: skip
        x_label = label(f"input (after {t.words['norm']})", size=16, color=style.MUTED).next_to(self.x, UP, buff=0.25)
        self.beat(
            "One token at a time",
            "The MLP works on each token's vector alone; here, the last token's.",
            say=f"The MLP works on each vector alone. Here, {spoken_token(t.token_display[p])} in layer {L + 1}.",
        )
        self.play(FadeIn(self.heading), FadeIn(self.x), FadeIn(x_label))

    def block(self, text: str, fields: dict, at) -> VGroup:
        box = RoundedRectangle(corner_radius=0.1, width=2.3, height=1.0, stroke_color=style.BLOCK_MLP,
                               fill_color=style.BLOCK_MLP, fill_opacity=0.15)  # fmt: skip
        inner = sentence(text, size=16, color=style.TEXT, **fields)
        if inner.width > 2.1:
            inner.scale_to_fit_width(2.1)
        return VGroup(box, inner.move_to(box)).move_to(at)

    def up_and_gelu(self):
        t = self.trace
        L, p = self.layer, self.last
        dims = {"d": (t.meta["d_model"], "meta.d_model", "int"), "m": (t.meta["d_mlp"], "meta.d_mlp", "comma")}
        up = self.block(("gate, up" if t.words["mlp_gated"] else "up") + ": {d} → {m}", dims, [-3.2, 0.6, 0])
        head = VGroup(
            label("neuron", size=16, color=style.MUTED),
            label("gate" if t.words["mlp_gated"] else f"before {t.words['activation']}", size=16, color=style.MUTED),
            label("after", size=16, color=style.MUTED),
        )
        rows = [head]
        for n in t.info["mlp"]["top_neurons"][:6]:
            rows.append(
                VGroup(
                    number(n, f"info.mlp.top_neurons.{len(rows) - 1}", "int", size=16, color=style.MUTED),
                    number(float(t[f"blocks.{L}.mlp.hook_pre"][p, n]), f"blocks.{L}.mlp.hook_pre[{p},{n}]", size=16),
                    number(
                        float(t[f"blocks.{L}.mlp.hook_post"][p, n]),
                        f"blocks.{L}.mlp.hook_post[{p},{n}]",
                        size=16,
                        color=style.NEXT_SLOT,
                    ),  # fmt: skip
                )
            )
        xs = [-1.2, 0.5, 2.0]
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                cell.move_to([xs[c], 2.35 - 0.34 * r, 0])
        self.table = VGroup(*rows)
        note = sentence("the most active of {m} neurons", size=16, color=style.MUTED,
                        m=(t.meta["d_mlp"], "meta.d_mlp", "comma")).next_to(self.table, DOWN, buff=0.2)  # fmt: skip
        note.set_x(xs[1])
        top = t.info["mlp"]["top_neurons"][0]
        act = t.words["activation"]
        change = (f"Neuron {top} goes from {dec(t[f'blocks.{L}.mlp.hook_pre'][p, top], 2)} to "
                  f"{dec(t[f'blocks.{L}.mlp.hook_post'][p, top], 2)}.")  # fmt: skip
        if t.words["mlp_gated"]:
            self.beat(
                f"Up and {act}",
                f"Two projections to many more numbers, a gate and an up; {act} squashes the gate's negatives to "
                "about 0 and multiplies the result by the up-projection.",
                say=f"Two matrices spread the {t.meta['d_model']} numbers into {big(t.meta['d_mlp'])} neurons, a gate "
                f"and an up; {act} squashes the gate's negative values towards zero and multiplies by the up. "
                + change.replace("goes from", "has gate"),
            )
        else:
            self.beat(
                f"Up and {act}",
                f"Up-projection to many more numbers, then {act}: negatives squashed to about 0.",
                say=f"A matrix spreads the {t.meta['d_model']} numbers into {big(t.meta['d_mlp'])} neurons, then {act} "
                "squashes negative values towards zero. " + change,
            )
        self.play(Create(Arrow(self.x.get_right(), up.get_left(), buff=0.1, color=style.MUTED)), FadeIn(up))
        self.play(FadeIn(self.table), FadeIn(note))
        self.up, self.note = up, note

    def down_and_add(self):
        t = self.trace
        L, p = self.layer, self.last
        dims = {"m": (t.meta["d_mlp"], "meta.d_mlp", "comma"), "d": (t.meta["d_model"], "meta.d_model", "int")}
        y = -2.0
        down = self.block("down: {m} → {d}", dims, [-5.1, y, 0])

        def column(name: str, x: float) -> VectorColumn:
            return VectorColumn(t[name][p], lambda i: f"{name}[{p},{i}]", shown=5, size=16).move_to([x, y, 0])

        out = column(f"blocks.{L}.hook_mlp_out", -2.3)
        mid = column(f"blocks.{L}.hook_resid_mid", 0.6)
        post = column(f"blocks.{L}.hook_resid_post", 3.6)
        plus = label("+", size=28).move_to([-0.85, y, 0])
        equals = label("=", size=28).move_to([2.1, y, 0])
        labels = VGroup(
            label("MLP output", size=16, color=style.MUTED).next_to(out, UP, buff=0.15),
            label("residual", size=16, color=style.MUTED).next_to(mid, UP, buff=0.15),
            label("new residual", size=16, color=style.MUTED).next_to(post, UP, buff=0.15),
        )
        if t.words["parallel_residual"]:
            labels[1].become(label("residual + attention", size=16, color=style.MUTED).next_to(mid, UP, buff=0.15))
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
        end = down.get_corner(UP + RIGHT) + 0.3 * LEFT
        self.play(Create(Arrow(start, end, buff=0.1, color=style.MUTED)), FadeIn(down))
        self.play(Create(Arrow(down.get_right(), out.get_left(), buff=0.1, color=style.MUTED)))
        self.play(FadeIn(out), FadeIn(labels[0]))
        self.play(FadeIn(plus), FadeIn(mid), FadeIn(labels[1]), FadeIn(equals), FadeIn(post), FadeIn(labels[2]))
        self.wait(1.5)
