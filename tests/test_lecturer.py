"""A lecturer's own lecture (issue 33): narration edited in the lecture file, `script`, `present FOLDER`, a failing
scene's place, WebVTT, titled PPTX slides resting on their results, per-beat stills, short chapters, help."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest

from gptanim.cli import build_parser, main
from gptanim.lecture import load_lecture
from model.cache import TraceSettings, cached_trace
from model.errors import GptanimError
from tests.test_present import display, wait_for_window  # noqa: F401 - the fixture, a virtual display

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "my_scene.py"
PROMPT = "The wolf said"
OWN_WORDS = "My own words: softmax makes these scores into shares that add up to one."


def lecture_file(folder: Path, narration: str = "", scenes: str | None = None, name: str = "mine.toml") -> Path:
    scenes = scenes or f'["Softmax", "{EXAMPLE}:NextTokenGuess"]'
    path = folder / name
    path.write_text(f'title = "A lecture of my own"\nscenes = {scenes}\n[settings]\nprompt = "{PROMPT}"\n'
                    f'generate = 3\nvoice = "none"\n[narration]\n{narration}', encoding="utf-8")  # fmt: skip
    return path


@pytest.fixture(scope="module")
def lecture(tmp_path_factory, embedded):
    """A two-scene lecture (a built-in and a scene of your own), its Trace cached; its script printed, then
    built as slides with one beat in the lecturer's words and --stills. Returns what each step said."""
    cached_trace(TraceSettings(prompt=PROMPT, generate=3), embedded)  # the commands below read it from the cache
    tmp = tmp_path_factory.mktemp("lecturer")
    out = tmp / "renders"
    plain = lecture_file(tmp, name="plain.toml")
    mine = lecture_file(tmp, f'"Softmax-01" = "{OWN_WORDS}"\n')
    script = run_cli(["script", "--lecture", str(plain), "--out", str(out), "--jobs", "1"])
    slides = run_cli(["slides", "--lecture", str(mine), "--out", str(out), "--jobs", "1", "--stills"])
    folder = next(out.glob("fairytale-gpt-the-wolf-said-*"))
    return {"tmp": tmp, "out": out, "folder": folder, "script": script, "slides": slides}


def run_cli(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gptanim", *argv], capture_output=True, text=True, cwd=ROOT,
                          env=os.environ, timeout=600)  # fmt: skip


def test_narration_table_is_checked_when_the_lecture_is_read(tmp_path):
    path = lecture_file(tmp_path, '"Softmax-1" = "Three\\nlines  of\\ttext."\n"NextTokenGuess-02" = ""\n')
    assert load_lecture(path).narration == {"Softmax-01": "Three lines of text.", "NextTokenGuess-02": ""}
    for table, said in [
        (
            '"Recap-01" = "x"\n',
            "names an unknown beat 'Recap-01'; beats are named <Scene>-NN after this lecture's scenes "
            "(Softmax, NextTokenGuess)",
        ),  # fmt: skip
        ('"Softmax" = "x"\n', "unknown beat 'Softmax'"),
        ('"Softmax-01" = 3\n', "[narration] must be a table of beat ids to text"),
        ('"Softmax-01" = "a\\u0000b"\n', "the narration of 'Softmax-01' has a control character"),
    ]:
        with pytest.raises(GptanimError) as caught:
            load_lecture(lecture_file(tmp_path, table))
        assert said in str(caught.value) and "\n" not in str(caught.value)


def test_script_prints_the_narration_as_a_table_to_copy(lecture):
    done = lecture["script"]
    assert done.returncode == 0, done.stderr
    table = tomllib.loads(done.stdout)["narration"]  # the printed text is itself a lecture file's table
    assert list(table) == ["Softmax-01", "Softmax-02", "Softmax-03", "Softmax-04", "Softmax-05",
                           "NextTokenGuess-01", "NextTokenGuess-02"]  # fmt: skip
    assert table["NextTokenGuess-02"] == (
        "These are the five tokens the model finds most likely to come next. The first one is its best guess."
    )
    beats = json.loads((lecture["folder"] / "01-Softmax.beats.json").read_text())["beats"]
    assert table["Softmax-02"] == beats[1]["say"]  # the words the render speaks, numbers of this prompt included
    assert (
        "# NextTokenGuess-01: Tokens" in done.stdout
        and "#   The prompt as the model reads it: 3 tokens." in done.stdout
    )


