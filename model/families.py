"""One adapter per model family: where a family keeps its parts, how its attention reads them, its words.

`model/run.py` records a Trace through this interface only, so every family yields the same
TransformerLens-style names (`blocks.{i}.attn.hook_q`, `hook_rot_q` where rotary applies, ...).
Families: GPT-2; GPT-NeoX (Pythia: parallel residual, rotary on part of each head); Llama (also Mistral,
Qwen2, SmolLM: RMSNorm, rotary, SwiGLU, grouped-query attention, biases only where the config says).

Like torch modules, the adapters are used from `model/` only; nothing here imports torch at import time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from model.errors import GptanimError


@dataclass(frozen=True)
class Sizes:
    n_layer: int
    n_head: int
    n_kv_head: int  # key/value heads: fewer than n_head under grouped-query attention
    d_model: int
    d_head: int
    d_mlp: int
    n_ctx: int
    vocab: int
    rotary_dim: int  # entries of each query/key head turned by position (0: learned positions instead)


def part(root, dotted: str):
    """The sub-module at a dotted path ('transformer.h')."""
    for name in dotted.split("."):
        root = getattr(root, name)
    return root


class Family:
    """Where one architecture keeps its parts (dotted module paths) and how its attention projects."""

    name = ""
    model_types: tuple[str, ...] = ()
    base = ""  # the base model's attribute in the causal-LM model (its weights' name prefix)
    stored_names: dict[str, str] = {}  # checkpoints' older names (prefix) → the model's, as transformers renames
    embed, pos_embed, blocks, final_norm, unembed = "", None, "", "", "lm_head"
    ln1, attn, ln2, mlp = "", "", "", ""
    mlp_pre = ""  # the projection whose output is mlp.hook_pre (before the activation)
    mlp_pre_linear = None  # gated MLPs: the up-projection multiplied by the activation (mlp.hook_pre_linear)
    mlp_down = ""  # its input is mlp.hook_post
    norm, activation = "LayerNorm", "GELU"

    def sizes(self, cfg) -> Sizes:
        d_model, n_head = int(cfg.hidden_size), int(cfg.num_attention_heads)
        d_head = int(getattr(cfg, "head_dim", None) or d_model // n_head)
        return Sizes(
            n_layer=int(cfg.num_hidden_layers),
            n_head=n_head,
            n_kv_head=int(getattr(cfg, "num_key_value_heads", None) or n_head),
            d_model=d_model,
            d_head=d_head,
            d_mlp=self.d_mlp(cfg),
            n_ctx=int(cfg.max_position_embeddings),
            vocab=int(cfg.vocab_size),
            rotary_dim=self.rotary_dim(cfg, d_head),
        )

    def d_mlp(self, cfg) -> int:
        return int(cfg.intermediate_size)

    def rotary_dim(self, cfg, d_head: int) -> int:
        rope = getattr(cfg, "rope_parameters", None) or {}
        factor = rope.get("partial_rotary_factor", getattr(cfg, "partial_rotary_factor", 1.0))
        return int(d_head * float(factor))

    def parallel_residual(self, cfg) -> bool:
        return False

    def activation_word(self, cfg) -> str:
        return self.activation

    def qkv_weights(self, attn, sizes: Sizes) -> list[tuple]:
        """(W, b) of the query, key and value projections, as torch.nn.functional.linear takes them:
        W [heads · d_head, d_model], b [heads · d_head] or None."""
        raise NotImplementedError

    def scale(self, cfg, layer: int, sizes: Sizes) -> float:
        """What q·k is divided by."""
        return math.sqrt(sizes.d_head)

    def words(self, cfg, sizes: Sizes) -> dict:
        """The family's words for its parts, as the scenes say them (stored in the Trace's meta)."""
        return {
            "family": self.name,
            "norm": self.norm,
            "activation": self.activation_word(cfg),
            "mlp_gated": self.mlp_pre_linear is not None,
            "positions": "rotary" if sizes.rotary_dim else "learned",
            "rotary_dim": sizes.rotary_dim,
            "parallel_residual": self.parallel_residual(cfg),
            "n_kv_head": sizes.n_kv_head,
            "d_mlp": sizes.d_mlp,
        }

    def model_name(self, stored: str) -> str:
        """A checkpoint's tensor name as the model names it, without the base model's prefix."""
        for old, new in self.stored_names.items():
            if stored.startswith(old):
                stored = new + stored[len(old) :]
        return stored.removeprefix(self.base + ".")

    # Reading a loaded model through the paths.
    def layers(self, model) -> list:
        return list(part(model, self.blocks))


class GPT2(Family):
    name = "GPT-2"
    model_types = ("gpt2",)
    base = "transformer"
    embed, pos_embed, blocks, final_norm = "transformer.wte", "transformer.wpe", "transformer.h", "transformer.ln_f"
    ln1, attn, ln2, mlp = "ln_1", "attn", "ln_2", "mlp"
    mlp_pre, mlp_down = "mlp.c_fc", "mlp.c_proj"

    def d_mlp(self, cfg) -> int:
        return int(cfg.n_inner or 4 * cfg.n_embd)

    def rotary_dim(self, cfg, d_head: int) -> int:
        return 0

    def qkv_weights(self, attn, sizes):
        W = attn.c_attn.weight.detach().T  # Conv1D keeps (in, out); as Linear: (3 d_model, d_model)
        b = attn.c_attn.bias.detach()
        d = sizes.d_model
        return [(W[j * d : (j + 1) * d], b[j * d : (j + 1) * d]) for j in range(3)]

    def scale(self, cfg, layer, sizes):
        scale = math.sqrt(sizes.d_head) if cfg.scale_attn_weights else 1.0
        return scale * (layer + 1) if cfg.scale_attn_by_inverse_layer_idx else scale


class GPTNeoX(Family):
    name = "GPT-NeoX"
    model_types = ("gpt_neox",)
    base = "gpt_neox"
    stored_names = {"embed_out.": "lm_head."}  # Pythia's checkpoints name the unembedding embed_out
    embed, blocks, final_norm = "gpt_neox.embed_in", "gpt_neox.layers", "gpt_neox.final_layer_norm"
    ln1, attn, ln2, mlp = "input_layernorm", "attention", "post_attention_layernorm", "mlp"
    mlp_pre, mlp_down = "mlp.dense_h_to_4h", "mlp.dense_4h_to_h"

    def parallel_residual(self, cfg) -> bool:
        return bool(cfg.use_parallel_residual)

    def qkv_weights(self, attn, sizes):
        # One fused projection, laid out head by head: (head, [q, k, v], d_head) along its outputs.
        H, dh = sizes.n_head, sizes.d_head
        W = attn.query_key_value.weight.detach().reshape(H, 3, dh, -1)
        b = attn.query_key_value.bias
        b = b.detach().reshape(H, 3, dh) if b is not None else None
        return [(W[:, j].reshape(H * dh, -1), b[:, j].reshape(-1) if b is not None else None) for j in range(3)]


class Llama(Family):
    name = "Llama"
    model_types = ("llama", "mistral", "qwen2")
    base = "model"
    embed, blocks, final_norm = "model.embed_tokens", "model.layers", "model.norm"
    ln1, attn, ln2, mlp = "input_layernorm", "self_attn", "post_attention_layernorm", "mlp"
    mlp_pre, mlp_pre_linear, mlp_down = "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"
    norm, activation = "RMSNorm", "SwiGLU"
    GATED = {"silu": "SwiGLU", "swish": "SwiGLU", "gelu": "GeGLU", "gelu_pytorch_tanh": "GeGLU", "relu": "ReGLU"}

    def activation_word(self, cfg) -> str:
        act = getattr(cfg, "hidden_act", "silu")
        return self.GATED.get(act, f"gated {act}")

    def qkv_weights(self, attn, sizes):
        return [
            (p.weight.detach(), p.bias.detach() if p.bias is not None else None)
            for p in (attn.q_proj, attn.k_proj, attn.v_proj)
        ]


FAMILIES: list[Family] = [GPT2(), GPTNeoX(), Llama()]
SUPPORTED = {kind: family for family in FAMILIES for kind in family.model_types}


def family_of(model_type: str | None) -> Family:
    if model_type not in SUPPORTED:
        names = ", ".join(sorted(SUPPORTED))
        raise GptanimError(f"unsupported architecture {model_type!r}; gptanim draws these model types: {names}")
    return SUPPORTED[model_type]
