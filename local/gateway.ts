// Local stand-in for the parts of the Firestore Admin REST API and the Cloud Storage JSON API that the
// product calls, with the real paths, bodies, operation shapes and error bodies. The real work is done
// by the Firestore emulator's own export/import endpoints; gs://BUCKET/path maps to DATA_ROOT/BUCKET/path.
// A development tool: never deployed, never imported by the product.

import { createHash, randomBytes } from "node:crypto";
import { type BigIntStats, createReadStream, type Dirent } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { type Emulator, startFirestoreEmulator } from "./emulators.js";
import { FaultBook, type FaultEffect } from "./faults.js";
import { countLevelDbRecords, crc32c } from "./leveldb-records.js";
import { FIRESTORE_QUOTAS, QuotaBook, type QuotaRules } from "./quota-book.js";

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  /** `HOST:PORT` of the Firestore emulator holding the data to export. */
  firestoreEmulatorHost: string;
  /** Local folder standing in for Cloud Storage: gs://BUCKET/path is DATA_ROOT/BUCKET/path. */
  dataRoot: string;
  /** Buckets (folders) to create up front. */
  buckets?: string[];
  /** Initial fault spec (DESIGN 4.1). */
  faults?: string;
  /** Per-project export and import quotas; Firestore's own (20 per minute, 50 running) by default. */
  quotas?: QuotaRules;
  /** Port to listen on (loopback); any free port when absent. */
  port?: number;
  /** Operations reveal their progress over at least this long (default 1500 ms). */
  opMinDurationMs?: number;
  /** Receives one line per request and per notable event. */
  log?: (line: string) => void;
  /** `locationId` of every database (`databases.get`); default `nam5`, the US multi-region. */
  databaseLocation?: string;
  /** `location` of every bucket (Cloud Storage upper-cases it); default `US`, which suits `nam5`. */
  bucketLocation?: string;
}

/** A running gateway. */
export interface Gateway {
  /** `http://127.0.0.1:PORT`: use as FIRESTORE_ADMIN_ENDPOINT and STORAGE_ENDPOINT. */
  url: string;
  port: number;
  /** Replaces the fault rules (throws on a bad spec, keeping the old rules). */
  setFaults(spec: string): void;
  /** The local path of a gs:// URI. */
  localPathFor(gsUri: string): string;
  /** Stops the server, ends background work and the scratch emulator. */
  stop(): Promise<void>;
}

type ApiVersion = "v1" | "v1beta2";
type OperationState = "INITIALIZING" | "PROCESSING" | "CANCELLING" | "SUCCESSFUL" | "FAILED" | "CANCELLED";
type OperationKind = "ExportDocuments" | "ImportDocuments";

const OPERATION_STATES = new Set([
  "OPERATION_STATE_UNSPECIFIED",
  "STATE_UNSPECIFIED",
  "INITIALIZING",
  "PROCESSING",
  "CANCELLING",
  "FINALIZING",
  "SUCCESSFUL",
  "FAILED",
  "CANCELLED",
]);

// google.rpc.Code values and the HTTP status each maps to.
const RPC = {
  CANCELLED: [1, 499],
  INVALID_ARGUMENT: [3, 400],
  NOT_FOUND: [5, 404],
  PERMISSION_DENIED: [7, 403],
  RESOURCE_EXHAUSTED: [8, 429],
  FAILED_PRECONDITION: [9, 400],
  INTERNAL: [13, 500],
  UNAVAILABLE: [14, 503],
} as const;
type RpcStatus = keyof typeof RPC;

/** An error in the Google API format `{"error":{"code","message","status"}}`. */
class GoogleError extends Error {
  constructor(
    readonly status: RpcStatus,
    message: string,
    readonly details?: unknown[],
  ) {
    super(message);
  }
  get httpStatus(): number {
    return RPC[this.status][1];
  }
  body(): unknown {
    const error: Record<string, unknown> = {
      code: this.httpStatus,
      message: this.message,
      status: this.status,
    };
    if (this.details) error.details = this.details;
    return { error };
  }
}

/** An error in the Cloud Storage JSON API format, which carries `errors[].reason` instead of `status`. */
class StorageError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
  body(): unknown {
    return {
      error: {
        code: this.httpStatus,
        message: this.message,
        errors: [{ message: this.message, domain: "global", reason: this.reason }],
      },
    };
  }
}

function unknownField(name: string): GoogleError {
  const message = `Invalid JSON payload received. Unknown name "${name}": Cannot find field.`;
  return new GoogleError("INVALID_ARGUMENT", message, [
    { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ description: message }] },
  ]);
}

function invalid(message: string): GoogleError {
  return new GoogleError("INVALID_ARGUMENT", message);
}

function pathExists(bucket: string, objectPath: string, name: string): GoogleError {
  return invalid(`Path already exists: /${bucket}/${objectPath}/${name}.overall_export_metadata`);
}

function unavailable(): GoogleError {
  return new GoogleError("UNAVAILABLE", "The service is currently unavailable.");
}

// How `export:CODE` faults answer; the texts are the ones Google front ends use for these codes.
const EXPORT_FAULTS: Partial<Record<FaultEffect, () => GoogleError>> = {
  "429": () =>
    new GoogleError(
      "RESOURCE_EXHAUSTED",
      "Quota exceeded for quota metric 'Export and import requests' and limit 'Export and import requests per minute' of service 'firestore.googleapis.com'.",
    ),
  "500": () => new GoogleError("INTERNAL", "Internal error encountered."),
  "503": unavailable,
  "403": () => new GoogleError("PERMISSION_DENIED", "The caller does not have permission"),
};

interface Progress {
  completedWork?: string;
  estimatedWork?: string;
}

interface OperationMetadata {
  startTime: string;
  endTime?: string;
  operationState: OperationState;
  progressDocuments?: Progress;
  progressBytes?: Progress;
  collectionIds: string[];
  namespaceIds: string[];
  outputUriPrefix?: string;
  inputUriPrefix?: string;
  snapshotTime?: string;
}

interface Operation {
  name: string;
  /** `projects/P/databases/D` */
  database: string;
  kind: OperationKind;
  metadata: OperationMetadata;
  done: boolean;
  error?: { code: number; message: string };
  /** Response fields other than `@type`. */
  response?: Record<string, unknown>;
  cancelRequested: boolean;
  wakers: Set<() => void>;
}

// proto3 JSON: int64 as strings, zero values omitted.
function progress(completed: number, estimated: number): Progress {
  const value: Progress = {};
  if (completed) value.completedWork = String(completed);
  if (estimated) value.estimatedWork = String(estimated);
  return value;
}

