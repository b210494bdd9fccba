/**
 * Metric files: CSV at full precision read back with a real CSV parser; TensorBoard event files
 * read back by an independent parser (bitwise CRC-32C, hand-decoded protobuf).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvLog, readCsv } from '../../src/util/csv-log.js';
import { openMetricSinks } from '../../src/util/metric-sinks.js';
import { crc32c, maskedCrc32c } from '../../src/util/tensorboard.js';
import { crc32cBitwise, readEventFile } from './tensorboard-reader.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'introspect-sinks-'));

test('CRC-32C matches the standard check value and the bitwise reference', () => {
  const check = new TextEncoder().encode('123456789');
  assert.equal(crc32c(check), 0xe3069283); // the CRC-32C check value (RFC 3720, B.4)
  assert.equal(crc32cBitwise(check), 0xe3069283);
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
  assert.equal(crc32c(bytes), crc32cBitwise(bytes));
  assert.equal(maskedCrc32c(new Uint8Array(0)), (((0 >>> 15) | (0 << 17)) + 0xa282ead8) >>> 0);
});

test('CSV keeps integers exact and floats round-trip; truncation parses quoted cells', () => {
  const dir = tmp();
  try {
    const path = join(dir, 'm.csv');
    const csv = new CsvLog<Record<string, string | number>>(path, ['iteration', 'checksum', 'x', 'note']);
    csv.append({ iteration: 1, checksum: 1942864577, x: 0.1 + 0.2, note: 'a, "quoted" note' });
    csv.append({ iteration: 2, checksum: 4294967295, x: 1e-9 / 3, note: 'line\nbreak' });
    csv.append({ iteration: 3, checksum: 7, x: NaN, note: '' });
    const rows = readCsv(path);
    assert.equal(rows[0]!.checksum, '1942864577');
    assert.equal(Number(rows[1]!.checksum), 4294967295);
    assert.equal(Number(rows[0]!.x), 0.1 + 0.2);
    assert.equal(Number(rows[1]!.x), 1e-9 / 3);
    assert.equal(rows[0]!.note, 'a, "quoted" note');
    csv.truncate((row) => Number(row.iteration) <= 2);
    const kept = readCsv(path);
    assert.deepEqual(
      kept.map((r) => r.iteration),
      ['1', '2'],
    );
    assert.equal(kept[1]!.note, 'line\nbreak');
    assert.ok(readFileSync(path, 'utf8').startsWith('iteration,checksum,x,note\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the tensorboard sink writes events TensorBoard reads: file_version first, then one scalar summary per step', () => {
  const dir = tmp();
  try {
    const columns = ['iteration', 'phase', 'reward', 'kl'];
    const sink = openMetricSinks(['csv', 'tensorboard'], { dir, name: 'metrics', columns, step: 'iteration' });
    sink.write({ iteration: 1, phase: 'token', reward: 0, kl: NaN });
    sink.write({ iteration: 2, phase: 'token', reward: 0.7, kl: 0.0123 });
    sink.close();
    const evalSink = openMetricSinks(['tensorboard'], { dir, name: 'eval', columns: ['iteration', 'avg_at_k'], step: 'iteration' });
    evalSink.write({ iteration: 2, avg_at_k: 0.5 });
    evalSink.close();
    const files = readdirSync(dir)
      .filter((f) => f.includes('tfevents'))
      .sort();
    assert.equal(files.length, 2);
    const events = readEventFile(
      join(
        dir,
        files.find((f) => f.endsWith('.metrics'))!,
      ),
    );
    assert.equal(events[0]!.fileVersion, 'brain.Event:2');
    assert.deepEqual(
      events.slice(1).map((e) => [e.step, e.scalars]),
      [
        [1, { reward: 0 }],
        [2, { reward: Math.fround(0.7), kl: Math.fround(0.0123) }],
      ],
    );
    assert.ok(events.every((e) => e.wallTime! > 1.6e9));
    const evalEvents = readEventFile(
      join(
        dir,
        files.find((f) => f.endsWith('.eval'))!,
      ),
    );
    assert.deepEqual(evalEvents[1]!.scalars, { 'eval/avg_at_k': 0.5 });
    assert.deepEqual(
      readCsv(join(dir, 'metrics.csv')).map((r) => r.reward),
      ['0', '0.7'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
