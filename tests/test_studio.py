"""The studio: its page in a real browser (the system's Chromium, driven by Playwright), and what it refuses.

One studio is started for the module, on a lecture of four scenes (two that show the sampling settings'
continuation, two that do not), and stopped at the end.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import gptanim.studio
from gptanim.studio import MAX_BODY, MAX_PROMPT, FairQueue, Guard, Job, Studio
from gptanim.warm_request import PreviewRequest
from model.errors import GptanimError
from scenes.catalog import BY_NAME

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCENES = ["Tokenization", "PredictSampleRepeat", "Softmax", "Temperature"]
SHOWS_TEMPERATURE = [name for name in SCENES if BY_NAME[name].uses_temperature]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """A running studio: its address and output folder."""
    folder = tmp_path_factory.mktemp("studio")
    lecture = folder / "short.toml"
    lecture.write_text(f'title = "A short lecture"\nscenes = {json.dumps(SCENES)}\n', encoding="utf-8")
    cmd = [sys.executable, "-m", "gptanim", "studio", "--port", "0", "--no-browser", "--jobs", "2",
           "--out", str(folder / "out"), "--lecture", str(lecture)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = proc.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, f"the studio printed no address: {line!r}"
        yield {"port": int(found[1]), "url": found[0], "out": folder / "out"}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def ask(port: int, method: str, path: str, body=None, headers: dict | None = None):
    """One HTTP request as it is written (no client normalises the path): status and text."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    sent = {"Host": f"127.0.0.1:{port}", **({"Content-Type": "application/json"} if data else {}), **(headers or {})}
    conn.request(method, path, body=data, headers=sent)
    response = conn.getresponse()
    return response.status, response.read().decode("utf-8", "replace")


# --- what it refuses (plain HTTP) ---


def test_a_foreign_host_or_origin_is_refused(studio):
    port = studio["port"]
    assert ask(port, "GET", "/")[0] == 200
    assert ask(port, "GET", "/api/options", headers={"Host": f"localhost:{port}"})[0] == 200
    status, text = ask(port, "GET", "/", headers={"Host": f"rebound.example:{port}"})
    assert status == 421 and "not its name" in text
    body = {"client": "abcdefgh1", "settings": {"prompt": "The wolf"}}
    status, text = ask(port, "POST", "/api/stills", body, headers={"Origin": "http://rebound.example"})
    assert status == 403 and "refused" in text


@pytest.mark.parametrize(
    "path",
    ["/file/nothing/etc-passwd", "/static/..%2F..%2Fcli.py", "/static/../../gptanim/cli.py", "/static/index.html",
     "/file/%2E%2E/%2E%2E", "/../../etc/passwd"],
)  # fmt: skip
def test_a_path_outside_the_studio_s_files_is_refused(studio, path):
    status, text = ask(studio["port"], "GET", path)
    assert status == 404
    assert "root:" not in text and "import" not in text


