"""The cache folder ($GPTANIM_CACHE, else ~/.cache/gptanim), trusted only when it is the user's own.

What is read from it is believed (Traces, drawings) and the warm preview's socket in it is handed prompts:
another user who may write in it could forge them. A folder gptanim makes is the user's alone (mode 0700);
one found is used only if it is the user's own and no one else may write in it (the warm preview's folder:
nor enter it). A cache folder that cannot be used is one line naming it, never a traceback.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from model.errors import GptanimError
from model.settings import cache_root

FIX = "set GPTANIM_CACHE to a folder of your own"


def cache_folder(*parts: str, private: bool = False) -> Path:
    """The cache folder, or its subfolder `parts`, made if missing and checked (see `trusted`)."""
    root = trusted(cache_root())
    if not parts:
        return root
    return trusted(root.joinpath(*parts), private=private)


def trusted(folder: Path, private: bool = False) -> Path:
    """`folder`, made if missing (mode 0700); refused in one line unless it is a folder, the user's own, that
    no one else may write in (`private`: nor read or enter), and that can be written in."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        found = folder.stat()
    except FileExistsError:
        raise GptanimError(f"the cache folder {folder} is a file, not a folder; {FIX}") from None
    except OSError as exc:
        raise GptanimError(f"cannot make the cache folder {folder}: {exc.strerror}; {FIX}") from None
    mode = stat.S_IMODE(found.st_mode)
    if found.st_uid != os.geteuid():
        raise GptanimError(
            f"refusing the cache folder {folder}: it belongs to another user (uid {found.st_uid}); {FIX}"
        )
    if mode & (0o077 if private else 0o022):
        others = "use" if private else "write in"
        raise GptanimError(f"refusing the cache folder {folder}: others may {others} it (mode {mode:o}); "
                           f"chmod {'700' if private else 'go-w'} it or {FIX}")  # fmt: skip
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-test.", suffix=".tmp", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise GptanimError(f"cannot write to the cache folder {folder}: {exc.strerror}; {FIX}") from None
    return folder


def open_log(path: Path):
    """`path` opened for writing from the start, never through a symbolic link (the file it points to would
    be overwritten)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        what = "it is a symbolic link" if os.path.islink(path) else exc.strerror
        raise GptanimError(f"refusing to write {path}: {what}") from None
    return os.fdopen(fd, "w")
