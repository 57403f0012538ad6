"""Per-scene summaries of a model run, with numpy and the tokenizer only (no torch): each reads the arrays
`model/run.py` recorded and keeps what one scene shows (the softmax worked out, the head shown, ...)."""

from __future__ import annotations

import json
import re
import weakref

import numpy as np

from model.sampling import (
    most_likely_first,
    sample,
    softmax,
    top_entries,
    top_ids,
    truncate_top_k,
    truncate_top_p,
)
from model.tokens_text import byte_level_bytes, display_token

TOP_KEPT = 10  # entries kept per generation step and per logit-lens layer
VOCAB_DISPLAY_TOP = 64  # the highest logits whose text the Trace keeps
EMBED_KEPT = 12  # the prompt's first distinct tokens whose W_E rows the Trace keeps (and as many spread ids)
UNEMBED_TOP = 8  # the highest logits whose unembedding rows the Trace keeps (weights.W_U_rows, with the lowest 3)


_DISPLAYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # tokenizer → {token id: its display}


def token_display(tok, token_id: int) -> str:
    """A token's text as the scenes draw it (tokens_text.display_token), kept per tokenizer once worked out."""
    known = _DISPLAYS.setdefault(tok, {})
    token_id = int(token_id)
    if token_id not in known:
        text = tok.decode([token_id])
        raw = token_bytes(tok.convert_ids_to_tokens(token_id)) if "\ufffd" in text else None
        known[token_id] = display_token(text, raw)
    return known[token_id]


def token_bytes(piece: str) -> bytes:
    """A token's bytes: SentencePiece byte-fallback pieces (Llama) are written `<0xE4>`, byte-level BPE (GPT-2,
    NeoX) maps each byte to a printable character."""
    if re.fullmatch(r"<0x[0-9A-Fa-f]{2}>", piece):
        return bytes([int(piece[3:5], 16)])
    return byte_level_bytes(piece)


def embedding_slice_ids(prompt_ids: list[int], vocab_size: int) -> list[int]:
    """The W_E rows the Trace keeps (a scene draws those of the tokens it shows): the prompt's first EMBED_KEPT
    distinct tokens, then evenly spread ids across the vocabulary."""
    ids = list(dict.fromkeys(prompt_ids))[:EMBED_KEPT]
    spread = np.linspace(0, vocab_size - 1, EMBED_KEPT + 2).astype(int)[1:-1]
    ids += [int(i) for i in spread if int(i) not in ids]
    return ids


def softmax_steps(logits: np.ndarray, ids: list[int]) -> dict:
    """Softmax worked out for the highest logits (those whose text the Trace keeps, highest first): each logit
    minus the largest, e to that, the sum over the whole vocabulary, the quotient; others_after.k is the share of
    every token after the first k + 1 (1 − the sum of their probabilities), for a scene that shows k + 1, and
    exp_others_after.k the same tokens' e^(logit − max) added up (the sum less the first k + 1's)."""
    z = logits.astype(np.float64)
    shift = float(z.max())  # e^(logit − max) avoids overflow; the quotients are the same
    exp_all = np.exp(z - shift)
    total = float(exp_all.sum())
    probs = [float(exp_all[i] / total) for i in ids]
    return {
        "ids": ids,
        "logits": [float(z[i]) for i in ids],
        "shifted": [float(z[i] - shift) for i in ids],
        "exp_shifted": [float(exp_all[i]) for i in ids],
        "shift": shift,
        "sum_exp_shifted": total,
        "probs": probs,
        "others_after": [1.0 - sum(probs[: k + 1]) for k in range(len(probs))],
        "exp_others_after": [total - float(exp_all[ids[: k + 1]].sum()) for k in range(len(ids))],
    }


SPLIT_EXAMPLES = ["grandmother", "Cinderella", "unbelievable", "dragonfly", "Rumpelstiltskin", "strawberries"]


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
    examples = per_tokenizer(tok, "split_examples", lambda: [{"word": w, "pieces": pieces(w)} for w in SPLIT_EXAMPLES])
    return {"from_prompt": found[:4], "examples": [e for e in examples if len(e["pieces"]) > 1][:4]}


