"""Trace and generation timings for the embedded model (prints figures; asserts nothing).

    .venv/bin/python bench/trace_bench.py [--rounds 15] [--no-command]

Start-up (importing torch and transformers, loading the model) is timed apart from the compute.
The Trace's compute as `gptanim trace` does it (no generation: the forward pass with every array, the second
context, the logit lens, the weights shown, geometry and tally; not the two sections only Chat and Learning show)
is compared with a bare forward pass of the same prompt (transformers' own, on the process's threads and on one:
the faster is the reference), measured in turns in one run; each figure is the median of the rounds, in wall and
in CPU seconds (on a busy machine the CPU time is what the work costs). Target (issue 23): the Trace's compute at
most 2x a bare forward pass. The sections (the chatbot's reply, the learning record: computed when a lecture
shows Chat or Learning) are timed apart. Last, `gptanim trace` for a prompt not seen before, as a user runs it (a
fresh process: start-up included), wall seconds.
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

    from model.run import add_sections

    threads = torch.get_num_threads()

    def bare_on_one_thread():
        torch.set_num_threads(1)
        try:
            bare()
        finally:
            torch.set_num_threads(threads)

    bare_only = TraceSettings(prompt=prompt, generate=0, compare_temperatures=[])
    default = TraceSettings(prompt=prompt)
    core = lambda: trace(bare_only, loaded, sections=())  # noqa: E731 - what `gptanim trace` computes
    section = {
        name: (lambda name=name: add_sections(core(), bare_only, loaded, (name,))) for name in ("learning", "chat")
    }
    bare(), bare_on_one_thread(), core(), trace(default, loaded)  # warm up (geometry cached on disk by weights)
    rounds = {
        k: [] for k in ("bare", "bare 1", "trace", "learning", "chat", "default", "bare cpu", "bare 1 cpu", "trace cpu")
    }
    for _ in range(args.rounds):
        rounds["bare"].append(timed(bare))
        rounds["bare 1"].append(timed(bare_on_one_thread))
        rounds["trace"].append(timed(core))
        rounds["bare cpu"].append(cpu_timed(bare))
        rounds["bare 1 cpu"].append(cpu_timed(bare_on_one_thread))
        rounds["trace cpu"].append(cpu_timed(core))
        if len(rounds["default"]) < 5:
            for name, fn in section.items():
                rounds[name].append(timed(fn))
            rounds["default"].append(timed(lambda: trace(default, loaded, sections=())))
    m = {k: statistics.median(v) for k, v in rounds.items()}
    t_bare, c_bare = min(m["bare"], m["bare 1"]), min(m["bare cpu"], m["bare 1 cpu"])
    ratio = m["trace"] / t_bare
    print(f"prompt: {len(ids)} tokens, model {loaded.name} ({loaded.model.num_parameters():,} parameters), "
          f"torch threads {threads}, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"start-up: import torch {t_torch:.2f} s, transformers + GPT-2 code {t_transformers:.2f} s, "
          f"load the model {t_load:.2f} s")  # fmt: skip
    print(f"bare forward pass (transformers)          {m['bare'] * 1e3:8.2f} ms on {threads} threads, "
          f"{m['bare 1'] * 1e3:.2f} ms on one: the reference is the faster, {t_bare * 1e3:.2f} ms")  # fmt: skip
    print(f"Trace compute, as `gptanim trace`         {m['trace'] * 1e3:8.2f} ms   ({ratio:.2f}x bare; "
          f"target <= {TARGET:g}x: {'met' if ratio <= TARGET else 'NOT met'})")  # fmt: skip
    print(f"the same in CPU time: bare {c_bare * 1e3:.2f} ms, Trace {m['trace cpu'] * 1e3:.2f} ms "
          f"({m['trace cpu'] / c_bare:.2f}x; target <= {TARGET:g}x: {'met' if m['trace cpu'] / c_bare <= TARGET else 'NOT met'})")  # fmt: skip
    for name, what in (("learning", "the prompt on every training stage's weights, each with a greedy continuation"),
                       ("chat", "the chatbot's script and its reply")):  # fmt: skip
        extra = m[name] - m["trace"]
        print(f"  + section {name:9s} (for {'Learning' if name == 'learning' else 'Chat'}) {extra * 1e3:8.2f} ms   "
              f"({extra / t_bare:.2f}x bare: {what})")  # fmt: skip
    print(f"Trace compute, default settings           {m['default'] * 1e3:8.2f} ms   ({m['default'] / t_bare:.2f}x bare; "
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
