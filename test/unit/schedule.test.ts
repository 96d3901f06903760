import { describe, expect, it } from "vitest";
import {
  chooseSnapshotTime,
  floorToMinute,
  formatStamp,
  scheduledSlot,
  slotsBetween,
  zonedParts,
} from "../../functions/src/schedule.js";

const iso = (d: Date) => d.toISOString();

describe("scheduledSlot", () => {
  // [why, cron, zone, publish time, expected slot]
  const cases: Array<[string, string, string, string, string]> = [
    [
      "published exactly on the slot",
      "0 2 * * *",
      "UTC",
      "2026-12-03T02:00:00.000Z",
      "2026-12-03T02:00:00.000Z",
    ],
    [
      "published a few seconds after",
      "0 2 * * *",
      "UTC",
      "2026-12-03T02:00:04.512Z",
      "2026-12-03T02:00:00.000Z",
    ],
    ["a retry minutes later", "0 2 * * *", "UTC", "2026-12-03T02:07:00.000Z", "2026-12-03T02:00:00.000Z"],
    [
      "one millisecond before the slot",
      "0 2 * * *",
      "UTC",
      "2026-12-03T01:59:59.999Z",
      "2026-12-02T02:00:00.000Z",
    ],
    ["every 15 minutes", "*/15 * * * *", "UTC", "2026-12-03T10:31:10.000Z", "2026-12-03T10:30:00.000Z"],
    // Europe/Paris: 03:00 local is 02:00Z in winter (CET) and 01:00Z in summer (CEST).
    [
      "Paris, the day before DST starts",
      "0 3 * * *",
      "Europe/Paris",
      "2026-03-28T02:00:03Z",
      "2026-03-28T02:00:00.000Z",
    ],
    [
      "Paris, the day DST starts",
      "0 3 * * *",
      "Europe/Paris",
      "2026-03-29T01:00:03Z",
      "2026-03-29T01:00:00.000Z",
    ],
    [
      "Paris, the day before DST ends",
      "0 3 * * *",
      "Europe/Paris",
      "2026-10-24T01:00:03Z",
      "2026-10-24T01:00:00.000Z",
    ],
    [
      "Paris, the day DST ends",
      "0 3 * * *",
      "Europe/Paris",
      "2026-10-25T02:00:03Z",
      "2026-10-25T02:00:00.000Z",
    ],
    [
      "Paris, a publish in summer read as UTC would be an hour off",
      "0 3 * * *",
      "Europe/Paris",
      "2026-07-14T01:30:00Z",
      "2026-07-14T01:00:00.000Z",
    ],
    // America/New_York: 06:00 local is 11:00Z in winter (EST) and 10:00Z in summer (EDT).
    [
      "New York, before DST starts",
      "0 6 * * *",
      "America/New_York",
      "2026-03-07T11:00:02Z",
      "2026-03-07T11:00:00.000Z",
    ],
    [
      "New York, the day DST starts",
      "0 6 * * *",
      "America/New_York",
      "2026-03-08T10:00:02Z",
      "2026-03-08T10:00:00.000Z",
    ],
    [
      "New York, the day DST ends",
      "0 6 * * *",
      "America/New_York",
      "2026-11-01T11:00:02Z",
      "2026-11-01T11:00:00.000Z",
    ],
    [
      "New York, an evening slot that is the next UTC day",
      "0 22 * * *",
      "America/New_York",
      "2026-12-04T03:00:01Z",
      "2026-12-04T03:00:00.000Z",
    ],
    ["monthly, on the new year", "0 0 1 * *", "UTC", "2027-01-01T00:00:03Z", "2027-01-01T00:00:00.000Z"],
    [
      "monthly, on the last second of the year",
      "0 0 1 * *",
      "UTC",
      "2026-12-31T23:59:59Z",
      "2026-12-01T00:00:00.000Z",
    ],
    [
      "Tokyo midnight is the previous UTC day",
      "0 0 * * *",
      "Asia/Tokyo",
      "2026-12-31T15:00:02Z",
      "2026-12-31T15:00:00.000Z",
    ],
    ["a leap day", "0 2 29 2 *", "UTC", "2028-03-01T00:00:00Z", "2028-02-29T02:00:00.000Z"],
    [
      "weekdays only, on a Monday after the weekend",
      "0 2 * * 1-5",
      "UTC",
      "2026-12-07T02:00:01Z",
      "2026-12-07T02:00:00.000Z",
    ],
    ["weekdays only, on a Sunday", "0 2 * * 1-5", "UTC", "2026-12-06T02:00:01Z", "2026-12-04T02:00:00.000Z"],
  ];

  it.each(cases)("%s", (_why, cron, zone, at, slot) => {
    expect(iso(scheduledSlot(cron, zone, new Date(at)))).toBe(slot);
  });

  it("gives the same slot to the original delivery and to its retries", () => {
    const slots = ["02:00:00.000", "02:00:00.731", "02:00:05", "02:00:59", "02:14:00"].map((t) =>
      iso(scheduledSlot("0 2 * * *", "Europe/Paris", new Date(`2026-12-03T${t}Z`))),
    );
    expect(new Set(slots)).toEqual(new Set(["2026-12-03T01:00:00.000Z"]));
  });
});

