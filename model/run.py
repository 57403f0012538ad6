"""Running a GPT on a prompt and recording every number the scenes may show, as a Trace."""

from __future__ import annotations

import contextlib
import json
import os
import weakref
from collections.abc import Callable
from dataclasses import asdict

import numpy as np

# torch's OpenMP threads wait for work by spinning: on a busy machine (2 cores, other jobs) they took the CPU
# from each other and a Trace took 37-54 s instead of 2.2 s (5-7.6 CPU s instead of 0.2). Waiting asleep
# changes nothing in the numbers (the same threads split the same work). Read when torch loads OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from model import chat, geometry, gpt2_forward, learning, summaries, tally
from model.errors import GptanimError
from model.families import part
from model.loading import LoadedModel, load
from model.one_hot import one_hot_lookup
from model.sampling import next_token_distribution, rank_of, sample, softmax, top_entries, top_ids
from model.settings import TraceSettings, cache_root, code_hash
from model.summaries import TOP_KEPT, token_display
from model.trace_data import SECTIONS, Trace, write_atomically

# A model this small runs faster on one thread: its matrices are too small to share out, and waking the other
# thread for each operation costs more than it gains (embedded model, 5.3 M parameters, 2 cores: a forward pass
# 6.6 ms on one thread against 9.5 ms on two, a one-token step 3.5 against 4.3; at 34 M two threads win the
# forward pass). The numbers are the same but for the last bit of a few logit-lens probabilities.
ONE_THREAD_BELOW = 20_000_000  # parameters


_SMALL: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model → whether it has under ONE_THREAD_BELOW


@contextlib.contextmanager
def threads_for(loaded: LoadedModel):
    """torch on one thread while a model under ONE_THREAD_BELOW parameters runs; as it was afterwards."""
    before = torch.get_num_threads()
    if loaded.model not in _SMALL:
        _SMALL[loaded.model] = sum(p.numel() for p in loaded.model.parameters()) < ONE_THREAD_BELOW
    small = _SMALL[loaded.model]
    if small:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if small:
            torch.set_num_threads(before)


def trace(settings: TraceSettings, loaded: LoadedModel | None = None, sections=SECTIONS) -> Trace:
    """Run the model once on the prompt (plus the continuations) and record everything, with the `sections`
    named (`add_sections`: only the scenes that show them need them)."""
    settings.validate()
    loaded = loaded or load(settings.model)
    with threads_for(loaded):
        with torch.inference_mode():  # no autograd bookkeeping at all (about 5% of the time here)
            result = compute(settings, loaded)
        return add_sections(result, settings, loaded, sections)


def compute(settings: TraceSettings, loaded: LoadedModel) -> Trace:
    """`trace` on the loaded model without the sections, at the thread count `threads_for` chose."""
    sizes = loaded.family.sizes(loaded.model.config)
    ids, offsets = prompt_tokens(settings, loaded, sizes.n_ctx)
    arrays, runs = model_run(settings, loaded, ids)
    info = summaries.summarise(settings, loaded.tokenizer, ids, offsets, arrays, runs, sizes.n_layer)
    meta = model_meta(loaded, sizes) | {"temperatures": list(settings.temperatures), "settings": asdict(settings)}
    info["gpt3"]["times_larger"] = info["gpt3"]["total"] / info["tally"]["matrix_params"]  # the same parts counted
    # Normalise to what JSON keeps (tuples become lists), so a loaded Trace equals a fresh one; what depends on
    # the weights alone comes from `per_weights` as fresh JSON values already.
    kept = {name: info.pop(name) for name in ("geometry", "tally")}
    return Trace(json.loads(json.dumps(meta)), arrays, json.loads(json.dumps(info)) | kept)