function renderOperation(op: Operation, version: ApiVersion): Record<string, unknown> {
  const pkg = `type.googleapis.com/google.firestore.admin.${version}`;
  const m = op.metadata;
  const metadata: Record<string, unknown> = { "@type": `${pkg}.${op.kind}Metadata`, startTime: m.startTime };
  if (m.endTime) metadata.endTime = m.endTime;
  metadata.operationState = m.operationState;
  if (m.progressDocuments) metadata.progressDocuments = m.progressDocuments;
  if (m.progressBytes) metadata.progressBytes = m.progressBytes;
  if (m.collectionIds.length) metadata.collectionIds = m.collectionIds;
  if (m.outputUriPrefix) metadata.outputUriPrefix = m.outputUriPrefix;
  if (m.inputUriPrefix) metadata.inputUriPrefix = m.inputUriPrefix;
  // v1beta2 has neither field; an operation started through v1 and read through v1beta2 loses them.
  if (version === "v1" && m.namespaceIds.length) metadata.namespaceIds = m.namespaceIds;
  if (version === "v1" && m.snapshotTime) metadata.snapshotTime = m.snapshotTime;
  const out: Record<string, unknown> = { name: op.name, metadata };
  if (op.done) {
    out.done = true;
    if (op.error) out.error = op.error;
    else if (op.kind === "ExportDocuments")
      out.response = { "@type": `${pkg}.ExportDocumentsResponse`, ...op.response };
    else out.response = { "@type": "type.googleapis.com/google.protobuf.Empty" };
  }
  return out;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const DATABASE_ID = /^(\(default\)|[a-z][a-z0-9-]{2,61}[a-z0-9])$/;

/** Splits `gs://BUCKET[/PATH]`; PATH without leading or trailing slash, "" for a bare bucket. */
function parseGsUri(uri: string): { bucket: string; objectPath: string } | undefined {
  const match = /^gs:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!match) return undefined;
  const bucket = match[1] ?? "";
  const objectPath = (match[2] ?? "").replace(/\/$/, "");
  if (!BUCKET_NAME.test(bucket)) return undefined;
  if (objectPath !== "" && !isSafeObjectName(objectPath)) return undefined;
  return { bucket, objectPath };
}

// Object names must map to a file strictly inside the bucket's folder.
function isSafeObjectName(name: string): boolean {
  if (name === "" || name.length > 1024 || name.includes("\0") || name.includes("\\")) return false;
  return name.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}

function folderKey(bucket: string, objectPath: string): string {
  return `${bucket}/${objectPath}`;
}

const DUAL_REGIONS = new Set(["NAM4", "EUR4", "EUR5", "EUR7", "EUR8", "ASIA1"]);

/** Cloud Storage's `locationType` for a location name. */
function bucketLocationType(location: string): string {
  if (["US", "EU", "ASIA"].includes(location)) return "multi-region";
  return DUAL_REGIONS.has(location) ? "dual-region" : "region";
}

function utcStamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "");
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:(\d{2}))(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

interface ExportRequest {
  collectionIds: string[];
  namespaceIds: string[];
  bucket: string;
  objectPath: string;
  name: string;
  outputUriPrefix: string;
  snapshotTime?: string;
}

function stringList(body: Record<string, unknown>, field: string, protoName: string): string[] {
  const value = body[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw invalid(`Invalid value at '${protoName}' (TYPE_STRING), ${JSON.stringify(value)}`);
  }
  value.forEach((item, index) => {
    if (typeof item !== "string") {
      throw invalid(`Invalid value at '${protoName}[${index}]' (TYPE_STRING), ${JSON.stringify(item)}`);
    }
  });
  const seen = new Set<string>();
  for (const item of value as string[]) {
    if (seen.has(item)) throw invalid(`Duplicate value "${item}" in ${field}: each entry must be unique.`);
    seen.add(item);
  }
  return value as string[];
}

function checkCollectionIds(ids: string[]): void {
  if (ids.length > 100) throw invalid(`Too many collection IDs: ${ids.length}; at most 100 are allowed.`);
  for (const id of ids) {
    const shown = id.length > 80 ? `${id.slice(0, 80)}...` : id;
    if (id === "") throw invalid("Collection ID must not be empty.");
    if (id.includes("/")) throw invalid(`Invalid collection ID "${shown}": must not contain '/'.`);
    if (id === "." || id === "..") {
      throw invalid(`Invalid collection ID "${shown}": must not be '.' or '..'.`);
    }
    if (/^__.*__$/.test(id)) {
      throw invalid(`Invalid collection ID "${shown}": IDs matching __.*__ are reserved.`);
    }
    if (Buffer.byteLength(id) > 1500) {
      throw invalid(`Invalid collection ID "${shown}": longer than 1500 bytes.`);
    }
  }
}

function checkSnapshotTime(value: unknown, now: Date): string {
  const match = typeof value === "string" ? TIMESTAMP.exec(value) : null;
  if (!match) {
    throw invalid(
      `Invalid value at 'snapshot_time' (type.googleapis.com/google.protobuf.Timestamp), Field 'snapshotTime', Invalid time format: ${JSON.stringify(value)}`,
    );
  }
  const [, wholeSeconds = "", seconds, fraction = "", zone = "Z"] = match;
  const at = Date.parse(`${wholeSeconds}${zone}`);
  if (Number.isNaN(at)) throw invalid(`Invalid snapshot_time ${JSON.stringify(value)}.`);
  if (seconds !== "00" || /[1-9]/.test(fraction)) {
    throw invalid(`snapshot_time ${value} must be rounded to a whole minute.`);
  }
  if (at > now.getTime()) throw invalid(`snapshot_time ${value} is in the future; it must be in the past.`);
  // Without point-in-time recovery the earliest version time is one hour ago.
  if (at < now.getTime() - 3_600_000) {
    throw invalid(
      `snapshot_time ${value} is older than the database's earliest version time (one hour ago without point-in-time recovery).`,
    );
  }
  return `${new Date(at).toISOString().replace(/\.000Z$/, "Z")}`;
}

/**
 * The fields an export or import body shares: only `fields` (plus namespaceIds on v1) are
 * accepted, and the collection and namespace ids are checked as the API checks them.
 */
function parseIdFields(
  version: ApiVersion,
  body: Record<string, unknown>,
  fields: { common: string[]; v1: string[] },
): { collectionIds: string[]; namespaceIds: string[] } {
  const allowed = [
    "collectionIds",
    ...fields.common,
    ...(version === "v1" ? ["namespaceIds", ...fields.v1] : []),
  ];
  for (const key of Object.keys(body)) if (!allowed.includes(key)) throw unknownField(key);
  const collectionIds = stringList(body, "collectionIds", "collection_ids");
  checkCollectionIds(collectionIds);
  return { collectionIds, namespaceIds: stringList(body, "namespaceIds", "namespace_ids") };
}

function parseExportRequest(version: ApiVersion, body: Record<string, unknown>, now: Date): ExportRequest {
  const { collectionIds, namespaceIds } = parseIdFields(version, body, {
    common: ["outputUriPrefix"],
    v1: ["snapshotTime"],
  });
  const rawPrefix = body.outputUriPrefix;
  if (rawPrefix !== undefined && typeof rawPrefix !== "string") {
    throw invalid(`Invalid value at 'output_uri_prefix' (TYPE_STRING), ${JSON.stringify(rawPrefix)}`);
  }
  if (!rawPrefix) throw invalid("An output URI prefix must be specified: gs://BUCKET_NAME[/NAMESPACE_PATH].");
  const parsed = parseGsUri(rawPrefix);
  if (!parsed) {
    throw invalid(
      `Invalid output URI prefix "${rawPrefix}": must be a Cloud Storage URI of the form gs://BUCKET_NAME[/NAMESPACE_PATH].`,
    );
  }
  let { objectPath } = parsed;
  if (objectPath === "") {
    // What the real service does with a bare bucket: a folder named after the start time.
    objectPath = `${utcStamp(now)}_${String(randomBytes(4).readUInt32BE() % 100_000).padStart(5, "0")}`;
  }
  const request: ExportRequest = {
    collectionIds,
    namespaceIds,
    bucket: parsed.bucket,
    objectPath,
    name: objectPath.split("/").at(-1) as string,
    outputUriPrefix: `gs://${parsed.bucket}/${objectPath}`,
  };
  if (body.snapshotTime !== undefined && body.snapshotTime !== null) {
    request.snapshotTime = checkSnapshotTime(body.snapshotTime, now);
  }
  return request;
}

interface OperationFilter {
  done?: boolean;
  state?: string;
}

function parseOperationFilter(filter: string): OperationFilter | undefined {
  if (filter.trim() === "") return undefined;
  const result: OperationFilter = {};
  for (const term of filter.trim().split(/\s+AND\s+/)) {
    const match = /^(done|metadata\.operationState)\s*=\s*"?([A-Za-z_]+)"?$/.exec(term.trim());
    const [, field, value = ""] = match ?? [];
    if (field === "done" && (value === "true" || value === "false")) result.done = value === "true";
    else if (field === "metadata.operationState" && OPERATION_STATES.has(value)) result.state = value;
    else {
      throw invalid(
        `Invalid filter "${filter}": supported are done=true|false and metadata.operationState=STATE, joined by AND.`,
      );
    }
  }
  return result;
}

function matchesFilter(op: Operation, filter: OperationFilter | undefined): boolean {
  // Without a filter the service lists what still needs attention: running and failed operations.
  if (!filter) return !op.done || op.error !== undefined;
  if (filter.done !== undefined && op.done !== filter.done) return false;
  if (filter.state !== undefined && op.metadata.operationState !== filter.state) return false;
  return true;
}

/** A finished local export in its staging folder, files relative to `root`. */
interface ProducedExport {
  root: string;
  outputs: string[];
  others: string[];
  overall: string | undefined;
  documents: number;
  bytes: number;
}

interface ExportJob {
  project: string;
  databaseId: string;
  request: ExportRequest;
  opFault?: FaultEffect;
  storageFault?: FaultEffect;
}

interface ImportJob {
  project: string;
  databaseId: string;
  /** Local path of the export's overall metadata file, which is what the emulator's import takes. */
  metadataFile: string;
  collectionIds: string[];
  documents: number;
  bytes: number;
}

/** The raw path (still percent-encoded, dot segments kept) and the query of a request. */
interface RequestTarget {
  pathname: string;
  searchParams: URLSearchParams;
}

const STOPPED = Symbol("stopped");
const CANCELLED = Symbol("cancelled");

async function listFilesRecursive(dir: string, prefix = ""): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const files: string[] = [];
  for (const entry of entries) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFilesRecursive(path.join(dir, entry.name), rel)));
    else if (entry.isFile()) files.push(rel);
  }
  return files;
}

