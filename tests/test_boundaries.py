"""model/ computes and never imports manim; scenes/ draws and never imports torch or transformers."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports(folder: str, pattern: str) -> list[str]:
    rx = re.compile(rf"^\s*(import|from)\s+({pattern})\b", re.M)
    return [str(p) for p in (ROOT / folder).glob("*.py") if rx.search(p.read_text())]


def test_model_never_imports_manim():
    assert imports("model", "manim") == []


def test_scenes_never_import_torch_or_transformers():
    assert imports("scenes", "torch|transformers") == []


def test_importing_every_scene_module_loads_no_torch():
    code = (
        "import sys, importlib; from scenes.catalog import SCENES\n"
        "[importlib.import_module('scenes.' + s.module) for s in SCENES]\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_scenes_draw_no_random_values():
    rx = re.compile(r"\b(np\.random|random\.(random|uniform|randint|choice|gauss))")
    assert [str(p) for p in (ROOT / "scenes").glob("*.py") if rx.search(p.read_text())] == []
