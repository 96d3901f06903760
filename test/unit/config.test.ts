import { describe, expect, it, vi } from "vitest";
import { CONFIG_VARIABLES, parseConfig } from "../../functions/src/config.js";
import { ConfigError } from "../../functions/src/errors.js";
import { DURATION_FORM } from "../../functions/src/windows.js";

type Env = Record<string, string | undefined>;

const M = 60_000;
const H = 60 * M;
const D = 24 * H;
/** Derived from the default nightly schedule: start 1 h, completion 12 h, freshness 24 + 1 + 12 h. */
const NIGHTLY_WINDOWS = { startMs: H, completionMs: 12 * H, freshnessMs: 37 * H };
/**
 * "30 1 * * 1-5" in Europe/Paris: the longest gap is Friday to Monday across the night the clocks go
 * back, 73 h; start and completion at their maximums.
 */
const WEEKDAY_PARIS_WINDOWS = { startMs: H, completionMs: 12 * H, freshnessMs: 86 * H };

const DB = "projects/my-project/databases/(default)";
const minimalEnv: Env = { EXPORT_TARGETS: JSON.stringify([{ database: DB, bucket: "gs://my-bucket" }]) };

function targetsEnv(...targets: unknown[]): Env {
  return { EXPORT_TARGETS: JSON.stringify(targets) };
}

/** The ConfigError parseConfig throws; fails the test when it accepts the environment. */
function configError(env: Env): ConfigError {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`parseConfig accepted an invalid environment: ${JSON.stringify(env)}`);
}

