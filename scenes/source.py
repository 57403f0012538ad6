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

_loaded: dict[str, Trace] = {}


def scene_trace() -> Trace:
    """The Trace this render shows (read once per process)."""
    path = os.environ.get("GPTANIM_TRACE")
    if path:
        if path not in _loaded:
            _loaded[path] = Trace.load(Path(path))
        return _loaded[path]
    args = [sys.executable, "-m", "gptanim", "trace", "--quiet", "--all"]  # --all: Chat and Learning's sections too
    for var, flag in SETTING_FLAGS.items():
        if var in os.environ:  # set but empty is an error to report, not the default
            args += [flag, os.environ[var]]
    key = " ".join(args)
    if key not in _loaded:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "trace.npz"
            done = subprocess.run([*args, "--out", str(out)], capture_output=True, text=True)
            if done.returncode != 0:
                last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "gptanim trace failed"
                raise GptanimError(last.removeprefix("gptanim trace: error: "))
            _loaded[key] = Trace.load(out)
    return _loaded[key]
