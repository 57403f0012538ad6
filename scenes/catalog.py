"""Every scene of the lecture: where it lives and what it shows, without importing manim."""

from __future__ import annotations

import ast
import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from model.errors import GptanimError
from model.trace_data import SECTIONS


@dataclass(frozen=True)
class SceneEntry:
    name: str
    module: str  # file under scenes/, without .py
    summary: str
    uses_temperature: bool = False  # re-rendered when only the temperature changes
    sections: tuple[str, ...] = ()  # the Trace sections it shows (trace_data.SECTIONS), computed for it
    # CPU seconds to render at 480p15, narrated (RENDER_SECONDS). Only orders the work: long scenes
    # start first, so that the workers finish together.
    render_weight: float = 8.0
    file: str = ""  # a scene of your own: the .py file that defines it (module is then "")
    needs_continuation: bool = False  # it draws the generated tokens: nothing to draw with --generate 0
    reads_lecture: bool = False  # it draws the lecture's own title and scenes (GPTANIM_LECTURE): rendered anew with them


# Each scene's CPU seconds to render at 480p15 with the narration, default prompt, measured one after
# another in one render worker (2026-11-29, after issue 23's speedups; the whole lecture 276 s).
# EmbeddingSpace turns its view all the time: every frame is drawn anew.
RENDER_SECONDS = {
    "Title": 6,
    "TransformersEverywhere": 10,
    "PredictSampleRepeat": 13,
    "Chat": 15,
    "InsideTransformer": 18,
    "Tokenization": 7,
    "EmbeddingMatrix": 8,
    "EmbeddingSpace": 83,
    "ContextEmbedding": 8,
    "WeightsAndData": 8,
    "ParameterTally": 8,
    "Learning": 19,
    "AttentionPattern": 9,
    "AttentionFlow": 5,
    "MLPBlock": 10,
    "Unembedding": 7,
    "LastPosition": 10,
    "Softmax": 7,
    "Temperature": 18,
    "TopKTopP": 5,
    "Recap": 4,
}

SCENES = [
    SceneEntry("Title", "opening", "The lecture's title, what G, P and T stand for, and its road map as a picture.",
               reads_lecture=True),
    SceneEntry(
        "TransformersEverywhere",
        "story",
        "Transformers translate, transcribe, speak and draw; a GPT reads text and gives next-token probabilities.",
    ),
    SceneEntry(
        "PredictSampleRepeat",
        "opening",
        "Predict a distribution over the next token, sample one, append it, repeat.",
        uses_temperature=True,
        needs_continuation=True,
    ),
    SceneEntry(
        "Chat",
        "story",
        "A chatbot is a GPT continuing a script: the real model writes the assistant's reply token by token.",
        uses_temperature=True,
        sections=("chat",),
    ),
    SceneEntry(
        "InsideTransformer",
        "opening",
        "Tokens become vectors, flow through attention and MLP blocks, and the last one becomes probabilities.",
        uses_temperature=True,
        needs_continuation=True,
    ),
    SceneEntry(
        "Tokenization", "embeddings", "The prompt cut into the real tokenizer's pieces, with ids and the vocabulary."
    ),
    SceneEntry("EmbeddingMatrix", "embeddings", "W_E as a real slice; each prompt token picks its column."),
    SceneEntry(
        "EmbeddingSpace",
        "embeddings",
        "Word tokens of W_E in 3D; woman − man beside queen − king; real analogy ranks, plurals, dot products.",
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
    ),
    SceneEntry(
        "ParameterTally",
        "weights",
        "The eight families of weights of the loaded model, the rest, and GPT-3 beside them.",
    ),
    SceneEntry(
        "Learning",
        "learning",
        "Random weights tuned by backpropagation: the loss curve, and this prompt at each training snapshot.",
        sections=("learning",),
    ),
    SceneEntry(
        "AttentionPattern",
        "attention",
        "A real head's pattern with its causal mask, one q·k score worked out, and every head as small multiples.",
    ),
    SceneEntry("AttentionFlow", "attention", "The last token's attention as arcs from the tokens it reads."),
    SceneEntry("MLPBlock", "attention", "Up-projection, GELU, down-projection on one token, added to the residual."),
    SceneEntry("Unembedding", "unembedding", "The last vector times the unembedding matrix gives one logit per token."),
    SceneEntry(
        "LastPosition",
        "positions",
        "Every position predicts the token after it (training scores them all); the next token is the last one's.",
    ),
    SceneEntry("Softmax", "unembedding", "Logits to probabilities: exponentiate, add up, divide; the rest as one bar."),
    SceneEntry(
        "Temperature",
        "unembedding",
        "A sweep of T over the real logits, T = 0 as the argmax, and continuations at three temperatures.",
    ),
    SceneEntry(
        "TopKTopP", "unembedding", "Top-k and top-p truncation of the real distribution, renormalised, sampled."
    ),
    SceneEntry(
        "Recap",
        "unembedding",
        "The ending: prompt, tokens, vectors, layers, last vector, probabilities, drawn token; attention next.",
        needs_continuation=True,
    ),
]
SCENES = [replace(entry, render_weight=RENDER_SECONDS.get(entry.name, entry.render_weight)) for entry in SCENES]

