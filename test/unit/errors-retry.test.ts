import { describe, expect, it } from "vitest";
import {
  ApiError,
  ConfigError,
  statusForCode,
  statusForHttp,
  TriggerRejected,
} from "../../functions/src/errors.js";
import { errorFromBody } from "../../functions/src/rest.js";
import { backoffDelay, withRetry } from "../../functions/src/retry.js";

const googleError = (code: number, status: string, message: string) =>
  JSON.stringify({ error: { code, message, status } });

describe("ApiError.retryable", () => {
  // [http status, status name, retryable]
  it.each([
    [429, "RESOURCE_EXHAUSTED", true],
    [500, "INTERNAL", true],
    [502, "UNKNOWN", true],
    [503, "UNAVAILABLE", true],
    [504, "DEADLINE_EXCEEDED", true],
    [408, "UNKNOWN", true],
    [409, "ABORTED", true],
    [0, "UNAVAILABLE", true],
    [0, "DEADLINE_EXCEEDED", true],
    [400, "INVALID_ARGUMENT", false],
    [400, "FAILED_PRECONDITION", false],
    [401, "UNAUTHENTICATED", false],
    [403, "PERMISSION_DENIED", false],
    [404, "NOT_FOUND", false],
    [409, "ALREADY_EXISTS", false],
    [501, "UNIMPLEMENTED", false],
  ])("HTTP %i %s → %s", (httpStatus, status, retryable) => {
    expect(new ApiError(httpStatus, status, "message").retryable).toBe(retryable);
  });
});

describe("ApiError.pathAlreadyExists", () => {
  it.each([
    [400, "INVALID_ARGUMENT", "Path already exists: /my-bucket/firestore/x/x.overall_export_metadata", true],
    [
      400,
      "INVALID_ARGUMENT",
      "path already exists: /b/p/p.overall_export_metadata (POST … → HTTP 400)",
      true,
    ],
    [400, "INVALID_ARGUMENT", "Invalid collection id", false],
    [400, "FAILED_PRECONDITION", "Path already exists: /b/p/p.overall_export_metadata", false],
    [409, "ALREADY_EXISTS", "Document already exists", false],
  ])("HTTP %i %s %j → %s", (httpStatus, status, message, exists) => {
    expect(new ApiError(httpStatus, status, message).pathAlreadyExists).toBe(exists);
  });

  it("survives the REST adapter's wrapping of the message", () => {
    const error = errorFromBody(
      400,
      googleError(400, "INVALID_ARGUMENT", "Path already exists: /my-bucket/p/p.overall_export_metadata"),
      "POST https://firestore.googleapis.com/v1/projects/p/databases/(default):exportDocuments",
    );
    expect(error.pathAlreadyExists).toBe(true);
    expect(error.retryable).toBe(false);
  });
});

describe("errorFromBody", () => {
  const what = "POST https://firestore.googleapis.com/v1/x:exportDocuments";

  it("reads the Google error body", () => {
    const error = errorFromBody(
      403,
      googleError(403, "PERMISSION_DENIED", "The caller does not have permission"),
      what,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ httpStatus: 403, status: "PERMISSION_DENIED", ambiguous: false });
    expect(error.message).toBe(`The caller does not have permission (${what} → HTTP 403)`);
  });

  it.each([
    [503, "", "UNAVAILABLE", "HTTP 503", true],
    [502, "<html>Bad Gateway</html>", "UNKNOWN", "<html>Bad Gateway</html>", true],
    [429, "rate limited", "RESOURCE_EXHAUSTED", "rate limited", false],
    [404, "{}", "NOT_FOUND", "{}", false],
  ])("falls back on the HTTP status for HTTP %i %j", (httpStatus, text, status, message, ambiguous) => {
    const error = errorFromBody(httpStatus, text, what);
    expect(error).toMatchObject({ httpStatus, status, ambiguous });
    expect(error.message.startsWith(message)).toBe(true);
  });

  it("keeps at most 500 characters of a raw body", () => {
    expect(errorFromBody(500, "x".repeat(2000), what).message.length).toBeLessThan(600);
  });
});

describe("status names", () => {
  it.each([
    [400, "INVALID_ARGUMENT"],
    [403, "PERMISSION_DENIED"],
    [429, "RESOURCE_EXHAUSTED"],
    [503, "UNAVAILABLE"],
    [418, "UNKNOWN"],
  ])("HTTP %i → %s", (http, status) => {
    expect(statusForHttp(http)).toBe(status);
  });

  it.each([
    [1, "CANCELLED"],
    [4, "DEADLINE_EXCEEDED"],
    [7, "PERMISSION_DENIED"],
    [9, "FAILED_PRECONDITION"],
    [14, "UNAVAILABLE"],
    [16, "UNAUTHENTICATED"],
    [99, "UNKNOWN"],
  ])("RPC code %i → %s", (code, status) => {
    expect(statusForCode(code)).toBe(status);
  });
});

