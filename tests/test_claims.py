"""Statements (model/claims.py): true for many prompts, honest on a random model, re-checked on screen."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest

from model.claims import (
    ANALOGY_TOP,
    LEVEL,
    TOP_RANKS,
    UNLIKELY,
    UNLIKELY_DRAW,
    ClaimError,
    draw_likelihood,
    hidden_read,
    reply_ending,
    softmax_total,
    stated,
    statements,
    strongest_read,
    temperature_bars,
    truncation_share,
    value_at,
    verify,
)
from model.formats import fmt_percent, shown_percent
from model.tokens_text import NEWLINE

PROMPTS = [
    "The",
    "Hi",
    "Once upon a time, a little girl",
    "The old fisherman looked at the grey sea and said",
    "Der König sprach zu seiner Tochter: »Geh in den Wald.«",
    "王子は森へ行きました。",
    "🐺🐺🐺 the wolf 🌲 and 🏰",
    "In 1812 there were 3 brothers, 12 geese and 1,000 gold coins.",
    "'Where are you going?' asked the fox.\n'To the mill,' said the miller's son.",
    "Dialogue:\nA: Good morning!\nB: Good morning to you.\nA:",
    "and and and and and and and and",
    "Rumpelstiltskin",
    "THE KING IS DEAD. LONG LIVE THE QUEEN!",
    "   spaces   before and after   ",
    "Crème brûlée für die Prinzessin",
    "The queen looked into her mirror and asked who was the fairest of them all, and the mirror answered "
    "that the young girl who lived with the seven dwarfs beyond the seven mountains was a thousand times fairer",
    "x = 3.14159 * r ** 2",
    "Il était une fois une princesse",
    "Сказка о рыбаке и рыбке",
    "The cat sat on the mat. The cat sat on the mat. The cat sat on the",
    "She said",
    "https://example.org/tales?id=42",
]
SETTINGS = [{}, {"top_k": 5}, {"top_p": 0.8, "temperature": 1.3}]


@pytest.fixture(scope="module")
def traces(embedded):
    """One Trace per prompt (a millisecond model: the whole set takes seconds), varied sampling settings."""
    from model.cache import TraceSettings
    from model.run import trace

    return [
        trace(TraceSettings(prompt=p, generate=3, seed=i, **SETTINGS[i % len(SETTINGS)]), embedded)
        for i, p in enumerate(PROMPTS)
    ]


def test_every_statement_of_every_prompt_follows_from_its_evidence(traces):
    for tr in traces:
        found = statements(tr)
        assert len(found) > 20
        for s in found.values():
            verify(s, tr)
            assert s.text and s.definition


def test_first_words_are_shown_as_the_prompts_own_tokens(traces):
    """Finding 7: a word's pieces are the prompt's tokens, not the word encoded again after a space."""
    german = traces[4]
    assert german.info["split_words"]["from_prompt"][0]["word"] == "Der"
    for tr in traces:
        for entry in tr.info["split_words"]["from_prompt"]:
            assert [p["id"] for p in entry["pieces"]] == [tr.token_ids[i] for i in entry["positions"]]
            assert [p["display"] for p in entry["pieces"]] == [tr.token_display[i] for i in entry["positions"]]


def test_distribution_title_names_truncation(traces):
    """Finding 1: the bars' title says when the drawn-from distribution is cut and renormalised."""
    for tr in traces:
        text = statements(tr)["continuation.distribution"].text
        cont = tr.info["continuation"]
        assert f"T = {cont['temperature']:g}" in text
        assert ("top-k" in text) == bool(cont["top_k"]) and ("top-p" in text) == bool(cont["top_p"])
        assert ("renormalised" in text) == bool(cont["top_k"] or cont["top_p"])


def test_the_draw_is_said_random_only_when_sampled_and_at_these_odds_only_when_unshaped(traces):
    """Temperature 0 takes the likeliest (never "by chance"); the bars' own odds only at T = 1 with no cut."""
    from model.claims import draw_manner

    assert "likeliest" in draw_manner(0.0, None, None) and "chance" not in draw_manner(0.0, None, None)
    assert draw_manner(1.0, None, None) == "by chance at these odds"
    assert "reshaped" in draw_manner(0.7, None, None) and "top-k 5" in draw_manner(1.0, 5, None)
    seen = set()
    for tr in traces:
        cont, text = tr.info["continuation"], statements(tr)["continuation.draw"].text
        plain = float(cont["temperature"]) == 1 and not cont["top_k"] and not cont["top_p"]
        assert (text == "by chance at these odds") == plain
        seen.add(plain)
    assert seen == {True, False}  # the prompts' settings cover both


