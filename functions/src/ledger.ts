import type { Alert } from "./alerts.js";
import { createRestDocuments, type StoredDocument, WriteConflict } from "./firestore-rest.js";
import type { DatabaseName } from "./names.js";
import { createRestCall, type RestCall } from "./rest.js";
import { leaseTaken, type RunRecord } from "./run.js";

/** What the checker remembers per target between ticks. */
export interface TargetStatus {
  database: string;
  /** When the checker first looked at this target: slots and staleness are judged from here on. */
  watchingSince: string;
  lastVerifiedAt?: string;
  lastVerifiedRunKey?: string;
  lastDocuments?: number;
}

/** The part of the ledger the exporter uses. */
export type RunLedger = Pick<Ledger, "claim" | "takeLease" | "update" | "get">;

/** The record of every run (DESIGN 3.4), of the alerts raised and of each target's checks. */
export interface Ledger {
  /** Create-if-absent. Resolves to undefined when this call created the run, else to the existing record. */
  claim(run: RunRecord): Promise<RunRecord | undefined>;
  /**
   * Takes the start lease of a claimed run that has no operation yet and whose lease has lapsed
   * or was parked for `messageId` (this is a redelivery of it), atomically, counting the attempt.
   * Resolves to the record as taken, or undefined when another delivery holds it or the run has
   * moved on.
   */
  takeLease(runKey: string, now: Date, leaseMs: number, messageId?: string): Promise<RunRecord | undefined>;
  update(runKey: string, patch: Partial<RunRecord>): Promise<void>;
  get(runKey: string): Promise<RunRecord | undefined>;
  /** Runs the checker still has work on. */
  listOpen(): Promise<RunRecord[]>;
  /**
   * Read-only, for operators: runs newest first (by `createdAt`), of one database or of all, at most
   * `limit` (default 100). Rejected messages belong to no database and appear only without one.
   */
  listRuns(options?: { database?: string; limit?: number }): Promise<RunRecord[]>;
  /** Create-if-absent; true when this call created it (the alert is new). */
  createAlert(alert: Alert): Promise<boolean>;
  pendingAlerts(): Promise<Alert[]>;
  updateAlert(id: string, patch: Partial<Alert>): Promise<void>;
  getTarget(database: string): Promise<TargetStatus | undefined>;
  saveTarget(status: TargetStatus): Promise<void>;
  /**
   * Takes the checker's single-flight lock until `now + ttlMs`, atomically; false when another
   * tick holds it. Overlapping ticks would otherwise deliver the same alert twice.
   */
  acquireTickLock(holder: string, now: Date, ttlMs: number): Promise<boolean>;
  releaseTickLock(holder: string): Promise<void>;
}

/** Runs sorted newest first by creation time. */
export function newestFirst(runs: RunRecord[]): RunRecord[] {
  return [...runs].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** Firestore document ids may not contain "/": `projects/p/databases/d` → `p:d`. */
export function targetDocId(database: string): string {
  return database.replace(/^projects\//, "").replace("/databases/", ":");
}

/** Compare-and-set writes that lost a race are tried again from a fresh read, this many times. */
const CAS_ATTEMPTS = 5;

/**
 * The ledger in a Firestore collection (runs), with `…Alerts`, `…Targets` and `…Locks` beside it,
 * all over Firestore's REST API. Where the client library would use a transaction, a write is
 * made conditional on the update time of the read it was decided on, and decided again if it lost.
 */
export function createFirestoreLedger(options: {
  database: DatabaseName;
  collection: string;
  rest: RestCall;
}): Ledger {
  const docs = createRestDocuments(options.rest, options.database.name);
  const runs = options.collection;
  const alerts = `${options.collection}Alerts`;
  const targets = `${options.collection}Targets`;
  const locks = `${options.collection}Locks`;

  /** Reads, decides and writes back until the write lands on the document it decided on. */
  async function compareAndSet<T>(
    collection: string,
    id: string,
    decide: (
      current: StoredDocument | undefined,
    ) => { write: Record<string, unknown> | "delete"; result: T } | { result: T },
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const current = await docs.read(collection, id);
      const decision = decide(current);
      if (!("write" in decision)) return decision.result;
      try {
        if (decision.write === "delete") {
          if (current) await docs.deleteIfUnchanged(collection, id, current);
        } else if (current) await docs.replaceIfUnchanged(collection, id, current, decision.write);
        else if (!(await docs.create(collection, id, decision.write)))
          throw new WriteConflict(`${collection}/${id} appeared since it was read`);
        return decision.result;
      } catch (error) {
        if (!(error instanceof WriteConflict) || attempt >= CAS_ATTEMPTS) throw error;
      }
    }
  }

  return {
    async claim(run) {
      if (await docs.create(runs, run.runKey, { ...run })) return undefined;
      return (await docs.get(runs, run.runKey)) as RunRecord | undefined;
    },
    async takeLease(runKey, now, leaseMs, messageId) {
      return compareAndSet(runs, runKey, (current) => {
        const taken = leaseTaken(current?.data as RunRecord | undefined, now, leaseMs, messageId);
        return taken ? { write: { ...taken }, result: taken } : { result: undefined };
      });
    },
    async update(runKey, patch) {
      await docs.update(runs, runKey, { ...patch });
    },
    async get(runKey) {
      return (await docs.get(runs, runKey)) as RunRecord | undefined;
    },
    async listOpen() {
      return docs.query<RunRecord>({ collection: runs, where: { field: "open", equals: true } });
    },
    async listRuns({ database, limit = 100 } = {}) {
      if (database === undefined) {
        return docs.query<RunRecord>({ collection: runs, orderByDescending: "createdAt", limit });
      }
      // Equality only and sorted here: equality plus order on another field would need a composite
      // index, and one database has a few runs a day.
      const found = await docs.query<RunRecord>({
        collection: runs,
        where: { field: "database", equals: database },
      });
      return newestFirst(found).slice(0, limit);
    },
    async createAlert(alert) {
      return docs.create(alerts, alert.id, { ...alert });
    },
    async pendingAlerts() {
      return docs.query<Alert>({ collection: alerts, where: { field: "pending", equals: true } });
    },
    async updateAlert(id, patch) {
      await docs.update(alerts, id, { ...patch });
    },
    async getTarget(database) {
      return (await docs.get(targets, targetDocId(database))) as TargetStatus | undefined;
    },
    async saveTarget(status) {
      await docs.set(targets, targetDocId(status.database), { ...status });
    },
    async acquireTickLock(holder, now, ttlMs) {
      return compareAndSet(locks, "checker", (current) => {
        const lock = current?.data as { holder?: string; until?: string } | undefined;
        if (lock && lock.holder !== holder && new Date(lock.until ?? 0).getTime() > now.getTime())
          return { result: false };
        return { write: { holder, until: new Date(now.getTime() + ttlMs).toISOString() }, result: true };
      });
    },
    async releaseTickLock(holder) {
      await compareAndSet(locks, "checker", (current) =>
        current?.data.holder === holder ? { write: "delete", result: undefined } : { result: undefined },
      );
    },
  };
}

/**
 * The REST caller for a ledger at `endpoint`: Application Default Credentials for Firestore
 * itself; the emulator (plain http on loopback) takes the "owner" token, which bypasses rules.
 */
export function ledgerRestCall(endpoint: string, timeoutMs: number): RestCall {
  return createRestCall(
    { endpoint, timeoutMs, scopes: ["https://www.googleapis.com/auth/datastore"] },
    endpoint.startsWith("http://") ? async () => ({ authorization: "Bearer owner" }) : undefined,
  );
}
