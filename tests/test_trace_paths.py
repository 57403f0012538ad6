"""Named access to a Trace (model/trace_paths.py): every value read by name carries the path that reads it back."""

from __future__ import annotations

import numpy as np
import pytest

from model.trace_data import Trace, stored_value
from model.trace_paths import Read


@pytest.fixture
def trace() -> Trace:
    rng = np.random.default_rng(0)
    arrays = {
        "blocks.0.attn.hook_q": rng.normal(size=(3, 2, 4)).astype(np.float32),  # (pos, head, d_head)
        "blocks.1.attn.hook_q": rng.normal(size=(3, 2, 4)).astype(np.float32),
        "blocks.1.attn.hook_pattern": rng.random(size=(2, 3, 3)).astype(np.float32),  # (head, query, key)
        "hook_embed": rng.normal(size=(3, 8)).astype(np.float32),
    }
    meta = {"d_model": 8, "settings": {"prompt": "a b c"}}
    info = {"tally": {"families": [{"family": "embedding", "params": 80}]}, "tokens": {"display": ["a", "·b", "·c"]}}
    return Trace(meta, arrays, info)


def test_one_entry_is_its_value_and_its_path(trace):
    read = trace.attn.q[1, 2, 1, 3]  # block 1, position 2, head 1, entry 3
    assert read == Read(float(trace["blocks.1.attn.hook_q"][2, 1, 3]), "blocks.1.attn.hook_q[2,1,3]")
    assert stored_value(trace, read.path) == read.value
    assert trace.stored("hook_embed")[2][5] == Read(float(trace["hook_embed"][2, 5]), "hook_embed[2,5]")


def test_a_part_keeps_its_path_and_narrows(trace):
    head = trace.attn.pattern[1, 0]  # block 1, head 0: (query, key)
    assert head.path == "blocks.1.attn.hook_pattern[0]" and head.value.shape == (3, 3) and len(head) == 3
    np.testing.assert_array_equal(stored_value(trace, head.path), head.value)
    assert head[2, 1].path == "blocks.1.attn.hook_pattern[0,2,1]" == head[2][1].path
    assert trace.attn.q[0].path == "blocks.0.attn.hook_q"


def test_fields_by_key(trace):
    assert trace.fields.meta.d_model == Read(8, "meta.d_model")
    params = trace.fields.info.tally.families[0].params
    assert params == Read(80, "info.tally.families.0.params") and stored_value(trace, params.path) == 80
    display = trace.fields.info.tokens.display
    assert display.path == "info.tokens.display" and len(display) == 3 and display[1] == Read("·b", display.path + ".1")


def test_what_the_trace_lacks_fails_where_it_is_named(trace):
    with pytest.raises(KeyError, match="no array named 'hook_pos_embed'"):
        trace.stored("hook_pos_embed")
    with pytest.raises(KeyError, match="the Trace has no meta.n_vocab"):
        _ = trace.fields.meta.n_vocab
    with pytest.raises(AttributeError, match="the Trace's attn has no 'query'"):
        _ = trace.attn.query
    with pytest.raises(IndexError, match="has 3 dimensions, indexed with 4"):
        trace.attn.q[0, 0, 0, 0, 0]


def test_scenes_draw_a_read_with_its_path(trace):
    from scenes.components import VectorColumn, number, sentence

    shown = number(trace.attn.q[0, 1, 0, 2], fmt="value3")
    assert shown.gptanim_numbers == [("blocks.0.attn.hook_q[1,0,2]", "value3")]
    line = sentence("{d} numbers", d=(trace.fields.meta.d_model, "int"))
    assert line.gptanim_numbers == [("meta.d_model", "int")] and line.gptanim_text.startswith("8 numbers")
    column = VectorColumn(trace.stored("hook_embed")[1], shown=3, dim_path=None)
    assert [e.gptanim_numbers[0][0] for e in column.entries] == [f"hook_embed[1,{i}]" for i in range(3)]


def test_the_components_take_tokens_patterns_and_bars_read_with_their_paths(trace):
    from scenes.components import AttentionGrid, ProbabilityBars, TokenBox, TokenRow

    display = trace.fields.info.tokens.display
    box = TokenBox(display[1])
    assert box.text.gptanim_tokens == [("info.tokens.display.1", 12)] and box.text.gptanim_text == "·b"
    row = TokenRow(display)
    assert [b.text.gptanim_tokens[0][0] for b in row.boxes] == [f"info.tokens.display.{i}" for i in range(3)]
    grid = AttentionGrid(trace.attn.pattern[1, 0], display)
    assert grid.cells[3].weight_path == "blocks.1.attn.hook_pattern[0,1,0]"  # query 1, key 0
    assert [t.gptanim_tokens[0][0] for t in grid.row_labels] == [f"info.tokens.display.{i}" for i in range(3)]
    shown = AttentionGrid(trace.attn.pattern[1, 0], display, show_values=True)
    first = next(m for m in shown.submobjects if getattr(m, "gptanim_numbers", None))
    assert stored_value(trace, first.gptanim_numbers[0][0]) == pytest.approx(trace.attn.pattern[1, 0, 0, 0].value)
    bars = ProbabilityBars([{"display": display[2], "prob": trace.attn.pattern[1, 0, 2, 1]}])
    assert bars.rows[0].name.gptanim_tokens[0][0] == "info.tokens.display.2"
    assert bars.rows[0].pct.gptanim_numbers == [("blocks.1.attn.hook_pattern[0,2,1]", "percent")]
