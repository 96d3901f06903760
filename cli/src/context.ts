import { createAdminClient, type OperatorAdminApi } from "../../functions/src/admin-client.js";
import { type Config, parseConfig } from "../../functions/src/config.js";
import { createFirestoreLedger, type Ledger, ledgerRestCall } from "../../functions/src/ledger.js";
import { createStorageClient, type StorageApi } from "../../functions/src/storage-client.js";

/** Exit codes every command uses. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Bad arguments or configuration: printed with the usage hint, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Where a command writes: human lines by default, one JSON document with --json. */
export interface Output {
  json: boolean;
  /** True when stdout is a terminal (progress bars redraw in place only then). */
  tty: boolean;
  /** A human line on stdout (suppressed with --json). */
  line(text: string): void;
  /** The machine-readable result (printed only with --json). */
  data(value: unknown): void;
  /** Diagnostics on stderr, always. */
  error(text: string): void;
  /** Raw write to stdout, for progress bars. */
  write(text: string): void;
}

/** What every command receives; built once from the same environment the functions read. */
export interface CliContext {
  env: Record<string, string | undefined>;
  config: Config;
  /** The Admin API client, including import and databases.get for restore and doctor. */
  admin: OperatorAdminApi;
  storage: StorageApi;
  ledger: Ledger;
  out: Output;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
}

export function createOutput(json: boolean, stdout = process.stdout, stderr = process.stderr): Output {
  return {
    json,
    tty: Boolean(stdout.isTTY) && !json,
    line: (text) => {
      if (!json) stdout.write(`${text}\n`);
    },
    data: (value) => {
      if (json) stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    error: (text) => stderr.write(`${text}\n`),
    write: (text) => {
      if (!json) stdout.write(text);
    },
  };
}

/** Builds the context from the environment; a ConfigError propagates (exit 2). */
export function createContext(env: Record<string, string | undefined>, out: Output): CliContext {
  const config = parseConfig(env);
  return {
    env,
    config,
    admin: createAdminClient({
      endpoint: config.endpoints.firestoreAdmin,
      apiVersion: config.apiVersion,
      timeoutMs: config.retry.requestTimeoutMs,
    }),
    storage: createStorageClient({
      endpoint: config.endpoints.storage,
      timeoutMs: config.retry.requestTimeoutMs,
    }),
    ledger: createFirestoreLedger({
      ...config.ledger,
      rest: ledgerRestCall(config.endpoints.firestore, config.retry.requestTimeoutMs),
    }),
    out,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
