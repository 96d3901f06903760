import { hasVerdict, type RunRecord } from "../../functions/src/run.js";
import type { CliContext } from "./context.js";
import { createProgressView } from "./progress.js";

export interface FollowResult {
  /** The runs as last read; a key never claimed is missing. */
  runs: RunRecord[];
  /** Keys never seen in the ledger. */
  missing: string[];
  /** True when every run reached the checker's verdict in time. */
  settled: boolean;
}

export interface FollowOptions {
  intervalMs: number;
  /** Give up after this long (Infinity: never). */
  timeoutMs: number;
  /**
   * Another key that ends the wait for a run that does not exist yet: the exporter records a
   * message it refused as `rejected:MESSAGE_ID`.
   */
  alternateOf?: (runKey: string) => string | undefined;
}

/**
 * Polls the ledger until each run has the checker's verdict (closed, or export_stuck raised),
 * showing progress as it goes. Runs that do not exist yet are waited for (the exporter claims them
 * when the trigger arrives).
 */
export async function followRuns(
  ctx: CliContext,
  keys: string[],
  options: FollowOptions,
): Promise<FollowResult> {
  const view = createProgressView(ctx.out, ctx.now);
  const deadline = ctx.now().getTime() + options.timeoutMs;
  const latest = new Map<string, RunRecord>();
  const isSettled = (run: RunRecord) => hasVerdict(run, ctx.config.alerts.stuckAction);
  for (;;) {
    for (const key of keys) {
      const known = latest.get(key);
      if (known && isSettled(known)) continue;
      let run = await ctx.ledger.get(key);
      const alternate = run ? undefined : options.alternateOf?.(key);
      if (!run && alternate) run = await ctx.ledger.get(alternate);
      if (run) latest.set(key, run);
    }
    const runs = keys.map((k) => latest.get(k)).filter((r): r is RunRecord => r !== undefined);
    view.show(
      runs,
      keys.filter((k) => !latest.has(k)),
    );
    const done = runs.length === keys.length && runs.every(isSettled);
    if (done || ctx.now().getTime() >= deadline) {
      return { runs, missing: keys.filter((k) => !latest.has(k)), settled: done };
    }
    await ctx.sleep(Math.min(options.intervalMs, Math.max(0, deadline - ctx.now().getTime())));
  }
}
