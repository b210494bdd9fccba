import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { f32ToBf16, f32ToF16 } from '../../src/model/dtypes.js';
import { SafetensorsFile, readSafetensors, writeSafetensors } from '../../src/model/safetensors.js';
import { UserError } from '../../src/util/errors.js';
import { fixtureDir } from '../helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'introspect-safetensors-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A safetensors file assembled by hand: header object, then the data bytes as given. */
function rawFile(name: string, header: object, data: Uint8Array | number[]): string {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const path = join(tmp, name);
  writeFileSync(path, Buffer.concat([length, json, Buffer.from(data as Uint8Array)]));
  return path;
}

const u16le = (values: number[]) => new Uint8Array(new Uint16Array(values).buffer);

/** Asserts a one-line UserError whose message contains each fragment. */
function assertUserError(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    assert.ok(!error.message.includes('\n'), `message is not one line: ${error.message}`);
    for (const f of fragments) assert.ok(error.message.includes(f), `"${error.message}" should mention "${f}"`);
    return true;
  });
}

test('reads the fixture tensors with the values stored in the bytes', () => {
  const path = join(fixtureDir('qwen2-tiny'), 'model.safetensors');
  // Independent reading of the format: header length, JSON, little-endian float32 at the offsets.
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString()) as Record<string, { data_offsets: number[]; shape: number[] }>;
  const name = 'model.layers.1.self_attn.k_proj.bias';
  const [begin = NaN] = header[name]?.data_offsets ?? [];
  const expected = Array.from({ length: 32 }, (_, i) => bytes.readFloatLE(8 + headerLength + begin + 4 * i));

  const file = SafetensorsFile.open(path);
  try {
    assert.equal(file.tensors.size, 26);
    assert.deepEqual(file.metadata, { format: 'pt' });
    const tensor = file.readFloat32(name);
    assert.deepEqual(tensor.dims, [32]);
    assert.deepEqual([...tensor.data], expected);
    assert.deepEqual(file.info('model.embed_tokens.weight').dims, [512, 64]);
  } finally {
    file.close();
  }
});

test('reads int64 tensors of the reference file as BigInt64Array', () => {
  const file = SafetensorsFile.open(join(fixtureDir('gpt2-tiny'), 'reference.safetensors'));
  try {
    const ids = file.read('input_ids');
    assert.equal(ids.dtype, 'I64');
    assert.deepEqual(ids.dims, [2, 16]);
    assert.ok(ids.data instanceof BigInt64Array);
    assert.ok([...ids.data].every((id) => id >= 0n && id < 512n));
    assertUserError(() => file.readFloat32('input_ids'), 'integer dtype I64');
  } finally {
    file.close();
  }
});

test('F16 and BF16 are upcast to the float32 values their bits encode', () => {
  // Hand-decoded: F16 0x3555 = 1.0101010101b * 2^-2 = 1365/4096; 0x0001 = 2^-24 (smallest subnormal).
  const f16 = [0x3c00, 0xc000, 0x3555, 0x0001, 0x7bff, 0x7c00, 0xfc00, 0x8000];
  const f16Values = [1, -2, 1365 / 4096, 2 ** -24, 65504, Infinity, -Infinity, -0];
  // BF16 is the top half of a float32: 0x3eab -> 0x3eab0000 = 0.333984375, 0x4049 -> 3.140625.
  const bf16 = [0x3f80, 0xc0a0, 0x3eab, 0x4049, 0x0000, 0x7f80];
  const bf16Values = [1, -5, 0.333984375, 3.140625, 0, Infinity];
  const path = rawFile(
    'halves.safetensors',
    {
      h: { dtype: 'F16', shape: [2, 4], data_offsets: [0, 16] },
      b: { dtype: 'BF16', shape: [6], data_offsets: [16, 28] },
      nan: { dtype: 'F16', shape: [1], data_offsets: [28, 30] },
    },
    [...u16le(f16), ...u16le(bf16), ...u16le([0x7e00])],
  );
  const tensors = readSafetensors(path);
  assert.deepEqual([...tensors.get('h')!.data], f16Values);
  assert.ok(Object.is(tensors.get('h')!.data[7], -0));
  assert.deepEqual(tensors.get('h')!.dims, [2, 4]);
  assert.deepEqual([...tensors.get('b')!.data], bf16Values);
  assert.ok(Number.isNaN(tensors.get('nan')!.data[0]));
});

