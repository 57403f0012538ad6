"""The `gptanim` command: trace a prompt, render the lecture, train the embedded model."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import signal
import sys
import threading
from pathlib import Path

from model.errors import GptanimError
from model.settings import DEFAULTS, SETTING, SETTINGS

ROOT = Path(__file__).resolve().parent.parent


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def whole_number(minimum: int):
    """An argparse type: a whole number of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number ≥ {minimum}, got {text}")
        return value

    return parse


positive_int, non_negative_int = whole_number(1), whole_number(0)


def step_list(text: str) -> list[int]:
    """An argparse type: comma-separated whole numbers ≥ 1 (an empty text is no steps)."""
    return sorted({positive_int(part.strip()) for part in text.split(",") if part.strip()})


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def utf8_text(given: str) -> str:
    """An argparse type: text that is UTF-8 (the command line's bytes that are not arrive as lone surrogates)."""
    try:
        given.encode("utf-8")
    except UnicodeEncodeError as exc:
        byte = ord(given[exc.start]) - 0xDC00
        shown = f"byte 0x{byte:02x}" if 0x80 <= byte <= 0xFF else f"character {exc.start + 1}"
        raise argparse.ArgumentTypeError(f"not UTF-8 text ({shown}); give the text in UTF-8") from None
    return given


ARG_TYPES = {"text": utf8_text, "number": number, "count": non_negative_int, "int": int}  # by Setting.kind


def add_trace_options(p: argparse.ArgumentParser) -> None:
    """Options shared by trace, render and preview (model/settings.py's table, the one place a setting is
    named); unset ones (None) come from the lecture file, then the table's defaults."""
    for s in SETTINGS:
        if s.traced and s.kind == "flag":
            p.add_argument(s.flag, action="store_true", default=None, help=s.help)
        elif s.traced:
            shown = f" (default {s.default!r})" if s.default is not None and s.kind == "text" else ""
            shown = f" (default {s.default})" if s.default is not None and s.kind != "text" else shown
            shown += (
                f" (not given: the continuation is not cut, the sampling chapter shows {s.example})"
                if s.example
                else ""
            )
            p.add_argument(s.flag, type=ARG_TYPES[s.kind], help=s.help + shown)


def resolved(args, lecture=None) -> dict:
    """Each setting from the command line if given, else the lecture file, else the default."""
    settings = dict(DEFAULTS)
    if lecture is not None:
        settings.update(lecture.settings)
    for key in DEFAULTS:
        value = getattr(args, key, None)
        if value is not None:
            settings[key] = value
    if settings["model"] == "embedded":
        settings["model"] = None
    return settings


def settings_from(args, lecture=None):
    from model.settings import TraceSettings

    s = resolved(args, lecture)
    traced = {setting.name: s[setting.name] for setting in SETTINGS if setting.traced}
    return TraceSettings(**traced).validate()


def say(args, text: str) -> None:
    """One line about the phase a command is in, on stderr; nothing with --quiet."""
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr, flush=True)


def traced(args, settings, loader=None, sections=()):
    """The Trace for `settings` with `sections` (trace_data.SECTIONS), from the cache, else by running the model
    (saying so: it takes seconds). `loader(name)` gives the loaded model when it must run (the warm preview keeps
    it loaded)."""
    from model.cache import cached_path, cached_trace, is_cached

    if not is_cached(settings, sections):
        model = settings.model or "the embedded model"
        first = "" if cached_path(settings).exists() else "first time with these settings; "
        say(args, f"running {model} on the prompt ({first}torch takes a few seconds to load)")
        return cached_trace(settings, loader(settings.model) if loader else None, sections)
    return cached_trace(settings, sections=sections)


def cmd_trace(args) -> int:
    from model.files import writable_target
    from model.trace_data import SECTIONS

    out = Path(args.out) if args.out else None
    if out is not None:  # refused before the model runs: never a device, a FIFO or a link replaced
        writable_target(out, "the Trace")
    # The sections only Learning and Chat show are computed for them (render, preview), or with --all.
    result = traced(args, settings_from(args), sections=SECTIONS if args.all or args.claims else ())
    if out is not None:
        try:
            result.save(writable_target(out, "the Trace"))
        except OSError as exc:
            raise GptanimError(f"cannot write {out}: {exc.strerror}") from None
    print(summary(result))
    if args.claims:
        from model.claims import statements

        print("\nstatements (what the scenes say about these numbers, with the evidence):")
        for found in statements(result).values():
            print(found.describe())
    if args.out:
        print(f"\nTrace written to {args.out}")
    return 0


