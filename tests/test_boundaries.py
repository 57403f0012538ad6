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


def test_the_project_import_graph_has_no_circle():
    """Every import between the project's modules, lazy ones inside functions included, forms no cycle."""
    import ast

    graph = {}
    for folder in ("model", "scenes", "gptanim"):
        for path in (ROOT / folder).glob("*.py"):
            deps = set()
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                else:
                    continue
                deps |= {n for n in names if (ROOT / (n.replace(".", "/") + ".py")).exists()}
            graph[f"{folder}.{path.stem}"] = deps - {f"{folder}.{path.stem}"}

    def visit(node, stack):
        assert node not in stack, "import circle: " + " → ".join([*stack[stack.index(node) :], node])
        for dep in graph.get(node, ()):
            visit(dep, [*stack, node])

    for module in graph:
        visit(module, [])
