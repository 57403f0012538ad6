"""One settings source: every setting, its default and its choices in model/settings.py, read by the command line,
lecture files and scenes run with plain manim alike; the training knobs' defaults in TrainConfig alone."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from gptanim.cli import TRAIN_OPTIONS, build_parser, main, resolved, settings_from
from gptanim.lecture import load_lecture
from model.errors import GptanimError
from model.settings import SETTING, TrainConfig
from scenes.source import trace_options


def test_the_themes_are_the_settings_choices_everywhere():
    from scenes import style

    assert tuple(style.THEMES) == SETTING["theme"].choices  # a palette for each choice, no other
    render = build_parser()._subparsers._group_actions[0].choices["render"]
    theme = next(a for a in render._actions if a.dest == "theme")
    assert tuple(theme.choices) == SETTING["theme"].choices
    with pytest.raises(GptanimError, match="invalid theme 'sepia'; choose dark or light"):
        SETTING["theme"].check("sepia")


def test_a_lecture_files_bad_theme_is_refused_as_it_is_read(tmp_path):
    lecture = tmp_path / "l.toml"
    lecture.write_text('[settings]\ntheme = "sepia"\n')
    with pytest.raises(GptanimError, match=r"l\.toml: invalid theme 'sepia'; choose dark or light"):
        load_lecture(lecture)


def test_truncate_is_a_setting_of_the_table(tmp_path):
    args = build_parser().parse_args(["trace"])
    assert args.truncate is None and settings_from(args).truncate is False  # the table's default
    assert settings_from(build_parser().parse_args(["trace", "--truncate"])).truncate is True
    lecture = tmp_path / "l.toml"
    lecture.write_text("[settings]\ntruncate = true\n")
    assert settings_from(args, load_lecture(lecture)).truncate is True
    assert resolved(args, load_lecture(lecture))["truncate"] is True
    lecture.write_text('[settings]\ntruncate = "yes"\n')
    with pytest.raises(GptanimError, match="setting 'truncate' must be true or false"):
        load_lecture(lecture)


def test_the_sampling_cuts_and_the_other_context_come_from_the_table(tmp_path):
    args = build_parser().parse_args(["trace"])
    plain = settings_from(args)
    assert (plain.top_k, plain.top_p) == (None, None)  # the continuation is not cut
    assert plain.cuts_shown() == (SETTING["top_k"].example, SETTING["top_p"].example) == (5, 0.9)
    assert plain.other_context == SETTING["other_context"].default
    given = settings_from(build_parser().parse_args(["trace", "--top-k", "3", "--other-context", "The dragon"]))
    assert given.cuts_shown() == (3, 0.9) and given.other_context == "The dragon"
    lecture = tmp_path / "l.toml"
    lecture.write_text('[settings]\ntop_p = 0.5\nother_context = "In a castle"\n')
    from_lecture = settings_from(args, load_lecture(lecture))
    assert from_lecture.cuts_shown() == (5, 0.5) and from_lecture.other_context == "In a castle"
    with pytest.raises(GptanimError, match="--other-context must be some text"):
        settings_from(build_parser().parse_args(["trace", "--other-context", "  "]))


def test_plain_manim_reads_the_same_settings():
    assert trace_options({"GPTANIM_PROMPT": "The wolf", "GPTANIM_TRUNCATE": "1", "HOME": "/"}) == [
        "--prompt",
        "The wolf",
        "--truncate",
    ]
    assert trace_options({"GPTANIM_TRUNCATE": "0", "GPTANIM_SEED": "3"}) == ["--seed", "3"]
    with pytest.raises(GptanimError, match="GPTANIM_TRUNCATE='maybe': give 1 or 0"):
        trace_options({"GPTANIM_TRUNCATE": "maybe"})


def test_training_defaults_are_train_configs():
    args = build_parser().parse_args(["train", "--corpus", "c", "--out", "o"])
    defaults = {f.name: f.default for f in fields(TrainConfig)}
    named = [name for _, name, _, _ in TRAIN_OPTIONS]
    assert len(named) == 12 and set(named) <= set(defaults)
    for name in named:
        given = getattr(args, name)
        assert (tuple(given) if isinstance(given, list) else given) == defaults[name], name


def test_train_refuses_neither_steps_nor_minutes_before_reading(tmp_path, capsys):
    cfg = TrainConfig(corpus=Path(tmp_path), out=tmp_path / "out", steps=None)
    with pytest.raises(GptanimError, match="give a number of steps or a time budget"):
        cfg.check()
    assert main(["train", "--corpus", str(tmp_path / "none"), "--out", str(tmp_path / "o")]) == 2
    assert "no such folder" in capsys.readouterr().err
