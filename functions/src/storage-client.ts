import { ApiError } from "./errors.js";
import { createRestCall, type HeaderSource } from "./rest.js";

/** The part of the Cloud Storage JSON API the checker uses. */
export interface StorageApi {
  /** The object's size in bytes, or undefined when it does not exist. */
  objectSize(bucket: string, name: string): Promise<number | undefined>;
  /** Every object whose name starts with `prefix`, all pages, in name order. */
  listObjects(bucket: string, prefix: string): Promise<StoredObject[]>;
}

/** One object as a listing reports it. */
export interface StoredObject {
  name: string;
  sizeBytes: number;
  updated?: string;
}

const MAX_LIST_PAGES = 100;

const SCOPES = ["https://www.googleapis.com/auth/devstorage.read_only"];

export function createStorageClient(options: {
  endpoint: string;
  timeoutMs: number;
  headers?: HeaderSource;
}): StorageApi {
  const call = createRestCall(
    { endpoint: options.endpoint, timeoutMs: options.timeoutMs, scopes: SCOPES },
    options.headers,
  );
  return {
    async objectSize(bucket, name) {
      try {
        const object = (await call(
          "GET",
          `/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(name)}`,
        )) as { size?: string } | undefined;
        return Number(object?.size ?? 0);
      } catch (error) {
        if (error instanceof ApiError && error.httpStatus === 404) return undefined;
        throw error;
      }
    },
    async listObjects(bucket, prefix) {
      const found: StoredObject[] = [];
      let pageToken: string | undefined;
      for (let page = 0; page < MAX_LIST_PAGES; page++) {
        const query = new URLSearchParams({ prefix, fields: "items(name,size,updated),nextPageToken" });
        if (pageToken) query.set("pageToken", pageToken);
        const body = (await call("GET", `/storage/v1/b/${encodeURIComponent(bucket)}/o?${query}`)) as
          | { items?: Array<{ name?: string; size?: string; updated?: string }>; nextPageToken?: string }
          | undefined;
        for (const item of body?.items ?? []) {
          if (!item.name) continue;
          found.push({
            name: item.name,
            sizeBytes: Number(item.size ?? 0),
            ...(item.updated && { updated: item.updated }),
          });
        }
        pageToken = body?.nextPageToken;
        if (!pageToken) break;
      }
      return found;
    },
  };
}
