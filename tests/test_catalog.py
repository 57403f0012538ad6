"""The catalog: each scene's metadata block, read from its file without importing manim, is what the class says."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from model.errors import GptanimError
from model.trace_data import SECTIONS
from scenes.catalog import (
    BY_NAME,
    METADATA,
    SCENE_DIR,
    SCENES,
    SceneEntry,
    builtin_scenes,
    class_heads,
    custom_scene,
    lecture_names,
)

ROOT = Path(__file__).resolve().parent.parent


def test_the_catalog_reads_what_each_scene_class_says():
    from scenes.base import TraceScene

    classes = {}
    for path in sorted(SCENE_DIR.glob("*.py")):
        module = importlib.import_module(f"scenes.{path.stem}")
        classes |= {name: (path.stem, cls) for name, cls in vars(module).items()
                    if inspect.isclass(cls) and issubclass(cls, TraceScene) and cls is not TraceScene
                    and cls.__module__ == module.__name__}  # fmt: skip
    assert set(classes) == set(BY_NAME)  # every scene class of scenes/ has its block, and nothing else is a scene
    for entry in SCENES:
        module, cls = classes[entry.name]
        assert entry.module == module
        for attribute, (field, _) in METADATA.items():
            if attribute in vars(cls):
                assert getattr(entry, field) == vars(cls)[attribute], (entry.name, attribute)
            else:
                assert getattr(entry, field) == getattr(SceneEntry(entry.name, module), field), (entry.name, attribute)
        assert entry.title and entry.summary and set(entry.sections) <= set(SECTIONS)


def test_the_catalog_is_the_default_lecture_in_order_without_importing_manim():
    assert [entry.name for entry in SCENES] == lecture_names()
    code = "import sys; import scenes.catalog; print('manim' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "False"


SCENE_FILE = '''"""A new scene."""

from scenes.base import TraceScene

NOTE = """a string
at the line's start"""


class Arrow(TraceScene):
    """Draws an arrow."""

    TITLE = "An arrow"
    PART = "Extras"
    SUMMARY = "One arrow."
    SECTIONS = ["chat"]
    RENDER_SECONDS = 2.5

    def construct(self):
        pass


class Helper:
    pass
