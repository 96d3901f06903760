import { hasVerdict, type RunRecord } from "../../functions/src/run.js";
import type { Output } from "./context.js";

/** 12345 → "12,345". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** 6789012 → "6.5 MiB". */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** 75_000 → "1m15s", 3_725_000 → "1h02m05s", 4_200 → "4.2s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (v: number) => String(v).padStart(2, "0");
  if (h > 0) return `${h}h${pad(m)}m${pad(s)}s`;
  return m > 0 ? `${m}m${pad(s)}s` : `${s}s`;
}

/** The checker has given its verdict: the run is closed, or it outlived its window and was alerted. */
export function isSettled(run: RunRecord): boolean {
  return hasVerdict(run);
}

/**
 * How long the run has taken so far (or took) until its end (or now): from the export's start by
 * default (its duration), or from the claim (what an operator waiting has seen pass).
 */
export function elapsedMs(run: RunRecord, now: Date, from: "start" | "claim" = "start"): number {
  const since = Date.parse(from === "claim" ? run.createdAt : (run.startedAt ?? run.createdAt));
  const to = run.endedAt ? Date.parse(run.endedAt) : now.getTime();
  return Math.max(0, to - since);
}

/** Done fraction from bytes, else documents, when the API gave an estimate. */
export function doneFraction(run: RunRecord): number | undefined {
  if (run.state === "SUCCESSFUL") return 1;
  const p = run.progress ?? {};
  if (p.estimatedBytes && p.bytes !== undefined) return Math.min(1, p.bytes / p.estimatedBytes);
  if (p.estimatedDocuments && p.documents !== undefined)
    return Math.min(1, p.documents / p.estimatedDocuments);
  return undefined;
}

/** Time left, extrapolated from the pace so far; undefined before any progress. */
export function remainingMs(run: RunRecord, now: Date): number | undefined {
  const fraction = doneFraction(run);
  if (fraction === undefined || fraction <= 0 || isSettled(run)) return undefined;
  return (elapsedMs(run, now) * (1 - fraction)) / fraction;
}

/** A bar of `width` cells with eighth-cell resolution. */
export function bar(fraction: number, width = 24): string {
  const eighths = Math.round(Math.min(1, Math.max(0, fraction)) * width * 8);
  const full = Math.floor(eighths / 8);
  const rest = eighths % 8;
  const partial = rest > 0 ? (["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][rest] ?? "") : "";
  return `${"█".repeat(full)}${partial}`.padEnd(width, "░");
}

/** What changes as the run progresses, without the clock: plain output prints a line when this changes. */
export function progressFacts(run: RunRecord): string {
  const p = run.progress ?? {};
  const docs = `${formatCount(p.documents ?? 0)}${p.estimatedDocuments ? `/${formatCount(p.estimatedDocuments)}` : ""} documents`;
  const bytes = `${formatBytes(p.bytes ?? 0)}${p.estimatedBytes ? `/${formatBytes(p.estimatedBytes)}` : ""}`;
  const state = `${run.state}${run.operationState && run.operationState !== run.state ? ` (${run.operationState})` : ""}`;
  const stuck = run.alerts?.export_stuck && run.open ? " export_stuck" : "";
  return `${state}${stuck}  ${docs}  ${bytes}`;
}

/** One progress line: bar, percentage, documents and bytes of the estimate, elapsed and time left. */
export function progressLine(run: RunRecord, now: Date, width = 24): string {
  const fraction = doneFraction(run);
  const gauge =
    fraction === undefined
      ? `[${"·".repeat(width)}]   ?%`
      : `[${bar(fraction, width)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const left = remainingMs(run, now);
  const tail =
    fraction === 1 && !isSettled(run)
      ? ", verifying"
      : left !== undefined
        ? `, ~${formatDuration(left)} left`
        : "";
  const timing = `elapsed ${formatDuration(elapsedMs(run, now, "claim"))}${tail}`;
  return `${run.runKey}\n  ${gauge}  ${progressFacts(run)}  ${timing}`;
}

/**
 * Shows the progress of some runs: on a terminal the block is redrawn in place; otherwise (a pipe,
 * a CI log) a plain line is printed for a run only when its progress changed.
 */
export function createProgressView(out: Output, now: () => Date) {
  let drawnLines = 0;
  const printed = new Map<string, string>();
  return {
    show(runs: RunRecord[], waiting: string[] = []): void {
      if (out.json) return;
      if (out.tty) {
        const lines = [
          ...runs.flatMap((r) => progressLine(r, now()).split("\n")),
          ...waiting
            .map((key) => `${key}\n  waiting for the exporter to claim the run…`)
            .flatMap((l) => l.split("\n")),
        ];
        const up = drawnLines > 0 ? `\x1b[${drawnLines}A` : "";
        out.write(`${up}${lines.map((l) => `\r\x1b[2K${l}`).join("\n")}\n`);
        drawnLines = lines.length;
        return;
      }
      for (const run of runs) {
        const facts = progressFacts(run);
        if (printed.get(run.runKey) === facts) continue;
        printed.set(run.runKey, facts);
        out.line(progressLine(run, now()).replace("\n ", ""));
      }
    },
  };
}
