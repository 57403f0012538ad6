"""Choosing a lecture's scenes by name: the catalog's, or a scene of your own (path/to/file.py:ClassName)."""

from __future__ import annotations

from model.errors import GptanimError
from scenes.catalog import BY_NAME, SCENES, SceneEntry, custom_scene, is_custom


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
