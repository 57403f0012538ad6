"""The Trace equals what transformers computes, and its derived numbers are right."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from model.cache import cached_trace
from model.errors import GptanimError
from model.families import part
from model.loading import load
from model.run import TraceSettings, trace
from model.sampling import softmax, top_entries
from model.summaries import VOCAB_DISPLAY_TOP
from model.trace_data import Trace, stored_value

PROMPT = "Once upon a time, the king and the queen"


@pytest.fixture(scope="module", params=["embedded", "local"])
def case(request, local_gpt2):
    loaded = load(None) if request.param == "embedded" else load(str(local_gpt2))
    return loaded, trace(TraceSettings(prompt=PROMPT, generate=8, seed=3), loaded)


def test_matches_a_direct_transformers_forward_pass(case):
    loaded, tr = case
    ids = torch.tensor([tr.token_ids])
    with torch.no_grad():
        out = loaded.model(input_ids=ids, output_attentions=True, output_hidden_states=True)
    # float32 sums of d_model terms, in another order: the error grows with the logit's size (1.05e-5 seen on
    # busy cores, where torch splits the sums differently), hence a relative part too
    np.testing.assert_allclose(tr["logits"], out.logits[0, -1].numpy(), atol=1e-5, rtol=2e-6)
    for i in range(tr.n_layer):
        np.testing.assert_allclose(tr[f"blocks.{i}.attn.hook_pattern"], out.attentions[i][0].numpy(), atol=1e-6)
        np.testing.assert_allclose(tr[f"blocks.{i}.hook_resid_pre"], out.hidden_states[i][0].numpy(), atol=1e-5)
    # transformers' last hidden state is after the final LayerNorm
    np.testing.assert_allclose(tr["ln_final.hook_normalized"], out.hidden_states[-1][0].numpy(), atol=1e-5)


def test_residual_stream_adds_up(case):
    _, tr = case
    np.testing.assert_allclose(tr["blocks.0.hook_resid_pre"], tr["hook_embed"] + tr["hook_pos_embed"], atol=1e-6)
    for i in range(tr.n_layer):
        mid = tr[f"blocks.{i}.hook_resid_pre"] + tr[f"blocks.{i}.hook_attn_out"]
        np.testing.assert_allclose(tr[f"blocks.{i}.hook_resid_mid"], mid, atol=1e-5)
        post = tr[f"blocks.{i}.hook_resid_mid"] + tr[f"blocks.{i}.hook_mlp_out"]
        np.testing.assert_allclose(tr[f"blocks.{i}.hook_resid_post"], post, atol=1e-5)


def test_attention_is_causal_and_rows_sum_to_one(case):
    _, tr = case
    T = len(tr.token_ids)
    above = np.triu(np.ones((T, T), dtype=bool), k=1)
    for i in range(tr.n_layer):
        pattern = tr[f"blocks.{i}.attn.hook_pattern"]
        assert pattern.shape == (tr.n_head, T, T)
        np.testing.assert_allclose(pattern.sum(-1), 1.0, atol=1e-5)
        assert np.all(pattern[:, above] == 0)
        scores = tr[f"blocks.{i}.attn.hook_attn_scores"]
        assert np.all(np.isneginf(scores[:, above]))
        np.testing.assert_allclose(softmax(scores), pattern, atol=1e-5)


def test_scores_are_scaled_dot_products_of_q_and_k(case):
    _, tr = case
    q, k = tr["blocks.0.attn.hook_q"], tr["blocks.0.attn.hook_k"]
    d_head = tr.meta["d_head"]
    last = len(tr.token_ids) - 1
    for head in range(tr.n_head):
        expected = q[last, head] @ k[0, head] / np.sqrt(d_head)
        assert tr["blocks.0.attn.hook_attn_scores"][head, last, 0] == pytest.approx(expected, abs=1e-4)


def test_query_weights_reproduce_the_query(case):
    _, tr = case
    x = tr["blocks.0.ln1.hook_normalized"][0]
    q = x @ tr["weights.blocks.0.attn.W_Q"][0] + tr["weights.blocks.0.attn.b_Q"][0]
    np.testing.assert_allclose(q, tr["blocks.0.attn.hook_q"][0, 0], atol=1e-4)


def test_matvec_partial_sums_end_at_the_query(case):
    _, tr = case
    sums = tr["matvec.partial_sums"]
    assert sums.shape == (tr.meta["d_model"],)
    np.testing.assert_allclose(np.diff(sums), tr["matvec.products"][1:], atol=1e-12)
    q = sums[-1] + tr["weights.blocks.0.attn.b_Q"][0, 0]
    assert q == pytest.approx(float(tr["blocks.0.attn.hook_q"][0, 0, 0]), abs=1e-4)


def test_unembedding_rows_give_the_logits(case):
    _, tr = case
    x = tr["ln_final.hook_normalized"][-1]
    np.testing.assert_allclose(tr["weights.W_U_rows"] @ x, tr["logits"][tr.info["unembed_ids"]], atol=1e-4)


def test_softmax_steps_add_up(case):
    _, tr = case
    sm = tr.info["softmax"]
    probs = softmax(tr["logits"])
    np.testing.assert_allclose(sm["probs"], probs[sm["ids"]], atol=1e-9)
    np.testing.assert_allclose(np.array(sm["exp_shifted"]) / sm["sum_exp_shifted"], sm["probs"], rtol=1e-12)
    # The steps of the highest logits whose text the Trace keeps, highest first; others_after.k: all after k + 1.
    assert sm["ids"] == [i for i, _ in top_entries(tr["logits"], VOCAB_DISPLAY_TOP)]
    assert len(sm["others_after"]) == len(sm["ids"])
    for k, rest in enumerate(sm["others_after"]):
        assert sum(sm["probs"][: k + 1]) + rest == pytest.approx(1.0, abs=1e-12)
    # exp_others_after.k: e^(logit − max) of every token after the first k + 1, added up, by hand from the logits
    exp_all = np.exp(tr["logits"].astype(np.float64) - sm["shift"])
    for k, rest in enumerate(sm["exp_others_after"]):
        others = np.ones(exp_all.shape, dtype=bool)
        others[sm["ids"][: k + 1]] = False
        assert rest == pytest.approx(exp_all[others].sum(), rel=1e-9)
        assert rest == pytest.approx(sm["sum_exp_shifted"] * sm["others_after"][k], rel=1e-6)


def test_truncation_renormalises(case):
    _, tr = case
    demo = tr.info["truncation"]
    probs = softmax(tr["logits"])
    k = demo["top_k"]
    assert k["kept"] == demo["k"]
    assert sum(p for _, p in k["top"]) == pytest.approx(1.0, abs=1e-9)
    for (i, p), (j, q) in zip(k["top"], demo["base_top"]):
        assert i == j and p == pytest.approx(q / k["kept_mass"], rel=1e-9)
    p = demo["top_p"]
    assert p["kept_mass"] >= demo["p"] - 1e-9
    assert p["kept_mass"] - probs[p["top"][p["kept"] - 1][0]] < demo["p"] if p["kept"] <= 10 else True
    assert k["chosen_id"] in [i for i, _ in k["top"]]


def test_attention_example_is_q_dot_k_scaled(case):
    _, tr = case
    att = tr.info["attention"]
    ex = att["example"]
    L, H = att["layer"], att["head"]
    q, k = tr[f"blocks.{L}.attn.hook_q"][ex["query"], H], tr[f"blocks.{L}.attn.hook_k"][ex["key"], H]
    assert ex["dot"] == pytest.approx(float(q.astype(np.float64) @ k), rel=1e-6)
    assert ex["scale"] == pytest.approx(np.sqrt(tr.meta["d_head"]))
    score = tr[f"blocks.{L}.attn.hook_attn_scores"][H, ex["query"], ex["key"]]
    assert ex["dot"] / ex["scale"] == pytest.approx(float(score), abs=1e-4)
    prev = np.asarray(att["previous_token_weight"])
    assert prev.shape == (tr.n_layer, tr.n_head) and prev[L, H] == prev.max()


def test_mlp_top_neurons_are_the_most_active(case):
    _, tr = case
    mlp = tr.info["mlp"]
    post = tr[f"blocks.{mlp['layer']}.mlp.hook_post"][-1]
    assert post.shape == (tr.meta["d_mlp"],)
    assert [float(post[i]) for i in mlp["top_neurons"]] == sorted(post, reverse=True)[:8]


def test_context_pair_starts_identical_and_drifts(case):
    loaded, tr = case
    pair = tr.info["context_pair"]
    assert pair["cosines"][0] == pytest.approx(1.0, abs=1e-6)
    assert len(pair["cosines"]) == tr.n_layer + 1
    np.testing.assert_allclose(pair["other_embed_first"], tr["hook_embed"][-1][:8], atol=1e-7)
    assert min(pair["cosines"][1:]) < 0.999


def test_the_input_cosine_is_of_the_token_and_position_columns_added(case):
    """The vectors that go in differ when the token stands at different positions: their cosine is not the token
    columns' 1 (the model's own first input in the prompt, the other text's rebuilt from W_E and W_P)."""
    loaded, tr = case
    pair = tr.info["context_pair"]
    assert pair["positions"] == [len(tr.token_ids) - 1, len(pair["other_display"]) - 1]
    a = tr["blocks.0.hook_resid_pre"][-1].astype(np.float64)
    if not loaded.family.pos_embed:
        assert pair["input_cosine"] == pytest.approx(1.0, abs=1e-6)
        return
    with torch.no_grad():
        w_e = part(loaded.model, loaded.family.embed)(torch.tensor([pair["token_id"]]))[0].numpy()
        w_p = part(loaded.model, loaded.family.pos_embed)(torch.tensor([pair["positions"][1]]))[0].numpy()
    b = (w_e + w_p).astype(np.float64)
    assert pair["input_cosine"] == pytest.approx(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), abs=1e-5)
    if pair["positions"][0] != pair["positions"][1]:
        assert pair["input_cosine"] < 0.9999


