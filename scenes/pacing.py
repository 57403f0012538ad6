"""Pictures in step with the narration: how long an animation runs beside a beat's words, and a highlight that
travels along what the narrator names."""

from __future__ import annotations

from manim import Create, SurroundingRectangle

from scenes import style


def paced(spoken: float, least: float, share: float = 0.8) -> float:
    """Seconds an animation takes to run beside narration `spoken` seconds long: most of it, never under `least`
    (without a voice, `spoken` is 0 and the animation keeps its own pace)."""
    return max(least, share * spoken)


def travel(scene, items, seconds: float, color=style.NEXT_SLOT, buff: float = 0.04) -> SurroundingRectangle:
    """A highlight drawn round the first of `items`, then moved from one to the next, in `seconds` in all: the
    eye follows what the narrator reads or counts. It stays on screen (the caller clears it)."""
    items = list(items)
    mark = SurroundingRectangle(items[0], buff=buff, color=color)
    step = seconds / len(items)
    scene.play(Create(mark), run_time=min(step, 0.4))
    for item in items[1:]:
        scene.play(mark.animate.become(SurroundingRectangle(item, buff=buff, color=color)), run_time=step)
    return mark
