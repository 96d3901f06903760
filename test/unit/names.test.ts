import { describe, expect, it } from "vitest";
import {
  bucketNameProblem,
  collectionIdProblem,
  collectionIdsProblems,
  formatGcsUri,
  objectPathProblem,
  parseDatabaseName,
  parseGcsUri,
} from "../../functions/src/names.js";

describe("collectionIdProblem", () => {
  it.each([
    ["users"],
    ["orders_2026"],
    ["__users"],
    ["users__"],
    ["_x_"],
    ["ünïcödé"],
    ["a".repeat(1500)],
    ["é".repeat(750)],
  ])("accepts %j", (id) => {
    expect(collectionIdProblem(id)).toBeUndefined();
  });

  it.each([
    ["", /cannot be empty/],
    ["users/u1/orders", /contains "\/".*collection-group ids, not paths/],
    ["/users", /contains "\/"/],
    [".", /"\." is reserved/],
    ["..", /"\.\." is reserved/],
    ["__x__", /reserved form __\*__/],
    ["____", /reserved form __\*__/],
    ["__name__", /reserved form __\*__/],
    ["a".repeat(1501), /longer than 1,500 bytes/],
    // 751 characters but 1,502 bytes: the limit is in bytes.
    ["é".repeat(751), /longer than 1,500 bytes/],
  ])("refuses %j", (id, problem) => {
    expect(collectionIdProblem(id)).toMatch(problem);
  });
});

describe("collectionIdsProblems", () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);

  it.each([[[]], [["users", "orders"]], [ids(100)]])("accepts %#", (list) => {
    expect(collectionIdsProblems(list)).toEqual([]);
  });

  it("refuses more than 100 ids", () => {
    expect(collectionIdsProblems(ids(101))).toEqual([
      "101 collection ids given; the API accepts at most 100",
    ]);
  });

  it("refuses repeated ids", () => {
    expect(collectionIdsProblems(["users", "orders", "users"])).toEqual(["collection ids are repeated"]);
  });

  it("lists every problem at once", () => {
    const problems = collectionIdsProblems(["a/b", "__x__", "a/b"]);
    expect(problems).toHaveLength(4);
    expect(problems.filter((p) => p.includes('"a/b"'))).toHaveLength(2);
    expect(problems).toContain("collection ids are repeated");
  });
});

describe("bucketNameProblem", () => {
  it.each([
    ["my-bucket"],
    ["abc"],
    ["a_b"],
    ["0bucket9"],
    ["a".repeat(63)],
    ["backups.example.com"],
    [`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.ddd`],
  ])("accepts %j", (name) => {
    expect(bucketNameProblem(name)).toBeUndefined();
  });

  it.each([
    ["", /is not valid/],
    ["a", /is not valid/],
    ["ab", /has 2 characters/],
    ["My-Bucket", /is not valid/],
    ["my bucket", /is not valid/],
    ["-bucket", /is not valid/],
    ["bucket-", /is not valid/],
    ["gs://my-bucket", /is not valid/],
    ["a".repeat(64), /has 64 characters/],
    [`${"a".repeat(64)}.example.com`, /dot-separated part over 63/],
    [[55, 55, 55, 55].map((n) => "a".repeat(n)).join("."), /has 223 characters/],
    ["192.168.1.10", /looks like an IP address/],
    ["goog-backups", /may not start with "goog"/],
    ["my-google-backups", /contain "google"/],
  ])("refuses %j", (name, problem) => {
    expect(bucketNameProblem(name)).toMatch(problem);
  });
});

