"""Rendering the lecture's scenes from one Trace, in parallel processes, reusing what is already there.

Everything is written to a temporary name and moved into place when complete, so an
interrupted render never leaves a broken file where a good one was; rerunning resumes.
Temporary names carry the process id (`.NAME.PID-RANDOM.part`): two renders never share
one, and what a killed process left is removed by the next render (`sweep`). A stored
scene is complete when its manifest, written last, matches every file of it.
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import json
import os
import queue
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import numpy as np

from gptanim.subtitles import lecture_cues, srt, vtt
from gptanim.warm import running as alive  # a pid that still runs (a lock's owner)
from model.errors import GptanimError
from model.trace_data import PARTS, SECTIONS, Trace
from scenes.catalog import BY_NAME, SCENES, SceneEntry, custom_scene, is_custom
from scenes.voice import decode, voice_from

ROOT = Path(__file__).resolve().parent.parent
QUALITIES = {"l": "480p15", "m": "720p30", "h": "1080p60", "k": "2160p60"}
THEMES = ("dark", "light")  # scenes/style.py's palettes, chosen by GPTANIM_THEME in the render processes
RATE, LAYOUT = 48000, "stereo"  # the lecture's sound, as each scene's (manim writes 48 kHz stereo)
DISSOLVE = 0.5  # seconds: each scene's end dissolves into the next scene's first picture (its silent breath)
X264 = {"crf": "23", "preset": "ultrafast"}  # as the render workers encode scenes (scenes/engine.py)


class WorkerDied(GptanimError):
    """A render process stopped without answering (killed, crashed): not the scene's own error."""


class SceneFailed(GptanimError):
    """A scene raised: one line (its file, line and exception); `details` is the whole traceback (--debug)."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


SHORT_CHAPTER = 10.0  # seconds: video sites (YouTube) ignore the chapters of a video with a shorter one


def pick_scenes(names: str | list[str] | None) -> list[SceneEntry]:
    if names is None or names == []:
        return list(SCENES)
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
        if not names:
            raise GptanimError("--scenes names no scene; give comma-separated names (see gptanim list)")
    chosen = []
    for name in names:
        if is_custom(name):  # path/to/file.py:ClassName, a scene of your own
            chosen.append(custom_scene(name))
            continue
        if name not in BY_NAME:
            raise GptanimError(f"unknown scene {name!r}; valid scenes: {', '.join(s.name for s in SCENES)} "
                              "or path/to/file.py:ClassName")  # fmt: skip
        chosen.append(BY_NAME[name])
    names = [entry.name for entry in chosen]  # a scene's files and slides are named after it: one of each name
    twice = next((name for i, name in enumerate(names) if name in names[:i]), None)
    if twice is not None:
        raise GptanimError(f"scene {twice!r} is named twice; a lecture shows each scene once")
    return chosen


def slug(trace: Trace, theme: str = "dark") -> str:
    """A folder name: readable (model, start of the prompt, temperature, seed), and unique to the settings
    and weights by a short hash of them all (a prompt in another script has no readable words here); a theme
    other than dark is added at the end."""
    s = trace.meta["settings"]
    digest = hashlib.sha256(json.dumps([s, trace.meta["weights_hash"]], sort_keys=True).encode()).hexdigest()[:8]
    name = f"{ascii_words(trace.meta['model'], 24)}-{ascii_words(trace.prompt)}-T{s['temperature']:g}-seed{s['seed']}-{digest}"
    return name if theme == "dark" else f"{name}-{theme}"


def ascii_words(text: str, limit: int = 32) -> str:
    """Letters and digits of `text`, accents dropped, joined by hyphens: 'Crème brûlée!' → 'creme-brulee'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower()[:limit].strip("-") or "prompt"


def fingerprint(trace: Trace, with_temperature: bool, sections=SECTIONS) -> str:
    """A hash of the Trace parts a scene reads (trace_data.PARTS): all of it but the sections it does not show, and
    the continuation and its temperature for a scene that does not show them (its metadata says which)."""
    left_out = [name for name in SECTIONS if name not in sections] + ([] if with_temperature else ["continuation"])
    meta = json.loads(json.dumps(trace.meta))
    info = dict(trace.info)
    for name in left_out:
        for setting in PARTS[name]["settings"]:
            meta["settings"].pop(setting, None)
        for key in PARTS[name]["info"]:
            info.pop(key, None)
    digest = hashlib.sha256(json.dumps([meta, info], sort_keys=True).encode())
    for name in sorted(trace.arrays):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(trace.arrays[name]).tobytes())
    return digest.hexdigest()


