/**
 * One pino logger per run. Humans at a terminal get pino-pretty's readable lines; pipes, CI and
 * `--json` get JSON lines. Every run also appends JSON lines to `<run-dir>/log.jsonl`, so a run's
 * history is on disk whatever the terminal showed.
 */
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import pino, { type Logger, type Level } from 'pino';
import pretty from 'pino-pretty';
import { runFiles } from './run-layout.js';

export type { Logger } from 'pino';

export interface RunLoggerOptions {
  level?: Level;
  /** JSON lines on stdout even on a terminal. */
  json?: boolean;
  /** When given, `<runDir>/log.jsonl` receives every record. */
  runDir?: string;
  /** Where human or JSON output goes; default stderr, so stdout stays free for results. */
  destination?: NodeJS.WritableStream;
}

export interface RunLogger {
  logger: Logger;
  /** Flushes and closes the log file. */
  close(): Promise<void>;
}

export function createRunLogger(options: RunLoggerOptions = {}): RunLogger {
  const level = options.level ?? 'info';
  const out = options.destination ?? process.stderr;
  const isTty = Boolean((out as { isTTY?: boolean }).isTTY);
  const console = !options.json && isTty ? pretty({ destination: out, colorize: true, sync: true, ignore: 'pid,hostname' }) : out;
  const streams: pino.StreamEntry[] = [{ level, stream: console }];
  let file: WriteStream | undefined;
  if (options.runDir) {
    const path = runFiles.log(resolve(options.runDir));
    // Opened here, synchronously, so a folder that cannot be written fails now with its path, not
    // later as an unhandled 'error' event; a write error later (disk full) is reported once and the
    // run goes on logging to the terminal.
    file = createWriteStream(path, { fd: openSync(path, 'a') });
    let reported = false;
    file.on('error', (error: NodeJS.ErrnoException) => {
      if (reported) return;
      reported = true;
      out.write(`warning: cannot write ${path}: ${error.code ?? error.message}; logging to the terminal only\n`);
    });
    streams.push({ level, stream: file });
  }
  const logger = pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.multistream(streams));
  return {
    logger,
    close: () => new Promise<void>((done) => (file && !file.destroyed ? file.end(() => done()) : done())),
  };
}

/** A logger that drops everything: the default for library calls made without one. */
export const silentLogger: Logger = pino({ level: 'silent' });
