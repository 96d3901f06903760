/**
 * Checks the shape of small JSON inputs (the targets variable, a trigger message) and reports
 * one line per problem, naming where it is, what was received and what is accepted. A few lines
 * of plain code instead of a schema library: these two shapes sit on the exporter's cold start.
 */

/** What one field of a JSON object may hold. */
export type FieldRule =
  | { type: "string"; required?: boolean; minLength?: number; maxLength?: number }
  | { type: "strings" };

export type Shape = Record<string, FieldRule>;

type FieldValue<R extends FieldRule> = R extends { type: "strings" } ? string[] : string;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends { required: true } ? K : never }[keyof S];

/** The checked object: required fields present, the others possibly absent. */
export type ShapeValue<S extends Shape> = { [K in RequiredKeys<S>]: FieldValue<S[K]> } & {
  [K in Exclude<keyof S, RequiredKeys<S>>]?: FieldValue<S[K]>;
};

/** How problems are worded: the name of the whole input, its accepted fields and its form. */
export interface ShapeWording {
  root: string;
  fields: string;
  form: string;
}

type Path = ReadonlyArray<string | number>;

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function where(wording: ShapeWording, path: Path): string {
  return `${wording.root}${path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("")}`;
}

function got(wording: ShapeWording, path: Path, value: unknown, expected: string): string {
  // At the root, the whole accepted form helps more than the type alone.
  const form = path.length === 0 ? ` (${wording.form})` : "";
  return `${where(wording, path)}: got ${describe(value)}; expected ${expected}${form}`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function fieldProblems(rule: FieldRule, value: unknown, path: Path, wording: ShapeWording): string[] {
  if (rule.type === "strings") {
    if (!Array.isArray(value)) return [got(wording, path, value, "a value of type array")];
    return value.flatMap((item, i) =>
      typeof item === "string" ? [] : [got(wording, [...path, i], item, "a value of type string")],
    );
  }
  if (typeof value !== "string") return [got(wording, path, value, "a value of type string")];
  if (rule.minLength !== undefined && value.length < rule.minLength)
    return [got(wording, path, value, `at least ${rule.minLength} character(s)`)];
  if (rule.maxLength !== undefined && value.length > rule.maxLength)
    return [got(wording, path, value, `at most ${rule.maxLength} character(s)`)];
  return [];
}

function objectProblems(shape: Shape, value: unknown, path: Path, wording: ShapeWording): string[] {
  if (!isObject(value)) return [got(wording, path, value, "a value of type object")];
  const problems: string[] = [];
  for (const [name, rule] of Object.entries(shape)) {
    const field = value[name];
    if (field === undefined && !(rule.type === "string" && rule.required)) continue;
    problems.push(...fieldProblems(rule, field, [...path, name], wording));
  }
  const unknown = Object.keys(value).filter((key) => !Object.hasOwn(shape, key));
  if (unknown.length > 0) {
    problems.push(
      `${where(wording, path)}: unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(", ")}; accepted fields: ${wording.fields}`,
    );
  }
  return problems;
}

/** `json` as one object of `shape`, or every problem with it. */
export function checkObject<S extends Shape>(
  shape: S,
  json: unknown,
  wording: ShapeWording,
): { value: ShapeValue<S> } | { problems: string[] } {
  const problems = objectProblems(shape, json, [], wording);
  return problems.length > 0 ? { problems } : { value: json as ShapeValue<S> };
}

/** `json` as a non-empty array of objects of `shape`, or every problem with it. */
export function checkObjectArray<S extends Shape>(
  shape: S,
  json: unknown,
  wording: ShapeWording,
): { value: ShapeValue<S>[] } | { problems: string[] } {
  if (!Array.isArray(json)) return { problems: [got(wording, [], json, "a value of type array")] };
  if (json.length === 0) return { problems: [got(wording, [], json, "at least 1 item(s)")] };
  const problems = json.flatMap((item, i) => objectProblems(shape, item, [i], wording));
  return problems.length > 0 ? { problems } : { value: json as ShapeValue<S>[] };
}
