import { ApiError } from "./errors.js";

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
}

export interface RetryHooks {
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** Called before each retry; may throw to stop retrying (e.g. when the first attempt is found to have worked). */
  beforeRetry?: (error: ApiError, attempt: number, delayMs: number) => Promise<void> | void;
}

/** Exponential backoff with jitter: between half and all of base·2^(n-1), capped at 32 s. */
export function backoffDelay(attempt: number, baseDelayMs: number, random: () => number): number {
  const ceiling = Math.min(32_000, baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** Runs `fn`, retrying retryable ApiErrors within the policy; the last error is rethrown. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!(error instanceof ApiError) || !error.retryable || attempt >= policy.maxAttempts) throw error;
      const delay = backoffDelay(attempt, policy.baseDelayMs, hooks.random);
      await hooks.beforeRetry?.(error, attempt, delay);
      await hooks.sleep(delay);
    }
  }
}
