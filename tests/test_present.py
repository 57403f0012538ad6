"""`gptanim present` opens the manim-slides presenter on a rendered lecture and a key press advances it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from gptanim.choose import pick_scenes
from gptanim.cli import build_parser, presenter_options, qt_binding_missing
from gptanim.render import render_lecture
from model.cache import TraceSettings, cached_path, cached_trace

ROOT = Path(__file__).resolve().parent.parent
PROMPT = "The wolf said"


@pytest.fixture(scope="module")
def one_scene_lecture(tmp_path_factory, embedded) -> tuple[Path, Path]:
    """A lecture of one short scene rendered at low quality; its Trace is in the cache the CLI reads."""
    out = tmp_path_factory.mktemp("present")
    settings = TraceSettings(prompt=PROMPT, generate=3)
    tr = cached_trace(settings, embedded)
    render_lecture(tr, cached_path(settings, embedded), out, "l", pick_scenes(["Title"]), 1, progress=False)
    lecture = out / "one.toml"
    lecture.write_text(f'title = "One scene"\nscenes = ["Title"]\n[settings]\nprompt = "{PROMPT}"\ngenerate = 3\n')
    return lecture, out


@pytest.fixture
def display():
    """A virtual X display of its own (Xvfb picks a free number)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (scripts/setup.sh installs it)")
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
                              pass_fds=[write], stderr=subprocess.DEVNULL)  # fmt: skip
    os.close(write)
    with os.fdopen(read) as number:
        name = f":{number.readline().strip()}"
    yield name
    server.terminate()
    server.wait(timeout=10)


def screenshot(display: str) -> np.ndarray:
    from PIL import ImageGrab

    return np.asarray(ImageGrab.grab(xdisplay=display).convert("L"), dtype=float)


def wait_for_window(display: str, title: str, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = subprocess.run(["xdotool", "search", "--name", title], capture_output=True, text=True,
                               env={**os.environ, "DISPLAY": display})  # fmt: skip
        if found.stdout.strip():
            return
        time.sleep(0.3)
    raise AssertionError(f"no window named {title!r} after {timeout} s")


def test_presenter_opens_advances_and_quits(one_scene_lecture, display):
    lecture, out = one_scene_lecture
    env = {**os.environ, "DISPLAY": display}
    key = ["xdotool", "key", "--delay", "50"]
    presenter = subprocess.Popen([sys.executable, "-m", "gptanim", "present", "--lecture", str(lecture),
                                  "--out", str(out), "--quiet"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        wait_for_window(display, "Manim Slides", timeout=30)
        time.sleep(3.5)  # the first slide (3 s) plays to its end and waits
        first = screenshot(display)
        subprocess.run([*key, "Right"], env=env, check=True)
        time.sleep(5.5)  # the second slide (5 s) plays to its end
        second = screenshot(display)
        subprocess.run([*key, "q"], env=env, check=True)
        assert presenter.wait(timeout=15) == 0
    finally:
        if presenter.poll() is None:
            presenter.kill()
    said = presenter.stdout.read()
    assert said == "", said  # --quiet: not even Qt's and FFmpeg's chatter
    lit = np.mean(second > 60)  # the slide's text against the dark background: about 1% of the window
    assert lit > 0.005, f"the presenter's window looks blank ({lit:.4f} lit)"
    assert np.mean(np.abs(second - first) > 40) > 0.005, "→ did not change the slide"


def test_setup_gave_qt_everything_it_links_to(display, monkeypatch):
    monkeypatch.setenv("DISPLAY", display)
    assert qt_binding_missing() is None


def test_presenter_flags_are_passed_through():
    args = build_parser().parse_args(["present", "--fullscreen", "--screen", "1", "--hide-mouse", "--info-window",
                                      "--start-at", "Softmax"])  # fmt: skip
    scenes = pick_scenes(["Title", "Softmax"])
    assert presenter_options(args, scenes) == ["--fullscreen", "--screen", "1", "--hide-mouse", "--show-info-window",
                                               "--start-at-scene-number", "1"]  # fmt: skip
