"""Rendering the lecture's scenes from one Trace, in parallel processes, reusing what is already there.

A scene's files are made by a pool of render workers (`gptanim.pool`) in a scratch folder and moved into the
scene store (`gptanim.store`) under its key (`gptanim.keys`), each whole or not at all (`gptanim.atomic`);
the lecture is then joined from them (`gptanim.join`).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from gptanim.atomic import move_into_place, prepare_output, write_text
from gptanim.contact import contact_sheet
from gptanim.join import assemble
from gptanim.keys import scene_key, slug
from gptanim.pool import ScenePool
from gptanim.store import complete, copy_slides, manifest, manifest_file
from model.errors import GptanimError
from model.trace_data import Trace
from scenes.catalog import SceneEntry, lecture_plan
from scenes.voice import voice_from

QUALITIES = {"l": "480p15", "m": "720p30", "h": "1080p60", "k": "2160p60"}
THEMES = ("dark", "light")  # scenes/style.py's palettes, chosen by GPTANIM_THEME in the render processes


SHORT_CHAPTER = 10.0  # seconds: video sites (YouTube) ignore the chapters of a video with a shorter one


def render_scene(entry: SceneEntry, trace_file: Path, final: Path, quality: str, pool: ScenePool | None = None,
                 voice: str = "none", narration: dict | None = None, lecture: dict | None = None) -> Path:  # fmt: skip
    """Render one scene: video, last-frame still, beats and slides, each moved in when complete,
    then its manifest (`complete` checks it). `lecture`: the lecture it is in (`catalog.lecture_plan`)."""
    if pool is None:
        with ScenePool(final.parent) as own:
            return render_scene(entry, trace_file, final, quality, own, voice, narration, lecture)
    manifest_file(final).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(dir=pool.scratch) as tmp:
        reply = pool.run(entry, trace_file, Path(tmp), quality, voice, narration, lecture)
        move_into_place(Path(tmp) / "beats.json", final.with_suffix(".beats.json"))
        move_into_place(Path(reply["still"]), final.with_suffix(".png"))
        copy_slides(Path(tmp) / "slides", final.with_suffix(".slides"), entry.name)
        move_into_place(Path(reply["video"]), final)
    write_text(manifest_file(final), json.dumps(manifest(final), indent=1))  # last: the scene is complete
    return final


def render_still(entry: SceneEntry, trace_file: Path, final: Path, pool: ScenePool, beats: bool = False,
                 lecture: dict | None = None) -> Path:  # fmt: skip
    """A scene's last frame at low quality, without its animations; with `beats`, its beats too (the captions
    and narration, as `.beats.json` beside it; `gptanim script` reads them)."""
    with tempfile.TemporaryDirectory(dir=pool.scratch) as tmp:
        reply = pool.run(entry, trace_file, Path(tmp), "l", lecture=lecture)
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


@dataclass
class LecturePlan:
    """A lecture about to be rendered: its folder, each scene's place in the store, and those not stored yet."""

    scenes: list[SceneEntry]
    out: Path
    trace_file: Path  # the Trace kept in the lecture's folder, which the scenes are rendered from
    stored: dict[str, Path]  # scene name -> its video in the store
    todo: list[SceneEntry]
    own: dict[str, dict]  # scene name -> the lecture file's narration of its beats
    quality: str
    voice: str
    theme: str
    titles: list[str]
    title: str
    lecture: dict  # its title and scenes, for the scenes that draw them (catalog.lecture_plan)


def in_flight(pool) -> int:
    """How many scenes a pool takes at once beyond --jobs: a cluster's (`ClusterPool.jobs`), all of them."""
    return getattr(pool, "jobs", 0)


