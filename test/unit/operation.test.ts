import { describe, expect, it } from "vitest";
import {
  type OperationView,
  parseOperation,
  type RawOperation,
  runStateOf,
  samePrefix,
} from "../../functions/src/operation.js";
import type { RunState } from "../../functions/src/run.js";

const NAME = "projects/p/databases/(default)/operations/ASA3NDEwOTg0NjExChp0bHVhZmVk";
const PREFIX = "gs://my-bucket/firestore/(default)/2026/12/03/2026-12-03T02-00-00Z";

/** The running operation of API-FACTS.md, as the API sends it (no `done`, int64 as strings). */
const running: RawOperation = {
  name: NAME,
  metadata: {
    "@type": "type.googleapis.com/google.firestore.admin.v1.ExportDocumentsMetadata",
    startTime: "2026-12-03T02:00:04.512Z",
    operationState: "PROCESSING",
    progressDocuments: { completedWork: "5012", estimatedWork: "12000" },
    progressBytes: { completedWork: "1402331", estimatedWork: "3300000" },
    collectionIds: ["users"],
    outputUriPrefix: PREFIX,
    snapshotTime: "2026-12-03T02:00:00Z",
  },
};

describe("parseOperation", () => {
  it("reads a running operation whose `done` is omitted (F10)", () => {
    expect(parseOperation(running)).toEqual({
      name: NAME,
      done: false,
      operationState: "PROCESSING",
      outputUriPrefix: PREFIX,
      startTime: "2026-12-03T02:00:04.512Z",
      documents: 5012,
      estimatedDocuments: 12000,
      bytes: 1402331,
      estimatedBytes: 3300000,
    });
  });

  it("reads int64 counters beyond 2^31 from strings", () => {
    const view = parseOperation({
      ...running,
      metadata: { progressBytes: { completedWork: "5000000000000" } },
    });
    expect(view.bytes).toBe(5_000_000_000_000);
  });

  it("accepts counters sent as numbers", () => {
    expect(
      parseOperation({ metadata: { progressDocuments: { completedWork: 7, estimatedWork: 9 } } }),
    ).toMatchObject({
      documents: 7,
      estimatedDocuments: 9,
    });
  });

  it("leaves estimates unset when the API omits them, even when work exceeds the old estimate", () => {
    const view = parseOperation({
      name: NAME,
      metadata: { progressDocuments: { completedWork: "12001" }, progressBytes: {} },
    });
    expect(view.documents).toBe(12001);
    expect(view).not.toHaveProperty("estimatedDocuments");
    expect(view).not.toHaveProperty("bytes");
    expect(view).not.toHaveProperty("estimatedBytes");
  });

  it("ignores counters that are not numbers", () => {
    const view = parseOperation({
      metadata: { progressDocuments: { completedWork: "lots", estimatedWork: "-1" } },
    });
    expect(view).not.toHaveProperty("documents");
    expect(view).not.toHaveProperty("estimatedDocuments");
  });

  it("tolerates an empty object", () => {
    expect(parseOperation({})).toEqual({
      name: "",
      done: false,
      operationState: "OPERATION_STATE_UNSPECIFIED",
    });
  });

  it.each([
    ["STATE_UNSPECIFIED", "OPERATION_STATE_UNSPECIFIED"],
    ["OPERATION_STATE_UNSPECIFIED", "OPERATION_STATE_UNSPECIFIED"],
    ["INITIALIZING", "INITIALIZING"],
    ["CANCELLING", "CANCELLING"],
    ["FINALIZING", "FINALIZING"],
  ])("maps operationState %s to %s", (raw, state) => {
    expect(parseOperation({ metadata: { operationState: raw } }).operationState).toBe(state);
  });

  it("takes the prefix of the response when done", () => {
    const view = parseOperation({
      name: NAME,
      done: true,
      metadata: { operationState: "SUCCESSFUL", outputUriPrefix: PREFIX, endTime: "2026-12-03T02:09:00Z" },
      response: {
        "@type": "type.googleapis.com/google.firestore.admin.v1.ExportDocumentsResponse",
        outputUriPrefix: `${PREFIX}/`,
      },
    });
    expect(view).toMatchObject({
      done: true,
      operationState: "SUCCESSFUL",
      outputUriPrefix: `${PREFIX}/`,
      endTime: "2026-12-03T02:09:00Z",
    });
  });

  it("names the status of an error that carries only a code", () => {
    const view = parseOperation({
      done: true,
      error: { code: 7, message: "The caller does not have permission to write to the bucket." },
    });
    expect(view.error).toEqual({
      code: 7,
      status: "PERMISSION_DENIED",
      message: "The caller does not have permission to write to the bucket.",
    });
  });

  it("keeps an error without code or message", () => {
    expect(parseOperation({ done: true, error: {} }).error).toEqual({
      code: 2,
      status: "UNKNOWN",
      message: "(the operation reported an error without a message)",
    });
  });
});

