"""No function of the package is longer than a screen: each can be read whole."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LONGEST = 80  # lines, from `def` (or its first decorator) to the last line of its body


def functions(folder: str):
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                yield f"{path.relative_to(ROOT)}:{node.lineno} {node.name}", node.end_lineno - first + 1


def test_functions_are_short():
    found = [(where, lines) for folder in ("model", "scenes", "gptanim") for where, lines in functions(folder)]
    assert len(found) > 500  # the three packages were read
    long = [f"{where} has {lines} lines" for where, lines in found if lines > LONGEST]
    assert not long, f"functions over {LONGEST} lines: " + "; ".join(long)
