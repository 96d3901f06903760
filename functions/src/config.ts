import { isUtc, parseCron } from "./cron.js";
import { ConfigError } from "./errors.js";
import { checkObjectArray } from "./issues.js";
import {
  collectionIdsProblems,
  DATABASE_FORM,
  type DatabaseName,
  namespaceIdsProblems,
  objectPathProblem,
  parseDatabaseName,
  parseGcsUri,
} from "./names.js";
import { buildOutputPrefix } from "./prefix.js";
import {
  DURATION_FORM,
  defaultWindows,
  formatDuration,
  parseDuration,
  scheduleInterval,
  type Windows,
} from "./windows.js";

/** One database to export and where its exports go. */
export interface Target {
  database: DatabaseName;
  /** Bucket name without the scheme. */
  bucket: string;
  /** Folder inside the bucket, without leading or trailing slash (may be empty). */
  prefix: string;
  /** Collection-group ids; empty = all. */
  collectionIds: string[];
  /** Namespace ids; empty = all. */
  namespaceIds: string[];
  /** The checker's limits for this target. */
  windows: Windows;
}

/** Where alerts go besides the log, which always gets them. */
export interface AlertConfig {
  webhookUrl?: string;
  webhookFormat: "json" | "slack" | "googlechat";
  /** `projects/P/topics/T` */
  topic?: string;
  /** Warn when a verified export has fewer than this fraction of the previous one's documents. */
  documentDropRatio: number;
  /** What to do with an export that outlives its completion window besides alerting. */
  stuckAction: "alert" | "cancel";
}

export type AdminApiVersion = "v1" | "v1beta2";

/** The whole validated configuration, built once at cold start. */
export interface Config {
  targets: Target[];
  schedule: string;
  scheduleTimeZone: string;
  prefixTemplate: string;
  prefixTimeZone: string;
  consistent: boolean;
  apiVersion: AdminApiVersion;
  manualBucketAllowlist: string[];
  ledger: { database: DatabaseName; collection: string };
  retry: { maxAttempts: number; baseDelayMs: number; requestTimeoutMs: number };
  /** The project's export quotas, and how long one delivery may spend starting exports. */
  fanout: { requestsPerMinute: number; concurrent: number; budgetMs: number };
  /** `firestore` serves the ledger's documents: the emulator when FIRESTORE_EMULATOR_HOST is set. */
  endpoints: { firestoreAdmin: string; storage: string; pubsub: string; firestore: string };
  alerts: AlertConfig;
  /** Valid but probably unintended settings, logged at cold start. */
  warnings: string[];
}

/** Every variable the configuration reads, with its default; Terraform sets exactly these. */
export const CONFIG_VARIABLES = {
  EXPORT_TARGETS: undefined,
  EXPORT_SCHEDULE: "0 2 * * *",
  EXPORT_SCHEDULE_TIME_ZONE: "UTC",
  EXPORT_PREFIX_TEMPLATE: "{prefix}/{database}/{yyyy}/{mm}/{dd}/{stamp}",
  EXPORT_PREFIX_TIME_ZONE: "UTC",
  EXPORT_CONSISTENT: "true",
  FIRESTORE_ADMIN_API_VERSION: "v1",
  MANUAL_BUCKET_ALLOWLIST: undefined,
  LEDGER_DATABASE: undefined,
  LEDGER_COLLECTION: "firestoreExporterRuns",
  EXPORT_RETRY_MAX_ATTEMPTS: "5",
  EXPORT_RETRY_BASE_DELAY_MS: "1000",
  EXPORT_REQUEST_TIMEOUT_MS: "30000",
  EXPORT_REQUESTS_PER_MINUTE: "20",
  EXPORT_MAX_CONCURRENT: "50",
  EXPORT_TIME_BUDGET: "8m",
  FIRESTORE_ADMIN_ENDPOINT: "https://firestore.googleapis.com",
  STORAGE_ENDPOINT: "https://storage.googleapis.com",
  START_WINDOW: undefined,
  COMPLETION_WINDOW: undefined,
  FRESHNESS_WINDOW: undefined,
  STUCK_ACTION: "alert",
  DOCUMENT_DROP_WARN_RATIO: "0.5",
  ALERT_WEBHOOK_URL: undefined,
  ALERT_WEBHOOK_FORMAT: undefined,
  ALERT_TOPIC: undefined,
} as const satisfies Record<string, string | undefined>;

export type ConfigVariable = keyof typeof CONFIG_VARIABLES;
type Env = Record<string, string | undefined>;

