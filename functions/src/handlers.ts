import type { CloudEvent } from "@google-cloud/functions-framework";
import { type CheckerDeps, checkTick, type TickReport } from "./checker.js";
import { type ExporterDeps, handleTrigger, type TriggerResult } from "./exporter.js";
import type { DeliveryMeta } from "./run.js";

/** The `data` of a Pub/Sub `messagePublished` CloudEvent. */
export interface MessagePublishedData {
  message?: {
    data?: string;
    attributes?: Record<string, string>;
    messageId?: string;
    message_id?: string;
    publishTime?: string;
    publish_time?: string;
  };
  subscription?: string;
}

/** Decodes the Pub/Sub envelope; the CloudEvent id and time stand in when the message lacks them. */
export function decodePubSubEvent(event: CloudEvent<MessagePublishedData>): {
  body: string;
  delivery: DeliveryMeta;
} {
  const message = event.data?.message ?? {};
  const body = message.data ? Buffer.from(message.data, "base64").toString("utf8") : "";
  const publishTime = new Date(message.publishTime ?? message.publish_time ?? event.time ?? Date.now());
  return {
    body,
    delivery: {
      messageId: message.messageId ?? message.message_id ?? event.id,
      publishTime: Number.isNaN(publishTime.getTime()) ? new Date() : publishTime,
      attributes: message.attributes ?? {},
    },
  };
}

/**
 * Thrown to have Pub/Sub redeliver the trigger. functions-framework prints a thrown error's
 * `stack` on stderr; here it is one JSON line, so Cloud Logging reads it as a structured entry of
 * the given severity instead of an unstructured error with a stack trace.
 */
export class RedeliveryRequest extends Error {
  constructor(message: string, severity: "INFO" | "WARNING", messageId: string) {
    super(message);
    this.stack = JSON.stringify({ severity, event: "export.redelivery_requested", message, messageId });
  }
}

/**
 * exportFirestore: returns (acknowledged) when every run was started, adopted, found duplicate,
 * refused or failed for good; throws (Pub/Sub redelivers) when a run hit a retryable error or
 * waits for room in the export quota.
 */
export function makeExportHandler(deps: () => Promise<ExporterDeps>) {
  return async (event: CloudEvent<MessagePublishedData>): Promise<TriggerResult> => {
    const { body, delivery } = decodePubSubEvent(event);
    const result = await handleTrigger(body, delivery, await deps());
    if (result.redeliver) {
      const failed = result.runs
        .filter((r) => r.outcome === "retry")
        .map((r) => `${r.database}: ${r.error?.message ?? "error"}`);
      const deferred = result.runs.filter((r) => r.outcome === "deferred").length;
      const reasons = [
        ...(failed.length > 0 ? [`retryable failure of ${failed.join("; ")}`] : []),
        ...(deferred > 0 ? [`${deferred} run(s) waiting for room in the export quota`] : []),
      ];
      throw new RedeliveryRequest(
        `Redelivery requested: ${reasons.join("; ")}`,
        // Waiting for the quota is routine; a retryable failure already logged its own ERROR line.
        failed.length > 0 ? "WARNING" : "INFO",
        delivery.messageId,
      );
    }
    return result;
  };
}

/**
 * checkExports: any event (the scheduler's tick, or an audit-log entry routed to the check
 * topic for an early wake-up) runs one full tick. Problems with single runs are logged and kept
 * for the next tick; only a tick that could not run at all (ledger unreachable) throws.
 */
export function makeCheckHandler(deps: () => Promise<CheckerDeps>) {
  return async (_event: CloudEvent<unknown>): Promise<TickReport> => checkTick(await deps());
}
