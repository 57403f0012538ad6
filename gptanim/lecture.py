"""Lecture files (TOML): the scenes in order and the settings, checked key by key."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from model.errors import GptanimError
from model.settings import SETTINGS
from scenes.catalog import BY_NAME, SCENES

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LECTURE = ROOT / "lectures" / "default.toml"

# Setting.kind: (accepted types, description for the error); the settings themselves are model/settings.py's
KIND_TYPES = {
    "text": ((str,), "a string"),
    "number": ((int, float), "a number"),
    "count": ((int,), "a whole number"),
    "int": ((int,), "a whole number"),
    "quality": ((str,), "one of l, m, h, k"),
    "voice": ((str,), "joe, none or folder:PATH"),
}
SETTING_TYPES = {s.name: KIND_TYPES[s.kind] for s in SETTINGS}


@dataclass
class Lecture:
    title: str = "gptanim lecture"
    scenes: list[str] = field(default_factory=lambda: [s.name for s in SCENES])
    settings: dict = field(default_factory=dict)


def load_lecture(path: Path) -> Lecture:
    """Read and check a lecture file; every problem is one line naming the file and the key."""
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GptanimError(f"lecture file not found: {path}") from None
    except IsADirectoryError:
        raise GptanimError(f"--lecture {path} is a folder; give a lecture file (.toml)") from None
    except UnicodeDecodeError as exc:
        raise GptanimError(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise GptanimError(f"cannot read the lecture file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise GptanimError(f"{path} is not valid TOML: {exc}") from None
    unknown = set(doc) - {"title", "scenes", "settings"}
    if unknown:
        raise GptanimError(f"{path}: unknown key {sorted(unknown)[0]!r} (known: title, scenes, settings)")
    lecture = Lecture()
    if "title" in doc:
        if not isinstance(doc["title"], str) or "\x00" in doc["title"]:
            raise GptanimError(f"{path}: title must be a string (without NUL characters)")
        lecture.title = doc["title"]
    if "scenes" in doc:
        scenes = doc["scenes"]
        if not isinstance(scenes, list) or not all(isinstance(s, str) for s in scenes) or not scenes:
            raise GptanimError(f"{path}: scenes must be a non-empty list of scene names")
        for name in scenes:
            if name not in BY_NAME:
                raise GptanimError(f"{path}: unknown scene {name!r}; valid scenes: {', '.join(BY_NAME)}")
        lecture.scenes = scenes
    settings = doc.get("settings", {})
    if not isinstance(settings, dict):
        raise GptanimError(f"{path}: [settings] must be a table")
    for key, value in settings.items():
        if key not in SETTING_TYPES:
            raise GptanimError(f"{path}: unknown setting {key!r} (known: {', '.join(SETTING_TYPES)})")
        types, what = SETTING_TYPES[key]
        if isinstance(value, bool) or not isinstance(value, types):
            raise GptanimError(f"{path}: setting {key!r} must be {what}, got {value!r}")
    lecture.settings = dict(settings)
    return lecture
