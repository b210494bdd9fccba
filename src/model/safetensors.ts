/**
 * Reading and writing safetensors files (https://github.com/huggingface/safetensors#format):
 * an 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}`, then the data
 * section, with offsets relative to its start.
 *
 * The header is validated against the file size before any tensor is read, with the same rules as
 * the reference Rust implementation (tensors tile the data section exactly: no gaps, no overlaps,
 * nothing past the end), so a truncated download fails with one line naming the file and the tensor.
 * Tensors are read lazily with one positional read each, so a multi-gigabyte checkpoint never needs
 * to fit in one Buffer.
 */
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { UserError } from '../util/errors.js';
import { bf16ToF32, dtypeBytes, f16ToF32, f32ToBf16, f32ToF16, isDtype, type Dtype, type SaveDtype } from './dtypes.js';
import { jsonErrorReason } from '../util/json-file.js';

/** Where one tensor lives in a safetensors file. */
export interface TensorInfo {
  name: string;
  dtype: Dtype;
  dims: number[];
  /** byte offsets [begin, end) relative to the start of the data section */
  begin: number;
  end: number;
}

/** A float tensor in row-major order. */
export interface FloatTensor {
  data: Float32Array;
  dims: number[];
}

/** A tensor as stored: float dtypes F16/BF16/F32 come back as float32, the rest in their own array type. */
export type StoredTensor =
  | { dtype: 'F32' | 'F16' | 'BF16'; dims: number[]; data: Float32Array }
  | { dtype: 'F64'; dims: number[]; data: Float64Array }
  | { dtype: 'I64'; dims: number[]; data: BigInt64Array }
  | { dtype: 'I32'; dims: number[]; data: Int32Array };

/** The reference implementation refuses headers over 100 MB; a larger length means a corrupt file. */
const MAX_HEADER_BYTES = 100_000_000;

// Typed-array views over file bytes assume the host is little-endian like the format.
if (endianness() !== 'LE') throw new Error('introspect reads safetensors only on little-endian hosts');

