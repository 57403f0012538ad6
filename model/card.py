"""MODEL_CARD.md for a trained model: how it was made, how good it is, what its embeddings show."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from model import geometry, snapshots
from model.loading import ROOT, LoadedModel, load, weights_hash
from model.run import generate

CARD_PROMPTS = ["Once upon a time", "The king said to his daughter", "In the middle of the forest"]


def one_line(text: str) -> str:
    return text.strip().replace("\n", " ↵ ")


def quantisation_loss(loaded: LoadedModel, stats: dict, corpus: Path | None) -> dict | None:
    """The validation loss of the shipped (fp16) weights and of the same weights stored as a snapshot is
    (int8 rows, `model/snapshots.py`), both in float32 on the held-out stories; None without the corpus."""
    from model import train
    from model.corpus import read_corpus
    from model.learning import with_weights

    cfg_fields = {k: v for k, v in stats["config"].items() if k in train.TrainConfig.__dataclass_fields__}
    cfg = replace(train.TrainConfig(**cfg_fields), bf16=False)
    found = [Path(p) for p in (corpus, cfg.corpus, ROOT.parent / "shared" / "corpus") if p]
    folder = next((p for p in found if p.is_dir()), None)
    if folder is None:
        return None
    stories = read_corpus(folder, cfg.val_fraction, cfg.seed).val_stories
    val = train.val_windows(train.encode_stories(loaded.tokenizer, stories), cfg.n_ctx)
    state = snapshots.dequantise(snapshots.quantise(train.model_state(loaded.model)))
    fp16 = train.evaluate(loaded.model, val, cfg)
    int8 = train.evaluate(with_weights(loaded, state).model, val, cfg)
    return {"fp16": fp16, "int8": int8, "windows": len(val)}


def snapshot_table(folder: Path, stats: dict, loaded: LoadedModel, corpus: Path | None) -> list[str]:
    """The training snapshots shipped in snapshots/: step, validation loss, file size; the cost of int8."""
    kept = stats.get("snapshots") or []
    if not kept:
        return []
    lines = [
        "## Training snapshots",
        "",
        "The weights at a few steps of the training, for the lecture's Learning scene (`snapshots/`: every matrix",
        "in int8 with a float32 scale per row, vectors in float16, the tied output matrix not stored twice). Step 0,",
        f"the random start, is rebuilt from seed {stats['config']['seed']} and checked against `init_hash` "
        "in training_stats.json.",
        "",
        "| step | validation loss | file |",
        "|---|---|---|",
    ]
    for entry in kept:
        size = (folder / entry["file"]).stat().st_size
        lines.append(f"| {entry['step']:,} | {entry['val_loss']:.3f} | `{entry['file']}`, {size / 1e6:.1f} MB |")
    lines.append(f"| {stats['best_step']:,} (shipped) | {stats['best_val_loss']:.3f} | `model.safetensors`, "
                 f"{sum(f.stat().st_size for f in folder.glob('*.safetensors')) / 1e6:.1f} MB (float16) |")  # fmt: skip
    q = quantisation_loss(loaded, stats, corpus)
    lines.append("")
    if q is None:
        lines.append("The int8 snapshot format's cost was not measured: the training corpus was not found.")
    else:
        lines.append(
            f"Stored the same way, the shipped weights lose {q['int8'] - q['fp16']:+.4f} in validation loss "
            f"({q['fp16']:.4f} in float16, {q['int8']:.4f} in int8 rows; float32 arithmetic, {q['windows']:,} "
            "held-out windows)."
        )
    return lines + [""]


def geometry_section(geo: dict) -> list[str]:
    """The card's embedding-geometry section, from `geometry.analyse`."""
    lines = [
        "## Embedding geometry",
        "",
        "On the rows of the embedding matrix W_E as the model holds them (not centred).",
        "",
    ]
    for word, near in geo["neighbours"].items():
        lines.append(f"- nearest to **{word}**: " + ", ".join(f"{n['word']} ({n['cosine']:.2f})" for n in near))
    lines.append("")
    for a in geo["analogies"]:
        top = ", ".join(f"{n['word']} ({n['cosine']:.2f})" for n in a["nearest"][:5])
        lines.append(
            f"- {a['expression']}: “{a['target']}” ranks **{a['target_rank']}** leaving out the three input words "
            f"({a.get('target_rank_with_inputs', '?')} counting them); nearest: {top}"
        )
    lines.append("")
    for name, key in (("gender", "gender"), ("plurality", "plural")):
        d = geo[key]
        acc = "n/a" if d["held_out_accuracy"] is None else f"{d['held_out_accuracy'] * 100:.0f}%"
        lines.append(
            f"- {name} direction (mean difference of {d['n_fit']} pairs): held-out accuracy **{acc}** "
            f"on {d['n_held_out']} pairs"
        )
    if geo["skipped_words"]:
        lines.append(f"- words that are not single tokens, skipped: {', '.join(geo['skipped_words'])}")
    return lines


