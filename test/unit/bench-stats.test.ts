import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatRatio,
  formatSummaryMs,
  interleave,
  median,
  quantile,
  ratio,
  renderTable,
  summarize,
} from "../../bench/stats.js";

describe("median", () => {
  it.each([
    [[], Number.NaN],
    [[7], 7],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[10, 10, 1000], 10],
  ])("median(%j) = %d", (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it("does not reorder its input", () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe("quantile and spread", () => {
  it.each([
    [[1, 2, 3, 4, 5], 0, 1],
    [[1, 2, 3, 4, 5], 0.25, 2],
    [[1, 2, 3, 4, 5], 0.75, 4],
    [[1, 2, 3, 4, 5], 1, 5],
    [[1, 2, 3, 4], 0.25, 1.75],
  ])("quantile(%j, %d) = %d", (values, q, expected) => {
    expect(quantile(values, q)).toBe(expected);
  });

  it("rejects a q outside [0, 1]", () => {
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });

  it("summarizes median, quartiles, IQR and extremes", () => {
    expect(summarize([5, 1, 4, 2, 3])).toEqual({ n: 5, median: 3, q1: 2, q3: 4, iqr: 2, min: 1, max: 5 });
  });

  it("gives NaN figures for an empty series", () => {
    const s = summarize([]);
    expect(s.n).toBe(0);
    expect(s.median).toBeNaN();
    expect(s.iqr).toBeNaN();
    expect(formatSummaryMs(s)).toBe("n/a");
  });
});

describe("ratios and formatting", () => {
  it.each([
    [500, 400, "1.25×"],
    [650, 1000, "0.65×"],
    [1, 0, "n/a"],
    [Number.NaN, 2, "n/a"],
  ])("%d / %d is shown as %s", (a, b, shown) => {
    expect(formatRatio(ratio(a, b))).toBe(shown);
  });

  it("shows a median with half the IQR", () => {
    expect(formatSummaryMs(summarize([400, 500, 600]))).toBe("500 ms ± 50");
  });

  it.each([
    [123, "123 B"],
    [2048, "2.0 KiB"],
    [5 * 1024 * 1024, "5.0 MiB"],
  ])("formatBytes(%d) = %s", (bytes, shown) => {
    expect(formatBytes(bytes)).toBe(shown);
  });
});

describe("interleave", () => {
  it("rotates the order each repetition so no variant always runs first", () => {
    expect([0, 1, 2, 3].map((rep) => interleave(["a", "b", "c"], rep).join(""))).toEqual([
      "abc",
      "bca",
      "cab",
      "abc",
    ]);
  });
});

describe("renderTable", () => {
  it("pads columns to the widest cell", () => {
    expect(renderTable(["a", "bb"], [["ccc", "d"]])).toBe("a    bb\n---  --\nccc  d");
  });
});
