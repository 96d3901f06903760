import type { AdminApi } from "./admin-client.js";
import type { AlertChannel } from "./alert-channels.js";
import { type Alert, type AlertKind, runAlert, staleAlert } from "./alerts.js";
import type { Config, Target } from "./config.js";
import { ApiError } from "./errors.js";
import type { Ledger, TargetStatus } from "./ledger.js";
import type { Logger } from "./log.js";
import { type OperationView, samePrefix } from "./operation.js";
import { FINAL_STATES, leaseHeld, planRuns, type RunRecord } from "./run.js";
import { slotsBetween } from "./schedule.js";
import type { StorageApi } from "./storage-client.js";
import {
  judgeOperation,
  judgeUnstarted,
  judgeVerification,
  metadataObjectOf,
  type Verdict,
} from "./verdict.js";
import { formatDuration, type Windows } from "./windows.js";

/** What the checker needs; index.ts builds the real ones. */
export interface CheckerDeps {
  config: Config;
  admin: AdminApi;
  storage: StorageApi;
  ledger: Ledger;
  channels: AlertChannel[];
  log: Logger;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
}

/** What one tick did; logged as `check.tick` so API cost per tick is visible. */
export interface TickReport {
  runsChecked: number;
  apiCalls: { get: number; list: number; storage: number; cancel: number };
  alertsRaised: string[];
  deliveriesFailed: number;
  errors: number;
  ms: number;
  /** True when another tick held the lock and this one did nothing. */
  skipped?: boolean;
}

/** Longer than any tick can last (the function's timeout), so a crashed tick's lock lapses. */
const TICK_LOCK_MS = 9 * 60_000;
/** Runs past this count in one database are read with one list instead of one get each. */
const LIST_THRESHOLD = 2;
/** Slots looked back over for "never started"; bounded so a tiny cron cannot make a tick huge. */
const MAX_SLOTS = 50;

/**
 * One check: follow every open run, raise the alerts that need no operation (missed slots,
 * stale backups), then deliver every alert still pending. Each run and target is handled on its
 * own: one failure is logged and never hides the others.
 */
export async function checkTick(deps: CheckerDeps): Promise<TickReport> {
  const started = Date.now();
  const now = deps.now();
  const report: TickReport = {
    runsChecked: 0,
    apiCalls: { get: 0, list: 0, storage: 0, cancel: 0 },
    alertsRaised: [],
    deliveriesFailed: 0,
    errors: 0,
    ms: 0,
  };
  const ctx = { deps, now, report };
  const holder = `${now.toISOString()}-${Math.random().toString(36).slice(2, 10)}`;
  if (!(await deps.ledger.acquireTickLock(holder, now, TICK_LOCK_MS))) {
    report.skipped = true;
    deps.log({
      severity: "INFO",
      event: "check.skipped",
      message: "Another check is still running; this tick does nothing (the next one picks up)",
    });
    return report;
  }
  try {
    await runTick(ctx);
  } finally {
    await deps.ledger.releaseTickLock(holder).catch(() => undefined);
  }
  report.ms = Date.now() - started;
  deps.log({
    severity: report.errors > 0 ? "WARNING" : "INFO",
    event: "check.tick",
    message: `Checked ${report.runsChecked} open run(s) with ${report.apiCalls.get} get, ${report.apiCalls.list} list and ${report.apiCalls.storage} storage call(s); ${report.alertsRaised.length} alert(s) raised`,
    ...report,
  });
  return report;
}

