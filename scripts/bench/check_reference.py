"""Checks hf_model.py against the transformers reference outputs in ../shared/fixtures/hf.

For every fixture folder (qwen2-tiny, qwen3-tiny, llama-tiny, gpt2-tiny) it compares, in float32:
  logits       full forward pass over input_ids            max |diff| <= 1e-4   (the benchmark's contract)
  last_hidden  final hidden state after the final norm     max |diff| <= 1e-4
  greedy       10 greedy tokens with the KV cache, both cache kinds, equal to transformers'
  ce_grad      d(mean next-token cross-entropy)/d(param)   relative L2 <= 1e-3 for every parameter
  pg_grad      d(policy loss)/d(param) through torch_train's clipped loss at ratio 1 (whose gradient
               is the reference's plain policy gradient)   relative L2 <= 1e-3
  left_pad     a left-padded batch decodes like each row alone (logits <= 1e-4, same tokens); with
               rotary models this tests the masking (a uniform position shift is invisible to
               rotary attention), with GPT-2's learned positions also the position ids
  old_config   a config with a top-level rope_theta (pre-transformers-5 layout) gives the same logits
  dtypes       F16 / BF16 checkpoints read back equal to torch's own rounding of the F32 weights

    /usr/bin/python3 scripts/bench/check_reference.py [--fixtures DIR]

Exits 1 if any check fails; the last line reads 'N passed, N failed'.
"""

from __future__ import annotations

import cpu_setup  # noqa: F401  (first: chooses the BLAS kernels before torch loads them)

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F

from hf_model import CausalLM, generate, load_model, parse_config
from safetensors_io import read_safetensors, write_safetensors
from torch_train import policy_step

DEFAULT_FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "hf"
LOGIT_TOL = 1e-4
GRAD_TOL = 1e-3
PAD_ID = 0


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a.double() - b.double()).abs().max().item()


def rel_l2(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a.double() - b.double()).norm() / b.double().norm().clamp(min=1e-30)).item()


def argmax(logits: torch.Tensor) -> torch.Tensor:
    return logits.argmax(-1)


def worst_grad(model: CausalLM, ref: dict[str, torch.Tensor], prefix: str) -> tuple[float, str]:
    """Largest relative L2 error over all parameters, and its name; fails loudly on a name mismatch."""
    names = {name for name, _ in model.named_parameters()}
    expected = {key[len(prefix):] for key in ref if key.startswith(prefix)}
    if names != expected:
        raise AssertionError(f"parameter names differ from the reference: {sorted(names ^ expected)}")
    return max((rel_l2(p.grad, ref[prefix + name]), name) for name, p in model.named_parameters())


def check_greedy(model: CausalLM, ref: dict[str, torch.Tensor]) -> tuple[bool, str]:
    prompt = ref["greedy"][:, :6]
    results = []
    for static in (False, True):
        with torch.no_grad():
            tokens, _ = generate(model, prompt, torch.ones_like(prompt), 10, argmax, static_cache=static)
        results.append(torch.equal(tokens, ref["greedy"][:, 6:]))
    return all(results), f"dynamic {'equal' if results[0] else 'DIFFERENT'}, static {'equal' if results[1] else 'DIFFERENT'}"


def check_left_pad(model: CausalLM, ref: dict[str, torch.Tensor]) -> tuple[bool, str]:
    """Row 0 keeps a 10-token prompt, row 1 gets a 6-token one behind 4 pads: each row must decode
    as it does alone (positions count real tokens only, pads are never attended to)."""
    ids = ref["input_ids"]
    lengths = [10, 6]
    batch = torch.full((2, 10), PAD_ID, dtype=torch.long)
    mask = torch.zeros(2, 10, dtype=torch.long)
    for row, n in enumerate(lengths):
        batch[row, 10 - n :], mask[row, 10 - n :] = ids[row, :n], 1
    worst, same = 0.0, True
    with torch.no_grad():
        for static in (False, True):
            tokens, logits = generate(model, batch, mask, 6, argmax, static_cache=static, keep_logits=True)
            for row, n in enumerate(lengths):
                alone = ids[row : row + 1, :n]
                solo_tokens, solo_logits = generate(model, alone, torch.ones_like(alone), 6, argmax, static_cache=static, keep_logits=True)
                worst = max(worst, max_diff(logits[row], solo_logits[0]))
                same = same and torch.equal(tokens[row], solo_tokens[0])
    return worst <= LOGIT_TOL and same, f"max |diff| {worst:.2e}, tokens {'equal' if same else 'DIFFERENT'}"


