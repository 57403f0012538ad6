"""Training snapshots: the model's weights at chosen steps of its training, stored small.

A snapshot is one safetensors file, `snapshots/step-NNNNN.safetensors` inside the model folder. Every matrix
is stored in int8 with one float32 scale per row (symmetric: row = int8 × scale, scale = max |row| / 127);
vectors (biases, layer-norm gains) in float16. The tied output matrix is not stored twice. Step 0, the random
start, needs no file: it is rebuilt from the training seed (`init_hash` checks that it is the same).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

FOLDER = "snapshots"
FORMAT = "int8-rows"
SCALE = ".scale"
NAME = re.compile(r"step-(\d+)\.safetensors$")


def snapshot_path(folder: Path, step: int) -> Path:
    return Path(folder) / FOLDER / f"step-{step:05d}.safetensors"


def listed(folder: Path) -> list[tuple[int, Path]]:
    """(step, file) of every snapshot in a model folder, in step order."""
    found = []
    for file in (Path(folder) / FOLDER).glob("step-*.safetensors"):
        match = NAME.search(file.name)
        if match:
            found.append((int(match.group(1)), file))
    return sorted(found)


def quantise(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """float arrays → int8 rows with float32 scales (matrices) or float16 (vectors)."""
    out: dict[str, np.ndarray] = {}
    for name, value in state.items():
        value = np.asarray(value, dtype=np.float32)
        if value.ndim >= 2:
            rows = value.reshape(value.shape[0], -1)
            scale = np.abs(rows).max(axis=1) / 127.0
            scale[scale == 0] = 1.0
            out[name] = np.clip(np.rint(rows / scale[:, None]), -127, 127).astype(np.int8).reshape(value.shape)
            out[name + SCALE] = scale.astype(np.float32)
        else:
            out[name] = value.astype(np.float16)
    return out


def dequantise(stored: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The inverse of `quantise`, in float32."""
    out: dict[str, np.ndarray] = {}
    for name, value in stored.items():
        if name.endswith(SCALE):
            continue
        if value.dtype == np.int8:
            scale = stored[name + SCALE]
            rows = value.reshape(value.shape[0], -1).astype(np.float32) * scale[:, None]
            out[name] = rows.reshape(value.shape)
        else:
            out[name] = value.astype(np.float32)
    return out


def save(state: dict[str, np.ndarray], path: Path, step: int) -> str:
    """Write a snapshot (quantised) to a temporary name, move it into place; return its sha256."""
    from safetensors.numpy import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".saving")
    save_file(quantise(state), str(tmp), metadata={"format": FORMAT, "step": str(step)})
    tmp.replace(path)
    return file_hash(path)


def load(path: Path) -> dict[str, np.ndarray]:
    """A snapshot's weights in float32, by parameter name (the tied output matrix left out)."""
    from safetensors.numpy import load_file

    return dequantise(load_file(str(path)))


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def state_hash(state: dict[str, np.ndarray]) -> str:
    """sha256 over every array's name and float32 bytes, in name order: checks a rebuilt random start."""
    digest = hashlib.sha256()
    for name in sorted(state):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(state[name], dtype=np.float32).tobytes())
    return digest.hexdigest()


def record_id(folder: Path) -> str:
    """What a Trace's learning record depends on besides the weights: the training record (which holds each
    snapshot's sha256) and the snapshot files present, by name and size; "" for a model without snapshots."""
    found = listed(folder)
    if not found:
        return ""
    digest = hashlib.sha256()
    stats = Path(folder) / "training_stats.json"
    digest.update(stats.read_bytes() if stats.exists() else b"")
    for step, file in found:
        digest.update(f"{step}:{file.stat().st_size};".encode())
    return digest.hexdigest()[:16]
