"""The story scenes (transformers everywhere, chat) show the Trace's numbers and fit; the chat's reply is the model's."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from model import chat
from model.claims import UNLIKELY, statements
from model.sampling import next_token_distribution, sample, top_entries
from model.settings import TraceSettings
from scenes.story import Chat, TransformersEverywhere
from scenes.voice import sentences
from tests.conftest import PROMPTS
from tests.scenecheck import (
    check_caption_clear,
    check_layout,
    check_numbers,
    check_text_size,
    loaded_trace,
    render,
    shown_paths,
    texts,
)
from tests.test_speech import check_narration

NEW_PROMPT = "The old fisherman looked at the grey sea and said"  # used by no other test


@pytest.fixture(scope="module")
def story_traces(scene_traces, embedded, tmp_path_factory) -> dict:
    """The shared Traces, and one of a prompt no other test uses."""
    from model.run import trace

    path = tmp_path_factory.mktemp("story") / "new.npz"
    return scene_traces | {"new": trace(TraceSettings(prompt=NEW_PROMPT, generate=6, seed=0), embedded).save(path)}


CASES = [(cls, case) for cls in (TransformersEverywhere, Chat) for case in ("default", "new")] + [(Chat, "long")]


@pytest.mark.parametrize("scene_cls, case", CASES, ids=[f"{c.__name__}-{k}" for c, k in CASES])
def test_story_scene_shows_the_trace_and_fits(scene_cls, case, story_traces, tmp_path):
    scene = render(scene_cls, story_traces[case], tmp_path)
    tr = loaded_trace(story_traces[case])
    check_numbers(scene, tr)
    check_layout(scene)
    check_text_size(scene)
    check_caption_clear(scene)
    check_narration(scene)  # said as a teacher says it
    spoken = [s for b in scene.beats for s in sentences(b["say"])]
    assert len(spoken) == len(set(spoken)), spoken  # no sentence said twice
    paths = shown_paths(scene)
    if scene_cls is TransformersEverywhere:  # the GPT's real distribution at T = 1, and the prompt's end, shown
        k = tr.meta["temperatures"].index(1.0)  # before the zoom into the box, which ends on the model's name
        ever = shown_paths(scene, ever=True)
        for e in tr.top_next(TransformersEverywhere.BARS):
            assert f"probs[{k},{e['id']}]" in ever and f"info.vocab_display.{e['id']}" in ever
        assert f"info.tokens.display.{len(tr.token_ids) - 1}" in ever
        assert "meta.model" in paths
        return
    c = tr.info["chat"]
    left, said = len(c["reply"]["steps"]) - Chat.FULL_STEPS, " ".join(b["say"] for b in scene.beats)
    # The loop is said to run "faster" only when more than one token is left; with one, the reply is said to end.
    assert ("runs faster" in said) == (left > 1) and ("and then the reply ends" in said) == (left == 1), (left, said)
    # A draw of a thin slice among the slow steps is said plainly to be unlikely; a drawn new line, to end the turn.
    slow = c["reply"]["steps"][: Chat.FULL_STEPS]
    assert ("unlikely" in said.lower()) == any(st["chosen_prob"] < UNLIKELY for st in slow), said
    # The wheel is said to be the run's own distribution: its temperature, whether it was cut, the grey rest's share.
    reply = c["reply"]
    ever = {s.key for t in scene.ever_shown.values() for s in getattr(t, "gptanim_claims", [])}
    assert f"at temperature {reply['temperature']:g}" in said and "chat.distribution" in ever, ever
    assert f"chat.rest.0.top{min(Chat.BARS, len(slow[0]['top']))}" in ever, ever  # the grey rest's share, on a bar
    assert ("nothing cut off" in said) == (not reply["top_k"] and not reply["top_p"]), said
    assert ("A new line was drawn, and a new line ends the turn." in said) == (c["reply"]["stop"] == "newline")
    # The script, the reply's probabilities and the verdict were drawn, then gave way to what the model learned from.
    verdict, earlier = SimpleNamespace(mobjects=[scene.lines]), SimpleNamespace(mobjects=[scene.script_drawn])
    assert check_numbers(verdict, tr)["claims"] >= 1  # how the reply ends, as a statement
    check_numbers(earlier, tr)
    paths |= shown_paths(earlier)
    # What the model learned from ends the scene, and no statement is drawn twice (a caption repeating the picture).
    drawn = [s.key for t in texts(scene) + scene.captions + texts(verdict) for s in getattr(t, "gptanim_claims", [])]
    assert "chat.training" in drawn and len(drawn) == len(set(drawn)), drawn
    every = shown_paths(scene, ever=True)
    for i in range(len(c["reply"]["steps"])):  # every reply token, and its probability on the wheel as it was drawn
        assert f"info.chat.reply.steps.{i}.chosen_display" in paths
        assert f"info.chat.reply.steps.{i}.chosen_prob" in every
    shown = {int(p.rsplit(".", 1)[1]) for p in paths if p.startswith("info.chat.display.")}
    for part in range(3):  # every part of the script is there, a long one by its end
        index = [i for i, p in enumerate(c["part"]) if p == part]
        kept = sorted(shown & set(index))
        assert kept and kept == index[len(index) - len(kept) :]
        assert (len(kept) < len(index)) == (case == "long" and part == 1)
    assert not c["user_cut"]  # the embedded model's context holds the whole script


def direct_reply(loaded, c: dict) -> list[tuple[int, float, list]]:
    """Each reply token again, from a full forward pass over the script and the reply so far (no cache)."""
    import torch

    reply, options = c["reply"], (c["reply"]["temperature"], c["reply"]["top_k"], c["reply"]["top_p"])
    rng, out, ids = np.random.default_rng(reply["seed"]), [], list(c["ids"])
    with torch.no_grad():
        for _ in reply["steps"]:
            logits = loaded.model(input_ids=torch.tensor([ids])).logits[0, -1].double().numpy()
            probs = next_token_distribution(logits, *options)
            chosen = sample(probs, rng)
            out.append((chosen, float(probs[chosen]), top_entries(probs, len(reply["steps"][0]["top"]))))
            ids.append(chosen)
    return out


@pytest.mark.parametrize("options", [{}, {"temperature": 0.7, "top_p": 0.9, "seed": 3}], ids=["default", "T0.7-p0.9"])
def test_chat_reply_is_the_models_own(options, embedded, one_torch_thread):
    from model.run import generate

    settings = TraceSettings(prompt=NEW_PROMPT, **options).validate()
    c = chat.converse(settings, embedded, generate)
    tok = embedded.tokenizer
    assert c["ids"] == tok.encode("".join(c["lines"]), add_special_tokens=False)
    assert c["part"] == sorted(c["part"]) and set(c["part"]) == {0, 1, 2}  # system, user, assistant, in order
    assert c["lines"][1] == "\n" + chat.USER_LINE.format(NEW_PROMPT) and c["user_from"] == "prompt"
    steps = c["reply"]["steps"]
    assert 1 <= len(steps) <= c["max_tokens"] == chat.REPLY_TOKENS
    for (chosen, prob, top), step in zip(direct_reply(embedded, c), steps, strict=True):
        assert step["chosen_id"] == chosen and step["chosen_prob"] == pytest.approx(prob, rel=1e-4, abs=1e-7)
        assert [e["id"] for e in step["top"]] == [i for i, _ in top]
        assert [e["prob"] for e in step["top"]] == pytest.approx([p for _, p in top], rel=1e-4, abs=1e-7)
    texts = [tok.decode([s["chosen_id"]]) for s in steps]
    ends = [chat.CLOSING in t or "\n" in t for t in texts]
    assert not any(ends[:-1]) and (ends[-1] or len(steps) == c["max_tokens"])  # it stops at the first end
    assert c["reply"]["stop"] == ("quote" if chat.CLOSING in texts[-1] else "newline" if ends[-1] else "length")


def test_chat_script_keeps_the_end_of_a_long_user_line_and_the_user_setting(embedded):
    tok = embedded.tokenizer
    long = TraceSettings(prompt=PROMPTS["long"]).validate()
    c = chat.script(long, tok, n_ctx=48)
    assert c["user_cut"] and len(c["ids"]) + c["max_tokens"] <= 48 and c["max_tokens"] == chat.REPLY_TOKENS
    user = c["lines"][1].removeprefix('\nThe girl asked, "').removesuffix('"')
    assert PROMPTS["long"].endswith(user.strip())
    own = chat.script(TraceSettings(prompt="x", chat_user="Where is the key?").validate(), tok, n_ctx=256)
    assert own["user_from"] == "chat_user" and "Where is the key?" in own["lines"][1] and not own["user_cut"]
    assert own["part"][0] == 0 and own["part"][-1] == 2 and sorted(set(own["part"])) == [0, 1, 2]


def test_a_trace_without_a_chat_fails_cleanly_and_makes_no_chat_statements(scene_traces, tmp_path):
    from model.cache import cache_key

    old = loaded_trace(scene_traces["default"])
    del old.info["chat"]
    assert not [k for k in statements(old) if k.startswith("chat.")]
    with pytest.raises(SystemExit) as exc:
        render(Chat, old.save(tmp_path / "old.npz"), tmp_path)
    assert exc.value.code == 2
    a, b = TraceSettings(prompt="x"), TraceSettings(prompt="x", chat_user="y")
    assert cache_key(a, "w") != cache_key(b, "w")  # the chat's settings name the cached Trace


def test_only_the_chat_scene_depends_on_the_chat(scene_traces):
    from gptanim.keys import fingerprint

    tr = loaded_trace(scene_traces["default"])
    other = loaded_trace(scene_traces["default"])
    other.info["chat"]["reply"]["steps"] = other.info["chat"]["reply"]["steps"][:1]  # another reply
    other.meta["settings"]["chat_user"] = "Where is the key?"
    for temperature in (False, True):  # scenes without the chat are not drawn again
        assert fingerprint(tr, temperature, ("learning",)) == fingerprint(other, temperature, ("learning",))
    assert fingerprint(tr, True, ("chat",)) != fingerprint(other, True, ("chat",))