def test_hidden_attention_is_the_weight_of_the_tokens_not_drawn(traces):
    """Finding 8: a prompt longer than the picture says how much attention the hidden tokens hold."""
    from scenes.attention import FLOW_TOKENS, MAX_GRID

    assert any(len(tr.token_ids) > MAX_GRID for tr in traces)
    for tr in traces:
        att = tr.info["attention"]
        row = tr.pattern(att["layer"], att["head"])[-1].astype(np.float64)
        for shown in (FLOW_TOKENS, MAX_GRID):
            found = hidden_read(tr, att["layer"], att["head"], shown)
            assert (found is not None) == (len(tr.token_ids) > shown)
            if len(tr.token_ids) > shown:
                hidden = len(tr.token_ids) - shown
                text = found.text
                assert (
                    text
                    == f"{hidden:,} earlier tokens, not drawn, hold {fmt_percent(row[:hidden].sum())} of this attention"
                )


def test_rounded_shares_show_their_sum(traces):
    """Findings 6 and 11: shown shares add up to what the total says; the tail holds the rest."""
    for tr in traces:
        sm = tr.info["softmax"]
        for shown in (1, 8, len(sm["ids"])):  # the total of as many tokens as a scene shows, made from its key
            as_shown = sum(shown_percent(p) for p in [*sm["probs"][:shown], sm["others_after"][shown - 1]])
            total = softmax_total(tr, shown)
            assert total.key == f"softmax.top{shown}.total" and total.text.startswith(f"{as_shown:.1f}%")
            assert ("rounding" in total.text) == (abs(as_shown - 100) >= 0.05)
            verify(total, tr)  # made again from its key by the checks
        assert softmax_total(tr, len(sm["ids"]) + 1) is None  # the Trace keeps no more steps than these
        top = np.argsort(-tr["logits"], kind="stable")[:8]
        for k, _t in enumerate(tr.meta["temperatures"]):
            tail = 1.0 - tr["probs"][k, top].astype(np.float64).sum()
            assert temperature_bars(tr, k, 8)[0].text == f"{max(tail, 0) * 100:.1f}%" or tail < 0.0005
        hot = tr.meta["temperatures"].index(2.0)
        assert shown_percent(1.0 - tr["probs"][hot, top].sum()) > 1.0  # at high T the tail holds real mass


def test_analogy_rank_says_what_is_left_out(traces):
    """Finding 3: the rank leaves out the input words and says so, with the rank counting them."""
    tr = traces[0]
    a = tr.info["geometry"]["analogies"][0]
    assert a["target_rank_with_inputs"] >= a["target_rank"]
    found = statements(tr)
    assert found["geometry.analogies.0.rank"].text == f"“queen” ranks {a['target_rank']} (inputs left out)"
    assert found["geometry.analogies.0.rank_with_inputs"].text == (
        f"ranks {a['target_rank_with_inputs']} counting king, man, woman"
    )


def test_alignment_words_follow_the_measured_cosines(traces):
    """Finding 4: "unrelated" only for a cosine near 0; the least aligned pair is named by its cosine."""
    geo = traces[0].info["geometry"]
    found = statements(traces[0])
    for j, d in enumerate(geo["dots"]):
        word = found[f"geometry.dots.{j}"].text.split(": ")[1]
        assert (word == "unrelated") == (abs(d["cosine"]) < 0.2)
        assert geo["pair_cosines"]["min"] <= d["cosine"] <= geo["pair_cosines"]["max"]
    if geo["pair_cosines"]["min"] > -0.2:
        assert "none is opposed" in found["geometry.pairs"].text


def test_gender_directions_in_all_dimensions_and_in_the_picture(traces):
    """Finding 5: the full-dimension cosine and what the 3-D picture keeps, both measured."""
    tr = traces[0]
    found = statements(tr)
    a = tr.info["geometry"]["analogies"][0]
    assert f"all {tr.meta['d_model']} dimensions" in found["geometry.gender.directions"].text
    assert f"{a['offset_cosine']:+.2f}".replace("-", "−") in found["geometry.gender.directions"].text
    share = sum(tr.info["geometry"]["pca_explained"]) * 100
    assert f"{share:.1f}% of the words' variance" in found["geometry.gender.picture"].text


