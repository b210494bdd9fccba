"""Matrix products alone in PyTorch eager, the yardstick of `npm run bench:gemm`: for each product
`[m, n, k, layout]` of a linear layer y[m, n] = x[m, k] W[n, k]^T, times the product the training
step does in that layout with `torch.mm` into a preallocated output (`out=`, so no allocation is
timed), one untimed warm-up and then `--repeats` timed runs, and prints the median seconds of each.

    forward      x @ W.t()   [m, k] x [k, n]   (F.linear's addmm; ONNX Gemm transB)
    input-grad   dy @ W      [m, n] x [n, k]   (dx; ONNX Gemm without transposes)
    weight-grad  dy.t() @ x  [n, m] x [m, k]   (dW; ONNX Gemm transA)

Layouts are views, as in autograd's own backward: OpenBLAS gets the transpose flags, nothing is
copied. `torch.set_num_threads(threads)` before the products (cpu_setup.py sets the OpenBLAS
kernels and the OpenMP wait policy first, as for the other scripts).

    /usr/bin/python3 scripts/bench/torch_gemm.py --products '[[1024, 896, 896, "forward"]]' --threads 2 --repeats 5 --json
"""

from __future__ import annotations

import cpu_setup  # noqa: F401  (BLAS / OpenMP environment, before torch)

import argparse
import json
import statistics
import time

import torch


def operands(m: int, n: int, k: int, layout: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The two operands of the product (views where the layout transposes) and its output."""
    if layout == "forward":
        return torch.randn(m, k), torch.randn(n, k).t(), torch.empty(m, n)
    if layout == "input-grad":
        return torch.randn(m, n), torch.randn(n, k), torch.empty(m, k)
    if layout == "weight-grad":
        return torch.randn(m, n).t(), torch.randn(m, k), torch.empty(n, k)
    raise ValueError(f"unknown layout {layout!r}: forward, input-grad or weight-grad")


def time_product(m: int, n: int, k: int, layout: str, repeats: int) -> list[float]:
    """Seconds of each timed `torch.mm` after one warm-up."""
    a, b, out = operands(m, n, k, layout)
    torch.mm(a, b, out=out)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b, out=out)
        times.append(time.perf_counter() - start)
    return times


def blas_libraries() -> list[str]:
    """The BLAS shared objects this process has mapped (OpenBLAS, or netlib's reference BLAS)."""
    with open("/proc/self/maps") as f:
        return sorted({line.split()[-1] for line in f if "blas" in line.split()[-1]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", required=True, help='JSON list of [m, n, k, layout], layout "forward" | "input-grad" | "weight-grad"')
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    products = []
    for m, n, k, layout in json.loads(args.products):
        times = time_product(m, n, k, layout, args.repeats)
        products.append({"m": m, "n": n, "k": k, "layout": layout, "median_s": statistics.median(times), "repeat_seconds": times})
    result = {
        "impl": "pytorch-eager",
        "torch_version": torch.__version__,
        "threads": args.threads,
        "products": products,
        "blas_libraries": blas_libraries(),
        **cpu_setup.settings(),
    }
    if args.json:
        print(json.dumps(result))
        return
    for p in products:
        gflops = 2 * p["m"] * p["n"] * p["k"] / p["median_s"] / 1e9
        print(f"{p['m']} x {p['n']} x {p['k']} {p['layout']}: {p['median_s'] * 1e3:.2f} ms, {gflops:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
