"""Contact sheets to watch a rendered lecture by: a frame every few seconds of each scene, mid-animation, each
under its time, beside the narration being spoken at that moment (writes PNGs; asserts nothing).

    .venv/bin/python bench/watch.py FOLDER [--every 2.5] [--per-page 20] [--scenes A,B] [--out DIR]

FOLDER is a rendered lecture (NN-Scene.mp4 beside NN-Scene.beats.json). For each scene it writes
`DIR/NN-Scene.sheet-K.png` (frames in a grid, 20 a page, each labelled with its time and the beat it belongs to) and
`DIR/NN-Scene.script.txt` (each beat's start, caption and narration), for a viewer who judges whether each
picture shows what the narrator says while he says it. DIR defaults to FOLDER/watch.
"""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path


def frames_every(video: Path, every: float) -> list[tuple[float, object]]:
    """(time, PIL image) of the first frame at or after each multiple of `every` seconds."""
    import av

    picked, due = [], 0.0
    with av.open(str(video)) as src:
        for frame in src.decode(video=0):
            if frame.time is not None and frame.time + 1e-6 >= due:
                picked.append((frame.time, frame.to_image()))
                due += every
    return picked


def beat_at(beats: list[dict], t: float) -> int:
    """The number (from 1) of the beat under way at time t."""
    number = 1
    for i, b in enumerate(beats, start=1):
        if b["time"] <= t + 1e-6:
            number = i
    return number


def sheets(video: Path, every: float, out: Path, per_page: int = 20, columns: int = 4, width: int = 427) -> list[Path]:
    from PIL import Image, ImageDraw

    beats = json.loads(video.with_suffix(".beats.json").read_text(encoding="utf-8"))["beats"]
    frames = frames_every(video, every)
    height = int(width * frames[0][1].height / frames[0][1].width)
    label_h, targets = 18, []
    for first in range(0, len(frames), per_page):  # pages of `per_page` frames, small enough to look at whole
        chunk = frames[first : first + per_page]
        rows = (len(chunk) + columns - 1) // columns
        page = Image.new("RGB", (columns * width, rows * (height + label_h)), (255, 255, 255))
        draw = ImageDraw.Draw(page)
        for i, (t, image) in enumerate(chunk):
            x, y = (i % columns) * width, (i // columns) * (height + label_h)
            page.paste(image.resize((width, height)), (x, y + label_h))
            draw.text((x + 4, y + 3), f"{t:6.1f} s  beat {beat_at(beats, t)}", fill=(0, 0, 0))
        targets.append(out / f"{video.stem}.sheet-{first // per_page + 1}.png")
        page.save(targets[-1])
    script = []
    for i, b in enumerate(beats, start=1):
        heard = f", voice {b['audio']:.1f} s" if b.get("audio") else ""
        script.append(f"beat {i} at {b['time']:.1f} s{heard}: {b['title']}\n  caption: {b['text']}")
        if b.get("say"):
            script.append(textwrap.indent(textwrap.fill(b["say"], 100), "  said: ", lambda _: True))
    (out / f"{video.stem}.script.txt").write_text("\n".join(script) + "\n", encoding="utf-8")
    return targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--every", type=float, default=2.5, help="seconds between frames (default 2.5)")
    parser.add_argument("--per-page", type=int, default=20, help="frames on one sheet (default 20)")
    parser.add_argument("--scenes", default="", help="comma-separated scene names (default: all)")
    parser.add_argument("--out", type=Path, help="where the sheets go (default FOLDER/watch)")
    args = parser.parse_args()
    out = args.out or args.folder / "watch"
    out.mkdir(parents=True, exist_ok=True)
    wanted = {s for s in args.scenes.split(",") if s}
    for video in sorted(args.folder.glob("[0-9][0-9]-*.mp4")):
        if not wanted or video.stem.split("-", 1)[1] in wanted:
            for page in sheets(video, args.every, out, args.per_page):
                print(page)


if __name__ == "__main__":
    main()