export const numel = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** An open safetensors file whose header has been validated; read tensors by name, then close. */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly fd: number,
    /** tensors in header order */
    readonly tensors: Map<string, TensorInfo>,
    readonly metadata: Record<string, string>,
    private readonly dataStart: number,
  ) {}

  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      throw new UserError(`cannot open safetensors file ${path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const { tensors, metadata, dataStart } = readHeader(path, fd);
      return new SafetensorsFile(path, fd, tensors, metadata, dataStart);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (info === undefined) throw new UserError(`${this.path}: no tensor named "${name}"`);
    return info;
  }

  /** The raw little-endian bytes of one tensor. */
  readBytes(name: string): Uint8Array {
    const info = this.info(name);
    const bytes = new Uint8Array(info.end - info.begin);
    this.readInto(info, bytes);
    return bytes;
  }

  /** One tensor in its stored type (16-bit floats upcast to float32). */
  read(name: string): StoredTensor {
    const info = this.info(name);
    const dims = [...info.dims];
    const count = numel(dims);
    switch (info.dtype) {
      case 'F32': {
        const data = new Float32Array(count);
        this.readInto(info, new Uint8Array(data.buffer));
        return { dtype: 'F32', dims, data };
      }
      case 'F16':
      case 'BF16': {
        const half = new Uint16Array(count);
        this.readInto(info, new Uint8Array(half.buffer));
        return { dtype: info.dtype, dims, data: info.dtype === 'F16' ? f16ToF32(half) : bf16ToF32(half) };
      }
      case 'F64': {
        const data = new Float64Array(count);
        this.readInto(info, new Uint8Array(data.buffer));
        return { dtype: 'F64', dims, data };
      }
      case 'I64': {
        const data = new BigInt64Array(count);
        this.readInto(info, new Uint8Array(data.buffer));
        return { dtype: 'I64', dims, data };
      }
      case 'I32': {
        const data = new Int32Array(count);
        this.readInto(info, new Uint8Array(data.buffer));
        return { dtype: 'I32', dims, data };
      }
      default:
        throw new UserError(`${this.path}: tensor "${name}" has dtype ${info.dtype}, which introspect cannot read`);
    }
  }

  /** One float tensor as float32 (F64 is narrowed); integer tensors are refused. */
  readFloat32(name: string): FloatTensor {
    const tensor = this.read(name);
    if (tensor.dtype === 'F64') return { dims: tensor.dims, data: Float32Array.from(tensor.data) };
    if (tensor.dtype === 'I64' || tensor.dtype === 'I32') {
      throw new UserError(`${this.path}: tensor "${name}" has integer dtype ${tensor.dtype}, expected a float tensor`);
    }
    return { dims: tensor.dims, data: tensor.data };
  }

  close(): void {
    closeSync(this.fd);
  }

  private readInto(info: TensorInfo, target: Uint8Array): void {
    let done = 0;
    // readSync may return fewer bytes than asked for (large reads are split by the OS).
    while (done < target.length) {
      const n = readSync(this.fd, target, done, target.length - done, this.dataStart + info.begin + done);
      if (n === 0) throw new UserError(`${this.path}: file ended while reading tensor "${info.name}" (truncated?)`);
      done += n;
    }
  }
}

/** Reads every tensor (or the named ones) of a file as float32. */
export function readSafetensors(path: string, names?: readonly string[]): Map<string, FloatTensor> {
  const file = SafetensorsFile.open(path);
  try {
    const out = new Map<string, FloatTensor>();
    for (const name of names ?? file.tensors.keys()) out.set(name, file.readFloat32(name));
    return out;
  } finally {
    file.close();
  }
}

function readHeader(path: string, fd: number) {
  const fileSize = fstatSync(fd).size;
  const fail = (problem: string): never => {
    throw new UserError(`invalid safetensors file ${path}: ${problem}`);
  };
  if (fileSize < 8) fail(`file has ${fileSize} bytes, too short for the 8-byte header length`);
  const lengthBytes = Buffer.alloc(8);
  readSync(fd, lengthBytes, 0, 8, 0);
  const headerLength = lengthBytes.readBigUInt64LE(0);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLength} is implausibly large (corrupt file?)`);
  const dataStart = 8 + Number(headerLength);
  if (dataStart > fileSize) fail(`header length ${headerLength} runs past the end of the ${fileSize}-byte file (truncated?)`);

  const headerBytes = Buffer.alloc(Number(headerLength));
  readSync(fd, headerBytes, 0, headerBytes.length, 8);
  let header: unknown;
  try {
    header = JSON.parse(headerBytes.toString('utf8'));
  } catch (error) {
    fail(`header is ${jsonErrorReason(error)}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');

  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    tensors.set(name, parseEntry(name, entry, fail));
  }

  // Tensors must tile the data section exactly, as the reference implementation requires.
  const dataLength = fileSize - dataStart;
  let cursor = 0;
  let previous = '';
  for (const info of [...tensors.values()].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (info.begin < cursor) fail(`tensor "${info.name}" overlaps tensor "${previous}" (offsets ${info.begin} < ${cursor})`);
    if (info.begin > cursor) fail(`gap in the data section before tensor "${info.name}" (bytes ${cursor}..${info.begin})`);
    if (info.end > dataLength) {
      fail(`tensor "${info.name}" ends at data byte ${info.end} but the data section has only ${dataLength} bytes (truncated?)`);
    }
    cursor = info.end;
    previous = info.name;
  }
  if (cursor !== dataLength) fail(`${dataLength - cursor} trailing bytes after the last tensor`);
  return { tensors, metadata, dataStart };
}

function parseEntry(name: string, entry: unknown, fail: (problem: string) => never): TensorInfo {
  if (typeof entry !== 'object' || entry === null) fail(`entry for tensor "${name}" is not an object`);
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (!isDtype(dtype)) fail(`tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`);
  const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) fail(`tensor "${name}" has invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`tensor "${name}" has data_offsets [${begin}, ${end}] that end before they begin`);
  const dims = shape as number[];
  const expected = numel(dims) * dtypeBytes[dtype as Dtype];
  if (end - begin !== expected) {
    fail(`tensor "${name}" (${dtype} [${dims.join(',')}]) needs ${expected} bytes but its data_offsets span ${end - begin}`);
  }
  return { name, dtype: dtype as Dtype, dims, begin, end };
}

/** A tensor to write: float32 values, converted to the file's dtype on write. */
export interface TensorToWrite {
  name: string;
  dims: readonly number[];
  data: Float32Array;
}

/** Bytes a tensor occupies when written with `dtype`. */
export const storedBytes = (dims: readonly number[], dtype: SaveDtype): number => numel(dims) * dtypeBytes[dtype];

/**
 * Writes tensors to `path` in the given order, atomically: the file is written beside its target
 * and renamed into place, so a crash never leaves a half-written checkpoint under the real name.
 */
export function writeSafetensors(
  path: string,
  tensors: readonly TensorToWrite[],
  opts: { dtype?: SaveDtype; metadata?: Record<string, string> } = {},
): void {
  const dtype = opts.dtype ?? 'F32';
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', ...opts.metadata } };
  let offset = 0;
  for (const t of tensors) {
    if (t.data.length !== numel(t.dims)) {
      throw new Error(`tensor "${t.name}" has ${t.data.length} values but shape [${t.dims.join(',')}]`);
    }
    if (t.name === '__metadata__' || Object.hasOwn(header, t.name)) throw new Error(`duplicate tensor name "${t.name}"`);
    const bytes = storedBytes(t.dims, dtype);
    header[t.name] = { dtype, shape: [...t.dims], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  // Pad the JSON with spaces so the data section starts 8-byte aligned, as the Python writer does.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const lengthBytes = Buffer.alloc(8);
  lengthBytes.writeBigUInt64LE(BigInt(headerBytes.length));

  const temp = `${path}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w');
  try {
    writeAll(fd, lengthBytes);
    writeAll(fd, headerBytes);
    for (const t of tensors) writeAll(fd, encode(t.data, dtype));
    closeSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  renameSync(temp, path);
}

function encode(data: Float32Array, dtype: SaveDtype): Uint8Array {
  const stored = dtype === 'F32' ? data : dtype === 'BF16' ? f32ToBf16(data) : f32ToF16(data);
  return new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}
