import { createInterface } from "node:readline/promises";
import { ApiError } from "../../../functions/src/errors.js";
import { runStateOf } from "../../../functions/src/operation.js";
import type { Command } from "../command.js";
import { EXIT } from "../context.js";
import { followImport } from "../restore-follow.js";
import {
  confirmationProblem,
  parseRestoreArgs,
  planRestore,
  type RestorePlan,
  summaryLines,
} from "../restore-guard.js";

const HELP = `Usage: firestore-exporter restore RUN --target-database projects/P/databases/D [options]

Imports the export of one ledger run (its run key, see 'firestore-exporter history') into a
database with the Admin API's importDocuments, and follows the import to its end.

Options:
  --target-database D   the database to import into (required; there is no default). A new or
                        scratch database is the safe choice: import there, check, copy what you need
  --collection-ids a,b  import only these collection groups; only possible when the export was
                        made with collectionIds, and only ids it holds
  --overwrite-live      allow importing into the run's own database (or another configured target)
  --yes                 confirm a live import without the typed confirmation (scripts)
  --timeout S           stop following after S seconds (the import carries on); default: until it ends
  --json                print the result as one JSON document

Refused, whatever the flags: a run that is not SUCCESSFUL and verified (CANCELLED, FAILED, LOST,
still running, or whose files were never found in the bucket), and a collection subset the export
cannot provide. Importing overwrites documents with the same ids, leaves every other document
alone, and fires no triggers.

Exit codes: 0 imported, 1 refused or the import failed, 2 bad options or configuration.

Examples:
  firestore-exporter restore 'schedule:my-project:(default):2026-12-03T02:00:00.000Z' \\
      --target-database 'projects/my-project/databases/restore-check'
  firestore-exporter restore RUN --target-database 'projects/my-project/databases/(default)' \\
      --collection-ids users --overwrite-live`;

/** What --json prints. */
interface RestoreResult {
  state: "SUCCESSFUL" | "FAILED" | "CANCELLED" | "REFUSED" | "TIMEOUT";
  run: string;
  targetDatabase?: string;
  inputUriPrefix?: string;
  collectionIds?: string[];
  operation?: string;
  documents?: number;
  bytes?: number;
  overwroteLive?: boolean;
  error?: string;
}

export const restore: Command = {
  name: "restore",
  summary: "import a verified export into a database (refuses unsafe choices)",
  help: HELP,
  async run(args, ctx) {
    const options = parseRestoreArgs(args);
    const { out } = ctx;
    const refuse = (reason: string, plan?: RestorePlan): number => {
      out.error(`firestore-exporter restore: refused: ${reason}`);
      out.data({
        state: "REFUSED",
        run: options.runKey,
        targetDatabase: options.targetDatabase,
        ...(plan && { inputUriPrefix: plan.inputUriPrefix }),
        error: reason,
      } satisfies RestoreResult);
      return EXIT.failed;
    };

    const run = await ctx.ledger.get(options.runKey);
    if (!run)
      return refuse(`there is no run ${options.runKey} in the ledger (see firestore-exporter history)`);
    const decision = planRestore(run, options, ctx.config);
    if (!decision.ok) return refuse(decision.reason);
    const { plan } = decision;

    for (const line of summaryLines(plan)) out.line(line);
    const interactive = Boolean(process.stdin.isTTY);
    const problem = confirmationProblem(plan, options.yes, interactive);
    if (problem) return refuse(problem, plan);
    if (plan.needsConfirmation && !options.yes) {
      const databaseId = plan.targetDatabase.split("/").at(-1) ?? "";
      const typed = await ask(
        `Type the database id (${databaseId}) to overwrite it, anything else to stop: `,
      );
      if (typed.trim() !== databaseId)
        return refuse("the typed confirmation did not match; nothing was imported", plan);
    }

    const admin = ctx.admin;
    let first: Awaited<ReturnType<typeof admin.importDocuments>>;
    try {
      first = await admin.importDocuments(plan.targetDatabase, {
        inputUriPrefix: plan.inputUriPrefix,
        ...(plan.collectionIds.length > 0 && { collectionIds: plan.collectionIds }),
      });
    } catch (error) {
      const message = error instanceof ApiError ? `${error.status}: ${error.message}` : String(error);
      out.error(`firestore-exporter restore: importDocuments failed: ${message}`);
      out.data(result(plan, "FAILED", { error: message }));
      return EXIT.failed;
    }
    out.line(`Import started: ${first.name}`);
    const followed = await followImport({
      admin,
      first,
      out,
      now: ctx.now,
      sleep: ctx.sleep,
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    });
    const { op } = followed;
    const counts = {
      operation: op.name,
      ...(op.documents !== undefined && { documents: op.documents }),
      ...(op.bytes !== undefined && { bytes: op.bytes }),
    };
    if (followed.timedOut) {
      const message = `the import is still running after --timeout; it carries on in the service. Follow it with GET ${op.name}`;
      out.error(`firestore-exporter restore: ${message}`);
      out.data(result(plan, "TIMEOUT", { ...counts, error: message }));
      return EXIT.failed;
    }
    const state = runStateOf(op);
    if (state !== "SUCCESSFUL") {
      const message = op.error ? `${op.error.status}: ${op.error.message}` : `ended ${op.operationState}`;
      out.error(
        `firestore-exporter restore: the import ${state === "CANCELLED" ? "was cancelled" : "failed"}: ${message}`,
      );
      out.data(result(plan, state === "CANCELLED" ? "CANCELLED" : "FAILED", { ...counts, error: message }));
      return EXIT.failed;
    }
    out.line(`Restored ${plan.inputUriPrefix} into ${plan.targetDatabase}.`);
    out.data(result(plan, "SUCCESSFUL", counts));
    return EXIT.ok;
  },
};

function result(
  plan: RestorePlan,
  state: RestoreResult["state"],
  extra: Partial<RestoreResult>,
): RestoreResult {
  return {
    state,
    run: plan.runKey,
    targetDatabase: plan.targetDatabase,
    inputUriPrefix: plan.inputUriPrefix,
    collectionIds: plan.collectionIds,
    overwroteLive: plan.live !== undefined,
    ...extra,
  };
}

/** Asks on the terminal (stderr, so that stdout stays the command's output). */
async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}