BY_NAME = {entry.name: entry for entry in SCENES}

# The lecture's story in parts, as the Title scene draws its road map: each part's heading and its scenes, in
# the order of SCENES and of lectures/default.toml. A name not in the catalog is left out of the drawing.
ROAD_MAP = [
    ("What a GPT does", ["TransformersEverywhere", "PredictSampleRepeat", "Chat", "InsideTransformer"]),
    ("Tokens become vectors", ["Tokenization", "EmbeddingMatrix", "EmbeddingSpace", "ContextEmbedding"]),
    ("The weights", ["WeightsAndData", "ParameterTally", "Learning"]),
    ("Attention and the MLP", ["AttentionPattern", "AttentionFlow", "MLPBlock"]),
    ("From vector to next token", ["Unembedding", "LastPosition", "Softmax", "Temperature", "TopKTopP", "Recap"]),
]


def road_map() -> list[tuple[str, list[str]]]:
    """The road map's parts with the scenes of the catalog in each (a part left without any is dropped)."""
    parts = [(part, [name for name in names if name in BY_NAME]) for part, names in ROAD_MAP]
    return [(part, names) for part, names in parts if names]


# The default lecture's title (lectures/default.toml's), shown when a scene is rendered without a lecture.
DEFAULT_TITLE = "How a GPT works, with its own numbers"


def lecture_plan(title: str, names: list[str], titles: list[str]) -> dict:
    """What a scene may know of the lecture it is in: its title and its scenes with their titles, in order (the
    render workers pass it as GPTANIM_LECTURE, in JSON)."""
    return {"title": title, "chapters": [[name, heading] for name, heading in zip(names, titles)]}


def current_plan() -> dict:
    """The lecture being rendered (GPTANIM_LECTURE), else the default one: every scene of the catalog."""
    given = os.environ.get("GPTANIM_LECTURE")
    if given:
        return json.loads(given)
    return lecture_plan(DEFAULT_TITLE, [e.name for e in SCENES], [readable_title(e.name) for e in SCENES])


def lecture_parts(chapters: list[list[str]]) -> list[tuple[str, list[str], bool]]:
    """A lecture's chapters after its Title as the road map draws them: (heading, the chapters' titles, whether
    it is a part of ROAD_MAP). Consecutive built-in scenes of one ROAD_MAP part make one part under its heading;
    a scene of your own is a part of its own, under its title."""
    part_of = {name: part for part, names in ROAD_MAP for name in names}
    parts: list[tuple[str, list[str], bool]] = []
    for name, heading in chapters:
        if name == "Title":
            continue
        part = part_of.get(name)
        if part is not None and parts and parts[-1][0] == part and parts[-1][2]:
            parts[-1][1].append(heading)
        else:
            parts.append((part or heading, [heading], part is not None))
    return parts


