"""Narration as a teacher says it: spoken forms of written words, and the rules every beat's narration keeps."""

from __future__ import annotations

import re

from scenes.speech import NUMBER, aloud, speakable
from scenes.voice import sentences


def check_narration(scene) -> None:
    """Each beat's narration, quotes aside: sentences that start with a capital (or a quoted token), no brackets or semicolons
    read out, at most one colon and two numbers a sentence, and no sentence longer than 30 words."""
    for beat in scene.beats:
        for said in sentences(re.sub(r"“[^”]*”", "“x”", beat["say"])):  # (quoted text is the model's, not ours)
            assert re.match(r"[A-Z0-9“]", said), f"{beat['id']}: a sentence starts in lower case: {said!r}"
            assert not re.search(r"[()\[\];]", said), f"{beat['id']}: brackets or a semicolon read out: {said!r}"
            assert said.count(":") <= 1, f"{beat['id']}: two colons in one sentence: {said!r}"
            assert len(NUMBER.findall(said)) <= 2, f"{beat['id']}: more than two numbers in a sentence: {said!r}"
            assert len(said.split()) <= 30, f"{beat['id']}: a sentence of {len(said.split())} words: {said!r}"


def test_a_word_with_punctuation_inside_is_said_as_words():
    assert speakable("“feet.cause” becomes 2 of them.") == "feet cause becomes two of them."
    assert speakable("“don’t” and “U.S.A”") == "don’t and U S A"  # an apostrophe stays; a dot between letters goes
    assert speakable("“...”") == "this token"


def test_statements_become_sentences_to_speak():
    assert aloud("after 20 tokens, the most it may write here, the quote is still open") == (
        "After 20 tokens, the most it may write here, the quote is still open."
    )
    assert aloud("in all 256 dimensions they point partly the same way (cosine 0.31)") == (
        "In all 256 dimensions they point partly the same way, cosine 0.31."
    )
    said = aloud("German: 17 pieces, more than English's 9; 1.9 characters a piece (English 4.4)")
    assert said == "German, 17 pieces, more than English's 9. 1.9 characters a piece, English 4.4."
    assert aloud("one to four: each further along than the last") == "One to four, each further along than the last."
    assert speakable("man · woman") == "man dot woman"