const TEMPLATE_TOKENS = ["prefix", "project", "database", "yyyy", "mm", "dd", "stamp"] as const;

const TARGET_SHAPE = {
  database: { type: "string", required: true },
  bucket: { type: "string", required: true },
  prefix: { type: "string" },
  collectionIds: { type: "strings" },
  namespaceIds: { type: "strings" },
  startWindow: { type: "string" },
  completionWindow: { type: "string" },
  freshnessWindow: { type: "string" },
} as const;

const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];

const TARGET_FIELDS =
  "database, bucket, prefix, collectionIds, namespaceIds, startWindow, completionWindow, freshnessWindow";

const TARGETS_FORM =
  'a JSON array of {"database":"projects/P/databases/D","bucket":"gs://BUCKET","prefix":"firestore","collectionIds":[],"namespaceIds":[]}';

/** Parses and validates the environment; throws one ConfigError listing every problem. */
export function parseConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const warnings: string[] = unknownVariables(env);
  const get = (name: ConfigVariable): string | undefined => {
    const raw = env[name];
    return raw === undefined || raw.trim() === "" ? CONFIG_VARIABLES[name] : raw.trim();
  };
  const bad = (name: ConfigVariable, value: string, accepted: string) =>
    problems.push(`${name}: got ${JSON.stringify(value)}; expected ${accepted}`);

  const schedule = get("EXPORT_SCHEDULE") ?? "";
  const scheduleTimeZone = get("EXPORT_SCHEDULE_TIME_ZONE") ?? "UTC";
  const tzOk = isTimeZone(scheduleTimeZone);
  if (!tzOk)
    bad("EXPORT_SCHEDULE_TIME_ZONE", scheduleTimeZone, "an IANA time zone such as UTC or Europe/Paris");
  const cronWhy = cronProblem(schedule);
  if (cronWhy !== undefined) {
    bad(
      "EXPORT_SCHEDULE",
      schedule,
      `a five-field cron expression as Cloud Scheduler takes it, such as "0 2 * * *" (${cronWhy})`,
    );
  }

  const cronOk = problems.length === 0;
  // Sampling a year of fires costs tens of milliseconds: only the checker needs the derived
  // windows, so the exporter's cold start never computes them.
  let interval: number | undefined;
  const intervalMs = () => {
    interval ??= cronOk ? scheduleInterval(schedule, scheduleTimeZone) : 86_400_000;
    return interval;
  };
  const windowVar = (name: "START_WINDOW" | "COMPLETION_WINDOW" | "FRESHNESS_WINDOW") => {
    const raw = get(name);
    if (raw === undefined) return undefined;
    const ms = parseDuration(raw);
    if (ms === undefined) bad(name, raw, DURATION_FORM);
    return ms;
  };
  const globalOverrides: Partial<Windows> = {
    startMs: windowVar("START_WINDOW"),
    completionMs: windowVar("COMPLETION_WINDOW"),
    freshnessMs: windowVar("FRESHNESS_WINDOW"),
  };
  const { targets, freshnessSet } = parseTargets(get("EXPORT_TARGETS"), problems, (overrides) => {
    const derived = defaultWindows(intervalMs());
    return {
      startMs: overrides.startMs ?? globalOverrides.startMs ?? derived.startMs,
      completionMs: overrides.completionMs ?? globalOverrides.completionMs ?? derived.completionMs,
      freshnessMs: overrides.freshnessMs ?? globalOverrides.freshnessMs ?? derived.freshnessMs,
    };
  });
  for (const t of targets) {
    // A derived freshness window is always longer than the interval: only a set one can be shorter.
    if (
      cronOk &&
      (globalOverrides.freshnessMs !== undefined || freshnessSet.has(t)) &&
      t.windows.freshnessMs < intervalMs()
    ) {
      warnings.push(
        `${t.database.name}: the freshness window (${formatDuration(t.windows.freshnessMs)}) is shorter than the schedule's interval (${formatDuration(intervalMs())}), so backup_stale will fire between two healthy exports`,
      );
    }
  }

  const prefixTemplate = (get("EXPORT_PREFIX_TEMPLATE") ?? "").replace(/^\/+|\/+$/g, "");
  const templateProblem = prefixTemplateProblem(prefixTemplate);
  if (templateProblem) bad("EXPORT_PREFIX_TEMPLATE", prefixTemplate, templateProblem);

  if (!templateProblem) {
    // Two targets rendering the same folder would collide every run (same database id in two projects).
    const owners = new Map<string, string>();
    for (const t of targets) {
      const folder = buildOutputPrefix({
        target: t,
        template: prefixTemplate,
        timeZone: "UTC",
        time: new Date(0),
      });
      const other = owners.get(folder);
      if (other !== undefined && other !== t.database.name) {
        problems.push(
          `EXPORT_TARGETS: ${other} and ${t.database.name} would export into the same folders; expected a different bucket or prefix for each, or {project} in EXPORT_PREFIX_TEMPLATE`,
        );
      }
      owners.set(folder, t.database.name);
    }
  }

  const prefixTimeZone = get("EXPORT_PREFIX_TIME_ZONE") ?? "UTC";
  if (!isTimeZone(prefixTimeZone))
    bad("EXPORT_PREFIX_TIME_ZONE", prefixTimeZone, "an IANA time zone such as UTC or Europe/Paris");

  const consistentRaw = get("EXPORT_CONSISTENT") ?? "true";
  let consistent = parseBoolean(consistentRaw);
  if (consistent === undefined) bad("EXPORT_CONSISTENT", consistentRaw, "true or false");

  const apiVersion = get("FIRESTORE_ADMIN_API_VERSION") ?? "v1";
  if (apiVersion !== "v1" && apiVersion !== "v1beta2")
    bad("FIRESTORE_ADMIN_API_VERSION", apiVersion, "v1 or v1beta2");
  if (apiVersion === "v1beta2" && consistent) {
    // v1beta2 has no snapshotTime: an explicit request for consistency cannot be honoured.
    if (env.EXPORT_CONSISTENT?.trim()) {
      problems.push(
        'EXPORT_CONSISTENT: got "true" with FIRESTORE_ADMIN_API_VERSION=v1beta2, which has no snapshotTime; expected false, or the v1 API',
      );
    } else {
      warnings.push(
        "FIRESTORE_ADMIN_API_VERSION=v1beta2 has no snapshotTime: exports are not point-in-time consistent",
      );
    }
    consistent = false;
  }
  if (apiVersion === "v1beta2" && targets.some((t) => t.namespaceIds.length > 0)) {
    problems.push(
      "EXPORT_TARGETS: namespaceIds need FIRESTORE_ADMIN_API_VERSION=v1 (v1beta2 accepts only collectionIds)",
    );
  }

  const configuredBuckets = [...new Set(targets.map((t) => t.bucket))];
  const allowRaw = get("MANUAL_BUCKET_ALLOWLIST");
  const manualBucketAllowlist =
    allowRaw === undefined ? configuredBuckets : parseAllowlist(allowRaw, problems);

  const ledgerRaw = get("LEDGER_DATABASE");
  const firstTarget = targets[0];
  let ledgerDatabase: DatabaseName | undefined;
  if (ledgerRaw !== undefined) {
    const parsed = parseDatabaseName(ledgerRaw);
    if (typeof parsed === "string") bad("LEDGER_DATABASE", ledgerRaw, DATABASE_FORM);
    else ledgerDatabase = parsed;
  } else if (firstTarget) {
    const project = firstTarget.database.project;
    ledgerDatabase = { project, databaseId: "(default)", name: `projects/${project}/databases/(default)` };
  }
  const ledgerCollection = get("LEDGER_COLLECTION") ?? "";
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(ledgerCollection) || /^__.*__$/.test(ledgerCollection)) {
    bad(
      "LEDGER_COLLECTION",
      ledgerCollection,
      "a top-level collection id of 1-100 letters, digits, _ or - (not of the reserved form __*__)",
    );
  }

  const maxAttempts = parseInteger("EXPORT_RETRY_MAX_ATTEMPTS", get("EXPORT_RETRY_MAX_ATTEMPTS"), 1, 20, bad);
  const baseDelayMs = parseInteger(
    "EXPORT_RETRY_BASE_DELAY_MS",
    get("EXPORT_RETRY_BASE_DELAY_MS"),
    1,
    60_000,
    bad,
  );
  const requestTimeoutMs = parseInteger(
    "EXPORT_REQUEST_TIMEOUT_MS",
    get("EXPORT_REQUEST_TIMEOUT_MS"),
    100,
    300_000,
    bad,
  );

  const requestsPerMinute = parseInteger(
    "EXPORT_REQUESTS_PER_MINUTE",
    get("EXPORT_REQUESTS_PER_MINUTE"),
    1,
    10_000,
    bad,
  );
  const concurrent = parseInteger("EXPORT_MAX_CONCURRENT", get("EXPORT_MAX_CONCURRENT"), 1, 10_000, bad);
  const budgetRaw = get("EXPORT_TIME_BUDGET") ?? "8m";
  const budgetMs = parseDuration(budgetRaw);
  // A push subscription waits at most 600 s for the answer: the function's timeout is below that.
  if (budgetMs === undefined || budgetMs < 30_000 || budgetMs > 540_000)
    bad(
      "EXPORT_TIME_BUDGET",
      budgetRaw,
      "a duration from 30s to 9m such as 8m, at least a minute shorter than the function's timeout",
    );
  if (requestsPerMinute > 20 || concurrent > 50) {
    warnings.push(
      `EXPORT_REQUESTS_PER_MINUTE=${requestsPerMinute}, EXPORT_MAX_CONCURRENT=${concurrent}: Firestore allows 20 export and import requests a minute and 50 running per project unless the project's quota was raised; beyond that the API answers 429 and the exporter waits`,
    );
  }
  // Only a fan-out larger than a minute's quota queues; only then are the windows worth deriving here.
  const perProject = new Map<string, Target[]>();
  for (const t of targets)
    perProject.set(t.database.project, [...(perProject.get(t.database.project) ?? []), t]);
  for (const [project, group] of perProject) {
    if (cronOk && group.length > requestsPerMinute) {
      const minutes = Math.ceil(group.length / requestsPerMinute) - 1;
      const shortest = Math.min(...group.map((t) => t.windows.startMs));
      if (minutes * 60_000 >= shortest) {
        warnings.push(
          `${group.length} targets in project ${project} need at least ${minutes} minutes to start at ${requestsPerMinute} requests a minute, longer than the start window (${formatDuration(shortest)}): the last ones will raise export_not_started while they wait; raise START_WINDOW`,
        );
      }
    }
  }

  const firestoreAdmin = parseEndpoint("FIRESTORE_ADMIN_ENDPOINT", get("FIRESTORE_ADMIN_ENDPOINT"), bad);
  const storage = parseEndpoint("STORAGE_ENDPOINT", get("STORAGE_ENDPOINT"), bad);
  for (const name of ["FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST"]) {
    const value = env[name]?.trim();
    if (value && !/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(value)) {
      problems.push(`${name}: got ${JSON.stringify(value)}; expected HOST:PORT such as 127.0.0.1:8080`);
    }
  }
  const firestoreHost = env.FIRESTORE_EMULATOR_HOST?.trim();
  const firestore = firestoreHost ? `http://${firestoreHost}` : "https://firestore.googleapis.com";
  const pubsubHost = env.PUBSUB_EMULATOR_HOST?.trim();
  const pubsub = pubsubHost ? `http://${pubsubHost}` : "https://pubsub.googleapis.com";
  const alerts = parseAlertConfig(get, bad, problems);

  if (problems.length > 0 || !ledgerDatabase) {
    throw new ConfigError(
      problems.length > 0 ? problems : ["LEDGER_DATABASE: no value and no target to derive it from"],
    );
  }
  return {
    targets,
    schedule,
    scheduleTimeZone,
    prefixTemplate,
    prefixTimeZone,
    consistent: consistent ?? true,
    apiVersion: apiVersion as AdminApiVersion,
    manualBucketAllowlist,
    ledger: { database: ledgerDatabase, collection: ledgerCollection },
    retry: { maxAttempts, baseDelayMs, requestTimeoutMs },
    fanout: { requestsPerMinute, concurrent, budgetMs: budgetMs ?? 480_000 },
    endpoints: { firestoreAdmin, storage, pubsub, firestore },
    alerts,
    warnings,
  };
}

