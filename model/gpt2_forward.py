"""GPT-2's forward pass written out in torch: the operations transformers' eager GPT-2 runs, in the same order,
without its module calls, hooks and cache objects (about a quarter of its time for the embedded model; the rest is
the matrix products, memory-bound at one token a step).

Each step is the one transformers takes (`addmm` as its Conv1D, `layer_norm`, the same attention arithmetic), so
the numbers are the same to the last bit; `tests/test_gpt2_forward.py` checks them against transformers' own forward. Only
where fewer logits are computed (the last position's alone) may they differ in the last bits.

Only GPT-2 models in their usual configuration take this path (`weights_of` says None otherwise); everything
else runs through transformers. Nothing here is drawn: `model/run.py` and `model/learning.py` use it.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import torch
import torch.nn.functional as F


def gelu_new(x: torch.Tensor) -> torch.Tensor:
    """GPT-2's GELU (tanh approximation), written as transformers' NewGELUActivation writes it."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACTIVATIONS = {"gelu_new": gelu_new}  # by config.activation_function; the others run through transformers


@dataclass(frozen=True)
class Layer:
    """One block's weights (Conv1D layout: W is (in, out))."""

    ln1_w: torch.Tensor  # (d_model,)
    ln1_b: torch.Tensor
    qkv_W: torch.Tensor  # (d_model, 3 d_model)
    qkv_b: torch.Tensor  # (3 d_model,)
    proj_W: torch.Tensor  # (d_model, d_model)
    proj_b: torch.Tensor
    ln2_w: torch.Tensor
    ln2_b: torch.Tensor
    fc_W: torch.Tensor  # (d_model, d_mlp)
    fc_b: torch.Tensor  # (d_mlp,)
    out_W: torch.Tensor  # (d_mlp, d_model)
    out_b: torch.Tensor


@dataclass(frozen=True)
class Weights:
    """A GPT-2's weights as plain tensors (a model's: its parameters' own storage)."""

    wte: torch.Tensor  # (vocab, d_model)
    wpe: torch.Tensor  # (n_ctx, d_model)
    layers: tuple[Layer, ...]
    lnf_w: torch.Tensor  # (d_model,)
    lnf_b: torch.Tensor
    W_U: torch.Tensor  # (vocab, d_model): the unembedding, as nn.Linear keeps it
    n_head: int
    eps: float
    scalings: tuple[float, ...]  # what q·k is multiplied by, per layer
    activation: str


_OF_MODEL: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def weights_of(model) -> Weights | None:
    """The model's weights for this forward pass (views of its parameters, kept per model object), or None when
    the model is not a GPT-2 this file computes exactly as transformers does."""
    cfg = model.config
    simple = (
        cfg.model_type == "gpt2"
        and not getattr(cfg, "reorder_and_upcast_attn", False)
        and not getattr(cfg, "add_cross_attention", False)
        and cfg.activation_function in ACTIVATIONS
        and getattr(model.config, "_attn_implementation", "eager") == "eager"
        and not model.training
        and model.transformer.wte.weight.dtype == torch.float32
    )
    if not simple:
        return None
    if model not in _OF_MODEL:
        _OF_MODEL[model] = gather(model_state(model), cfg)
    return _OF_MODEL[model]


def model_state(model) -> dict[str, torch.Tensor]:
    """The parameters by name, and the unembedding (tied or not) as lm_head.weight."""
    state = {name: p.detach() for name, p in model.named_parameters()}
    state["lm_head.weight"] = model.lm_head.weight.detach()
    return state


