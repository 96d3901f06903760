const TICKS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/**
 * One character per value, from zero to the largest value (a zero baseline, so that a small drop
 * looks small). Missing values show as a space.
 */
export function sparkline(values: Array<number | undefined>): string {
  const max = Math.max(0, ...values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  return values
    .map((v) => {
      if (v === undefined || !Number.isFinite(v)) return " ";
      if (max === 0) return TICKS[0];
      return TICKS[Math.min(TICKS.length - 1, Math.round((v / max) * (TICKS.length - 1)))];
    })
    .join("");
}

/** A labelled sparkline row: `documents  ▁▃█  min 2 · max 12,345 · last 12,345`. */
export function chartRow(
  label: string,
  values: Array<number | undefined>,
  format: (n: number) => string,
  width = 10,
): string {
  const known = values.filter((v): v is number => v !== undefined);
  if (known.length === 0) return `${label.padEnd(width)} (no data)`;
  const last = known[known.length - 1] ?? 0;
  return `${label.padEnd(width)} ${sparkline(values)}  min ${format(Math.min(...known))} · max ${format(Math.max(...known))} · last ${format(last)}`;
}
