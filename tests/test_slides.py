"""The slide deck: a slide per beat with notes, and an HTML deck that works offline in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile

import numpy as np
import pytest
from PIL import Image

from gptanim.render import render_lecture
from gptanim.slides import build_deck
from model.run import TraceSettings, trace
from scenes.catalog import BY_NAME


@pytest.fixture(scope="module")
def deck(tmp_path_factory, embedded):
    out = tmp_path_factory.mktemp("deck")
    tr = trace(TraceSettings(prompt="The wolf said", generate=3), embedded)
    scenes = [BY_NAME["Title"], BY_NAME["Softmax"]]
    result = render_lecture(tr, tr.save(out / "t.npz"), out, "l", scenes, 2, progress=False)
    return build_deck(result["slides"], [s.name for s in scenes], "Test lecture")


def test_a_slide_per_beat_with_the_narration_as_notes(deck):
    softmax = json.loads((deck["slides"] / "Softmax.json").read_text())
    notes = [s["notes"] for s in softmax["slides"]]
    assert len(notes) >= 4
    assert any(n.startswith("Logits can be any numbers") for n in notes)  # the talking points, not the caption
    assert any(n.startswith("Step two: add them up over all 8,192 tokens") for n in notes)


def test_html_deck_has_no_web_address_and_local_reveal(deck):
    html = deck["html"].read_text()
    assert not re.search(r"https?://", html)
    for src in re.findall(r'(?:src|href)="([^"#]+)"', html):
        assert (deck["html"].parent / src).exists(), src
    assert deck["pptx"].stat().st_size > 10_000 and deck["pdf"].read_bytes()[:4] == b"%PDF"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_headless_chromium_shows_the_first_slide_offline(deck, tmp_path):
    shot = tmp_path / "shot.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--proxy-server=127.0.0.1:9",
                "--proxy-bypass-list=<-loopback>",  # no network at all
                "--virtual-time-budget=8000",
                "--window-size=1280,720",
                f"--screenshot={shot}",
                deck["html"].resolve().as_uri(),
            ],  # fmt: skip
            capture_output=True,
            timeout=120,
        )
    image = np.asarray(Image.open(shot).convert("L"), dtype=float)
    background = np.median(image)
    lit = np.mean(np.abs(image - background) > 40)
    assert lit > 0.002, "the first slide looks blank"  # the Title's first frame shows its footer line
