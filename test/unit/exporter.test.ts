import type { CloudEvent } from "@google-cloud/functions-framework";
import { describe, expect, it } from "vitest";
import { handleTrigger } from "../../functions/src/exporter.js";
import {
  decodePubSubEvent,
  type MessagePublishedData,
  makeExportHandler,
} from "../../functions/src/handlers.js";
import { errorFromBody } from "../../functions/src/rest.js";
import { planRuns, type RunRecord } from "../../functions/src/run.js";
import {
  apiErrors,
  DEFAULT_DB,
  delivery,
  eventsOf,
  FakeAdmin,
  FakeLedger,
  makeDeps,
  ORDERS_DB,
  testConfig,
} from "../support/fakes.js";

const ONE_TARGET = testConfig({
  EXPORT_TARGETS: JSON.stringify([{ database: DEFAULT_DB, bucket: "gs://my-bucket" }]),
});
const KEY = "schedule:my-project:(default):2026-12-03T02:00:00.000Z";
const ORDERS_KEY = "schedule:my-project:orders-eu:2026-12-03T02:00:00.000Z";
const PREFIX = "gs://my-bucket/firestore/(default)/2026/12/03/2026-12-03T02-00-00Z";
const OP_1 = `${DEFAULT_DB}/operations/op-1`;
const IDENTITY = "exporter@my-project.iam.gserviceaccount.com";
/** What Cloud Scheduler publishes: an empty body, a few seconds after the slot. */
const SCHEDULED = delivery("msg-1", "2026-12-03T02:00:03Z");

function oneTarget(p: { admin?: FakeAdmin; ledger?: FakeLedger } = {}) {
  return makeDeps({ config: ONE_TARGET, ...p });
}

function entry(deps: { log: { entries: Array<Record<string, unknown>> } }, event: string) {
  const found = deps.log.entries.find((e) => e.event === event);
  if (!found)
    throw new Error(`no ${event} log entry; got ${deps.log.entries.map((e) => e.event).join(", ")}`);
  return found;
}

describe("handleTrigger: a scheduled trigger", () => {
  it("claims the run, then exports, then records RUNNING", async () => {
    const deps = oneTarget();
    let atExport: RunRecord | undefined;
    deps.admin.onExport = async () => {
      atExport = await deps.ledger.get(KEY);
    };

    const result = await handleTrigger("", SCHEDULED, deps);

    expect(result).toEqual({
      runs: [
        {
          runKey: KEY,
          database: DEFAULT_DB,
          outputUriPrefix: PREFIX,
          outcome: "started",
          operationName: OP_1,
        },
      ],
      redeliver: false,
    });
    // The claim exists before exportDocuments is called (DESIGN 3.4).
    expect(atExport).toMatchObject({ runKey: KEY, state: "CLAIMED" });
    expect(deps.ledger.journal).toEqual([`claim:${KEY}`, `update:${KEY}`]);
    expect(deps.admin.exportCalls).toEqual([
      { database: DEFAULT_DB, body: { outputUriPrefix: PREFIX, snapshotTime: "2026-12-03T02:00:00Z" } },
    ]);
    expect(deps.ledger.only()).toMatchObject({
      runKey: KEY,
      database: DEFAULT_DB,
      outputUriPrefix: PREFIX,
      state: "RUNNING",
      operationName: OP_1,
      operationState: "PROCESSING",
      startedAt: "2026-12-03T02:00:04.512Z",
      leaseUntil: null,
      error: null,
      attempts: 1,
      trigger: { kind: "scheduled", messageId: "msg-1", slot: "2026-12-03T02:00:00.000Z" },
    });
    expect(eventsOf(deps.log)).toEqual(["export.started"]);
    expect(entry(deps, "export.started")).toMatchObject({
      severity: "INFO",
      runKey: KEY,
      database: DEFAULT_DB,
      outputUriPrefix: PREFIX,
      operationName: OP_1,
    });
    expect(deps.sleeps).toEqual([]);
  });

  it("exports every target, each into its own folder", async () => {
    const deps = makeDeps();
    const result = await handleTrigger("", SCHEDULED, deps);
    expect(result.runs.map((r) => [r.runKey, r.outcome])).toEqual([
      [KEY, "started"],
      [ORDERS_KEY, "started"],
    ]);
    expect(deps.admin.exportCalls.map((c) => [c.database, c.body.outputUriPrefix])).toEqual([
      [DEFAULT_DB, PREFIX],
      [ORDERS_DB, "gs://eu-bucket/backups/orders-eu/2026/12/03/2026-12-03T02-00-00Z"],
    ]);
  });
});

