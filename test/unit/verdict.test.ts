import { describe, expect, it } from "vitest";
import { type OperationView, parseOperation, type RawOperation } from "../../functions/src/operation.js";
import type { RunRecord } from "../../functions/src/run.js";
import {
  judgeOperation,
  judgeUnstarted,
  judgeVerification,
  metadataObjectOf,
  type Verdict,
} from "../../functions/src/verdict.js";
import type { Windows } from "../../functions/src/windows.js";

const M = 60_000;
const H = 60 * M;
const DB = "projects/my-project/databases/(default)";
const OP = `${DB}/operations/ASA3NDEwOTg0NjExChp0bHVhZmVk`;
const PREFIX = "gs://my-bucket/firestore/(default)/2026/12/03/2026-12-03T02-00-00Z";
const METADATA = `${PREFIX}/2026-12-03T02-00-00Z.overall_export_metadata`;
const WINDOWS: Windows = { startMs: H, completionMs: 12 * H, freshnessMs: 37 * H };
const STARTED = "2026-12-03T02:00:04.512Z";
const at = (iso: string) => new Date(iso);
/** `ms` after the export started. */
const sinceStart = (ms: number) => new Date(new Date(STARTED).getTime() + ms);

/** A run as the exporter leaves it once the operation is recorded. */
const RUNNING: RunRecord = {
  runKey: "schedule:my-project:(default):2026-12-03T02:00:00.000Z",
  database: DB,
  trigger: {
    kind: "scheduled",
    messageId: "msg-1",
    publishTime: "2026-12-03T02:00:03.000Z",
    slot: "2026-12-03T02:00:00.000Z",
  },
  outputUriPrefix: PREFIX,
  apiVersion: "v1",
  request: { outputUriPrefix: PREFIX, snapshotTime: "2026-12-03T02:00:00Z" },
  state: "RUNNING",
  operationName: OP,
  operationState: "PROCESSING",
  createdAt: "2026-12-03T02:00:03.000Z",
  updatedAt: "2026-12-03T02:00:05.000Z",
  startedAt: STARTED,
  attempts: 1,
  leaseUntil: null,
  error: null,
  alerts: {},
  open: true,
};

/** The same run before its operation is known: claimed, lease taken by a delivery. */
const CLAIMED: RunRecord = (() => {
  const { operationName: _o, operationState: _s, startedAt: _t, ...rest } = RUNNING;
  return { ...rest, state: "CLAIMED", leaseUntil: "2026-12-03T02:05:03.000Z" };
})();

const METADATA_TYPE = "type.googleapis.com/google.firestore.admin.v1.ExportDocumentsMetadata";

/** The operation as the API sends it: `done` omitted while running, int64 counters as strings (F10). */
function raw(patch: Partial<RawOperation> = {}, metadata: RawOperation["metadata"] = {}): OperationView {
  return parseOperation({
    name: OP,
    ...patch,
    metadata: {
      "@type": METADATA_TYPE,
      startTime: STARTED,
      operationState: "PROCESSING",
      progressDocuments: { completedWork: "5012", estimatedWork: "12000" },
      progressBytes: { completedWork: "1402331", estimatedWork: "3300000" },
      outputUriPrefix: PREFIX,
      ...metadata,
    },
  });
}

const PROGRESS = { documents: 5012, bytes: 1402331, estimatedDocuments: 12000, estimatedBytes: 3300000 };
const FINISHED = { done: true, response: { "@type": "ExportDocumentsResponse", outputUriPrefix: PREFIX } };
const F9_MESSAGE =
  "service-123456789@gcp-sa-firestore.iam.gserviceaccount.com does not have storage.objects.create access to the Google Cloud Storage object.";

