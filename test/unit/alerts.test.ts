import { describe, expect, it } from "vitest";
import { type Alert, type AlertKind, runAlert, staleAlert, webhookBody } from "../../functions/src/alerts.js";
import type { RunRecord } from "../../functions/src/run.js";

const DB = "projects/my-project/databases/(default)";
const ORDERS = "projects/my-project/databases/orders-eu";
const OP = `${DB}/operations/ASA3NDEwOTg0NjExChp0bHVhZmVk`;
const PREFIX = "gs://my-bucket/firestore/(default)/2026/12/03/2026-12-03T02-00-00Z";
const KEY = "schedule:my-project:(default):2026-12-03T02:00:00.000Z";
const NOW = new Date("2026-12-03T02:10:00Z");
const F9_MESSAGE =
  "service-123456789@gcp-sa-firestore.iam.gserviceaccount.com does not have storage.objects.create access to the Google Cloud Storage object.";

const RUN: RunRecord = {
  runKey: KEY,
  database: DB,
  trigger: {
    kind: "scheduled",
    messageId: "msg-1",
    publishTime: "2026-12-03T02:00:03.000Z",
    slot: "2026-12-03T02:00:00.000Z",
  },
  outputUriPrefix: PREFIX,
  apiVersion: "v1",
  request: { outputUriPrefix: PREFIX },
  state: "FAILED",
  operationName: OP,
  createdAt: "2026-12-03T02:00:03.000Z",
  updatedAt: "2026-12-03T02:05:00.000Z",
  attempts: 1,
  error: { code: 7, status: "PERMISSION_DENIED", message: F9_MESSAGE },
  alerts: {},
  open: true,
};

const KINDS: AlertKind[] = [
  "export_failed",
  "export_cancelled",
  "export_stuck",
  "export_not_started",
  "export_unverified",
  "export_lost",
];

describe("runAlert", () => {
  it("carries the run, the database, the prefix, the operation, the API's error verbatim and a next step", () => {
    expect(runAlert("export_failed", RUN, NOW, ["webhook", "topic"])).toEqual({
      id: `export_failed:${KEY}`,
      kind: "export_failed",
      severity: "ERROR",
      database: DB,
      runKey: KEY,
      outputUriPrefix: PREFIX,
      operationName: OP,
      error: `PERMISSION_DENIED: ${F9_MESSAGE}`,
      summary: `Export of ${DB} to ${PREFIX} failed: PERMISSION_DENIED: ${F9_MESSAGE}`,
      nextStep: expect.stringContaining("grant the Firestore service agent write access to the bucket"),
      raisedAt: "2026-12-03T02:10:00.000Z",
      deliveries: { webhook: { attempts: 0 }, topic: { attempts: 0 } },
      pending: true,
    });
  });

  it.each(KINDS)("%s: the id depends only on the kind and the run", (kind) => {
    const first = runAlert(kind, RUN, NOW, ["webhook"]);
    const later = runAlert(
      kind,
      { ...RUN, state: "LOST", error: { status: "NOT_FOUND", message: "gone" } },
      new Date("2026-12-05T00:00:00Z"),
      [],
    );
    expect(first.id).toBe(`${kind}:${KEY}`);
    expect(later.id).toBe(first.id);
    expect(runAlert(kind, { ...RUN, runKey: "manual:m-9:my-project:(default)" }, NOW, []).id).not.toBe(
      first.id,
    );
  });

  it.each(KINDS)("%s: a one-line next step and a summary naming database and prefix", (kind) => {
    const alert = runAlert(kind, RUN, NOW, []);
    expect(alert.nextStep.length).toBeGreaterThan(20);
    expect(alert.nextStep).not.toContain("\n");
    expect(alert.summary).toContain(DB);
    expect(alert.summary).toContain(PREFIX);
  });

  it.each([
    ["export_failed", "ERROR"],
    ["export_cancelled", "ERROR"],
    ["export_stuck", "ERROR"],
    ["export_unverified", "ERROR"],
    ["export_not_started", "CRITICAL"],
    ["export_lost", "CRITICAL"],
  ] as const)("%s has severity %s", (kind, severity) => {
    expect(runAlert(kind, RUN, NOW, []).severity).toBe(severity);
  });

  it("leaves out what the run does not have (no operation, no error)", () => {
    const { operationName: _o, ...claimed } = RUN;
    const alert = runAlert("export_not_started", { ...claimed, state: "FAILED", error: null }, NOW, []);
    expect(alert).not.toHaveProperty("operationName");
    expect(alert).not.toHaveProperty("error");
    expect(alert.summary).toBe(`Export of ${DB} to ${PREFIX} did not start`);
  });

  it("is pending only when a channel has to take it", () => {
    const alert = runAlert("export_lost", RUN, NOW, []);
    expect(alert.deliveries).toEqual({});
    expect(alert.pending).toBe(false);
  });
});

