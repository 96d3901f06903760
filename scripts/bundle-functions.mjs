#!/usr/bin/env node
/**
 * Bundles the built functions into build/function-source/, the folder Terraform zips and uploads:
 * one index.js holding dist/functions/src/index.js and every module of ours it imports (esbuild:
 * one file loads faster at a cold start than a graph of small modules), and a minimal package.json
 * that lists only the packages that file imports, pinned to the versions the lock file resolved,
 * so Cloud Build installs exactly those and runs no build script of ours.
 *
 * Usage: node scripts/bundle-functions.mjs   (after `npm run build`; deploy.sh does both)
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const entry = join(root, "dist", "functions", "src", "index.js");
const outDir = join(root, "build", "function-source");

function fail(message) {
  process.stderr.write(`bundle-functions: ${message}\n`);
  process.exit(1);
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    return fail(`cannot read ${relative(root, path)}: ${error.message}`);
  }
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

if (!existsSync(join(root, "dist"))) fail("dist/ is missing: run `npm run build` first.");
if (!existsSync(entry)) fail("dist/functions/src/index.js is missing: run `npm run build` first.");

let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  fail("esbuild is not installed: run `npm ci` first.");
}

const staging = `${outDir}.tmp`;
rmSync(staging, { recursive: true, force: true });
let result;
try {
  result = await esbuild.build({
    entryPoints: [entry],
    outfile: join(staging, "index.js"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Packages stay imports: Cloud Build installs them from package.json.
    packages: "external",
    metafile: true,
    legalComments: "none",
    logLevel: "silent",
  });
} catch (error) {
  rmSync(staging, { recursive: true, force: true });
  const messages = (error.errors ?? [{ text: error.message }]).map((e) =>
    e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text,
  );
  fail(`esbuild could not bundle ${relative(root, entry)}:\n  ${messages.join("\n  ")}`);
}

const imported = new Set();
for (const output of Object.values(result.metafile.outputs)) {
  for (const item of output.imports) {
    if (item.external && !item.path.startsWith("node:")) imported.add(packageOf(item.path));
  }
}

const rootPackage = readJson(join(root, "package.json"));
const lock = readJson(join(root, "package-lock.json"));
const production = rootPackage.dependencies ?? {};
const dependencies = {};
const notProduction = [];
const unresolved = [];
for (const name of [...imported].sort()) {
  const version = lock.packages?.[`node_modules/${name}`]?.version;
  if (!(name in production)) notProduction.push(name);
  else if (version) dependencies[name] = version;
  else unresolved.push(name);
}
if (notProduction.length > 0 || unresolved.length > 0) rmSync(staging, { recursive: true, force: true });
if (notProduction.length > 0)
  fail(
    `the functions import ${notProduction.join(", ")}, which package.json does not list in "dependencies": Cloud Build would not install it.`,
  );
if (unresolved.length > 0)
  fail(`package-lock.json resolves no version for ${unresolved.join(", ")}: run \`npm install\` first.`);

const manifest = {
  name: `${rootPackage.name}-functions`,
  version: rootPackage.version,
  private: true,
  type: "module",
  main: "index.js",
  engines: { node: ">=20" },
  // Empty on purpose: Cloud Build must not run a build of ours, the code is already compiled.
  scripts: {},
  dependencies,
};
writeFileSync(join(staging, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);

// Replaced only once the new bundle is complete: a failed run leaves the last good one in place.
rmSync(outDir, { recursive: true, force: true });
mkdirSync(dirname(outDir), { recursive: true });
renameSync(staging, outDir);
const files = ["index.js", "package.json"];
const bytes = files.reduce((sum, f) => sum + statSync(join(outDir, f)).size, 0);
process.stdout.write(
  `Bundled ${files.length} files, ${bytes} bytes into ${relative(root, outDir)}/ (imports ${Object.keys(dependencies).join(", ") || "no package"})\n`,
);