describe("judgeOperation", () => {
  const cases: Array<{
    what: string;
    run?: RunRecord;
    op: OperationView | "NOT_FOUND";
    now: Date;
    stuckAction?: "alert" | "cancel";
    expected: Verdict;
  }> = [
    {
      what: "an operation the API does not know (F11): LOST, never success",
      op: "NOT_FOUND",
      now: at("2026-12-04T02:00:00Z"),
      expected: {
        patch: {
          state: "LOST",
          endedAt: "2026-12-04T02:00:00.000Z",
          restorable: false,
          error: { status: "NOT_FOUND", message: `operation ${OP} is unknown to the Admin API` },
        },
        alerts: ["export_lost"],
        verify: false,
        cancel: false,
      },
    },
    {
      what: "an unknown operation already alerted",
      run: { ...RUNNING, alerts: { export_lost: "2026-12-04T01:50:00.000Z" } },
      op: "NOT_FOUND",
      now: at("2026-12-04T02:00:00Z"),
      expected: {
        patch: expect.objectContaining({ state: "LOST" }),
        alerts: [],
        verify: false,
        cancel: false,
      },
    },
    {
      what: "a running operation (no `done` field) inside the completion window",
      op: raw(),
      now: sinceStart(11 * H),
      expected: {
        patch: { operationState: "PROCESSING", progress: PROGRESS },
        alerts: [],
        verify: false,
        cancel: false,
      },
    },
    {
      what: "a running operation exactly at the end of the completion window",
      op: raw(),
      now: sinceStart(12 * H),
      stuckAction: "cancel",
      expected: {
        patch: { operationState: "PROCESSING", progress: PROGRESS },
        alerts: [],
        verify: false,
        cancel: false,
      },
    },
    {
      what: "a running operation past the completion window: stuck, alert only",
      op: raw(),
      now: sinceStart(12 * H + 1),
      expected: {
        patch: { operationState: "PROCESSING", progress: PROGRESS },
        alerts: ["export_stuck"],
        verify: false,
        cancel: false,
      },
    },
    {
      what: "a stuck operation with STUCK_ACTION=cancel",
      op: raw(),
      now: sinceStart(13 * H),
      stuckAction: "cancel",
      expected: {
        patch: { operationState: "PROCESSING", progress: PROGRESS },
        alerts: ["export_stuck"],
        verify: false,
        cancel: true,
      },
    },
    {
      what: "a stuck operation already alerted: neither alerted nor cancelled again",
      run: { ...RUNNING, alerts: { export_stuck: "2026-12-03T14:05:00.000Z" } },
      op: raw({}, { operationState: "CANCELLING" }),
      now: sinceStart(20 * H),
      stuckAction: "cancel",
      expected: {
        patch: { operationState: "CANCELLING", progress: PROGRESS },
        alerts: [],
        verify: false,
        cancel: false,
      },
    },
    {
      what: "a run without startedAt: the operation's start time counts",
      run: (() => {
        const { startedAt: _s, ...rest } = RUNNING;
        return { ...rest, createdAt: "2026-12-02T00:00:00.000Z" };
      })(),
      op: raw(),
      now: sinceStart(11 * H),
      expected: {
        patch: { operationState: "PROCESSING", progress: PROGRESS },
        alerts: [],
        verify: false,
        cancel: false,
      },
    },
    {
      what: "a finished operation: SUCCESSFUL only after the bucket is checked (F4)",
      op: raw(FINISHED, {
        operationState: "SUCCESSFUL",
        endTime: "2026-12-03T02:40:00Z",
        progressDocuments: { completedWork: "12000", estimatedWork: "12000" },
      }),
      now: at("2026-12-03T02:45:00Z"),
      expected: {
        patch: {
          operationState: "SUCCESSFUL",
          progress: { ...PROGRESS, documents: 12000 },
          endedAt: "2026-12-03T02:40:00Z",
        },
        alerts: [],
        verify: true,
        cancel: false,
      },
    },
    {
      what: "a finished operation without an end time",
      op: raw(FINISHED, { operationState: "SUCCESSFUL" }),
      now: at("2026-12-03T02:45:00Z"),
      expected: {
        patch: { operationState: "SUCCESSFUL", progress: PROGRESS, endedAt: "2026-12-03T02:45:00.000Z" },
        alerts: [],
        verify: true,
        cancel: false,
      },
    },
    {
      what: "a finished operation with an error (F9): FAILED, the API's message verbatim",
      op: raw(
        { done: true, error: { code: 7, message: F9_MESSAGE } },
        { operationState: "FAILED", endTime: "2026-12-03T02:01:00Z" },
      ),
      now: at("2026-12-03T02:10:00Z"),
      expected: {
        patch: {
          operationState: "FAILED",
          progress: PROGRESS,
          state: "FAILED",
          endedAt: "2026-12-03T02:01:00Z",
          error: { code: 7, status: "PERMISSION_DENIED", message: F9_MESSAGE },
          restorable: false,
        },
        alerts: ["export_failed"],
        verify: false,
        cancel: false,
      },
    },
    {
      what: "an error next to a response and a SUCCESSFUL state: the error wins (F10)",
      op: raw(
        { ...FINISHED, error: { code: 13, message: "Internal error while writing." } },
        { operationState: "SUCCESSFUL", endTime: "2026-12-03T02:30:00Z" },
      ),
      now: at("2026-12-03T02:45:00Z"),
      expected: {
        patch: expect.objectContaining({
          state: "FAILED",
          error: { code: 13, status: "INTERNAL", message: "Internal error while writing." },
          restorable: false,
        }),
        alerts: ["export_failed"],
        verify: false,
        cancel: false,
      },
    },
    {
      what: "error code 1: CANCELLED",
      op: raw(
        { done: true, error: { code: 1, message: "The operation was cancelled." } },
        { operationState: "CANCELLED", endTime: "2026-12-03T03:00:00Z" },
      ),
      now: at("2026-12-03T03:05:00Z"),
      expected: {
        patch: {
          operationState: "CANCELLED",
          progress: PROGRESS,
          state: "CANCELLED",
          endedAt: "2026-12-03T03:00:00Z",
          error: { code: 1, status: "CANCELLED", message: "The operation was cancelled." },
          restorable: false,
        },
        alerts: ["export_cancelled"],
        verify: false,
        cancel: false,
      },
    },
    {
      what: "error code 1 while the state still says PROCESSING: CANCELLED",
      op: raw({ done: true, error: { code: 1, message: "Cancelled." } }),
      now: at("2026-12-03T03:05:00Z"),
      expected: {
        patch: expect.objectContaining({ state: "CANCELLED" }),
        alerts: ["export_cancelled"],
        verify: false,
        cancel: false,
      },
    },
    {
      what: "done in state FAILED without an error: FAILED with the state named",
      op: raw({ done: true }, { operationState: "FAILED" }),
      now: at("2026-12-03T03:05:00Z"),
      expected: {
        patch: {
          operationState: "FAILED",
          progress: PROGRESS,
          state: "FAILED",
          endedAt: "2026-12-03T03:05:00.000Z",
          error: { status: "FAILED", message: "the operation ended in state FAILED" },
          restorable: false,
        },
        alerts: ["export_failed"],
        verify: false,
        cancel: false,
      },
    },
    {
      what: "a failure already alerted",
      run: { ...RUNNING, alerts: { export_failed: "2026-12-03T02:05:00.000Z" } },
      op: raw({ done: true, error: { code: 7, message: F9_MESSAGE } }, { operationState: "FAILED" }),
      now: at("2026-12-03T02:10:00Z"),
      expected: {
        patch: expect.objectContaining({ state: "FAILED" }),
        alerts: [],
        verify: false,
        cancel: false,
      },
    },
    {
      what: "an operation without progress counters yet",
      op: parseOperation({ name: OP, metadata: { operationState: "INITIALIZING", startTime: STARTED } }),
      now: sinceStart(M),
      expected: {
        patch: { operationState: "INITIALIZING", progress: {} },
        alerts: [],
        verify: false,
        cancel: false,
      },
    },
  ];

  it.each(cases)("$what", ({ run = RUNNING, op, now, stuckAction = "alert", expected }) => {
    expect(judgeOperation(run, op, now, WINDOWS, stuckAction)).toEqual(expected);
  });

  it("copies int64 counters beyond 2^31 as numbers", () => {
    const verdict = judgeOperation(
      RUNNING,
      raw({}, { progressBytes: { completedWork: "5000000000000", estimatedWork: "9000000000000" } }),
      sinceStart(M),
      WINDOWS,
      "alert",
    );
    expect(verdict.patch.progress).toEqual({
      documents: 5012,
      estimatedDocuments: 12000,
      bytes: 5_000_000_000_000,
      estimatedBytes: 9_000_000_000_000,
    });
  });

  it("never changes the run's state while the operation runs", () => {
    for (const hours of [0, 6, 12, 13, 48]) {
      const verdict = judgeOperation(RUNNING, raw(), sinceStart(hours * H), WINDOWS, "cancel");
      expect(verdict.patch.state).toBeUndefined();
      expect(verdict.verify).toBe(false);
    }
  });

  it("is pure: the run it is given is not modified", () => {
    const run = structuredClone(RUNNING);
    judgeOperation(
      run,
      raw({ done: true, error: { code: 7, message: "x" } }),
      sinceStart(H),
      WINDOWS,
      "alert",
    );
    judgeOperation(run, "NOT_FOUND", sinceStart(H), WINDOWS, "alert");
    expect(run).toEqual(RUNNING);
  });
});