def render_lecture(trace: Trace, trace_file: Path, out_root: Path, quality: str, scenes: list[SceneEntry],
                   jobs: int, progress: bool = True, titles: list[str] | None = None, theme: str = "dark",
                   voice: str = "none", narration: dict | None = None, title: str = "",
                   pools=None) -> dict:  # fmt: skip
    """Render every scene not already rendered for what it shows, then the whole lecture and its subtitles.

    Scene videos are kept in `out_root/.scenes/` by a key of what they depend on, so a
    render with another temperature reuses every scene that does not show it. `titles` name
    the chapters (default: the catalog's titles); `narration` overrides beats' words by beat id
    (`gptanim.narration`): only the scenes whose words changed are rendered again. `lecture.json`
    says what the folder holds (`gptanim present FOLDER` reads it). `pools(parent, theme)` makes the
    render pool (default: `ScenePool`, processes on this machine; `gptanim.cluster.ClusterPool`).
    """
    plan = plan_lecture(trace, trace_file, out_root, quality, scenes, titles, theme, voice, narration, title)
    if plan.todo:
        reused = f" ({len(scenes) - len(plan.todo)} unchanged, reused)" if len(plan.todo) < len(scenes) else ""
        report(progress, f"rendering {len(plan.todo)} of {len(scenes)} scenes at {QUALITIES[quality]}{reused}")
        render_plans([plan], out_root, jobs, progress, pools)
    else:
        report(progress, f"all {len(scenes)} scenes unchanged" if len(scenes) > 1 else "the scene is unchanged")
    return finish_lecture(plan, progress)


def plan_lecture(trace: Trace, trace_file: Path, out_root: Path, quality: str, scenes: list[SceneEntry],
                 titles: list[str] | None = None, theme: str = "dark", voice: str = "none",
                 narration: dict | None = None, title: str = "") -> LecturePlan:  # fmt: skip
    """The lecture's folder made and its Trace kept there; which scenes the store has and which it lacks."""
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
    titles = titles or [e.title for e in scenes]
    lecture = lecture_plan(title, [e.name for e in scenes], titles)
    stored = {e.name: store / f"{e.name}-{scene_key(e, trace, quality, voice, theme, own[e.name], lecture)}.mp4"
              for e in scenes}  # fmt: skip
    todo = [e for e in scenes if not complete(stored[e.name])]
    return LecturePlan(scenes, out, kept_trace, stored, todo, own, quality, voice, theme, titles, title, lecture)


def render_plans(plans: list[LecturePlan], out_root: Path, jobs: int, progress: bool = True, pools=None) -> int:
    """Render the scenes that the plans' lectures lack, each once (two lectures may share a scene), with one
    progress bar over them all; long scenes first, so that the last to finish are short ones. Returns how many."""
    store = out_root / ".scenes"
    work = {}
    for plan in plans:
        for e in plan.todo:
            work.setdefault(plan.stored[e.name], (e, plan.trace_file, plan.stored[e.name], plan.quality, plan.theme,
                                                  plan.voice, plan.own[e.name], plan.lecture))  # fmt: skip
    items = sorted(work.values(), key=lambda item: -item[0].render_weight)
    pools = pools or (lambda parent, theme: ScenePool(parent, theme=theme))
    with ExitStack() as stack:
        by_theme = {theme: stack.enter_context(pools(store, theme)) for theme in dict.fromkeys(i[4] for i in items)}
        work = [(e, trace, final, quality, by_theme[theme], voice, own, lecture)
                for e, trace, final, quality, theme, voice, own, lecture in items]  # fmt: skip
        parallel(max([jobs, *map(in_flight, by_theme.values())]), work, render_scene, progress, "rendering")
    return len(items)


def finish_lecture(plan: LecturePlan, progress: bool = True) -> dict:
    """The lecture's folder filled from the store: each scene's files, lecture.mp4 joined (unless it was from
    these same videos), its subtitles, lecture.json."""
    out, scenes, stored, titles = plan.out, plan.scenes, plan.stored, plan.titles
    videos = []
    for number, entry in enumerate(scenes, start=1):
        video = out / f"{number:02d}-{entry.name}.mp4"
        for suffix in (".beats.json", ".png", ".mp4"):
            move_into_place(stored[entry.name].with_suffix(suffix), video.with_suffix(suffix))
        copy_slides(stored[entry.name].with_suffix(".slides"), out / "deck" / "slides", entry.name)
        videos.append(video)
    joined = hashlib.sha256(json.dumps([[stored[e.name].name for e in scenes], titles]).encode()).hexdigest()
    stamp = out / ".lecture-key"  # the scene videos lecture.mp4 was joined from: unchanged, it is not joined again
    done = [out / n for n in ("lecture.mp4", "lecture.srt", "lecture.vtt", "lecture.chapters.txt",
                              "lecture.narration.txt")]  # fmt: skip
    if not (stamp.exists() and stamp.read_text() == joined and all(p.exists() for p in done)):
        report(progress, "joining lecture.mp4 with its chapters and subtitles")
        assemble(videos, out, titles)
        write_text(stamp, joined)
    durations = [json.loads(v.with_suffix(".beats.json").read_text(encoding="utf-8"))["duration"] for v in videos]
    contents = {"title": plan.title, "scenes": [e.name for e in scenes], "titles": titles, "durations": durations,
                "videos": [v.name for v in videos], "quality": plan.quality, "theme": plan.theme}  # fmt: skip
    write_text(out / "lecture.json", json.dumps(contents, ensure_ascii=False, indent=1))
    if len(videos) > 1:  # one scene alone has no chapters
        for name, seconds in zip(titles, durations):
            if seconds < SHORT_CHAPTER:
                report(progress, f"warning: the chapter {name!r} lasts {seconds:.1f} s; video sites such as YouTube "
                       f"show no chapters when one is under {SHORT_CHAPTER:g} s")  # fmt: skip
    return {"folder": out, "videos": videos, "rendered": len(plan.todo), "slides": out / "deck" / "slides"}


