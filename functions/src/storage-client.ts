import { ApiError } from "./errors.js";
import { createRestCall, type HeaderSource } from "./rest.js";

/** The part of the Cloud Storage JSON API the checker uses. */
export interface StorageApi {
  /** The object's size in bytes, or undefined when it does not exist. */
  objectSize(bucket: string, name: string): Promise<number | undefined>;
}

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
  };
}
