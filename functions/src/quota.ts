/**
 * Paces exportDocuments calls inside a project's quotas (20 export and import requests per
 * minute, 50 concurrent operations), so that a fan-out over many databases waits for room instead
 * of collecting 429s. What the pacer cannot see (another tool's exports, an earlier delivery's
 * operations it was not told about) still answers 429; that is waited out too, with jitter.
 */

import { ApiError } from "./errors.js";

export interface QuotaLimits {
  /** exportDocuments requests in any 60-second window. */
  requestsPerMinute: number;
  /** Export or import operations running at once. */
  concurrent: number;
}

export interface PacerClock {
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

/** Tells whether an operation has finished; NOT_FOUND counts as finished, other errors as running. */
export type OperationProbe = (operationName: string) => Promise<boolean>;

const WINDOW_MS = 60_000;
/** How often running operations are looked at while every slot is taken. */
const PROBE_EVERY_MS = 15_000;
/** After a 429 the pacer did not foresee: first wait, doubled up to the cap, with jitter. */
const REFUSAL_BASE_MS = 10_000;
const REFUSAL_CAP_MS = 60_000;

export class ExportPacer {
  /** Times of this project's requests in the last minute. */
  private readonly sent: number[] = [];
  /** Operations this pacer knows to be running. */
  private readonly running = new Set<string>();
  private lastProbe = Number.NEGATIVE_INFINITY;
  private refusals = 0;
  private blockedUntil = 0;

  constructor(
    private readonly limits: QuotaLimits,
    private readonly clock: PacerClock,
    private readonly probe: OperationProbe,
  ) {}

  /** An operation started by this pacer or an earlier delivery, still running as far as known. */
  noteRunning(operationName: string): void {
    this.running.add(operationName);
  }

  /** Call just before each exportDocuments request. */
  noteRequest(): void {
    this.sent.push(this.clock.now().getTime());
  }

  noteStarted(operationName: string): void {
    this.refusals = 0;
    this.running.add(operationName);
  }

  /** The API answered 429: back off before the next request (10 s, 20 s, … 60 s, with jitter). */
  noteRefused(): void {
    const ceiling = Math.min(REFUSAL_CAP_MS, REFUSAL_BASE_MS * 2 ** this.refusals);
    this.refusals++;
    this.blockedUntil = this.clock.now().getTime() + Math.round(ceiling * (0.5 + this.clock.random() / 2));
    // Whatever the API counts that this pacer does not, operations may have ended meanwhile.
    this.lastProbe = Number.NEGATIVE_INFINITY;
  }

  /** How many operations are known to be running (for logs and tests). */
  get knownRunning(): number {
    return this.running.size;
  }

  /**
   * Waits until one more request fits both quotas. False, without waiting, when it would not fit
   * before `deadline` (ms since the epoch): the caller defers the run to a redelivery.
   */
  async waitForRoom(deadline: number): Promise<boolean> {
    for (;;) {
      const now = this.clock.now().getTime();
      while (this.sent.length > 0 && (this.sent[0] ?? 0) <= now - WINDOW_MS) this.sent.shift();
      if (this.running.size >= this.limits.concurrent && now - this.lastProbe >= PROBE_EVERY_MS) {
        await this.probeRunning();
        continue;
      }
      const rateFree =
        this.sent.length < this.limits.requestsPerMinute ? now : (this.sent[0] ?? now) + WINDOW_MS;
      const slotFree = this.running.size < this.limits.concurrent ? now : this.lastProbe + PROBE_EVERY_MS;
      const at = Math.max(rateFree, slotFree, this.blockedUntil);
      if (at <= now) return true;
      if (at > deadline) return false;
      await this.clock.sleep(at - now);
    }
  }

  private async probeRunning(): Promise<void> {
    this.lastProbe = this.clock.now().getTime();
    const names = [...this.running];
    // An operation the API no longer knows runs no more; any other error: ask again later.
    const done = await Promise.all(
      names.map((name) =>
        this.probe(name).catch((error) => error instanceof ApiError && error.httpStatus === 404),
      ),
    );
    names.forEach((name, i) => {
      if (done[i]) this.running.delete(name);
    });
  }
}