describe("staleAlert", () => {
  it("describes the newest verified export and gets an id of its stale period", () => {
    expect(staleAlert(DB, "2026-12-01T02:40:00.000Z", "2026-11-01T00:00:00.000Z", NOW, ["webhook"])).toEqual({
      id: "backup_stale:my-project:(default):2026-12-01T02:40:00.000Z",
      kind: "backup_stale",
      severity: "CRITICAL",
      database: DB,
      summary: `Backups of ${DB} are stale: the newest verified export is from 2026-12-01T02:40:00.000Z`,
      nextStep: expect.stringContaining("scheduler job"),
      raisedAt: "2026-12-03T02:10:00.000Z",
      deliveries: { webhook: { attempts: 0 } },
      pending: true,
    });
  });

  it("without any verified export, counts from when monitoring began", () => {
    const alert = staleAlert(ORDERS, undefined, "2026-11-01T00:00:00.000Z", NOW, []);
    expect(alert.id).toBe("backup_stale:my-project:orders-eu:2026-11-01T00:00:00.000Z");
    expect(alert.summary).toContain("no verified export since monitoring began at 2026-11-01T00:00:00.000Z");
    expect(alert.pending).toBe(false);
  });

  it("keeps its id within a stale period and changes it with the next one", () => {
    const since = "2026-11-01T00:00:00.000Z";
    const a = staleAlert(DB, "2026-12-01T02:40:00.000Z", since, NOW, []);
    const sameLater = staleAlert(DB, "2026-12-01T02:40:00.000Z", since, new Date("2026-12-09T00:00:00Z"), []);
    const nextPeriod = staleAlert(
      DB,
      "2026-12-05T02:40:00.000Z",
      since,
      new Date("2026-12-09T00:00:00Z"),
      [],
    );
    expect(sameLater.id).toBe(a.id);
    expect(nextPeriod.id).not.toBe(a.id);
    expect(staleAlert(ORDERS, "2026-12-01T02:40:00.000Z", since, NOW, []).id).not.toBe(a.id);
  });

  it("has no '/' in its id (it is a ledger document id)", () => {
    expect(staleAlert(DB, undefined, "2026-11-01T00:00:00.000Z", NOW, []).id).not.toContain("/");
  });
});

describe("webhookBody", () => {
  const alert: Alert = {
    ...runAlert("export_failed", RUN, NOW, ["webhook"]),
    deliveries: { webhook: { attempts: 2, lastError: "webhook answered HTTP 503" } },
  };

  it("json: the alert without its delivery bookkeeping", () => {
    const body = webhookBody(alert, "json") as Record<string, unknown>;
    expect(body).not.toHaveProperty("deliveries");
    expect(body).not.toHaveProperty("pending");
    const { deliveries: _d, pending: _p, ...expected } = alert;
    expect(body).toEqual(expected);
    expect(JSON.stringify(body)).not.toContain("503");
  });

  it.each(["slack", "googlechat"] as const)(
    "%s: one text with kind, summary, operation and next step",
    (format) => {
      const body = webhookBody(alert, format);
      expect(Object.keys(body as object)).toEqual(["text"]);
      const { text } = body as { text: string };
      expect(text).toContain("export_failed");
      expect(text).toContain(alert.summary);
      expect(text).toContain(F9_MESSAGE);
      expect(text).toContain(`operation: ${OP}`);
      expect(text).toContain(`next step: ${alert.nextStep}`);
      expect(text.split("\n")[0]).toBe(`*export_failed* — ${alert.summary}`);
    },
  );

  it("text of an alert without an operation (backup_stale)", () => {
    const stale = staleAlert(DB, undefined, "2026-11-01T00:00:00.000Z", NOW, ["webhook"]);
    const { text } = webhookBody(stale, "slack") as { text: string };
    expect(text.split("\n")).toEqual([`*backup_stale* — ${stale.summary}`, `next step: ${stale.nextStep}`]);
  });
});
