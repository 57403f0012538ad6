"""Every scene of the lecture: where it lives and what it shows, without importing manim."""

from __future__ import annotations

import ast
import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from model.errors import GptanimError
from model.trace_data import READABLE, SECTIONS


@dataclass(frozen=True)
class SceneEntry:
    """A scene as its class's metadata block describes it (METADATA: what each field means)."""

    name: str
    module: str  # file under scenes/, without .py
    summary: str = ""
    uses_temperature: bool = False  # re-rendered when only the temperature changes
    sections: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()  # the other parts of the Trace it reads (trace_data.READABLE)
    render_weight: float = 8.0
    file: str = ""  # a scene of your own: the .py file that defines it (module is then "")
    needs_continuation: bool = False  # nothing to draw with --generate 0
    title: str = ""  # when not given: the class name in words
    part: str = ""
    reads_lecture: bool = False  # it draws the lecture's title and scenes (GPTANIM_LECTURE)
    model_only: bool = False  # it reads only the model's part of the Trace (trace_data.MODEL_PART)

    def __post_init__(self):
        if not self.title:
            object.__setattr__(self, "title", words_of(self.name))


# A scene's metadata: the block of class attributes at the top of its class, read here from the file's text (the
# catalog never imports manim). Attribute: (SceneEntry field, what its value must be).
METADATA = {
    "TITLE": ("title", str),  # the chapter's title in lecture.mp4 and the handout (a lecture's [titles] overrides it)
    "PART": ("part", str),  # the road map's part the Title scene puts it in ("": none)
    "SUMMARY": ("summary", str),  # one line on what it shows (`gptanim list`)
    "SECTIONS": ("sections", tuple),  # the Trace sections it shows (trace_data.SECTIONS), computed for it
    "USES_TEMPERATURE": ("uses_temperature", bool),  # it shows the continuation or anything sampled at T
    # The other parts of the Trace it reads (trace_data.READABLE): "sampling" (the top-k and top-p cut, the
    # continuations compared across temperatures), "context" (the token after another context). A scene is drawn
    # again when a part it reads changes, and only then.
    "READS": ("reads", tuple),
    "NEEDS_CONTINUATION": ("needs_continuation", bool),  # it draws the generated tokens
    # CPU seconds to render it at 480p15 with the narration, default prompt, measured one after another in one
    # render worker. Only orders the work: long scenes start first, so that the workers finish together.
    "RENDER_SECONDS": ("render_weight", (int, float)),
    "READS_LECTURE": ("reads_lecture", bool),  # it draws the lecture's title and scenes: rendered anew with them
    # It reads only what depends on the model alone (trace_data.MODEL_PART: its facts, geometry, tally), never the
    # prompt or the settings: drawn once per model, and handed only that part of the Trace (reading more fails).
    "MODEL_ONLY": ("model_only", bool),
}
SCENE_DIR = Path(__file__).resolve().parent
DEFAULT_LECTURE = SCENE_DIR.parent / "lectures" / "default.toml"


def is_custom(spec: str) -> bool:
    """A scene of your own is named `path/to/file.py:ClassName`."""
    return ".py:" in spec


