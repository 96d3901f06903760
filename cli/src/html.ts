import { formatBytes, formatCount, formatDuration } from "./progress.js";
import type { RunSummary } from "./summary.js";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export interface DatabaseHistory {
  database: string;
  /** Newest first. */
  runs: RunSummary[];
}

interface Figure {
  key: "documents" | "bytes" | "durationMs";
  title: string;
  format: (n: number) => string;
}

const FIGURES: Figure[] = [
  { key: "documents", title: "Documents", format: formatCount },
  { key: "bytes", title: "Bytes", format: formatBytes },
  { key: "durationMs", title: "Duration", format: formatDuration },
];

const STATE_COLOURS: Record<string, string> = {
  SUCCESSFUL: "#2e7d32",
  FAILED: "#c62828",
  CANCELLED: "#ef6c00",
  LOST: "#6a1b9a",
  RUNNING: "#1565c0",
  CLAIMED: "#607d8b",
};

/** One bar chart of a figure over time (oldest on the left), as inline SVG with a title per bar. */
export function barChart(runs: RunSummary[], figure: Figure): string {
  const chronological = [...runs].reverse();
  const width = 640;
  const height = 180;
  const top = 24;
  const bottom = 28;
  const left = 8;
  const plot = height - top - bottom;
  const values = chronological.map((r) => r[figure.key] ?? 0);
  const max = Math.max(1, ...values);
  const slot = (width - 2 * left) / Math.max(1, chronological.length);
  const barWidth = Math.max(2, Math.min(48, slot * 0.7));
  const bars = chronological.map((r, i) => {
    const value = r[figure.key] ?? 0;
    const h = Math.max(1, (value / max) * plot);
    const x = left + i * slot + (slot - barWidth) / 2;
    const y = top + plot - h;
    const label = figure.format(value);
    const colour = STATE_COLOURS[r.state] ?? "#9e9e9e";
    const date = r.createdAt.slice(0, 16).replace("T", " ");
    return [
      `<g class="bar" data-run-key="${escapeHtml(r.runKey)}" data-figure="${figure.key}" data-value="${value}">`,
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" fill="${colour}"><title>${escapeHtml(`${date} ${r.state}: ${label} (${value})`)}</title></rect>`,
      `<text x="${(x + barWidth / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" text-anchor="middle" font-size="10">${escapeHtml(label)}</text>`,
      `<text x="${(x + barWidth / 2).toFixed(1)}" y="${height - 10}" text-anchor="middle" font-size="9" fill="#555">${escapeHtml(r.createdAt.slice(5, 10))}</text>`,
      "</g>",
    ].join("");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" aria-label="${escapeHtml(figure.title)} per run">`,
    `<text x="${left}" y="14" font-size="12" font-weight="bold">${escapeHtml(figure.title)} (max ${escapeHtml(figure.format(max))})</text>`,
    `<line x1="${left}" y1="${top + plot}" x2="${width - left}" y2="${top + plot}" stroke="#999"/>`,
    ...bars,
    "</svg>",
  ].join("\n");
}

function table(runs: RunSummary[]): string {
  const rows = runs.map(
    (r) =>
      `<tr data-run-key="${escapeHtml(r.runKey)}"><td>${escapeHtml(r.createdAt)}</td><td class="state ${escapeHtml(r.state)}">${escapeHtml(r.state)}${r.restorable ? " ✓" : ""}</td><td class="n">${formatCount(r.documents)}</td><td class="n">${escapeHtml(formatBytes(r.bytes))}</td><td class="n">${r.durationMs === undefined ? "" : escapeHtml(formatDuration(r.durationMs))}</td><td><code>${escapeHtml(r.outputUriPrefix)}</code></td><td>${escapeHtml(r.alerts.join(", "))}</td></tr>`,
  );
  return `<table><thead><tr><th>created</th><th>state</th><th>documents</th><th>bytes</th><th>duration</th><th>prefix</th><th>alerts</th></tr></thead><tbody>\n${rows.join("\n")}\n</tbody></table>`;
}

/** A self-contained page: no scripts, fonts, styles or images from anywhere else. */
export function historyPage(histories: DatabaseHistory[], generatedAt: Date): string {
  const sections = histories.map((h) =>
    [
      `<section><h2>${escapeHtml(h.database)}</h2>`,
      h.runs.length === 0
        ? "<p>No runs in the ledger.</p>"
        : `<div class="charts">${FIGURES.map((f) => barChart(h.runs, f)).join("\n")}</div>\n${table(h.runs)}`,
      "</section>",
    ].join("\n"),
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>firestore-exporter history</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-top: 1em; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.state.SUCCESSFUL { color: #2e7d32; } .state.FAILED, .state.LOST { color: #c62828; } .state.CANCELLED { color: #ef6c00; }
.charts svg { display: block; margin: 0.5em 0; }
</style>
</head>
<body>
<h1>firestore-exporter history</h1>
<p>Generated ${escapeHtml(generatedAt.toISOString())}. Bars: oldest on the left; green SUCCESSFUL, red FAILED or LOST, orange CANCELLED.</p>
${sections.join("\n")}
</body>
</html>
`;
}
