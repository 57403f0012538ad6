"""Trace and generation timings for the embedded model (prints figures; asserts nothing).

.venv/bin/python bench/trace_bench.py
"""

from __future__ import annotations

import statistics
import time

import torch

from model.loading import load
from model.run import TraceSettings, forward_arrays, generate, trace

PROMPT_16 = "Once upon a time there lived a king who had three daughters, and the youngest"


def best_of(fn, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    loaded = load(None)
    ids = loaded.tokenizer.encode(PROMPT_16, add_special_tokens=False)[:16]
    prompt = loaded.tokenizer.decode(ids)
    input_ids = torch.tensor([ids])

    def bare():
        with torch.no_grad():
            loaded.model(input_ids=input_ids)

    def bare_with_attentions():
        with torch.no_grad():
            loaded.model(input_ids=input_ids, output_attentions=True, output_hidden_states=True)

    bare(), forward_arrays(loaded, ids)  # warm up
    t_bare = best_of(bare)
    t_attn = best_of(bare_with_attentions)
    t_forward = best_of(lambda: forward_arrays(loaded, ids))
    t_trace = best_of(lambda: trace(TraceSettings(prompt=prompt, generate=0, compare_temperatures=[]), loaded), 3)
    print(
        f"prompt: {len(ids)} tokens, model {loaded.name} ({sum(p.numel() for p in loaded.model.parameters()):,} parameters)"
    )
    print(f"bare forward pass                     {t_bare * 1e3:8.2f} ms")
    print(f"forward with attentions + states      {t_attn * 1e3:8.2f} ms   ({t_attn / t_bare:.2f}x bare)")
    print(f"Trace activations (hooks, all arrays) {t_forward * 1e3:8.2f} ms   ({t_forward / t_bare:.2f}x bare)")
    print(
        f"whole Trace, no generation            {t_trace * 1e3:8.2f} ms   ({t_trace / t_bare:.2f}x bare; "
        "includes embedding geometry and the tally)"
    )
    per_token = []
    for n in (16, 32, 64):
        t = best_of(lambda n=n: generate(loaded, ids, n, 1.0, None, None, 0), 3)
        per_token.append(t / n)
        print(f"generate {n:3d} tokens (KV cache)       {t * 1e3:8.2f} ms   ({t / n * 1e3:.2f} ms/token)")
    print(f"ms/token spread across 16/32/64: {max(per_token) / min(per_token):.2f}x (1.0 = perfectly linear)")
    print(f"median per-token cost: {statistics.median(per_token) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