function parseAlertConfig(
  get: (name: ConfigVariable) => string | undefined,
  bad: (name: ConfigVariable, value: string, accepted: string) => void,
  problems: string[],
): AlertConfig {
  const webhookUrl = get("ALERT_WEBHOOK_URL");
  if (webhookUrl !== undefined) {
    let ok = false;
    try {
      const url = new URL(webhookUrl);
      ok = url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.includes(url.hostname));
    } catch {
      ok = false;
    }
    // The URL is a secret (it carries the webhook's token): never echo it.
    if (!ok)
      problems.push(
        "ALERT_WEBHOOK_URL: got a value that is not an https:// URL (value redacted); expected an https:// webhook URL, or http:// on a loopback address for the local stack",
      );
  }
  const formatRaw = get("ALERT_WEBHOOK_FORMAT");
  let webhookFormat: AlertConfig["webhookFormat"] = "json";
  if (formatRaw === undefined) {
    if (webhookUrl?.includes("hooks.slack.com")) webhookFormat = "slack";
    else if (webhookUrl?.includes("chat.googleapis.com")) webhookFormat = "googlechat";
  } else if (formatRaw === "json" || formatRaw === "slack" || formatRaw === "googlechat")
    webhookFormat = formatRaw;
  else bad("ALERT_WEBHOOK_FORMAT", formatRaw, "json, slack or googlechat");
  const topic = get("ALERT_TOPIC");
  if (topic !== undefined && !/^projects\/[^/]+\/topics\/[A-Za-z][\w.~+%-]{2,254}$/.test(topic)) {
    bad("ALERT_TOPIC", topic, "projects/PROJECT_ID/topics/TOPIC_ID");
  }
  const ratioRaw = get("DOCUMENT_DROP_WARN_RATIO") ?? "0.5";
  const documentDropRatio = Number(ratioRaw);
  if (!/^\d*\.?\d+$/.test(ratioRaw) || documentDropRatio < 0 || documentDropRatio > 1) {
    bad("DOCUMENT_DROP_WARN_RATIO", ratioRaw, "a number from 0 (never warn) to 1");
  }
  const stuckAction = get("STUCK_ACTION") ?? "alert";
  if (stuckAction !== "alert" && stuckAction !== "cancel")
    bad("STUCK_ACTION", stuckAction, "alert or cancel");
  return {
    ...(webhookUrl !== undefined && { webhookUrl }),
    webhookFormat,
    ...(topic !== undefined && { topic }),
    documentDropRatio,
    stuckAction: stuckAction === "cancel" ? "cancel" : "alert",
  };
}