describe("slotsBetween", () => {
  it("lists the fire times in (from, to], oldest first", () => {
    const slots = slotsBetween(
      "0 2 * * *",
      "UTC",
      new Date("2026-12-01T02:00:00Z"),
      new Date("2026-12-03T02:00:00Z"),
    );
    expect(slots.map(iso)).toEqual(["2026-12-02T02:00:00.000Z", "2026-12-03T02:00:00.000Z"]);
  });

  it("follows the zone across a DST change", () => {
    const slots = slotsBetween(
      "0 3 * * *",
      "Europe/Paris",
      new Date("2026-03-27T12:00:00Z"),
      new Date("2026-03-30T12:00:00Z"),
    );
    expect(slots.map(iso)).toEqual([
      "2026-03-28T02:00:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T01:00:00.000Z",
    ]);
  });

  it("stops at the limit", () => {
    const slots = slotsBetween(
      "* * * * *",
      "UTC",
      new Date("2026-01-01T00:00:00Z"),
      new Date("2027-01-01T00:00:00Z"),
      10,
    );
    expect(slots).toHaveLength(10);
  });

  it("is empty when no slot falls in the range", () => {
    expect(
      slotsBetween("0 2 * * *", "UTC", new Date("2026-12-03T02:00:00Z"), new Date("2026-12-03T03:00:00Z")),
    ).toEqual([]);
  });
});

describe("zonedParts", () => {
  it("uses 00, not 24, for midnight", () => {
    expect(zonedParts(new Date("2026-12-03T00:00:00Z"), "UTC")).toMatchObject({
      dd: "03",
      hh: "00",
      min: "00",
    });
  });

  it.each([
    ["UTC", 0],
    ["Europe/Paris", 60],
    ["America/New_York", -300],
    ["Asia/Kolkata", 330],
    ["Asia/Kathmandu", 345],
    ["America/St_Johns", -210],
  ])("gives the offset of %s in minutes east of UTC", (zone, offset) => {
    expect(zonedParts(new Date("2026-12-03T02:00:00.750Z"), zone).offsetMinutes).toBe(offset);
  });
});

