/**
 * Fault injection for the crash-safety tests: `INTROSPECT_FAULT=<point>[@<n>][:<action>]` makes
 * the n-th time (default the first) the process reaches the named point either crash at once
 * (`crash`, the default: SIGKILL, no cleanup, exactly like a power cut or kill -9) or pause
 * (`pause`: print `fault: paused at <point>` on stderr and sleep, so a test can kill it there).
 * Points are named where a checkpoint is written, inside the rollout and inside the update.
 * Unset (always, outside tests), a fault point costs one comparison.
 */
import { group } from './must.js';
const spec = parseFault(process.env.INTROSPECT_FAULT);
let hits = 0;

interface FaultSpec {
  point: string;
  nth: number;
  action: 'crash' | 'pause';
}

function parseFault(value: string | undefined): FaultSpec | undefined {
  if (!value) return undefined;
  const match = /^([a-z0-9.-]+)(?:@(\d+))?(?::(crash|pause))?$/.exec(value);
  if (!match) throw new Error(`INTROSPECT_FAULT=${value}: expected <point>[@<n>][:crash|pause]`);
  return { point: group(match, 1), nth: Number(match[2] ?? 1), action: (match[3] as FaultSpec['action'] | undefined) ?? 'crash' };
}

/** The fault points, so tests and docs list the same names. */
export const FAULT_POINTS = [
  'checkpoint.files-written', // the temporary folder holds every file, not yet synced
  'checkpoint.synced', // the temporary folder is on disk, not yet renamed into place
  'checkpoint.renamed', // the new folder is in place, `latest` still names the previous one
  'checkpoint.latest-moved', // `latest` names the new folder, old ones not yet pruned
  'rollout.done', // an iteration's rollouts are sampled, no update has run
  'update.step', // after an optimiser step inside an iteration's update
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export function faultPoint(point: FaultPoint): void {
  if (spec === undefined || spec.point !== point) return;
  hits++;
  if (hits !== spec.nth) return;
  if (spec.action === 'crash') process.kill(process.pid, 'SIGKILL');
  process.stderr.write(`fault: paused at ${point}\n`);
  // A synchronous sleep: nothing else of the process runs while a test decides to kill it.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600_000);
}
