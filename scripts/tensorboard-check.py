#!/usr/bin/env python3
"""Reads a run's TensorBoard event files with TensorBoard's own EventAccumulator and compares every
scalar with metrics.csv / eval.csv (same step, float32 precision): the check that `tensorboard
--logdir` shows what introspect logged. Needs `pip install tensorboard` (a venv; npm test never does).

  PYTHON=.venv/bin/python npm run check:tensorboard -- runs/<run>
"""
import csv
import glob
import math
import os
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def main(run_dir: str) -> int:
    files = sorted(glob.glob(os.path.join(run_dir, 'events.out.tfevents.*')))
    if not files:
        print(f'{run_dir}: no TensorBoard event files', file=sys.stderr)
        return 1
    compared = mismatches = 0
    for path in files:
        sink = path.rsplit('.', 1)[-1]  # metrics or eval: the CSV it mirrors
        rows = {int(r['iteration']): r for r in csv.DictReader(open(os.path.join(run_dir, f'{sink}.csv')))}
        events = EventAccumulator(path, size_guidance={'scalars': 0})
        events.Reload()
        for tag in events.Tags()['scalars']:
            column = tag[len(f'{sink}/'):] if tag.startswith(f'{sink}/') else tag
            for e in events.Scalars(tag):
                expected = float(rows[e.step][column])
                compared += 1
                # events hold float32; the CSV holds the full double
                if not math.isclose(e.value, expected, rel_tol=2**-23, abs_tol=1e-37):
                    mismatches += 1
                    print(f'{os.path.basename(path)}: {tag} at step {e.step}: {e.value} in the events, {expected} in {sink}.csv')
    print(f'{run_dir}: {compared} scalars in {len(files)} event files read by TensorBoard; {mismatches} differ from the CSVs')
    return 1 if mismatches or compared == 0 else 0


if __name__ == '__main__':
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
