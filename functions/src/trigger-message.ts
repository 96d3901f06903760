import type { Config } from "./config.js";
import { checkObject } from "./issues.js";
import { collectionIdsProblems, GCS_FORM, type GcsUri, namespaceIdsProblems, parseGcsUri } from "./names.js";

/** A validated trigger: the schedule's empty message, or a person's manual request. */
export type TriggerRequest =
  | { kind: "scheduled" }
  | {
      kind: "manual";
      /** Database names; all configured targets when the message named none. */
      databases: string[];
      collectionIds?: string[];
      namespaceIds?: string[];
      snapshotTime?: Date;
      label?: string;
      reason?: string;
      outputBase?: GcsUri;
    };

const MESSAGE_SHAPE = {
  database: { type: "string" },
  collectionIds: { type: "strings" },
  namespaceIds: { type: "strings" },
  snapshotTime: { type: "string" },
  label: { type: "string", minLength: 1, maxLength: 60 },
  reason: { type: "string", maxLength: 1000 },
  outputUriPrefix: { type: "string" },
} as const;

/** The longest version retention a database can have (point-in-time recovery). */
const MAX_SNAPSHOT_AGE_MS = 7 * 24 * 3_600_000;

/**
 * A strict RFC 3339 time: the calendar fields must exist as written (no 30 February, no 24:00),
 * because Date would silently roll them over into another day.
 */
export function parseRfc3339(value: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.exec(
    value,
  );
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((v) => Number(v ?? 0)) as number[];
  const wall = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second));
  const exists =
    wall.getUTCFullYear() === year &&
    wall.getUTCMonth() === (month ?? 1) - 1 &&
    wall.getUTCDate() === day &&
    wall.getUTCHours() === hour &&
    wall.getUTCMinutes() === minute &&
    wall.getUTCSeconds() === second;
  const at = new Date(value);
  return exists && !Number.isNaN(at.getTime()) ? at : undefined;
}

const FIELDS = "database, collectionIds, namespaceIds, snapshotTime, label, reason, outputUriPrefix";

/**
 * Validates a trigger message body (DESIGN 3.2). Returns the request or the list of every
 * problem found; nothing is exported when there is a problem.
 */
export function parseTriggerMessage(
  body: string,
  config: Config,
  now: Date,
): TriggerRequest | { problems: string[] } {
  if (body.trim() === "") return { kind: "scheduled" };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return {
      problems: [
        `the message body is not JSON (got ${JSON.stringify(body.slice(0, 60))}); expected a JSON object with fields ${FIELDS}`,
      ],
    };
  }
  const shape = checkObject(MESSAGE_SHAPE, json, {
    root: "message",
    fields: FIELDS,
    form: `a JSON object with fields ${FIELDS}`,
  });
  if ("problems" in shape) return shape;
  const m = shape.value;
  if (Object.keys(m).length === 0) return { kind: "scheduled" };

  const problems: string[] = [];
  const configured = config.targets.map((t) => t.database.name);
  if (m.database !== undefined && !configured.includes(m.database)) {
    problems.push(
      `database ${JSON.stringify(m.database)} is not configured; configured: ${configured.join(", ")}`,
    );
  }
  if (m.collectionIds)
    problems.push(...collectionIdsProblems(m.collectionIds).map((p) => `collectionIds: ${p}`));
  if (m.namespaceIds) problems.push(...namespaceIdsProblems(m.namespaceIds).map((p) => `namespaceIds: ${p}`));
  if (m.namespaceIds && config.apiVersion !== "v1")
    problems.push("namespaceIds need the v1 Admin API (FIRESTORE_ADMIN_API_VERSION=v1)");
  let snapshotTime: Date | undefined;
  if (m.snapshotTime !== undefined) {
    snapshotTime = parseRfc3339(m.snapshotTime);
    if (!snapshotTime) {
      problems.push(
        `snapshotTime ${JSON.stringify(m.snapshotTime)} is not an RFC 3339 time such as 2026-12-03T02:00:00Z`,
      );
    } else if (snapshotTime.getTime() % 60_000 !== 0) {
      problems.push(`snapshotTime ${m.snapshotTime} is not a whole minute (seconds must be 00)`);
    } else if (snapshotTime.getTime() >= now.getTime()) {
      problems.push(`snapshotTime ${m.snapshotTime} is not in the past`);
    } else if (now.getTime() - snapshotTime.getTime() > MAX_SNAPSHOT_AGE_MS) {
      problems.push(
        `snapshotTime ${m.snapshotTime} is more than 7 days old; a database keeps versions for 1 hour, or 7 days with point-in-time recovery`,
      );
    } else if (config.apiVersion !== "v1") {
      problems.push("snapshotTime needs the v1 Admin API (FIRESTORE_ADMIN_API_VERSION=v1)");
    }
  }
  if (m.label !== undefined && !/[a-z0-9]/i.test(m.label))
    problems.push("label needs at least one letter or digit");
  let outputBase: GcsUri | undefined;
  if (m.outputUriPrefix !== undefined) {
    const uri = parseGcsUri(m.outputUriPrefix);
    if (typeof uri === "string")
      problems.push(`outputUriPrefix ${JSON.stringify(m.outputUriPrefix)}: ${uri}; expected ${GCS_FORM}`);
    else if (!config.manualBucketAllowlist.includes(uri.bucket)) {
      problems.push(
        `outputUriPrefix bucket "${uri.bucket}" is not allowed; allowed buckets: ${config.manualBucketAllowlist.join(", ") || "(none)"}`,
      );
    } else outputBase = uri;
  }
  if (problems.length > 0) return { problems };
  return {
    kind: "manual",
    databases: m.database ? [m.database] : configured,
    ...(m.collectionIds && { collectionIds: m.collectionIds }),
    ...(m.namespaceIds && { namespaceIds: m.namespaceIds }),
    ...(snapshotTime && { snapshotTime }),
    ...(m.label !== undefined && { label: m.label }),
    ...(m.reason !== undefined && { reason: m.reason }),
    ...(outputBase && { outputBase }),
  };
}
