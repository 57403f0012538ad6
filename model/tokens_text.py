"""How a token's text is shown: whitespace made visible, stray bytes spelled out."""

from __future__ import annotations

import unicodedata

SPACE = "·"
NEWLINE = "↵"
TAB = "→"


def display_token(text: str, raw_bytes: bytes | None = None) -> str:
    """Visible form of one token's text.

    A space becomes `·`, a newline `↵`, a tab `→`. A token that is only part of a
    multi-byte character decodes to U+FFFD; it is shown as its bytes, e.g. `‹e4 b8›`.
    """
    if "\ufffd" in text and raw_bytes is not None:
        return "‹" + " ".join(f"{b:02x}" for b in raw_bytes) + "›"
    return escape_controls(text.replace(" ", SPACE).replace("\n", NEWLINE).replace("\t", TAB))


def escape_controls(text: str, keep: str = "") -> str:
    """Control characters (ESC, DEL, a carriage return, NUL…) spelled out like bytes, e.g. `‹1b›`; `keep` stays.

    A terminal would act on them and a font draws nothing, or a box, for them.
    """
    return "".join(ch if ch in keep or unicodedata.category(ch) != "Cc" else f"‹{ord(ch):02x}›" for ch in text)


def byte_level_bytes(token: str) -> bytes:
    """The bytes of a GPT-2 byte-level BPE token string (e.g. 'Ġking' → b' king')."""
    return bytes(_BYTE_DECODER.get(ch, 0) for ch in token)


def _bytes_to_unicode() -> dict[int, str]:
    # GPT-2's reversible map from the 256 byte values to printable characters.
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    n = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + n)
            n += 1
    return dict(zip(printable, map(chr, chars)))


_BYTE_DECODER = {c: b for b, c in _bytes_to_unicode().items()}