def test_split_words_are_really_split(case):
    loaded, tr = case
    split = tr.info["split_words"]
    for entry in split["examples"]:
        ids = [p["id"] for p in entry["pieces"]]
        assert len(ids) > 1
        assert loaded.tokenizer.decode(ids) == " " + entry["word"]
    for entry in split["from_prompt"]:  # the prompt's own tokens, as it was cut (a first word has no space)
        ids = [p["id"] for p in entry["pieces"]]
        assert len(ids) > 1 and ids == [tr.token_ids[i] for i in entry["positions"]]
        assert entry["word"] in loaded.tokenizer.decode(ids)


def test_probabilities_at_temperatures(case):
    _, tr = case
    logits = tr["logits"].astype(np.float64)
    for i, t in enumerate(tr.meta["temperatures"]):
        probs = tr["probs"][i]
        assert probs.sum() == pytest.approx(1.0, abs=1e-5)
        if t == 0:
            assert probs[np.argmax(logits)] == 1.0 and np.count_nonzero(probs) == 1
        else:
            by_hand = np.exp(logits / t - np.max(logits / t))
            np.testing.assert_allclose(probs, by_hand / by_hand.sum(), atol=1e-6)


def test_logit_lens_last_layer_is_the_output(case):
    _, tr = case
    assert tr["logit_lens.top_ids"].shape[0] == tr.n_layer + 1
    assert tr["logit_lens.top_ids"][-1, 0] == int(np.argmax(tr["logits"]))
    assert tr["logit_lens.top_probs"][-1, 0] == pytest.approx(float(softmax(tr["logits"]).max()), abs=1e-5)


