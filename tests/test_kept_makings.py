"""The engine's kept makings (`engine.vmobject_init`): every VMobject (VGroup, Rectangle, Square, Polygon...) made
from a kept one is the one manim's own makes, attribute by attribute, and stays independent of the kept one."""

from __future__ import annotations

import numpy as np
import pytest
from manim import (
    RED,
    Arrow,
    BackgroundRectangle,
    Circle,
    Dot,
    Line,
    Mobject,
    Polygon,
    Rectangle,
    RoundedRectangle,
    Square,
    SurroundingRectangle,
    Triangle,
    VGroup,
    VMobject,
)
from manim.utils.color import ManimColor

from scenes import engine

MAKINGS = [
    lambda: Rectangle(),
    lambda: Rectangle(width=1.5, height=0.3, color=RED, fill_opacity=0.5, stroke_width=0),
    lambda: Rectangle(width=1, height=1.0, fill_opacity=1, stroke_width=0.0),  # ints and floats kept apart
    lambda: Square(0.4, fill_color="#ff0000", fill_opacity=1),
    lambda: RoundedRectangle(corner_radius=0.1, width=2, height=1, stroke_color=ManimColor("#123456")),
    lambda: Rectangle(width=2, height=1, grid_xstep=0.5, grid_ystep=0.5),
    lambda: SurroundingRectangle(Dot(), buff=0.1),
    lambda: BackgroundRectangle(Square(), fill_opacity=0.4),
    lambda: Rectangle(width=-0.0, height=0.0),
    lambda: Rectangle(sheen_direction=np.array([1.0, 0, 0])),  # an argument of another kind: manim's own
    lambda: VGroup(),
    lambda: VGroup(Dot(), VGroup(Square()), stroke_width=2),
    lambda: VMobject(fill_opacity=0.2, stroke_opacity=0),
    lambda: Polygon([0, 0, 0], [1, 0, 0], [0, 2, 0], color=RED),
    lambda: Triangle(),
    lambda: Line([0, 0, 0], [1, 1, 0]).add_tip(),  # set up before: manim's own
    lambda: Arrow([0, 0, 0], [1, 1, 0], buff=0),
    lambda: Circle(radius=0.3),
]


class Own(Rectangle):
    """A rectangle class of our own: built by manim's own."""


def same_state(a, b, pairs: dict) -> None:
    """Same classes and values all the way down, every mobject met at the same places in both (colours' and
    numbers' identities aside: manim's own shares module constants' arrays, which any copy copies)."""
    assert type(a) is type(b)
    if isinstance(a, Mobject):
        if id(a) in pairs:
            assert pairs[id(a)] is b
            return
        pairs[id(a)] = b
        assert sorted(vars(a)) == sorted(vars(b)) and "original_id" not in vars(b)
        for k in vars(a):
            same_state(vars(a)[k], vars(b)[k], pairs)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    elif isinstance(a, ManimColor):
        same_state(a._internal_value, b._internal_value, pairs)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            same_state(x, y, pairs)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            same_state(a[k], b[k], pairs)
    else:
        assert repr(a) == repr(b)


@pytest.mark.parametrize("k", range(len(MAKINGS)))
def test_a_rectangle_from_a_kept_one_is_manims(k):
    engine.MADE.clear()
    with engine.only(engine.vmobject_init, engine.mobject_copy):
        ours = [MAKINGS[k]() for _ in range(3)]  # the first builds and keeps, the others copy
    manims = [MAKINGS[k]() for _ in range(3)]
    for mine, theirs in zip(ours, manims, strict=True):
        same_state(theirs, mine, {})
    ours[1].shift([1.0, 0.0, 0.0]).set_fill(RED, opacity=0.3)  # changing one leaves the next as manim's
    with engine.only(engine.vmobject_init):
        same_state(MAKINGS[k](), manims[0], {})


def test_kept_makings_only_for_manims_classes_and_plain_arguments():
    engine.MADE.clear()
    with engine.only(engine.vmobject_init):
        Own(width=2), Rectangle(sheen_direction=np.array([1.0, 0, 0])), Rectangle(color=[RED, RED])
        assert [key[0] for key in engine.MADE] == [VGroup]  # only the rectangles' grid lines (an empty VGroup)
        Rectangle(width=2), Rectangle(width=2.0, color="#ffffff"), Square(2), VGroup(), VGroup(Dot())
        assert [key[0].__name__ for key in engine.MADE] == ["VGroup", "Rectangle", "Rectangle", "Square"]
