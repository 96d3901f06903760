import { parseGcsUri } from "../../../functions/src/names.js";
import { metadataObjectOf } from "../../../functions/src/verdict.js";
import { type OptionSpec, parseOptions, shellQuote } from "../args.js";
import type { Command } from "../command.js";
import { type CliContext, EXIT } from "../context.js";
import { formatBytes, formatCount } from "../progress.js";
import { summarize } from "../summary.js";

const OPTIONS: OptionSpec = {};

const HELP = `Usage: firestore-exporter verify RUN

Checks a run's export in the bucket again, now: the overall metadata object is present, and lists
the export's files with their sizes (Cloud Storage JSON API at STORAGE_ENDPOINT). When the run is
SUCCESSFUL and its metadata object is present, prints the exact command that restores it.

Options:
  --json   print one JSON document (run, metadata object, files, restore command)

Exit codes: 0 verified, 1 the run is unknown, not SUCCESSFUL, or its metadata object is missing,
2 bad options or configuration.

Examples:
  firestore-exporter verify 'schedule:my-project:(default):2026-12-03T02:00:00.000Z'
  firestore-exporter verify 'manual:1234:my-project:(default)' --json`;

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { positionals } = parseOptions(args, OPTIONS, { min: 1, max: 1, names: "RUN (a run key)" });
  const key = positionals[0] as string;
  const { out } = ctx;
  const record = await ctx.ledger.get(key);
  if (!record) {
    out.error(
      `firestore-exporter verify: no run ${key} in the ledger; 'firestore-exporter history' lists the runs`,
    );
    out.data({ ok: false, runKey: key, problems: ["unknown run"] });
    return EXIT.failed;
  }
  const problems: string[] = [];
  if (record.state !== "SUCCESSFUL") problems.push(`the run is ${record.state}, not SUCCESSFUL`);
  const metadata = metadataObjectOf(record.outputUriPrefix);
  const uri = parseGcsUri(record.outputUriPrefix);
  if (!metadata || typeof uri === "string") {
    problems.push(`the run has no usable output folder (${JSON.stringify(record.outputUriPrefix)})`);
    for (const p of problems) out.error(`firestore-exporter verify: ${p}`);
    out.data({ ok: false, runKey: key, problems, run: summarize(record, ctx.now()) });
    return EXIT.failed;
  }
  const metadataSize = await ctx.storage.objectSize(metadata.bucket, metadata.name);
  if (metadataSize === undefined)
    problems.push(`the metadata object gs://${metadata.bucket}/${metadata.name} is missing from the bucket`);
  const files = await ctx.storage.listObjects(uri.bucket, uri.path ? `${uri.path}/` : "");
  const totalBytes = files.reduce((sum, f) => sum + f.sizeBytes, 0);

  out.line(`Run ${key}: ${record.state}, ${record.database}`);
  out.line(
    `Folder ${record.outputUriPrefix}: ${formatCount(files.length)} files, ${formatBytes(totalBytes)}`,
  );
  for (const f of files) {
    const relative = uri.path ? f.name.slice(uri.path.length + 1) : f.name;
    out.line(`  ${formatBytes(f.sizeBytes).padStart(9)}  ${relative}`);
  }
  out.line(
    metadataSize === undefined
      ? `Metadata object MISSING: gs://${metadata.bucket}/${metadata.name}`
      : `Metadata object present: gs://${metadata.bucket}/${metadata.name} (${formatBytes(metadataSize)})`,
  );
  const ok = problems.length === 0;
  // Into the database it came from, which restore guards as live: the flag is part of the command.
  const restoreCommand = ok
    ? `firestore-exporter restore ${shellQuote(key)} --target-database ${shellQuote(record.database)} --overwrite-live`
    : undefined;
  if (ok) {
    out.line(
      "Verified. To restore it into the database it came from (it asks you to type the database id; name another database to restore elsewhere):",
    );
    out.line(`  ${restoreCommand}`);
  } else {
    for (const p of problems) out.error(`firestore-exporter verify: ${p}`);
    out.line("Not verified: do not restore this export.");
  }
  out.data({
    ok,
    runKey: key,
    state: record.state,
    database: record.database,
    outputUriPrefix: record.outputUriPrefix,
    metadataObject: {
      uri: `gs://${metadata.bucket}/${metadata.name}`,
      present: metadataSize !== undefined,
      ...(metadataSize !== undefined && { sizeBytes: metadataSize }),
    },
    files: files.map((f) => ({ name: f.name, sizeBytes: f.sizeBytes })),
    totalBytes,
    problems,
    ...(restoreCommand && { restoreCommand }),
  });
  return ok ? EXIT.ok : EXIT.failed;
}

export const verify: Command = {
  name: "verify",
  summary: "re-check a run's files in the bucket and print the command that restores it",
  help: HELP,
  run,
};
