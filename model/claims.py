"""Statements about a Trace: every word on screen that characterises a number is made here.

A number on screen is checked against the Trace path it came from. A word such as
"aligned", "repeats itself" or "no analogy holds" is a judgement about numbers, so it is
made here, by a rule whose threshold is written once, beside the rule, and it carries
its evidence: the numbers it was judged from (with the Trace paths they were read from)
and the thresholds. `verify` re-reads the evidence from the Trace and makes the words
again from it; `statements(trace)` lists every statement of a Trace (`gptanim trace --claims`). A statement about
what a scene chose to draw (a head, the last n tokens, the top n bars) has that choice in its key and is made
from the key when asked (`stated`): the scene's layout stays in the scene.

Numpy only: scenes and the command line use it without torch or manim.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from model.formats import fmt_percent, fmt_value, shown_percent
from model.loading import EMBEDDED_NAME
from model.sampling import softmax, top_entries
from model.tokens_text import NEWLINE
from model.trace_data import Trace, stored_value

RULES: dict[str, Callable[..., str]] = {}
DEFINITIONS: dict[str, str] = {}


class ClaimError(AssertionError):
    """A statement whose words do not follow from its evidence, or whose evidence is not the Trace's."""


@dataclass(frozen=True)
class Statement:
    key: str  # its name, e.g. "geometry.dots.1"; scenes tag its text with "claims.<key>"
    rule: str  # the rule in RULES that made `text` from `evidence`
    text: str  # the words shown
    evidence: dict  # name → value: the numbers judged and the thresholds
    paths: dict = field(default_factory=dict)  # evidence name → Trace path (or list of paths) it was read from

    @property
    def definition(self) -> str:
        return DEFINITIONS[self.rule]

    def describe(self) -> str:
        """The statement, its rule and its evidence, for a person to re-check."""
        lines = [f"{self.key}: {self.text}", f"    rule: {self.definition}"]
        for name, value in self.evidence.items():
            where = self.paths.get(name)
            if isinstance(where, list):
                where = ", ".join(where) if len(where) <= 3 else f"{where[0]} … {where[-1]} ({len(where)} paths)"
            source = f"   ← {where}" if where else ""
            lines.append(f"    {name} = {short(value)}{source}")
        return "\n".join(lines)


def short(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list) and len(value) > 12:
        return "[" + ", ".join(short(v) for v in value[:12]) + f", … ({len(value)} values)]"
    if isinstance(value, list):
        return "[" + ", ".join(short(v) for v in value) + "]"
    return repr(value)


def rule(definition: str):
    """Register a rule: a function from evidence to words, with its definition in words."""

    def register(fn):
        RULES[fn.__name__] = fn
        DEFINITIONS[fn.__name__] = definition
        return fn

    return register


# ---------------------------------------------------------------------------------------------
# The rules. Each threshold is defined here, once.

ALIGNED, UNRELATED = 0.5, 0.2  # cosine ≥ 0.5 aligned, |cosine| < 0.2 unrelated, ≤ −0.5 opposed


def alignment_word(cosine: float) -> str:
    if cosine >= ALIGNED:
        return "aligned"
    if cosine > UNRELATED:
        return "weakly aligned"
    if cosine > -UNRELATED:
        return "unrelated"
    if cosine > -ALIGNED:
        return "weakly opposed"
    return "opposed"


@rule(f"cosine ≥ {ALIGNED}: aligned; ≥ {UNRELATED}: weakly aligned; |cosine| < {UNRELATED}: unrelated; "
      f"≤ −{UNRELATED}: weakly opposed; ≤ −{ALIGNED}: opposed")  # fmt: skip
def alignment(cosine: float) -> str:
    return f"cos {fmt_value(cosine)}: {alignment_word(cosine)}"


@rule(f"none is opposed when the lowest cosine is above −{UNRELATED}; else the lowest is named by the alignment "
      f"words (≤ −{UNRELATED}: weakly opposed; ≤ −{ALIGNED}: opposed)")  # fmt: skip
def pair_range(low: float, high: float, n_pairs: int) -> str:
    verdict = "none is opposed" if low > -UNRELATED else f"the lowest is {alignment_word(low)}"
    return f"the {n_pairs:,} pairs' cosines run from {fmt_value(low)} to {fmt_value(high)}: {verdict}"


SAME_WAY, PARTLY = 0.5, 0.2  # two directions: cosine ≥ 0.5 the same way, ≥ 0.2 partly


@rule(f"cosine ≥ {SAME_WAY}: point the same way; ≥ {PARTLY}: partly; below: not the same way")
def directions(cosine: float, d_model: int) -> str:
    word = (
        "point the same way"
        if cosine >= SAME_WAY
        else "point partly the same way"
        if cosine >= PARTLY
        else "do not point the same way"
    )
    return f"in all {d_model} dimensions they {word} (cosine {fmt_value(cosine)})"


@rule("the cosine of woman − man and queen − king between their 3-D points; the share of the "
      "words' variance the 3 axes hold")  # fmt: skip
def picture_directions(man: list, woman: list, king: list, queen: list, explained: list) -> str:
    u, v = np.subtract(woman, man), np.subtract(queen, king)
    cos = float(u @ v / max(np.linalg.norm(u) * np.linalg.norm(v), 1e-12))
    share = sum(explained)
    return f"in this 3-D picture: cosine {fmt_value(cos)}; its 3 axes hold {share * 100:.1f}% of the words' variance"


@rule("the lowest cosine among all pairs of the pictured words: negative when below 0")
def negative_pair(a: str, b: str, dot: float, cosine: float, n_pairs: int) -> str:
    if cosine < 0:
        return f"{a} · {b} = {fmt_value(dot)} is negative: they point apart (cosine {fmt_value(cosine)})"
    return f"none of the {n_pairs:,} pairs is negative; the lowest, {a} · {b}, is {fmt_value(dot)} (cosine {fmt_value(cosine)})"


LEVEL = 0.05  # two neighbours along a direction are level when closer than 5% of the spread from lowest to highest


def level_pairs(words: list, values: list) -> list[tuple[str, str, float]]:
    """Neighbouring (word, word, gap as a share of the spread) whose values differ by less than LEVEL of the
    values' spread (lowest to highest)."""
    spread = max(values) - min(values)
    gaps = [abs(y - x) / spread if spread else 0.0 for x, y in zip(values, values[1:])]
    return [(words[j], words[j + 1], gap) for j, gap in enumerate(gaps) if gap < LEVEL]


@rule(f"the projections of one, two, three, four onto the plural direction: each above the one before; two "
      f"neighbours closer than {LEVEL:.0%} of the spread from lowest to highest are level, not in order")  # fmt: skip
