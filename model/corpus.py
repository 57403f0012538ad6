"""Reading the training corpus: plain-text files, one paragraph per line.

A blank line starts a new story or chapter. Validation holds out whole stories,
never random lines, so the validation loss measures text the model has not seen.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

from model.errors import GptanimError


@dataclass(frozen=True)
class CorpusFile:
    name: str
    sha256: str
    bytes: int


@dataclass
class Corpus:
    files: list[CorpusFile]
    train_stories: list[str]
    val_stories: list[str]


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The corpus's text files in a stable order (SOURCES.md and the like are not text to learn)."""
    if not corpus_dir.is_dir():
        raise GptanimError(f"corpus folder not found: {corpus_dir}")
    files = sorted(p for p in corpus_dir.glob("*.txt") if p.is_file())
    if not files:
        raise GptanimError(f"no .txt files in corpus folder {corpus_dir}")
    return files


def split_stories(text: str) -> list[str]:
    """Cut a text at its blank lines: each piece is one story or chapter."""
    stories, current = [], []
    for line in text.splitlines():
        if line.strip():
            current.append(line.rstrip())
        elif current:
            stories.append("\n".join(current))
            current = []
    if current:
        stories.append("\n".join(current))
    return stories


def read_corpus(corpus_dir: Path, val_fraction: float = 0.05, seed: int = 0) -> Corpus:
    """Read every file, cut it into stories and hold out `val_fraction` of them, seeded."""
    files, stories = [], []
    for path in corpus_files(corpus_dir):
        data = path.read_bytes()
        files.append(CorpusFile(path.name, hashlib.sha256(data).hexdigest(), len(data)))
        stories.extend(split_stories(data.decode("utf-8", errors="replace")))
    order = list(range(len(stories)))
    random.Random(seed).shuffle(order)
    n_val = max(1, round(len(stories) * val_fraction)) if len(stories) > 1 else 0
    val_ids = set(order[:n_val])
    train = [s for i, s in enumerate(stories) if i not in val_ids]
    val = [s for i, s in enumerate(stories) if i in val_ids]
    return Corpus(files, train, val)
