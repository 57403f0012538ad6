"""Pictures in step with the voice: a beat's sentences are found in time, with and without audio, and a cue
holds the picture exactly until its sentence begins."""

from __future__ import annotations

import pytest
from manim import config

from scenes.pacing import cue, said_by, spoken


class Clock:
    """Just what scenes.pacing reads of a scene: its beats, the current beat's hold and time, and `wait`."""

    def __init__(self, beat: dict, hold_until: float, time: float = 0.0):
        self.beats, self.hold_until, self.time = [beat], hold_until, time

    def wait(self, seconds: float) -> None:
        self.time += seconds


def test_sentences_are_timed_by_the_voice_when_there_is_audio():
    beat = {"time": 10.0, "say": "One. Two.", "text": "caption", "timings": [["One.", 0.0, 1.5], ["Two.", 1.75, 4.0]]}
    clock = Clock(beat, hold_until=14.6, time=10.0)
    assert spoken(clock) == [(10.0, 11.5), (11.75, 14.0)]
    assert said_by(clock, 0) == pytest.approx(1.5) and said_by(clock) == pytest.approx(4.0)
    cue(clock, 1)
    assert clock.time == pytest.approx(11.75, abs=1 / config.frame_rate)
    assert clock.time <= 11.75 + 1e-9  # never past the sentence's start
    cue(clock, 0)  # a sentence already begun: no wait
    assert clock.time == pytest.approx(11.75, abs=1 / config.frame_rate)
    assert said_by(clock, 0, least=0.5) == 0.5  # an ended sentence still gives an animation its least time


def test_without_audio_the_caption_time_is_shared_by_sentence_length():
    beat = {"time": 2.0, "say": "A short one. And a sentence three times longer.", "text": "c", "timings": []}
    clock = Clock(beat, hold_until=8.0, time=2.0)
    (a0, a1), (b0, b1) = spoken(clock)
    assert a0 == 2.0 and b1 == pytest.approx(8.0) and a1 == b0
    assert (b1 - b0) / (a1 - a0) == pytest.approx(len("And a sentence three times longer.") / len("A short one."))
    cue(clock, 5)  # past the last sentence: the last one's start
    assert clock.time == pytest.approx(b0, abs=1 / config.frame_rate)


def test_a_scene_without_beats_is_never_held():
    clock = Clock({}, 0.0)
    clock.beats = []
    cue(clock, 2)
    assert clock.time == 0.0 and spoken(clock) == [] and said_by(clock, least=0.7) == 0.7


def test_narrate_is_a_beat_whose_block_knows_when_each_sentence_is_said(tmp_path, monkeypatch):
    """`with self.narrate(...) as n:` starts the same beat `beat` would (id, the lecture file's words, caption), gives
    the words' duration and each sentence's times, and holds the picture on leaving until the words are said."""
    from manim import Circle, FadeIn, Square, tempconfig

    from scenes.base import TraceScene

    seen = {}

    class Paced(TraceScene):
        def construct(self):
            self.play(FadeIn(Circle()))  # the opening picture (shown at once)
            with self.narrate("A square comes in. It stays while this longer sentence is read.", title="Square",
                              caption="A square, which stays on screen for as long as it takes to read this caption through.") as n:  # fmt: skip
                self.play(FadeIn(Square()), run_time=n.left(0))
                seen["after first"] = self.time
                n.wait_for(1)
                seen.update(id=n.id, duration=n.duration, first=n.sentence(0), second=n.sentence(1),
                            at_second=self.time)  # fmt: skip
            seen["end"] = self.time

    monkeypatch.setattr("scenes.base.scene_trace", lambda: None)  # it draws no Trace
    monkeypatch.setattr(
        Paced, "narration_overrides", {"Paced-01": "A square comes in. It is the lecturer's own square."}
    )
    with tempconfig({"quality": "low_quality", "media_dir": str(tmp_path), "write_to_movie": False,
                     "disable_caching": True, "progress_bar": "none", "verbosity": "WARNING"}):  # fmt: skip
        scene = Paced()
        scene.render()
    beat = scene.beats[0]
    assert seen["id"] == beat["id"] == "Paced-01" and beat["title"] == "Square"
    assert (
        beat["say"] == "A square comes in. It is the lecturer's own square."
    )  # the lecture file's words are the ones paced
    (a0, a1), (b0, b1) = seen["first"], seen["second"]
    assert a0 == 0.0 and a1 == pytest.approx(b0) and b1 == pytest.approx(seen["duration"])
    assert b1 > 5  # silent: the caption's reading time, shared by the sentences
    start, frame = beat["time"], 1 / 15  # 480p15
    assert seen["after first"] - start == pytest.approx(a1, abs=frame)
    assert seen["at_second"] - start == pytest.approx(b0, abs=frame)
    assert seen["end"] - start >= seen["duration"] - 1e-6  # the block ends when the words have been said


def test_a_removal_the_beat_places_itself_runs_at_once(tmp_path, monkeypatch):
    """A FadeOut inside a `narrate` block, or played with `now=True`, runs where the beat puts it; one played after
    a plain beat has shown its picture waits until the beat's words are said (and starts the next slide)."""
    from manim import DOWN, Circle, FadeIn, FadeOut, Square, Text, Triangle, tempconfig

    from scenes.base import TraceScene
    from scenes.components import swap

    seen = {}
    caption = "A caption long enough to be read for several seconds, so that a held removal would show in time."

    class Clears(TraceScene):
        def construct(self):
            circle, square, triangle = Circle(), Square(), Triangle()
            self.play(FadeIn(circle))
            with self.narrate("One sentence said.", title="Block", caption=caption):
                self.play(FadeIn(square), run_time=0.5)
                start = self.time
                self.play(FadeOut(circle), run_time=0.5)
                seen["block"] = self.time - start
            self.beat("Plain", caption, say="Another sentence said.")
            self.play(FadeIn(circle), run_time=0.5)
            start = self.time
            self.play(FadeOut(square), run_time=0.5, now=True)
            seen["now"] = self.time - start
            start, number = self.time, Text("1").shift(2 * DOWN)
            self.add(number)
            self.play(swap(number, Text("2").shift(2 * DOWN)), run_time=0.5)  # one thing in another's place
            seen["swap"] = self.time - start
            start, slide = self.time, self.slide
            self.play(FadeOut(circle), run_time=0.5)
            seen["held"], seen["new slide"] = self.time - start, self.slide > slide
            self.play(FadeIn(triangle), run_time=0.5)

    monkeypatch.setattr("scenes.base.scene_trace", lambda: None)
    with tempconfig({"quality": "low_quality", "media_dir": str(tmp_path), "write_to_movie": False,
                     "disable_caching": True, "progress_bar": "none", "verbosity": "WARNING"}):  # fmt: skip
        Clears().render()
    assert seen["block"] == pytest.approx(0.5, abs=0.1) and seen["now"] == pytest.approx(0.5, abs=0.1)
    assert seen["swap"] == pytest.approx(0.5, abs=0.1)
    assert seen["held"] > 2 and seen["new slide"]  # the caption's reading time, then the fade