async function runTick(ctx: Ctx): Promise<void> {
  const { deps, report } = ctx;
  const open = await deps.ledger.listOpen();
  const byDatabase = new Map<string, RunRecord[]>();
  for (const run of open) byDatabase.set(run.database, [...(byDatabase.get(run.database) ?? []), run]);

  for (const [database, runs] of byDatabase) {
    const listed = await listIfCheaper(ctx, database, runs);
    for (const run of runs) {
      report.runsChecked++;
      try {
        await checkRun(ctx, run, listed);
      } catch (error) {
        report.errors++;
        deps.log({
          severity: "ERROR",
          event: "check.failed",
          message: `Checking run ${run.runKey} failed; it stays open for the next tick: ${errorText(error)}`,
          runKey: run.runKey,
          database: run.database,
          outputUriPrefix: run.outputUriPrefix,
        });
      }
    }
  }
  for (const target of deps.config.targets) {
    try {
      await checkTarget(ctx, target);
    } catch (error) {
      report.errors++;
      deps.log({
        severity: "ERROR",
        event: "check.failed",
        message: `Checking target ${target.database.name} failed: ${errorText(error)}`,
        database: target.database.name,
      });
    }
  }
  await deliverPending(ctx);
}

interface Ctx {
  deps: CheckerDeps;
  now: Date;
  report: TickReport;
}

/**
 * Lists the database's operations (running and failed, then done) when that is cheaper than one
 * get per run, or when a run without an operation name must be matched by prefix.
 */
async function listIfCheaper(
  ctx: Ctx,
  database: string,
  runs: RunRecord[],
): Promise<OperationView[] | undefined> {
  const withOperation = runs.filter((r) => r.state === "RUNNING" && r.operationName).length;
  // A claim whose start lease holds is being started (or queued behind the export quota): its
  // exporter records the operation, so it needs no matching by prefix yet.
  const unnamed = runs.filter(
    (r) => r.state === "CLAIMED" && !r.operationName && !leaseHeld(r, ctx.now),
  ).length;
  if (unnamed === 0 && withOperation <= LIST_THRESHOLD) return undefined;
  try {
    const listed: OperationView[] = [];
    for (const filter of [undefined, "done=true"]) {
      ctx.report.apiCalls.list++;
      listed.push(...(await ctx.deps.admin.listOperations(database, filter)));
    }
    return listed;
  } catch (error) {
    ctx.deps.log({
      severity: "WARNING",
      event: "check.list_failed",
      message: `Listing operations of ${database} failed; falling back to one get per run: ${errorText(error)}`,
      database,
    });
    return undefined;
  }
}

function windowsFor(config: Config, database: string): Windows {
  const target = config.targets.find((t) => t.database.name === database) ?? config.targets[0];
  if (!target) throw new Error("no target configured");
  return target.windows;
}

async function checkRun(ctx: Ctx, run: RunRecord, listed: OperationView[] | undefined): Promise<void> {
  const { deps, now } = ctx;
  const windows = windowsFor(deps.config, run.database);
  if (FINAL_STATES.includes(run.state)) {
    // Final already (the exporter's own final error, or a tick that died after alerting): alert if not yet.
    const kinds: AlertKind[] = run.state === "FAILED" && !run.operationName ? ["export_not_started"] : [];
    await apply(ctx, run, {
      patch: {},
      alerts: kinds.filter((k) => !run.alerts[k]),
      verify: false,
      cancel: false,
    });
    return;
  }
  let current = run;
  if (!run.operationName) {
    if (leaseHeld(run, now)) {
      // Its delivery records the operation itself; past the start window the slot is alerted once.
      const verdict = judgeUnstarted(run, now, windows);
      if (verdict) await apply(ctx, run, verdict);
      return;
    }
    // Without the list we cannot tell "never started" from "started, not recorded": next tick.
    if (!listed) return;
    const owner = listed.find((op) => samePrefix(op.outputUriPrefix, run.outputUriPrefix));
    if (!owner) {
      const verdict = judgeUnstarted(run, now, windows);
      if (verdict) await apply(ctx, run, verdict);
      return;
    }
    const patch: Partial<RunRecord> = {
      state: "RUNNING",
      operationName: owner.name,
      startedAt: owner.startTime ?? now.toISOString(),
      leaseUntil: null,
    };
    await deps.ledger.update(run.runKey, { ...patch, updatedAt: now.toISOString() });
    deps.log({
      severity: "NOTICE",
      event: "check.reconciled",
      message: `Run ${run.runKey} had no operation recorded; matched ${owner.name} by its prefix`,
      runKey: run.runKey,
      database: run.database,
      operationName: owner.name,
    });
    current = { ...run, ...patch };
  }
  const op = listed?.find((o) => o.name === current.operationName) ?? (await getOperation(ctx, current));
  if (op === undefined) return;
  let verdict = judgeOperation(current, op, now, windows, deps.config.alerts.stuckAction);
  if (verdict.verify) {
    // With this tick's final counts and end time: they are what the target status records.
    const verified = await verify(ctx, { ...current, ...verdict.patch });
    if (!verified) {
      await apply(ctx, current, { ...verdict, verify: false });
      return;
    }
    verdict = { ...verified, patch: { ...verdict.patch, ...verified.patch } };
  }
  if (verdict.cancel && current.operationName) {
    ctx.report.apiCalls.cancel++;
    await deps.admin.cancelOperation(current.operationName);
    deps.log({
      severity: "WARNING",
      event: "check.cancelled",
      message: `Cancelled ${current.operationName}: it outlived its completion window (STUCK_ACTION=cancel)`,
      runKey: current.runKey,
      database: current.database,
    });
  }
  await apply(ctx, current, verdict);
}

