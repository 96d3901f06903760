/**
 * Runs the real deploy.sh with bash against stand-in `gcloud`, `terraform` and `npm` executables
 * (test/infra/stand-ins/) in a throw-away copy of the project: nothing touches the network or this
 * checkout. The copy holds a tiny prebuilt dist/, so the stand-in `npm run build` has nothing to do
 * while the real scripts/bundle-functions.mjs bundles it. The real gcloud/terraform/npm are never
 * reachable: PATH is a directory of links to every other tool on this machine.
 */
import { spawnSync } from "node:child_process";
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = resolve(import.meta.dirname, "../..");
const STAND_INS = join(REPO, "test/infra/stand-ins");
const STAND_IN_NAMES = ["gcloud", "terraform", "npm"] as const;
type StandIn = (typeof STAND_IN_NAMES)[number];

const TFVARS = `project_id  = "demo-project"
region      = "europe-west6"
bucket_name = "demo-project-firestore-exports"
targets = [
  { database_id = "(default)" },
]
alert_email = "oncall@example.com"
`;

const EXPORT_JOB = "firestore-exporter-export";
const CHECK_JOB = "firestore-exporter-check";
const DESCRIBE_EXPORT = `gcloud scheduler jobs describe ${EXPORT_JOB} --location=europe-west6 --project=demo-project --format=json`;
const DESCRIBE_CHECK = `gcloud scheduler jobs describe ${CHECK_JOB} --location=europe-west6 --project=demo-project --format=json`;

let scratch: string;
/** Links to every executable on this machine's PATH except the ones the stand-ins replace. */
let systemBin: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "deploy-test-"));
  systemBin = join(scratch, "system-bin");
  mkdirSync(systemBin);
  const excluded = new Set<string>([...STAND_IN_NAMES, "npx"]);
  const dirs = [dirname(process.execPath), ...(process.env.PATH ?? "").split(delimiter)];
  for (const dir of dirs) {
    if (!dir || !existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const target = join(dir, name);
      if (excluded.has(name) || existsSync(join(systemBin, name))) continue;
      try {
        if (!statSync(target).isFile()) continue;
        accessSync(target, constants.X_OK);
        symlinkSync(target, join(systemBin, name));
      } catch {
        // unreadable or dangling entries are not tools
      }
    }
  }
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

interface Project {
  dir: string;
  log: string;
  tmp: string;
}

let projects = 0;
/** A copy of the parts of the project deploy.sh uses, with a tiny prebuilt dist/. */
/** `tfvars: null` leaves infra/terraform.tfvars out. */
function makeProject({ tfvars = TFVARS as string | null, nodeModules = true, backend = true } = {}): Project {
  const dir = join(scratch, `project-${++projects}`);
  for (const sub of ["scripts", "infra", "functions/src", "dist/functions/src", "tmp"])
    mkdirSync(join(dir, sub), { recursive: true });
  copyFileSync(join(REPO, "deploy.sh"), join(dir, "deploy.sh"));
  for (const script of ["scripts/bundle-functions.mjs", "scripts/check-planned-config.mjs"])
    copyFileSync(join(REPO, script), join(dir, script));
  copyFileSync(join(REPO, "package.json"), join(dir, "package.json"));
  copyFileSync(join(REPO, "package-lock.json"), join(dir, "package-lock.json"));
  writeFileSync(join(dir, "functions/src/index.ts"), "export {};\n");
  writeFileSync(join(dir, "dist/functions/src/index.js"), 'export const built = "index";\n');
  writeFileSync(join(dir, "dist/functions/src/index.js.map"), "{}\n");
  if (tfvars !== null) writeFileSync(join(dir, "infra/terraform.tfvars"), tfvars);
  if (backend)
    writeFileSync(
      join(dir, "infra/backend.tf"),
      'terraform {\n  backend "gcs" {\n    bucket = "demo-state"\n  }\n}\n',
    );
  if (nodeModules) symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"));
  return { dir, log: join(dir, "calls.log"), tmp: join(dir, "tmp") };
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  calls: string[];
}

/**
 * Runs deploy.sh from the project copy with only the given environment. stdin is not a terminal,
 * unless `terminal` is given: then deploy.sh runs on a pseudo-terminal (util-linux `script`) and
 * `terminal` is what the operator types.
 */
