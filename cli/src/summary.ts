import type { RunRecord } from "../../functions/src/run.js";
import { elapsedMs, isSettled } from "./progress.js";

/** A run as the CLI reports it with --json: the figures an operator or a script looks at. */
export interface RunSummary {
  runKey: string;
  database: string;
  state: string;
  /** The checker has given its verdict. */
  final: boolean;
  restorable: boolean;
  trigger: RunRecord["trigger"];
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  documents: number;
  bytes: number;
  estimatedDocuments?: number;
  estimatedBytes?: number;
  outputUriPrefix: string;
  operationName?: string;
  alerts: string[];
  error?: string;
}

export function summarize(run: RunRecord, now: Date): RunSummary {
  const p = run.progress ?? {};
  return {
    runKey: run.runKey,
    database: run.database,
    state: run.state,
    final: isSettled(run),
    restorable: run.restorable === true,
    trigger: run.trigger,
    createdAt: run.createdAt,
    ...(run.startedAt && { startedAt: run.startedAt }),
    ...(run.endedAt && { endedAt: run.endedAt }),
    ...((run.startedAt || run.endedAt) && { durationMs: elapsedMs(run, now) }),
    documents: p.documents ?? 0,
    bytes: p.bytes ?? 0,
    ...(p.estimatedDocuments !== undefined && { estimatedDocuments: p.estimatedDocuments }),
    ...(p.estimatedBytes !== undefined && { estimatedBytes: p.estimatedBytes }),
    outputUriPrefix: run.outputUriPrefix,
    ...(run.operationName && { operationName: run.operationName }),
    alerts: Object.keys(run.alerts ?? {}).sort(),
    ...(run.error && {
      error: `${run.error.status}: ${run.error.message}${run.error.hint ? ` — ${run.error.hint}` : ""}`,
    }),
  };
}
