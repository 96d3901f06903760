/**
 * Cold invocation and peak memory: one fresh node process per repetition serves `exportFirestore`
 * (for the product: the bundle deploy.sh uploads) through the same loader the local stack uses
 * (local/serve-function.ts); one Pub/Sub CloudEvent
 * is posted as soon as its port accepts connections; the figure is the time from spawn to the
 * arrival of `exportDocuments` at a stand-in of the Admin API in this process (one clock).
 */
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { type Server as GrpcServer, Server as GrpcServerClass, ServerCredentials } from "@grpc/grpc-js";
import { freePort } from "../local/emulators.js";
import { PROJECT_ROOT } from "../local/stack.js";
import { exited, killGroup, peakRss, spawnTracked, waitForPort } from "./processes.js";
import { interleave } from "./stats.js";

/** One way of exporting, measured with the same harness. */
export type Variant = "product" | "floor" | "usual";

/** One repetition of one variant. */
export interface ColdSample {
  variant: Variant;
  /** Spawn → first accepted TCP connection. */
  listenMs: number;
  /** Spawn → exportDocuments arrival at the stand-in (the figure). */
  arrivalMs: number;
  /** VmHWM of the process after its invocation answered, just before it was killed. */
  peakRssBytes: number;
  /** HTTP status the function answered the event with (204 = acknowledged). */
  status: number;
  /** Product only: the ledger claim's round trip to the Firestore emulator, as the proxy saw it. */
  claimMs?: number;
}

export interface ColdResult {
  samples: ColdSample[];
  failures: Array<{ variant: Variant; rep: number; error: string }>;
  /** What exactly the `usual` variant's arrival means. */
  usualMeasures: string;
}

const PROJECT = "demo-bench";
const DATABASE = `projects/${PROJECT}/databases/(default)`;
const LEDGER = `projects/${PROJECT}/databases/bench-ledger`;
const STEP_TIMEOUT_MS = 30_000;

