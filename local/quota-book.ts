/**
 * Firestore's per-project export and import quotas as the local gateway enforces them: at most
 * `requestsPerMinute` admitted requests in any 60-second window, and at most `concurrent`
 * operations running at once. A request refused for the rate is not counted; one refused because
 * every operation slot is taken is (it passed the rate limit, as a real front end would count it).
 * The clock is injected so that the fan-out benchmark can run the same rules on simulated time.
 */

export interface QuotaRules {
  requestsPerMinute: number;
  concurrent: number;
}

/** The quotas API-FACTS.md gives for every project. */
export const FIRESTORE_QUOTAS: QuotaRules = { requestsPerMinute: 20, concurrent: 50 };

export type QuotaVerdict =
  | { admitted: true }
  | { admitted: false; reason: "rate" | "concurrent"; message: string };

const WINDOW_MS = 60_000;

export class QuotaBook {
  private readonly admitted = new Map<string, number[]>();

  constructor(
    private readonly rules: QuotaRules,
    private readonly now: () => number,
    /** How many export or import operations of the project are running now. */
    private readonly running: (project: string) => number,
  ) {}

  /** Decides one export or import request of `project`. */
  take(project: string): QuotaVerdict {
    const now = this.now();
    const times = (this.admitted.get(project) ?? []).filter((t) => t > now - WINDOW_MS);
    this.admitted.set(project, times);
    if (times.length >= this.rules.requestsPerMinute) {
      return {
        admitted: false,
        reason: "rate",
        message:
          "Quota exceeded for quota metric 'Export and import requests' and limit 'Export and import requests per minute' of service 'firestore.googleapis.com'.",
      };
    }
    times.push(now);
    if (this.running(project) >= this.rules.concurrent) {
      return {
        admitted: false,
        reason: "concurrent",
        message: `Too many concurrent export and import operations in project ${project} (limit ${this.rules.concurrent}); wait for one to finish.`,
      };
    }
    return { admitted: true };
  }
}