describe("parseConfig: valid environments", () => {
  it("fills every default from a minimal environment", () => {
    const config = parseConfig(minimalEnv);
    expect(config).toEqual({
      targets: [
        {
          database: { project: "my-project", databaseId: "(default)", name: DB },
          bucket: "my-bucket",
          prefix: "firestore",
          collectionIds: [],
          namespaceIds: [],
          windows: NIGHTLY_WINDOWS,
        },
      ],
      schedule: "0 2 * * *",
      scheduleTimeZone: "UTC",
      prefixTemplate: "{prefix}/{database}/{yyyy}/{mm}/{dd}/{stamp}",
      prefixTimeZone: "UTC",
      consistent: true,
      apiVersion: "v1",
      manualBucketAllowlist: ["my-bucket"],
      ledger: {
        database: { project: "my-project", databaseId: "(default)", name: DB },
        collection: "firestoreExporterRuns",
      },
      retry: { maxAttempts: 5, baseDelayMs: 1000, requestTimeoutMs: 30000 },
      fanout: { requestsPerMinute: 20, concurrent: 50, budgetMs: 480_000 },
      endpoints: {
        firestoreAdmin: "https://firestore.googleapis.com",
        storage: "https://storage.googleapis.com",
        pubsub: "https://pubsub.googleapis.com",
        firestore: "https://firestore.googleapis.com",
      },
      alerts: { webhookFormat: "json", documentDropRatio: 0.5, stuckAction: "alert" },
      warnings: [],
    });
  });

  it("treats blank variables as unset", () => {
    const config = parseConfig({
      ...minimalEnv,
      EXPORT_SCHEDULE: "  ",
      EXPORT_PREFIX_TIME_ZONE: "",
      EXPORT_CONSISTENT: " ",
    });
    expect(config.schedule).toBe(CONFIG_VARIABLES.EXPORT_SCHEDULE);
    expect(config.prefixTimeZone).toBe("UTC");
    expect(config.consistent).toBe(true);
  });

  it("reads a full environment", () => {
    const config = parseConfig({
      EXPORT_TARGETS: JSON.stringify([
        {
          database: "projects/my-project/databases/(default)",
          bucket: "gs://my-bucket",
          prefix: "nightly/firestore",
          collectionIds: ["users", "orders"],
          namespaceIds: ["", "tenant-a"],
        },
        { database: "projects/other-project-1/databases/orders-eu", bucket: "gs://eu.backups.example.com" },
      ]),
      EXPORT_SCHEDULE: "30 1 * * 1-5",
      EXPORT_SCHEDULE_TIME_ZONE: "Europe/Paris",
      EXPORT_PREFIX_TEMPLATE: "{prefix}/{project}/{database}/{yyyy}-{mm}-{dd}/{stamp}",
      EXPORT_PREFIX_TIME_ZONE: "Asia/Tokyo",
      EXPORT_CONSISTENT: "false",
      FIRESTORE_ADMIN_API_VERSION: "v1",
      MANUAL_BUCKET_ALLOWLIST: "gs://my-bucket, gs://scratch-bucket",
      LEDGER_DATABASE: "projects/ops-project/databases/exporter-ledger",
      LEDGER_COLLECTION: "runs",
      EXPORT_RETRY_MAX_ATTEMPTS: "3",
      EXPORT_RETRY_BASE_DELAY_MS: "250",
      EXPORT_REQUEST_TIMEOUT_MS: "10000",
      FIRESTORE_ADMIN_ENDPOINT: "http://127.0.0.1:8090",
      STORAGE_ENDPOINT: "http://localhost:8091",
      PUBSUB_EMULATOR_HOST: "127.0.0.1:8085",
      STUCK_ACTION: "cancel",
      DOCUMENT_DROP_WARN_RATIO: "0.8",
      ALERT_WEBHOOK_URL: "https://hooks.slack.com/services/T000/B000/XXXXSECRET",
      ALERT_TOPIC: "projects/ops-project/topics/firestore-export-alerts",
    });
    expect(config.targets).toEqual([
      {
        database: {
          project: "my-project",
          databaseId: "(default)",
          name: "projects/my-project/databases/(default)",
        },
        bucket: "my-bucket",
        prefix: "nightly/firestore",
        collectionIds: ["users", "orders"],
        namespaceIds: ["", "tenant-a"],
        windows: WEEKDAY_PARIS_WINDOWS,
      },
      {
        database: {
          project: "other-project-1",
          databaseId: "orders-eu",
          name: "projects/other-project-1/databases/orders-eu",
        },
        bucket: "eu.backups.example.com",
        prefix: "firestore",
        collectionIds: [],
        namespaceIds: [],
        windows: WEEKDAY_PARIS_WINDOWS,
      },
    ]);
    expect(config).toMatchObject({
      schedule: "30 1 * * 1-5",
      scheduleTimeZone: "Europe/Paris",
      prefixTemplate: "{prefix}/{project}/{database}/{yyyy}-{mm}-{dd}/{stamp}",
      prefixTimeZone: "Asia/Tokyo",
      consistent: false,
      apiVersion: "v1",
      manualBucketAllowlist: ["my-bucket", "scratch-bucket"],
      ledger: {
        database: { project: "ops-project", databaseId: "exporter-ledger" },
        collection: "runs",
      },
      retry: { maxAttempts: 3, baseDelayMs: 250, requestTimeoutMs: 10000 },
      endpoints: {
        firestoreAdmin: "http://127.0.0.1:8090",
        storage: "http://localhost:8091",
        pubsub: "http://127.0.0.1:8085",
      },
      alerts: {
        webhookUrl: "https://hooks.slack.com/services/T000/B000/XXXXSECRET",
        webhookFormat: "slack",
        topic: "projects/ops-project/topics/firestore-export-alerts",
        documentDropRatio: 0.8,
        stuckAction: "cancel",
      },
      warnings: [],
    });
  });

  it("accepts v1beta2 without namespace ids", () => {
    expect(parseConfig({ ...minimalEnv, FIRESTORE_ADMIN_API_VERSION: "v1beta2" }).apiVersion).toBe("v1beta2");
  });

  it.each([["0 */6 * * *"], ["30 1 * * MON-FRI"], ["0 2 1 * *"], ["*/15 * * * *"]])(
    "accepts the cron expression %j",
    (schedule) => {
      expect(parseConfig({ ...minimalEnv, EXPORT_SCHEDULE: schedule }).schedule).toBe(schedule);
    },
  );

  it("defaults the manual allowlist to the configured buckets, each once", () => {
    const config = parseConfig(
      targetsEnv(
        { database: DB, bucket: "gs://shared-bucket" },
        { database: "projects/my-project/databases/orders-eu", bucket: "gs://shared-bucket", prefix: "eu" },
        { database: "projects/my-project/databases/audit-log", bucket: "gs://audit-bucket" },
      ),
    );
    expect(config.manualBucketAllowlist).toEqual(["shared-bucket", "audit-bucket"]);
  });

  it("exports named databases next to (default) and keeps the ledger in the first target's project", () => {
    const config = parseConfig(
      targetsEnv(
        { database: "projects/my-project/databases/orders-eu", bucket: "gs://my-bucket" },
        { database: DB, bucket: "gs://my-bucket" },
      ),
    );
    expect(config.targets.map((t) => t.database.databaseId)).toEqual(["orders-eu", "(default)"]);
    expect(config.ledger.database.name).toBe("projects/my-project/databases/(default)");
  });

  it("normalises trailing and leading slashes", () => {
    const config = parseConfig({
      EXPORT_TARGETS: JSON.stringify([
        { database: DB, bucket: "gs://my-bucket/", prefix: "/backups/firestore//" },
      ]),
      EXPORT_PREFIX_TEMPLATE: "/{prefix}/{database}/{stamp}/",
      MANUAL_BUCKET_ALLOWLIST: "gs://my-bucket/,gs://scratch-bucket//",
      FIRESTORE_ADMIN_ENDPOINT: "https://firestore.googleapis.com/",
      STORAGE_ENDPOINT: "http://127.0.0.1:8091/",
    });
    expect(config.targets[0]).toMatchObject({ bucket: "my-bucket", prefix: "backups/firestore" });
    expect(config.prefixTemplate).toBe("{prefix}/{database}/{stamp}");
    expect(config.manualBucketAllowlist).toEqual(["my-bucket", "scratch-bucket"]);
    expect(config.endpoints).toEqual({
      firestoreAdmin: "https://firestore.googleapis.com",
      storage: "http://127.0.0.1:8091",
      pubsub: "https://pubsub.googleapis.com",
      firestore: "https://firestore.googleapis.com",
    });
  });

  it("reads only the environment it is given", () => {
    vi.stubEnv("EXPORT_TARGETS", minimalEnv.EXPORT_TARGETS);
    try {
      expect(() => parseConfig({})).toThrow(ConfigError);
      expect(parseConfig().targets).toHaveLength(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("parseConfig: the checker's windows (F5)", () => {
  const windowsOf = (env: Env) => parseConfig(env).targets.map((t) => t.windows);

  it.each([
    ["nightly", "0 2 * * *", NIGHTLY_WINDOWS],
    ["hourly", "0 * * * *", { startMs: 15 * M, completionMs: 30 * M, freshnessMs: H + 45 * M }],
    ["every ten minutes", "*/10 * * * *", { startMs: 5 * M, completionMs: 30 * M, freshnessMs: 45 * M }],
    ["on weekdays", "0 2 * * 1-5", { startMs: H, completionMs: 12 * H, freshnessMs: 3 * D + 13 * H }],
    ["weekly", "0 3 * * 0", { startMs: H, completionMs: 12 * H, freshnessMs: 7 * D + 13 * H }],
  ])("derives them from a %s schedule (%s)", (_what, schedule, windows) => {
    const config = parseConfig({ ...minimalEnv, EXPORT_SCHEDULE: schedule });
    expect(config.targets[0]?.windows).toEqual(windows);
    expect(config.warnings).toEqual([]);
  });

  it.each([
    ["90s", 90_000],
    ["30m", 30 * M],
    ["12h", 12 * H],
    ["2d", 2 * D],
  ])("reads the duration %j", (raw, ms) => {
    expect(windowsOf({ ...minimalEnv, START_WINDOW: raw })[0]?.startMs).toBe(ms);
    expect(windowsOf({ ...minimalEnv, COMPLETION_WINDOW: raw })[0]?.completionMs).toBe(ms);
  });

  it("takes the three variables for every target", () => {
    const env = {
      ...targetsEnv(
        { database: DB, bucket: "gs://my-bucket" },
        { database: "projects/my-project/databases/orders-eu", bucket: "gs://my-bucket" },
      ),
      START_WINDOW: "20m",
      COMPLETION_WINDOW: "6h",
      FRESHNESS_WINDOW: "2d",
    };
    const windows = { startMs: 20 * M, completionMs: 6 * H, freshnessMs: 2 * D };
    expect(windowsOf(env)).toEqual([windows, windows]);
  });

  it("lets a target override any of them, the others keep the global or derived value", () => {
    const env = {
      ...targetsEnv(
        {
          database: DB,
          bucket: "gs://my-bucket",
          startWindow: "10m",
          completionWindow: "2h",
          freshnessWindow: "30h",
        },
        {
          database: "projects/my-project/databases/orders-eu",
          bucket: "gs://my-bucket",
          completionWindow: "20h",
        },
        { database: "projects/my-project/databases/audit-log", bucket: "gs://my-bucket" },
      ),
      START_WINDOW: "45m",
    };
    expect(windowsOf(env)).toEqual([
      { startMs: 10 * M, completionMs: 2 * H, freshnessMs: 30 * H },
      { startMs: 45 * M, completionMs: 20 * H, freshnessMs: 37 * H },
      { startMs: 45 * M, completionMs: 12 * H, freshnessMs: 37 * H },
    ]);
  });

  it("warns, without refusing, about quotas above what Firestore allows a project", () => {
    const config = parseConfig({ ...minimalEnv, EXPORT_REQUESTS_PER_MINUTE: "60" });
    expect(config.fanout.requestsPerMinute).toBe(60);
    expect(config.warnings).toEqual([
      expect.stringMatching(/^EXPORT_REQUESTS_PER_MINUTE=60, EXPORT_MAX_CONCURRENT=50: Firestore allows 20/),
    ]);
    expect(
      parseConfig({ ...minimalEnv, EXPORT_REQUESTS_PER_MINUTE: "20", EXPORT_MAX_CONCURRENT: "50" }).warnings,
    ).toEqual([]);
  });

  it("warns when a project's fan-out takes longer to start than its start window", () => {
    const many = (n: number) =>
      JSON.stringify(
        Array.from({ length: n }, (_, i) => ({
          database: `projects/my-project/databases/db-${i}`,
          bucket: "gs://my-bucket",
        })),
      );
    // Every 20 minutes: a 5-minute start window; 150 targets at 20 a minute need 7 minutes.
    const config = parseConfig({ ...minimalEnv, EXPORT_SCHEDULE: "*/20 * * * *", EXPORT_TARGETS: many(150) });
    expect(config.warnings).toEqual([
      "150 targets in project my-project need at least 7 minutes to start at 20 requests a minute, longer than the start window (5m): the last ones will raise export_not_started while they wait; raise START_WINDOW",
    ]);
    expect(
      parseConfig({ ...minimalEnv, EXPORT_SCHEDULE: "*/20 * * * *", EXPORT_TARGETS: many(20) }).warnings,
    ).toEqual([]);
    expect(
      parseConfig({
        ...minimalEnv,
        EXPORT_SCHEDULE: "*/20 * * * *",
        EXPORT_TARGETS: many(150),
        START_WINDOW: "30m",
      }).warnings,
    ).toEqual([]);
  });

  it("warns, without refusing, when freshness is shorter than the schedule's interval", () => {
    const config = parseConfig({ ...minimalEnv, FRESHNESS_WINDOW: "12h" });
    expect(config.targets[0]?.windows.freshnessMs).toBe(12 * H);
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toContain(DB);
    expect(config.warnings[0]).toContain("(12h)");
    expect(config.warnings[0]).toContain("(1d)");
    expect(config.warnings[0]).toContain("backup_stale");
  });

  it("warns about the one target whose own freshness window is too short", () => {
    const config = parseConfig({
      ...targetsEnv(
        { database: DB, bucket: "gs://my-bucket" },
        {
          database: "projects/my-project/databases/orders-eu",
          bucket: "gs://my-bucket",
          freshnessWindow: "3d",
        },
      ),
      EXPORT_SCHEDULE: "0 2 * * 0",
    });
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toContain("projects/my-project/databases/orders-eu");
    expect(config.warnings[0]).toContain("(7d)");
  });

  it("does not warn when freshness covers the interval", () => {
    expect(parseConfig({ ...minimalEnv, FRESHNESS_WINDOW: "26h" }).warnings).toEqual([]);
  });
});

describe("parseConfig: alerts", () => {
  const alertsOf = (env: Env) => parseConfig({ ...minimalEnv, ...env }).alerts;

  it.each([
    ["https://hooks.slack.com/services/T0001/B0001/abcdef", "slack"],
    ["https://chat.googleapis.com/v1/spaces/AAAA/messages?key=k&token=t", "googlechat"],
    ["https://alerts.example.com/firestore", "json"],
    ["http://127.0.0.1:9099/webhook", "json"],
  ])("detects the format of %s as %s", (url, format) => {
    expect(alertsOf({ ALERT_WEBHOOK_URL: url })).toMatchObject({ webhookUrl: url, webhookFormat: format });
  });

  it("takes an explicit format over the detected one", () => {
    expect(
      alertsOf({
        ALERT_WEBHOOK_URL: "https://hooks.slack.com/services/T0001/B0001/abcdef",
        ALERT_WEBHOOK_FORMAT: "json",
      }).webhookFormat,
    ).toBe("json");
    expect(
      alertsOf({ ALERT_WEBHOOK_URL: "https://relay.example.com/x", ALERT_WEBHOOK_FORMAT: "googlechat" })
        .webhookFormat,
    ).toBe("googlechat");
  });

  it("never echoes the webhook URL, which carries its secret", () => {
    const secret = "s3cr3tT0k3nXYZ";
    for (const url of [
      `http://hooks.slack.com/services/T0001/B0001/${secret}`,
      `hooks.slack.com/services/T0001/B0001/${secret}`,
      `ftp://example.com/${secret}`,
    ]) {
      const error = configError({ ...minimalEnv, ALERT_WEBHOOK_URL: url });
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toContain("ALERT_WEBHOOK_URL");
      expect(error.message).not.toContain(secret);
    }
    // Nor when the URL is valid and something else is wrong.
    const other = configError({
      ...minimalEnv,
      ALERT_WEBHOOK_URL: `https://hooks.slack.com/services/T0001/B0001/${secret}`,
      ALERT_WEBHOOK_FORMAT: "teams",
      STUCK_ACTION: "kill",
    });
    expect(other.problems).toHaveLength(2);
    expect(other.message).not.toContain(secret);
  });

  it("reads an alert topic", () => {
    expect(alertsOf({ ALERT_TOPIC: "projects/ops-project/topics/firestore-export-alerts" }).topic).toBe(
      "projects/ops-project/topics/firestore-export-alerts",
    );
    expect(alertsOf({})).not.toHaveProperty("topic");
    expect(alertsOf({})).not.toHaveProperty("webhookUrl");
  });

  it.each([
    ["0", 0],
    ["1", 1],
    ["0.75", 0.75],
    [".5", 0.5],
  ])("reads the drop ratio %j", (raw, ratio) => {
    expect(alertsOf({ DOCUMENT_DROP_WARN_RATIO: raw }).documentDropRatio).toBe(ratio);
  });

  it.each(["alert", "cancel"] as const)("reads STUCK_ACTION=%s", (action) => {
    expect(alertsOf({ STUCK_ACTION: action }).stuckAction).toBe(action);
  });

  it("sends alerts to the Pub/Sub emulator when PUBSUB_EMULATOR_HOST is set", () => {
    expect(parseConfig({ ...minimalEnv, PUBSUB_EMULATOR_HOST: "localhost:8085" }).endpoints.pubsub).toBe(
      "http://localhost:8085",
    );
  });
});

/**
 * Every invalid value: one problem, naming the variable, the value received and the accepted form.
 * [what, environment, pieces the single problem line must contain]
 */
const invalid: Array<[string, Env, string[]]> = [
  [
    "a bare bucket without gs:// (F7)",
    targetsEnv({ database: DB, bucket: "my-bucket" }),
    ["EXPORT_TARGETS[0].bucket", '"my-bucket"', "gs://BUCKET", "gs:// scheme is required"],
  ],
  [
    "a bucket with a folder",
    targetsEnv({ database: DB, bucket: "gs://my-bucket/backups" }),
    ["EXPORT_TARGETS[0].bucket", '"gs://my-bucket/backups"', "expected only gs://BUCKET", '"prefix"'],
  ],
  [
    "a bucket name Cloud Storage refuses",
    targetsEnv({ database: DB, bucket: "gs://My_Bucket" }),
    ["EXPORT_TARGETS[0].bucket", "My_Bucket", "3-63 characters"],
  ],
  [
    "another scheme",
    targetsEnv({ database: DB, bucket: "s3://my-bucket" }),
    ["EXPORT_TARGETS[0].bucket", "s3://my-bucket", "gs://BUCKET"],
  ],
  [
    "a database without projects/…/databases/…",
    targetsEnv({ database: "my-project/(default)", bucket: "gs://my-bucket" }),
    ["EXPORT_TARGETS[0].database", '"my-project/(default)"', "projects/PROJECT_ID/databases/DATABASE_ID"],
  ],
  [
    "a database id in upper case",
    targetsEnv({ database: "projects/my-project/databases/Orders", bucket: "gs://my-bucket" }),
    ["EXPORT_TARGETS[0].database", "Orders", "(default) or 4-63"],
  ],
  [
    "a database id that is too short",
    targetsEnv({ database: "projects/my-project/databases/abc", bucket: "gs://my-bucket" }),
    ["EXPORT_TARGETS[0].database", '"abc"', "(default) or 4-63"],
  ],
  [
    "a database id ending with a dash",
    targetsEnv({ database: "projects/my-project/databases/orders-", bucket: "gs://my-bucket" }),
    ["EXPORT_TARGETS[0].database", '"orders-"', "(default) or 4-63"],
  ],
  [
    "a database name with extra segments",
    targetsEnv({ database: "projects/my-project/databases/default-db/extra", bucket: "gs://my-bucket" }),
    ["EXPORT_TARGETS[0].database", "default-db/extra", "projects/PROJECT_ID/databases/DATABASE_ID"],
  ],
  [
    "a project id Google Cloud refuses",
    targetsEnv({ database: "projects/My_Project/databases/(default)", bucket: "gs://my-bucket" }),
    ["EXPORT_TARGETS[0].database", "My_Project", "6-30"],
  ],
  [
    "a target field nobody reads",
    targetsEnv({ database: DB, bucket: "gs://my-bucket", collections: ["users"] }),
    ["EXPORT_TARGETS[0]", 'unknown field(s) "collections"', "accepted fields: database, bucket, prefix"],
  ],
  [
    "a target field of the wrong type",
    targetsEnv({ database: DB, bucket: "gs://my-bucket", collectionIds: "users" }),
    ["EXPORT_TARGETS[0].collectionIds", 'got "users"', "expected a value of type array"],
  ],
  [
    "targets that are not JSON",
    { EXPORT_TARGETS: "gs://my-bucket" },
    ["EXPORT_TARGETS", '"gs://my-bucket"', "not JSON", 'a JSON array of {"database"'],
  ],
  ["no targets at all", {}, ["EXPORT_TARGETS", "not set", 'a JSON array of {"database"']],
  [
    "a collection id with a slash in a target",
    targetsEnv({ database: DB, bucket: "gs://my-bucket", collectionIds: ["users/u1/orders"] }),
    ["EXPORT_TARGETS[0].collectionIds", '"users/u1/orders"', "collection-group ids"],
  ],
  [
    "a target prefix that climbs out of its folder",
    targetsEnv({ database: DB, bucket: "gs://my-bucket", prefix: "a/../b" }),
    ["EXPORT_TARGETS[0].prefix", '"a/../b"', '".."'],
  ],
  [
    "the same database twice",
    targetsEnv({ database: DB, bucket: "gs://my-bucket" }, { database: DB, bucket: "gs://other-bucket" }),
    ["EXPORT_TARGETS", DB, "listed twice", "once"],
  ],
  [
    "namespace ids on v1beta2",
    {
      ...targetsEnv({ database: DB, bucket: "gs://my-bucket", namespaceIds: ["tenant-a"] }),
      FIRESTORE_ADMIN_API_VERSION: "v1beta2",
    },
    ["EXPORT_TARGETS", "namespaceIds", "v1beta2", "FIRESTORE_ADMIN_API_VERSION=v1"],
  ],
  [
    "a misspelt schedule time zone",
    { ...minimalEnv, EXPORT_SCHEDULE_TIME_ZONE: "Europe/Pariss" },
    ["EXPORT_SCHEDULE_TIME_ZONE", '"Europe/Pariss"', "IANA time zone"],
  ],
  [
    "an offset instead of a schedule time zone",
    { ...minimalEnv, EXPORT_SCHEDULE_TIME_ZONE: "UTC+1" },
    ["EXPORT_SCHEDULE_TIME_ZONE", '"UTC+1"', "IANA time zone"],
  ],
  [
    "a prefix time zone that does not exist",
    { ...minimalEnv, EXPORT_PREFIX_TIME_ZONE: "Mars/Olympus_Mons" },
    ["EXPORT_PREFIX_TIME_ZONE", '"Mars/Olympus_Mons"', "IANA time zone"],
  ],
  [
    "a cron expression with four fields",
    { ...minimalEnv, EXPORT_SCHEDULE: "0 2 * *" },
    ["EXPORT_SCHEDULE", '"0 2 * *"', "five-field cron"],
  ],
  [
    "a cron expression with seconds",
    { ...minimalEnv, EXPORT_SCHEDULE: "0 0 2 * * *" },
    ["EXPORT_SCHEDULE", '"0 0 2 * * *"', "five-field cron"],
  ],
  [
    "a minute out of range",
    { ...minimalEnv, EXPORT_SCHEDULE: "61 2 * * *" },
    ["EXPORT_SCHEDULE", '"61 2 * * *"', "five-field cron"],
  ],
  [
    "an hour out of range",
    { ...minimalEnv, EXPORT_SCHEDULE: "0 25 * * *" },
    ["EXPORT_SCHEDULE", '"0 25 * * *"', "five-field cron"],
  ],
  [
    "a day that never comes",
    { ...minimalEnv, EXPORT_SCHEDULE: "0 2 31 2 *" },
    ["EXPORT_SCHEDULE", '"0 2 31 2 *"', "five-field cron"],
  ],
  [
    "words instead of cron",
    { ...minimalEnv, EXPORT_SCHEDULE: "every day" },
    ["EXPORT_SCHEDULE", '"every day"', "five-field cron"],
  ],
  [
    "a template without {stamp}",
    { ...minimalEnv, EXPORT_PREFIX_TEMPLATE: "{prefix}/{database}/{yyyy}/{mm}/{dd}" },
    ["EXPORT_PREFIX_TEMPLATE", '"{prefix}/{database}/{yyyy}/{mm}/{dd}"', "contains {database} and {stamp}"],
  ],
  [
    "a template without {database}",
    { ...minimalEnv, EXPORT_PREFIX_TEMPLATE: "{prefix}/{yyyy}/{stamp}" },
    ["EXPORT_PREFIX_TEMPLATE", '"{prefix}/{yyyy}/{stamp}"', "contains {database} and {stamp}"],
  ],
  [
    "a template with an unknown token",
    { ...minimalEnv, EXPORT_PREFIX_TEMPLATE: "{prefix}/{database}/{date}/{stamp}" },
    ["EXPORT_PREFIX_TEMPLATE", '"{prefix}/{database}/{date}/{stamp}"', "unknown token {date}", "{yyyy}"],
  ],
  [
    "a template with an empty segment",
    { ...minimalEnv, EXPORT_PREFIX_TEMPLATE: "{prefix}//{database}/{stamp}" },
    ["EXPORT_PREFIX_TEMPLATE", '"{prefix}//{database}/{stamp}"', "without empty"],
  ],
  [
    "consistency that is not a boolean",
    { ...minimalEnv, EXPORT_CONSISTENT: "sometimes" },
    ["EXPORT_CONSISTENT", '"sometimes"', "true or false"],
  ],
  [
    "an API version that does not exist",
    { ...minimalEnv, FIRESTORE_ADMIN_API_VERSION: "v2" },
    ["FIRESTORE_ADMIN_API_VERSION", '"v2"', "v1 or v1beta2"],
  ],
  [
    "an allowlist entry with a folder",
    { ...minimalEnv, MANUAL_BUCKET_ALLOWLIST: "gs://my-bucket,gs://other-bucket/manual" },
    ["MANUAL_BUCKET_ALLOWLIST", '"gs://other-bucket/manual"', "comma-separated list of gs://BUCKET"],
  ],
  [
    "a bare bucket name in the allowlist (F7)",
    { ...minimalEnv, MANUAL_BUCKET_ALLOWLIST: "gs://my-bucket,scratch-bucket" },
    [
      "MANUAL_BUCKET_ALLOWLIST",
      '"scratch-bucket"',
      "gs:// scheme is required",
      "comma-separated list of gs://BUCKET",
    ],
  ],
  [
    "an allowlist entry that is not a bucket name",
    { ...minimalEnv, MANUAL_BUCKET_ALLOWLIST: "Not A Bucket" },
    ["MANUAL_BUCKET_ALLOWLIST", '"Not A Bucket"', "comma-separated list of gs://BUCKET"],
  ],
  [
    "a ledger database that is not a resource name",
    { ...minimalEnv, LEDGER_DATABASE: "(default)" },
    ["LEDGER_DATABASE", '"(default)"', "projects/PROJECT_ID/databases/DATABASE_ID"],
  ],
  [
    "a ledger collection path",
    { ...minimalEnv, LEDGER_COLLECTION: "ops/exporter/runs" },
    ["LEDGER_COLLECTION", '"ops/exporter/runs"', "top-level collection id"],
  ],
  [
    "retry attempts in words",
    { ...minimalEnv, EXPORT_RETRY_MAX_ATTEMPTS: "three" },
    ["EXPORT_RETRY_MAX_ATTEMPTS", '"three"', "whole number from 1 to 20"],
  ],
  [
    "zero retry attempts",
    { ...minimalEnv, EXPORT_RETRY_MAX_ATTEMPTS: "0" },
    ["EXPORT_RETRY_MAX_ATTEMPTS", '"0"', "whole number from 1 to 20"],
  ],
  [
    "fractional retry attempts",
    { ...minimalEnv, EXPORT_RETRY_MAX_ATTEMPTS: "2.5" },
    ["EXPORT_RETRY_MAX_ATTEMPTS", '"2.5"', "whole number from 1 to 20"],
  ],
  [
    "a retry delay with a unit",
    { ...minimalEnv, EXPORT_RETRY_BASE_DELAY_MS: "1s" },
    ["EXPORT_RETRY_BASE_DELAY_MS", '"1s"', "whole number from 1 to 60000"],
  ],
  [
    "a negative timeout",
    { ...minimalEnv, EXPORT_REQUEST_TIMEOUT_MS: "-5" },
    ["EXPORT_REQUEST_TIMEOUT_MS", '"-5"', "whole number from 100 to 300000"],
  ],
  [
    "a quota of zero requests per minute",
    { ...minimalEnv, EXPORT_REQUESTS_PER_MINUTE: "0" },
    ["EXPORT_REQUESTS_PER_MINUTE", '"0"', "whole number from 1 to 10000"],
  ],
  [
    "a concurrency quota with a unit",
    { ...minimalEnv, EXPORT_MAX_CONCURRENT: "50ops" },
    ["EXPORT_MAX_CONCURRENT", '"50ops"', "whole number from 1 to 10000"],
  ],
  [
    "a time budget without a unit",
    { ...minimalEnv, EXPORT_TIME_BUDGET: "480" },
    ["EXPORT_TIME_BUDGET", '"480"', "a duration from 30s to 9m"],
  ],
  [
    "a time budget longer than a push subscription waits",
    { ...minimalEnv, EXPORT_TIME_BUDGET: "10m" },
    ["EXPORT_TIME_BUDGET", '"10m"', "from 30s to 9m"],
  ],
  [
    "plain http to a remote admin endpoint",
    { ...minimalEnv, FIRESTORE_ADMIN_ENDPOINT: "http://firestore.example.com" },
    [
      "FIRESTORE_ADMIN_ENDPOINT",
      '"http://firestore.example.com"',
      "https:// URL, or http:// on a loopback address",
    ],
  ],
  [
    "plain http to a private, non-loopback storage endpoint",
    { ...minimalEnv, STORAGE_ENDPOINT: "http://10.0.0.5:9000" },
    ["STORAGE_ENDPOINT", '"http://10.0.0.5:9000"', "https:// URL, or http:// on a loopback address"],
  ],
  [
    "an endpoint without a scheme",
    { ...minimalEnv, FIRESTORE_ADMIN_ENDPOINT: "firestore.googleapis.com" },
    ["FIRESTORE_ADMIN_ENDPOINT", '"firestore.googleapis.com"', "https:// URL"],
  ],
  ...(
    [
      ["START_WINDOW", "5", "a number without a unit"],
      ["COMPLETION_WINDOW", "1w", "weeks"],
      ["FRESHNESS_WINDOW", "0s", "zero"],
      ["START_WINDOW", "-1m", "a negative duration"],
      ["COMPLETION_WINDOW", "1h30m", "two units"],
      ["FRESHNESS_WINDOW", "1.5d", "a fraction"],
    ] as const
  ).map(([name, value, what]): [string, Env, string[]] => [
    `${what} as ${name}`,
    { ...minimalEnv, [name]: value },
    [`${name}: got "${value}"`, DURATION_FORM],
  ]),
  [
    "a target's start window in weeks",
    targetsEnv({ database: DB, bucket: "gs://my-bucket", startWindow: "1w" }),
    ['EXPORT_TARGETS[0].startWindow: got "1w"', DURATION_FORM],
  ],
  [
    "a target's freshness window of zero",
    targetsEnv({ database: DB, bucket: "gs://my-bucket", freshnessWindow: "0d" }),
    ['EXPORT_TARGETS[0].freshnessWindow: got "0d"', DURATION_FORM],
  ],
  [
    "a target's completion window without a unit",
    targetsEnv({ database: DB, bucket: "gs://my-bucket", completionWindow: 3600 }),
    ["EXPORT_TARGETS[0].completionWindow", "got 3600", "expected a value of type string"],
  ],
  [
    "a webhook over plain http",
    { ...minimalEnv, ALERT_WEBHOOK_URL: "http://alerts.example.com/hook" },
    ["ALERT_WEBHOOK_URL", "value redacted", "https:// webhook URL"],
  ],
  [
    "a webhook that is not a URL",
    { ...minimalEnv, ALERT_WEBHOOK_URL: "hooks.slack.com/services/T0001/B0001/abc" },
    ["ALERT_WEBHOOK_URL", "value redacted", "https:// webhook URL"],
  ],
  [
    "a webhook format nobody speaks",
    { ...minimalEnv, ALERT_WEBHOOK_FORMAT: "teams" },
    ["ALERT_WEBHOOK_FORMAT", '"teams"', "json, slack or googlechat"],
  ],
  [
    "a topic id without its project",
    { ...minimalEnv, ALERT_TOPIC: "firestore-export-alerts" },
    ["ALERT_TOPIC", '"firestore-export-alerts"', "projects/PROJECT_ID/topics/TOPIC_ID"],
  ],
  [
    "a subscription instead of a topic",
    { ...minimalEnv, ALERT_TOPIC: "projects/ops-project/subscriptions/alerts" },
    ["ALERT_TOPIC", '"projects/ops-project/subscriptions/alerts"', "projects/PROJECT_ID/topics/TOPIC_ID"],
  ],
  [
    "a topic id that starts with a digit",
    { ...minimalEnv, ALERT_TOPIC: "projects/ops-project/topics/1-alerts" },
    ["ALERT_TOPIC", '"projects/ops-project/topics/1-alerts"', "projects/PROJECT_ID/topics/TOPIC_ID"],
  ],
  ...["1.5", "-0.1", "half", "50%", "2"].map((ratio): [string, Env, string[]] => [
    `a drop ratio of ${ratio}`,
    { ...minimalEnv, DOCUMENT_DROP_WARN_RATIO: ratio },
    ["DOCUMENT_DROP_WARN_RATIO", `"${ratio}"`, "a number from 0 (never warn) to 1"],
  ]),
  ...["kill", "ignore", "CANCEL"].map((action): [string, Env, string[]] => [
    `a stuck action of ${action}`,
    { ...minimalEnv, STUCK_ACTION: action },
    ["STUCK_ACTION", `"${action}"`, "alert or cancel"],
  ]),
];

describe("parseConfig: invalid values", () => {
  it.each(invalid)(
    "refuses %s, naming the variable, the value and the accepted form",
    (_what, env, pieces) => {
      const error = configError(env);
      expect(error.problems).toHaveLength(1);
      const [problem] = error.problems;
      for (const piece of pieces) expect(problem).toContain(piece);
      expect(error.message).toContain(problem);
    },
  );

  it("reports every problem at once", () => {
    const error = configError({
      EXPORT_TARGETS: JSON.stringify([{ database: DB, bucket: "my-bucket" }]),
      EXPORT_SCHEDULE_TIME_ZONE: "Europe/Pariss",
      EXPORT_PREFIX_TEMPLATE: "{prefix}/{yyyy}",
      EXPORT_RETRY_MAX_ATTEMPTS: "many",
      STORAGE_ENDPOINT: "http://storage.example.com",
    });
    // The schedule comes first: the windows every target gets are derived from it.
    expect(error.problems.map((p) => p.split(/[:[]/)[0])).toEqual([
      "EXPORT_SCHEDULE_TIME_ZONE",
      "EXPORT_TARGETS",
      "EXPORT_PREFIX_TEMPLATE",
      "EXPORT_RETRY_MAX_ATTEMPTS",
      "STORAGE_ENDPOINT",
    ]);
    expect(error.message).toMatch(
      /^Invalid configuration \(5 problems\):\n- EXPORT_SCHEDULE_TIME_ZONE: .*\n- EXPORT_TARGETS\[0\]\.bucket/,
    );
  });

  it("reports a problem in each of several targets", () => {
    const error = configError(
      targetsEnv(
        { database: DB, bucket: "my-bucket" },
        { database: "projects/my-project/databases/X", bucket: "gs://ok-bucket" },
      ),
    );
    expect(error.problems).toHaveLength(2);
    expect(error.problems[0]).toContain("EXPORT_TARGETS[0].bucket");
    expect(error.problems[1]).toContain("EXPORT_TARGETS[1].database");
  });

  it("refuses two targets whose exports would land in the same folders", () => {
    // Same database id in two projects, same bucket and prefix, template without {project}: every
    // night the second export would hit "Path already exists" (F1, F6).
    const error = configError(
      targetsEnv(
        { database: "projects/project-a1/databases/(default)", bucket: "gs://central-backups" },
        { database: "projects/project-b1/databases/(default)", bucket: "gs://central-backups" },
      ),
    );
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain("EXPORT_TARGETS");
    expect(error.problems[0]).toContain("projects/project-a1/databases/(default)");
    expect(error.problems[0]).toContain("projects/project-b1/databases/(default)");
    expect(error.problems[0]).toContain("{project}");
  });

  it.each([
    ["a different prefix", { prefix: "project-b" }, {}],
    ["a different bucket", { bucket: "gs://other-backups" }, {}],
    ["{project} in the template", {}, { EXPORT_PREFIX_TEMPLATE: "{prefix}/{project}/{database}/{stamp}" }],
  ])("accepts the same database id in two projects with %s", (_what, second, env) => {
    const config = parseConfig({
      ...targetsEnv(
        { database: "projects/project-a1/databases/(default)", bucket: "gs://central-backups" },
        { database: "projects/project-b1/databases/(default)", bucket: "gs://central-backups", ...second },
      ),
      ...env,
    });
    expect(config.targets).toHaveLength(2);
  });
});
