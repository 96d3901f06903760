import { statusForCode } from "./errors.js";
import type { RunError, RunState } from "./run.js";

/** The long-running operation as the Admin REST API returns it; every field may be absent. */
export interface RawOperation {
  name?: string;
  done?: boolean;
  error?: { code?: number; message?: string; details?: unknown[] };
  response?: { "@type"?: string; outputUriPrefix?: string };
  metadata?: {
    "@type"?: string;
    startTime?: string;
    endTime?: string;
    operationState?: string;
    progressDocuments?: { completedWork?: string | number; estimatedWork?: string | number };
    progressBytes?: { completedWork?: string | number; estimatedWork?: string | number };
    collectionIds?: string[];
    namespaceIds?: string[];
    outputUriPrefix?: string;
    snapshotTime?: string;
  };
}

/** A normalised operation: what the product reasons about. */
export interface OperationView {
  name: string;
  done: boolean;
  /** v1 names; the older `STATE_UNSPECIFIED` is mapped to `OPERATION_STATE_UNSPECIFIED`. */
  operationState: string;
  error?: RunError;
  outputUriPrefix?: string;
  startTime?: string;
  endTime?: string;
  documents?: number;
  bytes?: number;
  estimatedDocuments?: number;
  estimatedBytes?: number;
}

/** Maps the raw JSON to a view: a missing `done` means running, counters arrive as strings. */
export function parseOperation(raw: RawOperation): OperationView {
  const m = raw.metadata ?? {};
  const state =
    m.operationState === "STATE_UNSPECIFIED" || !m.operationState
      ? "OPERATION_STATE_UNSPECIFIED"
      : m.operationState;
  const view: OperationView = { name: raw.name ?? "", done: raw.done === true, operationState: state };
  if (raw.error) {
    const code = raw.error.code ?? 2;
    view.error = {
      code,
      status: statusForCode(code),
      message: raw.error.message ?? "(the operation reported an error without a message)",
    };
  }
  const prefix = raw.response?.outputUriPrefix ?? m.outputUriPrefix;
  if (prefix) view.outputUriPrefix = prefix;
  if (m.startTime) view.startTime = m.startTime;
  if (m.endTime) view.endTime = m.endTime;
  setCount(view, "documents", m.progressDocuments?.completedWork);
  setCount(view, "estimatedDocuments", m.progressDocuments?.estimatedWork);
  setCount(view, "bytes", m.progressBytes?.completedWork);
  setCount(view, "estimatedBytes", m.progressBytes?.estimatedWork);
  return view;
}

function setCount(
  view: OperationView,
  key: "documents" | "bytes" | "estimatedDocuments" | "estimatedBytes",
  raw: string | number | undefined,
) {
  if (raw === undefined) return;
  const n = Number(raw);
  if (Number.isFinite(n) && n >= 0) view[key] = n;
}

/**
 * The run state an operation implies. `error` is read before anything else; a done operation
 * without error counts as successful only when its state says so (or, on old API versions, says
 * nothing at all). Verification of the files is a separate step.
 */
export function runStateOf(op: OperationView): RunState {
  if (!op.done) return "RUNNING";
  if (op.error)
    return op.error.status === "CANCELLED" || op.operationState === "CANCELLED" ? "CANCELLED" : "FAILED";
  if (op.operationState === "SUCCESSFUL" || op.operationState === "OPERATION_STATE_UNSPECIFIED")
    return "SUCCESSFUL";
  if (op.operationState === "CANCELLED") return "CANCELLED";
  return "FAILED";
}

/** Compares prefixes as the API does, ignoring a trailing slash. */
export function samePrefix(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}