describe("parseGcsUri", () => {
  it.each([
    ["gs://my-bucket", { bucket: "my-bucket", path: "" }],
    ["gs://my-bucket/", { bucket: "my-bucket", path: "" }],
    ["gs://my-bucket//", { bucket: "my-bucket", path: "" }],
    ["gs://my-bucket/firestore", { bucket: "my-bucket", path: "firestore" }],
    ["gs://my-bucket/manual/pre-migration/", { bucket: "my-bucket", path: "manual/pre-migration" }],
    ["gs://backups.example.com/a/(default)", { bucket: "backups.example.com", path: "a/(default)" }],
  ])("parses %j", (uri, parsed) => {
    expect(parseGcsUri(uri)).toEqual(parsed);
  });

  it.each([
    ["my-bucket", /gs:\/\/ scheme is required/],
    ["my-bucket/firestore", /gs:\/\/ scheme is required/],
    ["gs:/my-bucket", /gs:\/\/ scheme is required/],
    ["GS://my-bucket", /gs:\/\/ scheme is required/],
    ["s3://my-bucket", /gs:\/\/ scheme is required/],
    ["gs://", /bucket name "" is not valid/],
    ["gs:///firestore", /bucket name "" is not valid/],
    ["gs://My_Bucket/x", /bucket name "My_Bucket" is not valid/],
    ["gs://my-bucket/a/../b", /"\." or "\.\." segments/],
    ["gs://my-bucket/..", /"\." or "\.\." segments/],
    ["gs://my-bucket/./a", /"\." or "\.\." segments/],
    ["gs://my-bucket/a//b", /empty segment \("\/\/"\)/],
    ["gs://my-bucket//a", /starts with "\/"/],
    ["gs://my-bucket/a#b", /# \[ \] \* \?/],
    ["gs://my-bucket/a*", /# \[ \] \* \?/],
    ["gs://my-bucket/a\nb", /line breaks/],
    [`gs://my-bucket/${"p".repeat(901)}`, /too long \(at most 900 bytes/],
  ])("refuses %j", (uri, problem) => {
    const parsed = parseGcsUri(uri);
    expect(typeof parsed).toBe("string");
    expect(parsed).toMatch(problem);
  });

  it("round-trips through formatGcsUri", () => {
    for (const uri of ["gs://my-bucket", "gs://my-bucket/a/b"]) {
      const parsed = parseGcsUri(uri);
      if (typeof parsed === "string") throw new Error(parsed);
      expect(formatGcsUri(parsed)).toBe(uri);
    }
  });
});

describe("objectPathProblem", () => {
  it.each([[""], ["firestore"], ["a/b/c"], ["(default)/2026/12/03"]])("accepts %j", (path) => {
    expect(objectPathProblem(path)).toBeUndefined();
  });
  it.each([["/a"], ["a//b"], ["a/./b"], ["a/.."], ["a[1]"], ["what?"]])("refuses %j", (path) => {
    expect(objectPathProblem(path)).toBeTypeOf("string");
  });
});

describe("parseDatabaseName", () => {
  it.each([
    ["projects/my-project/databases/(default)", "my-project", "(default)"],
    ["projects/my-project/databases/orders-eu", "my-project", "orders-eu"],
    ["projects/my-project/databases/abcd", "my-project", "abcd"],
    // A legal named database id, not the (default) database.
    ["projects/my-project/databases/default", "my-project", "default"],
    [`projects/my-project/databases/a${"b".repeat(62)}`, "my-project", `a${"b".repeat(62)}`],
    ["projects/example.com:my-project/databases/(default)", "example.com:my-project", "(default)"],
  ])("parses %s", (name, project, databaseId) => {
    expect(parseDatabaseName(name)).toEqual({ project, databaseId, name });
  });

  it.each([
    ["my-project/(default)", /expected projects\/PROJECT_ID\/databases\/DATABASE_ID/],
    ["projects/my-project/databases/", /expected projects\/PROJECT_ID/],
    ["projects/my-project/databases/(default)/documents", /expected projects\/PROJECT_ID/],
    ["projects/My-Project/databases/(default)", /project id "My-Project" is not a valid.*6-30/],
    ["projects/short/databases/(default)", /project id "short"/],
    ["projects/my-project/databases/abc", /database id "abc" is not valid/],
    ["projects/my-project/databases/Orders", /database id "Orders" is not valid/],
    ["projects/my-project/databases/1orders", /database id "1orders" is not valid/],
    ["projects/my-project/databases/orders-", /database id "orders-" is not valid/],
    ["projects/my-project/databases/orders_eu", /database id "orders_eu" is not valid/],
    [`projects/my-project/databases/a${"b".repeat(63)}`, /is not valid/],
  ])("refuses %s", (name, problem) => {
    const parsed = parseDatabaseName(name);
    expect(typeof parsed).toBe("string");
    expect(parsed).toMatch(problem);
  });
});
