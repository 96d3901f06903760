import { describe, expect, it } from "vitest";
import { checkTick } from "../../functions/src/checker.js";
import { handleTrigger } from "../../functions/src/exporter.js";
import type { LogEntry } from "../../functions/src/log.js";
import {
  apiErrors,
  type CheckerTestDeps,
  DEFAULT_DB,
  delivery,
  exporterDepsOf,
  FakeAdmin,
  FakeChannel,
  makeCheckerDeps,
  ORDERS_DB,
  testConfig,
} from "../support/fakes.js";

const M = 60_000;
const H = 60 * M;
const AUDIT_DB = "projects/my-project/databases/audit-log";
const ONE_TARGET = testConfig({
  EXPORT_TARGETS: JSON.stringify([{ database: DEFAULT_DB, bucket: "gs://my-bucket" }]),
});
const THREE_TARGETS = testConfig({
  EXPORT_TARGETS: JSON.stringify([
    { database: DEFAULT_DB, bucket: "gs://my-bucket" },
    { database: ORDERS_DB, bucket: "gs://eu-bucket", prefix: "backups" },
    { database: AUDIT_DB, bucket: "gs://audit-bucket" },
  ]),
});
const KEY = "schedule:my-project:(default):2026-12-03T02:00:00.000Z";
const PREFIX = "gs://my-bucket/firestore/(default)/2026/12/03/2026-12-03T02-00-00Z";
const METADATA_NAME =
  "firestore/(default)/2026/12/03/2026-12-03T02-00-00Z/2026-12-03T02-00-00Z.overall_export_metadata";
const OP_1 = `${DEFAULT_DB}/operations/op-1`;
const F9_MESSAGE =
  "service-123456789@gcp-sa-firestore.iam.gserviceaccount.com does not have storage.objects.create access to the Google Cloud Storage object.";

/** Deps for one nightly target (windows: start 1h, completion 12h, freshness 37h), clock at the slot. */
function nightly(p: Parameters<typeof makeCheckerDeps>[0] = {}): CheckerTestDeps {
  return makeCheckerDeps({ config: ONE_TARGET, now: "2026-12-03T02:00:05Z", ...p });
}

/** The scheduled trigger of the 02:00 slot, through the real exporter. */
async function exportSlot(deps: CheckerTestDeps, publishTime = "2026-12-03T02:00:03Z") {
  return handleTrigger("", delivery(`msg-${publishTime}`, publishTime), exporterDepsOf(deps));
}

/** A manual trigger of one database, through the real exporter. */
async function exportManual(deps: CheckerTestDeps, messageId: string, database = DEFAULT_DB) {
  const result = await handleTrigger(
    JSON.stringify({ database }),
    delivery(messageId, deps.now().toISOString()),
    exporterDepsOf(deps),
  );
  const [run] = result.runs;
  if (run?.outcome !== "started") throw new Error(`manual export not started: ${JSON.stringify(result)}`);
  return run;
}

function logged(deps: CheckerTestDeps, event: string): LogEntry[] {
  return deps.log.entries.filter((e) => e.event === event);
}

function lastTickLine(deps: CheckerTestDeps): LogEntry {
  const ticks = logged(deps, "check.tick");
  const last = ticks[ticks.length - 1];
  if (!last) throw new Error("no check.tick log line");
  return last;
}

/** Moves the clock to an absolute time. */
function setClock(deps: CheckerTestDeps, iso: string) {
  deps.clock.advance(new Date(iso).getTime() - deps.now().getTime());
}