def gather(state: dict[str, torch.Tensor], cfg) -> Weights:
    """A GPT-2's weights by parameter name (as transformers' GPT2LMHeadModel names them; lm_head.weight may be left
    out when tied to the embedding) as `Weights`."""

    def get(name: str) -> torch.Tensor:
        if name == "lm_head.weight" and name not in state:
            name = "transformer.wte.weight"
        return torch.as_tensor(state[name])

    def layer(i: int) -> Layer:
        p = f"transformer.h.{i}."
        names = ["ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
                 "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
                 "mlp.c_proj.weight", "mlp.c_proj.bias"]  # fmt: skip
        return Layer(*(get(p + n) for n in names))

    d_head = cfg.n_embd // cfg.n_head
    scalings = []
    for i in range(cfg.n_layer):
        scaling = d_head**-0.5 if cfg.scale_attn_weights else 1.0
        scalings.append(scaling / float(i + 1) if cfg.scale_attn_by_inverse_layer_idx else scaling)
    return Weights(
        wte=get("transformer.wte.weight"),
        wpe=get("transformer.wpe.weight"),
        layers=tuple(layer(i) for i in range(cfg.n_layer)),
        lnf_w=get("transformer.ln_f.weight"),
        lnf_b=get("transformer.ln_f.bias"),
        W_U=get("lm_head.weight"),
        n_head=int(cfg.n_head),
        eps=float(cfg.layer_norm_epsilon),
        scalings=tuple(scalings),
        activation=cfg.activation_function,
    )