def test_continuation_records_the_sampled_distribution(case):
    loaded, tr = case
    cont = tr.info["continuation"]
    assert len(cont["ids"]) == len(cont["steps"]) == 8
    context = list(tr.token_ids)
    for step, chosen in zip(cont["steps"], cont["ids"]):
        with torch.no_grad():
            logits = loaded.model(input_ids=torch.tensor([context])).logits[0, -1].double().numpy()
        probs = softmax(logits, cont["temperature"])
        assert step["chosen_id"] == chosen
        assert step["chosen_prob"] == pytest.approx(probs[chosen], abs=1e-5)
        assert step["top"][0]["prob"] == pytest.approx(probs.max(), abs=1e-5)
        context.append(chosen)


def test_greedy_continuation_with_cache_equals_argmax_without(case):
    loaded, tr = case
    greedy = next(c for c in tr.info["comparisons"] if c["temperature"] == 0.0)
    context = list(tr.token_ids)
    with torch.no_grad():
        for chosen in greedy["ids"]:
            logits = loaded.model(input_ids=torch.tensor([context])).logits[0, -1]
            assert int(torch.argmax(logits)) == chosen
            context.append(chosen)


def test_same_seed_same_text_other_seed_differs(embedded):
    a = trace(TraceSettings(prompt=PROMPT, generate=12, seed=1, temperature=1.5), embedded)
    b = trace(TraceSettings(prompt=PROMPT, generate=12, seed=1, temperature=1.5), embedded)
    others = [trace(TraceSettings(prompt=PROMPT, generate=12, seed=s, temperature=1.5), embedded) for s in (2, 3)]
    assert a.info["continuation"]["ids"] == b.info["continuation"]["ids"]
    assert any(o.info["continuation"]["ids"] != a.info["continuation"]["ids"] for o in others)


