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

import argparse
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

from gptanim.cli import preview_here
from gptanim.render import ScenePool, WorkerDied, sweep
from gptanim.warm import idle_seconds, socket_path, warm_dir
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
    """stdout or stderr of a preview, sent to its requester; a terminal there if it has one."""

    def __init__(self, channel: Channel, kind: str, tty: bool = False, columns: int | None = None):
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


class Server:
    def __init__(self, key: str):
        self.key, self.idle = key, idle_seconds()
        self.path = socket_path(key)
        self.drawing = threading.Lock()  # one preview at a time
        self.loading = threading.Lock()
        self.pools: dict[str, WarmPool] = {}
        self.models: dict[str | None, tuple[tuple, object]] = {}
        self.ready, self.stopping = threading.Event(), threading.Event()
        self.count = threading.Lock()
        self.active, self.last = 0, time.monotonic()
        self.log = sys.stderr

    def pool(self, theme: str) -> WarmPool:
        with self.count:
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

    def warm_up(self) -> None:
        """Start the workers, import torch and load the embedded model, while the first request waits."""
        try:
            self.pool("dark").warm(os.cpu_count() or 1)
            os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(cache_root() / "torch"))
            import model.run  # noqa: F401 - torch and transformers

            self.load(None)
        except Exception:  # noqa: BLE001 - a preview will meet the same problem and report it
            traceback.print_exc(file=self.log)
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
                for pool in self.pools.values():
                    pool.__exit__(None, None, None)
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
        args = argparse.Namespace(**message["args"])
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
        for pool in self.pools.values():
            pool.cancel.clear()

        def watch() -> None:  # the requester went away (Ctrl-C): its scenes not yet started are cancelled
            with contextlib.suppress(OSError, ValueError):
                requests.read()
            if not finished.is_set():
                gone.set()
                for pool in list(self.pools.values()):
                    pool.cancel.set()

        threading.Thread(target=watch, daemon=True).start()
        streams = (sys.stdout, sys.stderr)
        sys.stdout = Stream(channel, "out")
        sys.stderr = Stream(channel, "err", bool(message.get("tty")), message.get("columns"))
        try:
            try:
                os.chdir(message["cwd"])  # the requester's: relative paths in its options are read from there
            except OSError as exc:
                raise GptanimError(f"cannot work in the current folder {message['cwd']}: {exc.strerror}") from None
            code = preview_here(args, self.pool, self.load)
            reply = {"done": code}
        except WorkerDied as exc:
            reply = {"fault": f"a render worker stopped: {exc}"}
        except GptanimError as exc:
            reply = {"error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - a fault of the server: the command previews in-process
            traceback.print_exc(file=streams[1])
            reply = {"fault": f"{type(exc).__name__}: {exc}".splitlines()[0]}
        finally:
            sys.stdout, sys.stderr = streams
            os.chdir("/")
            for pool in list(self.pools.values()):
                pool.settle()
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
