import type { Config } from "../../functions/src/config.js";
import { createRestCall } from "../../functions/src/rest.js";

/** The variable naming the trigger topic (`projects/P/topics/T`, or just `T` in the ledger's project). */
export const TRIGGER_TOPIC_VARIABLE = "FIRESTORE_EXPORTER_TRIGGER_TOPIC";

/** The trigger topic the CLI publishes to: the variable, else `export-trigger` in the ledger's project. */
export function triggerTopic(env: Record<string, string | undefined>, config: Config): string {
  const given = env[TRIGGER_TOPIC_VARIABLE]?.trim();
  const project = config.ledger.database.project;
  if (!given) return `projects/${project}/topics/export-trigger`;
  if (/^projects\/[^/]+\/topics\/[^/]+$/.test(given)) return given;
  if (/^[A-Za-z][\w.~+%-]{2,254}$/.test(given)) return `projects/${project}/topics/${given}`;
  throw new Error(
    `${TRIGGER_TOPIC_VARIABLE}=${JSON.stringify(given)} is not a topic; expected projects/PROJECT/topics/TOPIC or TOPIC`,
  );
}

/**
 * Publishes one message over the Pub/Sub REST API (the emulator at PUBSUB_EMULATOR_HOST, or
 * pubsub.googleapis.com with Application Default Credentials) and returns its message id.
 */
export async function publish(
  config: Config,
  topic: string,
  data: string,
  attributes: Record<string, string> = {},
): Promise<string> {
  const call = createRestCall({
    endpoint: config.endpoints.pubsub,
    timeoutMs: config.retry.requestTimeoutMs,
    scopes: ["https://www.googleapis.com/auth/pubsub"],
  });
  const message: Record<string, unknown> = { data: Buffer.from(data).toString("base64") };
  if (Object.keys(attributes).length > 0) message.attributes = attributes;
  const body = (await call("POST", `/v1/${topic}:publish`, { messages: [message] })) as
    | { messageIds?: string[] }
    | undefined;
  const id = body?.messageIds?.[0];
  if (!id) throw new Error(`publishing to ${topic} returned no message id`);
  return id;
}
