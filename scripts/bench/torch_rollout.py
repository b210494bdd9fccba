"""Eager PyTorch reference for introspect's rollout: batched sampling throughput with a KV cache.

Random prompts (fixed seed), one prefill pass, then one cached forward pass per token, sampling
with torch.multinomial from softmax(logits / temperature). Never stops early: every row generates
exactly --new-tokens tokens. Reports generated tokens per second
(batch * new_tokens / seconds of one whole rollout, median over repeats; prefill included).

    /usr/bin/python3 scripts/bench/torch_rollout.py --model DIR --batch 16 --prompt-len 16 --new-tokens 128 --threads 2 --json
"""

from __future__ import annotations

import cpu_setup  # noqa: F401  (first: chooses the BLAS kernels before torch loads them)

import argparse
import json
import statistics
import time

import torch

from hf_model import generate, load_model


def make_sampler(temperature: float, generator: torch.Generator):
    """Logits [B, V] -> one token per row [B], sampled from softmax(logits / temperature)."""

    def sample(logits: torch.Tensor) -> torch.Tensor:
        probs = torch.softmax(logits / temperature, dim=-1)
        return torch.multinomial(probs, 1, generator=generator).squeeze(1)

    return sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="Hugging Face model folder (config.json + model.safetensors)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--prompt-len", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--warmup", type=int, default=1, help="untimed rollouts first")
    parser.add_argument("--repeats", type=int, default=3, help="timed rollouts; the median is reported")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument(
        "--cache",
        choices=("dynamic", "static"),
        default="dynamic",
        help="dynamic: concatenate each step (transformers' default DynamicCache); static: preallocated buffers",
    )
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cuda (the GPU benchmark, scripts/gpu/)")
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    if args.device != "cpu":
        # Every tensor hf_model creates (masks, positions, caches) follows the default device (torch >= 2.0).
        torch.set_default_device(args.device)
    model = load_model(args.model)
    total = args.prompt_len + args.new_tokens
    if model.cfg.arch == "gpt2" and total > model.cfg.max_positions:
        parser.error(f"prompt + new tokens = {total} exceeds the model's {model.cfg.max_positions} positions")

    prompt_gen = torch.Generator(device=args.device).manual_seed(args.seed)
    prompts = torch.randint(0, model.cfg.vocab_size, (args.batch, args.prompt_len), generator=prompt_gen)
    # All prompts have the same length, but the mask still goes through the padding-aware path.
    mask = torch.ones_like(prompts)
    sample_gen = torch.Generator(device=args.device).manual_seed(args.seed + 1)
    sampler = make_sampler(args.temperature, sample_gen)

    times, cpu_times = [], []
    with torch.inference_mode():
        for i in range(args.warmup + args.repeats):
            start, cpu_start = time.perf_counter(), time.process_time()
            tokens, _ = generate(model, prompts, mask, args.new_tokens, sampler, static_cache=args.cache == "static")
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            assert tokens.shape == (args.batch, args.new_tokens)
            if i >= args.warmup:
                times.append(elapsed)
                cpu_times.append(cpu)

    seconds = statistics.median(times)
    result = {
        "impl": "pytorch-eager",
        "torch_version": torch.__version__,
        "threads": args.threads,
        "batch": args.batch,
        "prompt_len": args.prompt_len,
        "new_tokens": args.new_tokens,
        "tokens_per_s": args.batch * args.new_tokens / seconds,
        "seconds": seconds,
        "repeat_seconds": times,
        # CPU time of all threads: with the machine to itself about threads x seconds; far less
        # means the run waited for cores that other processes held.
        "cpu_seconds": statistics.median(cpu_times),
        **cpu_setup.settings(),
        "cache": args.cache,
        "device": args.device,
        "temperature": args.temperature,
        "model": args.model,
        "arch": model.cfg.arch,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"pytorch-eager rollout ({model.cfg.arch}, {result['parameters']:,} params, torch {torch.__version__}, {args.threads} threads, "
              f"{args.cache} cache): batch {args.batch}, prompt {args.prompt_len}, {args.new_tokens} new tokens: "
              f"{result['tokens_per_s']:.1f} tokens/s ({seconds:.3f} s per rollout)")


if __name__ == "__main__":
    main()
