import type { AdminApiVersion, Config, Target } from "./config.js";
import { buildOutputPrefix } from "./prefix.js";
import { chooseSnapshotTime, scheduledSlot } from "./schedule.js";
import type { TriggerRequest } from "./trigger-message.js";

/** Life cycle of one run in the ledger (DESIGN 3.4). */
export type RunState = "CLAIMED" | "RUNNING" | "SUCCESSFUL" | "FAILED" | "CANCELLED" | "LOST" | "REJECTED";

export const FINAL_STATES: readonly RunState[] = ["SUCCESSFUL", "FAILED", "CANCELLED", "LOST", "REJECTED"];

/** The body sent to `exportDocuments`. */
export interface ExportRequestBody {
  outputUriPrefix: string;
  collectionIds?: string[];
  namespaceIds?: string[];
  snapshotTime?: string;
}

/** An error as the ledger keeps it: the API's words verbatim plus what to do about it. */
export interface RunError {
  code?: number;
  status: string;
  message: string;
  hint?: string;
}

/** How the run came to be. */
export interface RunTrigger {
  kind: "scheduled" | "manual";
  messageId: string;
  publishTime: string;
  /** The scheduled slot (scheduled runs). */
  slot?: string;
  label?: string;
  reason?: string;
}

/** One document of the ledger: one export of one database. */
export interface RunRecord {
  runKey: string;
  database: string;
  trigger: RunTrigger;
  outputUriPrefix: string;
  apiVersion: AdminApiVersion;
  request: ExportRequestBody;
  /** A person named the snapshot time: it is sent as given, never moved. */
  explicitSnapshot?: boolean;
  state: RunState;
  operationName?: string;
  operationState?: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  endedAt?: string;
  /** How many deliveries tried to start this run. */
  attempts: number;
  /** While set and in the future, one delivery is starting the export and others keep off. */
  leaseUntil?: string | null;
  /**
   * Set when a delivery deferred the run behind the export quota: the message whose redelivery may
   * take the lease at once. An active lease has none, so a concurrent duplicate delivery keeps off.
   */
  parkedFor?: string | null;
  progress?: { documents?: number; bytes?: number; estimatedDocuments?: number; estimatedBytes?: number };
  error?: RunError | null;
  /** Alert kind → when it was raised; each kind is raised at most once per run. */
  alerts: Record<string, string>;
  /** True while the checker still has work on this run (not final, or final but not yet alerted). */
  open: boolean;
  /** True only for a SUCCESSFUL run whose files were verified: the only runs offered for restore. */
  restorable?: boolean;
  verification?: { checkedAt: string; metadataObject: string; present: boolean; sizeBytes?: number };
}

/** Facts about the Pub/Sub delivery that carried the trigger. */
export interface DeliveryMeta {
  messageId: string;
  publishTime: Date;
  attributes: Record<string, string>;
}

/**
 * The runs a trigger asks for, one per target, each with its deterministic key and prefix.
 * Pure: the same trigger and delivery always plan the same runs, whatever `now` is, except for
 * the snapshot time, which the ledger keeps from the first delivery.
 */
export function planRuns(
  request: TriggerRequest,
  delivery: DeliveryMeta,
  config: Config,
  now: Date,
): RunRecord[] {
  const created = now.toISOString();
  if (request.kind === "scheduled") {
    const at = scheduledTimeOf(delivery);
    const slot = scheduledSlot(config.schedule, config.scheduleTimeZone, at);
    return config.targets.map((target) =>
      newRun({
        config,
        target,
        created,
        runKey: `schedule:${target.database.project}:${target.database.databaseId}:${slot.toISOString()}`,
        trigger: {
          kind: "scheduled",
          messageId: delivery.messageId,
          publishTime: delivery.publishTime.toISOString(),
          slot: slot.toISOString(),
        },
        outputUriPrefix: buildOutputPrefix({
          target,
          template: config.prefixTemplate,
          timeZone: config.prefixTimeZone,
          time: slot,
        }),
        collectionIds: target.collectionIds,
        namespaceIds: target.namespaceIds,
        snapshotTime: chooseSnapshotTime(slot, now),
      }),
    );
  }
  const targets = config.targets.filter((t) => request.databases.includes(t.database.name));
  return targets.map((target) =>
    newRun({
      config,
      target,
      created,
      runKey: `manual:${delivery.messageId}:${target.database.project}:${target.database.databaseId}`,
      trigger: {
        kind: "manual",
        messageId: delivery.messageId,
        publishTime: delivery.publishTime.toISOString(),
        ...(request.label !== undefined && { label: request.label }),
        ...(request.reason !== undefined && { reason: request.reason }),
      },
      outputUriPrefix: buildOutputPrefix({
        target,
        template: config.prefixTemplate,
        timeZone: config.prefixTimeZone,
        time: delivery.publishTime,
        manual: {
          messageId: delivery.messageId,
          ...(request.label !== undefined && { label: request.label }),
        },
        ...(request.outputBase && { explicitBase: request.outputBase }),
      }),
      collectionIds: request.collectionIds ?? target.collectionIds,
      namespaceIds: request.namespaceIds ?? target.namespaceIds,
      snapshotTime: request.snapshotTime ?? chooseSnapshotTime(delivery.publishTime, now),
      // A person who names a point in time gets it, whatever the default for scheduled runs is.
      explicitSnapshot: request.snapshotTime !== undefined,
    }),
  );
}

