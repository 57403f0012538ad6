"""Counting weights in the eight families of the lecture, for the loaded model and for GPT-3.

Keys, queries and values are counted per head (one d_model × d_head matrix each),
the output, up- and down-projections once per layer, as in 3Blue1Brown's tally.
"""

from __future__ import annotations

FAMILIES = ["embedding", "key", "query", "value", "output", "up-projection", "down-projection", "unembedding"]

# GPT-3 175B's published dimensions (Brown et al. 2020): the only typed-in figures.
GPT3_DIMS = {"d_model": 12288, "n_layer": 96, "n_head": 96, "vocab_size": 50257, "n_ctx": 2048}


def families(d_model: int, n_layer: int, n_head: int, vocab: int, d_mlp: int | None = None) -> list[dict]:
    """The eight weight families with shapes, matrix counts and parameter counts, from the dimensions."""
    d_mlp = d_mlp or 4 * d_model
    d_head = d_model // n_head
    per_head = {"shape": [d_model, d_head], "matrices": n_layer * n_head}
    rows = [
        {"family": "embedding", "shape": [vocab, d_model], "matrices": 1},
        {"family": "key", **per_head},
        {"family": "query", **per_head},
        {"family": "value", **per_head},
        {"family": "output", "shape": [d_model, d_model], "matrices": n_layer},
        {"family": "up-projection", "shape": [d_model, d_mlp], "matrices": n_layer},
        {"family": "down-projection", "shape": [d_mlp, d_model], "matrices": n_layer},
        {"family": "unembedding", "shape": [vocab, d_model], "matrices": 1},
    ]
    for row in rows:
        row["params"] = row["shape"][0] * row["shape"][1] * row["matrices"]
    return rows


def gpt3_reference() -> dict:
    """GPT-3's tally derived from its dimensions (no biases, no position embedding, as in the lecture)."""
    rows = families(GPT3_DIMS["d_model"], GPT3_DIMS["n_layer"], GPT3_DIMS["n_head"], GPT3_DIMS["vocab_size"])
    return {
        "dims": dict(GPT3_DIMS),
        "families": rows,
        "total": sum(r["params"] for r in rows),
        "matrices": sum(r["matrices"] for r in rows),
    }


def tally_model(model) -> dict:
    """The loaded model's families plus the rest, adding up exactly to its own parameter count."""
    cfg = model.config
    d, L, H, V = int(cfg.n_embd), int(cfg.n_layer), int(cfg.n_head), int(cfg.vocab_size)
    d_mlp = int(cfg.n_inner or 4 * d)
    tied = model.lm_head.weight.data_ptr() == model.transformer.wte.weight.data_ptr()
    rows = families(d, L, H, V, d_mlp)
    if tied:
        rows[-1]["shared_with"] = "embedding"
        rows[-1]["counted"] = 0
    for row in rows:
        row.setdefault("counted", row["params"])
    rest = [
        {"family": "position embedding", "shape": [int(cfg.n_positions), d], "params": int(cfg.n_positions) * d},
        {"family": "LayerNorm γ and β", "shape": [2 * L + 1, 2, d], "params": (2 * L + 1) * 2 * d},
        {"family": "biases", "shape": [L, 3 * d + d + d_mlp + d], "params": L * (3 * d + d + d_mlp + d)},
    ]
    for row in rest:
        row["counted"] = row["params"]
    total = sum(r["counted"] for r in rows + rest)
    actual = int(sum(p.numel() for p in model.parameters()))
    return {
        "families": rows,
        "rest": rest,
        "total": total,
        "actual": actual,
        "tied": bool(tied),
        "matrices": sum(r["matrices"] for r in rows),
    }
