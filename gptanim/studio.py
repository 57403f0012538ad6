"""The studio: `gptanim studio`, a local web page where a class types a prompt and sees every scene of its run.

The page (`gptanim/studio_page/`, plain HTML, CSS and JavaScript served from here, nothing from elsewhere)
sends a prompt and its settings; the studio checks them as the command line does (`warm.PreviewRequest`),
runs the model and draws each scene's still with the warm preview's kept workers and model (`Warm`),
and tells the page each still as it is drawn, over server-sent events. Stills are kept by what they show
(`out/.stills`, as `gptanim preview` keeps them), so another temperature redraws only the scenes that show
it. A click on a scene renders its narrated video (kept in `out/.scenes`, as `gptanim render` keeps
them) with its WebVTT subtitles; buttons render the lecture, the deck and the handout.

Requests from several browsers are drawn one at a time, taken in turn from each browser (`FairQueue`), each
told its place; a browser that goes away cancels its waiting work and the scenes not yet started.

Security: it listens on 127.0.0.1 unless `--host` says otherwise (then a token is required, given in the
printed address); a request whose Host or Origin is not the studio's is refused (DNS rebinding); files are
served only by the ids the studio gave them when it made them; a request's settings are limited to what the
page offers (no path of the file system, no model but those listed).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import hmac
import io
import ipaddress
import itertools
import json
import re
import secrets
import shutil
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from gptanim.warm_request import PreviewRequest
from model.errors import GptanimError
from model.settings import SETTINGS

PAGE = Path(__file__).resolve().parent / "studio_page"
ASSETS = {"studio.js": "text/javascript", "studio.css": "text/css"}  # the page's files, by name
MAX_BODY = 16 * 1024  # bytes of a request's JSON
MAX_PROMPT = 2000  # characters: a prompt for a class, well over any context the models here have
FROM_PAGE = ("prompt", "model", "temperature", "seed", "generate", "top_k", "top_p", "theme")  # settings it may set
CLIENT = re.compile(r"[A-Za-z0-9_-]{8,64}")
KEEPALIVE = 2.0  # seconds between the event stream's comments: a closed browser is noticed within this
GRACE = 3.0  # seconds a browser's event stream may be gone (a reload, a reconnect) before its work is cancelled
COOKIE = "gptanim_studio"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclasses.dataclass
class Job:
    client: str
    kind: str  # "stills", "video" or "build"
    request: PreviewRequest
    what: dict = dataclasses.field(default_factory=dict)  # video: scene, trace, quality; build: kind
    id: str = dataclasses.field(default_factory=lambda: secrets.token_hex(6))
    cancelled: threading.Event = dataclasses.field(default_factory=threading.Event)

    def about(self) -> dict:
        """What an event about it says of it: its id, its kind and, for a build, what it builds."""
        return {"job": self.id, "kind": self.kind, "build": self.what.get("kind")}


class FairQueue:
    """Jobs taken in turn from each browser (round robin), each browser's in the order it sent them."""

    def __init__(self):
        self.jobs: dict[str, collections.deque] = {}  # client -> its waiting jobs; the dict's order is the turn
        self.ready = threading.Condition()

    def put(self, job: Job) -> None:
        with self.ready:
            self.jobs.setdefault(job.client, collections.deque()).append(job)
            self.ready.notify()

    def take(self, timeout: float | None = None) -> Job | None:
        with self.ready:
            if not self.ready.wait_for(lambda: any(self.jobs.values()), timeout):
                return None
            client = next(c for c, waiting in self.jobs.items() if waiting)
            waiting = self.jobs.pop(client)  # put back at the end: its next job waits for the others' turns
            job = waiting.popleft()
            self.jobs[client] = waiting
            return job

    def order(self) -> list[Job]:
        """The waiting jobs in the order they will be taken."""
        with self.ready:
            turns = [list(waiting) for waiting in self.jobs.values()]
        return [job for round_ in itertools.zip_longest(*turns) for job in round_ if job is not None]

    def drop(self, client: str, kind: str | None = None) -> list[Job]:
        """Remove a browser's waiting jobs (of `kind`, or all); return them."""
        with self.ready:
            waiting = self.jobs.get(client, collections.deque())
            gone = [j for j in waiting if kind is None or j.kind == kind]
            self.jobs[client] = collections.deque(j for j in waiting if j not in gone)
            return gone