def scene_key(entry: SceneEntry, trace: Trace, quality: str, voice: str = "none", theme: str = "dark",
              narration: dict | None = None) -> str:  # fmt: skip
    """What a scene's video depends on: the Trace (as far as the scene uses it), the scene code, the quality,
    the voice, the theme and the lecture file's narration of its beats (`gptanim.narration`)."""
    digest = hashlib.sha256(fingerprint(trace, entry.uses_temperature, entry.sections).encode())
    for path in sorted((ROOT / "scenes").glob("*.py")):
        digest.update(path.read_bytes())
    if entry.file:  # a scene of your own
        digest.update(Path(entry.file).read_bytes())
    digest.update(f"{entry.name}:{quality}:{voice_from(voice).key()}".encode())
    if theme != "dark":
        digest.update(f":{theme}".encode())
    if narration:
        digest.update(json.dumps(narration, sort_keys=True).encode())
    return digest.hexdigest()[:20]


def prepare_output(folder: Path, clean: bool = True) -> Path:
    """The folder, made if needed and checked writable; what interrupted renders left in it is removed
    (`clean`: only by the process that holds the folder's lock, so that two never sweep at once)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = temporary_name(folder / "write-test")
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise GptanimError(f"cannot write to the output folder {folder}: {exc.strerror}") from None
    if clean:
        sweep(folder)
    return folder


@contextmanager
def output_lock(out_root: Path):
    """One gptanim at a time writes into an output folder; another one waits for it, saying so."""
    prepare_output(out_root, clean=False)
    fd = os.open(out_root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"gptanim: another gptanim is writing into {out_root}; waiting for it to finish", file=sys.stderr)
            fcntl.flock(fd, fcntl.LOCK_EX)
        sweep(out_root)
        yield
    finally:
        os.close(fd)


TEMPORARY = re.compile(r"^\..+\.(\d+)-[0-9a-z_]*\.part(\.\w+|_assets)?$")  # and a deck's `.deck.PID-R.part.html`


def temporary_name(final: Path) -> Path:
    """A name beside `final` for writing it, unique to this process and call: `.NAME.PID-RANDOM.part`."""
    return final.with_name(f".{final.name}.{os.getpid()}-{secrets.token_hex(4)}.part")


def scratch_folder(parent: Path) -> Path:
    """A new temporary folder in `parent`, named like `temporary_name`'s files (so `sweep` knows it)."""
    return Path(tempfile.mkdtemp(prefix=f".scratch.{os.getpid()}-", suffix=".part", dir=parent))


def sweep(folder: Path) -> None:
    """Remove the temporary files and folders in `folder`, at any depth, of processes that no longer run
    (killed, crashed)."""
    # os.walk passes over a folder that vanishes while it walks (a plain `manim` run cleaning up its own)
    names = [Path(top) / name for top, dirs, files in os.walk(folder) for name in dirs + files if name[0] == "."]
    for path, found in ((path, TEMPORARY.match(path.name)) for path in names):
        if found and int(found[1]) != os.getpid() and not alive(int(found[1])):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