def numbers_order(words: list, projections: list, missing: list) -> str:
    if len(projections) < 2:
        return f"{', '.join(missing)}: not single tokens in this vocabulary, so not shown"
    level = level_pairs(words, projections)
    tied = {(a, b) for a, b, _ in level}
    steps = zip(words, words[1:], projections, projections[1:])
    rising = all(y > x or (a, b) in tied for a, b, x, y in steps)
    if rising and not level:
        verdict = "each further along than the last"
    elif len(level) == len(words) - 1:
        verdict = "all level along it"
    elif rising:
        ties = "; ".join(
            f"{a} and {b} are level ({np.floor(gap * 1000) / 10:.1f}% of the spread apart)" for a, b, gap in level
        )  # fmt: skip (rounded down: a level gap never reads as LEVEL)
        verdict = f"rising, except that {ties}"
    else:
        verdict = "not in order along it"
    text = f"{words[0]} to {words[-1]}: {verdict}"
    return text + (f" ({', '.join(missing)}: not single tokens)" if missing else "")


@rule("a line's pieces against the English line's (the same sentence): more, fewer or as many; characters a piece")
def language_pieces(language: str, pieces: list, n_chars: int, english_pieces: list, english_chars: int) -> str:
    n, m = len(pieces), len(english_pieces)
    word = "more" if n > m else "fewer" if n < m else "as many"
    return (f"{language}: {n} pieces, {word} than English's {m}; {n_chars / max(n, 1):.1f} characters a piece "
            f"(English {english_chars / max(m, 1):.1f})")  # fmt: skip


ANALOGY_TOP = 5  # an analogy holds when its target is among the 5 nearest tokens (inputs left out)


@rule("the target's rank by cosine among all tokens, the three input words left out")
def analogy_rank(target: str, rank: int) -> str:
    return f"“{target}” ranks {rank:,} (inputs left out)"


@rule("the target's rank by cosine among all tokens, the three input words counted")
def analogy_rank_with_inputs(rank_with_inputs: int, inputs: list) -> str:
    return f"ranks {rank_with_inputs:,} counting {', '.join(inputs)}"


@rule(f"the analogy holds when its target is among the {ANALOGY_TOP} nearest tokens, input words left out")
def analogy_verdict(target: str, rank: int, n_tokens: int) -> str:
    if rank <= ANALOGY_TOP:
        place = "the nearest" if rank == 1 else f"the {ordinal(rank)} nearest"  # (of the ANALOGY_TOP that count)
        return f"the analogy holds: “{target}” is {place} of {n_tokens:,}"
    return f"the analogy does not hold in this model: “{target}” ranks {rank:,} of {n_tokens:,}"


@rule(f"how many analogies hold (target among the {ANALOGY_TOP} nearest tokens, input words left out)")
def analogies_summary(ranks: list) -> str:
    held = sum(r <= ANALOGY_TOP for r in ranks)
    if not ranks:
        return "the vocabulary lacks the words for an analogy"
    if not held:
        return "no analogy holds in this model"
    return f"{held} of {len(ranks)} analogies hold"


PLURAL_HOLDS = 0.75  # a direction separates plurals when it is right on ≥ 75% of held-out pairs


@rule(f"the plural direction separates plurals when it ranks them higher on ≥ {PLURAL_HOLDS:.0%} of held-out pairs")
def plural_verdict(accuracy: float | None, n_held_out: int) -> str:
    if accuracy is not None and accuracy >= PLURAL_HOLDS:
        return f"plurals score higher on {accuracy:.0%} of {n_held_out} held-out pairs"
    share = "none" if accuracy is None else f"{accuracy:.0%}"
    return f"it does not separate plurals in this model ({share} of {n_held_out} held-out pairs)"


@rule("the sum of the percentages as shown (each rounded to 0.1%), and the exact sum")
def rounded_total(probs: list, exact_total: float) -> str:
    total = sum(shown_percent(p) for p in probs)
    exact = "100%" if abs(exact_total - 1.0) < 1e-6 else f"{exact_total * 100:.4f}%"
    if abs(total - 100.0) < 0.05 and exact == "100%":
        return f"{total:.1f}%"
    return f"{total:.1f}% (rounding; exact sum {exact})"


@rule("the sum of the shares of the bars as shown (rounded to 0.1%); how many kept tokens are not shown")
def shown_share(probs: list, kept: int) -> str:
    total = sum(shown_percent(p) for p in probs)
    rest = kept - len(probs)
    if rest <= 0:
        return f"these {len(probs)} add to {rounded_total(probs, float(np.sum(probs)))}"
    return f"these {len(probs)} hold {total:.1f}%; {rest:,} more kept tokens hold the rest"


@rule("the bars' percentages as shown plus the rest's (1 − their sum), added up; the exact sum is 1")
def bars_total(probs: list) -> str:
    return rounded_total([*probs, max(1.0 - float(np.sum(probs)), 0.0)], 1.0)


@rule("a logit divided by the temperature, as its bar shows it (fewer decimals when it is large)")
def scaled_logit(logit: float, temperature: float) -> str:
    x = float(logit) / float(temperature)
    return fmt_value(x, 2 if abs(x) < 10 else 1 if abs(x) < 100 else 0)


@rule("1 − the sum of the shown bars' probabilities")
def tail_mass(probs: list) -> str:
    return fmt_percent(max(1.0 - float(np.sum(probs)), 0.0))


@rule("the sampling distribution's settings, as the continuation was drawn")
def distribution_title(temperature: float, top_k: int | None, top_p: float | None) -> str:
    text = f"softmax at T = {temperature:g}"
    cuts = ([f"top-k {top_k}"] if top_k else []) + ([f"top-p {top_p:g}"] if top_p else [])
    return text + (f", {', '.join(cuts)}, renormalised" if cuts else "")


@rule("how the continuation's tokens were chosen: temperature 0 takes the likeliest; temperature 1 with no cut draws "
      "at random by the model's own odds; any other setting draws at random by odds it reshapes")  # fmt: skip
def draw_manner(temperature: float, top_k: int | None, top_p: float | None) -> str:
    if float(temperature) == 0:
        return "the likeliest, taken (temperature 0)"
    if float(temperature) == 1 and not top_k and not top_p:
        return "by chance at these odds"
    return f"by chance, at these odds reshaped ({distribution_title(temperature, top_k, top_p)})"


@rule("the attention weights of the tokens left out of the picture, summed")
def hidden_attention(row: list, shown: int) -> str:
    hidden = len(row) - shown
    weight = float(np.sum(row[:hidden]))
    return f"{hidden:,} earlier tokens, not drawn, hold {fmt_percent(weight)} of this attention"


HEAD_TIE = 0.005  # heads whose mean previous-token weights differ by < 0.5 percentage points are tied


@rule(f"the head shown: its queries put the most weight on the previous token, on average over the queries "
      f"that have one (the first wins ties); heads within {HEAD_TIE * 100:g} percentage points of it are tied with "
      f"it; a one-token prompt has no previous token, so the rule picks nothing and the first head is shown")  # fmt: skip