def add_sections(result: Trace, settings: TraceSettings, loaded: LoadedModel, sections) -> Trace:
    """The Trace with each of `sections` (trace_data.SECTIONS) it lacks computed and added: the script a chatbot
    continues and its reply (`chat`), the model at its training snapshots on this prompt (`learning`)."""
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise GptanimError(f"unknown Trace sections {sorted(unknown)}; the sections are {', '.join(SECTIONS)}")
    with threads_for(loaded):
        if "chat" in sections and "chat" not in result.info:
            result.info["chat"] = json.loads(json.dumps(chat.converse(settings, loaded, generate)))
        if "learning" in sections and "learning" not in result.info:
            result.info["learning"] = json.loads(json.dumps(learning.record(loaded, result.token_ids)))
    return result


def prompt_tokens(settings: TraceSettings, loaded: LoadedModel, n_ctx: int) -> tuple[list[int], list[list[int]]]:
    """The prompt's token ids and character offsets, cut to the context when --truncate allows it."""
    enc = loaded.tokenizer(settings.prompt, return_offsets_mapping=True, add_special_tokens=False)
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
    return ids, offsets


PICTURE_DIMS, PICTURE_TOKENS = 64, 1024  # the whole matrices drawn as colours: their first dims, tokens sampled


def weight_pictures(loaded: LoadedModel, W_E: np.ndarray) -> dict:
    """W_E and W_pos as a picture of the whole matrix: the first PICTURE_DIMS entries of every position's row and
    of every k-th token's (k: about PICTURE_TOKENS tokens in all), drawn as colours, never as numbers."""
    step = max(1, W_E.shape[0] // PICTURE_TOKENS)
    out = {"weights.W_E_picture": W_E[::step, :PICTURE_DIMS].astype(np.float32)}
    if loaded.family.pos_embed:
        W_pos = part(loaded.model, loaded.family.pos_embed).weight.detach().numpy()
        out["weights.W_pos_picture"] = W_pos[:, :PICTURE_DIMS].astype(np.float32)
    return out


def model_run(settings: TraceSettings, loaded: LoadedModel, ids: list[int]) -> tuple[dict, dict]:
    """Everything that needs torch: the forward pass's arrays, the weights shown, the generations,
    the second context and the embedding geometry; `summaries.summarise` reads them with numpy."""
    fam = loaded.family
    arrays, other = forward_arrays(loaded, ids, other_context_ids(settings, loaded, ids[-1]))
    logits = arrays["logits"]
    arrays["probs"] = np.stack([softmax(logits, t) for t in settings.temperatures]).astype(np.float32)
    W_E = part(loaded.model, fam.embed).weight.detach().numpy()
    slice_ids = summaries.embedding_slice_ids(ids, W_E.shape[0])
    arrays["weights.W_E_slice"] = W_E[slice_ids].copy()
    arrays.update(weight_pictures(loaded, W_E))
    arrays.update(one_hot_lookup(part(loaded.model, fam.embed), ids))  # EmbeddingMatrix: one-hot × W_E = lookup
    arrays.update(first_layer_query_weights(loaded))
    arrays.update(summaries.query_matvec(arrays))
    unembed_ids = summaries.unembed_ids(logits)
    arrays["weights.W_U_rows"] = part(loaded.model, fam.unembed).weight.detach().numpy()[unembed_ids].copy()
    options = (settings.top_k, settings.top_p, settings.seed)
    runs = {
        "continuation": generate(loaded, ids, settings.generate, settings.temperature, *options),
        "comparisons": [generate(loaded, ids, settings.generate, t, *options) for t in settings.compare_temperatures],
        "embedding_slice_ids": slice_ids,
        "unembed_ids": unembed_ids,
        "context_pair": context_pair(loaded, settings.other_context, ids, arrays, other),
        "geometry": per_weights(loaded, "geometry", lambda: model_geometry(loaded, W_E)),
        "tally": per_weights(loaded, "tally", lambda: tally.tally_model(loaded.model, fam)),
        "gpt3": tally.gpt3_reference(),
    }
    return arrays, runs


def model_meta(loaded: LoadedModel, sizes) -> dict:
    """The model's facts and its family's words for its parts (what the scenes say: RMSNorm, SwiGLU, rotary...)."""
    model, fam = loaded.model, loaded.family
    cfg = model.config
    query_bias = fam.qkv_weights(part(fam.layers(model)[0], fam.attn), sizes)[0][1]
    return {
        "model": loaded.name,
        "model_path": str(loaded.path),
        "weights_hash": loaded.weights_hash,
        "architecture": cfg.model_type,
        "n_layer": sizes.n_layer,
        "n_head": sizes.n_head,
        "d_model": sizes.d_model,
        "d_head": sizes.d_head,
        "d_mlp": sizes.d_mlp,
        "vocab_size": sizes.vocab,
        "n_ctx": sizes.n_ctx,
        "n_params": per_weights(loaded, "n_params", lambda: int(sum(p.numel() for p in model.parameters()))),
        "tied_embeddings": tied(loaded),
        "words": fam.words(cfg, sizes) | {"query_bias": query_bias is not None},
    }


def tied(loaded: LoadedModel) -> bool:
    fam = loaded.family
    return part(loaded.model, fam.unembed).weight.data_ptr() == part(loaded.model, fam.embed).weight.data_ptr()


_PER_WEIGHTS: dict[tuple[str, str], str] = {}


def per_weights(loaded: LoadedModel, name: str, compute):
    """What depends on the weights alone (geometry, tally, parameter count), computed once per process and
    model: every Trace after the first gets a fresh copy."""
    key = (loaded.weights_hash, name)
    if key not in _PER_WEIGHTS:
        _PER_WEIGHTS[key] = json.dumps(compute())
    return json.loads(_PER_WEIGHTS[key])


def model_geometry(loaded: LoadedModel, W_E: np.ndarray) -> dict:
    """Embedding geometry depends on the weights alone: computed once per model, kept on disk by weights hash."""
    path = cache_root() / "geometry" / f"{loaded.weights_hash}-{code_hash()}.json"
    if path.exists():
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            pass
    geo = json.loads(json.dumps(geometry.analyse(W_E, loaded.tokenizer)))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps(geo).encode())
    return geo


