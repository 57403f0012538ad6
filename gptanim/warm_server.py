"""The warm preview, the background process: draws `gptanim preview`'s stills for the command line.

    python -m gptanim.warm_server KEY      (started by `gptanim.warm`, never by hand)

It keeps what a preview of a new prompt spends most of its time starting: torch, transformers and the
loaded model, and the still workers (`gptanim.worker`) with manim, the scenes and their text caches.
One JSON request per connection on `$GPTANIM_CACHE/warm/KEY.sock`; the replies are JSON lines: what the
preview prints (`{"err": text}`, `{"out": text}`), `{"tick": 1}` every few seconds while it works, and
last `{"done": exit code}`, `{"error": one line}` (bad input: the command exits 2 with it) or
`{"fault": why}` (the server could not do it: the command previews in its own process).

Previews are drawn one at a time, in the requester's folder, exactly as `gptanim.cli.preview_here` draws
them in-process. A requester that goes away (Ctrl-C) cancels the scenes not yet started; those being drawn
are finished and kept. The server stops after GPTANIM_WARM_IDLE seconds without a request, on a `stop`
request (after the preview it is drawing), or on SIGTERM; KEY.lock is held while it runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from typing import IO

from gptanim.atomic import sweep
from gptanim.cli import preview_here
from gptanim.pool import ScenePool, WorkerDied
from gptanim.warm import idle_seconds, socket_path, warm_dir
from gptanim.warm_request import PreviewRequest
from model.errors import GptanimError
from model.settings import cache_root
from scenes.catalog import SceneEntry

TICK_SECONDS = 5.0
REQUEST_SECONDS = 10.0  # a connection's request must arrive within this long (the command sends it at once)


class WarmPool(ScenePool):
    """A ScenePool kept between previews, whose scenes not yet started can be cancelled. A scene goes to
    an idle worker that drew it before, when there is one: that worker has its texts cached."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cancel = threading.Event()
        self.busy, self.settled = 0, threading.Condition()
        self.choosing, self.drew = threading.Lock(), {}  # worker's pid -> names of the scenes it drew

    def take(self, entry: SceneEntry) -> tuple[subprocess.Popen, IO]:
        with self.choosing:
            idle = []
            with contextlib.suppress(queue.Empty):
                while True:
                    worker = self.idle.get_nowait()
                    if worker[0].poll() is None:  # one that died while idle is left out
                        idle.append(worker)
            if not idle:
                chosen = self.start()
            else:
                chosen = next((w for w in idle if entry.name in self.drew.get(w[0].pid, ())), idle[0])
                for worker in idle:
                    if worker is not chosen:
                        self.idle.put(worker)
            self.drew.setdefault(chosen[0].pid, set()).add(entry.name)
            return chosen

    def run(self, *args, **kwargs) -> dict:
        if self.cancel.is_set():
            raise GptanimError("interrupted")
        with self.settled:
            self.busy += 1
        try:
            return super().run(*args, **kwargs)
        finally:
            with self.settled:
                self.busy -= 1
                self.settled.notify_all()

    def settle(self) -> None:
        """Wait for the scenes being drawn (a cancelled preview leaves them running)."""
        with self.settled:
            self.settled.wait_for(lambda: self.busy == 0)


class Channel:
    """The replies to one requester, sent whole from any thread; a requester gone is not an error."""

    def __init__(self, conn: socket.socket):
        self.conn, self.lock, self.open = conn, threading.Lock(), True

    def send(self, message: dict) -> None:
        with self.lock:
            if not self.open:
                return
            try:
                self.conn.sendall((json.dumps(message) + "\n").encode())
            except OSError:
                self.open = False


class Stream(io.TextIOBase):
    """stdout or stderr of one request, sent to its requester; a terminal there if it has one."""

    def __init__(self, channel, kind: str, tty: bool = False, columns: int | None = None):
        super().__init__()
        self.channel, self.kind, self.tty = channel, kind, tty
        self.columns = columns - 1 if columns else None  # as tqdm measures a terminal (render.parallel)

    def write(self, text: str) -> int:
        if text:
            self.channel.send({self.kind: text})
        return len(text)

    def isatty(self) -> bool:
        return self.tty

    @property
    def encoding(self) -> str:
        return "utf-8"


class Routes(threading.local):
    """Where each thread's output goes: the streams of the request it works for (None: the process's own).
    `drawing` is the streams of the request whose scenes are being drawn, for the threads that draw them."""

    streams: dict | None = None
    drawing: dict | None = None  # shared by every thread: set on the class