describe("checkTick: following a run to a verified end (F4, F10)", () => {
  it("moves a RUNNING run to SUCCESSFUL only when the metadata object is in the bucket", async () => {
    const deps = nightly();
    await exportSlot(deps);
    expect(deps.ledger.run(KEY)).toMatchObject({ state: "RUNNING", operationName: OP_1, open: true });

    setClock(deps, "2026-12-03T02:10:00Z");
    deps.admin.update(OP_1, { documents: 5012, estimatedDocuments: 12000 });
    const first = await checkTick(deps);
    expect(first.apiCalls).toEqual({ get: 1, list: 0, storage: 0, cancel: 0 });
    expect(deps.ledger.run(KEY)).toMatchObject({
      state: "RUNNING",
      open: true,
      operationState: "PROCESSING",
      progress: { documents: 5012, estimatedDocuments: 12000 },
    });
    expect(deps.storage.calls).toEqual([]);

    deps.admin.finish(OP_1, { documents: 12000, bytes: 3_300_000, endTime: "2026-12-03T02:40:00Z" });
    deps.storage.putExport(PREFIX, 1834);
    setClock(deps, "2026-12-03T02:45:00Z");
    const second = await checkTick(deps);

    expect(second.apiCalls).toEqual({ get: 1, list: 0, storage: 1, cancel: 0 });
    expect(second.alertsRaised).toEqual([]);
    expect(deps.storage.calls).toEqual([`my-bucket/${METADATA_NAME}`]);
    expect(deps.ledger.run(KEY)).toMatchObject({
      state: "SUCCESSFUL",
      open: false,
      restorable: true,
      error: null,
      endedAt: "2026-12-03T02:40:00Z",
      progress: { documents: 12000, bytes: 3_300_000 },
      verification: {
        checkedAt: "2026-12-03T02:45:00.000Z",
        metadataObject: `gs://my-bucket/${METADATA_NAME}`,
        present: true,
        sizeBytes: 1834,
      },
    });
    // The documents and the time of the verified export are what freshness and drops are judged by.
    expect(deps.ledger.targets.get(DEFAULT_DB)).toEqual({
      database: DEFAULT_DB,
      watchingSince: "2026-12-03T02:10:00.000Z",
      lastVerifiedAt: "2026-12-03T02:40:00Z",
      lastVerifiedRunKey: KEY,
      lastDocuments: 12000,
    });
  });

  it("fails a finished export whose metadata object is absent: export_unverified, never restorable", async () => {
    const deps = nightly();
    await exportSlot(deps);
    deps.admin.finish(OP_1, { documents: 12000 });
    setClock(deps, "2026-12-03T02:45:00Z");

    const report = await checkTick(deps);

    expect(report.alertsRaised).toEqual(["export_unverified"]);
    expect(deps.ledger.run(KEY)).toMatchObject({
      state: "FAILED",
      open: false,
      restorable: false,
      error: { status: "UNVERIFIED", message: expect.stringContaining(`gs://my-bucket/${METADATA_NAME}`) },
      verification: { present: false },
    });
    expect(deps.ledger.targets.get(DEFAULT_DB)?.lastVerifiedAt).toBeUndefined();
  });

  it("keeps the run open when the bucket cannot be asked this tick, and verifies it on the next", async () => {
    const deps = nightly();
    await exportSlot(deps);
    deps.admin.finish(OP_1);
    deps.storage.putExport(PREFIX);
    deps.storage.failAlways = apiErrors.unavailable;
    setClock(deps, "2026-12-03T02:45:00Z");

    const first = await checkTick(deps);
    expect(first.errors).toBe(0);
    expect(first.alertsRaised).toEqual([]);
    expect(deps.ledger.run(KEY)).toMatchObject({ state: "RUNNING", open: true });

    deps.storage.failAlways = undefined;
    deps.clock.advance(10 * M);
    await checkTick(deps);
    expect(deps.ledger.run(KEY)).toMatchObject({ state: "SUCCESSFUL", open: false, restorable: true });
  });

  it("fails the run with the API's error verbatim when the operation ends in error (F9)", async () => {
    const deps = nightly({ channels: [new FakeChannel("webhook")] });
    await exportSlot(deps);
    deps.admin.finish(OP_1, {
      operationState: "FAILED",
      error: { code: 7, status: "PERMISSION_DENIED", message: F9_MESSAGE },
    });
    setClock(deps, "2026-12-03T02:05:00Z");

    const report = await checkTick(deps);

    expect(report.alertsRaised).toEqual(["export_failed"]);
    expect(deps.ledger.run(KEY)).toMatchObject({ state: "FAILED", open: false, restorable: false });
    const [raised] = logged(deps, "alert.raised");
    expect(raised).toMatchObject({
      severity: "ERROR",
      kind: "export_failed",
      database: DEFAULT_DB,
      runKey: KEY,
      outputUriPrefix: PREFIX,
      operationName: OP_1,
      error: `PERMISSION_DENIED: ${F9_MESSAGE}`,
    });
    expect(raised?.message).toContain("Next step:");
    expect(deps.storage.calls).toEqual([]);
    const delivered = deps.channels[0]?.delivered ?? [];
    expect(delivered.map((a) => a.kind)).toEqual(["export_failed"]);
  });

  it("marks a run whose operation the API does not know LOST and alerts export_lost (F11)", async () => {
    const deps = nightly();
    await exportSlot(deps);
    deps.admin.operations.length = 0; // expired
    setClock(deps, "2026-12-03T02:15:00Z");

    const report = await checkTick(deps);

    expect(report.apiCalls.get).toBe(1);
    expect(report.alertsRaised).toEqual(["export_lost"]);
    expect(deps.ledger.run(KEY)).toMatchObject({
      state: "LOST",
      open: false,
      restorable: false,
      error: { status: "NOT_FOUND" },
    });
    expect(logged(deps, "alert.raised")[0]).toMatchObject({ severity: "CRITICAL", kind: "export_lost" });
  });
});

