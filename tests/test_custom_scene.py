"""A scene of your own, as the README shows it, renders inside a lecture and passes the scene checks."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from gptanim.cli import main
from model.cache import TraceSettings, cached_path, cached_trace
from tests.scenecheck import check_layout, check_numbers, render

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "my_scene.py"


def test_readme_shows_the_whole_example():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Write your own scene", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert code == EXAMPLE.read_text(encoding="utf-8")


def test_own_scene_renders_inside_a_lecture(tmp_path, embedded, capsys):
    settings = TraceSettings(prompt="The wolf said", generate=3)
    tr = cached_trace(settings, embedded)  # in the cache: the command below reads it without running the model
    lecture = tmp_path / "mine.toml"
    lecture.write_text(f'scenes = ["{EXAMPLE}:NextTokenGuess"]\n[titles]\nNextTokenGuess = "What comes next?"\n'
                       '[settings]\nprompt = "The wolf said"\ngenerate = 3\n')  # fmt: skip
    command = ["render", "--lecture", str(lecture), "--out", str(tmp_path), "--jobs", "1"]
    assert main(command) == 0
    said = capsys.readouterr()  # not a terminal: one plain line per phase, no bar
    assert "\r" not in said.err and "%" not in said.err
    assert said.err.splitlines()[:2] == [
        "rendering 1 of 1 scenes at 480p15",
        "rendering 1/1 scenes: NextTokenGuess done",
    ]
    assert main(command) == 0
    said = capsys.readouterr()
    assert said.err.splitlines()[0] == "the scene is unchanged" and "0/0" not in said.err
    assert "1 scenes (0 rendered now)" in said.out
    assert main([*command, "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
    folder = next(tmp_path.glob("fairytale-gpt-the-wolf-said-*"))
    assert (folder / "01-NextTokenGuess.mp4").stat().st_size > 10_000
    assert (folder / "lecture.chapters.txt").read_text() == "0:00 What comes next?\n"
    assert "five tokens the model finds most likely" in " ".join((folder / "lecture.srt").read_text().split())

    spec = importlib.util.spec_from_file_location("my_scene", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    scene = render(module.NextTokenGuess, cached_path(settings, embedded), tmp_path / "media")
    counts = check_numbers(scene, tr)
    assert counts["numbers"] >= 6 and counts["tokens"] >= 8  # the count, T, five shares; tokens and guesses
    check_layout(scene)
