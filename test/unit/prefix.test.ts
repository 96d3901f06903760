import { describe, expect, it } from "vitest";
import { parseDatabaseName } from "../../functions/src/names.js";
import { buildOutputPrefix, type PrefixInput, slugify } from "../../functions/src/prefix.js";

const TEMPLATE = "{prefix}/{database}/{yyyy}/{mm}/{dd}/{stamp}";

function target(database: string, bucket = "my-bucket", prefix = "firestore"): PrefixInput["target"] {
  const parsed = parseDatabaseName(database);
  if (typeof parsed === "string") throw new Error(parsed);
  return { database: parsed, bucket, prefix };
}

const DEFAULT = target("projects/my-project/databases/(default)");
const ORDERS = target("projects/my-project/databases/orders-eu");

function prefix(overrides: Partial<PrefixInput> = {}): string {
  return buildOutputPrefix({
    target: DEFAULT,
    template: TEMPLATE,
    timeZone: "UTC",
    time: new Date("2026-12-03T02:00:00Z"),
    ...overrides,
  });
}

describe("buildOutputPrefix: scheduled runs", () => {
  it("has the documented default shape", () => {
    expect(prefix()).toBe("gs://my-bucket/firestore/(default)/2026/12/03/2026-12-03T02-00-00Z");
  });

  // [why, slot, zone, expected prefix]
  it.each([
    [
      "month boundary in UTC",
      "2026-11-30T23:59:00Z",
      "UTC",
      "gs://my-bucket/firestore/(default)/2026/11/30/2026-11-30T23-59-00Z",
    ],
    [
      "year boundary in UTC",
      "2027-01-01T00:00:00Z",
      "UTC",
      "gs://my-bucket/firestore/(default)/2027/01/01/2027-01-01T00-00-00Z",
    ],
    [
      "a 23:30 UTC slot in Tokyo lands in the next day's (and year's) folder",
      "2026-12-31T23:30:00Z",
      "Asia/Tokyo",
      "gs://my-bucket/firestore/(default)/2027/01/01/2027-01-01T08-30-00+0900",
    ],
    [
      "a 23:30 UTC slot in Tokyo crosses a month boundary",
      "2026-01-31T23:30:00Z",
      "Asia/Tokyo",
      "gs://my-bucket/firestore/(default)/2026/02/01/2026-02-01T08-30-00+0900",
    ],
    [
      "an early UTC slot in New York stays in the previous day's folder",
      "2027-01-01T03:00:00Z",
      "America/New_York",
      "gs://my-bucket/firestore/(default)/2026/12/31/2026-12-31T22-00-00-0500",
    ],
    [
      "Paris in summer",
      "2026-07-01T00:00:00Z",
      "Europe/Paris",
      "gs://my-bucket/firestore/(default)/2026/07/01/2026-07-01T02-00-00+0200",
    ],
  ])("%s", (_why, slot, timeZone, expected) => {
    expect(prefix({ time: new Date(slot), timeZone })).toBe(expected);
  });

  it("uses the scheduled time it is given, not the moment it runs", () => {
    expect(prefix({ time: new Date("2026-12-03T02:00:00Z") })).toBe(
      prefix({ time: new Date("2026-12-03T02:00:00Z") }),
    );
    expect(prefix({ time: new Date("2026-12-04T02:00:00Z") })).not.toBe(prefix());
  });

  it("never gives a named database and (default) the same folder (F6)", () => {
    const a = prefix({ target: DEFAULT });
    const b = prefix({ target: ORDERS });
    expect(b).toBe("gs://my-bucket/firestore/orders-eu/2026/12/03/2026-12-03T02-00-00Z");
    expect(a).not.toBe(b);
    expect(a.startsWith(`${b}/`) || b.startsWith(`${a}/`)).toBe(false);
  });

  it("fills {project} and drops the empty segment of an empty target prefix", () => {
    expect(
      prefix({
        target: target("projects/my-project/databases/(default)", "my-bucket", ""),
        template: "{prefix}/{project}/{database}/{stamp}",
      }),
    ).toBe("gs://my-bucket/my-project/(default)/2026-12-03T02-00-00Z");
  });

  it("keeps a nested target prefix", () => {
    expect(
      prefix({ target: target("projects/my-project/databases/(default)", "my-bucket", "nightly/firestore") }),
    ).toBe("gs://my-bucket/nightly/firestore/(default)/2026/12/03/2026-12-03T02-00-00Z");
  });
});

