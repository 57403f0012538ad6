"""The lecture report (bench/lecture_report.py) measures what two scenes built here are known to do; the lecture
joined from them dissolves from one into the other and keeps their sound, at their rate."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from manim import Circle, FadeIn, FadeOut, Rotate, Square, tempconfig

from bench import lecture_report
from gptanim.join import DISSOLVE, concat_videos
from scenes.base import TraceScene

FROZEN = 7.0  # seconds Late ends on, the picture still and the narrator silent (longer than its narration)


class Late(TraceScene):
    """Its second beat's picture comes only after its narration, then stays still and silent for FROZEN s."""

    def construct(self):
        self.beat("One", "A square.", say="Here is a square.")
        self.square = Square(fill_opacity=1)
        self.play(FadeIn(self.square), run_time=0.5)
        self.beat("Two", "A circle.", say="The square now makes way for a circle, once this is said.")
        self.hold()  # the picture waits for the words: the beat is late
        self.play(FadeOut(self.square), FadeIn(Circle(fill_opacity=1)), run_time=1)
        self.wait(FROZEN)


class InStep(TraceScene):
    """Each beat's picture moves the whole time its narration plays."""

    def construct(self):
        square, circle = Square(fill_opacity=1), Circle(fill_opacity=1)
        self.beat("One", "A square turns.", say="The square turns while this sentence is spoken.")
        self.play(FadeIn(square), run_time=0.5)
        self.play(Rotate(square, 3.0), run_time=self.beats[-1]["audio"])
        self.beat("Two", "A circle.", say="A circle takes its place as this is said.")
        self.play(FadeOut(square), FadeIn(circle), run_time=self.beats[-1]["audio"])


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    """The two scenes rendered at 480p15 with the joe voice, encoded as the render workers encode, laid out as a
    rendered lecture's folder."""
    from scenes import engine

    folder = tmp_path_factory.mktemp("lecture")
    with pytest.MonkeyPatch.context() as mp, engine.only(engine.open_with_preset):
        mp.setattr("scenes.base.scene_trace", lambda: None)  # they draw no Trace
        mp.setenv("GPTANIM_VOICE", "joe")
        for number, scene_cls in enumerate((Late, InStep), start=1):
            media = tmp_path_factory.mktemp(scene_cls.__name__)
            stem = folder / f"{number:02d}-{scene_cls.__name__}"
            mp.setenv("GPTANIM_BEATS_OUT", str(stem.with_suffix(".beats.json")))
            with tempconfig({"quality": "low_quality", "media_dir": str(media), "progress_bar": "none",
                             "verbosity": "WARNING", "disable_caching": True}):  # fmt: skip
                scene = scene_cls()
                scene.render()
                shutil.copyfile(scene.renderer.file_writer.movie_file_path, stem.with_suffix(".mp4"))
    return folder


def test_a_beat_whose_picture_follows_its_words_is_late_and_a_still_end_is_frozen_and_silent(lecture):
    report = lecture_report.measure_scene(lecture / "01-Late.mp4")
    beats = json.loads((lecture / "01-Late.beats.json").read_text())
    assert report.narrated == 2 and report.late == ["Late-02"]
    # (a fade's last steps, under the pixel step, can be missed: the stretch may start up to 0.4 s early)
    assert FROZEN - 0.1 <= report.frozen <= FROZEN + 0.4
    assert report.frozen_at == pytest.approx(report.length - report.frozen, abs=1e-6)
    two = beats["beats"][1]
    said = two["time"] + two["audio"]
    # silent from the end of the words to the end (the breath, the fade, FROZEN), in half-second windows; the
    # clip may end in a little silence of its own
    assert report.length - said - 0.5 <= report.silence <= report.length - said + 0.8
    assert report.length == pytest.approx(beats["duration"], abs=0.1)


def test_a_beat_that_moves_while_it_is_said_is_in_step(lecture):
    report = lecture_report.measure_scene(lecture / "02-InStep.mp4")
    assert report.narrated == 2 and report.late == []
    assert report.frozen < 2.5  # the breath and the caption's change between the beats, a slow fade's first steps
    assert report.moving_seconds >= report.seconds - 2  # all but a second or two about the breath


