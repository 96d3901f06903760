/**
 * The judgements of `doctor`: each check turns what the APIs answer into a finding with a status
 * and, for a problem, how to fix it. The calls themselves go through the ports in DoctorDeps.
 */
import type { DatabaseInfo, OperatorAdminApi } from "../../functions/src/admin-client.js";
import { type Config, parseConfig, type Target } from "../../functions/src/config.js";
import { ApiError, ConfigError } from "../../functions/src/errors.js";
import type { Ledger } from "../../functions/src/ledger.js";
import { formatDuration as formatWindow } from "../../functions/src/windows.js";
import type { BucketInfo, DoctorCloud, SchedulerJob } from "./doctor-cloud.js";
import { bucketLocationVerdict } from "./doctor-locations.js";
import { formatDuration } from "./progress.js";

/** `warning` and `not checked` do not fail doctor; `problem` does (exit 1). */
export type FindingStatus = "ok" | "warning" | "problem" | "not checked";

/** One line of doctor's report. */
export interface Finding {
  check: string;
  /** What was checked: a database, a bucket, a job; absent for global checks. */
  subject?: string;
  status: FindingStatus;
  detail: string;
  /** For a problem: what to do about it. */
  fix?: string;
}

/** Where doctor reads the Cloud Scheduler jobs: a region, or projects/P/locations/REGION. */
export const SCHEDULER_LOCATION_VARIABLE = "FIRESTORE_EXPORTER_SCHEDULER_LOCATION";

/** The permission the exporter's identity needs (F8). */
export const EXPORT_PERMISSION = "datastore.databases.export";

// Roles that let the Firestore service agent create the export's objects (F9).
const WRITE_ROLES = new Set([
  "roles/storage.admin",
  "roles/storage.objectAdmin",
  "roles/storage.objectCreator",
  "roles/storage.objectUser",
  "roles/storage.legacyBucketOwner",
  "roles/storage.legacyBucketWriter",
]);

/** The configuration as the functions would read it; a ConfigError is a finding, not a crash. */
export function checkConfiguration(env: Record<string, string | undefined>): {
  config?: Config;
  findings: Finding[];
} {
  try {
    const config = parseConfig(env);
    const findings: Finding[] = [
      {
        check: "configuration",
        status: "ok",
        detail: `valid: ${config.targets.length} target${config.targets.length === 1 ? "" : "s"}, schedule "${config.schedule}" in ${config.scheduleTimeZone}, ledger ${config.ledger.database.name}/${config.ledger.collection}`,
      },
    ];
    for (const warning of config.warnings)
      findings.push({ check: "configuration", status: "warning", detail: warning });
    return { config, findings };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      findings: error.problems.map((problem) => ({
        check: "configuration",
        status: "problem",
        detail: problem,
        fix: "set the variable to the accepted form (README, Configuration); the functions refuse to start with this value",
      })),
    };
  }
}

/** The ports doctor talks through. */
export interface DoctorDeps {
  config: Config;
  env: Record<string, string | undefined>;
  admin: Pick<OperatorAdminApi, "getDatabase">;
  cloud: DoctorCloud;
  ledger: Pick<Ledger, "getTarget">;
  now: Date;
}

/** Every check of every given target, then the scheduler; in a stable order. */
export async function runChecks(deps: DoctorDeps, targets: Target[]): Promise<Finding[]> {
  const perTarget = await Promise.all(targets.map((t) => checkTarget(deps, t)));
  return [...perTarget.flat(), ...(await checkScheduler(deps))];
}

