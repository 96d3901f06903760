import type { AdminApi } from "./admin-client.js";
import type { Config } from "./config.js";
import { ApiError } from "./errors.js";
import type { RunLedger } from "./ledger.js";
import type { Logger } from "./log.js";
import { type OperationView, samePrefix } from "./operation.js";
import { ExportPacer } from "./quota.js";
import { withRetry } from "./retry.js";
import { type DeliveryMeta, isStartable, planRuns, type RunError, type RunRecord } from "./run.js";
import { chooseSnapshotTime, snapshotUsable } from "./schedule.js";
import { parseRfc3339, parseTriggerMessage, type TriggerRequest } from "./trigger-message.js";

/** What the exporter needs from the outside world; index.ts builds the real ones. */
export interface ExporterDeps {
  config: Config;
  admin: AdminApi;
  ledger: RunLedger;
  log: Logger;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** The runtime identity, for permission errors. */
  identity: () => Promise<string>;
}

/** `deferred`: queued behind the project's export quota; a redelivery of the same message starts it. */
export type RunOutcomeKind = "started" | "adopted" | "duplicate" | "failed" | "retry" | "deferred";

export interface RunOutcome {
  runKey: string;
  database: string;
  outputUriPrefix: string;
  outcome: RunOutcomeKind;
  operationName?: string;
  error?: RunError;
}

export interface TriggerResult {
  /** Set when the message was refused before anything was exported. */
  rejected?: string[];
  runs: RunOutcome[];
  /** True when a run hit a retryable error or was deferred: the delivery must fail so Pub/Sub redelivers. */
  redeliver: boolean;
}

/** Thrown inside the retry loop when an earlier attempt turns out to have started the export. */
class FoundOwner extends Error {
  constructor(readonly operation: OperationView) {
    super("export already started");
  }
}

/** Thrown when the quota leaves no room for this run before the delivery's time budget ends. */
class NoRoom extends Error {
  constructor() {
    super("no room in the export quota before the time budget ends");
  }
}

/** One delivery's fan-out state: a pacer per project (quotas are per project) and its deadline. */
interface FanOut {
  deadline: number;
  pacers: Map<string, ExportPacer>;
  delivery: DeliveryMeta;
  /** The last 429 each run met in this delivery, recorded on the run if it has to wait longer. */
  refusals: Map<string, ApiError>;
}

function quotaError(error: ApiError): RunError {
  return { code: 429, status: error.status, message: error.message, hint: QUOTA_HINT };
}

const QUOTA_HINT =
  "The project's export quota (20 export and import requests a minute, 50 running) has had no room for this export: other exports or imports in the project may hold it (gcloud firestore operations list). The exporter keeps trying on each redelivery; lower EXPORT_REQUESTS_PER_MINUTE or EXPORT_MAX_CONCURRENT to what the other users leave, or raise START_WINDOW for a large fan-out.";

function pacerFor(fanOut: FanOut, run: RunRecord, deps: ExporterDeps): ExportPacer {
  const project = run.database.split("/")[1] ?? "";
  let pacer = fanOut.pacers.get(project);
  if (!pacer) {
    pacer = new ExportPacer(
      deps.config.fanout,
      deps,
      async (name) => (await deps.admin.getOperation(name)).done,
    );
    fanOut.pacers.set(project, pacer);
  }
  return pacer;
}

/**
 * Handles one trigger delivery: validate, plan, then for each run claim → export → record.
 * It never waits for an export to finish; the checker follows it.
 */
