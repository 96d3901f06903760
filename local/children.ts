import type { ChildProcess } from "node:child_process";

const running = new Set<ChildProcess>();
let hooksInstalled = false;

function killAll(): void {
  for (const child of running) child.kill("SIGKILL");
}

/**
 * Child processes (emulators, functions) must not outlive the process that started them, even
 * when it exits without stopping them. A signal ends Node without an 'exit' event, so the usual
 * termination signals are covered too: every child is killed at once, and the signal is raised
 * again so that its default outcome (exit) is kept unless the application handles it itself.
 */
export function trackChild(child: ChildProcess): void {
  running.add(child);
  child.once("exit", () => running.delete(child));
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAll();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}