/** Reads one operation; NOT_FOUND is a verdict, a retryable error leaves the run for the next tick. */
async function getOperation(ctx: Ctx, run: RunRecord): Promise<OperationView | "NOT_FOUND" | undefined> {
  ctx.report.apiCalls.get++;
  try {
    return await ctx.deps.admin.getOperation(run.operationName ?? "");
  } catch (error) {
    if (error instanceof ApiError && error.status === "NOT_FOUND") return "NOT_FOUND";
    if (error instanceof ApiError && error.retryable) {
      ctx.deps.log({
        severity: "WARNING",
        event: "check.retry_later",
        message: `Reading ${run.operationName} answered ${error.status}; trying again next tick`,
        runKey: run.runKey,
        database: run.database,
        error: error.message,
      });
      return undefined;
    }
    throw error;
  }
}

/** Looks for the overall metadata object; undefined when the bucket could not be asked this tick. */
async function verify(ctx: Ctx, run: RunRecord): Promise<Verdict | undefined> {
  const target = metadataObjectOf(run.outputUriPrefix);
  if (!target) throw new Error(`cannot derive the metadata object of ${run.outputUriPrefix}`);
  ctx.report.apiCalls.storage++;
  let size: number | undefined;
  try {
    size = await ctx.deps.storage.objectSize(target.bucket, target.name);
  } catch (error) {
    if (error instanceof ApiError && error.retryable) return undefined;
    throw error;
  }
  const verdict = judgeVerification(run, `gs://${target.bucket}/${target.name}`, size, ctx.now);
  if (verdict.patch.state === "SUCCESSFUL") await recordVerified(ctx, run);
  return verdict;
}

async function recordVerified(ctx: Ctx, run: RunRecord): Promise<void> {
  const { deps, now } = ctx;
  const status = (await deps.ledger.getTarget(run.database)) ?? {
    database: run.database,
    watchingSince: now.toISOString(),
  };
  // Only an export of the target's whole configured scope is a backup of it: a manual export of a
  // few collections must neither reset the dead man's switch nor skew the document-drop baseline.
  if (!coversTarget(run, deps.config)) return;
  // proto3 omits a zero counter: an export with no documents arrives without one.
  const documents = run.progress?.documents ?? 0;
  const previous = status.lastDocuments;
  const ratio = deps.config.alerts.documentDropRatio;
  if (previous !== undefined && documents < previous * ratio) {
    deps.log({
      severity: "WARNING",
      event: "export.document_drop",
      message: `Export ${run.outputUriPrefix} holds ${documents} documents, under ${Math.round(ratio * 100)}% of the previous verified export (${previous}); check for data loss or a changed collection filter`,
      runKey: run.runKey,
      database: run.database,
      documents,
      previousDocuments: previous,
    });
  }
  // A verified export older than the newest one (a slow export finishing late) must not move freshness back.
  const endedAt = run.endedAt ?? now.toISOString();
  if (status.lastVerifiedAt && status.lastVerifiedAt > endedAt) return;
  await deps.ledger.saveTarget({
    ...status,
    lastVerifiedAt: endedAt,
    lastVerifiedRunKey: run.runKey,
    lastDocuments: documents,
  });
}

