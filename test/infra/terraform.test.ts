/**
 * Offline checks of the Terraform module in infra/ (the google provider cannot be downloaded here,
 * so there is no `terraform validate`):
 *   - `terraform fmt -check`;
 *   - every resource / data type, argument and nested block against a schema fixture extracted
 *     from the provider bindings (scripts/extract-provider-schema.mjs), and every reference to a
 *     variable, local, resource attribute or module output against what is declared;
 *   - parity of the functions' environment with CONFIG_VARIABLES, and of the entry points with
 *     functions/src/index.ts;
 *   - IAM: additive grants only, no public or primitive roles, the exact grants of each service
 *     account, the exporter's custom role, explicit time zones, exact push audiences;
 *   - config.tf evaluated by Terraform itself (variables and locals need no provider) and the
 *     resulting environment parsed by the product's own parseConfig.
 * Each check is also run on a deliberately broken copy of the module to show that it fails.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, parseConfig } from "../../functions/src/config.js";

// Loaded without its type declarations: they pull the DOM library into the whole program, whose
// `Headers` then shadows Node's. The one function used is typed here.
const { parse } = createRequire(import.meta.url)("@cdktf/hcl2json") as {
  parse(filename: string, contents: string): Promise<Record<string, unknown>>;
};

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const INFRA = join(REPO, "infra");
const FIXTURES = join(REPO, "test", "infra", "fixtures");
const TERRAFORM = process.env.TERRAFORM_BIN ?? "terraform";

// ---------------------------------------------------------------------------------------------
// Parsed HCL
// ---------------------------------------------------------------------------------------------

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** `${expression}` as hcl2json writes an expression (spelt out so it is not read as a JS template). */
const tf = (expression: string): string => ["$", "{", expression, "}"].join("");

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
/** hcl2json writes every block as an array of bodies; attributes holding objects stay objects. */
const bodies = (v: Json | undefined): JsonObject[] =>
  Array.isArray(v) ? v.filter(isObject) : isObject(v) ? [v] : [];
const entries = (v: Json | undefined): [string, Json][] => (isObject(v) ? Object.entries(v) : []);

interface Block {
  kind: "resource" | "data";
  type: string;
  name: string;
  body: JsonObject;
  file: string;
}

interface Module {
  dir: string;
  files: { file: string; hcl: JsonObject }[];
  blocks: Block[];
  variables: Map<string, JsonObject>;
  outputs: Map<string, JsonObject>;
  locals: Map<string, Json>;
  modules: Map<string, JsonObject>;
}

async function loadModule(dir: string): Promise<Module> {
  const names = (await readdir(dir)).filter((f) => f.endsWith(".tf")).sort();
  const files = await Promise.all(
    names.map(async (file) => ({
      file,
      hcl: (await parse(file, await readFile(join(dir, file), "utf8"))) as JsonObject,
    })),
  );
  const module: Module = {
    dir,
    files,
    blocks: [],
    variables: new Map(),
    outputs: new Map(),
    locals: new Map(),
    modules: new Map(),
  };
  for (const { file, hcl } of files) {
    for (const kind of ["resource", "data"] as const) {
      for (const [type, named] of entries(hcl[kind])) {
        for (const [name, list] of entries(named)) {
          for (const body of bodies(list)) module.blocks.push({ kind, type, name, body, file });
        }
      }
    }
    for (const [name, list] of entries(hcl.variable)) module.variables.set(name, bodies(list)[0] ?? {});
    for (const [name, list] of entries(hcl.output)) module.outputs.set(name, bodies(list)[0] ?? {});
    for (const [name, list] of entries(hcl.module)) module.modules.set(name, bodies(list)[0] ?? {});
    for (const locals of bodies(hcl.locals))
      for (const [k, v] of Object.entries(locals)) module.locals.set(k, v);
  }
  return module;
}

const block = (m: Module, type: string, name: string): Block => {
  const found = m.blocks.find((b) => b.kind === "resource" && b.type === type && b.name === name);
  if (!found) throw new Error(`resource ${type}.${name} not found in ${m.dir}`);
  return found;
};
const where = (b: Block) => `${b.file}: ${b.kind === "data" ? "data." : ""}${b.type}.${b.name}`;

/** Every string in a value, with the path to it. */
function* strings(value: Json | undefined, path = ""): Generator<[string, string]> {
  if (typeof value === "string") yield [path, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, `${path}[${i}]`);
  else if (isObject(value))
    for (const [k, v] of Object.entries(value)) yield* strings(v, path ? `${path}.${k}` : k);
}

/** Copies infra/ to a temporary folder and edits one file there; the edit must apply. */
async function brokenCopy(file: string, from: string | RegExp, to: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "infra-broken-"));
  temporary.push(dir);
  await cp(INFRA, dir, { recursive: true, filter: (src) => !src.includes(join("infra", ".terraform")) });
  const path = join(dir, file);
  const text = await readFile(path, "utf8");
  const edited = text.replace(from, to);
  if (edited === text) throw new Error(`the edit of ${file} did not apply: ${String(from)}`);
  await writeFile(path, edited);
  return dir;
}

const temporary: string[] = [];
afterAll(async () => {
  await Promise.all(temporary.map((d) => rm(d, { recursive: true, force: true })));
});

let infra: Module;
beforeAll(async () => {
  infra = await loadModule(INFRA);
});

// ---------------------------------------------------------------------------------------------
// terraform CLI, offline
// ---------------------------------------------------------------------------------------------

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let home: Promise<string> | undefined;
async function terraform(args: string[], cwd: string): Promise<Run> {
  home ??= mkdtemp(join(tmpdir(), "tf-home-")).then(async (dir) => {
    temporary.push(dir);
    await writeFile(join(dir, "terraformrc"), "");
    return dir;
  });
  const cleanHome = await home;
  // A clean environment: no credentials, no plugin cache, no update check over the network.
  const env = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: cleanHome,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    TF_CLI_CONFIG_FILE: join(cleanHome, "terraformrc"),
    TF_DATA_DIR: join(cwd, ".terraform"),
  };
  return new Promise((resolve, reject) => {
    execFile(TERRAFORM, args, { cwd, env, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") {
        reject(
          new Error(`cannot run ${TERRAFORM} (Terraform >= 1.5 is needed for these tests): ${error.message}`),
        );
        return;
      }
      resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
    });
  });
}