class ScenePool:
    """Worker processes (`gptanim.worker`) that render scenes, each started when first needed.

    `run` may be called from several threads at once: each call takes an idle worker or starts
    one, so there are as many workers as scenes rendered at once (the caller's `--jobs`).
    Their scratch files (each scene's work folder, the texts they draw) are in one temporary
    folder in `parent`, removed on exit; on an exception (Ctrl-C) the workers are stopped at once.
    """

    def __init__(self, parent: Path, still: bool = False, theme: str = "dark"):
        self.mode = "still" if still else "video"
        self.theme = theme
        self.idle: queue.SimpleQueue = queue.SimpleQueue()
        self.workers: list[tuple[subprocess.Popen, IO]] = []
        self.lock = threading.Lock()
        self.scratch = scratch_folder(parent)
        self.warned = False  # whether a worker's warning (manim not the engine's version) has been printed

    def __enter__(self) -> ScenePool:
        return self

    def __exit__(self, kind, *exc) -> None:
        try:
            for proc, _ in self.workers:
                if kind is not None:  # interrupted or failed: a scene being rendered is not waited for
                    proc.kill()
                if proc.stdin:
                    try:
                        proc.stdin.close()
                    except OSError:
                        pass
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        except BaseException:  # interrupted (Ctrl-C, SIGTERM) while waiting for them: they are stopped at once
            for proc, _ in self.workers:
                proc.kill()
                proc.wait()
            raise
        finally:
            for _, log in self.workers:
                log.close()
            shutil.rmtree(self.scratch, ignore_errors=True)

    def start(self) -> tuple[subprocess.Popen, IO]:
        log = tempfile.TemporaryFile(mode="w+", prefix="gptanim-worker-", dir=self.scratch)
        # The libraries' own temporary files (manim-slides leaves some when killed) go to the scratch folder too.
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(self.scratch)}
        env.pop("GPTANIM_SLIDES", None)
        env["GPTANIM_THEME"] = self.theme
        env["GPTANIM_CALLER_CWD"] = os.getcwd()  # a failing scene's file is named from here
        cmd = [sys.executable, "-m", "gptanim.worker", self.mode, str(self.scratch)]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                text=True)  # fmt: skip
        with self.lock:
            self.workers.append((proc, log))
        return proc, log

    def warm(self, n: int) -> None:
        """Start `n` workers now, so that they import manim and the scenes while the caller does other work
        (runs the model); `run` takes them when it needs them."""
        for _ in range(n):
            self.idle.put(self.start())

    def take(self, entry: SceneEntry) -> tuple[subprocess.Popen, IO]:
        """An idle worker for `entry`, else a new one."""
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            return self.start()

    def run(self, entry: SceneEntry, trace_file: Path, workdir: Path, quality: str, voice: str = "none",
            narration: dict | None = None) -> dict:  # fmt: skip
        proc, log = self.take(entry)
        job = {"scene": entry.name, "file": entry.file, "trace": str(trace_file), "workdir": str(workdir),
               "quality": quality, "voice": voice, "narration": narration or {}}  # fmt: skip
        try:
            proc.stdin.write(json.dumps(job) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:  # the worker died: say what it last said
            log.seek(0)
            said = [ln for ln in log.read().splitlines() if ln.strip()] or ["the render process stopped"]
            raise WorkerDied(f"scene {entry.name} failed to render: {said[-1]}")
        self.idle.put((proc, log))
        reply = json.loads(line)
        if reply.get("warning") and not self.warned:  # manim is not the engine's version: said once per pool
            self.warned = True
            print(reply["warning"], file=sys.stderr)
        if not reply["ok"]:
            raise SceneFailed(f"scene {entry.name} failed to render: {reply['error']}", reply.get("traceback", ""))
        return reply


def copy_slides(source: Path, dest: Path, name: str) -> None:
    """A scene's manim-slides output (NAME.json and files/NAME/) copied into the folder `dest`, paths rewritten.

    The files go in first under a temporary name, the JSON that points at them last.
    """
    files = dest / "files" / name
    files.parent.mkdir(parents=True, exist_ok=True)
    partial, old = temporary_name(files), temporary_name(files)
    try:
        copy_tree(source / "files" / name, partial)
        doc = json.loads((source / f"{name}.json").read_text(encoding="utf-8"))
        for slide in doc["slides"]:
            for key in ("file", "rev_file"):
                if slide.get(key):
                    slide[key] = str(files / Path(slide[key]).name)
        if files.exists():
            files.rename(old)
        partial.rename(files)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    write_text(dest / f"{name}.json", json.dumps(doc, indent=1))


def copy_tree(source: Path, dest: Path) -> None:
    """A folder copied; a failure (a full disk) is one line, the first file that could not be copied."""
    try:
        shutil.copytree(source, dest)
    except shutil.Error as exc:  # it lists every file that failed, as (source, destination, why)
        _, failed, why = exc.args[0][0]
        raise GptanimError(f"cannot copy {failed}: {why}") from None


@contextmanager
def written(final: Path):
    """A temporary name to write `final` under; moved into place if the block completes, else removed."""
    partial = temporary_name(final)
    try:
        yield partial
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)


