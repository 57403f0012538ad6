"""Render timings for the default lecture, each as a ratio to plain Manim's anchor scene (prints; asserts nothing).

    .venv/bin/python bench/render_bench.py [--qualities l,h] [--scenes A,B] [--jobs 2] [--voice joe|none]
                                           [--skip preview,unchanged] [--one-job] [--voice-speed]

A machine's speed (and its load) changes every absolute figure, so each render is measured beside
the anchor: a plain Manim CE scene of the same kind (`bench/anchor.py`: a title, a column of six
numbers, eight growing bars, 10 s), rendered by the `manim` command in one process, start-up
included, at the same quality, just before and just after the lecture. Ratios are render seconds per
second of video; the figure that counts is the lecture's ratio divided by the anchor's (mean of the
two runs). Targets on 2 cores (issue 23), 2 jobs: at most 0.5x the anchor at 1080p60 and at 480p15;
preview of a prompt never seen before at most 10 s from the command line, of a cached one at most 5 s;
an unchanged re-render at most 10 s. The Trace's own target is `bench/trace_bench.py`'s.

Scene videos go to a temporary folder (always rendered afresh); the narration's audio is kept in the
caller's cache ($GPTANIM_CACHE/voice), so that the renders time rendering: the bench says how many
beats it had to synthesise, and in which pass. The preview runs `gptanim preview` as a user would: for
a prompt made up for this run (its Trace is computed: torch starts) and then once more (cached), first
without the warm preview (GPTANIM_WARM=0), then once starting it, then twice with it running (a new
prompt, the same again); the warm preview's CPU (its process and workers) is counted in those, and it is
stopped before and after.
Peak memory is the resident memory of the whole process tree (the bench and its render workers,
sampled from /proc every 0.1 s) during each 2-job render.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gptanim.choose import pick_scenes  # noqa: E402
from gptanim.cli import resolved, settings_from  # noqa: E402
from gptanim.lecture import DEFAULT_LECTURE, load_lecture  # noqa: E402
from gptanim.render import QUALITIES, render_lecture  # noqa: E402
from model.cache import cached_path, cached_trace  # noqa: E402
from model.settings import cache_root  # noqa: E402
from scenes.catalog import SceneEntry  # noqa: E402

ANCHOR = Path(__file__).resolve().parent / "anchor.py"
ANCHOR_SECONDS = 10.0
TARGET_RATIO = 0.5  # lecture ratio / anchor ratio, 2 jobs, at 480p15 and at 1080p60
TARGET_PREVIEW_NEW, TARGET_PREVIEW_CACHED, TARGET_UNCHANGED = 10.0, 5.0, 10.0


def video_seconds(folder: Path) -> float:
    return sum(json.loads(p.read_text())["duration"] for p in folder.glob("*.beats.json"))


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of its children that have ended."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def anchor_ratio(quality: str, scratch: Path) -> tuple[float, float]:
    """Render seconds per video second of the plain Manim anchor, one `manim` process from start to end:
    wall clock, and CPU seconds."""
    media = Path(tempfile.mkdtemp(dir=scratch))
    cmd = [str(Path(sys.executable).parent / "manim"), f"-q{quality}", "--media_dir", str(media),
           "--progress_bar", "none", "--disable_caching", str(ANCHOR), "Anchor"]  # fmt: skip
    start, cpu = time.perf_counter(), cpu_seconds()
    subprocess.run(cmd, cwd=media, check=True, capture_output=True)  # cwd: the project's manim.cfg stays out
    return (time.perf_counter() - start) / ANCHOR_SECONDS, (cpu_seconds() - cpu) / ANCHOR_SECONDS


class TreeMemory:
    """Peak resident memory of this process and all its descendants, sampled from /proc in a thread."""

    def __init__(self, every: float = 0.1):
        self.every, self.peak, self.peak_one = every, 0, 0
        self.stop = threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE")

    def sample(self) -> None:
        parents = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    stat = Path(entry.path, "stat").read_text()
                    parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    pass
        tree, grew = {os.getpid()}, True
        while grew:
            more = {pid for pid, ppid in parents.items() if ppid in tree} - tree
            tree |= more
            grew = bool(more)
        sizes = []
        for pid in tree:
            try:
                sizes.append(int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self.page)
            except (OSError, ValueError, IndexError):
                pass
        self.peak, self.peak_one = max(self.peak, sum(sizes)), max([self.peak_one, *sizes])

    def run(self) -> None:
        while not self.stop.wait(self.every):
            self.sample()

    def __enter__(self) -> TreeMemory:
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


def voice_files() -> int:
    folder = cache_root() / "voice"
    return len(list(folder.glob("*.wav"))) if folder.exists() else 0


def timed_render(trace, trace_file, out, quality, scenes, jobs, voice) -> tuple[float, dict, TreeMemory]:
    """Wall seconds of a render; the result also says its CPU seconds and the narration lines it synthesised."""
    before, cpu = voice_files(), cpu_seconds()
    with TreeMemory() as memory:
        start = time.perf_counter()
        result = render_lecture(trace, trace_file, out, quality, scenes, jobs, progress=False, voice=voice)
        spent = time.perf_counter() - start
    result["synthesised"], result["cpu"] = voice_files() - before, cpu_seconds() - cpu
    return spent, result, memory


def tree_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) spent so far by the processes `pids` and their running descendants."""
    parents, ticks = {}, {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)], ticks[int(entry.name)] = int(fields[1]), int(fields[11]) + int(fields[12])
            except (OSError, ValueError, IndexError):
                pass
    tree, grew = set(pids) & set(ticks), True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(ticks[pid] for pid in tree) / os.sysconf("SC_CLK_TCK")