describe("terraform fmt", () => {
  it("finds infra/ formatted", async () => {
    const run = await terraform(["fmt", "-check", "-recursive", "-no-color", "infra"], REPO);
    expect(run.stdout, "files terraform fmt would change").toBe("");
    expect(run.code).toBe(0);
  });

  it("fails on a badly formatted copy", async () => {
    const dir = await brokenCopy(
      "versions.tf",
      'required_version = ">= 1.5"',
      'required_version   =   ">= 1.5"',
    );
    const run = await terraform(["fmt", "-check", "-recursive", "-no-color", "."], dir);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain("versions.tf");
  });
});

// ---------------------------------------------------------------------------------------------
// Provider schema
// ---------------------------------------------------------------------------------------------

interface BlockSchema {
  attributes: Record<string, "required" | "optional">;
  blocks?: Record<string, BlockSchema & { required: boolean }>;
  exported?: string[];
}
interface ProviderSchema {
  resource: Record<string, BlockSchema>;
  data: Record<string, BlockSchema>;
}

const META_ARGUMENTS = new Set([
  "count",
  "for_each",
  "depends_on",
  "provider",
  "lifecycle",
  "provisioner",
  "connection",
]);

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0;
      row[j] = Math.min(current + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] ?? 0;
}

function suggestion(name: string, known: string[]): string {
  // Close in spelling, or the start of a longer name (`oidc` for `oidc_token`).
  const close = (k: string, d: number) => d <= Math.max(2, Math.floor(Math.max(k.length, name.length) / 3));
  const best = known
    .map((k) => [k, distance(name, k)] as const)
    .filter(([k, d]) => close(k, d) || k.startsWith(name) || name.startsWith(k))
    .sort((x, y) => x[1] - y[1])[0];
  return best ? ` (did you mean "${best[0]}"?)` : "";
}

function checkBody(
  body: JsonObject,
  schema: BlockSchema,
  at: string,
  top: boolean,
  problems: string[],
): void {
  const blocks = schema.blocks ?? {};
  const known = [...Object.keys(schema.attributes), ...Object.keys(blocks)];
  const dynamic = isObject(body.dynamic) ? body.dynamic : {};
  for (const [key, value] of Object.entries(body)) {
    if (top && META_ARGUMENTS.has(key)) continue;
    if (key === "dynamic") {
      for (const [name, list] of Object.entries(dynamic)) {
        const nested = blocks[name];
        if (!nested) {
          problems.push(
            `${at}: dynamic "${name}" is not a block of this type${suggestion(name, Object.keys(blocks))}`,
          );
          continue;
        }
        for (const d of bodies(list)) {
          for (const k of Object.keys(d)) {
            if (!["for_each", "iterator", "labels", "content"].includes(k))
              problems.push(`${at}: dynamic "${name}" has an unknown argument "${k}"`);
          }
          for (const content of bodies(d.content))
            checkBody(content, nested, `${at}.${name}`, false, problems);
        }
      }
      continue;
    }
    if (schema.attributes[key]) continue;
    const nested = blocks[key];
    if (nested) {
      for (const b of bodies(value)) checkBody(b, nested, `${at}.${key}`, false, problems);
      continue;
    }
    problems.push(`${at}: unsupported argument or block "${key}"${suggestion(key, known)}`);
  }
  for (const [name, need] of Object.entries(schema.attributes)) {
    if (need === "required" && !(name in body)) problems.push(`${at}: missing required argument "${name}"`);
  }
  for (const [name, nested] of Object.entries(blocks)) {
    if (nested.required && !(name in body) && !(name in dynamic))
      problems.push(`${at}: missing required block "${name}"`);
  }
}

function schemaProblems(m: Module, schema: ProviderSchema): string[] {
  const problems: string[] = [];
  for (const b of m.blocks) {
    const s = schema[b.kind][b.type];
    if (!s) {
      const known = Object.keys(schema[b.kind]);
      problems.push(
        `${where(b)}: unknown ${b.kind} type${suggestion(b.type, known)}; if it is real, regenerate the fixture with scripts/extract-provider-schema.mjs`,
      );
      continue;
    }
    checkBody(b.body, s, where(b), true, problems);
  }
  return problems;
}

/** References to variables, locals, resources, data sources and module outputs that do not exist. */
function referenceProblems(
  m: Module,
  schema: ProviderSchema,
  modules: Record<string, Module> = {},
): string[] {
  const problems: string[] = [];
  const declared = new Set(m.blocks.map((b) => `${b.kind === "data" ? "data." : ""}${b.type}.${b.name}`));
  const exported = (kind: "resource" | "data", type: string) => new Set(schema[kind][type]?.exported ?? []);
  const attr = String.raw`(?:\[[^\]]*\])?(?:\.([a-z_][\w-]*))?`;
  for (const { file, hcl } of m.files) {
    for (const [path, text] of strings(hcl)) {
      if (!text.includes("${") && !text.includes("%{")) continue;
      const at = `${file}: ${path}`;
      for (const [, name] of text.matchAll(/\bvar\.([a-zA-Z_][\w-]*)/g)) {
        if (name && !m.variables.has(name)) problems.push(`${at}: var.${name} is not declared`);
      }
      for (const [, name] of text.matchAll(/\blocal\.([a-zA-Z_][\w-]*)/g)) {
        if (name && !m.locals.has(name)) problems.push(`${at}: local.${name} is not declared`);
      }
      for (const [, type, name, a] of text.matchAll(
        new RegExp(String.raw`\bdata\.([a-z]\w*)\.([a-z_][\w-]*)${attr}`, "g"),
      )) {
        if (!declared.has(`data.${type}.${name}`))
          problems.push(`${at}: data.${type}.${name} is not declared`);
        else if (a && !exported("data", type ?? "").has(a))
          problems.push(`${at}: data.${type} has no attribute "${a}"`);
      }
      const resourceRef = new RegExp(
        String.raw`(?<![\w.])((?:google|archive|terraform)_\w+)\.([a-z_][\w-]*)${attr}`,
        "g",
      );
      for (const [, type, name, a] of text.matchAll(resourceRef)) {
        if (!declared.has(`${type}.${name}`)) problems.push(`${at}: ${type}.${name} is not declared`);
        else if (a && !exported("resource", type ?? "").has(a))
          problems.push(
            `${at}: ${type} has no attribute "${a}"${suggestion(a, [...exported("resource", type ?? "")])}`,
          );
      }
      for (const [, name, output] of text.matchAll(/\bmodule\.([a-zA-Z_][\w-]*)(?:\.([a-zA-Z_][\w-]*))?/g)) {
        const called = modules[name ?? ""];
        if (!m.modules.has(name ?? "")) problems.push(`${at}: module.${name} is not declared`);
        else if (called && output && !called.outputs.has(output))
          problems.push(`${at}: module.${name} has no output "${output}"`);
      }
    }
  }
  return problems;
}