def test_own_words_are_spoken_subtitled_and_noted(lecture):
    done, folder = lecture["slides"], lecture["folder"]
    assert done.returncode == 0, done.stderr
    beats = json.loads((folder / "01-Softmax.beats.json").read_text())["beats"]
    assert beats[0]["say"] == OWN_WORDS and beats[0]["id"] == "Softmax-01"
    notes = [s["notes"] for s in json.loads((folder / "deck" / "slides" / "Softmax.json").read_text())["slides"]]
    assert OWN_WORDS in notes
    assert f"Softmax-01\t{OWN_WORDS}" in (folder / "lecture.narration.txt").read_text()
    # the script shows the lecturer's words, the built-in ones beside them as a comment
    again = run_cli(["script", "--lecture", str(lecture["tmp"] / "mine.toml"), "--out", str(lecture["out"]), "-Q"])
    assert again.returncode == 0 and again.stderr == ""
    assert tomllib.loads(again.stdout)["narration"]["Softmax-01"] == OWN_WORDS
    assert "# your words (from the lecture file); built in:" in again.stdout


def test_own_words_are_voiced_and_only_changed_beats_again(lecture):
    from scenes.voice import voice_dir

    voiced = lecture["tmp"] / "voiced"
    voiced.mkdir()

    def render(words: str) -> set[Path]:
        mine = lecture_file(voiced, f'"NextTokenGuess-01" = "{words}"\n', scenes=f'["{EXAMPLE}:NextTokenGuess"]')
        done = run_cli(["render", "--lecture", str(mine), "--voice", "joe", "--out", str(voiced), "--jobs", "1"])
        assert done.returncode == 0, done.stderr
        return set(voice_dir().glob("*.wav"))

    first = render("Here are the tokens of the prompt.")
    folder = next(voiced.glob("fairytale-gpt-the-wolf-said-*"))
    beat = json.loads((folder / "01-NextTokenGuess.beats.json").read_text())["beats"][0]
    assert beat["say"] == "Here are the tokens of the prompt." and beat["audio"] > 1.0
    assert "Here are the tokens of the prompt." in " ".join((folder / "lecture.srt").read_text().split())
    second = render("The prompt, as tokens.")
    assert len(second - first) == 1  # the changed beat; the other one's audio is the cached one


def test_only_the_scene_whose_words_changed_is_rendered_again(lecture):
    mine = lecture_file(lecture["tmp"], f'"Softmax-01" = "{OWN_WORDS}"\n"NextTokenGuess-02" = "Five guesses."\n',
                        name="changed.toml")  # fmt: skip
    done = run_cli(["render", "--lecture", str(mine), "--out", str(lecture["out"]), "--jobs", "1"])
    assert done.returncode == 0, done.stderr
    assert "rendering 1 of 2 scenes at 480p15 (1 unchanged, reused)" in done.stderr
    assert "NextTokenGuess done" in done.stderr
    beats = json.loads((lecture["folder"] / "02-NextTokenGuess.beats.json").read_text())["beats"]
    assert [b["say"] for b in beats][1] == "Five guesses."


def test_an_unknown_beat_is_one_line_naming_the_known_ones(lecture):
    mine = lecture_file(lecture["tmp"], '"Softmax-09" = "x"\n', name="unknown.toml")
    done = run_cli(["render", "--lecture", str(mine), "--out", str(lecture["out"]), "--jobs", "1", "-Q"])
    assert done.returncode == 2
    assert done.stderr == ("gptanim render: error: [narration] names 'Softmax-09', which is not a beat of this "
                           "lecture; known: Softmax-01…Softmax-05\n")  # fmt: skip