def move_into_place(source: Path, final: Path) -> None:
    """A copy of `source` at `final`, complete or not at all."""
    with written(final) as partial:
        shutil.copyfile(source, partial)


def render_scene(entry: SceneEntry, trace_file: Path, final: Path, quality: str, pool: ScenePool | None = None,
                 voice: str = "none", narration: dict | None = None) -> Path:  # fmt: skip
    """Render one scene: video, last-frame still, beats and slides, each moved in when complete,
    then its manifest (`complete` checks it)."""
    if pool is None:
        with ScenePool(final.parent) as own:
            return render_scene(entry, trace_file, final, quality, own, voice, narration)
    manifest_file(final).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(dir=pool.scratch) as tmp:
        reply = pool.run(entry, trace_file, Path(tmp), quality, voice, narration)
        move_into_place(Path(tmp) / "beats.json", final.with_suffix(".beats.json"))
        move_into_place(Path(reply["still"]), final.with_suffix(".png"))
        copy_slides(Path(tmp) / "slides", final.with_suffix(".slides"), entry.name)
        move_into_place(Path(reply["video"]), final)
    write_text(manifest_file(final), json.dumps(manifest(final), indent=1))  # last: the scene is complete
    return final


def scene_files(video: Path) -> list[Path]:
    """Every file of a stored scene: video, still, beats, and its slides (JSON and the slides' videos)."""
    slides = video.with_suffix(".slides")
    files = [video, video.with_suffix(".png"), video.with_suffix(".beats.json")]
    if slides.is_dir():
        files += sorted(p for p in slides.rglob("*") if p.is_file() and not p.name.startswith("."))
    return files


def manifest_file(video: Path) -> Path:
    return video.with_suffix(".manifest.json")


def manifest(video: Path) -> dict:
    """Each file's size and sha256, by its path relative to the store."""
    return {str(p.relative_to(video.parent)): [p.stat().st_size, file_hash(p)] for p in scene_files(video)}


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def complete(video: Path) -> bool:
    """Whether a stored scene is whole: its manifest is there and every file it lists is, unchanged,
    with the slides' JSON among them. A scene lacking a part, or with one cut short or changed, is rendered again."""
    try:
        listed = json.loads(manifest_file(video).read_text(encoding="utf-8"))
        slides_json = str(
            video.with_suffix(".slides").relative_to(video.parent) / f"{video.stem.rsplit('-', 1)[0]}.json"
        )
        if not isinstance(listed, dict) or slides_json not in listed:
            return False
        for name, (size, digest) in listed.items():
            path = video.parent / name
            if path.stat().st_size != size or file_hash(path) != digest:
                return False
    except (OSError, ValueError, TypeError):
        return False
    return True


def render_still(entry: SceneEntry, trace_file: Path, final: Path, pool: ScenePool, beats: bool = False) -> Path:
    """A scene's last frame at low quality, without its animations; with `beats`, its beats too (the captions
    and narration, as `.beats.json` beside it; `gptanim script` reads them)."""
    with tempfile.TemporaryDirectory(dir=pool.scratch) as tmp:
        reply = pool.run(entry, trace_file, Path(tmp), "l")
        if beats:
            move_into_place(Path(tmp) / "beats.json", final.with_suffix(".beats.json"))
        move_into_place(Path(reply["still"]), final)
    return final


def report(progress: bool, text: str) -> None:
    """One line about the phase the render is in, on stderr (when `progress`)."""
    if progress:
        print(text, file=sys.stderr, flush=True)


