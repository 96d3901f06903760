import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./context.js";

/** The options of one command, as node:util parseArgs takes them, plus a one-line description each. */
export type OptionSpec = Record<
  string,
  { type: "string" | "boolean"; short?: string; value?: string; description: string }
>;

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

const JSON_OPTION = { type: "boolean", description: "print one JSON document for scripts" } as const;
const HELP_OPTION = { type: "boolean", description: "show the command's help with examples" } as const;

/** "  --database D   the database …" lines for help texts and usage errors. */
export function describeOptions(spec: OptionSpec): string {
  const rows = Object.entries(spec).map(([name, o]) => [
    `--${name}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}`,
    o.description,
  ]);
  const width = Math.max(...rows.map(([flag]) => (flag ?? "").length), 8);
  return rows.map(([flag, text]) => `  ${(flag ?? "").padEnd(width)}  ${text}`).join("\n");
}

/** The options table of a help text, `--json` with what it prints included. */
export function optionsHelp(spec: OptionSpec, json: string): string {
  return describeOptions({
    ...spec,
    json: { type: "boolean", description: `print one JSON document: ${json}` },
  });
}

/**
 * Strict parsing: an unknown option, a missing value or a stray positional is a UsageError that
 * lists the options the command accepts (exit 2).
 */
export function parseOptions(
  args: string[],
  spec: OptionSpec,
  positionals: { min: number; max: number; names: string } = { min: 0, max: 0, names: "" },
): ParsedArgs {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const [name, o] of Object.entries(spec)) {
    options[name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  }
  const accepted = `accepted options:\n${describeOptions({ ...spec, json: JSON_OPTION, help: HELP_OPTION })}`;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: positionals.max > 0 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${message.replace(/\. To specify a positional.*$/s, "")}\n${accepted}`);
  }
  const given = parsed.positionals;
  if (given.length < positionals.min) throw new UsageError(`missing ${positionals.names}\n${accepted}`);
  if (given.length > positionals.max)
    throw new UsageError(
      `unexpected argument(s) ${given
        .slice(positionals.max)
        .map((a) => JSON.stringify(a))
        .join(", ")}${positionals.max > 0 ? `; expected only ${positionals.names}` : ""}\n${accepted}`,
    );
  return { values: parsed.values as ParsedArgs["values"], positionals: given };
}

/** A string option's value, or undefined. */
export function stringOption(values: ParsedArgs["values"], name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/** A number of seconds (fractions allowed) given to `--name`, in milliseconds. */
export function secondsOption(values: ParsedArgs["values"], name: string, fallbackSeconds: number): number {
  const text = stringOption(values, name);
  if (text === undefined) return fallbackSeconds * 1000;
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError(`--${name} ${JSON.stringify(text)} is not a positive number of seconds`);
  return Math.round(seconds * 1000);
}

/** A whole positive number given to `--name`. */
export function countOption(values: ParsedArgs["values"], name: string, fallback: number): number {
  const text = stringOption(values, name);
  if (text === undefined) return fallback;
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 1)
    throw new UsageError(`--${name} ${JSON.stringify(text)} is not a whole number of at least 1`);
  return count;
}

/** Quotes a word for a POSIX shell when it needs it, so printed commands can be pasted as they are. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}
