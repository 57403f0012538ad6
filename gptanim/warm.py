"""The warm preview, the command line's side: hand `gptanim preview` to a background process kept warm.

The first preview starts `gptanim.warm_server` (torch and the model loaded, the still workers warm with
their text caches) and the later ones send it their request over a Unix socket in the cache folder
(`$GPTANIM_CACHE/warm/KEY.sock`); what it prints comes back and is printed here. KEY is a hash of what
the server's answers depend on (`source_key`): a preview with another key asks the old server to stop and
starts its own, so stale code or another model is never served. When the server cannot be used (it
crashed, a render worker died, it cannot start) the preview is done in this process, as without it.
Nothing here imports torch, numpy or manim.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from model.errors import GptanimError
from model.folders import cache_folder, open_log
from model.settings import SETTINGS, cache_root

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("model", "scenes", "gptanim")  # the folders whose .py files the server runs
EMBEDDED = ROOT / "assets" / "fairytale-gpt"
ENVIRONMENT = ("GPTANIM_", "HF_", "TRANSFORMERS_", "TORCH", "OMP_", "MKL_", "XDG_CACHE_HOME")
OWN_SETTINGS = ("GPTANIM_WARM", "GPTANIM_WARM_IDLE")  # how the server runs, not what it draws
IDLE_SECONDS = 900.0  # GPTANIM_WARM_IDLE: the server stops after this long without a request
START_SECONDS = 60.0  # a server not listening after this long is given up on
SILENCE_SECONDS = 60.0  # the server says it is alive every few seconds; this long without a word, it is not
MAX_SOCKET_PATH = 100  # a Unix socket's path is limited to 107 bytes on Linux


class Unusable(Exception):
    """The warm preview cannot serve this request (not started, crashed): preview in this process."""


def enabled(args) -> bool:
    """Unless --no-warm or GPTANIM_WARM=0 (or no, off, false)."""
    setting = os.environ.get("GPTANIM_WARM", "").strip().lower()
    return not getattr(args, "no_warm", False) and setting not in ("0", "no", "off", "false")


def idle_seconds() -> float:
    given = os.environ.get("GPTANIM_WARM_IDLE", str(IDLE_SECONDS))
    try:
        seconds = float(given)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise GptanimError(f"GPTANIM_WARM_IDLE must be a positive number of seconds, got {given!r}")
    return max(1.0, seconds)


def source_key(root: Path = ROOT) -> str:
    """What a warm server's answers depend on: the code it runs (every .py of model/, scenes/, gptanim/, by
    content), the Python it runs on and its installed packages, the embedded model's files, and the
    environment variables gptanim, Hugging Face and torch read."""
    digest = hashlib.sha256(f"{root}\0{sys.executable}\0".encode())
    for folder in SOURCES:
        for path in sorted((root / folder).glob("*.py")):
            digest.update(f"{folder}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    packages = Path(sysconfig.get_paths()["purelib"])
    stamps = [("packages", packages.stat().st_mtime_ns if packages.exists() else 0, 0)]
    embedded = root / EMBEDDED.relative_to(ROOT)
    for path in sorted(embedded.rglob("*")) if embedded.is_dir() else []:
        if path.is_file():
            stat = path.stat()
            stamps.append((str(path.relative_to(embedded)), stat.st_size, stat.st_mtime_ns))
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith(ENVIRONMENT) and k not in OWN_SETTINGS)
    digest.update(json.dumps([stamps, env]).encode())
    return digest.hexdigest()[:16]


def warm_dir() -> Path:
    """The warm preview's sockets, logs and locks, and its workers' scratch: only the user's."""
    return cache_folder("warm", private=True)  # another user's socket there would read the prompts, forge answers


def socket_path(key: str) -> Path:
    path = warm_dir() / f"{key}.sock"
    if len(str(path).encode()) > MAX_SOCKET_PATH:
        raise Unusable(f"the cache folder's path is too long for a socket ({path})")
    return path


