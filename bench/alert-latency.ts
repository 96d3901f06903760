/**
 * Failure-to-alert latency on the local stack: the gateway fails every export (`op:FAILED`); for
 * each manual trigger, the time from the operation's end (its `endTime`) to the export_failed
 * alert arriving at the local webhook, and how many check ticks ran in between.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { LOCAL_DATABASE, startStack } from "../local/stack.js";

export interface AlertLatencySample {
  /** Operation end → webhook arrival. */
  seconds: number;
  /** check.tick lines the checker logged between the two. */
  ticks: number;
}

export interface AlertLatencyResult {
  tickSeconds: number;
  samples: AlertLatencySample[];
  error?: string;
}

interface OperationJson {
  name: string;
  done?: boolean;
  metadata?: { operationState?: string; endTime?: string };
}

const POLL_MS = 25;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchAlertLatency(options: {
  reps: number;
  tickMs: number;
}): Promise<AlertLatencyResult> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), "fx-bench-alert-"));
  const result: AlertLatencyResult = { tickSeconds: options.tickMs / 1000, samples: [] };
  const stack = await startStack({ stateDir, faults: "op:FAILED", checkTickMs: options.tickMs });
  try {
    const seen = new Set<string>();
    for (let rep = 0; rep < options.reps; rep++) {
      const alertsBefore = countFailedAlerts(stack.webhook.received);
      await stack.publishTrigger(JSON.stringify({ label: `alert-latency-${rep}` }));
      const deadline = Date.now() + 120_000;
      let failed: { endMs: number; tickIndex: number } | undefined;
      for (;;) {
        if (Date.now() > deadline) throw new Error(`rep ${rep}: no export_failed alert within 120 s`);
        if (!failed) {
          const op = (await listOperations(stack.gateway.url)).find(
            (o) => o.done && o.metadata?.operationState === "FAILED" && !seen.has(o.name),
          );
          if (op?.metadata?.endTime) {
            seen.add(op.name);
            failed = { endMs: Date.parse(op.metadata.endTime), tickIndex: stack.checker.logs.length };
          }
        }
        if (countFailedAlerts(stack.webhook.received) > alertsBefore) {
          const arrived = Date.now();
          if (!failed) throw new Error(`rep ${rep}: the alert arrived before the failure was seen`);
          // The tick that raised the alert logs its check.tick line as it ends: count the ticks
          // from the failure up to and including that one.
          let ticks: number | undefined;
          while (ticks === undefined && Date.now() < deadline) {
            const since = stack.checker.logs.slice(failed.tickIndex).filter((l) => l.event === "check.tick");
            const raising = since.findIndex((l) =>
              JSON.stringify(l.alertsRaised ?? []).includes("export_failed"),
            );
            if (raising >= 0) ticks = raising + 1;
            else await sleep(POLL_MS);
          }
          if (ticks === undefined) throw new Error(`rep ${rep}: no check.tick line raised the alert`);
          result.samples.push({ seconds: (arrived - failed.endMs) / 1000, ticks });
          break;
        }
        await sleep(POLL_MS);
      }
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  } finally {
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
  return result;
}

function countFailedAlerts(received: Array<Record<string, unknown>>): number {
  return received.filter((r) => JSON.stringify(r).includes("export_failed")).length;
}

async function listOperations(gateway: string): Promise<OperationJson[]> {
  const response = await fetch(`${gateway}/v1/${LOCAL_DATABASE}/operations`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as { operations?: OperationJson[] };
  return body.operations ?? [];
}
