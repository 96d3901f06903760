import { describe, expect, it } from "vitest";
import { trigger } from "../../cli/src/commands/trigger.js";
import type { CliContext, Output } from "../../cli/src/context.js";
import {
  apiErrors,
  DEFAULT_DB,
  FakeAdmin,
  FakeCheckerLedger,
  fixedClock,
  testConfig,
} from "../support/fakes.js";

function capture(): Output & { errors: string[]; lines: string[] } {
  const errors: string[] = [];
  const lines: string[] = [];
  return {
    json: false,
    tty: false,
    line: (text) => lines.push(text),
    data: () => {},
    error: (text) => errors.push(text),
    write: (text) => lines.push(text),
    errors,
    lines,
  };
}

describe("trigger --direct under an export quota that never makes room", () => {
  it("gives up after --timeout (found in a fresh-user trial: it looped forever), exit 1, saying what is left", async () => {
    const clock = fixedClock("2026-12-03T10:00:00Z");
    const admin = new FakeAdmin();
    admin.failAlways = apiErrors.quota;
    const out = capture();
    const ctx = {
      env: {},
      config: testConfig({
        EXPORT_TARGETS: JSON.stringify([{ database: DEFAULT_DB, bucket: "gs://my-bucket" }]),
        EXPORT_TIME_BUDGET: "30s",
      }),
      admin,
      ledger: new FakeCheckerLedger(),
      out,
      now: clock.now,
      // Waiting moves the clock, as real sleeps do.
      sleep: async (ms: number) => clock.advance(ms),
    } as unknown as CliContext;

    const code = await trigger.run(["--direct", "--database", DEFAULT_DB, "--timeout", "100"], ctx);

    expect(code).toBe(1);
    expect(out.errors.join("\n")).toContain("1 run(s) still wait for room in the export quota");
    // --timeout counts from the start: no delivery starts after 100 s, and one lasts at most its 30 s budget.
    expect(clock.now().getTime() - Date.parse("2026-12-03T10:00:00Z")).toBeLessThanOrEqual(130_000);
  });
});
