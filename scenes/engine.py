"""Every change this project makes to manim's internals, in one place, applied in render workers only.

Each replacement below gives what manim's own gives (`tests/test_engine.py` and the tests it names compare
them: pictures, points, copies); it is only sooner. They are written against one version of manim
(`WRITTEN_FOR`, the version `constraints.txt` pins): `apply` checks the version it finds and, when it
differs, leaves manim as it is and says so in one line.

Who applies them: the render workers (`gptanim.worker`: `apply("video")` or `apply("still")`), which the
lecture's renders and the previews (warm or not) use. A plain `manim` render of a lecture scene or of a
scene of your own runs on manim as it is, unless `GPTANIM_ENGINE=1` is set (`apply_if_asked`, at the import
of `scenes.base`: the video set). Nothing else patches manim.

The replacements, by set:
- every render ("scene"): a mobject's family walked once (and the scene's and camera's families of all on screen; what
  stays on screen after an `add` or `remove`, and which animated mobjects a play adds, found by walks that stop
  early or look up a set), its boundary's anchors taken as slices and its
  extremes along all axes at once, a fill or stroke colour of one colour made directly, rounded corners computed
  once per outline, a VMobject's making (a VGroup, a Rectangle...) copied from one made once per class and arguments, an update that reaches no updater skipped, copies that do not ask `deepcopy` about plain
  values (nor about paths, nor about a list of mobjects) and fill a new dict at once, a VMobject's subpaths found at once, Cairo paths kept for a mobject drawn again, arrow
  tips copied from one made once per style, and the Texts of `scenes.text` read glyph by glyph
  (`scenes.svg_glyphs`);
- videos ("video"): a held frame converted for the encoder once, and x264's `ultrafast` preset;
- stills ("still"): a scene drawn only for its last frame, manim's own save of a frame not drawn skipped,
  each animation whose end is known put straight into its final state instead of played, and a
  `mobject.animate`'s target copy made only for a play that needs it.
"""

from __future__ import annotations

import copy
import os
import sys
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePath

import av
import manim
import manim.camera.camera
import manim.scene.scene
import numpy as np
from manim import (
    BLACK,
    RIGHT,
    AnimationGroup,
    Create,
    FadeIn,
    FadeOut,
    GrowArrow,
    GrowFromCenter,
    GrowFromEdge,
    GrowFromPoint,
    Indicate,
    ManimColor,
    ReplacementTransform,
    Text,
    Transform,
    TransformFromCopy,
    Wait,
    Write,
    config,
)
from manim.camera.camera import Camera
from manim.constants import CapStyleType, LineJointType
from manim.data_structures import MethodWithArgs
from manim.mobject.geometry.arc import TipableVMobject
from manim.mobject.geometry.polygram import Polygram
from manim.mobject.geometry.tips import ArrowTriangleFilledTip
from manim.mobject.mobject import Mobject
from manim.mobject.types.vectorized_mobject import VMobject
from manim.renderer.cairo_renderer import CairoRenderer
from manim.scene.scene_file_writer import SceneFileWriter
from manim.utils.family import extract_mobject_family_members as extract_families

from scenes import svg_glyphs

try:  # manim's private classes: another manim may have none of them (then `apply` leaves it as it is)
    from manim.animation.transform import _MethodAnimation
    from manim.mobject.mobject import _AnimationBuilder
    from manim.scene.scene_file_writer import _PartialMovieEncodeJob
except ImportError:
    _MethodAnimation = _PartialMovieEncodeJob = _AnimationBuilder = None

WRITTEN_FOR = "0.21.0"  # the manim these replacements were written against (constraints.txt pins it)
SETS = {"scene": ("scene",), "video": ("scene", "video"), "still": ("scene", "still")}


@dataclass(frozen=True)
class Patch:
    owner: type
    name: str
    new: Callable
    group: str  # "scene", "video" or "still"
    own: bool  # whether manim's own is the owner's (else inherited: restored by removing ours)


PATCHES: list[Patch] = []
APPLIED: list[Patch] = []


def replaces(owner: type, name: str, group: str):
    """Register the decorated function as the replacement of `owner.name` in `group`; manim's own is kept
    as the function's `original` (what the replacement falls back on, and what the tests compare with)."""

    def register(new):
        new.original = getattr(owner, name, None)
        if new.original is not None:  # (another manim may not have it: `apply` then replaces nothing)
            PATCHES.append(Patch(owner, name, new, group, name in vars(owner)))
        return new

    return register


# Every render: drawing, copying, texts.


@replaces(VMobject, "get_subpaths_from_points", "scene")
def subpaths_from_points(self, points):
    """`VMobject.get_subpaths_from_points` with the anchors compared all at once (manim's own vectorised
    `get_subpath_split_indices_from_points`, which its camera already uses) instead of one `np.allclose`
    per curve: the same subpaths, the same tolerance. Transforms align the points of every text glyph
    this way when they begin; in the Temperature scene's last-frame render this was 12% of the time."""
    nppcc = self.n_points_per_cubic_curve
    return [points[i1:i2] for i1, i2 in self.get_subpath_split_indices_from_points(points) if i2 - i1 >= nppcc]


