"""The light theme: every scene drawn on white passes the same checks as the dark one; the CLI picks it."""

from __future__ import annotations

import importlib
import os

import pytest
from PIL import Image

from gptanim.cli import main
from gptanim.handout import for_paper
from gptanim.keys import scene_key, slug
from scenes.catalog import BY_NAME, SCENES
from tests.scenecheck import check_layout, check_numbers, check_text_size, loaded_trace, render

# The modules whose colours are read when they are imported, in the order they import each other (the scene
# modules in the catalog's order: a later one may import an earlier one).
THEMED = ["scenes.style", "scenes.text", "scenes.components", "scenes.base",
          *dict.fromkeys(f"scenes.{s.module}" for s in SCENES)]  # fmt: skip


def import_theme(theme: str | None) -> dict:
    if theme is None:
        os.environ.pop("GPTANIM_THEME", None)
    else:
        os.environ["GPTANIM_THEME"] = theme
    return {name: importlib.reload(importlib.import_module(name)) for name in THEMED}


@pytest.fixture(scope="module")
def light():
    """The scene modules imported afresh with the light theme; the dark ones again afterwards."""
    before = os.environ.get("GPTANIM_THEME")
    yield import_theme("light")
    import_theme(before)


@pytest.mark.parametrize("name", [s.name for s in SCENES])
def test_every_scene_in_the_light_theme_shows_the_trace_and_fits(name, light, scene_traces, tmp_path):
    module = light[f"scenes.{BY_NAME[name].module}"]
    scene = render(getattr(module, name), scene_traces["default"], tmp_path)
    assert scene.background.to_hex().lower() == "#ffffff"
    counts = check_numbers(scene, loaded_trace(scene_traces["default"]))
    assert counts["numbers"] + counts["tokens"] > 0 or name == "Title"
    check_layout(scene)  # in the frame, no overlaps, every text legible against white
    check_text_size(scene)  # as large as in the dark theme (issue 30's minimum)


def test_theme_names_its_own_folder_and_scene_videos(scene_traces):
    tr = loaded_trace(scene_traces["default"])
    assert slug(tr, "light") == slug(tr) + "-light"
    entry = BY_NAME["Softmax"]
    assert (
        scene_key(entry, tr, "l", theme="light") != scene_key(entry, tr, "l") == scene_key(entry, tr, "l", theme="dark")
    )


def test_bad_theme_is_one_line_exit_2(tmp_path, capsys):
    lecture = tmp_path / "l.toml"
    lecture.write_text('[settings]\ntheme = "sepia"\n')
    assert main(["render", "--lecture", str(lecture), "--scenes", "Title", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "invalid theme 'sepia'" in err[-1]


def test_handout_keeps_light_frames_and_turns_dark_ones():
    light_frame = Image.new("RGB", (16, 9), (255, 255, 255))
    assert for_paper(light_frame).getpixel((0, 0)) == (255, 255, 255)
    dark_frame = Image.new("RGB", (16, 9), (14, 17, 22))
    assert min(for_paper(dark_frame).getpixel((0, 0))) > 235
