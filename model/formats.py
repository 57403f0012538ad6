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


def adding_digits(terms, total: float, least: int = 2, most: int = 4) -> int | None:
    """The fewest decimals (from `least` to `most`) at which the shown terms add up to the shown total, so a
    viewer who checks “−0.10 + 0.01 = −0.08” by hand finds no error; None when none does (show “≈” then).
    For a product, pass its factors' rounding check separately: this is for sums."""
    for digits in range(least, most + 1):
        shown = sum(float(fmt_value(t, digits).replace("−", "-")) for t in terms)
        if round(shown, digits) == float(fmt_value(total, digits).replace("−", "-")):
            return digits
    return None
