"""PyTorch CPU versions of the benchmark's attention and scan cases.

Optional peer for bench/run.mjs: draws the same models and inputs as
bench/cases.mjs, runs on one thread (the wasm kernels use one core), and
prints one JSON object of median milliseconds per case.
"""
import json
import math
import statistics
import sys
import time

import torch


def uniform_generator(seed):
    """mulberry32, as in bench/cases.mjs."""
    state = seed & 0xFFFFFFFF

    def draw():
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        z = state
        z = ((z ^ (z >> 15)) * (z | 1)) & 0xFFFFFFFF
        z ^= (z + (((z ^ (z >> 7)) * (z | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF
        return ((z ^ (z >> 14)) & 0xFFFFFFFF) / 4294967296

    return draw


def bench_model(d, n_states, s_a, seed):
    uniform = uniform_generator(seed)
    unit = lambda: (2 * uniform() - 1) * math.sqrt(3)
    a = [s_a if i % n_states == 0 else s_a - 10 * uniform() for i in range(d * n_states)]
    w_b = [unit() for _ in range(n_states * d)]
    w_c = [unit() for _ in range(n_states * d)]
    q = [unit() * 0.3 for _ in range(d)]
    w = [unit() for _ in range(d)]
    as_tensor = lambda values, shape: torch.tensor(values, dtype=torch.float32).reshape(shape)
    return {
        "A": as_tensor(a, (d, n_states)), "W_B": as_tensor(w_b, (n_states, d)),
        "W_C": as_tensor(w_c, (n_states, d)), "q": as_tensor(q, (d,)), "w": as_tensor(w, (d,)),
    }


def bench_input(length, d, seed):
    uniform = uniform_generator(seed)
    values = [2 * uniform() - 1 for _ in range(length * d)]
    return torch.tensor(values, dtype=torch.float32).reshape(length, d)


def attention_channel(model, u, channel=0):
    """alpha[t,s] = delta[s] sum_n C[t,n] exp(A[j,n] (L[t]-L[s])) B[s,n], s <= t."""
    delta = torch.nn.functional.softplus(u @ model["q"])
    lam = torch.cumsum(delta, 0)
    keys = (u @ model["W_B"].T) * delta[:, None]
    queries = u @ model["W_C"].T
    gap = lam[:, None] - lam[None, :]
    causal = torch.tril(torch.ones_like(gap, dtype=torch.bool))
    alpha = torch.zeros_like(gap)
    for n in range(model["A"].shape[1]):
        decay = torch.exp(model["A"][channel, n] * gap.clamp(min=0))
        alpha += queries[:, n, None] * keys[None, :, n] * decay
    return alpha.masked_fill(~causal, 0)


def scan(model, u):
    """The recurrent scan, one step at a time as the authors' code runs it."""
    delta = torch.nn.functional.softplus(u @ model["q"])
    b = u @ model["W_B"].T
    c = u @ model["W_C"].T
    h = torch.zeros(model["A"].shape)
    for t in range(u.shape[0]):
        h = torch.exp(delta[t] * model["A"]) * h + delta[t] * u[t, :, None] * b[t][None, :]
        y_t = h @ c[t]
    return model["w"] @ y_t


def median_ms(call, budget_ms=3000, runs=7):
    call()
    times = []
    while len(times) < runs and (not times or sum(times) < budget_ms):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main():
    torch.set_num_threads(1)
    results = {"torch_version": torch.__version__}
    with torch.no_grad():
        model = bench_model(16, 16, -0.05, 1)
        for length in (512, 2048, 4096):
            u = bench_input(length, 16, 2)
            results[f"attention_channel_{length}"] = median_ms(lambda: attention_channel(model, u))
        for length in (1000, 100000):
            for n_states in (4, 16):
                scan_model = bench_model(16, n_states, -0.05, 3)
                u = bench_input(length, 16, 4)
                budget = 3000 if length <= 1000 else 1
                results[f"scan_{length}_N{n_states}"] = median_ms(lambda: scan(scan_model, u), budget, 3)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
