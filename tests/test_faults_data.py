"""The fault matrix, continued: what gptanim reads and writes. Training never deletes what it did not write;
relative paths work from any folder; the weights checked are the weights loaded; FIFOs, devices, symbolic link
loops, absurd configs and non-finite weights are one line and exit code 2, never a hang or a traceback.

Today's faults hung (a FIFO, /dev/zero, a training without end): each such case runs under `within`, which
fails it instead of waiting forever.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gptanim.cli import main
from tests.conftest import SAMPLE_TEXT
from tests.test_faults import drop_layer, one_line_error

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.usefixtures("one_torch_thread")


class Hung(BaseException):
    """Raised by `within` (a BaseException, so that no `except Exception` turns it into a clean error)."""


@contextlib.contextmanager
def within(seconds: int):
    """Fail what is still running after `seconds` (a read waiting on a FIFO, a loop without end)."""

    def expired(*_):
        raise Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------------------------------------------------
# Training: never into a folder that holds what it did not write; bad knobs before it starts.

TINY = ["--steps", "4", "--vocab-size", "300", "--n-layer", "1", "--n-head", "2", "--d-model", "32", "--n-ctx", "32",
        "--batch-size", "4", "--eval-every", "2", "--snapshots", "2", "-Q"]  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "a.txt").write_text("\n\n".join([SAMPLE_TEXT] * 4))
    (folder / "b.txt").write_text(SAMPLE_TEXT.upper() + "\n\n" + SAMPLE_TEXT)
    return folder


def contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_training_writes_only_its_own_files_and_refuses_folders_it_did_not_write(corpus, tmp_path, monkeypatch,
                                                                                capsys):  # fmt: skip
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)  # training's threads: one, as the other tests here run
    assert main(["train", "--corpus", str(corpus), "--out", ".", *TINY]) == 0  # the current folder, empty
    assert {"model.safetensors", "tokenizer.json", "MODEL_CARD.md", "snapshots"} <= set(os.listdir(here))
    assert main(["train", "--corpus", str(corpus), "--out", ".", *TINY, "--seed", "1"]) == 0  # its own: again
    (here / "notes.txt").write_text("mine")
    before = contents(here)
    capsys.readouterr()
    one_line_error(capsys, ["train", "--corpus", str(corpus), "--out", ".", *TINY], "'notes.txt'")
    (here / "snapshots" / "mine.txt").write_text("also mine")
    (here / "notes.txt").unlink()
    one_line_error(capsys, ["train", "--corpus", str(corpus), "--out", str(here), *TINY], "'snapshots/mine.txt'")
    (here / "notes.txt").write_text("mine")
    assert contents(here) == {**before, "snapshots/mine.txt": b"also mine"}  # nothing replaced, nothing removed
    a_file = tmp_path / "model.txt"
    a_file.write_text("a file")
    one_line_error(capsys, ["train", "--corpus", str(corpus), "--out", str(a_file), *TINY], "is not a folder")
    assert a_file.read_text() == "a file"


BAD_TRAINING = [
    (["--minutes", "nan"], "--minutes must be a positive number"),
    (["--minutes", "0"], "--minutes must be a positive number"),
    (["--minutes", "-1"], "--minutes must be a positive number"),  # trained forever
    (["--lr", "nan"], "--lr must be a positive number"),
    (["--lr", "-0.001"], "--lr must be a positive number"),
    (["--corpus", "{one story}"], "has 1 story; training needs several"),
]


@pytest.mark.parametrize("extra, needle", BAD_TRAINING, ids=[" ".join(e) for e, _ in BAD_TRAINING])
def test_bad_training_knobs_are_one_line_before_training(extra, needle, corpus, tmp_path, capsys):
    one = tmp_path / "one"
    one.mkdir()
    (one / "a.txt").write_text("The wolf ate the girl.\n")
    extra = [str(one) if e == "{one story}" else e for e in extra]
    with within(20):
        one_line_error(capsys, ["train", "--corpus", str(corpus), "--out", str(tmp_path / "out"), *TINY, *extra],
                       needle)  # fmt: skip
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------------------------
# Relative paths, given in a folder that is not the checkout: workers run in the checkout.


def test_a_relative_out_and_cache_work_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GPTANIM_CACHE", "cache")
    args = ["preview", "--scenes", "Title", "--out", "renders", "--prompt", "The fox", "--generate", "1", "--jobs", "1"]
    assert main([*args, "-Q"]) == 0
    assert list((tmp_path / "renders").glob("*/preview/01-Title.png"))
    assert list((tmp_path / "cache" / "traces").glob("*.npz"))
    assert not (ROOT / "renders" / "renders").exists() and not (ROOT / "cache").exists()


def test_a_relative_voice_folder_reaches_the_renderer_whole(tmp_path, monkeypatch, capsys):
    """`--voice folder:rec` from the current folder, `voice = "folder:rec"` from the lecture file's."""
    import gptanim.render

    given = []

    def renderer(*args, voice, **kwargs):
        given.append(voice)
        raise gptanim.render.GptanimError("stopped before rendering")

    monkeypatch.setattr(gptanim.render, "render_lecture", renderer)
    (tmp_path / "rec").mkdir()
    (tmp_path / "talk" / "rec").mkdir(parents=True)
    (tmp_path / "talk" / "l.toml").write_text('scenes = ["Title"]\n[settings]\nvoice = "folder:rec"\n')
    monkeypatch.chdir(tmp_path)
    common = ["render", "--generate", "1", "--out", "out"]
    one_line_error(capsys, [*common, "--voice", "folder:rec", "--scenes", "Title"], "stopped before rendering")
    one_line_error(capsys, [*common, "--lecture", "talk/l.toml"], "stopped before rendering")
    assert given == [f"folder:{tmp_path / 'rec'}", f"folder:{tmp_path / 'talk' / 'rec'}"]


