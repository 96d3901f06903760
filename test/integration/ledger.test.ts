/**
 * The Firestore ledger over REST against the real Firestore emulator: create-if-absent, the
 * queries, and the compare-and-set writes that stand in for transactions, raced for real.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Alert } from "../../functions/src/alerts.js";
import { createFirestoreLedger, type Ledger, ledgerRestCall } from "../../functions/src/ledger.js";
import type { RunRecord } from "../../functions/src/run.js";
import { type Emulator, startFirestoreEmulator } from "../../local/emulators.js";

let emulator: Emulator;
let databases = 0;

/** A ledger in a database of its own, so that tests never see each other's documents. */
function freshLedger(): Ledger {
  const databaseId = `ledger-${++databases}-${Date.now()}`;
  return createFirestoreLedger({
    database: { project: "demo-ledger", databaseId, name: `projects/demo-ledger/databases/${databaseId}` },
    collection: "runs",
    rest: ledgerRestCall(`http://${emulator.host}`, 10_000),
  });
}

const NOW = new Date("2026-12-03T02:00:05Z");

function run(key: string, patch: Partial<RunRecord> = {}): RunRecord {
  return {
    runKey: key,
    database: "projects/demo-ledger/databases/(default)",
    trigger: { kind: "scheduled", messageId: "m-1", publishTime: NOW.toISOString() },
    outputUriPrefix: `gs://b/${key}`,
    apiVersion: "v1",
    request: { outputUriPrefix: `gs://b/${key}`, collectionIds: [] },
    state: "CLAIMED",
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    attempts: 1,
    alerts: {},
    open: true,
    ...patch,
  };
}

beforeAll(async () => {
  emulator = await startFirestoreEmulator();
}, 60_000);

afterAll(async () => {
  await emulator?.stop();
});

describe("runs", () => {
  it("claims once: the second claim gets the stored record, nested maps, numbers and nulls intact", async () => {
    const ledger = freshLedger();
    const first = run("a", { progress: { documents: 12, bytes: 3.5 }, error: null, leaseUntil: null });
    expect(await ledger.claim(first)).toBeUndefined();
    expect(await ledger.claim(run("a", { state: "FAILED" }))).toEqual(first);
    await ledger.update("a", { state: "RUNNING", operationName: "op-1" });
    expect(await ledger.get("a")).toEqual({ ...first, state: "RUNNING", operationName: "op-1" });
    expect(await ledger.get("missing")).toBeUndefined();
  });

  it("refuses to update a run that does not exist", async () => {
    await expect(freshLedger().update("ghost", { state: "RUNNING" })).rejects.toThrow(/NOT_FOUND|404/);
  });

  it("lists open runs, and runs newest first per database or over all", async () => {
    const ledger = freshLedger();
    const at = (m: number) => new Date(NOW.getTime() + m * 60_000).toISOString();
    await ledger.claim(run("old", { createdAt: at(0), open: false }));
    await ledger.claim(run("mid", { createdAt: at(1) }));
    await ledger.claim(run("new", { createdAt: at(2), database: "projects/demo-ledger/databases/other" }));
    expect((await ledger.listOpen()).map((r) => r.runKey).sort()).toEqual(["mid", "new"]);
    expect((await ledger.listRuns()).map((r) => r.runKey)).toEqual(["new", "mid", "old"]);
    expect((await ledger.listRuns({ limit: 2 })).map((r) => r.runKey)).toEqual(["new", "mid"]);
    expect(
      (await ledger.listRuns({ database: "projects/demo-ledger/databases/(default)" })).map((r) => r.runKey),
    ).toEqual(["mid", "old"]);
  });
});

describe("takeLease (compare-and-set)", () => {
  it("takes a lapsed lease once, however many deliveries race for it", async () => {
    const ledger = freshLedger();
    await ledger.claim(run("r", { leaseUntil: new Date(NOW.getTime() - 1000).toISOString() }));
    const results = await Promise.all(Array.from({ length: 8 }, () => ledger.takeLease("r", NOW, 60_000)));
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    expect(await ledger.get("r")).toMatchObject({ attempts: 2, leaseUntil: "2026-12-03T02:01:05.000Z" });
  });

  it("leaves a held lease alone, unless it was parked for this message", async () => {
    const ledger = freshLedger();
    const held = new Date(NOW.getTime() + 60_000).toISOString();
    await ledger.claim(run("held", { leaseUntil: held }));
    await ledger.claim(run("parked", { leaseUntil: held, parkedFor: "m-7" }));
    expect(await ledger.takeLease("held", NOW, 60_000, "m-7")).toBeUndefined();
    expect(await ledger.takeLease("parked", NOW, 60_000, "m-8")).toBeUndefined();
    expect(await ledger.takeLease("parked", NOW, 60_000, "m-7")).toMatchObject({ parkedFor: null });
  });

  it("never takes the lease of a run that already has its operation", async () => {
    const ledger = freshLedger();
    await ledger.claim(run("started", { state: "RUNNING", operationName: "op-1" }));
    expect(await ledger.takeLease("started", NOW, 60_000)).toBeUndefined();
    expect(await ledger.takeLease("absent", NOW, 60_000)).toBeUndefined();
  });
});

describe("the checker's lock", () => {
  it("goes to one of many racing ticks, is kept by its holder, lapses, and is released only by it", async () => {
    const ledger = freshLedger();
    const got = await Promise.all(
      Array.from({ length: 6 }, (_, i) => ledger.acquireTickLock(`t${i}`, NOW, 60_000)),
    );
    expect(got.filter(Boolean)).toHaveLength(1);
    const holder = `t${got.indexOf(true)}`;
    expect(await ledger.acquireTickLock(holder, NOW, 60_000)).toBe(true);
    expect(await ledger.acquireTickLock("late", NOW, 60_000)).toBe(false);
    await ledger.releaseTickLock("late");
    expect(await ledger.acquireTickLock("late", NOW, 60_000)).toBe(false);
    expect(await ledger.acquireTickLock("late", new Date(NOW.getTime() + 61_000), 60_000)).toBe(true);
    await ledger.releaseTickLock("late");
    expect(await ledger.acquireTickLock("next", NOW, 60_000)).toBe(true);
  });
});

describe("alerts and targets", () => {
  it("creates an alert once, lists the pending ones, and keeps a target's status", async () => {
    const ledger = freshLedger();
    const alert = {
      id: "r:export_failed",
      kind: "export_failed",
      severity: "ERROR",
      database: "projects/demo-ledger/databases/(default)",
      pending: true,
    } as unknown as Alert;
    expect(await ledger.createAlert(alert)).toBe(true);
    expect(await ledger.createAlert(alert)).toBe(false);
    expect((await ledger.pendingAlerts()).map((a) => a.id)).toEqual(["r:export_failed"]);
    await ledger.updateAlert("r:export_failed", { pending: false });
    expect(await ledger.pendingAlerts()).toEqual([]);

    const database = "projects/demo-ledger/databases/(default)";
    expect(await ledger.getTarget(database)).toBeUndefined();
    await ledger.saveTarget({ database, watchingSince: NOW.toISOString(), lastDocuments: 7 });
    await ledger.saveTarget({ database, watchingSince: NOW.toISOString() });
    // A save replaces the whole status: nothing of the earlier one lingers.
    expect(await ledger.getTarget(database)).toEqual({ database, watchingSince: NOW.toISOString() });
  });
});