describe("handleTrigger: duplicates (F2)", () => {
  it("does not export again on a duplicate delivery of the same message", async () => {
    const deps = oneTarget();
    await handleTrigger("", SCHEDULED, deps);
    deps.clock.advance(20_000);
    const again = await handleTrigger("", SCHEDULED, deps);

    expect(deps.admin.exportCalls).toHaveLength(1);
    expect(again).toEqual({
      runs: [
        {
          runKey: KEY,
          database: DEFAULT_DB,
          outputUriPrefix: PREFIX,
          outcome: "duplicate",
          operationName: OP_1,
        },
      ],
      redeliver: false,
    });
    expect(entry(deps, "export.duplicate")).toMatchObject({
      severity: "INFO",
      runKey: KEY,
      state: "RUNNING",
      operationName: OP_1,
    });
    expect(deps.ledger.only()).toMatchObject({ state: "RUNNING", operationName: OP_1 });
  });

  it("treats another message for the same slot (a Scheduler retry) as the same run", async () => {
    const deps = oneTarget();
    await handleTrigger("", SCHEDULED, deps);
    const retry = await handleTrigger("", delivery("msg-2", "2026-12-03T02:00:41Z"), deps);
    expect(retry.runs[0]?.outcome).toBe("duplicate");
    expect(deps.admin.exportCalls).toHaveLength(1);
  });

  it("does nothing while another delivery holds the start lease", async () => {
    const deps = oneTarget();
    let concurrent: Awaited<ReturnType<typeof handleTrigger>> | undefined;
    deps.admin.onExport = async () => {
      deps.admin.onExport = undefined;
      // A second delivery arrives while the first one is inside exportDocuments.
      concurrent = await handleTrigger("", SCHEDULED, deps);
    };
    const first = await handleTrigger("", SCHEDULED, deps);

    expect(first.runs[0]?.outcome).toBe("started");
    expect(concurrent?.runs[0]?.outcome).toBe("duplicate");
    expect(concurrent?.redeliver).toBe(false);
    expect(deps.admin.exportCalls).toHaveLength(1);
  });
});

describe("handleTrigger: retryable errors (F3, F14)", () => {
  it("retries 503 twice, then starts on the third call", async () => {
    const admin = new FakeAdmin([
      { kind: "error", error: apiErrors.unavailable() },
      { kind: "error", error: apiErrors.unavailable() },
    ]);
    const deps = oneTarget({ admin });
    const result = await handleTrigger("", SCHEDULED, deps);

    expect(admin.exportCalls).toHaveLength(3);
    expect(result.runs[0]).toMatchObject({ outcome: "started", operationName: OP_1 });
    expect(result.redeliver).toBe(false);
    // Backoff with jitter (random 0.5): 3/4 of 1 s, then of 2 s; nothing really waited.
    expect(deps.sleeps).toEqual([750, 1500]);
    expect(eventsOf(deps.log)).toEqual(["export.retrying", "export.retrying", "export.started"]);
    expect(entry(deps, "export.retrying")).toMatchObject({
      severity: "WARNING",
      status: "UNAVAILABLE",
      httpStatus: 503,
    });
    // A 503 may hide a started export: the owner was looked up before each retry.
    expect(admin.listCalls.length).toBeGreaterThanOrEqual(2);
    expect(deps.ledger.only()).toMatchObject({
      state: "RUNNING",
      operationName: OP_1,
      leaseUntil: null,
      error: null,
    });
  });

  it("retries a quota refusal (429) too", async () => {
    const admin = new FakeAdmin([{ kind: "error", error: apiErrors.quota() }]);
    const deps = oneTarget({ admin });
    const result = await handleTrigger("", SCHEDULED, deps);
    expect(result.runs[0]?.outcome).toBe("started");
    expect(admin.exportCalls).toHaveLength(2);
  });

  it("asks for redelivery when 503 persists, releasing the lease and leaving the run CLAIMED", async () => {
    const admin = new FakeAdmin();
    admin.failAlways = apiErrors.unavailable;
    const deps = oneTarget({ admin });
    const result = await handleTrigger("", SCHEDULED, deps);

    expect(admin.exportCalls).toHaveLength(ONE_TARGET.retry.maxAttempts);
    expect(result.redeliver).toBe(true);
    expect(result.runs[0]).toMatchObject({ outcome: "retry", error: { status: "UNAVAILABLE" } });
    const run = deps.ledger.only();
    expect(run.state).toBe("CLAIMED");
    expect(run.leaseUntil).toBeNull();
    expect(run.operationName).toBeUndefined();
    expect(run.error).toMatchObject({ code: 503, status: "UNAVAILABLE" });
    expect(entry(deps, "export.retry_exhausted")).toMatchObject({
      severity: "ERROR",
      runKey: KEY,
      status: "UNAVAILABLE",
    });
    expect(eventsOf(deps.log)).not.toContain("export.failed");

    // Pub/Sub redelivers; the API has recovered.
    admin.failAlways = undefined;
    deps.clock.advance(10_000);
    const redelivered = await handleTrigger("", SCHEDULED, deps);
    expect(redelivered.runs[0]).toMatchObject({ outcome: "started" });
    expect(redelivered.redeliver).toBe(false);
    expect(deps.ledger.only()).toMatchObject({ state: "RUNNING", attempts: 2, error: null });
    expect(admin.operations).toHaveLength(1);
  });
});