def test_negative_pair_numbers_and_languages_follow_the_trace(traces):
    """The lowest pair is the minimum of all pairs (negative only below 0); one…four are judged by their own
    projections; another language's pieces are compared with the English line's count."""
    tr = traces[0]
    found, geo = statements(tr), tr.info["geometry"]
    low = geo["pair_cosines"]["lowest"]
    assert low["cosine"] == geo["pair_cosines"]["min"] and {low["a"], low["b"]} <= set(geo["pca_words"])
    assert found["geometry.negative"].text.startswith("none of") == (low["cosine"] >= 0)
    numbers = geo["plural"]["numbers"]
    values = [n["projection"] for n in numbers]
    rising = all(b > a for a, b in zip(values, values[1:]))
    apart = all(abs(b - a) >= LEVEL * (max(values) - min(values)) for a, b in zip(values, values[1:]))
    assert ("each further along" in found["geometry.plural.numbers"].text) == (len(values) > 1 and rising and apart)
    assert len(geo["plural"]["in_view"]) == 3 and np.linalg.norm(geo["plural"]["in_view"]) <= 1 + 1e-9
    lines = tr.info["other_languages"]
    assert lines[0]["language"] == "English"
    for j in range(1, len(lines)):
        n, m = len(lines[j]["pieces"]), len(lines[0]["pieces"])
        word = "more" if n > m else "fewer" if n < m else "as many"
        assert f"{n} pieces, {word} than English's {m}" in found[f"languages.{j}"].text


def test_continuations_say_their_ranks_not_a_verdict(traces):
    """Finding 9, then issue 31: the words under each temperature are the drawn tokens' repeats and ranks (how many
    among the model's top 10, the lowest), never a judgement of the text such as "fluent"."""
    for tr in traces:
        for c, run in enumerate(tr.info["comparisons"]):
            text = statements(tr)[f"comparisons.{c}"].text
            ids = run["ids"]
            repeated = len(set(zip(ids, ids[1:]))) < len(ids) - 1
            assert text.startswith("repeats itself" if repeated else "no repeats")
            ranks = [s["chosen_rank"] for s in run["steps"]]
            if run["temperature"] == 0:
                assert set(ranks) == {1} and f"all {len(ranks)} tokens the model's top pick" in text
            elif max(ranks) > 1:
                assert (
                    f"the lowest ranked {max(ranks):,}" in text or f"its one token the model's {max(ranks):,}" in text
                )
                inside = sum(r <= TOP_RANKS for r in ranks)
                assert (
                    f"all {len(ranks)} tokens" if inside == len(ranks) else f"{inside} of {len(ranks)} tokens"
                ) in text
            assert not re.search(r"fluent|natural|nonsense|improbable|median", text)


def test_logit_lens_says_why_the_embedding_predicts_itself(traces):
    """Finding 10: the tied unembedding is named when the embedding's top guess is the token itself."""
    for tr in traces:
        text = statements(tr)["lens.embedding"].text
        own = int(tr["logit_lens.top_ids"][0, 0]) == tr.token_ids[-1]
        assert tr.meta["tied_embeddings"] and "(tied)" in text
        assert text.startswith("At the embedding the top guess is the token itself") == own


def test_rounded_terms_say_when_they_do_not_add_up(traces):
    """The matrix-vector sum: −0.572 + 0.131 shown beside −0.440 says it only nearly adds up (≈)."""

    def shown(x):
        return round(float(x), 3)

    for tr in traces:
        d = tr.meta["d_model"]
        terms = [tr["matvec.partial_sums"][d - 1], tr["weights.blocks.0.attn.b_Q"][0, 0]]
        adds_up = abs(sum(shown(x) for x in terms) - shown(tr["blocks.0.attn.hook_q"][0, 0, 0])) < 5e-4
        assert ("≈" in statements(tr)["matvec.total"].text) != adds_up


def test_tampered_evidence_is_caught(traces):
    tr = traces[0]
    dot = statements(tr)["geometry.dots.0"]
    with pytest.raises(ClaimError, match="not the Trace's value"):
        verify(dataclasses.replace(dot, evidence={"cosine": -0.9}), tr)
    with pytest.raises(ClaimError, match="the evidence gives"):
        verify(dataclasses.replace(dot, text="cos +0.90: unrelated"), tr)
    other = softmax_total(traces[3], 8)
    if other.text != softmax_total(tr, 8).text:
        with pytest.raises(ClaimError):
            verify(other, tr)  # another prompt's statement is not this Trace's


