/**
 * How far `compare baselines` is: "cell k/N" and the ETA of the whole comparison. Cells differ in
 * cost: under the llm-steps budget a coordinate-ascent cell runs twice the iterations of a
 * token-only one, and a learned cell is evaluated under more policies. So the ETA is not
 * (time per cell) x (cells left) but a two-rate model fitted to the cells this process measured:
 *
 *   ETA = sum over unfinished cells of (iterations x s/iteration + evaluation samples x s/sample)
 *
 * with s/iteration = training seconds / iterations trained and s/sample = evaluation seconds /
 * samples generated, summed over measured cells. Cells reused from an earlier run count as done and
 * are not measured (their times are from another process, perhaps another machine), as a resumed
 * training run's ETA counts only its own pace (util/progress.ts).
 */
import { at } from '../util/must.js';
import { formatDuration } from '../util/progress.js';

/** What is left of one cell. */
export interface CellCost {
  /** training iterations still to run (a cell resumed from a checkpoint has fewer than its budget) */
  iterations: number;
  /** samples its evaluations generate: problems x samples per problem, summed over its evaluation plan */
  evalSamples: number;
}

/** One cell as this process ran it. */
export interface CellMeasurement extends CellCost {
  trainSeconds: number;
  evalSeconds: number;
}

/** The two rates, fitted to the measured cells. */
export class CellPace {
  private iterations = 0;
  private trainSeconds = 0;
  private evalSamples = 0;
  private evalSeconds = 0;

  record(m: CellMeasurement): void {
    this.iterations += m.iterations;
    this.trainSeconds += m.trainSeconds;
    this.evalSamples += m.evalSamples;
    this.evalSeconds += m.evalSeconds;
  }

  /** Seconds the given cells take at the measured pace; NaN while a rate they need is unmeasured. */
  secondsFor(cells: readonly CellCost[]): number {
    const iterations = cells.reduce((n, c) => n + c.iterations, 0);
    const samples = cells.reduce((n, c) => n + c.evalSamples, 0);
    const train = iterations === 0 ? 0 : this.iterations > 0 ? (iterations * this.trainSeconds) / this.iterations : NaN;
    const evaluate = samples === 0 ? 0 : this.evalSamples > 0 ? (samples * this.evalSeconds) / this.evalSamples : NaN;
    return train + evaluate;
  }
}

export interface PlannedCell extends CellCost {
  method: string;
  seed: number;
  /** finished before this process started (its result.json matches its job) */
  done: boolean;
}

/** The progress records: `cell k/N` lines with the ETA of every cell not yet done. */
export class CompareProgress {
  readonly pace = new CellPace();
  private readonly cells: PlannedCell[];

  constructor(plan: readonly PlannedCell[]) {
    this.cells = plan.map((c) => ({ ...c }));
  }

  get total(): number {
    return this.cells.length;
  }

  get done(): number {
    return this.cells.filter((c) => c.done).length;
  }

  /** Seconds left for the cells not done, at the measured pace (NaN before the first measured cell). */
  etaSeconds(): number {
    return this.pace.secondsFor(this.cells.filter((c) => !c.done));
  }

  /** The cell at 1-based position k of the order the comparison runs them in. */
  position(method: string, seed: number): number {
    const i = this.cells.findIndex((c) => c.method === method && c.seed === seed);
    if (i < 0) throw new Error(`cell ${method} seed ${seed} is not in the comparison's plan`);
    return i + 1;
  }

  private cellOf(method: string, seed: number): PlannedCell {
    return at(this.cells, this.position(method, seed) - 1, 'planned cells');
  }

  /** A cell turned out to be done already (reused): it leaves the ETA. */
  reused(method: string, seed: number): ProgressRecord {
    this.cellOf(method, seed).done = true;
    return this.record(method, seed, 'reused (finished before)');
  }

  /** A cell starts training: its remaining cost is what `cost` says (it may differ from the plan's guess). */
  started(method: string, seed: number, cost: CellCost): ProgressRecord {
    const cell = this.cellOf(method, seed);
    Object.assign(cell, cost, { done: false });
    return this.record(method, seed, `training ${cost.iterations} iterations`);
  }

  /** A cell finished in this process: its times refine the pace. */
  finished(method: string, seed: number, m: CellMeasurement): ProgressRecord {
    this.pace.record(m);
    this.cellOf(method, seed).done = true;
    return this.record(method, seed, `done in ${formatDuration(m.trainSeconds + m.evalSeconds)}`);
  }

  /** The record for the logger and its one-line message. */
  record(method: string, seed: number, what: string): ProgressRecord {
    const cell = this.position(method, seed);
    const eta = this.etaSeconds();
    const fields = { cell, cells: this.total, done: this.done, method, seed, etaSeconds: Number.isFinite(eta) ? Math.round(eta) : null };
    return { fields, message: `cell ${cell}/${this.total} ${method} seed ${seed}: ${what} · ETA ${formatDuration(eta)}` };
  }
}

export interface ProgressRecord {
  fields: { cell: number; cells: number; done: number; method: string; seed: number; etaSeconds: number | null };
  message: string;
}
