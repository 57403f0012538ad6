"""Names made from what a render depends on: a lecture's folder (`slug`) and a stored scene's key
(`scene_key`), so that a scene is rendered again only when something it shows changed."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path

import numpy as np

from model.trace_data import PARTS, READABLE, SECTIONS, Trace, model_part
from scenes.catalog import SceneEntry
from scenes.voice import voice_from

ROOT = Path(__file__).resolve().parent.parent


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


def fingerprint(trace: Trace, with_temperature: bool, sections=SECTIONS, reads=READABLE, model_only=False) -> str:
    """A hash of the Trace parts a scene reads (trace_data.PARTS): all of it but the sections it does not show, the
    continuation and its temperature for a scene that does not show them, and the other parts it does not read
    (its metadata says which: SECTIONS, USES_TEMPERATURE, READS); for a scene that reads only the model's part
    (MODEL_ONLY), that part alone (trace_data.model_part: the same for every prompt and setting)."""
    if model_only:
        part = model_part(trace)
        return hashed(part.meta, part.info, part.arrays)
    left_out = [name for name in SECTIONS if name not in sections] + ([] if with_temperature else ["continuation"])
    left_out += [name for name in READABLE if name not in reads]
    meta = json.loads(json.dumps(trace.meta))
    info = dict(trace.info)
    for name in left_out:
        for setting in PARTS[name]["settings"]:
            meta["settings"].pop(setting, None)
        for key in PARTS[name]["info"]:
            info.pop(key, None)
    return hashed(meta, info, trace.arrays)


def hashed(meta: dict, info: dict, arrays: dict) -> str:
    digest = hashlib.sha256(json.dumps([meta, info], sort_keys=True).encode())
    for name in sorted(arrays):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(arrays[name]).tobytes())
    return digest.hexdigest()


def scene_key(entry: SceneEntry, trace: Trace, quality: str, voice: str = "none", theme: str = "dark",
              narration: dict | None = None, lecture: dict | None = None) -> str:  # fmt: skip
    """What a scene's video depends on: the Trace (as far as the scene uses it), the scene code, the quality,
    the voice, the theme, the lecture file's narration of its beats (`gptanim.narration`) and, for a scene that
    draws it, the lecture's title and scenes (`catalog.lecture_plan`)."""
    digest = hashlib.sha256(
        fingerprint(trace, entry.uses_temperature, entry.sections, entry.reads, entry.model_only).encode()
    )
    for path in sorted((ROOT / "scenes").glob("*.py")):
        digest.update(path.read_bytes())
    if entry.file:  # a scene of your own
        digest.update(Path(entry.file).read_bytes())
    digest.update(f"{entry.name}:{quality}:{voice_from(voice).key()}".encode())
    if theme != "dark":
        digest.update(f":{theme}".encode())
    if narration:
        digest.update(json.dumps(narration, sort_keys=True).encode())
    if lecture and entry.reads_lecture:
        digest.update(json.dumps(lecture, sort_keys=True).encode())
    return digest.hexdigest()[:20]
