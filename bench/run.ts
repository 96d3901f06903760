/**
 * `npm run bench [-- --quick]`: cold invocation, peak memory, checker cost, deployable size and the
 * local cycle, measured in one run on this machine. Prints a table and writes
 * bench/results/latest.json. Every comparison is a ratio of figures measured in the same run, with
 * interleaved repetitions; nothing here is a hard-coded figure.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createFirestoreLedger, ledgerRestCall } from "../functions/src/ledger.js";
import { type Emulator, startFirestoreEmulator } from "../local/emulators.js";
import { PROJECT_ROOT } from "../local/stack.js";
import { type AlertLatencyResult, benchAlertLatency } from "./alert-latency.js";
import { benchChecker, type CheckerSample, type CheckerScenario } from "./checker-cost.js";
import { benchCold, type ColdResult, type Variant } from "./cold.js";
import { FANOUT_PROJECT, type FanOutResult, runFanOut } from "./fanout.js";
import { benchLocalCycle, type CycleResult } from "./local-cycle.js";
import { killAll } from "./processes.js";
import { benchSize, buildBundle, type SizeResult } from "./size.js";
import {
  formatBytes,
  formatRatio,
  formatSummaryMs,
  median,
  ratio,
  renderTable,
  type Summary,
  summarize,
} from "./stats.js";

const MIB = 1024 * 1024;

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function say(line: string) {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<number> {
  let values: { quick?: boolean; only?: string };
  try {
    ({ values } = parseArgs({
      options: { quick: { type: "boolean", default: false }, only: { type: "string" } },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  const quick = values.quick ?? false;
  const only = parseOnly(values.only);
  // The ledger client in this process (checker cost) must never probe the GCE metadata server.
  process.env.METADATA_SERVER_DETECTION = "none";
  delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  const started = Date.now();
  const results: Record<string, unknown> = {
    startedAt: new Date(started).toISOString(),
    quick,
    ...(values.only !== undefined && { only: [...only] }),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
  };
  const sections: string[] = [];
  // The cold invocation runs what deploy.sh uploads; build/ is removed again if this run made it
  // (biome checks every file of the tree).
  const buildDir = path.join(PROJECT_ROOT, "build");
  const buildExisted = existsSync(buildDir);
  say("bench: bundling the functions as deploy.sh does…");
  const bundleDir = await buildBundle();
  try {
    await runSections({ only, quick, bundleDir, results, sections });
  } finally {
    if (!buildExisted) rmSync(buildDir, { recursive: true, force: true });
  }

  results.seconds = (Date.now() - started) / 1000;

  const dir = path.join(PROJECT_ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  // A run of some sections never replaces the figures of the last complete one.
  const file = path.join(dir, values.only === undefined ? "latest.json" : "partial.json");
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  // biome checks every file of the tree (ignored ones included): keep `npm run check` green after a run.
  spawnSync(
    process.execPath,
    [path.join(PROJECT_ROOT, "node_modules", "@biomejs", "biome", "bin", "biome"), "format", "--write", file],
    {
      stdio: "ignore",
      timeout: 30_000,
    },
  );
  process.stdout.write(`${sections.join("\n\n")}\n\n`);
  process.stdout.write(
    `${quick ? "quick" : "full"} run${values.only === undefined ? "" : ` of ${[...only].join(", ")}`} in ${(results.seconds as number).toFixed(0)} s on ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, node ${process.version}; figures in ${path.relative(PROJECT_ROOT, file)}\n`,
  );
  return 0;
}

interface SectionContext {
  only: Set<Section>;
  quick: boolean;
  bundleDir: string;
  results: Record<string, unknown>;
  sections: string[];
}

async function runSections({ only, quick, bundleDir, results, sections }: SectionContext): Promise<void> {
  let emulator: Emulator | undefined;
  try {
    if (only.has("cold") || only.has("checker") || only.has("fanout")) {
      say("bench: starting the Firestore emulator…");
      emulator = await startFirestoreEmulator();
    }
    if (emulator && only.has("cold")) {
      say(`bench: cold invocation (${quick ? 5 : 15} interleaved repetitions of each variant)…`);
      const cold = await benchCold({ reps: quick ? 5 : 15, firestoreHost: emulator.host, bundleDir });
      results.cold = coldFigures(cold);
      sections.push(coldTable(cold));
    }
    if (emulator && only.has("checker")) {
      say("bench: checker cost…");
      const scenarios: CheckerScenario[] = [1, 10, 100, 1000].flatMap((runs) => [
        { runs, databases: 1 },
        ...(runs >= 10 ? [{ runs, databases: 10 }] : []),
      ]);
      const checker = await benchChecker({ scenarios, reps: quick ? 2 : 7, firestoreHost: emulator.host });
      results.checker = checkerFigures(scenarios, checker);
      sections.push(checkerTable(scenarios, checker));
    }
    if (emulator && only.has("fanout")) {
      say("bench: fan-out under quota (simulated time, real exporter and ledger)…");
      const fanout = await benchFanOut(emulator.host);
      results.fanout = fanout;
      sections.push(fanOutTable(fanout));
    }
  } finally {
    await emulator?.stop();
  }

  if (only.has("alert")) {
    say("bench: failure-to-alert latency (local stack, op:FAILED)…");
    const alert = await benchAlertLatency({ reps: quick ? 3 : 7, tickMs: 2000 });
    results.alertLatency = alert;
    sections.push(alertTable(alert));
  }

  if (only.has("cycle")) {
    const cycles: CycleResult[] = [];
    for (const dataSet of quick ? (["default"] as const) : (["default", "full"] as const)) {
      say(`bench: local cycle (npm start, ${dataSet} data set)…`);
      cycles.push(await benchLocalCycle(dataSet, quick ? 60 : 300));
    }
    results.localCycle = cycles;
    sections.push(cycleTable(cycles));
  }

  if (only.has("size")) {
    say("bench: deployable size…");
    const size = benchSize();
    results.size = size;
    sections.push(sizeTable(size));
  }
}

const SECTIONS = ["cold", "checker", "fanout", "alert", "cycle", "size"] as const;
type Section = (typeof SECTIONS)[number];

/** `--only cold,size`: the sections to run; all of them without the option. */
function parseOnly(raw: string | undefined): Set<Section> {
  if (raw === undefined) return new Set(SECTIONS);
  const names = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--only ${JSON.stringify(raw)}: ${unknown.length > 0 ? `unknown section(s) ${unknown.join(", ")}` : "no section named"}; expected a comma-separated list of ${SECTIONS.join(", ")}`,
    );
  }
  return new Set(names as Section[]);
}

class UsageError extends Error {}

const USAGE = `Usage: npm run bench -- [--quick] [--only SECTIONS]
  --quick         fewer repetitions and the default data set only (about a minute)
  --only SECTIONS comma-separated, from ${SECTIONS.join(", ")}; figures go to bench/results/partial.json`;

const VARIANTS: Variant[] = ["product", "floor", "usual"];
const LABEL: Record<Variant, string> = {
  product: "product (exportFirestore)",
  floor: "floor (one bare fetch)",
  usual: "usual (gRPC FirestoreAdminClient)",
};

function series(cold: ColdResult, variant: Variant, pick: (s: ColdResult["samples"][number]) => number) {
  return cold.samples.filter((s) => s.variant === variant).map(pick);
}

function coldFigures(cold: ColdResult) {
  const per = Object.fromEntries(
    VARIANTS.map((v) => [
      v,
      {
        arrivalMs: summarize(series(cold, v, (s) => s.arrivalMs)),
        listenMs: summarize(series(cold, v, (s) => s.listenMs)),
        peakRssBytes: summarize(series(cold, v, (s) => s.peakRssBytes)),
        statuses: series(cold, v, (s) => s.status),
      },
    ]),
  ) as Record<Variant, { arrivalMs: Summary; listenMs: Summary; peakRssBytes: Summary; statuses: number[] }>;
  return {
    ...per,
    ratios: {
      arrivalProductOverFloor: ratio(per.product.arrivalMs.median, per.floor.arrivalMs.median),
      arrivalProductOverUsual: ratio(per.product.arrivalMs.median, per.usual.arrivalMs.median),
      memoryProductOverUsual: ratio(per.product.peakRssBytes.median, per.usual.peakRssBytes.median),
      memoryProductOverFloor: ratio(per.product.peakRssBytes.median, per.floor.peakRssBytes.median),
    },
    /** The product's ledger claim round trip, and what is left of its lead over the floor without it. */
    claimMs: summarize(series(cold, "product", (s) => s.claimMs ?? Number.NaN).filter(Number.isFinite)),
    usualMeasures: cold.usualMeasures,
    failures: cold.failures,
  };
}

function coldTable(cold: ColdResult): string {
  const f = coldFigures(cold);
  const rows = VARIANTS.map((v) => {
    const m = f[v];
    const rss = m.peakRssBytes;
    return [
      LABEL[v],
      String(m.arrivalMs.n),
      formatSummaryMs(m.arrivalMs),
      `${Math.round(m.arrivalMs.min)}–${Math.round(m.arrivalMs.max)}`,
      formatSummaryMs(m.listenMs),
      Number.isFinite(rss.median)
        ? `${(rss.median / MIB).toFixed(0)} MiB ± ${(rss.iqr / 2 / MIB).toFixed(0)}`
        : "n/a",
      v === "product" ? "—" : formatRatio(ratio(f.product.arrivalMs.median, m.arrivalMs.median)),
      v === "product" ? "—" : formatRatio(ratio(f.product.peakRssBytes.median, rss.median)),
      m.statuses.every((s) => s === 204) ? "204" : [...new Set(m.statuses)].join("/"),
    ];
  });
  const lines = [
    "1–2. Cold invocation (spawn → exportDocuments arrives at the stand-in) and peak memory (VmHWM)",
    renderTable(
      [
        "variant",
        "n",
        "arrival median ± IQR/2",
        "min–max",
        "listening",
        "peak RSS",
        "product/this",
        "RSS product/this",
        "answer",
      ],
      rows,
    ),
    `   product ${f.product.peakRssBytes.max <= 128 * MIB ? "fits" : "does NOT fit"} a 128 MiB function (max VmHWM ${formatBytes(f.product.peakRssBytes.max)}); usual: ${cold.usualMeasures}`,
    `   product − floor = ${(f.product.arrivalMs.median - f.floor.arrivalMs.median).toFixed(0)} ms, of which the ledger claim's round trip to the emulator (median, through a timing proxy) ${formatSummaryMs(f.claimMs)}; listening ${(f.product.listenMs.median - f.floor.listenMs.median).toFixed(0)} ms later than the floor`,
  ];
  for (const failure of cold.failures)
    lines.push(`   FAILED ${failure.variant} rep ${failure.rep}: ${failure.error}`);
  return lines.join("\n");
}

