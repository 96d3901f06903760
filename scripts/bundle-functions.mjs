#!/usr/bin/env node
/**
 * Bundles the built functions into build/function-source/, the folder Terraform zips and uploads:
 * the compiled JS of functions/src (no tests, no local stack, no source maps) and a minimal
 * package.json that lists only the production dependencies, pinned to the versions the lock file
 * resolved, so Cloud Build installs exactly those and runs no build script of ours.
 *
 * Usage: node scripts/bundle-functions.mjs   (after `npm run build`; deploy.sh does both)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const sourceDir = join(root, "functions", "src");
const builtDir = join(root, "dist", "functions", "src");
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

/** Every file under `dir`, as paths relative to it. */
function walk(dir, prefix = "") {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const rel = join(prefix, entry.name);
    return entry.isDirectory() ? walk(join(dir, entry.name), rel) : [rel];
  });
}

const isTest = (rel) => /\.(test|spec)\.[cm]?js$/.test(rel) || rel.split(/[\\/]/).includes("test");

if (!existsSync(join(root, "dist"))) fail("dist/ is missing: run `npm run build` first.");
if (!existsSync(join(builtDir, "index.js")))
  fail("dist/functions/src/index.js is missing: run `npm run build` first.");

// tsc never deletes outputs of removed sources; a .js without its .ts is stale and is not shipped.
const stale = [];
const files = walk(builtDir).filter((rel) => {
  if (!/\.[cm]?js$/.test(rel) || isTest(rel)) return false;
  const ts = join(sourceDir, rel.replace(/\.([cm]?)js$/, ".$1ts"));
  if (existsSync(ts)) return true;
  stale.push(rel);
  return false;
});

const rootPackage = readJson(join(root, "package.json"));
const lock = readJson(join(root, "package-lock.json"));
const dependencies = {};
const unresolved = [];
for (const name of Object.keys(rootPackage.dependencies ?? {}).sort()) {
  const version = lock.packages?.[`node_modules/${name}`]?.version;
  if (version) dependencies[name] = version;
  else unresolved.push(name);
}
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

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
let bytes = 0;
for (const rel of files) {
  const content = readFileSync(join(builtDir, rel));
  mkdirSync(dirname(join(outDir, rel)), { recursive: true });
  writeFileSync(join(outDir, rel), content);
  bytes += content.length;
}
const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
writeFileSync(join(outDir, "package.json"), manifestText);
bytes += Buffer.byteLength(manifestText);

for (const rel of stale)
  process.stderr.write(`bundle-functions: skipped dist/functions/src/${rel} (no functions/src source)\n`);
process.stdout.write(`Bundled ${files.length + 1} files, ${bytes} bytes into ${relative(root, outDir)}/\n`);
