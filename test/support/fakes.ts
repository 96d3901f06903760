/**
 * Fakes of the project's own ports (AdminApi, StorageApi, Ledger, AlertChannel, Logger) and small
 * builders for unit tests. They implement the interfaces the product receives, never the
 * `@google-cloud/*` modules.
 */
import type { AdminApi } from "../../functions/src/admin-client.js";
import type { AlertChannel } from "../../functions/src/alert-channels.js";
import type { Alert } from "../../functions/src/alerts.js";
import type { CheckerDeps } from "../../functions/src/checker.js";
import { type Config, parseConfig } from "../../functions/src/config.js";
import { ApiError } from "../../functions/src/errors.js";
import type { ExporterDeps } from "../../functions/src/exporter.js";
import { type Ledger, newestFirst, type RunLedger, type TargetStatus } from "../../functions/src/ledger.js";
import { createMemoryLogger, type LogEntry, type Logger } from "../../functions/src/log.js";
import type { OperationView } from "../../functions/src/operation.js";
import { errorFromBody } from "../../functions/src/rest.js";
import {
  type DeliveryMeta,
  type ExportRequestBody,
  leaseTaken,
  type RunRecord,
} from "../../functions/src/run.js";
import type { StorageApi, StoredObject } from "../../functions/src/storage-client.js";
import { metadataObjectOf } from "../../functions/src/verdict.js";

export const PROJECT = "my-project";
export const DEFAULT_DB = `projects/${PROJECT}/databases/(default)`;
export const ORDERS_DB = `projects/${PROJECT}/databases/orders-eu`;

/** A valid environment with two targets; override or delete variables per test. */
export function baseEnv(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    EXPORT_TARGETS: JSON.stringify([
      { database: DEFAULT_DB, bucket: "gs://my-bucket" },
      { database: ORDERS_DB, bucket: "gs://eu-bucket", prefix: "backups", collectionIds: ["orders"] },
    ]),
    EXPORT_RETRY_MAX_ATTEMPTS: "4",
    EXPORT_RETRY_BASE_DELAY_MS: "1000",
    ...overrides,
  };
}

export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return parseConfig(baseEnv(overrides));
}

export function delivery(
  messageId: string,
  publishTime: string,
  attributes: Record<string, string> = {},
): DeliveryMeta {
  return { messageId, publishTime: new Date(publishTime), attributes };
}

/** A clock that only moves when told to. */
export function fixedClock(iso: string): { now: () => Date; advance: (ms: number) => void } {
  let t = new Date(iso).getTime();
  return {
    now: () => new Date(t),
    advance: (ms) => {
      t += ms;
    },
  };
}

