"""Rendering a scene in this process and checking what it shows against its Trace."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from manim import ManimColor, Text, VMobject, config, tempconfig

import scenes.base
from model.claims import value_at, verify
from scenes.components import FORMATTERS
from scenes.speech import NUMBER, QUOTED
from scenes.style import BACKGROUND, cut
from scenes.voice import reading_time, sentences

EDGE = 0.05  # how close to the frame's edge a text may come
# Words that characterise numbers: on screen only inside a statement of model/claims.py.
CHARACTERISING = re.compile(
    r"\b(aligned|unaligned|unrelated|opposed|orthogonal|repetitive|repeats|repeating|natural|fluent|nonsense|"
    r"gibberish|improbable|dominant|dominates|roughly|same way|look alike|something different|differ|analogy holds|does not hold|"
    r"score higher|near-uniform|confident|uncertain)\b",
    re.IGNORECASE,
)


def render(scene_cls, trace_path: Path, media: Path):
    """Render to the last frame at low quality; return the scene (its mobjects stay inspectable)."""
    os.environ["GPTANIM_TRACE"] = str(trace_path)
    options = {
        "quality": "low_quality",
        "media_dir": str(media),
        "save_last_frame": True,
        "write_to_movie": False,
        "disable_caching": True,
        "progress_bar": "none",
        "verbosity": "WARNING",
        "background_color": BACKGROUND,
    }
    captions, make_caption = [], scenes.base.sentence  # every beat's caption, checked like the last frame

    def recorded(*args, **kwargs):
        captions.append(make_caption(*args, **kwargs))
        return captions[-1]

    scenes.base.sentence = recorded
    try:
        with tempconfig(options):
            scene = scene_cls()
            scene.ever_shown = record_texts(scene)
            scene.render()
            check_pacing(scene)
            check_slides_rest(scene)
            scene.captions = captions
            scene.last_frame = np.array(scene.renderer.get_frame())
            scene.frame_size = (config.frame_width, config.frame_height)
            scene.background = ManimColor(config.background_color)  # the theme's (set by TraceScene)
    finally:
        scenes.base.sentence = make_caption
    return scene


def record_texts(scene) -> dict[int, Text]:
    """Every Text the scene puts on screen, from now to its end (by id): what it showed and later took away."""
    seen, add = {}, scene.add

    def recording(*mobjects):
        for mob in mobjects:
            seen.update((id(m), m) for m in mob.get_family() if isinstance(m, Text))
        return add(*mobjects)

    scene.add = recording
    return seen


def check_pacing(scene) -> None:
    """Every beat is narrated, in words a person would say, and stays up at least its caption's reading time."""
    ends = [b["time"] for b in scene.beats[1:]] + [scene.time]
    for beat, end in zip(scene.beats, ends):
        assert beat["say"], f"beat {beat['title']!r} has no narration"
        assert not re.search(r"\d\.\d{3}|‹|\\x", beat["say"]), beat["say"]  # no raw decimals, no bytes
        assert end - beat["time"] >= reading_time(beat["text"]) - 1e-6, beat


def check_slides_rest(scene) -> None:
    """Every slide (presenter, deck, PPTX, handout) ends on its beat's result: the last animation of no slide is
    one that cleared the picture after its beat had shown it (that clearing starts the next beat's slide)."""
    last = {}
    for slide, clears in scene.plays:
        last[slide] = clears
    ending = [slide for slide, clears in last.items() if clears]
    assert not ending, f"{type(scene).__name__}: slides {ending} end on a cleared picture"


MOST_NUMBERS, MOST_WORDS = 2, 30  # a narrated sentence: one idea, about one number (two at most), a breath long


def check_narration(scene) -> None:
    """Narration as a teacher speaks: short sentences, at most MOST_NUMBERS numbers each (a token's name and a
    model's, GPT-3, are not numbers), no lists strung with semicolons, no double colons, no symbol spelled out."""
    for beat in scene.beats:
        for said in sentences(beat["say"]):
            bare = re.sub(r"GPT-\d", "GPT", QUOTED.sub("token", said))
            numbers = [m.group(0) for m in NUMBER.finditer(bare)]
            assert len(numbers) <= MOST_NUMBERS, (said, numbers)
            assert len(said.split()) <= MOST_WORDS, said
            assert ";" not in said and said.count(":") <= 1 and "W_" not in said, said