# One sentence in three languages, each tokenized by the model's tokenizer (English first: the reference).
OTHER_LANGUAGES = [
    ("English", "Once upon a time there was a little girl"),
    ("German", "Es war einmal ein kleines Mädchen"),
    ("Japanese", "昔々、小さな女の子がいました"),
]


_PER_TOKENIZER: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # tokenizer → {name: JSON text}


def per_tokenizer(tok, name: str, compute):
    """What depends on the tokenizer alone, worked out once per tokenizer object: a fresh copy each time."""
    kept = _PER_TOKENIZER.setdefault(tok, {})
    if name not in kept:
        kept[name] = json.dumps(compute())
    return json.loads(kept[name])


def other_languages(tok) -> list[dict]:
    """The same sentence in English, German and Japanese cut into the tokenizer's pieces."""
    out = []
    for language, text in OTHER_LANGUAGES:
        ids = tok.encode(text, add_special_tokens=False)
        pieces = [{"id": int(i), "display": token_display(tok, int(i))} for i in ids]
        out.append({"language": language, "text": text, "n_chars": len(text), "pieces": pieces})
    return out


def attention_summary(arrays: dict[str, np.ndarray], n_layer: int) -> dict:
    """Per head: mean weight on the previous token and mean row entropy; the head the scenes show.

    The rule: the head whose queries put the most weight on the previous token (first
    layer wins ties). Its strongest key for the last query gives the worked q·k example; its last row's softmax
    is kept step by step (e to each score, their sum), and each key's value vector times its weight.
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
    turned = "rot_" if f"blocks.{layer}.attn.hook_rot_q" in arrays else ""  # rotary: q and k after turning
    q = arrays[f"blocks.{layer}.attn.hook_{turned}q"][last, head].astype(np.float64)
    k = arrays[f"blocks.{layer}.attn.hook_{turned}k"][key, head].astype(np.float64)
    # softmax on the last query's row, step by step: e to each score (the keys up to it), and their sum
    raised = np.exp(arrays[f"blocks.{layer}.attn.hook_attn_scores"][head, last, : last + 1].astype(np.float64))
    # each key's value vector times its weight: the terms that add up to the last token's output (hook_z)
    values = arrays[f"blocks.{layer}.attn.hook_v"][: last + 1, head].astype(np.float64)
    weighted = row[: last + 1, None].astype(np.float64) * values
    return {
        "rule": "strongest previous-token attention",
        "layer": layer,
        "head": head,
        "previous_token_weight": prev,
        "mean_entropy": entropy,
        "example": {"query": last, "key": key, "dot": float(q @ k), "scale": float(np.sqrt(len(q)))},
        "softmax": {"exp": raised.tolist(), "sum": float(raised.sum())},
        "weighted_values": weighted.tolist(),
    }


def mlp_summary(arrays: dict[str, np.ndarray], n_layer: int) -> dict:
    """The last layer's MLP neurons that fire most for the last token (largest GELU output)."""
    layer = n_layer - 1
    post = arrays[f"blocks.{layer}.mlp.hook_post"][-1]
    return {"layer": layer, "top_neurons": [int(i) for i in np.argsort(-post, kind="stable")[:8]]}


def truncation_demo(logits: np.ndarray, seed: int, k: int, p: float) -> dict:
    """Top-k and top-p (the settings' `cuts_shown`) on the T = 1 distribution, renormalised, each with a token
    drawn from it."""
    base = softmax(logits, 1.0)
    order = most_likely_first(base)  # sorted once for both
    out = {"k": k, "p": p, "base_top": top_entries(base, 10)}
    truncated = (truncate_top_k(base, k, order), truncate_top_p(base, p, order))
    for name, probs in zip(("top_k", "top_p"), truncated):
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