def head_choice(weights: list, layer: int, head: int, n_tokens: int) -> str:
    if n_tokens < 2:
        return "the first head (one token: there is no previous token to attend to)"
    best = weights[layer][head]
    tied = sum(best - w < HEAD_TIE for row in weights for w in row) - 1
    if tied:
        return (f"tied with {tied} other head{'s' * (tied > 1)} for the strongest previous-token attention "
                f"({fmt_percent(best)} on average)")  # fmt: skip
    return "the head with the strongest previous-token attention"


def rows_led_by_previous(rows: list, first: int) -> list[int]:
    """The queries (counted from `first`, the query of rows[0]) whose row puts its largest weight on the token just
    before them (the first of equal weights is the largest)."""
    return [q for q, row in enumerate(rows, first) if q >= 1 and int(np.argmax(row)) == q - 1]


@rule(
    "the rows drawn whose previous token is drawn too: those whose largest weight is on the previous token "
    "(the first of equal weights is the largest), counted"
)
def previous_rows(rows: list, first: int) -> str:
    hits, m = len(rows_led_by_previous(rows, first)), len(rows)
    if m == 1:
        return f"its one row {'puts' if hits else 'does not put'} the most weight on the previous token"
    count = f"all {m} of its rows" if hits == m else f"none of its {m} rows" if hits == 0 else f"{hits} of its {m} rows"
    return f"in {count}, the previous token gets the most weight"


@rule("the mean weight the rows drawn after the first put on the first token drawn (its column in the grid)")
def first_column(rows: list, column: int) -> str:
    mean = float(np.mean([row[column] for row in rows]))
    return f"every later row gives it {fmt_percent(mean)} of its weight, on average"


READ_TIE = 0.01  # two attention weights within 1 percentage point of each other are level


@rule(f"the weight of the key the last query weights most against the next one; within {READ_TIE * 100:g} "
      f"percentage point: level (the first of equals is drawn as the strongest)")  # fmt: skip
def strongest_key(row: list) -> str:
    if len(row) < 2:
        return "the only token it can read"
    first, second = sorted(row, reverse=True)[:2]
    word = "level with" if first - second < READ_TIE else "ahead of"
    return f"{word} the next strongest, at {fmt_percent(second)}"


HEADS_DIFFER = 0.1  # heads differ when two heads place ≥ 10% of a row's weight differently, on average


def head_distance(patterns: list[np.ndarray]) -> float:
    """The mean, over pairs of heads (all layers), of the total-variation distance between their
    attention rows (queries after the first): the share of a row's weight one head places elsewhere."""
    P = np.concatenate([np.asarray(p, dtype=np.float64) for p in patterns])[:, 1:, :]  # (heads, query, key)
    if len(P) < 2 or P.shape[1] == 0:
        return 0.0
    a, b = np.triu_indices(len(P), k=1)
    return float((0.5 * np.abs(P[a] - P[b]).sum(-1)).mean())


@rule(f"the mean total-variation distance between two heads' attention rows (queries after the first); "
      f"≥ {HEADS_DIFFER:.0%}: they differ; a one-token prompt has no such row: every head puts all its weight on "
      f"the one token")  # fmt: skip
def heads_spread(distance: float, n_tokens: int = 2) -> str:
    if n_tokens < 2:
        return "with one token, every head puts all its weight on it, so none can differ on this prompt"
    measure = f"two heads place {fmt_percent(distance)} of their weight differently, on average"
    if distance >= HEADS_DIFFER:
        return f"they differ ({measure})"
    return f"in this model they look alike ({measure})"


NEAR_UNIFORM = 0.9  # a distribution whose entropy is ≥ 90% of the uniform one's prefers no token
TOP_RANKS = 10  # drawn tokens are counted among the model's 10 likeliest at their step (rank ≤ 10)


@rule(f"entropy ≥ {NEAR_UNIFORM:.0%} of the uniform distribution's: near-uniform")
def model_preference(entropy: float, uniform_entropy: float) -> str:
    ratio = entropy / uniform_entropy if uniform_entropy > 0 else 1.0
    if ratio >= NEAR_UNIFORM:
        return f"near-uniform: the next token's entropy is {ratio:.0%} of the uniform one's, so it prefers no token"
    return f"the next token's entropy is {ratio:.0%} of the uniform one's"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def repeats_word(ids: list, self_follow: bool = False) -> str:
    """'repeats itself' when a pair of tokens occurs twice (or, with `self_follow`, a token follows itself)."""
    pairs = list(zip(ids, ids[1:]))
    again = len(set(pairs)) < len(pairs) or (self_follow and any(a == b for a, b in pairs))
    return "repeats itself" if again else "no repeats"


def ranks_words(ranks: list, whose: str, top_k: int | None = None) -> str:
    """What the ranks are, in words a viewer can check: how many drawn tokens were among the model's
    TOP_RANKS likeliest, and the lowest rank drawn. No judgement of the text's quality: a rank says how
    the model itself ordered the token, not whether the text reads well."""
    n, worst = len(ranks), max(ranks)
    if worst == 1:
        text = f"its one token {whose} top pick" if n == 1 else f"all {n} tokens {whose} top pick"
    elif n == 1:
        text = f"its one token {whose} {ordinal(worst)} pick"
    else:
        inside = sum(r <= TOP_RANKS for r in ranks)
        count = f"all {n}" if inside == n else f"{inside} of {n}"
        text = f"{count} tokens among {whose} top {TOP_RANKS}, the lowest ranked {ordinal(worst)}"
    if top_k and top_k <= TOP_RANKS:
        text += f" (top-k {top_k}: none below {ordinal(top_k)} could be drawn)"
    return text


@rule(f"repeats itself: a pair of tokens occurs twice; then the ranks the model gave the drawn tokens (1 = its "
      f"likeliest): how many are among its {TOP_RANKS} likeliest, and the lowest (no verdict on the text's quality); "
      f"a near-uniform model prefers no token")  # fmt: skip
def continuation_character(ids: list, ranks: list, near_uniform: bool, top_k: int | None = None) -> str:
    if not ranks:
        return "nothing generated"
    repeats = repeats_word(ids)
    if near_uniform:
        return f"{repeats}; the model prefers no token"
    return repeats + "; " + ranks_words(ranks, "the model's", top_k)


@rule("how the chatbot's reply ends: its last token holds the closing quote (it closes the quote) or a newline "
      "(it ends the line), or the reply reached the most tokens it may take")  # fmt: skip
def reply_ending(displays: list, closing: str, max_tokens: int) -> str:
    n = len(displays)
    if not n:
        return "it writes nothing: the script fills the model's context"
    tokens = f"{n} token" + ("s" if n > 1 else "")
    if closing in displays[-1]:
        return f"it closes the quote after {tokens}"
    if NEWLINE in displays[-1]:  # the newline is itself the last token: the words before it are counted
        if n == 1:
            return "it ends the line at once, the quote left open"
        words = f"{n - 1} token" + ("s" if n - 1 != 1 else "")
        return f"it writes {words}, then a new line ends it, the quote left open"
    if n >= max_tokens:
        return f"after {tokens}, the most it may write here, the quote is still open"
    return f"it stops after {tokens}, the quote left open"


