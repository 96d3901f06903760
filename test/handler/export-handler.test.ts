import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as functions from "@google-cloud/functions-framework";
import { getTestServer } from "@google-cloud/functions-framework/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeExportHandler } from "../../functions/src/handlers.js";
import { apiErrors, DEFAULT_DB, FakeAdmin, makeDeps, type TestDeps, testConfig } from "../support/fakes.js";

const config = testConfig({
  EXPORT_TARGETS: JSON.stringify([{ database: DEFAULT_DB, bucket: "gs://my-bucket" }]),
});

// Each test swaps in fresh fakes behind the one registered function.
let deps: TestDeps;
functions.cloudEvent(
  "exportFirestoreUnderTest",
  makeExportHandler(async () => deps),
);

let server: Server;
let url: string;

beforeAll(async () => {
  server = getTestServer("exportFirestoreUnderTest");
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  deps = makeDeps({ config });
});

/** Posts a structured-mode CloudEvent as Eventarc delivers a Pub/Sub message to a 2nd gen function. */
function postMessage(body: string, id = "1001", attributes: Record<string, string> = {}) {
  const event = {
    specversion: "1.0",
    id,
    source: "//pubsub.googleapis.com/projects/my-project/topics/export-trigger",
    type: "google.cloud.pubsub.topic.v1.messagePublished",
    time: "2026-12-03T02:00:03Z",
    datacontenttype: "application/json",
    data: {
      message: {
        data: Buffer.from(body).toString("base64"),
        attributes,
        messageId: id,
        publishTime: "2026-12-03T02:00:03Z",
      },
      subscription: "projects/my-project/subscriptions/eventarc-export",
    },
  };
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/cloudevents+json" },
    body: JSON.stringify(event),
  });
}

/** The same message in binary mode (ce-* headers), the other form functions-framework accepts. */
function postBinary(body: string, id = "2002") {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": id,
      "ce-source": "//pubsub.googleapis.com/projects/my-project/topics/export-trigger",
      "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
      "ce-time": "2026-12-03T02:00:03Z",
    },
    body: JSON.stringify({
      message: {
        data: Buffer.from(body).toString("base64"),
        messageId: id,
        publishTime: "2026-12-03T02:00:03Z",
      },
    }),
  });
}

describe("exportFirestore through functions-framework", () => {
  it("acknowledges a scheduled trigger after starting the export (2xx)", async () => {
    const response = await postMessage("{}");
    expect(response.status).toBeLessThan(300);
    expect(deps.admin.exportCalls).toHaveLength(1);
    expect(deps.admin.exportCalls[0]?.database).toBe(DEFAULT_DB);
    expect(deps.ledger.only().state).toBe("RUNNING");
  });

  it("accepts binary-mode CloudEvents too", async () => {
    const response = await postBinary("");
    expect(response.status).toBeLessThan(300);
    expect(deps.admin.exportCalls).toHaveLength(1);
  });

  it("acknowledges a duplicate delivery without exporting again", async () => {
    await postMessage("{}", "1001");
    const again = await postMessage("{}", "1001");
    expect(again.status).toBeLessThan(300);
    expect(deps.admin.exportCalls).toHaveLength(1);
  });

  it("answers 500 so Pub/Sub redelivers when the API stays unavailable", async () => {
    deps = makeDeps({ config, admin: Object.assign(new FakeAdmin(), { failAlways: apiErrors.unavailable }) });
    const response = await postMessage("{}");
    expect(response.status).toBe(500);
    expect(deps.ledger.only().state).toBe("CLAIMED");
    expect(deps.ledger.only().leaseUntil).toBeNull();
  });

  it("acknowledges a final error (403) so the message is not redelivered forever", async () => {
    deps = makeDeps({
      config,
      admin: Object.assign(new FakeAdmin(), { failAlways: apiErrors.permissionDenied }),
    });
    const response = await postMessage("{}");
    expect(response.status).toBeLessThan(300);
    expect(deps.ledger.only().state).toBe("FAILED");
    expect(deps.admin.exportCalls).toHaveLength(1);
  });

  it("acknowledges and logs a rejected message without exporting", async () => {
    const response = await postMessage('{"collectionIds":"users"}');
    expect(response.status).toBeLessThan(300);
    expect(deps.admin.exportCalls).toHaveLength(0);
    const rejected = deps.log.entries.find((e) => e.event === "trigger.rejected");
    expect(rejected?.message).toContain("collectionIds");
  });
});