def input_of(store: dict, name: str):
    def hook(_module, inputs):
        store[name] = inputs[0][0].detach()

    return hook


def output_of(store: dict, name: str):
    def hook(_module, _inputs, output):
        store[name] = (output[0] if isinstance(output, tuple) else output)[0].detach()

    return hook


def rotary_of(store: dict, name: str):
    """The (cos, sin) tables the block's attention receives, when the family turns queries and keys."""

    def hook(_module, _args, kwargs):
        if kwargs.get("position_embeddings") is not None:
            store[name] = tuple(t[0].detach() for t in kwargs["position_embeddings"])  # (pos, rotary_dim) each

    return hook


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding on the first rotary_dim entries of each head of x (pos, head, d_head):
    pairs (i, i + rotary_dim/2) turned by the position's angles; the rest passes unchanged."""
    r = cos.shape[-1]
    turned, rest = x[..., :r], x[..., r:]
    half = torch.cat([-turned[..., r // 2 :], turned[..., : r // 2]], dim=-1)
    return torch.cat([turned * cos[:, None] + half * sin[:, None], rest], dim=-1)


def project(family, attn, x: torch.Tensor, sizes) -> tuple[torch.Tensor, ...]:
    """Queries, keys and values of x (pos, d_model), each (pos, heads, d_head); keys and values have the
    family's key/value heads (fewer under grouped-query attention)."""
    heads = (sizes.n_head, sizes.n_kv_head, sizes.n_kv_head)
    return tuple(
        torch.nn.functional.linear(x, W, b).reshape(len(x), h, sizes.d_head)
        for (W, b), h in zip(family.qkv_weights(attn, sizes), heads)
    )


@torch.no_grad()
def forward_arrays(
    loaded: LoadedModel, ids: list[int], other_ids: list[int]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """One forward pass recording every sub-module's output a scene may show: written out for GPT-2
    (`model/gpt2_forward.py`, the same numbers), through hooks on transformers' modules for the other families. With it,
    `last_position_stream` of other_ids (the second context): for GPT-2 its last token in the same matrix
    products, after the cached keys and values of the tokens before it."""
    model, fam = loaded.model, loaded.family
    blocks = fam.layers(model)
    input_ids = torch.tensor([ids])
    written_out = gpt2_forward.weights_of(model) is not None
    captured, last_hidden, patterns, resid_pres, other = recorded_forward(loaded, input_ids, other_ids)

    T = len(ids)
    arrays: dict[str, np.ndarray] = {"hook_embed": part(model, fam.embed)(input_ids)[0].numpy()}
    if fam.pos_embed:
        arrays["hook_pos_embed"] = part(model, fam.pos_embed)(torch.arange(T)).numpy()
    for i, block in enumerate(blocks):
        resid_pre, pattern = resid_pres[i], patterns[i]
        arrays[f"blocks.{i}.hook_resid_pre"] = resid_pre.numpy()
        if not written_out:  # model/gpt2_forward.py recorded q, k, v, the scores and z as it computed them
            x = captured[f"blocks.{i}.ln1.hook_normalized"]
            rotary = captured.pop(f"blocks.{i}.rotary", None)
            arrays.update(attention_arrays(loaded, i, part(block, fam.attn), x, rotary, pattern))
        arrays[f"blocks.{i}.attn.hook_pattern"] = pattern.numpy()
        # With a parallel residual the MLP reads resid_pre too; resid_mid is then only a partial sum.
        arrays[f"blocks.{i}.hook_resid_mid"] = (resid_pre + captured[f"blocks.{i}.hook_attn_out"]).numpy()
    arrays.update({name: t.numpy() for name, t in captured.items()})
    # In one product with the unembedding: every position's logits (LastPosition shows what each position predicts:
    # positions.*) and the logit lens's, each block's input at the last position through the final norm; after
    # the last block the lens reads the model's own logits. (With the lens's rows in the product, a prompt of under
    # four tokens may get logits that differ from transformers' own in the last bits: float32 rounding.)
    lens = part(model, fam.final_norm)(torch.stack([resid[-1] for resid in resid_pres]))
    every = part(model, fam.unembed)(torch.cat([last_hidden, lens])).numpy()
    arrays["logits"] = every[T - 1]
    arrays.update(summaries.position_predictions(every[:T], ids))
    arrays["logit_lens.top_ids"], arrays["logit_lens.top_probs"] = lens_top(
        np.concatenate([every[T:], every[T - 1 : T]])
    )
    return arrays, other


def recorded_forward(loaded: LoadedModel, input_ids: torch.Tensor, other_ids: list[int]):
    """The forward pass of the body with every sub-module's output recorded: the outputs by name, the final
    norm's output, each block's attention pattern (head, query, key) and input, and the second context's
    last-position stream."""
    model, fam = loaded.model, loaded.family
    n_layer = len(fam.layers(model))
    weights = gpt2_forward.weights_of(model)
    if weights is None:
        captured, out = hooked_forward(model, fam, input_ids)
        patterns = [a[0] for a in out.attentions]  # (head, query, key), as transformers computed it
        resid_pres = [h[0] for h in out.hidden_states[:n_layer]]
        return captured, out.last_hidden_state[0], patterns, resid_pres, last_position_stream(loaded, other_ids)
    # GPT-2: written out in model/gpt2_forward.py, the same numbers without hooks
    captured: dict[str, torch.Tensor] = {}
    streams: list[torch.Tensor] = []
    extra = (other_ids[-1], prefix_cache(model, weights, other_ids[:-1]))
    last_hidden = gpt2_forward.body(weights, input_ids, capture=captured, streams=streams, extra=extra)[0][0]
    embed = part(model, fam.embed)(torch.tensor(other_ids[-1:]))[0]
    other = torch.stack([embed, *(x[0, -1] for x in streams)]).numpy()
    captured["ln_final.hook_normalized"] = last_hidden
    patterns = [captured.pop(f"blocks.{i}.attn.hook_pattern") for i in range(n_layer)]
    resid_pres = [captured.pop(f"blocks.{i}.hook_resid_pre") for i in range(n_layer)]
    return captured, last_hidden, patterns, resid_pres, other


def attention_arrays(loaded: LoadedModel, i: int, attn, x: torch.Tensor, rotary, pattern) -> dict[str, np.ndarray]:
    """Block i's queries, keys, values, scores and z (and the rotated queries and keys), computed from its
    normalized input x the way the family's attention does (the pattern is transformers' own)."""
    fam, cfg = loaded.family, loaded.model.config
    sizes = fam.sizes(cfg)
    T = len(x)
    q, k, v = project(fam, attn, x, sizes)  # (pos, head, d_head)
    # Grouped-query attention: each key/value head serves `group` query heads; kept per query head.
    group = sizes.n_head // sizes.n_kv_head
    k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
    qr, kr = (rotate(q, *rotary), rotate(k, *rotary)) if sizes.rotary_dim and rotary else (q, k)
    scores = torch.einsum("qhd,khd->hqk", qr, kr) / fam.scale(cfg, i, sizes)  # (head, query, key)
    scores = scores.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))
    arrays = {
        f"blocks.{i}.attn.hook_q": q.numpy(),
        f"blocks.{i}.attn.hook_k": k.numpy(),
        f"blocks.{i}.attn.hook_v": v.numpy(),
        f"blocks.{i}.attn.hook_attn_scores": scores.numpy(),
        f"blocks.{i}.attn.hook_z": torch.einsum("hqk,khd->qhd", pattern, v).numpy(),
    }
    if sizes.rotary_dim and rotary:
        arrays[f"blocks.{i}.attn.hook_rot_q"], arrays[f"blocks.{i}.attn.hook_rot_k"] = qr.numpy(), kr.numpy()
    return arrays


def hooked_forward(model, fam, input_ids: torch.Tensor) -> tuple[dict[str, torch.Tensor], object]:
    """transformers' forward pass of the body, with hooks on every sub-module whose output a scene may show."""
    captured: dict[str, torch.Tensor] = {}
    handles = []
    for i, block in enumerate(fam.layers(model)):
        watched = [
            (f"blocks.{i}.ln1.hook_normalized", fam.ln1),
            (f"blocks.{i}.hook_attn_out", fam.attn),
            (f"blocks.{i}.ln2.hook_normalized", fam.ln2),
            (f"blocks.{i}.mlp.hook_pre", fam.mlp_pre),
            (f"blocks.{i}.hook_mlp_out", fam.mlp),
        ]
        if fam.mlp_pre_linear:
            watched.append((f"blocks.{i}.mlp.hook_pre_linear", fam.mlp_pre_linear))
        for name, path in watched:
            handles.append(part(block, path).register_forward_hook(output_of(captured, name)))
        handles.append(block.register_forward_hook(output_of(captured, f"blocks.{i}.hook_resid_post")))
        down = part(block, fam.mlp_down)
        handles.append(down.register_forward_pre_hook(input_of(captured, f"blocks.{i}.mlp.hook_post")))
        attn = part(block, fam.attn)
        handles.append(attn.register_forward_pre_hook(rotary_of(captured, f"blocks.{i}.rotary"), with_kwargs=True))
    handles.append(part(model, fam.final_norm).register_forward_hook(output_of(captured, "ln_final.hook_normalized")))
    try:
        # The body alone; the unembedding follows below.
        out = getattr(model, fam.base)(input_ids=input_ids, output_attentions=True, output_hidden_states=True,
                                       use_cache=False)  # fmt: skip
    finally:
        for h in handles:
            h.remove()
    return captured, out


def lens_top(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The logit lens's rows (n_layer + 1, vocab): each row's most likely tokens and their probabilities."""
    probs = softmax(logits, 1.0)
    top = np.stack([top_ids(row, TOP_KEPT) for row in probs])
    return top.astype(np.int64), np.take_along_axis(probs, top, axis=-1).astype(np.float32)


@torch.no_grad()
def first_layer_query_weights(loaded: LoadedModel) -> dict[str, np.ndarray]:
    """Layer 0's query weights per head, as used in the matrix-vector product picture (b_Q is 0 without biases)."""
    fam = loaded.family
    sizes = fam.sizes(loaded.model.config)
    W, b = fam.qkv_weights(part(fam.layers(loaded.model)[0], fam.attn), sizes)[0]  # W (n_head · d_head, d_model)
    W_Q = W.reshape(sizes.n_head, sizes.d_head, sizes.d_model).permute(0, 2, 1)  # (head, d_model, d_head)
    b_Q = b.reshape(sizes.n_head, sizes.d_head) if b is not None else torch.zeros(sizes.n_head, sizes.d_head)
    return {"weights.blocks.0.attn.W_Q": W_Q.numpy().copy(), "weights.blocks.0.attn.b_Q": b_Q.numpy().copy()}


def context_pair(loaded: LoadedModel, other_text: str, ids: list[int], arrays: dict[str, np.ndarray],
                 other: np.ndarray) -> dict:  # fmt: skip
    """The prompt's last token again after another context (the setting other_context): its vector, layer by
    layer, in both.

    Both start from the same row of W_E (cosine 1); attention mixes in each context,
    and the vectors drift apart. Cosine similarity per stage: token embedding, then
    the residual stream after each layer. `input_cosine`: the vectors that go in, the token's column plus the
    column of its position (`positions`: in the prompt, in the other text); the token's column alone for a model
    without position vectors. `other`: `last_position_stream` of the other context (n_layer + 1,
    d_model): the embedding, then after each layer.
    """
    tok = loaded.tokenizer
    other_ids = prefix_ids(tok, other_text) + [ids[-1]]
    n_layer = loaded.family.sizes(loaded.model.config).n_layer
    stages = ["hook_embed"] + [f"blocks.{i}.hook_resid_post" for i in range(n_layer)]
    cosines = []
    for name, b in zip(stages, other.astype(np.float64)):
        a = arrays[name][-1].astype(np.float64)
        cosines.append(float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))))
    positions = [len(ids) - 1, len(other_ids) - 1]
    inputs = [arrays["hook_embed"][-1].astype(np.float64), other[0].astype(np.float64)]
    if "hook_pos_embed" in arrays:  # the vector that goes in: the token's column plus its position's column
        pos = part(loaded.model, loaded.family.pos_embed)
        with torch.no_grad():
            inputs = [v + pos(torch.tensor([i]))[0].numpy().astype(np.float64) for v, i in zip(inputs, positions)]
    return {
        "token_id": ids[-1],
        "other_prompt": other_text,
        "other_display": [token_display(tok, i) for i in other_ids],
        "stages": stages,
        "cosines": cosines,
        "positions": positions,
        "input_cosine": float(inputs[0] @ inputs[1] / (np.linalg.norm(inputs[0]) * np.linalg.norm(inputs[1]))),
        "other_embed_first": other[0][:8].tolist(),
        "other_final_first": other[-1][:8].tolist(),
    }


