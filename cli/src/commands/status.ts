import type { RunRecord } from "../../../functions/src/run.js";
import { type OptionSpec, optionsHelp, parseOptions, secondsOption } from "../args.js";
import type { Command } from "../command.js";
import { type CliContext, EXIT } from "../context.js";
import { followRuns } from "../follow.js";
import { formatBytes, formatCount, formatDuration, isSettled, progressLine } from "../progress.js";
import { summarize } from "../summary.js";

const OPTIONS: OptionSpec = {
  watch: {
    type: "boolean",
    description: "show a live progress bar until the run(s) have the checker's verdict",
  },
  interval: {
    type: "string",
    value: "S",
    description: "with --watch: read the ledger every S seconds (default 1)",
  },
  timeout: {
    type: "string",
    value: "S",
    description: "with --watch: give up after S seconds (default: never)",
  },
};

const HELP = `Usage: firestore-exporter status [RUN] [options]

Shows one run (by run key) or every open run of the ledger: state, documents and bytes done of the
estimate, elapsed time, time left, output folder, alerts and error. With --watch the progress bar is
redrawn in place on a terminal (plain lines when stdout is not one) until each run is final: closed
by the checker, or alerted as export_stuck.

Options:
${optionsHelp(OPTIONS, "the runs as last read")}

Exit codes: 0 ok (with --watch: every run ended SUCCESSFUL), 1 the run is unknown, or ended (or, with
--watch, ends) other than SUCCESSFUL, or --timeout passed; 2 bad options or configuration.

Examples:
  firestore-exporter status
  firestore-exporter status 'manual:1234:my-project:(default)' --watch
  firestore-exporter status --watch --interval 5
  firestore-exporter status 'schedule:my-project:(default):2026-12-03T02:00:00.000Z' --json`;

function describe(run: RunRecord, now: Date): string[] {
  const s = summarize(run, now);
  const lines = progressLine(run, now).split("\n");
  lines.push(
    `  trigger   ${run.trigger.kind}${run.trigger.label ? `, label ${run.trigger.label}` : ""}${run.trigger.reason ? `, reason: ${run.trigger.reason}` : ""}`,
  );
  lines.push(`  created   ${run.createdAt}${run.endedAt ? `, ended ${run.endedAt}` : ""}`);
  if (run.outputUriPrefix) lines.push(`  output    ${run.outputUriPrefix}`);
  if (run.operationName) lines.push(`  operation ${run.operationName}`);
  if (s.final)
    lines.push(
      `  verdict   ${run.state}${run.state === "SUCCESSFUL" ? `, ${s.restorable ? "verified, restorable" : "not restorable"}` : ""}: ${formatCount(s.documents)} documents, ${formatBytes(s.bytes)}${s.durationMs !== undefined ? ` in ${formatDuration(s.durationMs)}` : ""}`,
    );
  if (s.alerts.length > 0) lines.push(`  alerts    ${s.alerts.join(", ")}`);
  if (s.error) lines.push(`  error     ${s.error}`);
  return lines;
}

/** A run the checker has finished with and that is not a verified success. */
function endedBadly(run: RunRecord): boolean {
  return isSettled(run) && run.state !== "SUCCESSFUL";
}

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseOptions(args, OPTIONS, { min: 0, max: 1, names: "RUN (a run key)" });
  const intervalMs = secondsOption(values, "interval", 1);
  const timeoutMs =
    values.timeout === undefined ? Number.POSITIVE_INFINITY : secondsOption(values, "timeout", 0);
  const { out } = ctx;
  const key = positionals[0];

  let runs: RunRecord[];
  if (key !== undefined) {
    const found = await ctx.ledger.get(key);
    if (!found) {
      out.error(
        `firestore-exporter status: no run ${key} in the ledger; 'firestore-exporter history' lists the runs`,
      );
      out.data({ ok: false, runs: [], missing: [key] });
      return EXIT.failed;
    }
    runs = [found];
  } else {
    runs = (await ctx.ledger.listOpen()).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    if (runs.length === 0) {
      out.line(
        "No open runs: every run in the ledger has its verdict. 'firestore-exporter history' lists them.",
      );
      out.data({ ok: true, runs: [] });
      return EXIT.ok;
    }
  }

  if (!values.watch) {
    const now = ctx.now();
    for (const r of runs) for (const line of describe(r, now)) out.line(line);
    const ok = !runs.some(endedBadly);
    out.data({ ok, runs: runs.map((r) => summarize(r, now)) });
    return ok ? EXIT.ok : EXIT.failed;
  }

  const followed = await followRuns(
    ctx,
    runs.map((r) => r.runKey),
    { intervalMs, timeoutMs },
  );
  const now = ctx.now();
  out.line("");
  for (const r of followed.runs) for (const line of describe(r, now)) out.line(line);
  if (!followed.settled)
    out.error(`firestore-exporter status: still not final after ${formatDuration(timeoutMs)}`);
  const ok = followed.settled && followed.runs.every((r) => r.state === "SUCCESSFUL");
  out.data({ ok, settled: followed.settled, runs: followed.runs.map((r) => summarize(r, now)) });
  return ok ? EXIT.ok : EXIT.failed;
}

export const status: Command = {
  name: "status",
  summary: "one run or every open run, with a live progress bar (--watch)",
  help: HELP,
  run,
};
