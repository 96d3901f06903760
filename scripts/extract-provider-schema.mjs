#!/usr/bin/env node
/**
 * Regenerates test/infra/fixtures/provider-schema.json: the arguments and nested blocks of every
 * resource and data source type that infra/ uses, taken from the prebuilt CDKTF bindings of the
 * providers (the provider binaries cannot be downloaded where the tests run).
 *
 * The bindings are large and are not project dependencies. Install them once outside the repo:
 *
 *   npm install --prefix /tmp/cdktf-providers @cdktf/provider-google@16.12.1 @cdktf/provider-archive@11.0.1
 *   node scripts/extract-provider-schema.mjs --node-modules /tmp/cdktf-providers/node_modules
 *
 * Options: --out FILE (default test/infra/fixtures/provider-schema.json), --types a,b,c (extra
 * resource types to include), --print TYPE (print one type's schema and exit, for exploration).
 *
 * The bindings are generated code: each block has a `fooToHclTerraform(struct)` function listing its
 * Terraform names with `isBlock`, and the `FooConfig` / `Foo` interfaces in index.d.ts mark the
 * required ones (no `?`). Reading that text is exact and needs neither cdktf nor a provider binary.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "@cdktf/hcl2json";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PACKAGES = { google: "@cdktf/provider-google", archive: "@cdktf/provider-archive" };
/** Terraform's built-in provider (terraform.io/builtin/terraform) has no binding package. */
const BUILTIN = {
  terraform_data: {
    attributes: { input: "optional", triggers_replace: "optional" },
    exported: ["id", "input", "output", "triggers_replace"],
  },
};