describe("checkTick: API cost", () => {
  it.each([
    ["one run: one get", [[DEFAULT_DB, 1]], { get: 1, list: 0 }],
    ["two runs in one database: two gets", [[DEFAULT_DB, 2]], { get: 2, list: 0 }],
    ["three runs in one database: one list (running, then done)", [[DEFAULT_DB, 3]], { get: 0, list: 2 }],
    ["ten runs in one database: one list", [[DEFAULT_DB, 10]], { get: 0, list: 2 }],
    [
      "runs over three databases: gets where cheaper, a list where not",
      [
        [DEFAULT_DB, 1],
        [ORDERS_DB, 4],
        [AUDIT_DB, 2],
      ],
      { get: 3, list: 2 },
    ],
  ] as Array<[string, Array<[string, number]>, { get: number; list: number }]>)(
    "%s",
    async (_what, layout, expected) => {
      const deps = makeCheckerDeps({ config: THREE_TARGETS, now: "2026-12-03T10:00:00Z" });
      const keys: string[] = [];
      for (const [database, count] of layout) {
        for (let i = 0; i < count; i++)
          keys.push((await exportManual(deps, `m-${database}-${i}`, database)).runKey);
      }
      for (const op of deps.admin.operations) op.documents = 777;
      deps.clock.advance(5 * M);

      const report = await checkTick(deps);

      expect(report.apiCalls).toEqual({ ...expected, storage: 0, cancel: 0 });
      expect(report.runsChecked).toBe(keys.length);
      expect(deps.admin.getCalls).toHaveLength(expected.get);
      expect(deps.admin.listCalls.map((c) => c.filter).filter((f) => f === "done=true")).toHaveLength(
        expected.list / 2,
      );
      for (const key of keys) expect(deps.ledger.run(key).progress?.documents).toBe(777);
      expect(lastTickLine(deps)).toMatchObject({ apiCalls: report.apiCalls, runsChecked: keys.length });
    },
  );

  it("finds finished operations in the list of done ones", async () => {
    const deps = makeCheckerDeps({ config: ONE_TARGET, now: "2026-12-03T10:00:00Z" });
    const runs = [];
    for (let i = 0; i < 4; i++) runs.push(await exportManual(deps, `m-${i}`));
    for (const run of runs) {
      deps.admin.finish(run.operationName ?? "", { documents: 100 });
      deps.storage.putExport(run.outputUriPrefix);
    }
    deps.clock.advance(H);

    const report = await checkTick(deps);

    expect(report.apiCalls).toEqual({ get: 0, list: 2, storage: 4, cancel: 0 });
    for (const run of runs) expect(deps.ledger.run(run.runKey).state).toBe("SUCCESSFUL");
  });

  it("falls back to one get per run when listing fails", async () => {
    const deps = makeCheckerDeps({ config: ONE_TARGET, now: "2026-12-03T10:00:00Z" });
    for (let i = 0; i < 3; i++) await exportManual(deps, `m-${i}`);
    deps.admin.failList = apiErrors.unavailable;

    const report = await checkTick(deps);

    expect(report.apiCalls).toMatchObject({ list: 1, get: 3 });
    expect(report.errors).toBe(0);
    expect(logged(deps, "check.list_failed")).toHaveLength(1);
  });
});

describe("checkTick: one failure never hides the others (F3)", () => {
  it("counts a failing get as an error and still updates the other runs", async () => {
    const deps = makeCheckerDeps({ config: ONE_TARGET, now: "2026-12-03T10:00:00Z" });
    const broken = await exportManual(deps, "m-1");
    const healthy = await exportManual(deps, "m-2");
    deps.admin.failGet.set(broken.operationName ?? "", apiErrors.permissionDenied);
    deps.admin.finish(healthy.operationName ?? "", {
      operationState: "FAILED",
      error: { code: 7, status: "PERMISSION_DENIED", message: F9_MESSAGE },
    });

    const report = await checkTick(deps);

    expect(report.errors).toBe(1);
    expect(report.runsChecked).toBe(2);
    expect(report.alertsRaised).toEqual(["export_failed"]);
    expect(deps.ledger.run(broken.runKey)).toMatchObject({ state: "RUNNING", open: true });
    expect(deps.ledger.run(healthy.runKey)).toMatchObject({ state: "FAILED", open: false });
    const [failed] = logged(deps, "check.failed");
    expect(failed).toMatchObject({ severity: "ERROR", runKey: broken.runKey, database: DEFAULT_DB });
    expect(failed?.message).toContain("The caller does not have permission");
    expect(lastTickLine(deps)).toMatchObject({ severity: "WARNING", errors: 1 });
  });

  it("waits for the next tick on a retryable get, without counting an error", async () => {
    const deps = makeCheckerDeps({ config: ONE_TARGET, now: "2026-12-03T10:00:00Z" });
    const run = await exportManual(deps, "m-1");
    deps.admin.failGet.set(run.operationName ?? "", apiErrors.unavailable);

    const report = await checkTick(deps);

    expect(report.errors).toBe(0);
    expect(logged(deps, "check.retry_later")).toHaveLength(1);
    expect(deps.ledger.run(run.runKey)).toMatchObject({ state: "RUNNING", open: true });
    expect(lastTickLine(deps).severity).toBe("INFO");
  });
});

