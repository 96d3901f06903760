import type { OperatorAdminApi } from "../../functions/src/admin-client.js";
import { ApiError } from "../../functions/src/errors.js";
import type { OperationView } from "../../functions/src/operation.js";
import type { Output } from "./context.js";
import { bar, formatBytes, formatCount, formatDuration } from "./progress.js";

/** Done fraction of an import operation, from documents, else bytes; undefined before an estimate. */
export function importFraction(op: OperationView): number | undefined {
  if (op.done && !op.error) return 1;
  if (op.estimatedDocuments && op.documents !== undefined)
    return Math.min(1, op.documents / op.estimatedDocuments);
  if (op.estimatedBytes && op.bytes !== undefined) return Math.min(1, op.bytes / op.estimatedBytes);
  return undefined;
}

/** One line of progress: the bar (on a terminal), the state, documents and bytes of the estimate. */
export function importProgressLine(op: OperationView, elapsedMs: number, withBar: boolean): string {
  const fraction = importFraction(op);
  const percent = fraction === undefined ? "  ?%" : `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const gauge = withBar ? `[${fraction === undefined ? "·".repeat(24) : bar(fraction)}] ` : "";
  const docs = `${formatCount(op.documents ?? 0)}${op.estimatedDocuments ? `/${formatCount(op.estimatedDocuments)}` : ""} documents`;
  const bytes = `${formatBytes(op.bytes ?? 0)}${op.estimatedBytes ? `/${formatBytes(op.estimatedBytes)}` : ""}`;
  return `${gauge}${percent}  ${op.operationState}  ${docs}  ${bytes}  elapsed ${formatDuration(elapsedMs)}`;
}

/** How following ended: the operation's last view, or a timeout with the last one seen. */
export interface FollowResult {
  op: OperationView;
  timedOut: boolean;
}

/**
 * Reads the import operation until it is done or `timeoutMs` passes. On a terminal the progress
 * line is redrawn in place; otherwise a plain line is printed whenever the progress changes.
 * Transient read errors (5xx, timeouts) are retried on the next poll; final ones propagate.
 */
export async function followImport(p: {
  admin: Pick<OperatorAdminApi, "getOperation">;
  first: OperationView;
  out: Output;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  pollMs?: number;
  timeoutMs?: number;
}): Promise<FollowResult> {
  const started = p.now().getTime();
  const deadline = p.timeoutMs === undefined ? Number.POSITIVE_INFINITY : started + p.timeoutMs;
  let op = p.first;
  let lastPlain = "";
  const show = () => {
    const elapsed = p.now().getTime() - started;
    if (p.out.tty) p.out.write(`\r\x1b[2K${importProgressLine(op, elapsed, true)}`);
    else {
      const facts = importProgressLine(op, 0, false).replace(/ {2}elapsed.*$/, "");
      if (facts !== lastPlain) p.out.line(importProgressLine(op, elapsed, false));
      lastPlain = facts;
    }
  };
  show();
  while (!op.done) {
    if (p.now().getTime() >= deadline) {
      if (p.out.tty) p.out.write("\n");
      return { op, timedOut: true };
    }
    await p.sleep(p.pollMs ?? 500);
    try {
      op = await p.admin.getOperation(op.name);
    } catch (error) {
      if (!(error instanceof ApiError && error.retryable)) throw error;
      p.out.error(`reading ${op.name} failed, trying again: ${error.message}`);
    }
    show();
  }
  if (p.out.tty) p.out.write("\n");
  return { op, timedOut: false };
}
