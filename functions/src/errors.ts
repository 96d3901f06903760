/** Google API status names that are worth retrying with backoff; everything else is final. */
const RETRYABLE_STATUSES = new Set([
  "RESOURCE_EXHAUSTED",
  "UNAVAILABLE",
  "INTERNAL",
  "DEADLINE_EXCEEDED",
  "ABORTED",
]);
const RETRYABLE_HTTP = new Set([408, 429, 500, 502, 503, 504]);

/** An error answered by (or on the way to) a Google REST API, classified once. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    /** HTTP status, or 0 when no answer arrived (network error, timeout). */
    readonly httpStatus: number,
    /** Google status name such as UNAVAILABLE or PERMISSION_DENIED. */
    readonly status: string,
    message: string,
    /** True when the server may have acted on the request although we saw no success (timeouts, 5xx). */
    readonly ambiguous = false,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return RETRYABLE_STATUSES.has(this.status) || RETRYABLE_HTTP.has(this.httpStatus);
  }

  /** The export API's answer when the prefix already holds a finished export. */
  get pathAlreadyExists(): boolean {
    return this.status === "INVALID_ARGUMENT" && /path already exists/i.test(this.message);
  }
}

/** One or more configuration variables are invalid; every problem is listed. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n- ${problems.join("\n- ")}`,
    );
  }
}

/** A trigger message that is refused before anything is exported. */
export class TriggerRejected extends Error {
  override readonly name = "TriggerRejected";
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
  }
}

/** Status name for an HTTP status when the body carried none. */
export function statusForHttp(httpStatus: number): string {
  const names: Record<number, string> = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
  };
  return names[httpStatus] ?? "UNKNOWN";
}

/** Google RPC code → status name, for operation errors that carry only the number. */
export function statusForCode(code: number): string {
  const names = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
  ];
  return names[code] ?? "UNKNOWN";
}