describe("handleTrigger: final errors", () => {
  it("fails for good on 403 with a hint naming the identity and the permission (F8)", async () => {
    const admin = new FakeAdmin();
    admin.failAlways = apiErrors.permissionDenied;
    const deps = oneTarget({ admin });
    const result = await handleTrigger("", SCHEDULED, deps);

    expect(admin.exportCalls).toHaveLength(1);
    expect(deps.sleeps).toEqual([]);
    expect(result.redeliver).toBe(false);
    expect(result.runs[0]).toMatchObject({
      outcome: "failed",
      error: { code: 403, status: "PERMISSION_DENIED" },
    });
    const hint = result.runs[0]?.error?.hint ?? "";
    expect(hint).toContain(IDENTITY);
    expect(hint).toContain("datastore.databases.export");
    expect(hint).toContain(DEFAULT_DB);
    expect(deps.ledger.only()).toMatchObject({
      state: "FAILED",
      leaseUntil: null,
      endedAt: "2026-12-03T02:00:05.000Z",
      error: { status: "PERMISSION_DENIED", hint },
    });
    expect(entry(deps, "export.failed")).toMatchObject({
      severity: "ERROR",
      runKey: KEY,
      status: "PERMISSION_DENIED",
      hint,
    });
    expect(eventsOf(deps.log)).not.toContain("export.retrying");
  });

  it("adopts the operation that owns the prefix when the API answers Path already exists (F1)", async () => {
    const admin = new FakeAdmin([{ kind: "error", error: apiErrors.pathAlreadyExists(PREFIX) }]);
    // A finished export of this very prefix: only listed with done=true.
    const owner = admin.start(DEFAULT_DB, PREFIX, { done: true, operationState: "SUCCESSFUL" });
    const deps = oneTarget({ admin });
    const result = await handleTrigger("", SCHEDULED, deps);

    expect(result.runs[0]).toMatchObject({ outcome: "adopted", operationName: owner.name });
    expect(result.redeliver).toBe(false);
    expect(admin.exportCalls).toHaveLength(1);
    expect(admin.listCalls.map((c) => c.filter)).toContain("done=true");
    expect(deps.ledger.only()).toMatchObject({ state: "RUNNING", operationName: owner.name, error: null });
    expect(entry(deps, "export.adopted")).toMatchObject({
      runKey: KEY,
      operationName: owner.name,
      outputUriPrefix: PREFIX,
    });
    expect(eventsOf(deps.log)).not.toContain("export.failed");
  });

  it("fails loudly with an explanation when Path already exists and no operation owns the prefix", async () => {
    const admin = new FakeAdmin([{ kind: "error", error: apiErrors.pathAlreadyExists(PREFIX) }]);
    // Another database's export of a different folder does not count.
    admin.start(DEFAULT_DB, `${PREFIX}-other`, { done: true, operationState: "SUCCESSFUL" });
    const deps = oneTarget({ admin });
    const result = await handleTrigger("", SCHEDULED, deps);

    expect(admin.exportCalls).toHaveLength(1);
    expect(result.redeliver).toBe(false);
    expect(result.runs[0]).toMatchObject({ outcome: "failed", error: { status: "INVALID_ARGUMENT" } });
    const error = result.runs[0]?.error;
    expect(error?.message).toMatch(/Path already exists/);
    expect(error?.hint).toContain(PREFIX);
    expect(error?.hint).toContain("no known operation owns");
    expect(error?.hint).toContain("EXPORT_PREFIX_TEMPLATE");
    expect(deps.ledger.only()).toMatchObject({ state: "FAILED", error: { hint: error?.hint } });
    expect(entry(deps, "export.failed").message).toContain("nothing was overwritten");
  });
});

