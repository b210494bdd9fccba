import { GraphBuilder, createSession } from '../src/onnx/index.js';
import * as ort from 'onnxruntime-node';
async function main() {
  const V = 50, N = 20000, D = 64;
  for (const kind of ['nd', 'el'] as const) {
    const g = new GraphBuilder('s');
    const idx = g.input('idx', 'int64', [N]);
    const upd = g.input('upd', 'float32', [N, D]);
    const zeros = g.constantOfShape(g.constant([V, D], 'int64'), { dtype: 'float32' });
    const out = kind === 'nd'
      ? g.scatterND(zeros, g.unsqueeze(idx, { axes: [-1] }), upd, { reduction: 'add' })
      : g.scatterElements(zeros, g.expand(g.unsqueeze(idx, { axes: [-1] }), g.constant([N, D], 'int64')), upd, { axis: 0, reduction: 'add' });
    g.output(out, 'y');
    const s = await createSession(g.build(), { intraOpNumThreads: Number(process.argv[2] ?? 4) });
    const ids = new BigInt64Array(N); const u = new Float32Array(N * D);
    let x = 1; for (let i = 0; i < N; i++) ids[i] = BigInt(i % V);
    for (let i = 0; i < N * D; i++) { x = (x * 48271) % 2147483647; u[i] = x / 2147483647 - 0.5; }
    const seen = new Set<string>();
    for (let r = 0; r < 30; r++) {
      const y = (await s.run({ idx: new ort.Tensor('int64', ids, [N]), upd: new ort.Tensor('float32', u, [N, D]) })).y!.data as Float32Array;
      const bits = new Int32Array(y.buffer, y.byteOffset, y.length); let h = 0; for (let i = 0; i < y.length; i++) h = (h * 31 + bits[i]!) | 0;
      seen.add(String(h));
    }
    console.log(kind, 'distinct results over 30 runs:', seen.size);
  }
}
main();