async function checkTarget(deps: DoctorDeps, target: Target): Promise<Finding[]> {
  const database = target.database.name;
  const bucketUri = `gs://${target.bucket}`;
  const findings: Finding[] = [];

  let info: DatabaseInfo | undefined;
  try {
    info = await deps.admin.getDatabase(database);
    findings.push({
      check: "database",
      subject: database,
      status: "ok",
      detail: `reachable: location ${info.locationId || "(not reported)"}, ${info.type || "type not reported"}`,
    });
  } catch (error) {
    findings.push({ check: "database", subject: database, status: "problem", ...databaseProblem(error) });
  }

  let bucket: BucketInfo | undefined;
  try {
    bucket = await deps.cloud.getBucket(target.bucket);
    findings.push(
      bucket
        ? { check: "bucket", subject: bucketUri, status: "ok", detail: `exists: location ${bucket.location}` }
        : {
            check: "bucket",
            subject: bucketUri,
            status: "problem",
            detail: `${bucketUri} does not exist: every export of ${database} fails`,
            fix: `create it (gcloud storage buckets create ${bucketUri}${info?.locationId ? ` --location=${bucketLocationVerdict(info.locationId, "").allowed[0] ?? "LOCATION"}` : ""} --uniform-bucket-level-access), or fix the bucket of ${database} in EXPORT_TARGETS`,
          },
    );
  } catch (error) {
    findings.push({
      check: "bucket",
      subject: bucketUri,
      status: "problem",
      detail: `cannot read the bucket: ${messageOf(error)}`,
      fix: "the caller needs storage.buckets.get on the bucket (roles/storage.legacyBucketReader or roles/storage.admin)",
    });
  }

  findings.push(locationFinding(database, bucketUri, info, bucket));
  findings.push(await exportPermissionFinding(deps, target));
  findings.push(await serviceAgentFinding(deps, target, bucket));
  findings.push(await freshnessFinding(deps, target));
  return findings;
}

function databaseProblem(error: unknown): { detail: string; fix: string } {
  if (error instanceof ApiError && error.status === "NOT_FOUND") {
    return {
      detail: `does not exist: ${error.message}`,
      fix: "create the database, or fix the database name in EXPORT_TARGETS",
    };
  }
  if (error instanceof ApiError && error.status === "PERMISSION_DENIED") {
    return {
      detail: `not readable by the caller: ${error.message}`,
      fix: "grant the caller datastore.databases.getMetadata (roles/datastore.viewer) to let doctor read it",
    };
  }
  return {
    detail: `unreachable: ${messageOf(error)}`,
    fix: "check FIRESTORE_ADMIN_ENDPOINT, the network and the credentials (gcloud auth application-default login)",
  };
}

function locationFinding(
  database: string,
  bucketUri: string,
  info: DatabaseInfo | undefined,
  bucket: BucketInfo | undefined,
): Finding {
  const base = { check: "bucket location", subject: bucketUri };
  if (!info?.locationId || !bucket) {
    return {
      ...base,
      status: "not checked",
      detail: `needs both the database's and the bucket's location (see the ${!bucket ? "bucket" : "database"} finding)`,
    };
  }
  const verdict = bucketLocationVerdict(info.locationId, bucket.location);
  if (verdict.unknown) {
    return {
      ...base,
      status: "not checked",
      detail: `database location ${info.locationId} is not one doctor knows; check by hand that ${bucket.location} is allowed`,
    };
  }
  if (verdict.compatible) {
    return {
      ...base,
      status: "ok",
      detail: `${bucket.location} suits database location ${info.locationId} (allowed: ${verdict.allowed.join(", ")})`,
    };
  }
  return {
    ...base,
    status: "problem",
    detail: `${bucket.location} does not suit ${database} in ${info.locationId}: the export is refused; allowed bucket locations: ${verdict.allowed.join(", ")}`,
    fix: `use a bucket in ${verdict.allowed.join(" or ")} for this database (a bucket's location cannot be changed: create a new one and update EXPORT_TARGETS)`,
  };
}

async function exportPermissionFinding(deps: DoctorDeps, target: Target): Promise<Finding> {
  const project = target.database.project;
  const base = { check: "caller can export", subject: `project ${project}` };
  if (deps.cloud.local) {
    return {
      ...base,
      status: "not checked",
      detail: "not checked locally: the local stack has no Resource Manager (and no IAM)",
    };
  }
  const identity = await deps.cloud.callerIdentity();
  try {
    const granted = await deps.cloud.testPermissions(project, [EXPORT_PERMISSION]);
    if (granted.includes(EXPORT_PERMISSION)) {
      return { ...base, status: "ok", detail: `${identity} holds ${EXPORT_PERMISSION}` };
    }
    return {
      ...base,
      status: "problem",
      detail: `${identity} lacks ${EXPORT_PERMISSION} on ${project}: exportDocuments answers PERMISSION_DENIED`,
      fix: `grant it a role with ${EXPORT_PERMISSION} (the exporter's custom role from infra/, or roles/datastore.importExportAdmin) on ${project}; doctor checks the identity it runs as, the functions run as the exporter service account`,
    };
  } catch (error) {
    return {
      ...base,
      status: "problem",
      detail: `could not test the permissions of ${identity}: ${messageOf(error)}`,
      fix: "enable the Cloud Resource Manager API, or check the credentials (gcloud auth application-default login)",
    };
  }
}

