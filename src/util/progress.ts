/**
 * Progress of a long loop (training iterations, evaluation problems, generated tokens): a single
 * rewritten line on a terminal with the rate and ETA; nothing at all when stderr is not a TTY (CI,
 * pipes), where the logger's records are the progress. Log lines never land on the progress line:
 * the logger writes through {@link writeAboveProgress}, which clears the line, writes the record
 * and draws the line again below it.
 */
export interface ProgressOptions {
  label: string;
  total: number;
  /** Items already done before this process started (a resumed run): counted, but not in the rate or ETA. */
  initial?: number;
  /** Unit of the rate shown, e.g. "tok" for tokens/s. */
  rateUnit?: string;
  stream?: NodeJS.WriteStream;
}

/** The progress line on screen, if any, and the stream it is on. */
let shown: { stream: NodeJS.WritableStream; line: string } | null = null;

/** Writes `chunk` to `stream` above the progress line (which is cleared first and redrawn after). */
export function writeAboveProgress(stream: NodeJS.WritableStream, chunk: string | Uint8Array): boolean {
  if (!shown || shown.stream !== stream) return stream.write(chunk);
  stream.write('\r\x1b[2K');
  const ok = stream.write(chunk);
  stream.write(shown.line);
  return ok;
}

export class Progress {
  private start = Date.now();
  private readonly initial: number;
  private done: number;
  private rateCount = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.enabled = Boolean(this.stream.isTTY) && !process.env.CI;
    this.initial = options.initial ?? 0;
    this.done = this.initial;
  }

  /** Advances by `steps` items and `rateItems` units of the rate (e.g. tokens generated); `note` is appended. */
  tick(steps = 1, rateItems = 0, note = ''): void {
    this.done += steps;
    this.rateCount += rateItems;
    if (!this.enabled) return;
    this.stream.write(`\r\x1b[2K${this.line(note)}`);
    shown = { stream: this.stream, line: this.line(note) };
  }

  /** The line as shown: done/total, the rate, and the ETA from this process's own pace. */
  line(note = '', now = Date.now()): string {
    const seconds = (now - this.start) / 1000;
    const fresh = this.done - this.initial;
    const eta = fresh > 0 ? (seconds / fresh) * (this.options.total - this.done) : NaN;
    const rate = this.options.rateUnit && seconds > 0 ? ` · ${(this.rateCount / seconds).toFixed(0)} ${this.options.rateUnit}/s` : '';
    return `${this.options.label} ${this.done}/${this.options.total}${rate} · ETA ${formatDuration(eta)}${note ? ` · ${note}` : ''}`;
  }

  finish(): void {
    if (this.enabled) this.stream.write('\r\x1b[2K');
    if (shown?.stream === this.stream) shown = null;
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
