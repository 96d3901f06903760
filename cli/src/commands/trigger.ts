import { randomBytes } from "node:crypto";
import os from "node:os";
import { handleTrigger, type RunOutcome } from "../../../functions/src/exporter.js";
import type { LogEntry } from "../../../functions/src/log.js";
import { callerIdentity } from "../../../functions/src/rest.js";
import { parseTriggerMessage } from "../../../functions/src/trigger-message.js";
import {
  type OptionSpec,
  optionsHelp,
  parseOptions,
  secondsOption,
  shellQuote,
  stringOption,
} from "../args.js";
import type { Command } from "../command.js";
import { type CliContext, EXIT } from "../context.js";
import { followRuns } from "../follow.js";
import { formatBytes, formatCount, formatDuration } from "../progress.js";
import { publish, TRIGGER_TOPIC_VARIABLE, triggerTopic } from "../pubsub.js";
import { summarize } from "../summary.js";

const OPTIONS: OptionSpec = {
  database: {
    type: "string",
    value: "D",
    description: "one configured database (projects/P/databases/D, or just its id); default: all targets",
  },
  "collection-ids": {
    type: "string",
    value: "a,b",
    description: "collection-group ids to export; default: all",
  },
  "namespace-ids": {
    type: "string",
    value: "a,b",
    description: "namespace ids (Datastore mode); default: all",
  },
  label: {
    type: "string",
    value: "L",
    description: "a label, added to the folder name (e.g. pre-migration)",
  },
  reason: {
    type: "string",
    value: "R",
    description: "why (kept in the ledger); default: who ran the CLI where",
  },
  "snapshot-time": {
    type: "string",
    value: "T",
    description: "point in time to export, a whole minute in the past (RFC 3339, e.g. 2026-12-03T02:00:00Z)",
  },
  "output-uri-prefix": {
    type: "string",
    value: "gs://B/P",
    description: "write under this folder instead (the bucket must be in MANUAL_BUCKET_ALLOWLIST)",
  },
  direct: {
    type: "boolean",
    description: "run the exporter in this process instead of publishing to the trigger topic",
  },
  wait: {
    type: "boolean",
    description: "follow the run(s) to the checker's verdict; exit 0 only if SUCCESSFUL",
  },
  timeout: {
    type: "string",
    value: "S",
    description:
      "give up after S seconds (default 900): with --wait on the verdict, with --direct on runs the export quota holds back",
  },
  interval: {
    type: "string",
    value: "S",
    description: "with --wait: poll the ledger every S seconds (default 1)",
  },
};

const HELP = `Usage: firestore-exporter trigger [options]

Starts a manual export now: builds the trigger message, validates it exactly as the exportFirestore
function does (a refused message exits 2 and nothing is sent), publishes it to the trigger topic
(${TRIGGER_TOPIC_VARIABLE}, default projects/<ledger project>/topics/export-trigger) and prints the
run key of each database: manual:MESSAGE_ID:PROJECT:DATABASE_ID.

Options:
${optionsHelp(OPTIONS, "message id, run keys, final states with --wait")}

Exit codes: 0 sent (with --wait: every run SUCCESSFUL and verified), 1 failed or not successful,
2 bad options, a message the exporter would refuse, or bad configuration.

Examples:
  firestore-exporter trigger --label pre-migration --reason "ticket 123" --wait
  firestore-exporter trigger --database '(default)' --collection-ids users,orders
  firestore-exporter trigger --snapshot-time 2026-12-03T02:00:00Z --output-uri-prefix gs://my-bucket/manual
  firestore-exporter trigger --direct --wait --json`;

function list(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : text.split(",").map((s) => s.trim());
}

/** Accepts a bare database id when exactly one configured target has it. */
function databaseName(given: string | undefined, ctx: CliContext): string | undefined {
  if (given === undefined || given.includes("/")) return given;
  const matches = ctx.config.targets.filter((t) => t.database.databaseId === given);
  return matches.length === 1 ? matches[0]?.database.name : given;
}

