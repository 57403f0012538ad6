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


class OwnFamily(VGroup):
    """A mobject whose family is of its own kind (the restructuring leaves it to manim's own)."""

    def get_family(self, recurse: bool = True) -> list:
        return [self]


@pytest.mark.parametrize("seed", range(12))
def test_the_mobjects_kept_on_screen_are_manims(seed):
    """What stays on screen when some mobjects are removed (every `add` and `remove`): the same mobjects in
    the same order as manim's own, for families sharing members, removed ones given twice or not on screen,
    with the engine's family walk and without it, and with a mobject whose family is its own."""
    rng = random.Random(seed)
    roots = [random_family(rng, 30) for _ in range(3)]
    if seed % 3 == 0:
        roots.append(OwnFamily(Dot()))
    members = [m for root in roots for m in root.get_family()]
    on_screen = [*roots, *rng.sample(members, 3)]
    for k in (0, 1, 2, 5, 12):
        removed = rng.sample(members, k) + rng.sample(members, min(k, 2)) + [Dot()]
        manims = engine.restructured.original(None, on_screen, removed)
        assert engine.restructured(None, on_screen, removed) == manims
        with engine.only(engine.family):
            assert engine.restructured(None, on_screen, removed) == manims


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


@pytest.mark.parametrize("words", ["Queen − king", "the wolf", "שלום, world", "‹1b›\tx"])
def test_a_kept_struck_text_is_the_one_made_each_time(words):
    """`struck` keeps its text with the bars already invisible and hands out copies: each is what making the
    barred text and hiding its bars each time gives (every attribute of every part)."""
    from scenes import text

    kw = {"font_size": 24, "color": "#ffcc00"}
    made = text.built_text(f"|{text.drawable(words, one_line=True)}|", False, True, kw).copy()
    for bar in (made[0], made[-1]):
        bar.set_fill(opacity=0).set_stroke(opacity=0)
    made.gptanim_text = words
    for _ in range(2):  # made, then kept
        twin_pairs(text.struck(words, **kw), made, {})


class Stage:
    """What `add_mobjects_from_animations` asks of a scene: its mobjects, their families, and `add`."""

    def __init__(self, mobjects):
        self.mobjects, self.added = list(mobjects), []

    def get_mobject_family_members(self):
        from manim.utils.family import extract_mobject_family_members

        return extract_mobject_family_members(self.mobjects)

    def add(self, mob):
        self.added.append(mob)
        self.mobjects.append(mob)


class Moving:
    def __init__(self, mobject, introducer: bool):
        self.mobject, self.introducer = mobject, introducer

    def is_introducer(self) -> bool:
        return self.introducer


@pytest.mark.parametrize("seed", range(8))
def test_the_animated_mobjects_added_are_manims(seed):
    """Each play adds the animated mobjects not on screen (not those an introducer brings in): the same ones,
    in the same order, as manim's own; on screen or not, within a family on screen, given twice, or none."""
    rng = random.Random(seed)
    roots = [random_family(rng, 25) for _ in range(3)]
    if seed % 2:
        roots.append(OwnFamily(Dot()))
    members = [m for root in roots for m in root.get_family()]
    off = [random_family(rng, 6) for _ in range(3)]
    pool = [*members, *off, *(m for o in off for m in o.get_family()), None]
    for _ in range(5):
        moving = [Moving(rng.choice(pool), rng.random() < 0.3) for _ in range(rng.randrange(0, 8))]
        ours, manims = Stage(roots[:2]), Stage(roots[:2])
        engine.add_from_animations(ours, moving)
        engine.add_from_animations.original(manims, moving)
        assert ours.added == manims.added and ours.mobjects == manims.mobjects


def lazy_scene_points(tmp_path: Path, lazy: bool) -> tuple[list, int]:
    """A scene of `.animate` plays as a still draws it: finished at once, played (a rate that does not end at
    1, beside an animation played as manim plays it), one waiting while an updater moves its mobject, one on
    a mobject that already has a target. Its mobjects' final points, and how many targets were made."""
    from manim import DOWN, Circle, Scene, Square, Wait, tempconfig, there_and_back

    made = []

    class Lazy(Scene):
        def construct(self):
            a, b, c, d = Square(), Circle().shift(LEFT), Dot().shift(UP), Rectangle().shift(RIGHT)
            self.add(a, b, c, d)
            self.play(a.animate.shift(RIGHT).scale(0.5), b.animate.set_color("#ff0000"))  # finished at once
            self.play(a.animate(rate_func=there_and_back).rotate(0.4))  # played: its target made
            waiting = c.animate.shift(DOWN)  # made before the wait moves c, as manim made it
            c.add_updater(lambda m, dt: m.shift(0.5 * dt * RIGHT))
            self.play(Wait(0.5))
            c.clear_updaters()
            self.play(waiting)
            d.generate_target()
            d.target.shift(DOWN)
            self.play(d.animate.shift(UP))  # it had a target of its own: made as manim makes it
            self.mobs = [a, b, c, d]

    kept = Mobject.generate_target

    def counted(self, *args, **kwargs):
        made.append(self)
        return kept(self, *args, **kwargs)

    Mobject.generate_target = counted
    options = {"quality": "low_quality", "media_dir": str(tmp_path), "save_last_frame": True,
               "write_to_movie": False, "disable_caching": True, "progress_bar": "none", "verbosity": "WARNING"}  # fmt: skip
    try:
        with tempconfig(options), engine.only(*(
            [engine.lazy_builder, engine.lazy_method, engine.lazy_build, engine.play_for_still] if lazy else
            [engine.play_for_still])):  # fmt: skip
            scene = Lazy()
            scene.render()
    finally:
        Mobject.generate_target = kept
    points = [[m.points.copy() for m in mob.family_members_with_points()] for mob in scene.mobs]
    colors = [mob.get_color().to_hex() for mob in scene.mobs]
    return [points, colors], len(made)


def test_lazy_targets_end_where_made_targets_end(tmp_path):
    """`.animate` in a still makes no target for a play finished at once, and the target manim makes for the
    rest, at the same moment: the mobjects end the same, point for point."""
    ours, made = lazy_scene_points(tmp_path, lazy=True)
    theirs, all_made = lazy_scene_points(tmp_path, lazy=False)
    for a, b in zip(ours[0], theirs[0], strict=True):
        for x, y in zip(a, b, strict=True):
            assert np.array_equal(x, y)
    assert ours[1] == theirs[1]
    assert (all_made, made) == (6, 4)  # (one made by the scene) the rotation, the waiting shift, the one with a target
