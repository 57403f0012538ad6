"""Files written whole or not at all, and what interrupted writers left removed.

Everything is written to a temporary name and moved into place when complete, so an
interrupted render never leaves a broken file where a good one was; rerunning resumes.
Temporary names carry the process id (`.NAME.PID-RANDOM.part`): two renders never share
one, and what a killed process left is removed by the next render (`sweep`).
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from gptanim.warm import running as alive  # a pid that still runs (a lock's owner)
from model.errors import GptanimError


def prepare_output(folder: Path, clean: bool = True) -> Path:
    """The folder, made if needed and checked writable; what interrupted renders left in it is removed
    (`clean`: only by the process that holds the folder's lock, so that two never sweep at once)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = temporary_name(folder / "write-test")
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise GptanimError(f"cannot write to the output folder {folder}: {exc.strerror}") from None
    if clean:
        sweep(folder)
    return folder


@contextmanager
def output_lock(out_root: Path):
    """One gptanim at a time writes into an output folder; another one waits for it, saying so."""
    prepare_output(out_root, clean=False)
    fd = os.open(out_root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"gptanim: another gptanim is writing into {out_root}; waiting for it to finish", file=sys.stderr)
            fcntl.flock(fd, fcntl.LOCK_EX)
        sweep(out_root)
        yield
    finally:
        os.close(fd)


TEMPORARY = re.compile(r"^\..+\.(\d+)-[0-9a-z_]*\.part(\.\w+|_assets)?$")  # and a deck's `.deck.PID-R.part.html`


def temporary_name(final: Path) -> Path:
    """A name beside `final` for writing it, unique to this process and call: `.NAME.PID-RANDOM.part`."""
    return final.with_name(f".{final.name}.{os.getpid()}-{secrets.token_hex(4)}.part")


def scratch_folder(parent: Path) -> Path:
    """A new temporary folder in `parent`, named like `temporary_name`'s files (so `sweep` knows it)."""
    return Path(tempfile.mkdtemp(prefix=f".scratch.{os.getpid()}-", suffix=".part", dir=parent))


def sweep(folder: Path) -> None:
    """Remove the temporary files and folders in `folder`, at any depth, of processes that no longer run
    (killed, crashed)."""
    # os.walk passes over a folder that vanishes while it walks (a plain `manim` run cleaning up its own)
    names = [Path(top) / name for top, dirs, files in os.walk(folder) for name in dirs + files if name[0] == "."]
    for path, found in ((path, TEMPORARY.match(path.name)) for path in names):
        if found and int(found[1]) != os.getpid() and not alive(int(found[1])):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def copy_tree(source: Path, dest: Path) -> None:
    """A folder copied; a failure (a full disk) is one line, the first file that could not be copied."""
    try:
        shutil.copytree(source, dest)
    except shutil.Error as exc:  # it lists every file that failed, as (source, destination, why)
        _, failed, why = exc.args[0][0]
        raise GptanimError(f"cannot copy {failed}: {why}") from None


@contextmanager
def written(final: Path):
    """A temporary name to write `final` under; moved into place if the block completes, else removed."""
    partial = temporary_name(final)
    try:
        yield partial
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)


def move_into_place(source: Path, final: Path) -> None:
    """A copy of `source` at `final`, complete or not at all."""
    with written(final) as partial:
        shutil.copyfile(source, partial)


def write_text(path: Path, text: str) -> None:
    with written(path) as partial:
        partial.write_text(text, encoding="utf-8")
