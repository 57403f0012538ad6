"""The faster manim internals (`scenes/speedups.py`, `gptanim/stills.py`) give what manim's own give."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import numpy as np
import pytest
from manim import Arrow, Axes, DecimalNumber, Dot, Mobject, Rectangle, VGroup
from PIL import Image

from scenes import base, speedups  # noqa: F401 - importing scenes.base applies the speedups
from scenes.components import sentence
from scenes.text import make_text


def random_family(rng: random.Random, n: int = 40) -> Mobject:
    """A tree of groups with some mobjects placed in two groups at once (manim allows it)."""
    mobs = [VGroup() if rng.random() < 0.4 else Dot() for _ in range(n)]
    root = VGroup()
    for k, mob in enumerate(mobs):
        groups = [root] + [m for m in mobs[:k] if isinstance(m, VGroup) and m is not mob]
        rng.choice(groups).submobjects.append(mob)
        if rng.random() < 0.15:  # the same mobject again, elsewhere
            rng.choice(groups).submobjects.append(mob)
    return root


@pytest.mark.parametrize("seed", range(12))
def test_family_is_manims_family(seed):
    root = random_family(random.Random(seed))
    for mob in [root, *root.submobjects]:
        assert speedups.family(mob) == speedups.family.original(mob)


def twin_pairs(a, b, pairs: dict) -> None:
    """Walk two copies side by side: same classes, same attributes, equal values, and the same sharing
    (an object referred to twice in one is referred to twice in the other, at the same places)."""
    if id(a) in pairs:
        assert pairs[id(a)] is b
        return
    pairs[id(a)] = b
    assert type(a) is type(b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
        assert a.flags.c_contiguous == b.flags.c_contiguous
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            twin_pairs(x, y, pairs)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            twin_pairs(a[k], b[k], pairs)
    elif hasattr(a, "__dict__") and not callable(a):
        assert sorted(vars(a)) == sorted(vars(b))
        for k in vars(a):
            if k != "original_id":
                twin_pairs(vars(a)[k], vars(b)[k], pairs)
    else:
        assert a == b or a is b


def copied_both_ways(mob):
    ours = mob.copy()
    faster = Mobject.__deepcopy__
    Mobject.__deepcopy__ = speedups.mobject_copy.original
    try:
        manims = mob.copy()
    finally:
        Mobject.__deepcopy__ = faster
    return ours, manims


def samples():
    word = make_text("Once upon a time", strut=True, font_size=22)
    shared = Dot()
    group = VGroup(shared, Rectangle(), VGroup(shared, Arrow()))
    return [word, sentence("the {n} tokens", n=(7, "meta.n", "int")), group, Axes(), DecimalNumber(3.25)]


@pytest.mark.parametrize("k", range(5))
def test_a_copy_is_manims_copy(k):
    mob = samples()[k]
    ours, manims = copied_both_ways(mob)
    twin_pairs(ours, manims, {})
    for original, copy_ in zip(mob.get_family(), ours.get_family(), strict=True):
        assert copy_ is not original and copy_.points is not original.points or not len(original.points)
    ours.shift([1.0, 2.0, 0.0]).set_color("#ff0000")  # changing the copy leaves the original as it was
    assert not np.allclose(mob.get_center(), ours.get_center())


@pytest.fixture
def still_worker():
    """This process drawing stills as a still worker does; manim's own drawing back afterwards (the scene
    tests read every frame)."""
    from manim.renderer.cairo_renderer import CairoRenderer

    from gptanim import stills, worker

    play, update_frame = CairoRenderer.play, CairoRenderer.update_frame
    worker.draw_only_the_last_frame()
    stills.apply()
    yield
    CairoRenderer.play, CairoRenderer.update_frame = play, update_frame
    del CairoRenderer.gptanim_stills


def still_both_ways(scene_name: str, trace: Path) -> tuple[np.ndarray, np.ndarray]:
    from gptanim import stills, worker

    pictures = []
    for fast in (True, False):
        stills.ENABLED = fast
        try:
            with tempfile.TemporaryDirectory() as work:
                job = {"scene": scene_name, "trace": str(trace), "workdir": work, "quality": "l"}
                done = worker.render_job(job, True, str(Path(work) / "texts"))
                pictures.append(np.asarray(Image.open(done["still"])).astype(int))
        finally:
            stills.ENABLED = True
    return pictures[0], pictures[1]


@pytest.mark.parametrize("scene_name", ["WeightsAndData", "TopKTopP", "Recap"])
def test_a_still_finished_at_once_is_manims_last_frame(scene_name, scene_traces, still_worker):
    """Transforms end on the same points, met in another order of curves: a few pixels of the edges of
    glyphs may differ by a little (measured: at most 9 of 255 in one pixel of the 21 stills)."""
    fast, played = still_both_ways(scene_name, scene_traces["default"])
    difference = np.abs(fast - played).max(axis=-1)
    assert difference.max() <= 16 and (difference > 8).sum() <= 5