describe("checkTick: runs without an operation (DESIGN 3.4)", () => {
  it("reconciles a claim whose operation was never recorded by listing operations by prefix", async () => {
    const deps = nightly();
    // The export starts, then the function dies before writing the operation name.
    deps.ledger.failNextUpdate = new Error("4 DEADLINE_EXCEEDED: ledger write timed out");
    await exportSlot(deps);
    expect(deps.ledger.run(KEY)).toMatchObject({ state: "CLAIMED" });
    expect(deps.ledger.run(KEY).operationName).toBeUndefined();
    expect(deps.admin.operations.map((o) => o.outputUriPrefix)).toEqual([PREFIX]);
    deps.clock.advance(2 * M);

    const report = await checkTick(deps);

    expect(report.apiCalls).toEqual({ get: 0, list: 2, storage: 0, cancel: 0 });
    expect(deps.ledger.run(KEY)).toMatchObject({
      state: "RUNNING",
      operationName: OP_1,
      startedAt: "2026-12-03T02:00:04.512Z",
      leaseUntil: null,
      open: true,
    });
    expect(logged(deps, "check.reconciled")[0]).toMatchObject({ runKey: KEY, operationName: OP_1 });
    expect(report.alertsRaised).toEqual([]);
    expect(deps.admin.exportCalls).toHaveLength(1);
  });

  it("leaves a claim alone while it is inside its start window", async () => {
    const deps = nightly({ admin: Object.assign(new FakeAdmin(), { failAlways: apiErrors.unavailable }) });
    await exportSlot(deps);
    setClock(deps, "2026-12-03T02:59:00Z");

    const report = await checkTick(deps);

    expect(report.alertsRaised).toEqual([]);
    expect(deps.ledger.run(KEY)).toMatchObject({ state: "CLAIMED", open: true });
  });

  it("alerts once, without listing operations, a claim still queued behind the quota past its start window", async () => {
    const deps = nightly();
    await deps.ledger.claim({
      runKey: KEY,
      database: DEFAULT_DB,
      trigger: { kind: "scheduled", messageId: "msg-1", publishTime: "2026-12-03T02:00:03Z" },
      outputUriPrefix: PREFIX,
      apiVersion: "v1",
      request: { outputUriPrefix: PREFIX },
      state: "CLAIMED",
      createdAt: "2026-12-03T02:00:05Z",
      updatedAt: "2026-12-03T02:00:05Z",
      attempts: 1,
      alerts: {},
      open: true,
      leaseUntil: "2026-12-03T05:00:00Z",
      parkedFor: "msg-1",
    });
    // Past the start window, but the lease says a delivery still owns the start.
    setClock(deps, "2026-12-03T04:00:00Z");

    const report = await checkTick(deps);

    expect(deps.admin.listCalls).toEqual([]);
    expect(report.alertsRaised).toEqual(["export_not_started"]);
    // It may still start: the run stays open, and the alert is not raised again.
    expect(deps.ledger.run(KEY)).toMatchObject({ state: "CLAIMED", open: true });
    const next = await checkTick(deps);
    expect(next.alertsRaised).toEqual([]);
    expect(deps.admin.listCalls).toEqual([]);
  });

  it("says why when the export quota never makes room: export_not_started carries the quota's remedy", async () => {
    const deps = nightly({
      config: testConfig({
        EXPORT_TARGETS: JSON.stringify([{ database: DEFAULT_DB, bucket: "gs://my-bucket" }]),
        EXPORT_TIME_BUDGET: "30s",
      }),
      admin: Object.assign(new FakeAdmin(), { failAlways: apiErrors.quota }),
    });
    // Waiting really moves the clock here, as the pacer's sleeps do in production.
    const exporter = { ...exporterDepsOf(deps), sleep: async (ms: number) => deps.clock.advance(ms) };
    const result = await handleTrigger("", delivery("msg-1", "2026-12-03T02:00:03Z"), exporter);
    expect(result.runs.map((r) => r.outcome)).toEqual(["deferred"]);
    expect(deps.ledger.run(KEY)).toMatchObject({
      state: "CLAIMED",
      error: { code: 429, status: "RESOURCE_EXHAUSTED", hint: expect.stringMatching(/export quota/) },
    });

    // Pub/Sub redelivers the message every few minutes; each delivery waits out its budget again.
    while (deps.now().getTime() < Date.parse("2026-12-03T03:01:00Z")) {
      deps.clock.advance(8 * M);
      await handleTrigger("", delivery("msg-1", "2026-12-03T02:00:03Z"), exporter);
    }
    const report = await checkTick(deps);

    expect(report.alertsRaised).toEqual(["export_not_started"]);
    expect(logged(deps, "alert.raised")[0]).toMatchObject({
      kind: "export_not_started",
      nextStep: expect.stringMatching(/^The project's export quota/),
    });
    // The slot has no export yet, but its delivery is still trying: the run stays open.
    expect(deps.ledger.run(KEY)).toMatchObject({ state: "CLAIMED", open: true });
  });

  it("marks a claim that never got an operation NOT_STARTED after the start window, naming the last error", async () => {
    const deps = nightly({ admin: Object.assign(new FakeAdmin(), { failAlways: apiErrors.unavailable }) });
    await exportSlot(deps);
    expect(deps.ledger.run(KEY)).toMatchObject({ state: "CLAIMED", leaseUntil: null });
    setClock(deps, "2026-12-03T03:05:00Z");

    const report = await checkTick(deps);

    expect(report.alertsRaised).toEqual(["export_not_started"]);
    const run = deps.ledger.run(KEY);
    expect(run).toMatchObject({ state: "FAILED", open: false, error: { status: "NOT_STARTED" } });
    expect(run.error?.message).toContain("UNAVAILABLE: The service is currently unavailable.");
    expect(Object.keys(run.alerts)).toEqual(["export_not_started"]);

    deps.clock.advance(10 * M);
    expect((await checkTick(deps)).alertsRaised).toEqual([]);
    expect(logged(deps, "alert.raised")).toHaveLength(1);
  });

  it("alerts export_not_started once for the exporter's own final failure, and closes the run", async () => {
    const deps = nightly({
      admin: Object.assign(new FakeAdmin(), { failAlways: apiErrors.permissionDenied }),
    });
    await exportSlot(deps);
    expect(deps.ledger.run(KEY)).toMatchObject({ state: "FAILED", open: true });
    expect(deps.ledger.run(KEY).operationName).toBeUndefined();

    const first = await checkTick(deps);
    deps.clock.advance(10 * M);
    const second = await checkTick(deps);

    expect(first.alertsRaised).toEqual(["export_not_started"]);
    expect(second.alertsRaised).toEqual([]);
    expect(second.runsChecked).toBe(0);
    expect(first.apiCalls).toEqual({ get: 0, list: 0, storage: 0, cancel: 0 });
    expect(deps.ledger.run(KEY)).toMatchObject({
      state: "FAILED",
      open: false,
      error: { status: "PERMISSION_DENIED" },
    });
    const raised = logged(deps, "alert.raised");
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ kind: "export_not_started", severity: "CRITICAL" });
    expect(raised[0]?.error).toContain("PERMISSION_DENIED: The caller does not have permission");
  });
});