/** Deliveries of one message before Pub/Sub would dead-letter it (Terraform's default). */
const DIRECT_ROUNDS = 10;

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseOptions(args, OPTIONS);
  const timeoutMs = secondsOption(values, "timeout", 900);
  const intervalMs = secondsOption(values, "interval", 1);
  const { out, config } = ctx;

  const user = ctx.env.USER ?? ctx.env.USERNAME ?? "someone";
  const message: Record<string, unknown> = {
    database: databaseName(stringOption(values, "database"), ctx),
    collectionIds: list(stringOption(values, "collection-ids")),
    namespaceIds: list(stringOption(values, "namespace-ids")),
    snapshotTime: stringOption(values, "snapshot-time"),
    label: stringOption(values, "label"),
    // Never empty: an empty message means "the scheduled slot", which a person does not ask for.
    reason: stringOption(values, "reason") ?? `firestore-exporter trigger by ${user} on ${os.hostname()}`,
    outputUriPrefix: stringOption(values, "output-uri-prefix"),
  };
  const body = JSON.stringify(message);
  const request = parseTriggerMessage(body, config, ctx.now());
  if ("problems" in request) {
    out.error(
      `firestore-exporter trigger: the exporter would refuse this message, nothing was sent:\n${request.problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    out.data({ ok: false, problems: request.problems, message: JSON.parse(body) });
    return EXIT.usage;
  }
  if (request.kind !== "manual") throw new Error("a trigger from the CLI is always manual");

  let messageId: string;
  let outcomes: RunOutcome[] | undefined;
  let topic: string | undefined;
  if (values.direct) {
    messageId = `cli-${ctx.now().getTime()}-${randomBytes(4).toString("hex")}`;
    const delivery = { messageId, publishTime: ctx.now(), attributes: {} };
    const deps = {
      config,
      admin: ctx.admin,
      ledger: ctx.ledger,
      log: (entry: LogEntry) => {
        if (["WARNING", "ERROR", "CRITICAL"].includes(entry.severity))
          out.error(`${entry.severity}: ${entry.message}`);
        else if (entry.event === "export.deferred") out.error(entry.message);
      },
      now: ctx.now,
      sleep: ctx.sleep,
      random: Math.random,
      identity: () => callerIdentity(config.endpoints.firestoreAdmin),
    };
    // --timeout counts from here, the first delivery included.
    const giveUpAt = ctx.now().getTime() + timeoutMs;
    let result = await handleTrigger(body, delivery, deps);
    // No Pub/Sub here to redeliver runs parked behind the export quota: this process is the redelivery.
    const settled = new Map(result.runs.map((r) => [r.runKey, r]));
    // As many rounds as Pub/Sub would deliver (Terraform's max_delivery_attempts), within --timeout.
    for (let round = 1; round < DIRECT_ROUNDS && ctx.now().getTime() < giveUpAt; round++) {
      if (!result.runs.some((r) => r.outcome === "deferred")) break;
      result = await handleTrigger(body, delivery, deps);
      for (const run of result.runs) if (run.outcome !== "duplicate") settled.set(run.runKey, run);
    }
    const parked = [...settled.values()].filter((r) => r.outcome === "deferred");
    if (parked.length > 0)
      out.error(
        `firestore-exporter trigger: ${parked.length} run(s) still wait for room in the export quota; they stay claimed, and the checker raises export_not_started after the start window. Trigger again later.`,
      );
    result = { ...result, runs: [...settled.values()] };
    outcomes = result.runs;
    out.line(`Ran the exporter in this process (message id ${messageId}).`);
  } else {
    topic = triggerTopic(ctx.env, config);
    messageId = await publish(config, topic, body);
    out.line(`Published message ${messageId} to ${topic}.`);
  }

  const targets = config.targets.filter((t) => request.databases.includes(t.database.name));
  const keys = targets.map((t) => `manual:${messageId}:${t.database.project}:${t.database.databaseId}`);
  for (const key of keys) {
    const outcome = outcomes?.find((o) => o.runKey === key);
    out.line(`Run ${key}`);
    if (outcome) {
      out.line(`  ${outcome.outcome}${outcome.operationName ? `: ${outcome.operationName}` : ""}`);
      out.line(`  → ${outcome.outputUriPrefix}`);
      if (outcome.error) out.line(`  ${outcome.error.status}: ${outcome.error.message}`);
    }
  }
  const startFailed =
    outcomes?.some((o) => o.outcome === "failed" || o.outcome === "retry" || o.outcome === "deferred") ??
    false;

  if (!values.wait) {
    out.line(`Follow it with: firestore-exporter status ${keys.map(shellQuote).join(" ")} --watch`);
    out.data({
      ok: !startFailed,
      messageId,
      ...(topic && { topic }),
      direct: Boolean(values.direct),
      runKeys: keys,
      ...(outcomes && { outcomes }),
    });
    return startFailed ? EXIT.failed : EXIT.ok;
  }

  out.line("Waiting for the checker's verdict…");
  const followed = await followRuns(ctx, keys, {
    intervalMs,
    timeoutMs,
    alternateOf: () => `rejected:${messageId}`,
  });
  const now = ctx.now();
  const runs = followed.runs.map((r) => summarize(r, now));
  for (const r of runs) {
    const verdict = r.state === "SUCCESSFUL" && r.restorable ? "SUCCESSFUL, verified" : r.state;
    out.line(
      `${r.runKey}: ${verdict} — ${formatCount(r.documents)} documents, ${formatBytes(r.bytes)}${r.durationMs !== undefined ? ` in ${formatDuration(r.durationMs)}` : ""}`,
    );
    out.line(`  ${r.outputUriPrefix}`);
    if (r.alerts.length > 0) out.line(`  alerts: ${r.alerts.join(", ")}`);
    if (r.error) out.line(`  error: ${r.error}`);
  }
  if (!followed.settled) {
    out.error(
      `firestore-exporter trigger: no verdict within ${formatDuration(timeoutMs)}${followed.missing.length > 0 ? `; never claimed: ${followed.missing.join(", ")}` : ""}`,
    );
  }
  const ok =
    followed.settled &&
    runs.length === keys.length &&
    runs.every((r) => r.state === "SUCCESSFUL" && r.restorable);
  out.data({
    ok,
    messageId,
    ...(topic && { topic }),
    direct: Boolean(values.direct),
    runKeys: keys,
    settled: followed.settled,
    runs,
    missing: followed.missing,
  });
  return ok ? EXIT.ok : EXIT.failed;
}

export const trigger: Command = {
  name: "trigger",
  summary: "start a manual export now (validated first), optionally wait for its verdict",
  help: HELP,
  run,
};