class Said(io.TextIOBase):
    """What a job prints (its phases, a warning), told to its browser a line at a time."""

    def __init__(self, studio: Studio, job: Job):
        super().__init__()
        self.studio, self.job, self.partial = studio, job, ""

    def write(self, text: str) -> int:
        lines = (self.partial + text).replace("\r", "\n").split("\n")
        self.partial = lines.pop()
        for line in filter(str.strip, lines):
            self.studio.send(self.job.client, {**self.job.about(), "type": "log", "text": line.strip()})
        return len(text)

    def isatty(self) -> bool:
        return False


@dataclasses.dataclass
class Browser:
    """One browser's event stream: what is sent to it waits in `events` until it reads it."""

    events: asyncio.Queue = dataclasses.field(default_factory=asyncio.Queue)
    streams: int = 0  # its event streams open now (a reload opens the next before the last is noticed closed)
    left: float = 0.0  # when its last stream closed


class Studio:
    """The work of the page: a queue of jobs drawn one at a time by one thread, with the warm preview's kept
    workers and model; the files made, by id; each browser's events."""

    def __init__(self, base: PreviewRequest, models: list[str]):
        from gptanim.atomic import prepare_output
        from gptanim.choose import pick_scenes
        from gptanim.cli import plan_of, resolved, settings_from, theme_of
        from gptanim.lecture import DEFAULT_LECTURE, load_lecture
        from gptanim.warm_server import Warm
        from scenes.voice import voice_from

        self.base, self.models = base, models  # the studio's command line: what a page does not choose
        self.lecture = load_lecture(Path(base.lecture) if base.lecture else DEFAULT_LECTURE)
        self.scenes = pick_scenes(base.scenes or self.lecture.scenes)
        self.plan = plan_of(self.lecture, self.scenes)  # for the scenes that draw the lecture (Title's road map)
        self.defaults = resolved(base, self.lecture)
        settings_from(base, self.lecture)  # the prompt, temperature… of its command line, before it listens
        theme_of(base, self.lecture)
        voice_from(self.defaults["voice"]).check()
        self.out = Path(base.out)
        self.made = prepare_output(self.out / ".studio")  # subtitles and archives the studio writes itself
        self.warm, self.queue = Warm(), FairQueue()
        self.files: dict[str, Path] = {}  # id -> a file the studio made or drew; nothing else is served
        self.ids: dict[Path, str] = {}
        self.browsers: dict[str, Browser] = {}
        self.running: Job | None = None
        self.lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopping = threading.Event()
        self.worker = threading.Thread(target=self.work, daemon=True)

    # --- the page's side (the event loop's thread) ---

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        threading.Thread(target=self.warm.warm_up, args=(sys.__stderr__,), daemon=True).start()
        self.worker.start()

    def stop(self) -> None:
        self.stopping.set()
        self.warm.cancel()
        self.worker.join(timeout=120)
        self.warm.close()

    def browser(self, client: str) -> Browser:
        with self.lock:
            return self.browsers.setdefault(client, Browser())

    def send(self, client: str, event: dict) -> None:
        """Tell a browser `event` (from any thread)."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.browser(client).events.put_nowait, event)

    def opened(self, client: str) -> Browser:
        browser = self.browser(client)
        browser.streams += 1
        return browser

    async def closed(self, client: str) -> None:
        """A browser's event stream closed: its work is cancelled unless it comes back within GRACE seconds."""
        browser = self.browser(client)
        browser.streams -= 1
        browser.left = time.monotonic()
        await asyncio.sleep(GRACE)
        if browser.streams == 0 and time.monotonic() - browser.left >= GRACE:
            self.cancel(client)
            with self.lock:
                self.browsers.pop(client, None)

    def cancel(self, client: str, kind: str | None = None) -> None:
        """A browser's waiting jobs (of `kind`) dropped, and its running one told to stop."""
        for job in self.queue.drop(client, kind):
            job.cancelled.set()
        running = self.running
        if running is not None and running.client == client and kind in (None, running.kind):
            running.cancelled.set()
            self.warm.cancel()  # the still workers start no other scene
        self.tell_places()

    def submit(self, job: Job) -> int:
        """Queue a job; how many jobs are before it (0: it is next, or running)."""
        if job.kind == "stills":  # a new prompt or setting replaces the browser's last one
            self.cancel(job.client, "stills")
        self.queue.put(job)
        self.tell_places()
        busy = 1 if self.running is not None and self.running is not job else 0
        return next((i + busy for i, j in enumerate(self.queue.order()) if j is job), 0)  # 0: taken already

    def tell_places(self) -> None:
        """Each waiting job's browser told how many jobs are before it."""
        busy = 1 if self.running is not None else 0
        for place, job in enumerate(self.queue.order()):
            self.send(job.client, {"type": "queue", "job": job.id, "kind": job.kind, "ahead": place + busy})

    def request(self, settings) -> PreviewRequest:
        """The studio's own settings with those a page chose, checked as the command line checks them."""
        from gptanim.cli import settings_from

        if not isinstance(settings, dict):
            raise GptanimError("the settings must be a JSON object")
        for name in settings:
            if name not in FROM_PAGE:
                raise GptanimError(f"the studio does not take {name!r} from a page (it takes {', '.join(FROM_PAGE)})")
        prompt = settings.get("prompt")
        if isinstance(prompt, str) and len(prompt) > MAX_PROMPT:
            raise GptanimError(
                f"the prompt is {len(prompt):,} characters long; the studio takes at most {MAX_PROMPT:,}"
            )
        model = settings.get("model")
        if model not in (None, "", "embedded", *self.models):
            raise GptanimError(f"unknown model {model!r}; the studio offers {', '.join(['embedded', *self.models])}")
        chosen = {k: v for k, v in settings.items() if k == "prompt" or v not in ("", None)}
        request = PreviewRequest.from_json({**dataclasses.asdict(self.base), **chosen})
        settings_from(request, self.lecture)  # the prompt, the temperature, top-k and top-p, as the command checks
        return request

    def scene(self, name) -> str:
        if name not in {e.name for e in self.scenes}:
            raise GptanimError(f"unknown scene {name!r}")
        return name

    def trace_file(self, file_id) -> Path:
        path = self.files.get(file_id) if isinstance(file_id, str) else None
        if path is None or path.suffix != ".npz":
            raise GptanimError("no such run: draw the prompt's stills first")
        return path

    def offer(self, path: Path) -> str:
        """The id a file the studio made is served by."""
        path = path.resolve()
        with self.lock:
            if path not in self.ids:
                self.ids[path] = secrets.token_urlsafe(12)
                self.files[self.ids[path]] = path
            return self.ids[path]

    def url(self, path: Path) -> str:
        return f"/file/{self.offer(path)}/{path.name}"

    def options(self) -> dict:
        """What the page offers: the settings with their defaults, the models, the scenes in lecture order."""
        from gptanim.render import QUALITIES

        shown = {s.name: self.defaults[s.name] for s in SETTINGS if s.name in FROM_PAGE}
        shown["model"] = shown["model"] or "embedded"
        return {"settings": shown, "models": ["embedded", *self.models], "qualities": QUALITIES,
                "quality": self.defaults["quality"], "title": self.lecture.title, "max_prompt": MAX_PROMPT,
                "scenes": [{"name": e.name, "title": self.lecture.title_of(e), "part": e.part,
                            "temperature": e.uses_temperature} for e in self.scenes]}  # fmt: skip

    def claims(self, file_id: str) -> list[dict]:
        """Every statement the scenes make about a run, with its rule and evidence."""
        from model.claims import statements
        from model.trace_data import Trace

        found = statements(Trace.load(self.trace_file(file_id)))
        return [{"key": s.key, "text": s.text, "details": s.describe().split("\n")[1:]} for s in found.values()]

    # --- the work (one thread) ---

    def work(self) -> None:
        from gptanim.atomic import output_lock
        from gptanim.warm_server import routed

        while not self.stopping.is_set():
            job = self.queue.take(timeout=0.5)
            if job is None or job.cancelled.is_set():
                continue
            self.running = job
            self.tell_places()
            said = Said(self, job)
            self.warm.cancel(False)
            try:
                with routed(said, said, drawing=True), output_lock(self.out):
                    getattr(self, job.kind)(job)
            except GptanimError as exc:
                if not job.cancelled.is_set():  # cancelled: its browser asked for another, or is gone
                    self.send(job.client, {**job.about(), "type": "error", "text": str(exc)})
            except Exception as exc:  # noqa: BLE001 - the studio's fault: said in one line, kept in its log
                import traceback

                traceback.print_exc(file=sys.__stderr__)
                self.send(job.client, {**job.about(), "type": "error",
                                       "text": f"{type(exc).__name__}: {exc}".splitlines()[0]})  # fmt: skip
            finally:
                self.warm.settle()
                self.running = None
                self.tell_places()

    def stills(self, job: Job) -> None:
        """The run of the prompt, then every scene's still, each told to the browser as soon as it is there:
        those kept from before at once, the others as they are drawn: the lightest first (a picture soon) beside
        the longest, then the rest longest first, so that the last to finish are short ones. The scenes that show
        a section of the Trace (the chatbot's reply, the learning record: each more passes of the model) wait
        for it to be added, while the first ones are drawn; then they take their turn by length."""
        from gptanim.atomic import move_into_place, prepare_output
        from gptanim.cli import lecture_trace, theme_of
        from gptanim.keys import scene_key

        request, started = job.request, time.monotonic()
        theme, names = theme_of(request, self.lecture), [e.name for e in self.scenes]
        self.send(job.client, {"type": "plan", "job": job.id, "scenes": self.options()["scenes"]})
        store, pool = prepare_output(self.out / ".stills"), self.warm.pool(theme)
        futures, waiting, drawn, before = {}, [], 0, None
        with ThreadPoolExecutor(max_workers=request.jobs) as drawers:
            try:
                for sections in ((), None):  # None: those the lecture's scenes show
                    entries = [e for e in self.scenes if bool(e.sections) == (sections is None)]
                    if not entries:
                        continue
                    _, trace, trace_file = lecture_trace(request, self.warm.load, names, sections)
                    if sections == () and len(entries) < len(self.scenes):
                        # A render worker reads a Trace file once (scenes/source.py): the scenes drawn before the
                        # sections are added read a copy, and the file itself is read with them.
                        before = self.made / f"{trace_file.stem}.before-sections.npz"
                        move_into_place(trace_file, before)
                        trace_file = before
                    keys = {e.name: scene_key(e, trace, "still", "none", theme, lecture=self.plan) for e in entries}
                    stored = {name: store / f"{name}-{key}.png" for name, key in keys.items()}
                    todo = [(e, trace_file, stored[e.name]) for e in entries if not stored[e.name].exists()]
                    for entry in entries:
                        if stored[entry.name].exists():
                            self.show(job, entry.name, stored[entry.name])
                    drawn += len(todo)
                    waiting = sorted(waiting + todo, key=lambda w: -w[0].render_weight)
                    if not futures and waiting:  # the lightest first (a picture soon) and the longest beside it
                        for work in [waiting.pop(), *waiting[: request.jobs - 1]]:
                            futures[drawers.submit(self.draw, job, *work, pool)] = work[0]
                        waiting = waiting[request.jobs - 1 :]
                for work in waiting:  # the rest, longest first: those showing a section among them, not after
                    futures[drawers.submit(self.draw, job, *work, pool)] = work[0]
                for future in as_completed(futures):
                    self.show(job, futures[future].name, future.result())
            except BaseException:
                self.warm.cancel()
                raise
            finally:
                drawers.shutdown()  # the scenes being drawn finished before the copy goes
                if before is not None:
                    before.unlink(missing_ok=True)
        self.send(job.client, {"type": "done", "job": job.id, "trace": self.offer(trace_file), "drawn": drawn,
                               "seconds": round(time.monotonic() - started, 2)})  # fmt: skip

    def draw(self, job: Job, entry, trace_file: Path, final: Path, pool) -> Path:
        from gptanim.render import render_still

        if job.cancelled.is_set():
            raise GptanimError("cancelled")
        return render_still(entry, trace_file, final, pool, beats=True, lecture=self.plan)

    def show(self, job: Job, name: str, still: Path) -> None:
        self.send(job.client, {"type": "still", "job": job.id, "name": name, "url": self.url(still)})

    def video(self, job: Job) -> None:
        """A scene's narrated video at 480p, then at the quality asked for, each with its WebVTT subtitles;
        kept in `out/.scenes` by what it shows, as `gptanim render` keeps them (and reuses them)."""
        from gptanim.atomic import prepare_output, write_text
        from gptanim.cli import resolved, theme_of
        from gptanim.keys import scene_key
        from gptanim.narration import for_scene
        from gptanim.pool import ScenePool
        from gptanim.render import QUALITIES, render_scene
        from gptanim.store import complete
        from gptanim.subtitles import lecture_cues, vtt
        from model.trace_data import Trace

        name, trace_file = job.what["scene"], job.what["trace"]
        entry = next(e for e in self.scenes if e.name == name)
        trace, theme = Trace.load(trace_file), theme_of(job.request, self.lecture)
        voice, narration = resolved(job.request, self.lecture)["voice"], for_scene(self.lecture.narration, name)
        store = prepare_output(self.out / ".scenes")
        for quality in dict.fromkeys(["l", job.what["quality"]]):
            if job.cancelled.is_set():
                raise GptanimError("cancelled")
            final = store / f"{name}-{scene_key(entry, trace, quality, voice, theme, narration, self.plan)}.mp4"
            if not complete(final):
                self.send(job.client, {"type": "rendering", "job": job.id, "name": name, "quality": QUALITIES[quality],
                                       "expected": entry.render_weight * RENDER_FACTOR[quality]})  # fmt: skip
                with ScenePool(store, theme=theme) as pool:
                    render_scene(entry, trace_file, final, quality, pool, voice, narration, self.plan)
            subtitles = self.made / f"{final.stem}.vtt"
            if not subtitles.exists():
                beats = json.loads(final.with_suffix(".beats.json").read_text(encoding="utf-8"))
                write_text(subtitles, vtt(lecture_cues([beats], [beats["duration"]])))
            self.send(job.client, {"type": "video", "job": job.id, "name": name, "quality": QUALITIES[quality],
                                   "url": self.url(final), "subtitles": self.url(subtitles)})  # fmt: skip

    def build(self, job: Job) -> None:
        """The whole lecture (its video and subtitles), or its deck (an archive of the offline folder), or its
        handout, as `gptanim render` and `gptanim slides` make them."""
        from gptanim.atomic import move_into_place, temporary_name
        from gptanim.cli import render_from, slides_from

        kind, request = job.what["kind"], dataclasses.replace(job.request, quality=job.what["quality"])
        if kind == "lecture":
            folder = render_from(request)[1]["folder"]
            files = [folder / "lecture.mp4", folder / "lecture.vtt"]
        else:
            deck = slides_from(request)
            if kind == "handout":
                files = [deck["pdf"]]
            else:
                archive = self.made / f"{deck['folder'].parent.name}-deck.zip"
                partial = temporary_name(archive)
                made = shutil.make_archive(str(partial.with_suffix("")), "zip", deck["folder"])
                move_into_place(Path(made), archive)
                files = [archive]
        self.send(job.client, {"type": "built", "job": job.id, "kind": kind,
                               "files": [{"name": f.name, "url": self.url(f)} for f in files]})  # fmt: skip


