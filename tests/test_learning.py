"""The learning record: the shipped snapshots' numbers recomputed here, straight from the files with torch and
transformers, and compared with the Trace; the random start rebuilt from the seed; the Learning scene.

The model is the embedded one (assets/fairytale-gpt); GPTANIM_LEARNING_MODEL=/path points the tests at
another folder trained by `gptanim train` (one with snapshots)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from model.loading import EMBEDDED_PATH
from scenes.learning import Learning
from tests.conftest import PROMPTS
from tests.scenecheck import (
    check_caption_clear,
    check_layout,
    check_narration,
    check_numbers,
    check_text_size,
    loaded_trace,
    render,
    shown_paths,
    shown_text,
    texts,
)

MODEL = Path(os.environ.get("GPTANIM_LEARNING_MODEL") or EMBEDDED_PATH)
CASES = {"default": PROMPTS["default"], "other": "The old witch laughed and"}  # a prompt no other test uses


@pytest.fixture(scope="module")
def stats() -> dict:
    return json.loads((MODEL / "training_stats.json").read_text())


@pytest.fixture(scope="module")
def learning_traces(request, tmp_path_factory, one_torch_thread) -> dict[str, Path]:
    """Traces of the default prompt and another; the embedded model's default one is the scene tests' own."""
    from model.loading import load
    from model.run import TraceSettings, trace

    shared = {"default": request.getfixturevalue("scene_traces")["default"]} if MODEL == EMBEDDED_PATH else {}
    loaded = load(str(MODEL))
    folder = tmp_path_factory.mktemp("learning-traces")
    return shared | {
        name: trace(TraceSettings(prompt=prompt, model=str(MODEL), generate=6), loaded).save(folder / f"{name}.npz")
        for name, prompt in CASES.items()
        if name not in shared
    }


def hf_model(state: dict, config_folder: Path):
    """A transformers model of the folder's config holding `state` (numpy float32 by parameter name)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(config_folder)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager", dtype=torch.float32)
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    assert not unexpected and set(missing) <= {"lm_head.weight"}
    model.tie_weights()
    return model.eval()


def snapshot_state(file: Path) -> dict:
    """int8 rows × their float32 scales, vectors from float16: read straight from the safetensors file."""
    from safetensors.numpy import load_file

    raw = load_file(str(file))
    out = {}
    for name, value in raw.items():
        if name.endswith(".scale"):
            continue
        if value.dtype == np.int8:
            out[name] = (value.reshape(len(value), -1).astype(np.float32) * raw[name + ".scale"][:, None]).reshape(
                value.shape
            )
        else:
            out[name] = value.astype(np.float32)
    return out


def expected_numbers(model, tok, prompt: str) -> dict:
    import torch

    ids = tok.encode(prompt, add_special_tokens=False)
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0, -1].double()
        probs = torch.softmax(logits, -1).numpy()
        greedy = model.generate(torch.tensor([ids]), max_new_tokens=6, do_sample=False, pad_token_id=0)[0, len(ids) :]
    W = model.get_input_embeddings().weight.detach().numpy()
    # the actual rows, as model/geometry.py takes them: the analogy's vector from the rows, its cosine to every row
    W = W.astype(np.float64)
    word = {w: tok.encode(" " + w, add_special_tokens=False)[0] for w in ("man", "king", "woman", "queen")}
    v = W[word["king"]] - W[word["man"]] + W[word["woman"]]
    cos = (W / np.linalg.norm(W, axis=1, keepdims=True)) @ (v / np.linalg.norm(v))
    cos[[word["king"], word["man"], word["woman"]]] = -np.inf
    return {
        "top": np.argsort(-probs, kind="stable")[:5].tolist(),
        "probs": probs,
        "greedy": greedy.tolist(),
        "queen_rank": int((cos > cos[word["queen"]]).sum()) + 1,
    }


def stage_matches(stage: dict, expected: dict, final_top: int) -> None:
    assert [e["id"] for e in stage["top"]] == expected["top"]
    for e in stage["top"]:
        assert e["prob"] == pytest.approx(expected["probs"][e["id"]], rel=1e-3, abs=1e-6)
    assert stage["final_top_prob"] == pytest.approx(expected["probs"][final_top], rel=1e-3, abs=1e-6)
    assert stage["greedy"]["ids"] == expected["greedy"]
    assert stage["queen_rank"] == expected["queen_rank"]


