"""Running a GPT on a prompt and recording every number the scenes may show, as a Trace."""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict

import numpy as np
import torch

from model import geometry, tally
from model.cache import TraceSettings, cache_dir, code_hash
from model.errors import GptanimError
from model.loading import LoadedModel, load
from model.sampling import (
    next_token_distribution,
    sample,
    softmax,
    top_entries,
    truncate_top_k,
    truncate_top_p,
)
from model.tokens_text import byte_level_bytes, display_token
from model.trace_data import Trace, write_atomically

TOP_K_SHOWN = 10  # entries kept per generation step and per logit-lens layer
VOCAB_DISPLAY_TOP = 64  # the highest logits whose text the Trace keeps
EMBED_SLICE_TOKENS = 12  # W_E rows kept for the embedding-matrix picture (besides the prompt's)
SOFTMAX_TOP = 8  # tokens whose softmax is worked out step by step
TRUNCATE_K, TRUNCATE_P = 5, 0.9  # the top-k and top-p shown in the sampling chapter


def trace(settings: TraceSettings, loaded: LoadedModel | None = None) -> Trace:
    """Run the model once on the prompt (plus the continuations) and record everything."""
    settings.validate()
    loaded = loaded or load(settings.model)
    model, tok = loaded.model, loaded.tokenizer
    cfg = model.config
    n_ctx = int(cfg.n_positions)

    enc = tok(settings.prompt, return_offsets_mapping=True, add_special_tokens=False)
    ids, offsets = list(enc["input_ids"]), [list(o) for o in enc["offset_mapping"]]
    if not ids:
        raise GptanimError(f"the tokenizer of {loaded.name} turns the prompt into no tokens at all")
    if len(ids) > n_ctx:
        if not settings.truncate:
            raise GptanimError(
                f"the prompt is {len(ids)} tokens, longer than the model's context of {n_ctx}; "
                "shorten it or pass --truncate to keep its end"
            )
    if settings.truncate and len(ids) + int(settings.generate) > n_ctx:
        keep = max(1, n_ctx - int(settings.generate))  # room for the tokens to generate
        ids, offsets = ids[-keep:], offsets[-keep:]
    if len(ids) + int(settings.generate) > n_ctx:
        raise GptanimError(
            f"{len(ids)} prompt tokens + {settings.generate} generated exceed the context of {n_ctx}; generate fewer"
        )

    arrays = forward_arrays(model, ids)
    logits = arrays["logits"]
    arrays["probs"] = np.stack([softmax(logits, t) for t in settings.temperatures]).astype(np.float32)
    lens_ids, lens_probs = logit_lens(model, arrays)
    arrays["logit_lens.top_ids"], arrays["logit_lens.top_probs"] = lens_ids, lens_probs

    W_E = model.transformer.wte.weight.detach().numpy()
    slice_ids = embedding_slice_ids(ids, W_E.shape[0])
    arrays["weights.W_E_slice"] = W_E[slice_ids].copy()
    arrays.update(first_layer_query_weights(model))
    arrays.update(query_matvec(arrays))

    continuation = generate(
        loaded, ids, settings.generate, settings.temperature, settings.top_k, settings.top_p, settings.seed
    )
    comparisons = [
        generate(loaded, ids, settings.generate, t, settings.top_k, settings.top_p, settings.seed)
        for t in settings.compare_temperatures
    ]
    truncation = truncation_demo(logits, settings.seed)
    top_logit_ids = [i for i, _ in top_entries(logits, VOCAB_DISPLAY_TOP)]
    low_logit_ids = [int(i) for i in np.argsort(logits, kind="stable")[:4]]
    unembed_ids = top_logit_ids[:SOFTMAX_TOP] + low_logit_ids[:3]
    arrays["weights.W_U_rows"] = model.lm_head.weight.detach().numpy()[unembed_ids].copy()
    shown_ids = set(ids) | set(top_logit_ids) | set(low_logit_ids) | set(slice_ids) | set(lens_ids.ravel().tolist())
    shown_ids |= {i for i, _ in top_entries(softmax(logits, 1.0), 10)}
    shown_ids |= {info_part["chosen_id"] for info_part in (truncation["top_k"], truncation["top_p"])}
    for run in [continuation, *comparisons]:
        for step in run["steps"]:
            shown_ids |= {step["chosen_id"], *(e["id"] for e in step["top"])}

    geo = model_geometry(loaded, W_E)
    info = {
        "tokens": {
            "ids": ids,
            "display": [token_display(tok, i) for i in ids],
            "text": [tok.decode([i]) for i in ids],
            "offsets": offsets,
        },
        "vocab_display": {str(i): token_display(tok, i) for i in sorted(shown_ids)},
        "lowest_logit_ids": low_logit_ids,
        "embedding_slice_ids": slice_ids,
        "unembed_ids": unembed_ids,
        "softmax": softmax_steps(logits, top_logit_ids[:SOFTMAX_TOP]),
        "truncation": truncation,
        "attention": attention_summary(arrays, int(cfg.n_layer)),
        "split_words": split_words(tok, settings.prompt, ids, offsets),
        "context_pair": context_pair(model, tok, ids, arrays),
        "mlp": mlp_summary(arrays, int(cfg.n_layer)),
        "continuation": continuation,
        "comparisons": comparisons,
        "geometry": geo,
        "tally": tally.tally_model(model),
        "gpt3": tally.gpt3_reference(),
    }
    info["gpt3"]["times_larger"] = info["gpt3"]["total"] / info["tally"]["total"]
    meta = {
        "model": loaded.name,
        "model_path": str(loaded.path),
        "weights_hash": loaded.weights_hash,
        "architecture": cfg.model_type,
        "n_layer": int(cfg.n_layer),
        "n_head": int(cfg.n_head),
        "d_model": int(cfg.n_embd),
        "d_head": int(cfg.n_embd) // int(cfg.n_head),
        "d_mlp": int(cfg.n_inner or 4 * cfg.n_embd),
        "vocab_size": int(cfg.vocab_size),
        "n_ctx": n_ctx,
        "n_params": int(sum(p.numel() for p in model.parameters())),
        "tied_embeddings": bool(model.lm_head.weight.data_ptr() == model.transformer.wte.weight.data_ptr()),
        "temperatures": list(settings.temperatures),
        "settings": asdict(settings),
    }
    # Normalise to what JSON keeps (tuples become lists), so a loaded Trace equals a fresh one.
    return Trace(json.loads(json.dumps(meta)), arrays, json.loads(json.dumps(info)))


