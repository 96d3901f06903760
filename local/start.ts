/**
 * `npm start`: the whole system on this machine, one full cycle. Boots the emulators, the gateway
 * and the functions, loads the data set, fires the scheduled trigger through Pub/Sub exactly as
 * Cloud Scheduler would, follows the export to its verified end, prints a summary and, as the last
 * line of stdout, one JSON object. Exit code 0 only for a verified, successful export.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { cron as compileCron, nextFire } from "../functions/src/cron.js";
import { loadDataSet } from "./data/index.js";
import { parseFaultSpec } from "./faults.js";
import { followRun, type RunSummary } from "./follow.js";
import { LOCAL_DATABASE, LOCAL_PROJECT, type Stack, startStack, TRIGGER_TOPIC } from "./stack.js";

const USAGE = `Usage: npm start -- [--faults SPEC] [--full] [--keep] [--timeout SECONDS]
  --faults SPEC   gateway faults, e.g. export:503*2,op:FAILED (see README, "Fault injection")
  --full          load the full data set (over 100,000 documents) instead of the default (over 10,000)
  --keep          keep the stack running afterwards with the schedule active (Ctrl-C stops it)
  --timeout S     give up waiting for the export after S seconds (default 300)`;

interface Phase {
  name: string;
  ms: number;
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const phases: Phase[] = [];
  let mark = Date.now();
  const phase = (name: string) => {
    const now = Date.now();
    phases.push({ name, ms: now - mark });
    say(`✔ ${name} (${((now - mark) / 1000).toFixed(1)} s)`);
    mark = now;
  };

  let stack: Stack | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await stack?.stop();
    process.exit(code);
  };
  process.once("SIGINT", () => void shutdown(130));
  process.once("SIGTERM", () => void shutdown(143));

  try {
    say("Starting the local stack (Firestore and Pub/Sub emulators, gateway, functions)…");
    stack = await startStack({
      ...(args.faults && { faults: args.faults }),
      log: (line) => say(`  ${line}`),
    });
    phase("stack up");
    // With --keep the CLI is usable while the first run is followed, not only after its verdict.
    if (args.keep) writeStackEnv(stack);

    const data = await loadDataSet(stack.db(), { size: args.full ? "full" : "default" });
    phase(`data loaded: ${data.documents} documents`);

    const messageId = await stack.publishTrigger();
    say(`  scheduled trigger published (message ${messageId})`);
    const summary = await followRun(stack, {
      timeoutMs: args.timeoutSeconds * 1000,
      onPhase: phase,
      onProgress: (line) => say(`  ${line}`),
    });
    printSummary(summary, phases, stack);
    if (args.keep) {
      keepRunning(stack);
      return -1;
    }
    await stack.stop();
    return summary.state === "SUCCESSFUL" ? 0 : 1;
  } catch (error) {
    say(`✘ ${error instanceof Error ? error.message : String(error)}`);
    await stack?.stop();
    process.stdout.write(
      `${JSON.stringify({ state: "ERROR", database: LOCAL_DATABASE, error: String(error instanceof Error ? error.message : error), alerts: [] })}\n`,
    );
    return 1;
  }
}

function parse() {
  const { values } = parseArgs({
    options: {
      faults: { type: "string" },
      full: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      timeout: { type: "string", default: "300" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.faults) parseFaultSpec(values.faults);
  const timeoutSeconds = Number(values.timeout);
  if (!/^\d+$/.test(values.timeout ?? "") || timeoutSeconds < 1)
    throw new Error(`--timeout: got "${values.timeout}"; expected a whole number of seconds, at least 1`);
  return {
    faults: values.faults,
    full: values.full ?? false,
    keep: values.keep ?? false,
    timeoutSeconds,
    help: values.help ?? false,
  };
}

function printSummary(summary: RunSummary, phases: Phase[], stack: Stack) {
  const lines = [
    "",
    `Export ${summary.state === "SUCCESSFUL" ? "verified" : summary.state}: ${summary.database}${summary.state === "SUCCESSFUL" || summary.restorable ? "" : " (not usable for restore)"}`,
    `  operation  ${summary.operation ?? "(none)"}`,
    `  prefix     ${summary.outputUriPrefix ?? "(none)"}`,
    `  files      ${summary.localPath ?? "(none)"}`,
    `  documents  ${summary.documents ?? 0}, bytes ${summary.bytes ?? 0}`,
    ...(summary.snapshotTime ? [`  as of      ${summary.snapshotTime} (consistent snapshot)`] : []),
  ];
  for (const entry of [...stack.exporter.logs, ...stack.checker.logs]) {
    if (entry.event === "config.warning") lines.push(`  warning    ${String(entry.message)}`);
  }
  if (summary.error) lines.push(`  error      ${summary.error}`);
  lines.push(`  alerts     ${summary.alerts.length ? summary.alerts.join(", ") : "none"}`);
  for (const alert of stack.webhook.received) {
    lines.push(`  webhook    ${String(alert.kind)}: ${String(alert.summary)}`);
    lines.push(`             next step: ${String(alert.nextStep)}`);
  }
  lines.push(
    `  phases     ${phases.map((p) => `${p.name.split(":")[0]} ${(p.ms / 1000).toFixed(1)} s`).join(", ")}`,
  );
  lines.push(`  logs       ${path.join(stack.stateDir, "logs")}`);
  process.stdout.write(`${lines.join("\n")}\n`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

/** --keep: the schedule fires as Cloud Scheduler would, until Ctrl-C. */
/** The operator CLI reads the same environment as the functions: handed over as a shell file. */
function writeStackEnv(stack: Stack): string {
  const envFile = path.join(stack.stateDir, "stack.env");
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  writeFileSync(
    envFile,
    `${Object.entries(stack.env)
      .map(([name, value]) => `export ${name}=${quote(value)}`)
      .join("\n")}\n`,
  );
  return envFile;
}

function keepRunning(stack: Stack) {
  const cron = stack.env.EXPORT_SCHEDULE ?? "0 2 * * *";
  const tz = stack.env.EXPORT_SCHEDULE_TIME_ZONE ?? "UTC";
  const envFile = writeStackEnv(stack);
  say(
    `  operator CLI: . ${path.relative(process.cwd(), envFile) || envFile} && npx firestore-exporter status`,
  );
  const arm = () => {
    const next = nextFire(compileCron(cron), tz, new Date()) ?? new Date(Date.now() + 86_400_000);
    say(
      `Stack running; next scheduled export at ${next.toISOString()} (${cron}, ${tz}). Ctrl-C stops everything.`,
    );
    const body = Buffer.from('{"label":"by-hand"}').toString("base64");
    say(
      `  manual trigger: curl -s -X POST http://${stack.pubsubEmulator.host}/v1/projects/${LOCAL_PROJECT}/topics/${TRIGGER_TOPIC}:publish -H 'content-type: application/json' -d '{"messages":[{"data":"${body}"}]}'`,
    );
    setTimeout(
      () => {
        void stack.publishTrigger().then(arm);
      },
      Math.max(0, next.getTime() - Date.now()),
    );
  };
  arm();
}

function say(line: string) {
  process.stderr.write(`${line}\n`);
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
