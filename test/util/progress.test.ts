/** The progress line: log records are written above it, never glued onto it; a resumed run's ETA counts only its own pace. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRunLogger } from '../../src/util/log.js';
import { Progress } from '../../src/util/progress.js';

/** A fake terminal that applies \r and "erase line" the way a terminal does, keeping the visible lines. */
function fakeTerminal() {
  const lines: string[] = [''];
  const stream = {
    isTTY: true,
    write(chunk: string | Uint8Array): boolean {
      /* eslint-disable no-control-regex -- terminal escape sequences (a block, so it survives reformatting) */
      const colours = /\x1b\[[0-9;]*m/g;
      const lineControls = /(\r|\x1b\[2K|\n)/;
      /* eslint-enable no-control-regex */
      for (const part of String(chunk).replace(colours, '').split(lineControls)) {
        if (part === '\r' || part === '\x1b[2K') lines[lines.length - 1] = '';
        else if (part === '\n') lines.push('');
        else lines[lines.length - 1] += part;
      }
      return true;
    },
  };
  return { stream: stream as unknown as NodeJS.WriteStream, lines };
}

test('a log record lands on its own line above the progress line, which is drawn again below it', () => {
  const saved = process.env.CI;
  delete process.env.CI;
  try {
    const term = fakeTerminal();
    const { logger } = createRunLogger({ destination: term.stream });
    const progress = new Progress({ label: 'train', total: 10, stream: term.stream });
    progress.tick(1, 0, 'reward 0.500');
    logger.info({ iteration: 1 }, 'iteration');
    progress.tick(1, 0, 'reward 0.600');
    logger.warn('something');
    assert.equal(term.lines.length, 3, term.lines.join('\n'));
    assert.match(term.lines[0]!, /INFO: iteration \{"iteration":1\}$/);
    assert.match(term.lines[1]!, /WARN: something$/);
    assert.match(term.lines[2]!, /^train 2\/10 · ETA \S+ · reward 0\.600$/);
    progress.finish();
    assert.equal(term.lines.at(-1), '');
  } finally {
    if (saved !== undefined) process.env.CI = saved;
  }
});

test("after a resume, the ETA comes from this run's pace, not from the iterations done before", () => {
  const progress = new Progress({ label: 'train', total: 10, initial: 6, stream: { isTTY: false } as NodeJS.WriteStream });
  progress.tick(1);
  // 1 iteration took 10 s: 3 remain, 30 s.
  assert.match(progress.line('', Date.now() + 10_000), /^train 7\/10 · ETA 30s$/);
});
