/**
 * Flags and error handling shared by every command. Commands stay thin: parse, call a function
 * from src/api, report. Following oclif's conventions, `--json` prints the command's result object
 * (what `run` returns: run folder, files, summary figures) on stdout and nothing else, and a
 * failure as `{"error": {...}}`; the log's format is a separate flag (`--log-format`), and logs
 * always go to stderr. A {@link UserError} becomes one line on stderr and exit code 1, printed
 * once; anything else is a bug and keeps its stack. `--log-level debug` shows stacks for user
 * errors too.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Flags } from '@oclif/core';
import { UserError } from '../util/errors.js';
import { describeFsError } from '../util/fs-errors.js';
import { createRunLogger, type RunLogger } from '../util/log.js';
import { acquireRunLock, LOCK_FILE, type RunLock } from '../util/run-lock.js';
import { createRunDir, writeResolvedConfig, type JobConfig } from '../config/index.js';
import type { RunContext } from '../util/run-context.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../util/log.js';
import { describeJobKey } from '../config/docs.js';

/** How a command may use a run folder that already holds files. */
export interface RunFolderOptions {
  /** continue the run there (`--resume`): the folder must hold a run */
  resume?: boolean;
  /** the command itself continues what it finds (compare skips finished cells) */
  reusable?: boolean;
}

/** What a run folder holds before a command has produced anything (removed again if it fails). */
const SETUP_FILES = new Set(['config.yaml', 'log.jsonl', LOCK_FILE]);
const isSetupFile = (name: string) => SETUP_FILES.has(name) || name.startsWith(`${LOCK_FILE}.`);

/** The logging flags every command has. */
export interface LogFlags {
  'log-level'?: LogLevel | undefined;
  'log-format'?: LogFormat | undefined;
}

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;
  static override baseFlags = {
    'log-level': Flags.option({
      options: LOG_LEVELS,
      summary: `${describeJobKey('run.logLevel')} Default: the job's run.logLevel, else info.`,
      helpGroup: 'GLOBAL',
    })(),
    'log-format': Flags.option({
      options: LOG_FORMATS,
      summary: 'Log lines on stderr: pretty (default on a terminal) or json (default otherwise).',
      helpGroup: 'GLOBAL',
    })(),
  };

  private debugErrors = false;
  private runLogger?: RunLogger;
  private runLock?: RunLock;
  /** a run folder this command created: removed if the command fails before producing anything */
  private createdRunDir?: string;
  /** the run's folder, named by filesystem errors that come without a path (a write that finds the disk full) */
  private runDir?: string;

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
  protected startRun(command: string, config: JobConfig, flags: LogFlags, dir?: string, folder: RunFolderOptions = {}): RunContext {
    const wanted = resolve(dir ?? config.run.out ?? '.');
    const existing = (dir ?? config.run.out) ? listFolder(wanted) : undefined;
    if (folder.resume && !existing?.includes('config.yaml')) {
      throw new UserError(`--resume ${wanted}: no run there (no config.yaml); start one with --out ${wanted}`);
    }
    // A folder holding only what a run writes before its work (a run killed while starting) counts as empty.
    if (
      !folder.resume &&
      !folder.reusable &&
      existing !== undefined &&
      !existing.every((name) => isSetupFile(name) && name !== 'config.yaml')
    ) {
      throw new UserError(
        `${wanted} is not empty; continue the run there with \`introspect ${command} ... --resume ${wanted}\`, or choose another folder with --out`,
      );
    }
    const runDir = createRunDir(command, dir ?? config.run.out);
    this.runDir = runDir;
    if (existing === undefined || existing.every(isSetupFile)) this.createdRunDir = runDir;
    this.runLock = acquireRunLock(runDir);
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
    // A command that failed before producing anything leaves no run folder behind.
    const created = this.createdRunDir;
    if (err && created && (listFolder(created) ?? []).every(isSetupFile)) rmSync(created, { recursive: true, force: true });
    this.runLock?.release();
    return super.finally(err);
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // oclif's own errors (bad flags, --help exits) keep oclif's handling.
    if (err.oclif !== undefined) return super.catch(err);
    // Into log.jsonl only: on stderr the failure is the one line below.
    this.runLogger?.fileLogger.error({ err: err.message }, 'failed');
    const fsLine = describeFsError(err, this.runDir);
    if (this.jsonEnabled()) {
      this.logJson({
        error: {
          name: err.name,
          message: fsLine ?? err.message,
          ...(err instanceof UserError || fsLine !== undefined ? {} : { stack: err.stack }),
        },
      });
    } else if (fsLine !== undefined && !this.debugErrors) {
      process.stderr.write(`Error: ${fsLine}\n`);
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

/** The names in a folder; undefined when nothing is there (a file in the way fails later, naming it). */
function listFolder(dir: string): string[] | undefined {
  if (!existsSync(dir)) return undefined;
  try {
    return readdirSync(dir);
  } catch {
    return undefined;
  }
}
