import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/** A stand-in for Slack on loopback: it records every alert posted to it. */
export interface WebhookReceiver {
  url: string;
  received: Array<Record<string, unknown>>;
  /** The next `count` posts are answered 500 (to show that failed deliveries are retried). */
  failNext(count: number): void;
  stop(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Array<Record<string, unknown>> = [];
  let failures = 0;
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    if (req.method !== "POST") {
      res.writeHead(405).end();
      return;
    }
    if (failures > 0) {
      failures--;
      res.writeHead(500, { "content-type": "text/plain" }).end("receiver told to fail");
      return;
    }
    try {
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    } catch {
      res.writeHead(400).end("not JSON");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    received,
    failNext(count) {
      failures = count;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
