import { type Alert, webhookBody } from "./alerts.js";
import type { AlertConfig } from "./config.js";
import { createRestCall, type HeaderSource } from "./rest.js";

/** A place alerts are delivered to besides the log. */
export interface AlertChannel {
  name: string;
  deliver(alert: Alert): Promise<void>;
}

/** The webhook (Slack, Google Chat or generic JSON) and the Pub/Sub topic, as configured. */
export function createAlertChannels(
  config: AlertConfig,
  pubsubEndpoint: string,
  timeoutMs: number,
  headers?: HeaderSource,
): AlertChannel[] {
  const channels: AlertChannel[] = [];
  const { webhookUrl, webhookFormat, topic } = config;
  if (webhookUrl) {
    channels.push({
      name: "webhook",
      async deliver(alert) {
        const response = await fetch(webhookUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(webhookBody(alert, webhookFormat)),
          signal: AbortSignal.timeout(timeoutMs),
        });
        // The URL holds the webhook's secret: errors name the status only.
        if (!response.ok) throw new Error(`webhook answered HTTP ${response.status}`);
      },
    });
  }
  if (topic) {
    const call = createRestCall(
      { endpoint: pubsubEndpoint, timeoutMs, scopes: ["https://www.googleapis.com/auth/pubsub"] },
      headers,
    );
    channels.push({
      name: "topic",
      async deliver(alert) {
        const data = Buffer.from(JSON.stringify(webhookBody(alert, "json"))).toString("base64");
        await call("POST", `/v1/${topic}:publish`, {
          messages: [{ data, attributes: { kind: alert.kind, database: alert.database } }],
        });
      },
    });
  }
  return channels;
}
