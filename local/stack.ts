import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Firestore } from "@google-cloud/firestore";
import { PubSub } from "@google-cloud/pubsub";
import { CONFIG_VARIABLES } from "../functions/src/config.js";
import { type Emulator, freePort, startFirestoreEmulator, startPubsubEmulator } from "./emulators.js";
import { type FunctionProcess, startFunctionProcess } from "./functions-process.js";
import { type Gateway, startGateway } from "./gateway.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

/** Where the repository lives, whether this runs from local/ (tests) or dist/local/ (npm start). */
export const PROJECT_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

export const LOCAL_PROJECT = "demo-local";
export const LOCAL_BUCKET = "demo-local-exports";
export const LOCAL_DATABASE = `projects/${LOCAL_PROJECT}/databases/(default)`;
/** The ledger lives in its own named database so that it never appears in the exported data. */
export const LOCAL_LEDGER_DATABASE = `projects/${LOCAL_PROJECT}/databases/exporter-ledger`;
export const TRIGGER_TOPIC = "export-trigger";
export const CHECK_TOPIC = "export-check";
export const ALERT_TOPIC = "export-alerts";

export interface StackOptions {
  /** Folder for buckets and logs; wiped at start. */
  stateDir?: string;
  faults?: string;
  /** Extra or overriding function environment (EXPORT_TARGETS, windows, …). */
  env?: Record<string, string>;
  log?: (line: string) => void;
  /** Milliseconds over which the gateway reveals an export's progress. */
  opMinDurationMs?: number;
  /** How often the local scheduler publishes a check tick (Cloud Scheduler: every few minutes). */
  checkTickMs?: number;
}

