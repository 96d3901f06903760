import { describe, expect, it } from "vitest";
import { planRuns } from "../../functions/src/run.js";
import type { TriggerRequest } from "../../functions/src/trigger-message.js";
import { DEFAULT_DB, delivery, ORDERS_DB, testConfig } from "../support/fakes.js";

const config = testConfig();
const scheduled: TriggerRequest = { kind: "scheduled" };
const manualAll: TriggerRequest = { kind: "manual", databases: [DEFAULT_DB, ORDERS_DB] };

/** Plans with `now` a few seconds after the publish time, as in a normal delivery. */
function plan(
  request: TriggerRequest,
  messageId: string,
  publishTime: string,
  cfg = config,
  now = publishTime,
) {
  return planRuns(request, delivery(messageId, publishTime), cfg, new Date(now));
}

describe("planRuns: scheduled runs", () => {
  it("plans one claimed run per target with deterministic keys and prefixes", () => {
    const runs = plan(scheduled, "m-1", "2026-12-03T02:00:03.200Z", config, "2026-12-03T02:00:04Z");
    expect(runs.map((r) => [r.runKey, r.database, r.outputUriPrefix])).toEqual([
      [
        "schedule:my-project:(default):2026-12-03T02:00:00.000Z",
        DEFAULT_DB,
        "gs://my-bucket/firestore/(default)/2026/12/03/2026-12-03T02-00-00Z",
      ],
      [
        "schedule:my-project:orders-eu:2026-12-03T02:00:00.000Z",
        ORDERS_DB,
        "gs://eu-bucket/backups/orders-eu/2026/12/03/2026-12-03T02-00-00Z",
      ],
    ]);
    expect(runs[0]).toMatchObject({
      state: "CLAIMED",
      attempts: 1,
      alerts: {},
      apiVersion: "v1",
      createdAt: "2026-12-03T02:00:04.000Z",
      trigger: {
        kind: "scheduled",
        messageId: "m-1",
        publishTime: "2026-12-03T02:00:03.200Z",
        slot: "2026-12-03T02:00:00.000Z",
      },
      request: {
        outputUriPrefix: "gs://my-bucket/firestore/(default)/2026/12/03/2026-12-03T02-00-00Z",
        snapshotTime: "2026-12-03T02:00:00Z",
      },
    });
    expect(runs[0]?.operationName).toBeUndefined();
    expect(runs[1]?.request).toEqual({
      outputUriPrefix: "gs://eu-bucket/backups/orders-eu/2026/12/03/2026-12-03T02-00-00Z",
      collectionIds: ["orders"],
      snapshotTime: "2026-12-03T02:00:00Z",
    });
  });

  it("gives two deliveries of the same slot, seconds apart, the same keys and prefixes", () => {
    const first = plan(scheduled, "m-1", "2026-12-03T02:00:01Z");
    const retry = plan(scheduled, "m-2", "2026-12-03T02:00:09Z", config, "2026-12-03T02:03:00Z");
    expect(retry.map((r) => r.runKey)).toEqual(first.map((r) => r.runKey));
    expect(retry.map((r) => r.outputUriPrefix)).toEqual(first.map((r) => r.outputUriPrefix));
  });

  it("gives the next slot different keys and prefixes", () => {
    const today = plan(scheduled, "m-1", "2026-12-03T02:00:01Z");
    const tomorrow = plan(scheduled, "m-2", "2026-12-04T02:00:01Z");
    for (const [i, run] of tomorrow.entries()) {
      expect(run.runKey).not.toBe(today[i]?.runKey);
      expect(run.outputUriPrefix).not.toBe(today[i]?.outputUriPrefix);
    }
  });

  it("floors to the slot in the schedule's zone", () => {
    const paris = testConfig({ EXPORT_SCHEDULE: "0 3 * * *", EXPORT_SCHEDULE_TIME_ZONE: "Europe/Paris" });
    const [run] = plan(scheduled, "m-1", "2026-07-14T01:00:02Z", paris);
    expect(run?.runKey).toBe("schedule:my-project:(default):2026-07-14T01:00:00.000Z");
    expect(run?.outputUriPrefix).toBe("gs://my-bucket/firestore/(default)/2026/07/14/2026-07-14T01-00-00Z");
  });

  it("stamps the folder in the prefix zone, not the schedule's", () => {
    const tokyo = testConfig({ EXPORT_SCHEDULE: "30 23 * * *", EXPORT_PREFIX_TIME_ZONE: "Asia/Tokyo" });
    const [run] = plan(scheduled, "m-1", "2026-12-31T23:30:02Z", tokyo);
    expect(run?.outputUriPrefix).toBe(
      "gs://my-bucket/firestore/(default)/2027/01/01/2027-01-01T08-30-00+0900",
    );
  });

  it("takes the slot from a scheduledTime attribute when the job sets one", () => {
    const runs = planRuns(
      scheduled,
      delivery("m-1", "2026-12-03T02:20:00Z", { scheduledTime: "2026-12-03T02:00:00Z" }),
      testConfig({ EXPORT_SCHEDULE: "*/10 * * * *" }),
      new Date("2026-12-03T02:20:01Z"),
    );
    expect(runs[0]?.trigger.slot).toBe("2026-12-03T02:00:00.000Z");
  });

  it("ignores an unreadable scheduledTime attribute", () => {
    const runs = planRuns(
      scheduled,
      delivery("m-1", "2026-12-03T02:00:02Z", { scheduledTime: "soon" }),
      config,
      new Date("2026-12-03T02:00:03Z"),
    );
    expect(runs[0]?.trigger.slot).toBe("2026-12-03T02:00:00.000Z");
  });

  it("reads the database at the slot when the delivery is prompt, else at the last whole minute", () => {
    expect(plan(scheduled, "m", "2026-12-03T02:00:02Z")[0]?.request.snapshotTime).toBe(
      "2026-12-03T02:00:00Z",
    );
    const late = plan(scheduled, "m", "2026-12-03T02:00:02Z", config, "2026-12-03T04:10:30Z");
    expect(late[0]?.request.snapshotTime).toBe("2026-12-03T04:10:00Z");
    // Key and prefix do not depend on when the plan is made.
    expect(late[0]?.runKey).toBe("schedule:my-project:(default):2026-12-03T02:00:00.000Z");
  });
});

