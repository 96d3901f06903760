import type { AdminApiVersion } from "./config.js";
import { type OperationView, parseOperation, type RawOperation } from "./operation.js";
import { createRestCall, type HeaderSource, type RestCall } from "./rest.js";
import type { ExportRequestBody } from "./run.js";

/** The part of the Firestore Admin API the product uses. */
export interface AdminApi {
  exportDocuments(database: string, body: ExportRequestBody): Promise<OperationView>;
  getOperation(name: string): Promise<OperationView>;
  /** All pages; `filter` as the API takes it, e.g. `done=true`. */
  listOperations(database: string, filter?: string): Promise<OperationView[]>;
  cancelOperation(name: string): Promise<void>;
}

export interface AdminClientOptions {
  endpoint: string;
  apiVersion: AdminApiVersion;
  timeoutMs: number;
  headers?: HeaderSource;
}

const SCOPES = ["https://www.googleapis.com/auth/datastore"];
const MAX_PAGES = 50;

/** Firestore Admin REST client: a few fetches, no gRPC stack to load at cold start. */
export function createAdminClient(options: AdminClientOptions): AdminApi {
  const call: RestCall = createRestCall(
    { endpoint: options.endpoint, timeoutMs: options.timeoutMs, scopes: SCOPES },
    options.headers,
  );
  const v = options.apiVersion;
  return {
    async exportDocuments(database, body) {
      return parseOperation((await call("POST", `/${v}/${database}:exportDocuments`, body)) as RawOperation);
    },
    async getOperation(name) {
      return parseOperation((await call("GET", `/${v}/${name}`)) as RawOperation);
    },
    async listOperations(database, filter) {
      const found: OperationView[] = [];
      let pageToken: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const query = new URLSearchParams({ pageSize: "100" });
        if (filter) query.set("filter", filter);
        if (pageToken) query.set("pageToken", pageToken);
        const body = (await call("GET", `/${v}/${database}/operations?${query}`)) as
          | { operations?: RawOperation[]; nextPageToken?: string }
          | undefined;
        for (const op of body?.operations ?? []) found.push(parseOperation(op));
        pageToken = body?.nextPageToken;
        if (!pageToken) break;
      }
      return found;
    },
    async cancelOperation(name) {
      await call("POST", `/${v}/${name}:cancel`, {});
    },
  };
}
