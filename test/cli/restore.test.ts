import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { GeoPoint, Timestamp } from "@google-cloud/firestore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRecord } from "../../functions/src/run.js";
import { LOCAL_DATABASE, LOCAL_PROJECT, type Stack, startStack } from "../../local/stack.js";
import { waitFor } from "../support/wait.js";
import { runCli } from "./run-cli.js";

let stack: Stack;
const cli = (...args: string[]) => runCli(args, stack.env);
const runs = () => stack.db("exporter-ledger").collection("firestoreExporterRuns");

/** Documents of several value types, in a collection, a subcollection and a second collection. */
const DOCS = ["things/a", "things/b", "things/a/parts/p1", "notes/n1"];

/** A document as the emulator stores it (proto JSON): what an exact round trip must reproduce. */
async function stored(name: string): Promise<unknown | undefined> {
  const response = await fetch(
    `http://${stack.firestore.host}/v1/projects/${LOCAL_PROJECT}/databases/(default)/documents/${name}`,
    { headers: { authorization: "Bearer owner" } },
  );
  if (response.status === 404) return undefined;
  return ((await response.json()) as { fields?: unknown }).fields;
}

/** Publishes a manual export and waits for the checker's verdict on it. */
async function exportRun(label: string, faults = ""): Promise<RunRecord> {
  stack.gateway.setFaults(faults);
  const id = await stack.publishTrigger(JSON.stringify({ database: LOCAL_DATABASE, label }));
  const key = `manual:${id}:${LOCAL_PROJECT}:(default)`;
  return waitFor(
    `run ${key} closed`,
    async () => {
      const run = (await runs().doc(key).get()).data() as RunRecord | undefined;
      return run && !run.open ? run : undefined;
    },
    { timeoutMs: 20_000 },
  );
}

let good: RunRecord;
const before = new Map<string, unknown>();

beforeAll(async () => {
  stack = await startStack({
    stateDir: path.join(process.cwd(), ".local", "test-cli-restore"),
    checkTickMs: 500,
    opMinDurationMs: 300,
    env: { EXPORT_RETRY_BASE_DELAY_MS: "50" },
  });
  const db = stack.db();
  await db.doc("things/a").set({
    text: "naïve ✓",
    integer: 9007199254740991,
    double: 0.25,
    nan: Number.NaN,
    flag: true,
    nothing: null,
    at: new Timestamp(1_700_000_000, 123_456_000),
    where: new GeoPoint(46.2044, 6.1432),
    ref: db.doc("notes/n1"),
    bytes: Buffer.from([0, 1, 254, 255]),
    map: { nested: { list: [1, "two", { three: 3 }] }, empty: {} },
    list: [1, "a", null, false],
  });
  await db.doc("things/b").set({ text: "second", n: -1 });
  await db.doc("things/a/parts/p1").set({ weight: 1.5 });
  await db.doc("notes/n1").set({ body: "kept" });
  for (const name of DOCS) before.set(name, await stored(name));
  good = await exportRun("restore-source");
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** Runs the CLI on a pseudo-terminal (util-linux script), typing `input`: the interactive confirmation. */
function onTerminal(args: string[], input: string): Promise<{ code: number | null; output: string }> {
  const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const command = `${process.execPath} ${path.join(process.cwd(), "dist", "cli", "src", "main.js")} ${quoted}`;
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qec", command, "/dev/null"], { env: { ...process.env, ...stack.env } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
    child.stdin.end(input);
  });
}

const hasScript = spawnSync("script", ["--version"]).status === 0;

