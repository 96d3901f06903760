/**
 * What `restore` may do, decided without any I/O: argument parsing and the guards of F13. Every
 * refusal names the reason and the way out; an export that is not a verified success has no way
 * out, on purpose.
 */
import type { Config } from "../../functions/src/config.js";
import { collectionIdsProblems, DATABASE_FORM, parseDatabaseName } from "../../functions/src/names.js";
import type { RunRecord } from "../../functions/src/run.js";
import { UsageError } from "./context.js";

/** The options of one `restore` invocation. */
export interface RestoreArgs {
  runKey: string;
  targetDatabase: string;
  /** Empty = everything the export holds. */
  collectionIds: string[];
  overwriteLive: boolean;
  yes: boolean;
  /** How long to follow the import; undefined = until it ends. */
  timeoutMs?: number;
}

/** Parses `RUN --target-database D [--collection-ids a,b] [--overwrite-live] [--yes] [--timeout S]`. */
export function parseRestoreArgs(args: readonly string[]): RestoreArgs {
  const positional: string[] = [];
  let targetDatabase: string | undefined;
  let collectionIds: string[] = [];
  let overwriteLive = false;
  let yes = false;
  let timeoutMs: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? splitOnce(arg) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === "") throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--target-database":
        targetDatabase = value();
        break;
      case "--collection-ids":
        collectionIds = value()
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case "--overwrite-live":
        overwriteLive = true;
        break;
      case "--yes":
      case "-y":
        yes = true;
        break;
      case "--timeout": {
        const raw = value();
        const seconds = Number(raw);
        if (!/^\d+(\.\d+)?$/.test(raw) || seconds <= 0)
          throw new UsageError(`--timeout: got "${raw}"; expected a number of seconds above 0`);
        timeoutMs = Math.round(seconds * 1000);
        break;
      }
      default:
        if (flag.startsWith("-")) throw new UsageError(`unknown option ${flag}`);
        positional.push(arg);
    }
  }
  const [runKey, ...extra] = positional;
  if (!runKey) throw new UsageError("which run? Give its run key (see `firestore-exporter history`)");
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (!targetDatabase) {
    throw new UsageError(
      `--target-database is required: name the database to import into (${DATABASE_FORM}). There is no default, so that a restore never lands in a live database by accident; a new or scratch database is the safe choice`,
    );
  }
  const parsed = parseDatabaseName(targetDatabase);
  if (typeof parsed === "string")
    throw new UsageError(`--target-database: got "${targetDatabase}"; ${parsed}`);
  const problems = collectionIdsProblems(collectionIds);
  if (problems.length > 0) throw new UsageError(`--collection-ids: ${problems.join("; ")}`);
  return {
    runKey,
    targetDatabase,
    collectionIds,
    overwriteLive,
    yes,
    ...(timeoutMs !== undefined && { timeoutMs }),
  };
}

function splitOnce(arg: string): [string, string] {
  const at = arg.indexOf("=");
  return [arg.slice(0, at), arg.slice(at + 1)];
}

/** A restore the guards allow, with what the summary tells the operator. */
export interface RestorePlan {
  runKey: string;
  sourceDatabase: string;
  targetDatabase: string;
  inputUriPrefix: string;
  /** What is imported: empty = everything in the export. */
  collectionIds: string[];
  /** The collection groups the export holds: empty = all of them. */
  exportedCollectionIds: string[];
  /** Documents the export holds, as the checker counted them when it verified the files. */
  exportedDocuments?: number;
  exportedAt?: string;
  snapshotTime?: string;
  /** Why the target counts as live, when it does. */
  live?: "source" | "configured target";
  /** The operator must confirm (live target): with --yes, or by typing the database id on a terminal. */
  needsConfirmation: boolean;
}

export type RestoreDecision = { ok: true; plan: RestorePlan } | { ok: false; reason: string };

/** Why a run's files may not be imported, or undefined when they may (SUCCESSFUL and verified). */
export function unrestorableReason(run: RunRecord): string | undefined {
  const error = run.error ? ` (${run.error.status}: ${run.error.message})` : "";
  switch (run.state) {
    case "SUCCESSFUL":
      return run.restorable === true
        ? undefined
        : "its files were never verified in the bucket (restorable is not set): a successful operation whose metadata object is missing is not a usable export";
    case "CANCELLED":
      return "it was CANCELLED: a cancelled export may have left partial files, which would import an incomplete database";
    case "FAILED":
      return `it FAILED${error}: its folder holds at most partial files`;
    case "LOST":
      return "it is LOST: the Admin API no longer knows the operation, so nothing proves the export completed";
    case "REJECTED":
      return "it was REJECTED before any export started: there are no files";
    default:
      return `it is ${run.state}, not finished: wait for the checker to verify it (firestore-exporter status ${run.runKey})`;
  }
}

