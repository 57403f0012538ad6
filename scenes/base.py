"""What every lecture scene shares: its Trace, its captions (the beats), the frame's safe area."""

from __future__ import annotations

import json
import math
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from manim import DOWN, FadeIn, FadeOut, Scene, Wait, config

from model.errors import GptanimError
from scenes import engine, pacing, style
from scenes.components import sentence
from scenes.source import model_only, scene_trace
from scenes.voice import BREATH, Voice, reading_time, scene_voice

# With GPTANIM_SLIDES=<folder> when the scenes are imported, every scene is a manim-slides Slide:
# each beat starts a slide whose speaker notes are the beat's explanation, written to the folder
# GPTANIM_SLIDES names when the scene is made (a render worker sets it anew for each scene).
SLIDES = bool(os.environ.get("GPTANIM_SLIDES"))
engine.apply_if_asked()  # manim as it is, unless GPTANIM_ENGINE=1 (render workers apply it themselves)
if SLIDES:
    from manim_slides import Slide as SceneBase
else:
    SceneBase = Scene


class TraceScene(SceneBase):
    """A scene that draws one Trace. Subclasses write `construct` as a list of beats."""

    caption = None
    voice: Voice = Voice()  # silent until `setup` reads GPTANIM_VOICE
    hold_until = 0.0  # the current beat lasts at least until then (its narration, its caption's reading)
    shown = False  # whether a picture is on screen yet: until then, and until the first beat, nothing fades in
    opening = False  # the current beat has played nothing of its own yet (only its caption, or clearing)
    captioning = False  # the caption is being changed (not the picture)
    slide_open = False  # the next beat's slide has begun, at the clearing of the current beat's picture
    skip_reversing = True  # manim-slides: no reversed copy of every slide (halves the encoding)
    # A lecture file's [narration] words by beat id (`<Scene>-NN`, as `beat` names it), set by the render worker
    # for the scene it renders (gptanim.narration): spoken, subtitled and noted instead of the scene's own.
    narration_overrides: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        config.background_color = style.BACKGROUND  # the theme's (GPTANIM_THEME)
        if SLIDES:
            kwargs.setdefault("output_folder", Path(os.environ["GPTANIM_SLIDES"]))
        super().__init__(*args, **kwargs)

    def setup(self):
        try:
            self.trace = scene_trace()
            if getattr(type(self), "MODEL_ONLY", False):  # drawn once per model: handed the model's part alone
                self.trace = model_only(self.trace)
            self.voice = scene_voice()
        except GptanimError as exc:  # plain `manim` would print a traceback: say it in one line instead
            print(f"gptanim: error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        self.beats: list[dict] = []  # (time, title, explanation, narration): slide breaks, notes and subtitles
        self.hold_until, self.shown, self.opening, self.slide_open = 0.0, False, False, False
        self.narrating = False  # inside a `narrate` block, whose own timing places every animation, clears too
        # Each animation's slide (counted from 0 whether or not slides are made) and whether it cleared the picture
        # after its beat had shown something: no slide may end on such a clearing (tests/scenecheck.py).
        self.slide, self.plays = 0, []

    def section(self, name: str) -> dict:
        """The Trace's section `name` (trace_data.SECTIONS: computed for the scenes that show it); a Trace made
        without it (`gptanim trace` without --all, or by an earlier gptanim) stops the scene in one line."""
        if name not in self.trace.info:
            print(f"gptanim: error: this Trace has no {name} section; make it with `gptanim trace --all` (render "
                  "and preview compute it for the scenes that show it)", file=sys.stderr)  # fmt: skip
            raise SystemExit(2)
        return self.trace.info[name]

    def beat(self, title: str, explanation: str, show: bool = True, static: bool = False, say: str = "",
             **fields) -> None:  # fmt: skip
        """Start a beat: hold the previous one long enough, show the caption at the bottom, speak `say`.

        The beat's own animations, the ones after this call, run while its narration plays, clearing the
        previous picture among them; a clear that comes after the beat has shown something of its own (at
        the end of its method, before the next beat) waits for the narration to end (see `play`). The
        beat ends when both its picture and its voice are done.

        `fields` are Trace numbers in the explanation, as for `components.sentence`. `say` is the
        narration (one to four sentences, numbers as a person says them: see `scenes.speech`); the
        beat lasts at least as long as its audio plus a breath, and its caption's reading time.
        """
        self.hold()
        new = sentence(explanation, size=22, color=style.MUTED, static=static, **fields)
        beat_id = f"{type(self).__name__}-{len(self.beats) + 1:02d}"
        say = self.narration_overrides.get(beat_id, say)  # a lecturer's own words for this beat, if given
        line = self.voice.speak(say, beat_id) if say and config.write_to_movie else None
        if line is not None:
            self.add_sound(str(line.path))
        self.beats.append({"time": self.time, "title": title, "text": new.gptanim_text, "say": say, "id": beat_id,
                           "audio": line.duration if line else 0.0, "timings": line.timings if line else []})  # fmt: skip
        needed = max(reading_time(new.gptanim_text) if show else 0.0, line.duration + BREATH if line else 0.0)
        start = self.time
        if self.slide_open:  # its slide began as the last beat's picture was cleared: the notes are this beat's
            self.slide_open = False
            if SLIDES:
                self._base_slide_config = self._base_slide_config.model_copy(update={"notes": say or new.gptanim_text})
        else:  # each beat starts a slide whose notes are its narration (the caption if it has none)
            self.break_slide(say or new.gptanim_text)
        if show:
            self.captioning = True  # the old caption's leaving is no clearing of the picture
            self.show_caption(new)
            self.captioning = False
        self.hold_until = start + needed  # set last: the caption's own fade must not wait for this beat
        self.opening = True

    @contextmanager
    def narrate(self, say: str, title: str = "", caption: str = "", **fields):
        """A beat as a block, like manim-voiceover's `with self.voiceover(text=...) as tracker:`.

            with self.narrate("Here are the tokens. They are the model's input.", title="Tokens") as n:
                self.play(FadeIn(row), run_time=n.duration)  # the picture moves as long as the words last
                n.wait_for(1)  # until "They are the model's input." begins
                self.play(Indicate(row), run_time=n.left(1))  # over that sentence

        It is `beat(title, caption or say, say=say, **fields)`: the same beat id, lecture-file words, subtitles and
        slide. When the block ends, the picture holds until the words have been said.
        """
        self.beat(title or caption or say, caption or say, say=say, **fields)
        self.narrating = True  # a FadeOut in the block runs where the block puts it, not when the words end
        try:
            yield Narration(self)
        finally:
            self.narrating = False
        self.hold()

    def show_caption(self, new) -> None:
        max_w = config.frame_width - 2 * style.FRAME_MARGIN - 0.4
        if new.width > max_w:
            new.scale_to_fit_width(max_w)
        new.to_edge(DOWN, buff=0.35)
        if not self.shown:  # the caption is there from the first frame, with the content
            if self.caption is not None:
                self.remove(self.caption)
            self.add(new)
        elif self.caption is not None:
            self.play(FadeOut(self.caption), run_time=0.25)  # one caption after the other, never both at once
            self.play(FadeIn(new), run_time=0.25)
        else:
            self.play(FadeIn(new), run_time=0.5)
        self.caption = new

    def hold(self) -> None:
        """Hold the picture until the current beat has been said and its caption read."""
        frames = math.ceil((self.hold_until - self.time) * config.frame_rate - 1e-6)  # whole frames, never short
        if frames > 0:
            self.wait(frames / config.frame_rate)

    def break_slide(self, notes: str = "") -> None:
        """End the current slide with the frame on screen now and start the next (with `notes`, when slides are
        made: manim-slides' next_slide). The video is the same, frame for frame."""
        self.slide += 1
        if SLIDES:
            self.next_slide(notes=notes)

    def play(self, *args, **kwargs):
        """Play at once, except what removes something once the beat has shown something of its own: that
        waits until the beat has been said (nothing of a beat leaves the screen while it is still said), and
        starts the next beat's slide, so that the beat's slide rests on its result, not on a cleared picture.
        While the beat has only cleared, its clearing is part of its own change and runs with its words.

        A removal the beat places itself runs at once: one inside a `narrate` block, or one played with
        `now=True` (`self.play(FadeOut(old), FadeIn(new), now=True)`, one picture replacing another mid-beat)."""
        placed = kwargs.pop("now", False) or self.narrating
        clears = any(removes(a) for a in args) and not self.opening and not self.captioning
        if clears and not placed:
            self.hold()
            if self.beats and not self.slide_open:
                self.break_slide()  # its notes are set by the beat that follows
                self.slide_open = True
        self.plays.append((self.slide, clears))
        if not all(removes(a) or isinstance(a, Wait) for a in args):
            self.opening = False
        first = not self.shown or not self.beats
        if first and not all(isinstance(a, Wait) for a in args):  # the opening picture appears finished, at once
            self.shown = True
            kwargs.update(run_time=1 / config.frame_rate, rate_func=lambda t: 1.0)
        super().play(*args, **kwargs)

    def tear_down(self):
        """Hold the last beat; leave the beats beside the video when asked (GPTANIM_BEATS_OUT): notes, subtitles."""
        self.hold()
        out = os.environ.get("GPTANIM_BEATS_OUT")
        if out:
            doc = {"scene": type(self).__name__, "duration": self.time, "beats": self.beats}
            Path(out).write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")

    def fit_width(self, mob, width: float | None = None):
        """Shrink a mobject (never enlarge) to fit the frame's safe width."""
        width = width or config.frame_width - 2 * style.FRAME_MARGIN
        if mob.width > width:
            mob.scale_to_fit_width(width)
        return mob


def removes(animation) -> bool:
    """Whether an animation takes something off the screen (a FadeOut, an Uncreate, or a group with one); a
    `components.swap` puts something in the place of what it takes, so it does not."""
    if getattr(animation, "gptanim_swap", False):
        return False
    if getattr(animation, "remover", False):
        return True
    return any(removes(a) for a in getattr(animation, "animations", ()))


class Narration:
    """The words of the beat `TraceScene.narrate` began, and when they are said (in seconds; without a voice, the
    caption's reading time shared among the sentences by their length, as `scenes.pacing` does)."""

    def __init__(self, scene: TraceScene):
        self.scene, self.id, self.say = scene, scene.beats[-1]["id"], scene.beats[-1]["say"]
        self.start = scene.beats[-1]["time"]

    @property
    def duration(self) -> float:
        """Seconds from the beat's start until its words end (the narration as it will be said)."""
        times = pacing.spoken(self.scene)
        return times[-1][1] - self.start if times else 0.0

    def sentence(self, k: int) -> tuple[float, float]:
        """When sentence k (from 0) starts and ends, in seconds from the beat's start."""
        start, end = pacing.spoken(self.scene)[k]
        return start - self.start, end - self.start

    def wait_for(self, k: int) -> None:
        """Hold the picture until sentence k begins (at once if it has)."""
        pacing.cue(self.scene, k)

    def left(self, k: int = -1, least: float = 0.5) -> float:
        """Seconds from now until sentence k ends (the last by default): a run time for an animation over it."""
        return pacing.said_by(self.scene, k, least)