def family_line(w: dict, meta: dict) -> str:
    """The family's words: 'Llama: RMSNorm, SwiGLU MLP, rotary positions (16 of 16 per head), 2 key/value heads'."""
    parts = [w["norm"], f"{w['activation']} MLP"]
    if w["positions"] == "rotary":
        parts.append(f"rotary positions ({w['rotary_dim']} of {meta['d_head']} per head)")
    else:
        parts.append("learned positions")
    if w.get("n_kv_head", meta["n_head"]) != meta["n_head"]:
        parts.append(f"{w['n_kv_head']} key/value heads")
    if w["parallel_residual"]:
        parts.append("parallel residual")
    if not w["query_bias"]:
        parts.append("no attention biases")
    return f"{w['family']}: " + ", ".join(parts)


def summary(trace) -> str:
    m = trace.meta
    lines = [
        f"model     {m['model']}  ({m['n_layer']} layers, {m['n_head']} heads, d_model {m['d_model']}, "
        f"vocabulary {m['vocab_size']:,}, context {m['n_ctx']}, {m['n_params']:,} parameters)",
        f"family    {family_line(trace.words, m)}",
        f"prompt    {trace.prompt!r}",
        f"tokens    {len(trace.token_ids)}: "
        + " ".join(f"{d}|{i}" for d, i in zip(trace.token_display, trace.token_ids)),
        "next token (T = 1):",
    ]
    for entry in trace.top_next(8):
        lines.append(f"  {entry['prob'] * 100:6.2f}%  {entry['display']}")
    cont = trace.info["continuation"]
    lines.append(f"continuation (T = {cont['temperature']}, seed {cont['seed']}): {cont['text']!r}")
    return "\n".join(lines)


def lecture_settings(args):
    """The lecture file and the settings resolved from the command line, it and the defaults."""
    from gptanim.lecture import DEFAULT_LECTURE, load_lecture

    lecture = load_lecture(Path(args.lecture) if args.lecture else DEFAULT_LECTURE)
    if hasattr(args, "voice"):  # a missing voice package fails before the model runs
        from scenes.voice import voice_from

        voice_from(resolved(args, lecture)["voice"]).check()
    return lecture, settings_from(args, lecture)


def lecture_trace(args, loader=None, names=None, sections=None):
    """The lecture file, the Trace for the resolved settings (cached) and the file it is cached in. The Trace has
    the sections (trace_data.SECTIONS) that the scenes `names` (default: the lecture's) show, or `sections`."""
    from gptanim.choose import pick_scenes

    lecture, settings = lecture_settings(args)
    scenes = pick_scenes(lecture.scenes if names is None else names)
    return (lecture, *scenes_trace(args, settings, scenes, loader, sections))


def scenes_trace(args, settings, scenes, loader=None, sections=None):
    """The Trace for `settings` with the sections that `scenes` show (or `sections`), and its file."""
    from model.cache import cached_path
    from scenes.catalog import check_continuation, sections_for

    check_continuation(scenes, settings.generate)  # before the model runs
    trace = traced(args, settings, loader, sections_for(scenes) if sections is None else sections)
    return trace, cached_path(settings)


def theme_of(args, lecture) -> str:
    """--theme, else the lecture file's, else dark (each checked where it is read: argparse, the lecture file)."""
    return resolved(args, lecture)["theme"]


def render_from(args):
    """Render the lecture the arguments describe (reusing what is there); return the lecture and the result."""
    from gptanim.choose import pick_scenes
    from gptanim.render import QUALITIES, render_lecture

    if args.quality and args.quality not in QUALITIES:  # checked before the model runs
        raise GptanimError(f"invalid quality {args.quality!r}; choose one of {', '.join(QUALITIES)}")
    pools = cluster_pools(args)  # a bad --cluster fails before the model runs
    scenes_arg = args.scenes
    if scenes_arg is not None:
        pick_scenes(scenes_arg)  # an unknown name fails before the model runs
    lecture, trace, trace_file = lecture_trace(args, names=scenes_arg)
    quality = args.quality or lecture.settings.get("quality", "l")
    if quality not in QUALITIES:
        raise GptanimError(f"invalid quality {quality!r} in the lecture file; choose one of {', '.join(QUALITIES)}")
    scenes = pick_scenes(lecture.scenes if scenes_arg is None else scenes_arg)
    titles = [lecture.title_of(s) for s in scenes]
    voice = resolved(args, lecture)["voice"]
    narration = checked_narration(args, lecture, scenes, trace_file)
    result = render_lecture(trace, trace_file, Path(args.out), quality, scenes, args.jobs, progress=not args.quiet,
                            titles=titles, theme=theme_of(args, lecture), voice=voice, narration=narration,
                            title=lecture.title, pools=pools)  # fmt: skip
    if args.stills:
        from gptanim.slides import beat_stills

        folder = beat_stills(result["slides"], result["videos"], result["folder"] / "stills")
        say(args, f"each beat's last frame in {folder}")
    return lecture, result


def plan_of(lecture, scenes) -> dict:
    """The lecture's title and scenes with their titles, as the scenes that draw them read it."""
    from scenes.catalog import lecture_plan

    return lecture_plan(lecture.title, [s.name for s in scenes], [lecture.title_of(s) for s in scenes])


