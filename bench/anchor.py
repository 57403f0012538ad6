"""The anchor of the render bench: a plain Manim CE scene of the lecture's kind, with nothing of gptanim.

A title, a column of six numbers and eight growing bars, 10 s in all. `bench/render_bench.py`
renders it with the `manim` command (one process, start-up included) at each quality it measures,
and gives every lecture figure as a ratio to it.
"""

from manim import BLUE, DOWN, LEFT, RIGHT, UP, WHITE, GrowFromEdge, LaggedStart, Rectangle, Scene, Text, VGroup, Write

DURATION = 10.0  # seconds of video


class Anchor(Scene):
    def construct(self):
        title = Text("Next-token probabilities", font_size=40).to_edge(UP)
        numbers = VGroup(*(Text(f"{v:.3f}", font_size=28) for v in (0.412, 0.187, 0.096, 0.051, 0.033, 0.020)))
        numbers.arrange(DOWN, aligned_edge=RIGHT, buff=0.3).to_edge(LEFT, buff=1.0)
        heights = (3.2, 2.4, 1.9, 1.5, 1.1, 0.8, 0.5, 0.3)
        bars = VGroup(*(Rectangle(width=0.5, height=h, fill_color=BLUE, fill_opacity=0.8, stroke_color=WHITE)
                        for h in heights)).arrange(RIGHT, aligned_edge=DOWN, buff=0.25).shift(RIGHT * 2 + DOWN * 0.5)  # fmt: skip
        self.play(Write(title), run_time=1.5)
        self.play(LaggedStart(*(Write(n) for n in numbers), lag_ratio=0.2), run_time=2.5)
        self.play(LaggedStart(*(GrowFromEdge(b, DOWN) for b in bars), lag_ratio=0.15), run_time=3.0)
        self.wait(DURATION - 7.0)
