"""A rendered lecture measured from its videos and their sound: picture and voice in step, frozen pictures,
silences, the narrator's pace (prints; asserts nothing).

    .venv/bin/python bench/lecture_report.py FOLDER [--json]

FOLDER is a rendered lecture (what `gptanim render` writes: NN-Scene.mp4 beside NN-Scene.beats.json). Every
figure is measured from the decoded video and sound (PyAV); a scene's beats give only when each beat starts,
whether it is narrated and the words it says.

Picture: each frame in grey, above the caption band (the frame's bottom CAPTION_BAND, where the captions
change). A pixel has changed at a frame when it differs by more than PIXEL_STEP grey levels (of 255) from the
reference, the last frame at which the picture changed (so a slow fade adds up until it counts); the picture
changes at a frame when at least MIN_PIXELS pixels have. The encoder's noise on a still picture stays under
25 levels (measured at 480p15: the caption's change bleeds up to 23 levels into the picture above it).
- frozen: the longest stretch of a scene in which the picture does not change;
- moving: the share of the scene's seconds (counted from its start, the last one partial) in which it changes;
- late: a narrated beat whose picture changes mostly after its narration ended. Between the beat's start and
  the next beat's (the scene's end for the last), `during` is the area (BLOCK × BLOCK-pixel blocks) that
  changes while the narration plays, `after` the area that changes after it ended and had not changed during
  it; the beat is late when `after` is larger than `during` (so one frozen while it speaks and changing after
  is late; one that draws while it speaks and clears the same afterwards is not). The narration's end is
  measured in the sound: the end of the beat's last voiced window (below), before the next beat.
Sound, mono: the RMS in windows of WINDOW seconds, silent under SILENCE_DB dBFS (narration is brought to
-20 dB over its voiced samples; a sentence's quietest words stay above -35).
- silence: the longest run of silent windows;
- pace: words per minute while speaking: the narrated beats' words as spoken (numbers in words:
  `scenes.speech.speakable`) over the seconds their narration is heard, each from the start of its first
  voiced window of VOICED_WINDOW seconds to the end of its last (pauses between a beat's sentences count,
  the breath and the silence between beats do not);
- length: the video's.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scenes.voice import RATE as SOUND_RATE  # noqa: E402 - the rate the sound is measured at
from scenes.voice import decode  # noqa: E402

CAPTION_BAND = 0.15  # the frame's bottom share, where the captions are
PIXEL_STEP = 32  # grey levels (of 255) a pixel must move to count as changed
MIN_PIXELS = 8  # pixels that must change for the picture to change
BLOCK = 8  # pixels: the grain of a beat's changed area
WINDOW = 0.5  # seconds: the sound's windows for silences
VOICED_WINDOW = 0.1  # seconds: the sound's windows for the voiced time
SILENCE_DB = -40.0  # dBFS: a window quieter than this is silent
WORD = re.compile(r"[\w’'-]+")


@dataclass
class Picture:
    """When a video's picture changes above the caption band, and where."""

    times: np.ndarray  # each frame's time (s)
    moved: np.ndarray  # whether the picture changed at that frame (never at the first)
    blocks: list[np.ndarray]  # the blocks that changed at that frame (flat indices; empty if it did not)
    duration: float

    def area(self, start: float, end: float) -> set[int]:
        """The blocks that change in [start, end)."""
        inside = np.flatnonzero(self.moved & (self.times >= start) & (self.times < end))
        return set(np.concatenate([self.blocks[i] for i in inside]).tolist()) if len(inside) else set()


def picture_changes(video: Path) -> Picture:
    """Decode a video and find, frame by frame, whether and where its picture above the caption band changes."""
    import av

    times, moved, blocks, reference = [], [], [], None
    with av.open(str(video)) as src:
        stream = src.streams.video[0]
        step = 1 / float(stream.average_rate)
        for frame in src.decode(stream):
            grey = frame.to_ndarray(format="gray")
            top = grey[: int(grey.shape[0] * (1 - CAPTION_BAND))].astype(np.int16)
            times.append(float(frame.time))
            if reference is None:
                reference = top
                moved.append(False)
                blocks.append(np.zeros(0, np.int64))
                continue
            changed = np.abs(top - reference) > PIXEL_STEP
            if changed.sum() >= MIN_PIXELS:
                reference = top
                h, w = (changed.shape[0] // BLOCK) * BLOCK, (changed.shape[1] // BLOCK) * BLOCK
                grid = changed[:h, :w].reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK).any(axis=(1, 3))
                moved.append(True)
                blocks.append(np.flatnonzero(grid))
            else:
                moved.append(False)
                blocks.append(np.zeros(0, np.int64))
    duration = times[-1] + step if times else 0.0
    return Picture(np.array(times), np.array(moved, bool), blocks, duration)


