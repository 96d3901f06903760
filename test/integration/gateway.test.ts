import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { Firestore, GeoPoint, Timestamp } from "@google-cloud/firestore";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startFirestoreEmulator } from "../../local/emulators.js";
import { type Gateway, startGateway } from "../../local/gateway.js";
import { countLevelDbRecords } from "../../local/leveldb-records.js";

const PROJECT = "demo-gw";
const BUCKET = "gw-backups";
const OP_MS = 400;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions that read them.
type Json = Record<string, any>;

let emulator: Emulator;
let gateway: Gateway;
let dataRoot: string;
const clients: Firestore[] = [];

function firestore(projectId: string, databaseId?: string): Firestore {
  const db = new Firestore({
    projectId,
    ...(databaseId ? { databaseId } : {}),
    host: "127.0.0.1",
    port: emulator.port,
    ssl: false,
    customHeaders: { Authorization: "Bearer owner" },
  });
  clients.push(db);
  return db;
}

async function api(method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${gateway.url}${urlPath}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

async function emulatorRest(method: string, urlPath: string, body?: unknown): Promise<Json> {
  const response = await fetch(`http://${emulator.host}${urlPath}`, {
    method,
    headers: { authorization: "Bearer owner", "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.ok, await response.clone().text()).toBe(true);
  return (await response.json()) as Json;
}

async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 15_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const getOperation = async (name: string, version = "v1") => (await api("GET", `/${version}/${name}`)).body;
const waitDone = (name: string, version = "v1") =>
  waitFor(
    () => getOperation(name, version),
    (op) => op.done === true,
    `${name} done`,
  );

async function startExport(database: string, body: Json, version = "v1"): Promise<Json> {
  const { status, body: op } = await api("POST", `/${version}/${database}:exportDocuments`, body);
  expect(status, JSON.stringify(op)).toBe(200);
  return op;
}

async function exportAndWait(database: string, body: Json, version = "v1"): Promise<Json> {
  return waitDone((await startExport(database, body, version)).name, version);
}

/** Documents and bytes in an export folder's output files, counted independently of the gateway. */
function countExport(folder: string): { documents: number; bytes: number; files: string[] } {
  const files = readdirSync(folder, { recursive: true, encoding: "utf8" })
    .filter((file) => statSync(path.join(folder, file)).isFile())
    .sort();
  let documents = 0;
  let bytes = 0;
  for (const file of files.filter((name) => /(^|\/)output-\d+$/.test(name))) {
    const data = readFileSync(path.join(folder, file));
    documents += countLevelDbRecords(data);
    bytes += data.length;
  }
  return { documents, bytes, files };
}

let prefixCounter = 0;
const freshPrefix = (label: string) => `gs://${BUCKET}/runs/${label}-${++prefixCounter}`;

/** One value of every Firestore type. */
function everyType(db: Firestore, n: number): Record<string, unknown> {
  return {
    string: `text ${n} ✓`,
    integer: 9007199254740991 - n,
    double: n + 0.25,
    notANumber: Number.NaN,
    boolean: n % 2 === 0,
    nothing: null,
    timestamp: new Timestamp(1_700_000_000 + n, 123_456_000),
    geo: new GeoPoint(48.8566, 2.3522),
    reference: db.doc(`users/u${n}`),
    bytes: Buffer.from([0, 1, 2, 255, n]),
    map: { nested: { deeper: [1, "two", { three: 3 }] }, empty: {} },
    array: [1, "a", null, true, new Timestamp(0, 0)],
    emptyArray: [],
  };
}

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), "gateway-test-"));
  emulator = await startFirestoreEmulator();
  gateway = await startGateway({
    firestoreEmulatorHost: emulator.host,
    dataRoot,
    buckets: [BUCKET, "other-bucket"],
    opMinDurationMs: OP_MS,
    // This file starts far more than 20 exports a minute; the quotas have their own test.
    quotas: { requestsPerMinute: 100_000, concurrent: 100_000 },
  });
  const db = firestore(PROJECT);
  const batch = db.batch();
  for (let n = 1; n <= 3; n++) {
    batch.set(db.doc(`users/u${n}`), everyType(db, n));
    batch.set(db.doc(`users/u${n}/orders/o${n}`), { total: n * 10, at: Timestamp.fromMillis(n) });
  }
  batch.set(db.doc("orders/loose"), { total: 1 });
  batch.set(db.doc("cities/paris"), { name: "Paris", where: new GeoPoint(48.8566, 2.3522) });
  batch.set(db.doc("cities/paris/landmarks/eiffel"), { height: 330 });
  await batch.commit();
});

afterAll(async () => {
  await Promise.all(clients.map((db) => db.terminate()));
  await gateway?.stop();
  await emulator?.stop();
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
});

