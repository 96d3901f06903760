import type { Alert } from "../functions/src/alerts.js";
import { hasVerdict, type RunRecord } from "../functions/src/run.js";
import { LOCAL_DATABASE, type Stack } from "./stack.js";

/** The final line of `npm start` (DESIGN 4). */
export interface RunSummary {
  state: string;
  database: string;
  operation?: string;
  outputUriPrefix?: string;
  localPath?: string;
  documents?: number;
  bytes?: number;
  /** Kinds of the alerts raised for the run. */
  alerts: string[];
  error?: string;
  restorable?: boolean;
  /** The point in time the export shows (consistent exports). */
  snapshotTime?: string;
}

export interface FollowOptions {
  timeoutMs: number;
  onPhase?: (name: string) => void;
  onProgress?: (line: string) => void;
  pollMs?: number;
}

const LEDGER_COLLECTION = "firestoreExporterRuns";

function ledger(stack: Stack) {
  const collection = stack.env.LEDGER_COLLECTION ?? LEDGER_COLLECTION;
  const databaseId = (stack.env.LEDGER_DATABASE ?? "").split("/").pop() ?? "(default)";
  const db = stack.db(databaseId);
  return { runs: db.collection(collection), alerts: db.collection(`${collection}Alerts`) };
}

/** The newest run in the ledger: one document read per poll, not the whole collection. */
async function newestRun(stack: Stack): Promise<RunRecord | undefined> {
  const snapshot = await ledger(stack).runs.orderBy("createdAt", "desc").limit(1).get();
  return snapshot.docs[0]?.data() as RunRecord | undefined;
}

/** The alerts recorded for a run. */
export async function alertsOf(stack: Stack, runKey: string): Promise<Alert[]> {
  const snapshot = await ledger(stack).alerts.where("runKey", "==", runKey).get();
  return snapshot.docs.map((d) => d.data() as Alert);
}

/**
 * Follows the newest run through the product itself: the exporter records the operation, the
 * checker (on its tick) follows it, verifies the files and raises alerts. Done when the checker
 * has closed the run, or has raised export_stuck for it, and every alert reached its channels.
 */
/** The phase a followed run ends with; none when the checker has not given its verdict (a timeout). */
export function finalPhase(run: RunRecord, stuckAction: "alert" | "cancel"): string | undefined {
  if (!hasVerdict(run, stuckAction)) return undefined;
  return run.state === "SUCCESSFUL" ? "checked and verified" : "checked";
}

export async function followRun(stack: Stack, options: FollowOptions): Promise<RunSummary> {
  const deadline = Date.now() + options.timeoutMs;
  const stuckAction = stack.env.STUCK_ACTION === "cancel" ? "cancel" : "alert";
  const pause = () => new Promise((r) => setTimeout(r, options.pollMs ?? 250));
  let run: RunRecord | undefined;
  let lastLine = "";
  const seen = new Set<string>();
  const phaseOnce = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    options.onPhase?.(name);
  };
  while (Date.now() < deadline) {
    run = await newestRun(stack);
    if (run) {
      if (run.operationName) phaseOnce("export started");
      const line = progressLine(run);
      if (line !== lastLine) options.onProgress?.(line);
      lastLine = line;
      if (hasVerdict(run, stuckAction)) {
        const alerts = await alertsOf(stack, run.runKey);
        if (alerts.every((a) => !a.pending)) break;
      }
    }
    await pause();
  }
  if (!run)
    return {
      state: "NOT_STARTED",
      database: LOCAL_DATABASE,
      alerts: [],
      error: "no run was claimed before the timeout",
    };
  const last = finalPhase(run, stuckAction);
  if (last) phaseOnce(last);
  const summary: RunSummary = {
    state: hasVerdict(run, stuckAction) ? run.state : "TIMEOUT",
    ...(run.request.snapshotTime && { snapshotTime: run.request.snapshotTime }),
    database: run.database,
    ...(run.operationName && { operation: run.operationName }),
    outputUriPrefix: run.outputUriPrefix,
    ...(run.operationName && { localPath: stack.gateway.localPathFor(run.outputUriPrefix) }),
    documents: run.progress?.documents ?? 0,
    bytes: run.progress?.bytes ?? 0,
    alerts: Object.keys(run.alerts).sort(),
    restorable: run.restorable === true,
  };
  if (summary.state === "TIMEOUT")
    summary.error = `the run was still ${run.state} after ${options.timeoutMs / 1000} s`;
  else if (run.error)
    summary.error = `${run.error.status}: ${run.error.message}${run.error.hint ? ` — ${run.error.hint}` : ""}`;
  return summary;
}

function progressLine(run: RunRecord): string {
  if (run.state === "CLAIMED" && run.error) {
    return `CLAIMED, not started yet: ${run.error.status}: ${run.error.message} (${run.error.hint ?? "retrying"})`;
  }
  const p = run.progress ?? {};
  const docs = `${p.documents ?? 0}${p.estimatedDocuments ? `/${p.estimatedDocuments}` : ""} documents`;
  return `${run.state}${run.operationState ? ` (${run.operationState})` : ""}: ${docs}, ${p.bytes ?? 0} bytes`;
}