# A scene's render seconds at a quality, as a multiple of its 480p ones (catalog.RENDER_SECONDS): the page's
# progress bar moves by it (measured on the default lecture: 1080p60 took 4.8 times as long as 480p15).
RENDER_FACTOR = {"l": 1.0, "m": 2.2, "h": 4.8, "k": 16.0}


class Guard:
    """ASGI middleware: a request whose Host is not one of the studio's names, or whose Origin is not the
    page's own, is refused (a page elsewhere cannot reach the studio through a name it controls: DNS
    rebinding); with a token (`--host`), a request without it (in the address, then in a cookie) too."""

    def __init__(self, app, hosts: set[str], token: str | None, any_address: int | None = None):
        self.app, self.hosts, self.token, self.any_address = app, hosts, token, any_address

    def allowed_host(self, host: str) -> bool:
        """One of its names; or, listening on every interface (`any_address`, its port), any address: an
        address is not a name that a page elsewhere could point at the studio."""
        if host in self.hosts:
            return True
        name, _, port = host.rpartition(":")
        if self.any_address is None or port != str(self.any_address):
            return False
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            return False
        return True

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "").lower()
        origin = headers.get("origin")
        if not self.allowed_host(host):
            return await refuse(send, 421, f"this is the gptanim studio; the host {host!r} is not its name")
        if origin is not None and origin.lower() != f"http://{host}":
            return await refuse(send, 403, f"requests from {origin!r} are refused")
        if self.token is None:
            return await self.app(scope, receive, send)
        given = dict(pair.split("=", 1) for pair in scope.get("query_string", b"").decode().split("&") if "=" in pair)
        cookies = dict(c.strip().split("=", 1) for c in headers.get("cookie", "").split(";") if "=" in c)
        if hmac.compare_digest(given.get("token", ""), self.token):

            async def with_cookie(message):  # the page's later requests (images, videos) carry it
                if message["type"] == "http.response.start":
                    cookie = f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
                    message = {**message, "headers": [*message["headers"], (b"set-cookie", cookie.encode())]}
                await send(message)

            return await self.app(scope, receive, with_cookie)
        if hmac.compare_digest(cookies.get(COOKIE, ""), self.token):
            return await self.app(scope, receive, send)
        return await refuse(send, 403, "open the studio with the address it printed (with its token)")