UNLIKELY = 0.02  # a drawn token with less chance than this is an unlikely draw
UNLIKELY_DRAW = "an unlikely draw"


@rule(f"a drawn token is {UNLIKELY_DRAW} when the chance it was drawn with is under the threshold "
      f"(UNLIKELY = {UNLIKELY:.0%}); otherwise a common one")  # fmt: skip
def draw_likelihood(prob: float, threshold: float) -> str:
    return UNLIKELY_DRAW if prob < threshold else "a common draw"


@rule(f"what the model learned from, by the embedded model's card (MODEL_CARD.md: public-domain fairy tales only, "
      f"no conversations) when the Trace's model is {EMBEDDED_NAME}; another model's training text is not recorded "
      f"in the Trace")  # fmt: skip
def model_training(model: str) -> str:
    if model == EMBEDDED_NAME:
        return "it learned from fairy tales only, never from a conversation with a user"
    return "its training text is not recorded here"


@rule("whether the unembedding is the embedding matrix (tied), and whether the embedding's top guess is the token")
def lens_embedding(tied: bool, top_id: int, token_id: int) -> str:
    own = top_id == token_id
    if tied and own:
        return "At the embedding the top guess is the token itself: the unembedding is the embedding matrix (tied)."
    if tied:
        return "The unembedding is the embedding matrix (tied), yet the embedding's top guess is another token."
    guess = "the token itself" if own else "another token"
    return f"The unembedding is its own matrix (not tied); the embedding's top guess is {guess}."


@rule("whether the rounded terms as shown (3 decimals) add up to the rounded result as shown")
def rounded_terms(terms: list, result: float) -> str:
    def shown(x: float) -> float:
        return float(fmt_value(x, 3).replace("−", "-"))

    if abs(sum(shown(x) for x in terms) - shown(result)) < 5e-4:
        return "= query entry"
    return "≈ query entry"  # each term rounded: the shown terms add up to it only nearly


TOP_GUESS = 1  # a position guessed the prompt's next token when that token was its rank-1 prediction


@rule(f"how many positions ranked the prompt's own next token {TOP_GUESS} (their top guess), of those that have one")
def top_guess_hits(ranks: list) -> str:
    if not ranks:
        return "a one-token prompt: no position has a next prompt token to check"
    hits = sum(r <= TOP_GUESS for r in ranks)
    return f"the prompt's next token was the top guess at {hits} of {len(ranks)} positions"


@rule(f"one position checked: ✓ when it ranked the prompt's own next token {TOP_GUESS} (its top guess), else ✗")
def top_guess_mark(rank: int) -> str:
    return "✓" if rank <= TOP_GUESS else "✗"


@rule(f"how the shown positions' top guesses fare against the prompt's own next tokens (a hit: rank {TOP_GUESS})")
def guess_verdict(ranks: list) -> str:
    if not ranks:
        return "No position before the last has a next token to check."
    hits, n = sum(r <= TOP_GUESS for r in ranks), len(ranks)
    if hits == n:
        return "Here every guess is right: each is the token that really comes next, so each gets a tick."
    if hits == 0:
        return ("Here every guess misses, so each gets a cross. Above it, the rank the model gave the token that "
                "really came next.")  # fmt: skip
    return (f"A tick where the guess is the token that really comes next: {hits} of {n} here. Above each cross, "
            "the rank the model gave the real one.")  # fmt: skip


@rule("the positions the forward pass predicts from (its final vectors) against the prompt's tokens")
def position_count(tokens: list, positions: list) -> str:
    n, m = len(tokens), len(positions)
    counts = f"{n} token{'s' * (n != 1)}, {m} position{'s' * (m != 1)}"
    return f"{counts}: no extra position" if m == n else counts


@rule("one-hot × W_E (a real product over the whole vocabulary) against the embedding's lookup: the same when no "
      "entry of any prompt token differs")  # fmt: skip
def one_hot_product(differences: list, d_model: int) -> str:
    worst, n = max(differences), len(differences)
    if worst == 0:
        each = f", for each of the {n} tokens" if n > 1 else ""
        return f"equal to the lookup in all {d_model} numbers{each}"
    return f"at most {worst:.1e} apart from the lookup"


@rule("the tally's sum against the model's own parameter count")
def tally_total(total: int, actual: int) -> str:
    if total == actual:
        return f"exactly the model's {actual:,} parameters"
    return f"{total:,}, while the model has {actual:,} parameters"


GPT3_COUNTING = (
    "the same parts counted: each family at its full size, the unembedding too where it is the "
    "embedding's (GPT-3's tally counts it); position tables, norms and biases in neither"
)


@rule(f"GPT-3's weight families (from its published sizes) against this model's, {GPT3_COUNTING}; the ratio to 3 "
      f"significant figures")  # fmt: skip
def gpt3_ratio(gpt3_total: int, matrix_params: int) -> str:
    return f"about {_times(gpt3_total, matrix_params)} times this model's weights in the same families"


def _times(gpt3_total: int, matrix_params: int) -> str:
    """GPT-3's count over this model's, to 3 significant figures ("23,900")."""
    ratio = gpt3_total / matrix_params
    rounded = round(ratio, 2 - int(np.floor(np.log10(ratio)))) if ratio >= 1 else ratio
    return f"{rounded:,.0f}" if rounded >= 10 else f"{rounded:.2g}"


@rule(f"the same ratio as gpt3_ratio ({GPT3_COUNTING}), to 3 significant figures, as a multiple")
def gpt3_times(gpt3_total: int, matrix_params: int) -> str:
    return f"≈ {_times(gpt3_total, matrix_params)}×"


@rule(f"this model's weights in its families, {GPT3_COUNTING}")
def group_count(matrix_params: int, n_groups: int, tied: bool) -> str:
    counted = ", its tied unembedding counted as GPT-3's is" if tied else ""
    return f"{matrix_params:,} in this model's {n_groups} families{counted}"  # the lecture's word for the groups


# The family's own parts, from its adapter's words (model/families.py, stored in the Trace's meta.words).


@rule("how the family tells positions (its adapter's word) and how many it reads: learned, one vector per place "
      "up to the context; rotary, no position vectors (queries and keys are turned by the position instead)")  # fmt: skip
def position_scheme(positions: str, n_ctx: int) -> str:
    if positions == "learned":
        return f"one learned position vector per place, {n_ctx:,} of them: it reads at most {n_ctx:,} tokens at once"
    return f"no position vectors (rotary); it was made to read at most {n_ctx:,} tokens at once"


@rule("whether every head has its own key and value matrices (as many key/value heads as query heads), or query "
      "heads share them (grouped-query attention; one shared pair: multi-query attention)")  # fmt: skip
