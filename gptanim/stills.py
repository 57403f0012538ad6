"""Stills without playing: each animation of a still's scene is put straight into its final state.

A still (`gptanim preview`, `render_still`) is a scene's last frame. Manim, skipping animations, still
begins each one (copies of the mobject and its target, points aligned between them) only to finish it at
once; for the 21 scenes that was two thirds of a still's cost. Where the final state is known without
that, this sets it directly, the same state manim's `finish` leaves on screen:

- a mobject brought in (FadeIn, Create, Write, Grow…) ends as it is, added to the scene; one taken out
  (FadeOut) ends as it is, removed (manim restores it after the fade);
- Indicate ends as it began (its rate goes there and back);
- ReplacementTransform(a, b) ends with b, untouched, in a's place; TransformFromCopy(a, b) with b as it is;
- `mobject.animate.…` ends with the methods applied to the mobject itself (as manim's own finish does);
- Transform(a, b) ends with a's pieces holding b's points and style (when their pieces differ, matched up
  as Transform matches them: `become`, with a copy of b, which Transform leaves untouched too).

Anything else (MoveAlongPath, UpdateFromAlphaFunc, a rate function that does not end at 1) is played
as manim plays it. Updaters run as manim runs them when it skips: the animated mobjects' own are held
during the play and run once (dt = 0) after it, the others once with the play's whole duration.
`tests/test_speedups.py` draws stills both ways and compares the pictures.
"""

from __future__ import annotations

from manim import (
    AnimationGroup,
    Create,
    FadeIn,
    FadeOut,
    GrowArrow,
    GrowFromCenter,
    GrowFromEdge,
    GrowFromPoint,
    Indicate,
    ReplacementTransform,
    Transform,
    TransformFromCopy,
    Wait,
    Write,
    config,
)
from manim.animation.transform import _MethodAnimation
from manim.renderer.cairo_renderer import CairoRenderer

ENABLED = True  # False: every play as manim plays it (tests compare the two)
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
    on_screen = set(scene.get_mobject_family_members())  # introduced once: manim looks this up per animation
    for anim in parts:
        if anim.is_introducer() and anim.mobject not in on_screen:
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


def apply() -> None:
    """In a still worker: plays whose end is known are finished at once; the rest as manim plays them."""
    if getattr(CairoRenderer, "gptanim_stills", False):
        return
    play = CairoRenderer.play

    def play_for_still(self, scene, *args, **kwargs):
        if not config.save_last_frame or not ENABLED:
            return play(self, scene, *args, **kwargs)
        self.skip_animations = self._original_skipping_status
        self.update_skipping_status()  # skipping, since only the last frame is saved
        scene.compile_animation_data(*args, **kwargs)
        self.time += scene.duration
        self.file_writer.add_partial_movie_file(None)  # nothing is written: the play is skipped
        self.animations_hashes.append(None)
        if not finish_at_once(scene):
            play_compiled(self, scene)
        self.static_image = None
        self.num_plays += 1

    CairoRenderer.play = play_for_still
    CairoRenderer.gptanim_stills = True


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
