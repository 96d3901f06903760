import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminClient } from "../../functions/src/admin-client.js";
import type { Alert } from "../../functions/src/alerts.js";
import type { RunRecord } from "../../functions/src/run.js";
import { LOCAL_BUCKET, LOCAL_PROJECT, type Stack, startStack } from "../../local/stack.js";
import { waitFor } from "../support/wait.js";

const MAIN_DB = `projects/${LOCAL_PROJECT}/databases/(default)`;
const IDLE_DB = `projects/${LOCAL_PROJECT}/databases/never-exported`;
const TARGETS = [
  { database: MAIN_DB, bucket: `gs://${LOCAL_BUCKET}`, completionWindow: "4s" },
  // A database nobody ever exports: the dead man's switch must notice.
  { database: IDLE_DB, bucket: `gs://${LOCAL_BUCKET}`, freshnessWindow: "3s" },
];

let stack: Stack;
const runs = () => stack.db("exporter-ledger").collection("firestoreExporterRuns");
const alerts = () => stack.db("exporter-ledger").collection("firestoreExporterRunsAlerts");

async function run(key: string): Promise<RunRecord | undefined> {
  return (await runs().doc(key).get()).data() as RunRecord | undefined;
}

async function alertsFor(runKey: string): Promise<Alert[]> {
  return (await alerts().where("runKey", "==", runKey).get()).docs.map((d) => d.data() as Alert);
}

function webhookAlerts(runKey: string) {
  return stack.webhook.received.filter((a) => a.runKey === runKey);
}

function checkerLogs(event: string, runKey?: string) {
  return stack.checker.logs.filter((l) => l.event === event && (runKey === undefined || l.runKey === runKey));
}

/** Starts a manual export of the main database under the given faults and returns its run key. */
async function manualExport(faults: string, label: string): Promise<string> {
  stack.gateway.setFaults(faults);
  const id = await stack.publishTrigger(JSON.stringify({ database: MAIN_DB, label }));
  return `manual:${id}:${LOCAL_PROJECT}:(default)`;
}

/** Waits until the checker closed the run and its alerts reached every channel. */
async function settled(key: string): Promise<RunRecord> {
  return waitFor(`run ${key} closed and alerted`, async () => {
    const r = await run(key);
    if (!r || r.open) return undefined;
    const pending = (await alertsFor(key)).filter((a) => a.pending);
    return pending.length === 0 ? r : undefined;
  });
}

/** Lets a few more checker ticks pass, so that a repeated alert would have had its chance. */
async function moreTicks(count = 3) {
  const start = checkerLogs("check.tick").length;
  await waitFor(`${count} more ticks`, () => checkerLogs("check.tick").length >= start + count, {
    timeoutMs: 20_000,
  });
}

