import { createAdminClient } from "../functions/src/admin-client.js";
import { runStateOf } from "../functions/src/operation.js";
import type { RunRecord } from "../functions/src/run.js";
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
  alerts: string[];
  error?: string;
}

export interface FollowOptions {
  timeoutMs: number;
  onPhase?: (name: string) => void;
  onProgress?: (line: string) => void;
  pollMs?: number;
}

const LEDGER_COLLECTION = "firestoreExporterRuns";

/** Reads the ledger's runs, newest first. */
export async function ledgerRuns(stack: Stack): Promise<RunRecord[]> {
  const collection = stack.env.LEDGER_COLLECTION ?? LEDGER_COLLECTION;
  const databaseId = (stack.env.LEDGER_DATABASE ?? "").split("/").pop() ?? "(default)";
  const snapshot = await stack.db(databaseId).collection(collection).get();
  return snapshot.docs
    .map((d) => d.data() as RunRecord)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/**
 * Follows the newest run from claim to a verified end: waits for the exporter to record the
 * operation (or a final error), then for the operation to finish, then checks that the overall
 * metadata object is in the bucket.
 */
export async function followRun(stack: Stack, options: FollowOptions): Promise<RunSummary> {
  const deadline = Date.now() + options.timeoutMs;
  const pollMs = options.pollMs ?? 250;
  const timedOut = () => Date.now() > deadline;
  const pause = () => new Promise((r) => setTimeout(r, pollMs));

  let run: RunRecord | undefined;
  while (!timedOut()) {
    run = (await ledgerRuns(stack))[0];
    if (run && (run.operationName || run.state !== "CLAIMED")) break;
    await pause();
  }
  if (!run)
    return {
      state: "NOT_STARTED",
      database: LOCAL_DATABASE,
      alerts: [],
      error: "no run was claimed before the timeout",
    };
  const base: RunSummary = {
    state: run.state,
    database: run.database,
    outputUriPrefix: run.outputUriPrefix,
    alerts: [],
  };
  if (!run.operationName) {
    options.onPhase?.("trigger handled");
    const error = run.error
      ? `${run.error.status}: ${run.error.message}${run.error.hint ? ` — ${run.error.hint}` : ""}`
      : "the export was not started";
    return { ...base, state: run.state === "CLAIMED" ? "NOT_STARTED" : run.state, error };
  }
  options.onPhase?.("export started");

  const admin = createAdminClient({
    endpoint: stack.gateway.url,
    apiVersion: run.apiVersion,
    timeoutMs: 5000,
  });
  let lastLine = "";
  while (!timedOut()) {
    let op: Awaited<ReturnType<typeof admin.getOperation>>;
    try {
      op = await admin.getOperation(run.operationName);
    } catch (error) {
      options.onProgress?.(
        `reading the operation failed, trying again: ${error instanceof Error ? error.message : String(error)}`,
      );
      await pause();
      continue;
    }
    const line = `${op.operationState}: ${op.documents ?? 0}${op.estimatedDocuments ? `/${op.estimatedDocuments}` : ""} documents, ${op.bytes ?? 0} bytes`;
    if (line !== lastLine) options.onProgress?.(line);
    lastLine = line;
    if (op.done) {
      options.onPhase?.("export done");
      const state = runStateOf(op);
      const summary: RunSummary = {
        ...base,
        state,
        operation: op.name,
        localPath: stack.gateway.localPathFor(run.outputUriPrefix),
        documents: op.documents ?? 0,
        bytes: op.bytes ?? 0,
      };
      if (op.error) summary.error = `${op.error.status}: ${op.error.message}`;
      if (state === "SUCCESSFUL" && !(await metadataObjectExists(stack, run.outputUriPrefix))) {
        return {
          ...summary,
          state: "UNVERIFIED",
          error: "the export finished but its overall metadata object is not in the bucket",
        };
      }
      options.onPhase?.("verified");
      return summary;
    }
    await pause();
  }
  return {
    ...base,
    state: "TIMEOUT",
    operation: run.operationName,
    error: `the export was not done after ${options.timeoutMs / 1000} s`,
  };
}

async function metadataObjectExists(stack: Stack, prefix: string): Promise<boolean> {
  const match = /^gs:\/\/([^/]+)\/(.*)$/.exec(prefix);
  if (!match) return false;
  const [, bucket = "", folder = ""] = match;
  const name = `${folder}/${folder.split("/").pop()}.overall_export_metadata`;
  const response = await fetch(`${stack.gateway.url}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`);
  return response.ok;
}
