"""docs/trace.md: what a scene finds in its Trace, generated (`gptanim docs`) so that it never drifts from it.

Every key comes from a real Trace (the embedded model on the default prompt, with every section), its shape or
type as that Trace has it; the arrays' axes and meanings from model/trace_data.py's description of them, and each
part of `info` from the docstring of the function that computes it (or, for the few computed inline, a line
here). tests/test_lecturer.py checks that the page is current.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np

from model.trace_data import SECTIONS

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "trace.md"
BLOCK = re.compile(r"(^|\.)blocks\.\d+\.")
ENTRY = re.compile(r"^    (\S+(?: / \S+)?)\s+(\[[^\]]*\](?: / \[[^\]]*\])?)\s*(.*)$")

# info's parts: the function (file, name) whose docstring says what it is
COMPUTED_BY = {
    "attention": ("model/summaries.py", "attention_summary"),
    "chat": ("model/chat.py", "converse"),
    "comparisons": ("model/run.py", "generate"),
    "context_pair": ("model/run.py", "context_pair"),
    "continuation": ("model/run.py", "generate"),
    "geometry": ("model/run.py", "model_geometry"),
    "gpt3": ("model/tally.py", "gpt3_reference"),
    "learning": ("model/learning.py", "record"),
    "mlp": ("model/summaries.py", "mlp_summary"),
    "other_languages": ("model/summaries.py", "other_languages"),
    "softmax": ("model/summaries.py", "softmax_steps"),
    "split_words": ("model/summaries.py", "split_words"),
    "tally": ("model/tally.py", "tally_model"),
    "truncation": ("model/summaries.py", "truncation_demo"),
}
# ... and the parts computed inline (model/summaries.py's `summarize`)
INLINE = {
    "comparisons": "one continuation per temperature of the settings' compare_temperatures, as `continuation`",
    "embedding_slice_ids": "the token ids whose rows of W_E are in the array weights.W_E_slice",
    "lowest_logit_ids": "the ids of the lowest logits at the last position",
    "tokens": "the prompt's tokens: ids, display (as the scenes draw them), offsets into the text, text",
    "unembed_ids": "the token ids whose unembedding rows are in the array weights.W_U_rows",
    "vocab_display": "the display text of every token id any scene shows, by id (as a string)",
    "vocab_window": "the ids of the vocabulary's lines Tokenization lists: the first, the last, each prompt token's and"
    " its neighbours'",
    "truncation": None,  # from its function
}
# The arrays whose line in model/trace_data.py gives only their axes: the residual stream's usual names
BLANK_IN_DOCSTRING = {
    "blocks.{i}.hook_resid_pre": "the residual stream entering block i",
    "blocks.{i}.hook_attn_out": "attention's output, added to the residual stream",
    "blocks.{i}.hook_resid_mid": "the residual stream after attention's output is added",
    "blocks.{i}.ln2.hook_normalized": "the second norm's output, the MLP's input",
    "blocks.{i}.hook_mlp_out": "the MLP's output, added to the residual stream",
    "blocks.{i}.hook_resid_post": "the residual stream leaving block i",
}
META = "the model's facts (sizes, family words, weights hash) and the settings the Trace was made with"


def docstring_line(file: str, name: str) -> str:
    """The first paragraph of a function's docstring, on one line, read without importing its module."""
    tree = ast.parse((ROOT / file).read_text(encoding="utf-8"))
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name)
    return " ".join((ast.get_docstring(node) or "").split("\n\n")[0].split())


def array_entries() -> dict[str, tuple[str, str]]:
    """model/trace_data.py's list of arrays: key pattern -> (axes, meaning)."""
    from model import trace_data

    text = trace_data.__doc__.split("`info` holds")[0]
    entries, last = {}, None
    for line in text.splitlines():
        found = ENTRY.match(line)
        if found:
            keys, shapes, meaning = found.groups()
            names = [part.strip() for part in keys.split(" / ")]
            names = [names[0]] + [names[0].rsplit(".", 1)[0] + "." + n for n in names[1:]]
            axes = [s.strip() for s in shapes.split(" / ")]
            last = []
            for i, name in enumerate(names):
                head, _, tail = name.rpartition(".")
                stem, *more = tail.split("/")
                variants = [stem] + [stem.rsplit("_", 1)[0] + "_" + m for m in more]
                for variant in variants:
                    key = BLOCK.sub(r"\1blocks.{i}.", f"{head}.{variant}" if head else variant)
                    entries[key] = (axes[min(i, len(axes) - 1)], meaning.strip())
                    last.append(key)
        elif last and line.startswith(" " * 40) and line.strip():  # a meaning's continued line
            for key in last:
                entries[key] = (entries[key][0], f"{entries[key][1]} {line.strip()}")
        elif not line.strip() or not line.startswith("    "):
            last = None
    return entries


