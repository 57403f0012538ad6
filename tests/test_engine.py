"""The engine (`scenes/engine.py`): applied only where asked, only on the manim it was written for, and each
replacement giving what manim's own gives (those not compared here: `tests/test_speedups.py`,
`tests/test_fast_text.py`, `tests/test_kept_shapes.py`)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    Circle,
    Dot,
    FadeIn,
    FadeOut,
    Indicate,
    Line,
    MoveAlongPath,
    ReplacementTransform,
    Scene,
    Square,
    Transform,
    VMobject,
    Write,
    tempconfig,
)
from manim.scene.scene_file_writer import SceneFileWriter

from scenes import engine
from scenes.text import make_text

ROOT = Path(__file__).resolve().parent.parent


def test_the_engine_is_written_for_the_manim_the_project_pins():
    pins = re.findall(r"^manim==(\S+)$", (ROOT / "constraints.txt").read_text(), re.MULTILINE)
    assert pins == [engine.WRITTEN_FOR]
    low, high = re.search(r'"manim>=([\d.]+),<([\d.]+)"', (ROOT / "pyproject.toml").read_text()).groups()
    version = tuple(int(p) for p in engine.WRITTEN_FOR.split("."))
    assert tuple(int(p) for p in low.split(".")) <= version < tuple(int(p) for p in high.split("."))


def manims_attributes() -> dict:
    return {(p.owner, p.name): vars(p.owner).get(p.name) for p in engine.PATCHES}


def test_each_set_replaces_its_own_and_restore_gives_manim_back():
    assert {(p.owner.__name__, p.name, p.group) for p in engine.PATCHES} == {
        ("VMobject", "get_subpaths_from_points", "scene"),
        ("Mobject", "get_family", "scene"),
        ("manim.scene.scene", "extract_mobject_family_members", "scene"),
        ("manim.camera.camera", "extract_mobject_family_members", "scene"),
        ("VMobject", "get_points_defining_boundary", "scene"),
        ("VMobject", "generate_rgbas_array", "scene"),
        ("Mobject", "get_critical_point", "scene"),
        ("Mobject", "update", "scene"),
        ("SceneFileWriter", "save_image", "still"),
        ("Mobject", "__deepcopy__", "scene"),
        ("Camera", "set_cairo_context_path", "scene"),
        ("TipableVMobject", "get_unpositioned_tip", "scene"),
        ("Polygram", "round_corners", "scene"),
        ("VMobject", "__init__", "scene"),
        ("ManimColor", "parse", "scene"),
        ("Text", "generate_mobject", "scene"),
        ("_PartialMovieEncodeJob", "_encode_and_write_frame", "video"),
        ("SceneFileWriter", "open_partial_movie_stream", "video"),
        ("CairoRenderer", "update_frame", "still"),
        ("CairoRenderer", "play", "still"),
        ("Scene", "get_restructured_mobject_list", "scene"),
        ("Scene", "add_mobjects_from_animations", "scene"),
        ("_AnimationBuilder", "__init__", "still"),
        ("_AnimationBuilder", "__getattr__", "still"),
        ("_AnimationBuilder", "build", "still"),
    }  # every one on the manim it was written for; each compared with manim's own in these tests
    stock = manims_attributes()
    assert len(stock) == len(engine.PATCHES)  # each attribute replaced once
    assert not any(value in [p.new for p in engine.PATCHES] for value in stock.values())
    for kind, groups in engine.SETS.items():
        assert engine.apply(kind)
        now = manims_attributes()
        assert [p.new for p in engine.PATCHES if now[p.owner, p.name] is p.new] == [
            p.new for p in engine.PATCHES if p.group in groups
        ]
        assert engine.apply("still") and manims_attributes() == now  # applying again changes nothing
        engine.restore()
        assert manims_attributes() == stock


def test_another_manim_is_left_as_it_is_with_one_line(monkeypatch, capsys):
    stock = manims_attributes()
    monkeypatch.setattr(engine, "manim_version", lambda: "0.22.0")
    assert not engine.apply("video")
    assert manims_attributes() == stock and not engine.APPLIED
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "0.22.0" in err[0] and engine.WRITTEN_FOR in err[0]


def test_a_worker_says_so_in_every_reply(tmp_path):
    """The warning reaches the command that drives the worker (the worker's own output is a log)."""
    from gptanim import worker

    replies = io.StringIO()
    job = {"scene": "Mine", "file": str(tmp_path / "gone.py"), "trace": str(tmp_path / "t.npz"),
           "workdir": str(tmp_path), "quality": "l"}  # fmt: skip
    worker.answer([json.dumps(job)], replies, "still", str(tmp_path), "gptanim: manim 0.22.0 is not …")
    reply = json.loads(replies.getvalue())
    assert reply["ok"] is False and reply["warning"] == "gptanim: manim 0.22.0 is not …"


@pytest.mark.parametrize("asked", ["", "1"])
def test_a_plain_manim_scene_runs_on_manim_as_it_is_unless_asked(asked):
    probe = (
        "import scenes.base, scenes.opening; from scenes import engine; print(sorted(p.name for p in engine.APPLIED))"
    )
    env = {**os.environ, "GPTANIM_ENGINE": asked}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    applied = eval(out.stdout)  # noqa: S307 - a list of names printed by the probe above
    video = sorted(p.name for p in engine.PATCHES if p.group in engine.SETS["video"])
    assert applied == (video if asked else [])


def points_of_many_kinds() -> list[np.ndarray]:
    """Glyph outlines (several subpaths each), arrows, and random curves whose anchors repeat exactly, nearly
    (within `np.isclose`'s tolerance as manim uses it), a little apart, or not at all."""
    mobs = [make_text("Queen − king ÄÖ 8%", font_size=30), Arrow(LEFT, RIGHT + UP), Circle(), Square()]
    found = [m.points for mob in mobs for m in mob.get_family() if len(m.points)]
    rng = np.random.default_rng(0)
    for _ in range(40):
        curves = rng.normal(size=(rng.integers(1, 12), 4, 3))
        for k in range(1, len(curves)):
            choice = rng.integers(5)
            if choice < 4:  # the curve starts where the last ended: exactly, within tolerance, a little apart
                curves[k, 0] = curves[k - 1, 3] + [0.0, 5e-9, 2e-6, 1e-3][choice] * rng.choice([-1, 1])
        found.append(curves.reshape(-1, 3))
    found.append(np.zeros((0, 3)))
    return found


def test_subpaths_are_manims_subpaths():
    vmob, counts = VMobject(), set()
    for points in points_of_many_kinds():
        ours = engine.subpaths_from_points(vmob, points)
        manims = engine.subpaths_from_points.original(vmob, points)
        assert len(ours) == len(manims)
        assert all(np.array_equal(a, b) for a, b in zip(ours, manims, strict=True))
        counts.update(len(p) // 4 for p in manims)
    assert {1, 2, 3} <= counts  # subpaths of one curve and of several were met


def test_boundary_points_are_manims():
    """The anchors `next_to`, `move_to` and `get_left` read, for shapes, texts, groups of them, empty groups and
    a single point: the same array, point for point."""
    from manim import VGroup

    word = make_text("Tokens 0.23", font_size=24)
    kinds = [Square(), Circle(), Line(LEFT, RIGHT), Arrow(LEFT, RIGHT), Dot(), word, VGroup(),
             VGroup(VGroup(), Square().shift(UP), VGroup(word.copy(), Dot(DOWN))), VMobject().set_points([UP]),
             VGroup(Dot(), VMobject().set_points([UP])), VMobject().set_points([UP, DOWN, LEFT, RIGHT]),
             VGroup(*(make_text(f"word {k}", font_size=22) for k in range(5)))]  # fmt: skip
    for mob in kinds:
        ours, manims = engine.boundary_points(mob), engine.boundary_points.original(mob)
        assert ours.shape == manims.shape and ours.dtype == manims.dtype and np.array_equal(ours, manims)


def test_critical_points_are_manims():
    """Corners, edges and centre (and directions in between) of shapes, texts and groups: the same point."""
    from manim import VGroup

    rng = np.random.default_rng(3)
    directions = [np.array([x, y, z], dtype=float) for x in (-1, 0, 1) for y in (-1, 0, 1) for z in (-1, 0, 1)]
    directions += [rng.normal(size=3) for _ in range(5)]
    kinds = [Square().rotate(0.3), Circle().shift(UP), make_text("Tokens 0.23", font_size=24), VGroup(),
             VGroup(Dot(LEFT * 2), Arrow(DOWN, UP))]  # fmt: skip
    for mob in kinds:
        for direction in directions:
            ours, manims = engine.critical_point(mob, direction), engine.critical_point.original(mob, direction)
            assert np.array_equal(ours, manims), (mob, direction)


def test_rounded_corners_are_manims():
    """Rounded outlines of many shapes, radii (one, a list, negative, none) and options, each made twice (computed,
    then copied): the same points, array for array, and the copy not shared with the memo or another shape."""
    from manim import RoundedRectangle, Star, Triangle

    engine.CORNERS.clear()
    shapes = [lambda: RoundedRectangle(corner_radius=0.06, width=1.3, height=0.5),
              lambda: RoundedRectangle(corner_radius=0.06, width=1.3000001, height=0.5),
              lambda: RoundedRectangle(corner_radius=[0.1, 0.3], width=2, height=1).shift(UP),
              lambda: Square().round_corners(-0.2), lambda: Square().round_corners(0),
              lambda: Star().round_corners(0.1, evenly_distribute_anchors=True),
              lambda: Triangle().round_corners(0.2, components_per_rounded_corner=4)]  # fmt: skip
    for make in shapes:
        with engine.only():
            manims = make().points
        with engine.only(engine.rounded_corners):
            first, second = make(), make()
        for ours in (first, second):
            assert ours.points.dtype == manims.dtype and np.array_equal(ours.points, manims)
        second.points[0] += 1
        with engine.only(engine.rounded_corners):
            assert np.array_equal(make().points, manims)
    assert len(engine.CORNERS) == len(shapes)  # each outline computed once


def test_colour_arrays_are_manims():
    """One colour and one opacity (the fast case), none of either, a sheen, and several colours (manim's own)."""
    from manim import BLUE, RED, ManimColor

    square, shiny = Square(), Square().set_sheen(0.3)
    for mob in (square, shiny):
        for color in (None, ManimColor(BLUE), BLUE, "#58c4dd", [RED, BLUE]):
            for opacity in (None, 0, 1, 0.35, np.float64(0.5), np.float32(0.25), True, [0.2, 0.9]):
                ours, manims = engine.rgbas_array(mob, color, opacity), engine.rgbas_array.original(mob, color, opacity)
                assert ours.dtype == manims.dtype and np.array_equal(ours, manims), (color, opacity)


def test_a_parsed_colour_is_manims():
    """One ManimColor (the fast case: a new colour holding the same array), with or without an alpha, and
    everything else (manim's own): names, hex strings, lists, None, another colour class."""
    from manim import BLUE, RED, ManimColor
    from manim.utils.color import HSV

    def parsed(color, *alpha):
        return ManimColor.parse(color, *alpha), engine.colour_parse.original.__func__(ManimColor, color, *alpha)

    for color in (BLUE, ManimColor("#123456", 0.25), ManimColor([0.1, 0.2, 0.3, 0.4]), "RED", "#58c4dd", None):
        for alpha in ((), (0.5,)):
            with engine.only(engine.colour_parse):
                ours, manims = parsed(color, *alpha)
            assert type(ours) is type(manims) and vars(ours).keys() == vars(manims).keys()
            assert ours is not color and np.array_equal(ours._internal_value, manims._internal_value)
            given = getattr(color, "_internal_value", None)
            assert (ours._internal_value is given) == (manims._internal_value is given)
    with engine.only(engine.colour_parse):
        ours = ManimColor.parse([RED, BLUE]), HSV.parse(BLUE), ManimColor.parse(HSV((0.5, 0.5, 0.5)))
    assert [type(c) for c in (*ours[0], *ours[1:])] == [ManimColor, ManimColor, HSV, ManimColor]
    assert vars(ManimColor)["parse"] is engine.colour_parse.original  # manim's own back as it was


def updates_called(run) -> list:
    """The updaters `run` (an update) calls on a tree with updaters deep down, one under a suspended group."""
    from manim import VGroup

    calls = []
    inner, held, top = Square(), Dot(), Square()
    inner.add_updater(lambda m, dt: calls.append(("inner", dt)))
    held.add_updater(lambda m: calls.append("held"))
    top.add_updater(lambda m: calls.append("top"))
    tree = VGroup(VGroup(VGroup(inner)), VGroup(held), top)
    tree[1].suspend_updating(recursive=False)
    for recursive in (True, False):
        assert run(tree, 0.5, recursive) is tree
    plain = VGroup(VGroup(Square()), Dot())
    assert run(plain, 0.5) is plain
    return calls


def test_an_update_calls_what_manims_calls():
    """Updaters reached (also below a group without any), none under a suspended mobject, none past the first
    level when not recursive: the same calls in the same order as manim's own; nothing when there are none."""
    assert updates_called(engine.update_if_any) == updates_called(engine.update_if_any.original)
    assert updates_called(engine.update_if_any) == [("inner", 0.5), "top"]


class Held(Scene):
    """Pictures held (a wait on a still picture: manim hands the frame over once) between moves."""

    def construct(self):
        square = Square(color="#58c4dd").shift(LEFT)
        self.add(square, Dot(RIGHT))
        self.wait(0.6)
        self.play(square.animate.shift(RIGHT).scale(0.5), run_time=0.4)
        self.wait(0.4)


def video_frames(tmp_path: Path, name: str) -> tuple[list[np.ndarray], bytes]:
    """Held rendered to a video at 480p15: its decoded frames, and the file (x264 writes its options in it).
    x264 encodes on one thread here, both ways: on busy cores its threads made two encodings of the same
    frames differ now and then, whichever code handed the frames over."""
    options = {"quality": "low_quality", "media_dir": str(tmp_path / name), "disable_caching": True,
               "progress_bar": "none", "verbosity": "WARNING", "output_file": name}  # fmt: skip
    opened = SceneFileWriter.open_partial_movie_stream

    def one_thread(writer, *args, **kwargs):
        opened(writer, *args, **kwargs)
        writer._current_encode_job.stream.codec_context.thread_count = 1

    with tempconfig(options), pytest.MonkeyPatch.context() as patch:
        patch.setattr(SceneFileWriter, "open_partial_movie_stream", one_thread)
        scene = Held()
        scene.render()
        path = Path(scene.renderer.file_writer.movie_file_path)
    with av.open(str(path)) as video:
        frames = [frame.to_ndarray(format="rgb24").astype(int) for frame in video.decode(video=0)]
    return frames, path.read_bytes()


def test_a_held_frame_is_encoded_as_manim_encodes_it(tmp_path):
    with engine.only(engine.encode_frame):
        ours, _ = video_frames(tmp_path, "ours")
    manims, _ = video_frames(tmp_path, "manims")
    assert len(ours) == len(manims) == 21  # 1.4 s at 15 frames a second
    assert all(np.array_equal(a, b) for a, b in zip(ours, manims, strict=True))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a - b) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def test_x264s_fastest_preset_gives_manims_pictures(tmp_path):
    """A lossy encoding either way: each frame as close to manim's encoding as that is to the drawing."""
    with engine.only(engine.open_with_preset):
        ours, ours_file = video_frames(tmp_path, "ours")
    manims, manims_file = video_frames(tmp_path, "manims")
    assert b"subme=0" in ours_file and b"subme=7" in manims_file  # x264's ultrafast and its medium
    assert len(ours) == len(manims)
    assert min(psnr(a, b) for a, b in zip(ours, manims, strict=True)) > 40


class Moves(Scene):
    """Animations of each kind a still finishes at once, and one it plays (MoveAlongPath)."""

    def construct(self):
        square, word = Square(), make_text("engine", font_size=36).shift(UP * 2)
        self.play(FadeIn(square), Write(word))
        self.play(Transform(square, Circle().shift(RIGHT)), word.animate.shift(DOWN).set_color("#ff8800"))
        self.play(ReplacementTransform(word, make_text("done", font_size=30).shift(DOWN * 2)))
        self.play(Indicate(square))
        dot = Dot()
        self.play(MoveAlongPath(dot, Line(LEFT * 3, LEFT)))
        arrow = Arrow(LEFT, RIGHT * 2)
        self.play(FadeIn(arrow), FadeOut(dot))


def last_frame(tmp_path: Path) -> np.ndarray:
    """Moves' last frame as a still worker draws it (`gptanim.worker.render_job`)."""
    options = {"quality": "low_quality", "media_dir": str(tmp_path), "save_last_frame": True,
               "write_to_movie": False, "disable_caching": True, "progress_bar": "none", "verbosity": "WARNING"}  # fmt: skip
    with tempconfig(options):
        scene = Moves()
        scene.render()
        scene.renderer.draw_now, scene.renderer.static_image = True, None
        scene.renderer.update_frame(scene)
        return np.array(scene.renderer.get_frame()).astype(int)


def test_a_scene_drawn_only_for_its_last_frame_is_manims_last_frame(tmp_path):
    with engine.only(engine.update_frame_last_only):
        ours = last_frame(tmp_path)
    assert np.array_equal(ours, last_frame(tmp_path))


def test_the_still_set_gives_manims_last_frame(tmp_path):
    """Plays finished at once (and everything else of a still worker): the tolerance of
    `tests/test_speedups.py` for the lecture's stills."""
    assert engine.apply("still")
    try:
        ours = last_frame(tmp_path)
    finally:
        engine.restore()
    difference = np.abs(ours - last_frame(tmp_path)).max(axis=-1)
    assert difference.max() <= 16 and (difference > 8).sum() <= 5


def test_only_puts_back_what_was_applied_before():
    assert engine.apply("video")
    try:
        before = manims_attributes()
        with engine.only(engine.family):
            assert [p.new for p in engine.APPLIED] == [engine.family]
        assert manims_attributes() == before
        with pytest.raises(ValueError):
            engine.only(len).__enter__()
        assert manims_attributes() == before
    finally:
        engine.restore()


def test_a_worker_warning_is_printed_once_per_render(tmp_path, capsys):
    """The workers' one-line warning (manim not the engine's version) reaches the user once, not once a scene."""
    from gptanim.pool import ScenePool
    from scenes.catalog import BY_NAME

    class Worker:  # answers every job as a worker on another manim would
        stdin = io.StringIO()
        stdout = io.StringIO((json.dumps({"ok": True, "warning": "gptanim: manim 0.22.0 is not …"}) + "\n") * 2)

    pool = ScenePool(tmp_path)
    pool.take = lambda entry: (Worker, None)
    for name in ("Softmax", "Recap"):
        assert pool.run(BY_NAME[name], tmp_path / "t.npz", tmp_path, "l")["ok"]
    assert capsys.readouterr().err == "gptanim: manim 0.22.0 is not …\n"


def test_families_are_manims():
    """What the scene and the camera list (every member of every family, each at its last place; only those with
    points; by z-index): the same mobjects in the same order, for families that share members, hold one twice
    or are given twice, and none."""
    from manim import VGroup
    from manim.utils.family import extract_mobject_family_members

    shared, word = Dot(), make_text("Tokens 0.23", font_size=24)
    inner = VGroup(shared, Square().set_z_index(2), VMobject())
    groups = [VGroup(shared, inner, Circle().set_z_index(-1)), inner, VGroup(word, VGroup()), shared, Arrow()]
    cases = [groups, groups[::-1], [groups[0], groups[0]], [inner, groups[0], inner], [], [VGroup()], [word]]
    for mobjects in cases:
        for z in (False, True):
            for with_points in (False, True):
                manims = extract_mobject_family_members(mobjects, z, with_points)
                for ours in (engine.scene_families, engine.camera_families):
                    assert ours(iter(mobjects), z, with_points) == manims
                    with engine.only(engine.family):  # the walk the saving rests on
                        assert ours(mobjects, z, with_points) == manims
                    assert ours.original is extract_mobject_family_members


def test_the_scene_and_the_camera_use_the_one_walk():
    import manim.camera.camera
    import manim.scene.scene

    with engine.only(engine.scene_families, engine.camera_families):
        assert manim.scene.scene.extract_mobject_family_members is engine.scene_families
        assert manim.camera.camera.extract_mobject_family_members is engine.camera_families
