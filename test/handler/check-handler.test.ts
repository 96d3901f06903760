import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as functions from "@google-cloud/functions-framework";
import { getTestServer } from "@google-cloud/functions-framework/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeCheckHandler } from "../../functions/src/handlers.js";
import {
  apiErrors,
  type CheckerTestDeps,
  DEFAULT_DB,
  makeCheckerDeps,
  testConfig,
} from "../support/fakes.js";

const config = testConfig({
  EXPORT_TARGETS: JSON.stringify([{ database: DEFAULT_DB, bucket: "gs://my-bucket" }]),
});
const PREFIX = "gs://my-bucket/firestore/(default)/2026/12/03/2026-12-03T02-00-00Z";
const KEY = "schedule:my-project:(default):2026-12-03T02:00:00.000Z";

// Each test swaps in fresh fakes behind the one registered function.
let deps: CheckerTestDeps;
functions.cloudEvent(
  "checkExportsUnderTest",
  makeCheckHandler(async () => deps),
);

let server: Server;
let url: string;

beforeAll(async () => {
  server = getTestServer("checkExportsUnderTest");
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  deps = makeCheckerDeps({ config, now: "2026-12-03T02:45:00Z" });
});

/** The scheduler's tick as Eventarc delivers it: a structured-mode CloudEvent with data `{}`. */
function postTick(id = "tick-1") {
  const event = {
    specversion: "1.0",
    id,
    source: "//pubsub.googleapis.com/projects/my-project/topics/export-check",
    type: "google.cloud.pubsub.topic.v1.messagePublished",
    time: "2026-12-03T02:45:00Z",
    datacontenttype: "application/json",
    data: {
      message: {
        data: Buffer.from("{}").toString("base64"),
        messageId: id,
        publishTime: "2026-12-03T02:45:00Z",
      },
      subscription: "projects/my-project/subscriptions/eventarc-check",
    },
  };
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/cloudevents+json" },
    body: JSON.stringify(event),
  });
}

/** A run the exporter left RUNNING, whose operation has finished and whose files are in the bucket. */
function finishedRun() {
  const op = deps.admin.start(DEFAULT_DB, PREFIX, {
    done: true,
    operationState: "SUCCESSFUL",
    endTime: "2026-12-03T02:40:00Z",
    documents: 12000,
  });
  deps.storage.putExport(PREFIX);
  deps.ledger.put({
    runKey: KEY,
    database: DEFAULT_DB,
    trigger: {
      kind: "scheduled",
      messageId: "msg-1",
      publishTime: "2026-12-03T02:00:03.000Z",
      slot: "2026-12-03T02:00:00.000Z",
    },
    outputUriPrefix: PREFIX,
    apiVersion: "v1",
    request: { outputUriPrefix: PREFIX },
    state: "RUNNING",
    operationName: op.name,
    createdAt: "2026-12-03T02:00:03.000Z",
    updatedAt: "2026-12-03T02:00:05.000Z",
    startedAt: "2026-12-03T02:00:04.512Z",
    attempts: 1,
    leaseUntil: null,
    alerts: {},
    open: true,
  });
}

describe("checkExports through functions-framework", () => {
  it("acknowledges a tick that ran (2xx) after checking every open run", async () => {
    finishedRun();

    const response = await postTick();

    expect(response.status).toBeLessThan(300);
    expect(deps.ledger.run(KEY)).toMatchObject({ state: "SUCCESSFUL", open: false, restorable: true });
    expect(deps.log.entries.filter((e) => e.event === "check.tick")).toHaveLength(1);
  });

  it("acknowledges a tick in which a single run failed: it stays open for the next one", async () => {
    finishedRun();
    deps.admin.failGet.set(`${DEFAULT_DB}/operations/op-1`, apiErrors.permissionDenied);

    const response = await postTick();

    expect(response.status).toBeLessThan(300);
    expect(deps.ledger.run(KEY)).toMatchObject({ state: "RUNNING", open: true });
    expect(deps.log.entries.find((e) => e.event === "check.tick")).toMatchObject({ errors: 1 });
  });

  it("answers 500 when the ledger cannot list open runs, so Pub/Sub redelivers the tick", async () => {
    deps.ledger.failListOpen = new Error("14 UNAVAILABLE: ledger unreachable");

    const response = await postTick();

    expect(response.status).toBe(500);
    expect(deps.ledger.journal).toContain("listOpen");
    expect(deps.log.entries.filter((e) => e.event === "check.tick")).toEqual([]);
  });
});