describe("judgeVerification", () => {
  const now = at("2026-12-03T02:45:00Z");

  it("calls the run SUCCESSFUL and restorable when the metadata object is present", () => {
    expect(judgeVerification(RUNNING, METADATA, 1834, now)).toEqual({
      patch: {
        state: "SUCCESSFUL",
        restorable: true,
        error: null,
        verification: {
          checkedAt: "2026-12-03T02:45:00.000Z",
          metadataObject: METADATA,
          present: true,
          sizeBytes: 1834,
        },
      },
      alerts: [],
      verify: false,
      cancel: false,
    });
  });

  it("counts an empty metadata object as present", () => {
    expect(judgeVerification(RUNNING, METADATA, 0, now).patch.state).toBe("SUCCESSFUL");
  });

  it("fails the run and alerts export_unverified when the object is absent (F4)", () => {
    expect(judgeVerification(RUNNING, METADATA, undefined, now)).toEqual({
      patch: {
        state: "FAILED",
        restorable: false,
        error: {
          status: "UNVERIFIED",
          message: `the operation succeeded but ${METADATA} is not in the bucket`,
        },
        verification: { checkedAt: "2026-12-03T02:45:00.000Z", metadataObject: METADATA, present: false },
      },
      alerts: ["export_unverified"],
      verify: false,
      cancel: false,
    });
  });

  it("does not alert export_unverified twice", () => {
    const run = { ...RUNNING, alerts: { export_unverified: "2026-12-03T02:40:00.000Z" } };
    expect(judgeVerification(run, METADATA, undefined, now).alerts).toEqual([]);
  });
});