describe("formatStamp", () => {
  it.each([
    ["2026-12-03T02:00:00Z", "UTC", "2026-12-03T02-00-00Z"],
    ["2026-12-03T02:00:00Z", "Etc/UTC", "2026-12-03T02-00-00Z"],
    ["2026-12-03T02:00:04.999Z", "UTC", "2026-12-03T02-00-04Z"],
    ["2026-12-03T02:00:00Z", "Europe/Paris", "2026-12-03T03-00-00+0100"],
    ["2026-07-01T00:00:00Z", "Europe/Paris", "2026-07-01T02-00-00+0200"],
    ["2026-12-03T02:00:00Z", "America/New_York", "2026-12-02T21-00-00-0500"],
    ["2026-07-01T02:00:00Z", "America/New_York", "2026-06-30T22-00-00-0400"],
    ["2026-12-31T23:30:00Z", "Asia/Tokyo", "2027-01-01T08-30-00+0900"],
    ["2026-12-03T02:00:00Z", "Asia/Kolkata", "2026-12-03T07-30-00+0530"],
    ["2026-12-03T02:00:00Z", "America/St_Johns", "2026-12-02T22-30-00-0330"],
    ["2026-12-03T02:00:00Z", "Europe/London", "2026-12-03T02-00-00Z"],
  ])("%s in %s is %s", (at, zone, stamp) => {
    expect(formatStamp(new Date(at), zone)).toBe(stamp);
  });

  it("is safe in an object name and sorts in time order within a zone", () => {
    const times = [
      "2026-01-09T23:00:00Z",
      "2026-01-10T01:00:00Z",
      "2026-11-30T05:00:00Z",
      "2026-12-01T00:00:00Z",
    ];
    const stamps = times.map((t) => formatStamp(new Date(t), "UTC"));
    for (const s of stamps) expect(s).toMatch(/^[0-9TZ+-]+$/);
    expect([...stamps].sort()).toEqual(stamps);
  });
});

describe("chooseSnapshotTime", () => {
  // [why, slot, now, snapshot time]
  it.each([
    [
      "the slot, when it has just passed",
      "2026-12-03T02:00:00Z",
      "2026-12-03T02:00:05Z",
      "2026-12-03T02:00:00.000Z",
    ],
    [
      "the slot, half a second after it",
      "2026-12-03T02:00:00Z",
      "2026-12-03T02:00:00.500Z",
      "2026-12-03T02:00:00.000Z",
    ],
    ["the slot, 49 minutes late", "2026-12-03T02:00:00Z", "2026-12-03T02:49:59Z", "2026-12-03T02:00:00.000Z"],
    [
      "the slot, exactly 50 minutes late",
      "2026-12-03T02:00:00Z",
      "2026-12-03T02:50:00Z",
      "2026-12-03T02:00:00.000Z",
    ],
    [
      "the last whole minute, when the slot is too old",
      "2026-12-03T02:00:00Z",
      "2026-12-03T03:30:20Z",
      "2026-12-03T03:30:00.000Z",
    ],
    [
      "the minute before now, when now is a whole minute",
      "2026-12-03T02:00:00Z",
      "2026-12-03T03:30:00Z",
      "2026-12-03T03:29:00.000Z",
    ],
    [
      "the minute before now, when the slot is in the future",
      "2026-12-03T02:00:00Z",
      "2026-12-03T01:59:30Z",
      "2026-12-03T01:59:00.000Z",
    ],
    [
      "the minute before now, when the slot is exactly now",
      "2026-12-03T02:00:00Z",
      "2026-12-03T02:00:00Z",
      "2026-12-03T01:59:00.000Z",
    ],
    [
      "the minute of a manual publish time",
      "2026-12-03T10:17:42.123Z",
      "2026-12-03T10:17:43Z",
      "2026-12-03T10:17:00.000Z",
    ],
  ])("%s", (_why, slot, now, snapshot) => {
    const chosen = chooseSnapshotTime(new Date(slot), new Date(now));
    expect(iso(chosen)).toBe(snapshot);
    // The API needs a whole minute strictly in the past.
    expect(chosen.getTime() % 60_000).toBe(0);
    expect(chosen.getTime()).toBeLessThan(new Date(now).getTime());
  });

  it("floorToMinute drops seconds and milliseconds", () => {
    expect(iso(floorToMinute(new Date("2026-12-03T02:59:59.999Z")))).toBe("2026-12-03T02:59:00.000Z");
  });
});
