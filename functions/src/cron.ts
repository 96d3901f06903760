/**
 * Cloud Scheduler's unix-cron, evaluated in an IANA time zone: five fields of numbers, `*`, `,`,
 * `-`, `/` and month or weekday names. Written here rather than taken from a cron library because
 * the exporter computes a slot on every cold start, and the libraries cost more to load than the
 * rest of the function; the differential test holds it to cron-parser's answers.
 *
 * Day rule as crontab(5) states it: when both day-of-month and day-of-week are restricted (are not
 * `*`), a day matching either fires; when one of them is `*`, the other decides.
 *
 * Daylight-saving time: a wall time that occurs twice (clocks going back) fires once, at its first
 * occurrence; a wall time that does not exist (clocks going forward) fires that many minutes after
 * the jump (02:30 in a 02:00→03:00 gap fires at 03:30), so a day is never without its slot.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Far enough to find the next 29 February that is also a given weekday. */
const SEARCH_DAYS = 366 * 28;

/** One field's allowed values, as a boolean per value. */
type Allowed = boolean[];

export interface CronExpression {
  readonly text: string;
  readonly minutes: Allowed;
  readonly hours: Allowed;
  readonly daysOfMonth: Allowed;
  readonly months: Allowed;
  /** 0 = Sunday … 6 = Saturday (7 in the expression is Sunday too). */
  readonly weekdays: Allowed;
  /** Day-of-month and day-of-week both other than `*`: a day matching either fires. */
  readonly eitherDay: boolean;
}

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Where the first name's value starts (months count from 1). */
  nameBase?: number;
}

const FIELDS: FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 },
  { name: "day of week", min: 0, max: 7, names: DAY_NAMES, nameBase: 0 },
];

function fieldValue(token: string, spec: FieldSpec): number | undefined {
  if (/^\d{1,2}$/.test(token)) return Number(token);
  const index = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  return index >= 0 ? index + (spec.nameBase ?? 0) : undefined;
}

/** The allowed values of one field, or a sentence saying what is wrong with it. */
function parseField(text: string, spec: FieldSpec): Allowed | string {
  const allowed: Allowed = new Array(spec.max + 1).fill(false);
  const range = `${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}-${spec.names.at(-1)}` : ""}`;
  for (const item of text.split(",")) {
    const match = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(item);
    if (!match) return `${spec.name} "${item}" is not a value, a range or a step`;
    const [, base = "", stepText] = match;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) return `${spec.name} step "${stepText}" must be at least 1`;
    let low: number | undefined;
    let high: number | undefined;
    if (base === "*") {
      low = spec.min;
      high = spec.max === 7 ? 6 : spec.max;
    } else {
      const [from = "", to, extra] = base.split("-");
      if (extra !== undefined) return `${spec.name} "${item}" has more than one "-"`;
      low = fieldValue(from, spec);
      // `5/15` means from 5 to the end, stepping by 15.
      high = to === undefined ? (stepText === undefined ? low : spec.max) : fieldValue(to, spec);
    }
    if (low === undefined || high === undefined)
      return `${spec.name} "${item}" is not a number${spec.names ? " or a name" : ""} within ${range}`;
    if (low < spec.min || high > spec.max) return `${spec.name} "${item}" is outside ${range}`;
    if (low > high) return `${spec.name} range "${item}" runs backwards`;
    for (let v = low; v <= high; v += step) allowed[v] = true;
  }
  return allowed;
}

/** Parses an expression; a string is the reason it is refused. */
export function parseCron(text: string): CronExpression | string {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 5)
    return `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  const parsed: Allowed[] = [];
  for (const [i, spec] of FIELDS.entries()) {
    const field = parseField(fields[i] ?? "", spec);
    if (typeof field === "string") return field;
    parsed.push(field);
  }
  const [minutes = [], hours = [], daysOfMonth = [], months = [], weekdaysRaw = []] = parsed;
  const weekdays = weekdaysRaw.slice(0, 7);
  if (weekdaysRaw[7]) weekdays[0] = true;
  const expression: CronExpression = {
    text,
    minutes,
    hours,
    daysOfMonth,
    months,
    weekdays,
    eitherDay: fields[2] !== "*" && fields[4] !== "*",
  };
  // 31 April or 30 February never come: refuse an expression that never fires.
  if (nextFire(expression, "UTC", new Date(Date.UTC(2000, 0, 1))) === undefined)
    return "the expression names no day that exists";
  return expression;
}

function parseOrThrow(text: string): CronExpression {
  const parsed = parseCron(text);
  if (typeof parsed === "string") throw new Error(`cron "${text}": ${parsed}`);
  return parsed;
}

const cache = new Map<string, CronExpression>();
function compiled(text: string): CronExpression {
  let expression = cache.get(text);
  if (!expression) {
    expression = parseOrThrow(text);
    cache.set(text, expression);
  }
  return expression;
}

// ---- time zones ----

const formatters = new Map<string, Intl.DateTimeFormat>();