function parseTargets(
  raw: string | undefined,
  problems: string[],
  windowsWith: (overrides: Partial<Windows>) => Windows,
): { targets: Target[]; freshnessSet: Set<Target> } {
  const name = "EXPORT_TARGETS";
  if (raw === undefined) {
    problems.push(`${name}: not set; expected ${TARGETS_FORM}`);
    return { targets: [], freshnessSet: new Set() };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    problems.push(
      `${name}: got ${JSON.stringify(truncate(raw))}, which is not JSON; expected ${TARGETS_FORM}`,
    );
    return { targets: [], freshnessSet: new Set() };
  }
  const shape = checkObjectArray(TARGET_SHAPE, json, {
    root: name,
    fields: TARGET_FIELDS,
    form: TARGETS_FORM,
  });
  if ("problems" in shape) {
    problems.push(...shape.problems);
    return { targets: [], freshnessSet: new Set() };
  }
  const targets: Target[] = [];
  const freshnessSet = new Set<Target>();
  shape.value.forEach((t, i) => {
    const at = `${name}[${i}]`;
    const before = problems.length;
    const database = parseDatabaseName(t.database);
    if (typeof database === "string")
      problems.push(`${at}.database: got ${JSON.stringify(t.database)}; ${database}`);
    const bucketUri = parseGcsUri(t.bucket);
    if (typeof bucketUri === "string") {
      problems.push(`${at}.bucket: got ${JSON.stringify(t.bucket)}; ${bucketUri}`);
    } else if (bucketUri.path !== "") {
      problems.push(
        `${at}.bucket: got ${JSON.stringify(t.bucket)}; expected only gs://BUCKET, put the folder in "prefix"`,
      );
    }
    const prefix = (t.prefix ?? "firestore").replace(/^\/+|\/+$/g, "");
    const prefixProblem = objectPathProblem(prefix);
    if (prefixProblem) problems.push(`${at}.prefix: ${prefixProblem}`);
    const collectionIds = t.collectionIds ?? [];
    for (const p of collectionIdsProblems(collectionIds)) problems.push(`${at}.collectionIds: ${p}`);
    for (const p of namespaceIdsProblems(t.namespaceIds ?? [])) problems.push(`${at}.namespaceIds: ${p}`);
    const overrides: Partial<Windows> = {};
    for (const [field, key] of [
      ["startWindow", "startMs"],
      ["completionWindow", "completionMs"],
      ["freshnessWindow", "freshnessMs"],
    ] as const) {
      const value = t[field];
      if (value === undefined) continue;
      const ms = parseDuration(value);
      if (ms === undefined)
        problems.push(`${at}.${field}: got ${JSON.stringify(value)}; expected ${DURATION_FORM}`);
      else overrides[key] = ms;
    }
    if (problems.length === before && typeof database !== "string" && typeof bucketUri !== "string") {
      let windows: Windows | undefined;
      const target: Target = {
        database,
        bucket: bucketUri.bucket,
        prefix,
        collectionIds,
        namespaceIds: t.namespaceIds ?? [],
        // Computed on first use (the checker), then kept.
        get windows() {
          windows ??= windowsWith(overrides);
          return windows;
        },
      };
      targets.push(target);
      if (overrides.freshnessMs !== undefined) freshnessSet.add(target);
    }
  });
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t.database.name))
      problems.push(`${name}: database ${t.database.name} is listed twice; expected each database once`);
    seen.add(t.database.name);
  }
  return { targets, freshnessSet };
}