describe("judgeUnstarted: a claimed run without an operation the API knows", () => {
  const created = new Date(CLAIMED.createdAt).getTime();
  const notStarted = (message: string, now: string): Verdict => ({
    patch: {
      state: "FAILED",
      endedAt: now,
      restorable: false,
      error: { status: "NOT_STARTED", message },
    },
    alerts: ["export_not_started"],
    verify: false,
    cancel: false,
  });

  it.each([
    ["its lease is held, inside the start window", CLAIMED, created + 5 * M],
    [
      "its lease is held, past the start window, already alerted",
      {
        ...CLAIMED,
        leaseUntil: "2026-12-03T03:30:00.000Z",
        alerts: { export_not_started: "2026-12-03T03:01:00.000Z" },
      },
      created + H + M,
    ],
    ["its lease lapsed, inside the start window", CLAIMED, created + 30 * M],
    [
      "it has no lease, exactly at the end of the start window",
      { ...CLAIMED, leaseUntil: null },
      created + H,
    ],
  ])("waits while %s", (_what, run, now) => {
    expect(judgeUnstarted(run, new Date(now), WINDOWS)).toBeUndefined();
  });

  it("alerts once, and keeps the run open, when its lease is still held past the start window", () => {
    // A delivery still retrying, or waiting for room in the export quota: the slot has no export.
    const run = { ...CLAIMED, leaseUntil: "2026-12-03T03:30:00.000Z" };
    expect(judgeUnstarted(run, new Date(created + H + M), WINDOWS)).toEqual({
      patch: {},
      alerts: ["export_not_started"],
      verify: false,
      cancel: false,
    });
  });

  it("marks it never started after the start window, lease lapsed", () => {
    const now = new Date(created + H + 1);
    expect(judgeUnstarted(CLAIMED, now, WINDOWS)).toEqual(
      notStarted("no export operation was started within the start window", now.toISOString()),
    );
  });

  it("mentions the error the last start attempt met", () => {
    const run: RunRecord = {
      ...CLAIMED,
      leaseUntil: null,
      error: { code: 503, status: "UNAVAILABLE", message: "The service is currently unavailable." },
    };
    const now = new Date(created + 2 * H);
    expect(judgeUnstarted(run, now, WINDOWS)).toEqual(
      notStarted(
        "no export operation was started within the start window (last error: UNAVAILABLE: The service is currently unavailable.)",
        now.toISOString(),
      ),
    );
  });

  it("keeps the last attempt's remedy for the alert's next step", () => {
    const hint = "The project's export quota has had no room for this export.";
    const run: RunRecord = {
      ...CLAIMED,
      leaseUntil: null,
      error: { code: 429, status: "RESOURCE_EXHAUSTED", message: "Quota exceeded.", hint },
    };
    expect(judgeUnstarted(run, new Date(created + 2 * H), WINDOWS)?.patch.error).toMatchObject({
      status: "NOT_STARTED",
      hint,
    });
  });

  it("does not alert twice", () => {
    const run = { ...CLAIMED, alerts: { export_not_started: "2026-12-03T03:01:00.000Z" } };
    const verdict = judgeUnstarted(run, new Date(created + 3 * H), WINDOWS);
    expect(verdict?.patch.state).toBe("FAILED");
    expect(verdict?.alerts).toEqual([]);
  });
});

describe("metadataObjectOf", () => {
  it.each([
    [
      PREFIX,
      {
        bucket: "my-bucket",
        name: "firestore/(default)/2026/12/03/2026-12-03T02-00-00Z/2026-12-03T02-00-00Z.overall_export_metadata",
      },
    ],
    [
      `${PREFIX}/`,
      {
        bucket: "my-bucket",
        name: "firestore/(default)/2026/12/03/2026-12-03T02-00-00Z/2026-12-03T02-00-00Z.overall_export_metadata",
      },
    ],
    [
      "gs://eu.backups.example.com/nightly",
      { bucket: "eu.backups.example.com", name: "nightly/nightly.overall_export_metadata" },
    ],
  ])("%s", (prefix, expected) => {
    expect(metadataObjectOf(prefix)).toEqual(expected);
  });

  it.each([
    ["gs://my-bucket"],
    ["gs://my-bucket/"],
    ["my-bucket/firestore"],
    ["s3://my-bucket/firestore"],
    [""],
  ])("has none for %j", (prefix) => {
    expect(metadataObjectOf(prefix)).toBeUndefined();
  });
});