describe("handleTrigger: an export that started although the call seemed to fail", () => {
  it.each([
    ["a timeout", apiErrors.timeout],
    ["a 503 after the server acted", apiErrors.unavailable],
  ])("adopts the export after %s instead of starting a second one", async (_what, error) => {
    const admin = new FakeAdmin([{ kind: "startedButLost", error: error() }]);
    const deps = oneTarget({ admin });
    const result = await handleTrigger("", SCHEDULED, deps);

    expect(admin.exportCalls).toHaveLength(1);
    expect(admin.operations).toHaveLength(1);
    expect(result.runs[0]).toMatchObject({ outcome: "adopted", operationName: OP_1 });
    expect(deps.ledger.only()).toMatchObject({ state: "RUNNING", operationName: OP_1 });
    expect(eventsOf(deps.log)).toEqual(["export.retrying", "export.adopted"]);
  });

  it("retries a timeout whose export did not start", async () => {
    const admin = new FakeAdmin([{ kind: "error", error: apiErrors.timeout() }]);
    const deps = oneTarget({ admin });
    const result = await handleTrigger("", SCHEDULED, deps);
    expect(admin.exportCalls).toHaveLength(2);
    expect(admin.operations).toHaveLength(1);
    expect(result.runs[0]).toMatchObject({ outcome: "started", operationName: OP_1 });
  });

  it("adopts on redelivery when the first delivery started the export but could not record it", async () => {
    const deps = oneTarget();
    deps.ledger.failNextUpdate = new Error("14 UNAVAILABLE: ledger unreachable");
    const first = await handleTrigger("", SCHEDULED, deps);
    expect(first.redeliver).toBe(true);
    expect(first.runs[0]?.outcome).toBe("retry");
    expect(deps.ledger.only()).toMatchObject({ state: "CLAIMED" });
    expect(deps.ledger.only().operationName).toBeUndefined();

    // Pub/Sub redelivers a few seconds later.
    deps.clock.advance(10_000);
    const second = await handleTrigger("", SCHEDULED, deps);

    expect(deps.admin.exportCalls).toHaveLength(1);
    expect(second.runs[0]).toMatchObject({ outcome: "adopted", operationName: OP_1 });
    expect(second.redeliver).toBe(false);
    expect(deps.ledger.only()).toMatchObject({ state: "RUNNING", operationName: OP_1, attempts: 2 });
  });

  it("adopts on redelivery when the function died between the export and the record", async () => {
    const deps = oneTarget();
    // What a delivery that died leaves behind: its claim, with a lease that has lapsed, and the export it started.
    const [planned] = planRuns(
      { kind: "scheduled" },
      SCHEDULED,
      ONE_TARGET,
      new Date("2026-12-03T02:00:04Z"),
    );
    if (!planned) throw new Error("nothing planned");
    await deps.ledger.claim({ ...planned, leaseUntil: "2026-12-03T02:00:04.500Z" });
    const started = deps.admin.start(DEFAULT_DB, PREFIX);

    const result = await handleTrigger("", SCHEDULED, deps);

    expect(deps.admin.exportCalls).toEqual([]);
    expect(result.runs[0]).toMatchObject({ outcome: "adopted", operationName: started.name });
    expect(deps.ledger.only()).toMatchObject({ state: "RUNNING", operationName: started.name, attempts: 2 });
    expect(entry(deps, "export.adopted").message).toContain("an earlier delivery started it");
  });

  it("leaves a claim alone while the delivery that holds its lease may still be working", async () => {
    const deps = oneTarget();
    const [planned] = planRuns(
      { kind: "scheduled" },
      SCHEDULED,
      ONE_TARGET,
      new Date("2026-12-03T02:00:04Z"),
    );
    if (!planned) throw new Error("nothing planned");
    await deps.ledger.claim({ ...planned, leaseUntil: "2026-12-03T02:05:00.000Z" });

    const result = await handleTrigger("", SCHEDULED, deps);

    expect(deps.admin.exportCalls).toEqual([]);
    expect(result).toMatchObject({ runs: [{ outcome: "duplicate" }], redeliver: false });
    expect(entry(deps, "export.duplicate")).toMatchObject({ state: "CLAIMED" });
  });

  it("starts the export on redelivery of a claimed run whose earlier attempt never reached the API", async () => {
    const ledger = new FakeLedger();
    const admin = new FakeAdmin();
    const first = oneTarget({ admin, ledger });
    admin.failAlways = apiErrors.unavailable;
    await handleTrigger("", SCHEDULED, first);
    admin.failAlways = undefined;
    // No operation exists: the redelivery must start one, not wait for a ghost.
    const result = await handleTrigger("", SCHEDULED, oneTarget({ admin, ledger }));
    expect(result.runs[0]).toMatchObject({ outcome: "started" });
    expect(admin.operations).toHaveLength(1);
  });
});

