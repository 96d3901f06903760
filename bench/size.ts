/**
 * Deployable size: the folder scripts/bundle-functions.mjs builds (what deploy.sh zips), and the
 * installed production dependency closures, resolved through package-lock.json as npm lays them out.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { PROJECT_ROOT } from "../local/stack.js";

const execFileAsync = promisify(execFile);

export interface Footprint {
  files: number;
  bytes: number;
  packages?: number;
}

export interface SizeResult {
  /** The uploaded source: compiled functions and the minimal package.json. */
  bundle: Footprint;
  /** What Cloud Build installs for the product: closure of the bundle's dependencies. */
  productDependencies: Footprint;
  /** The usual approach's dependency: `@google-cloud/firestore` and its production closure. */
  usualDependencies: Footprint;
}

/** Files and bytes under `dir`; `skipNested` leaves out nested node_modules (counted as packages). */
function footprint(dir: string, skipNested: boolean): Footprint {
  let files = 0;
  let bytes = 0;
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (skipNested && entry.name === "node_modules") continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        files++;
        bytes += statSync(full).size;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

interface LockPackage {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  dev?: boolean;
}

/** The lock-file keys (`node_modules/a/node_modules/b`) of `roots` and everything they need. */
export function dependencyClosure(packages: Record<string, LockPackage>, roots: string[]): Set<string> {
  const seen = new Set<string>();
  const resolve = (from: string, name: string): string | undefined => {
    // Node's lookup: the nearest node_modules folder upwards from the requiring package.
    let base = from;
    for (;;) {
      const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
      if (packages[candidate]) return candidate;
      if (!base) return undefined;
      const cut = base.lastIndexOf("/node_modules/");
      base = cut === -1 ? "" : base.slice(0, cut);
    }
  };
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    const entry = packages[key] ?? {};
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      const found = resolve(key, name);
      if (found) visit(found);
    }
  };
  for (const root of roots) {
    const found = resolve("", root);
    if (found) visit(found);
  }
  return seen;
}

function closureFootprint(packages: Record<string, LockPackage>, roots: string[]): Footprint {
  const keys = dependencyClosure(packages, roots);
  let files = 0;
  let bytes = 0;
  for (const key of keys) {
    try {
      const f = footprint(path.join(PROJECT_ROOT, key), true);
      files += f.files;
      bytes += f.bytes;
    } catch {
      // an optional dependency for another platform is in the lock file but not installed
    }
  }
  return { files, bytes, packages: keys.size };
}

/** The deployable, built by deploy.sh's own bundler; the caller removes build/ if it made it. */
export async function buildBundle(): Promise<string> {
  await execFileAsync(process.execPath, [path.join(PROJECT_ROOT, "scripts", "bundle-functions.mjs")], {
    cwd: PROJECT_ROOT,
    timeout: 60_000,
  });
  return path.join(PROJECT_ROOT, "build", "function-source");
}

/** Sizes of the bundle buildBundle() made. */
export function benchSize(): SizeResult {
  const outDir = path.join(PROJECT_ROOT, "build", "function-source");
  const manifest = JSON.parse(readFileSync(path.join(outDir, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  const lock = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockPackage>;
  };
  return {
    bundle: footprint(outDir, false),
    productDependencies: closureFootprint(lock.packages, Object.keys(manifest.dependencies ?? {})),
    usualDependencies: closureFootprint(lock.packages, ["@google-cloud/firestore"]),
  };
}
