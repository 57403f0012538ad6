"""Property-based prompts over Unicode categories: the Trace and the text layer take any text.

Few examples each (derandomized, so CI sees the same ones every run), so that this runs in seconds.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.errors import GptanimError

# Letters of every script (Latin, CJK, Hebrew, Arabic…), combining marks, digits, punctuation, symbols
# (emoji), spaces, control and format characters (ZWJ, bidi marks).
CATEGORIES = ("Lu", "Ll", "Lo", "Lm", "Mn", "Mc", "Me", "Nd", "No", "Pd", "Ps", "Pe", "Po", "Sm", "Sc", "So",
              "Zs", "Cc", "Cf")  # fmt: skip
ANY_TEXT = st.text(st.characters(categories=CATEGORIES), min_size=1, max_size=10)
FEW = settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(FEW, max_examples=10)  # a Trace takes about 0.3 s


def controls(text: str, keep: str = "") -> list[str]:
    return [ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in keep]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def model():
    from model.loading import load

    return load(None)


@FEWER
@given(prompt=ANY_TEXT)
def test_any_prompt_gives_a_trace_or_one_line(model, prompt):
    from gptanim.cli import summary
    from model.run import TraceSettings, trace

    try:
        result = trace(TraceSettings(prompt=prompt, generate=1), model)
    except GptanimError as exc:
        assert "\n" not in str(exc)
        assert not prompt.strip() or "\x00" in prompt or "no tokens" in str(exc)
        return
    tok = model.tokenizer
    assert tok.decode(result.token_ids) == prompt  # byte-level BPE loses nothing
    assert not any(controls(d) for d in result.token_display)  # drawn and printed without control characters
    assert not controls(summary(result), keep="\n")


@pytest.mark.filterwarnings("ignore")
@FEW
@given(text=ANY_TEXT)
def test_any_text_is_struck_with_its_bars_at_the_ends(text):
    from scenes.components import token_text

    shown = token_text(text, "x", size=22, limit=12)
    assert len(shown.submobjects) >= 2
    first, last, inner = shown[0], shown[-1], shown.submobjects[1:-1]
    assert first.get_fill_opacity() == 0 and last.get_fill_opacity() == 0  # the bars are invisible…
    assert all(g.get_fill_opacity() > 0 for g in inner)  # …and only they
    for glyph in inner:  # …and at the ends, whatever the direction of the text
        assert first.get_center()[0] < glyph.get_center()[0] < last.get_center()[0]
    reference = token_text("x", "x", size=22)
    assert abs(first.height - reference[0].height) < 1e-6