def scene_file(entry: SceneEntry) -> str:
    return entry.file or f"scenes/{entry.module}.py"


def is_custom(spec: str) -> bool:
    """A scene of your own is named `path/to/file.py:ClassName`."""
    return ".py:" in spec


def custom_scene(spec: str, base: Path | None = None) -> SceneEntry:
    """The entry of a scene of your own, `path/to/file.py:ClassName` (a relative path from `base`).

    The file is read, not imported, so a wrong name fails at once: it must define the class.
    """
    file, _, name = spec.rpartition(":")
    path = Path(file).expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    if not path.is_file():
        raise GptanimError(f"scene {spec!r}: no such file {path}")
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError) as exc:
        raise GptanimError(f"scene {spec!r}: {path.name} is not valid Python ({exc})") from None
    classes = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
    if name not in classes:
        raise GptanimError(
            f"scene {spec!r}: {path.name} defines no class {name!r} (it defines: {', '.join(classes) or 'none'})"
        )
    if name in BY_NAME:  # its video, still and slides would be taken for the built-in scene's, or replace them
        raise GptanimError(f"scene {spec!r}: {name} is the name of a built-in scene; give your class another name")
    # Unknown code may show anything: render it again whenever the Trace changes at all.
    return SceneEntry(name, "", f"your scene from {path.name}", uses_temperature=True, sections=SECTIONS,
                      file=str(path.resolve()), reads_lecture=True)  # fmt: skip


def check_continuation(scenes: list[SceneEntry], generate: int) -> None:
    """Refuse, before anything is drawn, to draw scenes that show the continuation when there is none."""
    needing = [entry.name for entry in scenes if entry.needs_continuation]
    if int(generate) == 0 and needing:
        raise GptanimError(f"--generate 0 leaves no continuation for {', '.join(needing)} to draw; "
                           "generate at least 1 token, or leave these scenes out with --scenes")  # fmt: skip


def sections_for(scenes: list[SceneEntry]) -> tuple[str, ...]:
    """The Trace sections these scenes show, in SECTIONS' order: what their Trace must have computed."""
    return tuple(name for name in SECTIONS if any(name in entry.sections for entry in scenes))


# Each scene's title as a viewer reads it: chapters of lecture.mp4, headings of the handout.
# A lecture file's [titles] table overrides them.
TITLES = {
    "Title": "What GPT stands for",
    "TransformersEverywhere": "Transformers everywhere",
    "PredictSampleRepeat": "Predict, sample, repeat",
    "Chat": "A chatbot continues a script",
    "InsideTransformer": "Inside a transformer",
    "Tokenization": "Tokens",
    "EmbeddingMatrix": "The embedding matrix",
    "EmbeddingSpace": "The embedding space",
    "ContextEmbedding": "Position and context",
    "WeightsAndData": "Weights and data",
    "ParameterTally": "Counting the parameters",
    "Learning": "How the weights were learned",
    "AttentionPattern": "An attention pattern",
    "AttentionFlow": "Where the last token looks",
    "MLPBlock": "The MLP block",
    "Unembedding": "Unembedding",
    "LastPosition": "Which position predicts",
    "Softmax": "Softmax",
    "Temperature": "Temperature",
    "TopKTopP": "Top-k and top-p",
    "Recap": "Recap, and what comes next",
}


def readable_title(name: str) -> str:
    """A scene's title: from TITLES, else its class name split into words ("MyScene" -> "My scene")."""
    if name in TITLES:
        return TITLES[name]
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name) or [name]
    return " ".join([words[0], *(w if w.isupper() else w.lower() for w in words[1:])])
