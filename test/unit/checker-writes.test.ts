import { describe, expect, it } from "vitest";
import { checkTick } from "../../functions/src/checker.js";
import type { RunRecord } from "../../functions/src/run.js";
import { DEFAULT_DB, FakeAdmin, FakeCheckerLedger, makeCheckerDeps, testConfig } from "../support/fakes.js";

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
