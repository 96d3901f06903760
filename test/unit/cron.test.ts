import { CronExpressionParser } from "cron-parser";
import { describe, expect, it } from "vitest";
import { cron, firesBetween, nextFire, offsetMs, parseCron, previousFire } from "../../functions/src/cron.js";

/** A small deterministic generator, so a failure names a case that can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function field(random: () => number, min: number, max: number, names?: string[]): string {
  const pick = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const value = (v: number) => (names && random() < 0.3 ? (names[v - min] ?? String(v)) : String(v));
  const kind = random();
  if (kind < 0.3) return "*";
  if (kind < 0.45) return `*/${pick(2, Math.max(2, Math.floor((max - min) / 2)))}`;
  if (kind < 0.7) return value(pick(min, max));
  if (kind < 0.85) {
    const a = pick(min, max);
    return `${value(a)}-${value(pick(a, max))}`;
  }
  const items = new Set<number>();
  for (let i = pick(2, 4); i > 0; i--) items.add(pick(min, max));
  return [...items].map(value).join(",");
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

function randomExpression(random: () => number): string {
  return [
    field(random, 0, 59),
    field(random, 0, 23),
    field(random, 1, 28),
    field(random, 1, 12, MONTHS),
    field(random, 0, 6, DAYS),
  ].join(" ");
}

const ZONES = [
  "UTC",
  "Europe/Paris",
  "America/New_York",
  "Asia/Kolkata",
  "Australia/Lord_Howe",
  "America/Santiago",
];

/** True when the zone changes its offset within three hours of `t` (where the two may differ by design). */
function nearJump(t: number, zone: string): boolean {
  const h = 3_600_000;
  return offsetMs(t - 3 * h, zone) !== offsetMs(t + 3 * h, zone);
}

describe("cron agrees with cron-parser", () => {
  const random = rng(20261203);
  const cases = Array.from({ length: 300 }, (_, i) => {
    const zone = ZONES[i % ZONES.length] ?? "UTC";
    const at = new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 730 * 86_400_000));
    return { expression: randomExpression(random), zone, at };
  });

  it.each(cases)("$expression in $zone around $at", ({ expression, zone, at }) => {
    const e = cron(expression);
    const theirs = CronExpressionParser.parse(expression, { currentDate: at, tz: zone });
    const next = theirs.next().toDate();
    theirs.reset(new Date(at.getTime() + 1));
    const prev = theirs.prev().toDate();
    const ourNext = nextFire(e, zone, at);
    const ourPrev = previousFire(e, zone, at);
    if (!nearJump(next.getTime(), zone) && ourNext && !nearJump(ourNext.getTime(), zone))
      expect(ourNext.toISOString()).toBe(next.toISOString());
    if (!nearJump(prev.getTime(), zone) && ourPrev && !nearJump(ourPrev.getTime(), zone))
      expect(ourPrev.toISOString()).toBe(prev.toISOString());
    expect(ourNext).toBeDefined();
    expect(ourPrev).toBeDefined();
  });

  it("lists the same fires over a week", () => {
    for (const expression of ["*/7 3-5 * * *", "0 */6 * * MON-FRI", "15 2 1,15 * *", "30 1 * * 0"]) {
      const from = new Date("2026-06-01T00:00:00Z");
      const to = new Date("2026-06-08T00:00:00Z");
      const theirs = CronExpressionParser.parse(expression, {
        currentDate: from,
        endDate: to,
        tz: "Asia/Tokyo",
      });
      const expected: string[] = [];
      while (theirs.hasNext()) expected.push(theirs.next().toDate().toISOString());
      const ours = firesBetween(cron(expression), "Asia/Tokyo", from, to, 10_000).map((d) => d.toISOString());
      expect(ours).toEqual(expected);
    }
  });
});

describe("daylight-saving time", () => {
  it("fires a wall time that does not exist as many minutes after the jump", () => {
    // Paris, 29 March 2026: 02:00 CET becomes 03:00 CEST; 02:30 does not exist that day.
    const e = cron("30 2 * * *");
    const fires = firesBetween(
      e,
      "Europe/Paris",
      new Date("2026-03-28T00:00:00Z"),
      new Date("2026-03-30T12:00:00Z"),
      10,
    ).map((d) => d.toISOString());
    expect(fires).toEqual([
      "2026-03-28T01:30:00.000Z", // 02:30 CET
      "2026-03-29T01:30:00.000Z", // 03:30 CEST: the day keeps its slot
      "2026-03-30T00:30:00.000Z", // 02:30 CEST
    ]);
  });

  it("fires a wall time that occurs twice once, at its first occurrence", () => {
    // New York, 1 November 2026: 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
    const e = cron("30 1 * * *");
    const fires = firesBetween(
      e,
      "America/New_York",
      new Date("2026-10-31T12:00:00Z"),
      new Date("2026-11-02T12:00:00Z"),
      10,
    ).map((d) => d.toISOString());
    expect(fires).toEqual(["2026-11-01T05:30:00.000Z", "2026-11-02T06:30:00.000Z"]);
    // A delivery during the repeated hour belongs to the first occurrence's slot.
    expect(previousFire(e, "America/New_York", new Date("2026-11-01T06:45:00Z"))?.toISOString()).toBe(
      "2026-11-01T05:30:00.000Z",
    );
  });

  it("keeps a half-hour jump (Lord Howe Island)", () => {
    // 5 April 2026, 02:00 LHDT (+11) becomes 01:30 LHST (+10:30): 01:45 happens twice.
    const e = cron("45 1 * * *");
    expect(nextFire(e, "Australia/Lord_Howe", new Date("2026-04-04T12:00:00Z"))?.toISOString()).toBe(
      "2026-04-04T14:45:00.000Z",
    );
  });
});

describe("parseCron", () => {
  it.each([
    ["0 2 * * *"],
    ["*/15 * * * *"],
    ["0 2 * * 1-5"],
    ["0 2 * * MON-FRI"],
    ["0 2 1 JAN,JUL *"],
    ["5/15 * * * *"],
    ["0 0 29 2 *"],
    ["0 2 * * 7"],
    ["  0 2 * * *  "],
  ])("accepts %j", (text) => {
    expect(typeof parseCron(text)).toBe("object");
  });

  it.each([
    ["0 2 * *", /expected 5 fields/],
    ["0 0 2 * * *", /expected 5 fields/],
    ["60 2 * * *", /minute "60" is outside 0-59/],
    ["0 24 * * *", /hour "24" is outside 0-23/],
    ["0 2 0 * *", /day of month "0" is outside 1-31/],
    ["0 2 * 13 *", /month "13" is outside 1-12/],
    ["0 2 * * 8", /day of week "8" is outside 0-7/],
    ["H 2 * * *", /minute "H" is not a number within 0-59/],
    ["0 2 L * *", /day of month "L" is not a number/],
    ["0 2 ? * *", /not a number/],
    ["0 2 * * 1#2", /day of week "1#2" is not a number/],
    ["0 5-2 * * *", /hour range "5-2" runs backwards/],
    ["*/0 * * * *", /step "0" must be at least 1/],
    ["0 2 31 4 *", /names no day that exists/],
    ["0 2 30 FEB *", /names no day that exists/],
    ["0 2 1-2-3 * *", /more than one "-"/],
    ["0 2 * FOO *", /month "FOO" is not a number or a name/],
  ])("refuses %j", (text, why) => {
    const result = parseCron(text);
    expect(typeof result).toBe("string");
    expect(result).toMatch(why);
  });

  it("reads both day fields restricted as either, and one of them * as the other alone", () => {
    // 1 December 2026 is a Tuesday.
    const either = cron("0 0 1 * MON");
    expect(nextFire(either, "UTC", new Date("2026-11-30T12:00:00Z"))?.toISOString()).toBe(
      "2026-12-01T00:00:00.000Z",
    );
    expect(nextFire(either, "UTC", new Date("2026-12-01T12:00:00Z"))?.toISOString()).toBe(
      "2026-12-07T00:00:00.000Z",
    );
    // `*/2` is a restriction too: odd days or Mondays.
    const stepped = cron("0 0 */2 * MON");
    expect(nextFire(stepped, "UTC", new Date("2026-12-01T12:00:00Z"))?.toISOString()).toBe(
      "2026-12-03T00:00:00.000Z",
    );
    const mondays = cron("0 0 * * MON");
    expect(nextFire(mondays, "UTC", new Date("2026-12-01T12:00:00Z"))?.toISOString()).toBe(
      "2026-12-07T00:00:00.000Z",
    );
  });
});
