"""The scene store (`renders/.scenes/`): each rendered scene's files under its key, complete when its
manifest, written last, matches every file of it."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from gptanim.atomic import copy_tree, temporary_name, write_text


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
