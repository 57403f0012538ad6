"""What the user asks for (the settings of a Trace, the knobs of a training run) and where gptanim keeps its files.

Imported by both the cache (`model/cache.py`) and the model run (`model/run.py`), so neither imports the other
at module level: the cache asks `run.trace` for a Trace it lacks, the run never reads the cache's index.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from model.errors import GptanimError
from model.sampling import check_temperature, check_top_k, check_top_p


@dataclass(frozen=True)
class Setting:
    """One setting the user gives: on the command line (`--name`), in a lecture file's [settings], or to a scene
    run with plain manim (`GPTANIM_NAME`). Its default is here and nowhere else."""

    name: str
    # "text", "number", "count" (whole number ≥ 0), "int" (whole number), "flag" (on or off), "quality", "theme"
    # or "voice"
    kind: str
    default: object
    help: str
    traced: bool = True  # a field of TraceSettings (quality only changes the video)
    # A sampling cut left unset cuts nothing in the continuation; the sampling chapter still shows the cut at this
    # value (the setting's, when given: the cut the continuation was drawn with).
    example: object = None
    choices: tuple[str, ...] = ()  # the only values it takes, where they are few

    def check(self, value, where: str = ""):
        """The value, or a one-line error (after `where`, what gave it) when it is not one of the choices."""
        if self.choices and value not in self.choices:
            raise GptanimError(f"{where}invalid {self.name} {value!r}; choose {' or '.join(self.choices)}")
        return value

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return "GPTANIM_" + self.name.upper()


SETTINGS = [
    Setting("prompt", "text", "Once upon a time, a little girl", "the text the model continues"),
    Setting("model", "text", None, "embedded (default), a local folder, or a cached hub name (gpt2)"),
    Setting("temperature", "number", 1.0, "temperature of the continuation (0 = greedy)"),
    Setting("seed", "count", 0, "seed of the sampling"),
    Setting("generate", "count", 12, "tokens to generate"),
    Setting("top_k", "int", None, "sample only among the k most likely tokens", example=5),
    Setting("top_p", "number", None, "sample only within the top-p probability mass", example=0.9),
    Setting(
        "chat_system",
        "text",
        "The wise old owl answered every question kindly.",
        "the chatbot's system line (the Chat scene's script)",
    ),
    Setting("chat_user", "text", None, "what the user says to the chatbot (default: the prompt)"),
    Setting(
        "other_context",
        "text",
        "Far away, over the grey mountains, the old woman sang of the",
        "the other text the prompt's last token is run after, to compare its vectors in two contexts",
    ),
    Setting("truncate", "flag", False, "keep the end of a prompt longer than the context"),
    Setting("quality", "quality", "l", "l (480p15), m (720p30), h (1080p60) or k (2160p60)", traced=False),
    Setting(
        "theme",
        "theme",
        "dark",
        "dark or light, for projectors in lit rooms and for paper",
        traced=False,
        choices=("dark", "light"),
    ),  # scenes/style.py's palettes
    Setting(
        "voice", "voice", "joe", "narration: joe (offline neural voice), none (silent), or folder:PATH", traced=False
    ),
]
DEFAULTS = {s.name: s.default for s in SETTINGS}
SETTING = {s.name: s for s in SETTINGS}


@dataclass
class TraceSettings:
    """What the user asked for; together with the weights hash it names the Trace in the cache."""

    prompt: str
    model: str | None = DEFAULTS["model"]
    temperature: float = DEFAULTS["temperature"]  # of the continuation
    seed: int = DEFAULTS["seed"]
    generate: int = DEFAULTS["generate"]
    top_k: int | None = DEFAULTS["top_k"]
    top_p: float | None = DEFAULTS["top_p"]
    chat_system: str = DEFAULTS["chat_system"]
    chat_user: str | None = DEFAULTS["chat_user"]  # None: the prompt
    other_context: str = DEFAULTS["other_context"]
    temperatures: list[float] = field(default_factory=lambda: [0.0, 0.5, 1.0, 2.0])
    compare_temperatures: list[float] = field(default_factory=lambda: [0.0, 1.0, 3.0])
    truncate: bool = DEFAULTS["truncate"]

    def validate(self) -> TraceSettings:
        if not self.prompt or not self.prompt.strip():
            raise GptanimError('the prompt is empty: give some text, e.g. --prompt "Once upon a time"')
        if "\x00" in self.prompt:
            raise GptanimError("the prompt contains a NUL character (\\0); remove it")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise GptanimError(f"the seed must be a whole number ≥ 0, got {self.seed!r}")
        for name in ("chat_system", "chat_user", "other_context"):
            text = getattr(self, name)
            if text is not None and (not text.strip() or "\x00" in text):
                raise GptanimError(f"--{name.replace('_', '-')} must be some text without NUL characters, got {text!r}")
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

    def cuts_shown(self) -> tuple[int, float]:
        """The top-k and top-p the sampling chapter cuts the distribution with: the settings', else their
        examples (the continuation is then not cut)."""
        k = SETTING["top_k"].example if self.top_k is None else int(self.top_k)
        p = SETTING["top_p"].example if self.top_p is None else float(self.top_p)
        return k, p


@dataclass
class TrainConfig:
    """Every knob of a training run; the defaults train the shipped model."""

    corpus: Path
    out: Path
    minutes: float | None = None  # a time budget instead of a fixed number of steps
    steps: int | None = 4000
    vocab_size: int = 8192
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 256
    n_ctx: int = 256
    batch_size: int = 16
    lr: float = 1.5e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 200
    weight_decay: float = 0.1
    dropout: float = 0.1
    eval_every: int = 250
    snapshot_steps: tuple[int, ...] = (30, 100, 300, 1000)  # kept small in snapshots/ (see model/snapshots.py)
    val_fraction: float = 0.05
    seed: int = 0
    bf16: bool = True
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)

    def check(self) -> TrainConfig:
        """Refuse knobs that would train forever, on NaN, or not at all, before anything is read."""
        if self.minutes is not None and not (math.isfinite(self.minutes) and self.minutes > 0):
            raise GptanimError(f"--minutes must be a positive number of minutes, got {self.minutes}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise GptanimError(f"--lr must be a positive number, got {self.lr}")
        if self.n_embd % self.n_head:
            raise GptanimError(f"--d-model {self.n_embd} must be a multiple of --n-head {self.n_head}")
        if self.steps is None and self.minutes is None:
            raise GptanimError("give a number of steps or a time budget in minutes")
        return self


def cache_root() -> Path:
    """The user's cache folder for gptanim: $GPTANIM_CACHE, else ~/.cache/gptanim (XDG_CACHE_HOME respected)."""
    if os.environ.get("GPTANIM_CACHE"):
        return Path(os.environ["GPTANIM_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gptanim"


def traces_dir() -> Path:
    """Where the Traces are cached."""
    return cache_root() / "traces"


def code_hash() -> str:
    """The code that computes a Trace: when it changes, cached Traces are stale."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.name not in ("train.py", "card.py", "corpus.py"):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