describe("error classes", () => {
  it("ConfigError lists every problem", () => {
    const error = new ConfigError(["A: bad", "B: worse"]);
    expect(error.name).toBe("ConfigError");
    expect(error.message).toBe("Invalid configuration (2 problems):\n- A: bad\n- B: worse");
    expect(new ConfigError(["A: bad"]).message).toMatch(/^Invalid configuration \(1 problem\):/);
  });

  it("TriggerRejected joins its problems", () => {
    expect(new TriggerRejected(["a", "b"]).message).toBe("a; b");
  });
});

describe("backoffDelay", () => {
  it.each([
    [1, 1000, 500, 1000],
    [2, 1000, 1000, 2000],
    [3, 1000, 2000, 4000],
    [6, 1000, 16_000, 32_000],
    [7, 1000, 16_000, 32_000],
    [30, 1000, 16_000, 32_000],
    [1, 250, 125, 250],
  ])("attempt %i with base %i stays within [%i, %i]", (attempt, base, low, high) => {
    expect(backoffDelay(attempt, base, () => 0)).toBe(low);
    expect(backoffDelay(attempt, base, () => 0.999_999)).toBe(high);
    const middle = backoffDelay(attempt, base, () => 0.5);
    expect(middle).toBeGreaterThanOrEqual(low);
    expect(middle).toBeLessThanOrEqual(high);
  });

  it("jitters between calls", () => {
    const values = new Set([0, 0.25, 0.5, 0.75].map((r) => backoffDelay(3, 1000, () => r)));
    expect(values.size).toBe(4);
  });
});

describe("withRetry", () => {
  /** Hooks that record instead of waiting. */
  function hooks() {
    const delays: number[] = [];
    const before: Array<{ status: string; attempt: number; delayMs: number }> = [];
    return {
      delays,
      before,
      hooks: {
        sleep: async (ms: number) => {
          delays.push(ms);
        },
        random: () => 0,
        beforeRetry: (error: ApiError, attempt: number, delayMs: number) => {
          before.push({ status: error.status, attempt, delayMs });
        },
      },
    };
  }
  const unavailable = () => new ApiError(503, "UNAVAILABLE", "try later", true);
  const policy = { maxAttempts: 4, baseDelayMs: 1000 };

  it("returns the first success without sleeping", async () => {
    const h = hooks();
    await expect(withRetry(async () => "op", policy, h.hooks)).resolves.toBe("op");
    expect(h.delays).toEqual([]);
  });

  it("retries retryable errors with growing delays", async () => {
    const h = hooks();
    const attempts: number[] = [];
    const result = await withRetry(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 3) throw unavailable();
        return "op";
      },
      policy,
      h.hooks,
    );
    expect(result).toBe("op");
    expect(attempts).toEqual([1, 2, 3]);
    expect(h.delays).toEqual([500, 1000]);
    expect(h.before).toEqual([
      { status: "UNAVAILABLE", attempt: 1, delayMs: 500 },
      { status: "UNAVAILABLE", attempt: 2, delayMs: 1000 },
    ]);
  });

  it("gives up after maxAttempts and rethrows the last error", async () => {
    const h = hooks();
    let calls = 0;
    const last = new ApiError(429, "RESOURCE_EXHAUSTED", "last");
    const run = withRetry(
      async () => {
        calls++;
        throw calls === 4 ? last : unavailable();
      },
      policy,
      h.hooks,
    );
    await expect(run).rejects.toBe(last);
    expect(calls).toBe(4);
    expect(h.delays).toHaveLength(3);
  });

  it.each([
    ["a final ApiError", new ApiError(403, "PERMISSION_DENIED", "no")],
    ["an error that is not an ApiError", new TypeError("bug")],
  ])("stops at once on %s", async (_what, error) => {
    const h = hooks();
    let calls = 0;
    const run = withRetry(
      async () => {
        calls++;
        throw error;
      },
      policy,
      h.hooks,
    );
    await expect(run).rejects.toBe(error);
    expect(calls).toBe(1);
    expect(h.delays).toEqual([]);
    expect(h.before).toEqual([]);
  });

  it("stops when beforeRetry throws, without sleeping", async () => {
    const found = new Error("the first attempt worked");
    const delays: number[] = [];
    let calls = 0;
    const run = withRetry(
      async () => {
        calls++;
        throw unavailable();
      },
      policy,
      {
        sleep: async (ms) => {
          delays.push(ms);
        },
        random: () => 0,
        beforeRetry: () => {
          throw found;
        },
      },
    );
    await expect(run).rejects.toBe(found);
    expect(calls).toBe(1);
    expect(delays).toEqual([]);
  });

  it("makes a single attempt when maxAttempts is 1", async () => {
    const h = hooks();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw unavailable();
        },
        { maxAttempts: 1, baseDelayMs: 1000 },
        h.hooks,
      ),
    ).rejects.toBeInstanceOf(ApiError);
    expect(calls).toBe(1);
  });
});