/** The guards of F13, in order: the export must be good, the subset possible, the live target explicit. */
export function planRestore(
  run: RunRecord,
  args: RestoreArgs,
  config: Pick<Config, "targets">,
): RestoreDecision {
  const bad = unrestorableReason(run);
  if (bad) {
    return {
      ok: false,
      reason: `run ${run.runKey} cannot be restored: ${bad}. Choose a SUCCESSFUL, verified run (firestore-exporter history).`,
    };
  }
  const exported = run.request.collectionIds ?? [];
  if (args.collectionIds.length > 0) {
    if (exported.length === 0) {
      return {
        ok: false,
        reason: `run ${run.runKey} exported all collections, and Firestore imports a subset of collections only from an export made with those collection ids. Restore the whole export into a scratch database (--target-database projects/P/databases/SCRATCH) and copy what you need from there, or restore everything.`,
      };
    }
    const missing = args.collectionIds.filter((id) => !exported.includes(id));
    if (missing.length > 0) {
      return {
        ok: false,
        reason: `run ${run.runKey} does not hold the collection ids [${missing.join(", ")}]: it was made with [${exported.join(", ")}].`,
      };
    }
  }
  const live =
    args.targetDatabase === run.database
      ? "source"
      : config.targets.some((t) => t.database.name === args.targetDatabase)
        ? "configured target"
        : undefined;
  if (live && !args.overwriteLive) {
    const what =
      live === "source"
        ? "the database this export was taken from"
        : "a database this tool backs up (a configured target)";
    return {
      ok: false,
      reason: `${args.targetDatabase} is ${what}: importing overwrites its documents that have the same ids with the exported versions. Restore into a scratch database instead, or pass --overwrite-live if that is really what you want.`,
    };
  }
  const plan: RestorePlan = {
    runKey: run.runKey,
    sourceDatabase: run.database,
    targetDatabase: args.targetDatabase,
    inputUriPrefix: run.outputUriPrefix,
    collectionIds: args.collectionIds,
    exportedCollectionIds: exported,
    needsConfirmation: live !== undefined,
  };
  if (run.progress?.documents !== undefined) plan.exportedDocuments = run.progress.documents;
  if (run.endedAt) plan.exportedAt = run.endedAt;
  if (run.request.snapshotTime) plan.snapshotTime = run.request.snapshotTime;
  if (live) plan.live = live;
  return { ok: true, plan };
}

/** A live import without a person to ask and without --yes is refused; undefined = go ahead or ask. */
export function confirmationProblem(
  plan: RestorePlan,
  yes: boolean,
  interactive: boolean,
): string | undefined {
  if (!plan.needsConfirmation || yes || interactive) return undefined;
  return `importing into the live database ${plan.targetDatabase} needs a confirmation: stdin is not a terminal, so pass --yes (together with --overwrite-live) to confirm in a script.`;
}

/** The lines shown before anything is imported. */
export function summaryLines(plan: RestorePlan): string[] {
  const row = (label: string, value: string) => `  ${label.padEnd(12)}${value}`;
  const live =
    plan.live === "source"
      ? "  ← the LIVE source database"
      : plan.live
        ? "  ← a LIVE database (configured target)"
        : "";
  const holds =
    plan.exportedCollectionIds.length > 0
      ? `collection groups ${plan.exportedCollectionIds.join(", ")}`
      : "all collections, subcollections included";
  const documents =
    plan.exportedDocuments === undefined ? "not counted" : plan.exportedDocuments.toLocaleString("en-US");
  const lines = [
    `Restore ${plan.runKey}`,
    row("from", plan.inputUriPrefix),
    row(
      "taken of",
      `${plan.sourceDatabase}${plan.snapshotTime ? ` as of ${plan.snapshotTime}` : ""}${plan.exportedAt ? ` (finished ${plan.exportedAt})` : ""}`,
    ),
    row("into", `${plan.targetDatabase}${live}`),
    row(
      "collections",
      plan.collectionIds.length > 0 ? plan.collectionIds.join(", ") : `everything in the export (${holds})`,
    ),
    row(
      "documents",
      `${documents} in the export${plan.collectionIds.length > 0 ? " (all its collections; the selected ones are part of these)" : ""}`,
    ),
  ];
  lines.push(
    "Documents in the target with the same ids are overwritten with the exported version; documents that are not in the export are left alone; no Cloud Functions triggers fire.",
  );
  return lines;
}