export async function handleTrigger(
  body: string,
  delivery: DeliveryMeta,
  deps: ExporterDeps,
): Promise<TriggerResult> {
  const { config, log } = deps;
  const parsed = parseTriggerMessage(body, config, deps.now());
  const request = "problems" in parsed ? parsed : checkAttributes(parsed, delivery, deps.now());
  if ("problems" in request) {
    log({
      severity: "WARNING",
      event: "trigger.rejected",
      message: `Trigger message ${delivery.messageId} rejected, nothing exported: ${request.problems.join("; ")}`,
      messageId: delivery.messageId,
      problems: request.problems,
      body: body.slice(0, 2000),
    });
    await recordRejection(body, delivery, request.problems, deps);
    return { rejected: request.problems, runs: [], redeliver: false };
  }
  const fanOut: FanOut = {
    deadline: deps.now().getTime() + config.fanout.budgetMs,
    pacers: new Map(),
    delivery,
    refusals: new Map(),
  };
  const runs: RunOutcome[] = [];
  // Every run is claimed first, its lease held for the whole delivery: a run queued behind the
  // quota reads as "starting" to the checker, not as a slot nobody started.
  const ready: RunRecord[] = [];
  for (const plan of planRuns(request, delivery, config, deps.now())) {
    const acquired = await acquire(plan, fanOut, deps);
    if ("outcome" in acquired) runs.push(acquired);
    else ready.push(acquired.run);
  }
  for (const run of ready) runs.push(await startRun(run, fanOut, deps));
  const deferred = runs.filter((r) => r.outcome === "deferred");
  if (deferred.length > 0) {
    log({
      severity: "INFO",
      event: "export.deferred",
      message: `${deferred.length} of ${runs.length} runs wait for room in the export quota; a redelivery of message ${delivery.messageId} starts them`,
      messageId: delivery.messageId,
      deferred: deferred.length,
      started: runs.filter((r) => r.outcome === "started").length,
    });
  }
  return { runs, redeliver: runs.some((r) => r.outcome === "retry" || r.outcome === "deferred") };
}

/**
 * The `scheduledTime` attribute names the slot of a scheduled trigger (for re-running a given
 * night); it must be a real time that is not in the future, on a scheduled (empty) message.
 */
function checkAttributes(
  request: TriggerRequest,
  delivery: DeliveryMeta,
  now: Date,
): TriggerRequest | { problems: string[] } {
  const given = delivery.attributes.scheduledTime;
  if (given === undefined) return request;
  const at = parseRfc3339(given);
  if (request.kind !== "scheduled")
    return { problems: ["the scheduledTime attribute goes only with an empty (scheduled) message"] };
  if (!at)
    return {
      problems: [
        `attribute scheduledTime ${JSON.stringify(given)} is not an RFC 3339 time such as 2026-12-03T02:00:00Z`,
      ],
    };
  if (at.getTime() > now.getTime() + 60_000)
    return { problems: [`attribute scheduledTime ${given} is in the future`] };
  return request;
}

/** Long enough for the whole delivery, and for Pub/Sub to redeliver it (at most 600 s later). */
function leaseMs(config: Config): number {
  const { maxAttempts, requestTimeoutMs } = config.retry;
  return Math.max(maxAttempts * (requestTimeoutMs + 32_000), config.fanout.budgetMs) + REDELIVERY_SLACK_MS;
}

const REDELIVERY_SLACK_MS = 11 * 60_000;

/**
 * Claims a run, or takes the lease of one an earlier delivery left startable. Resolves to the run
 * to start, or to the outcome when there is nothing to start.
 */
async function acquire(
  plan: RunRecord,
  fanOut: FanOut,
  deps: ExporterDeps,
): Promise<{ run: RunRecord } | RunOutcome> {
  const { ledger, log } = deps;
  const ids = idsOf(plan);
  let leased = false;
  try {
    const run: RunRecord = {
      ...plan,
      leaseUntil: new Date(deps.now().getTime() + leaseMs(deps.config)).toISOString(),
    };
    const existing = await ledger.claim(run);
    if (!existing) return { run };
    const taken = isStartable(existing)
      ? await ledger.takeLease(plan.runKey, deps.now(), leaseMs(deps.config), fanOut.delivery.messageId)
      : undefined;
    if (!taken) {
      // An export of an earlier delivery counts against the concurrent-operations quota.
      if (existing.operationName && existing.open)
        pacerFor(fanOut, existing, deps).noteRunning(existing.operationName);
      log({
        severity: "INFO",
        event: "export.duplicate",
        message: `Run ${plan.runKey} already ${existing.operationName ? `has operation ${existing.operationName}` : `is ${existing.state}`}; this delivery does nothing`,
        ...ids,
        state: existing.state,
        operationName: existing.operationName,
      });
      return {
        ...ids,
        outputUriPrefix: existing.outputUriPrefix,
        outcome: "duplicate",
        ...(existing.operationName && { operationName: existing.operationName }),
      };
    }
    leased = true;
    // A run parked behind the quota was never requested; any other may have been started by an
    // earlier delivery that died before recording it.
    if (existing.parkedFor === fanOut.delivery.messageId) return { run: taken };
    const owner = await findOwner(taken, deps);
    if (owner) return await adopt(taken, owner, deps, "an earlier delivery started it");
    return { run: taken };
  } catch (error) {
    return await retryLater(plan, error, leased, deps);
  }
}

