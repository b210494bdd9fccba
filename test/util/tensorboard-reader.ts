/**
 * An independent reader of TensorBoard event files for tests: TFRecord framing checked with a
 * bitwise CRC-32C (no table, unlike the writer) and the Event / Summary protobufs decoded from the
 * wire format by hand (field numbers from tensorflow/core/util/event.proto and
 * tensorflow/core/framework/summary.proto), without protobufjs.
 */
import { readFileSync } from 'node:fs';

export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return ~crc >>> 0;
}

const masked = (crc: number): number => (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;

export interface ReadEvent {
  wallTime?: number;
  step: number;
  fileVersion?: string;
  scalars: Record<string, number>;
}

/** Fields of one protobuf message: field number -> values (varint as bigint, fixed as bytes, length-delimited as bytes). */
function fields(buf: Uint8Array): Map<number, (bigint | Uint8Array)[]> {
  const out = new Map<number, (bigint | Uint8Array)[]>();
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    let value: bigint | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      value = buf.subarray(i, i + n);
      i += n;
    } else if (wire === 2) {
      const n = Number(varint());
      value = buf.subarray(i, i + n);
      i += n;
    } else throw new Error(`unexpected wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

export function readEventFile(path: string): ReadEvent[] {
  const data = readFileSync(path);
  const events: ReadEvent[] = [];
  let off = 0;
  while (off < data.length) {
    const header = data.subarray(off, off + 8);
    const length = Number(dv(header).getBigUint64(0, true));
    if (dv(data.subarray(off + 8, off + 12)).getUint32(0, true) !== masked(crc32cBitwise(header)))
      throw new Error(`bad length CRC at ${off}`);
    const body = data.subarray(off + 12, off + 12 + length);
    if (dv(data.subarray(off + 12 + length, off + 16 + length)).getUint32(0, true) !== masked(crc32cBitwise(body)))
      throw new Error(`bad data CRC at ${off}`);
    off += 16 + length;
    const f = fields(body);
    const event: ReadEvent = { step: Number((f.get(2)?.[0] as bigint | undefined) ?? 0n), scalars: {} };
    const wall = f.get(1)?.[0] as Uint8Array | undefined;
    if (wall) event.wallTime = dv(wall).getFloat64(0, true);
    const version = f.get(3)?.[0] as Uint8Array | undefined;
    if (version) event.fileVersion = new TextDecoder().decode(version);
    for (const summary of (f.get(5) ?? []) as Uint8Array[]) {
      for (const value of (fields(summary).get(1) ?? []) as Uint8Array[]) {
        const v = fields(value);
        const tag = new TextDecoder().decode(v.get(1)![0] as Uint8Array);
        event.scalars[tag] = dv(v.get(2)![0] as Uint8Array).getFloat32(0, true);
      }
    }
    events.push(event);
  }
  return events;
}
