/**
 * The calls only `doctor` makes: bucket metadata and IAM policy (Cloud Storage JSON API), the
 * caller's permissions and the project number (Resource Manager), and the Cloud Scheduler jobs
 * (@google-cloud/scheduler, loaded on first use). Thin adapters: every judgement is in doctor-checks.
 */
import { ApiError } from "../../functions/src/errors.js";
import { callerIdentity, createRestCall } from "../../functions/src/rest.js";

/** What doctor reads of a bucket. */
export interface BucketInfo {
  name: string;
  /** Upper case, as Cloud Storage reports it: US, EU, EUROPE-WEST1, NAM4, … */
  location: string;
  locationType?: string;
  projectNumber?: string;
}

/** One binding of a bucket's IAM policy. */
export interface IamBinding {
  role: string;
  members: string[];
}

/** What doctor reads of a Cloud Scheduler job. */
export interface SchedulerJob {
  name: string;
  schedule: string;
  timeZone: string;
  /** ENABLED, PAUSED, DISABLED, UPDATE_FAILED */
  state: string;
  topicName?: string;
  lastAttemptTime?: string;
  /** The last attempt's status; code 0 or absent = it succeeded. */
  status?: { code: number; message: string };
}

/** The cloud as doctor sees it. */
export interface DoctorCloud {
  /** True when the endpoints are the local stack's: nothing IAM-related can be checked there. */
  local: boolean;
  /** undefined when the bucket does not exist. */
  getBucket(bucket: string): Promise<BucketInfo | undefined>;
  bucketIamPolicy(bucket: string): Promise<IamBinding[]>;
  projectNumber(project: string): Promise<string>;
  /** The subset of `permissions` the caller holds on the project. */
  testPermissions(project: string, permissions: string[]): Promise<string[]>;
  listSchedulerJobs(parent: string): Promise<SchedulerJob[]>;
  callerIdentity(): Promise<string>;
}

const RESOURCE_MANAGER = "https://cloudresourcemanager.googleapis.com";
const SCOPES = ["https://www.googleapis.com/auth/cloud-platform"];

export function createDoctorCloud(options: {
  storageEndpoint: string;
  adminEndpoint: string;
  timeoutMs: number;
}): DoctorCloud {
  const storage = createRestCall({
    endpoint: options.storageEndpoint,
    timeoutMs: options.timeoutMs,
    scopes: SCOPES,
  });
  const manager = createRestCall({
    endpoint: RESOURCE_MANAGER,
    timeoutMs: options.timeoutMs,
    scopes: SCOPES,
  });
  return {
    local: options.adminEndpoint.startsWith("http://") || options.storageEndpoint.startsWith("http://"),
    async getBucket(bucket) {
      try {
        const body = (await storage(
          "GET",
          `/storage/v1/b/${encodeURIComponent(bucket)}`,
        )) as Partial<BucketInfo>;
        return {
          name: body.name ?? bucket,
          location: (body.location ?? "").toUpperCase(),
          ...(body.locationType && { locationType: body.locationType }),
          ...(body.projectNumber && { projectNumber: String(body.projectNumber) }),
        };
      } catch (error) {
        if (error instanceof ApiError && error.httpStatus === 404) return undefined;
        throw error;
      }
    },
    async bucketIamPolicy(bucket) {
      const body = (await storage("GET", `/storage/v1/b/${encodeURIComponent(bucket)}/iam`)) as
        | { bindings?: Array<{ role?: string; members?: string[] }> }
        | undefined;
      return (body?.bindings ?? []).map((b) => ({ role: b.role ?? "", members: b.members ?? [] }));
    },
    async projectNumber(project) {
      const body = (await manager("GET", `/v1/projects/${encodeURIComponent(project)}`)) as
        | { projectNumber?: string }
        | undefined;
      if (!body?.projectNumber) throw new Error(`Resource Manager returned no projectNumber for ${project}`);
      return String(body.projectNumber);
    },
    async testPermissions(project, permissions) {
      const body = (await manager("POST", `/v1/projects/${encodeURIComponent(project)}:testIamPermissions`, {
        permissions,
      })) as { permissions?: string[] } | undefined;
      return body?.permissions ?? [];
    },
    async listSchedulerJobs(parent) {
      const { CloudSchedulerClient } = await import("@google-cloud/scheduler");
      const client = new CloudSchedulerClient();
      try {
        const [jobs] = await client.listJobs({ parent });
        return jobs.map((job) => {
          const seconds = Number(job.lastAttemptTime?.seconds ?? 0);
          const found: SchedulerJob = {
            name: job.name ?? "",
            schedule: job.schedule ?? "",
            timeZone: job.timeZone ?? "",
            state: String(job.state ?? "STATE_UNSPECIFIED"),
          };
          if (job.pubsubTarget?.topicName) found.topicName = job.pubsubTarget.topicName;
          if (seconds > 0) found.lastAttemptTime = new Date(seconds * 1000).toISOString();
          if (job.status) found.status = { code: job.status.code ?? 0, message: job.status.message ?? "" };
          return found;
        });
      } finally {
        await client.close();
      }
    },
    callerIdentity: () => callerIdentity(options.adminEndpoint),
  };
}
