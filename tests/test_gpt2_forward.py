"""model/gpt2_forward.py, GPT-2 written out, against transformers' own forward pass: the same logits to the last bit (with and
without the key-value cache), the same intermediates the hooks record, the same greedy and sampled choices.

On the embedded model and on a tiny random GPT-2 that scales attention by its layer's index."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import PROMPTS


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, one_torch_thread):
    """A random GPT-2 of 3 layers whose attention divides by the layer's index too, loaded as gptanim loads."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(3)
    config = GPT2Config(vocab_size=97, n_positions=40, n_embd=24, n_head=3, n_layer=3,
                        scale_attn_by_inverse_layer_idx=True)  # fmt: skip
    folder = tmp_path_factory.mktemp("tiny-gpt2")
    GPT2LMHeadModel(config).save_pretrained(folder)
    return load_model(folder)


def load_model(folder):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager").float().eval()


def models(embedded, tiny):
    return {"embedded": (embedded.model, embedded.tokenizer.encode(PROMPTS["default"], add_special_tokens=False)),
            "tiny": (tiny, [5, 17, 3, 88, 42, 42, 0, 9, 61])}  # fmt: skip


@pytest.mark.parametrize("name", ["embedded", "tiny"])
def test_logits_are_transformers_own(name, embedded, tiny, one_torch_thread):
    import torch

    from model import gpt2_forward

    model, ids = models(embedded, tiny)[name]
    w = gpt2_forward.weights_of(model)
    assert w is not None
    with torch.no_grad():
        ref = model(input_ids=torch.tensor([ids]), use_cache=True)
        h, cache = gpt2_forward.body(w, torch.tensor([ids]))
        assert torch.equal(gpt2_forward.unembed(w, h), ref.logits)
        # one step more through the key-value cache
        step = model(input_ids=torch.tensor([[ids[0]]]), past_key_values=ref.past_key_values, use_cache=True)
        h2, _ = gpt2_forward.body(w, torch.tensor([[ids[0]]]), cache)
        assert torch.equal(gpt2_forward.unembed(w, h2), step.logits)
        # the last position's logits alone: the same up to rounding
        last = gpt2_forward.unembed(w, h[:, -1])[0]
        assert torch.allclose(last, ref.logits[0, -1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["embedded", "tiny"])
def test_intermediates_are_what_the_hooks_record(name, embedded, tiny, one_torch_thread):
    import torch

    from model import gpt2_forward
    from model.families import family_of
    from model.run import hooked_forward

    model, ids = models(embedded, tiny)[name]
    with torch.no_grad():
        hooked, out = hooked_forward(model, family_of("gpt2"), torch.tensor([ids]))
        captured: dict = {}
        gpt2_forward.body(gpt2_forward.weights_of(model), torch.tensor([ids]), capture=captured)
    for i in range(model.config.n_layer):
        hooked[f"blocks.{i}.attn.hook_pattern"] = out.attentions[i][0]
        hooked[f"blocks.{i}.hook_resid_pre"] = out.hidden_states[i][0]
    hooked.pop("ln_final.hook_normalized")
    assert set(hooked) < set(captured)  # and the attention's q, k, v, scores and z (below)
    for key, value in hooked.items():
        assert torch.equal(captured[key], value), key


def test_the_traced_arrays_are_those_of_the_transformers_path(embedded, monkeypatch, one_torch_thread):
    """forward_arrays through model/gpt2_forward.py (q, k, v, scores and z as it computed them) and through transformers'
    hooks (q, k, v recomputed from the recorded LayerNorm output): the same arrays to the last bit."""
    from model import gpt2_forward
    from model.run import forward_arrays

    ids = embedded.tokenizer.encode(PROMPTS["default"], add_special_tokens=False)
    other = embedded.tokenizer.encode("Far away there lived a", add_special_tokens=False) + ids[-1:]
    quick, quick_other = forward_arrays(embedded, ids, other)
    monkeypatch.setattr(gpt2_forward, "weights_of", lambda model: None)
    slow, slow_other = forward_arrays(embedded, ids, other)
    assert quick.keys() == slow.keys()
    for key in quick:
        assert np.array_equal(quick[key], slow[key]), key
    # the second text's last token, run in the prompt's products after its cached keys and values: the same
    # vectors as a plain forward pass of that text, up to float32 rounding
    np.testing.assert_allclose(quick_other, slow_other, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["embedded", "tiny"])
def test_greedy_choices_and_ranks_match_transformers(name, embedded, tiny, one_torch_thread):
    import torch

    from model import gpt2_forward
    from model.learning import final_ranks, greedy_run

    model, ids = models(embedded, tiny)[name]
    w = gpt2_forward.weights_of(model)
    first, chosen, cache = gpt2_forward.greedy(w, ids, 6)
    logits, expected = greedy_run(model, ids, 6)
    assert chosen == expected
    assert np.allclose(first.double().numpy(), logits, rtol=1e-5, atol=1e-5)
    with torch.no_grad():
        generated = model.generate(torch.tensor([ids]), max_new_tokens=6, do_sample=False, pad_token_id=0)
    assert chosen == generated[0, len(ids) :].tolist()
    others = [chosen, [(t + 1) % model.config.vocab_size for t in chosen]]  # a continuation it did not choose
    assert gpt2_forward.ranks(w, first, cache, others) == [final_ranks(model, ids, c) for c in others]


def test_generation_matches_the_transformers_path(embedded, monkeypatch, one_torch_thread):
    """The Trace's continuation (sampled, with the cache) through model/gpt2_forward.py and through transformers."""
    from model import gpt2_forward
    from model.run import generate

    ids = embedded.tokenizer.encode(PROMPTS["default"], add_special_tokens=False)
    quick = generate(embedded, ids, 12, 1.0, None, 0.9, 7)
    monkeypatch.setattr(gpt2_forward, "weights_of", lambda model: None)
    slow = generate(embedded, ids, 12, 1.0, None, 0.9, 7)
    assert quick["ids"] == slow["ids"] and quick["text"] == slow["text"]
    for a, b in zip(quick["steps"], slow["steps"]):
        assert [e["id"] for e in a["top"]] == [e["id"] for e in b["top"]]
        assert a["chosen_prob"] == pytest.approx(b["chosen_prob"], rel=1e-5)


def test_the_chat_reply_stops_where_it_is_cut(embedded, one_torch_thread):
    """The reply's generation stops at the token that ends it: the same reply as generating every token and cutting."""
    from model import chat
    from model.run import TraceSettings, generate

    settings = TraceSettings(prompt=PROMPTS["default"])
    calls = []

    def full(*args, stop=None):
        calls.append(stop)
        return generate(*args)

    assert chat.converse(settings, embedded, generate) == chat.converse(settings, embedded, full)
    assert calls and calls[0] is not None


def test_other_configurations_take_transformers_path(tmp_path, one_torch_thread):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from model import gpt2_forward

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=50, n_positions=16, n_embd=16, n_head=2, n_layer=1, reorder_and_upcast_attn=True)
    GPT2LMHeadModel(config).save_pretrained(tmp_path)
    assert gpt2_forward.weights_of(load_model(tmp_path)) is None