_PREFIX_IDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # tokenizer → {other context: its ids}
_PREFIX_CACHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model → {ids: their keys and values}


def other_context_ids(settings: TraceSettings, loaded: LoadedModel, last_id: int) -> list[int]:
    """The other context's ids, then the prompt's last token; a one-line error when they do not fit the model."""
    ids = prefix_ids(loaded.tokenizer, settings.other_context) + [last_id]
    n_ctx = loaded.family.sizes(loaded.model.config).n_ctx
    if len(ids) == 1 or len(ids) > n_ctx:
        raise GptanimError(f"--other-context must be 1 to {n_ctx - 1} tokens, it is {len(ids) - 1}")
    return ids


def prefix_ids(tok, text: str) -> list[int]:
    """The ids of the other context (the setting other_context), kept per tokenizer."""
    known = _PREFIX_IDS.setdefault(tok, {})
    if text not in known:
        known[text] = tok.encode(text, add_special_tokens=False)
    return list(known[text])


def prefix_cache(model, weights: gpt2_forward.Weights, ids: list[int]) -> gpt2_forward.Cache:
    """The keys and values of `ids` (the setting other_context), computed once per model object: a token after them
    sees the same keys and values, whatever prompt it came from (the model object's weights never change:
    learning.with_weights makes a copy)."""
    kept = _PREFIX_CACHES.setdefault(model, {})
    if tuple(ids) not in kept:
        kept[tuple(ids)] = gpt2_forward.body(weights, torch.tensor([ids]))[1]
    return kept[tuple(ids)]