def parallel(jobs: int, work: list, run, progress: bool, desc: str) -> list:
    """`run(*item)` for every item of `work` (each starting with its SceneEntry), `jobs` at a time.

    On a terminal a progress bar counts the scenes' render weights, so its estimate of the time
    left does not jump when a long scene finishes; otherwise (a log file) each finished scene is
    one plain line.
    """
    from tqdm import tqdm

    results, done = [], 0
    on_terminal = progress and sys.stderr.isatty()
    layout = "{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]"
    total = sum(item[0].render_weight for item in work)
    width = getattr(sys.stderr, "columns", None)  # a warm preview's stream says the client's terminal width
    with tqdm(total=total, disable=not on_terminal, desc=f"{desc} 0/{len(work)} scenes", bar_format=layout,
              ncols=width) as bar:  # fmt: skip
        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            futures = {pool.submit(run, *item): item for item in work}
            for future in as_completed(futures):
                results.append((futures[future], future.result()))
                done += 1
                bar.set_description_str(f"{desc} {done}/{len(work)} scenes", refresh=False)
                bar.update(futures[future][0].render_weight)
                if progress and not on_terminal:
                    report(progress, f"{desc} {done}/{len(work)} scenes: {futures[future][0].name} done")
        except BaseException:  # Ctrl-C or a failed scene: start no other; the caller stops the running ones
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    return results


def render_lecture(trace: Trace, trace_file: Path, out_root: Path, quality: str, scenes: list[SceneEntry],
                   jobs: int, progress: bool = True, titles: list[str] | None = None, theme: str = "dark",
                   voice: str = "none", narration: dict | None = None, title: str = "") -> dict:  # fmt: skip
    """Render every scene not already rendered for what it shows, then the whole lecture and its subtitles.

    Scene videos are kept in `out_root/.scenes/` by a key of what they depend on, so a
    render with another temperature reuses every scene that does not show it. `titles` name
    the chapters (default: the catalog's titles); `narration` overrides beats' words by beat id
    (`gptanim.narration`): only the scenes whose words changed are rendered again. `lecture.json`
    says what the folder holds (`gptanim present FOLDER` reads it).
    """
    from gptanim.narration import for_scene

    narration = narration or {}
    if quality not in QUALITIES:
        raise GptanimError(f"invalid quality {quality!r}; choose one of {', '.join(QUALITIES)}")
    if theme not in THEMES:
        raise GptanimError(f"invalid theme {theme!r}; choose {' or '.join(THEMES)}")
    voice_from(voice).check()  # a missing voice package fails before anything is written
    out = prepare_output(out_root / slug(trace, theme))
    store = prepare_output(out_root / ".scenes")
    kept_trace = out / "trace.npz"
    if not kept_trace.exists() or kept_trace.read_bytes() != Path(trace_file).read_bytes():
        move_into_place(Path(trace_file), kept_trace)
    own = {e.name: for_scene(narration, e.name) for e in scenes}
    stored = {e.name: store / f"{e.name}-{scene_key(e, trace, quality, voice, theme, own[e.name])}.mp4" for e in scenes}
    todo = [e for e in scenes if not complete(stored[e.name])]
    todo.sort(key=lambda e: -e.render_weight)  # long scenes first: the last to finish are short ones
    if todo:
        reused = f" ({len(scenes) - len(todo)} unchanged, reused)" if len(todo) < len(scenes) else ""
        report(progress, f"rendering {len(todo)} of {len(scenes)} scenes at {QUALITIES[quality]}{reused}")
        with ScenePool(store, theme=theme) as pool:
            work = [(e, kept_trace, stored[e.name], quality, pool, voice, own[e.name]) for e in todo]
            parallel(jobs, work, render_scene, progress, "rendering")
    else:
        report(progress, f"all {len(scenes)} scenes unchanged" if len(scenes) > 1 else "the scene is unchanged")
    videos = []
    for number, entry in enumerate(scenes, start=1):
        video = out / f"{number:02d}-{entry.name}.mp4"
        for suffix in (".beats.json", ".png", ".mp4"):
            move_into_place(stored[entry.name].with_suffix(suffix), video.with_suffix(suffix))
        copy_slides(stored[entry.name].with_suffix(".slides"), out / "deck" / "slides", entry.name)
        videos.append(video)
    titles = titles or [e.title for e in scenes]
    joined = hashlib.sha256(json.dumps([[stored[e.name].name for e in scenes], titles]).encode()).hexdigest()
    stamp = out / ".lecture-key"  # the scene videos lecture.mp4 was joined from: unchanged, it is not joined again
    done = [out / n for n in ("lecture.mp4", "lecture.srt", "lecture.vtt", "lecture.chapters.txt",
                              "lecture.narration.txt")]  # fmt: skip
    if not (stamp.exists() and stamp.read_text() == joined and all(p.exists() for p in done)):
        report(progress, "joining lecture.mp4 with its chapters and subtitles")
        assemble(videos, out, titles)
        write_text(stamp, joined)
    durations = [json.loads(v.with_suffix(".beats.json").read_text(encoding="utf-8"))["duration"] for v in videos]
    contents = {"title": title, "scenes": [e.name for e in scenes], "titles": titles, "durations": durations,
                "videos": [v.name for v in videos], "quality": quality, "theme": theme}  # fmt: skip
    write_text(out / "lecture.json", json.dumps(contents, ensure_ascii=False, indent=1))
    if len(videos) > 1:  # one scene alone has no chapters
        for name, seconds in zip(titles, durations):
            if seconds < SHORT_CHAPTER:
                report(progress, f"warning: the chapter {name!r} lasts {seconds:.1f} s; video sites such as YouTube "
                       f"show no chapters when one is under {SHORT_CHAPTER:g} s")  # fmt: skip
    return {"folder": out, "videos": videos, "rendered": len(todo), "slides": out / "deck" / "slides"}


