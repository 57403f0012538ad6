"""Scenes rendered on a Dask distributed cluster: `gptanim render --cluster tcp://HOST:8786` (or `local:N`).

Each scene is one task, keyed by its scene key (`gptanim.keys.scene_key`): a scene already in the client's
store is never sent, and two clients asking for the same scene share one render. The client reads the Trace
once and sends it to the cluster once (it is small); a task renders in a render process of the Dask worker
(a `ScenePool`, the same `gptanim.worker` code as a local render, so the same bytes) and returns its files,
or writes them under a shared store (an fsspec URL, `--store`) from which the client reads them. The client
then moves them into its scene store as a local render does. A worker whose gptanim version or code differs
from the client's refuses the task in one line; a worker that dies mid-task has its task retried on another
(Dask's scheduler does that); Ctrl-C cancels the client's tasks.

Dask is an optional dependency (`pip install gptanim[cluster]`); it is imported only here, when used.
"""

from __future__ import annotations

import atexit
import hashlib
import sys
import tempfile
import threading
from pathlib import Path

from gptanim.keys import scene_key
from model.errors import GptanimError
from model.trace_data import Trace
from scenes.catalog import SceneEntry

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gptanim", "model", "scenes")  # the code a render runs: its hash must match on every worker
LOCAL = "local:"


class WorkerMismatch(GptanimError):
    """A worker runs another gptanim than the client: it refuses the task (the pictures could differ)."""


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("gptanim")
    except PackageNotFoundError:
        return "not installed"


def code_hash() -> str:
    """A hash of the project's Python files (gptanim, model, scenes), by their paths relative to the project."""
    digest = hashlib.sha256()
    for path in sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def import_dask():
    try:
        import distributed
    except ImportError:
        raise GptanimError("--cluster needs Dask: pip install 'gptanim[cluster]' (dask[distributed])") from None
    return distributed


def parse_address(address: str) -> tuple[str, int | None]:
    """('local', N) for local:N, else (the scheduler's address, None); a malformed one is a one-line error."""
    if address.startswith(LOCAL):
        count = address[len(LOCAL) :]
        if not count.isdigit() or int(count) < 1:
            raise GptanimError(f"--cluster {address!r}: local:N needs a whole number of workers ≥ 1, e.g. local:4")
        return "local", int(count)
    if "://" not in address and ":" not in address:
        raise GptanimError(f"--cluster {address!r}: give a scheduler address (tcp://HOST:8786) or local:N")
    return address, None


# --- on the worker -------------------------------------------------------------------------------------------

_pools: dict[tuple[str, str], object] = {}  # (mode, theme) -> this Dask worker process's ScenePool
_pools_lock = threading.Lock()


def worker_pool(mode: str, theme: str):
    """This process's render pool for `mode` and `theme`, started on first use and stopped at exit."""
    from gptanim.atomic import prepare_output
    from gptanim.pool import ScenePool

    with _pools_lock:
        if (mode, theme) not in _pools:
            parent = prepare_output(Path(tempfile.gettempdir()) / "gptanim-cluster")  # what dead workers left: swept
            pool = ScenePool(parent, still=mode == "still", theme=theme)
            atexit.register(pool.__exit__, None, None, None)
            _pools[mode, theme] = pool
        return _pools[mode, theme]


def scene_files_in(folder: Path, reply: dict) -> dict[str, bytes]:
    """The files a render worker made for one scene, by their name in the client's work folder."""
    files = {"beats.json": (folder / "beats.json").read_bytes(), "last.png": Path(reply["still"]).read_bytes()}
    if reply.get("video"):
        files["scene.mp4"] = Path(reply["video"]).read_bytes()
    slides = folder / "slides"
    if slides.is_dir():
        files |= {str(p.relative_to(folder)): p.read_bytes() for p in sorted(slides.rglob("*")) if p.is_file()}
    return files