@pytest.mark.parametrize("case", list(CASES))
def test_every_snapshot_recomputed_from_its_file(case, learning_traces, stats):
    from transformers import AutoTokenizer

    learn = loaded_trace(learning_traces[case]).info["learning"]
    assert learn["available"] and not learn["notes"], learn["notes"]
    tok = AutoTokenizer.from_pretrained(MODEL)
    by_step = {s["step"]: s for s in learn["stages"] if s["kind"] == "snapshot"}
    recorded = stats["snapshots"]
    assert sorted(by_step) == [s["step"] for s in recorded] and len(recorded) >= 2
    final_top = learn["final_top"]["id"]
    for entry in recorded:
        file = MODEL / entry["file"]
        stage = by_step[entry["step"]]
        assert stage["val_loss"] == entry["val_loss"] and stage["bytes"] == file.stat().st_size
        stage_matches(stage, expected_numbers(hf_model(snapshot_state(file), MODEL), tok, CASES[case]), final_top)
    # the shipped weights, loaded by transformers itself
    from transformers import AutoModelForCausalLM

    shipped = AutoModelForCausalLM.from_pretrained(MODEL, attn_implementation="eager").float().eval()
    final = learn["stages"][-1]
    assert final["kind"] == "final" and final["step"] == stats["best_step"]
    stage_matches(final, expected_numbers(shipped, tok, CASES[case]), final_top)
    assert final["val_loss"] == stats["best_val_loss"]
    # the curve is the training record's: every evaluation and every snapshot's loss, in step order
    points = {h["step"]: h["val_loss"] for h in stats["history"]} | {s["step"]: s["val_loss"] for s in recorded}
    assert learn["curve"] == [{"step": s, "val_loss": v} for s, v in sorted(points.items())]


def test_random_start_is_rebuilt_from_the_seed(learning_traces, stats):
    import torch
    from transformers import AutoTokenizer

    from model import snapshots, train

    tok = AutoTokenizer.from_pretrained(MODEL)
    cfg = train.TrainConfig(**{k: v for k, v in stats["config"].items() if k in train.TrainConfig.__dataclass_fields__})
    torch.manual_seed(stats["config"]["seed"])
    model = train.build_model(cfg, len(tok), tok.eos_token_id).eval()
    assert snapshots.state_hash(train.model_state(model)) == stats["init_hash"]
    learn = loaded_trace(learning_traces["default"]).info["learning"]
    start = learn["stages"][0]
    assert start["kind"] == "start" and start["step"] == 0 and start["val_loss"] is None
    stage_matches(start, expected_numbers(model, tok, CASES["default"]), learn["final_top"]["id"])


def test_a_wrong_seed_leaves_the_start_out_and_says_why(tmp_path, one_torch_thread):
    """A training record whose random start cannot be rebuilt: step 0 is left out, with the reason."""
    import shutil

    from model.learning import record
    from model.loading import load

    folder = tmp_path / "model"
    shutil.copytree(MODEL, folder)
    doc = json.loads((folder / "training_stats.json").read_text())
    doc["init_hash"] = "0" * 64
    (folder / "training_stats.json").write_text(json.dumps(doc))
    loaded = load(str(folder))
    learn = record(loaded, loaded.tokenizer.encode("Once upon a time", add_special_tokens=False))
    assert learn["available"] and learn["stages"][0]["kind"] == "snapshot"
    assert any("step 0 left out" in note and "init_hash" in note for note in learn["notes"])


def test_the_weights_stages_are_built_once_and_change_nothing(one_torch_thread):
    """The start, the snapshots and queen's ranks are kept per process, the ranks on disk too: a record built from
    scratch, one from the kept stages and one in a new process (the ranks read from disk) are equal, number for
    number."""
    import shutil

    from model import learning
    from model.loading import load
    from model.settings import cache_root

    loaded = load(str(MODEL))
    ids = loaded.tokenizer.encode(CASES["other"], add_special_tokens=False)
    shutil.rmtree(cache_root() / "learning", ignore_errors=True)
    learning._STAGES.clear()
    fresh = learning.record(loaded, ids)
    assert len(learning._STAGES) == 1 and len(list((cache_root() / "learning").iterdir())) == 1
    kept = learning.record(loaded, ids)
    assert len(learning._STAGES) == 1 and kept == fresh and fresh["available"]
    learning._STAGES.clear()  # as a new process finds it: the ranks on disk
    assert learning.record(loaded, ids) == fresh


