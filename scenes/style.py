"""The visual vocabulary shared by every scene: colours, font, sizes, number formats."""

from __future__ import annotations

import colorsys

from manim import ManimColor, interpolate_color

from model.formats import fmt_percent, fmt_value  # noqa: F401 - one definition, used by the scenes too

FONT = "DejaVu Sans"
MONO = "DejaVu Sans Mono"
BACKGROUND = "#0e1116"

TEXT = ManimColor("#e8e8e8")
MUTED = ManimColor("#8a8f98")
NEXT_SLOT = ManimColor("#ffd84a")  # the next-token slot
QUERY = ManimColor("#ffd84a")
KEY = ManimColor("#3fc1c9")
VALUE = ManimColor("#ff6b6b")
TEMPERATURE = ManimColor("#ff6b6b")
POSITIVE = ManimColor("#58a6ff")  # weights > 0
NEGATIVE = ManimColor("#ff5f56")  # weights < 0
DATA_LOW = ManimColor("#5c6066")  # data vectors: grey (small) to white (large)
DATA_HIGH = ManimColor("#ffffff")
BAR = ManimColor("#4f9fd8")
BLOCK_ATTENTION = ManimColor("#3fc1c9")
BLOCK_MLP = ManimColor("#b48ead")

FRAME_MARGIN = 0.3  # keep every text this far inside the frame


def token_hue(index: int) -> ManimColor:
    """The colour of the token at a position: hues spread by the golden angle, calm saturation."""
    hue = (0.58 + index * 0.381966) % 1.0
    r, g, b = colorsys.hls_to_rgb(hue, 0.68, 0.55)
    return ManimColor.from_rgb((r, g, b))


def weight_color(value: float, scale: float) -> ManimColor:
    """Blue for positive, red for negative, brighter for larger |value| relative to `scale`."""
    t = min(abs(value) / scale, 1.0) if scale > 0 else 0.0
    base = POSITIVE if value >= 0 else NEGATIVE
    return interpolate_color(ManimColor("#3a3d42"), base, 0.25 + 0.75 * t)


def data_color(value: float, scale: float) -> ManimColor:
    """Grey for small entries of a data vector, white for large ones."""
    t = min(abs(value) / scale, 1.0) if scale > 0 else 0.0
    return interpolate_color(DATA_LOW, DATA_HIGH, t)


def cut(text: str, limit: int = 12) -> str:
    """Long tokens are cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