/** A module call must pass only the module's variables, and every variable without a default. */
function moduleCallProblems(caller: Module, called: Module): string[] {
  const problems: string[] = [];
  const meta = new Set(["source", "version", "providers", "depends_on", "count", "for_each"]);
  for (const [name, body] of caller.modules) {
    for (const input of Object.keys(body)) {
      if (!meta.has(input) && !called.variables.has(input))
        problems.push(
          `module.${name}: "${input}" is not a variable of the module${suggestion(input, [...called.variables.keys()])}`,
        );
    }
    for (const [variable, declaration] of called.variables) {
      if (!("default" in declaration) && !(variable in body))
        problems.push(`module.${name}: required variable "${variable}" is not set`);
    }
  }
  return problems;
}

describe("provider schema", () => {
  let schema: ProviderSchema;
  beforeAll(async () => {
    schema = JSON.parse(await readFile(join(FIXTURES, "provider-schema.json"), "utf8")) as ProviderSchema;
  });

  it("knows every type, argument and nested block used in infra/", () => {
    expect(infra.blocks.length).toBeGreaterThan(40);
    expect(schemaProblems(infra, schema)).toEqual([]);
  });

  it("fails on a misspelt argument", async () => {
    const dir = await brokenCopy(
      "storage.tf",
      "uniform_bucket_level_access = true",
      "uniform_bucket_access = true",
    );
    expect(schemaProblems(await loadModule(dir), schema)).toEqual([
      'storage.tf: google_storage_bucket.exports: unsupported argument or block "uniform_bucket_access" (did you mean "uniform_bucket_level_access"?)',
    ]);
  });

  it("fails on a misspelt nested block and a misspelt argument inside one", async () => {
    const dir = await brokenCopy("pubsub.tf", "oidc_token {", "oidc {");
    expect(schemaProblems(await loadModule(dir), schema)).toEqual([
      'pubsub.tf: google_pubsub_subscription.exporter.push_config: unsupported argument or block "oidc" (did you mean "oidc_token"?)',
    ]);
    const inner = await brokenCopy(
      "functions.tf",
      'entry_point     = "exportFirestore"',
      'entrypoint = "exportFirestore"',
    );
    expect(schemaProblems(await loadModule(inner), schema)).toEqual([
      'functions.tf: google_cloudfunctions2_function.exporter.build_config: unsupported argument or block "entrypoint" (did you mean "entry_point"?)',
    ]);
  });

  it("fails on an argument inside a dynamic block", async () => {
    const dir = await brokenCopy(
      "storage.tf",
      "retention_period = retention_policy.value * 86400",
      "retention_days = 3",
    );
    expect(schemaProblems(await loadModule(dir), schema)).toEqual([
      'storage.tf: google_storage_bucket.exports.retention_policy: unsupported argument or block "retention_days"',
      'storage.tf: google_storage_bucket.exports.retention_policy: missing required argument "retention_period"',
    ]);
  });

  it("fails on an unknown resource type and on a missing required argument", async () => {
    const dir = await brokenCopy(
      "pubsub.tf",
      'resource "google_pubsub_topic" "check" {',
      'resource "google_pubsub_topics" "check" {',
    );
    expect(schemaProblems(await loadModule(dir), schema)[0]).toMatch(
      /google_pubsub_topics\.check: unknown resource type \(did you mean "google_pubsub_topic"\?\)/,
    );
    const missing = await brokenCopy("firestore.tf", /\n {2}location_id = local\.ledger_location\n/, "\n");
    expect(schemaProblems(await loadModule(missing), schema)).toEqual([
      'firestore.tf: google_firestore_database.ledger: missing required argument "location_id"',
    ]);
  });

  it("finds every reference declared, in the module and in the examples", async () => {
    expect(referenceProblems(infra, schema)).toEqual([]);
    for (const example of ["single-database", "multi-database"]) {
      const m = await loadModule(join(INFRA, "examples", example));
      expect(referenceProblems(m, schema, { firestore_exporter: infra }), example).toEqual([]);
    }
  });

  it("fails on a dangling reference and on an attribute the resource does not export", async () => {
    const dir = await brokenCopy(
      "outputs.tf",
      "google_service_account.checker.email",
      "google_service_account.checkr.emial",
    );
    expect(referenceProblems(await loadModule(dir), schema)).toEqual([
      "outputs.tf: output.checker_service_account_email[0].value: google_service_account.checkr is not declared",
    ]);
    const attr = await brokenCopy(
      "outputs.tf",
      "google_service_account.checker.email",
      "google_service_account.checker.emial",
    );
    expect(referenceProblems(await loadModule(attr), schema)).toEqual([
      'outputs.tf: output.checker_service_account_email[0].value: google_service_account has no attribute "emial" (did you mean "email"?)',
    ]);
    const variable = await brokenCopy("scheduler.tf", "var.check_schedule", "var.checks_schedule");
    expect(referenceProblems(await loadModule(variable), schema)).toEqual([
      "scheduler.tf: resource.google_cloud_scheduler_job.check[0].schedule: var.checks_schedule is not declared",
    ]);
  });

  it("has examples that call the module with its own variables", async () => {
    for (const example of ["single-database", "multi-database"]) {
      const m = await loadModule(join(INFRA, "examples", example));
      expect(m.modules.get("firestore_exporter")?.source, example).toBe("../..");
      expect(moduleCallProblems(m, infra), example).toEqual([]);
      expect(schemaProblems(m, schema), example).toEqual([]);
    }
  });

  it("fails on an example passing an input the module does not have", async () => {
    const dir = await mkdtemp(join(tmpdir(), "example-broken-"));
    temporary.push(dir);
    const text = await readFile(join(INFRA, "examples", "single-database", "main.tf"), "utf8");
    await writeFile(
      join(dir, "main.tf"),
      text.replace("bucket_name =", "bucket =").replace("alert_email       =", "alert_mail ="),
    );
    expect(moduleCallProblems(await loadModule(dir), infra).sort()).toEqual([
      'module.firestore_exporter: "alert_mail" is not a variable of the module (did you mean "alert_email"?)',
      'module.firestore_exporter: "bucket" is not a variable of the module (did you mean "bucket_name"?)',
      'module.firestore_exporter: required variable "alert_email" is not set',
      'module.firestore_exporter: required variable "bucket_name" is not set',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Documentation of inputs and outputs
// ---------------------------------------------------------------------------------------------

function interfaceProblems(m: Module): string[] {
  const problems: string[] = [];
  for (const [name, v] of m.variables) {
    if (typeof v.description !== "string" || v.description.trim() === "")
      problems.push(`variable ${name}: no description`);
    if (!("type" in v)) problems.push(`variable ${name}: no type`);
  }
  for (const [name, o] of m.outputs) {
    if (typeof o.description !== "string" || o.description.trim() === "")
      problems.push(`output ${name}: no description`);
  }
  return problems;
}

/** Variables and outputs missing from the tables of infra/README.md. */
function undocumented(m: Module, readme: string): string[] {
  const rows = new Set([...readme.matchAll(/^\| `([a-z_0-9]+)` +\|/gm)].map((r) => r[1]));
  return [
    ...[...m.variables.keys()].filter((v) => !rows.has(v)).map((v) => `variable ${v}`),
    ...[...m.outputs.keys()].filter((o) => !rows.has(o)).map((o) => `output ${o}`),
  ];
}

describe("inputs and outputs", () => {
  it("lists every variable and output in infra/README.md", async () => {
    const readme = await readFile(join(INFRA, "README.md"), "utf8");
    expect(undocumented(infra, readme)).toEqual([]);
    expect(undocumented(infra, readme.replace(/^\| `stuck_action` +\|.*\n/m, ""))).toEqual([
      "variable stuck_action",
    ]);
  });

  it("types and describes every variable and describes every output", () => {
    expect(interfaceProblems(infra)).toEqual([]);
  });

  it("keeps the names deploy.sh relies on", () => {
    for (const name of [
      "project_id",
      "region",
      "bucket_name",
      "bucket_location",
      "targets",
      "schedule",
      "time_zone",
      "check_schedule",
      "function_source_dir",
      "alert_email",
      "alert_webhook_url",
    ])
      expect(infra.variables.has(name), `variable ${name}`).toBe(true);
    for (const name of [
      "export_scheduler_job_name",
      "check_scheduler_job_name",
      "time_zone",
      "region",
      "bucket_name",
      "trigger_topic",
      "check_topic",
      "alert_topic",
      "exporter_function_name",
      "checker_function_name",
      "exporter_service_account_email",
      "checker_service_account_email",
      "invoker_service_account_email",
    ])
      expect(infra.outputs.has(name), `output ${name}`).toBe(true);
    expect(infra.variables.get("alert_webhook_url")?.sensitive).toBe(true);
    expect(infra.variables.get("schedule")?.default).toBe(CONFIG_VARIABLES.EXPORT_SCHEDULE);
    expect(infra.variables.get("time_zone")?.default).toBe(CONFIG_VARIABLES.EXPORT_SCHEDULE_TIME_ZONE);
  });

  it("fails on an undescribed variable and an undescribed output", async () => {
    const dir = await brokenCopy(
      "variables.tf",
      /\n {2}description = "Cron expression of the checker's tick[^\n]*\n/,
      "\n",
    );
    const out = await brokenCopy("outputs.tf", /\n {2}description = "Region of the functions\."\n/, "\n");
    expect(interfaceProblems(await loadModule(dir))).toEqual(["variable check_schedule: no description"]);
    expect(interfaceProblems(await loadModule(out))).toEqual(["output region: no description"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Parity with the product: environment variables and entry points
// ---------------------------------------------------------------------------------------------

interface FunctionEnvironment {
  plain: string[];
  secret: string[];
}

/** The names of the plain and secret environment variables a function gets, read statically. */
function functionEnvironment(m: Module, name: string, problems: string[]): FunctionEnvironment {
  const fn = block(m, "google_cloudfunctions2_function", name);
  const service = bodies(fn.body.service_config)[0] ?? {};
  const env = service.environment_variables;
  let plain: string[] = [];
  if (isObject(env)) plain = Object.keys(env);
  else if (typeof env === "string" && /^\$\{local\.(\w+)\}$/.test(env)) {
    const local = m.locals.get(env.slice(8, -1));
    if (isObject(local)) plain = Object.keys(local);
    else problems.push(`${name}: ${env} is not an object literal`);
  } else if (env !== undefined)
    problems.push(`${name}: cannot read environment_variables statically (${String(env)})`);
  const secretBlocks = [
    ...bodies(service.secret_environment_variables),
    ...bodies(isObject(service.dynamic) ? service.dynamic.secret_environment_variables : undefined).flatMap(
      (d) => bodies(d.content),
    ),
  ];
  const secret = secretBlocks.map((s) => String(s.key));
  return { plain, secret };
}

function parityProblems(m: Module): string[] {
  const problems: string[] = [];
  const expected = Object.keys(CONFIG_VARIABLES);
  const secrets = ["ALERT_WEBHOOK_URL"];
  const union = new Set<string>();
  for (const name of ["exporter", "checker"]) {
    const { plain, secret } = functionEnvironment(m, name, problems);
    for (const v of [...plain, ...secret]) union.add(v);
    for (const v of plain) {
      if (!expected.includes(v)) problems.push(`${name}: sets ${v}, which the functions do not read`);
      if (secrets.includes(v)) problems.push(`${name}: ${v} is a secret but is a plain environment variable`);
    }
    for (const v of secret) {
      if (!expected.includes(v)) problems.push(`${name}: secret ${v} is not read by the functions`);
    }
    for (const v of expected) {
      if (!secrets.includes(v) && !plain.includes(v)) problems.push(`${name}: does not set ${v}`);
    }
    const wantSecret = name === "checker" ? secrets : [];
    if (secret.join() !== wantSecret.join())
      problems.push(
        `${name}: secret environment variables [${secret.join(", ")}], expected [${wantSecret.join(", ")}]`,
      );
  }
  for (const v of expected) if (!union.has(v)) problems.push(`no function gets ${v}`);
  return problems;
}

function entryPointProblems(m: Module, registered: string[]): string[] {
  const problems: string[] = [];
  const deployed = ["exporter", "checker"].map((name) => {
    const build = bodies(block(m, "google_cloudfunctions2_function", name).body.build_config)[0] ?? {};
    if (build.runtime !== "nodejs20")
      problems.push(`${name}: runtime ${String(build.runtime)}, expected nodejs20`);
    return String(build.entry_point);
  });
  if (deployed.sort().join() !== registered.join())
    problems.push(
      `functions deploy the entry points [${deployed.join(", ")}], index.ts registers [${registered.join(", ")}]`,
    );
  return problems;
}

async function registeredEntryPoints(): Promise<string[]> {
  const index = await readFile(join(REPO, "functions", "src", "index.ts"), "utf8");
  return [...index.matchAll(/functions\.cloudEvent\("(\w+)"/g)].map((m) => m[1] ?? "").sort();
}

describe("parity with the functions", () => {
  it("gives the functions exactly the variables of CONFIG_VARIABLES, the webhook as a secret", () => {
    expect(parityProblems(infra)).toEqual([]);
  });

  it("fails on an extra variable, a missing one, and the webhook as a plain variable", async () => {
    const extra = await brokenCopy(
      "config.tf",
      "    ALERT_TOPIC ",
      "    ALERT_TOPICS = local.alert_topic_path\n    ALERT_TOPIC ",
    );
    expect(parityProblems(await loadModule(extra))).toEqual([
      "exporter: sets ALERT_TOPICS, which the functions do not read",
      "checker: sets ALERT_TOPICS, which the functions do not read",
    ]);
    const missing = await brokenCopy("config.tf", /\n {4}STUCK_ACTION +=[^\n]*/, "");
    expect(parityProblems(await loadModule(missing))).toEqual([
      "exporter: does not set STUCK_ACTION",
      "checker: does not set STUCK_ACTION",
      "no function gets STUCK_ACTION",
    ]);
    const plain = await brokenCopy(
      "config.tf",
      "    ALERT_TOPIC ",
      "    ALERT_WEBHOOK_URL = var.alert_webhook_url\n    ALERT_TOPIC ",
    );
    expect(parityProblems(await loadModule(plain))).toContain(
      "exporter: ALERT_WEBHOOK_URL is a secret but is a plain environment variable",
    );
  });

  it("fails when the secret goes to the exporter or under another name", async () => {
    const renamed = await brokenCopy(
      "functions.tf",
      'key        = "ALERT_WEBHOOK_URL"',
      'key = "WEBHOOK_URL"',
    );
    expect(parityProblems(await loadModule(renamed))).toEqual([
      "checker: secret WEBHOOK_URL is not read by the functions",
      "checker: secret environment variables [WEBHOOK_URL], expected [ALERT_WEBHOOK_URL]",
      "no function gets ALERT_WEBHOOK_URL",
    ]);
  });

  it("deploys exactly the entry points index.ts registers, on nodejs20", async () => {
    expect(await registeredEntryPoints()).toEqual(["checkExports", "exportFirestore"]);
    expect(entryPointProblems(infra, await registeredEntryPoints())).toEqual([]);
  });

  it("fails on an entry point index.ts does not register, and on another runtime", async () => {
    const dir = await brokenCopy("functions.tf", '"checkExports"', '"checkExport"');
    expect(entryPointProblems(await loadModule(dir), await registeredEntryPoints())).toEqual([
      "functions deploy the entry points [checkExport, exportFirestore], index.ts registers [checkExports, exportFirestore]",
    ]);
    const runtime = await brokenCopy(
      "functions.tf",
      'runtime         = "nodejs20"',
      'runtime         = "nodejs22"',
    );
    expect(entryPointProblems(await loadModule(runtime), await registeredEntryPoints())).toEqual([
      "exporter: runtime nodejs22, expected nodejs20",
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// IAM and wiring
// ---------------------------------------------------------------------------------------------

const PRIMITIVE_ROLES = ["roles/owner", "roles/editor", "roles/viewer"];
const PUBLIC_MEMBERS = ["allUsers", "allAuthenticatedUsers"];
const DEFAULT_ACCOUNTS =
  /-compute@developer\.gserviceaccount\.com|@appspot\.gserviceaccount\.com|@cloudbuild\.gserviceaccount\.com/;

const hasCondition = (body: JsonObject) =>
  "condition" in body || (isObject(body.dynamic) && "condition" in body.dynamic);

function iamProblems(m: Module): string[] {
  const problems: string[] = [];
  for (const b of m.blocks) {
    if (/_iam_(policy|binding)$/.test(b.type))
      problems.push(`${where(b)}: authoritative IAM (${b.type}); use an additive *_iam_member`);
    if (b.type === "google_project_default_service_accounts")
      problems.push(`${where(b)}: changes the project's default service accounts`);
    for (const [path, text] of strings(b.body)) {
      const key = path.split(".").pop() ?? "";
      if (/^members?(\[\d+\])?$/.test(key) && PUBLIC_MEMBERS.some((p) => text.includes(p)))
        problems.push(`${where(b)}: public member ${text}`);
      if (key === "role" && PRIMITIVE_ROLES.includes(text))
        problems.push(`${where(b)}: primitive role ${text}`);
      if (/^(members?|service_account(_id|_email)?)(\[\d+\])?$/.test(key) && DEFAULT_ACCOUNTS.test(text))
        problems.push(`${where(b)}: uses a default service account (${text})`);
    }
    if (
      b.type === "google_project_iam_member" &&
      b.body.role === "roles/datastore.user" &&
      !hasCondition(b.body)
    )
      problems.push(
        `${where(b)}: roles/datastore.user without a condition limiting it to the ledger database`,
      );
    if (b.type === "google_project_iam_custom_role") {
      for (const p of permissionsOf(m, b)) {
        if (
          /^datastore\.(databases\.import|entities\.delete)$|\.setIamPolicy$|^storage\.objects\.delete$/.test(
            p,
          )
        )
          problems.push(`${where(b)}: grants ${p}`);
      }
    }
    if (
      b.type === "google_cloud_scheduler_job" &&
      (typeof b.body.time_zone !== "string" || b.body.time_zone === "")
    )
      problems.push(`${where(b)}: no explicit time_zone`);
  }
  return problems;
}

/** Every permission a custom role may hold, whichever branch of a conditional applies. */
function permissionsOf(m: Module, role: Block): string[] {
  const local =
    typeof role.body.permissions === "string" ? /^\$\{local\.(\w+)\}$/.exec(role.body.permissions) : null;
  const value = local ? m.locals.get(local[1] ?? "") : role.body.permissions;
  return [...strings(value)].flatMap(([, t]) => t.match(/\b[a-z]+\.[a-zA-Z]+\.[a-zA-Z]+\b/g) ?? []);
}

/** `role on scope` for every grant to one of the module's service accounts. */
function grantsByAccount(m: Module): Record<string, string[]> {
  const grants: Record<string, Set<string>> = {};
  const simplify = (s: string) =>
    s
      .replace(/^\$\{google_project_iam_custom_role\.(\w+)(\[[^\]]*\])?\.name\}$/, "custom:$1")
      .replace(/^\$\{google_[a-z_0-9]+\.(\w+)(\[\d+\])?\.(name|secret_id)\}$/, "$1");
  for (const b of m.blocks) {
    if (!b.type.endsWith("_iam_member")) continue;
    let members = [String(b.body.member)];
    const forEach = typeof b.body.for_each === "string" ? /^\$\{local\.(\w+)\}$/.exec(b.body.for_each) : null;
    if (b.body.member === tf("each.value") && forEach) {
      const local = m.locals.get(forEach[1] ?? "");
      if (isObject(local)) members = Object.values(local).map(String);
    }
    const scope =
      b.type === "google_project_iam_member"
        ? `project${hasCondition(b.body) ? " (conditional)" : ""}`
        : `${b.type.replace(/^google_|_iam_member$/g, "")}:${simplify(String(b.body.bucket ?? b.body.topic ?? b.body.secret_id ?? b.body.service ?? b.body.subscription ?? b.body.service_account_id))}`;
    for (const member of members) {
      const account = /google_service_account\.(\w+)/.exec(member)?.[1];
      if (!account) continue;
      grants[account] ??= new Set();
      grants[account].add(`${simplify(String(b.body.role))} on ${scope}`);
    }
  }
  return Object.fromEntries(Object.entries(grants).map(([k, v]) => [k, [...v].sort()]));
}

const EXPECTED_GRANTS = {
  builder: ["roles/cloudbuild.builds.builder on project"],
  checker: [
    "custom:checker on project (conditional)",
    "custom:verifier on storage_bucket:exports",
    "roles/datastore.user on project (conditional)",
    "roles/pubsub.publisher on pubsub_topic:alerts",
    "roles/secretmanager.secretAccessor on secret_manager_secret:webhook",
  ],
  exporter: ["custom:exporter on project (conditional)", "roles/datastore.user on project (conditional)"],
  invoker: [
    "roles/run.invoker on cloud_run_service:exporter",
    "roles/run.invoker on cloud_run_service:checker",
  ].sort(),
};

function customRolePermissions(m: Module, name: string): string[] {
  return permissionsOf(m, block(m, "google_project_iam_custom_role", name)).sort();
}

/** Each push subscription authenticates with an OIDC token whose audience is its function's URL. */
function deliveryProblems(m: Module): string[] {
  const problems: string[] = [];
  for (const [subscription, fn] of [
    ["exporter", "exporter"],
    ["checker", "checker"],
  ] as const) {
    const b = block(m, "google_pubsub_subscription", subscription);
    const push = bodies(b.body.push_config)[0] ?? {};
    const oidc = bodies(push.oidc_token)[0] ?? {};
    const url = tf(`google_cloudfunctions2_function.${fn}.service_config[0].uri`);
    if (oidc.audience !== url)
      problems.push(`${where(b)}: OIDC audience ${String(oidc.audience)}, expected ${url}`);
    if (typeof push.push_endpoint !== "string" || !push.push_endpoint.startsWith(url))
      problems.push(`${where(b)}: push_endpoint ${String(push.push_endpoint)} is not on ${url}`);
    if (oidc.service_account_email !== tf("google_service_account.invoker.email"))
      problems.push(`${where(b)}: pushes as ${String(oidc.service_account_email)}, not the invoker account`);
    if (bodies(b.body.dead_letter_policy).length === 0) problems.push(`${where(b)}: no dead-letter policy`);
  }
  for (const b of m.blocks.filter((x) => x.type === "google_cloud_scheduler_job")) {
    const data = bodies(b.body.pubsub_target)[0]?.data;
    if (data !== tf('base64encode("{}")'))
      problems.push(`${where(b)}: publishes ${String(data)}, expected base64 "{}"`);
  }
  return problems;
}

/** F5/F12: the job and the functions read the same schedule and zone, so slots and windows agree. */
function scheduleProblems(m: Module): string[] {
  const problems: string[] = [];
  const env = m.locals.get("function_environment");
  const want = (what: string, got: Json | undefined, expected: string) => {
    if (got !== expected) problems.push(`${what} is ${String(got)}, expected ${expected}`);
  };
  want(
    "function_environment.EXPORT_SCHEDULE",
    isObject(env) ? env.EXPORT_SCHEDULE : undefined,
    tf("var.schedule"),
  );
  want(
    "function_environment.EXPORT_SCHEDULE_TIME_ZONE",
    isObject(env) ? env.EXPORT_SCHEDULE_TIME_ZONE : undefined,
    tf("var.time_zone"),
  );
  want(
    "the export job's schedule",
    block(m, "google_cloud_scheduler_job", "export").body.schedule,
    tf("var.schedule"),
  );
  for (const job of ["export", "check"])
    want(
      `the ${job} job's time_zone`,
      block(m, "google_cloud_scheduler_job", job).body.time_zone,
      tf("var.time_zone"),
    );
  return problems;
}

describe("IAM and wiring", () => {
  it("has additive grants only, no public members, no primitive roles, time zones on every job", () => {
    expect(infra.blocks.filter((b) => b.type === "google_cloud_scheduler_job")).toHaveLength(2);
    expect(iamProblems(infra)).toEqual([]);
  });

  it("fails on an authoritative binding", async () => {
    const dir = await brokenCopy(
      "iam.tf",
      /$/,
      '\nresource "google_project_iam_binding" "exporter_all" {\n  project = var.project_id\n  role    = "roles/datastore.user"\n  members = [google_service_account.exporter.member]\n}\n',
    );
    expect(iamProblems(await loadModule(dir))).toEqual([
      "iam.tf: google_project_iam_binding.exporter_all: authoritative IAM (google_project_iam_binding); use an additive *_iam_member",
    ]);
  });

  it("fails on a public member, a primitive role and a default service account", async () => {
    const pub = await brokenCopy("iam.tf", "member  = local.pubsub_service_agent", 'member  = "allUsers"');
    expect(iamProblems(await loadModule(pub))).toEqual([
      "iam.tf: google_pubsub_topic_iam_member.pubsub_agent_dead_letter: public member allUsers",
    ]);
    const primitive = await brokenCopy(
      "iam.tf",
      'role    = "roles/cloudbuild.builds.builder"',
      'role    = "roles/editor"',
    );
    expect(iamProblems(await loadModule(primitive))).toEqual([
      "iam.tf: google_project_iam_member.builder: primitive role roles/editor",
    ]);
    const defaults = await brokenCopy(
      "functions.tf",
      "service_account_email          = google_service_account.checker.email",
      'service_account_email = "123456789-compute@developer.gserviceaccount.com"',
    );
    expect(iamProblems(await loadModule(defaults))).toEqual([
      "functions.tf: google_cloudfunctions2_function.checker: uses a default service account (123456789-compute@developer.gserviceaccount.com)",
    ]);
  });

  it("fails on an unconditioned ledger grant", async () => {
    const removed = await brokenCopy(
      "iam.tf",
      /(resource "google_project_iam_member" "ledger" \{[\s\S]*?member {2}= each\.value\n)\n {2}dynamic "condition" \{[\s\S]*?\n {2}\}\n/,
      "$1",
    );
    expect(iamProblems(await loadModule(removed))).toEqual([
      "iam.tf: google_project_iam_member.ledger: roles/datastore.user without a condition limiting it to the ledger database",
    ]);
  });

  it("lets the exporter's role export and read operations, nothing else", () => {
    expect(customRolePermissions(infra, "exporter")).toEqual([
      "datastore.databases.export",
      "datastore.operations.get",
      "datastore.operations.list",
    ]);
    expect(customRolePermissions(infra, "checker")).toEqual([
      "datastore.operations.cancel",
      "datastore.operations.get",
      "datastore.operations.list",
    ]);
    expect(customRolePermissions(infra, "verifier")).toEqual(["storage.objects.get", "storage.objects.list"]);
  });

  it("fails when the exporter's role gains import, delete or cancel", async () => {
    const dir = await brokenCopy(
      "config.tf",
      '    "datastore.databases.export",\n',
      '    "datastore.databases.export",\n    "datastore.databases.import",\n    "datastore.operations.cancel",\n',
    );
    const broken = await loadModule(dir);
    expect(iamProblems(broken)).toEqual([
      "iam.tf: google_project_iam_custom_role.exporter: grants datastore.databases.import",
    ]);
    expect(customRolePermissions(broken, "exporter")).not.toEqual([
      "datastore.databases.export",
      "datastore.operations.get",
      "datastore.operations.list",
    ]);
    const del = await brokenCopy(
      "iam.tf",
      '"storage.objects.list",\n  ]',
      '"storage.objects.list",\n    "storage.objects.delete",\n  ]',
    );
    expect(iamProblems(await loadModule(del))).toEqual([
      "iam.tf: google_project_iam_custom_role.export_writer: grants storage.objects.delete",
    ]);
  });

  it("grants each service account exactly what it needs", () => {
    expect(grantsByAccount(infra)).toEqual(EXPECTED_GRANTS);
  });

  it("fails when a service account gains a grant", async () => {
    const dir = await brokenCopy(
      "iam.tf",
      /$/,
      '\nresource "google_storage_bucket_iam_member" "exporter_write" {\n  bucket = google_storage_bucket.exports.name\n  role   = "roles/storage.objectAdmin"\n  member = google_service_account.exporter.member\n}\n',
    );
    expect(grantsByAccount(await loadModule(dir)).exporter).toContain(
      "roles/storage.objectAdmin on storage_bucket:exports",
    );
    expect(grantsByAccount(await loadModule(dir))).not.toEqual(EXPECTED_GRANTS);
  });

  it("fails on a scheduler job without a time zone", async () => {
    const dir = await brokenCopy("scheduler.tf", /\n {2}time_zone {3}= var\.time_zone\n/, "\n");
    expect(iamProblems(await loadModule(dir))).toEqual([
      "scheduler.tf: google_cloud_scheduler_job.export: no explicit time_zone",
    ]);
  });

  it("pushes with the exact function URL as audience, dead-letters, and schedules non-empty messages", () => {
    expect(deliveryProblems(infra)).toEqual([]);
  });

  it("fails on a host-only audience and on an empty scheduler message", async () => {
    const dir = await brokenCopy(
      "pubsub.tf",
      "audience              = google_cloudfunctions2_function.checker.service_config[0].uri",
      'audience              = "https://europe-west1-my-project.cloudfunctions.net"',
    );
    expect(deliveryProblems(await loadModule(dir))).toEqual([
      `pubsub.tf: google_pubsub_subscription.checker: OIDC audience https://europe-west1-my-project.cloudfunctions.net, expected ${tf("google_cloudfunctions2_function.checker.service_config[0].uri")}`,
    ]);
    const empty = await brokenCopy("scheduler.tf", 'data       = base64encode("{}")', 'data       = ""');
    expect(deliveryProblems(await loadModule(empty))).toEqual([
      'scheduler.tf: google_cloud_scheduler_job.export: publishes , expected base64 "{}"',
    ]);
  });

  it("feeds the scheduler jobs and the functions from the same schedule and time zone", () => {
    expect(scheduleProblems(infra)).toEqual([]);
  });

  it("fails when the functions and the job could disagree on the schedule", async () => {
    const dir = await brokenCopy(
      "config.tf",
      "EXPORT_SCHEDULE             = var.schedule",
      'EXPORT_SCHEDULE = "0 2 * * *"',
    );
    expect(scheduleProblems(await loadModule(dir))).toEqual([
      `function_environment.EXPORT_SCHEDULE is 0 2 * * *, expected ${tf("var.schedule")}`,
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// config.tf evaluated by Terraform, parsed by the product
// ---------------------------------------------------------------------------------------------

/** Applies variables.tf + config.tf (no provider needed) and returns the functions' environment. */
async function evaluate(
  tfvars: Record<string, unknown>,
  configText?: string,
): Promise<{
  env?: Record<string, string>;
  permissions?: Record<string, string[]>;
  webhook?: boolean;
  run: Run;
}> {
  const dir = await mkdtemp(join(tmpdir(), "infra-eval-"));
  temporary.push(dir);
  await cp(join(INFRA, "variables.tf"), join(dir, "variables.tf"));
  await writeFile(join(dir, "config.tf"), configText ?? (await readFile(join(INFRA, "config.tf"), "utf8")));
  await writeFile(
    join(dir, "outputs.tf"),
    [
      "env = local.function_environment",
      "exporter = local.exporter_permissions",
      "checker = local.checker_permissions",
      "webhook = local.webhook_enabled",
    ]
      .map((line) => `output "${line.split(" ")[0]}" {\n  value = ${line.split(" = ")[1]}\n}\n`)
      .join("\n"),
  );
  await writeFile(join(dir, "test.tfvars.json"), JSON.stringify(tfvars));
  const run = await terraform(
    [
      "apply",
      "-auto-approve",
      "-no-color",
      "-var-file=test.tfvars.json",
      `-state=${join(dir, "test.tfstate")}`,
    ],
    dir,
  );
  if (run.code !== 0) return { run };
  const out = await terraform(["output", "-no-color", "-json", `-state=${join(dir, "test.tfstate")}`], dir);
  const parsed = JSON.parse(out.stdout) as {
    env: { value: Record<string, string> };
    exporter: { value: string[] };
    checker: { value: string[] };
    webhook: { value: boolean };
  };
  return {
    env: parsed.env.value,
    permissions: { exporter: parsed.exporter.value, checker: parsed.checker.value },
    webhook: parsed.webhook.value,
    run,
  };
}

const tfvars = async (name: string) =>
  JSON.parse(await readFile(join(FIXTURES, `${name}.tfvars.json`), "utf8")) as Record<string, unknown>;

describe("config.tf, evaluated", () => {
  it("gives the single-database example an environment the functions accept", async () => {
    const { env, run, webhook } = await evaluate(await tfvars("single-database"));
    expect(run.stderr).toBe("");
    expect(webhook).toBe(false);
    expect(Object.keys(env ?? {}).sort()).toEqual(
      Object.keys(CONFIG_VARIABLES)
        .filter((k) => k !== "ALERT_WEBHOOK_URL")
        .sort(),
    );
    const config = parseConfig(env ?? {});
    expect(config.targets.map((t) => [t.database.name, t.bucket, t.prefix])).toEqual([
      ["projects/my-project/databases/(default)", "my-project-firestore-exports", "firestore"],
    ]);
    expect(config.ledger.database.name).toBe("projects/my-project/databases/firestore-exporter-ledger");
    expect(config.alerts.topic).toBe("projects/my-project/topics/export-alerts");
    expect(config.manualBucketAllowlist).toEqual(["my-project-firestore-exports"]);
    expect(config.consistent).toBe(true);
    expect(config.warnings).toEqual([]);
  });

  it("lets the checker cancel only with stuck_action = cancel", async () => {
    const alert = await evaluate(await tfvars("single-database"));
    const cancel = await evaluate(await tfvars("multi-database"));
    expect(alert.permissions?.checker).toEqual(["datastore.operations.get", "datastore.operations.list"]);
    expect(cancel.permissions?.checker).toContain("datastore.operations.cancel");
    for (const { permissions } of [alert, cancel])
      expect(permissions?.exporter).toEqual([
        "datastore.databases.export",
        "datastore.operations.get",
        "datastore.operations.list",
      ]);
  });

  it("gives the multi-database example an environment the functions accept, with the webhook secret", async () => {
    const vars = await tfvars("multi-database");
    const { env, run, webhook } = await evaluate(vars);
    expect(run.stderr).toBe("");
    // Whether a webhook is set decides count/for_each, which refuse sensitive values.
    expect(webhook).toBe(true);
    const config = parseConfig({ ...env, ALERT_WEBHOOK_URL: String(vars.alert_webhook_url) });
    expect(config.targets.map((t) => t.database.name)).toEqual([
      "projects/ops-project/databases/(default)",
      "projects/ops-project/databases/analytics",
      "projects/shop-project/databases/orders",
    ]);
    expect(config.targets[1]?.collectionIds).toEqual(["events", "sessions"]);
    expect(config.targets[1]?.windows.freshnessMs).toBe(2 * 86_400_000);
    expect(config.targets[2]?.windows.completionMs).toBe(3 * 3_600_000);
    expect(config.scheduleTimeZone).toBe("Europe/Paris");
    expect(config.alerts).toMatchObject({ webhookFormat: "slack", stuckAction: "cancel" });
  });

  it("fails when the evaluated environment is one the functions refuse", async () => {
    const text = await readFile(join(INFRA, "config.tf"), "utf8");
    const broken = text.replace(
      `bucket        = "gs://${tf("var.bucket_name")}"`,
      "bucket        = var.bucket_name",
    );
    expect(broken).not.toBe(text);
    const { env } = await evaluate(await tfvars("single-database"), broken);
    expect(() => parseConfig(env ?? {})).toThrow(/EXPORT_TARGETS\[0\]\.bucket/);
  });

  it("refuses inputs that can never work, before anything is deployed", async () => {
    const base = await tfvars("single-database");
    const v1beta2 = await evaluate({
      ...base,
      admin_api_version: "v1beta2",
      targets: [{ database_id: "(default)", namespace_ids: ["tenant"] }],
    });
    expect(v1beta2.run.code).not.toBe(0);
    expect(v1beta2.run.stderr).toContain("namespace_ids need admin_api_version");
    const zone = await evaluate({ ...base, time_zone: "Paris" });
    expect(zone.run.stderr).toContain("time_zone must be an IANA time zone name");
    const twice = await evaluate({
      ...base,
      targets: [{ database_id: "(default)" }, { database_id: "(default)", project_id: "my-project" }],
    });
    expect(twice.run.stderr).toContain("targets lists a database more than once: my-project/(default)");
    const lifecycle = await evaluate({ ...base, nearline_after_days: 60, export_retention_days: 30 });
    expect(lifecycle.run.stderr).toContain("Lifecycle ages must grow");
  });
});

describe("fixture", () => {
  it("covers exactly the types infra/ uses", async () => {
    const schema = JSON.parse(
      await readFile(join(FIXTURES, "provider-schema.json"), "utf8"),
    ) as ProviderSchema;
    const used = (kind: "resource" | "data") =>
      [...new Set(infra.blocks.filter((b) => b.kind === kind).map((b) => b.type))].sort();
    expect(Object.keys(schema.resource).sort()).toEqual(used("resource"));
    expect(Object.keys(schema.data).sort()).toEqual(used("data"));
  });
});
