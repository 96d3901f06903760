import { CronExpressionParser } from "cron-parser";

/**
 * The scheduled slot a delivery belongs to: the newest cron fire time at or before `at`.
 * Cloud Scheduler publishes a little after the fire time, so flooring the publish time to the
 * schedule gives the same slot for the original delivery and for any retry of it.
 */
export function scheduledSlot(cron: string, timeZone: string, at: Date): Date {
  // cron-parser's prev() is strictly before currentDate; nudge so a publish exactly on the slot counts.
  const expression = CronExpressionParser.parse(cron, {
    currentDate: new Date(at.getTime() + 1),
    tz: timeZone,
  });
  return expression.prev().toDate();
}

/** The fire times of the schedule in (from, to], oldest first; bounded so a bad cron cannot loop forever. */
export function slotsBetween(cron: string, timeZone: string, from: Date, to: Date, limit = 1000): Date[] {
  const expression = CronExpressionParser.parse(cron, { currentDate: from, endDate: to, tz: timeZone });
  const slots: Date[] = [];
  while (slots.length < limit && expression.hasNext()) slots.push(expression.next().toDate());
  return slots;
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
export function chooseSnapshotTime(slot: Date, now: Date): Date {
  const candidate = floorToMinute(slot);
  const age = now.getTime() - candidate.getTime();
  if (age > 0 && age <= SNAPSHOT_MAX_AGE_MS) return candidate;
  return floorToMinute(new Date(now.getTime() - 1));
}
