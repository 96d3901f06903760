import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Command } from "../command.js";
import type { CliContext } from "../context.js";

const HELP = `Usage: firestore-exporter local [-- npm start options]

Runs the whole system on this machine, exactly as 'npm start' does (emulators, gateway, both
functions, a data set, one scheduled export followed to its verified end), with the same options;
its output and exit code are those of 'npm start'. Options (see the README, "What npm start does"):
  --faults SPEC   gateway faults, e.g. export:503*2,op:FAILED
  --full          load the full data set (over 100,000 documents)
  --keep          keep the stack running afterwards (Ctrl-C stops it)
  --timeout S     wait at most S seconds for the verdict (default 300)

Examples:
  firestore-exporter local
  firestore-exporter local --faults op:FAILED
  COMPLETION_WINDOW=10s firestore-exporter local --faults op:STUCK`;

/** dist/cli/src/commands/local.js → dist/local/start.js */
const START = fileURLToPath(new URL("../../../local/start.js", import.meta.url));

async function run(args: string[], ctx: CliContext): Promise<number> {
  if (!existsSync(START)) {
    ctx.out.error(`firestore-exporter local: ${START} is missing; run 'npm run build' first`);
    return 2;
  }
  // --json is taken by the CLI itself; start.js always ends with its JSON line anyway.
  const passed = args[0] === "--" ? args.slice(1) : args;
  const child = spawn(process.execPath, [START, ...passed], { stdio: "inherit", env: process.env });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward("SIGINT");
  const onTerm = forward("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}

export const local: Command = {
  name: "local",
  summary: "the whole system on this machine, the same as 'npm start'",
  help: HELP,
  needsContext: false,
  run,
};
