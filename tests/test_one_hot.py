"""Is there a one-hot step before the embedding? The Trace answers with the real model: one-hot × W_E, a real
product over the whole vocabulary, is the embedding's lookup, entry for entry."""

from __future__ import annotations

import numpy as np

from model.claims import RULES, statements, verify
from tests.conftest import PROMPTS


def test_one_hot_times_the_embedding_matrix_is_the_lookup(embedded, one_torch_thread):
    import torch

    from model.run import TraceSettings, trace

    tr = trace(TraceSettings(prompt=PROMPTS["default"], generate=1), embedded)
    W_E = embedded.model.get_input_embeddings().weight.detach()
    n = len(tr.token_ids)
    one_hot = torch.zeros(n, W_E.shape[0], dtype=W_E.dtype)
    one_hot[torch.arange(n), torch.tensor(tr.token_ids)] = 1.0
    assert (one_hot.sum(-1) == 1).all() and one_hot.shape[1] == tr.meta["vocab_size"]
    product = (one_hot @ W_E).numpy()
    assert tr["one_hot.product"].shape == (n, tr.meta["d_model"])
    np.testing.assert_array_equal(tr["one_hot.product"], product)  # the Trace's product is this product
    np.testing.assert_array_equal(product, tr["hook_embed"])  # ... and it is the lookup, to the last bit
    np.testing.assert_array_equal(tr["one_hot.max_difference"], np.zeros(n))
    found = statements(tr)["one_hot.same"]
    verify(found, tr)
    assert found.text == f"equal to the lookup in all {tr.meta['d_model']} numbers, for each of the {n} tokens"


def test_the_statement_says_how_far_apart_they_are_when_they_differ():
    assert RULES["one_hot_product"]([0.0], 64) == "equal to the lookup in all 64 numbers"
    assert (
        RULES["one_hot_product"]([0.0, 0.0, 0.0], 64)
        == "equal to the lookup in all 64 numbers, for each of the 3 tokens"
    )
    assert RULES["one_hot_product"]([0.0, 2.5e-7], 64) == "at most 2.5e-07 apart from the lookup"