afterEach(() => gateway.setFaults(""));

const DEFAULT_DB = `projects/${PROJECT}/databases/(default)`;
const SEEDED = 3 + 3 + 1 + 1 + 1;

describe("exportDocuments", () => {
  it("runs as a long-running operation and writes the real export layout with real counts", async () => {
    const prefix = freshPrefix("full");
    const op = await startExport(DEFAULT_DB, { outputUriPrefix: prefix });
    expect(op.name).toMatch(/^projects\/demo-gw\/databases\/\(default\)\/operations\/[A-Za-z0-9_-]+$/);
    expect(op).not.toHaveProperty("done");
    expect(op.metadata).toMatchObject({
      "@type": "type.googleapis.com/google.firestore.admin.v1.ExportDocumentsMetadata",
      operationState: "INITIALIZING",
      outputUriPrefix: prefix,
    });
    expect(op.metadata).not.toHaveProperty("endTime");

    const name = prefix.split("/").at(-1) as string;
    const folder = gateway.localPathFor(prefix);
    const overall = path.join(folder, `${name}.overall_export_metadata`);
    const processing = await waitFor(
      () => getOperation(op.name),
      (current) => current.metadata.operationState === "PROCESSING",
      "PROCESSING",
    );
    expect(processing).not.toHaveProperty("done");
    expect(existsSync(overall)).toBe(false);

    const done = await waitDone(op.name);
    const counted = countExport(folder);
    expect(counted.files).toEqual([
      "all_namespaces/all_kinds/all_namespaces_all_kinds.export_metadata",
      "all_namespaces/all_kinds/output-0",
      `${name}.overall_export_metadata`,
    ]);
    expect(counted.documents).toBe(SEEDED);
    expect(done.error).toBeUndefined();
    expect(done.metadata).toMatchObject({
      operationState: "SUCCESSFUL",
      progressDocuments: { completedWork: String(SEEDED), estimatedWork: String(SEEDED) },
      progressBytes: { completedWork: String(counted.bytes), estimatedWork: String(counted.bytes) },
    });
    expect(Date.parse(done.metadata.endTime) - Date.parse(done.metadata.startTime)).toBeGreaterThanOrEqual(
      OP_MS * 0.9,
    );
    expect(done.response).toEqual({
      "@type": "type.googleapis.com/google.firestore.admin.v1.ExportDocumentsResponse",
      outputUriPrefix: prefix,
    });
  });

  it("refuses a prefix that already holds an export, synchronously", async () => {
    const prefix = freshPrefix("twice");
    await exportAndWait(DEFAULT_DB, { outputUriPrefix: prefix });
    const again = await api("POST", `/v1/${DEFAULT_DB}:exportDocuments`, { outputUriPrefix: prefix });
    const name = prefix.split("/").at(-1);
    expect(again).toEqual({
      status: 400,
      body: {
        error: {
          code: 400,
          message: `Path already exists: /${BUCKET}/runs/${name}/${name}.overall_export_metadata`,
          status: "INVALID_ARGUMENT",
        },
      },
    });
  });

  it("names the folder after the start time for a bare bucket", async () => {
    const done = await exportAndWait(DEFAULT_DB, { outputUriPrefix: "gs://other-bucket" });
    const prefix = done.response.outputUriPrefix as string;
    expect(prefix).toMatch(/^gs:\/\/other-bucket\/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}_\d{5}$/);
    expect(done.metadata.outputUriPrefix).toBe(prefix);
    expect(countExport(gateway.localPathFor(prefix)).documents).toBe(SEEDED);
  });

  it("echoes snapshotTime and namespaceIds, and serves v1beta2 with its own types", async () => {
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString().replace(".000Z", "Z");
    const v1 = await exportAndWait(DEFAULT_DB, {
      outputUriPrefix: freshPrefix("snap"),
      snapshotTime: minute,
      namespaceIds: [""],
    });
    expect(v1.metadata).toMatchObject({
      snapshotTime: minute,
      namespaceIds: [""],
      operationState: "SUCCESSFUL",
    });

    const beta = await exportAndWait(DEFAULT_DB, { outputUriPrefix: freshPrefix("beta") }, "v1beta2");
    expect(beta.metadata["@type"]).toBe(
      "type.googleapis.com/google.firestore.admin.v1beta2.ExportDocumentsMetadata",
    );
    expect(beta.response["@type"]).toBe(
      "type.googleapis.com/google.firestore.admin.v1beta2.ExportDocumentsResponse",
    );
  });

  const now = Date.now();
  const minuteAgo = new Date(Math.floor(now / 60_000) * 60_000 - 60_000).toISOString();
  const rejected: Array<[string, string, Json, number, string, string | RegExp]> = [
    ["no prefix", "v1", {}, 400, "INVALID_ARGUMENT", /output URI prefix must be specified/],
    ["a non-gs prefix", "v1", { outputUriPrefix: "s3://b/x" }, 400, "INVALID_ARGUMENT", /gs:\/\/BUCKET_NAME/],
    [
      "a prefix escaping the bucket",
      "v1",
      { outputUriPrefix: `gs://${BUCKET}/a/../b` },
      400,
      "INVALID_ARGUMENT",
      /gs:/,
    ],
    [
      "a missing bucket",
      "v1",
      { outputUriPrefix: "gs://no-such-bucket/x" },
      400,
      "INVALID_ARGUMENT",
      /no-such-bucket/,
    ],
    [
      "a slash in a collection id",
      "v1",
      { outputUriPrefix: freshPrefix("x"), collectionIds: ["a/b"] },
      400,
      "INVALID_ARGUMENT",
      /'\/'/,
    ],
    [
      "collection id ..",
      "v1",
      { outputUriPrefix: freshPrefix("x"), collectionIds: [".."] },
      400,
      "INVALID_ARGUMENT",
      /'\.\.'/,
    ],
    [
      "a reserved collection id",
      "v1",
      { outputUriPrefix: freshPrefix("x"), collectionIds: ["__x__"] },
      400,
      "INVALID_ARGUMENT",
      /reserved/,
    ],
    [
      "a collection id over 1500 bytes",
      "v1",
      { outputUriPrefix: freshPrefix("x"), collectionIds: ["é".repeat(751)] },
      400,
      "INVALID_ARGUMENT",
      /1500 bytes/,
    ],
    [
      "101 collection ids",
      "v1",
      { outputUriPrefix: freshPrefix("x"), collectionIds: Array.from({ length: 101 }, (_, i) => `c${i}`) },
      400,
      "INVALID_ARGUMENT",
      /at most 100/,
    ],
    [
      "duplicate collection ids",
      "v1",
      { outputUriPrefix: freshPrefix("x"), collectionIds: ["a", "a"] },
      400,
      "INVALID_ARGUMENT",
      /unique/,
    ],
    [
      "a snapshotTime that is not a whole minute",
      "v1",
      { outputUriPrefix: freshPrefix("x"), snapshotTime: minuteAgo.replace(":00.000Z", ":30Z") },
      400,
      "INVALID_ARGUMENT",
      /whole minute/,
    ],
    [
      "a snapshotTime in the future",
      "v1",
      { outputUriPrefix: freshPrefix("x"), snapshotTime: new Date(now + 3_600_000).toISOString() },
      400,
      "INVALID_ARGUMENT",
      /whole minute|future/,
    ],
    [
      "a malformed snapshotTime",
      "v1",
      { outputUriPrefix: freshPrefix("x"), snapshotTime: "yesterday" },
      400,
      "INVALID_ARGUMENT",
      /Invalid time format/,
    ],
    [
      "snapshotTime on v1beta2",
      "v1beta2",
      { outputUriPrefix: freshPrefix("x"), snapshotTime: minuteAgo },
      400,
      "INVALID_ARGUMENT",
      'Invalid JSON payload received. Unknown name "snapshotTime": Cannot find field.',
    ],
    [
      "namespaceIds on v1beta2",
      "v1beta2",
      { outputUriPrefix: freshPrefix("x"), namespaceIds: [] },
      400,
      "INVALID_ARGUMENT",
      'Invalid JSON payload received. Unknown name "namespaceIds": Cannot find field.',
    ],
    [
      "an unknown field",
      "v1",
      { outputUriPrefix: freshPrefix("x"), label: "x" },
      400,
      "INVALID_ARGUMENT",
      /"label"/,
    ],
  ];
  it.each(rejected)("rejects %s", async (_what, version, body, code, status, message) => {
    const response = await api("POST", `/${version}/${DEFAULT_DB}:exportDocuments`, body);
    expect(response.status).toBe(code);
    expect(response.body.error).toMatchObject({ code, status });
    expect(response.body.error.message).toMatch(message);
  });
});

