import { describe, expect, it } from "vitest";
import { runAlert } from "../../functions/src/alerts.js";
import { handleTrigger } from "../../functions/src/exporter.js";
import { parseOperation } from "../../functions/src/operation.js";
import { hasVerdict, type RunRecord } from "../../functions/src/run.js";
import { judgeOperation } from "../../functions/src/verdict.js";
import { finalPhase } from "../../local/follow.js";
import { apiErrors, DEFAULT_DB, delivery, FakeAdmin, makeDeps, testConfig } from "../support/fakes.js";

const ONE_TARGET = testConfig({
  EXPORT_TARGETS: JSON.stringify([{ database: DEFAULT_DB, bucket: "gs://my-bucket" }]),
});
const SLOT = "2026-12-03T02:00:00Z";

describe("re-running a slot whose start failed for good", () => {
  it("starts the slot's one export once the cause is fixed (scheduledTime attribute)", async () => {
    const admin = new FakeAdmin([{ kind: "error", error: apiErrors.permissionDenied() }]);
    const deps = makeDeps({ config: ONE_TARGET, admin, now: "2026-12-03T02:00:05Z" });
    const first = await handleTrigger("{}", delivery("m1", "2026-12-03T02:00:03Z"), deps);
    expect(first.runs[0]?.outcome).toBe("failed");
    expect(deps.ledger.only().state).toBe("FAILED");

    deps.clock.advance(6 * 3_600_000);
    const again = await handleTrigger(
      "{}",
      delivery("m2", "2026-12-03T08:00:05Z", { scheduledTime: SLOT }),
      deps,
    );
    expect(again.runs[0]?.outcome).toBe("started");
    const run = deps.ledger.only();
    expect(run.state).toBe("RUNNING");
    expect(run.operationName).toBeDefined();
    expect(admin.exportCalls).toHaveLength(2);
  });

  it("never starts a second export for a slot that has an operation", async () => {
    const deps = makeDeps({ config: ONE_TARGET, now: "2026-12-03T02:00:05Z" });
    await handleTrigger("{}", delivery("m1", "2026-12-03T02:00:03Z"), deps);
    const again = await handleTrigger(
      "{}",
      delivery("m2", "2026-12-03T08:00:05Z", { scheduledTime: SLOT }),
      deps,
    );
    expect(again.runs[0]?.outcome).toBe("duplicate");
    expect(deps.admin.exportCalls).toHaveLength(1);
  });
});

const BASE: RunRecord = {
  runKey: "schedule:my-project:(default):2026-12-03T02:00:00.000Z",
  database: DEFAULT_DB,
  trigger: { kind: "scheduled", messageId: "m1", publishTime: "2026-12-03T02:00:03.000Z" },
  outputUriPrefix: "gs://my-bucket/firestore/(default)/2026/12/03/2026-12-03T02-00-00Z",
  apiVersion: "v1",
  request: { outputUriPrefix: "gs://my-bucket/firestore/(default)/2026/12/03/2026-12-03T02-00-00Z" },
  state: "FAILED",
  createdAt: "2026-12-03T02:00:03.000Z",
  updatedAt: "2026-12-03T02:00:04.000Z",
  attempts: 1,
  alerts: {},
  open: true,
};

describe("alert next steps", () => {
  it("export_not_started after a final start error carries that error's remedy", () => {
    const run = {
      ...BASE,
      error: {
        status: "PERMISSION_DENIED",
        message: "The caller does not have permission",
        hint: "grant datastore.databases.export",
      },
    };
    const alert = runAlert("export_not_started", run, new Date(), []);
    expect(alert.nextStep).toBe("grant datastore.databases.export");
    expect(alert.error).toBe("PERMISSION_DENIED: The caller does not have permission");
  });

  it("export_not_started without a hint points at the scheduler", () => {
    expect(runAlert("export_not_started", BASE, new Date(), []).nextStep).toMatch(/scheduler job/);
  });
});

describe("a stuck export the checker cancelled", () => {
  const windows = { startMs: 3_600_000, completionMs: 60_000, freshnessMs: 86_400_000 };
  const cancelled = parseOperation({
    name: `${DEFAULT_DB}/operations/op1`,
    done: true,
    error: { code: 1, message: "The operation was cancelled." },
    metadata: { operationState: "CANCELLED" },
  });
  const stuckRun: RunRecord = {
    ...BASE,
    state: "RUNNING",
    operationName: `${DEFAULT_DB}/operations/op1`,
    alerts: { export_stuck: "x" },
  };

  it("ends CANCELLED without a second alert when STUCK_ACTION=cancel did it", () => {
    const verdict = judgeOperation(stuckRun, cancelled, new Date(), windows, "cancel");
    expect(verdict.patch.state).toBe("CANCELLED");
    expect(verdict.patch.restorable).toBe(false);
    expect(verdict.alerts).toEqual([]);
  });

  it("still alerts export_cancelled when someone else cancelled it", () => {
    expect(judgeOperation(stuckRun, cancelled, new Date(), windows, "alert").alerts).toEqual([
      "export_cancelled",
    ]);
    expect(
      judgeOperation({ ...stuckRun, alerts: {} }, cancelled, new Date(), windows, "cancel").alerts,
    ).toEqual(["export_cancelled"]);
  });
});

describe("hasVerdict: when a follower (npm start, the CLI) may stop waiting", () => {
  const running = { ...BASE, state: "RUNNING" as const, open: true };
  it.each([
    ["a closed run", { ...BASE, open: false }, "alert", true],
    ["an open run", running, "alert", false],
    ["a stuck run the checker leaves running", { ...running, alerts: { export_stuck: "x" } }, "alert", true],
    [
      "a stuck run the checker is about to cancel",
      { ...running, alerts: { export_stuck: "x" } },
      "cancel",
      false,
    ],
  ] as const)("%s", (_, run, stuckAction, expected) => {
    expect(hasVerdict(run, stuckAction)).toBe(expected);
  });
});

describe("npm start's last phase", () => {
  const running = { ...BASE, state: "RUNNING" as const, open: true };
  it.each([
    ["a verified run", { ...BASE, state: "SUCCESSFUL" as const, open: false }, "checked and verified"],
    ["a failed run", { ...BASE, state: "FAILED" as const, open: false }, "checked"],
    // Found in a fresh-user trial: a timeout printed a green "✔ checked".
    ["a run still open when the wait ends", running, undefined],
  ] as const)("%s", (_, run, expected) => {
    expect(finalPhase(run, "alert")).toBe(expected);
  });
});
