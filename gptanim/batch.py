"""`gptanim batch PROMPTS`: a lecture per prompt (a class's prompts), one progress bar over all their scenes.

PROMPTS is a text file, one prompt a line (blank lines skipped), or a TOML file with a list `prompts` whose
items are prompts or tables of settings for one prompt (`{prompt = "…", temperature = 0.7, seed = 3}`); those
settings win over the command line's, which win over the lecture file's. Every Trace is computed first (by
this process, cached); then the scenes that the store lacks are rendered, each once however many lectures show
it, locally or on a Dask cluster (`--cluster`); then each lecture is joined and its deck built, and
`index.html` in the output folder links each lecture, its deck and its handout.
"""

from __future__ import annotations

import argparse
import tomllib
from html import escape
from pathlib import Path

from gptanim.atomic import write_text
from gptanim.lecture import check_setting
from model.errors import GptanimError
from model.files import read_limited

MAX_BYTES = 10_000_000  # a class's prompts, not a corpus


def read_prompts(path: Path) -> list[dict]:
    """Each prompt's settings ({"prompt": …, and any other setting}); every problem is one line naming the file."""
    data = read_limited(path, "prompts file", MAX_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GptanimError(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    if path.suffix.lower() != ".toml":
        items = [{"prompt": line} for line in text.splitlines() if line.strip()]
    else:
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise GptanimError(f"{path} is not valid TOML: {exc}") from None
        if set(doc) != {"prompts"} or not isinstance(doc["prompts"], list):
            raise GptanimError(f"{path}: give one key, prompts, a list of prompts or of tables of settings")
        items = [item if isinstance(item, dict) else {"prompt": item} for item in doc["prompts"]]
    if not items:
        raise GptanimError(f"{path} has no prompt")
    for number, item in enumerate(items, start=1):
        for key, value in item.items():
            check_setting(key, value, f"{path}: prompt {number}: ")
        if "prompt" not in item:
            raise GptanimError(f"{path}: prompt {number} has no prompt")
    return items


def run_batch(args, steps, pools=None) -> list[dict]:
    """Render a lecture per prompt of `args.prompts` (see the module's docstring); each lecture's result.

    `steps`: the command line's own steps (`gptanim.cli`: lecture_trace, checked_narration, resolved, theme_of,
    say), passed in by it, so that a prompt's lecture is read and checked as `render` reads it without this
    module importing the command line that imports it."""
    from gptanim.choose import pick_scenes
    from gptanim.render import QUALITIES, finish_lecture, plan_lecture, render_plans, report

    items = read_prompts(Path(args.prompts))
    out = Path(args.out)
    plans, prompts = [], []
    for number, item in enumerate(items, start=1):
        one = argparse.Namespace(**{**vars(args), **item})
        steps.say(args, f"prompt {number} of {len(items)}: {item['prompt'][:60]!r}")
        lecture, trace, trace_file = steps.lecture_trace(one, names=args.scenes)
        scenes = pick_scenes(lecture.scenes if args.scenes is None else args.scenes)
        quality = one.quality or lecture.settings.get("quality", "l")
        if quality not in QUALITIES:
            raise GptanimError(f"prompt {number}: invalid quality {quality!r}; choose one of {', '.join(QUALITIES)}")
        narration = steps.checked_narration(one, lecture, scenes, trace_file)
        plans.append(plan_lecture(trace, trace_file, out, quality, scenes, [lecture.title_of(s) for s in scenes],
                                  steps.theme_of(one, lecture), steps.resolved(one, lecture)["voice"], narration,
                                  lecture.title))  # fmt: skip
        prompts.append((item, lecture))
    todo = len({plan.stored[e.name] for plan in plans for e in plan.todo})
    total = len({path for plan in plans for path in plan.stored.values()})
    report(not args.quiet, f"rendering {todo} of the {total} scenes of {len(plans)} lectures ({total - todo} stored)")
    if todo:
        render_plans(plans, out, args.jobs, not args.quiet, pools)
    results = []
    for plan, (item, lecture) in zip(plans, prompts):
        result = finish_lecture(plan, not args.quiet)
        if not args.no_deck:
            result["deck"] = deck_of(lambda text: steps.say(args, text), lecture, plan, result)
        results.append({**result, "prompt": item["prompt"], "settings": item})
    write_index(out / "index.html", results)
    return results


def deck_of(say, lecture, plan, result) -> dict:
    """The lecture's deck (deck.html, deck.pptx, handout.pdf), as `gptanim slides` builds it; `say(text)` tells
    its progress."""
    import json

    from gptanim.slides import build_deck

    beats = [json.loads(v.with_suffix(".beats.json").read_text(encoding="utf-8")) for v in result["videos"]]
    names = [e.name for e in plan.scenes]
    return build_deck(result["slides"], names, lecture.title, plan.titles, report=say,
                      theme=plan.theme, beats=beats)  # fmt: skip


def write_index(path: Path, results: list[dict]) -> None:
    """index.html: a row per lecture, its prompt and settings, links to its video, deck and handout."""
    rows = []
    for result in results:

        def link(target: Path | None, text: str) -> str:
            if target is None or not target.exists():
                return "<td></td>"
            return f'<td><a href="{escape(str(target.relative_to(path.parent)))}">{text}</a></td>'

        deck = result.get("deck") or {}
        others = ", ".join(f"{k} {v}" for k, v in result["settings"].items() if k != "prompt")
        rows.append(f"<tr><td>{escape(result['prompt'])}</td><td>{escape(others)}</td>"
                    f"{link(result['folder'] / 'lecture.mp4', 'lecture.mp4')}{link(deck.get('html'), 'deck')}"
                    f"{link(deck.get('pdf'), 'handout')}</tr>")  # fmt: skip
    page = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>gptanim lectures</title></head><body>\n"
            "<h1>gptanim lectures</h1>\n<table>\n<tr><th>prompt</th><th>settings</th><th>video</th><th>deck</th>"
            "<th>handout</th></tr>\n" + "\n".join(rows) + "\n</table>\n</body></html>\n")  # fmt: skip
    write_text(path, page)