describe("handleTrigger: rejected messages", () => {
  it("logs, records REJECTED and exports nothing", async () => {
    const deps = makeDeps();
    const body = '{"collections":["users"]}';
    const result = await handleTrigger(body, delivery("msg-9", "2026-12-03T10:00:00Z"), deps);

    expect(result).toEqual({
      rejected: [expect.stringMatching(/^message: unknown field\(s\) "collections"/)],
      runs: [],
      redeliver: false,
    });
    expect(deps.admin.exportCalls).toEqual([]);
    expect(entry(deps, "trigger.rejected")).toMatchObject({
      severity: "WARNING",
      messageId: "msg-9",
      problems: result.rejected,
      body,
    });
    expect(deps.ledger.only()).toMatchObject({
      runKey: "rejected:msg-9",
      state: "REJECTED",
      error: { status: "INVALID_ARGUMENT", message: result.rejected?.[0] },
    });
  });

  it("still acknowledges a rejected message when the ledger is down", async () => {
    const deps = makeDeps();
    deps.ledger.failClaims = new Error("ledger unreachable");
    const result = await handleTrigger("not json", delivery("msg-9", "2026-12-03T10:00:00Z"), deps);
    expect(result.redeliver).toBe(false);
    expect(eventsOf(deps.log)).toEqual(["trigger.rejected", "ledger.error"]);
  });
});

describe("handleTrigger: several targets", () => {
  it("does not let one target's final failure stop the other", async () => {
    const admin = new FakeAdmin();
    admin.failDatabase.set(DEFAULT_DB, apiErrors.permissionDenied);
    const deps = makeDeps({ admin });
    const result = await handleTrigger("", SCHEDULED, deps);

    expect(result.runs.map((r) => [r.database, r.outcome])).toEqual([
      [DEFAULT_DB, "failed"],
      [ORDERS_DB, "started"],
    ]);
    expect(result.redeliver).toBe(false);
    expect((await deps.ledger.get(KEY))?.state).toBe("FAILED");
    expect((await deps.ledger.get(ORDERS_KEY))?.state).toBe("RUNNING");
  });

  it("redelivers for the target that hit a retryable error, and only that one exports again", async () => {
    const admin = new FakeAdmin();
    admin.failDatabase.set(ORDERS_DB, apiErrors.unavailable);
    const deps = makeDeps({ admin });
    const first = await handleTrigger("", SCHEDULED, deps);
    expect(first.runs.map((r) => r.outcome)).toEqual(["started", "retry"]);
    expect(first.redeliver).toBe(true);

    admin.failDatabase.clear();
    const calls = admin.exportCalls.length;
    const second = await handleTrigger("", SCHEDULED, deps);
    expect(second.runs.map((r) => r.outcome)).toEqual(["duplicate", "started"]);
    expect(admin.exportCalls.slice(calls).map((c) => c.database)).toEqual([ORDERS_DB]);
  });

  it("keeps going when one target's ledger write fails", async () => {
    const deps = makeDeps();
    deps.ledger.failNextUpdate = new Error("ledger hiccup");
    const result = await handleTrigger("", SCHEDULED, deps);
    expect(result.runs.map((r) => r.outcome)).toEqual(["retry", "started"]);
    expect(entry(deps, "export.error")).toMatchObject({ severity: "ERROR", runKey: KEY });
  });
});

