"""The fault matrix, round 2 (issue 32): a trusted cache folder, signals, lecture files, text that is not what it
seems, and limits. Each test failed before its fix; the shared helpers are tests/test_faults.py's."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from model.errors import GptanimError
from tests.test_faults import LECTURE, gptanim, one_line_error

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "my_scene.py"
pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A cache folder of this test's own (the session's Traces stay where they are)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("GPTANIM_CACHE", str(folder))
    return folder


# ---------------------------------------------------------------------------------------------------------
# 4. The cache folder and the warm preview's folder are trusted only when they are the user's own.


def test_a_warm_folder_others_may_use_is_refused_in_one_line(cache, monkeypatch, capsys):
    from gptanim import warm

    (cache / "warm").mkdir(parents=True)
    (cache / "warm").chmod(0o755)
    monkeypatch.setenv("GPTANIM_WARM", "1")
    with pytest.raises(GptanimError, match="others may use it"):
        warm.warm_dir()
    one_line_error(capsys, ["preview", "--stop"], "refusing the cache folder")


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_warm_folder_of_another_user_is_refused(cache):
    from gptanim import warm

    (cache / "warm").mkdir(parents=True, mode=0o700)
    os.chown(cache / "warm", 65534, 65534)
    with pytest.raises(GptanimError, match="belongs to another user"):
        warm.warm_dir()


def test_a_cache_folder_others_may_write_in_is_refused(cache, capsys):
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)
    one_line_error(capsys, ["trace", "--prompt", "The wolf", "--generate", "1"], "others may write in it")


def test_the_warm_log_is_never_written_through_a_symbolic_link(cache, tmp_path, monkeypatch):
    """Before the server starts its log is opened: through a link there, another file would be emptied."""
    from gptanim import warm

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (cache / "warm").mkdir(parents=True, mode=0o700)
    (cache / "warm" / "k.log").symlink_to(victim)

    def no_server(*args, **kwargs):
        raise AssertionError("no server may start")

    monkeypatch.setattr(warm.subprocess, "Popen", no_server)
    with pytest.raises(GptanimError, match="symbolic link"):
        warm.server("k")
    assert victim.read_text() == "precious"


# ---------------------------------------------------------------------------------------------------------
# 7, 8, 14. Lecture files: a title with "=", a scene of your own named like a built-in one, a scene twice,
# control characters in [titles], a byte-order mark.


def test_a_deck_title_with_equals_signs_reaches_manim_slides_whole(tmp_path, monkeypatch):
    """manim-slides splits `-ckey=value` at every "=": the title is given with its "=" as an HTML reference."""
    from gptanim import slides

    given = []

    def convert(slides_dir, names, dest, to, *options):
        given.extend(options)
        raise GptanimError("stop here")

    monkeypatch.setattr(slides, "convert", convert)
    (tmp_path / "slides").mkdir()
    (tmp_path / "slides" / "Title.json").write_text(json.dumps({"slides": [{"notes": "hi"}]}))
    with pytest.raises(GptanimError, match="stop here"):
        slides.build_deck(tmp_path / "slides", ["Title"], "E = mc² <b>")
    (title,) = [o for o in given if o.startswith("-ctitle=")]
    assert title.count("=") == 1 and title == "-ctitle=E &#61; mc² &lt;b&gt;"
    assert not [p for p in tmp_path.rglob(".scratch*")]


LECTURES = [  # mine.py (beside the lecture file) defines the classes Title and Mine
    ('scenes = ["mine.py:Title"]', "name of a built-in scene"),
    ('scenes = ["Title", "Softmax", "Title"]', "listed twice"),
    ('scenes = ["mine.py:Mine", "./mine.py:Mine"]', "listed twice"),
    ('[titles]\nTitle = "a\\u0000b"', "control characters"),
    ('[titles]\nTitle = "two\\nlines"', "control characters"),
]


@pytest.mark.parametrize("text, needle", LECTURES, ids=[n for _, n in LECTURES])
def test_lectures_that_would_mix_up_scenes_or_chapters_are_one_line(text, needle, tmp_path, capsys):
    (tmp_path / "mine.py").write_text("class Title:\n    pass\n\n\nclass Mine:\n    pass\n")
    lecture = tmp_path / "l.toml"
    lecture.write_text(text, encoding="utf-8")
    one_line_error(capsys, ["preview", "--lecture", str(lecture), "--out", str(tmp_path / "o")], needle)


@pytest.mark.parametrize(
    "scenes, needle",
    [
        ("Title,Title", "named twice"),
        ("mine.py:Softmax", "built-in"),
        (f"{EXAMPLE}:NextTokenGuess,mine.py:NextTokenGuess", "named twice"),
    ],
)
def test_scenes_on_the_command_line_are_distinct_by_name(scenes, needle, tmp_path, monkeypatch, capsys):
    (tmp_path / "mine.py").write_text("class Softmax:\n    pass\n\n\nclass NextTokenGuess:\n    pass\n")
    monkeypatch.chdir(tmp_path)
    one_line_error(capsys, ["preview", "--scenes", scenes, "--out", str(tmp_path / "o")], needle)


def test_a_lecture_file_with_a_byte_order_mark_is_read(tmp_path):
    from gptanim.lecture import load_lecture

    lecture = tmp_path / "bom.toml"
    lecture.write_bytes('\ufefftitle = "Wölfe"\nscenes = ["Title"]\n'.encode())
    read = load_lecture(lecture)
    assert read.title == "Wölfe" and read.scenes == ["Title"]


# ---------------------------------------------------------------------------------------------------------
# 9, 14. Text that is not UTF-8, a terminal that cannot show a character, a cache that cannot be written.


def test_a_prompt_that_is_not_utf8_is_one_line(capsys):
    prompt = os.fsdecode(b"wolf \xff\xfe")  # as Python hands the command line's bytes over
    one_line_error(capsys, ["trace", "--prompt", prompt], "not UTF-8 text (byte 0xff)")


def test_an_ascii_terminal_gets_escapes_not_a_traceback(tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "GPTANIM_WARM": "0"}
    done = subprocess.run([sys.executable, "-m", "gptanim", "trace", "--prompt", "Crème 王子", "--generate", "1"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "'Cr\\xe8me \\u738b\\u5b50'" in done.stdout and "Traceback" not in done.stderr


def test_a_cache_that_is_a_file_is_one_line_in_every_command(cache, tmp_path, capsys):
    cache.write_text("not a folder")
    for args in (["trace", "--prompt", "The wolf"], ["preview", "--scenes", "Title", "--out", str(tmp_path / "o")]):
        one_line_error(capsys, args, f"the cache folder {cache} is a file")


@pytest.fixture
def small_disk(tmp_path):
    """A tiny file system of its own (mounting needs root): full, or read-only, on demand."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a file system of its own needs root")
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=700", "tmpfs", str(where)],
                             capture_output=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip("cannot mount here")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=True)


