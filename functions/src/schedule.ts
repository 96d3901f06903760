import { cron, firesBetween, isUtc, previousFire } from "./cron.js";

/**
 * The scheduled slot a delivery belongs to: the newest cron fire time at or before `at`.
 * Cloud Scheduler publishes a little after the fire time, so flooring the publish time to the
 * schedule gives the same slot for the original delivery and for any retry of it.
 */
export function scheduledSlot(expression: string, timeZone: string, at: Date): Date {
  const slot = previousFire(cron(expression), timeZone, at);
  if (!slot) throw new Error(`cron "${expression}" has no fire time before ${at.toISOString()}`);
  return slot;
}

/** The fire times of the schedule in (from, to], oldest first; bounded so a dense cron cannot run long. */
export function slotsBetween(
  expression: string,
  timeZone: string,
  from: Date,
  to: Date,
  limit = 1000,
): Date[] {
  return firesBetween(cron(expression), timeZone, from, to, limit);
}

/** Calendar fields of an instant as seen in a time zone. */
export interface ZonedParts {
  yyyy: string;
  mm: string;
  dd: string;
  hh: string;
  min: string;
  ss: string;
  /** Minutes east of UTC. */
  offsetMinutes: number;
}

export function zonedParts(at: Date, timeZone: string): ZonedParts {
  if (isUtc(timeZone)) {
    const [date = "", time = ""] = at.toISOString().split("T");
    const [yyyy = "", mm = "", dd = ""] = date.split("-");
    const [hh = "", min = "", ss = ""] = time.slice(0, 8).split(":");
    return { yyyy, mm, dd, hh, min, ss, offsetMinutes: 0 };
  }
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(at)) parts[part.type] = part.value;
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  const whole = Math.floor(at.getTime() / 1000) * 1000;
  return {
    yyyy: (parts.year ?? "").padStart(4, "0"),
    mm: parts.month ?? "",
    dd: parts.day ?? "",
    hh: parts.hour ?? "",
    min: parts.minute ?? "",
    ss: parts.second ?? "",
    offsetMinutes: Math.round((wall - whole) / 60_000),
  };
}

/** `2026-12-03T02-00-00Z` in UTC, `2026-12-03T03-00-00+0100` elsewhere: sortable and safe in object names. */
export function formatStamp(at: Date, timeZone: string): string {
  const p = zonedParts(at, timeZone);
  const base = `${p.yyyy}-${p.mm}-${p.dd}T${p.hh}-${p.min}-${p.ss}`;
  if (p.offsetMinutes === 0) return `${base}Z`;
  const sign = p.offsetMinutes > 0 ? "+" : "-";
  const abs = Math.abs(p.offsetMinutes);
  return `${base}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`;
}

const MINUTE = 60_000;
/** The API refuses snapshot times older than earliestVersionTime (about an hour without PITR). */
const SNAPSHOT_MAX_AGE_MS = 50 * MINUTE;

export function floorToMinute(at: Date): Date {
  return new Date(Math.floor(at.getTime() / MINUTE) * MINUTE);
}

/**
 * The point in time a consistent export reads. The slot itself when it is a usable whole minute
 * in the past (so the export shows the database exactly at the scheduled time); otherwise the
 * newest whole minute strictly before `now`.
 */
export function snapshotUsable(snapshot: Date, now: Date): boolean {
  const age = now.getTime() - snapshot.getTime();
  return age > 0 && age <= SNAPSHOT_MAX_AGE_MS;
}

export function chooseSnapshotTime(slot: Date, now: Date): Date {
  const candidate = floorToMinute(slot);
  const age = now.getTime() - candidate.getTime();
  if (age > 0 && age <= SNAPSHOT_MAX_AGE_MS) return candidate;
  return floorToMinute(new Date(now.getTime() - 1));
}