def preview(trace_file: Path, out: Path, scenes: list[SceneEntry], jobs: int, progress: bool = True,
            theme: str = "dark", store: Path | None = None, pool: ScenePool | None = None,
            lecture: dict | None = None) -> Path:  # fmt: skip
    """Every scene's last frame at low quality, and a contact sheet of them all.

    With `store`, each still is kept there by a key of what it shows (as `render_lecture` keeps videos)
    and reused: previewing a prompt again draws nothing. `pool` may be one already started (`warm`).
    `lecture` is the lecture they are in (`catalog.lecture_plan`), for the scenes that draw it.
    """
    folder = prepare_output(out)
    if pool is None:
        with ScenePool(folder, still=True, theme=theme) as own:
            return preview(trace_file, out, scenes, jobs, progress, theme, store, own, lecture)
    finals = {e.name: folder / f"{n:02d}-{e.name}.png" for n, e in enumerate(scenes, start=1)}
    stored = {}
    if store is not None:
        trace = Trace.load(trace_file)
        prepare_output(store)
        stored = {e.name: store / f"{e.name}-{scene_key(e, trace, 'still', 'none', theme, lecture=lecture)}.png"
                  for e in scenes}  # fmt: skip
    todo = sorted((e for e in scenes if not (e.name in stored and stored[e.name].exists())),
                  key=lambda e: -e.render_weight)  # fmt: skip
    reused = f" ({len(scenes) - len(todo)} unchanged, reused)" if len(todo) < len(scenes) else ""
    report(progress, f"drawing the last frame of {len(todo)} of {len(scenes)} scenes{reused}")
    beats = {e.name: e.name in stored for e in todo}  # kept beside a stored still
    work = [(e, trace_file, stored.get(e.name, finals[e.name]), pool, beats[e.name], lecture) for e in todo]
    parallel(max(jobs, in_flight(pool)), work, render_still, progress, "preview")
    for name, path in stored.items():
        move_into_place(path, finals[name])
    return contact_sheet(list(finals.values()), folder / "contact-sheet.png")


def scene_beats(trace_file: Path, out_root: Path, scenes: list[SceneEntry], jobs: int, progress: bool = True,
                theme: str = "dark", lecture: dict | None = None) -> dict[str, dict]:  # fmt: skip
    """Each scene's beats (its `.beats.json`: titles, captions, built-in narration), from its still: drawn
    without the animations and kept in `out_root/.stills` by what it shows, as `preview` keeps them.
    `lecture` is the lecture they are in (`catalog.lecture_plan`), for the scenes that draw it."""
    trace = Trace.load(trace_file)
    store = prepare_output(out_root / ".stills")
    stored = {e.name: store / f"{e.name}-{scene_key(e, trace, 'still', 'none', theme, lecture=lecture)}.png"
              for e in scenes}  # fmt: skip
    todo = [e for e in scenes if not stored[e.name].with_suffix(".beats.json").exists()]
    if todo:
        report(progress, f"running {len(todo)} of {len(scenes)} scenes without their animations for their beats")
        with ScenePool(store, still=True, theme=theme) as pool:
            work = [(e, trace_file, stored[e.name], pool, True, lecture) for e in todo]
            parallel(jobs, work, render_still, progress, "beats")
    return {e.name: json.loads(stored[e.name].with_suffix(".beats.json").read_text(encoding="utf-8")) for e in scenes}
