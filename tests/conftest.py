"""Shared fixtures: the embedded model, small GPT-2 models built here, and Traces of them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
os.environ["GPTANIM_WARM"] = "0"  # previews in the test's own processes; tests/test_warm.py starts its servers
SAMPLE_TEXT = (
    "Once upon a time there lived a king and a queen who had a daughter. The little girl loved the forest, "
    "and every day she walked with her brother to the river. 'Good morning,' said the wolf to the boy.\n"
) * 20


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Traces are cached in a temporary folder, never in the user's cache."""
    os.environ["GPTANIM_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture(scope="module")
def one_torch_thread():
    """The models run in this process on one thread: on busy cores torch's threads wait for each other
    (a Trace of the embedded model took 20× longer with two threads beside two busy processes)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def build_local_gpt2(
    folder: Path,
    n_layer: int = 2,
    n_embd: int = 32,
    n_head: int = 2,
    n_ctx: int = 64,
    seed: int = 0,
    embedded_tokenizer: bool = False,
) -> Path:
    """A GPT-2 with random weights and a small tokenizer (or the embedded model's), written as a
    Hugging Face folder (no download)."""
    import torch
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

    from model.train import train_tokenizer

    if embedded_tokenizer:
        tok = AutoTokenizer.from_pretrained(ROOT / "assets" / "fairytale-gpt")
    else:
        tok = train_tokenizer([SAMPLE_TEXT], 300)
    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=len(tok),
        n_positions=n_ctx,
        n_embd=n_embd,
        n_layer=n_layer,
        n_head=n_head,
        bos_token_id=tok.eos_token_id,
        eos_token_id=tok.eos_token_id,
    )
    model = GPT2LMHeadModel(config)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


# Tiny models of the other families, random weights, the embedded model's tokenizer; one config each.
FAMILY_CONFIGS = {
    "gpt_neox": {  # Pythia-style: parallel residual, rotary on a quarter of each head, untied unembedding
        "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 256,
        "max_position_embeddings": 128, "rotary_pct": 0.25, "use_parallel_residual": True,
        "tie_word_embeddings": False,
    },
    "llama": {  # SmolLM-style: RMSNorm, rotary, SwiGLU, grouped-query attention (2 key/value heads), tied
        "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "intermediate_size": 160, "max_position_embeddings": 128, "tie_word_embeddings": True,
    },
    "mistral": {  # Mistral-style: as Llama, untied
        "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "intermediate_size": 128, "max_position_embeddings": 128, "tie_word_embeddings": False,
    },
    "qwen2": {  # Qwen2-style: as Llama, plus query/key/value biases, untied
        "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1,
        "intermediate_size": 128, "max_position_embeddings": 128, "tie_word_embeddings": False,
    },
}  # fmt: skip


def build_family_model(folder: Path, model_type: str, seed: int = 0) -> Path:
    """A model of `model_type` with random weights, built from its transformers config, saved as safetensors."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(ROOT / "assets" / "fairytale-gpt")
    config = AutoConfig.for_model(
        model_type, vocab_size=len(tok), bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id,
        **FAMILY_CONFIGS[model_type],
    )  # fmt: skip
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    with torch.no_grad():  # RMSNorm and LayerNorm start at γ = 1, β = 0: random ones test that they are applied
        for name, p in model.named_parameters():
            if "norm" in name:
                p.add_(0.1 * torch.randn_like(p))
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def family_models(tmp_path_factory) -> dict[str, Path]:
    return {kind: build_family_model(tmp_path_factory.mktemp(kind), kind) for kind in FAMILY_CONFIGS}


@pytest.fixture(scope="session")
def family_traces(tmp_path_factory, family_models) -> dict[str, Path]:
    """Trace files of the Llama and GPT-NeoX tiny models, for the scene tests."""
    from model.loading import load
    from model.run import TraceSettings, trace

    folder = tmp_path_factory.mktemp("family-traces")
    settings = TraceSettings(prompt=PROMPTS["default"], generate=4)
    return {k: trace(settings, load(str(family_models[k]))).save(folder / f"{k}.npz") for k in ("llama", "gpt_neox")}


@pytest.fixture(scope="session")
def local_gpt2(tmp_path_factory) -> Path:
    return build_local_gpt2(tmp_path_factory.mktemp("local-gpt2"))


@pytest.fixture(scope="session")
def deep_gpt2(tmp_path_factory) -> Path:
    """Twelve layers, like GPT-2 small, so the pictures must still fit."""
    return build_local_gpt2(tmp_path_factory.mktemp("deep-gpt2"), n_layer=12, n_embd=48, n_head=12, n_ctx=128)


@pytest.fixture(scope="session")
def random_gpt2(tmp_path_factory) -> Path:
    """Twelve random layers with the embedded model's vocabulary: its words exist, nothing it says is meaningful."""
    folder = tmp_path_factory.mktemp("random-gpt2")
    return build_local_gpt2(folder, n_layer=12, n_embd=64, n_head=4, n_ctx=128, embedded_tokenizer=True)


@pytest.fixture(scope="session")
def embedded():
    from model.loading import load

    return load(None)


PROMPTS = {
    "default": "Once upon a time, a little girl",
    "one-token": "The",
    "unicode": "Crème brûlée 🍮 für 王子 and the 🐺",
    "long": " ".join(["the old king walked into the dark forest and"] * 6),  # about 60 tokens
}


@pytest.fixture(scope="session")
def scene_traces(tmp_path_factory, embedded, deep_gpt2) -> dict[str, Path]:
    """Trace files for the scene tests: several prompts with the embedded model, and a 12-layer model."""
    from model.loading import load
    from model.run import TraceSettings, trace

    folder = tmp_path_factory.mktemp("traces")
    paths = {}
    for name, prompt in PROMPTS.items():
        paths[name] = trace(TraceSettings(prompt=prompt, generate=6, seed=0), embedded).save(folder / f"{name}.npz")
    deep = load(str(deep_gpt2))
    paths["12-layer"] = trace(TraceSettings(prompt=PROMPTS["default"], generate=4), deep).save(folder / "deep.npz")
    return paths