@torch.no_grad()
def last_position_stream(loaded: LoadedModel, ids: list[int]) -> np.ndarray:
    """The last position's token embedding and residual stream after each block, from one plain forward pass
    through transformers (GPT-2 runs it within forward_arrays)."""
    model, fam = loaded.model, loaded.family
    input_ids = torch.tensor([ids])
    embed = part(model, fam.embed)(input_ids)[0, -1]
    outputs = []
    handles = [b.register_forward_hook(lambda _m, _i, out: outputs.append(out[0] if isinstance(out, tuple) else out))
               for b in fam.layers(model)]  # fmt: skip
    try:
        getattr(model, fam.base)(input_ids=input_ids, use_cache=False)
    finally:
        for h in handles:
            h.remove()
    return torch.stack([embed, *(o[0, -1] for o in outputs)]).numpy()


@torch.no_grad()
def generate(
    loaded: LoadedModel,
    prompt_ids: list[int],
    n: int,
    temperature: float,
    top_k: int | None,
    top_p: float | None,
    seed: int,
    stop: Callable[[int], object] | None = None,
) -> dict:
    """Autoregressive continuation with the KV cache: each step feeds one new token; n tokens, or fewer when
    `stop` says yes to a chosen token (it is kept)."""
    model, tok = loaded.model, loaded.tokenizer
    rng = np.random.default_rng(seed)
    steps, context = [], list(prompt_ids)
    past, feed = None, torch.tensor([prompt_ids])
    weights = gpt2_forward.weights_of(model)
    for _ in range(int(n)):
        if weights is not None:  # GPT-2 written out (model/gpt2_forward.py): the logits of the last position only
            hidden, past = gpt2_forward.body(weights, feed, past)
            logits = gpt2_forward.unembed(weights, hidden[:, -1:])[0, -1].double().numpy()
        else:
            out = model(input_ids=feed, past_key_values=past, use_cache=True)
            past = out.past_key_values
            logits = out.logits[0, -1].double().numpy()
        probs = next_token_distribution(logits, temperature, top_k, top_p)
        chosen = sample(probs, rng)
        steps.append(
            {
                "context_len": len(context),
                "top": [
                    {"id": i, "prob": p, "display": token_display(tok, i)} for i, p in top_entries(probs, TOP_KEPT)
                ],
                "chosen_id": chosen,
                "chosen_prob": float(probs[chosen]),
                "chosen_rank": rank_of(probs, chosen),
                "chosen_display": token_display(tok, chosen),
            }
        )
        context.append(chosen)
        if stop is not None and stop(chosen):
            break
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
