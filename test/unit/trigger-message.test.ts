import { describe, expect, it } from "vitest";
import { parseTriggerMessage } from "../../functions/src/trigger-message.js";
import { DEFAULT_DB, ORDERS_DB, testConfig } from "../support/fakes.js";

const NOW = new Date("2026-12-03T10:00:30Z");
const config = testConfig();
const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);

function problemsOf(body: string, cfg = config): string[] {
  const result = parseTriggerMessage(body, cfg, NOW);
  if (!("problems" in result)) throw new Error(`accepted: ${JSON.stringify(result)}`);
  return result.problems;
}

describe("parseTriggerMessage: the schedule's message", () => {
  it.each([[""], ["   "], ["\n"], ["{}"], [" { } "]])(
    "%j means all targets for the scheduled slot",
    (body) => {
      expect(parseTriggerMessage(body, config, NOW)).toEqual({ kind: "scheduled" });
    },
  );
});

describe("parseTriggerMessage: manual messages", () => {
  it("accepts a fully specified message", () => {
    const body = JSON.stringify({
      database: DEFAULT_DB,
      collectionIds: ["users", "orders"],
      namespaceIds: [],
      snapshotTime: "2026-12-03T02:00:00Z",
      label: "pre-migration",
      reason: "ticket 123",
      outputUriPrefix: "gs://my-bucket/manual/pre-migration/",
    });
    expect(parseTriggerMessage(body, config, NOW)).toEqual({
      kind: "manual",
      databases: [DEFAULT_DB],
      collectionIds: ["users", "orders"],
      namespaceIds: [],
      snapshotTime: new Date("2026-12-03T02:00:00Z"),
      label: "pre-migration",
      reason: "ticket 123",
      outputBase: { bucket: "my-bucket", path: "manual/pre-migration" },
    });
  });

  it("exports every configured database when the message names none", () => {
    expect(parseTriggerMessage('{"label":"before release"}', config, NOW)).toEqual({
      kind: "manual",
      databases: [DEFAULT_DB, ORDERS_DB],
      label: "before release",
    });
  });

  it.each([
    ["a snapshot time one minute ago", '{"snapshotTime":"2026-12-03T09:59:00Z"}'],
    ["a snapshot time with an offset", '{"snapshotTime":"2026-12-03T11:59:00+02:00"}'],
    ["a snapshot time with zero milliseconds", '{"snapshotTime":"2026-12-03T09:00:00.000Z"}'],
    ["a second allowed bucket", '{"outputUriPrefix":"gs://eu-bucket/manual"}'],
    ["a bare allowed bucket with scheme", '{"outputUriPrefix":"gs://eu-bucket"}'],
    ["100 collection ids", JSON.stringify({ collectionIds: ids(100) })],
  ])("accepts %s", (_what, body) => {
    expect(parseTriggerMessage(body, config, NOW)).toMatchObject({ kind: "manual" });
  });
});

