"""What a preview asks of a warm process (the warm preview's server, or the studio): a request checked as the
command line checks its flags. Apart from `gptanim.warm`, which the command line imports before anything
heavy: this module reads the command line's own checks (`gptanim.cli`)."""

from __future__ import annotations

import argparse
import dataclasses

from gptanim.warm import OPTIONS, request_values
from model.errors import GptanimError
from model.settings import SETTINGS


def check_option(name: str, value):
    """One option of a Request, as the command line checks its flag."""
    from gptanim.cli import positive_int

    wants = {"lecture": str, "scenes": str, "out": str, "jobs": int}.get(name, bool)
    if value is None and name in ("lecture", "scenes"):
        return None
    if type(value) is not wants:
        raise GptanimError(f"argument --{name}: expected {wants.__name__}, got {value!r}")
    if name == "jobs":
        as_flag(f"--{name}", positive_int, str(value))
    if wants is str and (not value.strip() or "\x00" in value):
        raise GptanimError(f"argument --{name}: expected some text without NUL characters, got {value!r}")
    return value


def check_setting(setting, value):
    """One setting of a Request: text as text, a number given as a number or as the command line's text,
    each through the command line's own check (`cli.ARG_TYPES`); quality, theme and voice by their kind."""
    from gptanim.cli import ARG_TYPES

    if value is None:
        return None  # unset: the lecture file's, else the table's default
    if setting.kind == "flag":  # on or off (the command line's store_true)
        if not isinstance(value, bool):
            raise GptanimError(f"argument {setting.flag}: expected true or false, got {value!r}")
        return value
    if setting.kind in ARG_TYPES and setting.kind != "text":
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise GptanimError(f"argument {setting.flag}: expected a number, got {value!r}")
        return as_flag(setting.flag, ARG_TYPES[setting.kind], str(value).strip())
    if not isinstance(value, str):
        raise GptanimError(f"argument {setting.flag}: expected text, got {value!r}")
    if setting.kind == "theme" and value not in ("dark", "light"):
        raise GptanimError(f"argument {setting.flag}: invalid choice {value!r} (choose dark or light)")
    if setting.kind == "quality":
        from gptanim.render import QUALITIES

        if value not in QUALITIES:
            raise GptanimError(
                f"argument {setting.flag}: invalid quality {value!r}; choose one of {', '.join(QUALITIES)}"
            )
    return as_flag(setting.flag, ARG_TYPES["text"], value)


def as_flag(flag: str, parse, text: str):
    """`parse(text)` as argparse applies a flag's type; its complaint as one line."""
    try:
        return parse(text)
    except argparse.ArgumentTypeError as exc:
        raise GptanimError(f"argument {flag}: {exc}") from None


class Request:
    """What a preview asks of a warm process: each setting of model/settings.py's table and the options in
    OPTIONS, checked as the command line checks its flags (a bad one is a GptanimError, one line). It is
    read where the command line's arguments are (`cli.preview_here`, `cli.render_from`), by the same names."""

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_args(cls, args) -> Request:
        """The request of a command line's arguments (already checked by argparse)."""
        return cls(**request_values(args))

    @classmethod
    def from_json(cls, given) -> Request:
        """A request sent as JSON (by the command, or a page), refused whole at its first bad value."""
        if not isinstance(given, dict):
            raise GptanimError("a request must be a JSON object of settings")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(given) - known)
        if unknown:
            raise GptanimError(f"unknown setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
        checked = {}
        for setting in SETTINGS:
            checked[setting.name] = check_setting(setting, given.get(setting.name))
        for name, default in OPTIONS.items():
            checked[name] = check_option(name, given.get(name, default))
        return cls(**checked)


PreviewRequest = dataclasses.make_dataclass(
    "PreviewRequest",
    [(s.name, object, dataclasses.field(default=None)) for s in SETTINGS]
    + [(name, object, dataclasses.field(default=default)) for name, default in OPTIONS.items()],
    bases=(Request,),
)
PreviewRequest.__doc__ = Request.__doc__
