#!/usr/bin/env python3
"""Differential check of `introspect grade` against Hugging Face's math-verify (`npm run diff:verifier`).

Builds pairs from the math500 gold answers (the gold itself, in a sentence, boxed, with a naming
prefix; perturbed by one; another problem's answer; list items swapped), grades each with
`introspect grade --json` and with math_verify.verify(parse(gold), parse(response)), and prints
where they disagree. Disagreements are for a person to decide (see README, "Grading rules"):
math-verify reads bare comma lists as sets and accepts 6-decimal roundings, for instance.

Needs math-verify (python3 -m venv .venv && .venv/bin/pip install math-verify); run with
PYTHON=.venv/bin/python npm run diff:verifier, or directly: .venv/bin/python scripts/verifier-diff.py
[--data ../shared/datasets] [--limit 500]. Never part of npm test.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

from math_verify import parse, verify


def load_answers(data_dir, limit):
    answers = []
    with open(os.path.join(data_dir, "math500", "test.jsonl")) as f:
        for line in f:
            if line.strip():
                answers.append(json.loads(line)["answer"])
    return answers[:limit]


def perturb(answer):
    """A different answer of the same shape: the last integer in it plus one."""
    m = list(re.finditer(r"\d+", answer))
    if not m:
        return None
    last = m[-1]
    return answer[: last.start()] + str(int(last.group()) + 1) + answer[last.end():]


def swap_list(answer):
    parts = [p.strip() for p in answer.split(",")]
    if len(parts) < 2 or any(c in answer for c in "()[]{}"):
        return None
    return ", ".join(parts[1:] + parts[:1])


def pairs(answers):
    for i, gold in enumerate(answers):
        other = answers[(i + 1) % len(answers)]
        yield gold, gold, "same"
        yield gold, f"The final answer is ${gold}$.", "sentence"
        yield gold, f"so we get $x = \\boxed{{{gold}}}$", "boxed with prefix"
        p = perturb(gold)
        if p is not None and p != gold:
            yield gold, f"\\boxed{{{p}}}", "perturbed"
        if other != gold:
            yield gold, f"\\boxed{{{other}}}", "other problem"
        s = swap_list(gold)
        if s is not None:
            yield gold, f"\\boxed{{{s}}}", "list rotated"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("INTROSPECT_DATA_DIR", "../shared/datasets"))
    ap.add_argument("--limit", type=int, default=500)
    args = ap.parse_args()
    cases = list(pairs(load_answers(args.data, args.limit)))
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for gold, response, _ in cases:
            f.write(json.dumps({"response": response, "answer": gold}) + "\n")
        path = f.name
    out = subprocess.run(["node", "bin/run.js", "grade", "--input", path, "--json"], capture_output=True, text=True, check=True)
    ours = [json.loads(l)["correct"] for l in out.stdout.splitlines() if l.startswith("{")]
    os.unlink(path)
    assert len(ours) == len(cases), (len(ours), len(cases))
    agree = 0
    disagreements = []
    for (gold, response, kind), mine in zip(cases, ours):
        try:
            theirs = bool(verify(parse(f"${gold}$"), parse(response)))
        except Exception:  # math-verify raises on some inputs; count it as "not equal"
            theirs = False
        if theirs == mine:
            agree += 1
        else:
            disagreements.append((kind, gold, response, mine, theirs))
    print(f"{len(cases)} pairs; agreement with math-verify {agree / len(cases):.3f} ({agree}/{len(cases)})")
    by_kind = {}
    for d in disagreements:
        by_kind.setdefault(d[0], []).append(d)
    for kind, rows in sorted(by_kind.items()):
        print(f"\n{kind}: {len(rows)} disagreements")
        for _, gold, response, mine, theirs in rows[:15]:
            print(f"  introspect={mine!s:5} math-verify={theirs!s:5} gold={gold!r} response={response[:100]!r}")


if __name__ == "__main__":
    sys.exit(main())