function deploy(
  project: Project,
  args: string[],
  env: Record<string, string> = {},
  { standIns = STAND_IN_NAMES, terminal }: { standIns?: readonly StandIn[]; terminal?: string } = {},
): Run {
  const bin = join(project.dir, "stand-in-bin");
  mkdirSync(bin, { recursive: true });
  for (const name of standIns) {
    copyFileSync(join(STAND_INS, name), join(bin, name));
    chmodSync(join(bin, name), 0o755);
  }
  const command = ["bash", join(project.dir, "deploy.sh"), ...args];
  const [file, argv] =
    terminal === undefined
      ? ["bash", command.slice(1)]
      : ["script", ["-qec", command.join(" "), "/dev/null"]];
  const result = spawnSync(file, argv, {
    cwd: project.dir,
    encoding: "utf8",
    input: terminal ?? "",
    timeout: 30_000,
    env: {
      PATH: [bin, systemBin].join(delimiter),
      HOME: project.dir,
      TMPDIR: project.tmp,
      LANG: "C.UTF-8",
      STANDIN_LOG: project.log,
      STANDIN_NODE_MODULES: join(REPO, "node_modules"),
      ...env,
    },
  });
  if (terminal !== undefined && (result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT")
    throw new Error(
      "install script (Debian package bsdutils, part of util-linux) to run deploy.sh on a terminal",
    );
  if (result.error) throw result.error;
  const calls = existsSync(project.log) ? readFileSync(project.log, "utf8").split("\n").filter(Boolean) : [];
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
}

const PREFLIGHT = [
  "terraform version -json",
  "gcloud auth list --filter=status:ACTIVE --format=value(account)",
  "gcloud auth application-default print-access-token",
  "gcloud config get-value project",
];

/** The calls with the temporary plan file's path replaced by PLAN. */
function normalise(run: Run, project: Project): string[] {
  return run.calls.map((c) =>
    c.replace(new RegExp(`${project.tmp}/firestore-exporter-deploy\\.[A-Za-z0-9]+/deploy\\.tfplan`), "PLAN"),
  );
}

const terraformChanges = (run: Run) =>
  run.calls.filter((c) => /^terraform -chdir=infra (init|plan|apply)/.test(c));

/** Writes canned `gcloud logging read --format=json` output for the stand-in. */
function logsFile(project: Project, payloads: Record<string, unknown>[]): string {
  const path = join(project.dir, "logs.json");
  const entries = payloads.map((jsonPayload, i) => ({
    insertId: `entry-${i}`,
    timestamp: new Date(Date.now() + i * 1000).toISOString(),
    severity: jsonPayload.state === "SUCCESSFUL" ? "INFO" : "ERROR",
    jsonPayload,
  }));
  writeFileSync(path, JSON.stringify(entries, null, 2));
  return path;
}

const DB = "projects/demo-project/databases/(default)";
const RUN_KEY = "demo-project~(default)~2026-12-03T02:00:00Z";
const started = { event: "export.started", runKey: RUN_KEY, database: DB, message: "Export started" };
const closed = (state: string) => ({
  event: "run.closed",
  runKey: RUN_KEY,
  database: DB,
  state,
  restorable: state === "SUCCESSFUL",
  message: `Run ${RUN_KEY} ended ${state}`,
});

describe("deploy.sh: usage", () => {
  it("--help documents every flag and environment hook and exits 0 without calling anything", () => {
    const project = makeProject();
    const run = deploy(project, ["--help"]);
    expect(run.status).toBe(0);
    for (const word of [
      "--plan",
      "--run-now",
      "--var-file FILE",
      "--yes",
      "DEPLOY_WAIT_SECONDS",
      "DEPLOY_POLL_SECONDS",
    ])
      expect(run.stdout).toContain(word);
    expect(run.calls).toEqual([]);
  });

  it.each([
    [["--bogus"], "unknown argument: --bogus"],
    [["--var-file"], "--var-file needs a file name"],
    [["--plan", "--run-now"], "--plan and --run-now exclude each other"],
  ])("%j is a usage error: exit 2, nothing called", (args, message) => {
    const project = makeProject();
    const run = deploy(project, args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain("--help");
    expect(run.calls).toEqual([]);
  });

  it("a DEPLOY_WAIT_SECONDS that is not a number is a usage error", () => {
    const run = deploy(makeProject(), ["--yes"], { DEPLOY_WAIT_SECONDS: "30m" });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("DEPLOY_WAIT_SECONDS must be a whole number of seconds, got '30m'");
  });
});

describe("deploy.sh: the documented flow", () => {
  it("preflight → build → bundle → init → plan → apply of that plan → outputs → describe both jobs", () => {
    const project = makeProject();
    const run = deploy(project, ["--yes"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(normalise(run, project)).toEqual([
      ...PREFLIGHT,
      "npm run build",
      "terraform -chdir=infra init -input=false",
      `terraform -chdir=infra plan -input=false -var-file=${project.dir}/infra/terraform.tfvars -out=PLAN`,
      "terraform -chdir=infra show -json PLAN",
      "terraform -chdir=infra apply -input=false PLAN",
      "terraform -chdir=infra output -raw export_scheduler_job_name",
      "terraform -chdir=infra output -raw check_scheduler_job_name",
      "terraform -chdir=infra output -raw time_zone",
      "terraform -chdir=infra output -raw scheduler_region",
      DESCRIBE_EXPORT,
      DESCRIBE_CHECK,
    ]);
    // The real bundler ran between the build and terraform: only JS, plus the minimal package.json.
    expect(run.stdout).toContain("Bundled 2 files");
    const bundled = join(project.dir, "build/function-source");
    expect(readdirSync(bundled).sort()).toEqual(["index.js", "package.json"]);
    expect(run.stdout).toContain(`export job ${EXPORT_JOB}: ENABLED, time zone Europe/Zurich`);
    expect(run.stdout).toContain(`check job ${CHECK_JOB}: ENABLED, time zone Europe/Zurich`);
    expect(run.stdout).toContain("Deployed to project demo-project (scheduler jobs in europe-west6).");
    // The saved plan lived in a private temporary folder that is gone afterwards.
    expect(readdirSync(project.tmp)).toEqual([]);
  });

  it("runs npm ci first only when node_modules/ is missing", () => {
    const project = makeProject({ nodeModules: false });
    const run = deploy(project, ["--yes"]);
    expect(run.status).toBe(0);
    const npm = run.calls.filter((c) => c.startsWith("npm "));
    expect(npm).toEqual(["npm ci", "npm run build"]);
    expect(run.calls.indexOf("npm ci")).toBe(PREFLIGHT.length);
  });

  it("--var-file takes a path relative to where deploy.sh is started and hands terraform an absolute one", () => {
    const project = makeProject({ tfvars: null });
    mkdirSync(join(project.dir, "envs"));
    writeFileSync(join(project.dir, "envs/prod.tfvars"), TFVARS);
    const run = deploy(project, ["--yes", "--var-file", "envs/prod.tfvars"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(normalise(run, project)).toContain(
      `terraform -chdir=infra plan -input=false -var-file=${project.dir}/envs/prod.tfvars -out=PLAN`,
    );
  });

  it("--plan stops after terraform plan: no apply, no job checks, says nothing was applied; needs no --yes", () => {
    const project = makeProject();
    const run = deploy(project, ["--plan"]);
    expect(run.status).toBe(0);
    expect(terraformChanges(run).map((c) => c.split(" ")[2])).toEqual(["init", "plan"]);
    expect(run.calls.some((c) => c.includes(" apply"))).toBe(false);
    expect(run.calls.some((c) => c.startsWith("gcloud scheduler"))).toBe(false);
    expect(run.stdout).toContain("Plan only (--plan): nothing was applied.");
  });

  it("on a terminal without --yes, asks after the plan and applies only when the answer is yes", () => {
    const yes = deploy(makeProject(), [], {}, { terminal: "yes\n" });
    expect(yes.status).toBe(0);
    expect(yes.stdout).toContain("Apply this plan to project demo-project? Type 'yes' to apply:");
    expect(terraformChanges(yes).map((c) => c.split(" ")[2])).toEqual(["init", "plan", "apply"]);
    expect(yes.calls.slice(-2)).toEqual([DESCRIBE_EXPORT, DESCRIBE_CHECK]);

    const no = deploy(makeProject(), [], {}, { terminal: "no\n" });
    expect(no.status).toBe(1);
    expect(no.stdout).toContain("not confirmed; nothing was applied.");
    expect(terraformChanges(no).map((c) => c.split(" ")[2])).toEqual(["init", "plan"]);
  });

  it("stops before apply, in the functions' own words, when they would refuse the planned configuration", () => {
    const project = makeProject();
    // A stand-in composition root that refuses this schedule the way the real one does.
    writeFileSync(
      join(project.dir, "dist/functions/src/index.js"),
      `if (process.env.EXPORT_SCHEDULE === "0 2 31 4 *") {
  console.log(JSON.stringify({ severity: "CRITICAL", event: "config.invalid", message: "Invalid configuration", problems: ['EXPORT_SCHEDULE: got "0 2 31 4 *"; expected a five-field cron expression (the expression names no day that exists)'] }));
  throw new Error("Invalid configuration");
}
export const built = "index";
`,
    );
    const run = deploy(project, ["--yes"], {
      STANDIN_TF_ENV: JSON.stringify({ EXPORT_SCHEDULE: "0 2 31 4 *" }),
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("firestore-exporter-export would not start with the planned configuration:");
    expect(run.stderr).toContain(
      '  - EXPORT_SCHEDULE: got "0 2 31 4 *"; expected a five-field cron expression',
    );
    expect(run.stderr).toContain("the functions would refuse the planned configuration");
    expect(run.calls.some((c) => c.includes(" apply"))).toBe(false);

    const fine = deploy(makeProject(), ["--plan"], {
      STANDIN_TF_ENV: JSON.stringify({ EXPORT_SCHEDULE: "0 2 * * *" }),
    });
    expect(fine.status).toBe(0);
    expect(fine.stdout).toContain(
      "The functions accept the planned configuration (firestore-exporter-export, firestore-exporter-check).",
    );
  });

  it("a failed apply stops the deploy before the job checks", () => {
    const project = makeProject();
    const run = deploy(project, ["--yes"], { STANDIN_TF_FAIL: "apply" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("terraform apply failed");
    expect(run.calls.some((c) => c.startsWith("gcloud scheduler"))).toBe(false);
  });
});

describe("deploy.sh: preflight", () => {
  it("without gcloud credentials: says how to log in, for gcloud and for Terraform, and calls no terraform command", () => {
    const project = makeProject();
    const run = deploy(project, ["--yes"], { STANDIN_GCLOUD_AUTH: "none" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("gcloud has no active account: run 'gcloud auth login'.");
    expect(run.stderr).toContain(
      "Application Default Credentials (what Terraform authenticates with) are not usable: run 'gcloud auth application-default login'.",
    );
    expect(run.stderr).toContain("nothing was built or deployed");
    expect(terraformChanges(run)).toEqual([]);
    expect(run.calls.filter((c) => c.startsWith("terraform "))).toEqual(["terraform version -json"]);
    expect(run.calls.some((c) => c.startsWith("npm "))).toBe(false);
  });

  it("with a gcloud login but no Application Default Credentials: names only the ADC problem", () => {
    const run = deploy(makeProject(), ["--yes"], { STANDIN_GCLOUD_AUTH: "no-adc" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("gcloud auth application-default login");
    expect(run.stderr).not.toContain("'gcloud auth login'");
    expect(run.stderr).toContain("preflight found 1 problem(s)");
  });

  it("a missing tfvars file is named, with what to put in it", () => {
    const run = deploy(makeProject({ tfvars: null }), ["--yes"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "tfvars file infra/terraform.tfvars not found: create it with project_id, region, bucket_name, targets and alert_email (see infra/terraform.tfvars.example)",
    );
    expect(terraformChanges(run)).toEqual([]);
  });

  it("a missing --var-file is named as given", () => {
    const run = deploy(makeProject(), ["--yes", "--var-file=envs/none.tfvars"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("tfvars file envs/none.tfvars not found");
  });

  it("a tfvars file without a required variable: the message names that variable only", () => {
    const tfvars = TFVARS.split("\n")
      .filter((l) => !l.startsWith("bucket_name"))
      .join("\n");
    const run = deploy(makeProject({ tfvars }), ["--yes"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("infra/terraform.tfvars does not set the required variable bucket_name");
    for (const other of ["project_id", "region", "targets"])
      expect(run.stderr).not.toContain(`required variable ${other}`);
    expect(terraformChanges(run)).toEqual([]);
  });

  it("reports every problem at once: missing tools, an old Terraform, no login, a missing variable, no TTY", () => {
    const tfvars = TFVARS.replace(/^targets = \[[\s\S]*?\]\n/m, "");
    const project = makeProject({ tfvars });
    const run = deploy(project, [], { STANDIN_TF_VERSION: "1.4.6" }, { standIns: ["terraform"] });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("preflight found 5 problem(s)");
    expect(run.stderr).toContain("gcloud is not on PATH: install the Google Cloud SDK");
    expect(run.stderr).toContain("npm is not on PATH");
    expect(run.stderr).toContain("Terraform 1.4.6 is too old: install Terraform 1.5 or newer.");
    expect(run.stderr).toContain("does not set the required variable targets");
    expect(run.stderr).toContain("stdin is not a terminal");
    expect(run.calls).toEqual(["terraform version -json"]);
  });

  it("a gcloud default project other than project_id is a warning, and gcloud is told the tfvars project", () => {
    const run = deploy(makeProject(), ["--yes"], { STANDIN_GCLOUD_PROJECT: "someone-elses-project" });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(
      "warning: gcloud's default project is someone-elses-project but infra/terraform.tfvars deploys to demo-project",
    );
    expect(run.calls).toContain(DESCRIBE_EXPORT);
  });

  it("refuses to apply when stdin is not a terminal and --yes is not given, before building anything", () => {
    const run = deploy(makeProject(), []);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "stdin is not a terminal, so deploy.sh cannot ask before applying: pass --yes to apply without asking, or --plan to only see the plan.",
    );
    expect(run.calls.some((c) => c.includes(" apply"))).toBe(false);
    expect(run.calls.some((c) => c.startsWith("npm "))).toBe(false);
  });
});

describe("deploy.sh: post-deploy check of the scheduler jobs", () => {
  it("a paused export job fails the deploy with a message naming the job, after describing both", () => {
    const run = deploy(makeProject(), ["--yes"], { STANDIN_GCLOUD_PAUSED_JOB: EXPORT_JOB });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`the export job ${EXPORT_JOB} is PAUSED, not ENABLED, so it never fires`);
    expect(run.stderr).toContain(`gcloud scheduler jobs resume ${EXPORT_JOB} --location=europe-west6`);
    expect(run.stderr).not.toContain(CHECK_JOB);
    expect(run.calls.slice(-2)).toEqual([DESCRIBE_EXPORT, DESCRIBE_CHECK]);
  });

  it("a check job in the wrong time zone fails the deploy with a message naming the job and both zones", () => {
    const run = deploy(makeProject(), ["--yes"], { STANDIN_GCLOUD_OTHER_TZ_JOB: CHECK_JOB });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `the check job ${CHECK_JOB} runs in time zone America/New_York, expected Europe/Zurich (Terraform output time_zone)`,
    );
    expect(run.stderr).not.toContain(EXPORT_JOB);
  });

  it("a job Scheduler does not know fails the deploy with a message naming it", () => {
    const run = deploy(makeProject(), ["--yes"], { STANDIN_GCLOUD_MISSING_JOB: EXPORT_JOB });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("NOT_FOUND");
    expect(run.stderr).toContain(`the export job ${EXPORT_JOB} cannot be read in europe-west6`);
  });
});

describe("deploy.sh --run-now", () => {
  const fast = { DEPLOY_POLL_SECONDS: "1", DEPLOY_WAIT_SECONDS: "20" };

  it("runs the export job, reads the logs until the checker closes the run, and reports SUCCESSFUL", () => {
    const project = makeProject();
    const logs = logsFile(project, [started, closed("SUCCESSFUL")]);
    const run = deploy(project, ["--yes", "--run-now"], {
      ...fast,
      STANDIN_GCLOUD_LOGS: logs,
      STANDIN_GCLOUD_EMPTY_READS: "1",
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const afterChecks = run.calls.slice(run.calls.indexOf(DESCRIBE_CHECK) + 1);
    expect(afterChecks[0]).toBe(
      `gcloud scheduler jobs run ${EXPORT_JOB} --location=europe-west6 --project=demo-project`,
    );
    const reads = afterChecks.slice(1);
    expect(reads).toHaveLength(2);
    for (const read of reads) {
      expect(read).toMatch(/^gcloud logging read timestamp>="\d{4}-\d\d-\d\dT[\d:.]+Z" AND \(/);
      expect(read).toContain('jsonPayload.event="run.closed"');
      expect(read).toContain("--project=demo-project --format=json");
    }
    expect(run.stdout).toContain("no run started yet");
    expect(run.stdout).toContain("Verdict: SUCCESSFUL");
    expect(run.stdout).toContain(`SUCCESSFUL (restorable)  ${DB}  run ${RUN_KEY}`);
  });

  it("reports a FAILED run and exits 1", () => {
    const project = makeProject();
    const run = deploy(project, ["--yes", "--run-now"], {
      ...fast,
      STANDIN_GCLOUD_LOGS: logsFile(project, [started, closed("FAILED")]),
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("Verdict: NOT SUCCESSFUL");
    expect(run.stderr).toContain(`FAILED  ${DB}  run ${RUN_KEY}`);
    expect(run.stderr).toContain(`the run started by ${EXPORT_JOB} did not succeed`);
  });

  it("ignores run.closed lines of other runs and gives up after DEPLOY_WAIT_SECONDS with exit 1", () => {
    const project = makeProject();
    const other = { ...closed("SUCCESSFUL"), runKey: "demo-project~(default)~2026-12-02T02:00:00Z" };
    const run = deploy(project, ["--yes", "--run-now"], {
      DEPLOY_POLL_SECONDS: "1",
      DEPLOY_WAIT_SECONDS: "0",
      STANDIN_GCLOUD_LOGS: logsFile(project, [other, started]),
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("1 of 1 run(s) still open");
    expect(run.stderr).toContain("no verdict within 0s (last seen: 1 of 1 run(s) still open)");
    expect(run.calls.filter((c) => c.startsWith("gcloud logging read"))).toHaveLength(1);
  });

  it("a rejected trigger is reported at once instead of waiting", () => {
    const project = makeProject();
    const rejected = { event: "trigger.rejected", message: "Trigger message 17 rejected, nothing exported" };
    const run = deploy(project, ["--yes", "--run-now"], {
      ...fast,
      STANDIN_GCLOUD_LOGS: logsFile(project, [rejected]),
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("trigger.rejected: Trigger message 17 rejected, nothing exported");
  });

  it("a slot that had already run successfully is reported as such, with nothing new exported", () => {
    const project = makeProject();
    const duplicate = { event: "export.duplicate", runKey: RUN_KEY, database: DB, state: "SUCCESSFUL" };
    const run = deploy(project, ["--yes", "--run-now"], {
      ...fast,
      STANDIN_GCLOUD_LOGS: logsFile(project, [duplicate]),
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("this slot had already run; nothing new was exported");
  });

  it("does not run the job when a scheduler job is not right", () => {
    const run = deploy(makeProject(), ["--yes", "--run-now"], { STANDIN_GCLOUD_PAUSED_JOB: CHECK_JOB });
    expect(run.status).toBe(1);
    expect(run.calls.some((c) => c.startsWith("gcloud scheduler jobs run"))).toBe(false);
  });
});

describe("shellcheck", () => {
  it("deploy.sh and the stand-ins are shellcheck-clean", () => {
    const found = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
    if (found.error) throw new Error("install shellcheck (Debian package shellcheck)");
    const files = ["deploy.sh", ...readdirSync(STAND_INS).map((name) => `test/infra/stand-ins/${name}`)];
    const run = spawnSync("shellcheck", files, { cwd: REPO, encoding: "utf8" });
    expect(run.stdout + run.stderr).toBe("");
    expect(run.status).toBe(0);
  });
});

describe("state and variable files", () => {
  it("warns when no backend keeps the state off this machine, and still deploys", () => {
    const run = deploy(makeProject({ backend: false }), ["--yes"]);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain("no Terraform backend is configured");
  });

  it("refuses --var-file while infra/terraform.tfvars exists (Terraform would merge both)", () => {
    const project = makeProject();
    writeFileSync(join(project.dir, "staging.tfvars"), TFVARS);
    const run = deploy(project, ["--yes", "--var-file=staging.tfvars"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("--var-file staging.tfvars given while infra/terraform.tfvars exists");
    expect(terraformChanges(run)).toEqual([]);
  });

  it("takes a required variable from TF_VAR_name", () => {
    const tfvars = TFVARS.split("\n")
      .filter((l) => !l.startsWith("alert_email"))
      .join("\n");
    const run = deploy(makeProject({ tfvars }), ["--yes"], { TF_VAR_alert_email: "oncall@example.com" });
    expect(run.status).toBe(0);
  });
});
