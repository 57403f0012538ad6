"""The fault matrix: bad input, broken model folders, damaged stored files and interrupted runs, as data.

A new case is one line in one of the tables below. Every bad input must give one line on stderr and
exit code 2; every damaged or interrupted run must be followed by a run that completes.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from gptanim.cli import main

ROOT = Path(__file__).resolve().parent.parent


def one_line_error(capsys, args: list[str], needle: str) -> str:
    """Run the command in-process; it must fail with exit 2 and one line on stderr holding `needle`."""
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert needle in err, err
    return err


# ---------------------------------------------------------------------------------------------------------
# Bad input on the command line. `{file:NAME}` is replaced by a file from FILES written to a scratch folder.

FILES = {
    "latin1.toml": 'title = "Caf\xe9"\n'.encode("latin-1"),
    "folder": None,  # a folder
    "empty.npz": b"",
}

BAD_INPUT = [
    (["trace", "--seed", "-1"], "seed"),
    (["trace", "--prompt", "a\x00b"], "NUL"),
    (["render", "--scenes", ",,"], "no scene"),
    (["render", "--scenes", " , "], "no scene"),
    (["render", "--lecture", "{file:latin1.toml}"], "not UTF-8"),
    (["render", "--lecture", "{file:folder}"], "is a folder"),
    (["trace", "--top-k", "-3"], "top-k"),
    (["trace", "--generate", "300", "--truncate"], "exceed the context"),
]


@pytest.fixture
def scratch_files(tmp_path) -> dict[str, str]:
    paths = {}
    for name, data in FILES.items():
        path = tmp_path / name
        if data is None:
            path.mkdir()
        else:
            path.write_bytes(data)
        paths[name] = str(path)
    return paths


@pytest.mark.parametrize("args, needle", BAD_INPUT, ids=[" ".join(a)[:40] for a, _ in BAD_INPUT])
def test_bad_input_is_one_line_exit_2(args, needle, scratch_files, tmp_path, capsys):
    args = [scratch_files[a[6:-1]] if a.startswith("{file:") else a for a in args]
    if args[0] == "render":
        args += ["--out", str(tmp_path / "renders")]
    one_line_error(capsys, args, needle)


def test_truncate_leaves_room_for_the_default_generation(capsys):
    assert main(["trace", "--prompt", "word " * 400 + "the end", "--truncate"]) == 0
    out = capsys.readouterr().out
    assert "·end" in out and "continuation" in out


def test_trace_prints_control_characters_as_escapes(capsys):
    assert main(["trace", "--prompt", "a\x1b[31mred\rb\x7f", "--generate", "1"]) == 0
    out = capsys.readouterr().out
    assert "‹1b›" in out and "‹0d›" in out and "‹7f›" in out
    assert not [ch for ch in out if ord(ch) < 32 and ch != "\n" or ord(ch) == 127]


# ---------------------------------------------------------------------------------------------------------
# Broken model folders: a copy of a small local GPT-2, changed by one function each.


def drop_layer(folder: Path) -> None:
    from safetensors.numpy import load_file, save_file

    weights = load_file(folder / "model.safetensors")
    save_file({k: v for k, v in weights.items() if ".h.1." not in k}, folder / "model.safetensors")


def llama_names(folder: Path) -> None:
    from safetensors.numpy import load_file, save_file

    weights = load_file(folder / "model.safetensors")
    renamed = {f"model.layers.{i}.self_attn.q_proj.weight": v for i, v in enumerate(weights.values())}
    save_file(renamed, folder / "model.safetensors")


def transpose_one(folder: Path) -> None:
    from safetensors.numpy import load_file, save_file

    weights = load_file(folder / "model.safetensors")
    name = next(k for k in weights if k.endswith("h.0.attn.c_attn.weight"))
    weights[name] = weights[name][:, :16].copy()
    save_file(weights, folder / "model.safetensors")


def no_tokenizer(folder: Path) -> None:
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json"):
        (folder / name).unlink(missing_ok=True)


def embedded_tokenizer(folder: Path) -> None:
    from model.loading import EMBEDDED_PATH

    no_tokenizer(folder)
    for file in EMBEDDED_PATH.iterdir():
        if "token" in file.name or file.name in ("vocab.json", "merges.txt"):
            shutil.copy(file, folder / file.name)


BAD_MODELS = [
    (drop_layer, "lacks 12 of the"),
    (llama_names, "weights its gpt2 config needs"),
    (transpose_one, "has shape [32, 16], its config needs [32, 96]"),
    (no_tokenizer, "has no tokenizer"),
    (embedded_tokenizer, "tokenizer has 8,192 tokens but the model's vocabulary only"),
]


@pytest.mark.parametrize("change, needle", BAD_MODELS, ids=[c.__name__ for c, _ in BAD_MODELS])
def test_broken_model_folders_are_refused(change, needle, local_gpt2, tmp_path, capsys):
    folder = tmp_path / "model"
    shutil.copytree(local_gpt2, folder)
    change(folder)
    one_line_error(capsys, ["trace", "--model", str(folder), "--prompt", "the king"], needle)


# ---------------------------------------------------------------------------------------------------------
# Where a scene run with plain manim gets its Trace: bad settings and files are one line, in-process.

SCENE_SOURCES = [
    ({"GPTANIM_TRACE": "{file:empty.npz}"}, "is not a gptanim Trace file"),
    ({"GPTANIM_TRACE": "{file:folder}"}, "is a folder"),
    ({"GPTANIM_PROMPT": ""}, "prompt is empty"),
    ({"GPTANIM_SEED": "-2"}, "seed"),
]


@pytest.mark.parametrize("env, needle", SCENE_SOURCES, ids=[str(e) for e, _ in SCENE_SOURCES])
def test_scene_trace_sources_fail_in_one_line(env, needle, scratch_files, monkeypatch):
    from model.errors import GptanimError
    from scenes import source

    monkeypatch.delenv("GPTANIM_TRACE", raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, scratch_files[value[6:-1]] if value.startswith("{file:") else value)
    with pytest.raises(GptanimError, match=needle) as caught:
        source.scene_trace()
    assert "\n" not in str(caught.value)


# ---------------------------------------------------------------------------------------------------------
# A damaged Trace in the cache is found, discarded and computed again, with one line saying so.

DAMAGE = {
    "empty": lambda data: b"",
    "truncated": lambda data: data[: len(data) // 2],
    "flipped": lambda data: data[:2000] + bytes([data[2000] ^ 0xFF]) + data[2001:],
    "not a zip": lambda data: b"hello" * 100,
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_cached_trace_is_computed_again(damage, embedded, capsys):
    from model.cache import cached_path, cached_trace
    from model.run import TraceSettings

    settings = TraceSettings(prompt=f"The wolf was {damage}", generate=2)
    good = cached_trace(settings, embedded)
    path = cached_path(settings, embedded)
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    capsys.readouterr()
    again = cached_trace(settings, embedded)
    assert again.info == good.info
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and "damaged" in said[0] and "computing it again" in said[0]
    assert json.dumps(cached_trace(settings, embedded).info) == json.dumps(good.info)  # the new file reads
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_trace_out_to_a_folder_is_one_line_and_leaves_no_temporary_file(tmp_path, capsys):
    folder = tmp_path / "dir"
    folder.mkdir()
    one_line_error(capsys, ["trace", "--prompt", "hi", "--generate", "1", "--out", str(folder)], "cannot write")
    assert os.listdir(tmp_path) == ["dir"] and os.listdir(folder) == []


# ---------------------------------------------------------------------------------------------------------
# Prompts that broke a scene: right-to-left and mixed text, control characters, wide pieces. Each is drawn
# (last frame, in-process) and must show the Trace's tokens, fit the frame, and keep struck texts on one line.

HARD_PROMPTS = [
    ("Tokenization", "היה היה פעם"),
    ("Tokenization", "The king said שלום to مرحبا"),
    ("Tokenization", "从前有一个小女孩住在森林里她的奶奶很爱她"),
    ("Tokenization", "🐺🐺🍮👑👑 the wolf 🐺"),
    ("Tokenization", "e\u0301\u0301\u0301 a\u0308\u0308 zalgo"),
    ("Tokenization", "a\x1bb\x7fc\rd\te"),
    ("Title", "a\x1bb\x7fc\rd\te\nf"),
]


@pytest.mark.parametrize("scene_name, prompt", HARD_PROMPTS, ids=[f"{s}-{p[:8]!r}" for s, p in HARD_PROMPTS])
def test_hard_prompts_are_drawn(scene_name, prompt, embedded, tmp_path):
    import importlib

    from model.run import TraceSettings, trace
    from scenes.catalog import BY_NAME
    from tests.scenecheck import check_layout, check_numbers, render, texts

    tr = trace(TraceSettings(prompt=prompt, generate=2), embedded)
    scene_cls = getattr(importlib.import_module(f"scenes.{BY_NAME[scene_name].module}"), scene_name)
    scene = render(scene_cls, tr.save(tmp_path / "t.npz"), tmp_path)
    assert check_numbers(scene, tr)["tokens"] + check_numbers(scene, tr)["numbers"] > 0
    check_layout(scene)
    struck = [t for t in texts(scene) if t[0].get_fill_opacity() == 0]  # words, between invisible bars
    assert len(struck) > 5
    for t in struck:  # the other bar at the other end, on the same line
        assert t[-1].get_fill_opacity() == 0 and abs(t[0].get_center()[1] - t[-1].get_center()[1]) < 1e-3, t.text
        assert t[0].get_center()[0] < t[-1].get_center()[0]