def frozen_stretch(picture: Picture) -> tuple[float, float]:
    """The longest stretch with no change: (its length, its start)."""
    edges = np.concatenate([[0.0], picture.times[picture.moved], [picture.duration]])
    gaps = np.diff(edges)
    i = int(np.argmax(gaps))
    return float(gaps[i]), float(edges[i])


def moving_share(picture: Picture) -> tuple[int, int]:
    """(seconds in which the picture changes, seconds), the last second partial."""
    seconds = int(np.ceil(picture.duration - 1e-6))
    return len(set(np.floor(picture.times[picture.moved]).astype(int).tolist())), seconds


def sound(video: Path) -> np.ndarray:
    """A video's sound, mono, at SOUND_RATE (empty without a sound track)."""
    import av

    with av.open(str(video)) as src:
        if not src.streams.audio:
            return np.zeros(0, np.float32)
    return decode(video)


def loud(samples: np.ndarray, window: float, duration: float) -> np.ndarray:
    """Whether each window of `window` seconds over `duration` is above SILENCE_DB (missing sound is silent)."""
    size = int(round(window * SOUND_RATE))
    count = int(np.ceil(duration / window - 1e-6))
    padded = np.zeros(count * size, np.float32)
    padded[: min(len(samples), len(padded))] = samples[: len(padded)]
    rms = np.sqrt(np.mean(padded.reshape(count, size).astype(np.float64) ** 2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-9)) >= SILENCE_DB


def longest_silence(voiced: np.ndarray, window: float = WINDOW) -> tuple[float, float]:
    """The longest run of silent windows: (its length, its start)."""
    best, start, run = 0, 0, 0
    for i, on in enumerate(voiced):
        run = 0 if on else run + 1
        if run > best:
            best, start = run, i - run + 1
    return best * window, start * window


def spoken_words(say: str) -> int:
    from scenes.speech import speakable

    return len(WORD.findall(speakable(say))) if say.strip() else 0


def narration_span(beat: dict, end: float, voiced: np.ndarray) -> tuple[float, float]:
    """When the beat's narration is heard: from the start of its first voiced window to the end of its last, between
    the beat's start and `end` (the next beat's); the beat's own figures if the sound has none there."""
    first, last = int(beat["time"] / VOICED_WINDOW), int(np.ceil(end / VOICED_WINDOW - 1e-6))
    on = np.flatnonzero(voiced[first:last])
    if not len(on):
        return beat["time"], beat["time"] + beat.get("audio", 0.0)
    return (first + on[0]) * VOICED_WINDOW, min(end, (first + on[-1] + 1) * VOICED_WINDOW)


def in_step(beats: list[dict], picture: Picture, voiced: np.ndarray) -> tuple[int, list[str], float]:
    """(narrated beats, the ids of those whose picture changes mostly after their narration ended, the seconds
    their narration is heard)."""
    ends = [b["time"] for b in beats[1:]] + [picture.duration]
    narrated, late, speaking = 0, [], 0.0
    for beat, end in zip(beats, ends):
        if not beat.get("audio"):
            continue
        narrated += 1
        start, said = narration_span(beat, end, voiced)
        speaking += said - start
        during = picture.area(beat["time"], said)
        after = picture.area(said, end) - during
        if len(after) > len(during):
            late.append(beat.get("id", beat["title"]))
    return narrated, late, speaking


