import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { adamwUpdate } from '../../src/rl/adamw-kernel.js';
import { CHUNK, adamwUpdateAll, momentArray, type AdamWTensor } from '../../src/rl/adamw-threads.js';
import { AdamW, PARALLEL_MIN_ELEMENTS } from '../../src/rl/optimizer.js';
import { streamFor } from '../../src/util/rng.js';

// The threaded update is checked against the one-thread update, which optimizer.test.ts checks
// against a textbook float64 AdamW: the property here is that how the elements are dealt out
// (chunk boundaries, helper or caller, timing) never changes a bit.

const constants = {
  clipCoef: 0.73,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  stepSize: 1e-3 / (1 - 0.9 ** 2),
  bias2Sqrt: Math.sqrt(1 - 0.999 ** 2),
};

/** Tensors whose lengths straddle chunk boundaries, with values over many magnitudes. */
function tensors(seed: number): AdamWTensor[] {
  const rng = streamFor(seed, 0x74687264);
  const lengths = [1, CHUNK - 1, CHUNK, CHUNK + 1, 0, 3 * CHUNK + 5, 7];
  return lengths.map((n, i) => {
    const values = (scale: number) =>
      Float32Array.from({ length: n }, () => rng.normal() * scale * 10 ** Math.floor(rng.uniform() * 6 - 3));
    return { p: values(1), g: values(1e-2), m: values(1e-3), v: values(1e-6).map(Math.abs), decay: i % 2 ? 1 : 1 - 1e-3 * 0.01 };
  });
}
/** A copy whose moments are in shared memory, where helpers may take its chunks. */
const sharedCopy = (ts: AdamWTensor[]): AdamWTensor[] =>
  ts.map((t) => ({ ...t, p: t.p.slice(), g: t.g.slice(), m: sharedOf(t.m), v: sharedOf(t.v) }));
const sharedOf = (a: Float32Array): Float32Array => {
  const s = momentArray(a.length, true);
  s.set(a);
  return s;
};
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

test('adamwUpdateAll on two threads gives the bits of one thread, at every chunk boundary', () => {
  const one = tensors(1);
  const two = sharedCopy(one);
  // One tensor with ordinary moments: the caller keeps all its chunks.
  two[5] = { ...one[5]!, p: one[5]!.p.slice(), g: one[5]!.g.slice(), m: one[5]!.m.slice(), v: one[5]!.v.slice() };
  // Several steps in a row: the helper's slots are reused, and which chunks it takes changes.
  for (let step = 0; step < 3; step++) {
    for (const t of one) adamwUpdate(t.p, t.g, t.m, t.v, t.decay, constants);
    assert.equal(adamwUpdateAll(two, constants, 2), Math.min(2, availableParallelism()), 'the helper thread took part');
  }
  one.forEach((t, i) => {
    for (const key of ['p', 'm', 'v'] as const) assert.ok(bytes(t[key]).equals(bytes(two[i]![key])), `tensor ${i} ${key}`);
  });
});

test('steps of two tensor sets in turn each get their own moments in the helper', () => {
  // A helper's step must never see the previous step's moments: sets of different tensors,
  // stepped alternately with no pause between, against one thread.
  const [oneA, oneB] = [tensors(4), tensors(5).slice(3)];
  const [twoA, twoB] = [sharedCopy(oneA), sharedCopy(oneB)];
  for (let step = 0; step < 4; step++) {
    for (const t of [...oneA, ...oneB]) adamwUpdate(t.p, t.g, t.m, t.v, t.decay, constants);
    adamwUpdateAll(twoA, constants, 2);
    adamwUpdateAll(twoB, constants, 2);
  }
  [...oneA, ...oneB].forEach((t, i) => {
    const u = [...twoA, ...twoB][i]!;
    for (const key of ['p', 'm', 'v'] as const) assert.ok(bytes(t[key]).equals(bytes(u[key])), `tensor ${i} ${key}`);
  });
});