def cluster_pools(args, still: bool = False):
    """`pools(parent, theme)` making the Dask cluster's render pools for --cluster (and --store); None without."""
    if getattr(args, "store", None) and not args.cluster:
        raise GptanimError("--store is where the cluster's workers put the scenes; give --cluster too")
    if not getattr(args, "cluster", None):
        return None
    from gptanim.cluster import ClusterPool, import_dask, parse_address

    parse_address(args.cluster)
    import_dask()
    return lambda parent, theme: ClusterPool(args.cluster, parent, still=still, theme=theme, store=args.store)


def cmd_batch(args) -> int:
    from gptanim.batch import run_batch

    results = run_batch(args, sys.modules[__name__], cluster_pools(args))
    print(f"{len(results)} lectures and index.html in {args.out}")
    return 0


def checked_narration(args, lecture, scenes, trace_file) -> dict[str, str]:
    """The lecture file's [narration] for the scenes being rendered, each id checked against the scenes' beats
    (known from their stills, drawn once and kept) before any video is rendered."""
    from gptanim.narration import check_ids, for_scene
    from gptanim.render import scene_beats

    narration = {k: v for s in scenes for k, v in for_scene(lecture.narration, s.name).items()}
    if narration:
        named = [s for s in scenes if for_scene(narration, s.name)]
        check_ids(narration, scene_beats(trace_file, Path(args.out), named, args.jobs, progress=not args.quiet,
                                         theme=theme_of(args, lecture), lecture=plan_of(lecture, scenes)))  # fmt: skip
    return narration


def cmd_script(args) -> int:
    """The lecture's narration as a [narration] table: each scene run once without its animations (kept)."""
    from gptanim.choose import pick_scenes
    from gptanim.narration import check_ids, script_table
    from gptanim.render import scene_beats

    if args.scenes is not None:
        pick_scenes(args.scenes)  # an unknown name fails before the model runs
    lecture, trace, trace_file = lecture_trace(args, names=args.scenes)
    scenes = pick_scenes(lecture.scenes if args.scenes is None else args.scenes)
    beats = scene_beats(trace_file, Path(args.out), scenes, args.jobs, progress=not args.quiet,
                        theme=theme_of(args, lecture), lecture=plan_of(lecture, scenes))  # fmt: skip
    print(script_table(lecture.title, [lecture.title_of(s) for s in scenes], beats, lecture.narration), end="")
    check_ids(lecture.narration, beats)  # after the table: it lists the beats there are
    return 0


def cmd_render(args) -> int:
    _, result = render_from(args)
    print(f"{len(result['videos'])} scenes ({result['rendered']} rendered now), lecture.mp4 and lecture.srt "
          f"in {result['folder']}")  # fmt: skip
    return 0


def cmd_preview(args) -> int:
    """A warm preview process (`gptanim.warm`) draws the stills when one can be used; else this process does."""
    from gptanim import warm

    if args.stop:
        return warm.stop_all(report=lambda text: say(args, text))
    if args.warm:
        return warm.start_only(report=lambda text: say(args, text))
    if warm.enabled(args) and not args.cluster:  # (the warm preview's workers are on this machine)
        done = warm.preview_remotely(args)
        if done is not None:
            return done
    return preview_here(args)


def preview_here(args, pools=None, loader=None) -> int:
    """The stills are drawn by render workers started first: they load manim while the model runs (when the
    Trace is not cached), and each still is kept by what it shows, so a prompt previewed again draws nothing.
    The warm preview passes its own workers (`pools(theme)`, kept running) and model `loader`."""
    from gptanim.choose import pick_scenes
    from gptanim.keys import slug
    from gptanim.pool import ScenePool
    from gptanim.render import preview
    from model.cache import is_cached
    from scenes.catalog import check_continuation, sections_for

    lecture, settings = lecture_settings(args)
    scenes = pick_scenes(args.scenes or lecture.scenes)
    check_continuation(scenes, settings.generate)  # before any worker starts
    theme = theme_of(args, lecture)
    out = Path(args.out)
    if pools is None:  # the cluster's (--cluster), else processes on this machine
        make = cluster_pools(args, still=True) or (lambda parent, theme: ScenePool(parent, still=True, theme=theme))
        own = make(out, theme)
    else:
        own = contextlib.nullcontext(pools(theme))
    with own as pool:
        if not is_cached(settings, sections_for(scenes)):  # a warm preview's pool has its workers
            pool.warm(max(0, min(args.jobs, len(scenes)) - len(pool.workers)))
        trace, trace_file = scenes_trace(args, settings, scenes, loader)
        folder = out / slug(trace, theme) / "preview"
        sheet = preview(trace_file, folder, scenes, args.jobs, progress=not args.quiet, theme=theme,
                        store=out / ".stills", pool=pool, lecture=plan_of(lecture, scenes))  # fmt: skip
    print(f"{len(scenes)} stills and {sheet.name} in {sheet.parent}")
    return 0


