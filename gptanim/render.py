"""Rendering the lecture's scenes from one Trace, in parallel processes, reusing what is already there."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from model.errors import GptanimError
from scenes.catalog import BY_NAME, SCENES, SceneEntry, scene_file

ROOT = Path(__file__).resolve().parent.parent
QUALITIES = {"l": "480p15", "m": "720p30", "h": "1080p60", "k": "2160p60"}


def pick_scenes(names: str | None) -> list[SceneEntry]:
    if not names:
        return list(SCENES)
    chosen = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if name not in BY_NAME:
            raise GptanimError(f"unknown scene {name!r}; valid scenes: {', '.join(s.name for s in SCENES)}")
        chosen.append(BY_NAME[name])
    return chosen


def slug(trace) -> str:
    """A readable folder name: model, start of the prompt, temperature and seed."""
    s = trace.meta["settings"]
    words = re.sub(r"[^A-Za-z0-9]+", "-", trace.prompt).strip("-").lower()[:32].strip("-") or "prompt"
    return f"{trace.meta['model']}-{words}-T{s['temperature']:g}-seed{s['seed']}"


def scene_key(entry: SceneEntry, trace_file: Path, quality: str) -> str:
    """What a scene's video depends on: its Trace, its code and the quality."""
    digest = hashlib.sha256(trace_file.read_bytes())
    for path in sorted((ROOT / "scenes").glob("*.py")):
        digest.update(path.read_bytes())
    digest.update(f"{entry.name}:{quality}".encode())
    return digest.hexdigest()[:20]


def prepare_output(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise GptanimError(f"cannot write to the output folder {folder}: {exc.strerror}") from None
    return folder


def render_scene(entry: SceneEntry, index: int, trace_file: Path, out: Path, quality: str) -> Path:
    """Render one scene in its own process; move its video into place only when it is complete."""
    final = out / f"{index:02d}-{entry.name}.mp4"
    with tempfile.TemporaryDirectory(prefix="gptanim-") as tmp:
        cmd = [sys.executable, "-m", "manim", f"-q{quality}", "--media_dir", tmp, "--progress_bar", "none",
               "-v", "WARNING", "-o", entry.name, scene_file(entry), entry.name]  # fmt: skip
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "GPTANIM_TRACE": str(trace_file)})  # fmt: skip
        videos = list(Path(tmp).rglob(f"{entry.name}.mp4"))
        if done.returncode != 0 or not videos:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise GptanimError(f"scene {entry.name} failed to render: {last[0]}")
        partial = final.with_name(final.name + ".part")
        shutil.copyfile(videos[0], partial)
        os.replace(partial, final)
    save_last_frame(final, final.with_suffix(".png"))
    return final


def save_last_frame(video: Path, png: Path) -> None:
    """The video's last frame as a still, written to a temporary name first."""
    import av

    last = None
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            last = frame
    if last is not None:
        partial = png.with_name(png.name + ".part.png")
        last.to_image().save(partial)
        os.replace(partial, png)


def render_lecture(trace, trace_file: Path, out_root: Path, quality: str, scenes: list[SceneEntry], jobs: int,
                   progress=True) -> dict:  # fmt: skip
    """Render every scene whose video is missing or stale; return {scene: video path}."""
    from tqdm import tqdm

    if quality not in QUALITIES:
        raise GptanimError(f"invalid quality {quality!r}; choose one of {', '.join(QUALITIES)}")
    out = prepare_output(out_root / slug(trace))
    kept_trace = out / "trace.npz"
    if not kept_trace.exists() or kept_trace.read_bytes() != trace_file.read_bytes():
        shutil.copyfile(trace_file, kept_trace)
    manifest_file = out / "manifest.json"
    manifest = json.loads(manifest_file.read_text()) if manifest_file.exists() else {}
    todo, results = [], {}
    for entry in scenes:
        index = SCENES.index(entry) + 1
        key = scene_key(entry, kept_trace, quality)
        video = out / f"{index:02d}-{entry.name}.mp4"
        if manifest.get(entry.name) == key and video.exists():
            results[entry.name] = video
        else:
            todo.append((entry, index, key))
    bar = tqdm(total=len(scenes), initial=len(results), unit="scene", disable=not progress, desc="rendering")
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(render_scene, e, i, kept_trace, out, quality): (e, k) for e, i, k in todo}
        for future in as_completed(futures):
            entry, key = futures[future]
            results[entry.name] = future.result()
            manifest[entry.name] = key
            tmp = manifest_file.with_name("manifest.json.part")
            tmp.write_text(json.dumps(manifest, indent=2))
            os.replace(tmp, manifest_file)
            bar.update(1)
    bar.close()
    return {"folder": out, "videos": results, "rendered": len(todo)}