def head_sharing(n_head: int, n_kv_head: int) -> str:
    if n_kv_head >= n_head:
        return "each with its own query, key and value matrices"
    if n_kv_head == 1:
        return (f"each with its own query matrix; in each layer its {n_head} query heads share one key and one value "
                "matrix (multi-query attention)")  # fmt: skip
    return (f"each with its own query matrix; in each layer {n_kv_head} key and value heads each serve "
            f"{n_head // n_kv_head} of its {n_head} query heads (grouped-query attention)")  # fmt: skip


def family_statements(trace: Trace) -> list[Statement]:
    return [
        make(
            trace,
            "family.positions",
            "position_scheme",
            {"positions": "meta.words.positions", "n_ctx": "meta.n_ctx"},
        ),
        make(trace, "family.heads", "head_sharing", {"n_head": "meta.n_head", "n_kv_head": "meta.words.n_kv_head"}),
    ]


@rule("a stage of training named by what it is: step 0 the weights drawn at random from the seed (checked "
      "against the recorded hash), the last the weights shipped")  # fmt: skip
def training_stage(kind: str, step: int, seed: int | None) -> str:
    if kind == "start":
        return f"step 0: random weights (seed {seed})"
    if kind == "final":
        return f"step {step:,}: the shipped weights"
    return f"step {step:,}"


@rule(f"the next-token distribution's entropy as a share of the uniform distribution's; ≥ {NEAR_UNIFORM:.0%}: "
      "near-uniform")  # fmt: skip
def guess_spread(entropy: float, uniform_entropy: float) -> str:
    ratio = entropy / uniform_entropy if uniform_entropy > 0 else 1.0
    return f"entropy {ratio:.0%} of uniform" + (": near-uniform" if ratio >= NEAR_UNIFORM else "")


LOSS_BETTER = 0.01  # a validation loss lower by at least 0.01 nats predicts held-out text better


@rule(f"the validation loss (lower predicts held-out text better) fell when it is lower by ≥ {LOSS_BETTER}")
def loss_trend(first: float, last: float, first_step: int, last_step: int) -> str:
    change = "better" if last <= first - LOSS_BETTER else "no better"
    return f"loss {first:.2f} at step {first_step:,} → {last:.2f} at step {last_step:,}: {change}"


@rule(f"repeats itself: a token follows itself or a pair of tokens occurs twice; then the ranks the shipped model "
      f"gives its tokens (1 = its likeliest): how many are among its {TOP_RANKS} likeliest, and the lowest (no "
      f"verdict on the text's quality)")  # fmt: skip
def judged_continuation(ids: list, final_ranks: list) -> str:
    if not final_ranks:
        return "nothing generated"
    return repeats_word(ids, self_follow=True) + "; " + ranks_words(final_ranks, "the shipped model's")


# ---------------------------------------------------------------------------------------------
# The statements of a Trace.


def make(trace: Trace, key: str, rule_name: str, paths: dict | None = None, **derived) -> Statement:
    """A statement whose evidence is read from the Trace at `paths` (plus `derived` values, computed
    from the Trace here) and whose words the rule makes from that evidence."""
    paths = paths or {}
    evidence = {name: read(trace, where) for name, where in paths.items()} | derived
    return Statement(key, rule_name, RULES[rule_name](**evidence), evidence, paths)


def read(trace: Trace, where):
    return [read(trace, w) for w in where] if isinstance(where, list) else plain(value_at(trace, where))


def value_at(trace: Trace, path: str):
    """The value a path names: a statement's words for 'claims.<key>', else the Trace's stored value."""
    if path.startswith("claims."):
        found = stated(trace, path.removeprefix("claims."))
        if found is None:
            raise KeyError(f"this Trace makes no statement {path}")
        return found
    return stored_value(trace, path)


def plain(value):
    return value.tolist() if isinstance(value, np.ndarray) else value


def statements(trace: Trace) -> dict[str, Statement]:
    """Every statement about this Trace, by key (computed once per Trace)."""
    cached = trace.__dict__.get("_statements")
    if cached is None:
        cached = {s.key: s for s in build(trace)}
        trace.__dict__["_statements"] = cached
    return cached


def stated(trace: Trace, key: str) -> Statement | None:
    """The statement of this key: one of `statements`, or one about a scene's view made from its key (VIEWS);
    None when the Trace makes no such statement."""
    found = statements(trace).get(key)
    if found is not None:
        return found
    views = trace.__dict__.setdefault("_views", {})
    if key not in views:
        views[key] = next((make_view(trace, *(int(g) if g.isdigit() else g for g in m.groups()))
                           for pattern, make_view in VIEWS if (m := pattern.fullmatch(key))), None)  # fmt: skip
    return views[key]


def strongest_read(trace: Trace, layer: int, head: int, last: int) -> Statement | None:
    """How far the key the last query weights most leads, among the last `last` keys (a scene's drawn tokens)."""
    return stated(trace, f"attention.L{layer}H{head}.top.last{last}")


def previous_read(trace: Trace, layer: int, head: int, shown: int) -> Statement | None:
    """In how many of the `shown` last rows (those whose previous token is among them) the previous token weighs
    most; None with fewer than two tokens drawn."""
    return stated(trace, f"attention.L{layer}H{head}.previous.last{shown}")


def first_read(trace: Trace, layer: int, head: int, shown: int) -> Statement | None:
    """The mean weight the `shown` last rows (after the first of them) give the first of the `shown` tokens; None
    with fewer than two tokens drawn."""
    return stated(trace, f"attention.L{layer}H{head}.first.last{shown}")


def hidden_read(trace: Trace, layer: int, head: int, shown: int) -> Statement | None:
    """The weight the last query gives the tokens before the `shown` last ones; None when none are hidden."""
    return stated(trace, f"attention.L{layer}H{head}.hidden.last{shown}")


def temperature_bars(trace: Trace, k: int, bars: int) -> tuple[Statement, Statement]:
    """At the stored temperature k, with the `bars` highest logits drawn: the rest's share, and the sum as shown."""
    return stated(trace, f"temperature.tail.{k}.top{bars}"), stated(trace, f"temperature.total.{k}.top{bars}")


def lecture_bars(trace: Trace, bars: int) -> tuple[Statement, Statement]:
    """At the continuation's own temperature (before top-k, top-p), with the `bars` highest logits drawn: the
    rest's share, and the sum as shown."""
    return stated(trace, f"temperature.lecture.tail.top{bars}"), stated(trace, f"temperature.lecture.total.top{bars}")


def guesses_read(trace: Trace, first: int) -> Statement | None:
    """How the top guesses of the positions from `first` to the one before the last fare; None if none has one."""
    return stated(trace, f"positions.guesses.from{first}")


def softmax_total(trace: Trace, shown: int) -> Statement | None:
    """The sum of the `shown` highest logits' probabilities and the rest's share, each as a scene shows it."""
    return stated(trace, f"softmax.top{shown}.total")


