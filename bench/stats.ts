/**
 * Pure statistics for the benchmark: medians and spreads of repeated measurements, and the
 * formatting of ratios. No I/O, so the unit tests are plain tables.
 */

/** Median, quartiles and extremes of one series of measurements. */
export interface Summary {
  n: number;
  median: number;
  q1: number;
  q3: number;
  /** Interquartile range, q3 - q1: the spread reported next to every median. */
  iqr: number;
  min: number;
  max: number;
}

/** The q-quantile (0 ≤ q ≤ 1) by linear interpolation between closest ranks (R type 7). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be within [0, 1], got ${q}`);
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (position - lower);
}

/** The median; NaN for an empty series. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Median, quartiles, IQR and extremes; NaN everywhere for an empty series. */
export function summarize(values: readonly number[]): Summary {
  const q1 = quantile(values, 0.25);
  const q3 = quantile(values, 0.75);
  return {
    n: values.length,
    median: median(values),
    q1,
    q3,
    iqr: q3 - q1,
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
  };
}

/** `a / b`, or NaN when either is missing or b is zero. */
export function ratio(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return Number.NaN;
  return a / b;
}

/** `1.23×`, or `n/a` when the ratio could not be measured. */
export function formatRatio(value: number, digits = 2): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)}×` : "n/a";
}

/** `512 ms ± 40` (median ± IQR/2), or `n/a`. */
export function formatSummaryMs(summary: Summary): string {
  if (!Number.isFinite(summary.median)) return "n/a";
  return `${Math.round(summary.median)} ms ± ${Math.round(summary.iqr / 2)}`;
}

/** Bytes as `12.3 MiB`, `4.5 KiB` or `123 B`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "n/a";
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/**
 * The order in which variants run in repetition `rep`: rotated each time so that no variant
 * always runs first (cold file cache) or right after the heaviest one.
 */
export function interleave<T>(variants: readonly T[], rep: number): T[] {
  if (variants.length === 0) return [];
  const shift = rep % variants.length;
  return [...variants.slice(shift), ...variants.slice(0, shift)];
}

/** Renders rows as a plain-text table with left-aligned columns. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
