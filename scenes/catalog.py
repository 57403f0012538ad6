"""Every scene of the lecture: where it lives and what it shows, without importing manim."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SceneEntry:
    name: str
    module: str  # file under scenes/, without .py
    summary: str
    uses_temperature: bool = False  # re-rendered when only the temperature changes


SCENES = [
    SceneEntry("Title", "opening", "What G, P and T stand for, and the road map of the lecture."),
    SceneEntry(
        "PredictSampleRepeat",
        "opening",
        "Predict a distribution over the next token, sample one, append it, repeat.",
        uses_temperature=True,
    ),
    SceneEntry(
        "InsideTransformer",
        "opening",
        "Tokens become vectors, flow through attention and MLP blocks, and the last one becomes probabilities.",
    ),
    SceneEntry(
        "WeightsAndData",
        "weights",
        "Weights versus data, and one real query entry summed term by term.",
    ),
    SceneEntry(
        "ParameterTally",
        "weights",
        "The eight families of weights of the loaded model, the rest, and GPT-3 beside them.",
    ),
]

BY_NAME = {entry.name: entry for entry in SCENES}


def scene_file(entry: SceneEntry) -> str:
    return f"scenes/{entry.module}.py"
