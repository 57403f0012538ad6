"""Traces kept on disk, named by what they depend on: the settings, the weights and the Trace code.

Nothing here imports torch, so a command whose Trace is already cached starts in a moment.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from model import snapshots
from model.errors import GptanimError
from model.folders import cache_folder
from model.loading import LoadedModel, identify, load
from model.settings import TraceSettings, cache_root, code_hash, traces_dir  # noqa: F401 (re-exported)
from model.trace_data import FORMAT_VERSION, SECTIONS, Trace


def cache_key(settings: TraceSettings, weights: str) -> str:
    doc = json.dumps({"v": FORMAT_VERSION, "code": code_hash(), "weights": weights, **asdict(settings)}, sort_keys=True)
    return hashlib.sha256(doc.encode()).hexdigest()[:24]


def cached_path(settings: TraceSettings, loaded: LoadedModel | None = None) -> Path:
    """Where the Trace for these settings is kept: named by the hash of the loaded model's weights,
    or of the files of `settings.model`, read without loading them (and by its training record, if any)."""
    settings.validate()
    folder, weights = (loaded.path, loaded.weights_hash) if loaded else identify(settings.model)[1:]
    weights += snapshots.record_id(folder)  # the learning record reads the training snapshots too
    return cache_folder(traces_dir().name) / f"{cache_key(settings, weights)}.npz"  # a folder of the user's own


def cached_trace(settings: TraceSettings, loaded: LoadedModel | None = None, sections=SECTIONS) -> Trace:
    """The Trace for these settings with `sections` (trace_data.SECTIONS: what only some scenes show), from the
    disk cache when it is there, else computed and stored. A cached Trace that lacks a section asked for gets it
    computed and added (the rest is not computed again).

    A Trace found in the cache with its sections needs neither torch nor the model: only a hash of the weights'
    files.
    """
    path = cached_path(settings, loaded)
    found = None
    if path.exists():
        try:
            found = Trace.load(path)
        except GptanimError as exc:
            print(f"gptanim: the cached Trace was damaged ({exc}); computing it again", file=sys.stderr)
            path.unlink(missing_ok=True)
        if found is not None and all(name in found.info for name in sections):
            return found
    # torch keeps a compiler cache in the system's temporary folder unless told otherwise: keep it with ours
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(cache_root() / "torch"))
    from model.run import add_sections, trace  # torch and transformers: only when the model must run

    if found is None:
        result = trace(settings, loaded, sections)
    else:
        result = add_sections(found, settings, loaded or load(settings.model), sections)
    try:
        result.save(path)
    except OSError as exc:  # a full disk: the command cannot go on without the Trace's file
        raise GptanimError(f"cannot write the Trace into the cache folder {path.parent}: {exc.strerror}") from None
    sweep_stale(path.parent)
    return result


def is_cached(settings: TraceSettings, sections=SECTIONS) -> bool:
    """Whether the cache holds the Trace for these settings with all of `sections` (read from the file's JSON part
    alone; a damaged file counts as missing)."""
    path = cached_path(settings)
    try:
        with np.load(path, allow_pickle=False) as data:
            info = json.loads(bytes(data["__json__"]).decode("utf-8"))["info"]
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):  # missing, or damaged
        return False
    return all(name in info for name in sections)


def sweep_stale(folder: Path, age: float = 3600) -> None:
    """Remove temporary files that writers killed mid-write left (`Trace.save`'s `.NAME.*.tmp`); an hour is
    far longer than any write, so no file being written now is touched."""
    now = time.time()
    for tmp in folder.glob(".*.tmp"):
        try:
            if now - tmp.stat().st_mtime > age:
                tmp.unlink()
        except OSError:
            pass