describe("collectionIds", () => {
  const project = "demo-gw-groups";
  const database = `projects/${project}/databases/(default)`;
  const docPath = (name: string) => `/v1/${database}/documents/${name}`;
  const exported = ["orders", "landmarks"];
  const kept = ["users/u1/orders/o1", "users/u2/orders/o2", "orders/loose", "cities/paris/landmarks/eiffel"];
  const left = ["users/u1", "users/u2", "cities/paris"];
  let prefix = "";
  const before = new Map<string, Json>();

  beforeAll(async () => {
    const db = firestore(project);
    for (const n of [1, 2]) {
      await db.doc(`users/u${n}`).set(everyType(db, n));
      await db.doc(`users/u${n}/orders/o${n}`).set(everyType(db, n + 10));
    }
    await db.doc("orders/loose").set({ total: 1, at: Timestamp.now() });
    await db.doc("cities/paris").set({ name: "Paris" });
    await db.doc("cities/paris/landmarks/eiffel").set(everyType(db, 99));
    for (const name of kept) before.set(name, (await emulatorRest("GET", docPath(name))).fields);
  });

  it("exports only the requested collection groups, at every depth", async () => {
    prefix = freshPrefix("groups");
    const done = await exportAndWait(database, { outputUriPrefix: prefix, collectionIds: exported });
    expect(done.metadata.operationState).toBe("SUCCESSFUL");
    expect(done.metadata.collectionIds).toEqual(exported);
    const counted = countExport(gateway.localPathFor(prefix));
    expect(counted.documents).toBe(kept.length);
    expect(done.metadata.progressDocuments.completedWork).toBe(String(kept.length));
    // The source database is untouched by the copy.
    expect((await emulatorRest("GET", docPath("users/u1"))).fields).toBeDefined();
  });

  it("imports back with every value exact and nothing else (importDocuments)", async () => {
    await emulatorRest("DELETE", `/emulator/v1/projects/${project}/databases/(default)/documents`);
    const { status, body: op } = await api("POST", `/v1/${database}:importDocuments`, {
      inputUriPrefix: prefix,
    });
    expect(status).toBe(200);
    expect(op.metadata["@type"]).toBe(
      "type.googleapis.com/google.firestore.admin.v1.ImportDocumentsMetadata",
    );
    const done = await waitDone(op.name);
    expect(done.response).toEqual({ "@type": "type.googleapis.com/google.protobuf.Empty" });
    for (const name of kept)
      expect((await emulatorRest("GET", docPath(name))).fields).toEqual(before.get(name));
    for (const name of left) {
      const response = await fetch(`http://${emulator.host}${docPath(name)}`, {
        headers: { authorization: "Bearer owner" },
      });
      expect(response.status).toBe(404);
    }
  });

  it("exports nothing when namespaceIds leaves out the default namespace", async () => {
    const prefix = freshPrefix("tenant");
    const done = await exportAndWait(database, { outputUriPrefix: prefix, namespaceIds: ["tenant-a"] });
    expect(done.metadata).toMatchObject({ operationState: "SUCCESSFUL", namespaceIds: ["tenant-a"] });
    expect(countExport(gateway.localPathFor(prefix))).toMatchObject({
      documents: 0,
      files: [`${prefix.split("/").at(-1)}.overall_export_metadata`],
    });
  });

  it("imports a subset of groups from a filtered export", async () => {
    await emulatorRest("DELETE", `/emulator/v1/projects/${project}/databases/(default)/documents`);
    const op = (
      await api("POST", `/v1/${database}:importDocuments`, {
        inputUriPrefix: prefix,
        collectionIds: ["landmarks"],
      })
    ).body;
    await waitDone(op.name);
    const landmark = "cities/paris/landmarks/eiffel";
    expect((await emulatorRest("GET", docPath(landmark))).fields).toEqual(before.get(landmark));
    const order = await fetch(`http://${emulator.host}${docPath("orders/loose")}`, {
      headers: { authorization: "Bearer owner" },
    });
    expect(order.status).toBe(404);
  });
});

