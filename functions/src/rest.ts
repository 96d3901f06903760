import { ApiError, statusForHttp } from "./errors.js";

export interface RestOptions {
  /** Origin such as https://firestore.googleapis.com or http://127.0.0.1:8090 */
  endpoint: string;
  timeoutMs: number;
  scopes: string[];
}

/** Sends one request and returns the parsed JSON body (or undefined for an empty body). */
export type RestCall = (method: string, path: string, body?: unknown) => Promise<unknown>;

export type HeaderSource = () => Promise<Record<string, string>>;

/**
 * A small JSON-over-HTTPS caller. Real endpoints get an OAuth token from Application Default
 * Credentials; a plain-http loopback endpoint (the local gateway) gets none, because a bearer
 * token must never travel unencrypted and the local stack has no credentials anyway.
 */
export function createRestCall(options: RestOptions, headers: HeaderSource = authHeaders(options)): RestCall {
  return async (method, path, body) => {
    const url = `${options.endpoint}${path}`;
    const init: RequestInit = {
      method,
      headers: {
        ...(await headers()),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      signal: AbortSignal.timeout(options.timeoutMs),
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    let response: Response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      const status = timedOut ? "DEADLINE_EXCEEDED" : "UNAVAILABLE";
      const why = timedOut ? `no answer within ${options.timeoutMs} ms` : describeNetworkError(error);
      throw new ApiError(0, status, `${method} ${url}: ${why}`, true);
    }
    const text = await response.text();
    if (!response.ok) throw errorFromBody(response.status, text, `${method} ${url}`);
    return text === "" ? undefined : JSON.parse(text);
  };
}

/** Parses a Google error body `{"error":{"code","message","status"}}`, tolerating anything else. */
export function errorFromBody(httpStatus: number, text: string, what: string): ApiError {
  let message = text.slice(0, 500) || `HTTP ${httpStatus}`;
  let status = statusForHttp(httpStatus);
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string; status?: string } };
    if (parsed.error?.message) message = parsed.error.message;
    if (parsed.error?.status) status = parsed.error.status;
  } catch {
    // not JSON: keep the raw text
  }
  return new ApiError(httpStatus, status, `${message} (${what} → HTTP ${httpStatus})`, httpStatus >= 500);
}

function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : "";
  return `${error instanceof Error ? error.message : String(error)}${cause ? ` (${cause})` : ""}`;
}

function authHeaders(options: RestOptions): HeaderSource {
  if (options.endpoint.startsWith("http://")) return async () => ({});
  let auth:
    | Promise<{ getRequestHeaders(url?: string): Promise<Headers | Record<string, string>> }>
    | undefined;
  return async () => {
    // Loaded on first use: the local stack and unit tests never pay for it.
    auth ??= import("google-auth-library").then(
      ({ GoogleAuth }) => new GoogleAuth({ scopes: options.scopes }),
    );
    const headers = await (await auth).getRequestHeaders();
    return headers instanceof Headers ? Object.fromEntries(headers.entries()) : headers;
  };
}

/** The identity requests are made as, for error messages (F8). */
export async function callerIdentity(endpoint: string): Promise<string> {
  if (endpoint.startsWith("http://")) return "anonymous (the local stack sends no credentials)";
  try {
    const { GoogleAuth } = await import("google-auth-library");
    const credentials = await new GoogleAuth().getCredentials();
    return credentials.client_email ?? "the Application Default Credentials (no e-mail reported)";
  } catch (error) {
    return `unknown (could not read Application Default Credentials: ${error instanceof Error ? error.message : String(error)})`;
  }
}
