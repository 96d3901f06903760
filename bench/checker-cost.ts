/**
 * Checker cost: the real `checkTick` against the real Firestore ledger on the emulator, with a
 * counting in-memory Admin API (every open run has a running operation, so a tick changes nothing
 * and every repetition sees the same state). Counts Admin API calls, ledger calls and wall time.
 */
import { performance } from "node:perf_hooks";
import { Firestore } from "@google-cloud/firestore";
import type { AdminApi } from "../functions/src/admin-client.js";
import { checkTick } from "../functions/src/checker.js";
import { type Config, parseConfig } from "../functions/src/config.js";
import { createFirestoreLedger, type Ledger, ledgerRestCall } from "../functions/src/ledger.js";
import type { OperationView } from "../functions/src/operation.js";
import type { RunRecord } from "../functions/src/run.js";
import type { StorageApi } from "../functions/src/storage-client.js";
import { interleave } from "./stats.js";

const PROJECT = "demo-bench";
const LEDGER_DB = `projects/${PROJECT}/databases/bench-checker`;

/** One scenario: K open runs spread over D databases. */
export interface CheckerScenario {
  runs: number;
  databases: number;
}

export interface CheckerSample {
  scenario: CheckerScenario;
  adminCalls: { get: number; list: number; storage: number; cancel: number };
  /** Ledger calls by method, e.g. `{ listOpen: 1, update: 100 }`. */
  ledgerCalls: Record<string, number>;
  ms: number;
}

class CountingAdmin implements AdminApi {
  readonly operations = new Map<string, OperationView>();
  async exportDocuments(): Promise<OperationView> {
    throw new Error("the checker never exports");
  }
  async getOperation(name: string): Promise<OperationView> {
    const op = this.operations.get(name);
    if (!op) throw new Error(`no operation ${name}`);
    return structuredClone(op);
  }
  async listOperations(database: string, filter?: string): Promise<OperationView[]> {
    const mine = [...this.operations.values()].filter((o) => o.name.startsWith(`${database}/operations/`));
    return structuredClone(filter === "done=true" ? mine.filter((o) => o.done) : mine.filter((o) => !o.done));
  }
  async cancelOperation(): Promise<void> {}
}

const storage: StorageApi = {
  objectSize: async () => undefined,
  listObjects: async () => [],
};

function databaseName(i: number): string {
  return `projects/${PROJECT}/databases/db-${i}`;
}

function scenarioConfig(scenario: CheckerScenario): Config {
  const targets = Array.from({ length: scenario.databases }, (_, i) => ({
    database: databaseName(i),
    bucket: "gs://demo-bench",
  }));
  return parseConfig({
    EXPORT_TARGETS: JSON.stringify(targets),
    LEDGER_DATABASE: LEDGER_DB,
    LEDGER_COLLECTION: `runs_k${scenario.runs}_d${scenario.databases}`,
    // Open runs are young: no stuck alerts, so a tick reads and changes nothing.
    COMPLETION_WINDOW: "24h",
    FRESHNESS_WINDOW: "30d",
  });
}

/** Wraps a ledger so that every call is counted. */
function counting(ledger: Ledger): {
  ledger: Ledger;
  calls: () => Record<string, number>;
  reset: () => void;
} {
  let calls: Record<string, number> = {};
  const wrapped = new Proxy(ledger, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls[String(key)] = (calls[String(key)] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    ledger: wrapped,
    calls: () => calls,
    reset: () => {
      calls = {};
    },
  };
}

async function seed(scenario: CheckerScenario, config: Config, admin: CountingAdmin, now: Date) {
  // Seeded in batches with the client library (FIRESTORE_EMULATOR_HOST is set): quicker than REST.
  const db = new Firestore({
    projectId: config.ledger.database.project,
    databaseId: config.ledger.database.databaseId,
  });
  const collection = db.collection(config.ledger.collection);
  const started = new Date(now.getTime() - 10 * 60_000).toISOString();
  let batch = db.batch();
  for (let i = 0; i < scenario.runs; i++) {
    const database = databaseName(i % scenario.databases);
    const prefix = `gs://demo-bench/firestore/db-${i % scenario.databases}/run-${i}`;
    const operationName = `${database}/operations/op-${i}`;
    admin.operations.set(operationName, {
      name: operationName,
      done: false,
      operationState: "PROCESSING",
      outputUriPrefix: prefix,
      startTime: started,
    });
    const run: RunRecord = {
      runKey: `bench-${i}`,
      database,
      trigger: { kind: "manual", messageId: `m-${i}`, publishTime: started, label: "bench" },
      outputUriPrefix: prefix,
      apiVersion: "v1",
      request: { outputUriPrefix: prefix },
      state: "RUNNING",
      operationName,
      operationState: "PROCESSING",
      createdAt: started,
      updatedAt: started,
      startedAt: started,
      attempts: 1,
      alerts: {},
      open: true,
    };
    batch.set(collection.doc(run.runKey), run);
    if ((i + 1) % 400 === 0) {
      await batch.commit();
      batch = db.batch();
    }
  }
  await batch.commit();
  await db.terminate();
}

/** Seeds every scenario once, then runs `reps` interleaved ticks of each (after one warm-up tick). */
export async function benchChecker(options: {
  scenarios: CheckerScenario[];
  reps: number;
  firestoreHost: string;
}): Promise<CheckerSample[]> {
  process.env.FIRESTORE_EMULATOR_HOST = options.firestoreHost;
  const now = new Date();
  const prepared = [];
  for (const scenario of options.scenarios) {
    const config = scenarioConfig(scenario);
    const admin = new CountingAdmin();
    await seed(scenario, config, admin, now);
    const counted = counting(
      createFirestoreLedger({
        ...config.ledger,
        rest: ledgerRestCall(`http://${options.firestoreHost}`, 30_000),
      }),
    );
    prepared.push({ scenario, config, admin, counted });
  }
  const samples: CheckerSample[] = [];
  for (let rep = -1; rep < options.reps; rep++) {
    for (const p of interleave(prepared, rep + 1)) {
      p.counted.reset();
      const started = performance.now();
      const report = await checkTick({
        config: p.config,
        admin: p.admin,
        storage,
        ledger: p.counted.ledger,
        channels: [],
        log: () => {},
        now: () => new Date(),
        sleep: async () => {},
      });
      const ms = performance.now() - started;
      // The first tick raises the one-off target alerts (no verified export yet): not a steady tick.
      if (rep >= 0)
        samples.push({
          scenario: p.scenario,
          adminCalls: report.apiCalls,
          ledgerCalls: p.counted.calls(),
          ms,
        });
    }
  }
  return samples;
}
