"""The engine's replacements of manim's internals (`scenes/engine.py`) give what manim's own give: families,
copies, arrow tips, Cairo paths, stills (`tests/test_engine.py`: the rest)."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import numpy as np
import pytest
from manim import (
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    Arrow,
    Axes,
    DecimalNumber,
    Dot,
    DoubleArrow,
    Line,
    Mobject,
    Rectangle,
    VGroup,
)
from manim.camera.camera import Camera
from PIL import Image

from scenes import engine
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
        assert engine.family(mob) == engine.family.original(mob)


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
    with engine.only(engine.mobject_copy):
        ours = mob.copy()
    return ours, mob.copy()


def samples():
    word = make_text("Once upon a time", strut=True, font_size=22)
    shared = Dot()
    group = VGroup(shared, Rectangle(), VGroup(shared, Arrow()))
    held = VGroup(Rectangle(), Dot())  # attributes of other kinds: a list of mobjects held twice, dicts
    held.extra, held.empty, held.again, held.members = {"k": [1, 2]}, {}, held.submobjects, [shared, word]
    return [word, sentence("the {n} tokens", n=(7, "meta.n", "int")), group, Axes(), DecimalNumber(3.25), held,
            Guarded(Dot(), Rectangle())]  # fmt: skip


class Guarded(VGroup):
    """A mobject whose setattr does more than write to its dict: copied by manim's own."""

    def __setattr__(self, name, value):
        super().__setattr__(name, value)


@pytest.mark.parametrize("k", range(7))
def test_a_copy_is_manims_copy(k):
    mob = samples()[k]
    ours, manims = copied_both_ways(mob)
    twin_pairs(ours, manims, {})
    for original, copy_ in zip(mob.get_family(), ours.get_family(), strict=True):
        assert copy_ is not original and copy_.points is not original.points or not len(original.points)
    ours.shift([1.0, 2.0, 0.0]).set_color("#ff0000")  # changing the copy leaves the original as it was
    assert not np.allclose(mob.get_center(), ours.get_center())


@pytest.fixture
def still_worker(monkeypatch):
    """This process drawing stills as a still worker does (the engine's still set); manim as it is again
    afterwards (the scene tests read every frame), and the environment a render job sets (where its beats
    go) as it was."""
    for name in ("GPTANIM_TRACE", "GPTANIM_BEATS_OUT", "GPTANIM_VOICE", "GPTANIM_SLIDES"):
        monkeypatch.setenv(name, "")  # recorded now (set or not), restored after the test
        monkeypatch.delenv(name)
    assert engine.apply("still")
    yield
    engine.restore()


def still(scene_name: str, trace: Path) -> np.ndarray:
    from gptanim import worker

    with tempfile.TemporaryDirectory() as work:
        job = {"scene": scene_name, "trace": str(trace), "workdir": work, "quality": "l"}
        done = worker.render_job(job, True, str(Path(work) / "texts"))
        return np.asarray(Image.open(done["still"])).astype(int)


@pytest.mark.parametrize("scene_name", ["WeightsAndData", "TopKTopP", "Recap"])
def test_a_still_finished_at_once_is_manims_last_frame(scene_name, scene_traces, still_worker):
    """A still worker's still (plays finished at once, drawn once, with every replacement of the engine)
    against manim's own, every play played. Transforms end on the same points, met in another order of
    curves: a few pixels of the edges of glyphs may differ by a little (measured: at most 9 of 255 in one
    pixel of the 21 stills)."""
    fast = still(scene_name, scene_traces["default"])
    with engine.only():
        played = still(scene_name, scene_traces["default"])
    difference = np.abs(fast - played).max(axis=-1)
    assert difference.max() <= 16 and (difference > 8).sum() <= 5


ARROWS = [
    lambda: Arrow(
        ORIGIN, [1.0, 2.0, 0.0], buff=0, color="#ff8800", tip_length=0.14, max_tip_length_to_length_ratio=0.1
    ),
    lambda: Arrow(
        ORIGIN, [0.2, 0.1, 0.0], buff=0.06, stroke_width=3, tip_length=0.14, max_tip_length_to_length_ratio=0.35
    ),
    lambda: DoubleArrow(ORIGIN, [3.0, 0.0, 0.0]),
    lambda: Line(ORIGIN, RIGHT).add_tip(tip_length=0.2),
]


@pytest.mark.parametrize("k", range(len(ARROWS)))
def test_an_arrow_with_a_kept_tip_is_manims_arrow(k):
    with engine.only(engine.unpositioned_tip):
        ours = [ARROWS[k]() for _ in range(2)]  # the second takes the kept tip
    manims = [ARROWS[k]() for _ in range(2)]
    for a, b in zip(ours, manims, strict=True):
        twin_pairs(a, b, {})


def drawn(mobs, builder) -> np.ndarray:
    kept = Camera.set_cairo_context_path
    Camera.set_cairo_context_path = builder
    try:
        camera = Camera(pixel_width=640, pixel_height=360)
        camera.capture_mobjects(mobs)
        return camera.pixel_array.astype(int)
    finally:
        Camera.set_cairo_context_path = kept


def test_a_kept_path_draws_manims_picture():
    """Drawn again unchanged, a kept path gives the same pixels; moved, the same within Cairo's own curve
    tolerance (a tenth of a pixel: edge pixels may differ a little)."""
    word = make_text("Queen − king", font_size=40)
    arrow = Arrow(LEFT, RIGHT + UP)
    for _ in range(4):  # kept from the second drawing on
        ours = drawn([word, arrow], engine.cairo_path)
        assert np.array_equal(ours, drawn([word, arrow], engine.cairo_path.original))
    for shift in ([0.37, -0.21, 0.0], [1e-3, 2e-3, 0.0], [-2.0, 1.0, 0.0]):
        word.shift(shift)
        arrow.shift(shift)
        ours, manims = drawn([word, arrow], engine.cairo_path), drawn([word, arrow], engine.cairo_path.original)
        difference = np.abs(ours - manims).max(axis=-1)
        assert difference.max() <= 32 and (difference > 8).sum() <= 20
    word.set_opacity(0.5)  # a fade changes no point: the kept path is drawn in the new colour
    assert np.array_equal(drawn([word], engine.cairo_path), drawn([word], engine.cairo_path.original))