/** Records the arrival time of each exportDocuments call; one invocation runs at a time. */
class Arrivals {
  private waiter: ((t: number) => void) | undefined;
  next(): Promise<number> {
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
  arrived(t: number) {
    this.waiter?.(t);
    this.waiter = undefined;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

/** The HTTP/JSON Admin API stand-in: answers exportDocuments with a valid running operation. */
async function startRestStandIn(arrivals: Arrivals): Promise<{ server: Server; url: string }> {
  let n = 0;
  const server = createServer((req, res) => {
    const t = performance.now();
    void readBody(req).then((text) => {
      const match = /^\/(v1|v1beta2)\/(projects\/[^/]+\/databases\/[^/:]+):exportDocuments$/.exec(
        req.url ?? "",
      );
      if (req.method !== "POST" || !match) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: 404, message: "not served", status: "NOT_FOUND" } }));
        return;
      }
      arrivals.arrived(t);
      let prefix = "gs://demo-bench/x";
      try {
        prefix = (JSON.parse(text) as { outputUriPrefix?: string }).outputUriPrefix ?? prefix;
      } catch {
        // the floor may send anything
      }
      const database = decodeURIComponent(match[2] ?? DATABASE);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          name: `${database}/operations/bench-${++n}`,
          metadata: {
            "@type": `type.googleapis.com/google.firestore.admin.${match[1]}.ExportDocumentsMetadata`,
            startTime: new Date().toISOString(),
            operationState: "PROCESSING",
            outputUriPrefix: prefix,
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { server, url: `http://127.0.0.1:${port}` };
}

/** `google.longrunning.Operation { name }` encoded by hand: field 1, wire type 2. */
function operationBytes(name: string): Buffer {
  const text = Buffer.from(name, "utf8");
  return Buffer.concat([Buffer.from([0x0a, text.length]), text]);
}

/** The gRPC stand-in: FirestoreAdmin/ExportDocuments over an insecure loopback channel. */
async function startGrpcStandIn(arrivals: Arrivals): Promise<{ server: GrpcServer; host: string }> {
  const server = new GrpcServerClass();
  const raw = (b: Buffer) => b;
  let n = 0;
  server.addService(
    {
      exportDocuments: {
        path: "/google.firestore.admin.v1.FirestoreAdmin/ExportDocuments",
        requestStream: false,
        responseStream: false,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
    },
    {
      exportDocuments: (_call: unknown, callback: (error: null, value: Buffer) => void) => {
        arrivals.arrived(performance.now());
        callback(null, operationBytes(`${DATABASE}/operations/bench-grpc-${++n}`));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { server, host: `127.0.0.1:${port}` };
}

interface ProxiedCall {
  method: string;
  start: number;
  end: number;
}

/** Forwards HTTP to the Firestore emulator and records when each request came and its answer left. */
async function startLedgerProxy(
  target: string,
): Promise<{ server: Server; host: string; calls: ProxiedCall[] }> {
  const [hostname = "127.0.0.1", port = "0"] = target.split(":");
  const calls: ProxiedCall[] = [];
  const server = createServer((req, res) => {
    const start = performance.now();
    const upstream = request(
      { hostname, port: Number(port), method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on("end", () => calls.push({ method: req.method ?? "", start, end: performance.now() }));
      },
    );
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return { server, host: `127.0.0.1:${typeof address === "object" && address ? address.port : 0}`, calls };
}

function cloudEvent(id: string): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    specversion: "1.0",
    id,
    source: `//pubsub.googleapis.com/projects/${PROJECT}/topics/export-trigger`,
    type: "google.cloud.pubsub.topic.v1.messagePublished",
    time: now,
    datacontenttype: "application/json",
    data: {
      // What Cloud Scheduler publishes: an empty JSON object, i.e. "the scheduled run".
      message: {
        data: Buffer.from("{}").toString("base64"),
        attributes: {},
        messageId: id,
        publishTime: now,
      },
      subscription: `projects/${PROJECT}/subscriptions/eventarc-export`,
    },
  });
}

async function postEvent(port: number, body: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/`, {
    method: "POST",
    headers: { "content-type": "application/cloudevents+json" },
    body,
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  await response.arrayBuffer();
  return response.status;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs `reps` interleaved repetitions of each variant (plus one discarded warm-up round). */
export async function benchCold(options: {
  reps: number;
  firestoreHost: string;
  /** The folder deploy.sh uploads (scripts/bundle-functions.mjs): the product runs from it. */
  bundleDir: string;
}): Promise<ColdResult> {
  const arrivals = new Arrivals();
  const rest = await startRestStandIn(arrivals);
  const grpc = await startGrpcStandIn(arrivals);
  const ledgerProxy = await startLedgerProxy(options.firestoreHost);
  const dist = path.join(PROJECT_ROOT, "dist");
  const serve = path.join(dist, "local", "serve-function.js");
  const sources: Record<Variant, string> = {
    product: path.join(options.bundleDir, "index.js"),
    floor: path.join(dist, "bench", "fixtures", "floor.js"),
    usual: path.join(dist, "bench", "fixtures", "usual.js"),
  };
  // No inherited environment: no credentials, no metadata server, only loopback endpoints.
  const baseEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    METADATA_SERVER_DETECTION: "none",
    GOOGLE_CLOUD_PROJECT: PROJECT,
    FIRESTORE_ADMIN_ENDPOINT: rest.url,
  };
  const envs: Record<Variant, Record<string, string>> = {
    product: {
      ...baseEnv,
      EXPORT_TARGETS: JSON.stringify([
        { database: DATABASE, bucket: "gs://demo-bench", prefix: "firestore" },
      ]),
      LEDGER_DATABASE: LEDGER,
      // Through a forwarding proxy that times the claim (it adds its own loopback hop).
      FIRESTORE_EMULATOR_HOST: ledgerProxy.host,
      STORAGE_ENDPOINT: rest.url,
    },
    floor: baseEnv,
    usual: { ...baseEnv, BENCH_GRPC_ADMIN: grpc.host },
  };
  const result: ColdResult = {
    samples: [],
    failures: [],
    usualMeasures:
      "arrival of the ExportDocuments gRPC call (real gRPC client, insecure loopback channel) at a gRPC stand-in",
  };
  const variants: Variant[] = ["product", "floor", "usual"];
  try {
    for (let rep = -1; rep < options.reps; rep++) {
      for (const variant of interleave(variants, rep + 1)) {
        // Each scheduled run is claimed once: an empty ledger makes every repetition a first delivery.
        await clearLedger(options.firestoreHost);
        try {
          ledgerProxy.calls.length = 0;
          const sample = await coldOnce(variant, serve, sources[variant], envs[variant], arrivals, rep);
          const claim = ledgerProxy.calls.find((c) => c.method === "POST");
          if (variant === "product" && claim) sample.claimMs = claim.end - claim.start;
          if (rep >= 0) result.samples.push(sample);
        } catch (error) {
          result.failures.push({
            variant,
            rep,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }
  } finally {
    await new Promise((resolve) => rest.server.close(resolve));
    ledgerProxy.server.closeAllConnections();
    await new Promise((resolve) => ledgerProxy.server.close(resolve));
    grpc.server.forceShutdown();
  }
  return result;
}

async function clearLedger(host: string): Promise<void> {
  const response = await fetch(
    `http://${host}/emulator/v1/projects/${PROJECT}/databases/bench-ledger/documents`,
    { method: "DELETE", signal: AbortSignal.timeout(10_000) },
  );
  await response.arrayBuffer();
}

async function coldOnce(
  variant: Variant,
  serve: string,
  source: string,
  env: Record<string, string>,
  arrivals: Arrivals,
  rep: number,
): Promise<ColdSample> {
  const port = await freePort();
  const output: string[] = [];
  const arrival = arrivals.next();
  const t0 = performance.now();
  const child = spawnTracked(process.execPath, [serve, source, "exportFirestore", String(port)], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
    group: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on("data", (chunk: Buffer) => {
      if (output.length < 50) output.push(chunk.toString("utf8"));
    });
  }
  try {
    const listening = await Promise.race([
      waitForPort(port, Date.now() + STEP_TIMEOUT_MS),
      exited(child).then(() => false),
    ]);
    if (!listening) throw new Error(`did not listen on ${port}`);
    const listenMs = performance.now() - t0;
    const answered = postEvent(port, cloudEvent(`bench-${variant}-${rep}-${Date.now()}`));
    const arrivedAt = await withTimeout(arrival, STEP_TIMEOUT_MS, "exportDocuments arrival");
    const status = await answered;
    return {
      variant,
      listenMs,
      arrivalMs: arrivedAt - t0,
      peakRssBytes: peakRss(child.pid),
      status,
    };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`${variant}: ${why}; output: ${output.join("").slice(-800)}`);
  } finally {
    arrivals.arrived(Number.NaN);
    await killGroup(child, "SIGKILL", 2_000);
  }
}
