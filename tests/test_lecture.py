"""Lecture files, rendering, reuse, subtitles, preview, and safe outputs."""

from __future__ import annotations

import json
import re
import time

import pytest

from gptanim.cli import main
from gptanim.join import chapter_time
from gptanim.lecture import DEFAULT_LECTURE, Lecture, load_lecture
from gptanim.render import render_lecture, render_scene
from model.errors import GptanimError
from model.run import TraceSettings, trace
from model.trace_data import Trace
from scenes.catalog import (
    BY_NAME,
    DEFAULT_TITLE,
    SCENES,
    custom_scene,
    lecture_parts,
    readable_title,
    road_map,
    road_map_table,
)


def test_default_lecture_names_every_scene_in_the_catalog():
    lecture = load_lecture(DEFAULT_LECTURE)
    assert sorted(lecture.scenes) == sorted(s.name for s in SCENES)
    assert lecture.settings == {}  # the defaults, from model/settings.py


def test_the_road_map_is_the_default_lecture_in_parts():
    lecture = load_lecture(DEFAULT_LECTURE)
    assert lecture.scenes == [s.name for s in SCENES]  # the lecture in the catalog's order (`gptanim list`)
    assert lecture.scenes[0] == "Title" and lecture.scenes[-1] == "Recap"
    assert [name for _, names in road_map() for name in names] == lecture.scenes[1:]  # every scene but Title's
    assert [part for part, _ in road_map()][0] == "What a GPT does" and len(road_map()) == 5
    readme = (DEFAULT_LECTURE.parent.parent / "README.md").read_text(encoding="utf-8")
    assert road_map_table() in readme, f"README.md's table of the lecture is not the catalog's:\n{road_map_table()}"


def test_a_lecture_is_drawn_in_parts_by_its_own_scenes():
    """The Title's road map: runs of built-in scenes of one part, a scene of your own a part under its title; a
    lecture file without a title has the default lecture's (the title a scene shows without a lecture)."""
    chapters = [["Title", "Hello"], ["Softmax", "Softmax"], ["Mine", "My own"], ["Temperature", "T"], ["Recap", "R"]]
    assert lecture_parts(chapters) == [("From vector to next token", ["Softmax"], True), ("My own", ["My own"], False),
                                       ("From vector to next token", ["T", "R"], True)]  # fmt: skip
    assert load_lecture(DEFAULT_LECTURE).title == DEFAULT_TITLE == Lecture().title


def test_the_default_lecture_uses_the_one_table_of_defaults():
    from gptanim.cli import resolved
    from model.settings import DEFAULTS, TraceSettings

    args = type("Args", (), {})()
    assert resolved(args, load_lecture(DEFAULT_LECTURE)) == DEFAULTS
    assert TraceSettings(prompt=DEFAULTS["prompt"]).generate == DEFAULTS["generate"]