def check_old_config(fixture: Path, model: CausalLM, ref: dict[str, torch.Tensor]) -> tuple[bool, str]:
    raw = json.loads((fixture / "config.json").read_text())
    if "rope_parameters" not in raw:
        return True, "no rotary embedding (skipped)"
    raw["rope_theta"] = raw.pop("rope_parameters")["rope_theta"]
    old = load_model(fixture, config=parse_config(raw))
    if old.cfg != model.cfg:
        return False, f"configs differ: {old.cfg} vs {model.cfg}"
    with torch.no_grad():
        diff = max_diff(old(ref["input_ids"]), ref["logits"])
    return diff <= LOGIT_TOL, f"max |diff| {diff:.2e}"


def check_dtypes(fixture: Path) -> tuple[bool, str]:
    weights = read_safetensors(fixture / "model.safetensors")
    notes, ok = [], True
    with tempfile.TemporaryDirectory() as tmp:
        for dtype in (torch.float16, torch.bfloat16):
            folder = Path(tmp) / str(dtype)
            folder.mkdir()
            shutil.copy(fixture / "config.json", folder / "config.json")
            write_safetensors(folder / "model.safetensors", {k: v.to(dtype) for k, v in weights.items()})
            back = read_safetensors(folder / "model.safetensors")
            exact = all(back[k].dtype == dtype and torch.equal(back[k], v.to(dtype)) for k, v in weights.items())
            load_model(folder)  # and a half-precision folder loads (converted to float32)
            ok = ok and exact
            notes.append(f"{str(dtype).split('.')[-1]} {'exact' if exact else 'MISMATCH'}")
    return ok, ", ".join(notes)


def check_fixture(fixture: Path) -> list[tuple[str, bool, str]]:
    ref = read_safetensors(fixture / "reference.safetensors")
    model = load_model(fixture)
    ids = ref["input_ids"]
    rows: list[tuple[str, bool, str]] = []

    with torch.no_grad():
        hidden = model.hidden_states(ids)
        logits = model.lm_logits(hidden)
    d = max_diff(logits, ref["logits"])
    rows.append(("logits", d <= LOGIT_TOL, f"max |diff| {d:.2e}"))
    d = max_diff(hidden, ref["last_hidden"])
    rows.append(("last_hidden", d <= LOGIT_TOL, f"max |diff| {d:.2e}"))
    rows.append(("greedy", *check_greedy(model, ref)))

    # Mean next-token cross-entropy over the 2 x 15 predicted positions, written independently of
    # torch_train (F.cross_entropy on the full logits).
    model.zero_grad(set_to_none=True)
    logits = model(ids)
    F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1)).backward()
    err, name = worst_grad(model, ref, "grad.")
    rows.append(("ce_grad", err <= GRAD_TOL, f"worst rel L2 {err:.2e} ({name})"))

    # The benchmark's own training step. The reference's temps[b, t-1] belongs to token t; the
    # benchmark indexes temperatures by token, so entry 0 (predicting nothing) gets a dummy 1.
    b, t = ids.shape
    loss_mask = torch.ones(b, t)
    loss_mask[:, 0] = 0
    batch = {
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids),
        "temperatures": torch.cat([torch.ones(b, 1), ref["temps"]], dim=1),
        "advantages": ref["adv"],
        "loss_mask": loss_mask,
    }
    model.zero_grad(set_to_none=True)
    policy_step(model, batch, clip_low=0.2, clip_high=0.28)
    err, name = worst_grad(model, ref, "pg_grad.")
    rows.append(("pg_grad", err <= GRAD_TOL, f"worst rel L2 {err:.2e} ({name})"))

    rows.append(("left_pad", *check_left_pad(model, ref)))
    rows.append(("old_config", *check_old_config(fixture, model, ref)))
    rows.append(("dtypes", *check_dtypes(fixture)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES, help="folder of HF fixture folders")
    args = parser.parse_args()
    torch.manual_seed(0)

    fixtures = sorted(p for p in args.fixtures.iterdir() if (p / "reference.safetensors").exists())
    if not fixtures:
        sys.exit(f"no fixtures with reference.safetensors under {args.fixtures}")
    passed = failed = 0
    for fixture in fixtures:
        print(f"{fixture.name}:")
        for check, ok, detail in check_fixture(fixture):
            print(f"  {'ok  ' if ok else 'FAIL'} {check:<12} {detail}")
            passed, failed = passed + ok, failed + (not ok)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