describe("handleTrigger: a manual trigger", () => {
  it("exports the named database with its own key and label, once per message", async () => {
    const deps = makeDeps({ now: "2026-12-03T10:17:45Z" });
    const body = JSON.stringify({ database: ORDERS_DB, label: "pre-migration", reason: "ticket 123" });
    const msg = delivery("msg-42", "2026-12-03T10:17:42Z");
    const result = await handleTrigger(body, msg, deps);

    expect(result.runs).toHaveLength(1);
    expect(result.runs[0]).toMatchObject({
      runKey: "manual:msg-42:my-project:orders-eu",
      outcome: "started",
    });
    expect(result.runs[0]?.outputUriPrefix).toMatch(
      /^gs:\/\/eu-bucket\/backups\/orders-eu\/2026\/12\/03\/2026-12-03T10-17-42Z-pre-migration-[0-9a-f]{8}$/,
    );
    expect(deps.ledger.only().trigger).toMatchObject({
      kind: "manual",
      label: "pre-migration",
      reason: "ticket 123",
    });

    expect((await handleTrigger(body, msg, deps)).runs[0]?.outcome).toBe("duplicate");
    expect(deps.admin.exportCalls).toHaveLength(1);
  });
});

describe("decodePubSubEvent", () => {
  const envelope = (
    data: MessagePublishedData | undefined,
    extra: Partial<CloudEvent<MessagePublishedData>> = {},
  ) =>
    ({
      specversion: "1.0",
      id: "event-1",
      source: "//pubsub.googleapis.com/projects/my-project/topics/firestore-export",
      type: "google.cloud.pubsub.topic.v1.messagePublished",
      time: "2026-12-03T02:00:04Z",
      data,
      ...extra,
    }) satisfies CloudEvent<MessagePublishedData>;

  it("decodes base64 data and the message's own id, time and attributes", () => {
    const body = JSON.stringify({ label: "pré-migration" });
    const decoded = decodePubSubEvent(
      envelope({
        message: {
          data: Buffer.from(body, "utf8").toString("base64"),
          messageId: "123456789",
          publishTime: "2026-12-03T02:00:03.123Z",
          attributes: { scheduledTime: "2026-12-03T02:00:00Z" },
        },
        subscription: "projects/my-project/subscriptions/exporter",
      }),
    );
    expect(decoded).toEqual({
      body,
      delivery: {
        messageId: "123456789",
        publishTime: new Date("2026-12-03T02:00:03.123Z"),
        attributes: { scheduledTime: "2026-12-03T02:00:00Z" },
      },
    });
  });

  it("gives an empty body (the schedule's message) when there is no data", () => {
    const decoded = decodePubSubEvent(
      envelope({ message: { messageId: "m-1", publishTime: "2026-12-03T02:00:03Z" } }),
    );
    expect(decoded.body).toBe("");
    expect(decoded.delivery.attributes).toEqual({});
  });

  it("reads snake_case fields", () => {
    const decoded = decodePubSubEvent(
      envelope({
        message: {
          data: Buffer.from("{}").toString("base64"),
          message_id: "m-2",
          publish_time: "2026-12-03T02:00:09Z",
        },
      }),
    );
    expect(decoded).toEqual({
      body: "{}",
      delivery: { messageId: "m-2", publishTime: new Date("2026-12-03T02:00:09Z"), attributes: {} },
    });
  });

  it("falls back on the CloudEvent id and time", () => {
    const decoded = decodePubSubEvent(envelope(undefined));
    expect(decoded).toEqual({
      body: "",
      delivery: { messageId: "event-1", publishTime: new Date("2026-12-03T02:00:04Z"), attributes: {} },
    });
  });
});

