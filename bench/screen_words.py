"""What a viewer reads on each scene's last frame, measured with OCR: how many words and numbers, how many of
them small, and how much of the frame's width the picture uses (prints; asserts nothing).

    .venv/bin/python bench/screen_words.py FOLDER [--json]

FOLDER is a rendered lecture (NN-Scene.png, the last frame, beside NN-Scene.mp4; without the PNG the video's
last frame is decoded). Each frame is read at its own resolution, scaled to 1080 rows so that every size below
is in pixels at 1080p whatever the render's quality:
- words: what Debian's `tesseract` (its TSV output) reads with a confidence of at least MIN_CONF, counting
  each run of characters holding a letter or digit once ("5,322,240" is one; a lone "×" none); dark frames are inverted first
  (tesseract reads dark text on light);
- small: the share of those words whose box is under SMALL_PX pixels tall at 1080p;
- span: the share of the frame's width between the leftmost and the rightmost column holding a non-background
  pixel above the caption band (the frame's bottom CAPTION_BAND); the background is the frame's commonest
  colour, a pixel differs from it by more than BG_STEP levels in some channel, a column needs MIN_INK such
  pixels.
Then the median and the maximum of words, and the share of small words over all scenes.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

MIN_CONF = 40.0  # tesseract's confidence (0-100) under which a box is noise rather than a word
SMALL_PX = 20  # a word's box under this height at 1080p is small (issue 30's target: at most 3% of words)
CAPTION_BAND = 0.15  # the frame's bottom share, where the captions are (as in bench/lecture_report.py)
BG_STEP = 24  # grey levels (of 255) a pixel differs from the background by to count as drawn
MIN_INK = 2  # drawn pixels a column needs to count (one stray pixel of the encoder's noise does not)
ROWS = 1080  # every frame is read at this height
TIMES = {"x", "X", "×"}  # a lone one is the multiplication sign of a shape ("256 × 64"), a symbol, not a word


@dataclass
class Word:
    text: str
    conf: float
    height: int  # pixels, at the resolution tesseract read


@dataclass
class Frame:
    scene: str
    words: int
    small: float  # share of words under SMALL_PX at 1080p
    span: float  # share of the frame's width the picture spans, above the caption band


def parse_tsv(tsv: str, min_conf: float = MIN_CONF) -> list[Word]:
    """The words of tesseract's TSV output (level 5 rows) with a letter or a digit and confidence ≥ min_conf."""
    lines = tsv.splitlines()
    if not lines:
        return []
    head = lines[0].split("\t")
    col = {name: i for i, name in enumerate(head)}
    words = []
    for line in lines[1:]:
        cells = line.split("\t")
        if len(cells) < len(head) or cells[col["level"]] != "5":
            continue
        text, conf = cells[col["text"]].strip(), float(cells[col["conf"]])
        if conf >= min_conf and re.search(r"\w", text) and text not in TIMES:
            words.append(Word(text, conf, int(cells[col["height"]])))
    return words


def background(rgb: np.ndarray) -> np.ndarray:
    """The frame's commonest colour."""
    flat = rgb.reshape(-1, rgb.shape[-1])
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    return colours[counts.argmax()]


def width_span(rgb: np.ndarray, band: float = CAPTION_BAND) -> float:
    """The share of the width between the outermost columns drawn on above the bottom `band` of the frame."""
    top = rgb[: int(rgb.shape[0] * (1 - band))].astype(np.int16)
    ink = (np.abs(top - background(rgb).astype(np.int16)).max(axis=-1) > BG_STEP).sum(axis=0) >= MIN_INK
    columns = np.flatnonzero(ink)
    if columns.size == 0:
        return 0.0
    return float(columns[-1] - columns[0] + 1) / rgb.shape[1]


def small_share(words: list[Word], small_px: float = SMALL_PX) -> float:
    """The share of `words` whose box is under `small_px` pixels tall (0 for none)."""
    return sum(w.height < small_px for w in words) / len(words) if words else 0.0


def ocr(image) -> list[Word]:
    """The words tesseract reads in a PIL image (its heights in the image's pixels)."""
    from PIL import ImageOps

    grey = image.convert("L")
    if np.asarray(grey).mean() < 128:  # light text on a dark frame: tesseract wants dark on light
        grey = ImageOps.invert(grey)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "frame.png"
        grey.save(path)
        done = subprocess.run(["tesseract", str(path), "stdout", "--psm", "11", "tsv"], capture_output=True,
                              text=True, check=True)  # fmt: skip
    return parse_tsv(done.stdout)


def last_frame(folder: Path, stem: str):
    """The scene's last frame: its still if written, else the video's last decoded frame."""
    from PIL import Image

    still = folder / f"{stem}.png"
    if still.exists():
        return Image.open(still).convert("RGB")
    import av

    last = None
    with av.open(str(folder / f"{stem}.mp4")) as src:
        for frame in src.decode(video=0):
            last = frame
    return last.to_image().convert("RGB")


def measure(folder: Path) -> list[Frame]:
    from PIL import Image

    frames = []
    for video in sorted(folder.glob("[0-9][0-9]-*.mp4")):
        image = last_frame(folder, video.stem)
        scale = ROWS / image.height
        big = image.resize((round(image.width * scale), ROWS), Image.LANCZOS)
        words = ocr(big)
        frames.append(Frame(video.stem.split("-", 1)[1], len(words), small_share(words),
                            width_span(np.asarray(image))))  # fmt: skip
    return frames


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if shutil.which("tesseract") is None:
        print("screen_words: needs tesseract (apt-get install tesseract-ocr)", file=sys.stderr)
        return 2
    if not any(args.folder.glob("[0-9][0-9]-*.mp4")):
        print(f"screen_words: no rendered scenes (NN-Scene.mp4) in {args.folder}", file=sys.stderr)
        return 2
    frames = measure(args.folder)
    counts = [f.words for f in frames]
    total = sum(counts)
    summary = {"median words": statistics.median(counts), "max words": max(counts),
               "small share": sum(f.small * f.words for f in frames) / total if total else 0.0,
               "min span": min(f.span for f in frames)}  # fmt: skip
    if args.json:
        print(json.dumps({"scenes": [asdict(f) for f in frames], "summary": summary}, indent=1))
        return 0
    print(f"{'scene':24} {'words':>5} {'small':>6} {'span':>5}")
    for f in frames:
        print(f"{f.scene:24} {f.words:5d} {f.small:6.1%} {f.span:5.0%}")
    print(
        f"median {summary['median words']:g} words, max {summary['max words']}, "
        f"{summary['small share']:.1%} under {SMALL_PX} px at 1080p, narrowest span {summary['min span']:.0%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
