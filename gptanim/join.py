"""Joining a lecture's scene videos into lecture.mp4: its chapters, its sound, each scene dissolving into the
next, and its subtitles and narration script."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import numpy as np

from gptanim.atomic import temporary_name, write_text
from gptanim.subtitles import lecture_cues, srt, vtt
from scenes.voice import decode

RATE, LAYOUT = 48000, "stereo"  # the lecture's sound, as each scene's (manim writes 48 kHz stereo)

DISSOLVE = 0.5  # seconds: each scene's end dissolves into the next scene's first picture (its silent breath)

X264 = {"crf": "23", "preset": "ultrafast"}  # as the render workers encode scenes (scenes/engine.py)


def assemble(videos: list[Path], out: Path, titles: list[str]) -> None:
    """The whole lecture as one video, its chapters, its subtitles (SRT) and its narration script."""
    beats = [json.loads(v.with_suffix(".beats.json").read_text(encoding="utf-8")) for v in videos]
    durations = concat_videos(videos, out / "lecture.mp4", titles)
    starts = np.concatenate([[0.0], np.cumsum(durations)])
    chapters = [f"{chapter_time(start)} {title}" for title, start in zip(titles, starts)]
    cues = lecture_cues(beats, durations)
    write_text(out / "lecture.srt", srt(cues))
    write_text(out / "lecture.vtt", vtt(cues))
    write_text(out / "lecture.chapters.txt", "\n".join(chapters) + "\n")
    script = [f"{b.get('id', doc['scene'])}\t{b.get('say') or b['text']}" for doc in beats for b in doc["beats"]]
    write_text(out / "lecture.narration.txt", "\n".join(script) + "\n")


def chapter_time(seconds: float) -> str:
    """A chapter's start as video sites read it in a description: 0:00, 0:11, 12:05, 1:02:03."""
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def video_duration(video: Path) -> float:
    """Seconds from the first packet to the end of the last, read without decoding."""
    import av

    with av.open(str(video)) as src:
        stream = src.streams.video[0]
        end = 0.0
        for packet in src.demux(stream):
            if packet.pts is not None:
                end = max(end, float((packet.pts + (packet.duration or 0)) * stream.time_base))
    return end


def concat_videos(videos: list[Path], out: Path, titles: list[str] | None = None) -> list[float]:
    """Join scene videos, one chapter per scene, and their sound as one AAC track, each scene's at its start.

    The scenes' packets are copied (they share codec, settings and frame rate), but for each scene's last
    group of pictures before the next scene: that is encoded again, its last DISSOLVE seconds dissolving into
    the next scene's first picture (`dissolved_tail`). Returns each video's duration in seconds.
    """
    from fractions import Fraction

    import av

    durations = [video_duration(v) for v in videos]
    titles = titles or [v.stem for v in videos]
    partial = temporary_name(out)  # left only if this process dies; the next render sweeps it
    starts = np.concatenate([[0.0], np.cumsum(durations)])
    with av.open(str(partial), "w", format="mp4") as dst:
        with av.open(str(videos[0])) as first:
            stream = dst.add_stream_from_template(first.streams.video[0])
        audio = None
        if any(map(has_sound, videos)):  # (the fast coder: half the time of the default, for speech)
            audio = dst.add_stream("aac", rate=RATE, layout=LAYOUT, options={"aac_coder": "fast"})
        dst.set_chapters(
            [
                {
                    "id": i + 1,
                    "start": int(starts[i] * 1000),
                    "end": int(starts[i + 1] * 1000),
                    "time_base": Fraction(1, 1000),
                    "metadata": {"title": title},
                }  # fmt: skip
                for i, title in enumerate(titles)
            ]
        )
        for i, (video, offset) in enumerate(zip(videos, starts)):
            with av.open(str(video)) as src:
                source = src.streams.video[0]
                shift = int(round(offset / source.time_base))
                packets = [p for p in src.demux(source) if p.dts is not None]
                if i + 1 < len(videos):
                    packets = dissolved_tail(source, packets, videos[i + 1])
                for packet in packets:
                    packet.pts += shift
                    packet.dts += shift
                    packet.stream = stream
                    dst.mux(packet)
        if audio is not None:
            encode_audio(dst, audio, lecture_sound(videos, starts))
    os.replace(partial, out)
    return durations


