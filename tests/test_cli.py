"""The command line: help, one-line errors with exit code 2, and the trace summary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gptanim.cli import main
from scenes.catalog import SCENES

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gptanim", *args], capture_output=True, text=True, cwd=ROOT)


def test_help_lists_every_subcommand():
    done = run("--help")
    assert done.returncode == 0
    for command in ("trace", "render", "preview", "slides", "present", "studio", "train", "list"):
        assert f"    {command} " in done.stdout


def test_list_prints_every_scene(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == [s.name for s in SCENES]


@pytest.mark.parametrize(
    "args",
    [
        ["bogus"],
        ["trace", "--temperature", "warm"],
        ["trace", "--generate", "-1"],
        ["train", "--corpus"],
        ["list", "--nope"],
    ],
)
def test_usage_errors_are_one_line_with_exit_2(args):
    done = run(*args)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_trace_prints_a_summary_and_writes_the_file(tmp_path):
    out = tmp_path / "t.npz"
    done = run("trace", "--prompt", "The little bird", "--generate", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "·little" in done.stdout and "next token" in done.stdout
    assert out.exists()
    assert done.stderr.startswith("running the embedded model on the prompt")  # while torch loads
    again = run("trace", "--prompt", "The little bird", "--generate", "3", "--quiet")
    assert again.returncode == 0 and again.stdout == again.stderr == ""


def test_version():
    from importlib.metadata import version

    done = run("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"gptanim {version('gptanim')} (manim 0.21.0, manim-slides 5.7.0)"


def bad_folder(tmp_path: Path, local_gpt2: Path, kind: str) -> Path:
    folder = tmp_path / kind
    folder.mkdir()
    for f in local_gpt2.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    if kind == "no-weights":
        (folder / "model.safetensors").unlink()
    elif kind == "pickle-only":
        (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    elif kind == "corrupt":
        (folder / "model.safetensors").write_bytes(b"not a safetensors file at all")
    elif kind == "other-arch":
        cfg = (folder / "config.json").read_text().replace('"model_type": "gpt2"', '"model_type": "bert"')
        (folder / "config.json").write_text(cfg)
    return folder


@pytest.mark.parametrize(
    "extra, needle",
    [
        (["--prompt", "   "], "prompt is empty"),
        (["--temperature", "-1"], "temperature"),
        (["--temperature", "nan"], "temperature"),
        (["--temperature", "inf"], "temperature"),
        (["--top-k", "0"], "top-k"),
        (["--top-p", "0"], "top-p"),
        (["--top-p", "1.5"], "top-p"),
        (["--generate", "300"], "exceed the context"),
        (["--prompt", "word " * 400], "longer than the model's context"),
        (["--model", "surely-not-a-cached-model"], "not in the local Hugging Face cache"),
        (["--model", "./no/such/folder"], "no such folder"),
    ],
)
def test_bad_trace_input_is_one_line_exit_2(extra, needle, capsys):
    assert main(["trace", *extra]) == 2
    assert needle in the_error(capsys.readouterr().err)


def the_error(err: str) -> str:
    """The one error line, after at most the phase line said before the model runs ("running …")."""
    lines = err.strip().splitlines()
    assert "Traceback" not in err and len(lines) in (1, 2), err
    assert len(lines) == 1 or lines[0].startswith("running "), err
    return lines[-1]


@pytest.mark.parametrize(
    "kind, needle",
    [
        ("no-weights", "no model.safetensors"),
        ("pickle-only", "never unpickles"),
        ("corrupt", "could not load"),
        ("other-arch", "unsupported architecture"),
    ],
)
def test_bad_model_folders(kind, needle, tmp_path, local_gpt2, capsys):
    folder = bad_folder(tmp_path, local_gpt2, kind)
    assert main(["trace", "--model", str(folder), "--prompt", "hello"]) == 2
    assert needle in the_error(capsys.readouterr().err)


def test_truncate_keeps_the_end(capsys):
    assert main(["trace", "--prompt", "word " * 400 + "the end", "--truncate", "--generate", "0"]) == 0
    assert "·end" in capsys.readouterr().out


def test_unwritable_output_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["trace", "--prompt", "hi", "--generate", "1", "--out", str(blocker / "t.npz")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_plain_manim_with_bad_settings_is_one_line_exit_2(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "manim",
            "-ql",
            "-s",
            "--media_dir",
            str(tmp_path),
            "scenes/weights.py",
            "ParameterTally",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "GPTANIM_TRACE"}, "GPTANIM_PROMPT": "   "},
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        'gptanim: error: the prompt is empty: give some text, e.g. --prompt "Once upon a time"'
    ]
