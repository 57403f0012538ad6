"""The shipped model: loads offline, round-trips any text, and its embeddings carry meaning."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from model import geometry
from model.loading import EMBEDDED_PATH

TEXTS = [
    "Once upon a time there was a king.",
    "Crème brûlée, naïve café, Ångström",
    "从前有一个国王。昔々、王様がいました。",
    "🐺🏰👑 and 🧚‍♀️!",
    "tabs\tand   runs of   spaces\n\n\nnewlines",
]


def test_assets_are_a_standard_hugging_face_folder():
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "MODEL_CARD.md"):
        assert (EMBEDDED_PATH / name).exists(), name
    assert (EMBEDDED_PATH / "model.safetensors").stat().st_size <= 20 * 2**20
    assert json.loads((EMBEDDED_PATH / "config.json").read_text())["model_type"] == "gpt2"


def test_plain_transformers_loads_it_offline_with_finite_logits():
    model = AutoModelForCausalLM.from_pretrained(EMBEDDED_PATH, local_files_only=True, dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(EMBEDDED_PATH, local_files_only=True)
    ids = tok("Once upon a time", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        logits = model(input_ids=ids).logits
    assert logits.shape[-1] == model.config.vocab_size
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("text", TEXTS)
def test_tokenizer_round_trips_any_text(text, embedded):
    tok = embedded.tokenizer
    assert tok.decode(tok.encode(text, add_special_tokens=False)) == text


def test_analogy_ranks_queen_in_the_top_three(embedded):
    W = embedded.model.transformer.wte.weight.detach().numpy()
    result = geometry.analyse(W, embedded.tokenizer)
    queen = next(a for a in result["analogies"] if a["target"] == "queen")
    assert queen["target_rank"] <= 3


def test_model_card_quotes_the_shipped_figures():
    card = (EMBEDDED_PATH / "MODEL_CARD.md").read_text()
    stats = json.loads((EMBEDDED_PATH / "training_stats.json").read_text())
    assert f"{stats['best_val_loss']:.3f}" in card
    assert f"{stats['parameters']:,}" in card
    assert "sha256" in card and "king − man + woman" in card


def test_a_few_training_steps_lower_the_loss(tmp_path):
    from model.train import TrainConfig, train

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    from tests.conftest import SAMPLE_TEXT

    (corpus / "a.txt").write_text("\n\n".join([SAMPLE_TEXT] * 4))
    (corpus / "b.txt").write_text(SAMPLE_TEXT.upper() + "\n\n" + SAMPLE_TEXT)
    stats = train(
        TrainConfig(
            corpus=corpus,
            out=tmp_path / "out",
            steps=40,
            vocab_size=300,
            n_layer=1,
            n_head=2,
            n_embd=32,
            n_ctx=32,
            batch_size=8,
            warmup_steps=5,
            eval_every=20,
            snapshot_steps=(10, 30),
            val_fraction=0.3,
        ),
        quiet=True,
    )
    history = stats["history"]
    assert history[-1]["val_loss"] < history[0]["val_loss"]
    assert np.isfinite(stats["best_val_loss"])
    assert (tmp_path / "out" / "model.safetensors").exists()
    # the snapshots survive the checkpoints that replace the folder, and are listed with their hashes
    from model import snapshots

    kept = snapshots.listed(tmp_path / "out")
    assert [step for step, _ in kept] == [s["step"] for s in stats["snapshots"]] == [10, 30]
    for (_, file), entry in zip(kept, stats["snapshots"], strict=True):
        assert snapshots.file_hash(file) == entry["sha256"]


def test_snapshot_quantisation_keeps_each_row_within_half_a_step():
    from model import snapshots

    rng = np.random.default_rng(0)
    state = {"w": rng.normal(size=(64, 16)).astype(np.float32), "b": rng.normal(size=16).astype(np.float32)}
    stored = snapshots.quantise(state)
    assert stored["w"].dtype == np.int8 and stored["b"].dtype == np.float16
    back = snapshots.dequantise(stored)
    step = np.abs(state["w"]).max(axis=1, keepdims=True) / 127
    assert np.all(np.abs(back["w"] - state["w"]) <= step / 2 + 1e-7)
    assert np.allclose(back["b"], state["b"], atol=1e-2)