@pytest.mark.parametrize(
    "text, needle",
    [
        ('colour = "red"', "unknown key 'colour'"),
        ('scenes = ["Title", "Nope"]', "unknown scene 'Nope'"),
        ('[settings]\ntemperature = "hot"', "must be a number"),
        ("[settings]\nseed = 1.5", "must be a whole number"),
        ("[settings]\nvolume = 3", "unknown setting 'volume'"),
        ("scenes = [", "not valid TOML"),
    ],
)
def test_bad_lecture_files_are_one_line_exit_2(text, needle, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    assert main(["render", "--lecture", str(bad), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err


def test_chapter_times_read_as_on_video_sites():
    assert [chapter_time(t) for t in (0, 11.9, 605, 3723.5)] == ["0:00", "0:11", "10:05", "1:02:03"]


def test_lecture_file_titles_and_scenes_of_your_own(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "extra.py").write_text("class MyScene:\n    pass\n")
    lecture = tmp_path / "l.toml"
    lecture.write_text('scenes = ["Title", "mine/extra.py:MyScene"]\n[titles]\nTitle = "Welcome"\n')
    loaded = load_lecture(lecture)
    assert loaded.scenes == ["Title", f"{(tmp_path / 'mine' / 'extra.py').resolve()}:MyScene"]
    entries = [BY_NAME["Title"], custom_scene(loaded.scenes[1]), BY_NAME["Softmax"]]
    assert [loaded.title_of(e) for e in entries] == ["Welcome", "My scene", "Softmax"]


@pytest.mark.parametrize(
    "text, needle",
    [
        ('scenes = ["nowhere.py:Scene"]', "no such file"),
        ('scenes = ["l.toml.py:Nope"]', "defines no class 'Nope'"),
        ("[titles]\nTitle = 3", "[titles] must be a table"),
    ],
)
def test_bad_scenes_of_your_own_are_one_line(text, needle, tmp_path, capsys):
    (tmp_path / "l.toml.py").write_text("class Other:\n    pass\n")
    bad = tmp_path / "l.toml"
    bad.write_text(text)
    assert main(["render", "--lecture", str(bad), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--scenes", "Title,Nope"], "valid scenes: Title"),
        (["-q", "x"], "invalid quality 'x'"),
    ],
)
def test_bad_render_flags(args, needle, tmp_path, capsys):
    assert main(["render", *args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err


def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["render", "--scenes", "Title", "--out", str(blocker / "renders")]) == 2
    assert "cannot write to the output folder" in capsys.readouterr().err


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, embedded):
    out = tmp_path_factory.mktemp("renders")
    settings = TraceSettings(prompt="The wolf said", generate=3)
    tr = trace(settings, embedded)
    trace_file = tr.save(out / "t.npz")
    scenes = [BY_NAME["Title"], BY_NAME["Softmax"], BY_NAME["InsideTransformer"]]
    result = render_lecture(tr, trace_file, out, "l", scenes, jobs=2, progress=False)
    return out, tr, scenes, result, embedded


def test_render_writes_videos_stills_lecture_and_subtitles(rendered):
    _, tr, scenes, result, _ = rendered
    folder = result["folder"]
    assert result["rendered"] == 3
    for video in result["videos"]:
        assert video.stat().st_size > 10_000
        assert video.with_suffix(".png").exists()
    assert (folder / "lecture.mp4").stat().st_size > sum(v.stat().st_size for v in result["videos"]) * 0.9
    srt = (folder / "lecture.srt").read_text()
    beats = json.loads(result["videos"][0].with_suffix(".beats.json").read_text())
    assert " ".join(beats["beats"][0]["text"].split()) in " ".join(srt.split()) and " --> " in srt  # (lines wrap)
    chapters = (folder / "lecture.chapters.txt").read_text().splitlines()
    titles = [readable_title(s.name) for s in scenes]
    assert chapters[0] == "0:00 What GPT stands for"  # as video sites read chapters in a description
    assert [c.split(" ", 1)[1] for c in chapters] == titles
    assert all(re.fullmatch(r"\d+:\d\d .+", c) for c in chapters)
    import av

    with av.open(str(folder / "lecture.mp4")) as lecture:
        marks = lecture.chapters()
        assert [m["metadata"]["title"] for m in marks] == titles
        starts = [m["start"] * m["time_base"] for m in marks]
        assert [c.split()[0] for c in chapters] == [chapter_time(float(t)) for t in starts]
        frames = sum(1 for _ in lecture.decode(video=0))
    per_scene = 0
    for video in result["videos"]:
        with av.open(str(video)) as one:
            per_scene += sum(1 for _ in one.decode(video=0))
    assert frames == per_scene  # every frame of every scene, once
    assert Trace.load(folder / "trace.npz").info == tr.info


def test_unchanged_render_is_reused(rendered):
    out, tr, scenes, result, _ = rendered
    start = time.perf_counter()
    again = render_lecture(tr, result["folder"] / "trace.npz", out, "l", scenes, jobs=2, progress=False)
    assert again["rendered"] == 0
    assert time.perf_counter() - start < 60  # no scene rendered again; only the lecture is re-joined


def test_changing_only_the_temperature_rerenders_only_its_scenes(rendered, tmp_path):
    out, _, scenes, _, embedded = rendered
    hot = trace(TraceSettings(prompt="The wolf said", generate=3, temperature=1.7), embedded)
    again = render_lecture(hot, hot.save(tmp_path / "hot.npz"), out, "l", scenes, jobs=2, progress=False)
    assert again["rendered"] == sum(s.uses_temperature for s in scenes) == 1
    assert again["folder"] != rendered[3]["folder"]


def test_a_failed_render_leaves_the_good_video_in_place(rendered, tmp_path):
    _, _, scenes, result, _ = rendered
    video = result["videos"][0]
    before = video.read_bytes()
    bogus = tmp_path / "bogus.npz"
    bogus.write_bytes(b"not a trace")
    with pytest.raises(GptanimError):
        render_scene(scenes[0], bogus, video, "l")
    assert video.read_bytes() == before
    assert not list(video.parent.glob("*.part*"))


def test_preview_writes_stills_and_a_contact_sheet(tmp_path, capsys):
    assert main(["preview", "--scenes", "Title,Softmax", "--prompt", "The wolf said", "--out", str(tmp_path)]) == 0
    sheets = list(tmp_path.rglob("contact-sheet.png"))
    assert len(sheets) == 1
    assert len(list(sheets[0].parent.glob("*-*.png"))) == 3  # two stills and the sheet
