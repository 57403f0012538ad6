"""Traces kept on disk, named by what they depend on: the settings, the weights and the Trace code.

Nothing here imports torch, so a command whose Trace is already cached starts in a moment.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from model.errors import GptanimError
from model.loading import LoadedModel, identify
from model.sampling import check_temperature, check_top_k, check_top_p
from model.trace_data import FORMAT_VERSION, Trace


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


def cache_key(settings: TraceSettings, weights: str) -> str:
    doc = json.dumps({"v": FORMAT_VERSION, "code": code_hash(), "weights": weights, **asdict(settings)}, sort_keys=True)
    return hashlib.sha256(doc.encode()).hexdigest()[:24]


def cached_path(settings: TraceSettings, loaded: LoadedModel | None = None) -> Path:
    """Where the Trace for these settings is kept: named by the hash of the loaded model's weights,
    or of the files of `settings.model`, read without loading them."""
    settings.validate()
    weights = loaded.weights_hash if loaded else identify(settings.model)[2]
    return cache_dir() / f"{cache_key(settings, weights)}.npz"


def cached_trace(settings: TraceSettings, loaded: LoadedModel | None = None) -> Trace:
    """The Trace for these settings, from the disk cache when it is there, else computed and stored.

    A Trace found in the cache needs neither torch nor the model: only a hash of the weights' files.
    """
    path = cached_path(settings, loaded)
    if path.exists():
        try:
            return Trace.load(path)
        except GptanimError as exc:
            print(f"gptanim: the cached Trace was damaged ({exc}); computing it again", file=sys.stderr)
            path.unlink(missing_ok=True)
    # torch keeps a compiler cache in the system's temporary folder unless told otherwise: keep it with ours
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(cache_root() / "torch"))
    from model.run import trace  # torch and transformers: only when the model must run

    result = trace(settings, loaded)
    result.save(path)
    sweep_stale(path.parent)
    return result


def sweep_stale(folder: Path, age: float = 3600) -> None:
    """Remove temporary files that writers killed mid-write left (`Trace.save`'s `.NAME.*.tmp`); an hour is
    far longer than any write, so no file being written now is touched."""
    now = time.time()
    for tmp in folder.glob(".*.tmp"):
        try:
            if now - tmp.stat().st_mtime > age:
                tmp.unlink()
        except OSError:
            pass
