"""The Trace: every number a scene may show, as numpy arrays and plain Python values.

This module needs only numpy, so scenes can read a Trace without torch.

Array names follow TransformerLens, so a number on screen can be followed back
to where it lives in the model (shapes in brackets; pos = prompt position):

    hook_embed                       [pos, d_model]   token embeddings, rows of W_E
    hook_pos_embed                   [pos, d_model]   position embeddings, rows of W_pos (learned positions only)
    blocks.{i}.hook_resid_pre        [pos, d_model]
    blocks.{i}.ln1.hook_normalized   [pos, d_model]   LayerNorm output, γ and β applied (raw HF numerics)
    blocks.{i}.attn.hook_q/k/v       [pos, head, d_head]  keys/values repeated per query head (grouped-query)
    blocks.{i}.attn.hook_rot_q/k     [pos, head, d_head]  rotary models: q and k turned by position
    blocks.{i}.attn.hook_attn_scores [head, query, key]  q·k/√d_head (turned q, k if rotary), −inf above the diagonal
    blocks.{i}.attn.hook_pattern     [head, query, key]  softmax of the scores; rows sum to 1
    blocks.{i}.attn.hook_z           [pos, head, d_head] pattern-weighted values
    blocks.{i}.hook_attn_out         [pos, d_model]
    blocks.{i}.hook_resid_mid        [pos, d_model]
    blocks.{i}.ln2.hook_normalized   [pos, d_model]
    blocks.{i}.mlp.hook_pre          [pos, d_mlp]     before the activation (the gate, in a gated MLP)
    blocks.{i}.mlp.hook_pre_linear   [pos, d_mlp]     gated MLPs (SwiGLU): the up-projection
    blocks.{i}.mlp.hook_post         [pos, d_mlp]     the down-projection's input (GELU(pre), or SiLU(gate)·up)
    blocks.{i}.hook_mlp_out          [pos, d_model]
    blocks.{i}.hook_resid_post       [pos, d_model]
    ln_final.hook_normalized         [pos, d_model]   after the final norm (LayerNorm or RMSNorm: meta['words'])
    logits                           [vocab]          at the last position
    positions.top_ids / top_probs    [pos]            every position's top next-token guess (T = 1) and its probability
    positions.next_probs / next_ranks [pos - 1]       the probability and rank (1 = top) each position gave the
                                                      prompt's own next token (what training scores)
    probs                            [n_temperatures, vocab]  softmax(logits / T) for meta temperatures
    logit_lens.top_ids / top_probs   [n_layer + 1, k] residual before each block and after the last
    weights.W_E_slice                [n_slice_tokens, d_model]  rows of W_E (ids in info['embedding_slice_ids'])
    weights.W_E_picture / W_pos_picture  [tokens or positions, 64]  the first 64 entries of every k-th row of W_E
                                                      (k = vocab // 1024) and of every row of W_pos: drawn as colours
    weights.blocks.0.attn.W_Q / b_Q  [head, d_model, d_head] / [head, d_head]  first layer's query weights
    matvec.products / partial_sums   [d_model]  x_i · W_Q[0, i, 0] for the first token, and their running sum
    weights.W_U_rows                 [n, d_model]  unembedding rows of info['unembed_ids'] (top logits, lowest)
    one_hot.product                  [pos, d_model]  one-hot(token id) × the whole W_E, a real matrix product
    one_hot.max_difference           [pos]  largest |one_hot.product − hook_embed| of each position (0: the same)

`info` holds the JSON values; among them (a Trace saved before a field was added lacks it). Two of them are
sections (SECTIONS): each is computed only when a scene that shows it is rendered (or `gptanim trace --all`), and
added to the cached Trace then; a Trace without one has not computed it:

    chat        (model/chat.py) the script a chatbot continues and the reply the model wrote to it:
                lines [system, user, assistant] as text; ids, display and part (0, 1, 2: index in roles)
                of each script token; user_from ('prompt' or 'chat_user'); user_cut and system_cut (the
                line's start cut to fit the context); max_tokens; closing (the quote that ends a reply);
                reply: as 'continuation' (temperature, top_k, top_p, seed, ids, text, steps: top,
                chosen_id, chosen_prob, chosen_rank, chosen_display), cut after its first token that
                holds the closing quote or a newline, and stop: 'quote', 'newline' or 'length'

    learning    (model/learning.py) the model at its training snapshots, run on the same prompt:
        available, reason                a model without snapshots: False and why (the scene says so)
        notes                            stages left out and why (step 0 whose rebuild misses init_hash, ...)
        stages.{k}                       in step order: the random start (rebuilt from the seed, checked against
                                         init_hash), each snapshot (int8, dequantised), the shipped weights
            step, kind, val_loss, bytes  kind: start / snapshot / final; val_loss None for step 0; bytes: its file
            top.{j}.id/display/prob      the 5 most likely next tokens at the last position (T = 1)
            final_top_prob               the probability this stage gives the shipped model's top token
            entropy                      of this stage's next-token distribution (nats)
            greedy.ids/display/text      6 tokens, each the most likely after the ones before
            greedy.final_ranks           the rank the shipped model gives each of those tokens
            queen_rank                   king − man + woman: queen's rank by cosine (W_E's rows, inputs left out)
        curve.{i}.step/val_loss          validation loss from training_stats.json (every eval and every snapshot)
        steps, final_top, uniform_loss, vocab_size, seed, batch_tokens, tokens_seen, train_tokens, analogy

Some of `info` (JSON values; model/geometry.py and model/summaries.py say how each is computed):

    geometry.pca_words / pca_coords / pca_explained   the pictured words, their 3-D points, each axis's share
    geometry.plural.in_view          [3]  the unit plural direction's part along the 3 picture axes
    geometry.plural.numbers          one…four's projections onto the plural direction (numbers_missing: not
                                     single tokens)
    geometry.neighbours.{word}       the 8 nearest tokens by cosine (all dimensions), with their cosines
    geometry.pair_cosines.lowest     the pictured words' pair of lowest cosine, with its dot product
    geometry.example                 a dot product worked entry by entry (a word and its nearest pictured
                                     neighbour): the heaviest entries, their products, the sum, lengths, cosine
    other_languages                  one sentence in English, German and Japanese, cut into the tokenizer's pieces

Format 2 added `geometry.plural.in_view`/`numbers`, `geometry.pair_cosines.lowest` and `other_languages`:
a Trace file of format 1 is refused with a one-line error (run `gptanim trace` again).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model.errors import GptanimError
from model.sampling import softmax, top_entries
from model.trace_paths import BLOCK_PARTS, BlockPart, Field, Stored

FORMAT_VERSION = 3  # 3: context_pair.input_cosine and positions, softmax.exp_others_after (a Trace of 2 lacks them)
# Parts of `info` that only one scene shows and that cost many passes of the model: the chatbot's reply (Chat)
# and the model at its training snapshots (Learning). Computed on demand (model/run.py `add_sections`).
SECTIONS = ("learning", "chat")
# The parts of a Trace a scene may leave out of what it reads (its metadata: SECTIONS, USES_TEMPERATURE, READS),
# each with the settings it is made from and its keys in `info`: a scene that does not read a part is drawn alike
# without it. The continuation's tokens only add entries to vocab_display (token texts are a function of the
# tokenizer). A setting that also changes a part a scene reads (top_k cuts the continuation) changes that part.
PARTS = {
    "learning": {"settings": (), "info": ("learning",)},
    "chat": {"settings": ("chat_system", "chat_user"), "info": ("chat",)},
    "continuation": {"settings": ("temperature",), "info": ("continuation", "vocab_display")},
    "sampling": {"settings": ("top_k", "top_p"), "info": ("truncation", "comparisons")},
    "context": {"settings": ("other_context",), "info": ("context_pair",)},
}
READABLE = ("sampling", "context")  # the parts a scene names in READS (the sections are named in SECTIONS)
# What depends on the model alone, whatever the prompt and settings: its facts (meta but the settings and the
# temperatures they name), its embedding geometry, its parameter tally, GPT-3's, a fixed sentence in three languages
# and the first layer's query weights. A scene that reads nothing else says MODEL_ONLY (scenes/catalog.py): it is drawn
# once per model, and is handed only this part (`model_part`), so that reading anything else fails.
MODEL_PART = {
    "meta_except": ("settings", "temperatures"),
    "info": ("geometry", "tally", "gpt3", "other_languages"),
    "arrays": ("weights.blocks.0.attn.W_Q", "weights.blocks.0.attn.b_Q"),
}


@dataclass
class Trace:
    """One forward pass (and generation) of one model on one prompt."""

    meta: dict  # model facts and the settings used
    arrays: dict[str, np.ndarray]
    info: dict = field(default_factory=dict)  # tokens, generation, geometry, tally: JSON values

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.arrays[name]
        except KeyError:
            raise KeyError(f"the Trace has no array named {name!r}") from None

    # Convenience views, each a plain read of a stored field.
    @property
    def n_layer(self) -> int:
        return int(self.meta["n_layer"])

    @property
    def n_head(self) -> int:
        return int(self.meta["n_head"])

    # Named access (model/trace_paths.py): what these give carries its path.
    def __getattr__(self, name: str) -> BlockPart:
        """A part of every block by its name in BLOCK_PARTS: `trace.attn`, `trace.ln1`, `trace.mlp`, `trace.resid`."""
        if name in BLOCK_PARTS:
            return BlockPart(self, name)
        raise AttributeError(f"'Trace' object has no attribute {name!r}")

    def stored(self, name: str) -> Stored:
        """An array by its name: `trace.stored("hook_embed")[p]` is position p's embedding."""
        self[name]  # a name the Trace lacks fails here, not where it is indexed
        return Stored(self, name)

    @property
    def fields(self) -> Field:
        """meta and info by key: `trace.fields.info.tally.total`."""
        return Field({"meta": self.meta, "info": self.info})

    @property
    def words(self) -> dict:
        """The model family's words for its parts (`model/families.py`): norm, activation, positions, ..."""
        return self.meta["words"]

    @property
    def prompt(self) -> str:
        return self.meta["settings"]["prompt"]

    @property
    def token_ids(self) -> list[int]:
        return self.info["tokens"]["ids"]

    @property
    def token_display(self) -> list[str]:
        return self.info["tokens"]["display"]

    def pattern(self, layer: int, head: int) -> np.ndarray:
        return self[f"blocks.{layer}.attn.hook_pattern"][head]

    def top_next(self, k: int, temperature: float = 1.0) -> list[dict]:
        """The k most likely next tokens at T, from the stored logits, with their text."""
        probs = softmax(self["logits"], temperature)
        vocab = self.info["vocab_display"]
        return [
            {"id": i, "display": vocab[str(i)], "prob": p, "logit": float(self["logits"][i])}
            for i, p in top_entries(probs, k)
        ]

    # Saving: one .npz file, the JSON part stored as bytes inside it (no pickle).
    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = json.dumps({"format": FORMAT_VERSION, "meta": self.meta, "info": self.info}, ensure_ascii=False)
        buffer = io.BytesIO()
        np.savez(buffer, __json__=np.frombuffer(doc.encode("utf-8"), dtype=np.uint8), **self.arrays)
        write_atomically(path, buffer.getvalue())
        return path

    @classmethod
    def load(cls, path: Path) -> Trace:
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                doc = json.loads(bytes(data["__json__"]).decode("utf-8"))
                arrays = {k: data[k] for k in data.files if k != "__json__"}
        except FileNotFoundError:
            raise GptanimError(f"no Trace file at {path}") from None
        except IsADirectoryError:
            raise GptanimError(f"{path} is a folder, not a Trace file") from None
        # A damaged file fails in many ways: zip (bad CRC, truncated), npy header, JSON, UTF-8.
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise GptanimError(f"{path} is not a gptanim Trace file ({exc.__class__.__name__})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT_VERSION:
            found = doc.get("format") if isinstance(doc, dict) else None
            raise GptanimError(f"{path} is a Trace of format {found}, this gptanim reads {FORMAT_VERSION}")
        if not isinstance(doc.get("meta"), dict) or not isinstance(doc.get("info"), dict) or not arrays:
            raise GptanimError(f"{path} is not a gptanim Trace file (incomplete)")
        lacking = [k for k in REQUIRED_META if k not in doc["meta"]] + [k for k in ("tokens",) if k not in doc["info"]]
        if lacking or not isinstance(doc["meta"]["settings"], dict) or "prompt" not in doc["meta"]["settings"]:
            raise GptanimError(f"{path} is not a gptanim Trace file (incomplete: no {(lacking or ['prompt'])[0]})")
        return cls(doc["meta"], arrays, doc["info"])


# What every Trace's meta holds (model/run.py's model_meta and the settings): a file without one is not read.
REQUIRED_META = ("model", "weights_hash", "settings", "n_layer", "n_head", "d_model", "d_head", "vocab_size", "n_ctx",
                 "words")  # fmt: skip


def write_atomically(path: Path, data: bytes) -> None:
    """`data` written to a temporary file of a unique name beside `path`, then moved onto it.

    Another process never sees a half-written file, two writers never share a temporary file,
    and the temporary file is removed whatever goes wrong (a folder in the way, a full disk).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def model_part(trace: Trace) -> Trace:
    """The Trace's part that depends on the model alone (MODEL_PART), as a Trace of its own: the prompt, the
    settings and everything computed from them are absent (reading them raises KeyError)."""
    meta = {key: value for key, value in trace.meta.items() if key not in MODEL_PART["meta_except"]}
    info = {key: trace.info[key] for key in MODEL_PART["info"] if key in trace.info}
    arrays = {name: trace.arrays[name] for name in MODEL_PART["arrays"] if name in trace.arrays}
    return Trace(meta, arrays, info)


def in_model_part(path: str) -> bool:
    """Whether a stored path ('info.tally.total', 'meta.n_params', 'weights.blocks.0.attn.b_Q[0,0]') lies in
    MODEL_PART."""
    head, _, rest = path.partition(".")
    if head == "meta":
        return rest.partition(".")[0] not in MODEL_PART["meta_except"]
    if head == "info":
        return rest.partition(".")[0] in MODEL_PART["info"]
    return path.partition("[")[0] in MODEL_PART["arrays"]


def stored_value(trace: Trace, path: str):
    """The value a stored path names: 'hook_embed[3,5]' (an array entry; 'hook_embed[3]' a row), 'info.a.0.b'
    or 'meta.n_params'. (`model.claims.value_at` also reads 'claims.<key>', a statement made from this Trace.)

    Scenes tag every number they draw with such a path; tests look it up and
    compare it with what the scene shows.
    """
    if path.startswith("claims."):
        raise KeyError(f"{path} is a statement: read it with model.claims.value_at")
    if path.startswith(("info.", "meta.")):
        node = trace.info if path.startswith("info.") else trace.meta
        for part in path.split(".")[1:]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node
    name, _, index = path.partition("[")
    array = trace[name]
    if not index:
        return array
    value = array[tuple(int(i) for i in index.rstrip("]").split(","))]
    return value.item() if np.ndim(value) == 0 else value