describe("named databases", () => {
  it("export only their own documents", async () => {
    const other = firestore(PROJECT, "other-db");
    await other.doc("things/t1").set({ n: 1 });
    await other.doc("things/t2").set({ n: 2 });
    const done = await exportAndWait(`projects/${PROJECT}/databases/other-db`, {
      outputUriPrefix: freshPrefix("named"),
    });
    expect(done.name).toMatch(/^projects\/demo-gw\/databases\/other-db\/operations\//);
    expect(countExport(gateway.localPathFor(done.response.outputUriPrefix)).documents).toBe(2);
    const main = await exportAndWait(DEFAULT_DB, { outputUriPrefix: freshPrefix("main") });
    expect(main.metadata.progressDocuments.completedWork).toBe(String(SEEDED));
  });
});

describe("faults", () => {
  it.each([
    ["429", 429, "RESOURCE_EXHAUSTED", /Quota exceeded/],
    ["500", 500, "INTERNAL", /Internal error/],
    ["503", 503, "UNAVAILABLE", /unavailable/],
    ["403", 403, "PERMISSION_DENIED", /^The caller does not have permission$/],
  ])("export:%s answers that status in Google's format", async (effect, code, status, message) => {
    gateway.setFaults(`export:${effect}*1`);
    const prefix = freshPrefix("fault");
    const response = await api("POST", `/v1/${DEFAULT_DB}:exportDocuments`, { outputUriPrefix: prefix });
    expect(response.status).toBe(code);
    expect(response.body.error).toMatchObject({ code, status });
    expect(response.body.error.message).toMatch(message);
    await exportAndWait(DEFAULT_DB, { outputUriPrefix: prefix });
  });

  it("counts calls: export:503*2 fails twice, then exports", async () => {
    gateway.setFaults("export:503*2");
    const body = { outputUriPrefix: freshPrefix("retry") };
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await api("POST", `/v1/${DEFAULT_DB}:exportDocuments`, body)).status);
    expect(statuses).toEqual([503, 503, 200]);
  });

  it("export:exists answers Path already exists for a fresh prefix", async () => {
    gateway.setFaults("export:exists*1");
    const response = await api("POST", `/v1/${DEFAULT_DB}:exportDocuments`, {
      outputUriPrefix: `gs://${BUCKET}/a/b/c`,
    });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe(
      `Path already exists: /${BUCKET}/a/b/c/c.overall_export_metadata`,
    );
  });

  it("export:timeout never answers, until the client gives up", async () => {
    gateway.setFaults("export:timeout*1");
    const call = fetch(`${gateway.url}/v1/${DEFAULT_DB}:exportDocuments`, {
      method: "POST",
      body: JSON.stringify({ outputUriPrefix: freshPrefix("timeout") }),
      signal: AbortSignal.timeout(300),
    });
    await expect(call).rejects.toThrow(/timeout|aborted/i);
    await exportAndWait(DEFAULT_DB, { outputUriPrefix: freshPrefix("after-timeout") });
  });

  it("get:503 and list:503 fail operations.get and operations.list", async () => {
    const op = await startExport(DEFAULT_DB, { outputUriPrefix: freshPrefix("get") });
    gateway.setFaults("get:503*1,list:503*1");
    expect((await api("GET", `/v1/${op.name}`)).body.error.status).toBe("UNAVAILABLE");
    expect((await api("GET", `/v1/${DEFAULT_DB}/operations`)).status).toBe(503);
    expect((await api("GET", `/v1/${op.name}`)).status).toBe(200);
    await waitDone(op.name);
  });

  it("op:FAILED ends FAILED with an error, leaving partial files and no overall metadata", async () => {
    gateway.setFaults("op:FAILED*1");
    const prefix = freshPrefix("failed");
    const done = await exportAndWait(DEFAULT_DB, { outputUriPrefix: prefix });
    expect(done.metadata.operationState).toBe("FAILED");
    expect(done.metadata.endTime).toBeDefined();
    expect(done.error.code).toBe(7);
    expect(done.error.message).toMatch(/gcp-sa-firestore.*storage\.objects\.create/);
    expect(done).not.toHaveProperty("response");
    expect(countExport(gateway.localPathFor(prefix)).files).toEqual(["all_namespaces/all_kinds/output-0"]);
  });

  it("op:CANCELLED ends CANCELLED with error code 1 and no overall metadata", async () => {
    gateway.setFaults("op:CANCELLED*1");
    const prefix = freshPrefix("cancelled");
    const done = await exportAndWait(DEFAULT_DB, { outputUriPrefix: prefix });
    expect(done.metadata.operationState).toBe("CANCELLED");
    expect(done.error.code).toBe(1);
    const name = prefix.split("/").at(-1);
    expect(countExport(gateway.localPathFor(prefix)).files).not.toContain(`${name}.overall_export_metadata`);
  });

  it("op:STUCK stays PROCESSING while other exports complete, until cancelled", async () => {
    gateway.setFaults("op:STUCK*1");
    const stuck = await startExport(DEFAULT_DB, { outputUriPrefix: freshPrefix("stuck") });
    await waitFor(
      () => getOperation(stuck.name),
      (op) => op.metadata.operationState === "PROCESSING" && op.metadata.progressDocuments?.completedWork,
      "stuck export in progress",
    );
    // Longer than a whole operation: an export started afterwards finishes while the stuck one does not.
    await exportAndWait(DEFAULT_DB, { outputUriPrefix: freshPrefix("not-stuck") });
    const still = await getOperation(stuck.name);
    expect(still).not.toHaveProperty("done");
    expect(still.metadata.operationState).toBe("PROCESSING");
    expect((await api("POST", `/v1/${stuck.name}:cancel`)).body).toEqual({});
    const done = await waitDone(stuck.name);
    expect(done.metadata.operationState).toBe("CANCELLED");
  });

  it("storage:missing finishes SUCCESSFUL without the overall metadata object", async () => {
    gateway.setFaults("storage:missing*1");
    const prefix = freshPrefix("missing");
    const done = await exportAndWait(DEFAULT_DB, { outputUriPrefix: prefix });
    expect(done.metadata.operationState).toBe("SUCCESSFUL");
    const object = `${prefix.slice(`gs://${BUCKET}/`.length)}/${prefix.split("/").at(-1)}.overall_export_metadata`;
    const response = await api("GET", `/storage/v1/b/${BUCKET}/o/${encodeURIComponent(object)}`);
    expect(response.status).toBe(404);
    expect(response.body.error.message).toBe(`No such object: ${BUCKET}/${object}`);
  });

  it("can be set by other processes through the control endpoint", async () => {
    const bad = await api("POST", "/__gateway/faults", { spec: "export:404" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/unknown effect "404".*Accepted: export:429\|500\|503\|403/);
    const good = await api("POST", "/__gateway/faults", { spec: "export:429*1" });
    expect(good.body.remaining).toEqual([{ target: "export", effect: "429", count: 1 }]);
    expect(
      (await api("POST", `/v1/${DEFAULT_DB}:exportDocuments`, { outputUriPrefix: freshPrefix("c") })).status,
    ).toBe(429);
  });
});

