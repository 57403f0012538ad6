"""Files the user names (lecture files, model folders, a Trace's destination), opened with care.

Only a regular file is read: a FIFO would wait forever for a writer, /dev/zero never ends, and reading stops at
a size limit, so a huge file is one line instead of a MemoryError. A file is opened without blocking and
checked on the opened descriptor, so it cannot be swapped for a FIFO in between.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from model.errors import GptanimError

KINDS = [(stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")]


def _open(path: Path, what: str) -> int:
    """A descriptor of `path`, a regular file (else one line saying what it is instead)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO opens at once instead of waiting for a writer
    except FileNotFoundError:
        raise GptanimError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise GptanimError(f"{what} {path} is a folder, not a file") from None
    except OSError as exc:  # unreadable, a symbolic link loop, ...
        raise GptanimError(f"cannot read {what} {path}: {exc.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise GptanimError(f"{what} {path} is a folder, not a file")
        kind = next((word for test, word in KINDS if test(mode)), "not a regular file")
        raise GptanimError(f"{what} {path} is {kind}, not a regular file")
    return fd


def regular_file(path: Path, what: str) -> int:
    """Check that `path` is a regular file that can be read; return its size in bytes."""
    fd = _open(path, what)
    try:
        return os.fstat(fd).st_size
    finally:
        os.close(fd)


def read_limited(path: Path, what: str, limit: int) -> bytes:
    """The bytes of the regular file `path`, refused if it holds more than `limit` bytes."""
    fd = _open(path, what)
    try:
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise GptanimError(f"cannot read {what} {path}: {exc.strerror}") from None
    if len(data) > limit:
        raise GptanimError(f"{what} {path} holds more than {limit / 1e6:g} MB: too large for a {what}")
    return data


def writable_target(path: Path, what: str) -> Path:
    """Where to write `path` by replacing it: itself, or the file a symbolic link names (the link stays).
    Anything but a regular file is refused, never replaced (a device, a FIFO, a folder)."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None  # a new file (or a link to one to be made)
    except OSError as exc:
        raise GptanimError(f"cannot write {what} to {path}: {exc.strerror}") from None
    if mode is not None and not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else next((w for test, w in KINDS if test(mode)), "not a file")
        raise GptanimError(f"cannot write {what} to {path}: it is {kind}, not a regular file; give a file name")
    return Path(os.path.realpath(path)) if path.is_symlink() else path