describe("checkTick: exactly once", () => {
  it("raises an alert once even when the tick dies after raising it", async () => {
    const deps = nightly();
    await exportSlot(deps);
    deps.admin.finish(OP_1, {
      operationState: "CANCELLED",
      error: { code: 1, status: "CANCELLED", message: "Cancelled." },
    });
    deps.ledger.failNextUpdate = new Error("14 UNAVAILABLE: ledger unreachable");

    const first = await checkTick(deps);
    expect(first.alertsRaised).toEqual(["export_cancelled"]);
    expect(first.errors).toBe(1);
    expect(deps.ledger.run(KEY)).toMatchObject({ state: "RUNNING", open: true });

    for (let i = 0; i < 5; i++) {
      deps.clock.advance(10 * M);
      expect((await checkTick(deps)).alertsRaised).toEqual([]);
    }

    expect(deps.ledger.run(KEY)).toMatchObject({ state: "CANCELLED", open: false, restorable: false });
    // The second tick tried again, the ledger answered "exists", and nothing was logged twice.
    const creates = deps.ledger.journal.filter((j) => j === `createAlert:export_cancelled:${KEY}`);
    expect(creates).toHaveLength(2);
    expect(logged(deps, "alert.raised")).toHaveLength(1);
    expect([...deps.ledger.alerts.keys()]).toEqual([`export_cancelled:${KEY}`]);
  });

  it("alerts a stuck export once over many ticks and does not cancel it by default", async () => {
    const deps = nightly();
    await exportSlot(deps);
    setClock(deps, "2026-12-03T14:00:00Z");
    expect((await checkTick(deps)).alertsRaised).toEqual([]);

    const raisedPerTick: string[][] = [];
    for (let i = 0; i < 6; i++) {
      deps.clock.advance(10 * M);
      raisedPerTick.push((await checkTick(deps)).alertsRaised);
    }

    expect(raisedPerTick).toEqual([["export_stuck"], [], [], [], [], []]);
    expect(deps.admin.cancelCalls).toEqual([]);
    expect(deps.ledger.run(KEY)).toMatchObject({ state: "RUNNING", open: true });
    expect(Object.keys(deps.ledger.run(KEY).alerts)).toEqual(["export_stuck"]);
  });

  it("cancels a stuck export once with STUCK_ACTION=cancel", async () => {
    const config = testConfig({
      EXPORT_TARGETS: JSON.stringify([{ database: DEFAULT_DB, bucket: "gs://my-bucket" }]),
      STUCK_ACTION: "cancel",
    });
    const deps = nightly({ config });
    await exportSlot(deps);
    setClock(deps, "2026-12-03T14:01:00Z");

    const first = await checkTick(deps);
    deps.clock.advance(10 * M);
    const second = await checkTick(deps);

    expect(first.alertsRaised).toEqual(["export_stuck"]);
    expect(first.apiCalls.cancel).toBe(1);
    expect(second.apiCalls.cancel).toBe(0);
    expect(deps.admin.cancelCalls).toEqual([OP_1]);
    expect(logged(deps, "check.cancelled")).toHaveLength(1);
    expect(deps.ledger.run(KEY).operationState).toBe("CANCELLING");

    deps.admin.finish(OP_1, {
      operationState: "CANCELLED",
      error: { code: 1, status: "CANCELLED", message: "Cancelled." },
    });
    deps.clock.advance(10 * M);
    // export_stuck already said the checker cancelled it: no second alert for the same problem.
    expect((await checkTick(deps)).alertsRaised).toEqual([]);
    expect(deps.ledger.run(KEY)).toMatchObject({ state: "CANCELLED", open: false, restorable: false });
    const stuck = deps.log.entries.find((e) => e.event === "alert.raised" && e.kind === "export_stuck");
    expect(String(stuck?.nextStep)).toMatch(/cancelled it \(STUCK_ACTION=cancel\)/);
    expect(String(stuck?.summary)).toMatch(/against a completion window of 12h/);
  });
});

