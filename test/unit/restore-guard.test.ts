import { describe, expect, it } from "vitest";
import { UsageError } from "../../cli/src/context.js";
import {
  confirmationProblem,
  parseRestoreArgs,
  planRestore,
  type RestoreArgs,
  summaryLines,
  unrestorableReason,
} from "../../cli/src/restore-guard.js";
import type { RunRecord, RunState } from "../../functions/src/run.js";
import { DEFAULT_DB, ORDERS_DB, testConfig } from "../support/fakes.js";

const SCRATCH = "projects/my-project/databases/scratch-copy";

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    runKey: "manual:1:my-project:(default)",
    database: DEFAULT_DB,
    trigger: { kind: "manual", messageId: "1", publishTime: "2026-12-03T02:00:00.000Z" },
    outputUriPrefix: "gs://my-bucket/firestore/(default)/2026/12/03/x",
    apiVersion: "v1",
    request: { outputUriPrefix: "gs://my-bucket/firestore/(default)/2026/12/03/x" },
    state: "SUCCESSFUL",
    restorable: true,
    createdAt: "2026-12-03T02:00:00.000Z",
    updatedAt: "2026-12-03T02:05:00.000Z",
    endedAt: "2026-12-03T02:05:00.000Z",
    attempts: 1,
    alerts: {},
    open: false,
    progress: { documents: 12345 },
    ...overrides,
  };
}

function args(overrides: Partial<RestoreArgs> = {}): RestoreArgs {
  return {
    runKey: "manual:1:my-project:(default)",
    targetDatabase: SCRATCH,
    collectionIds: [],
    overwriteLive: false,
    yes: false,
    ...overrides,
  };
}

const config = testConfig();

describe("parseRestoreArgs", () => {
  it("reads the run, the target and every flag", () => {
    expect(
      parseRestoreArgs([
        "RUN",
        "--target-database",
        SCRATCH,
        "--collection-ids",
        "a, b",
        "--overwrite-live",
        "--yes",
        "--timeout=90",
      ]),
    ).toEqual({
      runKey: "RUN",
      targetDatabase: SCRATCH,
      collectionIds: ["a", "b"],
      overwriteLive: true,
      yes: true,
      timeoutMs: 90_000,
    });
  });

  it.each([
    [["RUN"], /--target-database is required/],
    [["--target-database", SCRATCH], /which run/],
    [["RUN", "--target-database", "my-db"], /--target-database: got "my-db"/],
    [["RUN", "--target-database", SCRATCH, "--collection-ids", "a/b"], /contains "\/"/],
    [["RUN", "--target-database", SCRATCH, "--timeout", "soon"], /--timeout/],
    [["RUN", "--target-database", SCRATCH, "--force"], /unknown option --force/],
    [["RUN", "OTHER", "--target-database", SCRATCH], /unexpected argument "OTHER"/],
    [["RUN", "--target-database"], /needs a value/],
  ])("%j is a usage error", (argv, message) => {
    expect(() => parseRestoreArgs(argv)).toThrow(UsageError);
    expect(() => parseRestoreArgs(argv)).toThrow(message);
  });
});

describe("unrestorableReason", () => {
  it.each<[RunState, boolean | undefined, RegExp]>([
    ["CANCELLED", false, /CANCELLED.*partial files/],
    ["FAILED", false, /FAILED \(PERMISSION_DENIED: no access\)/],
    ["LOST", false, /LOST/],
    ["REJECTED", false, /no files/],
    ["RUNNING", false, /RUNNING, not finished/],
    ["CLAIMED", false, /CLAIMED, not finished/],
    ["SUCCESSFUL", false, /never verified/],
    ["SUCCESSFUL", undefined, /never verified/],
  ])("%s (restorable %s) is refused", (state, restorable, reason) => {
    const r = run({ state, restorable, error: { status: "PERMISSION_DENIED", message: "no access" } });
    expect(unrestorableReason(r)).toMatch(reason);
  });

  it("a SUCCESSFUL, verified run may be restored", () => {
    expect(unrestorableReason(run())).toBeUndefined();
  });
});

describe("planRestore", () => {
  it("refuses a bad run even with --overwrite-live and --yes: there is no override", () => {
    const decision = planRestore(
      run({ state: "CANCELLED", restorable: false }),
      args({ overwriteLive: true, yes: true }),
      config,
    );
    expect(decision).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/cannot be restored: it was CANCELLED/),
    });
  });

  it("refuses a collection subset of an unfiltered export", () => {
    expect(planRestore(run(), args({ collectionIds: ["users"] }), config)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/exported all collections/),
    });
  });

  it("refuses collection ids a filtered export does not hold, and allows a subset of it", () => {
    const filtered = run({ request: { outputUriPrefix: "gs://b/x", collectionIds: ["users", "orders"] } });
    expect(planRestore(filtered, args({ collectionIds: ["users", "carts"] }), config)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(
        /does not hold the collection ids \[carts\]: it was made with \[users, orders\]/,
      ),
    });
    const ok = planRestore(filtered, args({ collectionIds: ["orders"] }), config);
    expect(ok).toMatchObject({
      ok: true,
      plan: {
        collectionIds: ["orders"],
        exportedCollectionIds: ["users", "orders"],
        needsConfirmation: false,
      },
    });
  });

  it("treats the source database and every configured target as live", () => {
    expect(planRestore(run(), args({ targetDatabase: DEFAULT_DB }), config)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/the database this export was taken from.*--overwrite-live/),
    });
    expect(planRestore(run(), args({ targetDatabase: ORDERS_DB }), config)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/configured target/),
    });
    const live = planRestore(run(), args({ targetDatabase: DEFAULT_DB, overwriteLive: true }), config);
    expect(live).toMatchObject({ ok: true, plan: { live: "source", needsConfirmation: true } });
  });

  it("lets a scratch database through without confirmation", () => {
    const decision = planRestore(run(), args(), config);
    expect(decision).toMatchObject({
      ok: true,
      plan: { targetDatabase: SCRATCH, needsConfirmation: false, exportedDocuments: 12345 },
    });
  });
});

describe("confirmationProblem", () => {
  const live = planRestore(run(), args({ targetDatabase: DEFAULT_DB, overwriteLive: true }), config);
  if (!live.ok) throw new Error("expected a plan");
  it.each([
    [true, false, undefined],
    [false, true, undefined],
    [false, false, /pass --yes/],
  ])("--yes %s, terminal %s", (yes, interactive, expected) => {
    const problem = confirmationProblem(live.plan, yes, interactive);
    if (expected) expect(problem).toMatch(expected);
    else expect(problem).toBeUndefined();
  });

  it("summarises what will be overwritten", () => {
    const text = summaryLines(live.plan).join("\n");
    expect(text).toContain("the LIVE source database");
    expect(text).toContain("12,345 in the export");
    expect(text).toContain(
      "documents that are not in the export are left alone; no Cloud Functions triggers fire",
    );
  });
});
