/**
 * IR <-> ONNX ModelProto bytes, and saving models with external weight files.
 *
 * Tensors are written as little-endian `raw_data`. A protobuf message cannot exceed 2 GiB, so
 * graphs with more weight bytes than that must be saved with `saveModel`, which moves large
 * initializers into `<file>.data` (ONNX external data, offsets aligned to 4 KiB so ONNX Runtime
 * can memory-map them) and references them by offset and length.
 */
import { closeSync, openSync, writeFileSync, writeSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GraphBuilder, DTYPE_CODE, dtypeFromCode } from './builder.js';
import { type Attr, type Dim, type Graph, type TensorData, type Value, DTYPE_BYTES, UNKNOWN_DIM_PREFIX, allocate, numel } from './ir.js';
import { IR_VERSION, OPSET } from './opset.js';
import { ATTR_TYPE, DATA_LOCATION_EXTERNAL, ModelProto } from './proto.js';

/** Largest model that fits one protobuf message (2 GiB minus headroom for the graph itself). */
const MAX_PROTO_BYTES = 2 ** 31 - 2 ** 24;
const EXTERNAL_ALIGN = 4096;
const STOP_GRADIENT_DOC = 'introspect:stopGradient';

export interface ModelOptions {
  producerName?: string;
  docString?: string;
  /** Write the inferred type of every intermediate value (default true; see modelObject). */
  valueInfo?: boolean;
}
export interface SaveOptions extends ModelOptions {
  /**
   * `'auto'` (default): external data only when the weights would not fit a 2 GiB protobuf;
   * `true`: always; `false`: never.
   */
  externalData?: boolean | 'auto';
  /** Initializers smaller than this stay inside the .onnx file (default 1 KiB). */
  externalMinBytes?: number;
  /**
   * Name of the external data file, beside the graph (default `<file>.data`; Optimum and
   * transformers.js expect `<file>_data`).
   */
  externalDataName?: string;
}

const bytesOf = (t: TensorData): Uint8Array => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

function tensorProto(t: TensorData, name?: string, external?: { location: string; offset: number }): Record<string, unknown> {
  const base: Record<string, unknown> = { dims: t.dims, dataType: DTYPE_CODE[t.dtype] };
  if (name !== undefined) base.name = name;
  if (!external) return { ...base, rawData: bytesOf(t) };
  const entries = { location: external.location, offset: String(external.offset), length: String(t.data.byteLength) };
  return { ...base, dataLocation: DATA_LOCATION_EXTERNAL, externalData: Object.entries(entries).map(([key, value]) => ({ key, value })) };
}

function attrProto(name: string, a: Attr): Record<string, unknown> {
  const type = ATTR_TYPE[a.type];
  switch (a.type) {
    case 'int':
      return { name, type, i: a.value };
    case 'float':
      return { name, type, f: a.value };
    case 'string':
      return { name, type, s: new TextEncoder().encode(a.value) };
    case 'ints':
      return { name, type, ints: a.value };
    case 'floats':
      return { name, type, floats: a.value };
    case 'strings':
      return { name, type, strings: a.value.map((s) => new TextEncoder().encode(s)) };
    case 'tensor':
      return { name, type, t: tensorProto(a.value) };
  }
}

const dimProto = (d: Dim): Record<string, unknown> =>
  typeof d === 'number' ? { dimValue: d } : d.startsWith(UNKNOWN_DIM_PREFIX) ? {} : { dimParam: d };
const valueInfo = (v: Value): Record<string, unknown> => ({
  name: v.name,
  type: { tensorType: { elemType: DTYPE_CODE[v.dtype], shape: { dim: v.shape.map(dimProto) } } },
});

/** The ModelProto object; initializers listed in `external` are referenced, not embedded. */
function modelObject(
  graph: Graph,
  opts: ModelOptions,
  external?: Map<Value, { location: string; offset: number }>,
): Record<string, unknown> {
  const outputs = new Set(graph.outputs);
  const nodes = graph.nodes.map((n) => ({
    input: n.inputs.map((v) => v?.name ?? ''),
    output: n.outputs.map((v) => v.name),
    name: n.name,
    opType: n.op,
    attribute: Object.entries(n.attrs).map(([k, a]) => attrProto(k, a)),
    ...(n.tag === 'stopGradient' ? { docString: STOP_GRADIENT_DOC } : {}),
  }));
  return {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: opts.producerName ?? 'introspect',
    ...(opts.docString ? { docString: opts.docString } : {}),
    graph: {
      name: graph.name,
      node: nodes,
      initializer: graph.initializers.map((i) => tensorProto(i.data, i.value.name, external?.get(i.value))),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
      // Types of intermediate values: ONNX Runtime otherwise re-derives them and invents a new
      // symbol for every size it cannot name, which made loading a 24-layer training graph 25x slower.
      ...(opts.valueInfo === false
        ? {}
        : {
            valueInfo: graph.nodes
              .flatMap((n) => n.outputs)
              .filter((v) => !outputs.has(v))
              .map(valueInfo),
          }),
    },
  };
}