describe("checkTick: delivering alerts (DESIGN 3.5)", () => {
  it("logs a failed delivery at ERROR with the whole alert, keeps it pending, and delivers it next tick", async () => {
    const webhook = new FakeChannel("webhook", 2);
    const topic = new FakeChannel("topic");
    const deps = nightly({ channels: [webhook, topic] });
    await exportSlot(deps);
    deps.admin.operations.length = 0;

    const first = await checkTick(deps);

    expect(first.alertsRaised).toEqual(["export_lost"]);
    expect(first.deliveriesFailed).toBe(1);
    expect(webhook.attempts).toBe(2);
    expect(deps.sleeps).toEqual([300]);
    const id = `export_lost:${KEY}`;
    const [failed] = logged(deps, "alert.delivery_failed");
    expect(failed).toMatchObject({
      severity: "ERROR",
      channel: "webhook",
      alert: {
        id,
        kind: "export_lost",
        severity: "CRITICAL",
        database: DEFAULT_DB,
        runKey: KEY,
        outputUriPrefix: PREFIX,
        operationName: OP_1,
        error: expect.stringContaining("NOT_FOUND"),
        summary: expect.stringContaining(PREFIX),
        nextStep: expect.any(String),
      },
    });
    expect(failed?.message).toContain("webhook answered HTTP 503");
    expect(deps.ledger.alerts.get(id)).toMatchObject({
      pending: true,
      deliveries: {
        webhook: { attempts: 1, lastError: "webhook answered HTTP 503" },
        topic: { attempts: 1, deliveredAt: "2026-12-03T02:00:05.000Z" },
      },
    });

    deps.clock.advance(5 * M);
    const second = await checkTick(deps);

    expect(second.deliveriesFailed).toBe(0);
    expect(second.alertsRaised).toEqual([]);
    expect(webhook.delivered.map((a) => a.id)).toEqual([id]);
    expect(topic.delivered.map((a) => a.id)).toEqual([id]);
    expect(deps.ledger.alerts.get(id)).toMatchObject({
      pending: false,
      deliveries: { webhook: { attempts: 2, deliveredAt: "2026-12-03T02:05:05.000Z" } },
    });
    expect(logged(deps, "alert.sent").map((e) => e.channel)).toEqual(["topic", "webhook"]);

    deps.clock.advance(5 * M);
    await checkTick(deps);
    expect(webhook.delivered).toHaveLength(1);
    expect(topic.delivered).toHaveLength(1);
  });

  it("retries within the tick before giving up on a channel", async () => {
    const webhook = new FakeChannel("webhook", 1);
    const deps = nightly({ channels: [webhook] });
    await exportSlot(deps);
    deps.admin.operations.length = 0;

    const report = await checkTick(deps);

    expect(report.deliveriesFailed).toBe(0);
    expect(webhook.delivered).toHaveLength(1);
    expect(logged(deps, "alert.delivery_failed")).toEqual([]);
  });
});