describe("makeExportHandler", () => {
  const event = {
    specversion: "1.0",
    id: "event-1",
    source: "//pubsub.googleapis.com/projects/my-project/topics/firestore-export",
    type: "google.cloud.pubsub.topic.v1.messagePublished",
    data: { message: { messageId: "msg-1", publishTime: "2026-12-03T02:00:03Z" } },
  } satisfies CloudEvent<MessagePublishedData>;

  it("returns (acknowledges) when the export started", async () => {
    const deps = oneTarget();
    const result = await makeExportHandler(async () => deps)(event);
    expect(result.runs[0]?.outcome).toBe("started");
  });

  it("returns (acknowledges) a final failure, so Pub/Sub does not redeliver it forever", async () => {
    const admin = new FakeAdmin();
    admin.failAlways = apiErrors.permissionDenied;
    const result = await makeExportHandler(async () => oneTarget({ admin }))(event);
    expect(result.runs[0]?.outcome).toBe("failed");
  });

  it("throws (Pub/Sub redelivers) on a retryable failure, naming the database and the error", async () => {
    const admin = new FakeAdmin();
    admin.failAlways = apiErrors.unavailable;
    await expect(makeExportHandler(async () => oneTarget({ admin }))(event)).rejects.toThrow(
      /Redelivery requested: retryable failure of projects\/my-project\/databases\/\(default\): The service is currently unavailable/,
    );
  });

  it("hands functions-framework one structured JSON line to print, not a stack trace", async () => {
    // The framework prints a thrown error's stack on stderr, which Cloud Logging would read as an error.
    const admin = new FakeAdmin();
    admin.failAlways = apiErrors.unavailable;
    const failed = await makeExportHandler(async () => oneTarget({ admin }))(event).catch((e: Error) => e);
    expect(JSON.parse(String((failed as Error).stack))).toMatchObject({
      severity: "WARNING",
      event: "export.redelivery_requested",
      message: expect.stringMatching(/^Redelivery requested: retryable failure/),
    });

    const quota = testConfig({
      EXPORT_TARGETS: JSON.stringify([
        { database: DEFAULT_DB, bucket: "gs://my-bucket" },
        { database: ORDERS_DB, bucket: "gs://my-bucket" },
      ]),
      EXPORT_REQUESTS_PER_MINUTE: "1",
      EXPORT_TIME_BUDGET: "30s",
    });
    const deferred = await makeExportHandler(async () => makeDeps({ config: quota }))(event).catch(
      (e: Error) => e,
    );
    expect(JSON.parse(String((deferred as Error).stack))).toEqual({
      severity: "INFO",
      event: "export.redelivery_requested",
      message: "Redelivery requested: 1 run(s) waiting for room in the export quota",
      messageId: "msg-1",
    });
  });
});

