"""Is there a one-hot step before the embedding? The answer with the real model: each prompt token written as a
one-hot vector (1 at its id, 0 at every other id of the vocabulary) and multiplied by the whole embedding matrix
in a real matrix product, beside the embedding's own lookup, which reads the token's row directly."""

from __future__ import annotations

import numpy as np
import torch

CHUNK = 64  # prompt tokens multiplied at once: a one-hot block of 64 × a 50,257-token vocabulary is 13 MB


@torch.no_grad()
def one_hot_lookup(embed: torch.nn.Module, ids: list[int]) -> dict[str, np.ndarray]:
    """`one_hot.product` [pos, d_model]: one-hot(id) @ W_E over the whole vocabulary, for every prompt token;
    `one_hot.max_difference` [pos]: the largest |product − lookup| over its entries, the lookup being the
    embedding module's own output (the Trace's hook_embed)."""
    weight = embed.weight.detach()
    tokens = torch.tensor(ids)
    products = []
    for start in range(0, len(ids), CHUNK):
        one_hot = torch.nn.functional.one_hot(tokens[start : start + CHUNK], weight.shape[0]).to(weight.dtype)
        products.append(one_hot @ weight)
    product = torch.cat(products)
    lookup = embed(tokens)
    return {
        "one_hot.product": product.numpy(),
        "one_hot.max_difference": (product - lookup).abs().amax(-1).numpy(),
    }
