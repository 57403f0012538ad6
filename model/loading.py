"""Loading a GPT: the embedded model, a local Hugging Face folder, or a cached hub name.

Safetensors only (never a pickle), never remote code, always eager attention
(transformers 5 returns no attention weights under sdpa).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path

from model.errors import GptanimError
from model.families import SUPPORTED, Family, family_of
from model.files import read_limited, regular_file

ROOT = Path(__file__).resolve().parent.parent
EMBEDDED_NAME = "fairytale-gpt"
EMBEDDED_PATH = ROOT / "assets" / EMBEDDED_NAME
TOKENIZER_FILES = ("tokenizer.json", "vocab.json", "tokenizer.model")
PICKLES = ("pytorch_model.bin", "model.ckpt", "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack")
# The other files transformers reads from a folder: each must be a regular file (a FIFO would hang the load).
READ_FILES = ("tokenizer_config.json", "special_tokens_map.json", "generation_config.json", "merges.txt",
              "added_tokens.json", "chat_template.jinja", "training_stats.json")  # fmt: skip
WEIGHTS, INDEX, INDEX_SUFFIX = "model.safetensors", "model.safetensors.index.json", ".safetensors.index.json"
MAX_JSON = 64_000_000  # a config or a shard index is kilobytes


@dataclass
class LoadedModel:
    name: str
    path: Path
    model: object  # transformers.PreTrainedModel, float32, eval mode
    tokenizer: object
    weights_hash: str
    family: Family


def resolve(name: str | None) -> tuple[str, Path]:
    """Where a model's files are: the embedded one, a local folder, or the Hugging Face cache."""
    if name in (None, "", "embedded", EMBEDDED_NAME):
        if not (EMBEDDED_PATH / "config.json").exists():
            raise GptanimError(f"the embedded model is missing from {EMBEDDED_PATH}; run `gptanim train` to rebuild it")
        return EMBEDDED_NAME, EMBEDDED_PATH
    path = Path(name).expanduser()
    if path.is_dir():
        return path.resolve().name, path.resolve()
    if path.exists():
        raise GptanimError(f"--model {name}: expected a folder of Hugging Face files or a hub name, got a file")
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise GptanimError(f"--model {name}: no such folder")
    return name, _from_hub(name)


def _from_hub(name: str) -> Path:
    """A hub name, from the local cache; downloads only when the hub answers within seconds."""
    from huggingface_hub import snapshot_download

    patterns = ["*.json", "*.safetensors", "*.txt", "*.model", "merges.txt", "vocab.json"]
    try:
        return Path(snapshot_download(name, allow_patterns=patterns, local_files_only=True))
    except Exception:
        pass
    hint = f"on a machine with network: `hf download {name}`, or pass --model PATH to a local folder"
    if os.environ.get("HF_HUB_OFFLINE") or not _hub_reachable():
        raise GptanimError(f"model {name!r} is not in the local Hugging Face cache and the hub is unreachable; {hint}")
    try:
        return Path(snapshot_download(name, allow_patterns=patterns))
    except Exception as exc:
        raise GptanimError(f"could not get model {name!r} from the hub ({exc.__class__.__name__}); {hint}") from None


