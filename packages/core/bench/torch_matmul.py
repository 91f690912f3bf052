"""Single-threaded PyTorch (its BLAS) matmul speed on the bench models' shapes, for comparison with
packages/core/bench/wasm-matmul.ts: µs per call and GFLOP/s.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 packages/core/bench/torch_matmul.py
"""
import time

import torch

torch.set_num_threads(1)
# m, k, n, transpose a
SHAPES = [(512, 64, 64, False), (64, 512, 64, True), (512, 64, 176, False), (64, 512, 176, True),
          (256, 128, 256, False), (128, 256, 256, True), (256, 256, 10, False), (512, 512, 512, False)]
print(f"torch {torch.__version__}, 1 thread")
print("| matmul m×k·k×n | µs/call | GFLOP/s |")
print("|---|---|---|")
for m, k, n, ta in SHAPES:
    a = torch.randn(k, m) if ta else torch.randn(m, k)
    b = torch.randn(k, n)
    f = (lambda: a.t() @ b) if ta else (lambda: a @ b)
    for _ in range(50):
        f()
    calls = max(20, int(2e8 / (2 * m * k * n)))
    t0 = time.perf_counter()
    for _ in range(calls):
        f()
    dt = (time.perf_counter() - t0) / calls
    print(f"| {m}×{k}{' (aᵀ)' if ta else ''} · {k}×{n} | {dt * 1e6:.1f} | {2 * m * k * n / dt / 1e9:.1f} |")
