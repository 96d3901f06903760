import type { z } from "zod";

/** The value at a path inside parsed JSON, for error messages that show what was received. */
function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  let value = json;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * One line per schema problem, naming where it is, what was received and what is accepted,
 * in place of the schema library's own wording.
 */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  json: unknown,
  options: { root: string; fields: string; form: string },
): string[] {
  return issues.map((issue) => {
    const where = `${options.root}${issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}`;
    if (issue.code === "unrecognized_keys") {
      return `${where}: unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}; accepted fields: ${options.fields}`;
    }
    const received = describe(valueAt(json, issue.path));
    let expected = issue.message;
    if (issue.code === "invalid_type") expected = `a value of type ${issue.expected}`;
    else if (issue.code === "too_small")
      expected = `at least ${issue.minimum} ${issue.origin === "string" ? "character(s)" : "item(s)"}`;
    else if (issue.code === "too_big")
      expected = `at most ${issue.maximum} ${issue.origin === "string" ? "character(s)" : "item(s)"}`;
    return `${where}: got ${received}; expected ${expected}${issue.path.length === 0 ? ` (${options.form})` : ""}`;
  });
}
