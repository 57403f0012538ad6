"""The warm preview: later previews drawn by a background process, the same as in-process, and never stale.

Every server these tests start is stopped at the end of the module (and killed if it would not stop).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from gptanim.keys import fingerprint
from gptanim.warm import source_key
from model.trace_data import Trace

ROOT = Path(__file__).resolve().parent.parent
SCENES = "Title,Tokenization"  # two quick stills: the prompt's tokens, and a scene that does not show it
NO_TORCH = """import sys
from gptanim.cli import main
code = main(sys.argv[1:])
print("torch imported" if "torch" in sys.modules else "torch not imported", file=sys.stderr)
sys.exit(code)
"""


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """The environment of a command that uses the warm preview, in a cache folder of its own (a short path:
    a socket's path is limited); every server started in it is stopped at the end."""
    cache = Path(tempfile.mkdtemp(prefix="gw-"))
    env = {**os.environ, "GPTANIM_WARM": "1", "GPTANIM_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    yield env
    subprocess.run([sys.executable, "-m", "gptanim", "preview", "--stop"], env=env, cwd=ROOT, timeout=120)
    for pid in servers(env):
        os.kill(pid, signal.SIGKILL)
    subprocess.run(["rm", "-rf", str(cache)])


def servers(env: dict) -> list[int]:
    """The warm preview processes of this cache folder that are running (from their logs)."""
    found = []
    for log in (Path(env["GPTANIM_CACHE"]) / "warm").glob("*.log"):
        said = re.search(r"pid (\d+)", log.read_text())
        if said and alive(int(said[1])):
            found.append(int(said[1]))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def gptanim(env: dict, *args: str, extra: dict | None = None) -> subprocess.CompletedProcess:
    """`gptanim preview ARGS` as a user runs it, telling whether torch was imported in the command's process."""
    cmd = [sys.executable, "-c", NO_TORCH, "preview", *args]
    return subprocess.run(cmd, env={**env, **(extra or {})}, cwd=ROOT, capture_output=True, text=True, timeout=600)


def preview_args(prompt: str, out: Path, scenes: str = SCENES, jobs: int = 2) -> list[str]:
    return ["--prompt", prompt, "--scenes", scenes, "--out", str(out), "--jobs", str(jobs)]


def pictures(out: Path) -> dict[str, bytes]:
    """Every still and contact sheet of a preview folder, by name."""
    return {p.name: p.read_bytes() for p in sorted(out.glob("*/preview/*.png"))}


def new_prompt(word: str) -> str:
    return f"The {word} counted {time.time_ns() % 10**9} stones"


def test_the_key_follows_the_code_and_the_model(tmp_path):
    for folder in ("model", "scenes", "gptanim", "assets/fairytale-gpt"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "scenes" / "a.py").write_text("x = 1\n")
    (tmp_path / "assets" / "fairytale-gpt" / "config.json").write_text("{}")
    key = source_key(tmp_path)
    assert source_key(tmp_path) == key
    (tmp_path / "scenes" / "a.py").write_text("x = 2\n")
    assert source_key(tmp_path) != key
    changed = source_key(tmp_path)
    (tmp_path / "assets" / "fairytale-gpt" / "config.json").write_text('{"n_layer": 4}')
    assert source_key(tmp_path) != changed


def test_each_request_s_thread_prints_to_its_own_streams():
    """Two requests printing at once each get only their own lines; a thread working for none (a render
    thread of the preview being drawn) prints to the drawn request's; the rest to the process's own."""
    import io
    import threading

    from gptanim.warm_server import routed

    own_out, own_err = sys.stdout, sys.stderr
    outputs = {name: (io.StringIO(), io.StringIO()) for name in ("drawn", "waiting")}
    started = threading.Barrier(2)

    def request(name: str) -> None:
        with routed(*outputs[name], drawing=name == "drawn"):
            started.wait()
            for i in range(50):
                print(f"{name} {i}")
                print(f"{name} err {i}", file=sys.stderr)
            if name == "drawn":
                render = threading.Thread(target=lambda: print("from a render thread", file=sys.stderr))
                render.start()
                render.join()
            started.wait()

    try:
        threads = [threading.Thread(target=request, args=(name,)) for name in outputs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for name, (out, err) in outputs.items():
            assert out.getvalue() == "".join(f"{name} {i}\n" for i in range(50))
            lines = err.getvalue().splitlines()
            assert lines[:50] == [f"{name} err {i}" for i in range(50)]
            assert lines[50:] == (["from a render thread"] if name == "drawn" else [])
    finally:
        sys.stdout, sys.stderr = own_out, own_err


def test_a_warm_preview_draws_what_the_command_draws_without_torch_here(warm, tmp_path):
    first = gptanim(warm, *preview_args(new_prompt("fox"), tmp_path / "first"))
    assert first.returncode == 0, first.stderr
    assert "could not be used" not in first.stderr
    [server] = servers(warm)
    prompt = new_prompt("wolf")  # the Trace is computed: in this process torch would be imported
    served = gptanim(warm, *preview_args(prompt, tmp_path / "warm"))
    assert served.returncode == 0, served.stderr
    assert served.stderr.splitlines()[-1] == "torch not imported"
    assert servers(warm) == [server]
    # The same preview in the command's own process, with a cache of its own: it computes its own Trace.
    fresh = {"GPTANIM_WARM": "0", "GPTANIM_CACHE": str(tmp_path / "cache")}
    here = gptanim(warm, *preview_args(prompt, tmp_path / "here"), extra=fresh)
    assert here.returncode == 0, here.stderr
    assert here.stderr.splitlines()[-1] == "torch imported"
    assert served.stdout.replace(str(tmp_path / "warm"), "OUT") == here.stdout.replace(str(tmp_path / "here"), "OUT")
    assert sorted(served.stderr.splitlines()[:-1]) == sorted(here.stderr.splitlines()[:-1])  # in any order
    drawn = pictures(tmp_path / "warm")
    assert len(drawn) == 3 and drawn == pictures(tmp_path / "here")
    [made_here] = (tmp_path / "cache" / "traces").glob("*.npz")  # named by the settings, code and weights
    made_warm = Trace.load(Path(warm["GPTANIM_CACHE"]) / "traces" / made_here.name)
    assert fingerprint(made_warm, True) == fingerprint(Trace.load(made_here), True)
    assert gptanim(warm, *preview_args(prompt, tmp_path / "here"), "--no-warm").returncode == 0
    assert servers(warm) == [server]


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--prompt", "   "], "prompt is empty"),
        (["--prompt", "hi", "--scenes", "Nope"], "unknown scene 'Nope'"),
        (["--prompt", "hi", "--temperature", "-1"], "temperature"),
        (["--prompt", "hi", "--model", "./no/such/folder"], "no such folder"),
    ],
)
def test_bad_input_through_the_server_is_one_line_exit_2(warm, tmp_path, args, needle):
    done = gptanim(warm, *args, "--out", str(tmp_path))
    assert done.returncode == 2
    error, said = done.stderr.splitlines()[:-1], done.stderr.splitlines()[-1]
    assert said == "torch not imported" and len(error) == 1 and needle in error[0], done.stderr
    assert error[0].startswith("gptanim preview: error: ")
    assert len(servers(warm)) == 1  # the server is still there


def test_a_bad_idle_time_is_one_line_exit_2(warm, tmp_path):
    done = gptanim(warm, "--prompt", "hi", "--out", str(tmp_path), extra={"GPTANIM_WARM_IDLE": "soon"})
    assert done.returncode == 2
    said = "gptanim preview: error: GPTANIM_WARM_IDLE must be a positive number of seconds, got 'soon'"
    assert done.stderr.splitlines()[0] == said


def test_two_previews_at_once_are_both_drawn(warm, tmp_path):
    gptanim(warm, "--stop")  # both start at once with no server: one starts it, the other waits for it
    prompts = [new_prompt("owl"), new_prompt("hare")]
    cmds = [[sys.executable, "-m", "gptanim", "preview", *preview_args(p, tmp_path / str(i), "Tokenization")]
            for i, p in enumerate(prompts)]  # fmt: skip
    running = [subprocess.Popen(c, env=warm, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for c in cmds]  # fmt: skip
    results = [(p.wait(timeout=600), *p.communicate()) for p in running]
    assert [code for code, _, _ in results] == [0, 0], results
    assert not any("could not be used" in err for _, _, err in results)
    drawn = [pictures(tmp_path / str(i)) for i in range(2)]
    assert [len(d) for d in drawn] == [2, 2] and drawn[0] != drawn[1]  # each its own prompt's tokens
    here = gptanim(warm, *preview_args(prompts[1], tmp_path / "here", "Tokenization"), extra={"GPTANIM_WARM": "0"})
    assert here.returncode == 0 and pictures(tmp_path / "here") == drawn[1]


def test_a_server_killed_mid_preview_is_replaced_by_this_process(warm, tmp_path):
    prompt = new_prompt("bear")
    cmd = [sys.executable, "-m", "gptanim", "preview", *preview_args(prompt, tmp_path / "cut")]
    proc = subprocess.Popen(cmd, env=warm, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    said = []
    for line in proc.stderr:  # plain lines: not a terminal
        said.append(line)
        if line.startswith("drawing the last frame"):
            for pid in servers(warm):
                os.kill(pid, signal.SIGKILL)
            break
    out, rest = proc.communicate(timeout=600)
    assert proc.returncode == 0, "".join(said) + rest
    assert "the warm preview could not be used" in rest and "previewing in this process" in rest
    assert gptanim(warm, *preview_args(prompt, tmp_path / "here"), extra={"GPTANIM_WARM": "0"}).returncode == 0
    assert pictures(tmp_path / "cut") == pictures(tmp_path / "here") and len(pictures(tmp_path / "here")) == 3
    # The killed server left its socket: the next preview finds it stale and starts a new server.
    assert list((Path(warm["GPTANIM_CACHE"]) / "warm").glob("*.sock"))
    again = gptanim(warm, *preview_args(prompt, tmp_path / "again"))
    assert again.returncode == 0 and "could not be used" not in again.stderr
    assert len(servers(warm)) == 1 and pictures(tmp_path / "again") == pictures(tmp_path / "here")


def test_a_render_worker_killed_mid_preview_is_replaced_by_this_process(warm, tmp_path):
    gptanim(warm, "--warm")
    [server] = servers(warm)
    prompt = new_prompt("lynx")
    cmd = [sys.executable, "-m", "gptanim", "preview", *preview_args(prompt, tmp_path / "cut")]
    proc = subprocess.Popen(cmd, env=warm, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if line.startswith("drawing the last frame"):  # both workers are drawing a scene
            workers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and parent(p) == server]
            os.kill(int(workers[0].name), signal.SIGKILL)
            break
    _, rest = proc.communicate(timeout=600)
    assert proc.returncode == 0, rest
    assert "a render worker stopped" in rest and "previewing in this process" in rest
    assert gptanim(warm, *preview_args(prompt, tmp_path / "here"), extra={"GPTANIM_WARM": "0"}).returncode == 0
    assert pictures(tmp_path / "cut") == pictures(tmp_path / "here") and len(pictures(tmp_path / "here")) == 3
    assert servers(warm) == [server]  # it carries on, with a new worker
    again = gptanim(warm, *preview_args(new_prompt("mole"), tmp_path / "again"))
    assert again.returncode == 0 and "could not be used" not in again.stderr, again.stderr


def parent(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def test_ctrl_c_in_the_command_keeps_the_server_and_what_it_drew(warm, tmp_path):
    gptanim(warm, "--warm")
    [server] = servers(warm)
    prompt = new_prompt("crow")
    args = preview_args(prompt, tmp_path / "cut", SCENES + ",Softmax", jobs=1)
    cmd = [sys.executable, "-m", "gptanim", "preview", *args]
    proc = subprocess.Popen(cmd, env=warm, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if line.startswith("preview 1/3 scenes"):  # one still drawn and kept
            proc.send_signal(signal.SIGINT)
            break
    _, rest = proc.communicate(timeout=120)
    assert proc.returncode == 130 and rest.strip().splitlines()[-1] == "gptanim preview: interrupted", rest
    assert servers(warm) == [server]
    again = gptanim(warm, *args)
    assert again.returncode == 0, again.stderr
    drawing = next(line for line in again.stderr.splitlines() if line.startswith("drawing"))
    assert re.search(r"of 3 scenes \([12] unchanged, reused\)", drawing), drawing  # drawn before Ctrl-C: kept
    assert servers(warm) == [server]


def test_other_code_or_settings_replace_the_server(warm, tmp_path):
    gptanim(warm, "--warm")
    [old] = servers(warm)
    done = gptanim(warm, *preview_args(new_prompt("deer"), tmp_path), extra={"GPTANIM_KEY_TEST": "1"})
    assert done.returncode == 0 and "could not be used" not in done.stderr
    deadline = time.monotonic() + 60
    while alive(old) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(old)
    assert len(servers(warm)) == 1


def test_stop_and_the_idle_time(warm):
    gptanim(warm, "--warm")
    assert servers(warm)
    stopped = gptanim(warm, "--stop")
    assert stopped.returncode == 0 and "stopped the warm preview (pid" in stopped.stderr
    assert not servers(warm) and not list((Path(warm["GPTANIM_CACHE"]) / "warm").glob("*.sock"))
    assert "no warm preview is running" in gptanim(warm, "--stop").stderr
    ready = gptanim(warm, "--warm", extra={"GPTANIM_WARM_IDLE": "2"})
    assert ready.returncode == 0 and "the warm preview is ready" in ready.stderr
    deadline = time.monotonic() + 60
    while servers(warm) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not servers(warm) and not list((Path(warm["GPTANIM_CACHE"]) / "warm").glob("*.sock"))