/** Errors shaped exactly as the REST adapter builds them from real answers. */
export const apiErrors = {
  unavailable: () =>
    errorFromBody(
      503,
      JSON.stringify({
        error: { code: 503, message: "The service is currently unavailable.", status: "UNAVAILABLE" },
      }),
      "POST https://firestore.googleapis.com/v1/...:exportDocuments",
    ),
  quota: () =>
    errorFromBody(
      429,
      JSON.stringify({ error: { code: 429, message: "Quota exceeded.", status: "RESOURCE_EXHAUSTED" } }),
      "POST https://firestore.googleapis.com/v1/...:exportDocuments",
    ),
  permissionDenied: () =>
    errorFromBody(
      403,
      JSON.stringify({
        error: { code: 403, message: "The caller does not have permission", status: "PERMISSION_DENIED" },
      }),
      "POST https://firestore.googleapis.com/v1/...:exportDocuments",
    ),
  pathAlreadyExists: (prefix: string) => {
    const path = prefix.replace(/^gs:\/\//, "/");
    const name = prefix.split("/").pop() ?? "";
    return errorFromBody(
      400,
      JSON.stringify({
        error: {
          code: 400,
          message: `Path already exists: ${path}/${name}.overall_export_metadata`,
          status: "INVALID_ARGUMENT",
        },
      }),
      "POST https://firestore.googleapis.com/v1/...:exportDocuments",
    );
  },
  /** What rest.ts throws when no answer arrives in time: the request may have been acted on. */
  timeout: () =>
    new ApiError(
      0,
      "DEADLINE_EXCEEDED",
      "POST https://firestore.googleapis.com/v1/...:exportDocuments: no answer within 30000 ms",
      true,
    ),
};

/** One scripted answer of `exportDocuments`; when the script runs out every call succeeds. */
export type ExportStep =
  | { kind: "ok" }
  | { kind: "error"; error: ApiError }
  /** The server started the export but the caller never saw the answer (timeout, dropped connection). */
  | { kind: "startedButLost"; error: ApiError };

export interface ExportCall {
  database: string;
  body: ExportRequestBody;
}

/** An in-memory Firestore Admin API that keeps the operations it started. */
export class FakeAdmin implements AdminApi {
  readonly operations: OperationView[] = [];
  readonly exportCalls: ExportCall[] = [];
  readonly listCalls: Array<{ database: string; filter: string | undefined }> = [];
  /** Called at the start of every exportDocuments call, before the scripted answer. */
  onExport?: (call: ExportCall) => void | Promise<void>;
  private readonly script: ExportStep[];
  private nextId = 1;

  constructor(script: ExportStep[] = []) {
    this.script = [...script];
  }

  /** When set, every call fails with a fresh error from this factory (after the script is used up). */
  failAlways?: () => ApiError;
  /** Errors per database, for every call to that database. */
  readonly failDatabase = new Map<string, () => ApiError>();

  async exportDocuments(database: string, body: ExportRequestBody): Promise<OperationView> {
    const call = { database, body: structuredClone(body) };
    this.exportCalls.push(call);
    await this.onExport?.(call);
    const perDatabase = this.failDatabase.get(database);
    if (perDatabase) throw perDatabase();
    const step: ExportStep =
      this.script.shift() ?? (this.failAlways ? { kind: "error", error: this.failAlways() } : { kind: "ok" });
    if (step.kind === "error") throw step.error;
    const op = this.start(database, body.outputUriPrefix);
    if (step.kind === "startedButLost") throw step.error;
    return structuredClone(op);
  }

  /** Adds an operation as if an export had been started for this prefix (by anyone). */
  start(database: string, outputUriPrefix: string, patch: Partial<OperationView> = {}): OperationView {
    const op: OperationView = {
      name: `${database}/operations/op-${this.nextId++}`,
      done: false,
      operationState: "PROCESSING",
      outputUriPrefix,
      startTime: "2026-12-03T02:00:04.512Z",
      ...patch,
    };
    this.operations.push(op);
    return op;
  }

  /** Names passed to getOperation, in order. */
  readonly getCalls: string[] = [];
  /** Names passed to cancelOperation, in order. */
  readonly cancelCalls: string[] = [];
  /** Errors per operation name, for every get of that operation. */
  readonly failGet = new Map<string, () => ApiError>();
  /** When set, every listOperations call fails with a fresh error from this factory. */
  failList?: () => ApiError;

  /** Changes an operation as the API would report it from now on (progress, state). */
  update(name: string, patch: Partial<OperationView>): OperationView {
    const op = this.operations.find((o) => o.name === name);
    if (!op) throw new Error(`no operation ${name}`);
    return Object.assign(op, patch);
  }

  /** Ends an operation the way the API reports it once done (by default: SUCCESSFUL). */
  finish(name: string, patch: Partial<OperationView> = {}): OperationView {
    return this.update(name, {
      done: true,
      operationState: "SUCCESSFUL",
      endTime: "2026-12-03T02:40:00Z",
      ...patch,
    });
  }

  async getOperation(name: string): Promise<OperationView> {
    this.getCalls.push(name);
    const failure = this.failGet.get(name);
    if (failure) throw failure();
    const op = this.operations.find((o) => o.name === name);
    if (!op) throw new ApiError(404, "NOT_FOUND", `operation ${name} not found`);
    return structuredClone(op);
  }

  /** Like the API: without a filter, running and failed operations; `done=true` gives finished ones. */
  async listOperations(database: string, filter?: string): Promise<OperationView[]> {
    this.listCalls.push({ database, filter });
    if (this.failList) throw this.failList();
    const mine = this.operations.filter((o) => o.name.startsWith(`${database}/operations/`));
    const listed =
      filter === "done=true" ? mine.filter((o) => o.done) : mine.filter((o) => !o.done || o.error);
    return structuredClone(listed);
  }

  async cancelOperation(name: string): Promise<void> {
    this.cancelCalls.push(name);
    const op = this.operations.find((o) => o.name === name);
    if (!op) throw new ApiError(404, "NOT_FOUND", `operation ${name} not found`);
    op.operationState = "CANCELLING";
  }
}

/** An in-memory ledger with the semantics of the Firestore one (create-if-absent, leases, update of existing). */
export class FakeLedger implements RunLedger {
  readonly records = new Map<string, RunRecord>();
  /** Every call in order, e.g. `claim:KEY`, `update:KEY`. */
  readonly journal: string[] = [];
  /** The next update throws this (e.g. the function dies between the API call and the write). */
  failNextUpdate?: Error;
  /** Every claim throws this (ledger outage). */
  failClaims?: Error;

  async claim(run: RunRecord): Promise<RunRecord | undefined> {
    this.journal.push(`claim:${run.runKey}`);
    if (this.failClaims) throw this.failClaims;
    const existing = this.records.get(run.runKey);
    if (existing) return structuredClone(existing);
    this.records.set(run.runKey, structuredClone(run));
    return undefined;
  }

  async takeLease(
    runKey: string,
    now: Date,
    leaseMs: number,
    messageId?: string,
  ): Promise<RunRecord | undefined> {
    this.journal.push(`takeLease:${runKey}`);
    const taken = leaseTaken(this.records.get(runKey), now, leaseMs, messageId);
    if (!taken) return undefined;
    this.records.set(runKey, structuredClone(taken));
    return structuredClone(taken);
  }

  async update(runKey: string, patch: Partial<RunRecord>): Promise<void> {
    this.journal.push(`update:${runKey}`);
    if (this.failNextUpdate) {
      const error = this.failNextUpdate;
      this.failNextUpdate = undefined;
      throw error;
    }
    const run = this.records.get(runKey);
    if (!run) throw new Error(`5 NOT_FOUND: no document to update: ${runKey}`);
    this.records.set(runKey, { ...run, ...structuredClone(patch) });
  }

  async get(runKey: string): Promise<RunRecord | undefined> {
    const run = this.records.get(runKey);
    return run && structuredClone(run);
  }

  /** The single record, for tests with one target. */
  only(): RunRecord {
    const all = [...this.records.values()];
    if (all.length !== 1) throw new Error(`expected one ledger record, found ${all.length}`);
    return all[0] as RunRecord;
  }
}

export interface TestDeps extends ExporterDeps {
  admin: FakeAdmin;
  ledger: FakeLedger;
  log: Logger & { entries: LogEntry[] };
  /** Every delay the exporter asked to sleep, in order; nothing really waits. */
  sleeps: number[];
  clock: { now: () => Date; advance: (ms: number) => void };
}

export function makeDeps(
  p: { admin?: FakeAdmin; ledger?: FakeLedger; config?: Config; now?: string } = {},
): TestDeps {
  const clock = fixedClock(p.now ?? "2026-12-03T02:00:05Z");
  const sleeps: number[] = [];
  return {
    config: p.config ?? testConfig(),
    admin: p.admin ?? new FakeAdmin(),
    ledger: p.ledger ?? new FakeLedger(),
    log: createMemoryLogger(),
    now: clock.now,
    clock,
    sleeps,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
    },
    random: () => 0.5,
    identity: async () => "exporter@my-project.iam.gserviceaccount.com",
  };
}