async function serviceAgentFinding(
  deps: DoctorDeps,
  target: Target,
  bucket: BucketInfo | undefined,
): Promise<Finding> {
  const project = target.database.project;
  const bucketUri = `gs://${target.bucket}`;
  const base = { check: "service agent can write", subject: bucketUri };
  if (deps.cloud.local) {
    return {
      ...base,
      status: "not checked",
      detail: "not checked locally: the local gateway writes the files itself (no IAM)",
    };
  }
  if (!bucket) return { ...base, status: "not checked", detail: "the bucket could not be read (see above)" };
  let number: string;
  try {
    number = await deps.cloud.projectNumber(project);
  } catch (error) {
    return {
      ...base,
      status: "problem",
      detail: `could not read the project number of ${project} to name its Firestore service agent: ${messageOf(error)}`,
      fix: "grant the caller resourcemanager.projects.get (roles/browser) on the project",
    };
  }
  const agent = `service-${number}@gcp-sa-firestore.iam.gserviceaccount.com`;
  if (bucket.projectNumber === number) {
    return {
      ...base,
      status: "ok",
      detail: `the bucket is in ${project}, where the Firestore service agent ${agent} may write by default`,
    };
  }
  const members = [`serviceAccount:${agent}`, `serviceAccount:${project}@appspot.gserviceaccount.com`];
  try {
    const bindings = await deps.cloud.bucketIamPolicy(target.bucket);
    const roles = bindings.filter((b) => b.members.some((m) => members.includes(m))).map((b) => b.role);
    const writes = roles.filter((r) => WRITE_ROLES.has(r) || /^(projects|organizations)\//.test(r));
    if (writes.length > 0) {
      return { ...base, status: "ok", detail: `${agent} is granted ${writes.join(", ")} on the bucket` };
    }
    return {
      ...base,
      status: "problem",
      detail: `the bucket is in another project and its IAM policy does not let ${agent} write${roles.length ? ` (it holds only ${roles.join(", ")})` : ""}: exports start, then fail with PERMISSION_DENIED`,
      fix: `gcloud storage buckets add-iam-policy-binding ${bucketUri} --member=serviceAccount:${agent} --role=roles/storage.admin (Terraform does this for targets it knows)`,
    };
  } catch (error) {
    return {
      ...base,
      status: "problem",
      detail: `could not read the bucket's IAM policy: ${messageOf(error)}`,
      fix: "grant the caller storage.buckets.getIamPolicy on the bucket (roles/storage.admin), or check the grant by hand",
    };
  }
}

async function freshnessFinding(deps: DoctorDeps, target: Target): Promise<Finding> {
  const database = target.database.name;
  const window = formatWindow(target.windows.freshnessMs);
  const base = { check: "last verified export", subject: database };
  let status: Awaited<ReturnType<DoctorDeps["ledger"]["getTarget"]>>;
  try {
    status = await deps.ledger.getTarget(database);
  } catch (error) {
    return {
      ...base,
      status: "problem",
      detail: `cannot read the ledger: ${messageOf(error)}`,
      fix: "check LEDGER_DATABASE and that the caller may read it (roles/datastore.viewer)",
    };
  }
  if (!status) {
    return {
      ...base,
      status: "problem",
      detail: "the checker has never looked at this database: nothing watches its backups",
      fix: "make sure checkExports is deployed and its Cloud Scheduler job is ENABLED (./deploy.sh)",
    };
  }
  const now = deps.now.getTime();
  if (status.lastVerifiedAt) {
    const age = now - Date.parse(status.lastVerifiedAt);
    const what = `the newest verified export finished ${formatDuration(Math.max(0, age))} ago (${status.lastVerifiedRunKey ?? "run unknown"})`;
    if (age <= target.windows.freshnessMs)
      return { ...base, status: "ok", detail: `${what}, within the ${window} window` };
    return {
      ...base,
      status: "problem",
      detail: `stale: ${what}, older than the freshness window of ${window}`,
      fix: `look at the latest runs (firestore-exporter history) and the Scheduler job; export now with firestore-exporter trigger --database '${database}'`,
    };
  }
  const watched = now - Date.parse(status.watchingSince);
  if (watched <= target.windows.freshnessMs) {
    return {
      ...base,
      status: "warning",
      detail: `no verified export yet; the checker has watched it for ${formatDuration(Math.max(0, watched))} of the ${window} window`,
    };
  }
  return {
    ...base,
    status: "problem",
    detail: `stale: no verified export at all in ${formatDuration(watched)} of watching (freshness window ${window})`,
    fix: `export now with firestore-exporter trigger --database '${database}', then look at why the schedule did not`,
  };
}

/** `projects/P/locations/L` from the variable (a bare region means the ledger's project). */
export function schedulerParent(raw: string | undefined, config: Config): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  if (/^projects\/[^/]+\/locations\/[^/]+$/.test(value)) return value;
  return `projects/${config.ledger.database.project}/locations/${value}`;
}

