"""Eager PyTorch reference for introspect's `policy` training graph: forward + backward throughput.

Computes the GRPO clipped policy loss on temperature-scaled logits, exactly as the ONNX `policy`
graph does (src/model/graphs/train-graphs.ts, losses.ts), and back-propagates it into every
parameter. No optimiser step: the benchmark is the gradient computation. Reports processed tokens
per second (batch * seq_len / seconds per forward + backward, median over repeats).

    /usr/bin/python3 scripts/bench/torch_train.py --model DIR --batch 8 --seq-len 128 --threads 2 --json
"""

from __future__ import annotations

import cpu_setup  # noqa: F401  (first: chooses the BLAS kernels before torch loads them)

import argparse
import contextlib
import json
import statistics
import time

import torch

from hf_model import CausalLM, load_model


def target_logprobs(model: CausalLM, input_ids: torch.Tensor, attention_mask: torch.Tensor, temperatures: torch.Tensor) -> torch.Tensor:
    """log softmax(logits[:, t-1] / temperatures[:, t])[input_ids[:, t]] for t = 1..T-1: [B, T-1].

    Entry t-1 concerns token t, predicted from positions < t at the temperature it was sampled with.
    As in the ONNX graph, the last position's hidden state is dropped before the lm head (it
    predicts nothing), which saves one row of the biggest matmul.
    """
    hidden = model.hidden_states(input_ids, attention_mask)[:, :-1]  # [B, T-1, H]
    logits = model.lm_logits(hidden) / temperatures[:, 1:, None]  # [B, T-1, V]
    log_probs = torch.log_softmax(logits, dim=-1)
    return log_probs.gather(-1, input_ids[:, 1:, None]).squeeze(-1)  # [B, T-1]


def clipped_policy_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    clip_low: float,
    clip_high: float,
) -> torch.Tensor:
    """PPO/GRPO clipped surrogate with DAPO's decoupled clip range, as a masked token mean:
    -sum(mask * min(ratio A, clip(ratio, 1 - lo, 1 + hi) A)) / sum(mask), ratio = exp(logp - old).

    logp, old_logp, mask: [B, M]; advantages: [B] (one per sequence).
    """
    ratio = torch.exp(logp - old_logp)
    adv = advantages[:, None]  # [B, 1]
    objective = torch.minimum(ratio * adv, ratio.clamp(1 - clip_low, 1 + clip_high) * adv)
    return -(mask * objective).sum() / mask.sum().clamp(min=1e-30)


def policy_step(model: CausalLM, batch: dict[str, torch.Tensor], clip_low: float, clip_high: float) -> torch.Tensor:
    """One forward + backward; leaves the gradients in the parameters' .grad and returns the loss.

    old_logprobs are this pass's own log-probs, detached (ratio 1): the first update of a GRPO step,
    where rollout and training weights coincide.
    """
    logp = target_logprobs(model, batch["input_ids"], batch["attention_mask"], batch["temperatures"])
    loss = clipped_policy_loss(logp, logp.detach(), batch["advantages"], batch["loss_mask"][:, 1:], clip_low, clip_high)
    loss.backward()
    return loss.detach()


def random_batch(vocab: int, batch: int, seq_len: int, seed: int) -> dict[str, torch.Tensor]:
    """Random token ids, temperatures in [0.5, 1.5], standard-normal advantages, every token trained
    (entry 0 predicts nothing and is masked, as in the ONNX graph)."""
    gen = torch.Generator(device=torch.empty(0).device).manual_seed(seed)
    loss_mask = torch.ones(batch, seq_len)
    loss_mask[:, 0] = 0
    return {
        "input_ids": torch.randint(0, vocab, (batch, seq_len), generator=gen),
        "attention_mask": torch.ones(batch, seq_len, dtype=torch.long),
        "temperatures": 0.5 + torch.rand(batch, seq_len, generator=gen),
        "advantages": torch.randn(batch, generator=gen),
        "loss_mask": loss_mask,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="Hugging Face model folder (config.json + model.safetensors)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--warmup", type=int, default=1, help="untimed forward+backward passes first")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes; the median is reported")
    parser.add_argument("--clip-low", type=float, default=0.2)
    parser.add_argument("--clip-high", type=float, default=0.28)
    parser.add_argument("--adamw", action="store_true", help="also clip the gradient norm to 1 and take a torch.optim.AdamW step (a whole update)")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cuda (the GPU benchmark, scripts/gpu/)")
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    parser.add_argument("--profile", action="store_true",
                        help="run the last timed step under torch.profiler and add its self CPU seconds by operator (`profile`)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    if args.device != "cpu":
        # Every tensor hf_model creates (masks, positions, caches) follows the default device (torch >= 2.0).
        torch.set_default_device(args.device)
    torch.manual_seed(args.seed)
    model = load_model(args.model)
    if model.cfg.arch == "gpt2" and args.seq_len > model.cfg.max_positions:
        parser.error(f"--seq-len {args.seq_len} exceeds the model's {model.cfg.max_positions} positions")
    batch = random_batch(model.cfg.vocab_size, args.batch, args.seq_len, args.seed)

    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-6) if args.adamw else None
    times, cpu_times = [], []
    # With --profile one more step runs under the profiler, after the timed ones and not among them
    # (the profiler's per-operator bookkeeping slows a step of small operators down).
    steps = args.warmup + args.repeats + (1 if args.profile else 0)
    for i in range(steps):
        model.zero_grad(set_to_none=True)  # fresh gradient buffers each pass, as a training step would
        profiled = args.profile and i == steps - 1
        profiler = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) if profiled else contextlib.nullcontext()
        start, cpu_start = time.perf_counter(), time.process_time()
        with profiler:
            policy_step(model, batch, args.clip_low, args.clip_high)
            if optimizer is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        if i >= args.warmup and not profiled:
            times.append(elapsed)
            cpu_times.append(cpu)

    seconds = statistics.median(times)
    result = {
        "impl": "pytorch-eager",
        "torch_version": torch.__version__,
        "threads": args.threads,
        "batch": args.batch,
        "seq_len": args.seq_len,
        "device": args.device,
        "adamw": args.adamw,
        "tokens_per_s": args.batch * args.seq_len / seconds,
        "seconds": seconds,
        "repeat_seconds": times,
        # CPU time of all threads: with the machine to itself about threads x seconds; far less
        # means the run waited for cores that other processes held.
        "cpu_seconds": statistics.median(cpu_times),
        **cpu_setup.settings(),
        "model": args.model,
        "arch": model.cfg.arch,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    if args.profile:
        # Self time: an operator's own time, without the operators it calls (aten::linear -> aten::mm).
        result["profiled_step_seconds"] = elapsed
        result["profile"] = {e.key: e.self_cpu_time_total / 1e6 for e in profiler.key_averages() if e.self_cpu_time_total > 0}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"pytorch-eager train ({model.cfg.arch}, {result['parameters']:,} params, torch {torch.__version__}, {args.threads} threads): "
              f"batch {args.batch} x seq {args.seq_len}: {result['tokens_per_s']:.1f} tokens/s ({seconds:.3f} s per forward+backward)")


if __name__ == "__main__":
    main()
