import { describe, expect, it } from "vitest";
import {
  DURATION_FORM,
  defaultWindows,
  formatDuration,
  parseDuration,
  scheduleInterval,
} from "../../functions/src/windows.js";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe("parseDuration", () => {
  it.each([
    ["90s", 90 * S],
    ["1s", S],
    ["30m", 30 * M],
    ["12h", 12 * H],
    ["2d", 2 * D],
    ["37h", 37 * H],
    [" 45m ", 45 * M],
    ["0005m", 5 * M],
  ])("reads %j as %i ms", (raw, ms) => {
    expect(parseDuration(raw)).toBe(ms);
  });

  it.each([
    ["5", "no unit"],
    ["1w", "an unknown unit"],
    ["0s", "zero"],
    ["0d", "zero days"],
    ["-1m", "a negative duration"],
    ["1.5h", "a fraction"],
    ["1h30m", "two units"],
    ["12 h", "a space before the unit"],
    ["12H", "an upper-case unit"],
    ["", "nothing"],
    ["m", "a unit alone"],
    ["12345678s", "more digits than any sensible window"],
  ])("refuses %j (%s)", (raw) => {
    expect(parseDuration(raw)).toBeUndefined();
  });

  it("names the accepted form for error messages", () => {
    expect(DURATION_FORM).toBe("a duration such as 90s, 30m, 12h or 2d");
  });
});

describe("formatDuration", () => {
  it.each([
    [90 * S, "90s"],
    [30 * M, "30m"],
    [90 * M, "90m"],
    [12 * H, "12h"],
    [37 * H, "37h"],
    [2 * D, "2d"],
    [7 * D, "7d"],
    [1500, "2s"],
  ])("writes %i ms as %j", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each(["90s", "30m", "12h", "2d", "105m"])("round-trips %j", (text) => {
    expect(formatDuration(parseDuration(text) ?? 0)).toBe(text);
  });
});

describe("scheduleInterval: the longest gap between two fires", () => {
  it.each([
    ["nightly", "0 2 * * *", "UTC", D],
    ["hourly", "0 * * * *", "UTC", H],
    ["weekly", "0 3 * * 0", "UTC", 7 * D],
    ["every ten minutes", "*/10 * * * *", "UTC", 10 * M],
    ["every six hours", "0 */6 * * *", "UTC", 6 * H],
    ["on weekdays: Friday to Monday", "0 2 * * 1-5", "UTC", 3 * D],
    ["twice a day, unevenly", "0 2,8 * * *", "UTC", 18 * H],
    ["monthly: the longest month", "0 2 1 * *", "UTC", 31 * D],
    // The night the clocks go back lasts 25 hours in local time.
    ["nightly in a zone with summer time", "0 2 * * *", "Europe/Paris", 25 * H],
    ["weekdays in a zone with summer time", "30 1 * * 1-5", "Europe/Paris", 73 * H],
    // Five-minutely fires fill the first days; the weekend gap still counts (48 h 5 min).
    ["every five minutes on weekdays", "*/5 * * * 1-5", "UTC", 48 * H + 5 * M],
    ["hourly on the first days of the month", "0 * 1-20 * *", "UTC", 11 * D + H],
    ["every minute", "* * * * *", "UTC", M],
    // The repeated hour fires once, at its first occurrence: 61 minutes pass without a fire.
    ["every minute in a zone with summer time", "* * * * *", "Europe/Paris", 61 * M],
    ["a leap day", "0 0 29 2 *", "UTC", (4 * 365 + 1) * D],
  ])("%s (%s in %s)", (_what, cron, zone, expected) => {
    expect(scheduleInterval(cron, zone)).toBe(expected);
  });

  it("does not depend on when it is called", () => {
    expect(scheduleInterval("0 2 * * 1-5", "UTC")).toBe(scheduleInterval("0 2 * * 1-5", "UTC"));
  });
});

describe("defaultWindows: derived from the cadence, clamped", () => {
  it.each([
    // [what, interval, start, completion, freshness]
    ["nightly", D, H, 12 * H, 37 * H],
    ["hourly", H, 15 * M, 30 * M, H + 15 * M + 30 * M],
    ["every ten minutes: both minimums", 10 * M, 5 * M, 30 * M, 45 * M],
    ["every six hours", 6 * H, H, 3 * H, 10 * H],
    ["every two hours", 2 * H, 30 * M, H, 3 * H + 30 * M],
    ["weekdays", 3 * D, H, 12 * H, 3 * D + 13 * H],
    ["weekly: both maximums", 7 * D, H, 12 * H, 7 * D + 13 * H],
    ["every minute", M, 5 * M, 30 * M, 36 * M],
  ])("%s", (_what, interval, startMs, completionMs, freshnessMs) => {
    expect(defaultWindows(interval)).toEqual({ startMs, completionMs, freshnessMs });
  });

  it("always leaves a healthy schedule one whole interval before freshness runs out", () => {
    for (const interval of [M, 10 * M, H, 6 * H, D, 3 * D, 7 * D, 31 * D]) {
      const w = defaultWindows(interval);
      expect(w.freshnessMs).toBeGreaterThan(interval + w.startMs);
      expect(w.startMs).toBeLessThanOrEqual(w.completionMs);
    }
  });
});
