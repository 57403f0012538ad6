"""The lecture's subtitles: the narration cut at sentence and clause boundaries into readable cues.

A cue has at most LINES lines of at most LINE characters and is on screen long enough to be read
at CPS characters per second. A spoken beat's cues follow its sentences' timings (from the voice);
a silent beat's caption is cut the same way over the beat's time.
"""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass

LINE, LINES, CPS = 42, 2, 17.0
CLAUSE = re.compile(r"(?<=[,;:—])\s+")


@dataclass
class Cue:
    start: float
    end: float
    text: str  # lines joined by "\n"


def wrapped(text: str) -> list[str]:
    return textwrap.wrap(text, LINE, break_long_words=True)


def balanced(text: str) -> str:
    """Text in at most LINES lines of at most LINE characters, the lines as even as possible."""
    lines = wrapped(text)
    if len(lines) == 2:  # move the break to the word boundary nearest the middle that still fits
        words, best = text.split(), lines
        for i in range(1, len(words)):
            a, b = " ".join(words[:i]), " ".join(words[i:])
            if len(a) <= LINE and len(b) <= LINE and abs(len(a) - len(b)) < abs(len(best[0]) - len(best[1])):
                best = [a, b]
        lines = best
    return "\n".join(lines)


def pieces(text: str) -> list[str]:
    """Cut text into pieces that each fit a cue: at clause boundaries first, else between words."""
    text = " ".join(text.split())
    if len(wrapped(text)) <= LINES:
        return [text]
    middle = len(text) / 2
    for pattern in (CLAUSE, re.compile(r"\s+")):
        cuts = [m.start() for m in pattern.finditer(text)]
        if cuts:
            cut = min(cuts, key=lambda c: abs(c - middle))
            head, tail = text[:cut].strip(), text[cut:].strip()
            if head and tail:
                return pieces(head) + pieces(tail)
    return [text]


def beat_cues(beat: dict, start: float, end: float) -> list[Cue]:
    """Cues for one beat that runs from `start` to `end` (seconds in the lecture)."""
    spans = [(text, start + a, start + b) for text, a, b in beat.get("timings") or []]
    if not spans:
        spans = [(beat["text"], start, end)]
    cues = []
    for text, a, b in spans:
        parts = pieces(text)
        total = sum(len(p) for p in parts) or 1
        t = a
        for part in parts:
            step = (b - a) * len(part) / total
            cues.append(Cue(t, t + step, balanced(part)))
            t += step
    return cues


def readable(cues: list[Cue], limit: float | None = None) -> list[Cue]:
    """Stretch cues that go by faster than CPS into the silence after them, pushing later cues on."""
    for i, cue in enumerate(cues):
        if i and cue.start < cues[i - 1].end:
            shift = cues[i - 1].end - cue.start
            cue.start += shift
            cue.end += shift
        need = cue.start + len(cue.text.replace("\n", " ")) / CPS
        if cue.end < need:
            cue.end = need
    if limit is not None and cues:
        cues[-1].end = max(min(cues[-1].end, limit), cues[-1].start + 0.05)
    return cues


def lecture_cues(docs: list[dict], durations: list[float]) -> list[Cue]:
    """Every scene's beats (`.beats.json` documents) as one list of cues, scene after scene."""
    cues, offset = [], 0.0
    for doc, duration in zip(docs, durations):
        beats = doc["beats"]
        scene = []
        for i, beat in enumerate(beats):
            start = offset + beat["time"]
            end = offset + (beats[i + 1]["time"] if i + 1 < len(beats) else duration)
            if end - start >= 0.05:
                scene += beat_cues(beat, start, end)
        cues += readable(scene, offset + duration)
        offset += duration
    return cues


def timestamp(seconds: float, sep: str = ",") -> str:
    ms = int(round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def srt(cues: list[Cue]) -> str:
    return "\n".join(f"{n}\n{timestamp(c.start)} --> {timestamp(c.end)}\n{c.text}\n" for n, c in enumerate(cues, 1))


def vtt(cues: list[Cue]) -> str:
    """The cues as WebVTT (browsers' <track> and most learning platforms read it). A cue's text is markup in
    WebVTT: `&`, `<` and `>` are escaped, so a prompt's `<b>` is shown as written."""
    import webvtt

    captions = [webvtt.Caption(timestamp(c.start, "."), timestamp(c.end, "."), html.escape(c.text, quote=False))
                for c in cues]  # fmt: skip
    return webvtt.WebVTT(captions=captions).content
