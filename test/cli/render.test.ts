import { describe, expect, it } from "vitest";
import { parseOptions, shellQuote } from "../../cli/src/args.js";
import { chartRow, sparkline } from "../../cli/src/chart.js";
import { type Output, UsageError } from "../../cli/src/context.js";
import { barChart, escapeHtml } from "../../cli/src/html.js";
import {
  bar,
  createProgressView,
  formatBytes,
  formatDuration,
  progressLine,
  remainingMs,
} from "../../cli/src/progress.js";
import { summarize } from "../../cli/src/summary.js";
import type { RunRecord } from "../../functions/src/run.js";
import { FakeCheckerLedger, FakeStorage } from "../support/fakes.js";

const NOW = new Date("2026-12-03T02:01:00Z");

function runAt(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    runKey: "manual:1:demo-local:(default)",
    database: "projects/demo-local/databases/(default)",
    trigger: { kind: "manual", messageId: "1", publishTime: "2026-12-03T02:00:00Z" },
    outputUriPrefix: "gs://b/firestore/(default)/x",
    apiVersion: "v1",
    request: { outputUriPrefix: "gs://b/firestore/(default)/x" },
    state: "RUNNING",
    createdAt: "2026-12-03T02:00:00.000Z",
    updatedAt: "2026-12-03T02:00:00.000Z",
    startedAt: "2026-12-03T02:00:00.000Z",
    attempts: 1,
    alerts: {},
    open: true,
    progress: { documents: 250, estimatedDocuments: 1000, bytes: 2_500_000, estimatedBytes: 10_000_000 },
    ...overrides,
  };
}

function memoryOutput(tty: boolean): Output & { text: () => string } {
  let text = "";
  return {
    json: false,
    tty,
    line: (t) => {
      text += `${t}\n`;
    },
    data: () => {},
    error: () => {},
    write: (t) => {
      text += t;
    },
    text: () => text,
  };
}

describe("progress rendering", () => {
  it("draws a bar with the done fraction, counts of the estimate, elapsed and time left", () => {
    expect(bar(0.5, 8)).toBe("████░░░░");
    expect(bar(0.0625, 2)).toBe("▏░");
    const line = progressLine(runAt(), NOW);
    expect(line).toContain("[██████░░░░░░░░░░░░░░░░░░]  25%");
    expect(line).toContain("250/1,000 documents  2.4 MiB/9.5 MiB");
    // 25 % in 60 s: 180 s to go.
    expect(remainingMs(runAt(), NOW)).toBe(180_000);
    expect(line).toContain("elapsed 1m00s, ~3m00s left");
    expect(progressLine(runAt({ progress: {} }), NOW)).toContain("?%");
    expect(formatDuration(3_725_000)).toBe("1h02m05s");
    expect(formatBytes(512)).toBe("512 B");
  });

  it("redraws in place on a terminal and prints a plain line per change otherwise", () => {
    const tty = memoryOutput(true);
    const view = createProgressView(tty, () => NOW);
    view.show([runAt()]);
    view.show([runAt({ progress: { documents: 500, estimatedDocuments: 1000 } })]);
    expect(tty.text()).toContain("\x1b[2A");
    expect(tty.text().split("\x1b[2K")).toHaveLength(5);

    const plain = memoryOutput(false);
    const lines = createProgressView(plain, () => NOW);
    lines.show([runAt()]);
    lines.show([runAt()]);
    lines.show([runAt({ state: "SUCCESSFUL", open: false, endedAt: "2026-12-03T02:01:00.000Z" })]);
    const printed = plain.text().trim().split("\n");
    expect(printed).toHaveLength(2);
    expect(plain.text()).not.toContain("\x1b[");
    expect(printed[1]).toMatch(/100%\s+SUCCESSFUL/);
  });
});

describe("charts", () => {
  it("sparklines start from zero and show gaps", () => {
    expect(sparkline([0, 5, 10, undefined])).toBe("▁▅█ ");
    expect(chartRow("docs", [1, 2], String)).toBe("docs       ▅█  min 1 · max 2 · last 2");
  });

  it("SVG bars carry each run's value, oldest first, with escaped text", () => {
    const runs = [
      summarize(runAt({ runKey: "b<&>", state: "SUCCESSFUL", progress: { documents: 7, bytes: 70 } }), NOW),
      summarize(runAt({ runKey: "a", progress: { documents: 3, bytes: 30 } }), NOW),
    ];
    const svg = barChart(runs, { key: "documents", title: "Documents", format: String });
    expect(svg.indexOf('data-run-key="a"')).toBeLessThan(svg.indexOf('data-run-key="b&lt;&amp;&gt;"'));
    expect(svg).toContain('data-figure="documents" data-value="7"');
    expect(escapeHtml(`"'`)).toBe("&quot;&#39;");
  });
});

describe("argument parsing", () => {
  it("turns parseArgs errors into usage errors that list the accepted options", () => {
    const spec = { limit: { type: "string", value: "N", description: "how many" } } as const;
    expect(() => parseOptions(["--nope"], spec)).toThrow(UsageError);
    expect(() => parseOptions(["--nope"], spec)).toThrow(/--limit N\s+how many/);
    expect(() => parseOptions(["x"], spec)).toThrow(/unexpected argument/i);
    expect(parseOptions(["--limit", "3", "k"], spec, { min: 1, max: 1, names: "RUN" })).toEqual({
      values: { limit: "3" },
      positionals: ["k"],
    });
    expect(shellQuote("manual:1:p:(default)")).toBe("'manual:1:p:(default)'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });
});

describe("fakes of the read-only additions", () => {
  it("FakeCheckerLedger.listRuns filters by database, newest first, with a limit; FakeStorage lists a prefix", async () => {
    const ledger = new FakeCheckerLedger();
    ledger.put(runAt({ runKey: "old", createdAt: "2026-12-01T00:00:00Z" }));
    ledger.put(runAt({ runKey: "new", createdAt: "2026-12-02T00:00:00Z" }));
    ledger.put(runAt({ runKey: "other", database: "projects/p/databases/other" }));
    expect((await ledger.listRuns({ database: runAt().database })).map((r) => r.runKey)).toEqual([
      "new",
      "old",
    ]);
    expect(await ledger.listRuns({ limit: 1 })).toHaveLength(1);
    const storage = new FakeStorage();
    storage.objects.set("b/x/a", 1);
    storage.objects.set("b/y/a", 2);
    expect(await storage.listObjects("b", "x/")).toEqual([{ name: "x/a", sizeBytes: 1 }]);
  });
});