@replaces(Mobject, "get_family", "scene")
def family(self, recurse: bool = True) -> list:
    """`Mobject.get_family`: the mobject and everything under it, in the same order (depth first, each kept
    at its last place), walked once instead of once per level. Manim lists each level's family again and
    removes repeats at every level; the walk is the same list with repeats removed once. The camera asks for
    the family of everything on screen every frame: 2.3 million calls for the 21 stills."""
    order, todo = [], [self]
    while todo:
        mob = todo.pop()
        order.append(mob)
        if mob.submobjects:
            todo.extend(reversed(mob.submobjects))
    if len(order) == 1:
        return order
    return list(reversed(dict.fromkeys(reversed(order))))


def families(mobjects, use_z_index: bool = False, only_those_with_points: bool = False) -> list:
    """`manim.utils.family.extract_mobject_family_members`: the families of all `mobjects`, one after another,
    each member kept at its last place, walked at once instead of family by family with repeats removed twice
    (within each family, then across them: the last place of a member is the same either way). Filtered by
    points and sorted by z-index as manim's own. Every `Scene.add`, `remove` and play asks for it."""
    if Mobject.get_family is not family:  # (the family walk is what makes the two the same)
        return extract_families(mobjects, use_z_index, only_those_with_points)
    order, todo = [], list(mobjects)
    todo.reverse()
    while todo:
        mob = todo.pop()
        order.append(mob)
        if mob.submobjects:
            todo.extend(reversed(mob.submobjects))
    order.reverse()
    members = list(dict.fromkeys(order))
    members.reverse()
    if only_those_with_points:
        members = [mob for mob in members if mob.get_num_points() > 0]
    if use_z_index:
        return sorted(members, key=lambda m: m.z_index)
    return members


@replaces(manim.scene.scene, "extract_mobject_family_members", "scene")
def scene_families(mobjects, use_z_index: bool = False, only_those_with_points: bool = False) -> list:
    """`extract_mobject_family_members` as the scene calls it: `families`."""
    return families(mobjects, use_z_index, only_those_with_points)


@replaces(manim.camera.camera, "extract_mobject_family_members", "scene")
def camera_families(mobjects, use_z_index: bool = False, only_those_with_points: bool = False) -> list:
    """`extract_mobject_family_members` as the camera calls it: `families`."""
    return families(mobjects, use_z_index, only_those_with_points)


def meets(mob, members: set) -> bool | None:
    """Whether `mob`'s family holds one of `members` (None: a mobject with a family of its own kind is met,
    for manim's own to decide). A walk that stops at the first found, in no particular order."""
    standard, todo = Mobject.get_family, [mob]
    while todo:
        item = todo.pop()
        if item in members:
            return True
        if type(item).get_family is not standard:
            return None
        if item.submobjects:
            todo.extend(item.submobjects)
    return False


@replaces(manim.scene.scene.Scene, "get_restructured_mobject_list", "scene")
def restructured(self, mobjects, to_remove) -> list:
    """`Scene.get_restructured_mobject_list` (every `add` and `remove`: each mobject on screen, unless its
    family holds one removed, then its submobjects likewise). Manim lists each mobject's whole family and
    intersects it with the removed ones, handing the intersection down; the walk here stops at the first
    removed member it meets and hands the removed ones down as they are: within a family that intersection
    meets each submobject's family exactly where the removed ones do, so the same mobjects are kept."""
    removed, kept = set(to_remove), []
    todo = list(mobjects)
    todo.reverse()
    while todo:
        mob = todo.pop()
        if mob in removed:
            continue
        found = meets(mob, removed)
        if found is None:
            return restructured.original(self, mobjects, to_remove)
        if found:
            todo.extend(reversed(mob.submobjects))
        else:
            kept.append(mob)
    return kept


def members(mobjects) -> set:
    """Every member of the families of `mobjects`, as a set (what `Scene.get_mobject_family_members` lists)."""
    found, todo = set(), list(mobjects)
    while todo:
        mob = todo.pop()
        if type(mob).get_family is not Mobject.get_family:
            found.update(mob.get_family())
            continue
        found.add(mob)
        if mob.submobjects:
            todo.extend(mob.submobjects)
    return found


@replaces(manim.scene.scene.Scene, "add_mobjects_from_animations", "scene")
def add_from_animations(self, animations) -> None:
    """`Scene.add_mobjects_from_animations` (every play): the animated mobjects not yet on screen added, in
    order. What is on screen is looked up as a set, once, and only when an animation is not an introducer
    (manim lists it at each play, and looks each mobject up in the list)."""
    on_screen = None
    for animation in animations:
        if animation.is_introducer():
            continue
        mob = animation.mobject
        if mob is None:
            continue
        on_screen = members(self.mobjects) if on_screen is None else on_screen
        if mob not in on_screen:
            self.add(mob)
            on_screen.update(mob.get_family())