def model_geometry(loaded: LoadedModel, W_E: np.ndarray) -> dict:
    """Embedding geometry depends on the weights alone: computed once per model, kept on disk by weights hash."""
    path = cache_dir().parent / "geometry" / f"{loaded.weights_hash}-{code_hash()}.json"
    if path.exists():
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            pass
    geo = json.loads(json.dumps(geometry.analyse(W_E, loaded.tokenizer)))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps(geo).encode())
    return geo


def token_display(tok, token_id: int) -> str:
    text = tok.decode([token_id])
    raw = byte_level_bytes(tok.convert_ids_to_tokens(token_id)) if "\ufffd" in text else None
    return display_token(text, raw)


@torch.no_grad()
def forward_arrays(model, ids: list[int]) -> dict[str, np.ndarray]:
    """One forward pass with hooks on every sub-module whose output a scene may show."""
    cfg = model.config
    n_head, d_model = int(cfg.n_head), int(cfg.n_embd)
    d_head = d_model // n_head
    captured: dict[str, torch.Tensor] = {}
    handles = []

    def keep(name):
        def hook(_module, _inputs, output):
            captured[name] = (output[0] if isinstance(output, tuple) else output)[0].detach()

        return hook

    tr = model.transformer
    for i, block in enumerate(tr.h):
        for name, module in [
            (f"blocks.{i}.ln1.hook_normalized", block.ln_1),
            (f"blocks.{i}.attn.qkv", block.attn.c_attn),
            (f"blocks.{i}.hook_attn_out", block.attn),
            (f"blocks.{i}.ln2.hook_normalized", block.ln_2),
            (f"blocks.{i}.mlp.hook_pre", block.mlp.c_fc),
            (f"blocks.{i}.mlp.hook_post", block.mlp.act),
            (f"blocks.{i}.hook_mlp_out", block.mlp),
            (f"blocks.{i}.hook_resid_post", block),
        ]:
            handles.append(module.register_forward_hook(keep(name)))
    handles.append(tr.ln_f.register_forward_hook(keep("ln_final.hook_normalized")))
    try:
        input_ids = torch.tensor([ids])
        out = model(input_ids=input_ids, output_attentions=True, output_hidden_states=True, use_cache=False)
    finally:
        for h in handles:
            h.remove()

    T = len(ids)
    positions = torch.arange(T)
    arrays: dict[str, np.ndarray] = {
        "hook_embed": tr.wte(input_ids)[0].numpy(),
        "hook_pos_embed": tr.wpe(positions).numpy(),
    }
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    for i in range(len(tr.h)):
        q, k, v = captured.pop(f"blocks.{i}.attn.qkv").split(d_model, dim=-1)
        q, k, v = (x.reshape(T, n_head, d_head) for x in (q, k, v))  # (pos, head, d_head)
        scale = math.sqrt(d_head) if cfg.scale_attn_weights else 1.0
        if cfg.scale_attn_by_inverse_layer_idx:
            scale *= i + 1
        scores = torch.einsum("qhd,khd->hqk", q, k) / scale  # (head, query, key)
        scores = scores.masked_fill(~causal, float("-inf"))
        pattern = out.attentions[i][0]  # (head, query, key), as transformers computed it
        resid_pre = out.hidden_states[i][0]
        attn_out = captured[f"blocks.{i}.hook_attn_out"]
        arrays.update(
            {
                f"blocks.{i}.hook_resid_pre": resid_pre.numpy(),
                f"blocks.{i}.attn.hook_q": q.numpy(),
                f"blocks.{i}.attn.hook_k": k.numpy(),
                f"blocks.{i}.attn.hook_v": v.numpy(),
                f"blocks.{i}.attn.hook_attn_scores": scores.numpy(),
                f"blocks.{i}.attn.hook_pattern": pattern.numpy(),
                f"blocks.{i}.attn.hook_z": torch.einsum("hqk,khd->qhd", pattern, v).numpy(),
                f"blocks.{i}.hook_resid_mid": (resid_pre + attn_out).numpy(),
            }
        )
    arrays.update({name: t.numpy() for name, t in captured.items()})
    arrays["logits"] = out.logits[0, -1].numpy()
    return arrays