describe("handleTrigger: fan-out under the export quota (F14)", () => {
  const TWO_SLOW = (extra: Record<string, string>) =>
    testConfig({
      EXPORT_TARGETS: JSON.stringify([
        { database: DEFAULT_DB, bucket: "gs://my-bucket" },
        { database: ORDERS_DB, bucket: "gs://my-bucket" },
      ]),
      ...extra,
    });

  it("waits out a 429 without using a retry attempt or logging an error", async () => {
    const admin = new FakeAdmin([{ kind: "error", error: apiErrors.quota() }]);
    const deps = makeDeps({ admin, config: TWO_SLOW({ EXPORT_RETRY_MAX_ATTEMPTS: "1" }) });
    const result = await handleTrigger("", SCHEDULED, deps);

    expect(result.runs.map((r) => r.outcome)).toEqual(["started", "started"]);
    expect(result.redeliver).toBe(false);
    expect(deps.log.entries.filter((e) => e.severity === "ERROR")).toEqual([]);
    expect(entry(deps, "export.quota_wait")).toMatchObject({ severity: "INFO", database: DEFAULT_DB });
    // 10 s at 3/4 (random 0.5) before asking again.
    expect(deps.sleeps).toEqual([7_500]);
  });

  it("parks what does not fit in the time budget; only the redelivery of the same message starts it", async () => {
    const deps = makeDeps({
      config: TWO_SLOW({ EXPORT_REQUESTS_PER_MINUTE: "1", EXPORT_TIME_BUDGET: "30s" }),
    });
    const first = await handleTrigger("", SCHEDULED, deps);
    expect(first.runs.map((r) => r.outcome)).toEqual(["started", "deferred"]);
    expect(first.redeliver).toBe(true);
    expect(entry(deps, "export.deferred")).toMatchObject({ severity: "INFO", deferred: 1, started: 1 });
    const parked = await deps.ledger.get(ORDERS_KEY);
    expect(parked).toMatchObject({ state: "CLAIMED", parkedFor: "msg-1" });
    // Still leased, so the checker reads it as starting rather than as a slot nobody started.
    expect(new Date(parked?.leaseUntil ?? 0).getTime()).toBeGreaterThan(deps.now().getTime() + 10 * 60_000);

    // Another message for the same slot (the scheduler fired twice) must keep off the parked run.
    const other = await handleTrigger("", delivery("msg-2", "2026-12-03T02:00:04Z"), deps);
    expect(other.runs.map((r) => r.outcome)).toEqual(["duplicate", "duplicate"]);
    expect(deps.admin.exportCalls).toHaveLength(1);

    // Pub/Sub redelivers msg-1 a minute later: the rate allows one more, and it starts the parked run.
    deps.clock.advance(60_000);
    const again = await handleTrigger("", SCHEDULED, deps);
    expect(again.runs.map((r) => r.outcome)).toEqual(["duplicate", "started"]);
    expect(again.redeliver).toBe(false);
    expect(deps.admin.exportCalls.map((c) => c.database)).toEqual([DEFAULT_DB, ORDERS_DB]);
    // It was never requested: no need to look for an operation an earlier delivery started.
    expect(deps.admin.listCalls).toEqual([]);
    expect(await deps.ledger.get(ORDERS_KEY)).toMatchObject({ state: "RUNNING", parkedFor: null });
  });

  it("records the quota on the run at its first 429, so a short start window's alert can name it", async () => {
    const admin = new FakeAdmin();
    admin.failAlways = apiErrors.quota;
    const deps = oneTarget({ admin });
    let seenAtSecondCall: RunRecord | undefined;
    admin.onExport = async () => {
      if (admin.exportCalls.length === 2) seenAtSecondCall = await deps.ledger.get(KEY);
    };
    await handleTrigger("", SCHEDULED, deps);
    expect(seenAtSecondCall?.error).toMatchObject({
      code: 429,
      status: "RESOURCE_EXHAUSTED",
      hint: expect.stringMatching(/^The project's export quota/),
    });
  });

  it("moves a scheduled run's snapshot time that aged past the version retention while it waited", async () => {
    const deps = makeDeps({
      config: TWO_SLOW({ EXPORT_REQUESTS_PER_MINUTE: "1", EXPORT_TIME_BUDGET: "30s" }),
    });
    await handleTrigger("", SCHEDULED, deps);
    expect((await deps.ledger.get(ORDERS_KEY))?.request.snapshotTime).toBe("2026-12-03T02:00:00Z");
    // The quota kept it parked for 70 minutes: a snapshot of 02:00 is older than the hour a database keeps.
    deps.clock.advance(70 * 60_000);
    await handleTrigger("", SCHEDULED, deps);

    const sent = deps.admin.exportCalls.find((c) => c.database === ORDERS_DB)?.body;
    expect(sent?.snapshotTime).toBe("2026-12-03T03:10:00Z");
    expect((await deps.ledger.get(ORDERS_KEY))?.request.snapshotTime).toBe("2026-12-03T03:10:00Z");
    expect(entry(deps, "export.snapshot_moved")).toMatchObject({
      from: "2026-12-03T02:00:00Z",
      to: "2026-12-03T03:10:00Z",
    });
  });

  it("never moves a snapshot time a person named, and says what to do when the API refuses it", async () => {
    const admin = new FakeAdmin([
      {
        kind: "error",
        error: errorFromBody(
          400,
          JSON.stringify({
            error: {
              code: 400,
              message:
                "snapshot_time 2026-12-03T01:00:00Z is older than the database's earliest version time.",
              status: "INVALID_ARGUMENT",
            },
          }),
          "POST exportDocuments",
        ),
      },
    ]);
    const deps = oneTarget({ admin });
    deps.clock.advance(2 * 60 * 60_000);
    const result = await handleTrigger(
      JSON.stringify({ snapshotTime: "2026-12-03T01:00:00Z" }),
      delivery("manual-1", "2026-12-03T02:00:05Z"),
      deps,
    );
    expect(admin.exportCalls[0]?.body.snapshotTime).toBe("2026-12-03T01:00:00Z");
    expect(result.runs[0]?.error?.hint).toMatch(
      /^The snapshot time asked for is outside what the database keeps/,
    );
  });

  it("never sends more than the per-minute quota, whatever the number of targets", async () => {
    const targets = Array.from({ length: 25 }, (_, i) => ({
      database: `projects/my-project/databases/db-${i}`,
      bucket: "gs://my-bucket",
    }));
    const deps = makeDeps({ config: testConfig({ EXPORT_TARGETS: JSON.stringify(targets) }) });
    const sentAt: number[] = [];
    deps.admin.onExport = () => {
      sentAt.push(deps.now().getTime());
    };
    const result = await handleTrigger("", SCHEDULED, deps);
    expect(result.runs.every((r) => r.outcome === "started")).toBe(true);
    for (let i = 20; i < sentAt.length; i++)
      expect((sentAt[i] ?? 0) - (sentAt[i - 20] ?? 0)).toBeGreaterThanOrEqual(60_000);
  });
});