def test_exports_webvtt_titled_pptx_on_last_frames_stills_and_a_short_chapter_warning(lecture):
    import webvtt
    from PIL import Image
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    from gptanim.handout import last_frame

    folder = lecture["folder"]
    cues = webvtt.from_string((folder / "lecture.vtt").read_text())
    srt_blocks = (folder / "lecture.srt").read_text().strip().split("\n\n")
    assert len(cues) == len(srt_blocks) > 6
    assert cues[0].start == "00:00:00.000" and "Softmax" in cues[0].text

    deck = Presentation(str(folder / "deck" / "deck.pptx"))
    titles = [slide.shapes.title.text for slide in deck.slides]
    assert titles[:2] == ["Softmax", "Softmax: Subtract the max"] and titles[-1] == "What comes next: Guesses"
    slides = json.loads((folder / "deck" / "slides" / "Softmax.json").read_text())["slides"]
    movie = next(s for s in deck.slides[1].shapes if s.shape_type == MSO_SHAPE_TYPE.MEDIA)
    poster = np.asarray(Image.open(io.BytesIO(movie.poster_frame.blob)).convert("RGB"), dtype=float)
    end = np.asarray(last_frame(Path(slides[1]["file"])).convert("RGB"), dtype=float)
    assert poster.shape == end.shape and np.abs(poster - end).mean() < 1.0  # the beat's result, not its start

    stills = sorted(p.name for p in (folder / "stills").iterdir())
    assert stills == [f"NextTokenGuess-0{n}.png" for n in (1, 2)] + [f"Softmax-0{n}.png" for n in range(1, 6)]
    assert "warning: the chapter 'What comes next' lasts 7.3 s" in lecture["slides"].stderr
    contents = json.loads((folder / "lecture.json").read_text())
    assert contents["scenes"] == ["Softmax", "NextTokenGuess"] and contents["title"] == "A lecture of my own"


def test_a_failing_scene_names_its_file_and_line(tmp_path, lecture):
    broken = tmp_path / "broken.py"
    broken.write_text("from scenes.base import TraceScene\n\n\nclass Broken(TraceScene):\n"
                      "    def construct(self):\n        self.trace.info['no_such_key']\n")  # fmt: skip
    mine = lecture_file(tmp_path, scenes=f'["{broken}:Broken"]')
    done = run_cli(["render", "--lecture", str(mine), "--out", str(lecture["out"]), "--jobs", "1", "-Q"])
    assert done.returncode == 2
    assert done.stderr == (f"gptanim render: error: scene Broken failed to render: {broken}, line 6, in construct: "
                           "KeyError: 'no_such_key' (--debug shows the traceback)\n")  # fmt: skip
    done = run_cli(["render", "--lecture", str(mine), "--out", str(lecture["out"]), "--jobs", "1", "-Q", "--debug"])
    assert done.returncode == 2 and "Traceback (most recent call last)" in done.stderr
    assert f'File "{broken}", line 6, in construct' in done.stderr


def test_a_built_in_scene_failing_in_shared_code_names_its_own_line(monkeypatch):
    """An error raised in scenes/base.py while a built-in scene plays names the scene module's line that called it."""
    from gptanim.worker import where_it_failed

    root = Path(__file__).resolve().parent.parent
    shared, ns = {}, {}
    exec(compile("def play():\n    raise ValueError('empty')\n", str(root / "scenes/base.py"), "exec"), shared)
    exec(compile("def carry_values(play):\n    x = 1\n    play()\n", str(root / "scenes/attention.py"), "exec"), ns)
    monkeypatch.setenv("GPTANIM_CALLER_CWD", str(root))
    with pytest.raises(ValueError) as caught:
        ns["carry_values"](shared["play"])
    assert where_it_failed(caught.value, {"scene": "AttentionFlow"}) == "scenes/attention.py, line 3, in carry_values: "


