"""Geometry of a model's own token embedding matrix W_E: directions that carry meaning.

Everything here works on the rows of W_E as the model holds them, each token's own vector: the
cosines, dot products, nearest tokens, analogies and directions are those of the vectors the
lecture shows and names. Only the 3-D picture is centred, on the pictured words' own mean, as
a picture of the directions in which they vary most (principal components) must be; differences
between words, and so the arrows drawn in it, are the same either way.
Pure numpy; a tokenizer is used only to turn words into token ids.
"""

from __future__ import annotations

import numpy as np

# Words for the 3D picture: people in pairs, plurals, colours, numbers, time.
WORDS_3D = [
    "king", "queen", "man", "woman", "prince", "princess", "boy", "girl", "father", "mother",
    "son", "daughter", "brother", "sister", "husband", "wife",
    "cat", "cats", "dog", "dogs", "bird", "birds", "tree", "trees", "house", "houses", "horse", "horses",
    "red", "green", "blue", "white", "black", "one", "two", "three", "four",
    "day", "night", "sun", "moon", "gold", "silver",
]  # fmt: skip
# (male, female): the first half defines the direction, the second half tests it.
GENDER_PAIRS = [
    ("man", "woman"), ("king", "queen"), ("boy", "girl"), ("father", "mother"), ("brother", "sister"),
    ("he", "she"), ("son", "daughter"), ("husband", "wife"),
    ("prince", "princess"), ("uncle", "aunt"), ("his", "her"), ("lord", "lady"), ("sir", "madam"),
    ("nephew", "niece"), ("gentleman", "lady"), ("him", "her"), ("sons", "daughters"), ("kings", "queens"),
]  # fmt: skip
# (singular, plural), split the same way.
PLURAL_PAIRS = [
    ("cat", "cats"), ("dog", "dogs"), ("bird", "birds"), ("tree", "trees"), ("house", "houses"),
    ("horse", "horses"), ("hand", "hands"), ("eye", "eyes"), ("day", "days"),
    ("king", "kings"), ("boy", "boys"), ("girl", "girls"), ("flower", "flowers"), ("apple", "apples"),
    ("sister", "sisters"), ("brother", "brothers"), ("year", "years"), ("thing", "things"), ("star", "stars"),
    ("river", "rivers"), ("stone", "stones"), ("child", "children"), ("wolf", "wolves"), ("foot", "feet"),
]  # fmt: skip
ANALOGIES = [("man", "king", "woman", "queen"), ("boy", "prince", "girl", "princess"),
             ("man", "father", "woman", "mother"), ("boy", "brother", "girl", "sister")]  # fmt: skip
NEIGHBOUR_WORDS = ["king", "queen", "man", "woman"]
NUMBER_WORDS = ["one", "two", "three", "four"]  # projected onto the plural direction (3Blue1Brown's "more-ness")


def resolve_word(tok, word: str) -> int | None:
    """The single token for a word as it appears mid-sentence (' king'), else at the start ('king')."""
    for form in (" " + word, word):
        ids = tok.encode(form, add_special_tokens=False)
        if len(ids) == 1:
            return int(ids[0])
    return None


def rows(W: np.ndarray) -> np.ndarray:
    """The token vectors as the model holds them, in float64 for the cosines."""
    return np.asarray(W, dtype=np.float64)


def unit_rows(W: np.ndarray) -> np.ndarray:
    return W / np.maximum(np.linalg.norm(W, axis=1, keepdims=True), 1e-12)


def nearest(W: np.ndarray, Wn: np.ndarray, vector: np.ndarray, exclude: set[int], k: int) -> list[tuple[int, float]]:
    """The k rows most cosine-similar to `vector`, leaving out `exclude`."""
    cos = Wn @ (vector / max(np.linalg.norm(vector), 1e-12))
    order = np.argsort(-cos, kind="stable")[: k + len(exclude)]
    return [(int(i), float(cos[i])) for i in order if int(i) not in exclude][:k]


def rank_of(Wn: np.ndarray, vector: np.ndarray, target: int, exclude: set[int]) -> int:
    cos = Wn @ (vector / max(np.linalg.norm(vector), 1e-12))
    better = np.sum(cos > cos[target]) - sum(1 for i in exclude if cos[i] > cos[target])
    return int(better) + 1


