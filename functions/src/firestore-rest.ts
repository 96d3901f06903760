import { ApiError } from "./errors.js";
import type { RestCall } from "./rest.js";

/** A Firestore REST `Value`. */
type Value =
  | { nullValue: null }
  | { booleanValue: boolean }
  | { integerValue: string }
  | { doubleValue: number }
  | { stringValue: string }
  | { arrayValue: { values?: Value[] } }
  | { mapValue: { fields?: Record<string, Value> } };

/** Plain JSON-like data → Firestore values; `undefined` fields are left out, as the client does. */
export function encodeFields(data: Record<string, unknown>): Record<string, Value> {
  const fields: Record<string, Value> = {};
  for (const [key, value] of Object.entries(data)) {
    if (value !== undefined) fields[key] = encodeValue(value);
  }
  return fields;
}

function encodeValue(value: unknown): Value {
  if (value === null) return { nullValue: null };
  if (typeof value === "boolean") return { booleanValue: value };
  if (typeof value === "number")
    return Number.isInteger(value) ? { integerValue: String(value) } : { doubleValue: value };
  if (typeof value === "string") return { stringValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(encodeValue) } };
  if (typeof value === "object")
    return { mapValue: { fields: encodeFields(value as Record<string, unknown>) } };
  throw new Error(`cannot store a ${typeof value} in the ledger`);
}

/** Firestore values → plain data (integers back to numbers). */
export function decodeFields(fields: Record<string, Value> = {}): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) data[key] = decodeValue(value);
  return data;
}

function decodeValue(value: Value): unknown {
  if ("nullValue" in value) return null;
  if ("booleanValue" in value) return value.booleanValue;
  if ("integerValue" in value) return Number(value.integerValue);
  if ("doubleValue" in value) return Number(value.doubleValue);
  if ("stringValue" in value) return value.stringValue;
  if ("arrayValue" in value) return (value.arrayValue.values ?? []).map(decodeValue);
  if ("mapValue" in value) return decodeFields(value.mapValue.fields);
  return undefined;
}

/** A stored document: its data, and its update time for a compare-and-set. */
export interface StoredDocument {
  data: Record<string, unknown>;
  updateTime: string;
}

/** A precondition failed: the document changed (or appeared) since it was read. */
export class WriteConflict extends Error {}

interface RestDocument {
  name?: string;
  fields?: Record<string, Value>;
  updateTime?: string;
}

/** One equality filter, an optional descending order and a limit: all the ledger asks of a query. */
export interface Query {
  collection: string;
  where?: { field: string; equals: string | boolean };
  orderByDescending?: string;
  limit?: number;
}

function isConflict(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    (error.status === "FAILED_PRECONDITION" ||
      error.status === "ALREADY_EXISTS" ||
      error.status === "ABORTED" ||
      error.httpStatus === 409)
  );
}

/**
 * The ledger's document operations over Firestore's REST API: no gRPC client to load at a cold
 * start (about 300 ms and 20 MiB) and none to install with the functions. Transactions are
 * compare-and-set writes on the update time read.
 */
export function createRestDocuments(call: RestCall, database: string) {
  const base = `/v1/${database}/documents`;
  const path = (collection: string, id: string) => `${base}/${collection}/${encodeURIComponent(id)}`;
  const name = (collection: string, id: string) => `${database}/documents/${collection}/${id}`;
  // A precondition goes in the body of a commit: the emulator ignores it as a query parameter.
  const commitIfUnchanged = async (read: StoredDocument, write: Record<string, unknown>) => {
    try {
      await call("POST", `${base}:commit`, {
        writes: [{ ...write, currentDocument: { updateTime: read.updateTime } }],
      });
    } catch (error) {
      if (isConflict(error))
        throw new WriteConflict(`${String(write.delete ?? "a document")} changed since it was read`);
      throw error;
    }
  };
  const read = async (collection: string, id: string): Promise<StoredDocument | undefined> => {
    try {
      const doc = (await call("GET", path(collection, id))) as RestDocument;
      return { data: decodeFields(doc.fields), updateTime: doc.updateTime ?? "" };
    } catch (error) {
      if (error instanceof ApiError && error.httpStatus === 404) return undefined;
      throw error;
    }
  };
  return {
    read,
    /** Create-if-absent; false when the document exists. */
    async create(collection: string, id: string, data: Record<string, unknown>): Promise<boolean> {
      try {
        await call("POST", `${base}/${collection}?documentId=${encodeURIComponent(id)}`, {
          fields: encodeFields(data),
        });
        return true;
      } catch (error) {
        if (isConflict(error)) return false;
        throw error;
      }
    },
    async get(collection: string, id: string): Promise<Record<string, unknown> | undefined> {
      return (await read(collection, id))?.data;
    },
    /** Sets the given top-level fields of an existing document, leaving the others alone. */
    async update(collection: string, id: string, patch: Record<string, unknown>): Promise<void> {
      const keys = Object.keys(patch).filter((k) => patch[k] !== undefined);
      const query = new URLSearchParams([
        ["currentDocument.exists", "true"],
        ...keys.map((k) => ["updateMask.fieldPaths", k] as [string, string]),
      ]);
      await call("PATCH", `${path(collection, id)}?${query}`, { fields: encodeFields(patch) });
    },
    /** Creates or replaces the whole document. */
    async set(collection: string, id: string, data: Record<string, unknown>): Promise<void> {
      await call("PATCH", path(collection, id), { fields: encodeFields(data) });
    },
    /** Replaces the document only if it is unchanged since `read`; WriteConflict otherwise. */
    async replaceIfUnchanged(
      collection: string,
      id: string,
      read: StoredDocument,
      data: Record<string, unknown>,
    ): Promise<void> {
      await commitIfUnchanged(read, { update: { name: name(collection, id), fields: encodeFields(data) } });
    },
    /** Deletes the document only if it is unchanged since `read`; WriteConflict otherwise. */
    async deleteIfUnchanged(collection: string, id: string, read: StoredDocument): Promise<void> {
      await commitIfUnchanged(read, { delete: name(collection, id) });
    },
    /** The documents matching `q`, as `T` (the caller knows what the collection holds). */
    async query<T>(q: Query): Promise<T[]> {
      const structuredQuery: Record<string, unknown> = { from: [{ collectionId: q.collection }] };
      if (q.where) {
        structuredQuery.where = {
          fieldFilter: {
            field: { fieldPath: q.where.field },
            op: "EQUAL",
            value: encodeValue(q.where.equals),
          },
        };
      }
      if (q.orderByDescending)
        structuredQuery.orderBy = [{ field: { fieldPath: q.orderByDescending }, direction: "DESCENDING" }];
      if (q.limit !== undefined) structuredQuery.limit = q.limit;
      const rows = (await call("POST", `${base}:runQuery`, { structuredQuery })) as Array<{
        document?: RestDocument;
      }>;
      return rows.flatMap((row) => (row.document ? [decodeFields(row.document.fields) as T] : []));
    },
  };
}

export type RestDocuments = ReturnType<typeof createRestDocuments>;
