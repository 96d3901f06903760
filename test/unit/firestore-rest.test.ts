import { describe, expect, it } from "vitest";
import { decodeFields, encodeFields } from "../../functions/src/firestore-rest.js";

describe("ledger documents over Firestore REST", () => {
  it("round-trips a run record's kinds of values", () => {
    const run = {
      runKey: "schedule:p:(default):2026-12-03T02:00:00.000Z",
      attempts: 2,
      ratio: 0.25,
      open: true,
      leaseUntil: null,
      request: { outputUriPrefix: "gs://b/x", collectionIds: ["users", "orders"] },
      alerts: {},
      progress: { documents: 12345, bytes: 9_007_199_254_740 },
    };
    expect(decodeFields(encodeFields(run))).toEqual(run);
  });

  it("stores integers as integerValue strings and other numbers as doubles, like the client", () => {
    expect(encodeFields({ a: 3, b: 1.5 })).toEqual({ a: { integerValue: "3" }, b: { doubleValue: 1.5 } });
  });

  it("leaves undefined fields out instead of writing them", () => {
    expect(encodeFields({ a: undefined, b: "x" })).toEqual({ b: { stringValue: "x" } });
  });
});