function option(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

/** The `name: { value: …, isBlock: …, type: …, storageClassType: … }` entries of one `const attrs = {…}`. */
function attrEntries(body) {
  const entries = [];
  const pattern =
    /^ {8,12}"?([\w-]+)"?: \{\n\s+value: (.+),\n\s+isBlock: (true|false),\n\s+type: "(\w+)",\n\s+storageClassType: "(\w+)",\n\s+\},?$/gm;
  for (const m of body.matchAll(pattern)) {
    const nested = /(?<!cdktf\.)\b([a-z]\w*)ToHclTerraform\b/.exec(m[2] ?? "");
    entries.push({ name: m[1], isBlock: m[3] === "true", nested: nested?.[1] });
  }
  return entries;
}

/** Text from `start` to the matching closing line at the given indent. */
function section(text, start, closing) {
  const from = text.indexOf(start);
  if (from === -1) return undefined;
  const to = text.indexOf(closing, from + start.length);
  return text.slice(from, to === -1 ? undefined : to);
}

/** Required property names (Terraform spelling) of one interface in index.d.ts. */
function requiredOf(dts, interfaceName) {
  const body =
    section(dts, `export interface ${interfaceName} extends`, "\n}") ??
    section(dts, `export interface ${interfaceName} {`, "\n}");
  if (!body) return new Set();
  const required = new Set();
  for (const chunk of body.split("/**")) {
    const anchor = /#([\w-]+) [\w.]+#[\w-]+\}/.exec(chunk);
    const prop = /readonly \w+(\?)?:/.exec(chunk);
    if (anchor && prop && prop[1] !== "?") required.add(anchor[1]);
  }
  return required;
}

const capitalise = (s) => s.charAt(0).toUpperCase() + s.slice(1);

function blockSchema(js, dts, entries, required, depth) {
  const schema = { attributes: {}, blocks: {} };
  for (const e of entries) {
    if (e.isBlock && e.nested && depth < 12) {
      const fn = section(js, `function ${e.nested}ToHclTerraform(struct) {`, "\n}");
      const inner = fn ? attrEntries(section(fn, "const attrs = {", "\n    };") ?? "") : [];
      const child = blockSchema(js, dts, inner, requiredOf(dts, capitalise(e.nested)), depth + 1);
      schema.blocks[e.name] = { required: required.has(e.name), ...child };
    } else {
      schema.attributes[e.name] = required.has(e.name) ? "required" : "optional";
    }
  }
  if (Object.keys(schema.blocks).length === 0) delete schema.blocks;
  return schema;
}

/** Every type in one provider package: `{ resource: {type: dir}, data: {type: dir} }`. */
function indexTypes(libDir) {
  const found = { resource: {}, data: {} };
  for (const dir of readdirSync(libDir)) {
    const file = join(libDir, dir, "index.js");
    if (!existsSync(file)) continue;
    const js = readFileSync(file, "utf8");
    const m = /^(\w+)\.tfResourceType = "([\w-]+)";$/m.exec(js);
    if (!m) continue;
    const cls = m[1] ?? "";
    if (js.includes(`class ${cls} extends cdktf.TerraformDataSource`)) found.data[m[2]] = { dir, cls };
    else if (js.includes(`class ${cls} extends cdktf.TerraformResource`)) found.resource[m[2]] = { dir, cls };
  }
  return found;
}

function typeSchema(libDir, { dir, cls }) {
  const js = readFileSync(join(libDir, dir, "index.js"), "utf8");
  const dts = readFileSync(join(libDir, dir, "index.d.ts"), "utf8");
  const classBody = section(js, `class ${cls} extends cdktf.Terraform`, `\n${cls}.tfResourceType`) ?? "";
  const synth = section(classBody, "synthesizeHclAttributes() {", "\n        };") ?? "";
  const schema = blockSchema(js, dts, attrEntries(synth), requiredOf(dts, `${cls}Config`), 0);
  const exported = new Set(["id"]);
  for (const m of classBody.matchAll(/(?:get\w*Attribute|interpolationForAttribute)\('([\w-]+)'\)/g))
    exported.add(m[1]);
  for (const m of classBody.matchAll(/new [\w.]+\(this, "([\w-]+)"/g)) exported.add(m[1]);
  return { ...schema, exported: [...exported].sort() };
}

async function typesUsedIn(dir) {
  const used = { resource: new Set(), data: new Set() };
  const walk = (d) =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() && !e.name.startsWith(".")
        ? walk(join(d, e.name))
        : e.name.endsWith(".tf")
          ? [join(d, e.name)]
          : [],
    );
  for (const file of walk(dir)) {
    const hcl = await parse(file, readFileSync(file, "utf8"));
    for (const kind of ["resource", "data"])
      for (const type of Object.keys(hcl[kind] ?? {})) used[kind].add(type);
  }
  return used;
}

async function main() {
  const nodeModules = option("node-modules");
  if (!nodeModules) {
    console.error(
      "usage: extract-provider-schema.mjs --node-modules DIR [--out FILE] [--types a,b] [--print TYPE]",
    );
    process.exit(2);
  }
  const providers = {};
  for (const [name, pkg] of Object.entries(PACKAGES)) {
    const root = join(nodeModules, pkg);
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const version = /provider version ([\d.]+)/.exec(readme)?.[1] ?? "unknown";
    const packageVersion = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
    providers[name] = {
      root,
      lib: join(root, "lib"),
      version,
      packageVersion,
      pkg,
      types: indexTypes(join(root, "lib")),
    };
  }
  const providerOf = (type) => (type.startsWith("archive_") ? providers.archive : providers.google);

  const print = option("print");
  if (print) {
    const kind = print.startsWith("data.") ? "data" : "resource";
    const type = print.replace(/^data\./, "");
    const p = providerOf(type);
    const entry = p.types[kind][type];
    if (!entry) throw new Error(`${print}: no such ${kind} type in ${p.pkg}`);
    console.log(JSON.stringify(typeSchema(p.lib, entry), null, 2));
    return;
  }

  const used = await typesUsedIn(join(REPO, "infra"));
  for (const extra of (option("types") ?? "").split(",").filter(Boolean)) {
    if (extra.startsWith("data.")) used.data.add(extra.slice(5));
    else used.resource.add(extra);
  }
  const out = { $comment: "", providers: {}, resource: {}, data: {} };
  const problems = [];
  for (const kind of ["resource", "data"]) {
    for (const type of [...used[kind]].sort()) {
      if (kind === "resource" && BUILTIN[type]) {
        out.resource[type] = BUILTIN[type];
        continue;
      }
      const p = providerOf(type);
      const entry = p.types[kind][type];
      if (!entry) {
        problems.push(`${kind} ${type}: not in ${p.pkg}@${p.packageVersion} (misspelt, or beta-only?)`);
        continue;
      }
      out[kind][type] = typeSchema(p.lib, entry);
    }
  }
  for (const [name, p] of Object.entries(providers)) {
    out.providers[name] = {
      source: `hashicorp/${name}`,
      version: p.version,
      from: `${p.pkg}@${p.packageVersion}`,
    };
  }
  out.$comment =
    "Generated by scripts/extract-provider-schema.mjs from the prebuilt CDKTF provider bindings; do not edit. Only the types infra/ uses.";
  if (problems.length > 0) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
  const target = resolve(option("out") ?? join(REPO, "test/infra/fixtures/provider-schema.json"));
  writeFileSync(target, `${JSON.stringify(out, null, 2)}\n`);
  // The repository's formatter decides the layout, so that `npm run check` accepts the file as written.
  const biome = join(REPO, "node_modules", ".bin", "biome");
  if (existsSync(biome)) execFileSync(biome, ["format", "--write", target], { stdio: "ignore" });
  const count = Object.keys(out.resource).length + Object.keys(out.data).length;
  console.log(`wrote ${relative(process.cwd(), target)}: ${count} types`);
}

await main();