function scenarioName(s: CheckerScenario) {
  return `K=${s.runs} in ${s.databases} db`;
}

function checkerFigures(scenarios: CheckerScenario[], samples: CheckerSample[]) {
  return scenarios.map((scenario) => {
    const mine = samples.filter((s) => s.scenario === scenario);
    const calls = (pick: (s: CheckerSample) => number) => median(mine.map(pick));
    return {
      ...scenario,
      n: mine.length,
      adminCalls: {
        get: calls((s) => s.adminCalls.get),
        list: calls((s) => s.adminCalls.list),
        storage: calls((s) => s.adminCalls.storage),
        cancel: calls((s) => s.adminCalls.cancel),
      },
      ledgerCalls: calls((s) => sum(Object.values(s.ledgerCalls))),
      ledgerCallsByMethod: mine[0]?.ledgerCalls ?? {},
      ms: summarize(mine.map((s) => s.ms)),
    };
  });
}

function checkerTable(scenarios: CheckerScenario[], samples: CheckerSample[]): string {
  const rows = checkerFigures(scenarios, samples).map((f) => [
    scenarioName(f),
    String(f.n),
    String(f.adminCalls.get),
    String(f.adminCalls.list),
    String(f.adminCalls.storage),
    String(f.adminCalls.get + f.adminCalls.list + f.adminCalls.storage + f.adminCalls.cancel),
    `${f.ledgerCalls} (${Object.entries(f.ledgerCallsByMethod)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")})`,
    formatSummaryMs(f.ms),
  ]);
  return [
    "3. Checker cost per steady tick (real checkTick, real ledger on the Firestore emulator, counting in-memory Admin API; all runs RUNNING)",
    renderTable(
      ["open runs", "ticks", "get", "list", "storage", "admin calls", "ledger calls", "wall median ± IQR/2"],
      rows,
    ),
  ].join("\n");
}