def test_the_transformers_path_gives_the_same_record(monkeypatch, one_torch_thread):
    """Every stage run by transformers (as for the families model/gpt2_forward.py leaves alone) and written out: the same
    choices and ranks, the same probabilities up to rounding."""
    from model import gpt2_forward, learning
    from model.loading import load

    loaded = load(str(MODEL))
    ids = loaded.tokenizer.encode(CASES["default"], add_special_tokens=False)
    learning._STAGES.clear()
    quick = learning.record(loaded, ids)
    learning._STAGES.clear()
    monkeypatch.setattr(gpt2_forward, "weights_of", lambda model: None)
    slow = learning.record(loaded, ids)
    learning._STAGES.clear()
    assert quick["notes"] == slow["notes"] and len(quick["stages"]) == len(slow["stages"]) > 2
    for a, b in zip(quick["stages"], slow["stages"]):
        assert a["greedy"] == b["greedy"] and a["queen_rank"] == b["queen_rank"]
        assert [e["id"] for e in a["top"]] == [e["id"] for e in b["top"]]
        assert [e["prob"] for e in a["top"]] == pytest.approx([e["prob"] for e in b["top"]], rel=1e-5)
        assert a["entropy"] == pytest.approx(b["entropy"], rel=1e-6)


@pytest.mark.parametrize("case", list(CASES))
def test_learning_scene_shows_the_trace(case, learning_traces, tmp_path):
    scene = render(Learning, learning_traces[case], tmp_path)
    tr = loaded_trace(learning_traces[case])
    counts = check_numbers(scene, tr)
    assert counts["numbers"] >= 5 and counts["claims"] >= 2
    check_layout(scene)
    check_text_size(scene)
    check_caption_clear(scene)
    check_narration(scene)
    paths = shown_paths(scene)
    last = len(tr.info["learning"]["stages"]) - 1
    assert f"info.learning.stages.{last}.val_loss" in paths  # the last frame: the curve's end, the takeaway
    assert {"meta.n_params", "info.gpt3.total"} <= shown_paths(scene, ever=True)  # (the table, before it)
    # the greedy continuation of the shipped weights stays on screen, token by token
    n = len(tr.info["learning"]["stages"][last]["greedy"]["ids"])
    assert {f"info.learning.stages.{last}.greedy.display.{j}" for j in range(n)} <= paths
    # every stage was narrated, with its own caption
    said = " ".join(b["say"] for b in scene.beats)
    assert "backpropagation" in said.lower() and "GPT-3" in said
    # the loss as surprise: bars for a few of the prompt's real next tokens, each as tall as −log p on the loss axis
    probs, unit = tr["positions.next_probs"], scene.axes.y_length / (scene.axes.y_range[1] - scene.axes.y_range[0])
    ever = shown_paths(scene, ever=True)
    assert scene.axes.y_range[0] == 0 and 1 <= len(scene.surprise_shown) <= 3
    for p, height in scene.surprise_shown:
        assert f"positions.next_probs[{p}]" in ever and probs[p] > 1 / tr.info["learning"]["vocab_size"]
        assert height == pytest.approx(-np.log(probs[p]) * unit, rel=1e-6)
    assert said.lower().index("surprise") < said.lower().index("loss") < said.lower().index("backpropagation")
    # each bar stands on the tile of the token it scores, in the right half (its own axis), clear of the loss chart
    for (p, _), (chip, x) in zip(scene.surprise_shown, scene.surprise_feet):
        assert chip.text.gptanim_tokens[0][0] == f"info.tokens.display.{p + 1}"
        assert x == pytest.approx(chip.get_center()[0]) and chip.get_left()[0] > scene.axes.get_right()[0]
    # the bars squash into their average, which lands on the loss axis at that height
    mean = np.mean([-np.log(probs[p]) for p, _ in scene.surprise_shown])
    assert scene.mark_start[0] == pytest.approx(mean * unit, rel=1e-6)
    # then the mark steps down the curve's first measured points, each at its loss, while the weights are nudged
    curve = tr.info["learning"]["curve"]
    assert len(scene.mark_steps) >= 2
    for i, y in scene.mark_steps:
        assert y == pytest.approx(scene.axes.c2p(1, curve[i]["val_loss"])[1])
        assert f"info.learning.curve.{i}.step" in ever
    # this model in millions, GPT-3 in billions as said ("175 B", not "175,181 M"), squares as large as their weights
    shown = list(scene.ever_shown.values())
    formats = {(p, f) for t in shown for p, f in getattr(t, "gptanim_numbers", [])}
    assert {("meta.n_params", "million"), ("info.gpt3.total", "billion")} <= formats
    gpt3, gpt2, _ = scene.size_squares
    assert (gpt2.width / gpt3.width) ** 2 == pytest.approx(1.5e9 / tr.info["gpt3"]["total"], rel=1e-3)
    assert len(scene.beats) >= len(tr.info["learning"]["stages"]) + 2


