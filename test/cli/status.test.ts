import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRecord } from "../../functions/src/run.js";
import { LOCAL_PROJECT, type Stack, startStack } from "../../local/stack.js";
import { waitFor } from "../support/wait.js";
import { runCli } from "./run-cli.js";

let stack: Stack;
const cli = (...args: string[]) => runCli(args, stack.env);

async function ledgerRun(key: string): Promise<RunRecord | undefined> {
  const doc = await stack.db("exporter-ledger").collection("firestoreExporterRuns").doc(key).get();
  return doc.data() as RunRecord | undefined;
}

/** Publishes a manual trigger and waits until the exporter has claimed its run. */
async function startExport(label: string): Promise<string> {
  const id = await stack.publishTrigger(JSON.stringify({ label }));
  const key = `manual:${id}:${LOCAL_PROJECT}:(default)`;
  await waitFor(`run ${key} claimed`, () => ledgerRun(key));
  return key;
}

beforeAll(async () => {
  stack = await startStack({
    stateDir: path.join(process.cwd(), ".local", "test-cli-status"),
    checkTickMs: 500,
    // Slow enough that the checker records progress a few times before the end.
    opMinDurationMs: 8000,
  });
  const db = stack.db();
  await Promise.all(
    Array.from({ length: 6 }, (_, i) => db.doc(`users/u${i}`).set({ name: `user ${i}`, n: i })),
  );
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe("firestore-exporter status", () => {
  it("--watch prints progress lines while the export runs, then the verdict; exit 0 for SUCCESSFUL", async () => {
    const key = await startExport("watched");
    const [open, watched] = await Promise.all([
      cli("status", "--json"),
      cli("status", key, "--watch", "--interval", "0.2", "--timeout", "45"),
    ]);
    expect(open.code, open.stderr).toBe(0);
    expect(JSON.parse(open.stdout).runs.map((r: { runKey: string }) => r.runKey)).toContain(key);
    expect(watched.code, watched.stderr).toBe(0);
    const lines = watched.stdout.split("\n");
    // Not a terminal: plain lines, no cursor movement.
    expect(watched.stdout).not.toContain("\x1b[");
    const progress = lines.filter((l) => l.startsWith(key) && /RUNNING/.test(l));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const partial = progress.filter((l) => /\[[█▏▎▍▌▋▊▉]+░+\]\s+\d+%/.test(l));
    expect(partial.length, watched.stdout).toBeGreaterThan(0);
    expect(partial.join("\n")).toMatch(/\d+\/6 documents .* elapsed [\d.]+s, ~[\d.]+s left/);
    expect(lines.some((l) => l.startsWith(key) && /100%\s+SUCCESSFUL\s+6\/6 documents/.test(l))).toBe(true);
    expect(watched.stdout).toMatch(/verdict\s+SUCCESSFUL, verified, restorable: 6 documents/);

    const after = await cli("status", key, "--json");
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout).runs[0]).toMatchObject({ runKey: key, state: "SUCCESSFUL", final: true });
  });

  it("--watch exits 1 when the export ends FAILED, and status of that run stays 1", async () => {
    stack.gateway.setFaults("op:FAILED*1");
    const key = await startExport("fails");
    const watched = await cli("status", key, "--watch", "--interval", "0.2", "--timeout", "45", "--json");
    expect(watched.code).toBe(1);
    const body = JSON.parse(watched.stdout);
    expect(body).toMatchObject({ ok: false, settled: true });
    expect(body.runs[0]).toMatchObject({ runKey: key, state: "FAILED", alerts: ["export_failed"] });
    expect(body.runs[0].error).toContain("storage.objects.create");

    const again = await cli("status", key);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/alerts\s+export_failed/);
    const none = await cli("status");
    expect(none.code).toBe(0);
    expect(none.stdout).toContain("No open runs");
    expect((await cli("status", "manual:nope:demo-local:(default)")).code).toBe(1);
  });
});
