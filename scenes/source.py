"""Where a scene gets its Trace: never from a model, always from a Trace file.

`gptanim` passes the file in GPTANIM_TRACE. Run with plain `manim`, a scene reads GPTANIM_PROMPT, GPTANIM_MODEL,
GPTANIM_TEMPERATURE, GPTANIM_TRUNCATE (1 or 0) and the other settings of a Trace (model/settings.py's table: every
setting and its default) and asks `gptanim trace` for the file in a separate process, so that the scene itself
never imports torch.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from model.errors import GptanimError
from model.settings import SETTINGS
from model.trace_data import Trace, in_model_part, model_part

_loaded: dict[object, Trace] = {}  # the last Trace read, by its file's identity (a render worker draws many)


def remembered(key, load) -> Trace:
    """The Trace for `key`, loaded once; only the last one is kept (a warm worker reads a Trace per prompt)."""
    if key not in _loaded:
        trace = load()
        _loaded.clear()
        _loaded[key] = trace
    return _loaded[key]


def scene_trace() -> Trace:
    """The Trace this render shows (read once per process while its file is unchanged: a file written again at
    the same path, as a warm preview's, is read again)."""
    path = os.environ.get("GPTANIM_TRACE")
    if path:
        st = os.stat(path)
        return remembered((path, st.st_ino, st.st_size, st.st_mtime_ns), lambda: Trace.load(Path(path)))
    # --all: Chat and Learning's sections too
    args = [sys.executable, "-m", "gptanim", "trace", "--quiet", "--all", *trace_options(os.environ)]
    return remembered(" ".join(args), lambda: traced(args))


def model_only(trace: Trace) -> Trace:
    """What a scene that says MODEL_ONLY is handed: the Trace's part that depends on the model alone
    (trace_data.model_part), with the statements about the Trace (model/claims.py) read from that part only
    (every path of their evidence in it); reading the prompt, a setting or another statement fails."""
    from model.claims import statements

    def kept(where) -> bool:
        paths = where if isinstance(where, list) else [where]
        return all(kept_statement(p.removeprefix("claims.")) if p.startswith("claims.") else in_model_part(p)
                   for p in paths)  # fmt: skip

    def kept_statement(key: str) -> bool:
        found = every.get(key)
        return found is not None and bool(found.paths) and all(kept(where) for where in found.paths.values())

    every = statements(trace)
    part = model_part(trace)
    part.__dict__["_statements"] = {key: s for key, s in every.items() if kept_statement(key)}
    part.__dict__["_views"] = {}  # a view's statement is made from the part (model/claims.py `stated`)
    return part


def traced(args: list[str]) -> Trace:
    """The Trace `gptanim trace` makes with these arguments, in a process of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "trace.npz"
        done = subprocess.run([*args, "--out", str(out)], capture_output=True, text=True)
        if done.returncode != 0:
            last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "gptanim trace failed"
            raise GptanimError(last.removeprefix("gptanim trace: error: "))
        return Trace.load(out)


FLAG_VALUES = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def trace_options(env) -> list[str]:
    """The `gptanim trace` options that the GPTANIM_* variables in `env` set (GPTANIM_PROMPT: --prompt, ...)."""
    options = []
    for s in SETTINGS:
        if not s.traced or s.env not in env:
            continue
        if s.kind != "flag":  # set but empty is an error to report, not the default
            options += [s.flag, env[s.env]]
        elif env[s.env].strip().lower() not in FLAG_VALUES:
            raise GptanimError(f"{s.env}={env[s.env]!r}: give 1 or 0")
        elif FLAG_VALUES[env[s.env].strip().lower()]:
            options.append(s.flag)
    return options