def assemble(videos: list[Path], out: Path, titles: list[str]) -> None:
    """The whole lecture as one video, its chapters, its subtitles (SRT) and its narration script."""
    beats = [json.loads(v.with_suffix(".beats.json").read_text(encoding="utf-8")) for v in videos]
    durations = concat_videos(videos, out / "lecture.mp4", titles)
    starts = np.concatenate([[0.0], np.cumsum(durations)])
    chapters = [f"{chapter_time(start)} {title}" for title, start in zip(titles, starts)]
    cues = lecture_cues(beats, durations)
    write_text(out / "lecture.srt", srt(cues))
    write_text(out / "lecture.vtt", vtt(cues))
    write_text(out / "lecture.chapters.txt", "\n".join(chapters) + "\n")
    script = [f"{b.get('id', doc['scene'])}\t{b.get('say') or b['text']}" for doc in beats for b in doc["beats"]]
    write_text(out / "lecture.narration.txt", "\n".join(script) + "\n")


def chapter_time(seconds: float) -> str:
    """A chapter's start as video sites read it in a description: 0:00, 0:11, 12:05, 1:02:03."""
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def write_text(path: Path, text: str) -> None:
    with written(path) as partial:
        partial.write_text(text, encoding="utf-8")


def video_duration(video: Path) -> float:
    """Seconds from the first packet to the end of the last, read without decoding."""
    import av

    with av.open(str(video)) as src:
        stream = src.streams.video[0]
        end = 0.0
        for packet in src.demux(stream):
            if packet.pts is not None:
                end = max(end, float((packet.pts + (packet.duration or 0)) * stream.time_base))
    return end


def concat_videos(videos: list[Path], out: Path, titles: list[str] | None = None) -> list[float]:
    """Join scene videos, one chapter per scene, and their sound as one AAC track, each scene's at its start.

    The scenes' packets are copied (they share codec, settings and frame rate), but for each scene's last
    group of pictures before the next scene: that is encoded again, its last DISSOLVE seconds dissolving into
    the next scene's first picture (`dissolved_tail`). Returns each video's duration in seconds.
    """
    from fractions import Fraction

    import av

    durations = [video_duration(v) for v in videos]
    titles = titles or [v.stem for v in videos]
    partial = temporary_name(out)  # left only if this process dies; the next render sweeps it
    starts = np.concatenate([[0.0], np.cumsum(durations)])
    with av.open(str(partial), "w", format="mp4") as dst:
        with av.open(str(videos[0])) as first:
            stream = dst.add_stream_from_template(first.streams.video[0])
        audio = None
        if any(map(has_sound, videos)):  # (the fast coder: half the time of the default, for speech)
            audio = dst.add_stream("aac", rate=RATE, layout=LAYOUT, options={"aac_coder": "fast"})
        dst.set_chapters(
            [
                {
                    "id": i + 1,
                    "start": int(starts[i] * 1000),
                    "end": int(starts[i + 1] * 1000),
                    "time_base": Fraction(1, 1000),
                    "metadata": {"title": title},
                }  # fmt: skip
                for i, title in enumerate(titles)
            ]
        )
        for i, (video, offset) in enumerate(zip(videos, starts)):
            with av.open(str(video)) as src:
                source = src.streams.video[0]
                shift = int(round(offset / source.time_base))
                packets = [p for p in src.demux(source) if p.dts is not None]
                if i + 1 < len(videos):
                    packets = dissolved_tail(source, packets, videos[i + 1])
                for packet in packets:
                    packet.pts += shift
                    packet.dts += shift
                    packet.stream = stream
                    dst.mux(packet)
        if audio is not None:
            encode_audio(dst, audio, lecture_sound(videos, starts))
    os.replace(partial, out)
    return durations