def render_task(job: dict, trace: bytes, mode: str, theme: str, client: tuple[str, str], store: str | None) -> dict:
    """One scene rendered in this Dask worker: {"ok", "files" (or "stored"), "warning"} or {"ok": False, …}."""
    from gptanim.pool import SceneFailed, WorkerDied

    mine = (version(), code_hash())
    if mine != tuple(client):
        raise WorkerMismatch(f"a worker runs gptanim {mine[0]} (code {mine[1]}), the client gptanim {client[0]} "
                             f"(code {client[1]}); install the client's gptanim on every worker")  # fmt: skip
    if store and stored_files(store, job["key"]) is not None:
        return {"ok": True, "stored": store}  # another client's render of this scene, already in the store
    pool = worker_pool(mode, theme)
    entry = SceneEntry(job["scene"], "", "", file=job["file"]) if job["file"] else None
    with tempfile.TemporaryDirectory(dir=pool.scratch) as tmp:
        trace_file = Path(tmp) / "trace.npz"
        trace_file.write_bytes(trace)
        work = Path(tmp) / "work"
        work.mkdir()
        try:
            reply = pool.run(entry or builtin(job["scene"]), trace_file, work, job["quality"], job["voice"],
                             job["narration"], job.get("lecture"))  # fmt: skip
        except SceneFailed as exc:
            return {"ok": False, "error": str(exc), "traceback": exc.details}
        except WorkerDied as exc:
            return {"ok": False, "error": str(exc), "traceback": ""}
        files = scene_files_in(work, reply)
    answer = {"ok": True, "warning": reply.get("warning", "")}
    if store:
        put_files(store, job["key"], files)
        return answer | {"stored": store}
    return answer | {"files": files}


def same(data: bytes) -> bytes:
    """The Trace's bytes as a task's result (see `ClusterPool.sent_trace`)."""
    return data


def builtin(name: str) -> SceneEntry:
    from scenes.catalog import BY_NAME

    return BY_NAME[name]


# --- a shared store (fsspec) ---------------------------------------------------------------------------------

DONE = "files.txt"  # written last under a scene's key: the list of its files, there when all are


def put_files(url: str, key: str, files: dict[str, bytes]) -> None:
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    for name, data in files.items():
        fs.makedirs(f"{root}/{key}/{Path(name).parent}", exist_ok=True)
        fs.pipe_file(f"{root}/{key}/{name}", data)
    fs.pipe_file(f"{root}/{key}/{DONE}", "\n".join(files).encode())


