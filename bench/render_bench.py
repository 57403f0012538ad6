"""Render timings for the default lecture (prints figures; asserts nothing).

    .venv/bin/python bench/render_bench.py [-q l] [--scenes A,B] [--high-quality h|none] [--voice joe|none]

Renders into a temporary folder, with the lecture's voice (narrated) unless told otherwise:
the lecture with 1 job (its narration synthesised on the way, into an empty audio cache),
then with 2 jobs (fresh videos, the audio cached), an unchanged re-render, the preview, and
then the lecture again with 2 jobs at the high quality (1080p60 unless told otherwise).
Ratios are render seconds per second of video. Voice synthesis is timed on its own: seconds
of compute per second of speech, for a dozen beats' narration. Targets on 2 cores: at most
0.3 at 480p15 with 2 jobs, 1.5 at 1080p60; preview at most 20 s; unchanged re-render at most 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from gptanim.lecture import DEFAULT_LECTURE, load_lecture
from gptanim.render import QUALITIES, pick_scenes, preview, render_lecture
from model.run import TraceSettings, trace


def video_seconds(folder: Path) -> float:
    return sum(json.loads(p.read_text())["duration"] for p in folder.glob("*.beats.json"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-q", default="l")
    parser.add_argument("--scenes", default=None)
    parser.add_argument("--high-quality", default="h", help="quality of the last pass (2 jobs), or none")
    parser.add_argument("--voice", default=None, help="narrator (default: the lecture's)")
    args = parser.parse_args()
    lecture = load_lecture(DEFAULT_LECTURE)
    s = lecture.settings
    voice = args.voice or s.get("voice", "none")
    tr = trace(TraceSettings(prompt=s["prompt"], temperature=s["temperature"], seed=s["seed"], generate=s["generate"]))
    scenes = pick_scenes(args.scenes or lecture.scenes)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GPTANIM_CACHE"] = str(Path(tmp) / "cache")  # the narration is synthesised afresh
        trace_file = tr.save(Path(tmp) / "trace.npz")
        timings = {}
        for jobs in (1, 2):
            out = Path(tmp) / f"jobs{jobs}"
            start = time.perf_counter()
            result = render_lecture(tr, trace_file, out, args.q, scenes, jobs, progress=False, voice=voice)
            timings[jobs] = time.perf_counter() - start
        seconds = video_seconds(result["folder"])
        start = time.perf_counter()
        render_lecture(tr, trace_file, Path(tmp) / "jobs2", args.q, scenes, 2, progress=False, voice=voice)
        unchanged = time.perf_counter() - start
        start = time.perf_counter()
        preview(trace_file, Path(tmp) / "preview", scenes, 2, progress=False)
        preview_time = time.perf_counter() - start
        high = None
        if args.high_quality != "none":
            start = time.perf_counter()
            render_lecture(tr, trace_file, Path(tmp) / "high", args.high_quality, scenes, 2, progress=False,
                           voice=voice)  # fmt: skip
            high = time.perf_counter() - start
        synthesis = voice_speed(result["folder"], Path(tmp) / "fresh") if voice == "joe" else None
    print(f"{len(scenes)} scenes, {seconds:.1f} s ({seconds / 60:.1f} min) of video at quality {args.q}, voice {voice}")
    for jobs, t in timings.items():
        print(f"render, {jobs} job(s): {t:7.1f} s   {t / seconds:.2f} render s per video s")
    print(f"speedup with 2 jobs: {timings[1] / timings[2]:.2f}x")
    print(f"unchanged re-render: {unchanged:.1f} s")
    print(f"preview (last frames + contact sheet): {preview_time:.1f} s")
    if high is not None:
        label = QUALITIES[args.high_quality]
        print(f"render at {label}, 2 jobs: {high:7.1f} s   {high / seconds:.2f} render s per video s")
    if synthesis is not None:
        load, spent, spoken = synthesis
        print(f"voice: load {load:.1f} s; synthesis {spent:.1f} s for {spoken:.1f} s of speech, "
              f"{spent / spoken:.2f} s per s of audio")  # fmt: skip


def voice_speed(folder: Path, cache: Path, beats: int = 12) -> tuple[float, float, float]:
    """(load s, synthesis s, speech s) for the first `beats` narrations of the rendered lecture, uncached."""
    from scenes.voice import PiperNarrator

    texts = [b["say"] for p in sorted(folder.glob("*.beats.json")) for b in json.loads(p.read_text())["beats"]]
    os.environ["GPTANIM_CACHE"] = str(cache)
    narrator = PiperNarrator()
    start = time.perf_counter()
    narrator.load()
    load = time.perf_counter() - start
    start = time.perf_counter()
    spoken = sum(narrator.speak(text, "bench").duration for text in texts[:beats] if text)
    return load, time.perf_counter() - start, spoken


if __name__ == "__main__":
    main()