def write_model_card(folder: Path, corpus: Path | None = None) -> Path:
    folder = Path(folder)
    stats = json.loads((folder / "training_stats.json").read_text())
    loaded = load(str(folder))
    tok = loaded.tokenizer
    geo = geometry.analyse(loaded.model.transformer.wte.weight.detach().numpy(), tok)
    cfg = stats["config"]
    minutes = stats["train_seconds"] / 60
    lines = [
        "# fairytale-gpt",
        "",
        "A small GPT-2-architecture language model trained by `gptanim train` on public-domain fairy tales and",
        "children's books, shipped with gptanim so that every number in the lecture comes from a real model that",
        "runs offline. It writes fairy-tale-flavoured English, badly: it is a teaching model, not a useful one.",
        "",
        "## Model",
        "",
        "| | |",
        "|---|---|",
        "| architecture | GPT-2 (`GPT2LMHeadModel`), tied input and output embeddings |",
        f"| layers / heads / d_model / context | {cfg['n_layer']} / {cfg['n_head']} / {cfg['n_embd']} / {cfg['n_ctx']} |",
        f"| vocabulary | {len(tok):,} byte-level BPE tokens (`<|endoftext|>` included) |",
        f"| parameters | {stats['parameters']:,} |",
        "| weights | `model.safetensors`, float16 |",
        f"| weights sha256 | `{weights_hash(folder)}` |",
        "",
        "## Training",
        "",
        "| | |",
        "|---|---|",
        f"| stories (train / held out) | {stats['train_stories']:,} / {stats['val_stories']:,} (whole stories held out) |",
        f"| tokens (train / validation) | {stats['train_tokens']:,} / {stats['val_tokens']:,} |",
        f"| steps | {stats['steps']:,} (best checkpoint at step {stats['best_step']:,}) |",
        f"| batch | {cfg['batch_size']} × {cfg['n_ctx']} tokens |",
        f"| tokens seen | {stats['tokens_seen']:,} |",
        f"| optimiser | AdamW (β 0.9, 0.95; weight decay {cfg['weight_decay']}), peak lr {cfg['lr']}, "
        f"{cfg['warmup_steps']} warm-up steps, cosine to {cfg['min_lr_ratio']} × peak |",
        f"| dropout | {cfg['dropout']} |",
        f"| precision | {'bfloat16 autocast' if cfg['bf16'] else 'float32'} on the CPU, seed {cfg['seed']} |",
        f"| training time | {minutes:.1f} minutes on {cfg['threads']} CPU cores |",
        f"| train loss (smoothed, last step) | {stats['train_loss']:.3f} |",
        f"| validation loss (best) | **{stats['best_val_loss']:.3f}** |",
        "",
        "## Samples",
        "",
    ]
    n_ctx = int(loaded.model.config.max_position_embeddings)
    for prompt in CARD_PROMPTS:
        ids = tok.encode(prompt, add_special_tokens=False)[-max(1, n_ctx - 1) :]
        steps = min(24, n_ctx - len(ids))  # a model trained with a short context continues less
        greedy = generate(loaded, ids, steps, 0.0, None, None, 0)
        sampled = generate(loaded, ids, steps, 0.8, None, None, 0)
        lines += [
            f"- **{prompt}** … greedy (T = 0): “{one_line(greedy['text'])}”",
            f"  - sampled (T = 0.8, seed 0): “{one_line(sampled['text'])}”",
        ]
    lines += ["", *geometry_section(geo)]
    lines += ["", *snapshot_table(folder, stats, loaded, corpus)]
    lines += ["## Training corpus", "", "| file | bytes | sha256 |", "|---|---|---|"]
    lines += [f"| {f['name']} | {f['bytes']:,} | `{f['sha256']}` |" for f in stats["corpus_files"]]
    lines += [
        "",
        "All texts are public domain in the USA (Project Gutenberg e-texts; provenance in the corpus's `SOURCES.md`).",
        "The model and this card are released with gptanim.",
        "",
    ]
    card = folder / "MODEL_CARD.md"
    card.write_text("\n".join(lines))
    return card
