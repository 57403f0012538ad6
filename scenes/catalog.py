"""Every scene of the lecture: where it lives and what it shows, without importing manim."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SceneEntry:
    name: str
    module: str  # file under scenes/, without .py
    summary: str
    uses_temperature: bool = False  # re-rendered when only the temperature changes
    # Rough seconds to render at 480p15 (bench/render_bench.py, default lecture). Only orders the
    # work: long scenes start first, so that the workers finish together.
    render_weight: float = 6.0


SCENES = [
    SceneEntry("Title", "opening", "What G, P and T stand for, and the road map of the lecture."),
    SceneEntry(
        "PredictSampleRepeat",
        "opening",
        "Predict a distribution over the next token, sample one, append it, repeat.",
        uses_temperature=True,
        render_weight=14,
    ),
    SceneEntry(
        "InsideTransformer",
        "opening",
        "Tokens become vectors, flow through attention and MLP blocks, and the last one becomes probabilities.",
        uses_temperature=True,
        render_weight=23,
    ),
    SceneEntry(
        "Tokenization", "embeddings", "The prompt cut into the real tokenizer's pieces, with ids and the vocabulary."
    ),
    SceneEntry("EmbeddingMatrix", "embeddings", "W_E as a real slice; each prompt token picks its column."),
    SceneEntry(
        "EmbeddingSpace",
        "embeddings",
        "Word tokens of W_E in 3D; woman − man beside queen − king; real analogy ranks, plurals, dot products.",
        render_weight=14,
    ),
    SceneEntry(
        "ContextEmbedding",
        "embeddings",
        "Position vectors; the same token in two contexts drifting apart; the logit lens layer by layer.",
    ),
    SceneEntry(
        "WeightsAndData",
        "weights",
        "Weights versus data, and one real query entry summed term by term.",
        render_weight=10,
    ),
    SceneEntry(
        "ParameterTally",
        "weights",
        "The eight families of weights of the loaded model, the rest, and GPT-3 beside them.",
    ),
    SceneEntry(
        "AttentionPattern",
        "attention",
        "A real head's pattern with its causal mask, one q·k score worked out, and every head as small multiples.",
    ),
    SceneEntry("AttentionFlow", "attention", "The last token's attention as arcs from the tokens it reads."),
    SceneEntry("MLPBlock", "attention", "Up-projection, GELU, down-projection on one token, added to the residual."),
    SceneEntry("Unembedding", "unembedding", "The last vector times the unembedding matrix gives one logit per token."),
    SceneEntry("Softmax", "unembedding", "Logits to probabilities: exponentiate, add up, divide; the rest as one bar."),
    SceneEntry(
        "Temperature",
        "unembedding",
        "A sweep of T over the real logits, T = 0 as the argmax, and continuations at three temperatures.",
        render_weight=22,
    ),
    SceneEntry(
        "TopKTopP", "unembedding", "Top-k and top-p truncation of the real distribution, renormalised, sampled."
    ),
    SceneEntry(
        "Recap",
        "unembedding",
        "The ending: prompt, tokens, vectors, layers, last vector, probabilities, drawn token; attention next.",
    ),
]

BY_NAME = {entry.name: entry for entry in SCENES}


def scene_file(entry: SceneEntry) -> str:
    return f"scenes/{entry.module}.py"