async function startRun(run: RunRecord, fanOut: FanOut, deps: ExporterDeps): Promise<RunOutcome> {
  try {
    if (!(await pacerFor(fanOut, run, deps).waitForRoom(fanOut.deadline)))
      return await defer(run, fanOut, deps);
    return await callExport(run, fanOut, deps);
  } catch (error) {
    if (error instanceof NoRoom) return await defer(run, fanOut, deps);
    return await retryLater(run, error, true, deps);
  }
}

/** Keeps the run's lease for the redelivery of the same message, which starts it. */
async function defer(run: RunRecord, fanOut: FanOut, deps: ExporterDeps): Promise<RunOutcome> {
  const now = deps.now();
  const refused = fanOut.refusals.get(run.runKey);
  await deps.ledger.update(run.runKey, {
    leaseUntil: new Date(now.getTime() + REDELIVERY_SLACK_MS).toISOString(),
    parkedFor: fanOut.delivery.messageId,
    updatedAt: now.toISOString(),
    // What `status` shows and an export_not_started alert says while the quota keeps it waiting.
    ...(refused && { error: quotaError(refused) }),
  });
  return { ...idsOf(run), outcome: "deferred" };
}

async function retryLater(
  run: RunRecord,
  error: unknown,
  leased: boolean,
  deps: ExporterDeps,
): Promise<RunOutcome> {
  // Hand the lease back so the redelivery asked for below can take over (and adopt an export this
  // delivery may have started) instead of finding the lease held and acknowledging as a duplicate.
  if (leased)
    await deps.ledger
      .update(run.runKey, { leaseUntil: null, updatedAt: deps.now().toISOString() })
      .catch(() => undefined);
  deps.log({
    severity: "ERROR",
    event: "export.error",
    message: `Run ${run.runKey} could not be started and will be retried on redelivery: ${errorText(error)}`,
    ...idsOf(run),
  });
  return {
    ...idsOf(run),
    outcome: "retry",
    error: { status: error instanceof ApiError ? error.status : "UNKNOWN", message: errorText(error) },
  };
}

/**
 * One exportDocuments request inside the quota: a 429 is waited out (it is the quota, not a
 * failure) for as long as the delivery's budget allows, and does not use up a retry attempt.
 */
async function requestExport(run: RunRecord, fanOut: FanOut, deps: ExporterDeps): Promise<OperationView> {
  const pacer = pacerFor(fanOut, run, deps);
  for (;;) {
    moveStaleSnapshot(run, deps);
    pacer.noteRequest();
    try {
      const operation = await deps.admin.exportDocuments(run.database, run.request);
      pacer.noteStarted(operation.name);
      return operation;
    } catch (error) {
      if (!(error instanceof ApiError) || error.httpStatus !== 429) throw error;
      pacer.noteRefused();
      if (!fanOut.refusals.has(run.runKey)) {
        // Recorded at once: a start window shorter than the budget must still name the quota.
        await deps.ledger.update(run.runKey, {
          error: quotaError(error),
          updatedAt: deps.now().toISOString(),
        });
      }
      fanOut.refusals.set(run.runKey, error);
      deps.log({
        severity: "INFO",
        event: "export.quota_wait",
        message: `exportDocuments for ${run.database} answered 429 (${error.message}); waiting for room in the quota`,
        ...idsOf(run),
        knownRunning: pacer.knownRunning,
      });
      if (!(await pacer.waitForRoom(fanOut.deadline))) throw new NoRoom();
    }
  }
}

/**
 * A run that waited (behind the quota, through redeliveries) past the age a database keeps old
 * versions for would send a snapshot time the API refuses: it is moved to the newest whole minute
 * and the ledger records what was sent. A snapshot time a person named is never moved.
 */
