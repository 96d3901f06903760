/**
 * Child processes of the benchmark: every one is tracked, killed by its own id when done, and all
 * that are left are killed when the benchmark exits, whatever way it exits.
 */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";

const live = new Set<ChildProcess>();
const leaders = new WeakSet<ChildProcess>();

/** Spawns and tracks a child; `group` puts it in its own process group (killed as a group). */
export function spawnTracked(command: string, args: string[], options: SpawnOptions & { group?: boolean }) {
  const child = spawn(command, args, { ...options, detached: options.group ?? false });
  live.add(child);
  if (options.group) leaders.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Kills the child (its group when it leads one) and waits, escalating to SIGKILL after graceMs. */

/** Kills a process group led by `child` (spawned with group: true). */
export async function killGroup(child: ChildProcess, signal: NodeJS.Signals, graceMs: number) {
  const send = (sig: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // group already gone
    }
  };
  send(signal);
  const timer = setTimeout(() => send("SIGKILL"), graceMs);
  await exited(child);
  clearTimeout(timer);
  // Stragglers of the group (emulators) get no second chance once the leader is gone.
  send("SIGKILL");
}

/** Kills every child still alive; registered for exit and signals by run.ts. */
export function killAll(): void {
  for (const child of live) {
    try {
      if (child.pid === undefined) continue;
      if (leaders.has(child)) process.kill(-child.pid, "SIGKILL");
      else child.kill("SIGKILL");
    } catch {
      // gone
    }
  }
}

/** Peak resident set size (VmHWM) of a live process in bytes, from /proc; NaN when unreadable. */
export function peakRss(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Polls until a TCP connection to 127.0.0.1:port succeeds, every `everyMs`, up to the deadline. */
export async function waitForPort(port: number, deadline: number, everyMs = 5): Promise<boolean> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return false;
}