@replaces(VMobject, "get_points_defining_boundary", "scene")
def boundary_points(self):
    """`VMobject.get_points_defining_boundary`: the anchors of every member of the family, each curve's start then
    its end, in the same order, taken as array slices instead of point by point (manim zips them one by one and
    builds the array from a tuple of points). Every `next_to`, `move_to`, `get_left`… asks for them: in the
    stills of a new prompt this was the largest single cost after the texts. Anything else (a member of another
    kind, points that are not whole curves) is left to manim's own."""
    members = self.get_family()
    for sm in members:
        if not isinstance(sm, VMobject) or type(sm).get_anchors is not VMobject.get_anchors:
            return boundary_points.original(self)
    n = members[0].n_points_per_cubic_curve
    if all(sm.n_points_per_cubic_curve == n and len(sm.points) % n == 0 for sm in members):
        # Whole curves only (the usual case): every member starts at a multiple of n in their concatenation,
        # so the anchors of all of them are two slices of it, interleaved (start, end, start, end…).
        points = np.concatenate([sm.points for sm in members]) if len(members) > 1 else members[0].points
        if not len(points):
            return np.array(())  # as manim's: an array of no points
        anchors = np.empty((2 * (len(points) // n), points.shape[1]), dtype=points.dtype)
        anchors[0::2], anchors[1::2] = points[::n], points[n - 1 :: n]
        return anchors
    parts = []
    for sm in members:
        points = sm.points
        if points.shape[0] == 1:
            parts.append(points)
            continue
        n = sm.n_points_per_cubic_curve
        starts, ends = points[::n], points[n - 1 :: n]
        if len(starts) != len(ends):
            return boundary_points.original(self)
        parts.append(np.stack([starts, ends], axis=1).reshape(-1, points.shape[1]))
    if not any(len(part) for part in parts):
        return np.array(())  # as manim's: an array of no points
    return np.concatenate(parts)


@replaces(Mobject, "get_critical_point", "scene")
def critical_point(self, direction):
    """`Mobject.get_critical_point` (behind every `get_left`, `next_to`, `move_to`, `align_to`…): the boundary's
    lowest and highest value along each axis taken once for all axes, instead of one `min` and one `max` per
    axis; the same point. A mobject with its own extremes is manim's own."""
    if type(self).get_extremum_along_dim is not Mobject.get_extremum_along_dim:
        return critical_point.original(self, direction)
    result = np.zeros(self.dim)
    all_points = self.get_points_defining_boundary()
    if len(all_points) == 0:
        return result
    lows, highs = all_points[:, : self.dim].min(axis=0), all_points[:, : self.dim].max(axis=0)
    for dim in range(self.dim):
        key = np.array(direction[dim])
        result[dim] = lows[dim] if key < 0 else (lows[dim] + highs[dim]) / 2 if key == 0 else highs[dim]
    return result


@replaces(VMobject, "generate_rgbas_array", "scene")
def rgbas_array(self, color, opacity):
    """`VMobject.generate_rgbas_array` for one colour (or none: black) and one opacity (or none: 0), the case of
    nearly every `set_fill` and `set_stroke`: the same one-row array, made without listing, evening out and
    copying the one colour and opacity first; a second, lighter row for a sheen as manim adds it. Several
    colours or opacities are manim's own."""
    if not (color is None or type(color) is ManimColor) or not (
        opacity is None or (isinstance(opacity, (int, float, np.floating)) and not isinstance(opacity, np.ndarray))
    ):
        return rgbas_array.original(self, color, opacity)
    rgbas = np.array([(BLACK if color is None else color).to_rgba_with_alpha(0.0 if opacity is None else opacity)])
    sheen_factor = self.get_sheen_factor()
    if sheen_factor != 0:
        light_rgbas = np.array(rgbas)
        light_rgbas[:, :3] += sheen_factor
        np.clip(light_rgbas, 0, 1, out=light_rgbas)
        rgbas = np.append(rgbas, light_rgbas, axis=0)
    return rgbas


@replaces(Mobject, "update", "scene")
def update_if_any(self, dt: float = 0, recursive: bool = True):
    """`Mobject.update`: when no mobject it would reach (the family, unless `recursive` is off; none under one
    whose updating is suspended) has an updater, nothing is called, as manim would call nothing but itself down
    the family; else manim's own. Every play updates everything on screen: most of it has no updaters."""
    todo = [self]
    while todo:
        mob = todo.pop()
        if type(mob).update is not update_if_any or mob.updaters:
            return update_if_any.original(self, dt, recursive)
        if mob.updating_suspended:
            continue
        if recursive:
            todo.extend(mob.submobjects)
    return self


def replaces_class_method(owner: type, name: str, group: str):
    """`replaces` for a classmethod: the decorated function installed as one; manim's own kept as its class
    holds it (`original`, put back by `restore`)."""

    def register(function):
        new = classmethod(function)
        new.original = vars(owner)[name]
        PATCHES.append(Patch(owner, name, new, group, True))
        return new

    return register


@replaces_class_method(ManimColor, "parse", "scene")
def colour_parse(cls, color, alpha: float = 1.0):
    """`ManimColor.parse` of one ManimColor (every mobject's `color` at its making, most `set_color`s): a new
    ManimColor holding the same array of four floats, as manim's own makes it (through `ManimColor(color)`,
    which takes the array as it is and ignores `alpha`, then `ManimColor(array)`, which keeps an array of
    floats as it is), without the two passes through the constructor. Anything else is manim's own."""
    if cls is ManimColor and type(color) is ManimColor:
        value = color._internal_value
        if type(value) is np.ndarray and value.dtype == np.float64 and value.shape == (4,):
            made = ManimColor.__new__(ManimColor)
            made._internal_value = value
            return made
    return colour_parse.original.__func__(cls, color, alpha)


KEPT = {int, float, bool, str, complex, bytes, type(None), np.float64, np.float32, np.int64, np.bool_}
KEPT |= {LineJointType, CapStyleType}  # enums: deepcopy hands back the member itself
KEPT |= {type(PurePath()), type(Path())}  # immutable paths (a Text's file_name): deepcopy makes an equal one


def color_copy(color: ManimColor) -> ManimColor:
    clone = ManimColor.__new__(ManimColor)
    clone.__dict__ = {k: v.copy() if type(v) is np.ndarray else copy.deepcopy(v) for k, v in color.__dict__.items()}
    return clone


SET_DIRECTLY: dict[type, tuple[bool, frozenset]] = {}


def array_copy(v: np.ndarray) -> np.ndarray:
    return v.copy(order="K")  # as `ndarray.__deepcopy__` copies an array of numbers: the same layout


def empty_copy(v):
    return v.__class__()


def data_descriptors(cls: type) -> frozenset:
    """The names under which `cls` has a data descriptor (a property...), which `setattr` would go through."""
    names = set()
    for klass in cls.__mro__:
        for name, value in vars(klass).items():
            if hasattr(type(value), "__set__") or hasattr(type(value), "__delete__"):
                names.add(name)
    return frozenset(names)


def members_copy(value: list, memo: dict) -> list:
    """`copy.deepcopy` of a list of mobjects (a `submobjects`), each copied by `mobject_copy` as deepcopy would
    call it, in the same order and with the same memo (the list itself entered first, as deepcopy does)."""
    done = memo.get(id(value))
    if done is not None:
        return done
    result = memo[id(value)] = []
    alive = memo.setdefault(id(memo), [])
    alive.append(value)
    for mob in value:
        clone = memo.get(id(mob))
        if clone is None:
            clone = mobject_copy(mob, memo)
            alive.append(mob)
        result.append(clone)
    return result


@replaces(Mobject, "__deepcopy__", "scene")
def mobject_copy(self, memo: dict):
    """`Mobject.__deepcopy__` with the attributes that `copy.deepcopy` would hand back as they are (numbers,
    strings, None, enum members) or as an equal immutable value (a path) kept without asking it, and arrays of numbers, colours and empty lists
    copied directly (arrays as `ndarray.__deepcopy__` does: same layout; each value copied once however
    often it is referred to), empty dicts too, and a list of mobjects as `members_copy`. Everything else goes to
    `copy.deepcopy` as before. The new mobject's dict is the old one's copied at once (the plain values stay), with
    the others replaced in place: what setattr would write, when the class has no `__setattr__` of its own and no
    descriptor under these names (else manim's own copy). A mobject has some forty attributes, most of them such
    values; every animation and every text handed out copies whole families of them (a text's copy: 18% sooner)."""
    cls = self.__class__
    attrs = self.__dict__
    if cls not in SET_DIRECTLY:
        SET_DIRECTLY[cls] = cls.__setattr__ is object.__setattr__, data_descriptors(cls)
    direct, descriptors = SET_DIRECTLY[cls]
    if not direct or not descriptors.isdisjoint(attrs):  # setattr would do more than write to the dict
        return mobject_copy.original(self, memo)
    result = cls.__new__(cls)
    memo[id(self)] = result
    alive = memo.setdefault(id(memo), [])  # what deepcopy keeps alive while copying
    new = attrs.copy()  # the values kept as they are stay; the others are replaced below, in the same order
    for name, value in attrs.items():
        kind = type(value)
        if kind in KEPT:
            continue
        if kind is list and value and all(getattr(type(x), "__deepcopy__", None) is mobject_copy for x in value):
            new[name] = members_copy(value, memo)
            continue
        if kind is np.ndarray and value.dtype != object:
            make = array_copy
        elif kind is ManimColor:
            make = color_copy
        elif (kind is list or kind is dict) and not value:
            make = empty_copy
        else:
            new[name] = copy.deepcopy(value, memo)
            continue
        done = memo.get(id(value))  # each value copied once however often it is referred to, as deepcopy does
        if done is None:
            done = memo[id(value)] = make(value)
            alive.append(value)
        new[name] = done
    result.__dict__ = new
    result.original_id = str(id(self))
    return result


PATHS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # VMobject -> (points, their path, last drawn)
NEAR = 1e-9  # frame units (a pixel at 4K is 0.004): points this close to a moved copy are that copy


@replaces(Camera, "set_cairo_context_path", "scene")
def cairo_path(self, ctx, vmobject):
    """`Camera.set_cairo_context_path` that hands Cairo a path it has already built when a VMobject is drawn
    again with the same points (the same picture), or with the same points moved (moved by Cairo: the same
    picture within Cairo's own curve tolerance, a tenth of a pixel). A caption fading in, a label following
    the turning view, a column of numbers sliding: the same glyph outlines are drawn every frame, each curve
    one Python call. A path is kept from a mobject's second drawing on (the arrows redrawn every frame,
    drawn once each, cost only the copy of their points); a moved mobject drawn twice at its new place
    gets its path built there again, so a picture at rest is always drawn exactly."""
    points = self.transform_points_pre_display(vmobject, vmobject.points)
    seen = PATHS.get(vmobject)
    if seen is None or not len(points):  # a first drawing: only its points are kept
        cairo_path.original(self, ctx, vmobject)
        if len(points):
            PATHS[vmobject] = (points.copy(), None, points.copy())
        return self
    drawn, path, last = seen
    if path is not None and drawn.shape == points.shape:
        if np.array_equal(points, drawn):
            ctx.new_path()
            ctx.append_path(path)
            return self
        offset = points[0] - drawn[0]
        if not np.array_equal(points, last) and np.abs(points - offset - drawn).max() <= NEAR:
            ctx.new_path()
            ctx.save()
            ctx.translate(offset[0], offset[1])
            ctx.append_path(path)
            ctx.restore()  # the path stays: it is not part of Cairo's saved state
            PATHS[vmobject] = (drawn, path, points.copy())
            return self
    # No path yet, a new shape, or at rest at a new place: built here, and kept.
    cairo_path.original(self, ctx, vmobject)
    PATHS[vmobject] = (points.copy(), ctx.copy_path(), points.copy())
    return self


TIPS: dict[tuple, VMobject] = {}


def style_key(value):
    return tuple(value.to_rgba()) if isinstance(value, ManimColor) else (type(value).__name__, repr(value))


@replaces(TipableVMobject, "get_unpositioned_tip", "scene")
def unpositioned_tip(self, tip_shape=None, tip_length=None, tip_width=None):
    """`TipableVMobject.get_unpositioned_tip`: a copy of the tip made once per shape, size and style, instead
    of a new one built each time (an arrow redrawn every frame builds one every frame; most of its cost).
    The same arguments reach the tip's class as in manim's own, so the copy is what it would have built."""
    shape = tip_shape or ArrowTriangleFilledTip
    style = {}
    if shape is ArrowTriangleFilledTip:
        style["width"] = self.get_default_tip_length() if tip_width is None else tip_width
    length = self.get_default_tip_length() if tip_length is None else tip_length
    color = self.get_color()
    style.update({"fill_color": color, "stroke_color": color}, **self.tip_style)
    key = (shape, length, tuple(sorted((k, style_key(v)) for k, v in style.items())))
    if key not in TIPS:
        TIPS[key] = shape(length=length, **style)
    tip = TIPS[key].copy()
    for part in tip.get_family():
        del part.original_id  # a copy's mark, which a tip built anew does not have
    return tip


CORNERS: dict[tuple, np.ndarray] = {}


@replaces(Polygram, "round_corners", "scene")
def rounded_corners(self, radius=0.5, evenly_distribute_anchors: bool = False, components_per_rounded_corner: int = 2):
    """`Polygram.round_corners`: the rounded outline computed by manim's own once per outline (the points before,
    the radius, the options) and its points copied after that. Every token is a RoundedRectangle (TokenBox), and a
    prompt's tokens are boxed at the same sizes scene after scene: a quarter of a million arcs' arithmetic for
    the 21 stills. The points only ever come from manim's own computation on the same points and arguments."""
    key = (self.points.tobytes(), self.points.shape, repr(radius), evenly_distribute_anchors,
           components_per_rounded_corner)  # fmt: skip
    if key in CORNERS:
        return self.set_points(CORNERS[key])
    rounded_corners.original(self, radius, evenly_distribute_anchors, components_per_rounded_corner)
    if len(CORNERS) >= 20_000:  # a warm worker's memory stays bounded
        CORNERS.clear()
    CORNERS[key] = self.points.copy()
    return self


MADE: dict[tuple, VMobject] = {}
PLAIN_ARGS = (int, float, bool, str, type(None), np.float64, np.int64, LineJointType, CapStyleType)


def argument_key(value):
    """A key that only an equal argument of the same kind has (floats by their repr: -0.0 is not 0.0); None
    for an argument of any other kind (a list, an array, a colour of another class)."""
    if type(value) is ManimColor:
        return ManimColor, repr(value._internal_value.tolist())
    return (type(value), repr(value)) if type(value) in PLAIN_ARGS else None


def made_key(self, args: tuple, kwargs: dict) -> tuple | None:
    """What a VMobject's state after `VMobject.__init__` depends on: its class and the arguments. None (manim's
    own) for a class not all manim's (a subclass of our own may look elsewhere), for an object that already
    holds attributes (set before its `__init__` called this one: an arc's radius...) and for arguments of other
    kinds or given by position."""
    cls = type(self)
    if args or vars(self) or not all(c.__module__.startswith("manim.") for c in cls.__mro__[:-1]):
        return None
    named = sorted(kwargs)
    keys = [argument_key(kwargs[k]) for k in named]
    return None if None in keys else (cls, tuple(named), tuple(keys))


@replaces(VMobject, "__init__", "scene")
def vmobject_init(self, *args, **kwargs) -> None:
    """`VMobject.__init__` (every VGroup, Rectangle, Square, RoundedRectangle, Polygon... of manim's classes): the
    state manim's own makes, made once per class and arguments and copied after that (a copy of a mobject with no
    parts is a fraction of its making: its colours parsed, its colour arrays built). The copy's mark of being one
    is removed, so the mobject is the one manim's own would make (tests: every attribute compared). Arguments of
    other kinds, objects set up before, and classes not manim's are manim's own."""
    key = made_key(self, args, kwargs)
    if key is None:
        return vmobject_init.original(self, *args, **kwargs)
    if key not in MADE:
        if len(MADE) >= 5_000:  # a warm worker's memory stays bounded
            MADE.clear()
        kept = type(self).__new__(type(self))
        vmobject_init.original(kept, **kwargs)
        if kept.submobjects:  # (none of manim's classes has parts here: if one had, manim's own each time)
            return vmobject_init.original(self, **kwargs)
        MADE[key] = kept
    made = MADE[key].copy()
    del made.original_id
    self.__dict__.update(made.__dict__)
    return None


@replaces(Text, "generate_mobject", "scene")
def text_parts(self: Text) -> Text:
    """`Text.generate_mobject` (SVGMobject's), with a Text built inside `svg_glyphs.glyphs_from_svg()` (every
    Text of `scenes.text`) made of the parts `svg_glyphs.placed_glyphs` reads glyph by glyph; manim's own
    reading for any other Text, and for whatever that reading does not understand."""
    if not svg_glyphs.asked():
        return text_parts.original(self)
    try:
        parts = svg_glyphs.placed_glyphs(self, self.get_file_path())
    except Exception:  # noqa: BLE001 - whatever goes wrong, manim's own reading (which reports a damaged file)
        parts = None
    if parts is None:
        return text_parts.original(self)
    self.add(*parts)
    self.id_to_vgroup_dict = {}
    self.flip(RIGHT)  # as manim: SVG's y points down
    return self


# Videos: encoding.


@replaces(_PartialMovieEncodeJob, "_encode_and_write_frame", "video")
def encode_frame(self, frame, num_frames: int) -> None:
    """`_PartialMovieEncodeJob._encode_and_write_frame` with a held frame (a wait over a picture that does not
    change: manim hands it over once with the number of frames) converted to the codec's pixel format once,
    not once per frame. The encoder gets the same pictures: the decoded frames are identical. Measured on
    120 frames of a 1080p picture: 44-50 s against 75-131 s on a very busy machine (1.7-2.6x)."""
    if num_frames == 1:
        return encode_frame.original(self, frame, num_frames)
    codec = self.stream.codec_context
    held = av.VideoFrame.from_ndarray(frame, format="rgba").reformat(format=codec.pix_fmt, width=codec.width,
                                                                     height=codec.height)  # fmt: skip
    for _ in range(num_frames):
        held.pts = None  # the encoder numbers each frame, as it does a new one
        for packet in self.stream.encode(held):
            self.container.mux(packet)


X264_PRESET = "ultrafast"


@replaces(SceneFileWriter, "open_partial_movie_stream", "video")
def open_with_preset(self, *args, **kwargs) -> None:
    """`SceneFileWriter.open_partial_movie_stream` with x264's `ultrafast` preset instead of its default
    (`medium`). Manim opens each partial movie with only `crf 23`; the codec reads its options when the first
    frame arrives, so the preset is added just after. Measured on Softmax at 1080p60: 13.1 s -> 10.5 s to
    render with `veryfast`; then, narrated, `ultrafast` took 34.5 CPU s against `veryfast`'s 50 (the encoder
    is what the drawing waits for at 1080p60), for a larger file (4.7 MB for 54 s, was 2.0 MB: 0.7 Mbit/s).
    The picture is as good: the last frame of TopKTopP at 1080p is 39.8 dB from the drawn one (`veryfast`:
    37.9 dB)."""
    open_with_preset.original(self, *args, **kwargs)
    codec = self._current_encode_job.stream.codec_context
    if codec.name == "libx264":
        codec.options = {**codec.options, "preset": X264_PRESET}


# Stills: only the last frame, each animation whose end is known put straight into it.
#
# A still (`gptanim preview`, `render_still`) is a scene's last frame. Manim, skipping animations, still
# begins each one (copies of the mobject and its target, points aligned between them) only to finish it at
# once; for the 21 scenes that was two thirds of a still's cost. Where the final state is known without
# that, it is set directly, the same state manim's `finish` leaves on screen:
# - a mobject brought in (FadeIn, Create, Write, Grow…) ends as it is, added to the scene; one taken out
#   (FadeOut) ends as it is, removed (manim restores it after the fade);
# - Indicate ends as it began (its rate goes there and back);
# - ReplacementTransform(a, b) ends with b, untouched, in a's place; TransformFromCopy(a, b) with b as it is;
# - `mobject.animate.…` ends with the methods applied to the mobject itself (as manim's own finish does);
# - Transform(a, b) ends with a's pieces holding b's points and style (when their pieces differ, matched up
#   as Transform matches them: `become`, with a copy of b, which Transform leaves untouched too).
# Anything else (MoveAlongPath, UpdateFromAlphaFunc, a rate function that does not end at 1) is played as
# manim plays it. Updaters run as manim runs them when it skips: the animated mobjects' own are held during
# the play and run once (dt = 0) after it, the others once with the play's whole duration.


@replaces(CairoRenderer, "update_frame", "still")
def update_frame_last_only(self, scene, *args, **kwargs) -> None:
    """`CairoRenderer.update_frame` drawing nothing while animations are skipped until `draw_now` is set (the
    render worker sets it for the last frame): manim, skipping, still draws the scene twice per animation."""
    if not self.skip_animations or getattr(self, "draw_now", False):
        update_frame_last_only.original(self, scene, *args, **kwargs)


UNCHANGED = (FadeIn, FadeOut, Create, Write, GrowFromEdge, GrowArrow, GrowFromCenter, GrowFromPoint)


def leaves(animations) -> list:
    """The animations of a play, groups opened (LaggedStart and Succession are AnimationGroups)."""
    out = []
    for anim in animations:
        out.extend(leaves(anim.animations) if isinstance(anim, AnimationGroup) else [anim])
    return out


def same_pieces(a, b) -> bool:
    pa, pb = a.family_members_with_points(), b.family_members_with_points()
    return len(pa) == len(pb) and all(x.points.shape == y.points.shape for x, y in zip(pa, pb, strict=True))


def knows_end(anim) -> bool:
    """Whether this animation's final state is one of those set directly (see the module's text)."""
    kind = type(anim)
    if kind is Indicate:  # there and back: it ends as it began
        return anim.rate_func(1.0) == 0.0
    if anim.rate_func(1.0) != 1.0:
        return False
    if kind in UNCHANGED or kind in (ReplacementTransform, TransformFromCopy, _MethodAnimation):
        return True
    return kind is Transform and not anim.replace_mobject_with_target_in_scene


def set_end(anim) -> None:
    kind = type(anim)
    if kind is _MethodAnimation:
        for item in anim.methods:
            item.method.__func__(anim.mobject, *item.args, **item.kwargs)
    elif kind is Transform and not same_pieces(anim.mobject, anim.target_mobject):
        anim.mobject.become(anim.target_mobject.copy())  # pieces matched up as Transform matches them
    elif kind is Transform:
        pieces = zip(anim.mobject.family_members_with_points(), anim.target_mobject.family_members_with_points(),
                     strict=True)  # fmt: skip
        for piece, target in pieces:
            piece.points = target.points.copy()
            piece.interpolate_color(piece, target, 1.0)


def clean_up(anim, scene, remover: bool = False) -> None:
    """`clean_up_from_scene` without what undoes a played animation (there was none)."""
    if isinstance(anim, AnimationGroup):
        anim._on_finish(scene)
        for inner in anim.animations:
            clean_up(inner, scene, remover or anim.remover)
        return
    anim._on_finish(scene)
    if remover or anim.is_remover():
        scene.remove(anim.mobject)
    if isinstance(anim, Transform) and anim.replace_mobject_with_target_in_scene:
        scene.replace(anim.mobject, anim.target_mobject)


def finish_at_once(scene) -> bool:
    """Put the compiled play (`scene.animations`) in its final state, if every part of it is known; else
    leave everything as it was and return False."""
    parts = leaves(scene.animations)
    if len(parts) == 1 and isinstance(parts[0], Wait) and parts[0].is_static_wait:
        return True  # nothing moves, nothing updates: only the time goes on
    if not parts or not all(knows_end(a) for a in parts):
        return False
    settle_lazy(scene, finished=True)
    on_screen = None  # what is on screen, looked up once if something is introduced (manim: per animation)
    for anim in parts:
        if anim.is_introducer():
            on_screen = members(scene.mobjects) if on_screen is None else on_screen
            if anim.mobject not in on_screen:
                scene.add(anim.mobject)
                on_screen.update(anim.mobject.get_family())
    held = [a.mobject for a in parts if a.suspend_mobject_updating and a.mobject is not None]
    for mob in held:
        mob.suspend_updating()
    for anim in parts:
        set_end(anim)
    dt = scene.duration
    scene.update_mobjects(dt)
    scene.update_meshes(dt)
    scene.update_self(dt)
    for mob in held:
        mob.resume_updating()
    for anim in scene.animations:
        clean_up(anim, scene)
    return True


PENDING: list = []  # `.animate` builders (and their animations) whose target is not made yet


@replaces(_AnimationBuilder, "__init__", "still")
def lazy_builder(self, mobject) -> None:
    """`mobject.animate` without the copy of the mobject it makes at once as the animation's target: a still
    finishes nearly every such animation at once by applying its methods to the mobject itself (`set_end`),
    and never looks at the target. The methods are recorded; the target is made (`materialize`: the copy,
    then the methods applied to it, as manim would have applied them) when a play needs it, or before any
    play that moves something else while the builder waits, or when the mobject already has a target of
    its own (manim would replace it). A video is manim's own."""
    lazy = config.save_last_frame and getattr(mobject, "target", None) is None
    if not lazy:
        lazy_builder.original(self, mobject)
    else:
        self.mobject, self.overridden_animation, self.is_chaining, self.methods = mobject, None, False, []
        self.cannot_pass_args, self.anim_args = False, {}
        PENDING.append(self)
    self.gptanim_lazy = lazy


@replaces(_AnimationBuilder, "__getattr__", "still")
def lazy_method(self, method_name: str):
    """`_AnimationBuilder.__getattr__`: while lazy, a plain method of the mobject is recorded (not applied to a
    target); anything else (an overridden animation, not a method) makes the target first, as manim."""
    if not self.__dict__.get("gptanim_lazy"):
        return lazy_method.original(self, method_name)
    method = getattr(self.mobject, method_name)
    if hasattr(method, "_override_animate") or not hasattr(method, "__func__") or self.overridden_animation:
        materialize(self)
        return lazy_method.original(self, method_name)

    def record(*method_args, **method_kwargs):
        self.methods.append(MethodWithArgs(method, method_args, method_kwargs))
        return self

    self.is_chaining = self.cannot_pass_args = True
    return record


@replaces(_AnimationBuilder, "build", "still")
def lazy_build(self):
    """`_AnimationBuilder.build`: while lazy, the animation's target is a stand-in (manim's own for a mobject
    with no target), which `materialize` replaces by the real one before anything begins the animation."""
    anim = lazy_build.original(self)
    if self.__dict__.get("gptanim_lazy"):
        anim.gptanim_builder = self
        PENDING.append(anim)
    return anim


def materialize(lazy) -> None:
    """The target a lazy builder (or its animation) did not make: a copy of the mobject, its recorded methods
    applied to it in order (what manim did at `.animate`)."""
    builder = getattr(lazy, "gptanim_builder", lazy)
    if builder.gptanim_lazy:
        builder.mobject.generate_target()
        for item in builder.methods:
            item.method.__func__(builder.mobject.target, *item.args, **item.kwargs)
        builder.gptanim_lazy, builder.gptanim_target = False, builder.mobject.target
    if lazy is not builder:
        lazy.target_mobject = builder.gptanim_target


def settle_lazy(scene, finished: bool) -> None:
    """Before a play changes anything: the targets of the builders waiting for a later play are made (from the
    mobject as it is now, as manim made them); this play's own too when it is played, not finished at once."""
    own = leaves(scene.animations)
    mine = {id(a) for a in own} | {id(getattr(a, "gptanim_builder", a)) for a in own}
    waiting = [lazy for lazy in PENDING if id(lazy) not in mine]
    PENDING.clear()
    for lazy in waiting:
        materialize(lazy)
    if not finished:
        for anim in own:
            if hasattr(anim, "gptanim_builder"):
                materialize(anim)


@replaces(SceneFileWriter, "save_image", "still")
def image_not_saved(self, image) -> None:
    """`SceneFileWriter.save_image`, which manim calls at a still's end with the frame it has (nothing drawn
    while skipping, `update_frame_last_only`), saves nothing: the render worker draws the last frame from
    scratch and saves that one (`gptanim.worker`): one PNG encoding per still, not two."""


@replaces(CairoRenderer, "play", "still")
def play_for_still(self, scene, *args, **kwargs) -> None:
    """`CairoRenderer.play` for a still: a play whose end is known is finished at once (`finish_at_once`);
    the rest as manim plays it when skipping (`play_compiled`). A video is played as manim plays it."""
    if not config.save_last_frame:
        return play_for_still.original(self, scene, *args, **kwargs)
    self.skip_animations = self._original_skipping_status
    self.update_skipping_status()  # skipping, since only the last frame is saved
    scene.compile_animation_data(*args, **kwargs)
    self.time += scene.duration
    self.file_writer.add_partial_movie_file(None)  # nothing is written: the play is skipped
    self.animations_hashes.append(None)
    if not finish_at_once(scene):
        settle_lazy(scene, finished=False)
        play_compiled(self, scene)
    self.static_image = None
    self.num_plays += 1


def play_compiled(renderer, scene) -> None:
    """The rest of manim's `CairoRenderer.play` when skipping, after its bookkeeping (`play_for_still`)."""
    renderer.file_writer.begin_animation(False)
    scene.begin_animations()
    renderer.save_static_frame_data(scene, scene.static_mobjects)
    if scene.is_current_animation_frozen_frame():
        renderer.update_frame(scene, mobjects=scene.moving_mobjects)
        renderer.freeze_current_frame(scene.duration)
    else:
        scene.play_internal()
    renderer.file_writer.end_animation(False)


# Applying.


def manim_version() -> str:
    return manim.__version__


def apply(kind: str) -> bool:
    """Put the replacements of `kind` ("scene", "video" or "still": see the module's text) in manim's place;
    False, with a one-line warning and manim left as it is, when manim is not the version they were written
    for. Applying again (any kind) changes nothing."""
    if APPLIED:
        return True
    if manim_version() != WRITTEN_FOR:
        print(f"gptanim: manim {manim_version()} is not {WRITTEN_FOR}, which its render speedups were written for: "
              "rendering with manim's own code (slower)", file=sys.stderr)  # fmt: skip
        return False
    install([patch for patch in PATCHES if patch.group in SETS[kind]])
    return True


def install(patches: list[Patch]) -> None:
    for patch in patches:
        setattr(patch.owner, patch.name, patch.new)
        APPLIED.append(patch)


def restore() -> None:
    """Manim's own again, as before `apply` (the tests compare both in one process)."""
    while APPLIED:
        patch = APPLIED.pop()
        if patch.own:
            setattr(patch.owner, patch.name, patch.new.original)
        else:
            delattr(patch.owner, patch.name)


@contextmanager
def only(*replacements: Callable) -> Iterator[None]:
    """While active, these replacements and no other (none: manim's own); then what was applied before."""
    was = list(APPLIED)
    chosen = [patch for patch in PATCHES if patch.new in replacements]
    if len(chosen) != len(replacements):
        raise ValueError("not a replacement of the engine")
    restore()
    try:
        install(chosen)
        yield
    finally:
        restore()
        install(was)


def apply_if_asked() -> None:
    """A plain `manim` render uses the engine when `GPTANIM_ENGINE=1` (the set a video worker uses)."""
    if os.environ.get("GPTANIM_ENGINE") == "1":
        apply("video")