describe("parseTriggerMessage: refused messages, each with its own clear problem", () => {
  // [what, body, the one problem]
  const cases: Array<[string, string, RegExp]> = [
    [
      "not JSON",
      "export please",
      /not JSON \(got "export please"\); expected a JSON object with fields database, collectionIds/,
    ],
    ["truncated JSON", '{"database":', /not JSON/],
    [
      "an array",
      '["users"]',
      /^message: got an array; expected a value of type object \(a JSON object with fields database,/,
    ],
    ["null", "null", /^message: got null; expected a value of type object/],
    [
      "a bare string",
      '"projects/my-project/databases/(default)"',
      /^message: got "projects\/my-project\/databases\/\(default\)"; expected a value of type object/,
    ],
    [
      "an unknown field",
      '{"collections":["users"]}',
      /^message: unknown field\(s\) "collections"; accepted fields: database, collectionIds/,
    ],
    ["two unknown fields", '{"db":"x","bucket":"y"}', /^message: unknown field\(s\) "db", "bucket";/],
    [
      "collectionIds as a string",
      '{"collectionIds":"users"}',
      /^message\.collectionIds: got "users"; expected a value of type array/,
    ],
    [
      "a number among collection ids",
      '{"collectionIds":["users",7]}',
      /^message\.collectionIds\[1\]: got 7; expected a value of type string/,
    ],
    [
      "database as an object",
      '{"database":{"id":"x"}}',
      /^message\.database: got \{"id":"x"\}; expected a value of type string/,
    ],
    [
      "snapshotTime as epoch millis",
      '{"snapshotTime":1796270400000}',
      /^message\.snapshotTime: got \d+; expected a value of type string/,
    ],
    ["label as a number", '{"label":5}', /^message\.label: got 5; expected a value of type string/],
    ["an empty label", '{"label":""}', /^message\.label: got ""; expected at least 1 character\(s\)/],
    [
      "a label too long",
      JSON.stringify({ label: "a".repeat(61) }),
      /^message\.label: got "a+\.\.\.; expected at most 60 character\(s\)/,
    ],
    [
      "a label with no letters or digits",
      '{"label":"!!! ---"}',
      /^label needs at least one letter or digit$/,
    ],
    [
      "a collection id with a slash",
      '{"collectionIds":["users/u1/orders"]}',
      /^collectionIds: collection id "users\/u1\/orders" contains "\/"/,
    ],
    ["a reserved collection id", '{"collectionIds":["__name__"]}', /^collectionIds: .*reserved form __\*__/],
    [
      "101 collection ids",
      JSON.stringify({ collectionIds: ids(101) }),
      /^collectionIds: 101 collection ids given; the API accepts at most 100$/,
    ],
    [
      "repeated collection ids",
      '{"collectionIds":["users","users"]}',
      /^collectionIds: collection ids are repeated$/,
    ],
    [
      "a snapshot time that is not a whole minute",
      '{"snapshotTime":"2026-12-03T02:00:30Z"}',
      /^snapshotTime 2026-12-03T02:00:30Z is not a whole minute/,
    ],
    [
      "a snapshot time with milliseconds",
      '{"snapshotTime":"2026-12-03T02:00:00.500Z"}',
      /is not a whole minute/,
    ],
    [
      "a snapshot time in the future",
      '{"snapshotTime":"2026-12-03T10:01:00Z"}',
      /^snapshotTime 2026-12-03T10:01:00Z is not in the past$/,
    ],
    [
      "a snapshot time without a zone",
      '{"snapshotTime":"2026-12-03T02:00:00"}',
      /is not an RFC 3339 time such as 2026-12-03T02:00:00Z/,
    ],
    ["a date without a time", '{"snapshotTime":"2026-12-03"}', /is not an RFC 3339 time/],
    [
      "words as a snapshot time",
      '{"snapshotTime":"yesterday"}',
      /^snapshotTime "yesterday" is not an RFC 3339 time/,
    ],
    ["an impossible date", '{"snapshotTime":"2026-13-45T02:00:00Z"}', /is not an RFC 3339 time/],
    [
      "a database that is not configured",
      '{"database":"projects/my-project/databases/staging"}',
      /^database "projects\/my-project\/databases\/staging" is not configured; configured: projects\/my-project\/databases\/\(default\), projects\/my-project\/databases\/orders-eu$/,
    ],
    [
      "a database id instead of its name",
      '{"database":"(default)"}',
      /^database "\(default\)" is not configured/,
    ],
    [
      "a bucket outside the allowlist",
      '{"outputUriPrefix":"gs://someone-elses-bucket/x"}',
      /^outputUriPrefix bucket "someone-elses-bucket" is not allowed; allowed buckets: my-bucket, eu-bucket$/,
    ],
    [
      "a bare bucket in outputUriPrefix",
      '{"outputUriPrefix":"my-bucket/manual"}',
      /^outputUriPrefix "my-bucket\/manual": .*gs:\/\/ scheme is required.*expected gs:\/\/BUCKET or gs:\/\/BUCKET\/PATH$/,
    ],
    [
      "a path that climbs out in outputUriPrefix",
      '{"outputUriPrefix":"gs://my-bucket/manual/../firestore"}',
      /^outputUriPrefix .*"\." or "\.\." segments/,
    ],
  ];

  it.each(cases)("%s", (_what, body, problem) => {
    const problems = problemsOf(body);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });

  it.each([
    ["snapshotTime", '{"snapshotTime":"2026-12-03T02:00:00Z"}', /^snapshotTime needs the v1 Admin API/],
    ["namespaceIds", '{"namespaceIds":["tenant-a"]}', /^namespaceIds need the v1 Admin API/],
  ])("refuses %s on v1beta2", (_field, body, problem) => {
    const v1beta2 = testConfig({
      FIRESTORE_ADMIN_API_VERSION: "v1beta2",
      EXPORT_TARGETS: JSON.stringify([{ database: DEFAULT_DB, bucket: "gs://my-bucket" }]),
    });
    const problems = problemsOf(body, v1beta2);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });

  it("refuses a snapshot time equal to now", () => {
    const now = new Date("2026-12-03T10:00:00Z");
    expect(parseTriggerMessage('{"snapshotTime":"2026-12-03T10:00:00Z"}', config, now)).toEqual({
      problems: ["snapshotTime 2026-12-03T10:00:00Z is not in the past"],
    });
  });

  it("allows a bucket an explicit allowlist names, and only those", () => {
    const cfg = testConfig({ MANUAL_BUCKET_ALLOWLIST: "gs://scratch-bucket" });
    expect(parseTriggerMessage('{"outputUriPrefix":"gs://scratch-bucket/x"}', cfg, NOW)).toMatchObject({
      kind: "manual",
    });
    expect(problemsOf('{"outputUriPrefix":"gs://my-bucket/x"}', cfg)).toEqual([
      'outputUriPrefix bucket "my-bucket" is not allowed; allowed buckets: scratch-bucket',
    ]);
  });

  it("lists every problem of a message at once", () => {
    const problems = problemsOf(
      JSON.stringify({
        database: "projects/my-project/databases/staging",
        collectionIds: ["a/b"],
        snapshotTime: "2026-12-03T02:00:30Z",
        label: "???",
        outputUriPrefix: "gs://other-bucket",
      }),
    );
    expect(problems).toHaveLength(5);
    expect(problems.map((p) => p.split(/[ :]/)[0])).toEqual([
      "database",
      "collectionIds",
      "snapshotTime",
      "label",
      "outputUriPrefix",
    ]);
  });
});