/** The whole system on loopback: emulators, gateway, functions and Pub/Sub wiring like production. */
export interface Stack {
  firestore: Emulator;
  pubsubEmulator: Emulator;
  gateway: Gateway;
  exporter: FunctionProcess;
  checker: FunctionProcess;
  webhook: WebhookReceiver;
  pubsub: PubSub;
  stateDir: string;
  /** The function environment, as Terraform would set it. */
  env: Record<string, string>;
  /** A Firestore client on the emulator, for a database of the local project. */
  db(databaseId?: string): Firestore;
  /** Publishes a trigger message as Cloud Scheduler ("{}") or a person (JSON) would. */
  publishTrigger(body?: string, attributes?: Record<string, string>): Promise<string>;
  /** Publishes one check tick now (besides the periodic ones). */
  tick(): Promise<string>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const log = options.log ?? (() => {});
  const stateDir = options.stateDir ?? path.join(PROJECT_ROOT, ".local");
  await rm(path.join(stateDir, "buckets"), { recursive: true, force: true });
  await rm(path.join(stateDir, "logs"), { recursive: true, force: true });
  await mkdir(path.join(stateDir, "logs"), { recursive: true });

  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch(() => {});
    }
  };
  try {
    const [firestore, pubsubEmulator] = await Promise.all([startFirestoreEmulator(), startPubsubEmulator()]);
    cleanups.push(
      () => firestore.stop(),
      () => pubsubEmulator.stop(),
    );
    log(`Firestore emulator on ${firestore.host}, Pub/Sub emulator on ${pubsubEmulator.host}`);
    // The client libraries in this process (data load, ledger reads, Pub/Sub admin) use the emulators.
    process.env.FIRESTORE_EMULATOR_HOST = firestore.host;
    process.env.PUBSUB_EMULATOR_HOST = pubsubEmulator.host;
    // Nothing local may probe the GCE metadata server (a non-loopback address) for credentials.
    process.env.METADATA_SERVER_DETECTION = "none";

    const gatewayLog = createWriteStream(path.join(stateDir, "logs", "gateway.log"), { flags: "a" });
    const gateway = await startGateway({
      firestoreEmulatorHost: firestore.host,
      dataRoot: path.join(stateDir, "buckets"),
      buckets: [LOCAL_BUCKET],
      ...(options.faults && { faults: options.faults }),
      ...(options.opMinDurationMs !== undefined && { opMinDurationMs: options.opMinDurationMs }),
      // One line per request: kept in a file for troubleshooting, out of the summary.
      log: (line) => gatewayLog.write(`${line}\n`),
    });
    cleanups.push(async () => {
      gatewayLog.end();
    });
    cleanups.push(() => gateway.stop());
    log(`Local gateway (Admin + Storage REST) on ${gateway.url}`);

    const webhook = await startWebhookReceiver();
    cleanups.push(() => webhook.stop());

    const env: Record<string, string> = {
      EXPORT_TARGETS: JSON.stringify([
        { database: LOCAL_DATABASE, bucket: `gs://${LOCAL_BUCKET}`, prefix: "firestore" },
      ]),
      LEDGER_DATABASE: LOCAL_LEDGER_DATABASE,
      FIRESTORE_ADMIN_ENDPOINT: gateway.url,
      STORAGE_ENDPOINT: gateway.url,
      FIRESTORE_EMULATOR_HOST: firestore.host,
      PUBSUB_EMULATOR_HOST: pubsubEmulator.host,
      GOOGLE_CLOUD_PROJECT: LOCAL_PROJECT,
      METADATA_SERVER_DETECTION: "none",
      EXPORT_RETRY_BASE_DELAY_MS: "200",
      EXPORT_REQUEST_TIMEOUT_MS: "5000",
      // A run that cannot start is given up (export_not_started) after seconds here, not an hour.
      START_WINDOW: "30s",
      ALERT_WEBHOOK_URL: webhook.url,
      ALERT_TOPIC: `projects/${LOCAL_PROJECT}/topics/${ALERT_TOPIC}`,
      // The user's own settings (e.g. COMPLETION_WINDOW=20s npm start) win over the local defaults.
      ...userConfig(),
      ...options.env,
    };
    const source = path.join(PROJECT_ROOT, "dist", "functions", "src", "index.js");
    const exporter = await startFunctionProcess({
      target: "exportFirestore",
      source,
      port: await freePort(),
      env,
      logFile: path.join(stateDir, "logs", "exportFirestore.log"),
    });
    cleanups.push(() => exporter.stop());
    const checker = await startFunctionProcess({
      target: "checkExports",
      source,
      port: await freePort(),
      env,
      logFile: path.join(stateDir, "logs", "checkExports.log"),
    });
    cleanups.push(() => checker.stop());
    log(`exportFirestore and checkExports (functions-framework) on ${exporter.url} and ${checker.url}`);

    const pubsub = new PubSub({ projectId: LOCAL_PROJECT });
    cleanups.push(() => pubsub.close());
    const [topic] = await pubsub.createTopic(TRIGGER_TOPIC);
    const [checkTopic] = await pubsub.createTopic(CHECK_TOPIC);
    await pubsub.createTopic(ALERT_TOPIC);
    // The push endpoint path names the topic, so functions-framework builds the same CloudEvent as in production.
    await topic.createSubscription(`${TRIGGER_TOPIC}-exportFirestore`, {
      pushConfig: { pushEndpoint: `${exporter.url}/projects/${LOCAL_PROJECT}/topics/${TRIGGER_TOPIC}` },
      ackDeadlineSeconds: 60,
    });
    await checkTopic.createSubscription(`${CHECK_TOPIC}-checkExports`, {
      pushConfig: { pushEndpoint: `${checker.url}/projects/${LOCAL_PROJECT}/topics/${CHECK_TOPIC}` },
      ackDeadlineSeconds: 60,
    });
    const tick = () => checkTopic.publishMessage({ data: Buffer.from("{}") });
    // The check schedule: Cloud Scheduler ticks every few minutes in production, every few seconds here.
    const ticker = setInterval(() => void tick().catch(() => {}), options.checkTickMs ?? 2000);
    cleanups.push(async () => clearInterval(ticker));

    const clients = new Map<string, Firestore>();
    const { Firestore: FirestoreClient } = await import("@google-cloud/firestore");
    cleanups.push(async () => {
      await Promise.all([...clients.values()].map((c) => c.terminate()));
    });
    return {
      firestore,
      pubsubEmulator,
      gateway,
      exporter,
      checker,
      webhook,
      pubsub,
      stateDir,
      env,
      db(databaseId = "(default)") {
        let client = clients.get(databaseId);
        if (!client) {
          client = new FirestoreClient({
            projectId: LOCAL_PROJECT,
            databaseId,
            ignoreUndefinedProperties: true,
          });
          clients.set(databaseId, client);
        }
        return client;
      },
      async publishTrigger(body = "{}", attributes = {}) {
        // The scheduler job publishes "{}": functions-framework converts a push without data into
        // a CloudEvent only when the data is non-empty, and the exporter reads "{}" as "scheduled".
        return topic.publishMessage({ data: Buffer.from(body), attributes });
      },
      tick,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Variables that wire the local stack together; a user's values for them would point it elsewhere. */
const STACK_OWNED = new Set([
  "EXPORT_TARGETS",
  "LEDGER_DATABASE",
  "LEDGER_COLLECTION",
  "MANUAL_BUCKET_ALLOWLIST",
  "FIRESTORE_ADMIN_ENDPOINT",
  "STORAGE_ENDPOINT",
  "ALERT_WEBHOOK_URL",
  "ALERT_TOPIC",
]);

/** Configuration variables set in the user's environment (schedule, windows, …), passed to the functions. */
function userConfig(): Record<string, string> {
  const passed: Record<string, string> = {};
  for (const name of Object.keys(CONFIG_VARIABLES)) {
    if (STACK_OWNED.has(name)) continue;
    const value = process.env[name];
    if (value !== undefined && value !== "") passed[name] = value;
  }
  return passed;
}

function findRoot(dir: string): string {
  // local/ in the source tree, dist/local/ when built.
  return path.basename(path.dirname(dir)) === "dist"
    ? path.resolve(dir, "..", "..")
    : path.resolve(dir, "..");
}