describe("planRuns: manual runs", () => {
  it("keys a manual run by message id and database", () => {
    const runs = plan(manualAll, "msg-7", "2026-12-03T10:17:42Z");
    expect(runs.map((r) => r.runKey)).toEqual([
      "manual:msg-7:my-project:(default)",
      "manual:msg-7:my-project:orders-eu",
    ]);
    expect(new Set(runs.map((r) => r.outputUriPrefix)).size).toBe(2);
    expect(runs[0]?.trigger).toEqual({
      kind: "manual",
      messageId: "msg-7",
      publishTime: "2026-12-03T10:17:42.000Z",
    });
  });

  it("is stable for a redelivery and different for another message", () => {
    const first = plan(manualAll, "msg-7", "2026-12-03T10:17:42Z");
    const again = plan(manualAll, "msg-7", "2026-12-03T10:17:42Z", config, "2026-12-03T10:25:00Z");
    const other = plan(manualAll, "msg-8", "2026-12-03T10:17:42Z");
    expect(again.map((r) => [r.runKey, r.outputUriPrefix])).toEqual(
      first.map((r) => [r.runKey, r.outputUriPrefix]),
    );
    for (const [i, run] of other.entries()) {
      expect(run.runKey).not.toBe(first[i]?.runKey);
      expect(run.outputUriPrefix).not.toBe(first[i]?.outputUriPrefix);
    }
  });

  it("plans only the database the message names", () => {
    const runs = plan({ kind: "manual", databases: [ORDERS_DB] }, "msg-7", "2026-12-03T10:17:42Z");
    expect(runs.map((r) => r.database)).toEqual([ORDERS_DB]);
  });

  it("carries label, reason, snapshot time, collection ids and an explicit base", () => {
    const request: TriggerRequest = {
      kind: "manual",
      databases: [DEFAULT_DB],
      collectionIds: ["users"],
      namespaceIds: ["tenant-a"],
      snapshotTime: new Date("2026-12-03T09:00:00Z"),
      label: "Pre-Migration",
      reason: "ticket 123",
      outputBase: { bucket: "my-bucket", path: "manual" },
    };
    const [run] = plan(request, "msg-7", "2026-12-03T10:17:42Z");
    expect(run?.trigger).toMatchObject({ kind: "manual", label: "Pre-Migration", reason: "ticket 123" });
    expect(run?.outputUriPrefix).toMatch(
      /^gs:\/\/my-bucket\/manual\/\(default\)\/2026-12-03T10-17-42Z-pre-migration-[0-9a-f]{8}$/,
    );
    expect(run?.request).toEqual({
      outputUriPrefix: run?.outputUriPrefix,
      collectionIds: ["users"],
      namespaceIds: ["tenant-a"],
      snapshotTime: "2026-12-03T09:00:00Z",
    });
  });

  it("lets the message's collection ids replace the target's, and an empty list mean all", () => {
    const orders = (collectionIds?: string[]) =>
      plan(
        { kind: "manual", databases: [ORDERS_DB], ...(collectionIds && { collectionIds }) },
        "m",
        "2026-12-03T10:17:42Z",
      )[0]?.request.collectionIds;
    expect(orders()).toEqual(["orders"]);
    expect(orders(["invoices", "refunds"])).toEqual(["invoices", "refunds"]);
    expect(orders([])).toBeUndefined();
  });
});