def test_a_model_without_snapshots_gets_the_fallback(scene_traces, local_gpt2, tmp_path, one_torch_thread):
    from model.loading import load
    from model.run import TraceSettings, trace

    tr = trace(TraceSettings(prompt="Once upon a time", model=str(local_gpt2), generate=2), load(str(local_gpt2)))
    learn = tr.info["learning"]
    assert learn == {"available": False, "reason": f"{local_gpt2.name} ships no training snapshots",
                     "stages": [], "curve": [], "notes": []}  # fmt: skip
    path = tr.save(tmp_path / "plain.npz")
    scene = render(Learning, path, tmp_path / "media")
    check_numbers(scene, tr)
    check_layout(scene)
    check_text_size(scene)
    check_caption_clear(scene)
    shown = " ".join(shown_text(t) for t in texts(scene))
    assert "ships no training snapshots" in shown and "GPT-3" in shown
    assert "ships no training record" in " ".join(c.gptanim_text for c in scene.captions)


def test_a_small_training_run_records_its_learning_and_card(tmp_path, one_torch_thread):
    """Independent of the shipped model: a tiny run with snapshots gets every stage, and its card the snapshot
    table with the measured cost of storing the weights in int8."""
    from model.card import snapshot_table
    from model.learning import record
    from model.loading import load
    from model.train import TrainConfig, train
    from tests.conftest import SAMPLE_TEXT

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("\n\n".join([SAMPLE_TEXT] * 4))
    (corpus / "b.txt").write_text(SAMPLE_TEXT.upper() + "\n\n" + SAMPLE_TEXT)
    cfg = TrainConfig(corpus=corpus, out=tmp_path / "out", steps=30, vocab_size=300, n_layer=1, n_head=2, n_embd=32,
                      n_ctx=32, batch_size=8, warmup_steps=5, eval_every=10, snapshot_steps=(5, 20), val_fraction=0.3)  # fmt: skip
    stats = train(cfg, quiet=True)
    loaded = load(str(cfg.out))
    learn = record(loaded, loaded.tokenizer.encode("Once upon a time", add_special_tokens=False))
    assert [(s["step"], s["kind"]) for s in learn["stages"]] == [(0, "start"), (5, "snapshot"), (20, "snapshot"),
                                                                  (stats["best_step"], "final")]  # fmt: skip
    assert learn["notes"] == [] and learn["stages"][-1]["val_loss"] == stats["best_val_loss"]
    assert learn["curve"][0] == {"step": 5, "val_loss": stats["snapshots"][0]["val_loss"]}
    lines = snapshot_table(cfg.out, stats, loaded, corpus)
    assert any(line.startswith("| 5 | ") for line in lines) and any(line.startswith("| 20 | ") for line in lines)
    measured = next(line for line in lines if line.startswith("Stored the same way"))
    assert "in int8 rows" in measured


def test_a_trace_without_the_learning_section_stops_in_one_line(scene_traces, tmp_path, capsys):
    tr = loaded_trace(scene_traces["default"])
    del tr.info["learning"]  # as `gptanim trace` leaves it without --all
    with pytest.raises(SystemExit) as exc:
        render(Learning, tr.save(tmp_path / "core.npz"), tmp_path / "media")
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "gptanim: error: this Trace has no learning section; make it with `gptanim trace --all` (render and "
        "preview compute it for the scenes that show it)"
    ]