describe("checkTick: alerts that need no operation (F5)", () => {
  const SLOT_KEY = (day: string) => `schedule:my-project:(default):2026-12-${day}T02:00:00.000Z`;

  it("records a missed slot as a FAILED run with NOT_STARTED and alerts export_not_started once", async () => {
    const deps = nightly({ now: "2026-12-02T12:00:00Z" });
    await checkTick(deps);

    setClock(deps, "2026-12-03T02:59:00Z");
    expect((await checkTick(deps)).alertsRaised).toEqual([]);
    expect(deps.ledger.records.size).toBe(0);

    setClock(deps, "2026-12-03T03:01:00Z");
    const report = await checkTick(deps);

    expect(report.alertsRaised).toEqual(["export_not_started"]);
    expect(deps.ledger.run(SLOT_KEY("03"))).toMatchObject({
      state: "FAILED",
      open: false,
      restorable: false,
      outputUriPrefix: PREFIX,
      trigger: { kind: "scheduled", slot: "2026-12-03T02:00:00.000Z" },
      error: { status: "NOT_STARTED", message: expect.stringContaining("2026-12-03T02:00:00.000Z") },
    });
    expect(logged(deps, "alert.raised")[0]).toMatchObject({
      kind: "export_not_started",
      severity: "CRITICAL",
    });

    for (let i = 0; i < 5; i++) {
      deps.clock.advance(10 * M);
      expect((await checkTick(deps)).alertsRaised).toEqual([]);
    }
    expect(deps.ledger.records.size).toBe(1);
  });

  it("does not call a slot missed when its run exists", async () => {
    const deps = nightly({ now: "2026-12-02T12:00:00Z" });
    await checkTick(deps);
    setClock(deps, "2026-12-03T02:00:05Z");
    await exportSlot(deps);

    setClock(deps, "2026-12-03T03:30:00Z");
    const report = await checkTick(deps);

    expect(report.alertsRaised).toEqual([]);
    expect(deps.ledger.records.size).toBe(1);
    expect(deps.ledger.run(KEY).state).toBe("RUNNING");
  });

  it("raises backup_stale once per stale period, also when no run ever existed", async () => {
    // A schedule that fires rarely keeps missed-slot alerts out of the way.
    const config = testConfig({
      EXPORT_TARGETS: JSON.stringify([
        { database: DEFAULT_DB, bucket: "gs://my-bucket", freshnessWindow: "37h" },
      ]),
      EXPORT_SCHEDULE: "0 2 1 1 *",
    });
    const deps = makeCheckerDeps({ config, now: "2026-12-01T00:00:00Z" });
    const stale = () => logged(deps, "alert.raised").filter((e) => e.kind === "backup_stale");
    const tickEvery = async (hours: number, step = H) => {
      for (let t = 0; t < hours * H; t += step) {
        deps.clock.advance(step);
        await checkTick(deps);
      }
    };

    await checkTick(deps);
    await tickEvery(36);
    expect(stale()).toEqual([]);
    await tickEvery(2);
    expect(stale()).toHaveLength(1);
    expect(stale()[0]).toMatchObject({
      id: "backup_stale:my-project:(default):2026-12-01T00:00:00.000Z",
      severity: "CRITICAL",
      database: DEFAULT_DB,
    });
    await tickEvery(24);
    expect(stale()).toHaveLength(1);

    // A verified export arrives (at 2026-12-03T02:40), then freshness runs out again 37 h later.
    setClock(deps, "2026-12-03T02:30:00Z");
    const run = await exportManual(deps, "m-rescue");
    deps.admin.finish(run.operationName ?? "", { endTime: "2026-12-03T02:40:00Z", documents: 10 });
    deps.storage.putExport(run.outputUriPrefix);
    setClock(deps, "2026-12-03T02:45:00Z");
    await checkTick(deps);
    expect(deps.ledger.run(run.runKey).state).toBe("SUCCESSFUL");

    // Ticks up to exactly 37 h after it: still fresh.
    setClock(deps, "2026-12-04T14:40:00Z");
    await tickEvery(1, 10 * M);
    expect(deps.now().toISOString()).toBe("2026-12-04T15:40:00.000Z");
    expect(stale()).toHaveLength(1);
    await tickEvery(3);
    expect(stale()).toHaveLength(2);
    expect(stale()[1]?.id).toBe("backup_stale:my-project:(default):2026-12-03T02:40:00Z");
  });

  it("counts freshness from the newest verified export, not from a late, older one", async () => {
    const deps = nightly({ now: "2026-12-03T10:00:00Z" });
    await deps.ledger.saveTarget({
      database: DEFAULT_DB,
      watchingSince: "2026-12-01T00:00:00.000Z",
      lastVerifiedAt: "2026-12-03T09:00:00.000Z",
      lastVerifiedRunKey: "manual:newer",
      lastDocuments: 100,
    });
    const run = await exportManual(deps, "m-older");
    deps.admin.finish(run.operationName ?? "", { endTime: "2026-12-03T08:00:00Z", documents: 100 });
    deps.storage.putExport(run.outputUriPrefix);

    await checkTick(deps);

    expect(deps.ledger.run(run.runKey).state).toBe("SUCCESSFUL");
    expect(deps.ledger.targets.get(DEFAULT_DB)).toMatchObject({
      lastVerifiedAt: "2026-12-03T09:00:00.000Z",
      lastVerifiedRunKey: "manual:newer",
    });
  });
});

