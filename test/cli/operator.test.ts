import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRecord } from "../../functions/src/run.js";
import { metadataObjectOf } from "../../functions/src/verdict.js";
import { LOCAL_DATABASE, LOCAL_PROJECT, type Stack, startStack } from "../../local/stack.js";
import { waitFor } from "../support/wait.js";
import { runCli } from "./run-cli.js";

let stack: Stack;
const runs = () => stack.db("exporter-ledger").collection("firestoreExporterRuns");
const cli = (...args: string[]) => runCli(args, stack.env);

async function ledgerRun(key: string): Promise<RunRecord | undefined> {
  return (await runs().doc(key).get()).data() as RunRecord | undefined;
}

const MANUAL_KEY = /^manual:[^:]+:demo-local:\(default\)$/;
/** Run keys of the two successful manual runs, in the order the tests make them. */
const made: string[] = [];

beforeAll(async () => {
  stack = await startStack({
    stateDir: path.join(process.cwd(), ".local", "test-cli-operator"),
    checkTickMs: 500,
    opMinDurationMs: 300,
    env: { EXPORT_RETRY_BASE_DELAY_MS: "50" },
  });
  const db = stack.db();
  await Promise.all([
    db.doc("users/u1").set({ name: "Ada" }),
    db.doc("users/u2").set({ name: "Grace" }),
    db.doc("orders/o1").set({ total: 12.5 }),
  ]);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe("firestore-exporter CLI against the local stack", () => {
  it("refuses a message the exporter would refuse: exit 2, the function's own words, nothing published", async () => {
    const bad = await cli("trigger", "--collection-ids", "a/b", "--label", "bad");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('collectionIds: collection id "a/b" contains "/"');
    expect(bad.stderr).toContain("nothing was sent");

    const badTime = await cli("trigger", "--snapshot-time", "2026-12-03T02:00:30Z", "--json");
    expect(badTime.code).toBe(2);
    expect(JSON.parse(badTime.stdout).problems.join(" ")).toMatch(/snapshotTime/);

    // A sentinel the exporter does receive and refuse: once it is recorded, the CLI's message would
    // have been too, had it been sent.
    const sentinel = await stack.publishTrigger(JSON.stringify({ bogus: true }));
    await waitFor("the sentinel's rejection", () => ledgerRun(`rejected:${sentinel}`));
    const rejected = await runs().where("state", "==", "REJECTED").get();
    expect(rejected.docs.map((d) => d.id)).toEqual([`rejected:${sentinel}`]);
    const refusals = stack.exporter.logs.filter((l) => l.event === "trigger.rejected");
    expect(refusals.map((l) => l.messageId)).toEqual([sentinel]);
  });

  it("trigger --wait publishes a manual trigger and ends with a verified, SUCCESSFUL run", async () => {
    const result = await cli(
      "trigger",
      "--label",
      "cli-happy",
      "--reason",
      "test",
      "--wait",
      "--interval",
      "0.2",
      "--json",
    );
    expect(result.code, result.stderr).toBe(0);
    const body = JSON.parse(result.stdout);
    expect(body.ok).toBe(true);
    expect(body.topic).toBe(`projects/${LOCAL_PROJECT}/topics/export-trigger`);
    const key = body.runKeys[0] as string;
    expect(key).toMatch(MANUAL_KEY);
    expect(key).toBe(`manual:${body.messageId}:${LOCAL_PROJECT}:(default)`);
    expect(body.runs[0]).toMatchObject({ runKey: key, state: "SUCCESSFUL", restorable: true, documents: 3 });
    const record = await ledgerRun(key);
    expect(record).toMatchObject({ state: "SUCCESSFUL", restorable: true, open: false });
    expect(record?.trigger).toMatchObject({ kind: "manual", label: "cli-happy", reason: "test" });
    made.push(key);
  });

  it("trigger --direct --wait runs the exporter in-process, human output names the run and its verdict", async () => {
    const result = await cli(
      "trigger",
      "--direct",
      "--database",
      "(default)",
      "--collection-ids",
      "users",
      "--wait",
      "--interval",
      "0.2",
    );
    expect(result.code, result.stderr).toBe(0);
    const key = /^Run (manual:\S+)$/m.exec(result.stdout)?.[1] ?? "";
    expect(key).toMatch(MANUAL_KEY);
    expect(result.stdout).toMatch(/started: projects\/demo-local\/databases\/\(default\)\/operations\//);
    expect(result.stdout).toContain(`${key}: SUCCESSFUL, verified — 2 documents`);
    const record = await ledgerRun(key);
    expect(record?.state).toBe("SUCCESSFUL");
    expect(record?.request.collectionIds).toEqual(["users"]);
    made.push(key);
  });

  it("history --json lists the runs with documents and bytes; the human view has the chart", async () => {
    expect(made).toHaveLength(2);
    const result = await cli("history", "--json");
    expect(result.code, result.stderr).toBe(0);
    const body = JSON.parse(result.stdout);
    expect(body.databases).toHaveLength(1);
    const history = body.databases[0];
    expect(history.database).toBe(LOCAL_DATABASE);
    // Newest first.
    expect(history.runs.map((r: { runKey: string }) => r.runKey)).toEqual([...made].reverse());
    for (const r of history.runs) {
      expect(r.state).toBe("SUCCESSFUL");
      expect(r.bytes).toBeGreaterThan(0);
      expect(r.durationMs).toBeGreaterThan(0);
    }
    expect(history.runs.map((r: { documents: number }) => r.documents)).toEqual([2, 3]);

    const human = await cli("history", "--database", "(default)", "--limit", "5");
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`${LOCAL_DATABASE} — 2 runs`);
    expect(human.stdout).toMatch(/documents\s+[▁▂▃▄▅▆▇█]{2}\s+min 2 · max 3 · last 2/);
    expect(human.stdout).toMatch(/bytes\s+[▁▂▃▄▅▆▇█]{2}/);
    expect(human.stdout).toMatch(/duration\s+[▁▂▃▄▅▆▇█]{2}/);
  });

  it("history --html writes a self-contained page whose SVG charts hold each run's figures", async () => {
    const file = path.join(stack.stateDir, "history.html");
    const result = await cli("history", "--html", file, "--json");
    expect(result.code, result.stderr).toBe(0);
    const body = JSON.parse(result.stdout);
    const page = await readFile(file, "utf8");
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    const svgs = page.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(3);
    const charts = svgs.join("\n");
    for (const r of body.databases[0].runs as Array<{ runKey: string; documents: number; bytes: number }>) {
      expect(charts).toContain(
        `data-run-key="${r.runKey}" data-figure="documents" data-value="${r.documents}"`,
      );
      expect(charts).toContain(`data-run-key="${r.runKey}" data-figure="bytes" data-value="${r.bytes}"`);
      expect(charts).toContain(`data-run-key="${r.runKey}" data-figure="durationMs"`);
    }
  });

  it("verify passes on a good run and fails once its metadata object is deleted from the bucket", async () => {
    const key = made[1] as string;
    const good = await cli("verify", key);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(
      /Metadata object present: gs:\/\/demo-local-exports\/.+\.overall_export_metadata/,
    );
    expect(good.stdout).toMatch(/\.export_metadata/);
    expect(good.stdout).toContain(
      `firestore-exporter restore '${key}' --target-database 'projects/demo-local/databases/(default)'`,
    );

    const record = await ledgerRun(key);
    const metadata = metadataObjectOf(record?.outputUriPrefix ?? "");
    expect(metadata).toBeDefined();
    const deleted = await fetch(
      `${stack.gateway.url}/storage/v1/b/${metadata?.bucket}/o/${encodeURIComponent(metadata?.name ?? "")}`,
      { method: "DELETE" },
    );
    expect(deleted.status).toBe(204);

    const bad = await cli("verify", key, "--json");
    expect(bad.code).toBe(1);
    const body = JSON.parse(bad.stdout);
    expect(body).toMatchObject({ ok: false, metadataObject: { present: false } });
    expect(body.files.length).toBeGreaterThan(0);
    expect(body.restoreCommand).toBeUndefined();
    expect(bad.stderr).toContain("is missing from the bucket");

    const unknown = await cli("verify", "manual:nope:demo-local:(default)");
    expect(unknown.code).toBe(1);
  });

  it("bad usage exits 2: unknown command, unknown flag (listing the accepted ones), missing or bad values", async () => {
    const command = await cli("nope");
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command "nope"');
    const flag = await cli("history", "--bogus");
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/Unknown option '--bogus'/);
    expect(flag.stderr).toContain("--limit N");
    expect((await cli("history", "--limit", "0")).code).toBe(2);
    expect((await cli("verify")).code).toBe(2);
    expect((await cli("status", "a", "b")).code).toBe(2);
    expect((await cli("trigger", "--wait", "--timeout", "soon")).code).toBe(2);
    // `local` hands its options to `npm start`'s entry point, which refuses this one before starting anything.
    const local = await cli("local", "--bogus");
    expect(local.code).toBe(2);
    expect(local.stderr).toContain("Usage: npm start");
    const help = await cli("trigger", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Examples:");
  });
});