def _hub_reachable(timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection(("huggingface.co", 443), timeout=timeout):
            return True
    except OSError:
        return False


def read_json(file: Path, what: str) -> dict:
    """A JSON object from a model folder's file (a regular file, not too large, UTF-8)."""
    try:
        doc = json.loads(read_limited(file, what, MAX_JSON).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise GptanimError(f"{file} is not UTF-8 text (byte {exc.start})") from None
    except (json.JSONDecodeError, RecursionError):
        raise GptanimError(f"{file} is not valid JSON") from None
    if not isinstance(doc, dict):
        raise GptanimError(f"{file} is not a JSON object (it holds a {type(doc).__name__})")
    return doc


def check_folder(path: Path) -> dict:
    """The folder's config, after checking it holds safetensors weights of a supported architecture."""
    config_file = path / "config.json"
    if not present(config_file):
        raise GptanimError(f"{path} has no config.json: not a Hugging Face model folder")
    config = read_json(config_file, "model config")
    kind = config.get("model_type")
    if kind not in SUPPORTED:
        names = ", ".join(sorted(SUPPORTED))
        raise GptanimError(f"unsupported architecture {kind!r} in {path}; gptanim draws these model types: {names}")
    if not weight_files(path, config):
        pickles = [p for p in PICKLES if (path / p).exists()]
        if pickles:
            raise GptanimError(
                f"{path} only has a pickle checkpoint ({pickles[0]}); gptanim never unpickles weights: "
                "convert it to model.safetensors first"
            )
        raise GptanimError(f"{path} has no model.safetensors weights")
    if not any(present(path / name) for name in TOKENIZER_FILES):
        raise GptanimError(f"{path} has no tokenizer (tokenizer.json, or vocab.json and merges.txt)")
    for name in TOKENIZER_FILES + READ_FILES:
        if present(path / name):
            regular_file(path / name, "model file")
    return config


def weight_files(path: Path, config: dict | None = None) -> list[Path]:
    """The safetensors files transformers loads from the folder, each checked to be a regular file: the file
    its config names (`transformers_weights`), else model.safetensors, else the shards its index lists.
    Other .safetensors files there (an adapter, snapshots) are not the model's weights."""
    config = read_json(path / "config.json", "model config") if config is None else config
    named = config.get("transformers_weights")
    if named is not None and not (isinstance(named, str) and named.endswith((".safetensors", INDEX_SUFFIX))):
        raise GptanimError(f"{path}/config.json: transformers_weights must name a .safetensors file, got {named!r}")
    chosen = path / (named or WEIGHTS)
    if named is None and not present(chosen):
        chosen = path / INDEX
    if not present(chosen):
        return []
    if not chosen.name.endswith(INDEX_SUFFIX):
        return [inside(path, chosen)]
    index = read_json(inside(path, chosen), "shard index")
    shards = index.get("weight_map")
    if not isinstance(shards, dict) or not shards or not all(isinstance(f, str) for f in shards.values()):
        raise GptanimError(f"{chosen} has no weight_map of tensor names to shard files")
    return [inside(path, path / name) for name in sorted(set(shards.values()))]


def present(file: Path) -> bool:
    """A name in the folder, whatever it is (a symbolic link loop or a FIFO too: they are refused by name)."""
    return file.exists() or file.is_symlink()


def inside(path: Path, file: Path) -> Path:
    """`file`, checked to lie in the model folder and to be a regular file that can be read."""
    if os.path.commonpath([os.path.abspath(path), os.path.abspath(file)]) != os.path.abspath(path):
        raise GptanimError(f"{path}: the weights file {file} lies outside the model folder")
    regular_file(file, "weights file")
    return file


def weights_hash(path: Path) -> str:
    """sha256 over the safetensors files the model loads, in name order: the identity of the weights."""
    digest = hashlib.sha256()
    for file in weight_files(path):
        digest.update(file.name.encode())
        with file.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def identify(name: str | None = None) -> tuple[str, Path, str]:
    """A model's shown name, folder and weights hash, checked but not loaded."""
    shown, path = resolve(name)
    check_folder(path)
    return shown, path, weights_hash(path)


def load(name: str | None = None) -> LoadedModel:
    """Load a model of a supported family (`model/families.py`) in float32 for tracing."""
    shown, path, digest = identify(name)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    check_weights(path)
    try:
        model = AutoModelForCausalLM.from_pretrained(
            path,
            attn_implementation="eager",
            dtype=torch.float32,
            use_safetensors=True,
            local_files_only=True,
            trust_remote_code=False,
        )
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True, trust_remote_code=False)
    except GptanimError:
        raise
    except Exception as exc:  # corrupt files raise many kinds (SafetensorError, OSError, ...)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise GptanimError(f"could not load the model in {path}: {first}") from None
    model.eval()
    check_finite(path, model)
    check_tokenizer(path, tokenizer, int(model.config.vocab_size))
    return LoadedModel(shown, path, model, tokenizer, digest, family_of(model.config.model_type))


def stored_shapes(path: Path) -> dict[str, list[int]]:
    """Every tensor's name and shape in the folder's safetensors files, read from their headers alone.

    A safetensors file starts with the length of its JSON header (8 bytes, little-endian), then the header.
    """
    shapes = {}
    for file in weight_files(path):
        try:
            with file.open("rb") as fh:
                size = int.from_bytes(fh.read(8), "little")
                if not 2 <= size <= min(file.stat().st_size - 8, 100_000_000):
                    raise ValueError("bad header length")
                header = json.loads(fh.read(size))
        except (OSError, ValueError, UnicodeDecodeError):
            raise GptanimError(f"could not load the model in {path}: {file.name} is not a safetensors file") from None
        shapes.update({name: list(entry.get("shape", [])) for name, entry in header.items() if name != "__metadata__"})
    return shapes


def needed_shapes(config) -> dict[str, list[int]]:
    """Every weight the architecture the config describes holds, with its shape (a model built without memory)."""
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        skeleton = AutoModelForCausalLM.from_config(config, attn_implementation="eager")
    family = family_of(config.model_type)
    tied = set()
    if getattr(config, "tie_word_embeddings", True):
        keys = getattr(skeleton, "_tied_weights_keys", None) or ["lm_head.weight"]
        tied = {family.model_name(name) for name in keys}
    return {
        family.model_name(name): list(tensor.shape)
        for name, tensor in skeleton.state_dict().items()
        if family.model_name(name) not in tied
    }


def check_weights(path: Path) -> None:
    """Refuse a folder whose weights lack a tensor the architecture needs, or hold one of another shape.

    transformers would fill a missing weight with random values: the lecture would show invented numbers.
    """
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(path, local_files_only=True, trust_remote_code=False)
    except Exception as exc:
        raise GptanimError(f"could not read the config in {path}: {str(exc).strip().splitlines()[0]}") from None
    family = family_of(config.model_type)
    stored = {family.model_name(name): shape for name, shape in stored_shapes(path).items()}
    check_sizes(path, config, family, stored)
    needed = needed_shapes(config)
    missing = [name for name in needed if name not in stored]
    if missing:
        shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
        raise GptanimError(
            f"{path} lacks {len(missing)} of the {len(needed)} weights its {config.model_type} config needs: {shown}"
        )
    wrong = [name for name, shape in needed.items() if stored[name] != shape]
    if wrong:
        name = wrong[0]
        raise GptanimError(
            f"{path}: weight {name} has shape {stored[name]}, its config needs {needed[name]}"
            + (f" ({len(wrong) - 1} more differ)" if len(wrong) > 1 else "")
        )


def check_sizes(path: Path, config, family: Family, stored: dict[str, list[int]]) -> None:
    """Refuse a config whose sizes are not whole numbers ≥ 1, whose heads do not divide the width, or that has
    layers its weights do not hold, before a model is built from it: even without weights, a skeleton of
    100,000 layers takes minutes and gigabytes. (One layer more than the weights hold is built, so that its
    missing weights are named.)"""
    sizes = {
        "the number of layers": config.num_hidden_layers,
        "the number of heads": config.num_attention_heads,
        "the width": config.hidden_size,
        "the context length": config.max_position_embeddings,
        "the vocabulary size": config.vocab_size,
        "the number of key/value heads": getattr(config, "num_key_value_heads", None) or config.num_attention_heads,
    }
    try:
        sizes["the MLP width"] = family.d_mlp(config)
    except (TypeError, ValueError):
        sizes["the MLP width"] = None
    for what, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise GptanimError(f"{path}/config.json: {what} must be a whole number ≥ 1, got {value!r}")
    layers, heads, kv_heads, width = (config.num_hidden_layers, config.num_attention_heads,
                                      sizes["the number of key/value heads"], config.hidden_size)  # fmt: skip
    if not getattr(config, "head_dim", None) and width % heads:
        raise GptanimError(f"{path}/config.json: its {heads} heads do not divide its width {width}")
    if heads % kv_heads:
        raise GptanimError(f"{path}/config.json: its {kv_heads} key/value heads do not divide its {heads} heads")
    blocks = re.compile(re.escape(family.model_name(family.blocks + ".")) + r"(\d+)\.")
    held = {int(found[1]) for found in map(blocks.match, stored) if found}
    if layers > len(held) + 1:
        raise GptanimError(f"{path} lacks {layers - len(held):,} layers of the weights its {config.model_type} "
                           f"config needs ({layers:,} layers; the weights hold {len(held)})")  # fmt: skip


def check_finite(path: Path, model) -> None:
    """Refuse weights holding NaN or infinity: every number drawn from them would be NaN."""
    import torch

    for name, weight in model.named_parameters():
        if not bool(torch.isfinite(weight).all()):
            raise GptanimError(f"{path}: weight {name} holds NaN or infinite values")


def check_tokenizer(path: Path, tokenizer, vocab_size: int) -> None:
    """The tokenizer's ids must all be rows of the model's embedding."""
    if len(tokenizer) > vocab_size:
        raise GptanimError(
            f"{path}: the tokenizer has {len(tokenizer):,} tokens but the model's vocabulary only {vocab_size:,}; "
            "they do not belong together"
        )
