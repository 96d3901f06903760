import { describe, expect, it } from "vitest";
import { checkTick } from "../../functions/src/checker.js";
import type { RunRecord } from "../../functions/src/run.js";
import {
  DEFAULT_DB,
  FakeAdmin,
  FakeCheckerLedger,
  FakeStorage,
  makeCheckerDeps,
  testConfig,
} from "../support/fakes.js";

const PREFIX = "gs://my-bucket/firestore/(default)/2026/12/03/2026-12-03T02-00-00Z";

describe("checkTick writes only what changed", () => {
  it("a running export with no new progress costs no ledger write on later ticks", async () => {
    const admin = new FakeAdmin();
    const op = admin.start(DEFAULT_DB, PREFIX, { documents: 10, estimatedDocuments: 100 });
    const ledger = new FakeCheckerLedger();
    const run: RunRecord = {
      runKey: "schedule:my-project:(default):2026-12-03T02:00:00.000Z",
      database: DEFAULT_DB,
      trigger: { kind: "scheduled", messageId: "m1", publishTime: "2026-12-03T02:00:03.000Z" },
      outputUriPrefix: PREFIX,
      apiVersion: "v1",
      request: { outputUriPrefix: PREFIX },
      state: "RUNNING",
      operationName: op.name,
      createdAt: "2026-12-03T02:00:03.000Z",
      updatedAt: "2026-12-03T02:00:04.000Z",
      startedAt: "2026-12-03T02:00:04.512Z",
      attempts: 1,
      alerts: {},
      open: true,
    };
    ledger.put(run);
    const config = testConfig({
      EXPORT_TARGETS: JSON.stringify([{ database: DEFAULT_DB, bucket: "gs://my-bucket" }]),
    });
    const deps = makeCheckerDeps({ config, admin, ledger, now: "2026-12-03T02:10:00Z" });
    const updates = () => ledger.journal.filter((j) => j === `update:${run.runKey}`).length;

    await checkTick(deps);
    expect(updates()).toBe(1);
    expect(ledger.run(run.runKey).progress).toMatchObject({ documents: 10, estimatedDocuments: 100 });

    await checkTick(deps);
    expect(updates()).toBe(1);

    op.documents = 50;
    await checkTick(deps);
    expect(updates()).toBe(2);
    expect(ledger.run(run.runKey).progress?.documents).toBe(50);
  });
});

describe("what counts as a backup of a target", () => {
  const PREFIX_M = "gs://my-bucket/manual/(default)/2026-12-03T10-00-00Z-few-1a2b3c4d";
  const config = testConfig({
    EXPORT_TARGETS: JSON.stringify([{ database: DEFAULT_DB, bucket: "gs://my-bucket" }]),
  });

  function doneRun(
    admin: FakeAdmin,
    ledger: FakeCheckerLedger,
    storage: FakeStorage,
    collectionIds?: string[],
  ) {
    const op = admin.start(DEFAULT_DB, PREFIX_M);
    admin.finish(op.name, collectionIds ? { documents: 3 } : {});
    storage.objects.set(
      `my-bucket/manual/(default)/2026-12-03T10-00-00Z-few-1a2b3c4d/2026-12-03T10-00-00Z-few-1a2b3c4d.overall_export_metadata`,
      97,
    );
    const run: RunRecord = {
      runKey: `manual:m-${collectionIds ? "few" : "all"}:my-project:(default)`,
      database: DEFAULT_DB,
      trigger: { kind: "manual", messageId: "m", publishTime: "2026-12-03T10:00:00.000Z" },
      outputUriPrefix: PREFIX_M,
      apiVersion: "v1",
      request: { outputUriPrefix: PREFIX_M, ...(collectionIds && { collectionIds }) },
      state: "RUNNING",
      operationName: op.name,
      createdAt: "2026-12-03T10:00:00.000Z",
      updatedAt: "2026-12-03T10:00:00.000Z",
      startedAt: "2026-12-03T10:00:01.000Z",
      attempts: 1,
      alerts: {},
      open: true,
    };
    ledger.put(run);
    return run;
  }

  it("a manual export of a few collections does not reset the freshness clock", async () => {
    const admin = new FakeAdmin();
    const ledger = new FakeCheckerLedger();
    const storage = new FakeStorage();
    const run = doneRun(admin, ledger, storage, ["users"]);
    const deps = makeCheckerDeps({ config, admin, ledger, storage, now: "2026-12-03T10:05:00Z" });
    await checkTick(deps);
    expect(ledger.run(run.runKey).state).toBe("SUCCESSFUL");
    expect((await ledger.getTarget(DEFAULT_DB))?.lastVerifiedAt).toBeUndefined();
  });

  it("an export of the whole scope with no documents (no counter in the operation) warns of the drop", async () => {
    const admin = new FakeAdmin();
    const ledger = new FakeCheckerLedger();
    const storage = new FakeStorage();
    await ledger.saveTarget({
      database: DEFAULT_DB,
      watchingSince: "2026-12-01T00:00:00Z",
      lastDocuments: 1000,
    });
    doneRun(admin, ledger, storage);
    const deps = makeCheckerDeps({ config, admin, ledger, storage, now: "2026-12-03T10:05:00Z" });
    await checkTick(deps);
    expect(deps.log.entries.some((e) => e.event === "export.document_drop" && e.documents === 0)).toBe(true);
    expect((await ledger.getTarget(DEFAULT_DB))?.lastDocuments).toBe(0);
  });
});
