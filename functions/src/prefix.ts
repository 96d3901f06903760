import { createHash } from "node:crypto";
import type { Target } from "./config.js";
import { formatStamp, zonedParts } from "./schedule.js";

/** What a manual run adds to its folder name so that two manual runs never share a prefix. */
export interface ManualSuffix {
  label?: string;
  /** Stable per trigger message, so a redelivery builds the same prefix. */
  messageId: string;
}

export interface PrefixInput {
  target: Pick<Target, "database" | "bucket" | "prefix">;
  template: string;
  timeZone: string;
  /** The scheduled slot, or the publish time of a manual trigger. */
  time: Date;
  manual?: ManualSuffix;
  /** A manual trigger's own `gs://bucket/path`, used instead of the target's bucket and template. */
  explicitBase?: { bucket: string; path: string };
}

/** Builds the date-stamped `gs://` prefix of one run (DESIGN 3.3). */
export function buildOutputPrefix(input: PrefixInput): string {
  const { target, time, timeZone, manual } = input;
  const p = zonedParts(time, timeZone);
  let stamp = formatStamp(time, timeZone);
  if (manual) {
    const label = manual.label ? `-${slugify(manual.label)}` : "";
    // The database name is hashed in too: an explicit base keeps only the database id, which two projects can share.
    stamp = `${stamp}${label}-${shortHash(`${manual.messageId} ${target.database.name}`)}`;
  }
  if (input.explicitBase) {
    const { bucket, path } = input.explicitBase;
    return `gs://${bucket}/${[path, target.database.databaseId, stamp].filter(Boolean).join("/")}`;
  }
  const values: Record<string, string> = {
    prefix: target.prefix,
    project: target.database.project,
    database: target.database.databaseId,
    yyyy: p.yyyy,
    mm: p.mm,
    dd: p.dd,
    stamp,
  };
  const path = input.template
    .replace(/\{(\w+)\}/g, (_, token: string) => values[token] ?? "")
    .split("/")
    .filter(Boolean)
    .join("/");
  return `gs://${target.bucket}/${path}`;
}

/** Lower-case letters, digits and dashes only, at most 40 characters. */
export function slugify(label: string): string {
  return label
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
}

function shortHash(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 8);
}