describe("buildOutputPrefix: manual runs", () => {
  const publish = new Date("2026-12-03T10:17:42Z");
  const manual = (messageId: string, label?: string, t: PrefixInput["target"] = DEFAULT) =>
    prefix({ target: t, time: publish, manual: { messageId, ...(label !== undefined && { label }) } });

  it("adds the slugified label and a short suffix", () => {
    expect(manual("msg-1", "Pre-Migration (ticket 123)!")).toMatch(
      /^gs:\/\/my-bucket\/firestore\/\(default\)\/2026\/12\/03\/2026-12-03T10-17-42Z-pre-migration-ticket-123-[0-9a-f]{8}$/,
    );
  });

  it("adds only the suffix without a label", () => {
    expect(manual("msg-1")).toMatch(/\/2026-12-03T10-17-42Z-[0-9a-f]{8}$/);
  });

  it("is stable for the same message id (a redelivery builds the same prefix)", () => {
    expect(manual("msg-1", "pre-migration")).toBe(manual("msg-1", "pre-migration"));
  });

  it("differs for another message id, even with the same label and second", () => {
    expect(manual("msg-1", "pre-migration")).not.toBe(manual("msg-2", "pre-migration"));
  });

  it("never equals the scheduled prefix of the same instant", () => {
    expect(manual("msg-1")).not.toBe(prefix({ time: publish }));
  });

  it("writes under an explicit base, still per database and per message", () => {
    const base = { bucket: "scratch-bucket", path: "manual/pre-migration" };
    const a = prefix({
      time: publish,
      manual: { messageId: "msg-1", label: "pre-migration" },
      explicitBase: base,
    });
    expect(a).toMatch(
      /^gs:\/\/scratch-bucket\/manual\/pre-migration\/\(default\)\/2026-12-03T10-17-42Z-pre-migration-[0-9a-f]{8}$/,
    );
    const b = prefix({
      target: ORDERS,
      time: publish,
      manual: { messageId: "msg-1", label: "pre-migration" },
      explicitBase: base,
    });
    expect(b).toMatch(/^gs:\/\/scratch-bucket\/manual\/pre-migration\/orders-eu\//);
    expect(
      prefix({ time: publish, manual: { messageId: "msg-2", label: "pre-migration" }, explicitBase: base }),
    ).not.toBe(a);
  });

  it("writes at the root of a bare explicit bucket", () => {
    expect(
      prefix({
        time: publish,
        manual: { messageId: "m" },
        explicitBase: { bucket: "scratch-bucket", path: "" },
      }),
    ).toMatch(/^gs:\/\/scratch-bucket\/\(default\)\/2026-12-03T10-17-42Z-[0-9a-f]{8}$/);
  });

  it("keeps two projects' databases with the same id apart under an explicit base", () => {
    // One manual message for every target; an explicit base drops the target's own bucket and prefix.
    const base = { bucket: "scratch-bucket", path: "manual" };
    const a = prefix({
      target: target("projects/project-a1/databases/(default)"),
      time: publish,
      manual: { messageId: "m" },
      explicitBase: base,
    });
    const b = prefix({
      target: target("projects/project-b1/databases/(default)"),
      time: publish,
      manual: { messageId: "m" },
      explicitBase: base,
    });
    expect(a).not.toBe(b);
  });
});

describe("slugify", () => {
  it.each([
    ["pre-migration", "pre-migration"],
    ["Pre-Migration", "pre-migration"],
    ["  Hello,   World!  ", "hello-world"],
    ["ticket #123 / hotfix", "ticket-123-hotfix"],
    ["---", ""],
    ["a".repeat(50), "a".repeat(40)],
  ])("%j → %j", (label, slug) => {
    expect(slugify(label)).toBe(slug);
  });

  it("only ever yields lower-case letters, digits and dashes", () => {
    for (const label of ["Été 2026", "Ünïcödé", "x/y\\z", "a\nb", "../../etc"]) {
      expect(slugify(label)).toMatch(/^[a-z0-9-]{0,40}$/);
    }
  });
});
