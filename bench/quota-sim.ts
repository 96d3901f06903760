/**
 * Simulated time for the fan-out benchmark: a clock that only moves when the code under test
 * sleeps, and an Admin API whose exports take minutes of that clock, answering 429 under the
 * gateway's quota rules (local/quota-book.ts). The exporter runs unchanged against them.
 */
import type { AdminApi } from "../functions/src/admin-client.js";
import { ApiError } from "../functions/src/errors.js";
import type { OperationView } from "../functions/src/operation.js";
import type { ExportRequestBody } from "../functions/src/run.js";
import { QuotaBook, type QuotaRules } from "../local/quota-book.js";

export class VirtualClock {
  constructor(private t: number) {}
  now = (): Date => new Date(this.t);
  nowMs = (): number => this.t;
  /** Nothing else runs on simulated time, so a sleep is the clock moving on. */
  sleep = async (ms: number): Promise<void> => {
    this.t += Math.max(0, ms);
  };
  advance(ms: number): void {
    this.t += Math.max(0, ms);
  }
}

interface SimOperation {
  view: OperationView;
  project: string;
  database: string;
  startMs: number;
  endMs: number;
}

/** Counts of what the simulated API saw. */
export interface SimCounts {
  exportRequests: number;
  refusedRate: number;
  refusedConcurrent: number;
  gets: number;
  lists: number;
}

export class SimulatedAdmin implements AdminApi {
  readonly operations: SimOperation[] = [];
  readonly counts: SimCounts = { exportRequests: 0, refusedRate: 0, refusedConcurrent: 0, gets: 0, lists: 0 };
  private readonly quota: QuotaBook;
  /** Most operations running at once, as the API saw it. */
  peakRunning = 0;

  constructor(
    private readonly clock: VirtualClock,
    rules: QuotaRules,
    /** How long the export of a database takes, in ms. */
    private readonly durationOf: (database: string) => number,
  ) {
    this.quota = new QuotaBook(rules, clock.nowMs, (project) => this.runningIn(project));
  }

  private runningIn(project: string): number {
    const now = this.clock.nowMs();
    return this.operations.filter((op) => op.project === project && op.endMs > now).length;
  }

  private render(op: SimOperation): OperationView {
    const done = op.endMs <= this.clock.nowMs();
    return { ...op.view, done, operationState: done ? "SUCCESSFUL" : "PROCESSING" };
  }

  async exportDocuments(database: string, body: ExportRequestBody): Promise<OperationView> {
    this.counts.exportRequests++;
    const project = database.split("/")[1] ?? "";
    const verdict = this.quota.take(project);
    if (!verdict.admitted) {
      if (verdict.reason === "rate") this.counts.refusedRate++;
      else this.counts.refusedConcurrent++;
      throw new ApiError(429, "RESOURCE_EXHAUSTED", verdict.message);
    }
    const startMs = this.clock.nowMs();
    const op: SimOperation = {
      view: {
        name: `${database}/operations/sim-${this.operations.length + 1}`,
        done: false,
        operationState: "PROCESSING",
        outputUriPrefix: body.outputUriPrefix,
        startTime: new Date(startMs).toISOString(),
      },
      project,
      database,
      startMs,
      endMs: startMs + this.durationOf(database),
    };
    this.operations.push(op);
    this.peakRunning = Math.max(this.peakRunning, this.runningIn(project));
    return this.render(op);
  }

  async getOperation(name: string): Promise<OperationView> {
    this.counts.gets++;
    const op = this.operations.find((o) => o.view.name === name);
    if (!op) throw new ApiError(404, "NOT_FOUND", `${name} not found`);
    return this.render(op);
  }

  async listOperations(database: string): Promise<OperationView[]> {
    this.counts.lists++;
    return this.operations.filter((o) => o.database === database).map((o) => this.render(o));
  }

  async cancelOperation(): Promise<void> {
    throw new ApiError(403, "PERMISSION_DENIED", "the exporter does not cancel");
  }
}

/**
 * The quota-optimal schedule for identical requests in a given order: each export starts as soon
 * as both the request rate and a free operation slot allow. Greedy is optimal here, since waiting
 * never frees a slot sooner. Returns when the last export ends, in ms after `t0`.
 */
export function optimalMakespan(durations: number[], rules: QuotaRules): number {
  const starts: number[] = [];
  const ends: number[] = [];
  for (const duration of durations) {
    let t = 0;
    // The rate: the request 20 places back must be a minute old.
    const back = starts[starts.length - rules.requestsPerMinute];
    if (back !== undefined) t = Math.max(t, back + 60_000);
    // The slots: one of the running exports must have ended.
    const running = ends.filter((end) => end > t).sort((a, b) => a - b);
    if (running.length >= rules.concurrent) t = Math.max(t, running[running.length - rules.concurrent] ?? t);
    starts.push(t);
    ends.push(t + duration);
  }
  return Math.max(0, ...ends);
}
