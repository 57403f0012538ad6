"""Trace and generation timings for the embedded model (prints figures; asserts nothing).

    .venv/bin/python bench/trace_bench.py [--rounds 15] [--no-command]

Start-up (importing torch and transformers, loading the model) is timed apart from the compute.
The Trace's compute (no generation: the forward pass with every array, the second context, the
logit lens, the weights shown, geometry and tally) is compared with a bare forward pass of the same
prompt, measured in turns in one run; each figure is the median of the rounds, in wall and in CPU
seconds (on a busy machine the CPU time is what the work costs). Target (issue 23): the Trace's compute at most 2x a bare forward pass. Last, `gptanim trace`
for a prompt not seen before, as a user runs it (a fresh process: start-up included), wall seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as model/run.py sets it, before torch loads here
PROMPT_16 = "Once upon a time there lived a king who had three daughters, and the youngest"
TARGET = 2.0


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cpu_timed(fn) -> float:
    """CPU seconds of this process (all its threads): on a busy machine, what the work costs, not the wait."""
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--no-command", action="store_true", help="leave out the `gptanim trace` command")
    args = parser.parse_args()
    start = time.perf_counter()
    import torch

    t_torch = time.perf_counter() - start
    import transformers.models.gpt2.modeling_gpt2  # noqa: F401 - what load() imports, timed here

    t_transformers = time.perf_counter() - start - t_torch
    from model.loading import load
    from model.run import TraceSettings, generate, trace

    t_load = timed(lambda: globals().update(loaded=load(None)))
    loaded = globals()["loaded"]
    ids = loaded.tokenizer.encode(PROMPT_16, add_special_tokens=False)[:16]
    prompt = loaded.tokenizer.decode(ids)
    input_ids = torch.tensor([ids])

    def bare():
        with torch.no_grad():
            loaded.model(input_ids=input_ids)

    from model import chat, learning

    parts = {"learning": [], "chat": []}  # seconds of each call, to tell the Trace's parts apart

    def clocked(module, name, key):
        inner = getattr(module, name)

        def call(*a, **kw):
            start = time.perf_counter()
            try:
                return inner(*a, **kw)
            finally:
                parts[key].append(time.perf_counter() - start)

        setattr(module, name, call)

    clocked(learning, "record", "learning")
    clocked(chat, "converse", "chat")
    bare_only = TraceSettings(prompt=prompt, generate=0, compare_temperatures=[])
    default = TraceSettings(prompt=prompt)
    bare(), trace(bare_only, loaded), trace(default, loaded)  # warm up (geometry cached on disk by weights)
    rounds = {"bare": [], "trace": [], "default": [], "bare cpu": [], "trace cpu": []}
    for calls in parts.values():
        calls.clear()
    for _ in range(args.rounds):
        rounds["bare"].append(timed(bare))
        rounds["trace"].append(timed(lambda: trace(bare_only, loaded)))
        rounds["bare cpu"].append(cpu_timed(bare))
        rounds["trace cpu"].append(cpu_timed(lambda: trace(bare_only, loaded)))
        if len(rounds["default"]) < 3:
            rounds["default"].append(timed(lambda: trace(default, loaded)))
    t_bare, t_trace, t_default, c_bare, c_trace = (statistics.median(v) for v in rounds.values())
    t_learning, t_chat = (statistics.median(v) for v in parts.values())
    ratio = t_trace / t_bare
    print(f"prompt: {len(ids)} tokens, model {loaded.name} ({loaded.model.num_parameters():,} parameters), "
          f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"start-up: import torch {t_torch:.2f} s, transformers + GPT-2 code {t_transformers:.2f} s, "
          f"load the model {t_load:.2f} s")  # fmt: skip
    print(f"bare forward pass                         {t_bare * 1e3:8.2f} ms")
    print(f"Trace compute, no generation              {t_trace * 1e3:8.2f} ms   ({ratio:.2f}x bare; "
          f"target <= {TARGET:g}x: {'met' if ratio <= TARGET else 'NOT met'})")  # fmt: skip
    rest = t_trace - t_learning - t_chat
    print(f"  of which the learning record           {t_learning * 1e3:8.2f} ms   ({t_learning / t_bare:.2f}x bare: the prompt "
          f"on every stage's weights, each with a greedy continuation)")  # fmt: skip
    print(f"  of which the chat script and its reply {t_chat * 1e3:8.2f} ms   ({t_chat / t_bare:.2f}x bare)")
    print(f"  the rest (the prompt's own passes, every array, logit lens, weights, geometry, tally) "
          f"{rest * 1e3:.2f} ms ({rest / t_bare:.2f}x bare)")  # fmt: skip
    print(f"the same in CPU time: bare {c_bare * 1e3:.2f} ms, Trace {c_trace * 1e3:.2f} ms ({c_trace / c_bare:.2f}x; "
          f"target <= {TARGET:g}x: {'met' if c_trace / c_bare <= TARGET else 'NOT met'})")  # fmt: skip
    print(f"Trace compute, default settings           {t_default * 1e3:8.2f} ms   ({t_default / t_bare:.2f}x bare; "
          f"generates {default.generate} tokens at {1 + len(default.compare_temperatures)} temperatures)")  # fmt: skip
    per_token = []
    for n in (16, 32, 64):
        t = min(timed(lambda n=n: generate(loaded, ids, n, 1.0, None, None, 0)) for _ in range(3))
        per_token.append(t / n)
        print(f"generate {n:3d} tokens (KV cache)           {t * 1e3:8.2f} ms   ({t / n * 1e3:.2f} ms/token)")
    print(f"ms/token spread across 16/32/64: {max(per_token) / min(per_token):.2f}x (1.0 = perfectly linear)")
    if not args.no_command:
        with tempfile.TemporaryDirectory() as cache:  # a cache that has seen nothing: the model runs
            env = {**os.environ, "GPTANIM_CACHE": cache}
            cmd = [str(Path(sys.executable).parent / "gptanim"), "trace", "--quiet", "--prompt", f"{prompt} again"]
            wall = timed(lambda: subprocess.run(cmd, env=env, check=True, capture_output=True))
        print(f"`gptanim trace`, a new prompt, fresh cache: {wall:.2f} s wall (start-up, Trace, geometry, saving)")


if __name__ == "__main__":
    main()
