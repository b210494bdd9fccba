/**
 * A TensorBoard event file writer for scalars, without TensorFlow: `tensorboard --logdir runs/`
 * shows what it writes. The format is TFRecord (each record: uint64 length, masked CRC32C of the
 * length, the bytes, masked CRC32C of the bytes; all little-endian) holding `tensorflow.Event`
 * protobufs (tensorflow/core/util/event.proto, summary.proto): first a `file_version`
 * "brain.Event:2", then one Event per step with a Summary of `simple_value`s.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';

/** The fields of event.proto and summary.proto a scalar needs (field numbers as there). */
const root = protobuf.Root.fromJSON({
  nested: {
    Event: {
      fields: {
        wallTime: { type: 'double', id: 1 },
        step: { type: 'int64', id: 2 },
        fileVersion: { type: 'string', id: 3 },
        summary: { type: 'Summary', id: 5 },
      },
      oneofs: { what: { oneof: ['fileVersion', 'summary'] } },
    },
    Summary: {
      fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
      // simple_value is in a oneof: it must be on the wire even when 0, or TensorBoard sees no scalar.
      nested: {
        Value: {
          fields: { tag: { type: 'string', id: 1 }, simpleValue: { type: 'float', id: 2 } },
          oneofs: { value: { oneof: ['simpleValue'] } },
        },
      },
    },
  },
});
export const EventProto = root.lookupType('Event');

const CRC_TABLE = (() => {
  // CRC-32C (Castagnoli), reflected polynomial 0x82F63B78.
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8); // a byte indexes the 256-entry table
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 and add a constant, so CRCs of CRCs stay well spread. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord around `data`. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

export class TensorBoardWriter {
  readonly path: string;
  private fd: number | null;

  /**
   * Opens a new event file in `dir` (TensorBoard reads every `events.out.tfevents.*` there).
   * A resumed run starts its file at `startStep`: TensorBoard drops the earlier file's points from
   * that step on when steps go back, so redone iterations are not drawn twice.
   */
  constructor(dir: string, opts: { name?: string; startStep?: number; now?: number } = {}) {
    const now = opts.now ?? Date.now();
    const suffix = opts.name ? `.${opts.name}` : '';
    this.path = join(dir, `events.out.tfevents.${Math.floor(now / 1000)}.${hostname()}.${process.pid}${suffix}`);
    this.fd = openSync(this.path, 'a');
    this.write({ wallTime: now / 1000, step: opts.startStep ?? 0, fileVersion: 'brain.Event:2' });
  }

  /** Scalars at `step`; non-finite values are skipped (TensorBoard would draw them as gaps anyway). */
  scalars(step: number, values: Record<string, number>, wallTime = Date.now() / 1000): void {
    const value = Object.entries(values)
      .filter(([, v]) => Number.isFinite(v))
      .map(([tag, simpleValue]) => ({ tag, simpleValue }));
    if (value.length > 0) this.write({ wallTime, step, summary: { value } });
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private write(event: Record<string, unknown>): void {
    if (this.fd === null) throw new Error(`${this.path} is closed`);
    // Whole records, written at once, so a run killed mid-way leaves a file TensorBoard reads.
    writeSync(this.fd, tfRecord(EventProto.encode(EventProto.fromObject(event)).finish()));
  }
}