class Routed(io.TextIOBase):
    """sys.stdout or sys.stderr of a warm process that serves several requesters at once: what a thread
    prints goes to the request it works for (`routed`), a render thread's to the request being drawn, and
    the rest where the process's own output goes (its log)."""

    def __init__(self, kind: str, own: IO):
        super().__init__()
        self.kind, self.own = kind, own

    def target(self) -> IO:
        streams = ROUTES.streams or Routes.drawing
        return streams[self.kind] if streams else self.own

    def write(self, text: str) -> int:
        return self.target().write(text)

    def flush(self) -> None:
        self.target().flush()

    def isatty(self) -> bool:
        return self.target().isatty()

    @property
    def columns(self) -> int | None:
        return getattr(self.target(), "columns", None)

    @property
    def encoding(self) -> str:
        return "utf-8"


ROUTES = Routes()


def route_output() -> None:
    """Make sys.stdout and sys.stderr per request (once per process)."""
    if not isinstance(sys.stdout, Routed):
        sys.stdout, sys.stderr = Routed("out", sys.stdout), Routed("err", sys.stderr)


@contextlib.contextmanager
def routed(out: IO, err: IO, drawing: bool = False):
    """This thread's output to `out` and `err` (with `drawing`, its render threads' too) while in the block."""
    route_output()
    before = ROUTES.streams
    ROUTES.streams = {"out": out, "err": err}
    if drawing:
        Routes.drawing = ROUTES.streams
    try:
        yield
    finally:
        ROUTES.streams = before
        if drawing:
            Routes.drawing = None


class Warm:
    """What a warm process keeps between requests: its still workers (a WarmPool per theme, each worker with
    its text caches) and the loaded models. The warm preview's server and the studio each hold one."""

    def __init__(self):
        self.pools: dict[str, WarmPool] = {}
        self.models: dict[str | None, tuple[tuple, object]] = {}
        self.loading, self.making = threading.Lock(), threading.Lock()

    def pool(self, theme: str) -> WarmPool:
        with self.making:
            if theme not in self.pools:
                self.pools[theme] = WarmPool(warm_dir(), still=True, theme=theme)
            return self.pools[theme]

    def load(self, name: str | None):
        """The model `name`, loaded once and kept while its files are unchanged."""
        from model.loading import identify, load

        with self.loading:
            _, path, digest = identify(name)
            stamp = (str(path), digest, sorted((f.name, f.stat().st_mtime_ns) for f in path.iterdir() if f.is_file()))
            kept = self.models.get(name)
            if kept is None or kept[0] != stamp:
                self.models = {k: v for k, v in self.models.items() if k is None}  # the embedded one and one more
                self.models[name] = (stamp, load(name))
            return self.models[name][1]

    def warm_up(self, log: IO) -> None:
        """Start the workers, import torch and load the embedded model."""
        try:
            self.pool("dark").warm(os.cpu_count() or 1)
            os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(cache_root() / "torch"))
            import model.run  # noqa: F401 - torch and transformers

            self.load(None)
        except Exception:  # noqa: BLE001 - a preview will meet the same problem and report it
            traceback.print_exc(file=log)

    def cancel(self, cancelled: bool = True) -> None:
        """Start no other scene (a requester went away), or again."""
        for pool in list(self.pools.values()):
            if cancelled:
                pool.cancel.set()
            else:
                pool.cancel.clear()

    def settle(self) -> None:
        for pool in list(self.pools.values()):
            pool.settle()

    def close(self) -> None:
        for pool in list(self.pools.values()):
            pool.__exit__(None, None, None)