async def refuse(send, status: int, text: str) -> None:
    body = (text + "\n").encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def body_of(request) -> dict:
    """A request's JSON object, refused past MAX_BODY (Oversized) or when it is not one (GptanimError)."""
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        raise Oversized
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Oversized
    try:
        given = json.loads(body or b"{}")
    except ValueError:
        raise GptanimError("the request is not JSON") from None
    if not isinstance(given, dict):
        raise GptanimError("the request must be a JSON object")
    return given


def client_of(given: dict) -> str:
    client = given.get("client")
    if not isinstance(client, str) or not CLIENT.fullmatch(client):
        raise GptanimError("the request names no browser (client)")
    return client


def api(handler):
    """A JSON endpoint: bad input is one line (400), an oversized request 413."""
    from starlette.responses import JSONResponse

    async def endpoint(request):
        try:
            return JSONResponse(await handler(request))
        except Oversized:
            return JSONResponse({"error": f"the request is over {MAX_BODY // 1024} KB"}, status_code=413)
        except GptanimError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    return endpoint


def not_ours() -> object:
    from starlette.responses import Response

    return Response("not a file of the studio\n", status_code=404, media_type="text/plain")


class Pages:
    """The studio's answers: its page, the page's files, the files it drew, its event streams and its API."""

    def __init__(self, studio: Studio):
        self.studio = studio

    async def page(self, request):
        from starlette.responses import HTMLResponse

        return HTMLResponse((PAGE / "index.html").read_text(encoding="utf-8"))

    async def asset(self, request):
        from starlette.responses import FileResponse

        name = request.path_params["name"]
        if name not in ASSETS:
            return not_ours()
        return FileResponse(PAGE / name, media_type=ASSETS[name])

    async def served(self, request):
        from starlette.responses import FileResponse

        path = self.studio.files.get(request.path_params["id"])
        if path is None or path.name != request.path_params["name"] or not path.is_file():
            return not_ours()
        return FileResponse(path)

    async def events(self, request):
        from starlette.responses import Response, StreamingResponse

        client = request.query_params.get("client", "")
        if not CLIENT.fullmatch(client):
            return Response("the event stream needs ?client=ID\n", status_code=400, media_type="text/plain")
        browser = self.studio.opened(client)
        studio = self.studio

        async def stream():
            try:
                yield "retry: 1000\n\n"
                while True:
                    try:
                        event = await asyncio.wait_for(browser.events.get(), KEEPALIVE)
                    except TimeoutError:
                        yield ": still here\n\n"
                        continue
                    yield f"data: {json.dumps(event, ensure_ascii=False)}\n\n"
            finally:
                asyncio.get_running_loop().create_task(studio.closed(client))

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    async def options(self, request):
        return self.studio.options()

    async def stills(self, request):
        given = await body_of(request)
        job = Job(client_of(given), "stills", self.studio.request(given.get("settings", {})))
        return {"job": job.id, "ahead": self.studio.submit(job)}

    async def video(self, request):
        given = await body_of(request)
        what = {"scene": self.studio.scene(given.get("scene")), "trace": self.studio.trace_file(given.get("trace")),
                "quality": self.quality_of(given)}  # fmt: skip
        job = Job(client_of(given), "video", self.studio.request(given.get("settings", {})), what)
        return {"job": job.id, "ahead": self.studio.submit(job)}

    async def build(self, request):
        given = await body_of(request)
        if given.get("kind") not in ("lecture", "deck", "handout"):
            raise GptanimError("build what? lecture, deck or handout")
        what = {"kind": given["kind"], "quality": self.quality_of(given)}
        job = Job(client_of(given), "build", self.studio.request(given.get("settings", {})), what)
        return {"job": job.id, "ahead": self.studio.submit(job)}

    def quality_of(self, given: dict) -> str:
        from gptanim.render import QUALITIES

        quality = given.get("quality") or self.studio.defaults["quality"]
        if quality not in QUALITIES:
            raise GptanimError(f"invalid quality {quality!r}; choose one of {', '.join(QUALITIES)}")
        return quality

    async def claims(self, request):
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(self.studio.claims, request.path_params["id"])