def slides_from(args) -> dict:
    """Render the lecture the arguments describe, then build its deck; return build_deck's result."""
    from gptanim.choose import pick_scenes
    from gptanim.slides import build_deck

    lecture, result = render_from(args)
    names = [v.stem.split("-", 1)[1] for v in result["videos"]]
    headings = [lecture.title_of(s) for s in pick_scenes(lecture.scenes if args.scenes is None else args.scenes)]
    beats = [json.loads(v.with_suffix(".beats.json").read_text(encoding="utf-8")) for v in result["videos"]]
    return build_deck(result["slides"], names, lecture.title, headings, report=lambda text: say(args, text),
                      theme=theme_of(args, lecture), beats=beats)  # fmt: skip


def cmd_slides(args) -> int:
    deck = slides_from(args)
    print(f"deck.html (offline), deck.pptx and handout.pdf in {deck['folder']}")
    return 0


def cmd_studio(args) -> int:
    """The studio runs in a process of its own (`python -m gptanim.studio`: it reads this module's commands, the
    Trace and the renders, so this module never imports it); this one waits for it."""
    import subprocess

    from gptanim.warm import request_values

    given = {**request_values(args), "host": args.host, "port": args.port, "no_browser": args.no_browser}
    proc = subprocess.Popen([sys.executable, "-m", "gptanim.studio", json.dumps(given)], cwd=ROOT)
    try:
        return proc.wait()
    except KeyboardInterrupt as exc:  # Ctrl-C reached the studio too; SIGTERM (Terminated) is passed on
        if isinstance(exc, Terminated):
            proc.send_signal(signal.SIGINT)
        proc.wait()
        raise


def presenter_options(args, scenes: list) -> list[str]:
    """The presenter flags of `gptanim present`, in manim-slides' spelling (`scenes`: names or SceneEntries)."""
    names = [getattr(scene, "name", scene) for scene in scenes]
    options = []
    if args.fullscreen:
        options.append("--fullscreen")
    if args.screen is not None:
        options += ["--screen", str(args.screen)]
    if args.hide_mouse:
        options.append("--hide-mouse")
    if args.info_window:
        options.append("--show-info-window")
    if args.start_at:
        if args.start_at not in names:
            raise GptanimError(f"--start-at {args.start_at}: not a scene of this lecture ({', '.join(names)})")
        options += ["--start-at-scene-number", str(names.index(args.start_at))]
    return options


# Qt's multimedia back end lists every optional library it did not find (PipeWire, VA-API); not its errors.
QT_QUIET = "qt.multimedia.*.warning=false;qt.multimedia.*.info=false"


def qt_binding_missing() -> str | None:
    """Why the presenter cannot start (no Qt binding, or Qt's X11 libraries missing), else None."""
    import subprocess

    os.environ.setdefault("QT_LOGGING_RULES", QT_QUIET)
    try:
        from qtpy import QtMultimedia  # noqa: F401 - what manim-slides' player needs
    except Exception as exc:  # noqa: BLE001 - qtpy raises its own error types, or ImportError
        return f"the presenter needs Qt for Python ({type(exc).__name__}); run scripts/setup.sh"
    if sys.platform != "linux" or not os.environ.get("DISPLAY"):
        return None
    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.exists():
        return None
    linked = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True).stdout
    missing = sorted({line.split()[0] for line in linked.splitlines() if "not found" in line})
    if missing:
        return f"Qt cannot open a window without {', '.join(missing)}; run scripts/setup.sh as root (it installs them)"
    return None


def x_display_unreachable() -> str | None:
    """Why the X server DISPLAY names cannot be reached (nothing listens there), else None; Qt would end with
    exit code 250 and lines of its own. Not checked under Wayland, nor a display named otherwise than
    [host]:number[.screen]."""
    import socket

    display = os.environ.get("DISPLAY", "")
    host, _, number = display.rpartition(":")
    number = number.split(".")[0]
    if os.environ.get("WAYLAND_DISPLAY") or not number.isdigit() or "/" in host.removeprefix("unix"):
        return None
    if host in ("", "unix"):  # a local server: its socket in /tmp/.X11-unix, or the same name in the abstract space
        addresses = [(socket.AF_UNIX, f"/tmp/.X11-unix/X{number}"), (socket.AF_UNIX, f"\0/tmp/.X11-unix/X{number}")]
    else:
        addresses = [(socket.AF_INET6 if ":" in host else socket.AF_INET, (host.strip("[]"), 6000 + int(number)))]
    for family, address in addresses:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(3)
            try:
                probe.connect(address)
                return None
            except OSError:
                continue
    return f"no X display answers at DISPLAY={display}"