function sizeTable(size: SizeResult): string {
  const row = (name: string, f: { files: number; bytes: number; packages?: number }) => [
    name,
    f.packages === undefined ? "—" : String(f.packages),
    String(f.files),
    formatBytes(f.bytes),
  ];
  return [
    "7. Deployable size",
    renderTable(
      ["what", "packages", "files", "bytes"],
      [
        row("product: uploaded source (build/function-source)", size.bundle),
        row("product: its production dependency closure", size.productDependencies),
        row("usual: @google-cloud/firestore + closure", size.usualDependencies),
      ],
    ),
  ].join("\n");
}

function cycleTable(cycles: CycleResult[]): string {
  const rows = cycles.map((c) => [
    c.dataSet,
    c.state ?? "?",
    c.documents === undefined ? "?" : String(c.documents),
    c.phases.map((p) => `${p.name.split(":")[0]} ${p.seconds.toFixed(1)} s`).join(", "),
    c.loadDocsPerSecond === undefined ? "?" : `${c.loadDocsPerSecond} docs/s`,
    c.exportDocsPerSecond === undefined ? "?" : `${c.exportDocsPerSecond} docs/s`,
    `${c.wallSeconds.toFixed(1)} s`,
  ]);
  const lines = [
    "6. Local cycle (npm start: one run per data set, phases from its own stderr)",
    renderTable(
      ["data set", "state", "documents", "phases", "load rate", "export+verify rate", "wall"],
      rows,
    ),
  ];
  for (const c of cycles) if (c.error) lines.push(`   ${c.dataSet}: ${c.error}`);
  return lines.join("\n");
}

