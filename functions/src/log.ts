/** Cloud Logging severities, in increasing order. */
export type Severity = "DEBUG" | "INFO" | "NOTICE" | "WARNING" | "ERROR" | "CRITICAL";

/** One structured log line: Cloud Logging reads `severity` and `message` natively. */
export interface LogEntry {
  severity: Severity;
  event: string;
  message: string;
  [field: string]: unknown;
}

export type Logger = (entry: LogEntry) => void;

/** Writes one JSON object per line to stdout, the format Cloud Run/Functions ingest without an SDK. */
export function createJsonLogger(
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  return (entry) => write(JSON.stringify(entry));
}

/** Collects entries in memory; used by tests and by the local stack's summary. */
export function createMemoryLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const logger = ((entry: LogEntry) => {
    entries.push(entry);
  }) as Logger & { entries: LogEntry[] };
  logger.entries = entries;
  return logger;
}
