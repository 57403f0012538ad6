"""A lecturer's own words: a lecture file's [narration] table overrides beats' narration by beat id.

    [narration]
    "Softmax-01" = "Now we turn scores into probabilities."

A beat's id is `<Scene>-NN`, NN its number in the scene from 01 (as `scenes.base.TraceScene.beat` names it,
and as recordings for `--voice folder:` are named). The render worker passes a scene its overrides
(`TraceScene.narration_overrides`), so that an overridden beat is spoken, subtitled and noted with the
lecturer's words. The voice caches audio by its words, so only changed beats are voiced again.
`gptanim script` prints a lecture's narration as such a table (`script_table`).
"""

from __future__ import annotations

import json
import re
import unicodedata

from model.errors import GptanimError

BEAT_ID = re.compile(r"^(?P<scene>[A-Za-z_][A-Za-z0-9_]*)-(?P<number>\d+)$")


def beat_id(scene_name: str, number: int) -> str:
    """The id of a scene's `number`th beat (from 1): what `TraceScene.beat` records as the beat's id."""
    return f"{scene_name}-{number:02d}"


def checked_table(table, scene_names: list[str], where: str) -> dict[str, str]:
    """A lecture file's [narration] table, checked: ids of this lecture's scenes, each to one line of text
    (whitespace runs, line breaks too, become one space). Whether each beat exists is known once the scenes
    have run (`check_ids`)."""
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise GptanimError(f'{where}: [narration] must be a table of beat ids to text ("Softmax-01" = "…")')
    checked = {}
    for key, text in table.items():
        found = BEAT_ID.match(key)
        if not found or found["scene"] not in scene_names:
            raise GptanimError(f"{where}: [narration] names an unknown beat {key!r}; beats are named <Scene>-NN "
                               f"after this lecture's scenes ({', '.join(scene_names)}): "
                               "`gptanim script` lists them")  # fmt: skip
        if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t\r" for ch in text):
            raise GptanimError(f"{where}: the narration of {key!r} has a control character")
        checked[beat_id(found["scene"], int(found["number"]))] = " ".join(text.split())
    return checked


def for_scene(narration: dict[str, str], scene_name: str) -> dict[str, str]:
    """The overrides of one scene's beats."""
    return {key: text for key, text in narration.items() if key.rpartition("-")[0] == scene_name}


def known_ids(beats: dict[str, dict]) -> list[str]:
    """Every beat id of the scenes' beats documents (scene name -> `.beats.json` content), in order."""
    return [beat_id(name, n) for name, doc in beats.items() for n in range(1, len(doc["beats"]) + 1)]


def id_ranges(beats: dict[str, dict]) -> str:
    """The known ids, shortly: 'Title-01…Title-03, Softmax-01…Softmax-05'."""
    spans = []
    for name, doc in beats.items():
        n = len(doc["beats"])
        spans.append(beat_id(name, 1) if n == 1 else f"{beat_id(name, 1)}…{beat_id(name, n)}" if n else f"{name}: none")
    return ", ".join(spans)


def check_ids(narration: dict[str, str], beats: dict[str, dict]) -> None:
    """One line naming the first override whose beat the scenes `beats` do not have, and the beats they have.
    Overrides of scenes not among them (a `--scenes` selection) are not checked."""
    known = set(known_ids(beats))
    unknown = [key for key in narration if key.rpartition("-")[0] in beats and key not in known]
    if unknown:
        raise GptanimError(f"[narration] names {unknown[0]!r}, which is not a beat of this lecture; known: "
                           f"{id_ranges(beats)}")  # fmt: skip


def comment(text: str) -> list[str]:
    return [f"#   {line}" if line.strip() else "#" for line in text.splitlines()] or ["#"]


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, DEL (which JSON leaves) escaped too."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def script_table(title: str, headings: list[str], beats: dict[str, dict], narration: dict[str, str]) -> str:
    """The lecture's narration as a [narration] table to copy from: each beat's id, title and caption as
    comments, its narration as the value (a lecturer's own words where the lecture file has them)."""
    lines = [
        f"# The narration of {toml_string(title)}, beat by beat.",
        "# Copy the lines you want to change into the lecture file's [narration] table and edit them;",
        "# a beat left out keeps the words below. Numbers here are this prompt's (they change with it).",
        "[narration]",
    ]
    for number, ((name, doc), heading) in enumerate(zip(beats.items(), headings), start=1):
        lines += ["", f"# {number}. {heading}" + (f" ({name})" if heading != name else "")]
        for n, beat in enumerate(doc["beats"], start=1):
            key = beat_id(name, n)
            built_in = beat.get("say") or ""
            said = narration.get(key, built_in)
            lines.append(f"# {key}: {beat.get('title', '')}")
            lines += ["# caption:", *comment(beat.get("text", ""))]
            if key in narration:
                lines += ["# your words (from the lecture file); built in:", *comment(built_in or "(none)")]
            elif not built_in:
                lines.append("# (no narration: the caption is read on screen)")
            lines.append(f"{toml_string(key)} = {toml_string(said)}")
    return "\n".join(lines) + "\n"
