/**
 * Validation of the names the Firestore and Cloud Storage APIs accept, shared by the configuration
 * schema and the trigger-message validation so both refuse exactly the same things.
 */

/** A database resource name split into its parts. */
export interface DatabaseName {
  project: string;
  databaseId: string;
  /** `projects/P/databases/D` */
  name: string;
}

const PROJECT_ID = /^(?:[a-z][a-z0-9.-]{0,62}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const DATABASE_ID = /^(?:\(default\)|[a-z][a-z0-9-]{2,61}[a-z0-9])$/;

export const DATABASE_FORM =
  "projects/PROJECT_ID/databases/DATABASE_ID (DATABASE_ID is (default) or 4-63 of a-z 0-9 -)";

export function parseDatabaseName(value: string): DatabaseName | string {
  const match = /^projects\/([^/]+)\/databases\/([^/]+)$/.exec(value);
  if (!match) return `expected ${DATABASE_FORM}`;
  const [, project = "", databaseId = ""] = match;
  if (!PROJECT_ID.test(project))
    return `project id "${project}" is not a valid Google Cloud project id; expected 6-30 of a-z 0-9 - starting with a letter`;
  if (!DATABASE_ID.test(databaseId))
    return `database id "${databaseId}" is not valid; expected (default) or 4-63 of a-z 0-9 - starting with a letter`;
  return { project, databaseId, name: value };
}

/** Why Firestore would refuse this collection id, or undefined when it is acceptable. */
export function collectionIdProblem(id: string): string | undefined {
  if (id.length === 0) return "a collection id cannot be empty";
  if (id.includes("/")) return `collection id "${id}" contains "/" (give collection-group ids, not paths)`;
  if (id === "." || id === "..") return `collection id "${id}" is reserved`;
  if (/^__.*__$/.test(id)) return `collection id "${id}" matches the reserved form __*__`;
  if (Buffer.byteLength(id, "utf8") > 1500) return "a collection id is longer than 1,500 bytes";
  return undefined;
}

export const MAX_COLLECTION_IDS = 100;

/** Problems with a list of collection ids, all at once. */
export function collectionIdsProblems(ids: readonly string[]): string[] {
  const problems = ids.map(collectionIdProblem).filter((p): p is string => p !== undefined);
  if (ids.length > MAX_COLLECTION_IDS)
    problems.push(`${ids.length} collection ids given; the API accepts at most ${MAX_COLLECTION_IDS}`);
  if (new Set(ids).size !== ids.length) problems.push("collection ids are repeated");
  return problems;
}

/** Problems with namespace ids (Datastore mode): "" is the default namespace. */
export function namespaceIdsProblems(ids: readonly string[]): string[] {
  const problems: string[] = [];
  for (const id of ids) {
    if (id !== "" && !/^[A-Za-z0-9._-]{1,100}$/.test(id)) {
      problems.push(
        `namespace id "${id}" is not valid: "" (the default namespace) or 1-100 of A-Z a-z 0-9 . _ -`,
      );
    } else if (/^__.*__$/.test(id)) problems.push(`namespace id "${id}" matches the reserved form __*__`);
  }
  if (ids.length > 100) problems.push(`${ids.length} namespace ids given; at most 100 are accepted`);
  if (new Set(ids).size !== ids.length) problems.push("namespace ids are repeated");
  return problems;
}

/** Why Cloud Storage would refuse this bucket name, or undefined. */
export function bucketNameProblem(name: string): string | undefined {
  const form = "3-63 characters (222 with dots) of a-z 0-9 - _ ., starting and ending with a letter or digit";
  if (!/^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(name)) return `bucket name "${name}" is not valid: ${form}`;
  const limit = name.includes(".") ? 222 : 63;
  if (name.length < 3 || name.length > limit)
    return `bucket name "${name}" has ${name.length} characters: ${form}`;
  if (name.split(".").some((part) => part.length > 63))
    return `bucket name "${name}" has a dot-separated part over 63 characters`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return `bucket name "${name}" looks like an IP address`;
  if (/\.\.|\.-|-\./.test(name)) return `bucket name "${name}" has ".." or a dot next to a dash`;
  if (name.startsWith("goog") || name.includes("google"))
    return `bucket name "${name}" may not start with "goog" or contain "google"`;
  return undefined;
}

/** A gs:// URI split into bucket and object path (no leading or trailing slash). */
export interface GcsUri {
  bucket: string;
  path: string;
}

export const GCS_FORM = "gs://BUCKET or gs://BUCKET/PATH";

/** Parses `gs://bucket[/path]`, normalising trailing slashes; returns the problem as a string. */
export function parseGcsUri(value: string): GcsUri | string {
  if (value !== value.trim()) return `"${value}" has leading or trailing spaces`;
  const match = /^gs:\/\/([^/]*)(?:\/([\s\S]*))?$/.exec(value);
  if (!match) return `expected ${GCS_FORM} (the gs:// scheme is required)`;
  const bucket = match[1] ?? "";
  const bucketProblem = bucketNameProblem(bucket);
  if (bucketProblem) return bucketProblem;
  const path = (match[2] ?? "").replace(/\/+$/, "");
  const pathProblem = objectPathProblem(path);
  if (pathProblem) return pathProblem;
  return { bucket, path };
}

/** Why a folder path inside a bucket is unsafe or refused, or undefined. */
export function objectPathProblem(path: string): string | undefined {
  if (path === "") return undefined;
  if (path.startsWith("/")) return `path "${path}" starts with "/"`;
  const parts = path.split("/");
  if (parts.some((p) => p === "")) return `path "${path}" contains an empty segment ("//")`;
  if (parts.some((p) => p === "." || p === "..")) return `path "${path}" contains "." or ".." segments`;
  if (/[\r\n#[\]*?]/.test(path))
    return `path "${path}" contains characters Cloud Storage advises against (# [ ] * ? or line breaks)`;
  if (Buffer.byteLength(path, "utf8") > 900)
    return `path "${path.slice(0, 40)}…" is too long (at most 900 bytes, leaving room for export files)`;
  return undefined;
}

export function formatGcsUri(uri: GcsUri): string {
  return uri.path ? `gs://${uri.bucket}/${uri.path}` : `gs://${uri.bucket}`;
}