def application(studio: Studio, hosts: set[str], token: str | None, any_address: int | None = None):
    """The studio's web application (Pages' answers at their addresses), behind its Guard."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.routing import Route

    pages = Pages(studio)
    routes = [
        Route("/", pages.page),
        Route("/static/{name}", pages.asset),
        Route("/file/{id}/{name}", pages.served),
        Route("/events", pages.events),
        Route("/api/options", api(pages.options)),
        Route("/api/stills", api(pages.stills), methods=["POST"]),
        Route("/api/video", api(pages.video), methods=["POST"]),
        Route("/api/build", api(pages.build), methods=["POST"]),
        Route("/api/claims/{id}", api(pages.claims)),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        studio.start(asyncio.get_running_loop())
        try:
            yield
        finally:
            await run_in_threadpool(studio.stop)

    return Guard(Starlette(routes=routes, lifespan=lifespan), hosts, token, any_address)


class Oversized(Exception):
    """A request's body over MAX_BODY."""


def host_names(host: str, port: int) -> set[str]:
    """The Host headers the studio answers to: its loopback names, and with another --host that one and the
    machine's name."""
    names = {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}
    if host not in LOOPBACK:
        shown = f"[{host}]" if ":" in host else host
        names |= {f"{shown}:{port}", f"{socket.gethostname().lower()}:{port}"}
    return names