def test_an_oversized_prompt_or_request_is_refused_in_one_line(studio):
    port = studio["port"]
    status, text = ask(
        port, "POST", "/api/stills", {"client": "abcdefgh1", "settings": {"prompt": "a" * (MAX_PROMPT + 1)}}
    )
    assert status == 400
    assert (
        json.loads(text)["error"]
        == f"the prompt is {MAX_PROMPT + 1:,} characters long; the studio takes at most {MAX_PROMPT:,}"
    )
    status, text = ask(port, "POST", "/api/stills", b"{" + b" " * MAX_BODY + b"}")
    assert status == 413 and "KB" in json.loads(text)["error"]


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"prompt": "   "}, "the prompt is empty"),
        ({"prompt": "The wolf", "temperature": "-1"}, "temperature"),
        ({"prompt": "The wolf", "temperature": "warm"}, "argument --temperature: expected a number, got 'warm'"),
        ({"prompt": "The wolf", "top_p": "2"}, "top"),
        ({"prompt": "The wolf", "model": "/etc"}, "unknown model '/etc'"),
        ({"prompt": "The wolf", "out": "/tmp"}, "does not take 'out'"),
    ],
)
def test_settings_are_checked_as_on_the_command_line(studio, settings, needle):
    status, text = ask(studio["port"], "POST", "/api/stills", {"client": "abcdefgh1", "settings": settings})
    error = json.loads(text)["error"]
    assert status == 400 and needle in error and "\n" not in error


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--temperature", "-1"], "temperature must be a finite number ≥ 0"),
        (["-q", "z"], "invalid quality 'z'"),
        (["--prompt", " "], "the prompt is empty"),
        (["--lecture", "/no/such/lecture.toml"], "lecture file not found"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2_before_it_listens(flags, needle):
    done = subprocess.run([sys.executable, "-m", "gptanim", "studio", "--no-browser", "--port", "0", *flags],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and needle in done.stderr, done.stderr
    assert "http://" not in done.stderr


def test_a_token_is_required_when_open_to_a_network():
    """With --host, a request without the token (in its address, or the cookie that address sets) is refused;
    listening on every interface, a Host that is an address is the studio's, a name only if it is its own."""
    answered = []

    async def app(scope, receive, send):
        answered.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guard = Guard(app, {"studio.lan:80"}, "s3cret", any_address=80)

    def call(host: str, query: bytes = b"", cookie: str = ""):
        sent = []
        headers = [(b"host", host.encode())] + ([(b"cookie", cookie.encode())] if cookie else [])
        scope = {"type": "http", "path": "/", "headers": headers, "query_string": query}

        async def send(message):
            sent.append(message)

        asyncio.run(guard(scope, None, send))
        start = sent[0]
        return start["status"], dict(start["headers"]).get(b"set-cookie", b"").decode()

    assert call("studio.lan:80")[0] == 403
    status, cookie = call("studio.lan:80", b"token=s3cret")
    assert status == 200 and cookie.startswith("gptanim_studio=s3cret;") and "HttpOnly" in cookie
    assert call("10.1.2.3:80", cookie="gptanim_studio=s3cret")[0] == 200
    assert call("10.1.2.3:80", b"token=wrong")[0] == 403
    assert call("rebound.example:80", b"token=s3cret")[0] == 421
    assert call("10.1.2.3:81", b"token=s3cret")[0] == 421


def test_browsers_take_turns_in_the_queue():
    """Three jobs of one browser and one of another: the other's goes second, not last."""
    queue = FairQueue()
    request = PreviewRequest.from_json({"prompt": "x", "out": "/tmp"})
    jobs = [Job("a" * 8, "stills", request), Job("a" * 8, "video", request), Job("a" * 8, "build", request),
            Job("b" * 8, "stills", request)]  # fmt: skip
    for job in jobs:
        queue.put(job)
    assert queue.order() == [jobs[0], jobs[3], jobs[1], jobs[2]]
    assert [queue.take(0) for _ in range(4)] == [jobs[0], jobs[3], jobs[1], jobs[2]]
    assert queue.take(0) is None
    queue.put(jobs[1])
    assert queue.drop("a" * 8) == [jobs[1]] and queue.order() == []


def test_a_browser_gone_cancels_its_work_and_one_back_in_time_keeps_it(tmp_path, monkeypatch):
    monkeypatch.setattr(gptanim.studio, "GRACE", 0.05)
    request = PreviewRequest.from_json({"prompt": "x", "out": str(tmp_path)})
    studio = Studio(request, [])
    a, b = "a" * 8, "b" * 8
    running, waiting, other = Job(b, "stills", request), Job(a, "video", request), Job(b, "video", request)
    studio.running = running
    studio.queue.put(waiting)
    studio.queue.put(other)

    async def reload(client: str) -> None:  # its stream closes, and another opens at once
        closing = asyncio.create_task(studio.closed(client))
        studio.opened(client)
        await closing

    studio.opened(a)
    asyncio.run(reload(a))
    assert not waiting.cancelled.is_set() and studio.queue.order() == [waiting, other]
    asyncio.run(studio.closed(a))
    assert waiting.cancelled.is_set() and studio.queue.order() == [other]
    assert not running.cancelled.is_set()
    studio.opened(b)
    asyncio.run(studio.closed(b))
    assert running.cancelled.is_set() and other.cancelled.is_set() and studio.queue.order() == []


def test_a_request_is_checked_as_the_command_line_checks_it():
    made = PreviewRequest.from_json({"prompt": "The wolf", "temperature": "0.5", "seed": 3, "out": "/tmp"})
    assert (made.temperature, made.seed, made.jobs) == (0.5, 3, 1)
    for given, needle in [({"prompt": "x", "out": "/tmp", "jobs": 0}, "--jobs"), ({"prompt": 3, "out": "/tmp"}, "--prompt"),
                          ({"prompt": "x", "out": "/tmp", "run": "rm"}, "unknown setting 'run'"),
                          ({"prompt": "x", "out": "/tmp", "seed": True}, "--seed"), ({"prompt": "x"}, "--out")]:  # fmt: skip
        with pytest.raises(GptanimError, match=re.escape(needle)):
            PreviewRequest.from_json(given)


# --- the page, in a browser ---


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium on this machine (scripts/setup.sh installs it); Playwright cannot download one here")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]
        )
        yield chromium
        chromium.close()


def stills(page) -> dict[str, str]:
    """The stills shown, loaded: scene name (the alt text) -> the picture's address, in the page's order."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#stills img')]
        .filter((img) => img.complete && img.naturalWidth > 0).map((img) => [img.alt, img.getAttribute('src')]))""")