const weightBytes = (graph: Graph): number => graph.initializers.reduce((s, i) => s + i.data.data.byteLength, 0);

/** Serialises a graph to ONNX ModelProto bytes (weights embedded; at most 2 GiB). */
export function toModelBytes(graph: Graph, opts: ModelOptions = {}): Uint8Array {
  if (weightBytes(graph) > MAX_PROTO_BYTES) {
    throw new Error(
      `graph '${graph.name}' has ${weightBytes(graph)} bytes of weights, more than one ONNX protobuf can hold; use saveModel(), which writes them as external data`,
    );
  }
  return ModelProto.encode(ModelProto.fromObject(modelObject(graph, opts))).finish();
}

/**
 * Writes `path` (the .onnx file) and, when external data is used, `<path>.data` beside it.
 * @returns the files written
 */
export function saveModel(graph: Graph, path: string, opts: SaveOptions = {}): string[] {
  const mode = opts.externalData ?? 'auto';
  const useExternal = mode === true || (mode === 'auto' && weightBytes(graph) > MAX_PROTO_BYTES);
  if (!useExternal) {
    writeFileSync(path, toModelBytes(graph, opts));
    return [path];
  }
  const dataPath = join(dirname(path), opts.externalDataName ?? `${basename(path)}.data`);
  const location = basename(dataPath);
  const minBytes = opts.externalMinBytes ?? 1024;
  const external = new Map<Value, { location: string; offset: number }>();
  const fd = openSync(dataPath, 'w');
  try {
    let offset = 0;
    for (const init of graph.initializers) {
      const bytes = bytesOf(init.data);
      if (bytes.byteLength < minBytes) continue;
      const aligned = Math.ceil(offset / EXTERNAL_ALIGN) * EXTERNAL_ALIGN;
      if (aligned > offset) writeSync(fd, new Uint8Array(aligned - offset));
      writeSync(fd, bytes);
      external.set(init.value, { location, offset: aligned });
      offset = aligned + bytes.byteLength;
    }
  } finally {
    closeSync(fd);
  }
  writeFileSync(path, ModelProto.encode(ModelProto.fromObject(modelObject(graph, opts, external))).finish());
  return [path, dataPath];
}

// ---- reading ------------------------------------------------------------------------------

interface TensorObject {
  dims?: number[];
  dataType?: number;
  name?: string;
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  dataLocation?: number;
  externalData?: { key: string; value: string }[];
}

function tensorFromProto(t: TensorObject, baseDir?: string): TensorData {
  const dtype = dtypeFromCode(t.dataType ?? 0);
  const dims = (t.dims ?? []).map(Number);
  const n = numel(dims);
  const data = allocate(dtype, n);
  let raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  if (t.dataLocation === DATA_LOCATION_EXTERNAL) {
    const entry = (k: string): string | undefined => t.externalData?.find((e) => e.key === k)?.value;
    if (!baseDir) throw new Error(`tensor '${t.name}' uses external data; read the model with loadModel(path)`);
    const file = readFileSync(join(baseDir, entry('location') as string));
    const offset = Number(entry('offset') ?? 0);
    raw = file.subarray(offset, offset + Number(entry('length') ?? n * DTYPE_BYTES[dtype]));
  }
  if (raw) {
    if (raw.byteLength !== data.byteLength) throw new Error(`tensor '${t.name}': ${raw.byteLength} bytes for ${n} ${dtype} values`);
    new Uint8Array(data.buffer).set(raw);
    return { dtype, dims, data };
  }
  const list = t.floatData?.length
    ? t.floatData
    : t.doubleData?.length
      ? t.doubleData
      : t.int64Data?.length
        ? t.int64Data
        : (t.int32Data ?? []);
  for (let i = 0; i < n; i++) {
    const v = Number(list[i] ?? 0);
    if (data instanceof BigInt64Array) data[i] = BigInt(v);
    else data[i] = v;
  }
  return { dtype, dims, data };
}

