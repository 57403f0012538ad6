"""Pictures in step with the voice: when each sentence of the current beat is said, how long an animation runs
beside a beat's words, and a highlight that travels along what the narrator names (no torch).

A beat's narration is spoken sentence by sentence; `cue(scene, k)` holds the picture until sentence k starts,
so that what the sentence names appears while it is said, and `said_by(scene, k)` is how long until it ends, to
spread one animation over it. Without audio (a silent render, the tests) the beat's caption time is shared
among its sentences by their length, so the picture keeps the same order and proportions. `paced` sizes an
animation to a whole beat's narration; `travel` moves a highlight from one named thing to the next.
"""

from __future__ import annotations

import math

from manim import Create, SurroundingRectangle, config

from scenes import style
from scenes.voice import sentences


def spoken(scene) -> list[tuple[float, float]]:
    """(start, end) in scene time of each sentence of the current beat."""
    if not scene.beats:
        return []
    beat = scene.beats[-1]
    if beat["timings"]:
        return [(beat["time"] + a, beat["time"] + b) for _, a, b in beat["timings"]]
    parts = sentences(beat["say"]) or [beat["text"]]
    total = max(scene.hold_until - beat["time"], 0.0)
    chars = sum(len(p) for p in parts) or 1
    out, t = [], beat["time"]
    for p in parts:
        out.append((t, t + total * len(p) / chars))
        t = out[-1][1]
    return out


def cue(scene, k: int) -> None:
    """Hold the picture until sentence k of the current beat begins (at once if it has begun, or there is none)."""
    times = spoken(scene)
    if not times:
        return
    start = times[min(k, len(times) - 1)][0]
    frames = math.floor((start - scene.time) * config.frame_rate + 1e-6)
    if frames > 0:
        scene.wait(frames / config.frame_rate)


def said_by(scene, k: int = -1, least: float = 0.5) -> float:
    """Seconds from now until sentence k of the current beat ends (the last by default), at least `least`."""
    times = spoken(scene)
    if not times:
        return least
    return max(least, times[k if k < 0 else min(k, len(times) - 1)][1] - scene.time)


def dim(mob):
    """A highlight that has done its work fades out within its beat: a mark, not content, so it need not wait for
    the narration to end as content leaving the screen does (it stays, invisible, until the scene ends)."""
    return mob.animate.set_opacity(0)


def paced(audio: float, least: float, share: float = 0.8) -> float:
    """Seconds an animation takes to run beside narration `audio` seconds long: most of it, never under `least`
    (without a voice, `audio` is 0 and the animation keeps its own pace)."""
    return max(least, share * audio)


def travel(scene, items, seconds: float, color=style.NEXT_SLOT, buff: float = 0.04) -> SurroundingRectangle:
    """A highlight drawn round the first of `items`, then moved from one to the next, in `seconds` in all: the
    eye follows what the narrator reads or counts. It stays on screen (the caller clears it)."""
    items = list(items)
    mark = SurroundingRectangle(items[0], buff=buff, color=color)
    step = seconds / len(items)
    scene.play(Create(mark), run_time=min(step, 0.4))
    for item in items[1:]:  # a quick move, then a hold: the box is seen on one item, not between two
        move = min(step, 0.2)
        scene.play(mark.animate.become(SurroundingRectangle(item, buff=buff, color=color)), run_time=move)
        if step > move:
            scene.wait(step - move)
    return mark