# ---------------------------------------------------------------------------------------------------------
# Weights: exactly the files the loader reads are checked.


def move_layer_to_adapter(folder: Path) -> None:
    """Layer 1's weights in a second file that transformers does not load."""
    from safetensors.numpy import load_file, save_file

    weights = load_file(folder / "model.safetensors")
    drop_layer(folder)
    save_file({k: v for k, v in weights.items() if ".h.1." in k}, folder / "adapter.safetensors")


def shard(folder: Path, leave_out: str = "") -> None:
    """The weights in two shards and their index (as large models are stored); `leave_out`: tensors whose name
    holds it are put in a third file the index does not list."""
    from safetensors.numpy import load_file, save_file

    weights = load_file(folder / "model.safetensors")
    (folder / "model.safetensors").unlink()
    names = sorted(weights)
    parts = {"model-00001-of-00002.safetensors": names[::2], "model-00002-of-00002.safetensors": names[1::2]}
    weight_map = {}
    for file, part in parts.items():
        save_file({k: weights[k] for k in part if not (leave_out and leave_out in k)}, folder / file)
        weight_map.update({k: file for k in part})
    if leave_out:
        save_file({k: v for k, v in weights.items() if leave_out in k}, folder / "extra.safetensors")
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))


def test_missing_tensors_are_not_hidden_by_another_weights_file(local_gpt2, tmp_path, capsys):
    from model.loading import identify

    folder = tmp_path / "model"
    shutil.copytree(local_gpt2, folder)
    hash_before = identify(str(folder))[2]
    move_layer_to_adapter(folder)
    one_line_error(capsys, ["trace", "--model", str(folder), "--prompt", "the king"], "lacks 12 of the")
    sharded = tmp_path / "sharded"
    shutil.copytree(local_gpt2, sharded)
    shard(sharded, leave_out=".h.1.")
    one_line_error(capsys, ["trace", "--model", str(sharded), "--prompt", "the king"], "lacks 12 of the")
    whole = tmp_path / "whole"
    shutil.copytree(local_gpt2, whole)
    shard(whole)
    (whole / "adapter.safetensors").write_bytes((local_gpt2 / "model.safetensors").read_bytes())
    assert main(["trace", "--model", str(whole), "--prompt", "the king", "--generate", "1"]) == 0
    assert identify(str(folder))[2] != hash_before and identify(str(whole))[2] != hash_before
    shutil.copytree(local_gpt2, tmp_path / "with-adapter")
    (tmp_path / "with-adapter" / "adapter.safetensors").write_bytes(b"not loaded")
    assert identify(str(tmp_path / "with-adapter"))[2] == hash_before  # the identity of the loaded weights only


# ---------------------------------------------------------------------------------------------------------
# trace --out onto what is not a regular file.


def test_trace_out_never_replaces_a_device_a_fifo_or_a_link(tmp_path, capsys):
    from model.trace_data import Trace

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    device = tmp_path / "null"
    device.symlink_to("/dev/null")
    trace = ["trace", "--prompt", "hi", "--generate", "1", "--out"]
    for target, kind in ((fifo, "a FIFO"), (device, "a device")):
        one_line_error(capsys, [*trace, str(target)], f"it is {kind}, not a regular file")
    assert fifo.is_fifo() and device.is_symlink() and os.readlink(device) == "/dev/null"
    kept, link = tmp_path / "kept.npz", tmp_path / "link.npz"
    kept.write_text("old")
    link.symlink_to(kept.name)
    assert main([*trace, str(link)]) == 0
    assert link.is_symlink() and Trace.load(kept).prompt == "hi"  # written through the link, which stays


# ---------------------------------------------------------------------------------------------------------
# Model folders with absurd configs, unreadable or endless files, non-finite weights.