function moveStaleSnapshot(run: RunRecord, deps: ExporterDeps): void {
  const sent = run.request.snapshotTime;
  if (!sent || run.explicitSnapshot) return;
  const now = deps.now();
  if (snapshotUsable(new Date(sent), now)) return;
  const moved = chooseSnapshotTime(new Date(sent), now).toISOString().replace(".000Z", "Z");
  run.request = { ...run.request, snapshotTime: moved };
  deps.log({
    severity: "NOTICE",
    event: "export.snapshot_moved",
    message: `Run ${run.runKey} waited past the version retention of ${run.database}: its export reads the database at ${moved} instead of ${sent}`,
    ...idsOf(run),
    from: sent,
    to: moved,
  });
}

async function callExport(run: RunRecord, fanOut: FanOut, deps: ExporterDeps): Promise<RunOutcome> {
  const { ledger, log, config } = deps;
  const ids = idsOf(run);
  let operation: OperationView;
  try {
    operation = await withRetry(() => requestExport(run, fanOut, deps), config.retry, {
      sleep: deps.sleep,
      random: deps.random,
      beforeRetry: async (error, attempt, delayMs) => {
        log({
          severity: "WARNING",
          event: "export.retrying",
          message: `exportDocuments for ${run.database} answered ${error.status}; attempt ${attempt + 1} of ${config.retry.maxAttempts} in ${delayMs} ms`,
          ...ids,
          status: error.status,
          httpStatus: error.httpStatus,
          error: error.message,
        });
        // After a timeout or 5xx the first call may still have started the export: never start a second one.
        if (error.ambiguous) {
          const owner = await findOwner(run, deps);
          if (owner) throw new FoundOwner(owner);
        }
      },
    });
  } catch (error) {
    if (error instanceof FoundOwner)
      return adopt(run, error.operation, deps, "an earlier attempt of this delivery started it");
    if (!(error instanceof ApiError)) throw error;
    if (error.pathAlreadyExists) {
      const owner = await findOwner(run, deps);
      if (owner) return adopt(run, owner, deps, "the API answered Path already exists");
    }
    if (error.retryable) {
      await ledger.update(run.runKey, {
        leaseUntil: null,
        updatedAt: deps.now().toISOString(),
        error: {
          code: error.httpStatus,
          status: error.status,
          message: error.message,
          hint: "retryable: Pub/Sub redelivers the trigger",
        },
      });
      log({
        severity: "ERROR",
        event: "export.retry_exhausted",
        message: `exportDocuments for ${run.database} still failed after ${config.retry.maxAttempts} attempts (${error.status}: ${error.message}); the trigger will be redelivered`,
        ...ids,
        status: error.status,
        error: error.message,
      });
      return { ...idsOf(run), outcome: "retry", error: { status: error.status, message: error.message } };
    }
    const runError: RunError = {
      code: error.httpStatus,
      status: error.status,
      message: error.message,
      hint: await hintFor(error, run, deps),
    };
    const now = deps.now().toISOString();
    await ledger.update(run.runKey, {
      state: "FAILED",
      error: runError,
      leaseUntil: null,
      updatedAt: now,
      endedAt: now,
    });
    log({
      severity: "ERROR",
      event: "export.failed",
      message:
        `exportDocuments for ${run.database} failed for good: ${runError.status}: ${runError.message}. ${runError.hint ?? ""}`.trim(),
      ...ids,
      status: runError.status,
      error: runError.message,
      hint: runError.hint,
    });
    return { ...idsOf(run), outcome: "failed", error: runError };
  }
  await recordOperation(run, operation, deps);
  log({
    severity: "INFO",
    event: "export.started",
    message: `Export of ${run.database} started: ${operation.name} → ${run.outputUriPrefix}`,
    ...ids,
    operationName: operation.name,
    snapshotTime: run.request.snapshotTime,
    collectionIds: run.request.collectionIds,
  });
  return { ...idsOf(run), outcome: "started", operationName: operation.name };
}

async function adopt(
  run: RunRecord,
  operation: OperationView,
  deps: ExporterDeps,
  why: string,
): Promise<RunOutcome> {
  await recordOperation(run, operation, deps);
  deps.log({
    severity: "NOTICE",
    event: "export.adopted",
    message: `Run ${run.runKey} adopted operation ${operation.name} for ${run.outputUriPrefix} (${why}); no second export was started`,
    runKey: run.runKey,
    database: run.database,
    outputUriPrefix: run.outputUriPrefix,
    operationName: operation.name,
  });
  return { ...idsOf(run), outcome: "adopted", operationName: operation.name };
}

