"""How much sooner a Text is built glyph by glyph (`scenes.svg_glyphs`) than by manim (prints; asserts nothing).

    .venv/bin/python bench/text_bench.py [--texts 200] [--stills Title,Softmax --trace TRACE.json]

Builds the same distinct captions both ways in one process, in turns (manim's first for even captions,
ours first for odd ones), each way drawing into a text folder of its own, so both include Pango's drawing
of the SVG, as a render worker's first use of a text does. Then once more with the drawings on disk (a text
seen before in that folder). Prints ms per text (median and mean, wall and CPU) and the ratios.

With `--stills`, the last frames of those scenes are also rendered as a `gptanim` still worker renders them
(`gptanim.worker.render_job`, one after the other in one process, texts reused from scene to scene), in a
fresh process for each way (manim's Text, then ours, then again in the other order), LaTeX cached beforehand.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = (
    "the model reads every token and attends to earlier ones; softmax turns scores into probabilities, "
    "each layer adds what it found to the residual stream: 12 heads, 768 numbers, 50,257 tokens (“quoted”)"
).split()


def captions(n: int) -> list[tuple[str, dict]]:
    """`n` distinct captions of 4 to 9 words, in the scenes' fonts and sizes."""
    from scenes import style

    rng = random.Random(23)
    sizes = [(style.FONT, 24), (style.FONT, 18), (style.FONT, 22), (style.FONT, 31), (style.MONO, 20)]
    return [(f"{' '.join(rng.sample(WORDS, rng.randint(4, 9)))} {k}", {"font": sizes[k % len(sizes)][0],
             "font_size": sizes[k % len(sizes)][1], "color": style.TEXT}) for k in range(n)]  # fmt: skip


def timed(build, *args) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    build(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def render_stills(names: list[str], trace: str, way: str) -> dict:
    """In this process: render the stills one after the other, texts built `way` ("manim" or "ours");
    seconds of render_job, wall and CPU."""
    import scenes.text
    from gptanim import worker
    from scenes import engine

    if way == "manim":
        scenes.text.glyphs_from_svg = contextlib.nullcontext  # manim's own reading, for comparison
    engine.apply("still")  # as a still worker draws
    with tempfile.TemporaryDirectory() as scratch:
        jobs = [{"scene": name, "trace": trace, "workdir": f"{scratch}/{name}", "quality": "l", "voice": "none"}
                for name in names]  # fmt: skip
        wall, cpu = time.perf_counter(), time.process_time()
        for job in jobs:
            reply = worker.render_job(job, still=True, text_dir=f"{scratch}/texts")
            assert reply["ok"], reply
        return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def compare_stills(scenes: str, trace: str) -> None:
    def run(way: str) -> dict:
        command = [sys.executable, __file__, "--child", way, "--stills", scenes, "--trace", trace]
        return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)

    run("ours")  # LaTeX compiled into the cache, not timed
    runs = {"manim": [], "ours": []}
    for way in ("manim", "ours", "ours", "manim"):
        runs[way].append(run(way))
    print(f"stills of {scenes} (render_job, one process, mean of 2 runs each):")
    for what in ("wall", "cpu"):
        manim, ours = (sum(r[what] for r in runs[way]) / 2 for way in ("manim", "ours"))
        print(f"  {what:4}  manim {manim:6.2f} s   glyphs {ours:6.2f} s   ratio {manim / ours:4.2f}x   "
              f"saved {1 - ours / manim:4.0%}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=200)
    parser.add_argument("--stills", help="scenes whose last frames are rendered both ways (comma-separated)")
    parser.add_argument("--trace", help="the Trace the stills show (from `gptanim trace --out`)")
    parser.add_argument("--child", choices=["manim", "ours"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(render_stills(args.stills.split(","), args.trace, args.child)))
        return
    if args.stills and not args.trace:
        print("text_bench: error: --stills needs --trace", file=sys.stderr)
        raise SystemExit(2)
    from manim import Text, config

    from scenes import engine
    from scenes.svg_glyphs import glyphs_from_svg

    def manims(text, kw):
        config.text_dir = folders["manim"]
        Text(text, **kw)

    def ours(text, kw):
        config.text_dir = folders["ours"]
        with glyphs_from_svg():
            Text(text, **kw)

    texts = captions(args.texts)
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b, engine.only(engine.text_parts):
        folders = {"manim": a, "ours": b}
        Text("warm up", font="DejaVu Sans")  # fonts loaded once, outside the figures
        for round_name in ("new texts (Pango draws each)", "drawings on disk"):
            times = {"manim": [], "ours": []}
            for k, (text, kw) in enumerate(texts):
                order = [("manim", manims), ("ours", ours)]
                for name, build in order if k % 2 == 0 else order[::-1]:
                    times[name].append(timed(build, text, kw))
            print(f"{round_name}, {len(texts)} captions:")
            for what, i in (("wall", 0), ("CPU", 1)):
                per = {name: [t[i] * 1000 for t in got] for name, got in times.items()}
                med = {name: statistics.median(v) for name, v in per.items()}
                mean = {name: statistics.fmean(v) for name, v in per.items()}
                print(f"  {what:4}  manim {med['manim']:6.1f} ms (mean {mean['manim']:6.1f})   "
                      f"glyphs {med['ours']:6.1f} ms (mean {mean['ours']:6.1f})   "
                      f"ratio {med['manim'] / med['ours']:4.1f}x (means {mean['manim'] / mean['ours']:4.1f}x)")  # fmt: skip
    if args.stills:
        compare_stills(args.stills, str(Path(args.trace).resolve()))
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