@torch.no_grad()
def logit_lens(model, arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Each layer's last-position residual through the final LayerNorm and the unembedding."""
    n_layer = int(model.config.n_layer)
    stream = [arrays[f"blocks.{i}.hook_resid_pre"][-1] for i in range(n_layer)]
    stream.append(arrays[f"blocks.{n_layer - 1}.hook_resid_post"][-1])
    logits = model.lm_head(model.transformer.ln_f(torch.from_numpy(np.stack(stream)))).numpy()
    probs = softmax(logits, 1.0)
    top = np.argsort(-probs, axis=-1, kind="stable")[:, :TOP_K_SHOWN]
    return top.astype(np.int64), np.take_along_axis(probs, top, axis=-1).astype(np.float32)


def embedding_slice_ids(prompt_ids: list[int], vocab_size: int) -> list[int]:
    """W_E rows for the matrix picture: the prompt's tokens, then evenly spread ids for the rest."""
    ids = list(dict.fromkeys(prompt_ids))[:EMBED_SLICE_TOKENS]
    spread = np.linspace(0, vocab_size - 1, EMBED_SLICE_TOKENS + 2).astype(int)[1:-1]
    ids += [int(i) for i in spread if int(i) not in ids]
    return ids


def first_layer_query_weights(model) -> dict[str, np.ndarray]:
    """Layer 0's query weights per head, as used in the matrix-vector product picture."""
    cfg = model.config
    d_model, n_head = int(cfg.n_embd), int(cfg.n_head)
    d_head = d_model // n_head
    c_attn = model.transformer.h[0].attn.c_attn  # Conv1D: y = x @ W + b, W (d_model, 3 d_model)
    W_Q = c_attn.weight.detach()[:, :d_model].reshape(d_model, n_head, d_head).permute(1, 0, 2)
    b_Q = c_attn.bias.detach()[:d_model].reshape(n_head, d_head)
    return {"weights.blocks.0.attn.W_Q": W_Q.numpy().copy(), "weights.blocks.0.attn.b_Q": b_Q.numpy().copy()}


def softmax_steps(logits: np.ndarray, ids: list[int]) -> dict:
    """Softmax worked out for a few tokens: e^logit, the sum over the whole vocabulary, the quotient."""
    z = logits.astype(np.float64)
    shift = float(z.max())  # e^(logit − max) avoids overflow; the quotients are the same
    exp_all = np.exp(z - shift)
    total = float(exp_all.sum())
    probs = [float(exp_all[i] / total) for i in ids]
    return {
        "ids": ids,
        "logits": [float(z[i]) for i in ids],
        "exp_shifted": [float(exp_all[i]) for i in ids],
        "shift": shift,
        "sum_exp_shifted": total,
        "probs": probs,
        "others": 1.0 - sum(probs),
    }


SPLIT_EXAMPLES = ["grandmother", "Cinderella", "unbelievable", "dragonfly", "Rumpelstiltskin", "strawberries"]
CONTEXT_PREFIX = "Far away, over the cold grey mountains, there lived a"


def split_words(tok, prompt: str, ids: list[int], offsets: list[list[int]]) -> dict:
    """Words of the prompt that the tokenizer cut into several pieces, shown as the prompt's own tokens
    (a first word is not re-encoded with a space); fixed examples, encoded mid-sentence, when none are."""

    def pieces(word: str) -> list[dict]:
        return [{"id": i, "display": token_display(tok, i)} for i in tok.encode(" " + word, add_special_tokens=False)]

    # Each token's own characters, without the whitespace it starts with.
    cores = []
    for start, end in offsets:
        while start < end and prompt[start].isspace():
            start += 1
        cores.append((start, end))
    found, seen = [], set()
    for match in re.finditer(r"\S+", prompt):
        word = match.group().strip(".,;:!?\"'()")
        if not word or word in seen:
            continue
        start = match.start() + match.group().index(word)
        end = start + len(word)
        positions = [p for p, (a, b) in enumerate(cores) if a < end and b > start]
        if len(positions) > 1:
            seen.add(word)
            found.append({"word": word, "positions": positions,
                          "pieces": [{"id": ids[p], "display": token_display(tok, ids[p])} for p in positions]})  # fmt: skip
    examples = [{"word": w, "pieces": pieces(w)} for w in SPLIT_EXAMPLES]
    return {"from_prompt": found[:4], "examples": [e for e in examples if len(e["pieces"]) > 1][:4]}


def context_pair(model, tok, ids: list[int], arrays: dict[str, np.ndarray]) -> dict:
    """The prompt's last token again after another context: its vector, layer by layer, in both.

    Both start from the same row of W_E (cosine 1); attention mixes in each context,
    and the vectors drift apart. Cosine similarity per stage: token embedding, then
    the residual stream after each layer.
    """
    other_ids = tok.encode(CONTEXT_PREFIX, add_special_tokens=False) + [ids[-1]]
    n_layer = int(model.config.n_layer)
    other = last_position_stream(model, other_ids)  # (n_layer + 1, d_model): embedding, then after each layer
    stages = ["hook_embed"] + [f"blocks.{i}.hook_resid_post" for i in range(n_layer)]
    cosines = []
    for name, b in zip(stages, other.astype(np.float64)):
        a = arrays[name][-1].astype(np.float64)
        cosines.append(float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))))
    return {
        "token_id": ids[-1],
        "other_prompt": CONTEXT_PREFIX,
        "other_display": [token_display(tok, i) for i in other_ids],
        "stages": stages,
        "cosines": cosines,
        "other_embed_first": other[0][:8].tolist(),
        "other_final_first": other[-1][:8].tolist(),
    }