/** UTC needs no Intl, whose time-zone data takes milliseconds to load on a cold start. */
export function isUtc(timeZone: string): boolean {
  return timeZone === "UTC" || timeZone === "Etc/UTC";
}

/** Milliseconds east of UTC in `timeZone` at `instant`. */
export function offsetMs(instant: number, timeZone: string): number {
  if (isUtc(timeZone)) return 0;
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, format);
  }
  const p: Record<string, number> = {};
  for (const part of format.formatToParts(instant)) p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(instant / 1000) * 1000;
}

interface Day {
  /** Midnight of the wall day, as if the wall clock were UTC. */
  wallMidnight: number;
  month: number;
  date: number;
  weekday: number;
}

function dayAt(wallMidnight: number): Day {
  const d = new Date(wallMidnight);
  return { wallMidnight, month: d.getUTCMonth() + 1, date: d.getUTCDate(), weekday: d.getUTCDay() };
}

function dayMatches(e: CronExpression, day: Day): boolean {
  if (!e.months[day.month]) return false;
  const dom = e.daysOfMonth[day.date] === true;
  const dow = e.weekdays[day.weekday] === true;
  return e.eitherDay ? dom || dow : dom && dow;
}

/**
 * The instant a wall time of `timeZone` names: the first of two when clocks went back, and the
 * time as many minutes after the jump when it falls in a gap.
 */
function wallToInstant(wall: number, before: number, after: number, timeZone: string): number {
  if (before === after) return wall - before;
  const candidates = [wall - before, wall - after]
    .filter((t) => offsetMs(t, timeZone) === wall - t)
    .sort((a, b) => a - b);
  // No candidate: the wall time was skipped; read it with the offset in force before the jump.
  return candidates[0] ?? wall - before;
}

/** Every fire instant of one wall day, ascending. */
function firesOn(e: CronExpression, day: Day, timeZone: string): number[] {
  if (!dayMatches(e, day)) return [];
  const before = offsetMs(day.wallMidnight - DAY, timeZone);
  const after = offsetMs(day.wallMidnight + 2 * DAY, timeZone);
  const fires: number[] = [];
  for (let h = 0; h < 24; h++) {
    if (!e.hours[h]) continue;
    for (let m = 0; m < 60; m++) {
      if (e.minutes[m])
        fires.push(wallToInstant(day.wallMidnight + h * HOUR + m * MINUTE, before, after, timeZone));
    }
  }
  // Gap times land after the jump: keep the list ascending and free of repeats.
  if (before !== after) fires.sort((a, b) => a - b);
  return fires.filter((t, i) => i === 0 || t !== fires[i - 1]);
}

function wallMidnightOf(instant: number, timeZone: string): number {
  const wall = instant + offsetMs(instant, timeZone);
  return Math.floor(wall / DAY) * DAY;
}

/** The newest fire at or before `at`; undefined when none within the search horizon. */
export function previousFire(e: CronExpression, timeZone: string, at: Date): Date | undefined {
  const limit = at.getTime();
  const start = wallMidnightOf(limit, timeZone);
  // One day later too: a fire of the next wall day can precede `at` only around a jump.
  for (let i = -1; i <= SEARCH_DAYS; i++) {
    const fires = firesOn(e, dayAt(start - i * DAY), timeZone).filter((t) => t <= limit);
    const last = fires.at(-1);
    if (last !== undefined) return new Date(last);
  }
  return undefined;
}

/** The oldest fire strictly after `after`; undefined when none within the search horizon. */
export function nextFire(e: CronExpression, timeZone: string, after: Date): Date | undefined {
  const limit = after.getTime();
  const start = wallMidnightOf(limit, timeZone);
  for (let i = -1; i <= SEARCH_DAYS; i++) {
    const first = firesOn(e, dayAt(start + i * DAY), timeZone).find((t) => t > limit);
    if (first !== undefined) return new Date(first);
  }
  return undefined;
}

/** Fire instants in (from, to], oldest first, one day at a time: nothing is collected. */
export function* fireTimes(e: CronExpression, timeZone: string, from: Date, to: Date): Generator<number> {
  const low = from.getTime();
  const high = to.getTime();
  const last = wallMidnightOf(high, timeZone) + DAY;
  for (let day = wallMidnightOf(low, timeZone) - DAY; day <= last; day += DAY) {
    for (const t of firesOn(e, dayAt(day), timeZone)) if (t > low && t <= high) yield t;
  }
}

/** Fire times in (from, to], oldest first, at most `limit` of them. */
export function firesBetween(
  e: CronExpression,
  timeZone: string,
  from: Date,
  to: Date,
  limit: number,
): Date[] {
  const out: Date[] = [];
  if (limit <= 0) return out;
  for (const t of fireTimes(e, timeZone, from, to)) {
    out.push(new Date(t));
    if (out.length >= limit) break;
  }
  return out;
}

/** The expression for `text`, parsed once per process. Throws on an invalid expression. */
export function cron(text: string): CronExpression {
  return compiled(text);
}
