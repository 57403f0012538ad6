"""The processes that render scenes: a pool hands one scene at a time to a render worker
(`gptanim.worker`) and returns its reply, the scene's files being in the folder it was given.

`ScenePool` runs the workers on this machine; `gptanim.cluster.ClusterPool` sends the scenes to a
Dask cluster instead. Both have `run(entry, trace_file, workdir, quality, voice, narration, lecture) -> reply`,
`scratch` (a folder for the caller's temporary files), `warm(n)` and `workers`, and are context managers
that stop their work on an exception (Ctrl-C).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO

from gptanim.atomic import scratch_folder
from model.errors import GptanimError
from scenes.catalog import SceneEntry

ROOT = Path(__file__).resolve().parent.parent


class WorkerDied(GptanimError):
    """A render process stopped without answering (killed, crashed): not the scene's own error."""


class SceneFailed(GptanimError):
    """A scene raised: one line (its file, line and exception); `details` is the whole traceback (--debug)."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


class ScenePool:
    """Worker processes (`gptanim.worker`) that render scenes, each started when first needed.

    `run` may be called from several threads at once: each call takes an idle worker or starts
    one, so there are as many workers as scenes rendered at once (the caller's `--jobs`).
    Their scratch files (each scene's work folder, the texts they draw) are in one temporary
    folder in `parent`, removed on exit; on an exception (Ctrl-C) the workers are stopped at once.
    """

    def __init__(self, parent: Path, still: bool = False, theme: str = "dark"):
        self.mode = "still" if still else "video"
        self.theme = theme
        self.idle: queue.SimpleQueue = queue.SimpleQueue()
        self.workers: list[tuple[subprocess.Popen, IO]] = []
        self.lock = threading.Lock()
        self.scratch = scratch_folder(parent)
        self.warned = False  # whether a worker's warning (manim not the engine's version) has been printed

    def __enter__(self) -> ScenePool:
        return self

    def __exit__(self, kind, *exc) -> None:
        try:
            for proc, _ in self.workers:
                if kind is not None:  # interrupted or failed: a scene being rendered is not waited for
                    proc.kill()
                if proc.stdin:
                    try:
                        proc.stdin.close()
                    except OSError:
                        pass
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        except BaseException:  # interrupted (Ctrl-C, SIGTERM) while waiting for them: they are stopped at once
            for proc, _ in self.workers:
                proc.kill()
                proc.wait()
            raise
        finally:
            for _, log in self.workers:
                log.close()
            shutil.rmtree(self.scratch, ignore_errors=True)

    def start(self) -> tuple[subprocess.Popen, IO]:
        log = tempfile.TemporaryFile(mode="w+", prefix="gptanim-worker-", dir=self.scratch)
        # The libraries' own temporary files (manim-slides leaves some when killed) go to the scratch folder too.
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(self.scratch)}
        env.pop("GPTANIM_SLIDES", None)
        env["GPTANIM_THEME"] = self.theme
        env["GPTANIM_CALLER_CWD"] = os.getcwd()  # a failing scene's file is named from here
        cmd = [sys.executable, "-m", "gptanim.worker", self.mode, str(self.scratch)]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                text=True)  # fmt: skip
        with self.lock:
            self.workers.append((proc, log))
        return proc, log

    def warm(self, n: int) -> None:
        """Start `n` workers now, so that they import manim and the scenes while the caller does other work
        (runs the model); `run` takes them when it needs them."""
        for _ in range(n):
            self.idle.put(self.start())

    def take(self, entry: SceneEntry) -> tuple[subprocess.Popen, IO]:
        """An idle worker for `entry`, else a new one."""
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            return self.start()

    def run(self, entry: SceneEntry, trace_file: Path, workdir: Path, quality: str, voice: str = "none",
            narration: dict | None = None, lecture: dict | None = None) -> dict:  # fmt: skip
        proc, log = self.take(entry)
        job = {"scene": entry.name, "file": entry.file, "trace": str(trace_file), "workdir": str(workdir),
               "quality": quality, "voice": voice, "narration": narration or {}, "lecture": lecture}  # fmt: skip
        try:
            proc.stdin.write(json.dumps(job) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:  # the worker died: say what it last said
            log.seek(0)
            said = [ln for ln in log.read().splitlines() if ln.strip()] or ["the render process stopped"]
            raise WorkerDied(f"scene {entry.name} failed to render: {said[-1]}")
        self.idle.put((proc, log))
        reply = json.loads(line)
        if reply.get("warning") and not self.warned:  # manim is not the engine's version: said once per pool
            self.warned = True
            print(reply["warning"], file=sys.stderr)
        if not reply["ok"]:
            raise SceneFailed(f"scene {entry.name} failed to render: {reply['error']}", reply.get("traceback", ""))
        return reply