test('float32 -> F16/BF16 rounds to nearest even', () => {
  const x = new Float32Array([1 / 3, 65520, 65519, 3e-8, 1e-8, -1.5, 2 ** -14]);
  // 65520 lies halfway between 65504 and 65536 (inf) and rounds to the even one, inf;
  // 3e-8 = 0.503 * 2^-24 rounds up to the smallest subnormal, 1e-8 rounds to zero.
  assert.deepEqual([...f32ToF16(x)], [0x3555, 0x7c00, 0x7bff, 0x0001, 0x0000, 0xbe00, 0x0400]);
  // 1/3 = 0x3eaaaaab: the dropped half 0xaaab is above 0x8000, so it rounds up to 0x3eab.
  // 1 + 2^-8 is exactly halfway between 0x3f80 and 0x3f81 and rounds to the even 0x3f80.
  assert.deepEqual([...f32ToBf16(new Float32Array([1 / 3, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -2]))], [0x3eab, 0x3f80, 0x3f82, 0xc000]);
});

test('write then read returns the same tensors (F32 exact, BF16/F16 within their precision)', () => {
  const a = { name: 'a', dims: [2, 3], data: new Float32Array([0.1, -2.5, 3e-3, 7, -0.25, 1e4]) };
  const b = { name: 'b.weight', dims: [4], data: new Float32Array([1, 2, 3, 4]) };
  const scalar = { name: 's', dims: [], data: new Float32Array([42]) };
  const path = join(tmp, 'roundtrip.safetensors');
  writeSafetensors(path, [a, b, scalar], { metadata: { note: 'x' } });
  const file = SafetensorsFile.open(path);
  try {
    assert.deepEqual([...file.tensors.keys()], ['a', 'b.weight', 's']);
    assert.deepEqual(file.metadata, { format: 'pt', note: 'x' });
    assert.deepEqual(file.readFloat32('a'), { dims: [2, 3], data: a.data });
    assert.deepEqual(file.readFloat32('s'), { dims: [], data: scalar.data });
  } finally {
    file.close();
  }
  // The data section starts 8-byte aligned, as the Python writer pads it.
  assert.equal(Number(readFileSync(path).readBigUInt64LE(0)) % 8, 0);

  for (const [dtype, relTol] of [
    ['BF16', 2 ** -8],
    ['F16', 2 ** -11],
  ] as const) {
    const halfPath = join(tmp, `roundtrip-${dtype}.safetensors`);
    writeSafetensors(halfPath, [a], { dtype });
    const file16 = SafetensorsFile.open(halfPath);
    assert.equal(file16.info('a').dtype, dtype);
    file16.close();
    const back = readSafetensors(halfPath).get('a')!.data;
    a.data.forEach((v, i) => assert.ok(Math.abs(back[i]! - v) <= relTol * Math.abs(v), `${dtype} ${v} -> ${back[i]}`));
  }
});

test('damaged files fail with one line naming the file and the problem', () => {
  const good = join(tmp, 'good.safetensors');
  writeSafetensors(good, [{ name: 'w', dims: [4, 4], data: new Float32Array(16).fill(1) }]);
  const bytes = readFileSync(good);

  const truncated = join(tmp, 'truncated.safetensors');
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 10));
  assertUserError(() => SafetensorsFile.open(truncated), truncated, 'tensor "w" ends at data byte 64', 'only 54 bytes', 'truncated');

  const headerCut = join(tmp, 'header-cut.safetensors');
  writeFileSync(headerCut, bytes.subarray(0, 20));
  assertUserError(() => SafetensorsFile.open(headerCut), headerCut, 'runs past the end');

  const tiny = join(tmp, 'tiny.safetensors');
  writeFileSync(tiny, Buffer.from([1, 2, 3]));
  assertUserError(() => SafetensorsFile.open(tiny), 'too short');

  const f32 = (n: number) => new Uint8Array(4 * n);
  const cases: [string, object, Uint8Array, string][] = [
    [
      'past-end',
      { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, v: { dtype: 'F32', shape: [4], data_offsets: [16, 32] } },
      f32(4),
      'tensor "v" ends at data byte 32',
    ],
    [
      'overlap',
      { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, v: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } },
      f32(4),
      'overlaps',
    ],
    ['misordered', { w: { dtype: 'F32', shape: [0], data_offsets: [16, 0] } }, f32(4), 'end before they begin'],
    ['wrong-size', { w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, f32(4), 'needs 12 bytes'],
    ['bad-dtype', { w: { dtype: 'F31', shape: [4], data_offsets: [0, 16] } }, f32(4), 'unknown dtype "F31"'],
    ['gap', { w: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, f32(4), 'gap in the data section'],
    ['trailing', { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(4), '8 trailing bytes'],
    ['bad-shape', { w: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, f32(4), 'invalid shape'],
  ];
  for (const [name, header, data, fragment] of cases) {
    const path = rawFile(`${name}.safetensors`, header, data);
    assertUserError(() => SafetensorsFile.open(path), path, fragment);
  }

  const notJson = join(tmp, 'not-json.safetensors');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(4n);
  writeFileSync(notJson, Buffer.concat([length, Buffer.from('{nop')]));
  assertUserError(() => SafetensorsFile.open(notJson), 'not valid JSON');

  assertUserError(() => SafetensorsFile.open(join(tmp, 'absent.safetensors')), 'cannot open', 'absent.safetensors');
});