def cmd_present(args) -> int:
    import subprocess

    from gptanim.choose import pick_scenes
    from gptanim.keys import slug

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise GptanimError("presenting needs a display; open deck/deck.html in a browser instead")
    problem = x_display_unreachable()
    if problem:
        raise GptanimError(f"{problem}; open deck/deck.html in a browser instead")
    if args.folder is not None:
        slides_dir, names = rendered_folder(args)
    else:
        lecture, trace, _ = lecture_trace(args, sections=())  # only its name: the slides are drawn
        names = [s.name for s in pick_scenes(args.scenes or lecture.scenes)]
        slides_dir = Path(args.out) / slug(trace, theme_of(args, lecture)) / "deck" / "slides"
    missing = [name for name in names if not (slides_dir / f"{name}.json").exists()]
    if missing:
        raise GptanimError(f"no slides for {missing[0]} in {slides_dir}; run `gptanim slides` with the same settings")
    options = presenter_options(args, names)
    problem = qt_binding_missing()
    if problem:
        raise GptanimError(problem)
    cmd = [sys.executable, "-m", "manim_slides", "present", "--folder", str(slides_dir), *options, *names]
    env = {**os.environ, "QT_LOGGING_RULES": QT_QUIET}
    if not args.quiet:
        return subprocess.call(cmd, env=env)
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:  # --quiet: only the presenter's last word, when it failed
        said = [line for line in done.stderr.splitlines() if line.strip()] or ["the presenter stopped"]
        raise GptanimError(f"manim-slides present failed ({done.returncode}): {said[-1]}")
    return 0