/** True when the run exported what its target exports on schedule (same collections and namespaces). */
function coversTarget(run: RunRecord, config: Config): boolean {
  if (run.trigger.kind === "scheduled") return true;
  const target = config.targets.find((t) => t.database.name === run.database);
  if (!target) return false;
  const same = (a: readonly string[] = [], b: readonly string[] = []) =>
    a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);
  return (
    same(run.request.collectionIds, target.collectionIds) &&
    same(run.request.namespaceIds, target.namespaceIds)
  );
}

/** Writes the verdict: alerts first (create-if-absent, so each is raised once), then the run. */
async function apply(ctx: Ctx, run: RunRecord, verdict: Verdict): Promise<void> {
  const { deps, now } = ctx;
  const next: RunRecord = { ...run, ...verdict.patch };
  const alerts = { ...run.alerts };
  for (const kind of verdict.alerts) {
    await raise(
      ctx,
      runAlert(
        kind,
        next,
        now,
        deps.channels.map((c) => c.name),
        kind === "export_stuck"
          ? stuckDetails(next, now, windowsFor(deps.config, run.database), deps.config)
          : {},
      ),
    );
    alerts[kind] = now.toISOString();
  }
  const final = FINAL_STATES.includes(next.state);
  // A run whose operation made no visible progress costs no ledger write: the tick stays cheap
  // however many exports are running.
  const unchanged =
    verdict.alerts.length === 0 &&
    !final &&
    Object.entries(verdict.patch).every(
      ([key, value]) => JSON.stringify(run[key as keyof RunRecord]) === JSON.stringify(value),
    );
  if (unchanged) return;
  await deps.ledger.update(run.runKey, {
    ...verdict.patch,
    alerts,
    open: !final,
    updatedAt: now.toISOString(),
  });
  if (final && run.open) {
    // One line per run when it reaches its end: what deploy checks and dashboards wait for.
    deps.log({
      severity: next.state === "SUCCESSFUL" ? "INFO" : "ERROR",
      event: "run.closed",
      message: `Run ${run.runKey} ended ${next.state}${next.state === "SUCCESSFUL" ? `, verified: ${next.progress?.documents ?? 0} documents, ${next.progress?.bytes ?? 0} bytes` : ""}`,
      runKey: run.runKey,
      database: run.database,
      outputUriPrefix: run.outputUriPrefix,
      state: next.state,
      restorable: next.restorable === true,
      documents: next.progress?.documents,
      bytes: next.progress?.bytes,
    });
  }
}

/** How long a stuck export has run, against which window, how far it got, and what was done. */
function stuckDetails(run: RunRecord, now: Date, windows: Windows, config: Config) {
  const started = new Date(run.startedAt ?? run.createdAt).getTime();
  const seconds = Math.round((now.getTime() - started) / 1000);
  const elapsed = seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
  const docs = run.progress?.documents ?? 0;
  const of = run.progress?.estimatedDocuments ? ` of ${run.progress.estimatedDocuments}` : "";
  const detail = `running for ${elapsed} against a completion window of ${formatDuration(windows.completionMs)}, ${docs}${of} documents so far`;
  if (config.alerts.stuckAction !== "cancel") return { detail };
  return {
    detail: `${detail}; cancelled by the checker`,
    nextStep:
      "The checker cancelled it (STUCK_ACTION=cancel), so its files are partial and never restorable: trigger a manual export and find out why it was slow (database size, quota, other exports running).",
  };
}

/** Records the alert; only the call that created it writes the log line, so a retry never repeats it. */
async function raise(ctx: Ctx, alert: Alert): Promise<void> {
  if (!(await ctx.deps.ledger.createAlert(alert))) return;
  ctx.report.alertsRaised.push(alert.kind);
  const { deliveries: _deliveries, pending: _pending, ...body } = alert;
  ctx.deps.log({
    ...body,
    severity: alert.severity,
    event: "alert.raised",
    message: `[${alert.kind}] ${alert.summary}. Next step: ${alert.nextStep}`,
  });
}