def test_present_a_rendered_folder_as_it_is(lecture, display):  # noqa: F811 - the fixture
    assert main(["present", str(lecture["folder"]), "--prompt", "other"]) == 2  # its settings are the folder's
    assert main(["present", str(lecture["tmp"])]) == 2  # not a rendered lecture
    env = {**os.environ, "DISPLAY": display}
    presenter = subprocess.Popen([sys.executable, "-m", "gptanim", "present", str(lecture["folder"] / "deck"),
                                  "--start-at", "NextTokenGuess", "-Q"], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        wait_for_window(display, "Manim Slides", timeout=30)
        time.sleep(1)
        subprocess.run(["xdotool", "key", "q"], env=env, check=True)
        assert presenter.wait(timeout=15) == 0
    finally:
        if presenter.poll() is None:
            presenter.kill()
    assert presenter.stdout.read() == ""


def test_every_command_and_flag_has_help_and_shows_its_default():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert set(commands) >= {"trace", "render", "preview", "slides", "present", "script", "train", "list", "docs"}
    for name, sub in commands.items():
        assert sub.description and len(sub.description) > 30, name
        text = " ".join(sub.format_help().split())
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"
            if action.default is not None and action.default is not False and action.dest != "help":
                assert "default" in (sub._get_formatter()._get_help_string(action)), (name, action.dest)
        assert "--out OUT folder for the renders (default" in text or name in ("trace", "train", "list", "docs")
    train = " ".join(commands["train"].format_help().split())
    assert "--lr LR peak learning rate (AdamW) (default 0.0015)" in train
    assert "--seed SEED seed of the weights' initialisation and the batches (default 0)" in train
    assert "--jobs JOBS scenes rendered at once (default one per CPU core" in " ".join(
        commands["render"].format_help().split()
    )


def test_the_trace_page_is_current(embedded):
    from gptanim.tracedoc import PAGE, trace_page
    from model.settings import DEFAULTS
    from model.trace_data import SECTIONS

    trace = cached_trace(TraceSettings(prompt=DEFAULTS["prompt"]), embedded, sections=SECTIONS)
    page = trace_page(trace)
    assert PAGE.read_text(encoding="utf-8") == page, "docs/trace.md is out of date: run gptanim docs"
    for name in trace.arrays:  # every array, with its axes and meaning from model/trace_data.py
        key = re.sub(r"(^|\.)blocks\.\d+\.", r"\1blocks.{i}.", name)
        row = next(line for line in page.splitlines() if line.startswith(f"| `{key}` |"))
        assert row.count("| [") == 1 and not row.endswith("|  |"), row
    for key in trace.info:
        assert f"### `{key}`\n\n" in page and f"### `{key}`\n\n (" not in page, key


def test_the_scene_guide_shows_the_example_that_renders(lecture):
    guide = (ROOT / "docs" / "writing-a-scene.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", guide, re.S).group(1)
    assert code == EXAMPLE.read_text(encoding="utf-8")
    assert lecture["slides"].returncode == 0  # the lecture the fixture rendered has the example in it
    beats = json.loads((lecture["folder"] / "02-NextTokenGuess.beats.json").read_text())
    assert [b["id"] for b in beats["beats"]] == ["NextTokenGuess-01", "NextTokenGuess-02"]
    assert (lecture["folder"] / "02-NextTokenGuess.mp4").stat().st_size > 10_000


def test_preview_draws_the_title_of_its_own_lecture(tmp_path, embedded):
    """`gptanim preview --lecture FILE` draws Title with that lecture's road map (as render does), and keeps that
    still apart from the default lecture's."""
    cached_trace(TraceSettings(prompt=PROMPT, generate=3), embedded)
    mine = lecture_file(tmp_path, scenes='["Title", "Softmax"]')
    out = tmp_path / "out"
    done = run_cli(["preview", "--lecture", str(mine), "--no-warm", "--out", str(out), "--jobs", "1", "-Q"])
    assert done.returncode == 0, done.stderr
    (beats,) = out.glob(".stills/Title-*.beats.json")
    said = [beat["say"] for beat in json.loads(beats.read_text())["beats"]]
    assert any(s.startswith("This lecture has one part after this one.") for s in said), said
    assert "From vector to next token." in said[-1]  # its one part: Softmax's
    done = run_cli(["preview", "--prompt", PROMPT, "--generate", "3", "--scenes", "Title", "--no-warm", "--out",
                    str(out), "--jobs", "1", "-Q"])  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(list(out.glob(".stills/Title-*.png"))) == 2  # the default lecture's Title is another picture