def rendered_folder(args) -> tuple[Path, list[str]]:
    """The slides folder and the scenes, in order, of a rendered lecture folder (its lecture.json), or of its
    deck/ or deck/slides/ folder; --scenes picks some of them. The folder is shown as it is: the settings,
    which would name another folder, are refused with it."""
    given = [s.flag for s in SETTINGS if s.traced and getattr(args, s.name, None) is not None]
    given += [flag for flag, on in (("--lecture", args.lecture), ("--theme", args.theme)) if on]
    if given:
        raise GptanimError(f"{given[0]} with a FOLDER: a rendered folder is presented as it is; give either")
    folder = Path(args.folder)
    for candidate in (folder, folder.parent, folder.parent.parent):
        if (candidate / "lecture.json").is_file():
            folder = candidate
            break
    else:
        raise GptanimError(f"{args.folder} is not a rendered lecture (no lecture.json); give the folder that "
                           "`gptanim render` or `gptanim slides` wrote, or present by the settings")  # fmt: skip
    try:
        names = json.loads((folder / "lecture.json").read_text(encoding="utf-8"))["scenes"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GptanimError(f"cannot read {folder / 'lecture.json'}: {exc}") from None
    if args.scenes:
        chosen = [n.strip() for n in args.scenes.split(",") if n.strip()]
        unknown = [n for n in chosen if n not in names]
        if unknown or not chosen:
            raise GptanimError(f"--scenes {args.scenes}: not scenes of {folder} ({', '.join(names)})")
        names = chosen
    return folder / "deck" / "slides", names


# The knobs of `gptanim train`: (flag, TrainConfig's field, argparse type, help); each default is TrainConfig's.
TRAIN_OPTIONS = [
    ("--steps", "steps", positive_int, "number of training steps (reproducible)"),
    ("--minutes", "minutes", number, "a time budget instead of --steps (not reproducible)"),
    ("--vocab-size", "vocab_size", positive_int, "tokens in the tokenizer's vocabulary"),
    ("--n-layer", "n_layer", positive_int, "transformer blocks"),
    ("--n-head", "n_head", positive_int, "attention heads per block"),
    ("--d-model", "n_embd", positive_int, "width of the vectors (a multiple of --n-head)"),
    ("--n-ctx", "n_ctx", positive_int, "context length, in tokens"),
    ("--batch-size", "batch_size", positive_int, "sequences per training step"),
    ("--lr", "lr", number, "peak learning rate (AdamW)"),
    ("--seed", "seed", int, "seed of the weights' initialisation and the batches"),
    ("--eval-every", "eval_every", positive_int, "steps between validation losses"),
    ("--snapshots", "snapshot_steps", step_list,
     "comma-separated steps whose weights are kept in snapshots/ (int8), e.g. 30,100,300,1000"),
]  # fmt: skip


def add_train_options(p: argparse.ArgumentParser) -> None:
    from dataclasses import fields

    from model.settings import TrainConfig

    defaults = {f.name: f.default for f in fields(TrainConfig)}
    for flag, name, kind, helptext in TRAIN_OPTIONS:
        default = list(defaults[name]) if isinstance(defaults[name], tuple) else defaults[name]
        metavar = flag[2:].upper().replace("-", "_")
        p.add_argument(flag, type=kind, default=default, dest=name, metavar=metavar, help=helptext)


def cmd_train(args) -> int:
    from model.card import write_model_card
    from model.train import TrainConfig, train

    if not Path(args.corpus).is_dir():
        raise GptanimError(f"--corpus {args.corpus}: no such folder")
    knobs = {name: getattr(args, name) for _, name, _, _ in TRAIN_OPTIONS}
    knobs["snapshot_steps"] = tuple(knobs["snapshot_steps"])
    if knobs["minutes"] is not None:
        knobs["steps"] = None
    cfg = TrainConfig(corpus=Path(args.corpus), out=Path(args.out), **knobs).check()
    say(args, f"training on {cfg.corpus} into {cfg.out}")
    stats = train(cfg, quiet=args.quiet or not sys.stderr.isatty())  # its bar only on a terminal
    card = write_model_card(cfg.out)
    print(f"best validation loss {stats['best_val_loss']:.3f} after {stats['steps']} steps; card: {card}")
    return 0


def cmd_list(args) -> int:
    from scenes.catalog import SCENES

    width = max(len(s.name) for s in SCENES)
    for s in SCENES:
        print(f"{s.name:<{width}}  {s.summary}")
    return 0


def cmd_docs(args) -> int:
    from gptanim.atomic import write_text
    from gptanim.tracedoc import PAGE, trace_page

    page = trace_page()
    current = PAGE.exists() and PAGE.read_text(encoding="utf-8") == page
    if args.check:
        print(f"docs/trace.md is {'current' if current else 'out of date: run gptanim docs'}")
        return 0 if current else 1
    if not current:
        write_text(PAGE, page)
    print(f"docs/trace.md {'is current' if current else 'written'}")
    return 0


def version_line() -> str:
    """gptanim's version and the versions of what renders (from the installed packages' metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    def of(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return f"gptanim {of('gptanim')} (manim {of('manim')}, manim-slides {of('manim-slides')})"


WARM_HELP = """A warm preview: the first preview starts a process that stays in the background (torch and the model
loaded, the render workers warm) and draws the later previews, so that a new prompt takes seconds. It listens
on a socket in the cache folder ($GPTANIM_CACHE/warm), stops by itself after GPTANIM_WARM_IDLE seconds
without a preview (default 900) or with --stop, and is replaced when gptanim's code, Python or the embedded
model change. GPTANIM_WARM=0 (or --no-warm) previews in this process only."""


def add_warm_options(p: argparse.ArgumentParser) -> None:
    p.epilog = WARM_HELP
    group = p.add_mutually_exclusive_group()
    group.add_argument("--no-warm", action="store_true", help="preview in this process, without the warm preview")
    group.add_argument("--warm", action="store_true", help="start the warm preview (if not running) and wait for it")
    group.add_argument("--stop", action="store_true", help="stop the warm preview")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help that shows each option's default (when it has one its help does not already say), and keeps the
    line breaks of descriptions and epilogs."""

    def _get_help_string(self, action):
        text = action.help or ""
        unset = action.default is None or action.default is False or action.default == argparse.SUPPRESS  # 0 is a value
        if not unset and "default" not in text:
            shown = ",".join(map(str, action.default)) if isinstance(action.default, list) else action.default
            text += f" (default {shown})"
        return text


# Each command: (its one-line help in `gptanim --help`, the description atop `gptanim COMMAND --help`)
COMMANDS = {
    "trace": (
        "run the model on a prompt and save the numbers the scenes show",
        "Run the model on the prompt and print what the scenes will show: the tokens, the next-token\n"
        "probabilities and the continuation. The Trace is cached: render, preview and slides reuse it.",
    ),
    "render": (
        "render the lecture: a video and a still per scene, lecture.mp4, subtitles",
        "Render the lecture file's scenes into one folder per prompt and settings: a video, a still and\n"
        "the beats of each scene, lecture.mp4 with chapters, lecture.srt and lecture.vtt (subtitles),\n"
        "the narration script and lecture.json. Scenes already rendered for what they show are reused.",
    ),
    "preview": (
        "the last frame of every scene plus a contact sheet",
        "Draw the last frame of every scene, without the animations, and a contact sheet of them all:\n"
        "a quick look at a prompt before rendering it.",
    ),
    "slides": (
        "a slide deck: a slide per beat with notes; offline HTML, PPTX, PDF handout",
        "Render the lecture (as `render` does), then build its deck: a slide per beat with the narration\n"
        "as speaker notes, as an offline HTML deck, a PowerPoint file (each slide titled by its beat and\n"
        "showing its last frame until played) and a PDF handout.",
    ),
    "present": (
        "present the deck built by `gptanim slides` (needs a display)",
        "Present a lecture's slides full screen with manim-slides' presenter: a rendered lecture FOLDER\n"
        "as it is, or the folder that the settings (prompt, model, lecture file…) name.",
    ),
    "script": (
        "print the lecture's narration as a [narration] table to edit",
        "Print every beat's narration of the lecture as a TOML [narration] table, each beat's id, title\n"
        "and caption as comments. Copy the beats you want to change into the lecture file: render and\n"
        "slides speak, subtitle and note your words instead (only the changed beats are voiced again).",
    ),
    "batch": (
        "a lecture per prompt of a file (a class's prompts), locally or on a Dask cluster; index.html",
        "Render a lecture per prompt of PROMPTS (one prompt a line, or a TOML list with each prompt's\n"
        "settings) with one progress bar over all their scenes, each scene rendered once and what is\n"
        "stored reused, then each lecture's deck and handout, and index.html linking them all.",
    ),
    "studio": (
        "a local web page: type a prompt, see every scene, play one with its narration",
        "Start a local web server and open its page: type a prompt and see every scene's still as it is\n"
        "drawn, click a scene to watch its narrated video with subtitles, change the temperature and see\n"
        "the scenes that show it redrawn, read the claims, and render the lecture, deck and handout.\n"
        "It listens on 127.0.0.1; --host opens it to a network (with a token in the printed address).",
    ),
    "train": (
        "train the embedded GPT (tokenizer and model) on a folder of text",
        "Train a small GPT and its tokenizer from scratch on a folder of stories, with snapshots of its\n"
        "weights along the way (the Learning scene shows them), and write a Hugging Face model folder.",
    ),
    "list": ("list the scenes with what each shows", "List the built-in scenes, each with what it shows."),
    "docs": (
        "write docs/trace.md, what a scene finds in its Trace",
        "Write docs/trace.md: every key of the Trace a scene reads (self.trace), its shape and its meaning,\n"
        "from model/trace_data.py and the code that computes it (the embedded model on the default prompt).",
    ),
}


def add_command(sub, name: str, parents) -> argparse.ArgumentParser:
    helptext, description = COMMANDS[name]
    return sub.add_parser(name, help=helptext, description=description, parents=parents,
                          formatter_class=HelpFormatter)  # fmt: skip


def build_parser() -> Parser:
    parser = Parser(prog="gptanim", description="Explain a GPT with its own numbers: trace a prompt, render scenes.",
                    formatter_class=HelpFormatter)  # fmt: skip
    parser.add_argument("--version", action="version", version=version_line())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-Q", "--quiet", action="store_true", help="print nothing but errors")
    common.add_argument("--debug", action="store_true", help="with an error, also print its whole traceback")

    p = add_command(sub, "trace", [common])
    add_trace_options(p)
    p.add_argument("--out", help="write the Trace (.npz) here")
    p.add_argument("--claims", action="store_true", help="also print every statement the scenes make, with evidence")
    p.add_argument("--all", action="store_true", help="also the chatbot's reply and the learning record, which only "
                   "Chat and Learning show (render and preview compute them when the lecture has those scenes)")  # fmt: skip
    p.set_defaults(run=cmd_trace)

    lecture_commands = [("render", cmd_render), ("preview", cmd_preview), ("slides", cmd_slides),
                        ("present", cmd_present), ("script", cmd_script), ("batch", cmd_batch),
                        ("studio", cmd_studio)]  # fmt: skip
    for name, run in lecture_commands:
        add_lecture_command(sub, common, name, run)

    p = add_command(sub, "train", [common])
    p.add_argument("--corpus", required=True, help="folder of .txt files, a blank line between stories")
    p.add_argument("--out", required=True, help="folder to write the Hugging Face model into")
    add_train_options(p)
    p.set_defaults(run=cmd_train)

    p = add_command(sub, "list", [common])
    p.set_defaults(run=cmd_list)

    p = add_command(sub, "docs", [common])
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if docs/trace.md is not current")
    p.set_defaults(run=cmd_docs)

    return parser


def add_lecture_command(sub, common, name: str, run) -> None:
    """A command that renders or shows a lecture (render, preview, slides, present, script, batch, studio), with
    the settings and the options it takes."""
    quality = SETTING["quality"]
    p = add_command(sub, name, [common])
    if name == "present":
        p.add_argument("folder", nargs="?", metavar="FOLDER",
                       help="a rendered lecture folder (with lecture.json), presented as it is; without it, "
                       "the folder the settings below name")  # fmt: skip
    if name == "batch":
        p.add_argument("prompts", metavar="PROMPTS", help="a text file, one prompt a line, or a TOML file: "
                       "prompts = [\"…\", {prompt = \"…\", temperature = 0.7}, …] (its settings win)")  # fmt: skip
        p.add_argument("--no-deck", action="store_true",
                       help="no deck and handout per lecture (index.html links the videos only)")  # fmt: skip
    add_trace_options(p)
    p.add_argument("--lecture", help="lecture file (TOML); default lectures/default.toml")
    p.add_argument("--theme", choices=SETTING["theme"].choices, help=SETTING["theme"].help + " (default dark)")
    if name in ("render", "slides", "batch", "studio"):
        p.add_argument("-q", "--quality", help=f"{quality.help} (default {quality.default}, or the lecture file's)")
    p.add_argument("--scenes", help="comma-separated scene names (default: the lecture's; see gptanim list)")
    if name in ("render", "preview", "slides", "batch"):
        p.add_argument("--cluster", metavar="ADDRESS", help="render each scene as a task on this Dask cluster: "
                       "its scheduler (tcp://HOST:8786), or local:N for N workers on this machine")  # fmt: skip
        p.add_argument("--store", metavar="URL", help="with --cluster, where the workers put the scenes' "
                       "files (an fsspec URL the client reads too: a shared folder, s3://…); default: sent back")  # fmt: skip
    if name in ("render", "preview", "slides", "batch", "studio"):
        p.add_argument("--voice", help="narration: joe (default, offline neural voice), none (silent), "
                       "or folder:PATH (your recordings, one file per beat: Scene-01.wav …)")  # fmt: skip
    if name in ("render", "slides"):
        p.add_argument("--stills", action="store_true", help="also write each beat's last frame as a PNG, "
                       "stills/<Scene>-NN.png in the lecture's folder")  # fmt: skip
    if name != "present":
        cores = os.cpu_count() or 1
        p.add_argument("--jobs", type=positive_int, default=cores,
                       help=f"scenes rendered at once (default one per CPU core: {cores} here)")  # fmt: skip
    else:
        p.add_argument("-F", "--fullscreen", action="store_true", help="present full screen")
        p.add_argument("--screen", type=non_negative_int, help="present on this screen (0 is the first)")
        p.add_argument("--hide-mouse", action="store_true", help="hide the mouse pointer over the slides")
        p.add_argument("--info-window", action="store_true", help="also show the notes and the next slide")
        p.add_argument("--start-at", metavar="SCENE", help="start at this scene of the lecture")
    p.add_argument("--out", default=str(ROOT / "renders"), help="folder for the renders")
    if name == "preview":
        add_warm_options(p)
    if name == "studio":
        p.add_argument("--port", type=non_negative_int, default=8765, help="port to listen on (0: any free one)")
        p.add_argument("--host", default="127.0.0.1", help="address to listen on; another than 127.0.0.1 "
                       "opens the studio to that network, with a token in its address")  # fmt: skip
        p.add_argument("--no-browser", action="store_true", help="do not open the page in a browser")
    p.set_defaults(run=run)


class Terminated(KeyboardInterrupt):
    """SIGTERM (as `kill` and `timeout` send it): the command stops as on Ctrl-C, its render workers and
    converters stopped and its temporary files removed, and exits with 143."""


@contextlib.contextmanager
def terminated_as_interrupted():
    """While the command runs, SIGTERM raises Terminated (in the main thread, where signals are handled)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise Terminated

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


PRINTS_ITS_PRODUCT = ("script",)  # commands whose output is what they make: --quiet keeps it
WRITE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG)


def output_lock(args):
    """Commands that write renders hold their output folder's lock (see gptanim.atomic.output_lock)."""
    only_the_server = getattr(args, "stop", False) or getattr(args, "warm", False)  # preview --stop, --warm
    if args.command not in ("render", "preview", "slides", "batch") or only_the_server:
        return contextlib.nullcontext()
    from gptanim.atomic import output_lock as lock

    return lock(Path(args.out))


def from_here(args) -> None:
    """The paths the user gave, made absolute against the current folder before they cross a process boundary:
    render workers and the warm preview run in other folders. The cache folder too, which they all read.
    (Training runs here, and records its folders as given.)"""
    for name in ("out", "lecture"):
        if getattr(args, name, None) and args.command != "train":
            setattr(args, name, str(Path(getattr(args, name)).absolute()))
    voice = (getattr(args, "voice", None) or "").strip()
    if voice.startswith("folder:") and voice[7:]:
        args.voice = f"folder:{Path(voice[7:]).expanduser().absolute()}"
    for var in ("GPTANIM_CACHE", "XDG_CACHE_HOME"):
        if os.environ.get(var):
            os.environ[var] = str(Path(os.environ[var]).expanduser().absolute())


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a character the terminal's encoding lacks is shown as its escape
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    from_here(args)
    try:
        with terminated_as_interrupted(), output_lock(args):  # SIGTERM while waiting for the lock too
            if args.quiet and args.command not in PRINTS_ITS_PRODUCT:
                with open(os.devnull, "w") as nowhere, contextlib.redirect_stdout(nowhere):
                    return args.run(args)
            return args.run(args)
    except GptanimError as exc:
        details = getattr(exc, "details", "")  # a scene's traceback
        if details and args.debug:
            print(details.rstrip(), file=sys.stderr)
        hint = " (--debug shows the traceback)" if details and not args.debug else ""
        print(f"gptanim {args.command}: error: {exc}{hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        how = ("terminated", 143) if isinstance(exc, Terminated) else ("interrupted", 130)
        print(f"gptanim {args.command}: {how[0]}", file=sys.stderr)
        return how[1]
    except OSError as exc:  # the disk full, a read-only or forbidden folder: what gptanim wrote so far is kept
        if exc.errno not in WRITE_ERRORS:
            raise
        where = f": {exc.filename}" if exc.filename else ""
        print(f"gptanim {args.command}: error: {exc.strerror}{where}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