def dissolved_tail(source, packets: list, following: Path) -> list:
    """A scene's packets with its last group of pictures encoded again, its last DISSOLVE seconds dissolving
    into the first picture of `following`; as they were if the new stream's parameters would differ from the
    scene's (another encoder or settings than the render workers': the join stays a plain cut)."""
    import io

    import av

    key = max((i for i, p in enumerate(packets) if p.is_keyframe), default=None)
    if key is None or source.codec_context.name != "h264":
        return packets
    step = int(round(1 / (source.average_rate * source.time_base)))
    frames = [f.to_ndarray(format="yuv420p") for p in [*packets[key:], None] for f in source.codec_context.decode(p)]
    with av.open(str(following)) as nxt:
        target = next(nxt.decode(video=0)).to_ndarray(format="yuv420p").astype(np.float32)
    if len(frames) != len(packets) - key or frames[0].shape != target.shape:
        return packets
    n = min(len(frames), int(round(DISSOLVE * float(source.average_rate))))
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as encoded:
        out = encoded.add_stream("libx264", rate=source.average_rate, options=dict(X264))
        out.width, out.height, out.pix_fmt = source.width, source.height, "yuv420p"
        for i, frame in enumerate(frames):
            j = i - (len(frames) - n)
            if j >= 0:  # (1 - w) of the scene, w of the next picture, w rising to n / (n + 1): the cut comes last
                w = (j + 1) / (n + 1)
                frame = ((1 - w) * frame + w * target).round().astype(np.uint8)
            picture = av.VideoFrame.from_ndarray(frame, format="yuv420p")
            picture.pts = i
            encoded.mux(out.encode(picture))
        encoded.mux(out.encode(None))
    buffer.seek(0)
    with av.open(buffer) as encoded:
        made = encoded.streams.video[0]
        tail = [p for p in encoded.demux(made) if p.dts is not None]
        same = made.codec_context.extradata == source.codec_context.extradata
    if not same or len(tail) != len(frames):
        return packets
    for i, packet in enumerate(tail):
        packet.pts = packet.dts = packets[key].pts + i * step
        packet.duration = step
        packet.time_base = source.time_base
    return packets[:key] + tail


def has_sound(video: Path) -> bool:
    import av

    with av.open(str(video)) as src:
        return bool(src.streams.audio)


def lecture_sound(videos: list[Path], starts: np.ndarray):
    """The scenes' sound laid end to end at RATE, LAYOUT: one (channels, samples) block a scene, each as long
    as the scene's video (silence for a scene without sound)."""
    bounds = np.round(starts * RATE).astype(int)
    for video, begin, end in zip(videos, bounds, bounds[1:]):
        block = np.zeros((2, end - begin), np.float32)
        if has_sound(video):
            samples = decode(video, RATE, LAYOUT)[:, : end - begin]
            block[:, : samples.shape[1]] = samples
        yield block


def encode_audio(dst, stream, blocks, frame: int = 1024) -> None:
    """Encode blocks of (channels, samples) floats, one after the other, into an open output's audio stream."""
    import av

    pending, done = np.zeros((2, 0), np.float32), 0
    for block in itertools.chain(blocks, [None]):  # (one scene's sound at a time)
        if block is not None:
            pending = np.concatenate([pending, block], axis=1)
        while pending.shape[1] >= frame or (block is None and pending.shape[1]):
            chunk = av.AudioFrame.from_ndarray(np.ascontiguousarray(pending[:, :frame]), format="fltp",
                                               layout=LAYOUT)  # fmt: skip
            chunk.sample_rate, chunk.pts = RATE, done
            done += chunk.samples
            pending = pending[:, frame:]
            for packet in stream.encode(chunk):
                dst.mux(packet)
    for packet in stream.encode(None):
        dst.mux(packet)
