/**
 * Fan-out under quota: one scheduled trigger for N databases of one project, handled by the real
 * exporter (handleTrigger, the real pacer, the given ledger) against the simulated Admin API on
 * simulated time. Pub/Sub's redeliveries are modelled with the subscription's retry policy
 * (10 s doubling to 600 s) and its delivery limit.
 */
import { type Config, parseConfig } from "../functions/src/config.js";
import { handleTrigger, type RunOutcomeKind } from "../functions/src/exporter.js";
import type { RunLedger } from "../functions/src/ledger.js";
import { createMemoryLogger } from "../functions/src/log.js";
import { FIRESTORE_QUOTAS, type QuotaRules } from "../local/quota-book.js";
import { optimalMakespan, SimulatedAdmin, VirtualClock } from "./quota-sim.js";

export interface FanOutOptions {
  databases: number;
  ledger: RunLedger;
  rules?: QuotaRules;
  /** Export duration of database i, in ms; by default 1 to 5 minutes, the same on every run. */
  durationMs?: (index: number) => number;
  /** Deliveries before the message would be dead-lettered (the Terraform default). */
  maxDeliveries?: number;
}

export interface FanOutResult {
  databases: number;
  /** Trigger → last export finished, in simulated ms. */
  makespanMs: number;
  /** The same for the quota-optimal schedule of the same exports. */
  optimalMs: number;
  ratio: number;
  deliveries: number;
  started: number;
  /** 429s the API answered, all absorbed unless `surfaced` says otherwise. */
  refused: { rate: number; concurrent: number };
  peakRunning: number;
  /** Quota refusals that reached the operator: failed runs, runs never started, ERROR lines. */
  surfaced: number;
  outcomes: Partial<Record<RunOutcomeKind, number>>;
  errorLines: string[];
}

export const FANOUT_PROJECT = "demo-fanout";
const PROJECT = FANOUT_PROJECT;
const SLOT = Date.UTC(2026, 11, 3, 2, 0, 0);

/** A spread of export times: 1 to 5 minutes, fixed per database. */
export function defaultDuration(index: number): number {
  return 60_000 + ((index * 7919) % 241) * 1000;
}

function fanOutConfig(databases: number): Config {
  const targets = Array.from({ length: databases }, (_, i) => ({
    database: `projects/${PROJECT}/databases/db-${String(i).padStart(3, "0")}`,
    bucket: `gs://${PROJECT}-backups`,
    prefix: "firestore",
  }));
  return parseConfig({
    EXPORT_TARGETS: JSON.stringify(targets),
    LEDGER_DATABASE: `projects/${PROJECT}/databases/ledger`,
  });
}

export async function runFanOut(options: FanOutOptions): Promise<FanOutResult> {
  const rules = options.rules ?? FIRESTORE_QUOTAS;
  const durationMs = options.durationMs ?? defaultDuration;
  const config = fanOutConfig(options.databases);
  const index = new Map(config.targets.map((t, i) => [t.database.name, i]));
  // The scheduler publishes a few seconds after the slot.
  const clock = new VirtualClock(SLOT + 4_000);
  const admin = new SimulatedAdmin(clock, rules, (database) => durationMs(index.get(database) ?? 0));
  const logger = createMemoryLogger();
  const deps = {
    config,
    admin,
    ledger: options.ledger,
    log: logger,
    now: clock.now,
    sleep: clock.sleep,
    random: Math.random,
    identity: async () => "exporter@demo-fanout.iam.gserviceaccount.com",
  };
  const delivery = {
    messageId: `fanout-${options.databases}-${Date.now()}`,
    publishTime: clock.now(),
    attributes: {},
  };
  const maxDeliveries = options.maxDeliveries ?? 10;
  const t0 = clock.nowMs();
  const outcomes: Partial<Record<RunOutcomeKind, number>> = {};
  const final = new Map<string, RunOutcomeKind>();
  let deliveries = 0;
  for (;;) {
    deliveries++;
    const result = await handleTrigger("", delivery, deps);
    // A run an earlier delivery started reads as a duplicate later: keep what happened to it.
    for (const run of result.runs)
      if (run.outcome !== "duplicate" || !final.has(run.runKey)) final.set(run.runKey, run.outcome);
    if (!result.redeliver || deliveries >= maxDeliveries) break;
    // Pub/Sub's retry policy: exponential from minimum_backoff to maximum_backoff.
    clock.advance(Math.min(600_000, 10_000 * 2 ** (deliveries - 1)));
  }
  for (const outcome of final.values()) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  const ends = admin.operations.map((op) => op.endMs);
  const makespanMs = Math.max(t0, ...ends) - t0;
  const optimalMs = optimalMakespan(
    config.targets.map((_, i) => durationMs(i)),
    rules,
  );
  const started = new Set(admin.operations.map((op) => op.database)).size;
  const errorLines = logger.entries
    .filter((e) => e.severity === "ERROR" || e.severity === "CRITICAL")
    .map((e) => `${e.event}: ${e.message}`);
  const failed = [...final.values()].filter(
    (o) => o === "failed" || o === "retry" || o === "deferred",
  ).length;
  return {
    databases: options.databases,
    makespanMs,
    optimalMs,
    ratio: optimalMs > 0 ? makespanMs / optimalMs : Number.NaN,
    deliveries,
    started,
    refused: { rate: admin.counts.refusedRate, concurrent: admin.counts.refusedConcurrent },
    peakRunning: admin.peakRunning,
    surfaced: failed + errorLines.length + (options.databases - started),
    outcomes,
    errorLines: errorLines.slice(0, 5),
  };
}