/** Scheduler's Pub/Sub target cannot stamp the fire time, so the publish time stands for it unless an attribute gives it. */
function scheduledTimeOf(delivery: DeliveryMeta): Date {
  const given = delivery.attributes.scheduledTime;
  if (given !== undefined) {
    const at = new Date(given);
    if (!Number.isNaN(at.getTime())) return at;
  }
  return delivery.publishTime;
}

function newRun(p: {
  config: Config;
  target: Target;
  created: string;
  runKey: string;
  trigger: RunTrigger;
  outputUriPrefix: string;
  collectionIds: string[];
  namespaceIds: string[];
  snapshotTime: Date;
  explicitSnapshot?: boolean;
}): RunRecord {
  const v1 = p.config.apiVersion === "v1";
  const request: ExportRequestBody = { outputUriPrefix: p.outputUriPrefix };
  if (p.collectionIds.length > 0) request.collectionIds = p.collectionIds;
  if (v1 && p.namespaceIds.length > 0) request.namespaceIds = p.namespaceIds;
  if (v1 && (p.config.consistent || p.explicitSnapshot))
    request.snapshotTime = p.snapshotTime.toISOString().replace(".000Z", "Z");
  return {
    runKey: p.runKey,
    database: p.target.database.name,
    trigger: p.trigger,
    outputUriPrefix: p.outputUriPrefix,
    apiVersion: p.config.apiVersion,
    request,
    ...(p.explicitSnapshot && { explicitSnapshot: true }),
    state: "CLAIMED",
    createdAt: p.created,
    updatedAt: p.created,
    attempts: 1,
    alerts: {},
    open: true,
  };
}

/**
 * A run a delivery may (still) start: claimed or failed without ever getting an operation. No
 * export exists for it, so starting one now still makes at most one export per slot; this is how
 * a late trigger, or a re-run after fixing a permission, gets the slot's export.
 */
export function isStartable(run: RunRecord): boolean {
  if (run.operationName) return false;
  return run.state === "CLAIMED" || run.state === "FAILED";
}

/** A delivery holds the run's start lease: others keep off, and the checker reads it as starting. */
export function leaseHeld(run: RunRecord, now: Date): boolean {
  return run.leaseUntil ? new Date(run.leaseUntil).getTime() > now.getTime() : false;
}

/**
 * The run as a delivery takes its start lease, counting the attempt; undefined when it may not: the
 * run has an operation or moved on, or another delivery holds the lease. A lease parked for
 * `messageId` (this delivery redelivers it) is taken at once.
 */
export function leaseTaken(
  run: RunRecord | undefined,
  now: Date,
  leaseMs: number,
  messageId?: string,
): RunRecord | undefined {
  if (!run || !isStartable(run)) return undefined;
  const parkedForThis = messageId !== undefined && run.parkedFor === messageId;
  if (!parkedForThis && leaseHeld(run, now)) return undefined;
  return {
    ...run,
    state: "CLAIMED",
    open: true,
    attempts: (run.attempts ?? 1) + 1,
    leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
    parkedFor: null,
    updatedAt: now.toISOString(),
  };
}

/**
 * The checker has given its verdict on a run: it closed it, or it raised export_stuck for an
 * export it will leave running. With STUCK_ACTION=cancel a stuck export is about to be cancelled,
 * so only its close counts.
 */
export function hasVerdict(run: RunRecord, stuckAction: "alert" | "cancel" = "alert"): boolean {
  return !run.open || (stuckAction === "alert" && Boolean(run.alerts?.export_stuck));
}