describe("quotas (F14)", () => {
  it("refuses beyond the running-operations and per-minute limits with 429 RESOURCE_EXHAUSTED", async () => {
    const quotaRoot = await mkdtemp(path.join(tmpdir(), "gateway-quota-"));
    const small = await startGateway({
      firestoreEmulatorHost: emulator.host,
      dataRoot: quotaRoot,
      buckets: [BUCKET],
      opMinDurationMs: 1500,
      quotas: { requestsPerMinute: 3, concurrent: 1 },
    });
    try {
      const call = async (n: number) => {
        const response = await fetch(`${small.url}/v1/${DEFAULT_DB}:exportDocuments`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ outputUriPrefix: `gs://${BUCKET}/quota/${n}` }),
        });
        return { status: response.status, body: (await response.json()) as Json };
      };
      const first = await call(1);
      expect(first.status).toBe(200);
      // One operation running and a limit of one: the next is refused for the slot...
      const second = await call(2);
      expect(second.status).toBe(429);
      expect(second.body.error).toMatchObject({ code: 429, status: "RESOURCE_EXHAUSTED" });
      expect(second.body.error.message).toMatch(/concurrent export and import operations/);
      // ...and once it has ended, the third is admitted; the fourth is one too many for the minute.
      await waitFor(
        async () => (await fetch(`${small.url}/v1/${first.body.name}`)).json() as Promise<Json>,
        (op) => op.done === true,
        "the first export to end",
      );
      expect((await call(3)).status).toBe(200);
      const fourth = await call(4);
      expect(fourth.status).toBe(429);
      expect(fourth.body.error.message).toMatch(/Export and import requests per minute/);
    } finally {
      await small.stop();
      await rm(quotaRoot, { recursive: true, force: true });
    }
  });
});