function isExportJob(job: SchedulerJob): boolean {
  return /\/topics\/[^/]*trigger[^/]*$/.test(job.topicName ?? "") || /-export$/.test(job.name);
}

function isCheckJob(job: SchedulerJob): boolean {
  return /\/topics\/[^/]*check[^/]*$/.test(job.topicName ?? "") || /-check$/.test(job.name);
}

/** What is wrong with one job; the export job must also match the schedule the functions assume. */
export function jobProblems(job: SchedulerJob, config: Config, kind: "export" | "check"): string[] {
  const problems: string[] = [];
  if (job.state !== "ENABLED") problems.push(`state ${job.state}, not ENABLED`);
  if (job.timeZone !== config.scheduleTimeZone)
    problems.push(
      `time zone "${job.timeZone}", expected "${config.scheduleTimeZone}" (EXPORT_SCHEDULE_TIME_ZONE)`,
    );
  if (kind === "export" && job.schedule.trim().replace(/\s+/g, " ") !== config.schedule.replace(/\s+/g, " "))
    problems.push(`cron "${job.schedule}", expected "${config.schedule}" (EXPORT_SCHEDULE)`);
  if (job.status && job.status.code !== 0)
    problems.push(
      `last attempt${job.lastAttemptTime ? ` at ${job.lastAttemptTime}` : ""} failed: ${job.status.message || `code ${job.status.code}`}`,
    );
  return problems;
}

async function checkScheduler(deps: DoctorDeps): Promise<Finding[]> {
  const check = "scheduler";
  const parent = schedulerParent(deps.env[SCHEDULER_LOCATION_VARIABLE], deps.config);
  if (!parent) {
    return [
      {
        check,
        status: "not checked",
        detail: `scheduler not checked: set ${SCHEDULER_LOCATION_VARIABLE} to the jobs' region (e.g. europe-west1, or projects/P/locations/europe-west1)`,
      },
    ];
  }
  if (deps.cloud.local) {
    return [
      {
        check,
        subject: parent,
        status: "not checked",
        detail: "not checked locally: the local stack publishes its own triggers and ticks",
      },
    ];
  }
  let jobs: SchedulerJob[];
  try {
    jobs = await deps.cloud.listSchedulerJobs(parent);
  } catch (error) {
    return [
      {
        check,
        subject: parent,
        status: "problem",
        detail: `cannot list the Cloud Scheduler jobs: ${messageOf(error)}`,
        fix: "grant the caller cloudscheduler.jobs.list (roles/cloudscheduler.viewer), and check the region",
      },
    ];
  }
  const findings: Finding[] = [];
  for (const kind of ["export", "check"] as const) {
    const matching = jobs.filter(kind === "export" ? isExportJob : isCheckJob);
    if (matching.length === 0) {
      findings.push({
        check,
        subject: parent,
        status: "problem",
        detail:
          kind === "export"
            ? "no job publishes to the export trigger topic: scheduled exports never start"
            : "no job ticks the checker: exports are never verified and nothing alerts",
        fix: "run ./deploy.sh (it creates both jobs), or check the region",
      });
      continue;
    }
    for (const job of matching) {
      const problems = jobProblems(job, deps.config, kind);
      const last = job.lastAttemptTime ? `last attempt ${job.lastAttemptTime} ok` : "no attempt yet";
      findings.push(
        problems.length === 0
          ? {
              check,
              subject: job.name,
              status: "ok",
              detail: `${kind} job ENABLED, "${job.schedule}" in ${job.timeZone}, ${last}`,
            }
          : {
              check,
              subject: job.name,
              status: "problem",
              detail: `${kind} job: ${problems.join("; ")}`,
              fix: "run ./deploy.sh to put the job back as configured (gcloud scheduler jobs resume for a paused one)",
            },
      );
    }
  }
  return findings;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