describe("planRuns: the request body", () => {
  const withNamespaces = JSON.stringify([
    {
      database: DEFAULT_DB,
      bucket: "gs://my-bucket",
      collectionIds: ["users"],
      namespaceIds: ["", "tenant-a"],
    },
  ]);

  it("sends namespaceIds and snapshotTime on v1", () => {
    const [run] = plan(
      scheduled,
      "m",
      "2026-12-03T02:00:02Z",
      testConfig({ EXPORT_TARGETS: withNamespaces }),
    );
    expect(run?.request).toEqual({
      outputUriPrefix: "gs://my-bucket/firestore/(default)/2026/12/03/2026-12-03T02-00-00Z",
      collectionIds: ["users"],
      namespaceIds: ["", "tenant-a"],
      snapshotTime: "2026-12-03T02:00:00Z",
    });
  });

  it("omits snapshotTime when EXPORT_CONSISTENT=false", () => {
    const cfg = testConfig({ EXPORT_TARGETS: withNamespaces, EXPORT_CONSISTENT: "false" });
    const [run] = plan(scheduled, "m", "2026-12-03T02:00:02Z", cfg);
    expect(run?.request).not.toHaveProperty("snapshotTime");
    expect(run?.request.namespaceIds).toEqual(["", "tenant-a"]);
  });

  it("sends only collectionIds and outputUriPrefix on v1beta2", () => {
    const cfg = testConfig({
      FIRESTORE_ADMIN_API_VERSION: "v1beta2",
      EXPORT_TARGETS: JSON.stringify([
        { database: DEFAULT_DB, bucket: "gs://my-bucket", collectionIds: ["users"] },
      ]),
    });
    const [run] = plan(scheduled, "m", "2026-12-03T02:00:02Z", cfg);
    expect(run?.apiVersion).toBe("v1beta2");
    expect(run?.request).toEqual({
      outputUriPrefix: "gs://my-bucket/firestore/(default)/2026/12/03/2026-12-03T02-00-00Z",
      collectionIds: ["users"],
    });
    const [manual] = plan(
      {
        kind: "manual",
        databases: [DEFAULT_DB],
        namespaceIds: ["x"],
        snapshotTime: new Date("2026-12-03T01:00:00Z"),
      },
      "m",
      "2026-12-03T02:00:02Z",
      cfg,
    );
    expect(Object.keys(manual?.request ?? {}).sort()).toEqual(["collectionIds", "outputUriPrefix"]);
  });

  it("formats snapshotTime without milliseconds", () => {
    for (const run of plan(manualAll, "m", "2026-12-03T10:17:42.345Z")) {
      expect(run.request.snapshotTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/);
    }
  });
});
