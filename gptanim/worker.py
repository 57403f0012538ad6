"""A long-lived render process: one JSON job per line on stdin, one JSON reply per line on stdout.

    python -m gptanim.worker video|still [SCRATCH]

Manim and the scene modules are imported once per process instead of once per scene
(about 1.5 s each), and the texts one scene builds are reused by the next. Manim's internals are
made faster here, and only in these processes (`scenes.engine`). With `video` every scene is also a
manim-slides Slide; with `still` only its last frame is drawn.
A job: {"scene", "trace", "workdir", "quality", "voice", "narration", "lecture"} (lecture: its title and scenes,
`catalog.lecture_plan`; narration: the lecture file's
overrides of this scene's beats, `gptanim.narration`). A reply: {"ok": true, "video", "still"} or
{"ok": false, "error": "<one line: where in the scene's file, and the exception>", "traceback"}, with
"warning": "<one line>" when manim is not the version the engine was written for (drawn by manim as it
is). Started by `gptanim.pool.ScenePool`, which passes the
folder for its scratch files (SCRATCH) and removes it. LaTeX is cached in the user's cache folder
(`~/.cache/gptanim/tex`, or under $GPTANIM_CACHE); a damaged entry there is removed and the scene
rendered again.
"""

from __future__ import annotations

import gc
import importlib
import io
import json
import os
import shutil
import sys
import tempfile
import traceback
from contextlib import redirect_stderr
from pathlib import Path

from model.cache import cache_root

QUALITY_NAMES = {"l": "low_quality", "m": "medium_quality", "h": "high_quality", "k": "fourk_quality"}


