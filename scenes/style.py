"""The visual vocabulary shared by every scene: colours, font, sizes, number formats."""

from __future__ import annotations

import colorsys
import os
import sys

from manim import ManimColor, MathTex, Tex, interpolate_color

from model.errors import GptanimError
from model.formats import fmt_percent, fmt_value  # noqa: F401 - one definition, used by the scenes too
from model.settings import SETTING

FONT = "DejaVu Sans"
MONO = "DejaVu Sans Mono"
# Two themes: dark for screens (the default), light for projectors in lit rooms and for paper, one palette for each
# of the theme setting's choices (model/settings.py). Chosen by GPTANIM_THEME when the scenes are imported
# (`gptanim --theme` sets it for its render processes).
THEMES = {
    "dark": {
        "background": "#0e1116", "text": "#e8e8e8", "muted": "#a3a8b0", "next_slot": "#ffd84a",
        "key": "#3fc1c9", "value": "#ff6b6b", "positive": "#58a6ff", "negative": "#ff5f56",
        "data_low": "#5c6066", "data_high": "#ffffff", "bar": "#4f9fd8", "block_attention": "#3fc1c9",
        "block_mlp": "#b48ead", "weight_zero": "#3a3d42", "pattern_zero": "#000000", "hue_lightness": 0.68,
    },
    "light": {  # every colour at least 3:1 against the background, as the dark ones are
        "background": "#ffffff", "text": "#1f2328", "muted": "#59636e", "next_slot": "#9a6700",
        "key": "#0b7a83", "value": "#cf222e", "positive": "#0969da", "negative": "#d1242f",
        "data_low": "#8c959f", "data_high": "#000000", "bar": "#3b82c4", "block_attention": "#0b7a83",
        "block_mlp": "#8250df", "weight_zero": "#b6bcc3", "pattern_zero": "#ffffff", "hue_lightness": 0.40,
    },
}  # fmt: skip
THEME = os.environ.get(SETTING["theme"].env) or SETTING["theme"].default
try:
    SETTING["theme"].check(THEME, f"{SETTING['theme'].env}: ")
except GptanimError as exc:
    print(f"gptanim: error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
_palette = THEMES[THEME]

BACKGROUND = _palette["background"]
TEXT = ManimColor(_palette["text"])
MUTED = ManimColor(_palette["muted"])
NEXT_SLOT = ManimColor(_palette["next_slot"])  # the next-token slot
QUERY = ManimColor(_palette["next_slot"])
KEY = ManimColor(_palette["key"])
VALUE = ManimColor(_palette["value"])
TEMPERATURE = ManimColor(_palette["value"])
POSITIVE = ManimColor(_palette["positive"])  # weights > 0
NEGATIVE = ManimColor(_palette["negative"])  # weights < 0
DATA_LOW = ManimColor(_palette["data_low"])  # data vectors: grey (small) to white (large) on dark
DATA_HIGH = ManimColor(_palette["data_high"])
BAR = ManimColor(_palette["bar"])
BLOCK_ATTENTION = ManimColor(_palette["block_attention"])
BLOCK_MLP = ManimColor(_palette["block_mlp"])
WEIGHT_ZERO = ManimColor(_palette["weight_zero"])
PATTERN_ZERO = ManimColor(_palette["pattern_zero"])  # an attention weight of 0 in the small multiples

for _formula in (MathTex, Tex):  # formulas are drawn in manim's default colour, white, unless told
    _formula.set_default()  # (back to manim's own defaults first)
    if THEME != "dark":
        _formula.set_default(color=TEXT)

FRAME_MARGIN = 0.3  # keep every text this far inside the frame


def token_hue(index: int) -> ManimColor:
    """The colour of the token at a position: hues spread by the golden angle, calm saturation."""
    hue = (0.58 + index * 0.381966) % 1.0
    r, g, b = colorsys.hls_to_rgb(hue, _palette["hue_lightness"], 0.55)
    return ManimColor.from_rgb((r, g, b))


def weight_color(value: float, scale: float) -> ManimColor:
    """Blue for positive, red for negative, brighter for larger |value| relative to `scale`."""
    t = min(abs(value) / scale, 1.0) if scale > 0 else 0.0
    base = POSITIVE if value >= 0 else NEGATIVE
    return interpolate_color(WEIGHT_ZERO, base, 0.25 + 0.75 * t)


def data_color(value: float, scale: float) -> ManimColor:
    """Grey for small entries of a data vector, white for large ones."""
    t = min(abs(value) / scale, 1.0) if scale > 0 else 0.0
    return interpolate_color(DATA_LOW, DATA_HIGH, t)


def cut(text: str, limit: int = 12) -> str:
    """Long tokens are cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
