import type { RunRecord } from "./run.js";

/** The stable alert kinds (DESIGN 3.5); log-based metrics and runbooks key on these names. */
export type AlertKind =
  | "export_failed"
  | "export_cancelled"
  | "export_stuck"
  | "export_not_started"
  | "export_unverified"
  | "export_lost"
  | "backup_stale";

/** Delivery state of one channel for one alert. */
export interface Delivery {
  attempts: number;
  deliveredAt?: string;
  lastError?: string;
}

/** One alert, stored in the ledger so it is raised once and delivered until every channel took it. */
export interface Alert {
  id: string;
  kind: AlertKind;
  severity: "ERROR" | "CRITICAL";
  database: string;
  runKey?: string;
  outputUriPrefix?: string;
  operationName?: string;
  /** The API's error, verbatim. */
  error?: string;
  summary: string;
  nextStep: string;
  raisedAt: string;
  /** Channel name (webhook, topic) → delivery state. The log is written at raise time and needs none. */
  deliveries: Record<string, Delivery>;
  /** True while a channel has not taken the alert. */
  pending: boolean;
}

const NEXT_STEPS: Record<AlertKind, string> = {
  export_failed:
    "Read the error; if it names the service agent or storage.objects.create, grant the Firestore service agent write access to the bucket, then trigger a manual export.",
  export_cancelled:
    "Someone or something cancelled the export; its files are partial and must not be restored. Trigger a manual export if tonight's backup is needed.",
  export_stuck:
    "The export has outlived its completion window: check the operation in the console (gcloud firestore operations describe) and cancel it if it makes no progress.",
  export_not_started:
    "No export started for this slot: check the scheduler job and the exportFirestore logs, fix the cause, then trigger a manual export.",
  export_unverified:
    "The operation reported success but the export metadata is not in the bucket: check the bucket's lifecycle and retention rules and who can delete objects, then export again.",
  export_lost:
    "The Admin API no longer knows this operation (they expire about 30 days after finishing); verify the files in the bucket by hand before relying on them.",
  backup_stale:
    "No verified export is recent enough: check that the scheduler job exists and is enabled, and look for export_* alerts; trigger a manual export now.",
};

/** Builds an alert about a run; pure. */
export function runAlert(
  kind: AlertKind,
  run: RunRecord,
  now: Date,
  channels: string[],
  extra: { detail?: string; nextStep?: string } = {},
): Alert {
  const error = run.error ? `${run.error.status}: ${run.error.message}` : undefined;
  const what: Record<AlertKind, string> = {
    export_failed: "failed",
    export_cancelled: "was cancelled",
    export_stuck: "is not done within its completion window",
    export_not_started: "did not start",
    export_unverified: "finished but could not be verified",
    export_lost: "is unknown to the Admin API",
    backup_stale: "is stale",
  };
  return {
    id: `${kind}:${run.runKey}`,
    kind,
    severity: kind === "export_lost" || kind === "export_not_started" ? "CRITICAL" : "ERROR",
    database: run.database,
    runKey: run.runKey,
    outputUriPrefix: run.outputUriPrefix,
    ...(run.operationName && { operationName: run.operationName }),
    ...(error && { error }),
    summary: `Export of ${run.database} to ${run.outputUriPrefix} ${what[kind]}${extra.detail ? ` (${extra.detail})` : ""}${error ? `: ${error}` : ""}`,
    // A start call that failed for good carries its own remedy (missing permission, taken folder).
    nextStep:
      extra.nextStep ??
      (kind === "export_not_started" && run.error?.hint ? run.error.hint : NEXT_STEPS[kind]),
    raisedAt: now.toISOString(),
    deliveries: Object.fromEntries(channels.map((c) => [c, { attempts: 0 }])),
    pending: channels.length > 0,
  };
}

/** The dead man's switch: no verified export newer than the window. Raised once per stale period. */
export function staleAlert(
  database: string,
  newestVerified: string | undefined,
  since: string,
  now: Date,
  channels: string[],
): Alert {
  const age = newestVerified
    ? `the newest verified export is from ${newestVerified}`
    : `no verified export since monitoring began at ${since}`;
  return {
    id: `backup_stale:${database.replace(/^projects\//, "").replace(/\/databases\//, ":")}:${newestVerified ?? since}`,
    kind: "backup_stale",
    severity: "CRITICAL",
    database,
    summary: `Backups of ${database} are stale: ${age}`,
    nextStep: NEXT_STEPS.backup_stale,
    raisedAt: now.toISOString(),
    deliveries: Object.fromEntries(channels.map((c) => [c, { attempts: 0 }])),
    pending: channels.length > 0,
  };
}

/** The body a webhook receives, in the shape its service expects. */
export function webhookBody(alert: Alert, format: "json" | "slack" | "googlechat"): unknown {
  if (format === "json") {
    const { deliveries: _deliveries, pending: _pending, ...body } = alert;
    return body;
  }
  const lines = [
    `*${alert.kind}* — ${alert.summary}`,
    ...(alert.operationName ? [`operation: ${alert.operationName}`] : []),
    `next step: ${alert.nextStep}`,
  ];
  return { text: lines.join("\n") };
}
