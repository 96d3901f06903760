import type { Firestore } from "@google-cloud/firestore";
import type { DatabaseName } from "./names.js";
import type { RunRecord } from "./run.js";

/** The record of every run (DESIGN 3.4). */
export interface Ledger {
  /** Create-if-absent. Resolves to undefined when this call created the run, else to the existing record. */
  claim(run: RunRecord): Promise<RunRecord | undefined>;
  /**
   * Takes the start lease of a claimed run that has no operation yet and whose lease has lapsed,
   * atomically, counting the attempt. Resolves to the record as taken, or undefined when another
   * delivery holds it or the run has moved on.
   */
  takeLease(runKey: string, now: Date, leaseMs: number): Promise<RunRecord | undefined>;
  update(runKey: string, patch: Partial<RunRecord>): Promise<void>;
  get(runKey: string): Promise<RunRecord | undefined>;
}

const ALREADY_EXISTS = 6;

/** The ledger in a Firestore collection; the client is created on first use. */
export function createFirestoreLedger(options: { database: DatabaseName; collection: string }): Ledger {
  let client: Promise<Firestore> | undefined;
  const collection = async () => {
    client ??= loadFirestore(options.database);
    return (await client).collection(options.collection);
  };
  return {
    async claim(run) {
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
    async takeLease(runKey, now, leaseMs) {
      const ref = (await collection()).doc(runKey);
      const db = await client;
      if (!db) throw new Error("ledger client missing");
      return db.runTransaction(async (tx) => {
        const snapshot = await tx.get(ref);
        const run = snapshot.data() as RunRecord | undefined;
        if (run?.state !== "CLAIMED" || run.operationName) return undefined;
        if (run.leaseUntil && new Date(run.leaseUntil).getTime() > now.getTime()) return undefined;
        const taken: RunRecord = {
          ...run,
          attempts: (run.attempts ?? 1) + 1,
          leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
          updatedAt: now.toISOString(),
        };
        tx.set(ref, taken);
        return taken;
      });
    },
    async update(runKey, patch) {
      await (await collection()).doc(runKey).update(patch);
    },
    async get(runKey) {
      const snapshot = await (await collection()).doc(runKey).get();
      return snapshot.data() as RunRecord | undefined;
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