def truncation_share(trace: Trace, kind: str, bars: int) -> Statement | None:
    """What the first `bars` bars of a truncated distribution (kind: top_k or top_p) hold of it."""
    return stated(trace, f"truncation.{kind}.shown.top{bars}")


def attention_row(trace: Trace, layer: int, head: int) -> str | None:
    """The path of the last query's attention row in a head, if the model has that head."""
    if not (0 <= layer < trace.n_layer and 0 <= head < trace.n_head):
        return None
    return f"blocks.{layer}.attn.hook_pattern[{head},{len(trace.token_ids) - 1}]"


def top_view(trace: Trace, layer: int, head: int, last: int) -> Statement | None:
    row, n = attention_row(trace, layer, head), len(trace.token_ids)
    drawn = [f"{row[:-1]},{k}]" for k in range(max(0, n - last), n)] if row and last > 0 else []
    return make(trace, f"attention.L{layer}H{head}.top.last{last}", "strongest_key", {"row": drawn}) if drawn else None


def hidden_view(trace: Trace, layer: int, head: int, shown: int) -> Statement | None:
    row = attention_row(trace, layer, head)
    if row is None or len(trace.token_ids) <= shown:
        return None
    return make(trace, f"attention.L{layer}H{head}.hidden.last{shown}", "hidden_attention", {"row": row}, shown=shown)


def previous_view(trace: Trace, layer: int, head: int, shown: int) -> Statement | None:
    row, n = attention_row(trace, layer, head), len(trace.token_ids)
    if row is None or n < 2 or shown < 2:
        return None
    first = max(1, n - shown + 1)  # the first drawn query whose previous token is drawn
    rows = [f"blocks.{layer}.attn.hook_pattern[{head},{q}]" for q in range(first, n)]
    return make(trace, f"attention.L{layer}H{head}.previous.last{shown}", "previous_rows", {"rows": rows}, first=first)


def first_view(trace: Trace, layer: int, head: int, shown: int) -> Statement | None:
    n = len(trace.token_ids)
    if attention_row(trace, layer, head) is None or n < 2 or shown < 2:
        return None
    key = max(0, n - shown)  # the first drawn token: the grid's first column
    rows = [f"blocks.{layer}.attn.hook_pattern[{head},{q}]" for q in range(key + 1, n)]
    return make(trace, f"attention.L{layer}H{head}.first.last{shown}", "first_column", {"rows": rows}, column=key)


def bars_view(name: str, rule_name: str) -> Callable[[Trace, int, int], Statement | None]:
    """The statement `name` about the bars of the `bars` highest logits at the stored temperature k."""

    def view(trace: Trace, k: int, bars: int) -> Statement | None:
        if not (0 <= k < len(trace.meta["temperatures"])) or bars < 1:
            return None
        top = [i for i, _ in top_entries(trace["logits"], bars)]
        return make(trace, f"temperature.{name}.{k}.top{bars}", rule_name, {"probs": [f"probs[{k},{i}]" for i in top]})

    return view


def lecture_view(name: str, rule_name: str) -> Callable[[Trace, int], Statement | None]:
    """The statement `name` about the bars of the `bars` highest logits at the continuation's temperature."""

    def view(trace: Trace, bars: int) -> Statement | None:
        shown = min(bars, len(trace.info["continuation"].get("untruncated", {}).get("probs", [])))
        if shown < 1:
            return None
        paths = {"probs": [f"info.continuation.untruncated.probs.{j}" for j in range(shown)]}
        return make(trace, f"temperature.lecture.{name}.top{bars}", rule_name, paths)

    return view


def scaled_view(trace: Trace, k: int, i: int) -> Statement | None:
    """Token i's logit ÷ the k-th stored temperature (k = -1: the continuation's own)."""
    where = "info.continuation.temperature" if k < 0 else f"meta.temperatures.{k}"
    if k >= len(trace.meta["temperatures"]) or not 0 <= i < trace["logits"].shape[-1] or not read(trace, where):
        return None
    key = f"temperature.lecture.scaled.{i}" if k < 0 else f"temperature.scaled.{k}.{i}"
    return make(trace, key, "scaled_logit", {"logit": f"logits[{i}]", "temperature": where})


def share_view(trace: Trace, kind: str, bars: int) -> Statement | None:
    if bars < 1:
        return None
    shown = min(len(trace.info["truncation"][kind]["top"]), bars)
    return make(trace, f"truncation.{kind}.shown.top{bars}", "shown_share",
                {"probs": [f"info.truncation.{kind}.top.{j}.1" for j in range(shown)],
                 "kept": f"info.truncation.{kind}.kept"})  # fmt: skip


def softmax_view(trace: Trace, shown: int) -> Statement | None:
    sm = trace.info["softmax"]
    if not 1 <= shown <= len(sm["probs"]):
        return None
    rest = f"info.softmax.others_after.{shown - 1}"
    return make(trace, f"softmax.top{shown}.total", "rounded_total",
                {"probs": [f"info.softmax.probs.{r}" for r in range(shown)] + [rest]},
                exact_total=float(sum(sm["probs"][:shown]) + sm["others_after"][shown - 1]))  # fmt: skip


def guesses_view(trace: Trace, first: int) -> Statement | None:
    """How the top guesses of positions first .. the one before the last fare (Unembedding's row of guesses)."""
    n = len(trace.token_ids)
    if "positions.next_ranks" not in trace.arrays or not 0 <= first < max(n - 1, 1):
        return None
    paths = {"ranks": [f"positions.next_ranks[{p}]" for p in range(first, n - 1)]}
    return make(trace, f"positions.guesses.from{first}", "guess_verdict", paths)


def chat_rest_view(trace: Trace, i: int, bars: int) -> Statement | None:
    """The share of every token but reply step i's `bars` likeliest: the wheel's grey rest."""
    steps = trace.info["chat"]["reply"]["steps"] if "chat" in trace.info else []
    top = steps[i]["top"] if i < len(steps) else []
    if not 1 <= bars <= len(top):
        return None
    paths = {"probs": [f"info.chat.reply.steps.{i}.top.{j}.prob" for j in range(bars)]}
    return make(trace, f"chat.rest.{i}.top{bars}", "tail_mass", paths)