def metadata(node: ast.ClassDef, where: str) -> dict:
    """The SceneEntry fields a class's metadata block sets (literal values only: the file is not run)."""
    fields = {}
    for statement in node.body:
        target = statement.targets[0] if isinstance(statement, ast.Assign) and len(statement.targets) == 1 else None
        if not isinstance(target, ast.Name) or target.id not in METADATA:
            continue
        field_name, kind = METADATA[target.id]
        try:
            value = ast.literal_eval(statement.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise GptanimError(f"{where}:{statement.lineno}: {node.name}.{target.id} must be a literal value") from None
        if isinstance(value, list):
            value = tuple(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise GptanimError(f"{where}:{statement.lineno}: {node.name}.{target.id} has the wrong type ({value!r})")
        known = {"sections": ("SECTIONS", "sections", SECTIONS), "reads": ("READS", "parts", READABLE)}
        if field_name in known:
            attribute, kind_name, names = known[field_name]
            unknown = [name for name in value if name not in names]
            if unknown:
                raise GptanimError(f"{where}:{statement.lineno}: {node.name}.{attribute} names {unknown[0]!r}; the "
                                   f"{kind_name} are {', '.join(names)}")  # fmt: skip
        fields[field_name] = value
    return fields


def builtin_scenes(folder: Path = SCENE_DIR, lecture: Path = DEFAULT_LECTURE) -> list[SceneEntry]:
    """Every class of the folder's modules with a metadata block, in the lecture's order, then the others: adding
    a scene to the lecture is writing its class and naming it in lectures/default.toml."""
    found = []
    for path in sorted(folder.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "SUMMARY" not in text:  # no scene here (a quick look before parsing)
            continue
        where = f"{folder.name}/{path.name}"
        for node in class_heads(text, str(path)):
            fields = metadata(node, where)
            if fields:
                if "title" not in fields or "summary" not in fields:
                    raise GptanimError(f"{where}: {node.name}'s metadata needs a TITLE and a SUMMARY")
                found.append(SceneEntry(node.name, path.stem, **fields))
    order = {name: k for k, name in enumerate(lecture_names(lecture))}
    return sorted(found, key=lambda entry: order.get(entry.name, len(order)))


# A top-level class up to its first method or to the next top-level line: its docstring and attributes.
CLASS_HEAD = re.compile(r"^class .*?(?=^    (?:def|async def|@)|^\S)", re.M | re.S)


def class_heads(text: str, filename: str) -> list[ast.ClassDef]:
    """The top-level classes of a module's text with their attributes but without their methods: parsing only
    these heads keeps `gptanim`'s start quick (the whole of scenes/ takes a few tenths of a second to parse)."""
    heads = []
    for match in CLASS_HEAD.finditer(text):
        try:
            tree = ast.parse(match.group(), filename=filename)
        except SyntaxError:  # a head cut where it cannot be (a string at the line's start): the whole module
            return [node for node in ast.parse(text, filename=filename).body if isinstance(node, ast.ClassDef)]
        ast.increment_lineno(tree, text.count("\n", 0, match.start()))
        heads += [node for node in tree.body if isinstance(node, ast.ClassDef)]
    return heads


def lecture_names(lecture: Path = DEFAULT_LECTURE) -> list[str]:
    """The built-in scenes a lecture file names (by default lectures/default.toml), in its order; none when it cannot
    be read (the lecture's reader says why in one line, `gptanim.lecture`)."""
    try:
        scenes = tomllib.loads(lecture.read_text(encoding="utf-8-sig")).get("scenes", [])
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return []
    return (
        [name for name in scenes if isinstance(name, str) and not is_custom(name)] if isinstance(scenes, list) else []
    )


SCENES = builtin_scenes()
BY_NAME = {entry.name: entry for entry in SCENES}


def road_map(lecture: Path = DEFAULT_LECTURE) -> list[tuple[str, list[str]]]:
    """The lecture's story in parts, as the Title scene draws its road map: each part (a scene's PART) with its
    scenes, parts in the order of their first scene."""
    parts: dict[str, list[str]] = {}
    for name in lecture_names(lecture):
        entry = BY_NAME.get(name)
        if entry is not None and entry.part:
            parts.setdefault(entry.part, []).append(name)
    return list(parts.items())


def road_map_table() -> str:
    """The road map as README.md's table of the lecture (a test checks that README shows it as it is)."""
    rows = [f"| {part} | {', '.join(names)} |" for part, names in road_map()]
    return "\n".join(["| Part | Scenes |", "|---|---|", *rows]) + "\n"


# The default lecture's title (lectures/default.toml's), shown when a scene is rendered without a lecture.
DEFAULT_TITLE = "How a GPT works, with its own numbers"


def lecture_plan(title: str, names: list[str], titles: list[str]) -> dict:
    """What a scene may know of the lecture it is in: its title and its scenes with their titles, in order (the
    render workers pass it as GPTANIM_LECTURE, in JSON)."""
    return {"title": title, "chapters": [[name, heading] for name, heading in zip(names, titles)]}


def current_plan() -> dict:
    """The lecture being rendered (GPTANIM_LECTURE), else the default one: every scene of the catalog."""
    given = os.environ.get("GPTANIM_LECTURE")
    if given:
        return json.loads(given)
    return lecture_plan(DEFAULT_TITLE, [e.name for e in SCENES], [e.title for e in SCENES])


def lecture_parts(chapters: list[list[str]]) -> list[tuple[str, list[str], bool]]:
    """A lecture's chapters after its Title as the road map draws them: (heading, the chapters' titles, whether
    it is a built-in scene's PART). Consecutive built-in scenes of one part make one part under its heading; a
    scene of your own (or one without a PART) is a part of its own, under its title."""
    parts: list[tuple[str, list[str], bool]] = []
    for name, heading in chapters:
        if name == "Title":
            continue
        entry = BY_NAME.get(name)
        part = entry.part if entry is not None and entry.part else None
        if part is not None and parts and parts[-1][0] == part and parts[-1][2]:
            parts[-1][1].append(heading)
        else:
            parts.append((part or heading, [heading], part is not None))
    return parts


def scene_file(entry: SceneEntry) -> str:
    return entry.file or f"scenes/{entry.module}.py"


def custom_scene(spec: str, base: Path | None = None) -> SceneEntry:
    """The entry of a scene of your own, `path/to/file.py:ClassName` (a relative path from `base`).

    The file is read, not imported, so a wrong name fails at once: it must define the class.
    """
    file, _, name = spec.rpartition(":")
    path = Path(file).expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    if not path.is_file():
        raise GptanimError(f"scene {spec!r}: no such file {path}")
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError) as exc:
        raise GptanimError(f"scene {spec!r}: {path.name} is not valid Python ({exc})") from None
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    if name not in classes:
        raise GptanimError(
            f"scene {spec!r}: {path.name} defines no class {name!r} (it defines: {', '.join(classes) or 'none'})"
        )
    if name in BY_NAME:  # its video, still and slides would be taken for the built-in scene's, or replace them
        raise GptanimError(f"scene {spec!r}: {name} is the name of a built-in scene; give your class another name")
    try:
        fields = metadata(classes[name], path.name)
    except GptanimError as exc:
        raise GptanimError(f"scene {spec!r}: {exc}") from None
    # What its block does not say: unknown code may show anything, so it is rendered again whenever the Trace
    # changes at all.
    fields = {
        "summary": f"your scene from {path.name}",
        "uses_temperature": True,
        "sections": SECTIONS,
        "reads": READABLE,
        "reads_lecture": True,
        **fields,
    }
    return SceneEntry(name, "", file=str(path.resolve()), **fields)


def check_continuation(scenes: list[SceneEntry], generate: int) -> None:
    """Refuse, before anything is drawn, to draw scenes that show the continuation when there is none."""
    needing = [entry.name for entry in scenes if entry.needs_continuation]
    if int(generate) == 0 and needing:
        raise GptanimError(f"--generate 0 leaves no continuation for {', '.join(needing)} to draw; "
                           "generate at least 1 token, or leave these scenes out with --scenes")  # fmt: skip


def sections_for(scenes: list[SceneEntry]) -> tuple[str, ...]:
    """The Trace sections these scenes show, in SECTIONS' order: what their Trace must have computed."""
    return tuple(name for name in SECTIONS if any(name in entry.sections for entry in scenes))


def readable_title(name: str) -> str:
    """A scene's title: its TITLE, else its class name split into words ("MyScene" -> "My scene")."""
    if name in BY_NAME:
        return BY_NAME[name].title
    return words_of(name)


def words_of(name: str) -> str:
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name) or [name]
    return " ".join([words[0], *(w if w.isupper() else w.lower() for w in words[1:])])