export function eventsOf(log: { entries: LogEntry[] }): string[] {
  return log.entries.map((e) => e.event);
}

/**
 * The whole ledger the checker uses, in memory: runs (as FakeLedger), alerts created only if
 * absent, and the per-target status. Every read returns a copy, as Firestore would.
 */
export class FakeCheckerLedger extends FakeLedger implements Ledger {
  readonly alerts = new Map<string, Alert>();
  readonly targets = new Map<string, TargetStatus>();
  /** Every listOpen throws this (ledger outage: the tick cannot run at all). */
  failListOpen?: Error;

  async listOpen(): Promise<RunRecord[]> {
    this.journal.push("listOpen");
    if (this.failListOpen) throw this.failListOpen;
    return [...this.records.values()].filter((r) => r.open).map((r) => structuredClone(r));
  }

  async listRuns({
    database,
    limit = 100,
  }: {
    database?: string;
    limit?: number;
  } = {}): Promise<RunRecord[]> {
    this.journal.push("listRuns");
    const runs = [...this.records.values()].filter((r) => database === undefined || r.database === database);
    return newestFirst(runs)
      .slice(0, limit)
      .map((r) => structuredClone(r));
  }

  async createAlert(alert: Alert): Promise<boolean> {
    this.journal.push(`createAlert:${alert.id}`);
    if (this.alerts.has(alert.id)) return false;
    this.alerts.set(alert.id, structuredClone(alert));
    return true;
  }

  async pendingAlerts(): Promise<Alert[]> {
    return [...this.alerts.values()].filter((a) => a.pending).map((a) => structuredClone(a));
  }

  async updateAlert(id: string, patch: Partial<Alert>): Promise<void> {
    const alert = this.alerts.get(id);
    if (!alert) throw new Error(`5 NOT_FOUND: no alert to update: ${id}`);
    this.alerts.set(id, { ...alert, ...structuredClone(patch) });
  }

