import { describe, expect, it } from "vitest";
import {
  checkConfiguration,
  type DoctorDeps,
  type Finding,
  jobProblems,
  runChecks,
  schedulerParent,
} from "../../cli/src/doctor-checks.js";
import type { BucketInfo, DoctorCloud, IamBinding, SchedulerJob } from "../../cli/src/doctor-cloud.js";
import { bucketLocationVerdict } from "../../cli/src/doctor-locations.js";
import type { DatabaseInfo } from "../../functions/src/admin-client.js";
import type { TargetStatus } from "../../functions/src/ledger.js";
import { baseEnv, DEFAULT_DB, testConfig } from "../support/fakes.js";

describe("bucketLocationVerdict", () => {
  it.each([
    ["nam5", "US", true],
    ["nam5", "us", true],
    ["nam5", "NAM4", false],
    ["nam5", "US-CENTRAL1", false],
    ["nam7", "US", true],
    ["eur3", "EU", true],
    ["eur3", "EUR4", false],
    ["eur3", "US", false],
    ["europe-west1", "EUROPE-WEST1", true],
    ["europe-west1", "EU", true],
    ["europe-west2", "EU", false],
    ["europe-west6", "EUROPE-WEST6", true],
    ["us-east1", "US", true],
    ["us-east1", "US-WEST1", false],
    ["asia-northeast1", "ASIA", true],
    ["australia-southeast1", "AUSTRALIA-SOUTHEAST1", true],
    ["australia-southeast1", "ASIA", false],
  ])("database %s, bucket %s → %s", (db, bucket, compatible) => {
    expect(bucketLocationVerdict(db, bucket).compatible).toBe(compatible);
  });

  it("names the allowed locations, and does not guess for an unknown one", () => {
    expect(bucketLocationVerdict("eur3", "US").allowed).toEqual(["EU"]);
    expect(bucketLocationVerdict("us-central1", "EU").allowed).toEqual(["US-CENTRAL1", "US"]);
    expect(bucketLocationVerdict("nam-eur-asia1", "US")).toMatchObject({ compatible: false, unknown: true });
  });
});

describe("checkConfiguration", () => {
  it("turns a ConfigError into one problem per variable", () => {
    const { config, findings } = checkConfiguration(
      baseEnv({ EXPORT_SCHEDULE_TIME_ZONE: "Mars/Base", EXPORT_TARGETS: "[]" }),
    );
    expect(config).toBeUndefined();
    expect(findings.map((f) => f.status)).toEqual(["problem", "problem"]);
    expect(findings.map((f) => f.detail).join("\n")).toMatch(/EXPORT_SCHEDULE_TIME_ZONE: got "Mars\/Base"/);
  });

  it("reports warnings without failing", () => {
    const { findings } = checkConfiguration(baseEnv({ EXPORT_SCHEDUL: "0 3 * * *" }));
    expect(findings.map((f) => f.status)).toEqual(["ok", "warning"]);
  });
});

describe("scheduler jobs", () => {
  const config = testConfig({ EXPORT_SCHEDULE: "0 2 * * *", EXPORT_SCHEDULE_TIME_ZONE: "Europe/Zurich" });
  const job: SchedulerJob = {
    name: "projects/my-project/locations/europe-west1/jobs/firestore-exporter-export",
    schedule: "0 2 * * *",
    timeZone: "Europe/Zurich",
    state: "ENABLED",
    topicName: "projects/my-project/topics/export-trigger",
    lastAttemptTime: "2026-12-03T01:00:00.000Z",
  };

  it("a job as configured has no problem", () => {
    expect(jobProblems(job, config, "export")).toEqual([]);
  });

  it("names every difference", () => {
    const bad = {
      ...job,
      state: "PAUSED",
      timeZone: "UTC",
      schedule: "0 3 * * *",
      status: { code: 7, message: "denied" },
    };
    expect(jobProblems(bad, config, "export")).toEqual([
      "state PAUSED, not ENABLED",
      'time zone "UTC", expected "Europe/Zurich" (EXPORT_SCHEDULE_TIME_ZONE)',
      'cron "0 3 * * *", expected "0 2 * * *" (EXPORT_SCHEDULE)',
      "last attempt at 2026-12-03T01:00:00.000Z failed: denied",
    ]);
    // The check job runs on its own cadence.
    expect(jobProblems({ ...job, schedule: "*/5 * * * *" }, config, "check")).toEqual([]);
  });

  it("takes a region or a full location", () => {
    expect(schedulerParent(undefined, config)).toBeUndefined();
    expect(schedulerParent("europe-west1", config)).toBe("projects/my-project/locations/europe-west1");
    expect(schedulerParent("projects/ops/locations/us-east1", config)).toBe(
      "projects/ops/locations/us-east1",
    );
  });
});

/** A cloud that answers from tables: doctor's judgements without a network. */
function fakeCloud(p: {
  buckets?: Record<string, BucketInfo>;
  iam?: IamBinding[];
  granted?: string[];
  jobs?: SchedulerJob[];
}): DoctorCloud {
  return {
    local: false,
    getBucket: async (name) => p.buckets?.[name],
    bucketIamPolicy: async () => p.iam ?? [],
    projectNumber: async () => "123456789012",
    testPermissions: async (_project, permissions) => permissions.filter((x) => p.granted?.includes(x)),
    listSchedulerJobs: async () => p.jobs ?? [],
    callerIdentity: async () => "ops@example.com",
  };
}