def user_module(path: str):
    """A scene file of your own, imported by path (again when it changed), its folder on sys.path."""
    import importlib.util

    folder = str(Path(path).parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = f"gptanim_user_{abs(hash((path, os.stat(path).st_mtime_ns)))}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def tex_dir() -> Path:
    return cache_root() / "tex"


def render_job(job: dict, still: bool, text_dir: str) -> dict:
    """Render one scene into job["workdir"]: its video (unless still), slides, beats and last frame."""
    from manim import tempconfig
    from PIL import Image

    from scenes.catalog import BY_NAME, SceneEntry, scene_file

    entry = SceneEntry(job["scene"], "", "", file=job["file"]) if job.get("file") else BY_NAME[job["scene"]]
    work = Path(job["workdir"])
    os.environ["GPTANIM_TRACE"] = job["trace"]
    os.environ["GPTANIM_BEATS_OUT"] = str(work / "beats.json")
    os.environ["GPTANIM_VOICE"] = job.get("voice", "none")
    if not still:
        os.environ["GPTANIM_SLIDES"] = str(work / "slides")
    scene_cls = getattr(user_module(entry.file) if entry.file else importlib.import_module(f"scenes.{entry.module}"),
                        entry.name)  # fmt: skip
    from scenes.base import TraceScene

    TraceScene.narration_overrides = dict(job.get("narration") or {})  # this scene's beats' own words, if any
    os.environ.pop("GPTANIM_LECTURE", None)  # the lecture it is in, for a scene that draws it (catalog.current_plan)
    if job.get("lecture"):
        os.environ["GPTANIM_LECTURE"] = json.dumps(job["lecture"])
    options = {
        "quality": QUALITY_NAMES[job["quality"]],
        "media_dir": str(work),
        "input_file": scene_file(entry),
        "output_file": entry.name,
        "write_to_movie": not still,
        "save_last_frame": still,
        "text_dir": text_dir,
        "tex_dir": str(tex_dir()),
        "progress_bar": "none",
        "verbosity": "WARNING",
    }
    with tempconfig(options):
        scene = scene_cls()
        scene.render()
        if still:  # the frame, drawn from scratch with everything on screen
            scene.renderer.draw_now, scene.renderer.static_image = True, None
            scene.renderer.update_frame(scene)
        png = work / "last.png"
        Image.fromarray(scene.renderer.get_frame()).convert("RGB").save(png)
        video = None if still else str(scene.renderer.file_writer.movie_file_path)
    return {"ok": True, "video": video, "still": str(png)}


def render_or_retry(job: dict, still: bool, text_dir: str) -> dict:
    """Render; if that fails and a cached drawing was damaged, remove it and render once more."""
    from scenes.text import discard_damaged

    try:
        return render_job(job, still, text_dir)
    except Exception:
        if not sum(discard_damaged(folder) for folder in (tex_dir(), Path(text_dir))):
            raise
        print("gptanim: removed damaged LaTeX or text drawings from the cache; rendering again", file=sys.stderr)
        return render_job(job, still, text_dir)


def serve(mode: str, scratch: str | None = None) -> None:
    replies = sys.stdout
    sys.stdout = sys.stderr  # whatever a scene or manim prints must not mix with the replies
    from scenes import engine

    warning = io.StringIO()
    with redirect_stderr(warning):
        engine.apply(mode)  # manim's internals made faster (the same pictures), if manim is the version expected
    sys.stderr.write(warning.getvalue())
    if mode == "video":
        os.environ["GPTANIM_SLIDES"] = "pending"  # scenes are imported as manim-slides Slides
    else:
        from scenes.catalog import SCENES

        for module in dict.fromkeys(entry.module for entry in SCENES):  # while the caller still runs the model
            importlib.import_module(f"scenes.{module}")
    # Manim writes a scratch file beside each text's SVG: workers sharing one text folder trip over
    # each other's. A text costs as much with its SVG on disk as without, so each has its own.
    text_dir = tempfile.mkdtemp(prefix="gptanim-texts-", dir=scratch)
    settle()  # what was imported, out of the collector's way
    try:
        answer(sys.stdin, replies, mode, text_dir, warning.getvalue().strip())
    finally:
        shutil.rmtree(text_dir, ignore_errors=True)


def where_it_failed(exc: BaseException, job: dict) -> str:
    """'my_scene.py, line 23, in show_guesses: ' for the innermost line of the scene's own file (a scene of your
    own, or a built-in scene's module) that the exception passed through, else of scenes/ (a built-in's shared
    code); a syntax error's own place; else nothing."""
    from scenes.catalog import BY_NAME, scene_file

    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{shown_path(exc.filename)}, line {exc.lineno}: "
    if job.get("file"):
        places = [Path(job["file"]).resolve()]
    else:
        module = (Path(__file__).resolve().parent.parent / scene_file(BY_NAME[job["scene"]])).resolve()
        places = [module, module.parent]
    frames = list(reversed(traceback.extract_tb(exc.__traceback__)))
    for place in places:
        for frame in frames:
            path = Path(frame.filename).resolve()
            if path == place or path.parent == place:
                return f"{shown_path(frame.filename)}, line {frame.lineno}, in {frame.name}: "
    return ""


def shown_path(filename: str) -> str:
    """A file's path as the user would type it: relative to the working folder when under it."""
    path = Path(filename).resolve()
    try:
        return str(path.relative_to(Path(os.environ.get("GPTANIM_CALLER_CWD") or Path.cwd()).resolve()))
    except ValueError:
        return str(path)


def answer(jobs, replies, mode: str, text_dir: str, warning: str = "") -> None:
    for line in jobs:
        job = json.loads(line)
        caught = io.StringIO()
        try:
            with redirect_stderr(caught):
                reply = render_or_retry(job, mode == "still", text_dir)
        except BaseException as exc:  # noqa: BLE001 - every failure becomes a one-line reply
            if isinstance(exc, KeyboardInterrupt):
                raise
            said = [ln for ln in caught.getvalue().splitlines() if ln.strip()]
            told = "".join(traceback.format_exception(exc))
            if isinstance(exc, SystemExit) and said:  # a scene's own one-line error (bad Trace file)
                error = said[-1].removeprefix("gptanim: error: ")
            else:
                sys.stderr.write(told)
                error = where_it_failed(exc, job) + f"{type(exc).__name__}: {exc}".splitlines()[0]
            reply = {"ok": False, "error": error, "traceback": told}
        if warning:
            reply["warning"] = warning
        sys.stderr.write(caught.getvalue())
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
        settle()


SETTLED = [0]  # jobs since the collector last looked at everything
THAWED_EVERY = 40


def settle() -> None:
    """After a job (its reply sent): the job's garbage collected, and what is left (modules, manim, the caches
    of texts, glyphs and corners) frozen, out of the collector's way. Each job makes hundreds of thousands of
    objects; every full collection during the next one would otherwise go through all the kept ones again
    (a tenth of a still's time). Every THAWED_EVERY jobs all are looked at again, so what was kept and is
    now garbage (a Trace read before) is freed. Pictures are the same: only when memory is freed changes."""
    SETTLED[0] += 1
    if SETTLED[0] >= THAWED_EVERY:
        gc.unfreeze()
        SETTLED[0] = 0
    gc.collect()
    gc.freeze()


if __name__ == "__main__":
    serve(sys.argv[1] if len(sys.argv) > 1 else "video", sys.argv[2] if len(sys.argv) > 2 else None)