def test_the_sampling_cuts_and_the_other_context_are_settings(embedded):
    """--top-k and --top-p cut the continuation and are the cuts the sampling chapter shows (5 and 0.9 when not
    given, the continuation then uncut); --other-context is the text the last token is compared after."""
    plain = trace(TraceSettings(prompt=PROMPT, generate=3), embedded)
    assert (plain.info["truncation"]["k"], plain.info["truncation"]["p"]) == (5, 0.9)
    assert all(step["top"][-1]["prob"] > 0 for step in plain.info["continuation"]["steps"])  # nothing cut
    other = "The dragon flew over the"
    cut = trace(TraceSettings(prompt=PROMPT, generate=3, top_k=3, top_p=0.5, other_context=other), embedded)
    assert (cut.info["truncation"]["k"], cut.info["truncation"]["p"]) == (3, 0.5)
    assert cut.info["truncation"]["top_k"]["kept"] == 3
    assert all(sum(e["prob"] > 0 for e in step["top"]) <= 3 for step in cut.info["continuation"]["steps"])
    pair = cut.info["context_pair"]
    assert pair["other_prompt"] == other and "".join(pair["other_display"]).replace("·", " ").startswith(other)
    assert (
        pair["cosines"][0] == pytest.approx(1.0, abs=1e-6) and pair["cosines"] != plain.info["context_pair"]["cosines"]
    )
    with pytest.raises(GptanimError, match="--other-context must be 1 to"):
        trace(TraceSettings(prompt=PROMPT, generate=3, other_context="once " * 400), embedded)


def test_save_load_round_trip_is_exact(case, tmp_path):
    _, tr = case
    back = Trace.load(tr.save(tmp_path / "t.npz"))
    assert back.meta == tr.meta and back.info == tr.info
    assert back.arrays.keys() == tr.arrays.keys()
    for name, array in tr.arrays.items():
        assert back[name].dtype == array.dtype
        assert np.array_equal(back[name], array), name


def test_cache_returns_the_stored_trace(embedded):
    s = TraceSettings(prompt="The wolf", generate=3)
    first = cached_trace(s, embedded)
    again = cached_trace(TraceSettings(prompt="The wolf", generate=3), embedded)
    assert again.info == first.info
    assert cached_trace(TraceSettings(prompt="The wolf", generate=3, seed=9), embedded).meta["settings"]["seed"] == 9