/** Missed slots and the dead man's switch: alerts that need no operation. */
async function checkTarget(ctx: Ctx, target: Target): Promise<void> {
  const { deps, now } = ctx;
  const database = target.database.name;
  let status: TargetStatus | undefined = await deps.ledger.getTarget(database);
  if (!status) {
    status = { database, watchingSince: now.toISOString() };
    await deps.ledger.saveTarget(status);
  }
  const { startMs, freshnessMs } = target.windows;
  const from = new Date(Math.max(new Date(status.watchingSince).getTime(), now.getTime() - freshnessMs));
  const until = new Date(now.getTime() - startMs);
  if (until > from) {
    const slots = slotsBetween(deps.config.schedule, deps.config.scheduleTimeZone, from, until, MAX_SLOTS);
    for (const slot of slots) await checkSlot(ctx, target, slot);
  }
  const reference = status.lastVerifiedAt ?? status.watchingSince;
  if (now.getTime() - new Date(reference).getTime() > freshnessMs) {
    await raise(
      ctx,
      staleAlert(
        database,
        status.lastVerifiedAt,
        status.watchingSince,
        now,
        deps.channels.map((c) => c.name),
      ),
    );
  }
}

/** A slot whose start window passed with no run at all: record it as never started and alert. */
async function checkSlot(ctx: Ctx, target: Target, slot: Date): Promise<void> {
  const { deps, now } = ctx;
  const [planned] = planRuns(
    { kind: "scheduled" },
    { messageId: "checker", publishTime: slot, attributes: {} },
    { ...deps.config, targets: [target] },
    now,
  );
  if (!planned || (await deps.ledger.get(planned.runKey))) return;
  const missed: RunRecord = {
    ...planned,
    state: "FAILED",
    endedAt: now.toISOString(),
    restorable: false,
    error: {
      status: "NOT_STARTED",
      message: `no trigger arrived for the slot ${slot.toISOString()} within the start window`,
    },
  };
  if (await deps.ledger.claim(missed)) return;
  await apply(ctx, missed, { patch: {}, alerts: ["export_not_started"], verify: false, cancel: false });
}

/** Delivers every pending alert to the channels that have not taken it; failures stay pending. */
async function deliverPending(ctx: Ctx): Promise<void> {
  const { deps, now } = ctx;
  if (deps.channels.length === 0) return;
  for (const alert of await deps.ledger.pendingAlerts()) {
    const deliveries = { ...alert.deliveries };
    for (const channel of deps.channels) {
      const state = deliveries[channel.name];
      if (!state || state.deliveredAt) continue;
      let lastError = "";
      for (let attempt = 1; attempt <= 2; attempt++) {
        try {
          await channel.deliver(alert);
          lastError = "";
          break;
        } catch (error) {
          lastError = errorText(error);
          if (attempt < 2) await deps.sleep(300);
        }
      }
      if (lastError) {
        ctx.report.deliveriesFailed++;
        deliveries[channel.name] = { attempts: state.attempts + 1, lastError };
        const { deliveries: _d, pending: _p, ...body } = alert;
        deps.log({
          severity: "ERROR",
          event: "alert.delivery_failed",
          message: `Alert ${alert.kind} could not be delivered to the ${channel.name} (${lastError}); it is retried next tick. Alert: ${alert.summary}`,
          channel: channel.name,
          alert: body,
        });
      } else {
        deliveries[channel.name] = { attempts: state.attempts + 1, deliveredAt: now.toISOString() };
        deps.log({
          severity: "INFO",
          event: "alert.sent",
          message: `Alert ${alert.kind} delivered to the ${channel.name}`,
          alertId: alert.id,
          channel: channel.name,
        });
      }
    }
    const pending = Object.values(deliveries).some((d) => !d.deliveredAt);
    await deps.ledger.updateAlert(alert.id, { deliveries, pending });
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
