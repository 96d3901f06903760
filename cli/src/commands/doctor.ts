import type { Command } from "../command.js";
import { createContext, EXIT, UsageError } from "../context.js";
import {
  checkConfiguration,
  type Finding,
  type FindingStatus,
  runChecks,
  SCHEDULER_LOCATION_VARIABLE,
} from "../doctor-checks.js";
import { createDoctorCloud } from "../doctor-cloud.js";

const HELP = `Usage: firestore-exporter doctor [--database D] [--json]

Checks that exports can work and are working, and says how to fix what is wrong:
  configuration            the same validation the functions run at cold start
  database                 each target database is reachable (databases.get), and its location
  bucket, bucket location  the bucket exists, in a location compatible with the database's:
                           nam5/nam7 → US, eur3 → EU; a region → the same region or the
                           multi-region containing it (us-* → US, EU regions → EU, asia-* → ASIA)
  caller can export        the caller holds datastore.databases.export (Resource Manager)
  service agent can write  the bucket is in the database's project, or its IAM policy grants the
                           Firestore service agent service-N@gcp-sa-firestore a writing role
  scheduler                the Cloud Scheduler jobs in ${SCHEDULER_LOCATION_VARIABLE} (a region or
                           projects/P/locations/L): ENABLED, the configured cron and time zone,
                           last attempt status
  last verified export     the newest verified export is within the freshness window

Against the local stack the IAM checks and the scheduler are reported as "not checked locally".

Options:
  --database D   check one configured database (projects/P/databases/D, or its id)
  --json         print {ok, findings} as one JSON document

Exit codes: 0 no problem (warnings and unchecked items allowed), 1 at least one problem,
2 bad options.

Examples:
  firestore-exporter doctor
  ${SCHEDULER_LOCATION_VARIABLE}=europe-west1 firestore-exporter doctor --database orders`;

const MARK: Record<FindingStatus, string> = {
  ok: "ok         ",
  warning: "warning    ",
  problem: "PROBLEM    ",
  "not checked": "not checked",
};

export const doctor: Command = {
  name: "doctor",
  summary: "check configuration, databases, buckets, IAM, scheduler jobs and backup freshness",
  help: HELP,
  // A broken configuration is what doctor reports, so it builds its context itself.
  needsContext: false,
  async run(args, ctx) {
    const only = parseDoctorArgs(args);
    const { env, out } = ctx;
    const { config, findings } = checkConfiguration(env);
    if (config) {
      let targets = config.targets;
      if (only !== undefined) {
        targets = targets.filter((t) => t.database.name === only || t.database.databaseId === only);
        if (targets.length === 0) {
          throw new UsageError(
            `--database: "${only}" is not a configured database; expected one of ${config.targets.map((t) => t.database.name).join(", ")}`,
          );
        }
      }
      const full = createContext(env, out);
      const cloud = createDoctorCloud({
        storageEndpoint: config.endpoints.storage,
        adminEndpoint: config.endpoints.firestoreAdmin,
        timeoutMs: config.retry.requestTimeoutMs,
      });
      findings.push(
        ...(await runChecks(
          { config, env, admin: full.admin, cloud, ledger: full.ledger, now: full.now() },
          targets,
        )),
      );
    }
    const problems = findings.filter((f) => f.status === "problem").length;
    for (const finding of findings) out.line(formatFinding(finding));
    out.line(
      problems === 0
        ? "\nNo problems found."
        : `\n${problems} problem${problems === 1 ? "" : "s"} found${config ? "" : " (the other checks need a valid configuration)"}.`,
    );
    out.data({ ok: problems === 0, problems, findings });
    return problems === 0 ? EXIT.ok : EXIT.failed;
  },
};

function parseDoctorArgs(args: readonly string[]): string | undefined {
  let database: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--database" || arg.startsWith("--database=")) {
      database = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[++i];
      if (!database) throw new UsageError("--database needs a value");
    } else throw new UsageError(`unexpected argument "${arg}"`);
  }
  return database;
}

export function formatFinding(f: Finding): string {
  const head = `${MARK[f.status]}  ${f.check.padEnd(24)} ${f.subject ? `${f.subject}: ` : ""}${f.detail}`;
  return f.fix ? `${head}\n${" ".repeat(13)}fix: ${f.fix}` : head;
}