def linear(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """x (B, T, in) · W + b, as Conv1D computes it."""
    return torch.addmm(b, x.reshape(-1, x.shape[-1]), W).view(*x.shape[:-1], -1)


Cache = list[tuple[torch.Tensor, torch.Tensor]]  # per layer: keys and values (B, head, positions, d_head)


@torch.no_grad()
def body(w: Weights, ids: torch.Tensor, past: Cache | None = None, capture: dict | None = None,
         streams: list | None = None, extra: tuple[int, Cache] | None = None):  # fmt: skip
    """The blocks and the final norm on ids (B, T), after `past` (the keys and values of the tokens before):
    (normalised last hidden state (B, T, d_model), the cache including these tokens). With a dict as `capture`,
    every intermediate of batch row 0 is put in it under the names `model/run.py` records; with a list as
    `streams`, the residual stream after each block (B, T, d_model) is appended to it.

    `extra` (batch 1 only): (a token of another text, the keys and values of that text's tokens before it). It
    runs in the same matrix products as ids, attending to its own text only, and comes last in `streams` (B, T + 1,
    d_model); the result, the cache and `capture` are those of ids alone."""
    B, T = ids.shape
    start = past[0][0].shape[2] if past else 0
    x = F.embedding(ids, w.wte) + F.embedding(torch.arange(start, start + T)[None], w.wpe)
    if extra is not None:
        token, extra_past = extra
        at = extra_past[0][0].shape[2]  # its position: after its own text
        x = torch.cat([x, F.embedding(torch.tensor([[token]]), w.wte) + F.embedding(torch.tensor([[at]]), w.wpe)], 1)
    n = x.shape[1]  # the rows of every product: ids, and the extra token
    mask = allowed = None
    if T > 1:  # what transformers adds for the causal mask: 0 where a query may look, the lowest float where not
        allowed = torch.ones(T, start + T, dtype=torch.bool).tril(diagonal=start)
        mask = torch.zeros(T, start + T).masked_fill(~allowed, torch.finfo(torch.float32).min)
    act = ACTIVATIONS[w.activation]
    cache: Cache = []
    for i, L in enumerate(w.layers):
        h = F.layer_norm(x, x.shape[-1:], L.ln1_w, L.ln1_b, w.eps)
        q, k, v = linear(h, L.qkv_W, L.qkv_b).split(x.shape[-1], dim=2)
        q, k, v = (t.view(B, n, w.n_head, -1).transpose(1, 2) for t in (q, k, v))  # (B, head, n, d_head)
        if extra is not None:
            (q, q_e), (k, k_e), (v, v_e) = (t.split([T, 1], dim=2) for t in (q, k, v))
        if past:
            k, v = torch.cat([past[i][0], k], dim=-2), torch.cat([past[i][1], v], dim=-2)
        cache.append((k, v))
        scores = torch.matmul(q, k.transpose(-1, -2)) * w.scalings[i]
        if capture is not None:  # (pos, head, d_head) each; the scores as shown: −inf where a query may not look
            shown = scores[0] if allowed is None else scores[0].masked_fill(~allowed, float("-inf"))
            capture.update({f"blocks.{i}.attn.hook_{name}": t[0].transpose(0, 1).contiguous()
                            for name, t in (("q", q), ("k", k), ("v", v))})  # fmt: skip
            capture[f"blocks.{i}.attn.hook_attn_scores"] = shown
        if mask is not None:
            scores = scores + mask
        pattern = F.softmax(scores, dim=-1)
        heads = torch.matmul(pattern, v).transpose(1, 2)  # (B, T, head, d_head)
        if extra is not None:  # the extra token looks at its own text's keys and values, and its own
            k_e, v_e = torch.cat([extra_past[i][0], k_e], dim=-2), torch.cat([extra_past[i][1], v_e], dim=-2)
            looks = F.softmax(torch.matmul(q_e, k_e.transpose(-1, -2)) * w.scalings[i], dim=-1)
            heads = torch.cat([heads, torch.matmul(looks, v_e).transpose(1, 2)], dim=1)
        z = heads.reshape(B, n, -1).contiguous()
        attn_out = linear(z, L.proj_W, L.proj_b)
        resid_mid = attn_out + x
        h2 = F.layer_norm(resid_mid, x.shape[-1:], L.ln2_w, L.ln2_b, w.eps)
        pre = linear(h2, L.fc_W, L.fc_b)
        post = act(pre)
        mlp_out = linear(post, L.out_W, L.out_b)
        if capture is not None:
            capture.update(
                {
                    f"blocks.{i}.hook_resid_pre": x[0, :T],
                    f"blocks.{i}.ln1.hook_normalized": h[0, :T],
                    f"blocks.{i}.hook_attn_out": attn_out[0, :T],
                    f"blocks.{i}.attn.hook_pattern": pattern[0],
                    f"blocks.{i}.attn.hook_z": heads[0, :T].contiguous(),
                    f"blocks.{i}.ln2.hook_normalized": h2[0, :T],
                    f"blocks.{i}.mlp.hook_pre": pre[0, :T],
                    f"blocks.{i}.mlp.hook_post": post[0, :T],
                    f"blocks.{i}.hook_mlp_out": mlp_out[0, :T],
                }
            )
        x = resid_mid + mlp_out
        if capture is not None:
            capture[f"blocks.{i}.hook_resid_post"] = x[0, :T]
        if streams is not None:
            streams.append(x)
    return F.layer_norm(x[:, :T], x.shape[-1:], w.lnf_w, w.lnf_b, w.eps), cache


def unembed(w: Weights, h: torch.Tensor) -> torch.Tensor:
    """Logits (B, T, vocab) of normalised hidden states (B, T, d_model), as the bias-free lm_head computes them."""
    return F.linear(h, w.W_U)


@torch.no_grad()
def greedy(w: Weights, ids: list[int], n: int) -> tuple[torch.Tensor, list[int], Cache]:
    """The next-token logits after the prompt (vocab,), the n most likely tokens one after another (temperature 0)
    with the key-value cache, and the keys and values of the prompt alone."""
    h, past = body(w, torch.tensor([ids]))
    prompt_cache = past
    first = unembed(w, h[:, -1])[0]
    chosen = [int(torch.argmax(first))]
    for _ in range(n - 1):
        h, past = body(w, torch.tensor([chosen[-1:]]), past)
        chosen.append(int(torch.argmax(unembed(w, h[:, -1])[0])))
    return first, chosen[:n], prompt_cache


@torch.no_grad()
def ranks(w: Weights, first: torch.Tensor, prompt_cache: Cache, continuations: list[list[int]]) -> list[list[int]]:
    """The rank a model gives each token of each continuation (all of one length), read after the prompt and the
    continuation's tokens before it: `first` is its logits after the prompt (vocab,), `prompt_cache` its keys and
    values of the prompt (batch 1); the continuations run as one batch."""
    n = len(continuations[0]) if continuations else 0
    if n == 0:
        return [[] for _ in continuations]
    rows = first[None, None].expand(len(continuations), 1, -1)  # (B, 1, vocab): what follows the prompt
    if n > 1:
        past = [(k.expand(len(continuations), -1, -1, -1), v.expand(len(continuations), -1, -1, -1))
                for k, v in prompt_cache]  # fmt: skip
        h, _ = body(w, torch.tensor([c[:-1] for c in continuations]), past)
        rows = torch.cat([rows, unembed(w, h)], dim=1)  # (B, n, vocab): each predicts the next token
    chosen = torch.gather(rows, 2, torch.tensor(continuations)[:, :, None])
    return ((rows > chosen).sum(-1) + 1).tolist()