function deps(cloud: DoctorCloud, target?: TargetStatus, env: Record<string, string> = {}): DoctorDeps {
  const config = testConfig({
    EXPORT_TARGETS: JSON.stringify([{ database: DEFAULT_DB, bucket: "gs://my-bucket" }]),
  });
  const info: DatabaseInfo = { name: DEFAULT_DB, locationId: "eur3", type: "FIRESTORE_NATIVE" };
  return {
    config,
    env,
    admin: { getDatabase: async () => info },
    cloud,
    ledger: { getTarget: async () => target },
    now: new Date("2026-12-03T12:00:00Z"),
  };
}

const byCheck = (findings: Finding[], check: string) => findings.find((f) => f.check === check);

describe("runChecks against a (fake) real project", () => {
  const fresh: TargetStatus = {
    database: DEFAULT_DB,
    watchingSince: "2026-11-01T00:00:00Z",
    lastVerifiedAt: "2026-12-03T02:10:00Z",
    lastVerifiedRunKey: "schedule:k",
  };

  it("all good: permission held, bucket in another project with the agent granted, jobs as configured", async () => {
    const cloud = fakeCloud({
      buckets: { "my-bucket": { name: "my-bucket", location: "EU", projectNumber: "999" } },
      iam: [
        {
          role: "roles/storage.objectAdmin",
          members: ["serviceAccount:service-123456789012@gcp-sa-firestore.iam.gserviceaccount.com"],
        },
      ],
      granted: ["datastore.databases.export"],
      jobs: [
        {
          name: "projects/my-project/locations/europe-west1/jobs/fe-export",
          schedule: "0 2 * * *",
          timeZone: "UTC",
          state: "ENABLED",
          topicName: "projects/my-project/topics/export-trigger",
        },
        {
          name: "projects/my-project/locations/europe-west1/jobs/fe-check",
          schedule: "*/10 * * * *",
          timeZone: "UTC",
          state: "ENABLED",
          topicName: "projects/my-project/topics/export-check",
        },
      ],
    });
    const findings = await runChecks(
      deps(cloud, fresh, { FIRESTORE_EXPORTER_SCHEDULER_LOCATION: "europe-west1" }),
      [...deps(cloud).config.targets],
    );
    expect(findings.filter((f) => f.status !== "ok")).toEqual([]);
    expect(byCheck(findings, "service agent can write")?.detail).toContain("roles/storage.objectAdmin");
  });

  it("names each problem with its fix", async () => {
    const cloud = fakeCloud({
      buckets: { "my-bucket": { name: "my-bucket", location: "US", projectNumber: "999" } },
      iam: [
        {
          role: "roles/storage.objectViewer",
          members: ["serviceAccount:service-123456789012@gcp-sa-firestore.iam.gserviceaccount.com"],
        },
      ],
      granted: [],
      jobs: [],
    });
    const stale = { ...fresh, lastVerifiedAt: "2026-12-01T02:10:00Z" };
    const d = deps(cloud, stale, { FIRESTORE_EXPORTER_SCHEDULER_LOCATION: "europe-west1" });
    const findings = await runChecks(d, d.config.targets);
    expect(byCheck(findings, "bucket location")).toMatchObject({
      status: "problem",
      detail: expect.stringContaining("allowed bucket locations: EU"),
    });
    expect(byCheck(findings, "caller can export")).toMatchObject({
      status: "problem",
      detail: expect.stringContaining("ops@example.com lacks datastore.databases.export"),
    });
    expect(byCheck(findings, "service agent can write")).toMatchObject({
      status: "problem",
      fix: expect.stringContaining(
        "--member=serviceAccount:service-123456789012@gcp-sa-firestore.iam.gserviceaccount.com",
      ),
    });
    expect(byCheck(findings, "last verified export")).toMatchObject({
      status: "problem",
      detail: expect.stringMatching(/^stale/),
    });
    expect(findings.filter((f) => f.check === "scheduler").map((f) => f.status)).toEqual([
      "problem",
      "problem",
    ]);
  });

  it("a bucket in the database's own project needs no grant", async () => {
    const cloud = fakeCloud({
      buckets: { "my-bucket": { name: "my-bucket", location: "EU", projectNumber: "123456789012" } },
      granted: ["datastore.databases.export"],
    });
    const d = deps(cloud, fresh);
    const findings = await runChecks(d, d.config.targets);
    expect(byCheck(findings, "service agent can write")).toMatchObject({
      status: "ok",
      detail: expect.stringContaining("by default"),
    });
    expect(byCheck(findings, "scheduler")).toMatchObject({ status: "not checked" });
  });

  it("a database the checker never looked at is a problem; one watched briefly without an export a warning", async () => {
    const cloud = fakeCloud({
      buckets: { "my-bucket": { name: "my-bucket", location: "EU" } },
      granted: ["datastore.databases.export"],
    });
    expect(
      byCheck(await runChecks(deps(cloud), deps(cloud).config.targets), "last verified export")?.status,
    ).toBe("problem");
    const watched = { database: DEFAULT_DB, watchingSince: "2026-12-03T11:00:00Z" };
    expect(
      byCheck(await runChecks(deps(cloud, watched), deps(cloud).config.targets), "last verified export")
        ?.status,
    ).toBe("warning");
  });
});