# Statements about a scene's view, by the form of their key: the view's numbers are in the key.
VIEWS = [
    (re.compile(r"softmax\.top(\d+)\.total"), softmax_view),
    (re.compile(r"truncation\.(top_k|top_p)\.shown\.top(\d+)"), share_view),
    (re.compile(r"attention\.L(\d+)H(\d+)\.top\.last(\d+)"), top_view),
    (re.compile(r"attention\.L(\d+)H(\d+)\.hidden\.last(\d+)"), hidden_view),
    (re.compile(r"attention\.L(\d+)H(\d+)\.previous\.last(\d+)"), previous_view),
    (re.compile(r"attention\.L(\d+)H(\d+)\.first\.last(\d+)"), first_view),
    (re.compile(r"temperature\.tail\.(\d+)\.top(\d+)"), bars_view("tail", "tail_mass")),
    (re.compile(r"positions\.guesses\.from(\d+)"), guesses_view),
    (re.compile(r"chat\.rest\.(\d+)\.top(\d+)"), chat_rest_view),
    (re.compile(r"temperature\.total\.(\d+)\.top(\d+)"), bars_view("total", "bars_total")),
    (re.compile(r"temperature\.lecture\.tail\.top(\d+)"), lecture_view("tail", "tail_mass")),
    (re.compile(r"temperature\.scaled\.(\d+)\.(\d+)"), scaled_view),
    (re.compile(r"temperature\.lecture\.scaled\.(\d+)"), lambda trace, i: scaled_view(trace, -1, i)),
    (re.compile(r"temperature\.lecture\.total\.top(\d+)"), lecture_view("total", "bars_total")),
]


def build(trace: Trace) -> list[Statement]:
    info = trace.info
    out = [
        make(
            trace,
            "continuation.distribution",
            "distribution_title",
            {
                "temperature": "info.continuation.temperature",
                "top_k": "info.continuation.top_k",
                "top_p": "info.continuation.top_p",
            },
        ),  # fmt: skip
        make(
            trace,
            "continuation.draw",
            "draw_manner",
            {
                "temperature": "info.continuation.temperature",
                "top_k": "info.continuation.top_k",
                "top_p": "info.continuation.top_p",
            },
        ),  # fmt: skip
        make(trace, "tally.total", "tally_total", {"total": "info.tally.total", "actual": "meta.n_params"}),
    ]
    if "matrix_params" in info["tally"]:  # (a Trace saved before it lacks the families' own count)
        out.append(make(trace, "tally.gpt3", "gpt3_ratio", {"gpt3_total": "info.gpt3.total",
                        "matrix_params": "info.tally.matrix_params"}))  # fmt: skip
        out.append(make(trace, "tally.gpt3_times", "gpt3_times", {"gpt3_total": "info.gpt3.total",
                        "matrix_params": "info.tally.matrix_params"}))  # fmt: skip
        out.append(make(trace, "tally.families", "group_count", {"matrix_params": "info.tally.matrix_params",
                        "tied": "info.tally.tied"}, n_groups=len(info["tally"]["families"])))  # fmt: skip
    d = trace.meta["d_model"]
    out.append(make(trace, "matvec.total", "rounded_terms",
                    {"terms": [f"matvec.partial_sums[{d - 1}]", "weights.blocks.0.attn.b_Q[0,0]"],
                     "result": "blocks.0.attn.hook_q[0,0,0]"}))  # fmt: skip
    out += family_statements(trace)
    out += distribution_statements(trace)
    out += geometry_statements(trace)
    out += language_statements(trace)
    out += attention_statements(trace)
    out += learning_statements(trace)
    out.append(make(trace, "lens.embedding", "lens_embedding", {"tied": "meta.tied_embeddings",
                    "top_id": "logit_lens.top_ids[0,0]", "token_id": "info.tokens.ids.-1"}))  # fmt: skip
    if "positions.top_ids" in trace.arrays:  # (a Trace saved before the per-position predictions lacks them)
        ranks = [f"positions.next_ranks[{p}]" for p in range(len(trace.token_ids) - 1)]
        out.append(make(trace, "positions.hits", "top_guess_hits", {"ranks": ranks}))
        out += [make(trace, f"positions.mark.{p}", "top_guess_mark", {"rank": r}) for p, r in enumerate(ranks)]
        out.append(make(trace, "positions.count", "position_count",
                        {"tokens": "info.tokens.ids", "positions": "positions.top_ids"}))  # fmt: skip
    out += one_hot_statements(trace)
    preference = next(s for s in out if s.key == "model.preference")
    uniform = preference.evidence["entropy"] >= NEAR_UNIFORM * preference.evidence["uniform_entropy"]
    for c, run in enumerate(info["comparisons"]):
        base = f"info.comparisons.{c}"
        out.append(make(trace, f"comparisons.{c}", "continuation_character",
                        {"ids": f"{base}.ids", "ranks": [f"{base}.steps.{i}.chosen_rank" for i in range(len(run["steps"]))],
                         "top_k": f"{base}.top_k"},
                        near_uniform=bool(uniform)))  # fmt: skip
    if "chat" in info:  # a Trace saved before the chat has none
        out += chat_statements(trace, bool(uniform))
    return out


def one_hot_statements(trace: Trace) -> list[Statement]:
    """Whether one-hot × W_E is the embedding's lookup, for every prompt token (model/one_hot.py)."""
    if "one_hot.max_difference" not in trace.arrays:  # (a Trace saved before it lacks the product)
        return []
    differences = [f"one_hot.max_difference[{p}]" for p in range(len(trace.token_ids))]
    return [make(trace, "one_hot.same", "one_hot_product", {"differences": differences, "d_model": "meta.d_model"})]


def chat_statements(trace: Trace, near_uniform: bool) -> list[Statement]:
    """The chatbot's reply (model/chat.py): how it ends, and whether it repeats, by the model's own ranks; what the
    model learned from (the reason a small model's reply need not answer)."""
    steps = [f"info.chat.reply.steps.{i}" for i in range(len(trace.info["chat"]["reply"]["steps"]))]
    return [
        make(trace, "chat.training", "model_training", {"model": "meta.model"}),
        make(
            trace,
            "chat.ending",
            "reply_ending",
            {
                "displays": [f"{s}.chosen_display" for s in steps],
                "closing": "info.chat.closing",
                "max_tokens": "info.chat.max_tokens",
            },
        ),
        make(
            trace,
            "chat.distribution",
            "distribution_title",
            {
                "temperature": "info.chat.reply.temperature",
                "top_k": "info.chat.reply.top_k",
                "top_p": "info.chat.reply.top_p",
            },
        ),
        *(
            make(trace, f"chat.draw.{i}", "draw_likelihood", {"prob": f"{s}.chosen_prob"}, threshold=UNLIKELY)
            for i, s in enumerate(steps)
        ),  # fmt: skip
        make(
            trace,
            "chat.reply",
            "continuation_character",
            {
                "ids": "info.chat.reply.ids",
                "ranks": [f"{s}.chosen_rank" for s in steps],
                "top_k": "info.chat.reply.top_k",
            },
            near_uniform=near_uniform,
        ),
    ]


def distribution_statements(trace: Trace) -> list[Statement]:
    """The next-token distribution: how much it prefers any token (the sums of its rounded shares, as a scene
    shows them, are views: softmax_view)."""
    out = []
    p = softmax(trace["logits"], 1.0)
    entropy = float(-(p[p > 0] * np.log(p[p > 0])).sum())
    out.append(make(trace, "model.preference", "model_preference", entropy=entropy,
                    uniform_entropy=float(np.log(len(p)))))  # fmt: skip
    return out


