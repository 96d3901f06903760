import { describe, expect, it } from "vitest";
import { checkTick } from "../../functions/src/checker.js";
import { FakeChannel, FakeCheckerLedger, makeCheckerDeps } from "../support/fakes.js";

describe("checkTick is single-flight", () => {
  it("a tick that overlaps a running one does nothing, so no alert is delivered twice", async () => {
    const ledger = new FakeCheckerLedger();
    const deps = makeCheckerDeps({ ledger, channels: [new FakeChannel("webhook")] });
    // Another instance holds the lock, as when a slow tick and the next one overlap.
    expect(await ledger.acquireTickLock("other-instance", deps.now(), 60_000)).toBe(true);
    const report = await checkTick(deps);
    expect(report.skipped).toBe(true);
    expect(report.runsChecked).toBe(0);
    expect(deps.log.entries.map((e) => e.event)).toEqual(["check.skipped"]);
    // The holder is untouched and, once it is gone, the next tick runs.
    expect(ledger.lock?.holder).toBe("other-instance");
    await ledger.releaseTickLock("other-instance");
    const next = await checkTick(deps);
    expect(next.skipped).toBeUndefined();
    expect(ledger.lock).toBeUndefined();
  });

  it("a lock left by a crashed tick lapses after its time to live", async () => {
    const ledger = new FakeCheckerLedger();
    const deps = makeCheckerDeps({ ledger });
    await ledger.acquireTickLock("crashed", new Date(deps.now().getTime() - 10 * 60_000), 9 * 60_000);
    expect((await checkTick(deps)).skipped).toBeUndefined();
  });
});