def direction_test(W: np.ndarray, pairs: list[tuple[int, int]]) -> dict:
    """Mean difference over the first half of the pairs; accuracy on the held-out second half."""
    half = max(1, len(pairs) // 2)
    fit, held = pairs[:half], pairs[half:]
    if not fit:
        return {"n_fit": 0, "n_held_out": 0, "held_out_accuracy": None, "projections": [], "direction": None}
    direction = np.mean([W[b] - W[a] for a, b in fit], axis=0)
    direction /= max(np.linalg.norm(direction), 1e-12)
    proj = [(float(W[a] @ direction), float(W[b] @ direction)) for a, b in pairs]
    correct = [proj[half + j][1] > proj[half + j][0] for j in range(len(held))]
    return {
        "n_fit": len(fit),
        "n_held_out": len(held),
        "held_out_accuracy": float(np.mean(correct)) if correct else None,
        "projections": proj,  # (first word, second word) onto the unit direction, for every pair
        "direction": direction,
    }


def analyse(W_E: np.ndarray, tok, words_3d: list[str] = WORDS_3D) -> dict:
    """Every embedding-geometry figure the scenes and the model card use, as JSON values."""
    W = rows(W_E)  # the actual rows (not centred): every figure is about the vectors as the model holds them
    Wn = unit_rows(W)
    ids, skipped = word_ids(tok, words_3d)

    def label(i: int) -> str:
        return tok.decode([i]).strip() or tok.decode([i])

    shown = [w for w in words_3d if w in ids]
    coords, explained, axes = pca3(W[[ids[w] for w in shown]]) if len(shown) >= 4 else (np.zeros((0, 3)), [], None)
    neighbours = {
        w: [{"id": i, "word": label(i), "cosine": cos} for i, cos in nearest(W, Wn, W[ids[w]], {ids[w]}, 8)]
        for w in NEIGHBOUR_WORDS
        if w in ids
    }
    dots, cosines = extreme_pairs(W, Wn, ids, shown)
    example = dot_example(W, ids, shown, neighbours)
    return {
        "centred": False,  # the figures are the actual rows'; only the 3-D picture centres its words
        "word_ids": ids,
        "skipped_words": skipped,
        "pca_words": shown,
        "pca_coords": coords.tolist(),
        "pca_explained": explained,
        "analogies": analogy_results(W, Wn, ids, label),
        "gender": pair_direction(W, ids, GENDER_PAIRS, axes),
        "plural": pair_direction(W, ids, PLURAL_PAIRS, axes, numbers=True),
        "neighbours": neighbours,
        "dots": dots,
        "pair_cosines": cosines,
        **({"example": example} if example else {}),
    }


def dot_example(W: np.ndarray, ids: dict[str, int], shown: list[str], neighbours: dict, n: int = 4) -> dict:
    """A dot product worked entry by entry: the first neighbour word and its nearest pictured neighbour, the `n`
    entries whose products weigh most (by index), those products, the full sum over every entry, both lengths
    and the cosine (the sum divided by the lengths)."""
    word = next((w for w in neighbours if w in shown), None)
    other = next((x["word"] for x in neighbours.get(word, []) if x["word"] in shown and x["word"] != word), None)
    if word is None or other is None:
        return {}
    a, b = W[ids[word]], W[ids[other]]
    products = a * b
    dims = sorted(int(i) for i in np.argsort(-np.abs(products), kind="stable")[:n])
    dot = float(a @ b)
    norm_a, norm_b = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return {
        "a": word,
        "b": other,
        "dims": dims,  # 0-based entry indices
        "a_entries": [float(a[i]) for i in dims],
        "b_entries": [float(b[i]) for i in dims],
        "products": [float(products[i]) for i in dims],
        "dot": dot,
        "norm_a": norm_a,
        "norm_b": norm_b,
        "cosine": dot / max(norm_a * norm_b, 1e-12),
        "d": int(W.shape[1]),
    }


def word_ids(tok, words_3d: list[str]) -> tuple[dict[str, int], list[str]]:
    """The token of every word the figures use (the 3-D words, the pairs' and the analogies'), and the words
    that are no single token of this vocabulary."""
    ids: dict[str, int] = {}
    skipped: list[str] = []
    wanted = dict.fromkeys(
        [*words_3d, *(w for p in GENDER_PAIRS + PLURAL_PAIRS for w in p), *(w for a in ANALOGIES for w in a)]
    )
    for word in wanted:
        token = resolve_word(tok, word)
        if token is None:
            skipped.append(word)
        else:
            ids[word] = token
    return ids, skipped


def analogy_results(W: np.ndarray, Wn: np.ndarray, ids: dict[str, int], label) -> list[dict]:
    """Each analogy b − a + c whose four words are tokens: where its target ranks among the nearest rows."""
    analogies = []
    for a, b, c, target in ANALOGIES:
        if not all(w in ids for w in (a, b, c, target)):
            continue
        vector = W[ids[b]] - W[ids[a]] + W[ids[c]]
        exclude = {ids[a], ids[b], ids[c]}
        analogies.append(
            {
                "expression": f"{b} − {a} + {c}",
                "words": [a, b, c, target],
                "target": target,
                "target_rank": rank_of(Wn, vector, ids[target], exclude),
                "target_rank_with_inputs": rank_of(Wn, vector, ids[target], set()),
                "n_tokens": int(W.shape[0]),
                "target_cosine": float(Wn[ids[target]] @ (vector / np.linalg.norm(vector))),
                "nearest": [
                    {"id": i, "word": label(i), "cosine": cos} for i, cos in nearest(W, Wn, vector, exclude, 8)
                ],
                "offset_cosine": cosine(W[ids[c]] - W[ids[a]], W[ids[target]] - W[ids[b]]),
            }
        )
    return analogies


def pair_direction(W: np.ndarray, ids: dict[str, int], pairs, axes, numbers: bool = False) -> dict:
    """The direction test of the word pairs that are tokens; its part in the 3-D picture's axes, and with
    `numbers` where the number words fall along it."""
    usable = [(a, b) for a, b in pairs if a in ids and b in ids]
    result = direction_test(W, [(ids[a], ids[b]) for a, b in usable])
    direction = result.pop("direction")
    result["pairs"] = usable
    if direction is not None and axes is not None:
        # The unit direction's part along the picture's 3 axes (its length: the share of it the picture shows).
        result["in_view"] = (axes @ direction).tolist()
    if direction is not None and numbers:  # 3Blue1Brown's "more-ness": one, two, three, four along it
        result["numbers"] = [{"word": w, "projection": float(W[ids[w]] @ direction)}
                             for w in NUMBER_WORDS if w in ids]  # fmt: skip
        result["numbers_missing"] = [w for w in NUMBER_WORDS if w not in ids]
    return result


def extreme_pairs(W: np.ndarray, Wn: np.ndarray, ids: dict[str, int], shown: list[str]) -> tuple[list, dict]:
    """The most aligned, the most nearly orthogonal and the most opposed pair of the 3D words, by cosine (the
    words that characterise them are model/claims.py's, from these cosines), and the range of all pairs'."""
    if len(shown) < 2:
        return [], {}
    pairs = [(a, b) for i, a in enumerate(shown) for b in shown[i + 1 :]]
    values = np.array([Wn[ids[a]] @ Wn[ids[b]] for a, b in pairs])
    picks = [int(np.argmax(values)), int(np.argmin(np.abs(values))), int(np.argmin(values))]
    dots = []
    for j in dict.fromkeys(picks):
        a, b = pairs[j]
        dots.append({"a": a, "b": b, "dot": float(W[ids[a]] @ W[ids[b]]), "cosine": float(values[j])})
    a, b = pairs[int(np.argmin(values))]  # the lowest pair: negative when any pair is
    lowest = {"a": a, "b": b, "dot": float(W[ids[a]] @ W[ids[b]]), "cosine": float(values.min())}
    return dots, {"n_pairs": len(pairs), "min": float(values.min()), "max": float(values.max()), "lowest": lowest}


def cosine(u: np.ndarray, v: np.ndarray) -> float:
    return float(u @ v / max(np.linalg.norm(u) * np.linalg.norm(v), 1e-12))


def pca3(X: np.ndarray) -> tuple[np.ndarray, list[float], np.ndarray]:
    """Coordinates of the rows of X on their first three principal axes, each axis's share of variance, and
    the axes themselves (3, d_model: unit rows)."""
    Xc = X - X.mean(axis=0, keepdims=True)
    _, s, vt = np.linalg.svd(Xc, full_matrices=False)
    coords = Xc @ vt[:3].T
    # Fix each axis's sign (largest |loading| positive) so the picture does not flip between runs.
    signs = np.sign(vt[:3][np.arange(3), np.argmax(np.abs(vt[:3]), axis=1)])
    variance = s**2
    return coords * signs, [float(v) for v in (variance[:3] / variance.sum())], vt[:3] * signs[:, None]
