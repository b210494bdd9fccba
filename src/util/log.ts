/**
 * One pino logger per run. Humans at a terminal get pino-pretty's readable lines; pipes, CI and
 * `--log-format json` get JSON lines. Every run also appends JSON lines to `<run-dir>/log.jsonl`, so a run's
 * history is on disk whatever the terminal showed.
 */
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { resolve } from 'node:path';
import pino, { type Logger, type Level } from 'pino';
import pretty from 'pino-pretty';
import { writeAboveProgress } from './progress.js';
import { runFiles } from './run-layout.js';

export type { Logger } from 'pino';

/** The levels `run.logLevel` and `--log-level` offer (pino's, without fatal and silent). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const satisfies readonly Level[];
export type LogLevel = (typeof LOG_LEVELS)[number];
/** How log lines on stderr look: pino-pretty's lines or JSON lines. */
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface RunLoggerOptions {
  level?: Level;
  /** JSON lines (true) or pino-pretty's lines (false); default: pretty on a terminal, JSON otherwise. */
  json?: boolean;
  /** When given, `<runDir>/log.jsonl` receives every record. */
  runDir?: string;
  /** Where human or JSON output goes; default stderr, so stdout stays free for results. */
  destination?: NodeJS.WritableStream;
}

export interface RunLogger {
  logger: Logger;
  /** Writes to `<runDir>/log.jsonl` only (silent without a run folder). */
  fileLogger: Logger;
  /** Flushes and closes the log file. */
  close(): Promise<void>;
}

export function createRunLogger(options: RunLoggerOptions = {}): RunLogger {
  const level = options.level ?? 'info';
  const out = options.destination ?? process.stderr;
  const isTty = Boolean((out as { isTTY?: boolean }).isTTY);
  // Records go above the progress line, never onto it.
  const above = new Writable({
    write(chunk: Uint8Array, _encoding, done) {
      writeAboveProgress(out, chunk);
      done();
    },
  });
  const console = !(options.json ?? !isTty)
    ? pretty({ destination: above, colorize: true, sync: true, singleLine: true, ignore: 'pid,hostname' })
    : above;
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
  const pinoOptions = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime };
  const logger = pino(pinoOptions, pino.multistream(streams));
  return {
    logger,
    fileLogger: file ? pino(pinoOptions, file) : silentLogger,
    close: () => new Promise<void>((done) => (file && !file.destroyed ? file.end(() => done()) : done())),
  };
}

/** A logger that drops everything: the default for library calls made without one. */
export const silentLogger: Logger = pino({ level: 'silent' });