function parseAllowlist(raw: string, problems: string[]): string[] {
  const buckets: string[] = [];
  for (const item of raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const uri = parseGcsUri(item);
    if (typeof uri !== "string" && uri.path === "") buckets.push(uri.bucket);
    else
      problems.push(
        `MANUAL_BUCKET_ALLOWLIST: got ${JSON.stringify(item)}${typeof uri === "string" ? ` (${uri})` : ""}; expected a comma-separated list of gs://BUCKET`,
      );
  }
  return buckets;
}

function prefixTemplateProblem(template: string): string | undefined {
  const accepted = `a path using {${TEMPLATE_TOKENS.join("}, {")}} that contains {database} and {stamp}`;
  const unknown = [...template.matchAll(/\{([^}]*)\}/g)]
    .map((m) => m[1])
    .filter((t) => !(TEMPLATE_TOKENS as readonly string[]).includes(t ?? ""));
  if (unknown.length > 0) return `${accepted} (unknown token {${unknown.join("}, {")}})`;
  if (!template.includes("{database}") || !template.includes("{stamp}"))
    return `${accepted}, so that two databases or two runs never share a folder`;
  if (template.split("/").some((p) => p === "" || p === "." || p === ".."))
    return `${accepted}, without empty, "." or ".." segments`;
  const rendered = template.replace(/\{\w+\}/g, "x");
  const pathProblem = objectPathProblem(rendered);
  if (pathProblem) return `${accepted} (${pathProblem.replace(`path "${rendered}"`, "the template")})`;
  return undefined;
}