function attrFromProto(a: Record<string, unknown>): Attr {
  const dec = (b: unknown): string => new TextDecoder().decode(b as Uint8Array);
  switch (a.type) {
    case ATTR_TYPE.int:
      return { type: 'int', value: Number(a.i ?? 0) };
    case ATTR_TYPE.float:
      return { type: 'float', value: Number(a.f ?? 0) };
    case ATTR_TYPE.string:
      return { type: 'string', value: dec(a.s) };
    case ATTR_TYPE.ints:
      return { type: 'ints', value: ((a.ints as unknown[]) ?? []).map(Number) };
    case ATTR_TYPE.floats:
      return { type: 'floats', value: ((a.floats as unknown[]) ?? []).map(Number) };
    case ATTR_TYPE.strings:
      return { type: 'strings', value: ((a.strings as unknown[]) ?? []).map(dec) };
    case ATTR_TYPE.tensor:
      return { type: 'tensor', value: tensorFromProto(a.t as TensorObject) };
    default:
      throw new Error(`attribute '${String(a.name)}': unsupported attribute type ${String(a.type)}`);
  }
}

interface ValueInfoObject {
  name: string;
  type?: { tensorType?: { shape?: { dim?: { dimValue?: number; dimParam?: string }[] } } };
}
/** Where the file declares a value's shape (value_info, outputs), that is what its writer knew: prefer it. */
function declareShape(v: Value, vi: ValueInfoObject | undefined): void {
  const dims = vi?.type?.tensorType?.shape?.dim;
  if (dims && dims.length === v.shape.length) v.shape = dims.map((d, i) => d.dimValue ?? d.dimParam ?? (v.shape[i] as Dim));
}

/**
 * Reads ONNX ModelProto bytes back into the IR (no folding: node for node as in the file).
 * `baseDir` is where external data files are looked up.
 */
export function fromModelBytes(bytes: Uint8Array, baseDir?: string): Graph {
  const model = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, defaults: false }) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const opset = (model.opsetImport ?? []).find((o: { domain?: string }) => !o.domain)?.version;
  if (opset !== undefined && opset !== OPSET) throw new Error(`model uses opset ${opset}; introspect reads opset ${OPSET} only`);
  const gp = model.graph ?? {};
  const g = new GraphBuilder(gp.name ?? 'graph', { fold: false });
  const dimOf = (d: { dimValue?: number; dimParam?: string }, i: number): Dim => d.dimValue ?? d.dimParam ?? `${UNKNOWN_DIM_PREFIX}in${i}`;
  const declared = new Map<string, ValueInfoObject>((gp.valueInfo ?? []).map((vi: ValueInfoObject) => [vi.name, vi]));
  const initNames = new Set((gp.initializer ?? []).map((t: TensorObject) => t.name));
  for (const vi of gp.input ?? []) {
    if (initNames.has(vi.name)) continue;
    const tt = vi.type.tensorType;
    g.input(vi.name, dtypeFromCode(tt.elemType), (tt.shape?.dim ?? []).map(dimOf));
  }
  for (const t of gp.initializer ?? []) {
    const data = tensorFromProto(t, baseDir);
    g.initializer(t.name, data.data as Float32Array, data.dims, data.dtype);
  }
  for (const n of gp.node ?? []) {
    if (n.domain) throw new Error(`node '${n.name}': domain '${n.domain}' is not supported`);
    const inputs = (n.input ?? []).map((name: string) => (name === '' ? null : g.value(name)));
    while (inputs.length > 0 && inputs[inputs.length - 1] === null) inputs.pop();
    const attrs: Record<string, Attr> = {};
    for (const a of n.attribute ?? []) attrs[a.name] = attrFromProto(a);
    const outs = g.node(n.opType, inputs, attrs, (n.output ?? []).length);
    outs.forEach((v, i) => {
      g.rename(v, n.output[i]);
      declareShape(v, declared.get(v.name));
    });
    const producer = outs[0]?.producer;
    if (producer) {
      producer.name = n.name ?? producer.name;
      if (n.docString === STOP_GRADIENT_DOC) producer.tag = 'stopGradient';
    }
  }
  for (const vi of gp.output ?? []) declareShape(g.output(g.value(vi.name), vi.name), vi);
  return g.build();
}

/** Reads an .onnx file (and its external data, if any) into the IR. */
export function loadModel(path: string): Graph {
  return fromModelBytes(readFileSync(path), dirname(path));
}