def test_the_pace_is_the_words_over_the_time_they_are_spoken(lecture):
    """Against the voice's own sentence timings: a measure counting the pauses or the silences would be off."""
    for video in sorted(lecture.glob("*.mp4")):
        report = lecture_report.measure_scene(video)
        beats = json.loads(video.with_suffix(".beats.json").read_text())["beats"]
        audio = sum(b["audio"] for b in beats)
        sentences = sum(len(b["timings"]) for b in beats)
        # at most the clips' length (the voice leaves a little silence around each sentence), at least that
        # less 0.5 s a sentence
        assert 60 * report.words / audio <= report.wpm <= 60 * report.words / (audio - 0.5 * sentences)
        assert report.words == sum(len(b["say"].split()) for b in beats)  # no numbers: a word is a word


def test_the_lecture_figures_add_up(lecture, capsys):
    lecture_report.main([str(lecture), "--json"])
    doc = json.loads(capsys.readouterr().out)
    total = doc["overall"]
    assert [s["name"] for s in doc["scenes"]] == ["01-Late", "02-InStep"]
    assert total["narrated"] == 4 and total["late"] == 1 and total["late_share"] == 0.25
    assert total["frozen_in"] == "01-Late" and total["silence_in"] == "01-Late"
    assert total["length"] == pytest.approx(sum(s["length"] for s in doc["scenes"]))
    lecture_report.main([str(lecture)])
    assert "late beats 1/4 (25%)" in capsys.readouterr().out


def grey_frames(video) -> list[np.ndarray]:
    import av

    with av.open(str(video)) as src:
        return [f.to_ndarray(format="gray").astype(float) for f in src.decode(video=0)]


def test_the_lecture_dissolves_from_scene_to_scene_and_keeps_their_sound_at_their_rate(lecture, tmp_path):
    import av

    videos = sorted(lecture.glob("*.mp4"))
    durations = concat_videos(videos, tmp_path / "lecture.mp4")
    with av.open(str(tmp_path / "lecture.mp4")) as joined, av.open(str(videos[0])) as scene:
        sound, theirs = joined.streams.audio[0], scene.streams.audio[0]
        assert (sound.rate, sound.layout.name) == (theirs.rate, theirs.layout.name) == (48000, "stereo")
    first, second, both = grey_frames(videos[0]), grey_frames(videos[1]), grey_frames(tmp_path / "lecture.mp4")
    assert len(both) == len(first) + len(second)  # every frame once: nothing added, nothing dropped
    n = round(DISSOLVE * 15)
    cut = len(first)
    for ours, theirs in zip(both[: cut - n], first[: cut - n]):
        assert np.abs(ours - theirs).mean() < 1  # the scene as it was until its last DISSOLVE seconds
    # then from the scene's own picture to the next one's first, step by step (as far as the encoder lets see)
    towards = [np.abs(frame - second[0]).mean() for frame in both[cut - n - 1 : cut + 1]]
    assert all(b < a for a, b in zip(towards, towards[1:]))
    assert towards[-2] < 0.25 * towards[0]  # the last frame before the cut is mostly the next picture
    assert np.abs(both[cut] - second[0]).mean() < 1  # and the next scene starts as it was
    # the sound: each scene's at its start, as loud as in the scene (the RMS of each half-second)
    rate, laid = lecture_report.SOUND_RATE, []
    for video, seconds in zip(videos, durations):
        part = lecture_report.sound(video)[: round(seconds * rate)]
        laid += [part, np.zeros(round(seconds * rate) - len(part), np.float32)]
    ours, theirs = lecture_report.sound(tmp_path / "lecture.mp4"), np.concatenate(laid)
    size = rate // 2
    count = min(len(ours), len(theirs)) // size

    def rms(x):
        return np.sqrt((x[: count * size].reshape(count, size) ** 2).mean(1))

    assert count > 20 and np.corrcoef(rms(ours), rms(theirs))[0, 1] > 0.99