def geometry_statements(trace: Trace) -> list[Statement]:
    geo, out = trace.info["geometry"], []
    g = "info.geometry"
    for j, _d in enumerate(geo["dots"]):
        out.append(make(trace, f"geometry.dots.{j}", "alignment", {"cosine": f"{g}.dots.{j}.cosine"}))
    if geo["pair_cosines"]:
        out.append(make(trace, "geometry.pairs", "pair_range", {"low": f"{g}.pair_cosines.min",
                        "high": f"{g}.pair_cosines.max", "n_pairs": f"{g}.pair_cosines.n_pairs"}))  # fmt: skip
    for j, a in enumerate(geo["analogies"]):
        base = f"{g}.analogies.{j}"
        out.append(make(trace, f"geometry.analogies.{j}.rank", "analogy_rank",
                        {"target": f"{base}.target", "rank": f"{base}.target_rank"}))  # fmt: skip
        out.append(make(trace, f"geometry.analogies.{j}.rank_with_inputs", "analogy_rank_with_inputs",
                        {"rank_with_inputs": f"{base}.target_rank_with_inputs",
                         "inputs": [f"{base}.words.{w}" for w in (1, 0, 2)]}))  # fmt: skip
        out.append(make(trace, f"geometry.analogies.{j}.verdict", "analogy_verdict",
                        {"target": f"{base}.target", "rank": f"{base}.target_rank", "n_tokens": f"{base}.n_tokens"}))  # fmt: skip
        if a["words"] == ["man", "king", "woman", "queen"]:
            out.append(make(trace, "geometry.gender.directions", "directions",
                            {"cosine": f"{base}.offset_cosine", "d_model": "meta.d_model"}))  # fmt: skip
            words = geo["pca_words"]
            if all(w in words for w in a["words"]):
                out.append(make(trace, "geometry.gender.picture", "picture_directions",
                                {w: f"{g}.pca_coords.{words.index(w)}" for w in ("man", "woman", "king", "queen")}
                                | {"explained": f"{g}.pca_explained"}))  # fmt: skip
    out.append(make(trace, "geometry.analogies", "analogies_summary",
                    {"ranks": [f"{g}.analogies.{j}.target_rank" for j in range(len(geo["analogies"]))]}))  # fmt: skip
    if geo["plural"]["n_held_out"]:
        out.append(make(trace, "geometry.plural", "plural_verdict", {"accuracy": f"{g}.plural.held_out_accuracy",
                        "n_held_out": f"{g}.plural.n_held_out"}))  # fmt: skip
    if "numbers" in geo["plural"]:
        numbers = geo["plural"]["numbers"]
        out.append(make(trace, "geometry.plural.numbers", "numbers_order",
                        {"words": [f"{g}.plural.numbers.{j}.word" for j in range(len(numbers))],
                         "projections": [f"{g}.plural.numbers.{j}.projection" for j in range(len(numbers))],
                         "missing": f"{g}.plural.numbers_missing"}))  # fmt: skip
    if "lowest" in geo["pair_cosines"]:
        low = f"{g}.pair_cosines.lowest"
        out.append(make(trace, "geometry.negative", "negative_pair",
                        {k: f"{low}.{k}" for k in ("a", "b", "dot", "cosine")} | {"n_pairs": f"{g}.pair_cosines.n_pairs"}))  # fmt: skip
    return out


def language_statements(trace: Trace) -> list[Statement]:
    """Each other language's line against the English one (the same sentence)."""
    lines, out = trace.info["other_languages"], []
    for j in range(1, len(lines)):
        base, ref = f"info.other_languages.{j}", "info.other_languages.0"
        out.append(make(trace, f"languages.{j}", "language_pieces",
                        {"language": f"{base}.language", "pieces": f"{base}.pieces", "n_chars": f"{base}.n_chars",
                         "english_pieces": f"{ref}.pieces", "english_chars": f"{ref}.n_chars"}))  # fmt: skip
    return out


def attention_statements(trace: Trace) -> list[Statement]:
    patterns = [trace[f"blocks.{layer}.attn.hook_pattern"] for layer in range(trace.n_layer)]
    n = len(trace.token_ids)
    return [
        make(trace, "attention.heads", "heads_spread", distance=head_distance(patterns), n_tokens=n),
        make(
            trace,
            "attention.choice",
            "head_choice",
            {
                "weights": "info.attention.previous_token_weight",
                "layer": "info.attention.layer",
                "head": "info.attention.head",
            },
            n_tokens=n,
        ),
    ]


def learning_statements(trace: Trace) -> list[Statement]:
    """The learning record (model/learning.py): each stage named, its next-token distribution's preference,
    its greedy continuation judged by the shipped model, queen's analogy rank; the loss from first to last."""
    learn = trace.info.get("learning") or {}
    out, base = [], "info.learning"
    for k, stage in enumerate(learn.get("stages", [])):
        p = f"{base}.stages.{k}"
        out.append(make(trace, f"learning.{k}.stage", "training_stage",
                        {"kind": f"{p}.kind", "step": f"{p}.step", "seed": f"{base}.seed"}))  # fmt: skip
        out.append(make(trace, f"learning.{k}.spread", "guess_spread",
                        {"entropy": f"{p}.entropy", "uniform_entropy": f"{base}.uniform_loss"}))  # fmt: skip
        out.append(make(trace, f"learning.{k}.greedy", "judged_continuation",
                        {"ids": f"{p}.greedy.ids", "final_ranks": f"{p}.greedy.final_ranks"}))  # fmt: skip
        if learn.get("analogy") and stage["queen_rank"] is not None:
            out.append(make(trace, f"learning.{k}.analogy", "analogy_verdict",
                            {"target": f"{base}.analogy.target", "rank": f"{p}.queen_rank",
                             "n_tokens": f"{base}.vocab_size"}))  # fmt: skip
    measured = [k for k, stage in enumerate(learn.get("stages", [])) if stage["val_loss"] is not None]
    if len(measured) >= 2:
        a, b = (f"{base}.stages.{measured[0]}", f"{base}.stages.{measured[-1]}")
        out.append(make(trace, "learning.loss", "loss_trend", {"first": f"{a}.val_loss", "last": f"{b}.val_loss",
                        "first_step": f"{a}.step", "last_step": f"{b}.step"}))  # fmt: skip
    return out


def verify(statement: Statement, trace: Trace) -> None:
    """Raise ClaimError unless the evidence is the Trace's and the words follow from it by the rule."""
    for name, where in statement.paths.items():
        if read(trace, where) != statement.evidence[name]:
            raise ClaimError(f"{statement.key}: evidence {name} is not the Trace's value at {where}")
    again = RULES[statement.rule](**statement.evidence)
    if again != statement.text:
        raise ClaimError(f"{statement.key}: the evidence gives {again!r}, the statement says {statement.text!r}")
    current = stated(trace, statement.key)
    if current is None or current.text != statement.text:
        raise ClaimError(f"{statement.key}: this Trace states {getattr(current, 'text', None)!r}")