def dissolved_tail(source, packets: list, following: Path) -> list:
    """A scene's packets with its last group of pictures encoded again, its last DISSOLVE seconds dissolving
    into the first picture of `following`; as they were if the new stream's parameters would differ from the
    scene's (another encoder or settings than the render workers': the join stays a plain cut)."""
    import io

    import av

    key = max((i for i, p in enumerate(packets) if p.is_keyframe), default=None)
    if key is None or source.codec_context.name != "h264":
        return packets
    step = int(round(1 / (source.average_rate * source.time_base)))
    frames = [f.to_ndarray(format="yuv420p") for p in [*packets[key:], None] for f in source.codec_context.decode(p)]
    with av.open(str(following)) as nxt:
        target = next(nxt.decode(video=0)).to_ndarray(format="yuv420p").astype(np.float32)
    if len(frames) != len(packets) - key or frames[0].shape != target.shape:
        return packets
    n = min(len(frames), int(round(DISSOLVE * float(source.average_rate))))
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as encoded:
        out = encoded.add_stream("libx264", rate=source.average_rate, options=dict(X264))
        out.width, out.height, out.pix_fmt = source.width, source.height, "yuv420p"
        for i, frame in enumerate(frames):
            j = i - (len(frames) - n)
            if j >= 0:  # (1 - w) of the scene, w of the next picture, w rising to n / (n + 1): the cut comes last
                w = (j + 1) / (n + 1)
                frame = ((1 - w) * frame + w * target).round().astype(np.uint8)
            picture = av.VideoFrame.from_ndarray(frame, format="yuv420p")
            picture.pts = i
            encoded.mux(out.encode(picture))
        encoded.mux(out.encode(None))
    buffer.seek(0)
    with av.open(buffer) as encoded:
        made = encoded.streams.video[0]
        tail = [p for p in encoded.demux(made) if p.dts is not None]
        same = made.codec_context.extradata == source.codec_context.extradata
    if not same or len(tail) != len(frames):
        return packets
    for i, packet in enumerate(tail):
        packet.pts = packet.dts = packets[key].pts + i * step
        packet.duration = step
        packet.time_base = source.time_base
    return packets[:key] + tail


def has_sound(video: Path) -> bool:
    import av

    with av.open(str(video)) as src:
        return bool(src.streams.audio)


def lecture_sound(videos: list[Path], starts: np.ndarray):
    """The scenes' sound laid end to end at RATE, LAYOUT: one (channels, samples) block a scene, each as long
    as the scene's video (silence for a scene without sound)."""
    bounds = np.round(starts * RATE).astype(int)
    for video, begin, end in zip(videos, bounds, bounds[1:]):
        block = np.zeros((2, end - begin), np.float32)
        if has_sound(video):
            samples = decode(video, RATE, LAYOUT)[:, : end - begin]
            block[:, : samples.shape[1]] = samples
        yield block


def encode_audio(dst, stream, blocks, frame: int = 1024) -> None:
    """Encode blocks of (channels, samples) floats, one after the other, into an open output's audio stream."""
    import av

    pending, done = np.zeros((2, 0), np.float32), 0
    for block in itertools.chain(blocks, [None]):  # (one scene's sound at a time)
        if block is not None:
            pending = np.concatenate([pending, block], axis=1)
        while pending.shape[1] >= frame or (block is None and pending.shape[1]):
            chunk = av.AudioFrame.from_ndarray(np.ascontiguousarray(pending[:, :frame]), format="fltp",
                                               layout=LAYOUT)  # fmt: skip
            chunk.sample_rate, chunk.pts = RATE, done
            done += chunk.samples
            pending = pending[:, frame:]
            for packet in stream.encode(chunk):
                dst.mux(packet)
    for packet in stream.encode(None):
        dst.mux(packet)