async function recordOperation(run: RunRecord, operation: OperationView, deps: ExporterDeps): Promise<void> {
  const now = deps.now().toISOString();
  await deps.ledger.update(run.runKey, {
    // What was sent: the snapshot time may have moved since the claim.
    request: run.request,
    state: "RUNNING",
    operationName: operation.name,
    operationState: operation.operationState,
    startedAt: operation.startTime ?? now,
    leaseUntil: null,
    parkedFor: null,
    error: null,
    updatedAt: now,
  });
}

/** The operation that writes to this run's prefix, if the API knows one (running, failed or done). */
async function findOwner(run: RunRecord, deps: ExporterDeps): Promise<OperationView | undefined> {
  for (const filter of [undefined, "done=true"]) {
    const operations = await deps.admin.listOperations(run.database, filter);
    const owner = operations.find((op) => samePrefix(op.outputUriPrefix, run.outputUriPrefix));
    if (owner) return owner;
  }
  return undefined;
}

/** One line telling the operator what to do about a final error (F1, F8). */
async function hintFor(error: ApiError, run: RunRecord, deps: ExporterDeps): Promise<string> {
  switch (error.status) {
    case "PERMISSION_DENIED":
      return `The caller ${await deps.identity()} lacks the permission datastore.databases.export on ${run.database}: grant it the exporter role (a custom role with datastore.databases.export, or roles/datastore.importExportAdmin). Not retried.`;
    case "UNAUTHENTICATED":
      return "The request carried no valid credentials: check the function's service account or Application Default Credentials.";
    case "NOT_FOUND":
      return `The database ${run.database} was not found: check EXPORT_TARGETS and that the Firestore API is enabled in that project.`;
    case "FAILED_PRECONDITION":
      return "The database refused the export in its current state (for example a snapshot time older than its version retention, or a bucket in an incompatible location): read the message above.";
    case "INVALID_ARGUMENT":
      if (/snapshot/i.test(error.message)) {
        return run.explicitSnapshot
          ? "The snapshot time asked for is outside what the database keeps (one hour of versions, or 7 days with point-in-time recovery): trigger again with a newer snapshotTime, or none."
          : "The snapshot time was refused: check that the database still keeps versions for the last hour, then trigger a manual export.";
      }
      if (error.pathAlreadyExists) {
        return `${run.outputUriPrefix} already holds a finished export that no known operation owns (older than 30 days, or written by another tool); nothing was overwritten. Check that EXPORT_PREFIX_TEMPLATE keeps {stamp}.`;
      }
      return "The API refused the request: check the target's bucket, collection ids and namespace ids in EXPORT_TARGETS.";
    default:
      return "Read the message above; the run will not be retried.";
  }
}

async function recordRejection(
  body: string,
  delivery: DeliveryMeta,
  problems: string[],
  deps: ExporterDeps,
): Promise<void> {
  const now = deps.now().toISOString();
  try {
    await deps.ledger.claim({
      runKey: `rejected:${delivery.messageId}`,
      database: "",
      trigger: {
        kind: "manual",
        messageId: delivery.messageId,
        publishTime: delivery.publishTime.toISOString(),
      },
      outputUriPrefix: "",
      apiVersion: deps.config.apiVersion,
      request: { outputUriPrefix: "" },
      state: "REJECTED",
      createdAt: now,
      updatedAt: now,
      endedAt: now,
      attempts: 1,
      open: false,
      error: {
        status: "INVALID_ARGUMENT",
        message: problems.join("; "),
        hint: `message body: ${body.slice(0, 500)}`,
      },
      alerts: {},
    });
  } catch (error) {
    // The rejection is already in the log; a ledger outage must not make Pub/Sub redeliver a bad message forever.
    deps.log({
      severity: "ERROR",
      event: "ledger.error",
      message: `Could not record rejected message ${delivery.messageId}: ${errorText(error)}`,
      messageId: delivery.messageId,
    });
  }
}

/** The identifiers every log line and outcome of a run carries. */
function idsOf(run: RunRecord) {
  return { runKey: run.runKey, database: run.database, outputUriPrefix: run.outputUriPrefix };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
