import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminClient } from "../../functions/src/admin-client.js";
import type { RunRecord } from "../../functions/src/run.js";
import { countLevelDbRecords } from "../../local/leveldb-records.js";
import { LOCAL_BUCKET, LOCAL_PROJECT, type Stack, startStack } from "../../local/stack.js";
import { waitFor } from "../support/wait.js";

const OTHER_DB = "other-db";
const TARGETS = [
  {
    database: `projects/${LOCAL_PROJECT}/databases/(default)`,
    bucket: `gs://${LOCAL_BUCKET}`,
    prefix: "nightly",
  },
  {
    database: `projects/${LOCAL_PROJECT}/databases/${OTHER_DB}`,
    bucket: `gs://${LOCAL_BUCKET}/`,
    prefix: "/nightly/",
  },
];

let stack: Stack;
let slotHour = 0;

/** A distinct scheduled slot per test, so runs never collide across tests. */
function nextSlot(): string {
  slotHour += 1;
  return new Date(Date.UTC(2026, 10, 1, slotHour)).toISOString();
}

async function runsFor(slot: string): Promise<RunRecord[]> {
  const snapshot = await stack
    .db("exporter-ledger")
    .collection("firestoreExporterRuns")
    .where("trigger.slot", "==", slot)
    .get();
  return snapshot.docs.map((d) => d.data() as RunRecord);
}

async function settledRuns(slot: string, count: number): Promise<RunRecord[]> {
  return waitFor(`${count} settled runs for slot ${slot}`, async () => {
    const runs = await runsFor(slot);
    return runs.length === count && runs.every((r) => r.operationName || r.state !== "CLAIMED")
      ? runs
      : undefined;
  });
}

function exportCalls(): number {
  return stack.exporter.logs.filter((l) => l.event === "export.started" || l.event === "export.adopted")
    .length;
}

/** Counts the entities in an export folder by reading its LevelDB output files. */
function countExportedDocuments(folder: string): number {
  let total = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/^output-\d+$/.test(entry.name)) total += countLevelDbRecords(readFileSync(full));
    }
  };
  walk(folder);
  return total;
}

async function waitDone(run: RunRecord) {
  const admin = createAdminClient({ endpoint: stack.gateway.url, apiVersion: "v1", timeoutMs: 5000 });
  return waitFor(`operation ${run.operationName} done`, async () => {
    const op = await admin.getOperation(run.operationName ?? "");
    return op.done ? op : undefined;
  });
}

