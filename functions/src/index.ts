/**
 * Composition root: the only module that reads the environment and builds real adapters.
 * Configuration is parsed once, at cold start; a bad value stops the instance with a message
 * naming the variable, the value and the accepted form.
 */
import * as functions from "@google-cloud/functions-framework";
import { createAdminClient } from "./admin-client.js";
import { createAlertChannels } from "./alert-channels.js";
import type { CheckerDeps } from "./checker.js";
import { type Config, parseConfig } from "./config.js";
import { ConfigError } from "./errors.js";
import type { ExporterDeps } from "./exporter.js";
import { makeCheckHandler, makeExportHandler } from "./handlers.js";
import { createFirestoreLedger, ledgerRestCall } from "./ledger.js";
import { createJsonLogger } from "./log.js";
import { callerIdentity } from "./rest.js";
import { createStorageClient } from "./storage-client.js";

const log = createJsonLogger();

function loadConfig(): Config {
  try {
    return parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      log({
        severity: "CRITICAL",
        event: "config.invalid",
        message: error.message,
        problems: error.problems,
      });
    }
    throw error;
  }
}

const config = loadConfig();
for (const warning of config.warnings)
  log({ severity: "WARNING", event: "config.warning", message: warning });

// Constructed once; the ledger speaks Firestore's REST API (no gRPC client to load or install).
const ledger = createFirestoreLedger({
  ...config.ledger,
  rest: ledgerRestCall(config.endpoints.firestore, config.retry.requestTimeoutMs),
});

let exporterDeps: Promise<ExporterDeps> | undefined;
function buildExporterDeps(): Promise<ExporterDeps> {
  exporterDeps ??= Promise.resolve({
    config,
    admin: createAdminClient({
      endpoint: config.endpoints.firestoreAdmin,
      apiVersion: config.apiVersion,
      timeoutMs: config.retry.requestTimeoutMs,
    }),
    ledger,
    log,
    now: () => new Date(),
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    identity: () => callerIdentity(config.endpoints.firestoreAdmin),
  });
  return exporterDeps;
}

let checkerDeps: Promise<CheckerDeps> | undefined;
function buildCheckerDeps(): Promise<CheckerDeps> {
  checkerDeps ??= buildExporterDeps().then((exporter) => ({
    config,
    admin: exporter.admin,
    storage: createStorageClient({
      endpoint: config.endpoints.storage,
      timeoutMs: config.retry.requestTimeoutMs,
    }),
    ledger,
    channels: createAlertChannels(config.alerts, config.endpoints.pubsub, config.retry.requestTimeoutMs),
    log,
    now: () => new Date(),
    sleep: exporter.sleep,
  }));
  return checkerDeps;
}

functions.cloudEvent("exportFirestore", makeExportHandler(buildExporterDeps));
functions.cloudEvent("checkExports", makeCheckHandler(buildCheckerDeps));