def local_models() -> list[str]:
    """The models of the Hugging Face cache (those `--model NAME` finds offline)."""
    with contextlib.suppress(Exception):  # no cache, or one it cannot read: the embedded model only
        from huggingface_hub import scan_cache_dir

        return sorted(repo.repo_id for repo in scan_cache_dir().repos if repo.repo_type == "model")
    return []


def serve(values: dict, host: str, port: int, no_browser: bool) -> int:
    """`gptanim studio`: listen, print the address (and open it), serve until Ctrl-C."""
    import uvicorn

    base = PreviewRequest.from_json(values)  # the command line's, checked as a page's request is
    models = sorted({*local_models(), *([base.model] if base.model and base.model != "embedded" else [])})
    studio = Studio(base, models)  # a bad lecture file or setting: one line, before anything listens
    try:
        listener = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        why = (exc.strerror or str(exc)).split(" (while")[0]  # Python adds the address it tried, said here already
        raise GptanimError(f"cannot listen on {host}:{port}: {why}") from None
    port = listener.getsockname()[1]
    token = None if host in LOOPBACK else secrets.token_urlsafe(16)
    shown = socket.gethostname() if host in ("0.0.0.0", "::") else f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    if token:
        print(f"gptanim studio: warning: listening on {host}, open to the network; anyone with the "
              "address below (and its token) can use this studio", file=sys.stderr)  # fmt: skip
    print(f"gptanim studio: {address}  (Ctrl-C stops it)", file=sys.stderr, flush=True)
    if not no_browser:
        import webbrowser

        threading.Timer(0.5, webbrowser.open, args=(address,)).start()
    every = port if host in ("0.0.0.0", "::") else None
    config = uvicorn.Config(application(studio, host_names(host, port), token, every), log_level="warning",
                            access_log=False, timeout_graceful_shutdown=3)  # fmt: skip
    uvicorn.Server(config).run(sockets=[listener])
    return 0


def main(given: str) -> int:
    """`python -m gptanim.studio JSON` (started by `gptanim studio`): the request's values and host, port and
    no_browser; bad input is one line and exit code 2, as the command's."""
    values = json.loads(given)
    where = {name: values.pop(name) for name in ("host", "port", "no_browser")}
    try:
        return serve(values, **where)
    except GptanimError as exc:
        print(f"gptanim studio: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
