#!/usr/bin/env node
/**
 * Starts the bundle deploy.sh uploads (build/function-source/index.js) once per function, with the
 * environment a Terraform plan gives that function, before anything is applied. The functions parse
 * their whole configuration when they start, so whatever they would refuse (a schedule Cloud
 * Scheduler takes but the exporter does not, a bad bucket, an unknown setting) is reported here,
 * with the functions' own words, instead of after the deployment as a function that never starts.
 *
 * Usage: terraform show -json PLAN > plan.json && node scripts/check-planned-config.mjs plan.json
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(root, "build", "function-source", "index.js");
const PROG = "check-planned-config";

function fail(message) {
  process.stderr.write(`${PROG}: ${message}\n`);
  process.exit(1);
}

const planPath = process.argv[2];
if (!planPath) {
  process.stderr.write(
    `${PROG}: usage: node scripts/check-planned-config.mjs PLAN.json (terraform show -json PLAN)\n`,
  );
  process.exit(2);
}
if (!existsSync(bundle))
  fail("build/function-source/index.js is missing: run node scripts/bundle-functions.mjs first.");

let plan;
try {
  plan = JSON.parse(readFileSync(planPath, "utf8"));
} catch (error) {
  fail(`cannot read the plan ${planPath}: ${error.message}`);
}

/** Every resource of a module in `planned_values`, child modules included. */
function resources(module) {
  if (!module) return [];
  return [...(module.resources ?? []), ...(module.child_modules ?? []).flatMap(resources)];
}

if (typeof plan !== "object" || plan === null || Array.isArray(plan))
  fail(`${planPath} is not a plan: expected the JSON object terraform show -json prints.`);
const functions = resources(plan.planned_values?.root_module).filter(
  (r) => r.type === "google_cloudfunctions2_function",
);
if (functions.length === 0)
  fail("the plan holds no google_cloudfunctions2_function: is this the right plan?");

/** The JSON log lines a start wrote on stdout. */
function logLines(text) {
  return text.split("\n").flatMap((line) => {
    try {
      const entry = JSON.parse(line);
      return entry && typeof entry === "object" ? [entry] : [];
    } catch {
      return [];
    }
  });
}

let refused = 0;
for (const fn of functions) {
  const name = fn.values?.name ?? fn.address;
  const environment = fn.values?.service_config?.[0]?.environment_variables ?? {};
  const run = spawnSync(
    process.execPath,
    ["--input-type=module", "-e", `await import(${JSON.stringify(pathToFileURL(bundle).href)});`],
    {
      cwd: dirname(bundle),
      encoding: "utf8",
      timeout: 30_000,
      // Only what the plan sets, as in the deployed function; never the metadata server.
      env: { PATH: process.env.PATH ?? "", METADATA_SERVER_DETECTION: "none", ...environment },
    },
  );
  const lines = logLines(run.stdout ?? "");
  for (const w of lines.filter((l) => l.event === "config.warning"))
    process.stdout.write(`${PROG}: warning for ${name}: ${w.message}\n`);
  if (run.status === 0) continue;
  refused++;
  const invalid = lines.find((l) => l.event === "config.invalid");
  if (invalid) {
    process.stderr.write(`${PROG}: ${name} would not start with the planned configuration:\n`);
    for (const problem of invalid.problems ?? [invalid.message]) process.stderr.write(`  - ${problem}\n`);
  } else {
    const why = (run.error?.message ?? run.stderr ?? "").trim().split("\n").slice(-5).join("\n    ");
    process.stderr.write(`${PROG}: ${name} would not start (exit ${run.status}):\n    ${why}\n`);
  }
}
if (refused > 0) process.exit(1);
process.stdout.write(
  `The functions accept the planned configuration (${functions.map((f) => f.values?.name ?? f.address).join(", ")}).\n`,
);