describe("operations", () => {
  const database = "projects/demo-gw-ops/databases/(default)";
  const list = async (query = "") => (await api("GET", `/v1/${database}/operations${query}`)).body;
  const names = (body: Json) => ((body.operations ?? []) as Json[]).map((op) => op.name as string).sort();

  it("list running and failed ones by default, and filter by done and state", async () => {
    // proto3 JSON leaves an empty list out.
    expect(await list()).toEqual({});
    const ok = await exportAndWait(database, { outputUriPrefix: freshPrefix("ok") });
    gateway.setFaults("op:FAILED*1");
    const failed = await exportAndWait(database, { outputUriPrefix: freshPrefix("bad") });
    gateway.setFaults("op:STUCK*1");
    const running = await startExport(database, { outputUriPrefix: freshPrefix("run") });

    expect(names(await list())).toEqual([failed.name, running.name].sort());
    expect(names(await list("?filter=done%3Dtrue"))).toEqual([ok.name, failed.name].sort());
    expect(names(await list("?filter=done%3Dfalse"))).toEqual([running.name]);
    expect(
      names(await list(`?filter=${encodeURIComponent('metadata.operationState="SUCCESSFUL"')}`)),
    ).toEqual([ok.name]);
    expect(
      names(await list(`?filter=${encodeURIComponent("done=true AND metadata.operationState=FAILED")}`)),
    ).toEqual([failed.name]);
    expect((await api("GET", `/v1/${database}/operations?filter=name%3Dx`)).status).toBe(400);

    const first = await list("?filter=done%3Dtrue&pageSize=1");
    expect(first.operations).toHaveLength(1);
    const second = await list(`?filter=done%3Dtrue&pageSize=1&pageToken=${first.nextPageToken}`);
    expect(second.operations).toHaveLength(1);
    expect(second.nextPageToken).toBeUndefined();
    expect(names({ operations: [...first.operations, ...second.operations] })).toEqual(
      [ok.name, failed.name].sort(),
    );

    expect(await api("POST", `/v1/${running.name}:cancel`)).toEqual({ status: 200, body: {} });
    await waitDone(running.name);
  });

  it("cancel ends a running export CANCELLED with code 1 and no overall metadata", async () => {
    const prefix = freshPrefix("cancel");
    const op = await startExport(DEFAULT_DB, { outputUriPrefix: prefix });
    expect((await api("POST", `/v1/${op.name}:cancel`)).body).toEqual({});
    expect(["CANCELLING", "CANCELLED"]).toContain((await getOperation(op.name)).metadata.operationState);
    const done = await waitDone(op.name);
    expect(done.metadata.operationState).toBe("CANCELLED");
    expect(done.error).toEqual({ code: 1, message: expect.any(String) });
    expect(
      existsSync(
        path.join(gateway.localPathFor(prefix), `${prefix.split("/").at(-1)}.overall_export_metadata`),
      ),
    ).toBe(false);
  });

  it("delete forgets an operation; unknown operations are NOT_FOUND", async () => {
    const done = await exportAndWait(DEFAULT_DB, { outputUriPrefix: freshPrefix("forget") });
    expect(await api("DELETE", `/v1/${done.name}`)).toEqual({ status: 200, body: {} });
    const gone = await api("GET", `/v1/${done.name}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatchObject({ code: 404, status: "NOT_FOUND" });
    expect((await api("POST", `/v1/${DEFAULT_DB}/operations/nope:cancel`)).status).toBe(404);
  });
});

describe("Cloud Storage JSON API", () => {
  const encoded = (name: string) => encodeURIComponent(name);

  it("serves buckets, and 404s unknown ones", async () => {
    expect((await api("GET", `/storage/v1/b/${BUCKET}`)).body).toMatchObject({
      kind: "storage#bucket",
      name: BUCKET,
    });
    const missing = await api("GET", "/storage/v1/b/not-a-bucket/o");
    expect(missing.status).toBe(404);
    expect(missing.body.error.errors[0].reason).toBe("notFound");
  });

  it("uploads, reads metadata and media, lists, and deletes objects", async () => {
    const data = Buffer.from("hello gateway\n");
    const upload = await fetch(
      `${gateway.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=files/a/one.txt`,
      {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: data,
      },
    );
    expect(upload.status).toBe(200);
    const resource = (await upload.json()) as Json;
    expect(resource).toMatchObject({
      kind: "storage#object",
      name: "files/a/one.txt",
      bucket: BUCKET,
      size: String(data.length),
      contentType: "text/plain",
      md5Hash: createHash("md5").update(data).digest("base64"),
    });
    expect(resource.generation).toMatch(/^\d+$/);
    expect(resource.timeCreated).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect((await api("GET", `/storage/v1/b/${BUCKET}/o/${encoded("files/a/one.txt")}`)).body).toEqual(
      resource,
    );

    const media = await fetch(
      `${gateway.url}/storage/v1/b/${BUCKET}/o/${encoded("files/a/one.txt")}?alt=media`,
    );
    expect(Buffer.from(await media.arrayBuffer())).toEqual(data);

    for (const name of ["files/a/two.txt", "files/b/three.txt", "files/top.txt"]) {
      const put = await fetch(
        `${gateway.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=${encoded(name)}`,
        {
          method: "POST",
          body: name,
        },
      );
      expect(put.status).toBe(200);
    }
    const listed = (await api("GET", `/storage/v1/b/${BUCKET}/o?prefix=files/&delimiter=/`)).body;
    expect(listed.kind).toBe("storage#objects");
    expect(listed.prefixes).toEqual(["files/a/", "files/b/"]);
    expect(listed.items.map((item: Json) => item.name)).toEqual(["files/top.txt"]);

    const pages: string[] = [];
    let token = "";
    for (;;) {
      const page = (await api("GET", `/storage/v1/b/${BUCKET}/o?prefix=files/&maxResults=2${token}`)).body;
      pages.push(page.items.map((item: Json) => item.name).join(","));
      if (!page.nextPageToken) break;
      token = `&pageToken=${page.nextPageToken}`;
    }
    expect(pages).toEqual(["files/a/one.txt,files/a/two.txt", "files/b/three.txt,files/top.txt"]);

    const deleted = await fetch(`${gateway.url}/storage/v1/b/${BUCKET}/o/${encoded("files/a/one.txt")}`, {
      method: "DELETE",
    });
    expect(deleted.status).toBe(204);
    const gone = await api("GET", `/storage/v1/b/${BUCKET}/o/${encoded("files/a/one.txt")}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.message).toBe(`No such object: ${BUCKET}/files/a/one.txt`);
    expect((await api("DELETE", `/storage/v1/b/${BUCKET}/o/${encoded("files/a/one.txt")}`)).status).toBe(404);
  });

  it("never lets an object name leave the bucket folder", async () => {
    // Sent byte for byte: fetch would resolve the dot segments itself.
    const raw = (method: string, target: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${gateway.url}${target}`, { method }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end("x");
      });
    await rm(path.join(dataRoot, "other-bucket", "x"), { force: true });
    for (const name of [
      "..",
      "%2e%2e",
      "..%2Fother-bucket%2Fx",
      "a%2F..%2F..%2Fother-bucket%2Fx",
      "a/../../x",
    ]) {
      expect(await raw("GET", `/storage/v1/b/${BUCKET}/o/${name}`)).toBe(400);
      expect(await raw("DELETE", `/storage/v1/b/${BUCKET}/o/${name}`)).toBe(400);
      expect(await raw("POST", `/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=${name}`)).toBe(400);
    }
    expect(existsSync(path.join(dataRoot, "other-bucket", "x"))).toBe(false);
    expect(existsSync(path.join(dataRoot, "x"))).toBe(false);
  });

  it("lists an export's objects with string sizes", async () => {
    const prefix = freshPrefix("listed");
    await exportAndWait(DEFAULT_DB, { outputUriPrefix: prefix });
    const folder = prefix.slice(`gs://${BUCKET}/`.length);
    const listed = (await api("GET", `/storage/v1/b/${BUCKET}/o?prefix=${encoded(`${folder}/`)}`)).body;
    const name = folder.split("/").at(-1);
    // Name (byte) order, as the service lists.
    expect(listed.items.map((item: Json) => item.name)).toEqual([
      `${folder}/all_namespaces/all_kinds/all_namespaces_all_kinds.export_metadata`,
      `${folder}/all_namespaces/all_kinds/output-0`,
      `${folder}/${name}.overall_export_metadata`,
    ]);
    for (const item of listed.items) expect(item.size).toMatch(/^\d+$/);
  });
});

describe("what restore and doctor read", () => {
  it("databases.get answers a database resource with its location (v1 only)", async () => {
    const { status, body } = await api("GET", `/v1/${DEFAULT_DB}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: DEFAULT_DB, locationId: "nam5", type: "FIRESTORE_NATIVE" });
    expect(body.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect((await api("GET", `/v1beta2/${DEFAULT_DB}`)).status).toBe(404);
    expect((await api("GET", `/v1/projects/${PROJECT}/databases/Bad_Id`)).status).toBe(400);
  });

  it("buckets report a location that suits the databases' (US for nam5)", async () => {
    expect((await api("GET", `/storage/v1/b/${BUCKET}`)).body).toMatchObject({
      location: "US",
      locationType: "multi-region",
    });
  });

  it("importDocuments refuses a collection subset of an unfiltered export, and ids a filtered one lacks", async () => {
    const whole = freshPrefix("whole");
    await exportAndWait(DEFAULT_DB, { outputUriPrefix: whole });
    const subset = await api("POST", `/v1/${DEFAULT_DB}:importDocuments`, {
      inputUriPrefix: whole,
      collectionIds: ["users"],
    });
    expect(subset.status).toBe(400);
    expect(subset.body.error).toMatchObject({ status: "INVALID_ARGUMENT" });
    expect(subset.body.error.message).toMatch(/made without collectionIds/);

    const filtered = freshPrefix("filtered");
    await exportAndWait(DEFAULT_DB, { outputUriPrefix: filtered, collectionIds: ["users"] });
    const other = await api("POST", `/v1/${DEFAULT_DB}:importDocuments`, {
      inputUriPrefix: filtered,
      collectionIds: ["users", "cities"],
    });
    expect(other.status).toBe(400);
    expect(other.body.error.message).toMatch(/does not contain the collection ids \[cities\]/);
    const ok = await api("POST", `/v1/${DEFAULT_DB}:importDocuments`, {
      inputUriPrefix: filtered,
      collectionIds: ["users"],
    });
    expect(ok.status).toBe(200);
    expect((await waitDone(ok.body.name)).metadata.operationState).toBe("SUCCESSFUL");
  });

  it("importDocuments refuses another database id instead of reporting an import the emulator would not do", async () => {
    const whole = freshPrefix("cross");
    await exportAndWait(DEFAULT_DB, { outputUriPrefix: whole });
    const cross = await api("POST", `/v1/projects/${PROJECT}/databases/scratch-db:importDocuments`, {
      inputUriPrefix: whole,
    });
    expect(cross.status).toBe(400);
    expect(cross.body.error).toMatchObject({ status: "FAILED_PRECONDITION" });
    expect(cross.body.error.message).toMatch(
      /cannot import an export of database \(default\) into database scratch-db/,
    );
  });
});