function parseInteger(
  name: ConfigVariable,
  raw: string | undefined,
  min: number,
  max: number,
  bad: (name: ConfigVariable, value: string, accepted: string) => void,
): number {
  const n = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || n < min || n > max) {
    bad(name, raw ?? "", `a whole number from ${min} to ${max}`);
    return min;
  }
  return n;
}

function parseEndpoint(
  name: ConfigVariable,
  raw: string | undefined,
  bad: (name: ConfigVariable, value: string, accepted: string) => void,
): string {
  const accepted = "an https:// URL, or http:// on a loopback address for the local stack";
  try {
    const url = new URL(raw ?? "");
    const loopback = LOOPBACK.includes(url.hostname);
    if (url.protocol === "https:" || (url.protocol === "http:" && loopback)) return url.origin;
  } catch {
    // reported below
  }
  bad(name, raw ?? "", accepted);
  return "";
}

function parseBoolean(raw: string): boolean | undefined {
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  return undefined;
}

export function isTimeZone(zone: string): boolean {
  if (isUtc(zone)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Prefixes of this product's variables: a misspelt one would otherwise be ignored in silence. */
const OWN_PREFIXES = [
  "EXPORT_",
  "LEDGER_",
  "ALERT_",
  "MANUAL_BUCKET",
  "START_WINDOW",
  "COMPLETION_WINDOW",
  "FRESHNESS_WINDOW",
  "STUCK_",
  "DOCUMENT_DROP",
  "FIRESTORE_ADMIN_",
];

function unknownVariables(env: Env): string[] {
  const known = new Set(Object.keys(CONFIG_VARIABLES));
  return Object.keys(env)
    .filter((name) => !known.has(name) && OWN_PREFIXES.some((p) => name.startsWith(p)))
    .map((name) => `${name} is set but is not a firestore-exporter setting (misspelt?); it is ignored`);
}

/**
 * Cloud Scheduler's unix-cron: five fields of numbers, `*`, `,`, `-`, `/` and month or weekday
 * names. Extensions such as H, L, W, # and ? are refused: H in particular picks a random minute,
 * which would make a slot's run key differ between deliveries.
 */
function cronProblem(expression: string): string | undefined {
  const parsed = parseCron(expression);
  return typeof parsed === "string" ? parsed : undefined;
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
