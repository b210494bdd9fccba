/**
 * Progress of a long loop (training iterations, evaluation problems, generated tokens): a single
 * rewritten line on a terminal with the rate and ETA; nothing at all when stderr is not a TTY (CI,
 * pipes), where the logger's records are the progress.
 */
export interface ProgressOptions {
  label: string;
  total: number;
  /** Unit of the rate shown, e.g. "tok" for tokens/s. */
  rateUnit?: string;
  stream?: NodeJS.WriteStream;
}

export class Progress {
  private readonly start = Date.now();
  private done = 0;
  private rateCount = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.enabled = Boolean(this.stream.isTTY) && !process.env.CI;
  }

  /** Advances by `steps` items and `rateItems` units of the rate (e.g. tokens generated); `note` is appended. */
  tick(steps = 1, rateItems = 0, note = ''): void {
    this.done += steps;
    this.rateCount += rateItems;
    if (!this.enabled) return;
    const seconds = (Date.now() - this.start) / 1000;
    const eta = this.done > 0 ? (seconds / this.done) * (this.options.total - this.done) : NaN;
    const rate = this.options.rateUnit && seconds > 0 ? ` · ${(this.rateCount / seconds).toFixed(0)} ${this.options.rateUnit}/s` : '';
    const line = `${this.options.label} ${this.done}/${this.options.total}${rate} · ETA ${formatDuration(eta)}${note ? ` · ${note}` : ''}`;
    this.stream.write(`\r\x1b[2K${line}`);
  }

  finish(): void {
    if (this.enabled) this.stream.write('\r\x1b[2K');
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
