"""Where a scene gets its Trace: never from a model, always from a Trace file.

`gptanim` passes the file in GPTANIM_TRACE. Run with plain `manim`, a scene reads
GPTANIM_PROMPT, GPTANIM_MODEL, GPTANIM_TEMPERATURE, GPTANIM_SEED, GPTANIM_GENERATE, GPTANIM_TOP_K and
GPTANIM_TOP_P (model/settings.py's table: every setting and its default) and asks `gptanim trace` for the file in a
separate process, so that the scene itself never imports torch.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from model.errors import GptanimError
from model.settings import SETTINGS
from model.trace_data import Trace

SETTING_FLAGS = {s.env: s.flag for s in SETTINGS if s.traced}  # GPTANIM_PROMPT: --prompt, ...

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
    args = [sys.executable, "-m", "gptanim", "trace", "--quiet", "--all"]  # --all: Chat and Learning's sections too
    for var, flag in SETTING_FLAGS.items():
        if var in os.environ:  # set but empty is an error to report, not the default
            args += [flag, os.environ[var]]
    return remembered(" ".join(args), lambda: traced(args))


def traced(args: list[str]) -> Trace:
    """The Trace `gptanim trace` makes with these arguments, in a process of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "trace.npz"
        done = subprocess.run([*args, "--out", str(out)], capture_output=True, text=True)
        if done.returncode != 0:
            last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "gptanim trace failed"
            raise GptanimError(last.removeprefix("gptanim trace: error: "))
        return Trace.load(out)