beforeAll(async () => {
  stack = await startStack({
    stateDir: path.join(process.cwd(), ".local", "test-exporter"),
    opMinDurationMs: 200,
    // The checker stays idle here so that runs keep the state the exporter gave them.
    checkTickMs: 3_600_000,
    env: {
      EXPORT_TARGETS: JSON.stringify(TARGETS),
      EXPORT_SCHEDULE: "0 * * * *",
      EXPORT_RETRY_BASE_DELAY_MS: "50",
    },
  });
  const main = stack.db();
  const batch = main.batch();
  for (let i = 0; i < 5; i++) batch.set(main.doc(`users/u${i}`), { n: i });
  for (let i = 0; i < 3; i++) batch.set(main.doc(`cities/c${i}`), { name: `city ${i}` });
  batch.set(main.doc("users/u0/orders/o1"), { total: 1.5 });
  await batch.commit();
  await stack.db(OTHER_DB).doc("things/t1").set({ only: "here" });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe("exportFirestore on the local stack", () => {
  it("exports every target of a scheduled slot to date-stamped folders with real export files", async () => {
    const slot = nextSlot();
    await stack.publishTrigger("{}", { scheduledTime: slot });
    const runs = await settledRuns(slot, 2);
    const main = runs.find((r) => r.database.endsWith("(default)"));
    const other = runs.find((r) => r.database.endsWith(OTHER_DB));
    expect(main?.outputUriPrefix).toBe(
      `gs://${LOCAL_BUCKET}/nightly/(default)/2026/11/01/2026-11-01T01-00-00Z`,
    );
    expect(other?.outputUriPrefix).toBe(
      `gs://${LOCAL_BUCKET}/nightly/${OTHER_DB}/2026/11/01/2026-11-01T01-00-00Z`,
    );
    for (const run of [main, other]) {
      expect(run?.state).toBe("RUNNING");
      expect(run?.operationName).toMatch(/\/operations\//);
      // The slot is far older than the version retention, so the export reads the newest whole minute.
      expect(run?.request.snapshotTime).toMatch(/:00Z$/);
    }
    const [mainOp, otherOp] = await Promise.all([waitDone(main as RunRecord), waitDone(other as RunRecord)]);
    expect(mainOp.operationState).toBe("SUCCESSFUL");
    const mainDir = stack.gateway.localPathFor(main?.outputUriPrefix ?? "");
    expect(existsSync(path.join(mainDir, "2026-11-01T01-00-00Z.overall_export_metadata"))).toBe(true);
    expect(
      existsSync(
        path.join(mainDir, "all_namespaces", "all_kinds", "all_namespaces_all_kinds.export_metadata"),
      ),
    ).toBe(true);
    expect(countExportedDocuments(mainDir)).toBe(9);
    expect(mainOp.documents).toBe(9);
    // The named database holds one document and exports only that one.
    expect(otherOp.documents).toBe(1);
    expect(countExportedDocuments(stack.gateway.localPathFor(other?.outputUriPrefix ?? ""))).toBe(1);
  });

  it("starts exactly one export when the same slot is delivered twice", async () => {
    const slot = nextSlot();
    const before = exportCalls();
    await stack.publishTrigger("{}", { scheduledTime: slot });
    await settledRuns(slot, 2);
    // A Scheduler retry is a second message for the same slot.
    await stack.publishTrigger("{}", { scheduledTime: slot });
    await waitFor(
      "two duplicate log lines",
      () =>
        stack.exporter.logs.filter((l) => l.event === "export.duplicate" && String(l.runKey).endsWith(slot))
          .length === 2,
    );
    expect(exportCalls() - before).toBe(2);
    expect((await runsFor(slot)).every((r) => r.attempts === 1)).toBe(true);
  });

  it("redelivery of the very same CloudEvent is a no-op", async () => {
    const slot = nextSlot();
    const envelope = {
      message: {
        data: Buffer.from("{}").toString("base64"),
        attributes: { scheduledTime: slot },
        messageId: `same-${slot}`,
        publishTime: new Date().toISOString(),
      },
      subscription: `projects/${LOCAL_PROJECT}/subscriptions/test`,
    };
    const post = () =>
      fetch(`${stack.exporter.url}/projects/${LOCAL_PROJECT}/topics/export-trigger`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(envelope),
      });
    const before = exportCalls();
    const [first, second] = await Promise.all([post(), post()]);
    expect([first.status, second.status].every((s) => s < 300)).toBe(true);
    await settledRuns(slot, 2);
    expect(exportCalls() - before).toBe(2);
  });

  it("retries 503 answers and then starts the export", async () => {
    const slot = nextSlot();
    stack.gateway.setFaults("export:503*2");
    await stack.publishTrigger("{}", { scheduledTime: slot });
    const runs = await settledRuns(slot, 2);
    expect(runs.every((r) => r.state === "RUNNING" && r.operationName)).toBe(true);
    const retries = stack.exporter.logs.filter(
      (l) => l.event === "export.retrying" && String(l.runKey).endsWith(slot),
    );
    expect(retries).toHaveLength(2);
    expect(retries[0]?.status).toBe("UNAVAILABLE");
  });

  it("records a 403 as a final error naming the identity and the missing permission, without retrying", async () => {
    const slot = nextSlot();
    stack.gateway.setFaults("export:403*1");
    await stack.publishTrigger("{}", { scheduledTime: slot });
    const runs = await settledRuns(slot, 2);
    const failed = runs.filter((r) => r.state === "FAILED");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.error?.status).toBe("PERMISSION_DENIED");
    expect(failed[0]?.error?.hint).toContain("datastore.databases.export");
    expect(failed[0]?.error?.hint).toContain("anonymous");
    expect(
      stack.exporter.logs.some((l) => l.event === "export.retrying" && String(l.runKey).endsWith(slot)),
    ).toBe(false);
    // The other target is unaffected.
    expect(runs.filter((r) => r.state === "RUNNING")).toHaveLength(1);
  });

  it("adopts the operation that already owns the prefix when the API answers Path already exists", async () => {
    const slot = nextSlot();
    const stamp = `${slot.slice(0, 13)}-00-00Z`;
    const prefix = `gs://${LOCAL_BUCKET}/nightly/(default)/2026/11/01/${stamp}`;
    // An earlier attempt whose ledger record was lost started this very export.
    const admin = createAdminClient({ endpoint: stack.gateway.url, apiVersion: "v1", timeoutMs: 5000 });
    const earlier = await admin.exportDocuments(`projects/${LOCAL_PROJECT}/databases/(default)`, {
      outputUriPrefix: prefix,
    });
    stack.gateway.setFaults("export:exists*1");
    await stack.publishTrigger("{}", { scheduledTime: slot });
    const runs = await settledRuns(slot, 2);
    const main = runs.find((r) => r.outputUriPrefix === prefix);
    expect(main?.state).toBe("RUNNING");
    expect(main?.operationName).toBe(earlier.name);
    expect(
      stack.exporter.logs.some((l) => l.event === "export.adopted" && l.operationName === earlier.name),
    ).toBe(true);
  });

  it("exports only the requested collection groups for a manual trigger", async () => {
    const before = Date.now();
    const id = await stack.publishTrigger(
      JSON.stringify({ database: TARGETS[0]?.database, collectionIds: ["cities"], label: "pre-migration" }),
    );
    const run = await waitFor("the manual run", async () => {
      const doc = await stack
        .db("exporter-ledger")
        .collection("firestoreExporterRuns")
        .doc(`manual:${id}:${LOCAL_PROJECT}:(default)`)
        .get();
      const data = doc.data() as RunRecord | undefined;
      return data?.operationName ? data : undefined;
    });
    expect(run.trigger).toMatchObject({ kind: "manual", label: "pre-migration" });
    expect(run.outputUriPrefix).toMatch(/-pre-migration-[0-9a-f]{8}$/);
    expect(Date.now() - before).toBeLessThan(60_000);
    const op = await waitDone(run);
    expect(op.documents).toBe(3);
    expect(countExportedDocuments(stack.gateway.localPathFor(run.outputUriPrefix))).toBe(3);
  });

  it("acknowledges and records a rejected manual message without exporting", async () => {
    const before = exportCalls();
    const id = await stack.publishTrigger(
      JSON.stringify({ database: "projects/elsewhere/databases/(default)", colectionIds: ["x"] }),
    );
    const run = await waitFor("the rejection record", async () => {
      const doc = await stack
        .db("exporter-ledger")
        .collection("firestoreExporterRuns")
        .doc(`rejected:${id}`)
        .get();
      return doc.data() as RunRecord | undefined;
    });
    expect(run.state).toBe("REJECTED");
    expect(run.error?.message).toContain("colectionIds");
    const logged = stack.exporter.logs.find((l) => l.event === "trigger.rejected" && l.messageId === id);
    expect(logged?.severity).toBe("WARNING");
    expect(exportCalls()).toBe(before);
  });
});