def connect(path: Path) -> socket.socket | None:
    """A connection to the server listening at `path`, or None (no socket, or nobody listening: stale)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()
        return None
    except OSError as exc:
        sock.close()
        raise Unusable(f"cannot connect to {path}: {exc.strerror}") from None
    return sock


@contextlib.contextmanager
def starting():
    """One command at a time starts a server or removes a stale socket."""
    fd = os.open(warm_dir() / "start.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def server(key: str) -> socket.socket:
    """A connection to the server for `key`, started (and the servers of other keys stopped) if needed."""
    path = socket_path(key)
    sock = connect(path)
    if sock:
        return sock
    with starting():
        sock = connect(path)
        if sock:
            return sock
        path.unlink(missing_ok=True)  # a stale socket: its server was killed
        for other in warm_dir().glob("*.sock"):
            stop_server(other)  # another version of the code, the model or the environment
        log = open_log(warm_dir() / f"{key}.log")
        env = {**os.environ, "GPTANIM_CACHE": str(cache_root().resolve())}  # it works in other folders
        proc = subprocess.Popen([sys.executable, "-m", "gptanim.warm_server", key], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)  # fmt: skip
        log.close()
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            sock = connect(path)
            if sock:
                return sock
            if proc.poll() is not None:
                said = [ln for ln in (warm_dir() / f"{key}.log").read_text().splitlines() if ln.strip()]
                raise Unusable(f"it stopped as it started: {said[-1] if said else f'exit code {proc.returncode}'}")
            time.sleep(0.05)
        raise Unusable(f"it did not start within {START_SECONDS:.0f} s")


def stop_server(path: Path) -> int | None:
    """Ask the server at `path` to stop (it finishes the preview it is drawing); its pid, or None if there is
    none (a stale socket is removed)."""
    sock = connect(path)
    if sock is None:
        path.unlink(missing_ok=True)
        return None
    with sock:
        sock.settimeout(SILENCE_SECONDS)
        try:
            sock.sendall(b'{"op": "stop"}\n')
            reply = json.loads(sock.makefile("r", encoding="utf-8").readline() or "{}")
        except (OSError, ValueError):
            return None
    return reply.get("stopping")


def stop_all(report) -> int:
    """`gptanim preview --stop`: every warm preview of this cache folder stopped, and waited for."""
    stopped = []
    try:
        with starting():
            for path in sorted(warm_dir().glob("*.sock")):
                pid = stop_server(path)
                if pid:
                    stopped.append(pid)
    except Unusable as exc:
        raise GptanimError(f"cannot stop the warm preview: {exc}") from None
    for pid in stopped:
        deadline = time.monotonic() + SILENCE_SECONDS
        while running(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    if stopped:
        report(f"stopped the warm preview (pid {', '.join(map(str, stopped))})")
    else:
        report("no warm preview is running")
    return 0


def server_pids() -> list[int]:
    """The warm preview processes of this cache folder that are running (each log starts with its pid)."""
    pids = []
    for log in sorted(warm_dir().glob("*.log")):
        first = log.read_text(errors="replace").split("\n", 1)[0]
        if first.startswith("warm preview ") and first.rsplit(" ", 1)[-1].isdigit():
            pid = int(first.rsplit(" ", 1)[-1])
            if running(pid):
                pids.append(pid)
    return pids


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a server this process started and that has ended is a zombie until reaped
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


def start_only(report) -> int:
    """`gptanim preview --warm`: the server started if needed, and waited for until it is warm."""
    try:
        with server(source_key()) as sock:
            sock.sendall(b'{"op": "ready"}\n')
            reply = json.loads(sock.makefile("r", encoding="utf-8").readline() or "{}")
    except (Unusable, OSError, ValueError) as exc:
        raise GptanimError(f"the warm preview could not start: {exc}") from None
    if "ready" not in reply:
        raise GptanimError("the warm preview stopped as it started")
    minutes = float(reply.get("idle", idle_seconds())) / 60  # the server's setting: it may have started earlier
    report(f"the warm preview is ready (pid {reply['ready']}); it stops after {minutes:g} min without a preview, "
           "or with gptanim preview --stop")  # fmt: skip
    return 0


# The options of `gptanim preview` (and render, whose --stills the studio passes) beyond the settings table
# (model/settings.py), and their defaults.
OPTIONS = {"lecture": None, "scenes": None, "out": None, "jobs": 1, "quiet": False, "stills": False}


def request_values(args) -> dict:
    """What a preview asks for, by name: each setting of model/settings.py's table and each option in OPTIONS,
    from the command line's arguments (`gptanim.warm_request.PreviewRequest` has these fields and checks them)."""
    defaults = {**{s.name: None for s in SETTINGS}, **OPTIONS}
    return {name: getattr(args, name, default) for name, default in defaults.items()}


def request(args) -> dict:
    """What the server needs to preview as this process would: the request, the folder relative paths are
    read from, and how progress is shown here."""
    columns = shutil.get_terminal_size().columns if sys.stderr.isatty() else None
    return {"op": "preview", "args": request_values(args), "cwd": os.getcwd(),
            "tty": sys.stderr.isatty(), "columns": columns}  # fmt: skip


def preview_remotely(args) -> int | None:
    """The preview drawn by the warm server: its exit code, or None when it could not be used (then the
    caller previews in this process; what the server drew is in the stills store and is reused)."""
    try:
        key = source_key()
        idle_seconds()
        with server(key) as sock:
            return converse(sock, {**request(args), "key": key})
    except Unusable as exc:
        if not args.quiet:
            print(f"gptanim: the warm preview could not be used ({exc}); previewing in this process",
                  file=sys.stderr, flush=True)  # fmt: skip
        return None


def converse(sock: socket.socket, message: dict) -> int:
    """Send the request; print what the server says as it works; return its exit code, or raise its error."""
    sock.settimeout(SILENCE_SECONDS)
    replies = sock.makefile("r", encoding="utf-8")
    try:
        sock.sendall((json.dumps(message) + "\n").encode())
        return answer(replies)
    except KeyboardInterrupt:
        # The server stops starting scenes and finishes those being drawn (they are kept); this process
        # keeps the output folder's lock until it has, unless interrupted again.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        with contextlib.suppress(Unusable, GptanimError, OSError, ValueError):
            answer(replies, echo=False)
        raise
    except (OSError, ValueError) as exc:
        raise Unusable(f"lost the connection: {exc}") from None


def answer(replies, echo: bool = True) -> int:
    for line in replies:
        reply = json.loads(line)
        if "err" in reply and echo:
            sys.stderr.write(reply["err"])
            sys.stderr.flush()
        elif "out" in reply and echo:
            sys.stdout.write(reply["out"])
            sys.stdout.flush()
        elif "done" in reply:
            return int(reply["done"])
        elif "error" in reply:
            raise GptanimError(reply["error"])
        elif "fault" in reply:
            raise Unusable(reply["fault"])
    raise Unusable("it stopped while previewing")
