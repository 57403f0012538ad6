"""Numbers and tokens as a narrator says them (no manim, no torch).

Narration is written with numbers rounded the way a person would say them ("21%", "8,192",
"5.3 million") so that subtitles stay short; `speakable` spells them out in words for the voice
("twenty-one percent"). Tokens are named, never spelled byte by byte: `spoken_token`.
"""

from __future__ import annotations

import re

from model.formats import fmt_percent
from model.tokens_text import NEWLINE, SPACE, TAB

ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
       "seventeen eighteen nineteen".split()  # fmt: skip
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
SCALES = [(10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand")]
PUNCTUATION = {",": "the comma", ".": "the full stop", "!": "the exclamation mark", "?": "the question mark",
               ":": "the colon", ";": "the semicolon", "'": "the apostrophe", '"': "the quotation mark",
               "“": "the quotation mark", "”": "the quotation mark", "-": "the hyphen", "—": "the dash",
               "(": "the opening bracket", ")": "the closing bracket"}  # fmt: skip


def words(n: int) -> str:
    """A whole number in words: 8192 → 'eight thousand one hundred ninety-two'."""
    n = int(n)
    if n < 0:
        return "minus " + words(-n)
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("-" + ONES[n % 10] if n % 10 else "")
    if n < 1000:
        return ONES[n // 100] + " hundred" + (" " + words(n % 100) if n % 100 else "")
    for scale, name in SCALES:
        if n >= scale:
            return words(n // scale) + " " + name + (" " + words(n % scale) if n % scale else "")
    raise AssertionError(n)


def pct(p: float) -> str:
    """A probability as a person says it: '21%', '4.2%', 'under 1%' (written; `speakable` says it)."""
    v = float(p) * 100
    if v >= 99.5:
        return "100%" if v >= 99.995 else "over 99%"
    if v >= 9.95:
        return f"{v:.0f}%"
    if v >= 1:
        return f"{v:.1f}%".replace(".0%", "%")
    return "under 1%"


def said_pct(p: float) -> str:
    """A probability said as the screen writes it ('12.3%', 'under 0.1%' for '<0.1%'): voice and picture agree."""
    shown = fmt_percent(p)
    return "under 0.1%" if shown.startswith("<") else shown


def big(n: int) -> str:
    """A count as said aloud: '8,192', '5.3 million', '175 billion'."""
    n = int(n)
    for scale, name in SCALES[:3]:
        if n >= scale:
            v = n / scale
            return f"{v:.0f} {name}" if v >= 100 or v == round(v) else f"{v:.1f} {name}".replace(".0 ", " ")
    return f"{n:,}"


def dec(x: float, digits: int = 1) -> str:
    """A measured value rounded for speech: '7.2', '−0.4', '1' (no trailing zeros)."""
    s = f"{float(x):.{digits}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")  # 1.00 is said "one", 0.70 "zero point seven"
    return s.replace("-", "−") if float(s) != 0 else s.lstrip("-")


def spoken_token(display: str, start: bool = False) -> str:
    """A token named in a sentence: '“girl”', 'the comma', 'a newline', 'a piece of a character'.

    With `start`, capitalised to begin a sentence ('The comma'); a quoted token keeps its case.
    """
    said = _token(display)
    return said[0].upper() + said[1:] if start else said


def _token(display: str) -> str:
    text = display.replace(SPACE, " ").replace(TAB, "\t")
    bare = text.strip(" ")
    if display.startswith("‹") and display.endswith("›"):
        return "a piece of a character"
    if not bare:
        return "a space" if text == " " else "a run of spaces"
    if set(bare) == {NEWLINE}:
        return "a newline" if len(bare) == 1 else "a blank line"
    if bare in PUNCTUATION:
        return PUNCTUATION[bare]
    if bare == "<|endoftext|>":
        return "the end-of-text token"
    return f"“{bare.replace(NEWLINE, ' ')}”"


def plain_quote(text: str, otherwise: str, limit: int = 80) -> str:
    """Text in quotes if a narrator can read it out (letters, digits, spaces, common punctuation; at most
    `limit` characters), else `otherwise`."""
    text = " ".join(text.split())
    if text and len(text) <= limit and re.fullmatch(r"[A-Za-z0-9 ,.;:!?'’\-]+", text):
        return f"“{text}”"
    return otherwise


def opening(text: str) -> str:
    """A clause (a statement's words, say) that starts a spoken sentence: its first letter capitalised."""
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    """A sentence that goes on after other words: its first letter in lower case ('One learned…' → 'one learned…')."""
    return text[:1].lower() + text[1:]


def aloud(text: str) -> str:
    """Written words (a statement's, say) as sentences to speak: a bracketed remark becomes a clause after a
    comma, so does a sentence's first colon, a semicolon ends a sentence, and each sentence starts with a capital
    and ends with a full stop: 'plurals score higher (90% of 10 pairs); one to four: in order' → 'Plurals score
    higher, 90% of 10 pairs. One to four, in order.'"""
    text = re.sub(r"\s*\(([^()]*)\)", r", \1", text.strip())
    parts = [opening(part.strip().replace(": ", ", ", 1)) for part in text.split(";") if part.strip()]
    return " ".join(part if part[-1] in ".!?" else part + "." for part in parts)


def listing(items: list[str]) -> str:
    """'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


SAID_AS = {
    "×": " times ",
    "≈": "about ",
    " · ": " dot ",
    "W_E": "W E",
    "W_U": "W U",
    "LayerNorm": "layer norm",
    "-gpt": " G P T",
}
NUMBER = re.compile(r"((?<!\w)[−-])?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(%| (?:million|billion|trillion))?")
QUOTED = re.compile(r"“([^”]*)”")


def _say_number(m: re.Match) -> str:
    sign, whole, frac, unit = m.groups()
    out = ("minus " if sign else "") + words(int(whole.replace(",", "")))
    if frac:
        out += " point " + " ".join(ONES[int(d)] for d in frac[1:])
    if unit == "%":
        out += " percent"
    elif unit:
        out += unit
    return out


def speakable(text: str) -> str:
    """Narration as the voice should read it: numbers in words, symbols named, foreign tokens as 'this token'."""

    def token(m: re.Match) -> str:
        inner = m.group(1)
        if not re.search(r"[A-Za-z0-9]", inner):
            return "this token"
        return re.sub(r"(?<=\w)[^\w\s'’]+(?=\w)", " ", inner)  # "feet.cause" is said "feet cause", not "feet dot cause"

    text = QUOTED.sub(token, text)
    text = re.sub(r"(?<![\w.])\+(?=\d)", "", text)  # a sign shown on a positive value is not said
    for written, said in SAID_AS.items():
        text = text.replace(written, said)
    text = NUMBER.sub(_say_number, text)
    return re.sub(r"\s+", " ", text).strip()