function alertTable(result: AlertLatencyResult): string {
  const seconds = summarize(result.samples.map((s) => s.seconds));
  const ticks = result.samples.map((s) => s.ticks);
  const lines = [
    `5. Failure-to-alert latency (local stack: operation FAILED → export_failed at the webhook; check tick every ${result.tickSeconds} s)`,
    renderTable(
      ["runs", "seconds median", "min–max", "ticks median", "ticks max"],
      [
        [
          String(result.samples.length),
          result.samples.length > 0 ? `${seconds.median.toFixed(2)} s` : "n/a",
          result.samples.length > 0 ? `${seconds.min.toFixed(2)}–${seconds.max.toFixed(2)} s` : "n/a",
          ticks.length > 0 ? String(median(ticks)) : "n/a",
          ticks.length > 0 ? String(Math.max(...ticks)) : "n/a",
        ],
      ],
    ),
  ];
  if (result.error) lines.push(`   ${result.error}`);
  return lines.join("\n");
}

/** N = 10, 100, 500 databases of one project; each with its own ledger database on the emulator. */
async function benchFanOut(firestoreHost: string): Promise<FanOutResult[]> {
  const results: FanOutResult[] = [];
  for (const databases of [10, 100, 500]) {
    const database = {
      project: FANOUT_PROJECT,
      databaseId: `fanout-${databases}-${Date.now()}`,
      name: "",
    };
    database.name = `projects/${database.project}/databases/${database.databaseId}`;
    const ledger = createFirestoreLedger({
      database,
      collection: "runs",
      rest: ledgerRestCall(`http://${firestoreHost}`, 30_000),
    });
    results.push(await runFanOut({ databases, ledger }));
  }
  return results;
}

function fanOutTable(results: FanOutResult[]): string {
  const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;
  const rows = results.map((r) => [
    String(r.databases),
    minutes(r.makespanMs),
    minutes(r.optimalMs),
    formatRatio(r.ratio),
    String(r.deliveries),
    `${r.refused.rate} / ${r.refused.concurrent}`,
    String(r.peakRunning),
    `${r.started}/${r.databases}`,
    String(r.surfaced),
  ]);
  return [
    "4. Fan-out under quota (20 requests/min, 50 running; exports of 1–5 min; simulated clock, Pub/Sub redelivery 10 s→600 s)",
    renderTable(
      [
        "databases",
        "makespan",
        "quota-optimal",
        "ratio",
        "deliveries",
        "429s rate / slots",
        "peak running",
        "started",
        "surfaced",
      ],
      rows,
    ),
  ].join("\n");
}

for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
process.once("exit", killAll);

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`bench: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    killAll();
    process.exit(1);
  },
);
