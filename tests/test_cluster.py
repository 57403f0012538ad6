"""Rendering on a Dask cluster (`--cluster`) and `gptanim batch`: a scheduler and two workers started as
separate processes, as on a real cluster; what they render equals a local render byte for byte."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gptanim.batch import read_prompts
from gptanim.cluster import WorkerMismatch, code_hash, render_task, version
from model.errors import GptanimError

distributed = pytest.importorskip("distributed")
ROOT = Path(__file__).resolve().parent.parent
SCENES = "Recap,AttentionFlow,TopKTopP,Title"  # four of the shortest scenes
# The scene rendered alone while its worker is killed: one that does not draw the lecture it is in (Title draws
# its road map, so Title alone is not the Title of the four above).
KILLED = "Recap"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(*args: str, log: Path) -> subprocess.Popen:
    """A process in its own session (killing its group kills its render workers too, as a machine's loss)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the workers import this checkout's gptanim
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip


def start_worker(address: str, log: Path) -> subprocess.Popen:
    return start("distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard", log=log)


def times_sent(client, prefix: str) -> int:
    """How many times the scheduler gave a task whose key starts with `prefix` to a worker."""

    def count(dask_scheduler=None) -> int:  # (a function of no module: sent to the scheduler whole)
        return sum(1 for key, _, finish, *_ in dask_scheduler.transition_log
                   if str(key).startswith(prefix) and finish == "processing")  # fmt: skip

    return client.run_on_scheduler(count)


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two workers on free ports; yields (address, client, workers)."""
    logs = tmp_path_factory.mktemp("dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [start("distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
                   "--dashboard-address", ":0", log=logs / "scheduler.log")]  # fmt: skip
    procs += [start_worker(address, logs / f"worker{i}.log") for i in range(2)]
    client = None
    try:
        client = distributed.Client(address, timeout="60s", set_as_default=False)
        client.wait_for_workers(2, timeout=120)
        yield address, client, procs
    finally:
        if client is not None:
            client.close()
        for proc in procs:
            stop(proc)


def gptanim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gptanim", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)  # fmt: skip


def scene_files(out: Path) -> dict[str, bytes]:
    """Each scene's video, still, beats and slide videos in the lecture folder, and its slides' JSON with the
    folder's own path taken out (the JSON names the files where they are)."""
    files = {}
    for path in sorted(out.glob("*/*")) + sorted(out.glob("*/deck/slides/**/*")):
        if path.is_file() and (path.suffix in (".mp4", ".png", ".json") and path.name[0].isdigit()
                               or "deck" in path.parts):  # fmt: skip
            files[str(path.relative_to(out))] = path.read_bytes().replace(str(out).encode(), b"OUT")
    return files


def stored(out: Path, name: str) -> dict[str, bytes]:
    """A scene's video, still and beats in the scene store (named by its key, the same wherever rendered)."""
    files = {p.name: p.read_bytes() for p in (out / ".scenes").glob(f"{name}-*") if p.suffix in (".mp4", ".png", ".json")
             and not p.name.endswith(".manifest.json")}  # fmt: skip
    assert len(files) == 3, files.keys()
    return files


@pytest.fixture(scope="module")
def local_render(tmp_path_factory, embedded):
    out = tmp_path_factory.mktemp("local")
    done = gptanim("render", "--scenes", SCENES, "--voice", "none", "--jobs", "2", "--out", str(out), "-Q")
    assert done.returncode == 0, done.stderr
    return out


def test_scenes_rendered_on_the_cluster_equal_a_local_render_byte_for_byte(cluster, local_render, tmp_path):
    """Through a shared store (--store): the workers put the files there, the client reads them."""
    address, client, _ = cluster
    shared = tmp_path / "shared"
    done = gptanim("render", "--scenes", SCENES, "--voice", "none", "--cluster", address, "--store",
                   f"file://{shared}", "--out", str(tmp_path / "out"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "rendering 4 of 4 scenes" in done.stderr
    assert len(list(shared.glob("*/files.txt"))) == 4
    here, there = scene_files(local_render), scene_files(tmp_path / "out")
    assert len(here) >= 4 * 3 + 4 and here.keys() == there.keys()
    assert [name for name in here if here[name] != there[name]] == []
    again = gptanim("render", "--scenes", SCENES, "--voice", "none", "--cluster", address, "--out",
                    str(tmp_path / "out"))  # fmt: skip
    assert again.returncode == 0 and "all 4 scenes unchanged" in again.stderr  # a stored scene is never sent


def test_a_worker_killed_mid_render_loses_nothing(cluster, local_render, tmp_path):
    """The worker rendering a scene is killed with its render process; the scheduler gives the task to the
    other worker, and the scene is the same."""
    address, client, procs = cluster
    before = times_sent(client, f"gptanim-video-{KILLED}")  # (earlier tests may have rendered it)
    render = subprocess.Popen([sys.executable, "-m", "gptanim", "render", "--scenes", KILLED, "--voice", "none",
                               "--cluster", address, "--out", str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)  # fmt: skip
    pids = client.run(os.getpid)  # worker address -> its process
    victim = None
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline and render.poll() is None:
        busy = [w for w, keys in client.processing().items() if any(f"gptanim-video-{KILLED}" in str(k) for k in keys)]
        victim = busy[0] if busy else None
        time.sleep(0.2)
    assert victim is not None, "the scene never reached a worker"
    time.sleep(0.5)  # mid-render
    proc = next(p for p in procs if p.pid == pids[victim])
    stop(proc)
    out, err = render.communicate(timeout=300)
    assert render.returncode == 0, err
    assert stored(tmp_path, KILLED) == stored(local_render, KILLED)
    assert times_sent(client, f"gptanim-video-{KILLED}") >= before + 2  # and again on the other
    procs.append(start_worker(address, tmp_path / "worker.log"))  # the next tests have two workers again
    client.wait_for_workers(2, timeout=120)


def test_a_batch_of_three_prompts_is_a_lecture_each_and_an_index(cluster, tmp_path):
    address, client, _ = cluster
    lecture = tmp_path / "small.toml"
    lecture.write_text('title = "A small lecture"\nscenes = ["Recap"]\n', encoding="utf-8")
    prompts = tmp_path / "class.toml"
    prompts.write_text('prompts = ["Once upon a time", {prompt = "The cat sat on", temperature = 0.5}, '
                       '"A dog ran to the"]\n', encoding="utf-8")  # fmt: skip
    out = tmp_path / "out"
    done = gptanim("batch", str(prompts), "--lecture", str(lecture), "--voice", "none", "--cluster", address,
                   "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "rendering 3 of the 3 scenes of 3 lectures (0 stored)" in done.stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    folders = sorted(p.parent for p in out.glob("*/lecture.json"))
    assert len(folders) == 3
    for folder in folders:
        assert json.loads((folder / "lecture.json").read_text())["scenes"] == ["Recap"]
        for target in ("lecture.mp4", "deck/deck.html", "deck/handout.pdf"):
            assert (folder / target).is_file() and f'href="{folder.name}/{target}"' in index
    assert "temperature 0.5" in index
    again = gptanim("batch", str(prompts), "--lecture", str(lecture), "--voice", "none", "--no-deck", "--out", str(out))
    assert again.returncode == 0 and "rendering 0 of the 3 scenes of 3 lectures (3 stored)" in again.stderr


def test_a_worker_with_other_code_refuses_the_task_in_one_line():
    job = {"scene": "Recap", "file": "", "quality": "l", "voice": "none", "narration": {}, "key": "Recap-x"}
    with pytest.raises(WorkerMismatch) as caught:
        render_task(job, b"", "video", "dark", (version(), "0" * 16), None)
    message = str(caught.value)
    assert "\n" not in message and code_hash() in message and "0" * 16 in message


def test_prompt_files_are_checked_line_by_line(tmp_path):
    text = tmp_path / "p.txt"
    text.write_text("first prompt\n\n  second one \n", encoding="utf-8")
    assert read_prompts(text) == [{"prompt": "first prompt"}, {"prompt": "  second one "}]
    bad = tmp_path / "p.toml"
    bad.write_text('prompts = [{prompt = "x", temprature = 1}]\n', encoding="utf-8")
    with pytest.raises(GptanimError, match="prompt 1: unknown setting 'temprature'"):
        read_prompts(bad)
    bad.write_text('prompts = [{prompt = "x", seed = "one"}]\n', encoding="utf-8")
    with pytest.raises(GptanimError, match="setting 'seed' must be a whole number"):
        read_prompts(bad)


def test_a_bad_cluster_address_is_one_line_before_the_model_runs(tmp_path):
    done = gptanim("render", "--cluster", "local:zero", "--out", str(tmp_path))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "local:N" in done.stderr
    done = gptanim("render", "--store", str(tmp_path), "--out", str(tmp_path))
    assert done.returncode == 2 and "give --cluster too" in done.stderr
