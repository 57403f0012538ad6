"""How the weights were learned: the model at its training snapshots, run on the Trace's prompt.

A model trained by `gptanim train` keeps a few snapshots of its weights (`model/snapshots.py`) and its
training record (`training_stats.json`). Step 0, the random start, is rebuilt from the training seed and
kept only when it hashes to the recorded `init_hash`. For each stage (the random start, each snapshot, the
shipped weights) this records, on the prompt: the next-token distribution at the last position, a short
greedy continuation, and king − man + woman's rank for queen among the embedding's rows
(`model/geometry.py`). A model without snapshots gets an empty record with the reason.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from model import geometry, gpt2_forward, snapshots
from model.families import part
from model.loading import LoadedModel
from model.sampling import softmax, top_entries
from model.settings import cache_root, code_hash
from model.summaries import token_display
from model.trace_data import write_atomically

TOP = 5  # tokens of each stage's next-token distribution kept
GREEDY = 6  # tokens of each stage's greedy continuation
ANALOGY = ("man", "king", "woman", "queen")  # king − man + woman ≈ queen


def empty(reason: str) -> dict:
    return {"available": False, "reason": reason, "stages": [], "curve": [], "notes": []}


def read_stats(folder: Path) -> dict | None:
    try:
        return json.loads((Path(folder) / "training_stats.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None


def record(loaded: LoadedModel, ids: list[int]) -> dict:
    """The learning section of a Trace (`info['learning']`): every stage of the training, on `ids`."""
    folder = Path(loaded.path)
    listed = snapshots.listed(folder)
    stats = read_stats(folder)
    if not listed:
        return empty(f"{loaded.name} ships no training snapshots")
    if stats is None or "history" not in stats:
        return empty(f"{loaded.name} has snapshots but no readable training_stats.json")
    notes, models, batch = weight_stages(loaded, stats, listed)
    tok = loaded.tokenizer
    words = [geometry.resolve_word(tok, w) for w in ANALOGY]
    n = min(GREEDY, max(0, n_ctx(loaded) - len(ids)))
    if batch is not None:  # GPT-2 written out (gpt2_forward.py); the shipped model ranks every continuation at once
        runs = [gpt2_forward.greedy(weights, ids, n) for weights in batch]
        firsts, greedy_ids = [r[0].double().numpy() for r in runs], [r[1] for r in runs]
        first, _, cache = runs[-1]  # the shipped model is the last stage
        ranks = gpt2_forward.ranks(gpt2_forward.weights_of(loaded.model), first, cache, greedy_ids)
    else:
        runs = [greedy_run(loaded.model if model is None else model, ids, n) for _, _, model, _, _ in models]
        firsts, greedy_ids = [r[0] for r in runs], [r[1] for r in runs]
        ranks = [final_ranks(loaded.model, ids, g) for g in greedy_ids]
    final_top = int(np.argmax(firsts[-1]))  # the shipped model's most likely next token
    stages = []
    for (step, kind, _, entry, queen_rank), logits, greedy, final_rank in zip(models, firsts, greedy_ids, ranks):
        probs = softmax(logits, 1.0)
        stages.append(
            {
                "step": step,
                "kind": kind,  # start (rebuilt from the seed), snapshot, final (the shipped weights)
                "val_loss": entry.get("val_loss"),
                "bytes": entry.get("bytes"),
                "top": [{"id": i, "display": token_display(tok, i), "prob": p} for i, p in top_entries(probs, TOP)],
                "final_top_prob": float(probs[final_top]),
                "entropy": entropy(probs),
                "greedy": {
                    "ids": greedy,
                    "display": [token_display(tok, i) for i in greedy],
                    "text": tok.decode(greedy),
                    "final_ranks": final_rank,  # how the shipped model ranks each
                },
                "queen_rank": queen_rank,
            }
        )
    curve = {int(h["step"]): float(h["val_loss"]) for h in stats["history"]}
    curve |= {int(s["step"]): float(s["val_loss"]) for s in stats.get("snapshots", [])}
    config = stats.get("config", {})
    vocab = int(loaded.model.config.vocab_size)
    return {
        "available": True,
        "reason": "",
        "notes": notes,  # stages left out, and why
        "stages": stages,
        "curve": [{"step": s, "val_loss": v} for s, v in sorted(curve.items())],
        "steps": int(stats.get("steps", stages[-1]["step"])),
        "final_top": {"id": final_top, "display": token_display(tok, final_top)},
        "uniform_loss": math.log(vocab),  # the loss of a guess that gives every token the same probability
        "vocab_size": vocab,
        "seed": config.get("seed"),
        "batch_tokens": int(config.get("batch_size", 0)) * int(config.get("n_ctx", 0)),
        "tokens_seen": stats.get("tokens_seen"),
        "train_tokens": stats.get("train_tokens"),
        "analogy": {
            "words": list(ANALOGY),
            "expression": f"{ANALOGY[1]} − {ANALOGY[0]} + {ANALOGY[2]}",
            "target": ANALOGY[3],
        }
        if None not in words
        else None,  # fmt: skip
    }


_STAGES: dict[tuple, tuple[list[str], list[tuple], object]] = {}


def weight_stages(
    loaded: LoadedModel, stats: dict, listed: list[tuple[int, Path]]
) -> tuple[list[str], list[tuple], object]:
    """The stages of the training that the weights alone decide, and the notes on those left out: each stage as
    (step, kind, model, its training_stats entry, queen's rank), the shipped model as None (it is `loaded.model`),
    and every stage's weights for `model/gpt2_forward.py` (then the models are not kept), or None where it does not apply.
    Rebuilding the start, checking and loading the snapshots and ranking queen depend on the files alone, so it is
    done once per process and model folder (named by the weights' hash, the training record, the snapshots' sizes
    and times); every Trace after the first reuses it."""
    folder = Path(loaded.path)
    times = tuple(file.stat().st_mtime_ns for _, file in listed)
    key = (str(folder.resolve()), loaded.weights_hash, snapshots.record_id(folder), times)
    if key not in _STAGES:
        _STAGES[key] = build_stages(loaded, stats, listed)
    return _STAGES[key]


def build_stages(
    loaded: LoadedModel, stats: dict, listed: list[tuple[int, Path]]
) -> tuple[list[str], list[tuple], object]:
    notes: list[str] = []
    recorded = {int(s["step"]): s for s in stats.get("snapshots", [])}
    found: list[tuple[int, str, object, dict]] = []  # (step, kind, model, or a snapshot's weights, or None, entry)
    start = random_start(loaded, stats)
    if isinstance(start, str):
        notes.append(start)
    else:
        found.append((0, "start", start, {}))
    names = {name: tuple(p.shape) for name, p in loaded.model.named_parameters()}
    for step, file in listed:
        entry = recorded.get(step)
        if entry is None or snapshots.file_hash(file) != entry.get("sha256"):
            notes.append(f"step {step} left out: {file.name} is not the snapshot training_stats.json records")
            continue
        state = snapshots.load(file)
        wrong = sorted(set(state) ^ set(names)) or [n for n in state if tuple(state[n].shape) != names[n]]
        if wrong:
            notes.append(f"step {step} left out: its weights do not fit this model ({wrong[0]})")
            continue
        found.append((step, "snapshot", state, entry | {"bytes": file.stat().st_size}))
    final_step = int(stats.get("best_step", stats.get("steps", 0)))
    found.append((final_step, "final", None, {"val_loss": stats.get("best_val_loss")}))
    ranks = queen_ranks(loaded, [(step, weights) for step, _, weights, _ in found])
    if (
        gpt2_forward.weights_of(loaded.model) is not None
    ):  # the weights as model/gpt2_forward.py reads them; no model kept
        cfg = loaded.model.config
        batch = [gpt2_forward.gather(gpt2_forward.model_state(w) if isinstance(w, torch.nn.Module) else w, cfg)
                 for w in (loaded.model if w is None else w for _, _, w, _ in found)]  # fmt: skip
        return notes, [(step, kind, None, entry, ranks[step]) for step, kind, _, entry in found], batch
    models = [with_weights(loaded, w).model if isinstance(w, dict) else w for _, _, w, _ in found]
    return notes, [(step, kind, m, entry, ranks[step]) for (step, kind, _, entry), m in zip(found, models)], None


def queen_ranks(loaded: LoadedModel, stages: list[tuple[int, object]]) -> dict[int, int | None]:
    """Queen's rank for king − man + woman at each stage (step: its model, its weights by name, or None for the
    shipped model): the embedding alone decides it, so it is kept on disk by the weights' hash, the training record
    and the code, like the embedding geometry."""
    embed = loaded.family.embed + ".weight"
    path = (
        cache_root() / "learning" / f"{loaded.weights_hash}-{snapshots.record_id(Path(loaded.path))}-{code_hash()}.json"
    )
    try:
        kept = {int(step): rank for step, rank in json.loads(path.read_text()).items()}
    except (OSError, ValueError, AttributeError):
        kept = {}
    if all(step in kept for step, _ in stages):
        return kept
    words = [geometry.resolve_word(loaded.tokenizer, w) for w in ANALOGY]
    ranks = {}
    for step, weights in stages:
        if isinstance(weights, dict):
            W_E = weights[embed]
        else:
            W_E = part(loaded.model if weights is None else weights, loaded.family.embed).weight.detach().numpy()
        ranks[step] = analogy_rank(W_E, words) if None not in words else None
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps(ranks).encode())
    return ranks


def random_start(loaded: LoadedModel, stats: dict):
    """The model as training began, rebuilt from the seed exactly as `model/train.py` does; or, when it
    cannot be rebuilt or does not hash to the recorded `init_hash`, the reason in words."""
    from model import train

    expected = stats.get("init_hash")
    if not expected or "config" not in stats:
        return "step 0 left out: training_stats.json records no init_hash to check the random start against"
    if loaded.model.config.model_type != "gpt2":
        return "step 0 left out: only a GPT-2 trained by gptanim can be rebuilt from its seed"
    fields = {k: v for k, v in stats["config"].items() if k in train.TrainConfig.__dataclass_fields__}
    cfg = train.TrainConfig(**fields)
    with torch.random.fork_rng(devices=[]):  # the caller's random state is left as it was
        torch.manual_seed(cfg.seed)
        model = train.build_model(cfg, len(loaded.tokenizer), loaded.tokenizer.eos_token_id)
    rebuilt = snapshots.state_hash(train.model_state(model))
    if rebuilt != expected:
        return f"step 0 left out: the start rebuilt from seed {cfg.seed} does not match init_hash"
    return model.eval()


def n_ctx(loaded: LoadedModel) -> int:
    return loaded.family.sizes(loaded.model.config).n_ctx


@torch.no_grad()
def greedy_run(model, ids: list[int], n: int) -> tuple[np.ndarray, list[int]]:
    """The next-token logits after the prompt, and the n most likely tokens one after another (temperature 0),
    with the key-value cache."""
    out, past, feed, first = [], None, torch.tensor([ids]), None
    for _ in range(max(n, 1)):
        result = model(input_ids=feed, past_key_values=past, use_cache=True)
        past, logits = result.past_key_values, result.logits[0, -1]
        first = logits.double().numpy() if first is None else first
        out.append(int(torch.argmax(logits)))
        feed = torch.tensor([[out[-1]]])
    return first, out[:n]


@torch.no_grad()
def final_ranks(model, ids: list[int], continuation: list[int]) -> list[int]:
    """The rank the model gives each token of `continuation`, read after the prompt and the tokens before it."""
    if not continuation:
        return []
    logits = model(input_ids=torch.tensor([ids + continuation[:-1]]), use_cache=False).logits[0]
    rows = logits[len(ids) - 1 :]  # (len(continuation), vocab): each predicts the next token
    chosen = rows[torch.arange(len(continuation)), torch.tensor(continuation)]
    return [int(r) + 1 for r in (rows > chosen[:, None]).sum(-1).tolist()]


def entropy(probs: np.ndarray) -> float:
    p = probs[probs > 0]
    return float(-(p * np.log(p)).sum())


def analogy_rank(W_E: np.ndarray, ids: list[int]) -> int:
    """Target's rank for b − a + c by cosine among the embedding's rows, the input words left out
    (as `geometry.analyse` ranks it)."""
    a, b, c, target = ids
    W = geometry.rows(W_E)
    return geometry.rank_of(geometry.unit_rows(W), W[b] - W[a] + W[c], target, {a, b, c})


def with_weights(loaded: LoadedModel, state: dict[str, np.ndarray]) -> LoadedModel:
    """A copy of the loaded model holding other weights (a snapshot, or its own quantised)."""
    model = copy.deepcopy(loaded.model)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in state.items():
            params[name].copy_(torch.from_numpy(value))
    return replace(loaded, model=model)