beforeAll(async () => {
  stack = await startStack({
    stateDir: path.join(process.cwd(), ".local", "test-checker"),
    opMinDurationMs: 300,
    checkTickMs: 500,
    env: { EXPORT_TARGETS: JSON.stringify(TARGETS), START_WINDOW: "2s", EXPORT_RETRY_BASE_DELAY_MS: "50" },
  });
  const db = stack.db();
  await Promise.all([db.doc("users/u1").set({ name: "Ada" }), db.doc("users/u2").set({ name: "Grace" })]);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe("checkExports on the local stack", () => {
  it("verifies a successful export: metadata object present, counts recorded, restorable, no alert", async () => {
    const key = await manualExport("", "happy");
    const r = await settled(key);
    expect(r.state).toBe("SUCCESSFUL");
    expect(r.restorable).toBe(true);
    expect(r.verification?.present).toBe(true);
    expect(r.verification?.metadataObject).toMatch(/\.overall_export_metadata$/);
    expect(r.progress?.documents).toBe(2);
    expect(r.alerts).toEqual({});
    expect(webhookAlerts(key)).toHaveLength(0);
    const closed = checkerLogs("run.closed", key);
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ state: "SUCCESSFUL", restorable: true, documents: 2 });
  });

  it("op:FAILED → FAILED, one export_failed in the log and at the webhook, with the API error verbatim", async () => {
    const key = await manualExport("op:FAILED*1", "fails");
    const r = await settled(key);
    expect(r.state).toBe("FAILED");
    expect(r.restorable).toBe(false);
    await moreTicks();
    const logged = checkerLogs("alert.raised", key);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ kind: "export_failed", severity: "ERROR", database: MAIN_DB });
    const received = webhookAlerts(key);
    expect(received).toHaveLength(1);
    expect(String(received[0]?.error)).toContain("storage.objects.create");
    expect(String(received[0]?.nextStep)).toMatch(/service agent/);
    expect(received[0]?.outputUriPrefix).toBe(r.outputUriPrefix);
  });

  it("op:CANCELLED → CANCELLED, one export_cancelled, not restorable", async () => {
    const key = await manualExport("op:CANCELLED*1", "cancelled");
    const r = await settled(key);
    expect(r.state).toBe("CANCELLED");
    expect(r.restorable).toBe(false);
    expect(Object.keys(r.alerts)).toEqual(["export_cancelled"]);
    expect(webhookAlerts(key).map((a) => a.kind)).toEqual(["export_cancelled"]);
  });

  it("op:STUCK → one export_stuck after the completion window, not repeated on later ticks", async () => {
    const key = await manualExport("op:STUCK*1", "stuck");
    await waitFor("export_stuck", async () => (await run(key))?.alerts.export_stuck, { timeoutMs: 30_000 });
    await moreTicks(4);
    expect((await run(key))?.state).toBe("RUNNING");
    expect(checkerLogs("alert.raised", key)).toHaveLength(1);
    expect(webhookAlerts(key).map((a) => a.kind)).toEqual(["export_stuck"]);
  });

  it("storage:missing → not SUCCESSFUL, one export_unverified", async () => {
    const key = await manualExport("storage:missing*1", "unverified");
    const r = await settled(key);
    expect(r.state).not.toBe("SUCCESSFUL");
    expect(r.restorable).toBe(false);
    expect(r.verification?.present).toBe(false);
    expect(webhookAlerts(key).map((a) => a.kind)).toEqual(["export_unverified"]);
  });

  it("get:503*3 → still SUCCESSFUL: the checker tries again on later ticks", async () => {
    const key = await manualExport("get:503*3", "flaky-get");
    const r = await settled(key);
    expect(r.state).toBe("SUCCESSFUL");
    expect(checkerLogs("check.retry_later", key).length).toBeGreaterThan(0);
    expect(webhookAlerts(key)).toHaveLength(0);
  });

  it("reconciles a run whose exporter died between claim and record", async () => {
    const now = new Date();
    const prefix = `gs://${LOCAL_BUCKET}/firestore/(default)/crash/${now.getTime()}`;
    const admin = createAdminClient({ endpoint: stack.gateway.url, apiVersion: "v1", timeoutMs: 5000 });
    stack.gateway.setFaults("");
    const op = await admin.exportDocuments(MAIN_DB, { outputUriPrefix: prefix });
    const key = `manual:crash-${now.getTime()}:${LOCAL_PROJECT}:(default)`;
    await runs()
      .doc(key)
      .create(claimed(key, prefix, new Date(now.getTime() - 60_000)));
    const r = await settled(key);
    expect(r.operationName).toBe(op.name);
    expect(r.state).toBe("SUCCESSFUL");
    expect(checkerLogs("check.reconciled", key)).toHaveLength(1);
  });

  it("a claimed run with no operation anywhere becomes FAILED with export_not_started after the start window", async () => {
    const now = new Date();
    const key = `manual:dead-${now.getTime()}:${LOCAL_PROJECT}:(default)`;
    await runs()
      .doc(key)
      .create(claimed(key, `gs://${LOCAL_BUCKET}/firestore/(default)/dead/${now.getTime()}`, now));
    const r = await settled(key);
    expect(r.state).toBe("FAILED");
    expect(r.error?.status).toBe("NOT_STARTED");
    expect(webhookAlerts(key).map((a) => a.kind)).toEqual(["export_not_started"]);
  });

  it("an operation unknown to the API (NOT_FOUND) makes the run LOST with export_lost, never SUCCESSFUL", async () => {
    const now = new Date();
    const key = `manual:lost-${now.getTime()}:${LOCAL_PROJECT}:(default)`;
    await runs()
      .doc(key)
      .create({
        ...claimed(key, `gs://${LOCAL_BUCKET}/firestore/(default)/lost/${now.getTime()}`, now),
        state: "RUNNING",
        operationName: `${MAIN_DB}/operations/expired-long-ago`,
        startedAt: now.toISOString(),
      });
    const r = await settled(key);
    expect(r.state).toBe("LOST");
    expect(webhookAlerts(key).map((a) => a.kind)).toEqual(["export_lost"]);
  });

  it("a database with no export at all goes stale: one backup_stale per stale period", async () => {
    const stale = await waitFor("backup_stale for the idle database", () =>
      stack.webhook.received.find((a) => a.kind === "backup_stale" && a.database === IDLE_DB),
    );
    expect(String(stale.summary)).toContain("no verified export since monitoring began");
    await moreTicks();
    const all = stack.webhook.received.filter((a) => a.kind === "backup_stale" && a.database === IDLE_DB);
    expect(all).toHaveLength(1);
    // The main database has verified exports from the tests above and is fresh.
    expect(stack.webhook.received.some((a) => a.kind === "backup_stale" && a.database === MAIN_DB)).toBe(
      false,
    );
  });

  it("a failing webhook is retried on later ticks and the alert is never lost", async () => {
    stack.webhook.failNext(3);
    const key = await manualExport("op:FAILED*1", "webhook-down");
    const r = await settled(key);
    expect(r.state).toBe("FAILED");
    const failures = stack.checker.logs.filter(
      (l) =>
        l.event === "alert.delivery_failed" && (l.alert as { runKey?: string } | undefined)?.runKey === key,
    );
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]?.severity).toBe("ERROR");
    expect((failures[0]?.alert as { summary?: string } | undefined)?.summary).toContain("failed");
    expect(webhookAlerts(key).map((a) => a.kind)).toEqual(["export_failed"]);
    const [stored] = await alertsFor(key);
    expect(stored?.deliveries.webhook?.deliveredAt).toBeDefined();
    expect(stored?.deliveries.topic?.deliveredAt).toBeDefined();
  });

  it("logs the API calls of every tick", () => {
    const tick = checkerLogs("check.tick").at(-1);
    expect(tick?.apiCalls).toMatchObject({
      get: expect.any(Number),
      list: expect.any(Number),
      storage: expect.any(Number),
    });
  });
});

function claimed(key: string, prefix: string, created: Date): RunRecord {
  return {
    runKey: key,
    database: MAIN_DB,
    trigger: { kind: "manual", messageId: key, publishTime: created.toISOString() },
    outputUriPrefix: prefix,
    apiVersion: "v1",
    request: { outputUriPrefix: prefix },
    state: "CLAIMED",
    createdAt: created.toISOString(),
    updatedAt: created.toISOString(),
    attempts: 1,
    leaseUntil: new Date(created.getTime() - 1000).toISOString(),
    alerts: {},
    open: true,
  };
}
