import { cron, fireTimes, nextFire, previousFire } from "./cron.js";

/** The time limits the checker applies to one target, in milliseconds. */
export interface Windows {
  /** A scheduled slot with no started export after this long alerts `export_not_started`. */
  startMs: number;
  /** An export still running after this long alerts `export_stuck`. */
  completionMs: number;
  /** No verified export newer than this alerts `backup_stale`. */
  freshnessMs: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const UNITS: Record<string, number> = { s: SECOND, m: MINUTE, h: HOUR, d: DAY };
export const DURATION_FORM = "a duration such as 90s, 30m, 12h or 2d";

/** Parses `90s`, `30m`, `12h`, `2d`; undefined when malformed or zero. */
export function parseDuration(raw: string): number | undefined {
  const match = /^(\d{1,7})([smhd])$/.exec(raw.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (UNITS[match[2] ?? ""] ?? 0);
  return ms > 0 ? ms : undefined;
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ["d", DAY],
    ["h", HOUR],
    ["m", MINUTE],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}

/** The longest gap between two consecutive fires of the schedule, over a year and a month. */
export function scheduleInterval(expression: string, timeZone: string): number {
  // A fixed reference keeps the result independent of when the function starts.
  const e = cron(expression);
  const from = new Date(Date.UTC(2026, 0, 1));
  const to = new Date(from.getTime() + 400 * DAY);
  // Streamed: an every-minute schedule fires over half a million times in that span.
  let previous = previousFire(e, timeZone, from)?.getTime();
  let longest = 0;
  for (const t of fireTimes(e, timeZone, from, to)) {
    if (previous !== undefined) longest = Math.max(longest, t - previous);
    previous = t;
  }
  const next = nextFire(e, timeZone, new Date(previous ?? to.getTime()));
  if (next && previous !== undefined) longest = Math.max(longest, next.getTime() - previous);
  return longest;
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/**
 * Defaults that follow the cadence, so that changing the schedule never causes false alarms:
 * start within a quarter of the interval (5 min to 1 h), finish within half of it (30 min to 12 h),
 * and a verified export no older than one interval plus both windows.
 */
export function defaultWindows(intervalMs: number): Windows {
  const startMs = clamp(intervalMs / 4, 5 * MINUTE, HOUR);
  const completionMs = clamp(intervalMs / 2, 30 * MINUTE, 12 * HOUR);
  return { startMs, completionMs, freshnessMs: intervalMs + startMs + completionMs };
}