@dataclass
class SceneReport:
    name: str
    length: float
    narrated: int
    late: list[str]
    frozen: float
    frozen_at: float
    moving_seconds: int
    seconds: int
    silence: float
    silence_at: float
    words: int
    voiced: float  # seconds the narration is heard

    @property
    def moving(self) -> float:
        return self.moving_seconds / self.seconds if self.seconds else 0.0

    @property
    def wpm(self) -> float:
        return 60 * self.words / self.voiced if self.voiced else 0.0


def measure_scene(video: Path) -> SceneReport:
    """One scene's figures, from its video and, beside it, its beats (NN-Scene.beats.json)."""
    beats = json.loads(Path(video).with_suffix(".beats.json").read_text(encoding="utf-8"))["beats"]
    picture = picture_changes(video)
    samples = sound(video)
    fine = loud(samples, VOICED_WINDOW, picture.duration)
    frozen, frozen_at = frozen_stretch(picture)
    moving, seconds = moving_share(picture)
    silence, silence_at = longest_silence(loud(samples, WINDOW, picture.duration))
    narrated, late, speaking = in_step(beats, picture, fine)
    words = sum(spoken_words(b.get("say", "")) for b in beats if b.get("audio"))
    return SceneReport(Path(video).stem, picture.duration, narrated, late, frozen, frozen_at, moving, seconds,
                       silence, silence_at, words, speaking)  # fmt: skip


def measure_lecture(folder: Path) -> list[SceneReport]:
    videos = sorted(p for p in Path(folder).glob("[0-9][0-9]-*.mp4") if p.with_suffix(".beats.json").exists())
    if not videos:
        raise SystemExit(f"lecture_report: {folder} has no NN-Scene.mp4 beside NN-Scene.beats.json")
    return [measure_scene(v) for v in videos]


def overall(reports: list[SceneReport]) -> dict:
    """The lecture's figures: sums, the longest stretches (and where), the shares over the whole."""
    frozen = max(reports, key=lambda r: r.frozen)
    silent = max(reports, key=lambda r: r.silence)
    narrated = sum(r.narrated for r in reports)
    late = sum(len(r.late) for r in reports)
    voiced, words = sum(r.voiced for r in reports), sum(r.words for r in reports)
    return {
        "length": sum(r.length for r in reports),
        "narrated": narrated,
        "late": late,
        "late_share": late / narrated if narrated else 0.0,
        "frozen": frozen.frozen,
        "frozen_in": frozen.name,
        "moving": sum(r.moving_seconds for r in reports) / max(1, sum(r.seconds for r in reports)),
        "silence": silent.silence,
        "silence_in": silent.name,
        "words": words,
        "voiced": voiced,
        "wpm": 60 * words / voiced if voiced else 0.0,
    }


def clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


def table(reports: list[SceneReport]) -> str:
    rows = [f"{'scene':28} {'length':>6} {'late':>7} {'frozen':>14} {'moving':>6} {'silence':>14} {'wpm':>4}"]
    for r in reports:
        rows.append(f"{r.name:28} {clock(r.length):>6} {len(r.late):>3}/{r.narrated:<3} "
                    f"{r.frozen:5.1f} s @{clock(r.frozen_at):>5} {r.moving:6.0%} "
                    f"{r.silence:5.1f} s @{clock(r.silence_at):>5} {r.wpm:4.0f}")  # fmt: skip
        if r.late:
            rows.append(f"{'':28} late: {', '.join(r.late)}")
    o = overall(reports)
    rows.append(f"overall: length {clock(o['length'])}, late beats {o['late']}/{o['narrated']} "
                f"({o['late_share']:.0%}), longest frozen {o['frozen']:.1f} s ({o['frozen_in']}), moving "
                f"{o['moving']:.0%} of seconds, longest silence {o['silence']:.1f} s ({o['silence_in']}), "
                f"{o['wpm']:.0f} words per minute while speaking")  # fmt: skip
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="a rendered lecture's folder (NN-Scene.mp4, NN-Scene.beats.json)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    reports = measure_lecture(args.folder)
    if args.json:
        scenes = [{**asdict(r), "moving": r.moving, "wpm": r.wpm} for r in reports]
        print(json.dumps({"scenes": scenes, "overall": overall(reports)}, indent=1))
    else:
        print(table(reports))


if __name__ == "__main__":
    main()