def test_random_model_states_that_nothing_holds(random_gpt2):
    """Twelve random layers with real words: every judgement says honestly that nothing holds."""
    from model.cache import TraceSettings
    from model.loading import load
    from model.run import trace

    tr = trace(TraceSettings(prompt="The old king said to the queen", generate=8), load(str(random_gpt2)))
    assert tr.n_layer == 12
    found = statements(tr)
    for s in found.values():
        verify(s, tr)
    assert found["geometry.analogies"].text == "no analogy holds in this model"
    for j, a in enumerate(tr.info["geometry"]["analogies"]):
        assert a["target_rank"] > ANALOGY_TOP
        assert found[f"geometry.analogies.{j}.verdict"].text.startswith("the analogy does not hold in this model")
    assert found["geometry.plural"].text.startswith("it does not separate plurals in this model")
    assert found["attention.heads"].text.startswith("in this model they look alike")
    assert found["model.preference"].text.startswith("near-uniform")
    for c in range(len(tr.info["comparisons"])):
        assert found[f"comparisons.{c}"].text.endswith("the model prefers no token")
    assert "point the same way" not in found["geometry.gender.directions"].text.replace("not point", "")
    assert math.isclose(sum(tr.info["geometry"]["pca_explained"]), float(found["geometry.gender.picture"].text
                        .split("hold ")[1].split("%")[0]) / 100, abs_tol=5e-4)  # fmt: skip


def test_a_typed_characterising_word_is_caught(traces):
    """A label that judges a number without a statement fails the scene check; the statement passes."""
    from types import SimpleNamespace

    from scenes.components import label, statement
    from tests.scenecheck import check_numbers

    tr = traces[0]
    typed = SimpleNamespace(mobjects=[label("cats · houses (unrelated)")])
    with pytest.raises(AssertionError, match="typed characterising word 'unrelated'"):
        check_numbers(typed, tr)
    stated = SimpleNamespace(mobjects=[statement(statements(tr)["geometry.dots.0"])])
    assert check_numbers(stated, tr)["claims"] == 1
    wrong = SimpleNamespace(mobjects=[statement(statements(traces[1])["comparisons.2"])])
    if statements(traces[1])["comparisons.2"].text != statements(tr)["comparisons.2"].text:
        with pytest.raises(AssertionError):
            check_numbers(wrong, tr)


def test_temperature_bars_show_the_tail(traces):
    """Finding 11: at every stored T (and at the continuation's own) an "all other tokens" bar, a statement."""
    from types import SimpleNamespace

    from model.claims import lecture_bars
    from scenes.unembedding import Temperature
    from tests.scenecheck import check_numbers, shown_text

    tr = traces[3]
    scene = Temperature()
    scene.trace = tr
    for k, t in enumerate(tr.meta["temperatures"]):
        bars = scene.bars_at(t)[0]  # (the shares' sum is not drawn: its rounding would need a footnote)
        own = t == tr.info["continuation"]["temperature"]  # read from info.continuation.untruncated
        tail = lecture_bars(tr, Temperature.SHOWN) if own else temperature_bars(tr, k, Temperature.SHOWN)
        assert shown_text(bars.rows[-1].name) == "all other tokens"
        assert shown_text(bars.rows[-1].pct) == tail[0].text
        assert check_numbers(SimpleNamespace(mobjects=[bars]), tr)["claims"] == 1


def test_trace_claims_prints_every_statement_with_evidence(capsys, embedded):
    from gptanim.cli import main

    assert main(["trace", "--prompt", "The old fisherman said", "--generate", "3", "--claims"]) == 0
    out = capsys.readouterr().out
    assert "geometry.analogies.0.rank: “queen” ranks" in out
    assert "rule: cosine ≥ 0.5: aligned" in out and "← info.geometry.dots.0.cosine" in out
    assert out.count("    rule: ") >= 20


def test_a_statement_about_a_scenes_view_is_made_again_from_its_key(traces):
    """What a scene draws (a head, its last tokens, its bars) is in the key: the checks need not know the scene."""
    from dataclasses import replace

    tr = next(t for t in traces if len(t.token_ids) > 3)
    n, last = len(tr.token_ids), tr.n_layer - 1
    made = [strongest_read(tr, last, 1, 3), hidden_read(tr, 0, 1, 3), *temperature_bars(tr, 0, 5),
            truncation_share(tr, "top_p", 2)]  # fmt: skip
    for found in made:
        again = value_at(tr, f"claims.{found.key}")
        assert again is found and found.key not in statements(tr)  # not listed: a scene's choice, not the Trace's
        verify(found, tr)
        with pytest.raises(ClaimError):
            verify(replace(found, text=found.text + "!"), tr)
    assert made[0].paths["row"] == [f"blocks.{last}.attn.hook_pattern[1,{n - 1},{k}]" for k in range(n - 3, n)]
    assert made[1].text.startswith(f"{n - 3:,} earlier tokens, not drawn, hold ")
    for nothing in (f"attention.L0H1.hidden.last{n}", f"attention.L{tr.n_layer}H0.top.last3",
                    f"attention.L0H{tr.n_head}.top.last3", "attention.L0H0.top.last0", "temperature.tail.9.top5",
                    "temperature.total.0.top0", "attention.L0H0.top.lastx", "truncation.top_q.shown.top2"):  # fmt: skip
        assert stated(tr, nothing) is None
        with pytest.raises(KeyError):
            value_at(tr, f"claims.{nothing}")