def preview_command(prompt: str, scenes: list[str], out: Path, warm: bool = False, *flags: str) -> tuple[float, float]:
    """Wall seconds and CPU seconds of `gptanim preview` for `prompt`, as a user runs it; with `warm`, the
    warm preview's CPU (server and workers) is counted too."""
    from gptanim.warm import server_pids

    cmd = [str(Path(sys.executable).parent / "gptanim"), "preview", "--quiet", "--prompt", prompt,
           "--scenes", ",".join(scenes), "--out", str(out), *flags]  # fmt: skip
    env = {**os.environ, "GPTANIM_WARM": "1" if warm else "0"}
    before = tree_cpu(server_pids())
    start, cpu = time.perf_counter(), cpu_seconds()
    subprocess.run(cmd, cwd=ROOT, check=True, env=env)
    spent, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    return spent, cpu + (tree_cpu(server_pids()) - before if warm else 0.0)


def preview_lines(scenes: list[SceneEntry], out: Path, lines: Lines) -> None:
    """`gptanim preview` without the warm preview (cold), the first one that starts it, and with it running;
    each for a prompt made up for this run (its Trace is computed) and then once more (cached)."""
    names = [s.file + ":" + s.name if s.file else s.name for s in scenes]
    run = iter(range(100))

    def prompt() -> str:  # a prompt this cache has not seen
        return f"The wolf counted {time.time_ns() % 10**6 + next(run)} stones"

    stop = [str(Path(sys.executable).parent / "gptanim"), "preview", "--stop", "--quiet"]
    subprocess.run(stop, cwd=ROOT, check=True)
    try:
        cold, warm = prompt(), prompt()
        runs = [
            ("cold (no warm preview), new prompt", cold, False, TARGET_PREVIEW_NEW),
            ("cold, cached prompt", cold, False, TARGET_PREVIEW_CACHED),
            ("new prompt, starting the warm preview", prompt(), True, TARGET_PREVIEW_NEW),
            ("warm, new prompt", warm, True, TARGET_PREVIEW_NEW),
            ("warm, cached prompt", warm, True, TARGET_PREVIEW_CACHED),
        ]
        for label, text, use_warm, target in runs:
            spent, cpu = preview_command(text, names, out, use_warm)
            lines.append(f"preview, {label}: {spent:.1f} s wall, {cpu:.1f} CPU s ({verdict(spent, target)}); "
                         f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    finally:
        subprocess.run(stop, cwd=ROOT, check=True)


class Lines(list):
    """The report, each line printed as soon as it is measured (a long run may be cut short)."""

    def __init__(self, first: list[str]):
        super().__init__()
        self += first

    def __iadd__(self, more):
        for line in more:
            self.append(line)
        return self

    def append(self, line: str) -> None:
        print(line, flush=True)
        super().append(line)


def verdict(value: float, target: float) -> str:
    return f"target <= {target:g}: {'met' if value <= target else 'NOT met'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qualities", default="l,h", help="comma-separated qualities (l, m, h, k); default l,h")
    parser.add_argument("--scenes", default=None, help="comma-separated scenes (default: the lecture's)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--voice", default=None, help="narrator (default: the lecture's)")
    parser.add_argument("--skip", default="", help="comma-separated parts to leave out: preview, unchanged")
    parser.add_argument("--one-job", action="store_true", help="also render the first quality with 1 job")
    parser.add_argument("--voice-speed", action="store_true", help="also time the voice's synthesis")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    qualities = [q for q in args.qualities.split(",") if q]
    lecture = load_lecture(DEFAULT_LECTURE)
    flags = argparse.Namespace()
    voice = args.voice or resolved(flags, lecture)["voice"]
    scenes = pick_scenes(args.scenes or lecture.scenes)
    settings = settings_from(flags, lecture)
    trace, trace_file = cached_trace(settings), cached_path(settings)
    lines = Lines(
        [f"{len(scenes)} scenes, voice {voice}, {args.jobs} jobs, load average {os.getloadavg()[0]:.1f} at start"]
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.one_job:
            spent, result, _ = timed_render(trace, trace_file, tmp / "one", qualities[0], scenes, 1, voice)
            seconds = video_seconds(result["folder"])
            lines.append(f"{QUALITIES[qualities[0]]}, 1 job: {spent:.1f} s, {spent / seconds:.3f} render s per video s"
                         f" ({result['synthesised']} narration lines synthesised in this pass)")  # fmt: skip
        for q in qualities:
            before = anchor_ratio(q, tmp)
            spent, result, memory = timed_render(trace, trace_file, tmp / q, q, scenes, args.jobs, voice)
            after = anchor_ratio(q, tmp)
            seconds, anchor = video_seconds(result["folder"]), (before[0] + after[0]) / 2
            ratio, cpu_ratio = spent / seconds, result["cpu"] / seconds
            lines += [
                f"{QUALITIES[q]}: anchor {before[0]:.3f} before, {after[0]:.3f} after (render s per video s); "
                f"CPU {before[1]:.3f}, {after[1]:.3f} (CPU s per video s)",
                f"{QUALITIES[q]}, {args.jobs} jobs: {spent:.1f} s for {seconds:.1f} s of video, {ratio:.3f} render s "
                f"per video s = {ratio / anchor:.2f}x the anchor ({verdict(ratio / anchor, TARGET_RATIO)})",
                f"{QUALITIES[q]}, {args.jobs} jobs: CPU {cpu_ratio:.3f} s per video s = "
                f"{cpu_ratio / ((before[1] + after[1]) / 2):.2f}x the anchor's CPU "
                f"(on {args.jobs} idle cores, about {cpu_ratio / args.jobs / ((before[1] + after[1]) / 2):.2f}x "
                "its wall ratio, if the jobs stay busy to the end)",
                f"{QUALITIES[q]}, {args.jobs} jobs: peak memory {memory.peak / 2**20:.0f} MB (process tree), "
                f"{memory.peak_one / 2**20:.0f} MB the largest process; "
                f"{result['synthesised']} narration lines synthesised in this pass",
            ]
        if "unchanged" not in skip:
            start = time.perf_counter()
            render_lecture(trace, trace_file, tmp / qualities[-1], qualities[-1], scenes, args.jobs, progress=False,
                           voice=voice)  # fmt: skip
            unchanged = time.perf_counter() - start
            lines.append(f"unchanged re-render: {unchanged:.1f} s ({verdict(unchanged, TARGET_UNCHANGED)})")
        if "preview" not in skip:
            preview_lines(scenes, tmp / "preview", lines)
        if args.voice_speed and voice == "joe":
            load, spent, spoken = voice_speed(result["folder"], tmp / "fresh")
            lines.append(f"voice: load {load:.1f} s; synthesis {spent:.1f} s for {spoken:.1f} s of speech, "
                         f"{spent / spoken:.2f} s per s of audio")  # fmt: skip
    lines.append(f"load average {os.getloadavg()[0]:.1f} at the end")


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