def preview(trace_file: Path, out: Path, scenes: list[SceneEntry], jobs: int, progress: bool = True,
            theme: str = "dark", store: Path | None = None, pool: ScenePool | None = None) -> Path:  # fmt: skip
    """Every scene's last frame at low quality, and a contact sheet of them all.

    With `store`, each still is kept there by a key of what it shows (as `render_lecture` keeps videos)
    and reused: previewing a prompt again draws nothing. `pool` may be one already started (`warm`).
    """
    folder = prepare_output(out)
    if pool is None:
        with ScenePool(folder, still=True, theme=theme) as own:
            return preview(trace_file, out, scenes, jobs, progress, theme, store, own)
    finals = {e.name: folder / f"{n:02d}-{e.name}.png" for n, e in enumerate(scenes, start=1)}
    stored = {}
    if store is not None:
        trace = Trace.load(trace_file)
        prepare_output(store)
        stored = {e.name: store / f"{e.name}-{scene_key(e, trace, 'still', 'none', theme)}.png" for e in scenes}
    todo = sorted((e for e in scenes if not (e.name in stored and stored[e.name].exists())),
                  key=lambda e: -e.render_weight)  # fmt: skip
    reused = f" ({len(scenes) - len(todo)} unchanged, reused)" if len(todo) < len(scenes) else ""
    report(progress, f"drawing the last frame of {len(todo)} of {len(scenes)} scenes{reused}")
    work = [(e, trace_file, stored.get(e.name, finals[e.name]), pool, e.name in stored) for e in todo]  # beats kept
    parallel(jobs, work, render_still, progress, "preview")
    for name, path in stored.items():
        move_into_place(path, finals[name])
    return contact_sheet(list(finals.values()), folder / "contact-sheet.png")


def scene_beats(trace_file: Path, out_root: Path, scenes: list[SceneEntry], jobs: int, progress: bool = True,
                theme: str = "dark") -> dict[str, dict]:  # fmt: skip
    """Each scene's beats (its `.beats.json`: titles, captions, built-in narration), from its still: drawn
    without the animations and kept in `out_root/.stills` by what it shows, as `preview` keeps them."""
    trace = Trace.load(trace_file)
    store = prepare_output(out_root / ".stills")
    stored = {e.name: store / f"{e.name}-{scene_key(e, trace, 'still', 'none', theme)}.png" for e in scenes}
    todo = [e for e in scenes if not stored[e.name].with_suffix(".beats.json").exists()]
    if todo:
        report(progress, f"running {len(todo)} of {len(scenes)} scenes without their animations for their beats")
        with ScenePool(store, still=True, theme=theme) as pool:
            work = [(e, trace_file, stored[e.name], pool, True) for e in todo]
            parallel(jobs, work, render_still, progress, "beats")
    return {e.name: json.loads(stored[e.name].with_suffix(".beats.json").read_text(encoding="utf-8")) for e in scenes}


def contact_sheet(stills: list[Path], out: Path, columns: int = 4, width: int = 480) -> Path:
    from PIL import Image, ImageDraw

    images = [Image.open(p).convert("RGB") for p in stills]
    height = int(width * images[0].height / images[0].width)
    rows = (len(images) + columns - 1) // columns
    label_h = 22
    background = images[0].getpixel((0, 0))  # the theme's background
    ink = (40, 40, 40) if sum(background) > 3 * 128 else (200, 200, 200)
    sheet = Image.new("RGB", (columns * width, rows * (height + label_h)), background)
    draw = ImageDraw.Draw(sheet)
    for i, (path, image) in enumerate(zip(stills, images)):
        x, y = (i % columns) * width, (i // columns) * (height + label_h)
        sheet.paste(image.resize((width, height)), (x, y + label_h))
        draw.text((x + 6, y + 4), path.stem, fill=ink)
    with written(out) as partial:
        sheet.save(partial, format="PNG")
    return out
