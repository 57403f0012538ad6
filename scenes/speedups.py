"""Faster versions of manim internals the lecture leans on, each giving the original's result (a moved Cairo
path: the same picture within Cairo's curve tolerance, see `cairo_path`).

Applied once, when `scenes.base` is imported (every scene, plain `manim` runs and render workers alike).
Manim is pinned (0.21.0), so each replacement is checked against the version it was written for.
"""

from __future__ import annotations

import copy
import weakref

import av
import numpy as np
from manim import ManimColor
from manim.camera.camera import Camera
from manim.constants import CapStyleType, LineJointType
from manim.mobject.geometry.arc import TipableVMobject
from manim.mobject.geometry.tips import ArrowTriangleFilledTip
from manim.mobject.mobject import Mobject
from manim.mobject.types.vectorized_mobject import VMobject
from manim.scene.scene_file_writer import _PartialMovieEncodeJob


def subpaths_from_points(self, points):
    """`VMobject.get_subpaths_from_points` with the anchors compared all at once (manim's own vectorised
    `get_subpath_split_indices_from_points`, which its camera already uses) instead of one `np.allclose`
    per curve: the same subpaths, the same tolerance. Transforms align the points of every text glyph
    this way when they begin; in the Temperature scene's last-frame render this was 12% of the time."""
    nppcc = self.n_points_per_cubic_curve
    return [points[i1:i2] for i1, i2 in self.get_subpath_split_indices_from_points(points) if i2 - i1 >= nppcc]


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


KEPT = {int, float, bool, str, complex, bytes, type(None), np.float64, np.float32, np.int64, np.bool_}
KEPT |= {LineJointType, CapStyleType}  # enums: deepcopy hands back the member itself


def copied(value, memo: dict, make):
    """`make(value)`, once per value however often it is referred to, as `copy.deepcopy` keeps it."""
    done = memo.get(id(value))
    if done is None:
        done = memo[id(value)] = make(value)
        memo.setdefault(id(memo), []).append(value)  # kept alive while copying, as deepcopy does
    return done


def color_copy(color: ManimColor) -> ManimColor:
    clone = ManimColor.__new__(ManimColor)
    clone.__dict__ = {k: v.copy() if type(v) is np.ndarray else copy.deepcopy(v) for k, v in color.__dict__.items()}
    return clone


def mobject_copy(self, memo: dict):
    """`Mobject.__deepcopy__` with the attributes that `copy.deepcopy` would hand back as they are (numbers,
    strings, None, enum members) kept without asking it, and arrays of numbers, colours and empty lists
    copied directly (arrays as `ndarray.__deepcopy__` does: same layout; each value copied once however
    often it is referred to). Everything else goes to `copy.deepcopy` as before. A mobject has some forty attributes, most of them such values; every
    animation and every text handed out copies whole families of them."""
    cls = self.__class__
    result = cls.__new__(cls)
    memo[id(self)] = result
    for name, value in self.__dict__.items():
        kind = type(value)
        if kind in KEPT:
            setattr(result, name, value)
        elif kind is np.ndarray and value.dtype != object:
            setattr(result, name, copied(value, memo, lambda v: v.copy(order="K")))
        elif kind is ManimColor:
            setattr(result, name, copied(value, memo, color_copy))
        elif kind is list and not value:
            setattr(result, name, copied(value, memo, lambda v: []))
        else:
            setattr(result, name, copy.deepcopy(value, memo))
    result.original_id = str(id(self))
    return result


PATHS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # VMobject -> (points, their path, last drawn)
NEAR = 1e-9  # frame units (a pixel at 4K is 0.004): points this close to a moved copy are that copy


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


def apply() -> None:
    if getattr(VMobject, "gptanim_speedups", False):
        return
    VMobject.get_subpaths_from_points = subpaths_from_points
    family.original, mobject_copy.original = Mobject.get_family, Mobject.__deepcopy__
    Mobject.get_family = family
    Mobject.__deepcopy__ = mobject_copy
    unpositioned_tip.original = TipableVMobject.get_unpositioned_tip
    TipableVMobject.get_unpositioned_tip = unpositioned_tip
    cairo_path.original = Camera.set_cairo_context_path
    Camera.set_cairo_context_path = cairo_path
    encode_frame.original = _PartialMovieEncodeJob._encode_and_write_frame
    _PartialMovieEncodeJob._encode_and_write_frame = encode_frame
    VMobject.gptanim_speedups = True
