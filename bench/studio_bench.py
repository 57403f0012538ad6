"""The studio's timings, side by side in one run (prints; asserts nothing).

    .venv/bin/python bench/studio_bench.py [--clients 10] [--jobs 2]

Starts `gptanim studio` on the default lecture (21 scenes) with a cache folder of its own, and talks to it as
its page does (server-sent events and the JSON API), after one prompt has warmed it up:
- a new prompt: its first still, and all of them, from the moment it is sent; against plain Manim's anchor
  scene (`bench/anchor.py`, 10 s of video) rendered at 480p15 by the `manim` command, before and after;
- the same prompt again (cached): the page complete, every still's picture fetched;
- N browsers sending different prompts at once: each one's stills all there, the longest wait against
  its fair share (N times one prompt's time), and the peak memory of the studio and its workers.
Targets on 2 cores (issue 35): first still ≤ 3 s; all ≤ 2× the anchor; cached ≤ 1 s; 10 browsers all
complete, under 3 GB.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from render_bench import TreeMemory, anchor_ratio  # noqa: E402

TARGET_FIRST, TARGET_ALL_RATIO, TARGET_CACHED, TARGET_MEMORY = 3.0, 2.0, 1.0, 3 * 2**30


class Page:
    """One browser: its event stream read in a thread, each event kept with its time."""

    def __init__(self, port: int, name: str):
        self.port, self.client = port, f"bench-{name}-{os.getpid()}"
        self.events: list[tuple[float, dict]] = []
        self.got = threading.Condition()
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.conn.request("GET", f"/events?client={self.client}")
        self.stream = self.conn.getresponse()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self) -> None:
        for line in self.stream:
            if line.startswith(b"data:"):
                with self.got:
                    self.events.append((time.perf_counter(), json.loads(line[5:])))
                    self.got.notify_all()

    def post(self, path: str, body: dict) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("POST", path, json.dumps({"client": self.client, **body}), {"Content-Type": "application/json"})
        answer = json.loads(conn.getresponse().read())
        if "error" in answer:
            raise SystemExit(f"the studio refused: {answer['error']}")
        return answer

    def stills(self, prompt: str) -> dict:
        """Send a prompt; wait for all its stills, fetch each picture: the seconds to each step."""
        sent = time.perf_counter()
        job = self.post("/api/stills", {"settings": {"prompt": prompt}})["job"]
        with self.got:
            self.got.wait_for(
                lambda: any(e.get("job") == job and e["type"] in ("done", "error") for _, e in self.events)
            )
        mine = [(t, e) for t, e in self.events if e.get("job") == job]
        if mine[-1][1]["type"] == "error":
            raise SystemExit(f"the studio failed: {mine[-1][1]['text']}")
        shown = [(t, e) for t, e in mine if e["type"] == "still"]
        for _, event in shown:  # the page loads each picture
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request("GET", event["url"])
            assert conn.getresponse().read()[:4] == b"\x89PNG"
        return {"first": shown[0][0] - sent, "all": mine[-1][0] - sent, "page": time.perf_counter() - sent,
                "drawn": mine[-1][1]["drawn"], "stills": len(shown),
                "order": [(e["name"], t - sent) for t, e in shown]}  # fmt: skip


def tree_cpu(root: int, alone: bool = False) -> float:
    """CPU seconds (user + system) of process `root` and all its descendants now running, with the children
    each has reaped: the studio, its model runs and its render workers (with `alone`, all but the workers)."""
    ticks, parents, used = os.sysconf("SC_CLK_TCK"), {}, {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
                used[int(entry.name)] = sum(int(f) for f in fields[11:15]) / ticks  # utime stime cutime cstime
            except (OSError, ValueError, IndexError):
                pass
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in tree} - tree
        tree |= more
        grew = bool(more)
    if alone:
        tree = {pid for pid in tree if b"gptanim.worker" not in read_bytes(f"/proc/{pid}/cmdline")}
    return sum(used.get(pid, 0.0) for pid in tree)


def read_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:
        return b""


def start(out: Path, jobs: int) -> tuple[subprocess.Popen, int]:
    cmd = [sys.executable, "-m", "gptanim", "studio", "--port", "0", "--no-browser", "--jobs", str(jobs),
           "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True)
    found = re.search(r":(\d+)/", proc.stderr.readline())
    if not found:
        raise SystemExit("the studio did not start")
    return proc, int(found[1])


def screenshot(port: int, prompt: str, path: Path) -> None:
    """The page of `prompt` (its stills kept from before) in the system's Chromium, with a scene's video."""
    from urllib.parse import urlencode

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/?{urlencode({'prompt': prompt})}")
        page.wait_for_function("document.querySelectorAll('#claims-list li').length > 3", timeout=600_000)
        page.click('figure[data-name="Softmax"]')
        page.wait_for_function("document.getElementById('video').readyState >= 2", timeout=600_000)
        page.evaluate("v => { v.pause(); v.currentTime = v.duration * 0.6; }", page.query_selector("#video"))
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(path))
        browser.close()


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=10, help="browsers sending prompts at once")
    parser.add_argument("--jobs", type=int, default=2, help="stills drawn at once (the studio's --jobs)")
    parser.add_argument("--screenshot", type=Path, help="also save the page of the cached prompt here (PNG)")
    options = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    os.environ["GPTANIM_CACHE"] = str(scratch / "cache")
    stamp = time.time_ns() % 10**8
    with TreeMemory() as memory:
        proc, port = start(scratch / "out", options.jobs)
        try:
            page = Page(port, "one")
            warming = page.stills(f"The miller's daughter {stamp} spun straw")
            print(
                f"warming up (torch, the model, the workers' texts): {warming['all']:.1f} s, {warming['stills']} stills"
            )
            before = anchor_ratio("l", scratch)
            cpu, own = tree_cpu(proc.pid), tree_cpu(proc.pid, alone=True)
            new = page.stills(f"The wolf {stamp} knocked at the door")
            new_cpu, new_own = tree_cpu(proc.pid) - cpu, tree_cpu(proc.pid, alone=True) - own
            cpu = tree_cpu(proc.pid)
            cached = page.stills(f"The wolf {stamp} knocked at the door")
            cached_cpu = tree_cpu(proc.pid) - cpu
            after = anchor_ratio("l", scratch)
            anchor_before, anchor_after = before[0] * 10, after[0] * 10
            anchor_cpu = (before[1] + after[1]) * 5
            if options.screenshot:
                screenshot(port, f"The wolf {stamp} knocked at the door", options.screenshot)
            anchor = (anchor_before + anchor_after) / 2
            warm_peak = memory.peak
            pages = [Page(port, f"c{i}") for i in range(options.clients)]
            results: list[dict | None] = [None] * options.clients

            def one(i: int) -> None:
                results[i] = pages[i].stills(f"Child {i} of {stamp} found a golden key")

            started = time.perf_counter()
            threads = [threading.Thread(target=one, args=(i,)) for i in range(options.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            crowd = time.perf_counter() - started
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:  # a very busy machine: the numbers are still printed
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    complete = [r for r in results if r and r["stills"] == warming["stills"]]
    longest = max(r["all"] for r in complete) if complete else float("nan")
    share = options.clients * new["all"]
    firsts = ", ".join(f"{r['first']:.0f}" for r in complete)
    gb = 2**30
    print(
        f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min) on {os.cpu_count()} cores"
    )
    print(f"plain Manim anchor, 10 s at 480p15: {anchor_before:.2f} s before, {anchor_after:.2f} s after")
    print(
        f"new prompt, first still: {new['first']:.2f} s (target {TARGET_FIRST:g} s: {verdict(new['first'], TARGET_FIRST)})"
    )
    print(f"new prompt, all {new['stills']} stills: {new['all']:.2f} s = {new['all'] / anchor:.2f}x the anchor "
          f"(target {TARGET_ALL_RATIO:g}x: {verdict(new['all'] / anchor, TARGET_ALL_RATIO)}); "
          f"page with every picture {new['page']:.2f} s")  # fmt: skip
    print(
        f"new prompt, CPU seconds of the studio and its workers: {new_cpu:.2f} s = {new_cpu / anchor_cpu:.2f}x the "
        f"anchor's {anchor_cpu:.2f} CPU s ({new_own:.2f} s of them outside the render workers: the model, the page)"
    )
    print("new prompt, each still (s after sending): " + ", ".join(f"{n} {t:.1f}" for n, t in new["order"]))
    print(f"cached prompt, page complete: {cached['page']:.2f} s (target {TARGET_CACHED:g} s: "
          f"{verdict(cached['page'], TARGET_CACHED)}); {cached['drawn']} stills drawn; {cached_cpu:.2f} CPU s")  # fmt: skip
    if options.clients:  # (--clients 0: one browser only, for the timings of one prompt)
        print(f"{options.clients} browsers at once: {len(complete)} of {options.clients} complete in {crowd:.1f} s; "
              f"longest wait {longest:.1f} s = {longest / share:.2f}x its fair share ({options.clients} x one "
              f"prompt's {new['all']:.1f} s); first stills after {firsts} s")  # fmt: skip
    print(f"memory peak (the studio, its workers, this bench): {warm_peak / gb:.2f} GB warm, {memory.peak / gb:.2f} GB "
          f"with {options.clients} browsers (target 3 GB: {verdict(memory.peak, TARGET_MEMORY)}); "
          f"largest process {memory.peak_one / gb:.2f} GB")  # fmt: skip
    subprocess.run(["rm", "-rf", str(scratch)])


if __name__ == "__main__":
    main()