describe("checkTick: document count (F4)", () => {
  async function verifyWith(documents: number, env: Record<string, string> = {}) {
    const config = testConfig({
      EXPORT_TARGETS: JSON.stringify([{ database: DEFAULT_DB, bucket: "gs://my-bucket" }]),
      ...env,
    });
    const deps = nightly({ config });
    await deps.ledger.saveTarget({
      database: DEFAULT_DB,
      watchingSince: "2026-11-01T00:00:00.000Z",
      lastVerifiedAt: "2026-12-02T02:40:00.000Z",
      lastVerifiedRunKey: "schedule:my-project:(default):2026-12-02T02:00:00.000Z",
      lastDocuments: 10_000,
    });
    await exportSlot(deps);
    deps.admin.finish(OP_1, { documents });
    deps.storage.putExport(PREFIX);
    setClock(deps, "2026-12-03T02:45:00Z");
    await checkTick(deps);
    expect(deps.ledger.run(KEY).state).toBe("SUCCESSFUL");
    return deps;
  }

  it("warns when a verified export holds far fewer documents than the previous one", async () => {
    const deps = await verifyWith(4000);
    const [drop] = logged(deps, "export.document_drop");
    expect(drop).toMatchObject({
      severity: "WARNING",
      runKey: KEY,
      database: DEFAULT_DB,
      documents: 4000,
      previousDocuments: 10_000,
    });
    expect(drop?.message).toContain("under 50%");
    expect(deps.ledger.targets.get(DEFAULT_DB)?.lastDocuments).toBe(4000);
  });

  it.each([
    ["a count above the ratio", 6000, {}],
    ["the same count", 10_000, {}],
    ["a ratio of 0 (never warn)", 10, { DOCUMENT_DROP_WARN_RATIO: "0" }],
  ])("does not warn for %s", async (_what, documents, env) => {
    const deps = await verifyWith(documents, env);
    expect(logged(deps, "export.document_drop")).toEqual([]);
    expect(deps.ledger.targets.get(DEFAULT_DB)?.lastDocuments).toBe(documents);
  });

  it("warns with a stricter ratio", async () => {
    const deps = await verifyWith(8000, { DOCUMENT_DROP_WARN_RATIO: "0.9" });
    expect(logged(deps, "export.document_drop")).toHaveLength(1);
  });
});

describe("checkTick: the tick log line", () => {
  it("logs check.tick with the API calls, the alerts raised and the errors", async () => {
    const deps = nightly();
    await exportSlot(deps);
    deps.admin.operations.length = 0;

    const report = await checkTick(deps);

    const line = lastTickLine(deps);
    expect(line).toMatchObject({
      severity: "INFO",
      event: "check.tick",
      runsChecked: 1,
      apiCalls: { get: 1, list: 0, storage: 0, cancel: 0 },
      alertsRaised: ["export_lost"],
      deliveriesFailed: 0,
      errors: 0,
    });
    expect(line.message).toBe(
      "Checked 1 open run(s) with 1 get, 0 list and 0 storage call(s); 1 alert(s) raised",
    );
    expect(line.ms).toBe(report.ms);
    expect(logged(deps, "check.tick")).toHaveLength(1);
  });

  it("rejects when the ledger cannot list open runs, so the tick is redelivered", async () => {
    const deps = nightly();
    deps.ledger.failListOpen = new Error("14 UNAVAILABLE: ledger unreachable");
    await expect(checkTick(deps)).rejects.toThrow("ledger unreachable");
  });
});