  async getTarget(database: string): Promise<TargetStatus | undefined> {
    const status = this.targets.get(database);
    return status && structuredClone(status);
  }

  async saveTarget(status: TargetStatus): Promise<void> {
    this.targets.set(status.database, structuredClone(status));
  }

  /** The checker's single-flight lock: holder and expiry, as the Firestore ledger keeps them. */
  lock?: { holder: string; until: number };

  async acquireTickLock(holder: string, now: Date, ttlMs: number): Promise<boolean> {
    if (this.lock && this.lock.until > now.getTime() && this.lock.holder !== holder) return false;
    this.lock = { holder, until: now.getTime() + ttlMs };
    return true;
  }

  async releaseTickLock(holder: string): Promise<void> {
    if (this.lock?.holder === holder) this.lock = undefined;
  }

  /** Stores a run as it is (a test's starting point), bypassing claim. */
  put(run: RunRecord): RunRecord {
    this.records.set(run.runKey, structuredClone(run));
    return run;
  }

  run(runKey: string): RunRecord {
    const run = this.records.get(runKey);
    if (!run) throw new Error(`no run ${runKey}; have ${[...this.records.keys()].join(", ")}`);
    return run;
  }
}

/** A bucket holding only the objects a test puts there. */
export class FakeStorage implements StorageApi {
  /** `bucket/name` → size in bytes. */
  readonly objects = new Map<string, number>();
  readonly calls: string[] = [];
  /** When set, every call fails with a fresh error from this factory. */
  failAlways?: () => ApiError;

  async objectSize(bucket: string, name: string): Promise<number | undefined> {
    this.calls.push(`${bucket}/${name}`);
    if (this.failAlways) throw this.failAlways();
    return this.objects.get(`${bucket}/${name}`);
  }

  async listObjects(bucket: string, prefix: string): Promise<StoredObject[]> {
    this.calls.push(`list:${bucket}/${prefix}`);
    if (this.failAlways) throw this.failAlways();
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(`${bucket}/${prefix}`))
      .map(([key, sizeBytes]) => ({ name: key.slice(bucket.length + 1), sizeBytes }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Writes the overall metadata object an export to this prefix leaves behind. */
  putExport(outputUriPrefix: string, sizeBytes = 1234): void {
    const object = metadataObjectOf(outputUriPrefix);
    if (!object) throw new Error(`not an export prefix: ${outputUriPrefix}`);
    this.objects.set(`${object.bucket}/${object.name}`, sizeBytes);
  }
}

/** An alert channel that fails its next `failures` deliveries, then takes every alert. */
export class FakeChannel implements AlertChannel {
  readonly delivered: Alert[] = [];
  attempts = 0;

  constructor(
    readonly name: string,
    public failures = 0,
  ) {}

  async deliver(alert: Alert): Promise<void> {
    this.attempts++;
    if (this.failures > 0) {
      this.failures--;
      throw new Error(`${this.name} answered HTTP 503`);
    }
    this.delivered.push(structuredClone(alert));
  }
}

export interface CheckerTestDeps extends CheckerDeps {
  admin: FakeAdmin;
  storage: FakeStorage;
  ledger: FakeCheckerLedger;
  channels: FakeChannel[];
  log: Logger & { entries: LogEntry[] };
  sleeps: number[];
  clock: { now: () => Date; advance: (ms: number) => void };
}

export function makeCheckerDeps(
  p: {
    config?: Config;
    now?: string;
    admin?: FakeAdmin;
    storage?: FakeStorage;
    ledger?: FakeCheckerLedger;
    channels?: FakeChannel[];
  } = {},
): CheckerTestDeps {
  const clock = fixedClock(p.now ?? "2026-12-03T02:30:00Z");
  const sleeps: number[] = [];
  return {
    config: p.config ?? testConfig(),
    admin: p.admin ?? new FakeAdmin(),
    storage: p.storage ?? new FakeStorage(),
    ledger: p.ledger ?? new FakeCheckerLedger(),
    channels: p.channels ?? [],
    log: createMemoryLogger(),
    now: clock.now,
    clock,
    sleeps,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
}

/** The exporter's view of the same fakes, so a test can start exports the way production does. */
export function exporterDepsOf(deps: CheckerTestDeps): ExporterDeps {
  return {
    config: deps.config,
    admin: deps.admin,
    ledger: deps.ledger,
    log: deps.log,
    now: deps.now,
    sleep: deps.sleep,
    random: () => 0.5,
    identity: async () => "exporter@my-project.iam.gserviceaccount.com",
  };
}
