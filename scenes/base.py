"""What every lecture scene shares: its Trace, its captions (the beats), the frame's safe area."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from manim import DOWN, FadeIn, FadeOut, Scene, ThreeDScene, config

from model.errors import GptanimError
from scenes import style
from scenes.components import sentence
from scenes.source import scene_trace

# With GPTANIM_SLIDES=<folder> when the scenes are imported, every scene is a manim-slides Slide:
# each beat starts a slide whose speaker notes are the beat's explanation, written to the folder
# GPTANIM_SLIDES names when the scene is made (a render worker sets it anew for each scene).
SLIDES = bool(os.environ.get("GPTANIM_SLIDES"))
if SLIDES:
    from manim_slides import Slide as SceneBase
    from manim_slides import ThreeDSlide as ThreeDSceneBase
else:
    SceneBase, ThreeDSceneBase = Scene, ThreeDScene


class TraceScene(SceneBase):
    """A scene that draws one Trace. Subclasses write `construct` as a list of beats."""

    caption = None
    skip_reversing = True  # manim-slides: no reversed copy of every slide (halves the encoding)

    def __init__(self, *args, **kwargs):
        config.background_color = style.BACKGROUND  # the theme's (GPTANIM_THEME)
        if SLIDES:
            kwargs.setdefault("output_folder", Path(os.environ["GPTANIM_SLIDES"]))
        super().__init__(*args, **kwargs)

    def setup(self):
        try:
            self.trace = scene_trace()
        except GptanimError as exc:  # plain `manim` would print a traceback: say it in one line instead
            print(f"gptanim: error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        self.beats: list[dict] = []  # (time, title, explanation): slide breaks, notes and subtitles

    def beat(self, title: str, explanation: str, show: bool = True, static: bool = False, **fields) -> None:
        """Start a beat: record it and show its explanation as a caption at the bottom.

        `fields` are Trace numbers in the explanation, as for `components.sentence`.
        """
        new = sentence(explanation, size=22, color=style.MUTED, static=static, **fields)
        self.beats.append({"time": self.time, "title": title, "text": new.gptanim_text})
        if SLIDES:  # each beat starts a slide whose notes are its explanation
            self.next_slide(notes=new.gptanim_text)
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

    def tear_down(self):
        """Leave the beats beside the video when the renderer asks (GPTANIM_BEATS_OUT): notes and subtitles."""
        out = os.environ.get("GPTANIM_BEATS_OUT")
        if out:
            doc = {"scene": type(self).__name__, "duration": self.time, "beats": self.beats}
            Path(out).write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")

    def pin(self, *mobjects) -> None:
        """Keep mobjects fixed in the frame (a 3D scene overrides this; a 2D frame never moves)."""

    def fit_width(self, mob, width: float | None = None):
        """Shrink a mobject (never enlarge) to fit the frame's safe width."""
        width = width or config.frame_width - 2 * style.FRAME_MARGIN
        if mob.width > width:
            mob.scale_to_fit_width(width)
        return mob
