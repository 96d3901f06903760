import { describe, expect, it } from "vitest";
import { defaultDuration, runFanOut } from "../../bench/fanout.js";
import { optimalMakespan, VirtualClock } from "../../bench/quota-sim.js";
import { ApiError } from "../../functions/src/errors.js";
import { ExportPacer } from "../../functions/src/quota.js";
import { FakeLedger } from "../support/fakes.js";

const MINUTE = 60_000;

describe("ExportPacer", () => {
  const clockAt = () => {
    const clock = new VirtualClock(Date.UTC(2026, 11, 3, 2));
    return { ...clock, now: clock.now, sleep: clock.sleep, random: () => 0.5, nowMs: clock.nowMs };
  };

  it("sends at most the per-minute quota in any minute", async () => {
    const clock = clockAt();
    const pacer = new ExportPacer({ requestsPerMinute: 20, concurrent: 1000 }, clock, async () => false);
    const times: number[] = [];
    for (let i = 0; i < 45; i++) {
      expect(await pacer.waitForRoom(Number.POSITIVE_INFINITY)).toBe(true);
      pacer.noteRequest();
      pacer.noteStarted(`op-${i}`);
      times.push(clock.nowMs());
    }
    for (let i = 20; i < times.length; i++)
      expect((times[i] ?? 0) - (times[i - 20] ?? 0)).toBeGreaterThanOrEqual(MINUTE);
    // And no slower than that: the 21st goes exactly a minute after the first.
    expect((times[20] ?? 0) - (times[0] ?? 0)).toBe(MINUTE);
  });

  it("waits for a running operation to end when every slot is taken", async () => {
    const clock = clockAt();
    const endsAt = new Map<string, number>();
    const pacer = new ExportPacer(
      { requestsPerMinute: 1000, concurrent: 2 },
      clock,
      async (name) => (endsAt.get(name) ?? 0) <= clock.nowMs(),
    );
    for (const [name, ms] of [
      ["a", 40_000],
      ["b", 100_000],
    ] as const) {
      await pacer.waitForRoom(Number.POSITIVE_INFINITY);
      pacer.noteRequest();
      pacer.noteStarted(name);
      endsAt.set(name, clock.nowMs() + ms);
    }
    const before = clock.nowMs();
    expect(await pacer.waitForRoom(Number.POSITIVE_INFINITY)).toBe(true);
    // "a" ends after 40 s; probed every 15 s, the slot is seen free at 45 s.
    expect(clock.nowMs() - before).toBe(45_000);
  });

  it("counts an operation the API no longer knows as ended, and one it cannot read as running", async () => {
    const clock = clockAt();
    const pacer = new ExportPacer({ requestsPerMinute: 1000, concurrent: 1 }, clock, async (name) => {
      throw name === "gone"
        ? new ApiError(404, "NOT_FOUND", "operation not found")
        : new ApiError(503, "UNAVAILABLE", "try later");
    });
    pacer.noteStarted("flaky");
    expect(await pacer.waitForRoom(clock.nowMs() + 60_000)).toBe(false);
    const other = new ExportPacer({ requestsPerMinute: 1000, concurrent: 1 }, clock, async () => {
      throw new ApiError(404, "NOT_FOUND", "operation not found");
    });
    other.noteStarted("gone");
    expect(await other.waitForRoom(clock.nowMs() + 60_000)).toBe(true);
  });

  it("says no, without sleeping past it, when the room comes after the deadline", async () => {
    const clock = clockAt();
    const pacer = new ExportPacer({ requestsPerMinute: 1, concurrent: 10 }, clock, async () => false);
    await pacer.waitForRoom(Number.POSITIVE_INFINITY);
    pacer.noteRequest();
    const start = clock.nowMs();
    expect(await pacer.waitForRoom(start + 30_000)).toBe(false);
    expect(clock.nowMs()).toBe(start);
  });

  it("backs off after a 429 it did not foresee, longer each time", async () => {
    const clock = clockAt();
    const pacer = new ExportPacer({ requestsPerMinute: 1000, concurrent: 1000 }, clock, async () => false);
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      pacer.noteRefused();
      const before = clock.nowMs();
      await pacer.waitForRoom(Number.POSITIVE_INFINITY);
      waits.push(clock.nowMs() - before);
    }
    // 10 s, 20 s, 40 s, then the 60 s cap, each at 3/4 with random() = 0.5.
    expect(waits).toEqual([7_500, 15_000, 30_000, 45_000]);
  });
});

describe("optimalMakespan", () => {
  it("is rate-bound for short exports and slot-bound for long ones", () => {
    const rules = { requestsPerMinute: 20, concurrent: 50 };
    // 100 one-second exports: 20 a minute, the last request at 4 min.
    expect(optimalMakespan(Array(100).fill(1000), rules)).toBe(4 * MINUTE + 1000);
    // 100 exports of 10 min: 50 slots; the second 50 start as the first end (the first 50 take 2.5 min to send).
    expect(optimalMakespan(Array(100).fill(10 * MINUTE), rules)).toBe(
      // export 51 waits for export 1 (sent at 0) to end at 10 min; export 100 for export 50 (sent at 2 min).
      2 * MINUTE + 10 * MINUTE + 10 * MINUTE,
    );
  });
});

describe("fan-out under quota (F14)", () => {
  it("starts 100 databases within the quota, near the optimal schedule, with no quota error surfaced", async () => {
    const result = await runFanOut({ databases: 100, ledger: new FakeLedger() });
    expect(result.started).toBe(100);
    expect(result.surfaced).toBe(0);
    expect(result.errorLines).toEqual([]);
    expect(result.peakRunning).toBeLessThanOrEqual(50);
    // The pacer never trips the rate limit it knows about.
    expect(result.refused.rate).toBe(0);
    expect(result.ratio).toBeLessThanOrEqual(1.1);
    expect(result.outcomes.started).toBe(100);
  });

  it("survives a project whose quota is smaller than it was told, by waiting out the 429s", async () => {
    // Another tool uses part of the quota: the API refuses beyond 8 a minute and 5 running.
    const result = await runFanOut({
      databases: 30,
      ledger: new FakeLedger(),
      rules: { requestsPerMinute: 8, concurrent: 5 },
    });
    expect(result.started).toBe(30);
    expect(result.surfaced).toBe(0);
    expect(result.refused.rate + result.refused.concurrent).toBeGreaterThan(0);
  });

  it("parks what does not fit in one delivery and the redelivery of the same message starts it", async () => {
    // 120 exports of 20 minutes: the concurrency quota stretches the fan-out over several deliveries.
    const result = await runFanOut({
      databases: 120,
      ledger: new FakeLedger(),
      durationMs: () => 20 * MINUTE,
    });
    expect(result.deliveries).toBeGreaterThan(1);
    expect(result.started).toBe(120);
    expect(result.surfaced).toBe(0);
  });

  it("simulates exports of 1 to 5 minutes, as the benchmark's table says", () => {
    const durations = Array.from({ length: 500 }, (_, i) => defaultDuration(i));
    expect(Math.min(...durations)).toBeGreaterThanOrEqual(MINUTE);
    expect(Math.max(...durations)).toBeLessThanOrEqual(5 * MINUTE);
  });
});