describe("runStateOf", () => {
  const ok = {
    "@type": "type.googleapis.com/google.firestore.admin.v1.ExportDocumentsResponse",
    outputUriPrefix: PREFIX,
  };
  // [why, raw operation, run state]
  const cases: Array<[string, RawOperation, RunState]> = [
    ["done omitted", running, "RUNNING"],
    ["done false", { ...running, done: false }, "RUNNING"],
    [
      "done omitted, even with a final-looking state",
      { metadata: { operationState: "SUCCESSFUL" } },
      "RUNNING",
    ],
    [
      "done and successful",
      { done: true, response: ok, metadata: { operationState: "SUCCESSFUL" } },
      "SUCCESSFUL",
    ],
    [
      "done with the old STATE_UNSPECIFIED",
      { done: true, response: ok, metadata: { operationState: "STATE_UNSPECIFIED" } },
      "SUCCESSFUL",
    ],
    ["done without metadata (older API versions)", { done: true, response: ok }, "SUCCESSFUL"],
    ["done with an error", { done: true, error: { code: 9, message: "bucket in wrong location" } }, "FAILED"],
    [
      "error checked before response: both present is FAILED",
      {
        done: true,
        error: { code: 13, message: "internal" },
        response: ok,
        metadata: { operationState: "SUCCESSFUL" },
      },
      "FAILED",
    ],
    [
      "cancelled via error code 1",
      { done: true, error: { code: 1, message: "Operation was cancelled" } },
      "CANCELLED",
    ],
    [
      "cancelled via state, with another error code",
      { done: true, error: { code: 2, message: "stopped" }, metadata: { operationState: "CANCELLED" } },
      "CANCELLED",
    ],
    [
      "cancelled via state, without an error",
      { done: true, metadata: { operationState: "CANCELLED" } },
      "CANCELLED",
    ],
    ["failed via state, without an error", { done: true, metadata: { operationState: "FAILED" } }, "FAILED"],
  ];

  it.each(cases)("%s → %s", (_why, raw, state) => {
    expect(runStateOf(parseOperation(raw))).toBe(state);
  });
});

describe("samePrefix", () => {
  it.each([
    [PREFIX, PREFIX, true],
    [PREFIX, `${PREFIX}/`, true],
    [`${PREFIX}//`, PREFIX, true],
    [PREFIX, `${PREFIX}-1`, false],
    [PREFIX, PREFIX.replace("(default)", "orders-eu"), false],
    ["gs://my-bucket/a", "gs://my-bucket/a/b", false],
    [undefined, PREFIX, false],
    [PREFIX, undefined, false],
    [undefined, undefined, false],
  ])("%j vs %j → %s", (a, b, same) => {
    expect(samePrefix(a, b)).toBe(same);
  });

  it("matches the prefix an operation view carries", () => {
    const view: OperationView = parseOperation(running);
    expect(samePrefix(view.outputUriPrefix, `${PREFIX}/`)).toBe(true);
  });
});
