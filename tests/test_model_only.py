"""Scenes that read only the model's part of the Trace (MODEL_ONLY: trace_data.MODEL_PART) are drawn once per model:
their key is the same for every prompt and setting, they are handed that part alone (reading more fails), and
their pictures are the same whatever the prompt."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gptanim.keys import scene_key
from model.trace_data import in_model_part
from scenes.catalog import BY_NAME, SCENES

MODEL_ONLY = [entry for entry in SCENES if entry.model_only]


@pytest.fixture(scope="module")
def two_prompts(tmp_path_factory, embedded):
    """Traces of the embedded model for two prompts with different settings: their files."""
    from model.run import TraceSettings, trace

    folder = tmp_path_factory.mktemp("model-only")
    settings = [TraceSettings(prompt="The wolf knocked at the door", generate=3, seed=0),
                TraceSettings(prompt="A queen sang to the moon", generate=5, seed=7, temperature=0.5, top_k=4)]  # fmt: skip
    return [trace(s, embedded, sections=()).save(folder / f"{k}.npz") for k, s in enumerate(settings)]


def test_the_model_only_scenes_are_the_catalogs_own():
    assert {entry.name for entry in MODEL_ONLY} >= {"EmbeddingSpace", "ParameterTally"}
    assert all(not e.sections and not e.reads and not e.uses_temperature for e in MODEL_ONLY)


def test_a_model_only_scene_is_handed_the_model_part_alone(two_prompts):
    from model.claims import statements
    from model.trace_data import Trace
    from scenes.source import model_only

    full = Trace.load(two_prompts[0])
    part = model_only(full)
    with pytest.raises(KeyError):
        part.prompt  # noqa: B018 - reading it is the test
    for name in ("logits", "hook_embed"):
        with pytest.raises(KeyError):
            part[name]
    assert "tokens" not in part.info and "temperatures" not in part.meta
    assert part.info["tally"] == full.info["tally"] and part.meta["n_params"] == full.meta["n_params"]
    kept, every = statements(part), statements(full)
    assert {"tally.total", "tally.gpt3", "geometry.pairs"} <= kept.keys()
    assert not {"continuation.distribution", "matvec.total", "attention.choice"} & kept.keys()
    for key, stmt in kept.items():
        assert stmt == every[key]
        paths = [p for where in stmt.paths.values() for p in (where if isinstance(where, list) else [where])]
        assert paths and all(in_model_part(p) for p in paths if not p.startswith("claims."))


def test_a_model_only_scene_is_drawn_once_per_model(two_prompts, tmp_path):
    """The same key and the same pixels for two prompts and settings; a scene that reads the prompt differs, and
    so does a model-only scene's key when the model's part changes."""
    from gptanim.pool import ScenePool
    from gptanim.render import render_still
    from model.trace_data import Trace

    traces = [Trace.load(path) for path in two_prompts]
    for entry in MODEL_ONLY:
        assert scene_key(entry, traces[0], "still") == scene_key(entry, traces[1], "still")
    tokenization = BY_NAME["Tokenization"]
    assert scene_key(tokenization, traces[0], "still") != scene_key(tokenization, traces[1], "still")
    other_model = Trace(dict(traces[0].meta, n_params=traces[0].meta["n_params"] + 1), traces[0].arrays,
                        traces[0].info)  # fmt: skip
    assert scene_key(MODEL_ONLY[0], other_model, "still") != scene_key(MODEL_ONLY[0], traces[0], "still")
    with ScenePool(tmp_path, still=True) as pool:
        for entry in MODEL_ONLY:
            stills = [render_still(entry, path, tmp_path / f"{entry.name}-{k}.png", pool)
                      for k, path in enumerate(two_prompts)]  # fmt: skip
            pixels = [np.asarray(Image.open(still)) for still in stills]
            assert pixels[0].std() > 0 and np.array_equal(*pixels), entry.name


def test_adding_digits_finds_the_decimals_at_which_a_shown_sum_checks_by_hand():
    from model.formats import adding_digits, fmt_value

    assert adding_digits([-0.104, 0.014], -0.09) == 2  # −0.10 + 0.01 = −0.09 checks at two decimals
    terms, total = [-0.1042, 0.0144], -0.0898  # −0.10 + 0.01 = −0.09 at two decimals
    digits = adding_digits([-0.096, 0.014, -0.0004], -0.0824)
    shown = [float(fmt_value(t, digits).replace("−", "-")) for t in [-0.096, 0.014, -0.0004]]
    assert round(sum(shown), digits) == float(fmt_value(-0.0824, digits).replace("−", "-"))
    assert digits == 3  # at two decimals −0.10 + 0.01 + 0.00 = −0.09, not the −0.08 a viewer would be shown
    assert adding_digits([1 / 3, 1 / 3, 1 / 3], 1.0, most=3) is None  # 0.333 × 3 never shows 1.000
    assert adding_digits(terms, total) == 2
