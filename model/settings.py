"""What the user asks for (the settings of a Trace) and where gptanim keeps its files.

Imported by both the cache (`model/cache.py`) and the model run (`model/run.py`), so neither imports the other
at module level: the cache asks `run.trace` for a Trace it lacks, the run never reads the cache's index.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from model.errors import GptanimError
from model.sampling import check_temperature, check_top_k, check_top_p


@dataclass
class TraceSettings:
    """What the user asked for; together with the weights hash it names the Trace in the cache."""

    prompt: str
    model: str | None = None
    temperature: float = 1.0  # of the continuation
    seed: int = 0
    generate: int = 12
    top_k: int | None = None
    top_p: float | None = None
    temperatures: list[float] = field(default_factory=lambda: [0.0, 0.5, 1.0, 2.0])
    compare_temperatures: list[float] = field(default_factory=lambda: [0.0, 1.0, 3.0])
    truncate: bool = False

    def validate(self) -> TraceSettings:
        if not self.prompt or not self.prompt.strip():
            raise GptanimError('the prompt is empty: give some text, e.g. --prompt "Once upon a time"')
        if "\x00" in self.prompt:
            raise GptanimError("the prompt contains a NUL character (\\0); remove it")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise GptanimError(f"the seed must be a whole number ≥ 0, got {self.seed!r}")
        check_temperature(self.temperature)
        for t in [*self.temperatures, *self.compare_temperatures]:
            check_temperature(t)
        check_top_k(self.top_k)
        check_top_p(self.top_p)
        if int(self.generate) < 0:
            raise GptanimError(f"the number of tokens to generate must be ≥ 0, got {self.generate}")
        if 1.0 not in self.temperatures:
            self.temperatures = sorted({*self.temperatures, 1.0})
        return self


def cache_root() -> Path:
    """The user's cache folder for gptanim: $GPTANIM_CACHE, else ~/.cache/gptanim (XDG_CACHE_HOME respected)."""
    if os.environ.get("GPTANIM_CACHE"):
        return Path(os.environ["GPTANIM_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gptanim"


def cache_dir() -> Path:
    return cache_root() / "traces"


def code_hash() -> str:
    """The code that computes a Trace: when it changes, cached Traces are stale."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.name not in ("train.py", "card.py", "corpus.py"):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
