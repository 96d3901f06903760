import { describe, expect, it } from "vitest";
import { parseConfig } from "../../functions/src/config.js";
import { ConfigError } from "../../functions/src/errors.js";
import { handleTrigger } from "../../functions/src/exporter.js";
import { slugify } from "../../functions/src/prefix.js";
import { planRuns } from "../../functions/src/run.js";
import { parseRfc3339, parseTriggerMessage } from "../../functions/src/trigger-message.js";
import { DEFAULT_DB, delivery, makeDeps, testConfig } from "../support/fakes.js";

const TARGETS = JSON.stringify([{ database: DEFAULT_DB, bucket: "gs://my-bucket" }]);

function problemsOf(env: Record<string, string>): string {
  try {
    parseConfig({ EXPORT_TARGETS: TARGETS, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return "accepted";
}

describe("configuration that can never work is refused", () => {
  it.each([
    ["EXPORT_SCHEDULE", "H 2 * * *", /EXPORT_SCHEDULE: got "H 2 \* \* \*"/],
    ["EXPORT_SCHEDULE", "0 2 L * *", /EXPORT_SCHEDULE/],
    ["EXPORT_SCHEDULE", "0 2 * * MON#1", /EXPORT_SCHEDULE/],
    ["EXPORT_SCHEDULE", "0 2 ? * *", /EXPORT_SCHEDULE/],
    ["EXPORT_PREFIX_TEMPLATE", "{database}/#{stamp}", /EXPORT_PREFIX_TEMPLATE: .*advises against/],
    ["EXPORT_PREFIX_TEMPLATE", "{database}/\n{stamp}", /EXPORT_PREFIX_TEMPLATE/],
    ["LEDGER_COLLECTION", "__runs__", /LEDGER_COLLECTION: got "__runs__"; .*reserved/],
    [
      "MANUAL_BUCKET_ALLOWLIST",
      "my-bucket",
      /MANUAL_BUCKET_ALLOWLIST: got "my-bucket".*expected a comma-separated list of gs:\/\/BUCKET/,
    ],
    [
      "FIRESTORE_EMULATOR_HOST",
      "not a host",
      /FIRESTORE_EMULATOR_HOST: got "not a host"; expected HOST:PORT/,
    ],
  ])("%s=%j", (name, value, expected) => {
    expect(problemsOf({ [name]: value })).toMatch(expected);
  });

  it("accepts Cloud Scheduler's names in cron fields", () => {
    expect(problemsOf({ EXPORT_SCHEDULE: "30 1 * JAN-DEC MON-FRI" })).toBe("accepted");
  });

  it.each(["gs://my..exports", "gs://my.-exports", "gs://my-.exports", " gs://b-1 "])(
    "bucket %j",
    (bucket) => {
      const message = problemsOf({ EXPORT_TARGETS: JSON.stringify([{ database: DEFAULT_DB, bucket }]) });
      expect(message).toContain("EXPORT_TARGETS[0].bucket");
    },
  );

  it("refuses bad namespace ids in a target", () => {
    const message = problemsOf({
      EXPORT_TARGETS: JSON.stringify([
        { database: DEFAULT_DB, bucket: "gs://my-bucket", namespaceIds: ["__x__", "a/b"] },
      ]),
    });
    expect(message).toMatch(/namespaceIds: namespace id "__x__" matches the reserved form/);
    expect(message).toMatch(/namespaceIds: namespace id "a\/b" is not valid/);
  });

  it("refuses an explicit EXPORT_CONSISTENT=true on v1beta2 and warns when it is only the default", () => {
    expect(problemsOf({ FIRESTORE_ADMIN_API_VERSION: "v1beta2", EXPORT_CONSISTENT: "true" })).toMatch(
      /EXPORT_CONSISTENT: got "true" with FIRESTORE_ADMIN_API_VERSION=v1beta2/,
    );
    const config = parseConfig({ EXPORT_TARGETS: TARGETS, FIRESTORE_ADMIN_API_VERSION: "v1beta2" });
    expect(config.consistent).toBe(false);
    expect(config.warnings.join("\n")).toMatch(/not point-in-time consistent/);
  });

  it("warns about a misspelt variable instead of ignoring it in silence", () => {
    const config = parseConfig({ EXPORT_TARGETS: TARGETS, EXPORT_SCHEDUEL: "0 3 * * *" });
    expect(config.warnings.join("\n")).toMatch(
      /EXPORT_SCHEDUEL is set but is not a firestore-exporter setting/,
    );
  });

  it("shows the received value for schema problems in EXPORT_TARGETS", () => {
    const message = problemsOf({ EXPORT_TARGETS: JSON.stringify([{ database: 5, bukket: "gs://x" }]) });
    expect(message).toContain("EXPORT_TARGETS[0].database: got 5; expected a value of type string");
    expect(message).toContain(
      'EXPORT_TARGETS[0]: unknown field(s) "bukket"; accepted fields: database, bucket',
    );
    expect(problemsOf({ EXPORT_TARGETS: "[]" })).toContain(
      "EXPORT_TARGETS: got an array; expected at least 1 item(s)",
    );
  });
});

describe("trigger times are real times", () => {
  it.each([
    "2026-02-30T02:00:00Z",
    "2026-12-03T24:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-12-03T02:60:00Z",
    "2026-12-03 02:00:00Z",
  ])("refuses %s", (value) => {
    expect(parseRfc3339(value)).toBeUndefined();
  });

  it("accepts offsets and fractions", () => {
    expect(parseRfc3339("2026-12-03T03:00:00+01:00")?.toISOString()).toBe("2026-12-03T02:00:00.000Z");
    expect(parseRfc3339("2024-02-29T00:00:00.5Z")?.toISOString()).toBe("2024-02-29T00:00:00.500Z");
  });

  const config = testConfig();
  const now = new Date("2026-12-03T12:00:00Z");
  it("refuses a snapshot time older than the longest version retention (7 days)", () => {
    const result = parseTriggerMessage('{"snapshotTime":"2026-11-20T00:00:00Z"}', config, now);
    expect(result).toEqual({ problems: [expect.stringMatching(/more than 7 days old/)] });
  });

  it("keeps a person's explicit snapshot time even with EXPORT_CONSISTENT=false", () => {
    const inconsistent = testConfig({ EXPORT_CONSISTENT: "false" });
    const request = parseTriggerMessage('{"snapshotTime":"2026-12-03T11:30:00Z"}', inconsistent, now);
    if ("problems" in request) throw new Error(request.problems.join());
    const [run] = planRuns(request, delivery("m1", "2026-12-03T11:59:00Z"), inconsistent, now);
    expect(run?.request.snapshotTime).toBe("2026-12-03T11:30:00Z");
    const [scheduled] = planRuns(
      { kind: "scheduled" },
      delivery("m2", "2026-12-03T02:00:05Z"),
      inconsistent,
      now,
    );
    expect(scheduled?.request.snapshotTime).toBeUndefined();
  });

  it.each([
    ["a malformed scheduledTime attribute", "{}", { scheduledTime: "yesterday" }, /not an RFC 3339 time/],
    ["a future scheduledTime attribute", "{}", { scheduledTime: "2026-12-04T02:00:00Z" }, /in the future/],
    [
      "scheduledTime on a manual message",
      '{"label":"x"}',
      { scheduledTime: "2026-12-03T02:00:00Z" },
      /only with an empty/,
    ],
  ])("rejects %s", async (_, body, attributes, expected) => {
    const deps = makeDeps({ now: "2026-12-03T12:00:00Z" });
    const result = await handleTrigger(body, delivery("m3", "2026-12-03T12:00:00Z", attributes), deps);
    expect(result.rejected?.join()).toMatch(expected);
    expect(deps.admin.exportCalls).toHaveLength(0);
  });
});

describe("labels", () => {
  it("keep accented letters as their base letter and never end in a dash", () => {
    expect(slugify("élan ✓ 🚀")).toBe("elan");
    expect(slugify(`${"a".repeat(39)}-b`)).toBe("a".repeat(39));
  });
});
