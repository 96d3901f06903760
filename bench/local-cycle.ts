/**
 * Local cycle: one `npm start` run (dist/local/start.js, already built), its phases read from the
 * `✔ name (12.3 s)` lines it prints on stderr, and its last stdout line (the run summary).
 */
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { PROJECT_ROOT } from "../local/stack.js";
import { exited, killGroup, spawnTracked } from "./processes.js";

export interface CyclePhase {
  name: string;
  seconds: number;
}

export interface CycleResult {
  dataSet: "default" | "full";
  phases: CyclePhase[];
  documents?: number;
  /** Documents loaded per second of the data-load phase. */
  loadDocsPerSecond?: number;
  /** Documents per second from the trigger to the checker's verified verdict. */
  exportDocsPerSecond?: number;
  state?: string;
  wallSeconds: number;
  error?: string;
}

/** Parses one stderr line of `npm start`; undefined when it is not a phase line. */
export function parsePhaseLine(line: string): CyclePhase | undefined {
  const match = /^✔ (.+) \((\d+(?:\.\d+)?) s\)$/.exec(line.trim());
  if (!match) return undefined;
  return { name: match[1] ?? "", seconds: Number(match[2]) };
}

export async function benchLocalCycle(
  dataSet: "default" | "full",
  timeoutSeconds: number,
): Promise<CycleResult> {
  const args = [path.join(PROJECT_ROOT, "dist", "local", "start.js"), "--timeout", String(timeoutSeconds)];
  if (dataSet === "full") args.push("--full");
  const { GOOGLE_APPLICATION_CREDENTIALS: _ignored, ...env } = process.env;
  const started = performance.now();
  const child = spawnTracked(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { ...env, METADATA_SERVER_DETECTION: "none" },
    stdio: ["ignore", "pipe", "pipe"],
    group: true,
  });
  const phases: CyclePhase[] = [];
  let lastStdout = "";
  const tail: string[] = [];
  if (child.stderr)
    createInterface({ input: child.stderr }).on("line", (line) => {
      const phase = parsePhaseLine(line);
      if (phase) phases.push(phase);
      tail.push(line);
      if (tail.length > 10) tail.shift();
    });
  if (child.stdout)
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.trim()) lastStdout = line;
    });
  // Its own --timeout bounds the wait for the verdict; this bounds boot and data load too.
  const hardDeadline = setTimeout(
    () => void killGroup(child, "SIGTERM", 10_000),
    (timeoutSeconds + 120) * 1000,
  );
  await exited(child);
  clearTimeout(hardDeadline);
  await killGroup(child, "SIGKILL", 0);
  const result: CycleResult = { dataSet, phases, wallSeconds: (performance.now() - started) / 1000 };
  try {
    const summary = JSON.parse(lastStdout) as { state?: string; error?: string };
    if (summary.state) result.state = summary.state;
    if (summary.error) result.error = summary.error;
  } catch {
    result.error = `no JSON summary; exit ${child.exitCode ?? child.signalCode}; ${tail.join(" | ").slice(-500)}`;
  }
  const load = phases.find((p) => p.name.startsWith("data loaded"));
  const documents = load ? Number(/(\d+) documents/.exec(load.name)?.[1]) : Number.NaN;
  if (load && Number.isFinite(documents)) {
    result.documents = documents;
    if (load.seconds > 0) result.loadDocsPerSecond = Math.round(documents / load.seconds);
    const exportSeconds = phases
      .filter((p) => p.name.startsWith("export started") || p.name.startsWith("checked"))
      .reduce((sum, p) => sum + p.seconds, 0);
    if (exportSeconds > 0) result.exportDocsPerSecond = Math.round(documents / exportSeconds);
  }
  return result;
}