describe("restore", () => {
  it("round trip: brings every document back into the live database with identical values", async () => {
    expect(good).toMatchObject({ state: "SUCCESSFUL", restorable: true });
    const db = stack.db();
    await Promise.all(DOCS.map((name) => db.doc(name).delete()));
    for (const name of DOCS) expect(await stored(name)).toBeUndefined();

    const result = await cli(
      "restore",
      good.runKey,
      "--target-database",
      LOCAL_DATABASE,
      "--overwrite-live",
      "--yes",
      "--json",
    );
    expect(result.code, result.stderr).toBe(0);
    const body = JSON.parse(result.stdout);
    expect(body).toMatchObject({
      state: "SUCCESSFUL",
      run: good.runKey,
      targetDatabase: LOCAL_DATABASE,
      inputUriPrefix: good.outputUriPrefix,
      overwroteLive: true,
    });
    expect(body.operation).toMatch(/^projects\/demo-local\/databases\/\(default\)\/operations\//);
    for (const name of DOCS) expect(await stored(name), name).toEqual(before.get(name));
  });

  it("shows what will be overwritten and follows the import with plain progress lines off a terminal", async () => {
    const result = await cli(
      "restore",
      good.runKey,
      "--target-database",
      LOCAL_DATABASE,
      "--overwrite-live",
      "--yes",
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`  from        ${good.outputUriPrefix}`);
    expect(result.stdout).toContain("the LIVE source database");
    expect(result.stdout).toContain("everything in the export (all collections, subcollections included)");
    expect(result.stdout).toMatch(/documents +\d+ in the export/);
    expect(result.stdout).toContain("Documents in the target with the same ids are overwritten");
    expect(result.stdout).toMatch(/100% {2}SUCCESSFUL/);
    // No terminal: no carriage returns or escape sequences.
    expect(result.stdout).not.toContain("\r");
    expect(result.stdout).not.toContain("\u001b[");
  });

  it("refuses a CANCELLED run, whatever the flags", async () => {
    const cancelled = await exportRun("restore-cancelled", "op:CANCELLED*1");
    expect(cancelled.state).toBe("CANCELLED");
    const result = await cli(
      "restore",
      cancelled.runKey,
      "--target-database",
      LOCAL_DATABASE,
      "--overwrite-live",
      "--yes",
      "--json",
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/refused: .*CANCELLED.*partial files/);
    expect(JSON.parse(result.stdout)).toMatchObject({ state: "REFUSED", run: cancelled.runKey });
  });

  it("refuses the live database without --overwrite-live, and without --yes when stdin is not a terminal", async () => {
    const bare = await cli("restore", good.runKey, "--target-database", LOCAL_DATABASE);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(/database this export was taken from.*--overwrite-live/);
    const unconfirmed = await cli(
      "restore",
      good.runKey,
      "--target-database",
      LOCAL_DATABASE,
      "--overwrite-live",
    );
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toMatch(/stdin is not a terminal, so pass --yes/);
  });

  it("on a terminal, asks to type the database id, and imports only when it matches", async () => {
    // util-linux `script` (Debian's essential bsdutils) provides the terminal; no skipping.
    expect(
      hasScript,
      "install util-linux `script` (Debian package bsdutils) to test the terminal prompt",
    ).toBe(true);
    const argv = ["restore", good.runKey, "--target-database", LOCAL_DATABASE, "--overwrite-live"];
    const wrong = await onTerminal(argv, "prod\n");
    expect(wrong.code).toBe(1);
    expect(wrong.output).toContain("Type the database id ((default)) to overwrite it");
    expect(wrong.output).toMatch(/refused: the typed confirmation did not match; nothing was imported/);
    expect(wrong.output).not.toContain("Import started");
    const right = await onTerminal(argv, "(default)\n");
    expect(right.code, right.output).toBe(0);
    // The progress bar redraws in place on a terminal.
    expect(right.output).toContain(`\r${String.fromCharCode(27)}[2K[${"█".repeat(24)}] 100%  SUCCESSFUL`);
  });

  it("refuses a collection subset of an export made without collectionIds", async () => {
    const result = await cli(
      "restore",
      good.runKey,
      "--target-database",
      LOCAL_DATABASE,
      "--collection-ids",
      "things",
      "--overwrite-live",
      "--yes",
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /exported all collections.*only from an export made with those collection ids/,
    );
  });

  it("needs a target database (exit 2) and a known run (exit 1)", async () => {
    const none = await cli("restore", good.runKey);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--target-database is required/);
    const unknown = await cli("restore", "manual:nope", "--target-database", LOCAL_DATABASE);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no run manual:nope in the ledger/);
  });
});
