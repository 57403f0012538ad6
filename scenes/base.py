"""What every lecture scene shares: its Trace, its captions (the beats), the frame's safe area."""

from __future__ import annotations

from manim import DOWN, FadeIn, FadeOut, Scene, config

from scenes import style
from scenes.components import sentence
from scenes.source import scene_trace


class TraceScene(Scene):
    """A scene that draws one Trace. Subclasses write `construct` as a list of beats."""

    caption = None

    def setup(self):
        self.trace = scene_trace()
        self.beats: list[dict] = []  # (time, title, explanation): slide breaks, notes and subtitles

    def beat(self, title: str, explanation: str, show: bool = True, static: bool = False, **fields) -> None:
        """Start a beat: record it and show its explanation as a caption at the bottom.

        `fields` are Trace numbers in the explanation, as for `components.sentence`.
        """
        new = sentence(explanation, size=22, color=style.MUTED, static=static, **fields)
        self.beats.append({"time": self.time, "title": title, "text": new.text})
        if not show:
            return
        max_w = config.frame_width - 2 * style.FRAME_MARGIN - 0.4
        if new.width > max_w:
            new.scale_to_fit_width(max_w)
        new.to_edge(DOWN, buff=0.35)
        self.pin(new)
        if self.caption is not None:
            self.play(FadeOut(self.caption), FadeIn(new), run_time=0.5)
        else:
            self.play(FadeIn(new), run_time=0.5)
        self.caption = new

    def pin(self, *mobjects) -> None:
        """Keep mobjects fixed in the frame (a 3D scene overrides this; a 2D frame never moves)."""

    def fit_width(self, mob, width: float | None = None):
        """Shrink a mobject (never enlarge) to fit the frame's safe width."""
        width = width or config.frame_width - 2 * style.FRAME_MARGIN
        if mob.width > width:
            mob.scale_to_fit_width(width)
        return mob