def test_sections_are_computed_for_what_shows_them_and_added_to_the_cached_trace(embedded, monkeypatch, capsys):
    import model.run
    from gptanim.cli import main
    from gptanim.keys import scene_key
    from model.cache import is_cached
    from model.trace_data import SECTIONS
    from scenes.catalog import BY_NAME, sections_for

    s = TraceSettings(prompt="The wolf ran home", generate=2)
    assert main(["trace", "--quiet", "--prompt", s.prompt, "--generate", "2"]) == 0  # what `gptanim trace` computes
    core = cached_trace(s, embedded, sections=())
    assert not set(SECTIONS) & core.info.keys() and is_cached(s, ()) and not is_cached(s, ("chat",))
    monkeypatch.setattr(model.run, "model_run", None)  # a section added to a cached Trace runs nothing else
    assert sections_for([BY_NAME["Chat"], BY_NAME["Title"]]) == ("chat",)
    with_chat = cached_trace(s, embedded, sections=("chat",))
    assert "chat" in with_chat.info and "learning" not in with_chat.info and is_cached(s, ("chat",))
    assert main(["trace", "--quiet", "--all", "--prompt", s.prompt, "--generate", "2"]) == 0
    monkeypatch.undo()
    full = cached_trace(s, embedded)
    assert capsys.readouterr().out == ""
    fresh = trace(s, embedded)  # all at once: the same sections
    assert full.info == fresh.info and all(np.array_equal(full[k], core[k]) for k in core.arrays)
    for entry in (BY_NAME["Title"], BY_NAME["Softmax"], BY_NAME["PredictSampleRepeat"]):
        assert scene_key(entry, core, "l") == scene_key(entry, full, "l")  # computing a section redraws nothing
    fresh.info["learning"]["stages"][0]["entropy"] += 1.0
    assert scene_key(BY_NAME["Learning"], fresh, "l") != scene_key(BY_NAME["Learning"], full, "l")


def test_a_cached_trace_is_read_without_torch(embedded):
    stored = cached_trace(TraceSettings(prompt="The wolf", generate=3), embedded)
    check = (
        "import sys; from model.cache import TraceSettings, cached_trace; "
        "t = cached_trace(TraceSettings(prompt='The wolf', generate=3)); "
        "print('torch' in sys.modules, t.meta['weights_hash'])"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True, env=os.environ)
    assert done.stdout.split() == ["False", stored.meta["weights_hash"]]


def test_tally_adds_up_to_the_parameter_count(case):
    loaded, tr = case
    tally = tr.info["tally"]
    assert tally["total"] == tally["actual"] == sum(p.numel() for p in loaded.model.parameters())
    assert tally["tied"] is True
    assert tally["families"][-1]["counted"] == 0


def test_gpt3_reference_is_derived():
    from model.tally import gpt3_reference

    ref = gpt3_reference()
    assert ref["total"] == 175_181_291_520
    assert ref["matrices"] == 27_938


def test_lookup_follows_paths(case):
    _, tr = case
    assert stored_value(tr, "hook_embed[0,1]") == pytest.approx(float(tr["hook_embed"][0, 1]))
    assert stored_value(tr, "info.tokens.display.0") == tr.token_display[0]
    assert stored_value(tr, "meta.n_layer") == tr.n_layer


def test_geometry_resolves_words_to_single_tokens(embedded):
    from model import geometry

    tok = embedded.tokenizer
    result = geometry.analyse(
        embedded.model.transformer.wte.weight.detach().numpy(), tok, ["king", "queen", "man", "woman", "boy", "zqxj"]
    )
    assert "zqxj" in result["skipped_words"]
    for word, token_id in result["word_ids"].items():
        assert tok.decode([token_id]).strip() == word
    assert result["centred"] is False  # every figure is the actual rows'
    assert len(result["pca_coords"]) == len(result["pca_words"])


def test_trace_is_plain_numpy_and_json():
    import json

    from model.run import trace as run_trace

    tr = run_trace(TraceSettings(prompt="A bird", generate=2))
    json.dumps(tr.info)
    json.dumps(tr.meta)
    assert all(isinstance(a, np.ndarray) for a in tr.arrays.values())