def shape_of(value) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} {list(value.shape)}"
    if isinstance(value, dict):
        return f"table of {len(value)}"
    if isinstance(value, list):
        return f"list of {len(value)}"
    return "None" if value is None else type(value).__name__


def info_rows(value, path: str, depth: int = 0) -> list[tuple[str, str]]:
    """(key path, what it holds) for `value` and what it contains: lists by their first item (`{j}`), tables
    keyed by ids or words by one of them (`{key}`), four levels deep."""
    rows = [(path, shape_of(value))]
    if depth >= 4:
        return rows
    if isinstance(value, dict) and value:
        keyed = all(k.isdigit() for k in value) or len(value) > 16
        items = [(next(iter(value)), "{key}")] if keyed else [(k, k) for k in value]
        for key, shown in items:
            rows += info_rows(value[key], f"{path}.{shown}", depth + 1)
    elif isinstance(value, list) and value and isinstance(value[0], (dict, list)):
        rows += info_rows(value[0], f"{path}.{{j}}", depth + 1)
    return rows


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
        "| " + " | ".join(cell(c) for c in row) + " |" for row in rows
    ]


def trace_page(trace=None) -> str:
    """The page's text, from `trace` (default: the embedded model's on the default prompt, every section)."""
    if trace is None:
        from model.cache import TraceSettings, cached_trace
        from model.settings import DEFAULTS

        trace = cached_trace(TraceSettings(prompt=DEFAULTS["prompt"]), sections=SECTIONS)
    documented = array_entries()
    arrays = {}
    for name in sorted(trace.arrays):
        arrays.setdefault(BLOCK.sub(r"\1blocks.{i}.", name), trace.arrays[name])
    m = trace.meta
    lines = [
        "# What a scene finds in its Trace",
        "",
        "<!-- Generated by `gptanim docs` from model/trace_data.py and the code that computes the Trace; "
        "do not edit. -->",
        "",
        'A scene (`scenes.base.TraceScene`) reads `self.trace`: arrays by name (`self.trace["logits"]`), JSON '
        "values in `self.trace.info`, the model's facts in `self.trace.meta`; each also read with its path "
        '(model/trace_paths.py: `self.trace.attn.pattern[L, H]`, `self.trace.stored("hook_embed")[p]`, '
        "`self.trace.fields.info.tokens.display[p]`). The sections of `info` "
        f"({', '.join(SECTIONS)}) are computed only for the scenes that show them: read them with "
        '`self.section("chat")`. A scene names the other parts it reads in its metadata (USES_TEMPERATURE, '
        "READS: see scenes/catalog.py), and is drawn again when they change. "
        "Every number a scene shows comes from here, tagged with its key (see docs/writing-a-scene.md).",
        "",
        f"Shapes are those of the embedded model ({m['n_layer']} layers, {m['n_head']} heads, d_model "
        f"{m['d_model']}, vocabulary {m['vocab_size']:,}) on the prompt {trace.prompt!r} "
        f"({len(trace.token_ids)} tokens); `{{i}}` is a block's number, `{{j}}` a list's item.",
        "",
        "## Arrays: `self.trace[name]`",
        "",
    ]
    rows = []
    for key, value in arrays.items():
        axes, meaning = documented.get(key, ("", ""))
        meaning = meaning or BLANK_IN_DOCSTRING.get(key, "")
        rows.append([f"`{key}`", axes, shape_of(value), meaning])
    lines += table(["name", "axes", "here", "meaning"], rows)
    lines += ["", "## Facts: `self.trace.meta[key]`", "", META + ".", ""]
    lines += table(["key", "here"], [[f"`{k}`", shape_of(v)] for k, v in sorted(m.items())])
    lines += ["", "## Values: `self.trace.info[key]`", ""]
    for key in sorted(trace.info):
        source = COMPUTED_BY.get(key)
        meaning = INLINE.get(key) or (docstring_line(*source) if source else "")
        lines += [f"### `{key}`", "", meaning + (f" (`{source[1]}` in {source[0]})" if source else ""), ""]
        lines += table(["key", "here"], [[f"`{p}`", s] for p, s in info_rows(trace.info[key], key)])
        lines.append("")
    from model import trace_data

    detail = trace_data.__doc__.split("`info` holds", 1)[1]
    lines += ["## In detail (model/trace_data.py)", "", "```text", "`info` holds" + detail.rstrip(), "```", ""]
    return "\n".join(lines)
