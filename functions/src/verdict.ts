import type { AlertKind } from "./alerts.js";
import { type OperationView, runStateOf } from "./operation.js";
import { leaseHeld, type RunRecord } from "./run.js";
import type { Windows } from "./windows.js";

/** What one look at a run decides: the ledger patch, the alerts to raise, and follow-up work. */
export interface Verdict {
  patch: Partial<RunRecord>;
  alerts: AlertKind[];
  /** The operation says SUCCESSFUL: look for the metadata object before calling it so. */
  verify: boolean;
  /** Cancel the operation (a stuck export with STUCK_ACTION=cancel). */
  cancel: boolean;
}

/** Alerts not yet raised on this run, in order. */
function fresh(run: RunRecord, kinds: AlertKind[]): AlertKind[] {
  return kinds.filter((k) => !run.alerts[k]);
}

/**
 * The verdict for a run and what the Admin API says of its operation (or NOT_FOUND). Pure: time
 * and limits are parameters.
 */
export function judgeOperation(
  run: RunRecord,
  op: OperationView | "NOT_FOUND",
  now: Date,
  windows: Windows,
  stuckAction: "alert" | "cancel",
): Verdict {
  const at = now.toISOString();
  if (op === "NOT_FOUND") {
    return {
      patch: {
        state: "LOST",
        endedAt: at,
        restorable: false,
        error: { status: "NOT_FOUND", message: `operation ${run.operationName} is unknown to the Admin API` },
      },
      alerts: fresh(run, ["export_lost"]),
      verify: false,
      cancel: false,
    };
  }
  const progress = {
    ...(op.documents !== undefined && { documents: op.documents }),
    ...(op.bytes !== undefined && { bytes: op.bytes }),
    ...(op.estimatedDocuments !== undefined && { estimatedDocuments: op.estimatedDocuments }),
    ...(op.estimatedBytes !== undefined && { estimatedBytes: op.estimatedBytes }),
  };
  const patch: Partial<RunRecord> = { operationState: op.operationState, progress };
  if (!op.done) {
    const started = new Date(run.startedAt ?? op.startTime ?? run.createdAt).getTime();
    const stuck = now.getTime() - started > windows.completionMs;
    const alerts = stuck ? fresh(run, ["export_stuck"]) : [];
    return { patch, alerts, verify: false, cancel: alerts.length > 0 && stuckAction === "cancel" };
  }
  const state = runStateOf(op);
  const endedAt = op.endTime ?? at;
  if (state === "SUCCESSFUL")
    return { patch: { ...patch, endedAt }, alerts: [], verify: true, cancel: false };
  const error = op.error ?? {
    status: op.operationState,
    message: `the operation ended in state ${op.operationState}`,
  };
  // The checker's own cancel of a stuck export was announced by export_stuck already.
  const cancelledByChecker =
    state === "CANCELLED" && stuckAction === "cancel" && Boolean(run.alerts.export_stuck);
  return {
    patch: { ...patch, state, endedAt, error, restorable: false },
    alerts: cancelledByChecker
      ? []
      : fresh(run, [state === "CANCELLED" ? "export_cancelled" : "export_failed"]),
    verify: false,
    cancel: false,
  };
}

/** The verdict once the bucket was asked for the export's overall metadata object. */
export function judgeVerification(
  run: RunRecord,
  metadataObject: string,
  sizeBytes: number | undefined,
  now: Date,
): Verdict {
  const at = now.toISOString();
  if (sizeBytes !== undefined) {
    return {
      patch: {
        state: "SUCCESSFUL",
        restorable: true,
        error: null,
        verification: { checkedAt: at, metadataObject, present: true, sizeBytes },
      },
      alerts: [],
      verify: false,
      cancel: false,
    };
  }
  return {
    patch: {
      state: "FAILED",
      restorable: false,
      error: {
        status: "UNVERIFIED",
        message: `the operation succeeded but ${metadataObject} is not in the bucket`,
      },
      verification: { checkedAt: at, metadataObject, present: false },
    },
    alerts: fresh(run, ["export_unverified"]),
    verify: false,
    cancel: false,
  };
}

/**
 * A run claimed but without an operation, for which the API knows no operation writing to its
 * prefix. Inside the start window it is still starting. Past it, while a delivery still holds the
 * lease (retrying, or waiting for room in the export quota), the slot has no export yet: that is
 * alerted once and the run stays open, since it may still start. With the lease lapsed it never
 * started.
 */
export function judgeUnstarted(run: RunRecord, now: Date, windows: Windows): Verdict | undefined {
  const age = now.getTime() - new Date(run.createdAt).getTime();
  if (age <= windows.startMs) return undefined;
  if (leaseHeld(run, now)) {
    const alerts = fresh(run, ["export_not_started"]);
    return alerts.length > 0 ? { patch: {}, alerts, verify: false, cancel: false } : undefined;
  }
  const previous = run.error ? ` (last error: ${run.error.status}: ${run.error.message})` : "";
  return {
    patch: {
      state: "FAILED",
      endedAt: now.toISOString(),
      restorable: false,
      error: {
        status: "NOT_STARTED",
        message: `no export operation was started within the start window${previous}`,
        // The last attempt's remedy (the export quota, a permission) is the alert's next step.
        ...(run.error?.hint && { hint: run.error.hint }),
      },
    },
    alerts: fresh(run, ["export_not_started"]),
    verify: false,
    cancel: false,
  };
}

/** The object whose presence proves the export completed: PREFIX/NAME.overall_export_metadata. */
export function metadataObjectOf(outputUriPrefix: string): { bucket: string; name: string } | undefined {
  const match = /^gs:\/\/([^/]+)\/(.+?)\/*$/.exec(outputUriPrefix);
  if (!match) return undefined;
  const [, bucket = "", path = ""] = match;
  return { bucket, name: `${path}/${path.split("/").pop()}.overall_export_metadata` };
}
