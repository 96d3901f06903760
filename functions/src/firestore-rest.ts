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

/**
 * The three document operations the exporter needs on its critical path, over Firestore's REST
 * API: no gRPC client to load at cold start (about 300 ms and 20 MiB).
 */
export function createRestDocuments(call: RestCall, database: string) {
  const base = `/v1/${database}/documents`;
  return {
    /** Create-if-absent; false when the document exists. */
    async create(collection: string, id: string, data: Record<string, unknown>): Promise<boolean> {
      try {
        await call("POST", `${base}/${collection}?documentId=${encodeURIComponent(id)}`, {
          fields: encodeFields(data),
        });
        return true;
      } catch (error) {
        if (error instanceof ApiError && (error.status === "ALREADY_EXISTS" || error.httpStatus === 409))
          return false;
        throw error;
      }
    },
    async get(collection: string, id: string): Promise<Record<string, unknown> | undefined> {
      try {
        const doc = (await call("GET", `${base}/${collection}/${encodeURIComponent(id)}`)) as {
          fields?: Record<string, Value>;
        };
        return decodeFields(doc.fields);
      } catch (error) {
        if (error instanceof ApiError && error.httpStatus === 404) return undefined;
        throw error;
      }
    },
    /** Sets the given top-level fields of an existing document, leaving the others alone. */
    async update(collection: string, id: string, patch: Record<string, unknown>): Promise<void> {
      const keys = Object.keys(patch).filter((k) => patch[k] !== undefined);
      const query = new URLSearchParams([
        ["currentDocument.exists", "true"],
        ...keys.map((k) => ["updateMask.fieldPaths", k] as [string, string]),
      ]);
      await call("PATCH", `${base}/${collection}/${encodeURIComponent(id)}?${query}`, {
        fields: encodeFields(patch),
      });
    },
  };
}
