import { writeFile } from "node:fs/promises";
import path from "node:path";
import { countOption, type OptionSpec, optionsHelp, parseOptions, stringOption } from "../args.js";
import { chartRow } from "../chart.js";
import type { Command } from "../command.js";
import { type CliContext, EXIT, UsageError } from "../context.js";
import { type DatabaseHistory, historyPage } from "../html.js";
import { formatBytes, formatCount, formatDuration } from "../progress.js";
import { summarize } from "../summary.js";

const OPTIONS: OptionSpec = {
  database: {
    type: "string",
    value: "D",
    description: "only this database (projects/P/databases/D, or its id); default: every configured target",
  },
  limit: { type: "string", value: "N", description: "the newest N runs per database (default 30)" },
  html: {
    type: "string",
    value: "FILE",
    description: "also write a self-contained HTML page with charts to FILE",
  },
};

const HELP = `Usage: firestore-exporter history [options]

Lists the ledger per database, newest first: date, state, documents, bytes, duration, output folder
and alerts, with a small chart of documents, bytes and duration over time (oldest on the left).

Options:
${optionsHelp(OPTIONS, "{ databases: [{ database, runs }] }")}

Exit codes: 0 listed, 1 the ledger could not be read or FILE not written, 2 bad options or configuration.

Examples:
  firestore-exporter history
  firestore-exporter history --database '(default)' --limit 14
  firestore-exporter history --html history.html
  firestore-exporter history --json | jq '.databases[].runs[] | {createdAt, state, documents}'`;

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseOptions(args, OPTIONS);
  const limit = countOption(values, "limit", 30);
  const given = stringOption(values, "database");
  const configured = ctx.config.targets.map((t) => t.database.name);
  let databases = configured;
  if (given !== undefined) {
    const byId = ctx.config.targets
      .filter((t) => t.database.databaseId === given)
      .map((t) => t.database.name);
    const name = given.includes("/") ? given : byId.length === 1 ? byId[0] : undefined;
    if (!name)
      throw new UsageError(
        `--database ${JSON.stringify(given)} is not a configured database; configured: ${configured.join(", ")}`,
      );
    // A database dropped from the configuration still has its history in the ledger.
    databases = [name];
  }
  const now = ctx.now();
  const histories: DatabaseHistory[] = [];
  for (const database of databases) {
    const runs = await ctx.ledger.listRuns({ database, limit });
    histories.push({ database, runs: runs.map((r) => summarize(r, now)) });
  }

  const { out } = ctx;
  for (const h of histories) {
    out.line(`${h.database} — ${h.runs.length} run${h.runs.length === 1 ? "" : "s"}`);
    if (h.runs.length === 0) {
      out.line("  (no runs in the ledger)\n");
      continue;
    }
    out.line(
      `  ${pad("date", 20)} ${pad("state", 10)} ${pad("documents", 10, true)} ${pad("bytes", 9, true)} ${pad("duration", 8, true)}  ${pad("alerts", 16)} run`,
    );
    for (const r of h.runs) {
      out.line(
        `  ${pad(r.createdAt.slice(0, 19).replace("T", " "), 20)} ${pad(r.state, 10)} ${pad(formatCount(r.documents), 10, true)} ${pad(formatBytes(r.bytes), 9, true)} ${pad(r.durationMs === undefined ? "-" : formatDuration(r.durationMs), 8, true)}  ${pad(r.alerts.join(",") || "-", 16)} ${r.runKey}`,
      );
    }
    const chronological = [...h.runs].reverse();
    out.line("");
    out.line(
      `  ${chartRow(
        "documents",
        chronological.map((r) => r.documents),
        formatCount,
      )}`,
    );
    out.line(
      `  ${chartRow(
        "bytes",
        chronological.map((r) => r.bytes),
        formatBytes,
      )}`,
    );
    out.line(
      `  ${chartRow(
        "duration",
        chronological.map((r) => r.durationMs),
        formatDuration,
      )}`,
    );
    out.line("");
  }

  const html = stringOption(values, "html");
  let htmlFile: string | undefined;
  if (html !== undefined) {
    htmlFile = path.resolve(html);
    await writeFile(htmlFile, historyPage(histories, now));
    out.line(`Wrote ${htmlFile}`);
  }
  out.data({ databases: histories, ...(htmlFile && { html: htmlFile }) });
  return EXIT.ok;
}

export const history: Command = {
  name: "history",
  summary: "the ledger per database with a chart of documents, bytes and duration (--html FILE)",
  help: HELP,
  run,
};
