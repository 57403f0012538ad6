"""Faster versions of manim internals the lecture leans on; each gives exactly the same result as the original.

Applied once, when `scenes.base` is imported (every scene, plain `manim` runs and render workers alike).
Manim is pinned (0.21.0), so each replacement is checked against the version it was written for.
"""

from __future__ import annotations

import copy

import av
import numpy as np
from manim import ManimColor
from manim.constants import CapStyleType, LineJointType
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


def apply() -> None:
    if getattr(VMobject, "gptanim_speedups", False):
        return
    VMobject.get_subpaths_from_points = subpaths_from_points
    family.original, mobject_copy.original = Mobject.get_family, Mobject.__deepcopy__
    Mobject.get_family = family
    Mobject.__deepcopy__ = mobject_copy
    encode_frame.original = _PartialMovieEncodeJob._encode_and_write_frame
    _PartialMovieEncodeJob._encode_and_write_frame = encode_frame
    VMobject.gptanim_speedups = True