def test_a_full_or_read_only_cache_is_one_line_naming_it(small_disk, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GPTANIM_CACHE", str(small_disk))
    fill = os.open(small_disk / "fill", os.O_WRONLY | os.O_CREAT)
    with pytest.raises(OSError, match="No space left"):  # the disk full
        while True:
            os.write(fill, b"\0" * 65536)
    os.close(fill)
    one_line_error(capsys, ["trace", "--prompt", "The full wolf", "--generate", "1"], "No space left on device")
    (small_disk / "fill").unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    # the voice's check came first and called this "piper-tts is broken"
    out = ["--out", str(tmp_path / "o"), "--voice", "joe"]
    one_line_error(capsys, ["preview", "--scenes", "Title", *out], "cannot write to the cache folder")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in a folder of mode 500 (see the test above)")
def test_a_cache_folder_without_write_permission_is_one_line_naming_it(cache, tmp_path, capsys):
    cache.mkdir(mode=0o500)
    try:
        out = ["--out", str(tmp_path / "o"), "--voice", "joe"]
        one_line_error(capsys, ["preview", "--scenes", "Title", *out], "cache folder")
    finally:
        cache.chmod(0o700)


def test_a_disk_filling_while_slides_are_copied_is_one_line(tmp_path, monkeypatch):
    from gptanim import store

    source = tmp_path / "stored"
    (source / "files" / "Title").mkdir(parents=True)
    (source / "files" / "Title" / "a.mp4").write_bytes(b"video")
    (source / "Title.json").write_text(json.dumps({"slides": [{"file": "files/Title/a.mp4"}]}))

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(GptanimError, match="No space left on device") as caught:
        store.copy_slides(source, tmp_path / "deck", "Title")
    assert "\n" not in str(caught.value) and not list((tmp_path / "deck").rglob("*.part"))


# ---------------------------------------------------------------------------------------------------------
# 10. A chat system line far longer than the context is cut to it, keeping its end.


def test_a_long_chat_system_line_is_cut_to_the_context_keeping_its_end(embedded):
    from model import chat
    from model.settings import TraceSettings

    system = "Once the owl was asked about the moon. " * 2500 + "The owl answered at the end."
    settings = TraceSettings(prompt="Where is the key?", chat_system=system).validate()
    start = time.monotonic()
    script = chat.script(settings, embedded.tokenizer, n_ctx=256)
    assert time.monotonic() - start < 5
    assert len(script["ids"]) + script["max_tokens"] <= 256 and script["max_tokens"] == chat.REPLY_TOKENS
    assert script["system_cut"] and not script["user_cut"]
    assert script["lines"][0].endswith("The owl answered at the end.") and "Where is the key?" in script["lines"][1]


# ---------------------------------------------------------------------------------------------------------
# 12. SIGTERM stops a command as Ctrl-C does; an interrupted command leaves no temporary file.


def group_alive(pgid: int) -> bool:
    """Whether a process of the group `pgid` runs (a zombie does not)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def test_sigterm_stops_the_render_and_its_workers_and_leaves_no_temporary_file(tmp_path):
    from gptanim.atomic import TEMPORARY

    out, tmpdir = tmp_path / "out", tmp_path / "tmp"
    tmpdir.mkdir()
    proc = gptanim("render", *LECTURE, "--scenes", "Softmax", "--jobs", "1", "--out", str(out), tmpdir=tmpdir)
    said = []
    for line in proc.stderr:  # the scene is being rendered by a worker
        said.append(line)
        if line.startswith("rendering 1 of 1"):
            break
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGTERM)  # to gptanim alone, as `kill` and `timeout` send it
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, "".join(said) + err
    assert err.strip().splitlines()[-1] == "gptanim render: terminated"
    deadline = time.monotonic() + 5
    while group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not group_alive(proc.pid), "its render worker goes on"
    assert not [p for p in out.rglob(".*") if TEMPORARY.match(p.name)] and os.listdir(tmpdir) == []


def test_workers_and_scratch_are_removed_when_interrupted_while_waiting_for_them(tmp_path):
    from gptanim.pool import ScenePool

    pool = ScenePool(tmp_path, still=True)
    pool.warm(1)
    proc = pool.workers[0][0]
    waiting = proc.wait

    def interrupted(timeout=None):  # Ctrl-C or SIGTERM while the last still's worker is waited for
        proc.wait = waiting
        raise KeyboardInterrupt

    proc.wait = interrupted
    with pytest.raises(KeyboardInterrupt):
        pool.__exit__(None, None, None)
    assert proc.poll() is not None and not pool.scratch.exists()


def test_an_interrupted_deck_conversion_leaves_no_partial_deck(tmp_path, monkeypatch):
    from gptanim import slides

    def interrupted(cmd, **kwargs):  # manim-slides had begun the file when Ctrl-C came
        Path(cmd[cmd.index("--to") - 1]).write_bytes(b"PK half a deck")
        raise KeyboardInterrupt

    monkeypatch.setattr(slides.subprocess, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        slides.convert(tmp_path, ["Title"], tmp_path / "deck.pptx", "pptx")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------------------------------------
# 14. The warm server: a silent connection, its idle time, a bad setting; a Trace file without its contents;
# a display nobody answers at; speaker notes that would be markdown.


@pytest.fixture
def warm_server(cache, monkeypatch):
    from gptanim import warm_server

    monkeypatch.setattr(warm_server, "REQUEST_SECONDS", 0.5, raising=False)
    server = warm_server.Server("k")
    server.idle = 0.2
    return server


def test_a_connection_that_never_sends_does_not_keep_the_warm_server_up(warm_server):
    mine, theirs = socket.socketpair()
    with warm_server.count:  # as `serve` counts an accepted connection
        warm_server.active += 1
    handler = threading.Thread(target=warm_server.handle, args=(theirs,), daemon=True)
    handler.start()
    handler.join(timeout=5)
    alive = handler.is_alive()
    mine.close()
    assert not alive, "the silent connection keeps the server busy"
    time.sleep(0.3)
    assert warm_server.idle_for_long()


def test_the_warm_server_says_its_own_idle_time(warm_server, monkeypatch, capsys):
    from gptanim import warm

    mine, theirs = socket.socketpair()
    warm_server.ready.set()
    with warm_server.count:
        warm_server.active += 1
    mine.sendall(b'{"op": "ready"}\n')
    warm_server.handle(theirs)
    reply = json.loads(mine.makefile("r").readline())
    assert reply["idle"] == 0.2
    # the command reports the server's time, not its own setting
    monkeypatch.setenv("GPTANIM_WARM_IDLE", "60")
    server_side = {"ready": 1, "idle": 120.0}

    class Connection:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def sendall(self, data):
            pass

        def makefile(self, *args, **kwargs):
            import io

            return io.StringIO(json.dumps(server_side) + "\n")

    monkeypatch.setattr(warm, "server", lambda key: Connection())
    said = []
    assert warm.start_only(said.append) == 0
    assert "it stops after 2 min" in said[0], said


@pytest.mark.parametrize("idle", ["nan", "inf", "-5", "0"])
def test_a_warm_idle_time_that_is_no_time_is_refused(idle, monkeypatch):
    from gptanim import warm

    monkeypatch.setenv("GPTANIM_WARM_IDLE", idle)
    with pytest.raises(GptanimError, match="positive number of seconds"):
        warm.idle_seconds()


def test_a_trace_file_of_the_right_format_without_contents_is_one_line(tmp_path, monkeypatch):
    import numpy as np

    from model.trace_data import FORMAT_VERSION, Trace
    from scenes import source

    empty = Trace({}, {"x": np.zeros(1)}, {}).save(tmp_path / "empty.npz")
    doc = json.dumps({"format": FORMAT_VERSION, "meta": {}, "info": {}})
    assert doc in bytes(np.load(empty)["__json__"]).decode()
    with pytest.raises(GptanimError, match="incomplete: no model"):
        Trace.load(empty)
    monkeypatch.setenv("GPTANIM_TRACE", str(empty))
    with pytest.raises(GptanimError, match="is not a gptanim Trace file"):
        source.scene_trace()


def test_present_on_a_display_nobody_answers_at_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DISPLAY", "127.0.0.1:77")  # nothing listens on port 6077
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    one_line_error(capsys, ["present", "--scenes", "Title", "--out", str(tmp_path)], "no X display answers")


def test_speaker_notes_cannot_become_links_or_markup(tmp_path):
    """The speaker view sets its notes as HTML from markdown (the aside's innerHTML, through `marked`): a
    narration's link must stay text. markdown-it stands in for marked, with links of any scheme allowed."""
    import html

    from markdown_it import MarkdownIt

    from gptanim.slides import escaped_slides

    narration = "See [the answer](javascript:alert(1)) or ![x](javascript:y) <b>now</b> & *here*"
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "in" / "Mine.json").write_text(json.dumps({"slides": [{"notes": narration}]}))
    escaped_slides(tmp_path / "in", ["Mine"], tmp_path / "out")
    inserted = json.loads((tmp_path / "out" / "Mine.json").read_text())["slides"][0]["notes"]
    inner = html.escape(html.unescape(inserted), quote=False)  # what the browser's innerHTML gives back
    markdown = MarkdownIt("commonmark")
    markdown.validateLink = lambda url: True
    shown = markdown.render(inner)
    assert "<a " not in shown and "<img" not in shown and "<b>" not in shown and "<em>" not in shown, shown
    assert html.unescape(shown.replace("<p>", "").replace("</p>", "")).strip() == narration
