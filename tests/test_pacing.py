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
