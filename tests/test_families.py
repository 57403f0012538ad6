"""Every family's Trace equals transformers' own forward pass, on tiny models built here with random weights."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import ROOT

from model.errors import GptanimError
from model.loading import check_weights, load
from model.run import trace
from model.settings import TraceSettings

FAMILIES = ["gpt2", "gpt_neox", "llama", "mistral", "qwen2"]
PROMPT = "Once upon a time, a little girl"


@pytest.fixture(scope="module")
def folders(family_models, local_gpt2) -> dict:
    return {"gpt2": local_gpt2, **family_models}


@pytest.fixture(scope="module")
def traced(folders, one_torch_thread) -> dict:
    out = {}
    for kind, folder in folders.items():
        loaded = load(str(folder))
        out[kind] = (loaded, trace(TraceSettings(prompt=PROMPT, generate=3), loaded))
    return out


def close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", FAMILIES)
def test_trace_equals_transformers_forward_pass(kind, traced):
    loaded, t = traced[kind]
    ids = torch.tensor([t.token_ids])
    with torch.no_grad():
        out = loaded.model(input_ids=ids, output_attentions=True, output_hidden_states=True, use_cache=False)
    close(t["logits"], out.logits[0, -1])
    for i in range(t.n_layer):
        pattern = t[f"blocks.{i}.attn.hook_pattern"]
        close(pattern, out.attentions[i][0])
        # Our own queries and keys (turned by rotary where the family has it) give transformers' pattern.
        scores = t[f"blocks.{i}.attn.hook_attn_scores"].astype(np.float64)
        ours = np.exp(scores - scores.max(-1, keepdims=True))
        close(ours / ours.sum(-1, keepdims=True), out.attentions[i][0])
        close(t[f"blocks.{i}.hook_resid_pre"], out.hidden_states[i][0])
        if i + 1 < t.n_layer:  # transformers' last hidden state is after the final norm
            close(t[f"blocks.{i}.hook_resid_post"], out.hidden_states[i + 1][0])
        pre, attn, mlp, post = (
            t[f"blocks.{i}.{n}"] for n in ("hook_resid_pre", "hook_attn_out", "hook_mlp_out", "hook_resid_post")
        )
        close(pre + attn + mlp, post)  # parallel or not, the block adds both to the residual stream
        if not t.meta["words"]["parallel_residual"]:
            close(t[f"blocks.{i}.hook_resid_mid"] + mlp, post)
    last = t[f"blocks.{t.n_layer - 1}.hook_resid_post"]
    assert t["logit_lens.top_ids"][-1][0] == int(np.argmax(t["logits"]))
    assert last.shape == (len(t.token_ids), t.meta["d_model"])


@pytest.mark.parametrize("kind", FAMILIES)
def test_family_words_and_parts(kind, traced):
    _, t = traced[kind]
    words = t.meta["words"]
    rotary = kind != "gpt2"
    assert words["positions"] == ("rotary" if rotary else "learned")
    assert ("hook_pos_embed" in t.arrays) is not rotary
    assert ("blocks.0.attn.hook_rot_q" in t.arrays) is rotary
    assert words["norm"] == ("LayerNorm" if kind in ("gpt2", "gpt_neox") else "RMSNorm")
    assert words["parallel_residual"] is (kind == "gpt_neox")
    if kind == "gpt_neox":
        assert words["rotary_dim"] == t.meta["d_head"] // 4
        q, rq = t["blocks.0.attn.hook_q"], t["blocks.0.attn.hook_rot_q"]
        close(q[..., words["rotary_dim"] :], rq[..., words["rotary_dim"] :])  # the rest of each head is not turned
    if words["mlp_gated"]:
        pre = t["blocks.0.mlp.hook_pre"].astype(np.float64)
        silu = pre / (1 + np.exp(-pre))
        close(silu * t["blocks.0.mlp.hook_pre_linear"], t["blocks.0.mlp.hook_post"])
    # The worked query: Σ x·W_Q + b_Q, with b_Q zero where the family has no bias.
    close(t["matvec.partial_sums"][-1] + t["weights.blocks.0.attn.b_Q"][0, 0], t["blocks.0.attn.hook_q"][0, 0, 0])


@pytest.mark.parametrize("kind", FAMILIES)
def test_tally_counts_the_real_tensors(kind, traced):
    loaded, t = traced[kind]
    tally = t.info["tally"]
    assert tally["total"] == tally["actual"] == t.meta["n_params"]
    names = [r["family"] for r in tally["families"]]
    assert ("gate-projection" in names) is t.meta["words"]["mlp_gated"]
    assert any(r["family"] == "position embedding" for r in tally["rest"]) is (kind == "gpt2")
    assert tally["tied"] is loaded.model.config.tie_word_embeddings
    kv = next(r for r in tally["families"] if r["family"] == "key")
    assert kv["matrices"] == t.n_layer * t.meta["words"]["n_kv_head"]


@pytest.mark.parametrize("kind", ["gpt_neox", "llama"])
def test_cli_traces_each_folder(kind, folders):
    done = subprocess.run(
        [sys.executable, "-m", "gptanim", "trace", "--model", str(folders[kind]), "--prompt", "The wolf", "--generate", "2"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert folders[kind].name in done.stdout


@pytest.mark.parametrize("kind", ["gpt_neox", "llama", "qwen2"])
@pytest.mark.parametrize("damage", ["missing", "shape"])
def test_damaged_weights_are_refused(kind, damage, folders, tmp_path):
    from safetensors.torch import load_file, save_file

    folder = shutil.copytree(folders[kind], tmp_path / kind)
    tensors = load_file(folder / "model.safetensors")
    name = next(n for n in sorted(tensors) if "layers.1." in n and n.endswith("weight") and tensors[n].ndim == 2)
    if damage == "missing":
        del tensors[name]
    else:
        tensors[name] = tensors[name][:, :-1].contiguous()
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(GptanimError, match="lacks 1 of|has shape"):
        check_weights(folder)