def texts(scene) -> list[Text]:
    seen, out = set(), []
    for mob in scene.mobjects:
        for m in mob.get_family():
            if isinstance(m, Text) and id(m) not in seen and m.get_fill_opacity() > 0:
                seen.add(id(m))
                out.append(m)
    return out


def check_numbers(scene, trace, ever: bool = False) -> dict[str, int]:
    """Every number, token and statement on screen equals its Trace value; untagged digits only in
    static labels; characterising words only inside statements, whose evidence must hold. With `ever`, the
    tagged numbers, tokens and statements of every text the scene showed and took away are checked too.

    Returns how many tagged numbers, tokens and statements were checked.
    """
    counts = {"numbers": 0, "tokens": 0, "claims": 0}
    on_screen = texts(scene)
    shown_ids = {id(t) for t in on_screen}
    earlier = [c for c in getattr(scene, "captions", []) if id(c) not in shown_ids]  # captions of earlier beats
    if ever:
        earlier += [t for i, t in scene.ever_shown.items() if i not in shown_ids and getattr(t, "gptanim_text", "")]
    for t in on_screen + earlier:
        remaining = shown_text(t)
        for stmt in getattr(t, "gptanim_claims", []):
            verify(stmt, trace)  # its evidence is this Trace's and its words follow from it
            counts["claims"] += 1
        for path, limit in getattr(t, "gptanim_tokens", []):
            expected = cut(value_at(trace, path), limit)
            assert shown_text(t) == expected, f"token text {shown_text(t)!r} != Trace {path} {expected!r}"
            remaining = ""
            counts["tokens"] += 1
        for path, fmt in getattr(t, "gptanim_numbers", []):
            shown = FORMATTERS[fmt](value_at(trace, path))
            assert shown in remaining, f"{shown_text(t)!r} does not show {path} as {shown!r}"
            remaining = remaining.replace(shown, "", 1)
            counts["numbers"] += 1
        if re.search(r"\d", remaining) and t not in earlier:  # (a caption's definitions may hold digits: "T = 0")
            assert getattr(t, "gptanim_static", False), f"untraced number on screen: {shown_text(t)!r}"
        typed = CHARACTERISING.search(remaining)
        assert typed is None, (
            f"typed characterising word {typed and typed.group()!r} without a statement: {shown_text(t)!r}"
        )
    return counts


def shown_text(t: Text) -> str:
    """The string a Text draws (manim's own `.text` drops the spaces)."""
    return getattr(t, "gptanim_text", t.text)


def check_layout(scene) -> None:
    """No text leaves the frame, no two texts overlap."""
    w, h = scene.frame_size
    boxes = []
    for t in texts(scene):
        if getattr(t, "gptanim_3d", False):
            continue  # placed in 3D and turned to the camera: its frame position depends on the camera
        left, bottom = t.get_corner(np.array([-1, -1, 0]))[:2]
        right, top = t.get_corner(np.array([1, 1, 0]))[:2]
        assert left >= -w / 2 + EDGE and right <= w / 2 - EDGE, f"{shown_text(t)!r} runs off the frame sideways"
        assert bottom >= -h / 2 + EDGE and top <= h / 2 - EDGE, f"{shown_text(t)!r} runs off the frame vertically"
        boxes.append((t, left, right, bottom, top))
    for i, (a, al, ar, ab, at) in enumerate(boxes):
        for b, bl, br, bb, bt in boxes[i + 1 :]:
            dx = min(ar, br) - max(al, bl)
            dy = min(at, bt) - max(ab, bb)
            assert dx <= 0.02 or dy <= 0.02, f"{shown_text(a)!r} overlaps {shown_text(b)!r}"
    check_contrast(scene)


# Text must stand out from the background by this contrast ratio (WCAG's formula). Below the 3:1 of
# STYLE.md on purpose: the numbers of a weight or data vector are dimmer the smaller they are, down to
# about 2.3:1 in both themes (measured on the default lecture); everything else is 3:1 or more.
MIN_TEXT_CONTRAST = 2.2


