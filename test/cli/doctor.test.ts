import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Finding } from "../../cli/src/doctor-checks.js";
import type { TargetStatus } from "../../functions/src/ledger.js";
import type { RunRecord } from "../../functions/src/run.js";
import { LOCAL_BUCKET, LOCAL_DATABASE, LOCAL_PROJECT, type Stack, startStack } from "../../local/stack.js";
import { waitFor } from "../support/wait.js";
import { runCli } from "./run-cli.js";

let stack: Stack;
const ledger = () => stack.db("exporter-ledger");
const doctor = (env: Record<string, string> = {}, ...args: string[]) =>
  runCli(["doctor", ...args], { ...stack.env, ...env });

const STALE_DB = `projects/${LOCAL_PROJECT}/databases/stale-db`;

function findings(stdout: string): Finding[] {
  return (JSON.parse(stdout) as { findings: Finding[] }).findings;
}

const find = (all: Finding[], check: string, subject?: string) =>
  all.filter((f) => f.check === check && (subject === undefined || f.subject === subject));

beforeAll(async () => {
  stack = await startStack({
    stateDir: path.join(process.cwd(), ".local", "test-cli-doctor"),
    checkTickMs: 500,
    opMinDurationMs: 300,
    env: { EXPORT_RETRY_BASE_DELAY_MS: "50" },
  });
  await stack.db().doc("users/u1").set({ name: "Ada" });
  // One verified export, so that the freshness check has something to judge.
  const id = await stack.publishTrigger(JSON.stringify({ database: LOCAL_DATABASE, label: "doctor" }));
  const key = `manual:${id}:${LOCAL_PROJECT}:(default)`;
  await waitFor(
    "a verified export recorded for the target",
    async () => {
      const run = (await ledger().collection("firestoreExporterRuns").doc(key).get()).data() as
        | RunRecord
        | undefined;
      const target = (
        await ledger().collection("firestoreExporterRunsTargets").doc(`${LOCAL_PROJECT}:(default)`).get()
      ).data() as TargetStatus | undefined;
      return run?.state === "SUCCESSFUL" && target?.lastVerifiedRunKey === key;
    },
    { timeoutMs: 20_000 },
  );
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe("doctor", () => {
  it("healthy stack: every check ok or not checked locally, exit 0", async () => {
    const result = await doctor({}, "--json");
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const all = findings(result.stdout);
    expect(all.filter((f) => f.status === "problem")).toEqual([]);
    expect(find(all, "configuration")[0]?.status).toBe("ok");
    expect(find(all, "database", LOCAL_DATABASE)[0]).toMatchObject({
      status: "ok",
      detail: expect.stringContaining("nam5"),
    });
    expect(find(all, "bucket", `gs://${LOCAL_BUCKET}`)[0]).toMatchObject({
      status: "ok",
      detail: expect.stringContaining("US"),
    });
    expect(find(all, "bucket location")[0]?.status).toBe("ok");
    for (const check of ["caller can export", "service agent can write"]) {
      expect(find(all, check)[0]).toMatchObject({
        status: "not checked",
        detail: expect.stringMatching(/^not checked locally/),
      });
    }
    expect(find(all, "scheduler")[0]).toMatchObject({
      status: "not checked",
      detail: expect.stringContaining("scheduler not checked: set FIRESTORE_EXPORTER_SCHEDULER_LOCATION"),
    });
    expect(find(all, "last verified export", LOCAL_DATABASE)[0]?.status).toBe("ok");
  });

  it("prints one human line per check, 'not checked locally' included, and names the scheduler's region", async () => {
    const result = await doctor({ FIRESTORE_EXPORTER_SCHEDULER_LOCATION: "europe-west1" });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^ok +database +projects\/demo-local\/databases\/\(default\): reachable: location nam5/m,
    );
    expect(result.stdout).toMatch(/^not checked +caller can export .*not checked locally/m);
    expect(result.stdout).toMatch(
      /^not checked +scheduler +projects\/demo-local\/locations\/europe-west1: not checked locally/m,
    );
    expect(result.stdout).toContain("No problems found.");
  });

  it("reports a bad configuration instead of crashing, exit 1", async () => {
    const result = await doctor({ EXPORT_SCHEDULE_TIME_ZONE: "Mars/Base" }, "--json");
    expect(result.code).toBe(1);
    const [finding] = find(findings(result.stdout), "configuration");
    expect(finding).toMatchObject({ status: "problem" });
    expect(finding?.detail).toMatch(/EXPORT_SCHEDULE_TIME_ZONE: got "Mars\/Base"/);
  });

  it("reports a target whose bucket does not exist", async () => {
    const targets = [{ database: LOCAL_DATABASE, bucket: "gs://no-such-bucket-here" }];
    const result = await doctor({ EXPORT_TARGETS: JSON.stringify(targets) }, "--json");
    expect(result.code).toBe(1);
    const all = findings(result.stdout);
    expect(find(all, "bucket", "gs://no-such-bucket-here")[0]).toMatchObject({
      status: "problem",
      detail: expect.stringContaining("does not exist"),
      fix: expect.stringContaining("gcloud storage buckets create gs://no-such-bucket-here --location=US"),
    });
    expect(find(all, "bucket location")[0]?.status).toBe("not checked");
  });

  it("reports a database whose newest verified export is older than its freshness window", async () => {
    const now = Date.now();
    const status: TargetStatus = {
      database: STALE_DB,
      watchingSince: new Date(now - 30 * 86_400_000).toISOString(),
      lastVerifiedAt: new Date(now - 3 * 86_400_000).toISOString(),
      lastVerifiedRunKey: "schedule:demo-local:stale-db:old",
    };
    await ledger().collection("firestoreExporterRunsTargets").doc(`${LOCAL_PROJECT}:stale-db`).set(status);
    const targets = [
      { database: LOCAL_DATABASE, bucket: `gs://${LOCAL_BUCKET}` },
      { database: STALE_DB, bucket: `gs://${LOCAL_BUCKET}`, freshnessWindow: "2d" },
    ];
    const result = await doctor({ EXPORT_TARGETS: JSON.stringify(targets) }, "--json");
    expect(result.code).toBe(1);
    const all = findings(result.stdout);
    expect(find(all, "last verified export", STALE_DB)[0]).toMatchObject({
      status: "problem",
      detail: expect.stringMatching(/^stale: .*older than the freshness window of 2d/),
    });
    expect(find(all, "last verified export", LOCAL_DATABASE)[0]?.status).toBe("ok");
    // --database narrows the checks to one target.
    const one = await doctor(
      { EXPORT_TARGETS: JSON.stringify(targets) },
      "--database",
      "(default)",
      "--json",
    );
    expect(one.code, one.stdout).toBe(0);
    expect(find(findings(one.stdout), "last verified export", STALE_DB)).toEqual([]);
  });
});