def test_the_previous_token_rows_are_counted_from_the_drawn_rows(traces):
    """Issue 30: the head called previous-token says in how many of its drawn rows the previous token weighs most."""
    from model.claims import previous_read, rows_led_by_previous

    for tr in traces:
        att = tr.info["attention"]
        L, H, n = att["layer"], att["head"], len(tr.token_ids)
        P = tr.pattern(L, H)
        for shown in (3, 16):
            found = previous_read(tr, L, H, shown)
            assert (found is None) == (n < 2)
            if found is None:
                continue
            verify(found, tr)
            first = max(1, n - shown + 1)
            hits = [q for q in range(first, n) if int(np.argmax(P[q])) == q - 1]
            assert rows_led_by_previous(found.evidence["rows"], found.evidence["first"]) == hits
            rows = n - first
            if rows == 1:
                assert found.text.startswith("its one row")
            elif 0 < len(hits) < rows:
                assert found.text == f"in {len(hits)} of its {rows} rows, the previous token gets the most weight"
    assert previous_read(traces[0], 0, 0, 1) is None


def test_the_first_column_is_the_mean_weight_of_the_rows_after_it(traces):
    """The grid's first column: the mean weight the drawn rows after the first give the first drawn token."""
    from model.claims import first_read

    for tr in traces:
        att = tr.info["attention"]
        L, H, n = att["layer"], att["head"], len(tr.token_ids)
        P = tr.pattern(L, H).astype(np.float64)
        for shown in (3, 16):
            found = first_read(tr, L, H, shown)
            assert (found is None) == (n < 2)
            if found is None:
                continue
            verify(found, tr)
            key = max(0, n - shown)
            mean = float(np.mean(P[key + 1 :, key]))
            assert found.text == f"every later row gives it {fmt_percent(mean)} of its weight, on average"
    assert first_read(traces[0], 0, 0, 1) is None


def test_a_value_that_rounds_to_zero_is_shown_without_a_sign():
    from model.formats import fmt_value

    assert fmt_value(-0.0004) == "0.00" and fmt_value(-0.0004, 3) == "0.000" and fmt_value(0.0) == "0.00"
    assert fmt_value(-0.006) == "−0.01" and fmt_value(0.006) == "+0.01"


def test_a_reply_ended_by_a_newline_counts_the_tokens_before_it():
    """The newline that ends the line is the reply's last token: the words before it are what it wrote."""
    nl = NEWLINE
    assert reply_ending(["·Yes", ",", "·dear", nl], '"', 20).startswith("it writes 3 tokens, then a new line")
    assert reply_ending(["·Yes", nl], '"', 20).startswith("it writes 1 token, then")
    assert "at once" in reply_ending([nl], '"', 20)
    assert reply_ending(["·Yes", '."'], '"', 20) == "it closes the quote after 2 tokens"


def test_a_chat_draw_is_unlikely_below_the_threshold_and_the_rest_is_what_the_bars_leave(traces):
    """The chat's "unlikely draw" is a rule with its threshold; the wheel's grey rest is 1 − the shown bars."""
    assert draw_likelihood(UNLIKELY / 2, UNLIKELY) == UNLIKELY_DRAW != draw_likelihood(UNLIKELY, UNLIKELY)
    for tr in traces:
        if "chat" not in tr.info:
            continue
        found, reply = statements(tr), tr.info["chat"]["reply"]
        for i, step in enumerate(reply["steps"]):
            drawn = found[f"chat.draw.{i}"]
            assert (drawn.text == UNLIKELY_DRAW) == (step["chosen_prob"] < UNLIKELY)
            assert drawn.paths["prob"] == f"info.chat.reply.steps.{i}.chosen_prob"
        rest = stated(tr, "chat.rest.0.top3")
        assert rest.text == fmt_percent(1 - sum(e["prob"] for e in reply["steps"][0]["top"][:3]))
        assert f"T = {reply['temperature']:g}" in found["chat.distribution"].text
