"""Counting weights in the lecture's groups of matrices (eight; nine with a gated MLP), for the loaded model and
GPT-3. The lecture calls these groups "families", as 3Blue1Brown does: so do the Trace's `info.tally.families` and
the screen; the code says weight groups, leaving "family" to the model's architecture (`model/families.py`).

Keys, queries and values are counted per head (one d_model × d_head matrix each),
the output, up- and down-projections once per layer, as in 3Blue1Brown's tally.
"""

from __future__ import annotations

# GPT-3 175B's published dimensions (Brown et al. 2020): the only typed-in figures.
GPT3_DIMS = {"d_model": 12288, "n_layer": 96, "n_head": 96, "vocab_size": 50257, "n_ctx": 2048}


def weight_groups(
    d_model: int,
    n_layer: int,
    n_head: int,
    vocab: int,
    d_mlp: int | None = None,
    n_kv_head: int | None = None,
    d_head: int | None = None,
    gated: bool = False,
) -> list[dict]:
    """The weight groups with shapes, matrix counts and parameter counts, from the dimensions.

    Grouped-query attention has fewer key and value heads than query heads; a gated MLP (SwiGLU) has a
    gate-projection beside the up-projection.
    """
    d_mlp = d_mlp or 4 * d_model
    d_head = d_head or d_model // n_head
    n_kv_head = n_kv_head or n_head
    kv = {"shape": [d_model, d_head], "matrices": n_layer * n_kv_head}
    mlp_in = {"shape": [d_model, d_mlp], "matrices": n_layer}
    rows = [
        {"family": "embedding", "shape": [vocab, d_model], "matrices": 1},
        {"family": "key", **kv},
        {"family": "query", "shape": [d_model, d_head], "matrices": n_layer * n_head},
        {"family": "value", **kv},
        {"family": "output", "shape": [n_head * d_head, d_model], "matrices": n_layer},
        *([{"family": "gate-projection", **mlp_in}] if gated else []),
        {"family": "up-projection", **mlp_in},
        {"family": "down-projection", "shape": [d_mlp, d_model], "matrices": n_layer},
        {"family": "unembedding", "shape": [vocab, d_model], "matrices": 1},
    ]
    for row in rows:
        row["params"] = row["shape"][0] * row["shape"][1] * row["matrices"]
    return rows


def gpt3_reference() -> dict:
    """GPT-3's tally derived from its dimensions (no biases, no position embedding, as in the lecture)."""
    rows = weight_groups(GPT3_DIMS["d_model"], GPT3_DIMS["n_layer"], GPT3_DIMS["n_head"], GPT3_DIMS["vocab_size"])
    return {
        "dims": dict(GPT3_DIMS),
        "families": rows,
        "total": sum(r["params"] for r in rows),
        "matrices": sum(r["matrices"] for r in rows),
    }


def tally_model(model, family) -> dict:
    """The loaded model's weight groups plus the rest, adding up exactly to its own parameter count.

    The matrices come from the family's sizes; the rest (position table, norm weights, biases) is read
    from the model's own tensors, so a family without a position table or biases shows none.
    """
    from model.families import part

    sizes = family.sizes(model.config)
    d, L = sizes.d_model, sizes.n_layer
    embed, unembed = part(model, family.embed).weight, part(model, family.unembed).weight
    tied = unembed.data_ptr() == embed.data_ptr()
    rows = weight_groups(d, L, sizes.n_head, sizes.vocab, sizes.d_mlp, sizes.n_kv_head, sizes.d_head,
                    gated=family.mlp_pre_linear is not None)  # fmt: skip
    if tied:
        rows[-1]["shared_with"] = "embedding"
        rows[-1]["counted"] = 0
    for row in rows:
        row.setdefault("counted", row["params"])
    blocks = family.layers(model)
    norms = [part(b, family.ln1) for b in blocks] + [part(b, family.ln2) for b in blocks]
    norms.append(part(model, family.final_norm))
    per_norm = len(list(norms[0].parameters()))  # γ, and β for LayerNorm
    norm_params = sum(p.numel() for n in norms for p in n.parameters())
    norm_ids = {id(p) for n in norms for p in n.parameters()}
    bias_per_layer = sum(
        p.numel() for name, p in blocks[0].named_parameters() if name.endswith("bias") and id(p) not in norm_ids
    )
    rest = []
    if family.pos_embed:
        table = part(model, family.pos_embed).weight
        rest.append({"family": "position embedding", "shape": list(table.shape), "params": table.numel()})
    norm_shape = [len(norms), per_norm, d] if per_norm > 1 else [len(norms), d]
    names = {"LayerNorm": "LayerNorm γ and β" if per_norm > 1 else "LayerNorm γ", "RMSNorm": "RMSNorm γ"}
    rest.append({"family": names.get(family.norm, family.norm), "shape": norm_shape, "params": norm_params})
    if bias_per_layer:
        rest.append({"family": "biases", "shape": [L, bias_per_layer], "params": L * bias_per_layer})
    for row in rest:
        row["counted"] = row["params"] = int(row["params"])
    total = sum(r["counted"] for r in rows + rest)
    actual = int(sum(p.numel() for p in model.parameters()))
    return {
        "families": rows,
        "rest": rest,
        "total": total,
        "actual": actual,
        "tied": bool(tied),
        "matrices": sum(r["matrices"] for r in rows),
        # The groups counted as GPT-3's are (`gpt3_reference`): each at its full size, a tied unembedding too.
        "matrix_params": sum(r["params"] for r in rows),
        "rest_params": sum(r["params"] for r in rest),  # ... which leave the rest out
    }