def stored_files(url: str, key: str) -> dict[str, bytes] | None:
    """A scene's files from the shared store, or None when they are not all there."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    try:
        names = fs.cat_file(f"{root}/{key}/{DONE}").decode().splitlines()
        return {name: fs.cat_file(f"{root}/{key}/{name}") for name in names}
    except FileNotFoundError:
        return None


# --- on the client -------------------------------------------------------------------------------------------


class ClusterPool:
    """A render pool whose scenes are Dask tasks (see the module's docstring); `run` as `ScenePool.run`.

    `jobs`: how many scenes to have in flight at once (all of them: the scheduler spreads them)."""

    jobs = 1024

    def __init__(self, address: str, parent: Path, still: bool = False, theme: str = "dark",
                 store: str | None = None):  # fmt: skip
        from gptanim.atomic import scratch_folder

        self.address, self.store, self.theme = address, store, theme
        self.mode = "still" if still else "video"
        self.scratch = scratch_folder(parent)
        self.workers: list = []  # (a local pool's processes; none here: the cluster has its own)
        self.futures: list = []
        self.traces: dict[Path, tuple[object, Trace]] = {}  # trace file -> (its bytes on the cluster, the Trace)
        self.lock = threading.Lock()
        self.warned = False
        self.client = self.cluster = None

    def __enter__(self) -> ClusterPool:
        distributed = import_dask()
        where, count = parse_address(self.address)
        try:
            if count is not None:  # one worker per render process, each rendering one scene at a time
                self.cluster = distributed.LocalCluster(n_workers=count, threads_per_worker=1, processes=True,
                                                        dashboard_address=None)  # fmt: skip
                where = self.cluster
            self.client = distributed.Client(where, timeout="20s", set_as_default=False)
        except OSError as exc:  # no scheduler there (a timeout is an OSError too)
            self.__exit__(None, None, None)
            raise GptanimError(f"cannot reach the Dask scheduler at {self.address}: {exc}") from None
        self.client_id = (version(), code_hash())
        self.check_workers()
        return self

    def check_workers(self) -> None:
        """Refuse the cluster if one of its workers has no `gptanim.cluster` (an older gptanim: it could not even
        read a task, and Dask would stop it); the others check their version and code with each task. Asked
        with a function of Python's own library, which every worker can read."""
        import pkgutil

        answers = self.client.run(pkgutil.resolve_name, f"{__name__}:render_task", on_error="return")
        for worker, answer in sorted(answers.items()):
            if isinstance(answer, BaseException):
                self.__exit__(None, None, None)
                raise WorkerMismatch(f"the worker {worker} cannot render for this gptanim ({type(answer).__name__}: "
                                     f"{answer}); install the client's gptanim on every worker")  # fmt: skip
        if not answers:
            print(f"gptanim: no worker at {self.address} yet; the scenes wait for one", file=sys.stderr)

    def __exit__(self, kind, *exc) -> None:
        import shutil

        try:
            if kind is not None and self.client is not None and self.futures:  # Ctrl-C or a failed scene
                self.client.cancel(self.futures)
        finally:
            if self.client is not None:
                self.client.close()
            if self.cluster is not None:
                self.cluster.close()
            shutil.rmtree(self.scratch, ignore_errors=True)

    def warm(self, n: int) -> None:
        """(Nothing to start: the cluster's workers are running.)"""

    def sent_trace(self, trace_file: Path):
        """The Trace's bytes on the cluster (sent once per file) and the Trace itself (for the scene keys)."""
        with self.lock:
            if trace_file not in self.traces:
                data = Path(trace_file).read_bytes()
                # A task rather than scattered data: if the worker holding it dies, the scheduler makes it again
                key = f"gptanim-trace-{hashlib.sha256(data).hexdigest()[:20]}"
                self.traces[trace_file] = (self.client.submit(same, data, key=key, pure=False), Trace.load(trace_file))
            return self.traces[trace_file]

    def run(self, entry: SceneEntry, trace_file: Path, workdir: Path, quality: str, voice: str = "none",
            narration: dict | None = None, lecture: dict | None = None) -> dict:  # fmt: skip
        from gptanim.pool import SceneFailed

        sent, trace = self.sent_trace(Path(trace_file))
        shown = "still" if self.mode == "still" else quality
        key = f"{entry.name}-{scene_key(entry, trace, shown, voice, self.theme, narration or None, lecture)}"
        job = {"scene": entry.name, "file": entry.file, "quality": quality, "voice": voice,
               "narration": narration or {}, "lecture": lecture, "key": key}  # fmt: skip
        future = self.client.submit(render_task, job, sent, self.mode, self.theme, self.client_id, self.store,
                                    key=f"gptanim-{self.mode}-{key}", pure=False,
                                    priority=round(entry.render_weight))  # long scenes first  # fmt: skip
        with self.lock:
            self.futures.append(future)
        try:
            reply = future.result()
        except GptanimError:
            raise
        except Exception as exc:  # noqa: BLE001 - a worker without gptanim.cluster, one killed too often (KilledWorker)…
            said = f"{type(exc).__name__}: {exc}".splitlines()[0]
            raise GptanimError(f"scene {entry.name} failed on the cluster: {said}") from None
        if reply.get("warning") and not self.warned:
            self.warned = True
            print(reply["warning"], file=sys.stderr)
        if not reply["ok"]:
            raise SceneFailed(f"{reply['error']}", reply.get("traceback", ""))
        files = reply.get("files") or stored_files(reply["stored"], key)
        if files is None:
            raise GptanimError(f"scene {entry.name}: its files are not in the store {self.store}")
        for name, data in files.items():
            (workdir / name).parent.mkdir(parents=True, exist_ok=True)
            (workdir / name).write_bytes(data)
        video = workdir / "scene.mp4"
        return {"ok": True, "video": str(video) if video.exists() else None, "still": str(workdir / "last.png")}
