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

/** The body sent to `importDocuments`: the folder of one export and, optionally, part of it. */
export interface ImportRequestBody {
  /** The export's folder, `gs://BUCKET/PATH` (the outputUriPrefix of the export). */
  inputUriPrefix: string;
  /** Collection-group ids; empty or absent = everything in the export. */
  collectionIds?: string[];
  /** v1 only; empty or absent = every namespace in the export. */
  namespaceIds?: string[];
}

/** What `databases.get` tells about a database (v1); fields the product does not read are kept raw. */
export interface DatabaseInfo {
  name: string;
  /** `nam5`, `eur3`, `europe-west1`, … */
  locationId: string;
  /** `FIRESTORE_NATIVE` or `DATASTORE_MODE`. */
  type: string;
  uid?: string;
  pointInTimeRecoveryEnablement?: string;
  earliestVersionTime?: string;
  deleteProtectionState?: string;
  [field: string]: unknown;
}

/**
 * The Admin API calls only the operator CLI makes (restore, doctor). The functions get the
 * narrower {@link AdminApi}: nothing they run ever imports into a database.
 */
export interface OperatorAdminApi extends AdminApi {
  importDocuments(database: string, body: ImportRequestBody): Promise<OperationView>;
  getDatabase(database: string): Promise<DatabaseInfo>;
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
export function createAdminClient(options: AdminClientOptions): OperatorAdminApi {
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
    async importDocuments(database, body) {
      // v1beta2 knows no namespaceIds: sending the field would be refused as unknown.
      const sent: ImportRequestBody = { inputUriPrefix: body.inputUriPrefix };
      if (body.collectionIds?.length) sent.collectionIds = body.collectionIds;
      if (v === "v1" && body.namespaceIds?.length) sent.namespaceIds = body.namespaceIds;
      return parseOperation((await call("POST", `/${v}/${database}:importDocuments`, sent)) as RawOperation);
    },
    async getDatabase(database) {
      // databases.get exists in v1 only, whichever version the exports use.
      const raw = ((await call("GET", `/v1/${database}`)) ?? {}) as Partial<DatabaseInfo>;
      return { ...raw, name: raw.name ?? database, locationId: raw.locationId ?? "", type: raw.type ?? "" };
    },
  };
}