def wait_for_stills(page, changed: dict | None = None, timeout: float = 120) -> dict[str, str]:
    """Every scene's still shown (with `changed`, those of its scenes showing another picture than it says)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = stills(page)
        if list(shown) == SCENES and all(shown[n] != changed[n] for n in changed or {}):
            return shown
        page.wait_for_timeout(100)
    raise AssertionError(f"the stills shown after {timeout} s: {stills(page)}; error: {page.inner_text('#error')!r}")


def test_type_a_prompt_see_every_still_play_a_scene_change_the_temperature(studio, browser):
    page = browser.new_page()
    page.goto(studio["url"])
    page.fill("#prompt", "The wolf said to the girl")
    page.click("#go")
    first = wait_for_stills(page)
    assert page.locator("#stills h2").all_inner_texts() == ["Tokens become vectors", "What a GPT does",
                                                            "From vector to next token"]  # fmt: skip
    assert "claims" not in page.inner_text("#error")
    page.wait_for_function("document.querySelectorAll('#claims-list li').length > 3")
    assert "←" in page.inner_text("#claims-list")  # each statement with where its evidence was read

    # A scene's narrated video, with its WebVTT subtitles and its sound
    page.click('figure[data-name="Tokenization"]')
    page.wait_for_function("document.getElementById('video').readyState >= 1", timeout=120_000)
    track = page.eval_on_selector("#video track", "t => ({kind: t.kind, src: t.src})")
    assert track["kind"] == "subtitles"
    vtt = page.request.get(track["src"]).text()
    assert vtt.startswith("WEBVTT") and "-->" in vtt
    assert page.eval_on_selector("#video", "v => v.duration") > 3
    video = page.request.get(page.eval_on_selector("#video", "v => v.src")).body()
    assert video[4:8] == b"ftyp" and b"mp4a" in video  # an MP4 with AAC sound

    # Another temperature: the scenes showing it are drawn again, the others kept
    page.fill("#temperature", "0.4")
    page.dispatch_event("#temperature", "change")
    second = wait_for_stills(page, changed={name: first[name] for name in SHOWS_TEMPERATURE})
    assert SHOWS_TEMPERATURE and all(second[n] == first[n] for n in SCENES if n not in SHOWS_TEMPERATURE)
    assert "Temperature" in SHOWS_TEMPERATURE and "Tokenization" not in SHOWS_TEMPERATURE

    def picture(src: str) -> bytes:
        return page.request.get(f"http://127.0.0.1:{studio['port']}{src}").body()

    assert picture(second["Temperature"]) != picture(first["Temperature"])  # its bars at the new temperature
    assert picture(second["Tokenization"]) == picture(first["Tokenization"])
    assert "temperature=0.4" in page.url  # the address is the link to share
    page.close()


def test_a_deep_link_shows_its_prompt(studio, browser):
    page = browser.new_page()
    page.goto(studio["url"] + "?prompt=The+king+laughed&temperature=0.7")
    wait_for_stills(page)
    assert page.input_value("#prompt") == "The king laughed" and page.input_value("#temperature") == "0.7"
    page.fill("#prompt", "")
    page.fill("#temperature", "-2")
    page.fill("#prompt", "x")
    page.evaluate("document.getElementById('settings').requestSubmit()")
    page.wait_for_function("!document.getElementById('error').hidden")
    assert "temperature" in page.inner_text("#error")
    page.close()
