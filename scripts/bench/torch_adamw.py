"""The optimiser step alone in PyTorch eager, the yardstick of `npm run bench:adamw`: parameters of
the given shapes, random gradients, `clip_grad_norm_` to 1 and `torch.optim.AdamW` (lr 1e-6, weight
decay 0.01, PyTorch's default implementation), median seconds over the timed steps.

    /usr/bin/python3 scripts/bench/torch_adamw.py --shapes '[[512, 32000], [512]]' --threads 2 --repeats 3 --json
"""
import cpu_setup  # noqa: F401  (BLAS / OpenMP environment, before torch)

import argparse
import json
import statistics
import time

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", required=True, help="JSON list of parameter shapes")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(*shape) * 0.02) for shape in json.loads(args.shapes)]
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    optimizer = torch.optim.AdamW(params, lr=1e-6, weight_decay=0.01)
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        times.append(time.perf_counter() - start)
    result = {
        "impl": "pytorch-eager",
        "torch_version": torch.__version__,
        "threads": args.threads,
        "parameters": sum(p.numel() for p in params),
        "median_s": statistics.median(times),
        "repeat_seconds": times,
        **cpu_setup.settings(),
    }
    print(json.dumps(result) if args.json else f"torch AdamW step: {result['median_s']:.3f} s for {result['parameters']:,} parameters")


if __name__ == "__main__":
    main()