def luminance(color: ManimColor) -> float:
    rgb = np.asarray(color.to_rgb(), dtype=float)
    linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def contrast(a: ManimColor, b: ManimColor) -> float:
    hi, lo = sorted([luminance(a), luminance(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def check_contrast(scene) -> float:
    """Every glyph of every text on screen stands out from the background; returns the lowest ratio."""
    background, lowest = scene.background, np.inf
    for t in texts(scene):
        for glyph in t.get_family():
            if not isinstance(glyph, VMobject) or not glyph.has_points() or glyph.get_fill_opacity() < 0.05:
                continue  # invisible struts and end bars
            shown = ManimColor(glyph.get_fill_color()).interpolate(background, 1 - glyph.get_fill_opacity())
            ratio = contrast(shown, background)
            assert ratio >= MIN_TEXT_CONTRAST, f"{shown_text(t)!r} is hard to read: contrast {ratio:.2f}:1"
            lowest = min(lowest, ratio)
    return lowest


def shown_paths(scene, ever: bool = False) -> set[str]:
    """The Trace paths of the numbers and tokens on the last frame, or (`ever`) on any frame of the scene."""
    paths = set()
    for t in list(scene.ever_shown.values()) if ever else texts(scene):
        paths |= {p for p, _ in getattr(t, "gptanim_numbers", [])}
        paths |= {p for p, _ in getattr(t, "gptanim_tokens", [])}
    return paths


def loaded_trace(path):
    from model.trace_data import Trace

    return Trace.load(path)


CAP_HEIGHT = 0.73  # DejaVu's capital height, as a share of the invisible bar every struck text and number carries
MIN_CAP_PX = 12  # at 854×480: issue 30's minimum, asked of every scene in both themes (tests/test_theme.py)


def check_text_size(scene, min_px: float = MIN_CAP_PX, height_px: int = 480) -> None:
    """Every text on screen has a capital height of at least `min_px` pixels at 854×480 (rotated or not:
    measured along its invisible end bar, which is as tall as the font's line)."""
    px_per_unit = height_px / scene.frame_size[1]
    for t in texts(scene):
        bar = t.submobjects[-1] if t.submobjects else None
        if bar is None or bar.get_fill_opacity() > 0 or getattr(t, "gptanim_3d", False):
            continue  # no invisible bar to measure by
        cap = CAP_HEIGHT * np.hypot(bar.width, bar.height) * px_per_unit  # a thin bar: its length, turned or not
        assert cap >= min_px - 0.05, f"{shown_text(t)!r}: capitals {cap:.1f} px high, under {min_px} px"


def box(m) -> tuple[float, float, float, float]:
    (left, bottom), (right, top) = m.get_corner(np.array([-1, -1, 0]))[:2], m.get_corner(np.array([1, 1, 0]))[:2]
    return left, right, bottom, top


def check_caption_clear(scene, gap: float = 0.05) -> None:
    """The caption has its own band: no drawn shape (grid cell, arc, image, text) comes within `gap` of it."""
    caption = getattr(scene, "caption", None)
    if caption is None or caption not in scene.mobjects:
        return
    cl, cr, cb, ct = box(caption)
    own = {id(m) for m in caption.get_family()}
    for mob in scene.mobjects:
        for m in mob.get_family():
            if id(m) in own or m.submobjects or len(m.points) == 0:
                continue  # the caption itself, a group (its parts are checked), nothing drawn
            if isinstance(m, VMobject) and max(m.get_fill_opacity(), m.get_stroke_opacity()) == 0:
                continue  # invisible: a text's end bars
            left, right, bottom, top = box(m)
            clear = left > cr + gap or right < cl - gap or bottom > ct + gap or top < cb - gap
            assert clear, f"{type(m).__name__} at ({left:.2f}..{right:.2f}, {bottom:.2f}..{top:.2f}) under the caption"


def stroke_contrast(scene, mob) -> float:
    """The contrast of a line (an arc) against the scene's background, its opacity blended in."""
    shown = ManimColor(mob.get_stroke_color()).interpolate(scene.background, 1 - mob.get_stroke_opacity())
    return contrast(shown, scene.background)
