import type { Firestore } from "@google-cloud/firestore";
import type { Alert } from "./alerts.js";
import { createRestDocuments } from "./firestore-rest.js";
import type { DatabaseName } from "./names.js";
import type { RestCall } from "./rest.js";
import { isStartable, type RunRecord } from "./run.js";

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

/** The lease can be taken: it lapsed, or it was parked for a redelivery of this message. */
export function leaseFree(run: RunRecord, now: Date, messageId?: string): boolean {
  if (messageId !== undefined && run.parkedFor === messageId) return true;
  return !run.leaseUntil || new Date(run.leaseUntil).getTime() <= now.getTime();
}

/** Runs sorted newest first by creation time. */
export function newestFirst(runs: RunRecord[]): RunRecord[] {
  return [...runs].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** Firestore document ids may not contain "/": `projects/p/databases/d` → `p:d`. */
export function targetDocId(database: string): string {
  return database.replace(/^projects\//, "").replace("/databases/", ":");
}

const ALREADY_EXISTS = 6;

/** The ledger in a Firestore collection; the client is created on first use. */
export function createFirestoreLedger(options: {
  database: DatabaseName;
  collection: string;
  /** When given, claim/get/update go over REST and the gRPC client loads only for queries and transactions. */
  rest?: RestCall;
}): Ledger {
  let client: Promise<Firestore> | undefined;
  const docs = options.rest && createRestDocuments(options.rest, options.database.name);
  const collection = async (suffix = "") => {
    client ??= loadFirestore(options.database);
    return (await client).collection(`${options.collection}${suffix}`);
  };
  return {
    async claim(run) {
      if (docs) {
        if (await docs.create(options.collection, run.runKey, { ...run })) return undefined;
        return (await docs.get(options.collection, run.runKey)) as RunRecord | undefined;
      }
      const ref = (await collection()).doc(run.runKey);
      try {
        await ref.create(run);
        return undefined;
      } catch (error) {
        if ((error as { code?: number }).code !== ALREADY_EXISTS) throw error;
        const existing = await ref.get();
        return existing.data() as RunRecord;
      }
    },
    async takeLease(runKey, now, leaseMs, messageId) {
      const ref = (await collection()).doc(runKey);
      const db = await client;
      if (!db) throw new Error("ledger client missing");
      return db.runTransaction(async (tx) => {
        const snapshot = await tx.get(ref);
        const run = snapshot.data() as RunRecord | undefined;
        if (!run || !isStartable(run)) return undefined;
        if (!leaseFree(run, now, messageId)) return undefined;
        const taken: RunRecord = {
          ...run,
          state: "CLAIMED",
          open: true,
          attempts: (run.attempts ?? 1) + 1,
          leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
          parkedFor: null,
          updatedAt: now.toISOString(),
        };
        tx.set(ref, taken);
        return taken;
      });
    },
    async update(runKey, patch) {
      if (docs) return docs.update(options.collection, runKey, { ...patch });
      await (await collection()).doc(runKey).update(patch);
    },
    async get(runKey) {
      if (docs) return (await docs.get(options.collection, runKey)) as RunRecord | undefined;
      const snapshot = await (await collection()).doc(runKey).get();
      return snapshot.data() as RunRecord | undefined;
    },
    async listOpen() {
      const snapshot = await (await collection()).where("open", "==", true).get();
      return snapshot.docs.map((d) => d.data() as RunRecord);
    },
    async listRuns({ database, limit = 100 } = {}) {
      const runs = await collection();
      if (database === undefined) {
        const snapshot = await runs.orderBy("createdAt", "desc").limit(limit).get();
        return snapshot.docs.map((d) => d.data() as RunRecord);
      }
      // Equality only and sorted here: equality plus order on another field would need a composite
      // index, and one database has a few runs a day.
      const snapshot = await runs.where("database", "==", database).get();
      return newestFirst(snapshot.docs.map((d) => d.data() as RunRecord)).slice(0, limit);
    },
    async createAlert(alert) {
      try {
        await (await collection("Alerts")).doc(alert.id).create(alert);
        return true;
      } catch (error) {
        if ((error as { code?: number }).code === ALREADY_EXISTS) return false;
        throw error;
      }
    },
    async pendingAlerts() {
      const snapshot = await (await collection("Alerts")).where("pending", "==", true).get();
      return snapshot.docs.map((d) => d.data() as Alert);
    },
    async updateAlert(id, patch) {
      await (await collection("Alerts")).doc(id).update(patch);
    },
    async getTarget(database) {
      const snapshot = await (await collection("Targets")).doc(targetDocId(database)).get();
      return snapshot.data() as TargetStatus | undefined;
    },
    async saveTarget(status) {
      await (await collection("Targets")).doc(targetDocId(status.database)).set(status);
    },
    async acquireTickLock(holder, now, ttlMs) {
      const ref = (await collection("Locks")).doc("checker");
      const db = await client;
      if (!db) throw new Error("ledger client missing");
      return db.runTransaction(async (tx) => {
        const lock = (await tx.get(ref)).data() as { holder: string; until: string } | undefined;
        if (lock && lock.holder !== holder && new Date(lock.until).getTime() > now.getTime()) return false;
        tx.set(ref, { holder, until: new Date(now.getTime() + ttlMs).toISOString() });
        return true;
      });
    },
    async releaseTickLock(holder) {
      const ref = (await collection("Locks")).doc("checker");
      const db = await client;
      if (!db) throw new Error("ledger client missing");
      await db.runTransaction(async (tx) => {
        const lock = (await tx.get(ref)).data() as { holder: string } | undefined;
        if (lock?.holder === holder) tx.delete(ref);
      });
    },
  };
}

/** Loads the Firestore client lazily: ~300 ms of module loading that only the ledger needs. */
export async function loadFirestore(database: DatabaseName): Promise<Firestore> {
  const { Firestore } = await import("@google-cloud/firestore");
  return new Firestore({
    projectId: database.project,
    databaseId: database.databaseId,
    ignoreUndefinedProperties: true,
  });
}