'''


def test_a_new_scene_is_its_file_and_a_line_in_the_lecture(tmp_path):
    (tmp_path / "extra.py").write_text(SCENE_FILE)
    (tmp_path / "old.py").write_text(SCENE_FILE.replace("Arrow", "Circle").replace("An arrow", "A circle"))
    lecture = tmp_path / "lecture.toml"
    lecture.write_text('scenes = ["Arrow", "Circle"]\n')
    arrow, circle = builtin_scenes(tmp_path, lecture)
    assert arrow == SceneEntry("Arrow", "extra", "One arrow.", sections=("chat",), render_weight=2.5, title="An arrow",
                               part="Extras")  # fmt: skip
    assert circle.name == "Circle" and circle.module == "old" and circle.title == "A circle"
    lecture.write_text('scenes = ["Circle"]\n')  # a scene the lecture leaves out comes after its scenes
    assert [e.name for e in builtin_scenes(tmp_path, lecture)] == ["Circle", "Arrow"]
    for broken in ("scenes = [", 'scenes = "Arrow"', "scenes = [1, 2]"):  # its reader says what is wrong with it
        lecture.write_text(broken)
        assert lecture_names(lecture) == [] and [e.name for e in builtin_scenes(tmp_path, lecture)] == [
            "Arrow",
            "Circle",
        ]


def test_class_heads_are_the_classes_of_the_whole_module():
    for path in sorted(SCENE_DIR.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        whole = [node for node in ast.parse(text).body if isinstance(node, ast.ClassDef)]
        heads = class_heads(text, str(path))
        assert [(h.name, h.lineno) for h in heads] == [(c.name, c.lineno) for c in whole], path.name
    cut = class_heads(SCENE_FILE.replace('    """Draws an arrow."""', '    """Draws\nan arrow."""'), "x.py")
    assert [node.name for node in cut] == ["Arrow", "Helper"]  # cut inside a string: the whole module is parsed


@pytest.mark.parametrize(
    "line, needle",
    [
        ('    TITLE = "An " + "arrow"', "Arrow.TITLE must be a literal value"),
        ("    RENDER_SECONDS = True", "Arrow.RENDER_SECONDS has the wrong type"),
        ('    SECTIONS = ("chats",)', "Arrow.SECTIONS names 'chats'; the sections are learning, chat"),
    ],
)
def test_a_bad_metadata_block_is_one_line_naming_its_place(line, needle, tmp_path):
    attribute = line.split("=")[0]
    text = "\n".join(line if row.startswith(attribute) else row for row in SCENE_FILE.splitlines())
    (tmp_path / "extra.py").write_text(text)
    with pytest.raises(GptanimError) as err:
        custom_scene(f"{tmp_path / 'extra.py'}:Arrow")
    assert needle in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(GptanimError, match=f"{tmp_path.name}/extra.py:\\d+: {needle}"):
        builtin_scenes(tmp_path, ROOT / "lectures" / "default.toml")


def test_a_scene_of_your_own_is_read_the_same_way(tmp_path):
    (tmp_path / "extra.py").write_text(SCENE_FILE)
    arrow = custom_scene(f"{tmp_path / 'extra.py'}:Arrow")
    assert (arrow.title, arrow.summary, arrow.sections, arrow.uses_temperature) == ("An arrow", "One arrow.",
                                                                                   ("chat",), True)  # fmt: skip
    assert arrow.file == str((tmp_path / "extra.py").resolve()) and arrow.module == ""
    helper = custom_scene(f"{tmp_path / 'extra.py'}:Helper")  # no block: it may show anything
    assert (helper.title, helper.sections, helper.uses_temperature) == ("Helper", SECTIONS, True)
    assert helper.summary == "your scene from extra.py"
    example = custom_scene(str(ROOT / "examples" / "my_scene.py:NextTokenGuess"))
    assert (example.title, example.sections, example.uses_temperature) == ("What comes next", (), True)


def test_a_scene_is_drawn_again_only_when_a_part_it_reads_changes():
    import inspect as inspecting

    import numpy as np

    from gptanim.keys import fingerprint
    from model.trace_data import PARTS, READABLE, Trace

    source = inspecting.getsource(fingerprint)
    named = [*BY_NAME, *(f'"{s}"' for s in (*SECTIONS, *READABLE))]
    assert not [name for name in named if name in source]  # names no scene and no part
    settings = {"prompt": "Once", "temperature": 1.0, "chat_system": "Owl.", "chat_user": "Hi?", "top_k": None,
                "top_p": None, "other_context": "Far away"}  # fmt: skip
    info = {"tokens": {"ids": [1]}, "continuation": {"ids": [2]}, "vocab_display": {"2": "a"}, "chat": {"ids": [3]},
            "learning": {"steps": 4}, "truncation": {"k": 5}, "comparisons": [], "context_pair": {"cosines": [1]}}  # fmt: skip
    base = Trace({"settings": settings}, {"logits": np.zeros(3)}, info)
    assert set(PARTS) == {*SECTIONS, *READABLE, "continuation"}
    reader_kinds = [
        (True, SECTIONS, READABLE),
        (False, (), ()),
        (True, (), READABLE[:1]),
        (False, SECTIONS, READABLE[1:]),
    ]
    for part, reads in PARTS.items():
        changed = Trace({"settings": dict(settings)}, base.arrays, dict(info))
        for setting in reads["settings"]:
            changed.meta["settings"][setting] = "other"
        for key in reads["info"]:
            changed.info[key] = {"other": True}
        for temperature, sections, parts in reader_kinds:
            reading = temperature if part == "continuation" else part in sections or part in parts
            same = fingerprint(changed, temperature, sections, parts) == fingerprint(base, temperature, sections, parts)
            assert same != reading, (part, temperature, sections, parts)
    assert fingerprint(base, False, ()) != fingerprint(Trace(base.meta, {"logits": np.ones(3)}, info), False, ())


def test_a_scene_that_reads_a_part_of_the_trace_says_so():
    """A scene whose class reads an info key of a part (trace_data.PARTS: `info["truncation"]`, "info.comparisons.0")
    names the part in its metadata: else its video would be kept when that part changes."""
    import re

    from model.trace_data import PARTS, READABLE

    checked = 0
    for entry in SCENES:
        text = (SCENE_DIR / f"{entry.module}.py").read_text()
        node = next(n for n in ast.parse(text).body if isinstance(n, ast.ClassDef) and n.name == entry.name)
        source = ast.get_source_segment(text, node)
        for part in READABLE:
            reading = [key for key in PARTS[part]["info"] if re.search(rf"[\"'.]{key}\b", source)]
            assert not reading or part in entry.reads, (entry.name, part, reading)
            checked += bool(reading)
    assert checked >= 3  # TopKTopP and Temperature read the sampling part, ContextEmbedding the context
