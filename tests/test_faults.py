"""The fault matrix: bad input, broken model folders, damaged stored files and interrupted runs, as data.

A new case is one line in one of the tables below. Every bad input must give one line on stderr and
exit code 2; every damaged or interrupted run must be followed by a run that completes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest

from gptanim.cli import main

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def one_line_error(capsys, args: list[str], needle: str) -> str:
    """Run the command in-process; it must fail with exit 2 and one line on stderr holding `needle`."""
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    lines = err.splitlines()
    if len(lines) == 2 and lines[0].startswith("running "):  # the phase line said before the model loads
        err = lines[1]
    assert len(err.splitlines()) == 1, err
    assert needle in err, err
    return err


# ---------------------------------------------------------------------------------------------------------
# Bad input on the command line. `{file:NAME}` is replaced by a file from FILES written to a scratch folder.

FILES = {
    "latin1.toml": 'title = "Caf\xe9"\n'.encode("latin-1"),
    "folder": None,  # a folder
    "empty.npz": b"",
    "nul-title.toml": b'title = "a\\u0000b"\n',
}

BAD_INPUT = [
    (["trace", "--seed", "-1"], "seed"),
    (["trace", "--prompt", "a\x00b"], "NUL"),
    (["render", "--scenes", ",,"], "no scene"),
    (["render", "--scenes", " , "], "no scene"),
    (["render", "--lecture", "{file:latin1.toml}"], "not UTF-8"),
    (["render", "--lecture", "{file:folder}"], "is a folder"),
    (["slides", "--lecture", "{file:nul-title.toml}"], "without NUL"),
    (["trace", "--top-k", "-3"], "top-k"),
    (["trace", "--generate", "300", "--truncate"], "exceed the context"),
    (["trace", "--chat-user", " "], "--chat-user must be some text"),
    (["trace", "--chat-system", "a\x00b"], "--chat-system must be some text"),
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
    if args[0] in ("render", "slides"):
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
    ("Tokenization", "The king said שלום to مرحبا היה"),  # right-to-left words in a left-to-right line
    ("Tokenization", "从前有一个小女孩 🐺🍮👑 e\u0301\u0301 a\x1bb\x7fc\rd\te"),  # many pieces, marks, controls
    ("Title", "a\x1bb\x7fc\rd\te\nf"),  # the prompt in the footer, on one line
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


# ---------------------------------------------------------------------------------------------------------
# Renders: damaged stored files, Ctrl-C, kill -9 at a random moment, two renders into one folder.
# One small lecture (Title, and Softmax for its LaTeX) is rendered once at -q l; faults are applied to it.

EVIL = "</title><script>alert(1)</script>"
# Silent (--voice none): these tests are about files and signals; the voice has tests of its own (test_voice.py).
LECTURE = ["--scenes", "Title,Softmax", "--prompt", f"The <b>wolf</b> {EVIL}", "--generate", "2", "-q", "l",
           "--voice", "none"]  # fmt: skip


def gptanim(*args: str, tmpdir: Path, **popen):
    """`gptanim` in a process of its own (its own group, so a signal reaches its workers as Ctrl-C would)."""
    import subprocess
    import sys

    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "gptanim", *args], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)  # fmt: skip


def everything_opens(out: Path) -> Path:
    """Every file of every lecture folder in `out` opens, and no temporary file is left; returns the folder."""
    import av
    from PIL import Image

    from gptanim.atomic import TEMPORARY
    from model.trace_data import Trace

    folders = [p.parent for p in out.glob("*/lecture.mp4")]
    assert folders, f"no lecture in {out}"
    for folder in folders:
        for video in folder.rglob("*.mp4"):
            with av.open(str(video)) as src:
                assert sum(1 for _ in src.decode(video=0)) > 0, video
        for still in folder.rglob("*.png"):
            Image.open(still).load()
        for doc in folder.rglob("*.json"):
            json.loads(doc.read_text(encoding="utf-8"))
        Trace.load(folder / "trace.npz")
        assert " --> " in (folder / "lecture.srt").read_text(encoding="utf-8")
    left = [p for p in out.rglob(".*") if TEMPORARY.match(p.name)]
    assert not left, left
    return folders[0]


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    out = tmp_path_factory.mktemp("lecture")
    assert main(["render", *LECTURE, "--out", str(out), "--jobs", "2"]) == 0
    return out


def stored(out: Path, scene: str, suffix: str) -> Path:
    (video,) = (out / ".scenes").glob(f"{scene}-*.mp4")
    if suffix == "slides.json":
        return video.with_suffix(".slides") / f"{scene}.json"
    return video.with_suffix(suffix)


DAMAGED_STORE = [  # which file of a stored scene, and what happens to it
    (".mp4", lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])),
    (".mp4", lambda p: p.unlink()),
    (".png", lambda p: p.write_bytes(b"")),
    (".beats.json", lambda p: p.write_text('{"scene": "Title", "beats": [')),
    ("slides.json", lambda p: p.unlink()),
    ("slides.json", lambda p: p.write_text(p.read_text().replace('"notes"', '"nodes"'))),
    (".slides", lambda p: shutil.rmtree(p)),
    (".manifest.json", lambda p: p.write_text("{")),
]


@pytest.mark.parametrize("suffix, damage", DAMAGED_STORE, ids=[f"{s}-{i}" for i, (s, _) in enumerate(DAMAGED_STORE)])
def test_a_damaged_stored_scene_is_incomplete(suffix, damage, lecture, tmp_path):
    from gptanim.store import complete

    video = stored(lecture, "Title", ".mp4")
    backup = tmp_path / "backup"
    shutil.copytree(lecture / ".scenes", backup)
    assert complete(video)
    try:
        damage(stored(lecture, "Title", suffix))
        assert not complete(video)
    finally:
        shutil.rmtree(lecture / ".scenes")
        shutil.copytree(backup, lecture / ".scenes")
    assert complete(video)


def test_damaged_files_are_rendered_again_and_everything_opens(lecture, capsys):
    """A scene without its slides, with a cut video and a cut LaTeX drawing, and a damaged cached Trace."""
    from model.cache import cache_root

    shutil.rmtree(stored(lecture, "Softmax", ".slides"))
    video = stored(lecture, "Softmax", ".mp4")
    video.write_bytes(video.read_bytes()[:5000])
    drawings = sorted((cache_root() / "tex").glob("*.svg"))
    assert drawings, "Softmax's formula is cached as LaTeX drawings"
    for svg in drawings:
        svg.write_bytes(svg.read_bytes()[:200])
    for trace_file in (cache_root() / "traces").glob("*.npz"):
        trace_file.write_bytes(trace_file.read_bytes()[:300])
    capsys.readouterr()
    assert main(["render", *LECTURE, "--out", str(lecture), "--jobs", "2"]) == 0
    said = capsys.readouterr()
    assert "computing it again" in said.err and "(1 rendered now)" in said.out
    everything_opens(lecture)
    for svg in drawings:  # drawn again
        ElementTree.parse(svg)


def test_ctrl_c_stops_a_render_within_seconds_and_keeps_finished_scenes(tmp_path):
    from gptanim.store import complete

    out, tmpdir = tmp_path / "out", tmp_path / "tmp"
    tmpdir.mkdir()
    scenes = "Title,ParameterTally,Tokenization,AttentionFlow"
    proc = gptanim("render", *LECTURE, "--scenes", scenes, "--jobs", "1", "--out", str(out), tmpdir=tmpdir)
    deadline = time.monotonic() + 240
    while not list(out.glob(".scenes/*.manifest.json")):  # wait for the first finished scene
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    finished = [p.with_suffix("").with_suffix(".mp4") for p in out.glob(".scenes/*.manifest.json")]
    start = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
    _, err = proc.communicate(timeout=60)
    stopped = time.monotonic() - start
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == "gptanim render: interrupted", err
    assert stopped < 3, f"{stopped:.1f} s after Ctrl-C"
    assert all(complete(video) for video in finished)
    assert len(list(out.glob(".scenes/*.manifest.json"))) < 4  # it did not go on rendering the rest
    assert os.listdir(tmpdir) == []  # no temporary file left in the system's temporary folder


@pytest.mark.parametrize("command", ["render", "slides"])
def test_kill_9_at_a_random_moment_then_two_reruns_complete(command, lecture, tmp_path):
    """`render` from nothing; `slides` from the rendered lecture, so that it is killed while making the deck.
    The deck's title and the prompt (in the Title's notes) hold HTML, which must stay text."""
    out, tmpdir = tmp_path / "out", tmp_path / "tmp"
    tmpdir.mkdir()
    args = [command, *LECTURE, "--jobs", "1", "--out", str(out)]
    if command == "render":
        args += ["--scenes", "Title"]
    else:
        shutil.copytree(lecture, out)
        lecture_file = tmp_path / "evil.toml"
        lecture_file.write_text(f'title = "{EVIL}"\n', encoding="utf-8")
        args += ["--lecture", str(lecture_file)]
    moment = random.uniform(0.5, 10.0)
    proc = gptanim(*args, tmpdir=tmpdir)
    try:
        proc.wait(timeout=moment)
    except Exception:  # still running: kill it and its workers, as a crash or the OOM killer would
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    reruns = [gptanim(*args, tmpdir=tmpdir) for _ in range(2)]  # at once, into the same folder
    for rerun in reruns:
        _, err = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, f"killed at {moment:.1f} s: {err}"
    folder = everything_opens(out)
    if command == "slides":
        deck = folder / "deck"
        page = (deck / "deck.html").read_text(encoding="utf-8")
        assert "<section" in page and "<script>alert" not in page and "<b>wolf" not in page
        assert "&lt;/title&gt;&lt;script&gt;alert(1)" in page
        assert (deck / "handout.pdf").read_bytes()[:4] == b"%PDF" and (deck / "deck.pptx").stat().st_size > 10_000
    assert os.listdir(tmpdir) == []


def test_concurrent_writers_of_one_trace_never_collide(embedded, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from model.run import TraceSettings, trace
    from model.trace_data import Trace

    result = trace(TraceSettings(prompt="The wolf", generate=1), embedded)
    target = tmp_path / "t.npz"
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: result.save(target), range(16)))
    assert Trace.load(target).info == result.info and os.listdir(tmp_path) == ["t.npz"]


def test_output_folders_are_unique_per_settings():
    from gptanim.keys import slug
    from model.trace_data import Trace

    def named(prompt: str, **changed) -> str:
        settings = {"prompt": prompt, "temperature": 1.0, "seed": 0, "generate": 12, "top_k": None, "top_p": None}
        meta = {"model": "fairytale-gpt", "weights_hash": "ab", "settings": {**settings, **changed}}
        return slug(Trace(meta, {}, {}))

    names = [named("从前"), named("很久以前"), named("从前", top_k=5), named("从前", top_p=0.9),
             named("从前", generate=3), named("Crème brûlée"), named("Creme brulee")]  # fmt: skip
    assert len(set(names)) == len(names)
    assert named("从前") == named("从前")
    assert named("Crème brûlée!").startswith("fairytale-gpt-creme-brulee-T1-seed0-")


def test_a_trace_writer_killed_mid_write_leaves_nothing_for_long(embedded):
    from model.cache import cached_trace, traces_dir
    from model.run import TraceSettings

    left = traces_dir() / ".abc.npz.x1y2.tmp"
    left.parent.mkdir(parents=True, exist_ok=True)
    left.write_bytes(b"half a Trace")
    os.utime(left, (time.time() - 7200, time.time() - 7200))
    cached_trace(TraceSettings(prompt="The wolf slept", generate=1), embedded)
    assert not left.exists()


def test_what_a_killed_process_left_is_swept_and_a_live_ones_kept(tmp_path):
    import subprocess
    import sys

    from gptanim.atomic import prepare_output, scratch_folder, temporary_name

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(gone.stdout)
    deep = tmp_path / "deck" / "slides" / "files"
    deep.mkdir(parents=True)
    mine = [temporary_name(deep / "Title"), scratch_folder(tmp_path)]
    mine[0].write_text("being written")
    theirs = [deep / f".Title.{dead}-ab12cd34.part", tmp_path / f".lecture.mp4.{dead}-0badf00d.part",
              tmp_path / "deck" / f".deck.html.{dead}-1234abcd.part.html", tmp_path / f".scratch.{dead}-x_y.part"]  # fmt: skip
    for path in theirs[:-1]:
        path.write_text("left by a killed process")
    theirs[-1].mkdir()
    prepare_output(tmp_path)
    assert all(p.exists() for p in mine) and not any(p.exists() for p in theirs)


def test_a_damaged_text_drawing_is_drawn_again(tmp_path, capsys):
    """Plain manim keeps text drawings in its text folder; one cut short by a killed process is drawn again."""
    from manim import tempconfig

    from scenes import text

    with tempconfig({"text_dir": str(tmp_path)}):
        first = text.pango_text("Once upon a damaged time", font="DejaVu Sans")
        (drawing,) = tmp_path.glob("*.svg")
        drawing.write_bytes(drawing.read_bytes()[:150])
        again = text.pango_text("Once upon a damaged time", font="DejaVu Sans")
    assert len(again.submobjects) == len(first.submobjects) and "drawing again" in capsys.readouterr().err
    ElementTree.parse(drawing)