class Server:
    def __init__(self, key: str):
        self.key, self.idle = key, idle_seconds()
        self.path = socket_path(key)
        self.drawing = threading.Lock()  # one preview at a time
        self.warm = Warm()
        self.ready, self.stopping = threading.Event(), threading.Event()
        self.count = threading.Lock()
        self.active, self.last = 0, time.monotonic()
        self.log = sys.stderr  # the process's own (its log file), whatever a request's thread prints

    def warm_up(self) -> None:
        """The workers started, torch imported and the embedded model loaded, while the first request waits."""
        try:
            self.warm.warm_up(self.log)
        finally:
            self.ready.set()

    def serve(self) -> None:
        lock = os.open(warm_dir() / f"{self.key}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        fcntl.flock(lock, fcntl.LOCK_EX)  # a server of this key still finishing its last preview: after it
        sweep(warm_dir())  # what a killed server left: its workers' scratch folders
        self.path.unlink(missing_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        umask = os.umask(0o177)  # only the user may connect: a request says where to write
        try:
            listener.bind(str(self.path))
        finally:
            os.umask(umask)
        listener.listen(16)
        listener.settimeout(1.0)
        print(f"warm preview {self.key} listening, pid {os.getpid()}", file=self.log, flush=True)
        threading.Thread(target=self.warm_up, daemon=True).start()
        try:
            while not self.stopping.is_set() and not self.idle_for_long():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                with self.count:
                    self.active += 1
                threading.Thread(target=self.handle, args=(conn,), daemon=True).start()
        finally:
            self.path.unlink(missing_ok=True)
            listener.close()
            with self.drawing:  # the preview being drawn is finished first
                self.warm.close()
            print("warm preview stopped", file=self.log, flush=True)

    def idle_for_long(self) -> bool:
        with self.count:
            return self.active == 0 and time.monotonic() - self.last > self.idle

    def handle(self, conn: socket.socket) -> None:
        try:
            with conn:
                channel, requests = Channel(conn), conn.makefile("r", encoding="utf-8")
                conn.settimeout(REQUEST_SECONDS)  # a connection that never sends must not keep the server up
                message = json.loads(requests.readline() or "{}")
                conn.settimeout(None)
                if message.get("op") == "stop":
                    self.stopping.set()
                    channel.send({"stopping": os.getpid()})
                elif message.get("op") == "ready":
                    self.ready.wait()
                    channel.send({"ready": os.getpid(), "idle": self.idle})
                elif message.get("op") == "preview":
                    self.preview(channel, message, requests)
        except TimeoutError:
            print(f"warm preview: a connection sent no request within {REQUEST_SECONDS:g} s; closed it", file=self.log)
        except Exception:  # noqa: BLE001 - a bad request ends its connection, not the server
            traceback.print_exc(file=self.log)
        finally:
            with self.count:
                self.active -= 1
                self.last = time.monotonic()

    def preview(self, channel: Channel, message: dict, requests) -> None:
        if message.get("key") != self.key:
            channel.send({"fault": "it runs another version of the code"})
            return
        try:
            args = PreviewRequest.from_json(message.get("args"))
        except GptanimError as exc:
            channel.send({"error": str(exc)})
            return
        working = threading.Event()
        threading.Thread(target=self.tick, args=(channel, working), daemon=True).start()
        try:
            if not self.drawing.acquire(blocking=False):
                if not args.quiet:
                    channel.send({"err": "gptanim: the warm preview is drawing another preview; waiting for it\n"})
                self.drawing.acquire()
            try:
                self.draw(channel, message, args, requests)
            finally:
                self.drawing.release()
        finally:
            working.set()

    def tick(self, channel: Channel, working: threading.Event) -> None:
        while not working.wait(TICK_SECONDS):
            channel.send({"tick": 1})

    def draw(self, channel: Channel, message: dict, args, requests) -> None:
        gone, finished = threading.Event(), threading.Event()
        self.warm.cancel(False)

        def watch() -> None:  # the requester went away (Ctrl-C): its scenes not yet started are cancelled
            with contextlib.suppress(OSError, ValueError):
                requests.read()
            if not finished.is_set():
                gone.set()
                self.warm.cancel()

        threading.Thread(target=watch, daemon=True).start()
        out, err = Stream(channel, "out"), Stream(channel, "err", bool(message.get("tty")), message.get("columns"))
        try:
            with routed(out, err, drawing=True):
                try:
                    os.chdir(message["cwd"])  # the requester's: relative paths in its options are read from there
                except OSError as exc:
                    raise GptanimError(f"cannot work in the current folder {message['cwd']}: {exc.strerror}") from None
                code = preview_here(args, self.warm.pool, self.warm.load)
            reply = {"done": code}
        except WorkerDied as exc:
            reply = {"fault": f"a render worker stopped: {exc}"}
        except GptanimError as exc:
            reply = {"error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - a fault of the server: the command previews in-process
            traceback.print_exc(file=self.log)
            reply = {"fault": f"{type(exc).__name__}: {exc}".splitlines()[0]}
        finally:
            os.chdir("/")
            self.warm.settle()
            finished.set()
        channel.send(reply)
        if gone.is_set():
            print("warm preview: the requester went away; its scenes not started were cancelled", file=self.log)


def main(key: str) -> None:
    os.chdir("/")
    server = Server(key)
    signal.signal(signal.SIGTERM, lambda *_: server.stopping.set())
    server.serve()


if __name__ == "__main__":
    main(sys.argv[1])