function byOutputNumber(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

async function readBody(req: IncomingMessage, limit = 1024 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw invalid(`Request body larger than ${limit} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = (await readBody(req, 16 * 1024 * 1024)).toString("utf8");
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(`Invalid JSON payload received. ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid("Invalid JSON payload received. Expected an object.");
  }
  return value as Record<string, unknown>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, {
    "content-type": "application/json; charset=UTF-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Starts the gateway on a loopback port. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? (() => {});
  const emulatorHost = options.firestoreEmulatorHost.replace(/^https?:\/\//, "").replace(/\/$/, "");
  const dataRoot = path.resolve(options.dataRoot);
  // Not a valid bucket name, so it can never collide with a bucket folder.
  const stagingRoot = path.join(dataRoot, ".staging");
  const stepMs = (options.opMinDurationMs ?? 1500) / 5;
  const faults = new FaultBook(options.faults ?? "");
  const operations = new Map<string, Operation>();
  const quota = new QuotaBook(
    options.quotas ?? FIRESTORE_QUOTAS,
    () => Date.now(),
    (project) =>
      [...operations.values()].filter((op) => !op.done && op.database.startsWith(`projects/${project}/`))
        .length,
  );
  const takeQuota = (project: string) => {
    const verdict = quota.take(project);
    if (!verdict.admitted) throw new GoogleError("RESOURCE_EXHAUSTED", verdict.message);
  };
  // Running operations, deleted or not, so that stop() can wake every one of them.
  const running = new Set<Operation>();
  const tasks = new Set<Promise<void>>();
  const held = new Set<ServerResponse>();
  const contentTypes = new Map<string, string>();
  const hashCache = new Map<string, { key: string; md5: string; crc32c: string }>();
  const databaseLocation = options.databaseLocation ?? "nam5";
  const bucketLocation = (options.bucketLocation ?? "US").toUpperCase();
  const startedAt = new Date().toISOString();
  // The collection groups each export folder was made with ([] = all), so that an import can refuse a
  // subset of an unfiltered export as the service does. The emulator's layout cannot tell (it is
  // all_kinds either way), and buckets do not outlive the gateway, so memory is enough.
  const exportedGroups = new Map<string, string[]>();
  /** Folder → the database id it was exported from (the emulator imports it only under that id). */
  const exportedFrom = new Map<string, string>();
  let stopping = false;
  let scratch: Promise<Emulator> | undefined;
  let scratchQueue: Promise<unknown> = Promise.resolve();
  let url = "";

  await mkdir(stagingRoot, { recursive: true });
  for (const bucket of options.buckets ?? []) {
    if (!BUCKET_NAME.test(bucket)) throw new Error(`Invalid bucket name "${bucket}".`);
    await mkdir(path.join(dataRoot, bucket), { recursive: true });
  }

  // ---------------------------------------------------------------- emulator calls

  async function emulator<T>(host: string, method: string, urlPath: string, body?: unknown): Promise<T> {
    const response = await fetch(`http://${host}${urlPath}`, {
      method,
      headers: { authorization: "Bearer owner", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`${method} ${urlPath} on the emulator answered ${response.status}: ${text}`);
    }
    return (text.trim() ? JSON.parse(text) : {}) as T;
  }

  // The scratch emulator holds copies for filtered exports and imports. It is shared, so its users
  // queue: each one finds it empty and leaves it empty.
  function withScratch<T>(work: (host: string) => Promise<T>): Promise<T> {
    const run = scratchQueue.then(async () => {
      scratch ??= startFirestoreEmulator({
        log: (line) => {
          // One pair of these per connection would drown everything else.
          if (!/HttpVersionRoutingHandler channelRead|Detected non-HTTP\/2 connection/.test(line)) {
            log(`[scratch emulator] ${line}`);
          }
        },
      });
      let instance: Emulator;
      try {
        instance = await scratch;
      } catch (error) {
        scratch = undefined;
        throw error;
      }
      return work(instance.host);
    });
    scratchQueue = run.catch(() => undefined);
    return run;
  }

  async function clearDatabase(host: string, project: string, databaseId: string): Promise<void> {
    await emulator(host, "DELETE", `/emulator/v1/projects/${project}/databases/${databaseId}/documents`);
  }

  /** Copies every document of the collection groups from one emulator to another, values untouched. */
  async function copyGroups(from: string, to: string, database: string, groups: string[]): Promise<number> {
    let copied = 0;
    for (const group of groups) {
      let after: string | undefined;
      for (;;) {
        const query: Record<string, unknown> = {
          from: [{ collectionId: group, allDescendants: true }],
          orderBy: [{ field: { fieldPath: "__name__" }, direction: "ASCENDING" }],
          limit: 500,
        };
        if (after) query.startAt = { values: [{ referenceValue: after }], before: false };
        const rows = await emulator<Array<{ document?: { name: string; fields?: unknown } }>>(
          from,
          "POST",
          `/v1/${database}/documents:runQuery`,
          { structuredQuery: query },
        );
        const documents = rows.flatMap((row) => (row.document ? [row.document] : []));
        if (documents.length === 0) break;
        await emulator(to, "POST", `/v1/${database}/documents:commit`, {
          writes: documents.map((doc) => ({ update: { name: doc.name, fields: doc.fields ?? {} } })),
        });
        copied += documents.length;
        after = documents.at(-1)?.name;
        if (documents.length < 500) break;
      }
    }
    return copied;
  }

  async function produceExport(job: ExportJob, stagingDir: string): Promise<ProducedExport> {
    const { project, databaseId, request } = job;
    const database = `projects/${project}/databases/${databaseId}`;
    const exportBody = { database, export_directory: stagingDir, export_name: request.name };
    // Firestore in native mode keeps everything in the default namespace.
    const defaultNamespace = request.namespaceIds.length === 0 || request.namespaceIds.includes("");
    if (request.collectionIds.length === 0 && defaultNamespace) {
      await emulator(emulatorHost, "POST", `/emulator/v1/projects/${project}:export`, exportBody);
    } else {
      // The emulator's export has no filter: copy the requested groups into an empty emulator under the
      // same project and database id (exported entities carry both, so a copy under another database id
      // would not import back), and export that. The result keeps the emulator's all_kinds layout instead
      // of the service's per-group kind_GROUP folders: the overall metadata file lists the kind folders,
      // and the emulator's import reads exactly what it wrote.
      await withScratch(async (scratchHost) => {
        await clearDatabase(scratchHost, project, databaseId);
        try {
          const groups = defaultNamespace ? request.collectionIds : [];
          const copied = await copyGroups(emulatorHost, scratchHost, database, groups);
          log(
            `export ${database}: copied ${copied} documents of [${groups.join(", ")}] to the scratch emulator`,
          );
          await emulator(scratchHost, "POST", `/emulator/v1/projects/${project}:export`, exportBody);
        } finally {
          await clearDatabase(scratchHost, project, databaseId);
        }
      });
    }
    const root = path.join(stagingDir, request.name);
    const files = await listFilesRecursive(root);
    const overallName = `${request.name}.overall_export_metadata`;
    const outputs = files.filter((file) => /(^|\/)output-\d+$/.test(file)).sort(byOutputNumber);
    const others = files.filter((file) => file !== overallName && !outputs.includes(file)).sort();
    let documents = 0;
    let bytes = 0;
    for (const file of outputs) {
      const data = await readFile(path.join(root, file));
      documents += countLevelDbRecords(data);
      bytes += data.length;
    }
    return {
      root,
      outputs,
      others,
      overall: files.includes(overallName) ? overallName : undefined,
      documents,
      bytes,
    };
  }

  // ---------------------------------------------------------------- operations

  function newOperation(kind: OperationKind, database: string, metadata: OperationMetadata): Operation {
    const id = `AS${randomBytes(18).toString("base64url")}`;
    const op: Operation = {
      name: `${database}/operations/${id}`,
      database,
      kind,
      metadata,
      done: false,
      cancelRequested: false,
      wakers: new Set(),
    };
    operations.set(op.name, op);
    running.add(op);
    return op;
  }

  function pause(op: Operation, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        op.wakers.delete(wake);
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(wake, ms) : undefined;
      op.wakers.add(wake);
    });
  }

  function wakeUp(op: Operation): void {
    for (const wake of [...op.wakers]) wake();
  }

  function interruption(op: Operation): void {
    if (stopping) throw STOPPED;
    if (op.cancelRequested) throw CANCELLED;
  }

  async function checkpoint(op: Operation, ms: number): Promise<void> {
    interruption(op);
    await pause(op, ms);
    interruption(op);
  }

  function finish(
    op: Operation,
    state: OperationState,
    outcome: Pick<Operation, "error" | "response">,
  ): void {
    op.metadata.operationState = state;
    op.metadata.endTime = new Date().toISOString();
    op.done = true;
    running.delete(op);
    if (outcome.error) op.error = outcome.error;
    else op.response = outcome.response ?? {};
    log(`${op.name} ${state}${op.error ? `: ${op.error.message}` : ""}`);
  }

  function runInBackground(op: Operation, work: () => Promise<void>): void {
    const task = (async () => {
      try {
        await work();
      } catch (error) {
        if (error === STOPPED) return;
        if (error === CANCELLED) {
          finish(op, "CANCELLED", {
            error: { code: RPC.CANCELLED[0], message: "The operation was cancelled." },
          });
          return;
        }
        log(`${op.name} failed: ${(error as Error).stack ?? error}`);
        finish(op, "FAILED", {
          error: { code: RPC.INTERNAL[0], message: `Internal error: ${(error as Error).message}` },
        });
      }
    })();
    tasks.add(task);
    void task.finally(() => tasks.delete(task));
  }

  // A stable made-up 12-digit number, for the service agent's address and the bucket resource.
  function projectNumber(project: string): string {
    return String(
      10n ** 11n + (createHash("sha256").update(project).digest().readBigUInt64BE() % (9n * 10n ** 11n)),
    );
  }

  async function runExport(op: Operation, job: ExportJob): Promise<void> {
    const { request } = job;
    const destination = path.join(dataRoot, request.bucket, ...request.objectPath.split("/"));
    await mkdir(stagingRoot, { recursive: true });
    const stagingDir = await mkdtemp(path.join(stagingRoot, "export-"));
    // The export is produced in staging and revealed in the bucket bit by bit, the overall metadata last,
    // so the bucket looks as it does while the real service writes: partial data first, and no metadata
    // object unless the export succeeded.
    const work = produceExport(job, stagingDir);
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    const reveal = async (produced: ProducedExport, file: string) => {
      const target = path.join(destination, ...file.split("/"));
      await mkdir(path.dirname(target), { recursive: true });
      await rename(path.join(produced.root, ...file.split("/")), target);
    };
    try {
      await checkpoint(op, stepMs);
      const produced = await work;
      interruption(op);
      const { documents, bytes, outputs } = produced;
      op.metadata.operationState = "PROCESSING";
      op.metadata.progressDocuments = progress(0, documents);
      op.metadata.progressBytes = progress(0, bytes);
      let revealed = 0;
      for (let step = 1; step <= 3; step++) {
        await checkpoint(op, stepMs);
        for (const end = Math.ceil((outputs.length * step) / 3); revealed < end; revealed++) {
          await reveal(produced, outputs[revealed] as string);
        }
        op.metadata.progressDocuments = progress(Math.floor((documents * step) / 3), documents);
        op.metadata.progressBytes = progress(Math.floor((bytes * step) / 3), bytes);
        if (step === 1 && job.opFault === "FAILED") {
          await checkpoint(op, stepMs);
          const agent = `service-${projectNumber(job.project)}@gcp-sa-firestore.iam.gserviceaccount.com`;
          finish(op, "FAILED", {
            error: {
              code: RPC.PERMISSION_DENIED[0],
              message: `${agent} does not have storage.objects.create access to the Google Cloud Storage object. Permission 'storage.objects.create' denied on resource (or it may not exist).`,
            },
          });
          return;
        }
        if (step === 1 && job.opFault === "CANCELLED") {
          // As if someone had cancelled it from the console.
          op.cancelRequested = true;
          op.metadata.operationState = "CANCELLING";
          await pause(op, stepMs);
          interruption(op);
        }
        if (step === 1 && job.opFault === "STUCK") await checkpoint(op, Number.POSITIVE_INFINITY);
      }
      await checkpoint(op, stepMs);
      for (const file of produced.others) await reveal(produced, file);
      if (produced.overall && job.storageFault !== "missing") await reveal(produced, produced.overall);
      if (job.storageFault === "missing") {
        log(`${op.name}: storage:missing, the overall metadata is withheld`);
      }
      finish(op, "SUCCESSFUL", { response: { outputUriPrefix: request.outputUriPrefix } });
    } finally {
      await settled;
      await rm(stagingDir, { recursive: true, force: true });
    }
  }

  async function exportDocuments(
    res: ServerResponse,
    version: ApiVersion,
    project: string,
    databaseId: string,
    body: Record<string, unknown>,
  ): Promise<void> {
    const fault = faults.take("export");
    const faultError = fault ? EXPORT_FAULTS[fault] : undefined;
    if (faultError) throw faultError();
    if (fault === "timeout") {
      log("export:timeout, holding the request without an answer");
      held.add(res);
      res.once("close", () => held.delete(res));
      return;
    }
    const now = new Date();
    const request = parseExportRequest(version, body, now);
    const { bucket, objectPath, name } = request;
    if (!(await isBucket(bucket))) {
      // The real wording for a missing bucket is not documented; this names the cause plainly.
      throw invalid(`Bucket ${bucket} does not exist.`);
    }
    if (fault === "exists") throw pathExists(bucket, objectPath, name);
    takeQuota(project);
    const metadataFile = path.join(
      dataRoot,
      bucket,
      ...objectPath.split("/"),
      `${name}.overall_export_metadata`,
    );
    if (await fileExists(metadataFile)) throw pathExists(bucket, objectPath, name);
    const database = `projects/${project}/databases/${databaseId}`;
    const metadata: OperationMetadata = {
      startTime: now.toISOString(),
      operationState: "INITIALIZING",
      collectionIds: request.collectionIds,
      namespaceIds: request.namespaceIds,
      outputUriPrefix: request.outputUriPrefix,
    };
    if (request.snapshotTime) metadata.snapshotTime = request.snapshotTime;
    const op = newOperation("ExportDocuments", database, metadata);
    exportedGroups.set(folderKey(bucket, objectPath), request.collectionIds);
    exportedFrom.set(folderKey(bucket, objectPath), databaseId);
    const job: ExportJob = { project, databaseId, request };
    const opFault = faults.take("op");
    const storageFault = faults.take("storage");
    if (opFault) job.opFault = opFault;
    if (storageFault) job.storageFault = storageFault;
    log(`${op.name} started: ${request.outputUriPrefix}${opFault ? ` (fault op:${opFault})` : ""}`);
    runInBackground(op, () => runExport(op, job));
    sendJson(res, 200, renderOperation(op, version));
  }

  async function runImport(op: Operation, job: ImportJob): Promise<void> {
    const { project, databaseId, metadataFile, collectionIds } = job;
    const database = `projects/${project}/databases/${databaseId}`;
    const importBody = { database, export_directory: metadataFile };
    await checkpoint(op, stepMs);
    op.metadata.operationState = "PROCESSING";
    let documents = 0;
    if (collectionIds.length === 0) {
      await emulator(emulatorHost, "POST", `/emulator/v1/projects/${project}:import`, importBody);
      documents = job.documents;
    } else {
      // The emulator's import has no filter either: import into the scratch emulator, copy the groups over.
      documents = await withScratch(async (scratchHost) => {
        await clearDatabase(scratchHost, project, databaseId);
        try {
          await emulator(scratchHost, "POST", `/emulator/v1/projects/${project}:import`, importBody);
          return await copyGroups(scratchHost, emulatorHost, database, collectionIds);
        } finally {
          await clearDatabase(scratchHost, project, databaseId);
        }
      });
    }
    op.metadata.progressDocuments = progress(Math.floor(documents / 2), documents);
    op.metadata.progressBytes = progress(Math.floor(job.bytes / 2), job.bytes);
    await checkpoint(op, stepMs * 2);
    op.metadata.progressDocuments = progress(documents, documents);
    op.metadata.progressBytes = progress(job.bytes, job.bytes);
    await checkpoint(op, stepMs * 2);
    finish(op, "SUCCESSFUL", { response: {} });
  }

  async function importDocuments(
    res: ServerResponse,
    version: ApiVersion,
    project: string,
    databaseId: string,
    body: Record<string, unknown>,
  ): Promise<void> {
    const { collectionIds, namespaceIds } = parseIdFields(version, body, {
      common: ["inputUriPrefix"],
      v1: [],
    });
    const rawPrefix = body.inputUriPrefix;
    const parsed = typeof rawPrefix === "string" ? parseGsUri(rawPrefix) : undefined;
    if (!parsed || parsed.objectPath === "") {
      throw invalid(
        `Invalid input URI prefix ${JSON.stringify(rawPrefix)}: must be the Cloud Storage folder of an export, gs://BUCKET_NAME/NAMESPACE_PATH.`,
      );
    }
    const name = parsed.objectPath.split("/").at(-1) as string;
    const folder = path.join(dataRoot, parsed.bucket, ...parsed.objectPath.split("/"));
    const metadataFile = path.join(folder, `${name}.overall_export_metadata`);
    if (!(await fileExists(metadataFile))) {
      throw invalid(
        `The export metadata file gs://${parsed.bucket}/${parsed.objectPath}/${name}.overall_export_metadata does not exist: inputUriPrefix must be the folder of a completed export.`,
      );
    }
    const source = exportedFrom.get(folderKey(parsed.bucket, parsed.objectPath));
    if (source !== undefined && source !== databaseId) {
      // The real service imports across databases; the emulator answers 200 and imports nothing.
      // Refusing beats reporting a restore that did not happen.
      throw new GoogleError(
        "FAILED_PRECONDITION",
        `The local stack cannot import an export of database ${source} into database ${databaseId}: the Firestore emulator keeps each entity's database id and would import nothing. Locally, restore into a database with the id ${source} (the live one, or another project's); the real API has no such limit.`,
      );
    }
    if (collectionIds.length > 0) {
      // The service imports a subset only from an export made with collectionIds, and only groups it holds.
      const exported = exportedGroups.get(folderKey(parsed.bucket, parsed.objectPath)) ?? [];
      const inputUri = `gs://${parsed.bucket}/${parsed.objectPath}`;
      if (exported.length === 0) {
        throw invalid(
          `The export at ${inputUri} was made without collectionIds and holds all collections: collectionIds can only select from an export made with collectionIds. Import the whole export (omit collectionIds), or import it into a scratch database and copy what you need.`,
        );
      }
      const missing = collectionIds.filter((id) => !exported.includes(id));
      if (missing.length > 0) {
        throw invalid(
          `The export at ${inputUri} does not contain the collection ids [${missing.join(", ")}]; it was made with collectionIds [${exported.join(", ")}].`,
        );
      }
    }
    let documents = 0;
    let bytes = 0;
    for (const file of await listFilesRecursive(folder)) {
      if (!/(^|\/)output-\d+$/.test(file)) continue;
      const data = await readFile(path.join(folder, ...file.split("/")));
      documents += countLevelDbRecords(data);
      bytes += data.length;
    }
    takeQuota(project);
    const database = `projects/${project}/databases/${databaseId}`;
    const op = newOperation("ImportDocuments", database, {
      startTime: new Date().toISOString(),
      operationState: "INITIALIZING",
      collectionIds,
      namespaceIds,
      inputUriPrefix: `gs://${parsed.bucket}/${parsed.objectPath}`,
    });
    runInBackground(op, () =>
      runImport(op, { project, databaseId, metadataFile, collectionIds, documents, bytes }),
    );
    sendJson(res, 200, renderOperation(op, version));
  }

  /**
   * The emulator has no database resources (a named database exists once it is used), so every
   * well-formed name answers, with the configured location.
   */
  function databaseResource(database: string): Record<string, unknown> {
    const uid = createHash("sha256").update(database).digest("hex");
    const named = !database.endsWith("/databases/(default)");
    return {
      name: database,
      uid: `${uid.slice(0, 8)}-${uid.slice(8, 12)}-${uid.slice(12, 16)}-${uid.slice(16, 20)}-${uid.slice(20, 32)}`,
      createTime: startedAt,
      updateTime: startedAt,
      locationId: databaseLocation,
      type: "FIRESTORE_NATIVE",
      concurrencyMode: "PESSIMISTIC",
      versionRetentionPeriod: "3600s",
      earliestVersionTime: new Date(Date.now() - 3_600_000).toISOString(),
      pointInTimeRecoveryEnablement: "POINT_IN_TIME_RECOVERY_DISABLED",
      appEngineIntegrationMode: named ? "DISABLED" : "ENABLED",
      keyPrefix: "",
      deleteProtectionState: "DELETE_PROTECTION_DISABLED",
      databaseEdition: "STANDARD",
      etag: Buffer.from(`${database}@${startedAt}`).toString("base64url").slice(0, 24),
    };
  }

  function findOperation(name: string): Operation {
    const op = operations.get(name);
    if (!op) throw new GoogleError("NOT_FOUND", `Operation not found: ${name}`);
    return op;
  }

  function listOperations(
    res: ServerResponse,
    version: ApiVersion,
    database: string,
    query: URLSearchParams,
  ) {
    if (faults.take("list") === "503") throw unavailable();
    const filter = parseOperationFilter(query.get("filter") ?? "");
    const pageSizeText = query.get("pageSize");
    const pageSize = pageSizeText ? Number(pageSizeText) : 100;
    if (!Number.isInteger(pageSize) || pageSize < 0) throw invalid(`Invalid pageSize ${pageSizeText}.`);
    const all = [...operations.values()]
      .filter((op) => op.database === database && matchesFilter(op, filter))
      .reverse();
    let start = 0;
    const token = query.get("pageToken");
    if (token) {
      const after = Buffer.from(token, "base64url").toString("utf8");
      if (!after.startsWith(`${database}/operations/`)) throw invalid("Invalid page token.");
      const index = all.findIndex((op) => op.name === after);
      // A token whose operation was deleted since resumes at the start: acceptable for a local tool.
      start = index + 1;
    }
    const page = all.slice(start, start + (pageSize || 100));
    const body: Record<string, unknown> = {};
    if (page.length) body.operations = page.map((op) => renderOperation(op, version));
    const last = page.at(-1);
    if (last && start + page.length < all.length) {
      body.nextPageToken = Buffer.from(last.name).toString("base64url");
    }
    sendJson(res, 200, body);
  }

  async function handleAdmin(
    req: IncomingMessage,
    res: ServerResponse,
    requestUrl: RequestTarget,
  ): Promise<boolean> {
    let pathname: string;
    try {
      pathname = decodeURIComponent(requestUrl.pathname);
    } catch {
      throw invalid("Malformed URL path.");
    }
    const match =
      /^\/(v1|v1beta2)\/projects\/([^/]+)\/databases\/([^/:]+)(?::(exportDocuments|importDocuments)|(\/operations)(?:\/([^/:]+)(?::(cancel))?)?)?$/.exec(
        pathname,
      );
    if (!match) return false;
    const [, version, project = "", databaseId = "", method, operationsPart, operationId, cancel] =
      match as unknown as [string, ApiVersion, string, string, string?, string?, string?, string?];
    if (!PROJECT_ID.test(project)) throw invalid(`Invalid project id "${project}".`);
    if (!DATABASE_ID.test(databaseId)) throw invalid(`Invalid database id "${databaseId}".`);
    const database = `projects/${project}/databases/${databaseId}`;
    const verb = req.method ?? "GET";
    if (!method && !operationsPart) {
      // databases.get is a v1 method; v1beta2 serves only indexes and export/import.
      if (version !== "v1" || verb !== "GET") return false;
      sendJson(res, 200, databaseResource(database));
      return true;
    }
    if (method && verb === "POST") {
      const body = await readJsonObject(req);
      if (method === "exportDocuments") await exportDocuments(res, version, project, databaseId, body);
      else await importDocuments(res, version, project, databaseId, body);
      return true;
    }
    if (!method && !operationId && verb === "GET") {
      listOperations(res, version, database, requestUrl.searchParams);
      return true;
    }
    if (operationId) {
      const name = `${database}/operations/${operationId}`;
      if (cancel && verb === "POST") {
        const op = findOperation(name);
        // Cancelling a finished operation changes nothing.
        if (!op.done && !op.cancelRequested) {
          op.cancelRequested = true;
          op.metadata.operationState = "CANCELLING";
          wakeUp(op);
          log(`${name} cancel requested`);
        }
        sendJson(res, 200, {});
        return true;
      }
      if (!cancel && verb === "GET") {
        if (faults.take("get") === "503") throw unavailable();
        sendJson(res, 200, renderOperation(findOperation(name), version));
        return true;
      }
      if (!cancel && verb === "DELETE") {
        // Deleting forgets the operation; a running export carries on, as the service's does.
        findOperation(name);
        operations.delete(name);
        sendJson(res, 200, {});
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- storage

  async function fileExists(file: string): Promise<boolean> {
    try {
      return (await stat(file)).isFile();
    } catch {
      return false;
    }
  }

  async function isBucket(bucket: string): Promise<boolean> {
    if (!BUCKET_NAME.test(bucket)) return false;
    try {
      return (await stat(path.join(dataRoot, bucket))).isDirectory();
    } catch {
      return false;
    }
  }

  async function requireBucket(bucket: string): Promise<string> {
    if (!(await isBucket(bucket))) {
      throw new StorageError(404, "notFound", "The specified bucket does not exist.");
    }
    return path.join(dataRoot, bucket);
  }

  function objectFile(bucket: string, name: string): string {
    if (!isSafeObjectName(name)) {
      throw new StorageError(
        400,
        "invalid",
        `The object name "${name}" cannot be stored by the local gateway.`,
      );
    }
    const bucketDir = path.join(dataRoot, bucket);
    const file = path.resolve(bucketDir, ...name.split("/"));
    if (!file.startsWith(`${bucketDir}${path.sep}`)) {
      throw new StorageError(400, "invalid", `The object name "${name}" leaves the bucket.`);
    }
    return file;
  }

  async function hashes(file: string, size: bigint, mtimeNs: bigint) {
    const key = `${size}:${mtimeNs}`;
    const cached = hashCache.get(file);
    if (cached?.key === key) return cached;
    const md5 = createHash("md5");
    let crc = 0;
    for await (const chunk of createReadStream(file)) {
      md5.update(chunk as Buffer);
      crc = crc32c(chunk as Buffer, crc);
    }
    const crcBytes = Buffer.alloc(4);
    crcBytes.writeUInt32BE(crc);
    const entry = { key, md5: md5.digest("base64"), crc32c: crcBytes.toString("base64") };
    hashCache.set(file, entry);
    return entry;
  }

  async function objectResource(bucket: string, name: string): Promise<Record<string, unknown>> {
    const file = objectFile(bucket, name);
    let info: BigIntStats;
    try {
      info = await stat(file, { bigint: true });
    } catch {
      throw new StorageError(404, "notFound", `No such object: ${bucket}/${name}`);
    }
    if (!info.isFile()) throw new StorageError(404, "notFound", `No such object: ${bucket}/${name}`);
    const generation = String(info.mtimeNs / 1000n);
    const { md5, crc32c: crc } = await hashes(file, info.size, info.mtimeNs);
    const encoded = encodeURIComponent(name);
    const created = new Date(Number(info.mtimeMs)).toISOString();
    return {
      kind: "storage#object",
      id: `${bucket}/${name}/${generation}`,
      selfLink: `${url}/storage/v1/b/${bucket}/o/${encoded}`,
      mediaLink: `${url}/download/storage/v1/b/${bucket}/o/${encoded}?generation=${generation}&alt=media`,
      name,
      bucket,
      generation,
      metageneration: "1",
      contentType: contentTypes.get(file) ?? "application/octet-stream",
      storageClass: "STANDARD",
      size: String(info.size),
      md5Hash: md5,
      crc32c: crc,
      etag: Buffer.from(generation).toString("base64"),
      timeCreated: created,
      updated: created,
      timeStorageClassUpdated: created,
    };
  }

  async function listObjects(res: ServerResponse, bucket: string, query: URLSearchParams): Promise<void> {
    const bucketDir = await requireBucket(bucket);
    const prefix = query.get("prefix") ?? "";
    const delimiter = query.get("delimiter") ?? "";
    const startOffset = query.get("startOffset") ?? "";
    const endOffset = query.get("endOffset") ?? "";
    const maxText = query.get("maxResults");
    const maxResults = maxText ? Math.min(Number(maxText), 1000) : 1000;
    if (!Number.isInteger(maxResults) || maxResults < 1) {
      throw new StorageError(400, "invalid", `Invalid value for maxResults: ${maxText}`);
    }
    const names = (await listFilesRecursive(bucketDir))
      .filter((name) => name.startsWith(prefix) && name >= startOffset && (!endOffset || name < endOffset))
      .sort();
    // Objects and prefixes come in one name order, the way the service pages through them.
    const entries: Array<{ key: string; isPrefix: boolean }> = [];
    for (const name of names) {
      const cut = delimiter ? name.indexOf(delimiter, prefix.length) : -1;
      if (cut < 0) entries.push({ key: name, isPrefix: false });
      else {
        const key = name.slice(0, cut + delimiter.length);
        if (entries.at(-1)?.key !== key) entries.push({ key, isPrefix: true });
      }
    }
    const after = query.get("pageToken")
      ? Buffer.from(query.get("pageToken") as string, "base64url").toString()
      : "";
    const remaining = after ? entries.filter((entry) => entry.key > after) : entries;
    const page = remaining.slice(0, maxResults);
    const body: Record<string, unknown> = { kind: "storage#objects" };
    const prefixes = page.filter((entry) => entry.isPrefix).map((entry) => entry.key);
    const items = await Promise.all(
      page.filter((entry) => !entry.isPrefix).map((entry) => objectResource(bucket, entry.key)),
    );
    // The service leaves empty lists out.
    if (prefixes.length) body.prefixes = prefixes;
    if (items.length) body.items = items;
    const last = page.at(-1);
    if (last && remaining.length > page.length) {
      body.nextPageToken = Buffer.from(last.key).toString("base64url");
    }
    sendJson(res, 200, body);
  }

  async function sendMedia(res: ServerResponse, bucket: string, name: string): Promise<void> {
    await requireBucket(bucket);
    const resource = await objectResource(bucket, name);
    const file = objectFile(bucket, name);
    res.writeHead(200, {
      "content-type": String(resource.contentType),
      "content-length": String(resource.size),
      "x-goog-generation": String(resource.generation),
      "x-goog-hash": `crc32c=${resource.crc32c},md5=${resource.md5Hash}`,
    });
    for await (const chunk of createReadStream(file)) res.write(chunk);
    res.end();
  }

  function parseMultipart(
    body: Buffer,
    contentType: string,
  ): { metadata: Record<string, unknown>; data: Buffer; type?: string } {
    const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
    if (!boundary) throw new StorageError(400, "invalid", "Multipart upload without a boundary.");
    const parts: Array<{ headers: string; data: Buffer }> = [];
    const delimiter = Buffer.from(`--${boundary}`);
    let index = body.indexOf(delimiter);
    while (index >= 0) {
      const start = index + delimiter.length;
      if (body.subarray(start, start + 2).toString() === "--") break;
      const next = body.indexOf(delimiter, start);
      if (next < 0) break;
      const part = body.subarray(start, next);
      const split = part.indexOf("\r\n\r\n");
      if (split >= 0) {
        const data = part.subarray(split + 4);
        const trimmed = data.subarray(0, data.length - (data.subarray(-2).toString() === "\r\n" ? 2 : 0));
        parts.push({ headers: part.subarray(0, split).toString(), data: trimmed });
      }
      index = next;
    }
    const [meta, media] = parts;
    if (!meta || !media) {
      throw new StorageError(400, "invalid", "A multipart upload needs a metadata and a media part.");
    }
    let metadata: Record<string, unknown>;
    try {
      metadata = JSON.parse(meta.data.toString("utf8")) as Record<string, unknown>;
    } catch {
      throw new StorageError(400, "invalid", "The metadata part of the multipart upload is not JSON.");
    }
    const type = /content-type:\s*([^\r\n]+)/i.exec(media.headers)?.[1]?.trim();
    return type ? { metadata, data: media.data, type } : { metadata, data: media.data };
  }

  async function uploadObject(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    query: URLSearchParams,
  ) {
    await requireBucket(bucket);
    const uploadType = query.get("uploadType") ?? "media";
    const body = await readBody(req);
    let name = query.get("name") ?? "";
    let data = body;
    let contentType = req.headers["content-type"] ?? "application/octet-stream";
    if (uploadType === "multipart") {
      const parsed = parseMultipart(body, contentType);
      name = typeof parsed.metadata.name === "string" ? parsed.metadata.name : name;
      data = parsed.data;
      contentType =
        typeof parsed.metadata.contentType === "string"
          ? parsed.metadata.contentType
          : (parsed.type ?? "application/octet-stream");
    } else if (uploadType !== "media") {
      throw new StorageError(
        400,
        "invalid",
        `uploadType=${uploadType} is not supported by the local gateway; use media or multipart.`,
      );
    }
    if (!name) throw new StorageError(400, "required", "Required parameter: name");
    const file = objectFile(bucket, name);
    if (query.get("ifGenerationMatch") === "0" && (await fileExists(file))) {
      throw new StorageError(
        412,
        "conditionNotMet",
        "At least one of the pre-conditions you specified did not hold.",
      );
    }
    await mkdir(path.dirname(file), { recursive: true });
    const temp = path.join(stagingRoot, `upload-${randomBytes(8).toString("hex")}`);
    await writeFile(temp, data);
    await rename(temp, file);
    contentTypes.set(file, contentType);
    sendJson(res, 200, await objectResource(bucket, name));
  }

  async function deleteObject(res: ServerResponse, bucket: string, name: string): Promise<void> {
    const bucketDir = await requireBucket(bucket);
    await objectResource(bucket, name);
    const file = objectFile(bucket, name);
    await rm(file);
    contentTypes.delete(file);
    hashCache.delete(file);
    // Folders only exist locally; drop the ones the object leaves empty.
    for (let dir = path.dirname(file); dir !== bucketDir; dir = path.dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
    }
    res.writeHead(204);
    res.end();
  }

  async function handleStorage(
    req: IncomingMessage,
    res: ServerResponse,
    requestUrl: RequestTarget,
  ): Promise<boolean> {
    const match = /^\/(storage|upload\/storage|download\/storage)\/v1\/b\/([^/]+)(\/o(?:\/(.+))?)?$/.exec(
      requestUrl.pathname,
    );
    if (!match) return false;
    const [, api, rawBucket = "", objectPart, rawObject] = match;
    const hasObjectPart = objectPart !== undefined;
    let bucket: string;
    let name: string | undefined;
    try {
      bucket = decodeURIComponent(rawBucket);
      name = rawObject === undefined ? undefined : decodeURIComponent(rawObject);
    } catch {
      throw new StorageError(400, "invalid", "Malformed URL path.");
    }
    const verb = req.method ?? "GET";
    const query = requestUrl.searchParams;
    if (api === "upload/storage") {
      if (verb !== "POST" || name !== undefined || !hasObjectPart) return false;
      await uploadObject(req, res, bucket, query);
      return true;
    }
    if (api === "download/storage") {
      if (verb !== "GET" || name === undefined) return false;
      await sendMedia(res, bucket, name);
      return true;
    }
    if (!hasObjectPart) {
      if (verb !== "GET") return false;
      await requireBucket(bucket);
      const created = (await stat(path.join(dataRoot, bucket))).birthtime.toISOString();
      sendJson(res, 200, {
        kind: "storage#bucket",
        selfLink: `${url}/storage/v1/b/${bucket}`,
        id: bucket,
        name: bucket,
        projectNumber: projectNumber(bucket),
        metageneration: "1",
        location: bucketLocation,
        locationType: bucketLocationType(bucketLocation),
        storageClass: "STANDARD",
        etag: "CAE=",
        timeCreated: created,
        updated: created,
        iamConfiguration: {
          uniformBucketLevelAccess: { enabled: true },
          publicAccessPrevention: "enforced",
        },
      });
      return true;
    }
    if (name === undefined) {
      if (verb !== "GET") return false;
      await listObjects(res, bucket, query);
      return true;
    }
    if (verb === "GET") {
      if (query.get("alt") === "media") await sendMedia(res, bucket, name);
      else {
        await requireBucket(bucket);
        sendJson(res, 200, await objectResource(bucket, name));
      }
      return true;
    }
    if (verb === "DELETE") {
      await deleteObject(res, bucket, name);
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- server

  async function handleControl(
    req: IncomingMessage,
    res: ServerResponse,
    requestUrl: RequestTarget,
  ): Promise<boolean> {
    if (requestUrl.pathname !== "/__gateway/faults") return false;
    if (req.method === "POST") {
      const body = await readJsonObject(req);
      if (typeof body.spec !== "string") throw invalid('Expected {"spec": "TARGET:EFFECT[*COUNT],..."}.');
      try {
        faults.reset(body.spec);
      } catch (error) {
        throw invalid((error as Error).message);
      }
      log(`faults set to "${body.spec}"`);
    } else if (req.method !== "GET") return false;
    sendJson(res, 200, { remaining: faults.remaining() });
    return true;
  }

  const server = createServer((req, res) => {
    const started = Date.now();
    const rawUrl = req.url ?? "/";
    const queryStart = rawUrl.indexOf("?");
    // Route on the path as sent: URL parsing would resolve dot segments in object names before the
    // escape check could see them.
    const requestUrl: RequestTarget = {
      pathname: queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart),
      searchParams: new URLSearchParams(queryStart < 0 ? "" : rawUrl.slice(queryStart + 1)),
    };
    res.once("finish", () => log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
    void (async () => {
      try {
        const handled =
          (await handleControl(req, res, requestUrl)) ||
          (await handleAdmin(req, res, requestUrl)) ||
          (await handleStorage(req, res, requestUrl));
        if (!handled) {
          sendJson(
            res,
            404,
            new GoogleError("NOT_FOUND", `No route for ${req.method} ${requestUrl.pathname}`).body(),
          );
        }
      } catch (error) {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (error instanceof GoogleError || error instanceof StorageError) {
          sendJson(res, error.httpStatus, error.body());
        } else {
          log(`${req.method} ${req.url} failed: ${(error as Error).stack ?? error}`);
          sendJson(
            res,
            500,
            new GoogleError("INTERNAL", `Internal error: ${(error as Error).message}`).body(),
          );
        }
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;
  log(`gateway listening on ${url}, data in ${dataRoot}`);

  return {
    url,
    port,
    setFaults(spec: string) {
      faults.reset(spec);
    },
    localPathFor(gsUri: string) {
      const parsed = parseGsUri(gsUri);
      if (!parsed) throw new Error(`Not a usable gs:// URI: ${gsUri}`);
      return path.join(dataRoot, parsed.bucket, ...(parsed.objectPath ? parsed.objectPath.split("/") : []));
    },
    async stop() {
      stopping = true;
      for (const op of running) wakeUp(op);
      await Promise.allSettled([...tasks]);
      for (const res of held) res.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      const instance = scratch;
      scratch = undefined;
      if (instance) await instance.then((emulatorInstance) => emulatorInstance.stop()).catch(() => undefined);
      // Only removed when empty: anything left there is worth a look.
      await rmdir(stagingRoot).catch(() => undefined);
    },
  };
}