test('AdamW with threads: 2 and threads: 1 give the same parameters and moments over steps with clipping and decay', () => {
  const rng = streamFor(2, 0x6f707431);
  const shapes = [PARALLEL_MIN_ELEMENTS / 2 + 3, PARALLEL_MIN_ELEMENTS / 2, 17];
  const params = (): Map<string, Float32Array> => {
    const r = streamFor(3, 0x70617273);
    return new Map(shapes.map((n, i) => [`w${i}`, Float32Array.from({ length: n }, () => r.normal())]));
  };
  const [a, b] = [params(), params()];
  const decayParameter = (name: string) => name !== 'w2';
  const single = new AdamW(a, { lr: 1e-2, weightDecay: 0.1, maxGradNorm: 0.5, decayParameter });
  const threaded = new AdamW(b, { lr: 1e-2, weightDecay: 0.1, maxGradNorm: 0.5, decayParameter, threads: 2 });
  for (let step = 0; step < 3; step++) {
    const grads = new Map(shapes.map((n, i) => [`w${i}`, Float32Array.from({ length: n }, () => rng.normal() * 1e-2)]));
    const [ra, rb] = [single.step(grads, 1e-2 / (step + 1)), threaded.step(grads, 1e-2 / (step + 1))];
    assert.deepEqual(rb, ra);
    assert.ok(ra.clipCoef < 1, 'the gradients were clipped');
  }
  for (const [name, p] of a) assert.ok(bytes(p).equals(bytes(b.get(name)!)), name);
  const [sa, sb] = [single.exportState(), threaded.exportState()];
  for (const [name, m] of sa.tensors) assert.ok(bytes(m).equals(bytes(sb.tensors.get(name)!)), name);
});

test('AdamW refuses a thread count that is not a whole number >= 0', () => {
  const params = new Map([['w', new Float32Array(4)]]);
  for (const threads of [-1, 1.5, NaN])
    assert.throws(() => new AdamW(params, { lr: 1e-3, threads }), /AdamW threads must be a whole number >= 0/);
});

test('helper threads never keep the process alive', () => {
  const module = fileURLToPath(new URL('../../src/rl/adamw-threads.js', import.meta.url));
  const script = `
    const { adamwUpdateAll, momentArray } = await import(${JSON.stringify(module)});
    const t = () => ({ p: new Float32Array(70000).fill(1), g: new Float32Array(70000).fill(0.5), m: momentArray(70000, true), v: momentArray(70000, true), decay: 1 });
    const used = adamwUpdateAll([t(), t()], { clipCoef: 1, beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: 0.01, bias2Sqrt: 0.03 }, 2);
    console.log('threads', used);`;
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`threads ${Math.min(2, availableParallelism())}`));
  assert.ok(Date.now() - started < 20_000, 'the process ended soon after its work');
});

test("a dropped optimiser's shared moments are freed: the helpers let go of them when a step ends", () => {
  // The helpers receive each step's SharedArrayBuffers; they must not keep them alive afterwards
  // (once 4 GB at the 0.5B shape). Two moments of 4M elements: 32 MB that must be given back.
  const optimizer = fileURLToPath(new URL('../../src/rl/optimizer.js', import.meta.url));
  const gc = fileURLToPath(new URL('../../src/util/gc.js', import.meta.url));
  const script = `
    const { AdamW } = await import(${JSON.stringify(optimizer)});
    const { collectGarbage } = await import(${JSON.stringify(gc)});
    const mb = () => process.memoryUsage().arrayBuffers / 2 ** 20;
    function train() {
      const n = 4 << 20;
      const params = new Map([['w', new Float32Array(n)]]);
      const grads = new Map([['w', new Float32Array(n).fill(0.01)]]);
      const opt = new AdamW(params, { lr: 1e-3, threads: 2 });
      opt.step(grads);
      opt.step(grads);
      return mb();
    }
    const during = train();
    for (let i = 0; i < 3; i++) { collectGarbage(); await new Promise((r) => setTimeout(r, 100)); }
    console.log(JSON.stringify({ during, after: mb() }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const { during, after } = JSON.parse(r.stdout) as { during: number; after: number };
  assert.ok(during >= 64, `params, gradients and moments were allocated (${during} MiB)`);
  assert.ok(after < 4, `${after} MiB of array buffers left after the optimiser was dropped`);
});
