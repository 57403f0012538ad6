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
    return {**build_deck(result["slides"], [s.name for s in scenes], "Test lecture"), "videos": result["videos"]}


def test_a_slide_per_beat_with_the_narration_as_notes(deck):
    softmax = json.loads((deck["slides"] / "Softmax.json").read_text())
    notes = [s["notes"] for s in softmax["slides"]]
    beats = json.loads(deck["videos"][1].with_suffix(".beats.json").read_text())["beats"]
    assert len(notes) >= 4
    said = [b["say"] for b in beats]
    assert all(said) and said != [b["text"] for b in beats]  # the talking points, not the captions
    assert [n for n in notes if n] == said  # each beat's slide, in order, with its narration as notes


def test_html_deck_has_no_web_address_and_local_reveal(deck):
    html = deck["html"].read_text()
    assert not re.search(r"https?://", html)
    for src in re.findall(r'(?:src|href)="([^"#]+)"', html):
        assert (deck["html"].parent / src).exists(), src
    assert deck["pptx"].stat().st_size > 10_000 and deck["pdf"].read_bytes()[:4] == b"%PDF"


def test_handout_is_light_paper_with_the_notes_as_text(deck, tmp_path):
    pdf = deck["pdf"]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Title:\s+Test lecture$", info, re.M), info
    pages = int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    notes = [
        s["notes"]
        for name in ("Title", "Softmax")
        for s in json.loads((deck["slides"] / f"{name}.json").read_text())["slides"]
    ]
    notes = [" ".join(n.split()) for n in notes if n.strip()]
    assert len(notes) >= 6 and all(n in flat for n in notes), "a speaker note is missing from the handout's text"
    assert "1. What GPT stands for" in flat and "2. Softmax" in flat  # the scenes' headings
    assert pages < len(notes), "several slides a page"
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    page = np.asarray(Image.open(next(tmp_path.glob("page*.png"))).convert("L"), dtype=float)
    assert np.median(page) > 235, "the page is not light"
    assert np.mean(page < 120) > 0.003, "the page has no dark ink (text, drawn numbers)"


def chromium_screenshot(url: str, shot) -> np.ndarray:
    """The page as headless Chromium shows it, with no network at all, in grey levels."""
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
                url,
            ],  # fmt: skip
            capture_output=True,
            timeout=120,
        )
    return np.asarray(Image.open(shot).convert("L"), dtype=float)


needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")


@needs_chromium
def test_headless_chromium_shows_the_first_slide_offline(deck, tmp_path):
    image = chromium_screenshot(deck["html"].resolve().as_uri(), tmp_path / "shot.png")
    background = np.median(image)
    lit = np.mean(np.abs(image - background) > 40)
    assert lit > 0.002, "the first slide looks blank"  # the Title's first frame shows its footer line


@needs_chromium
def test_no_unmute_button_over_a_later_slide(deck, tmp_path):
    html = deck["html"].read_text()
    assert "data-background-video-muted" not in html.split("<section", 2)[2], "later videos keep their sound"
    image = chromium_screenshot(deck["html"].resolve().as_uri() + "#/1", tmp_path / "second.png")
    assert np.mean(image > 60) > 0.01, "the second slide looks blank"
    corner = image[650:710, 10:150]  # where reveal.js puts its white-on-black "Unmute video" button
    assert corner.max() < 200, "a button covers the slide's bottom-left corner"


def ink(frame) -> float:
    """The share of a frame's pixels that stand out from its background (its median grey)."""
    grey = frame.to_ndarray(format="gray").astype(float)
    return float(np.mean(np.abs(grey - np.median(grey)) > 40))


def test_every_slide_rests_on_its_result(deck):
    """A slide's last frame, the one the presenter, the PPTX and the handout rest on, is not emptier than the
    picture a second before: the clearing of a beat's picture starts the next slide instead of ending
    this one (the video itself is cut the same way, frame for frame)."""
    import av

    for name in ("Title", "Softmax"):
        slides = json.loads((deck["slides"] / f"{name}.json").read_text())["slides"]
        for n, slide in enumerate(slides):
            with av.open(slide["file"]) as video:
                inks = [ink(frame) for frame in video.decode(video=0)]
            second_before = inks[max(0, len(inks) - 16)]  # 480p15: a beat's clearing takes at most a second
            assert inks[-1] >= 0.9 * second_before, f"{name} slide {n} ends emptier than it was: {inks[-16:]}"
