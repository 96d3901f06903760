import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { trackChild } from "./children.js";

/** A functions-framework process serving one entry point, exactly as Cloud Functions would. */
export interface FunctionProcess {
  target: string;
  url: string;
  /** Structured log lines the function wrote (JSON lines only). */
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

export interface FunctionProcessOptions {
  target: string;
  /** Built JavaScript entry module (dist/functions/src/index.js); dist/local/serve-function.js serves it. */
  source: string;
  port: number;
  env: Record<string, string>;
  /** Where the raw output goes, for troubleshooting. */
  logFile: string;
  startTimeoutMs?: number;
}

export async function startFunctionProcess(options: FunctionProcessOptions): Promise<FunctionProcess> {
  // Always the built server next to the built source: tests import this module from local/*.ts.
  const serve = path.join(path.dirname(options.source), "..", "..", "local", "serve-function.js");
  const child: ChildProcess = spawn(
    process.execPath,
    [serve, options.source, options.target, String(options.port)],
    {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  trackChild(child);
  const logs: Array<Record<string, unknown>> = [];
  const file = createWriteStream(options.logFile, { flags: "a" });
  let exited: { code: number | null } | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("exit", (code) => {
      exited = { code };
      resolve();
    });
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on("line", (line) => {
      file.write(`${line}\n`);
      if (line.startsWith("{")) {
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // a plain line that happens to start with a brace
        }
      }
    });
  }
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(
        `${options.target} exited with code ${exited.code} while starting; see ${options.logFile}:\n${tail(logs)}`,
      );
    }
    // A TCP connect, not a request: a GET would run the function with no event and log a stack trace.
    if (await accepts(options.port)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (Date.now() >= deadline) {
    child.kill("SIGKILL");
    throw new Error(`${options.target} did not accept connections on ${url} in time; see ${options.logFile}`);
  }
  return {
    target: options.target,
    url,
    logs,
    async stop() {
      if (!exited) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exitedPromise;
        clearTimeout(timer);
      }
      file.end();
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function tail(logs: Array<Record<string, unknown>>): string {
  return logs
    .slice(-5)
    .map((l) => String(l.message ?? JSON.stringify(l)))
    .join("\n");
}