def position_predictions(logits: np.ndarray, ids: list[int]) -> dict[str, np.ndarray]:
    """What every position predicts (logits [pos, vocab], all positions of the forward pass): its top token
    and that token's probability, and the probability and rank (1 = the top guess) it gave the prompt's own
    next token. Training scores all positions at once; generation samples from the last one's."""
    probs = softmax(logits, 1.0)  # (pos, vocab), float64, as the last position's distribution elsewhere
    top = np.argmax(probs, axis=-1)  # the first of equals: the lowest id, as a stable sort puts first
    actual = np.asarray(ids[1:], dtype=np.int64)  # the token after each position but the last
    given = probs[np.arange(len(actual)), actual]
    ranks = (probs[: len(actual)] > given[:, None]).sum(-1) + 1
    return {
        "positions.top_ids": top.astype(np.int64),
        "positions.top_probs": probs[np.arange(len(top)), top],
        "positions.next_probs": given,
        "positions.next_ranks": ranks.astype(np.int64),
    }


def lowest_logit_ids(logits: np.ndarray) -> list[int]:
    return [int(i) for i in top_ids(-np.asarray(logits), 4)]  # the lowest, ties by lower id


def unembed_ids(logits: np.ndarray) -> list[int]:
    """Unembedding rows the Trace keeps: the top logits' and the lowest ones'."""
    return [i for i, _ in top_entries(logits, UNEMBED_TOP)] + lowest_logit_ids(logits)[:3]


def untruncated(logits: np.ndarray, temperature: float) -> dict:
    """softmax(logits / T) at the continuation's temperature, before any top-k or top-p: the probabilities of
    the TOP_KEPT highest logits (the likeliest tokens at any T), highest logit first."""
    ids = [i for i, _ in top_entries(logits, TOP_KEPT)]
    probs = softmax(logits, temperature)
    return {"ids": ids, "probs": [float(probs[i]) for i in ids]}


def summarise(settings, tok, ids: list[int], offsets: list[list[int]], arrays: dict, runs: dict, n_layer: int) -> dict:
    """The Trace's `info`: the tokens, each scene's summary of the arrays, and the model run's other results
    (`runs`: the generations, the second context, geometry, tally), with the text of every token shown."""
    logits = arrays["logits"]
    top_logit_ids = [i for i, _ in top_entries(logits, VOCAB_DISPLAY_TOP)]  # the most likely tokens too, at any T > 0
    low_logit_ids = lowest_logit_ids(logits)
    truncation = truncation_demo(logits, settings.seed, *settings.cuts_shown())
    vocab = int(logits.shape[-1])
    window = sorted({0, vocab - 1} | {j for i in ids for j in range(i - 1, i + 2) if 0 <= j < vocab})
    shown_ids = set(ids) | set(top_logit_ids) | set(low_logit_ids) | set(runs["embedding_slice_ids"]) | set(window)
    shown_ids |= set(arrays["logit_lens.top_ids"].ravel().tolist())
    shown_ids |= set(arrays["positions.top_ids"].tolist())
    shown_ids |= {truncation[name]["chosen_id"] for name in ("top_k", "top_p")}
    for run in [runs["continuation"], *runs["comparisons"]]:
        for step in run["steps"]:
            shown_ids |= {step["chosen_id"], *(e["id"] for e in step["top"])}
    return {
        "tokens": {
            "ids": ids,
            "display": [token_display(tok, i) for i in ids],
            "text": [tok.decode([i]) for i in ids],
            "offsets": offsets,
        },
        "vocab_display": {str(i): token_display(tok, i) for i in sorted(shown_ids)},
        "vocab_window": window,
        "lowest_logit_ids": low_logit_ids,
        "embedding_slice_ids": runs["embedding_slice_ids"],
        "unembed_ids": runs["unembed_ids"],
        "softmax": softmax_steps(logits, top_logit_ids),
        "truncation": truncation,
        "attention": attention_summary(arrays, n_layer),
        "split_words": split_words(tok, settings.prompt, ids, offsets),
        "other_languages": per_tokenizer(tok, "other_languages", lambda: other_languages(tok)),
        "context_pair": runs["context_pair"],
        "mlp": mlp_summary(arrays, n_layer),
        "continuation": {**runs["continuation"], "untruncated": untruncated(logits, settings.temperature)},
        "comparisons": runs["comparisons"],
        "geometry": runs["geometry"],
        "tally": runs["tally"],
        "gpt3": runs["gpt3"],
    }