@torch.no_grad()
def last_position_stream(model, ids: list[int]) -> np.ndarray:
    """The last position's token embedding and residual stream after each block, from one plain forward pass."""
    outputs = []
    handles = [b.register_forward_hook(lambda _m, _i, out: outputs.append(out[0] if isinstance(out, tuple) else out))
               for b in model.transformer.h]  # fmt: skip
    try:
        input_ids = torch.tensor([ids])
        model.transformer(input_ids=input_ids, use_cache=False)
    finally:
        for h in handles:
            h.remove()
    embed = model.transformer.wte(input_ids)[0, -1]
    return torch.stack([embed, *(o[0, -1] for o in outputs)]).numpy()


def attention_summary(arrays: dict[str, np.ndarray], n_layer: int) -> dict:
    """Per head: mean weight on the previous token and mean row entropy; the head the scenes show.

    The rule: the head whose queries put the most weight on the previous token (first
    layer wins ties). Its strongest key for the last query gives the worked q·k example.
    """
    pattern0 = arrays["blocks.0.attn.hook_pattern"]
    T = pattern0.shape[-1]
    prev, entropy = [], []
    for layer in range(n_layer):
        P = arrays[f"blocks.{layer}.attn.hook_pattern"].astype(np.float64)  # (head, query, key)
        logs = np.log(np.where(P > 0, P, 1.0))
        entropy.append((-(P * logs).sum(-1)).mean(-1).tolist())
        prev.append([float(np.mean([P[h, q, q - 1] for q in range(1, T)])) if T > 1 else 0.0 for h in range(len(P))])
    flat = int(np.argmax(np.asarray(prev)))
    layer, head = divmod(flat, len(prev[0]))
    last = T - 1
    row = arrays[f"blocks.{layer}.attn.hook_pattern"][head, last]
    key = int(np.argmax(row))
    q = arrays[f"blocks.{layer}.attn.hook_q"][last, head].astype(np.float64)
    k = arrays[f"blocks.{layer}.attn.hook_k"][key, head].astype(np.float64)
    return {
        "rule": "strongest previous-token attention",
        "layer": layer,
        "head": head,
        "previous_token_weight": prev,
        "mean_entropy": entropy,
        "example": {"query": last, "key": key, "dot": float(q @ k), "scale": float(np.sqrt(len(q)))},
    }


