"""Whether a change of the code changed what gptanim shows: the Traces and the last frames of some scenes, made by
two checkouts (another one, e.g. a git worktree of main, and this one) for the same prompts, compared.

    git worktree add --detach /tmp/base main          # (with .venv and third_party linked as in this checkout)
    .venv/bin/python bench/trace_compare.py --base /tmp/base --out /tmp/compare

Each checkout runs `gptanim trace --all` and `gptanim preview` (silent, one job) with a cache folder of its own
under --out (Traces are cached by the code's hash: a fresh folder makes each checkout compute its own). What is
already in --out is used again (--fresh makes it anew). Prints every difference: each Trace array, each meta and
info value (but the keys given with --moved: changed on purpose), each scene's last frame (pixels that differ).
Asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.trace_data import Trace  # noqa: E402

PROMPTS = ["Once upon a time, a little girl", "The king said to his daughter"]
SCENES = "Title,Tokenization,ContextEmbedding,TopKTopP,Temperature"


def made(checkout: Path, label: str, out: Path, prompts: list[str], scenes: str, fresh: bool) -> list[tuple]:
    """Each prompt's Trace file and preview folder made by `checkout`."""
    env = os.environ | {"GPTANIM_CACHE": str(out / f"cache-{label}"), "GPTANIM_WARM": "0"}
    python = str(checkout / ".venv" / "bin" / "python")
    results = []
    for n, prompt in enumerate(prompts, 1):
        trace_file, preview = out / f"{label}-p{n}.npz", out / f"{label}-prev{n}"
        if fresh or not trace_file.exists():
            run([python, "-m", "gptanim", "trace", "-Q", "--prompt", prompt, "--all", "--out", str(trace_file)],
                checkout, env)  # fmt: skip
        if scenes and (fresh or not list(preview.glob("*/preview/*.png"))):
            run([python, "-m", "gptanim", "preview", "-Q", "--no-warm", "--prompt", prompt, "--scenes", scenes,
                 "--voice", "none", "--jobs", "1", "--out", str(preview)], checkout, env)  # fmt: skip
        results.append((trace_file, preview))
    return results


def run(command: list[str], cwd: Path, env: dict) -> None:
    print(f"[{cwd}] {' '.join(command[1:])}", flush=True)
    subprocess.run(command, cwd=cwd, env=env, check=True)


def flat(value, path: str = "") -> dict:
    """A JSON value as {path: leaf}: 'info.truncation.top_k.kept' → 5."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in flat(item, f"{path}.{key}" if path else key).items()}
    if isinstance(value, list):
        return {k: v for j, item in enumerate(value) for k, v in flat(item, f"{path}.{j}").items()} or {path: []}
    return {path: value}


def same(a, b) -> bool:
    both_nan = isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)
    return both_nan or (a == b and type(a) is type(b))


def compare_traces(a: Trace, b: Trace, moved: list[str]) -> list[str]:
    """Every difference between two Traces, but under the `moved` paths."""
    diffs = []
    for name in sorted(set(a.arrays) | set(b.arrays)):
        if name not in a.arrays or name not in b.arrays:
            diffs.append(f"array {name}: only in {'base' if name in a.arrays else 'this checkout'}")
        elif a[name].dtype != b[name].dtype or not np.array_equal(a[name], b[name], equal_nan=True):
            diffs.append(f"array {name}: differs")
    left, right = flat({"meta": a.meta, "info": a.info}), flat({"meta": b.meta, "info": b.info})
    kept = [p for p in sorted(set(left) | set(right)) if not any(p == m or p.startswith(m + ".") for m in moved)]
    for path in kept:
        if path not in left or path not in right:
            diffs.append(f"{path}: only in {'base' if path in left else 'this checkout'}")
        elif not same(left[path], right[path]):
            diffs.append(f"{path}: {left[path]!r} → {right[path]!r}")
    return diffs


def compare_frames(a: Path, b: Path) -> list[str]:
    """Each scene's last frame in two preview folders: identical, or how many pixels differ."""
    from PIL import Image

    lines = []
    frames_a = {p.name: p for p in a.glob("*/preview/*.png") if p.name != "contact-sheet.png"}
    frames_b = {p.name: p for p in b.glob("*/preview/*.png") if p.name != "contact-sheet.png"}
    for name in sorted(set(frames_a) | set(frames_b)):
        if name not in frames_a or name not in frames_b:
            lines.append(f"frame {name}: only in {'base' if name in frames_a else 'this checkout'}")
            continue
        x, y = (np.asarray(Image.open(p).convert("RGB"), dtype=np.int16) for p in (frames_a[name], frames_b[name]))
        if x.shape != y.shape:
            lines.append(f"frame {name}: size {x.shape} → {y.shape}")
            continue
        differ = int(np.any(x != y, axis=-1).sum())
        lines.append(f"frame {name}: " + ("identical" if not differ else
                     f"{differ} of {x.shape[0] * x.shape[1]} pixels differ (largest {int(np.abs(x - y).max())})"))  # fmt: skip
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the other checkout (its .venv is used)")
    parser.add_argument("--out", required=True, help="folder for the Traces, previews and caches of both")
    parser.add_argument("--prompts", nargs="+", default=PROMPTS)
    parser.add_argument("--scenes", default=SCENES, help="scenes whose last frames are compared ('' for none)")
    parser.add_argument("--moved", nargs="*", default=["meta.settings.other_context", "meta.model_path"],
                        help="meta/info paths changed on purpose, left out of the comparison (by default the new "
                        "setting other_context, and model_path: the embedded model's folder in each checkout)")  # fmt: skip
    parser.add_argument("--fresh", action="store_true", help="make everything anew")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = made(Path(args.base).resolve(), "base", out, args.prompts, args.scenes, args.fresh)
    here = made(ROOT, "here", out, args.prompts, args.scenes, args.fresh)
    for prompt, (trace_a, preview_a), (trace_b, preview_b) in zip(args.prompts, base, here):
        a, b = Trace.load(trace_a), Trace.load(trace_b)
        diffs = compare_traces(a, b, args.moved)
        values = len(flat({"meta": a.meta, "info": a.info}))
        print(f"\n{prompt!r}: {len(a.arrays)} arrays and {values} meta/info values compared, "
              f"{len(diffs)} differences (left out: {', '.join(args.moved) or 'nothing'})")  # fmt: skip
        for line in diffs[:40]:
            print("  " + line)
        for line in compare_frames(preview_a, preview_b) if args.scenes else []:
            print("  " + line)


if __name__ == "__main__":
    main()
