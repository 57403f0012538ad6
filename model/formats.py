"""How numbers are written on screen, shared by the scenes and the statements of model/claims.py."""

from __future__ import annotations


def fmt_value(value: float, digits: int = 2) -> str:
    """A vector or weight entry as shown: fixed decimals with a real minus sign."""
    text = f"{value:+.{digits}f}"
    if float(text) == 0:  # a value that rounds to zero: no sign (“−0.00” puzzles a viewer)
        return f"{0:.{digits}f}"
    if text.startswith("-"):
        return "−" + text[1:]
    return text


def fmt_percent(prob: float) -> str:
    """A probability as shown beside its bar."""
    pct = prob * 100
    return f"{pct:.1f}%" if pct >= 0.05 else "<0.1%" if pct > 0 else "0.0%"


def shown_percent(prob: float) -> float:
    """The percentage a viewer reads in `fmt_percent(prob)` (“<0.1%” reads as 0)."""
    text = fmt_percent(prob)
    return 0.0 if text.startswith("<") else float(text.rstrip("%"))
