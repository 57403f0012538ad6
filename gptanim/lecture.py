"""Lecture files (TOML): the scenes in order and the settings, checked key by key."""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from gptanim.narration import checked_table
from model.errors import GptanimError
from model.files import read_limited
from model.settings import SETTING, SETTINGS
from scenes.catalog import BY_NAME, DEFAULT_LECTURE, DEFAULT_TITLE, SCENES, SceneEntry, custom_scene, is_custom  # noqa: F401 (DEFAULT_LECTURE: read from here too)

MAX_BYTES = 1_000_000  # a lecture file is a few hundred lines

# Setting.kind: (accepted types, description for the error); the settings themselves are model/settings.py's
KIND_TYPES = {
    "text": ((str,), "a string"),
    "number": ((int, float), "a number"),
    "count": ((int,), "a whole number"),
    "int": ((int,), "a whole number"),
    "flag": ((bool,), "true or false"),
    "quality": ((str,), "one of l, m, h, k"),
    "theme": ((str,), "a string"),
    "voice": ((str,), "joe, none or folder:PATH"),
}
SETTING_TYPES = {s.name: (KIND_TYPES[s.kind][0], " or ".join(s.choices) or KIND_TYPES[s.kind][1]) for s in SETTINGS}
KEYS = ("title", "scenes", "settings", "titles", "narration")


@dataclass
class Lecture:
    title: str = DEFAULT_TITLE  # the default lecture's, when a lecture file gives none
    scenes: list[str] = field(default_factory=lambda: [s.name for s in SCENES])
    settings: dict = field(default_factory=dict)
    titles: dict = field(default_factory=dict)  # scene name -> title, over the catalog's
    narration: dict = field(default_factory=dict)  # beat id -> the lecturer's words (gptanim.narration)

    def title_of(self, entry: SceneEntry) -> str:
        """The scene's title in this lecture: the lecture's [titles] entry, else the scene's own TITLE."""
        return self.titles.get(entry.name) or entry.title


def check_setting(key: str, value, where: str) -> None:
    """A setting as a lecture file or a batch's prompt gives it: known, of its kind, and one of its choices
    (model/settings.py); else a one-line error after `where`."""
    if key not in SETTING_TYPES:
        raise GptanimError(f"{where}unknown setting {key!r} (known: {', '.join(SETTING_TYPES)})")
    types, what = SETTING_TYPES[key]
    if isinstance(value, bool) is not (bool in types) or not isinstance(value, types):
        raise GptanimError(f"{where}setting {key!r} must be {what}, got {value!r}")
    SETTING[key].check(value, where)


def load_lecture(path: Path) -> Lecture:
    """Read and check a lecture file; every problem is one line naming the file and the key."""
    path = Path(path)
    data = read_limited(path, "lecture file", MAX_BYTES)  # a FIFO or /dev/zero is refused, not read
    try:
        doc = tomllib.loads(data.decode("utf-8-sig"))  # a byte-order mark, as some editors save, is skipped
    except UnicodeDecodeError as exc:
        raise GptanimError(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise GptanimError(f"{path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise GptanimError(f"{path} nests arrays or tables too deeply to be a lecture file") from None
    unknown = set(doc) - set(KEYS)
    if unknown:
        raise GptanimError(f"{path}: unknown key {sorted(unknown)[0]!r} (known: {', '.join(KEYS)})")
    lecture = Lecture()
    if "title" in doc:
        if not isinstance(doc["title"], str) or "\x00" in doc["title"]:
            raise GptanimError(f"{path}: title must be a string (without NUL characters)")
        lecture.title = doc["title"]
    if "scenes" in doc:
        scenes = doc["scenes"]
        if not isinstance(scenes, list) or not all(isinstance(s, str) for s in scenes) or not scenes:
            raise GptanimError(f"{path}: scenes must be a non-empty list of scene names")
        resolved = []
        for name in scenes:
            if is_custom(name):  # a scene of your own, its file relative to the lecture file
                try:
                    entry = custom_scene(name, base=path.resolve().parent)
                except GptanimError as exc:
                    raise GptanimError(f"{path}: {exc}") from None
                resolved.append(f"{entry.file}:{entry.name}")
            elif name not in BY_NAME:
                raise GptanimError(f"{path}: unknown scene {name!r}; valid scenes: {', '.join(BY_NAME)} "
                                   "or path/to/file.py:ClassName")  # fmt: skip
            else:
                resolved.append(name)
        twice = next((name for i, name in enumerate(resolved) if name in resolved[:i]), None)
        if twice is not None:
            raise GptanimError(f"{path}: scene {twice!r} is listed twice; a lecture shows each scene once")
        lecture.scenes = resolved
    titles = doc.get("titles", {})
    if not isinstance(titles, dict) or not all(isinstance(t, str) for t in titles.values()):
        raise GptanimError(f"{path}: [titles] must be a table of scene names to titles (strings)")
    for name, title in titles.items():  # a title is one line of lecture.chapters.txt and of the video's chapters
        if any(unicodedata.category(ch) == "Cc" for ch in title):
            raise GptanimError(f"{path}: the title of {name!r} must be one line without control characters")
    lecture.titles = dict(titles)
    settings = doc.get("settings", {})
    if not isinstance(settings, dict):
        raise GptanimError(f"{path}: [settings] must be a table")
    for key, value in settings.items():
        check_setting(key, value, f"{path}: ")  # before the model runs
    lecture.settings = dict(settings)
    voice = settings.get("voice", "").strip()
    if voice.startswith("folder:") and voice[7:]:  # recordings, relative to the lecture file as its scenes are
        lecture.settings["voice"] = f"folder:{path.resolve().parent / Path(voice[7:]).expanduser()}"
    names = [name.rpartition(":")[2] for name in lecture.scenes]  # a scene of your own by its class name
    lecture.narration = checked_table(doc.get("narration", {}), names, str(path))
    return lecture