def mlp_summary(arrays: dict[str, np.ndarray], n_layer: int) -> dict:
    """The last layer's MLP neurons that fire most for the last token (largest GELU output)."""
    layer = n_layer - 1
    post = arrays[f"blocks.{layer}.mlp.hook_post"][-1]
    return {"layer": layer, "top_neurons": [int(i) for i in np.argsort(-post, kind="stable")[:8]]}


def truncation_demo(logits: np.ndarray, seed: int) -> dict:
    """Top-k and top-p on the T = 1 distribution, renormalised, each with a token drawn from it."""
    base = softmax(logits, 1.0)
    out = {"k": TRUNCATE_K, "p": TRUNCATE_P, "base_top": top_entries(base, 10)}
    for name, probs in (("top_k", truncate_top_k(base, TRUNCATE_K)), ("top_p", truncate_top_p(base, TRUNCATE_P))):
        kept = int(np.count_nonzero(probs))
        out[name] = {
            "kept": kept,
            "kept_mass": float(base[probs > 0].sum()),
            "top": top_entries(probs, min(kept, 10)),
            "chosen_id": sample(probs, np.random.default_rng(seed)),
        }
    return out


def query_matvec(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One real matrix-vector product, term by term: head 0's first query entry for the first token.

    q[0, 0, 0] = Σ_i x_i · W_Q[0, i, 0] + b_Q[0, 0], with x the first token's LayerNorm output.
    """
    x = arrays["blocks.0.ln1.hook_normalized"][0].astype(np.float64)
    w = arrays["weights.blocks.0.attn.W_Q"][0, :, 0].astype(np.float64)
    products = x * w
    return {"matvec.products": products, "matvec.partial_sums": np.cumsum(products)}


@torch.no_grad()
def generate(
    loaded: LoadedModel,
    prompt_ids: list[int],
    n: int,
    temperature: float,
    top_k: int | None,
    top_p: float | None,
    seed: int,
) -> dict:
    """Autoregressive continuation with the KV cache: each step feeds one new token."""
    model, tok = loaded.model, loaded.tokenizer
    rng = np.random.default_rng(seed)
    steps, context = [], list(prompt_ids)
    past, feed = None, torch.tensor([prompt_ids])
    for _ in range(int(n)):
        out = model(input_ids=feed, past_key_values=past, use_cache=True)
        past = out.past_key_values
        logits = out.logits[0, -1].double().numpy()
        probs = next_token_distribution(logits, temperature, top_k, top_p)
        chosen = sample(probs, rng)
        ranked = np.argsort(-probs, kind="stable")
        steps.append(
            {
                "context_len": len(context),
                "top": [
                    {"id": i, "prob": p, "display": token_display(tok, i)} for i, p in top_entries(probs, TOP_K_SHOWN)
                ],
                "chosen_id": chosen,
                "chosen_prob": float(probs[chosen]),
                "chosen_rank": int(np.nonzero(ranked == chosen)[0][0]) + 1,
                "chosen_display": token_display(tok, chosen),
            }
        )
        context.append(chosen)
        feed = torch.tensor([[chosen]])
    generated = context[len(prompt_ids) :]
    return {
        "temperature": temperature,
        "top_k": top_k,
        "top_p": top_p,
        "seed": seed,
        "ids": generated,
        "text": tok.decode(generated),
        "steps": steps,
    }
