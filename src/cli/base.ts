/**
 * Flags and error handling shared by every command. Commands stay thin: parse, call a function
 * from src/api, report. Following oclif's conventions, `--json` prints the command's result object
 * (what `run` returns: run folder, files, summary figures) on stdout and nothing else, and a
 * failure as `{"error": {...}}`; the log's format is a separate flag (`--log-format`), and logs
 * always go to stderr. A {@link UserError} becomes one line on stderr and exit code 1, printed
 * once; anything else is a bug and keeps its stack. `--log-level debug` shows stacks for user
 * errors too.
 */
import { Command, Flags } from '@oclif/core';
import { UserError } from '../util/errors.js';
import { createRunLogger, type RunLogger } from '../util/log.js';
import { createRunDir, writeResolvedConfig, type JobConfig } from '../config/index.js';
import type { RunContext } from '../util/run-context.js';

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];
export const logFormats = ['pretty', 'json'] as const;
export type LogFormat = (typeof logFormats)[number];

/** The logging flags every command has. */
export interface LogFlags {
  'log-level'?: LogLevel | undefined;
  'log-format'?: LogFormat | undefined;
}

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;
  static override baseFlags = {
    'log-level': Flags.option({ options: logLevels, summary: 'Log verbosity (default: the job\'s run.logLevel, else info); debug also shows stack traces.', helpGroup: 'GLOBAL' })(),
    'log-format': Flags.option({ options: logFormats, summary: 'Log lines on stderr: pretty (default on a terminal) or json (default otherwise).', helpGroup: 'GLOBAL' })(),
  };

  private debugErrors = false;
  private runLogger?: RunLogger;

  /** Opens the run's logger (stderr + `<runDir>/log.jsonl`). */
  protected openLogger(flags: LogFlags, runDir?: string): RunLogger {
    const level = flags['log-level'] ?? 'info';
    this.debugErrors = level === 'debug' || level === 'trace';
    const format = flags['log-format'];
    this.runLogger = createRunLogger({ level, json: format === undefined ? undefined : format === 'json', runDir });
    return this.runLogger;
  }

  /**
   * Opens a job's run: its directory (`dir`, i.e. --resume or --out, else the job's run.out, else
   * runs/<command>-<timestamp>), its logger, and the resolved job written beside the outputs.
   */
  protected startRun(command: string, config: JobConfig, flags: LogFlags, dir?: string): RunContext {
    const runDir = createRunDir(command, dir ?? config.run.out);
    const { logger } = this.openLogger({ ...flags, 'log-level': flags['log-level'] ?? config.run.logLevel }, runDir);
    writeResolvedConfig(runDir, config);
    return { logger, runDir };
  }

  protected override async init(): Promise<void> {
    await super.init();
    this.debugErrors = this.argv.includes('debug') || this.argv.includes('--log-level=debug');
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    await this.runLogger?.close();
    return super.finally(err);
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // oclif's own errors (bad flags, --help exits) keep oclif's handling.
    if (err.oclif !== undefined) return super.catch(err);
    // Into log.jsonl only: on stderr the failure is the one line below.
    this.runLogger?.fileLogger.error({ err: err.message }, 'failed');
    if (this.jsonEnabled()) {
      this.logJson({ error: { name: err.name, message: err.message, ...(err instanceof UserError ? {} : { stack: err.stack }) } });
    } else if (err instanceof UserError && !this.debugErrors) {
      // One unwrapped line: oclif would wrap long messages (file paths) to the terminal width.
      process.stderr.write(`Error: ${err.message}\n`);
    } else {
      process.stderr.write(`${err.stack ?? String(err)}\n`);
    }
    return this.exit(1);
  }
}

/** `--set key.path=value`, repeatable: overrides any job-file key, validated like the file. */
export const setFlag = Flags.string({
  char: 's',
  multiple: true,
  default: [],
  summary: 'Override a job-file key, e.g. --set train.iterations=5 (repeatable).',
});

export const outFlag = Flags.string({
  char: 'o',
  summary: 'Run directory for outputs (default: runs/<command>-<timestamp>).',
});
