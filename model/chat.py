"""A chatbot is a GPT continuing a script: a system line, the user's words, and the start of the assistant's line.

The script is dialogue as the fairy tales write it (one paragraph per line, double quotes), so the model
continues it as it would continue a story; the reply is the text it writes until it closes the quote,
ends the line, or reaches `REPLY_TOKENS` tokens. Numpy and the tokenizer only: `model/run.py` runs the model.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from model.summaries import token_display

REPLY_TOKENS = 20  # the reply stops here at the latest
USER_LINE = 'The girl asked, "{}"'  # the user's words, as a line of the story
ASSISTANT_LINE = 'The owl said, "'  # the assistant's line, opened: the model writes the rest
CLOSING = '"'  # a reply ends with the token that closes the quote, or with a newline
ROLES = ["system", "user", "assistant"]


def script_lines(system: str, user: str) -> list[str]:
    """The script's three parts as text; each later part starts with the newline that begins its line."""
    return [system, "\n" + USER_LINE.format(user), "\n" + ASSISTANT_LINE]


def script(settings, tok, n_ctx: int) -> dict:
    """The script's tokens, each with its part (0 system, 1 user, 2 assistant), and how many tokens the reply may
    take. A script too long for the context is cut, the longer of the system and user lines first, each keeping
    its end (as --truncate keeps the prompt's): the words nearest the reply are those that matter."""
    user = settings.chat_user if settings.chat_user is not None else settings.prompt
    user_ids = tok.encode(user, add_special_tokens=False)
    system_ids = tok.encode(settings.chat_system, add_special_tokens=False)
    kept, system_kept = len(user_ids), min(len(system_ids), n_ctx)  # never more than the context: tokenised fast
    system = tok.decode(system_ids[-system_kept:]) if system_kept < len(system_ids) else settings.chat_system
    while True:
        lines = script_lines(system, user)
        text = "".join(lines)
        enc = tok(text, return_offsets_mapping=True, add_special_tokens=False)
        ids = list(enc["input_ids"])
        over = len(ids) + REPLY_TOKENS - n_ctx
        if over <= 0 or (kept <= 1 and system_kept == 0):
            break
        if system_kept >= kept or kept <= 1:
            system_kept = max(0, system_kept - over)
            system = tok.decode(system_ids[-system_kept:]) if system_kept else ""
        else:
            kept = max(1, kept - over)
            user = tok.decode(user_ids[-kept:])
    ends = [sum(len(line) for line in lines[: i + 1]) for i in range(len(lines))]
    roles = []
    for start, end in enc["offset_mapping"]:
        while start < end - 1 and text[start].isspace():  # a token's part is where its first visible character is
            start += 1
        roles.append(next((i for i, e in enumerate(ends) if start < e), len(ends) - 1))
    return {
        "roles": ROLES,
        "lines": lines,
        "user_from": "chat_user" if settings.chat_user is not None else "prompt",
        "user_cut": kept < len(user_ids),
        "system_cut": system_kept < len(system_ids),
        "ids": ids,
        "display": [token_display(tok, i) for i in ids],
        "part": roles,
        "max_tokens": max(0, min(REPLY_TOKENS, n_ctx - len(ids))),
        "closing": CLOSING,
    }


def ending(tok, token_id: int) -> str | None:
    """How a reply ending with this token ends ("quote" or "newline"), or None when the reply goes on."""
    text = tok.decode([token_id])
    return "quote" if CLOSING in text else "newline" if "\n" in text else None


def cut_reply(run: dict, tok) -> dict:
    """The generation up to and including its first token that closes the quote or holds a newline."""
    steps = run["steps"]
    stop, n = "length", len(steps)
    for i, step in enumerate(steps):
        end = ending(tok, step["chosen_id"])
        if end:
            stop, n = end, i + 1
            break
    ids = run["ids"][:n]
    return run | {"ids": ids, "text": tok.decode(ids), "steps": steps[:n], "stop": stop}


def converse(settings, loaded, generate: Callable) -> dict:
    """The script and the reply the model writes to it, token by token, at the Trace's temperature, top-k,
    top-p and seed (`generate` is model/run.py's: the same sampling as the continuation). The generation stops at
    the token that ends the reply: what would follow it is cut anyway."""
    sizes = loaded.family.sizes(loaded.model.config)
    doc = script(settings, loaded.tokenizer, sizes.n_ctx)
    cut = [line for line, was in (("system", doc["system_cut"]), ("user", doc["user_cut"])) if was]
    if cut:
        print(f"gptanim: the chat script is longer than the model's context ({sizes.n_ctx} tokens); the start of "
              f"its {' and '.join(cut)} line is cut, the end kept", file=sys.stderr)  # fmt: skip
    options = (settings.temperature, settings.top_k, settings.top_p, settings.seed)
    run = generate(loaded, doc["ids"], doc["max_tokens"], *options, stop=lambda i: ending(loaded.tokenizer, i))
    return doc | {"reply": cut_reply(run, loaded.tokenizer)}