def edit_config(**changes):
    def change(folder: Path) -> None:
        config = json.loads((folder / "config.json").read_text())
        config.update(changes)
        (folder / "config.json").write_text(json.dumps(config))

    change.__name__ = "config-" + "-".join(f"{k}={v}" for k, v in changes.items())
    return change


def config_bytes(data: bytes):
    def change(folder: Path) -> None:
        (folder / "config.json").write_bytes(data)

    change.__name__ = f"config-{data[:8]!r}"
    return change


def replace_with(name: str, make):
    def change(folder: Path) -> None:
        (folder / name).unlink()
        make(folder / name)

    change.__name__ = f"{name}-{make.__name__}"
    return change


def loop(path: Path) -> None:
    path.symlink_to(path.name)


def fifo(path: Path) -> None:
    os.mkfifo(path)


def zeros(path: Path) -> None:
    path.symlink_to("/dev/zero")


def unreadable(path: Path) -> None:  # a regular file whose reading fails (EIO), as for root a mode 000 one cannot
    path.symlink_to("/proc/self/mem")


def poison(value: float, name: str):
    def change(folder: Path) -> None:
        from safetensors.numpy import load_file, save_file

        weights = load_file(folder / "model.safetensors")
        weights[name].reshape(-1)[3] = value
        save_file(weights, folder / "model.safetensors")

    change.__name__ = f"{value}-in-{name}"
    return change


ABSURD_MODELS = [
    (edit_config(n_layer=100_000), "lacks 99,998 layers of the weights its gpt2 config needs (100,000 layers"),
    (edit_config(n_layer=0), "the number of layers must be a whole number ≥ 1, got 0"),
    (edit_config(n_layer=-2), "the number of layers must be a whole number ≥ 1, got -2"),
    (edit_config(n_head=0), "the number of heads must be a whole number ≥ 1, got 0"),
    (edit_config(n_head=3), "its 3 heads do not divide its width 32"),
    (edit_config(n_positions=-5), "the context length must be a whole number ≥ 1, got -5"),
    (config_bytes(b"[1, 2]"), "is not a JSON object"),
    (config_bytes('{"model_type": "gpt2", "x": "Caf\xe9"}'.encode("latin-1")), "is not UTF-8"),
    (replace_with("model.safetensors", loop), "Too many levels of symbolic links"),
    (replace_with("model.safetensors", fifo), "is a FIFO, not a regular file"),
    (replace_with("model.safetensors", zeros), "is a device, not a regular file"),
    (replace_with("config.json", unreadable), "cannot read model config"),
    (replace_with("tokenizer.json", fifo), "is a FIFO, not a regular file"),
    (poison(float("nan"), "transformer.h.1.mlp.c_fc.weight"), "transformer.h.1.mlp.c_fc.weight holds NaN or infinite"),
    (poison(float("inf"), "transformer.ln_f.bias"), "transformer.ln_f.bias holds NaN or infinite"),
]


@pytest.mark.parametrize("change, needle", ABSURD_MODELS, ids=[c.__name__ for c, _ in ABSURD_MODELS])
def test_absurd_or_endless_model_folders_are_refused_at_once(change, needle, local_gpt2, tmp_path, capsys):
    folder = tmp_path / "model"
    shutil.copytree(local_gpt2, folder)
    change(folder)
    start = time.monotonic()
    with within(20):
        one_line_error(capsys, ["trace", "--model", str(folder), "--prompt", "the king"], needle)
    assert time.monotonic() - start < 10


# ---------------------------------------------------------------------------------------------------------
# Lecture files that never end, are too large or nest too deeply.

LECTURES = [
    ("fifo", "is a FIFO, not a regular file"),
    ("deep", "nests arrays or tables too deeply"),
    ("large", "holds more than 1 MB"),
]


@pytest.mark.parametrize("kind, needle", LECTURES)
def test_endless_or_huge_lecture_files_are_one_line(kind, needle, tmp_path, capsys):
    lecture = tmp_path / "lecture.toml"
    if kind == "fifo":
        os.mkfifo(lecture)
    elif kind == "deep":
        lecture.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    else:
        lecture.write_text(f'title = "{"x" * 1_100_000}"\n')
    with within(20):
        one_line_error(capsys, ["render", "--lecture", str(lecture), "--out", str(tmp_path / "out")], needle)


def test_a_lecture_file_that_is_dev_zero_is_refused_without_reading_it(tmp_path):
    """In a process of its own, its memory bounded: reading /dev/zero would take it all."""
    import resource

    def bounded():
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    done = subprocess.run([sys.executable, "-m", "gptanim", "render", "--lecture", "/dev/zero", "--out",
                           str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          preexec_fn=bounded)  # fmt: skip
    assert done.returncode == 2 and done.stderr.strip() == (
        "gptanim render: error: lecture file /dev/zero is a device, not a regular file"
    ), done.stderr
