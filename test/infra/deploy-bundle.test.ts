/**
 * scripts/bundle-functions.mjs, run for real with node in throw-away copies of the project: first on
 * a small made-up project whose every file has a known fate, then on the real functions compiled
 * afresh, whose bundle must load with nothing but its production dependencies.
 */
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = resolve(import.meta.dirname, "../..");

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "bundle-test-"));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function write(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** Every file under `dir`, relative to it, sorted. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

function bundle(root: string) {
  const result = spawnSync(process.execPath, [join(root, "scripts/bundle-functions.mjs")], {
    cwd: tmpdir(),
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let made = 0;
/** A made-up project: two production dependencies resolved by its lock file, one dev dependency. */
function madeUpProject(): string {
  const root = join(scratch, `made-up-${++made}`);
  mkdirSync(join(root, "scripts"), { recursive: true });
  copyFileSync(join(REPO, "scripts/bundle-functions.mjs"), join(root, "scripts/bundle-functions.mjs"));
  // The bundler itself (esbuild) comes from the installed dev dependencies, as after npm ci.
  symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"));
  write(root, {
    "package.json": JSON.stringify({
      name: "made-up",
      version: "3.2.1",
      type: "module",
      scripts: { build: "tsc" },
      dependencies: { zeta: "^1.0.0", "@scope/alpha": "~2.1.0", unused: "^1.0.0" },
      devDependencies: { vitest: "^4.0.0" },
    }),
    "package-lock.json": JSON.stringify({
      lockfileVersion: 3,
      packages: {
        "": {},
        "node_modules/zeta": { version: "1.4.2" },
        "node_modules/@scope/alpha": { version: "2.1.9" },
        "node_modules/unused": { version: "1.0.0" },
        "node_modules/vitest": { version: "4.1.0", dev: true },
      },
    }),
    "dist/functions/src/index.js":
      'import { zeta } from "zeta";\nimport { helper } from "./sub/helper.js";\nexport const index = [zeta, helper, await import("@scope/alpha/deep/path.js")];\n',
    "dist/functions/src/index.js.map": "{}",
    "dist/functions/src/checker.js": "export const checker = 22;\n",
    "dist/functions/src/sub/helper.js": "export const helper = 333;\n",
    "dist/functions/src/index.test.js": "test();\n",
    "dist/local/start.js": "start();\n",
    "build/function-source/left-over.js": "old();\n",
  });
  return root;
}

describe("bundle-functions.mjs on a made-up project", () => {
  it("bundles index.js and the modules it imports into one index.js beside a minimal package.json, wiping the folder first", () => {
    const root = madeUpProject();
    const run = bundle(root);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const out = join(root, "build/function-source");
    expect(listFiles(out)).toEqual(["index.js", "package.json"]);
    const code = readFileSync(join(out, "index.js"), "utf8");
    // Our modules are inside; packages stay imports for Cloud Build to install; nothing unreachable.
    expect(code).toContain("333");
    expect(code).not.toContain("22;");
    expect(code).not.toContain("test()");
    expect(code).toMatch(/from "zeta"/);
    expect(code).toContain('import("@scope/alpha/deep/path.js")');
    const bytes = listFiles(out).reduce((sum, f) => sum + statSync(join(out, f)).size, 0);
    expect(run.stdout).toBe(
      `Bundled 2 files, ${bytes} bytes into build/function-source/ (imports @scope/alpha, zeta)\n`,
    );
  });

  it("lists the packages the bundle imports, at the versions the lock file resolved, and nothing else", () => {
    const root = madeUpProject();
    expect(bundle(root).status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(root, "build/function-source/package.json"), "utf8"));
    expect(manifest).toEqual({
      name: "made-up-functions",
      version: "3.2.1",
      private: true,
      type: "module",
      main: "index.js",
      engines: { node: ">=20" },
      scripts: {},
      dependencies: { "@scope/alpha": "2.1.9", zeta: "1.4.2" },
    });
  });

  it("fails clearly, and leaves the old bundle alone, when dist/ is missing", () => {
    const root = madeUpProject();
    rmSync(join(root, "dist"), { recursive: true });
    const run = bundle(root);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe("bundle-functions: dist/ is missing: run `npm run build` first.\n");
    expect(listFiles(join(root, "build/function-source"))).toEqual(["left-over.js"]);
  });

  it("fails clearly when the entry module was not built", () => {
    const root = madeUpProject();
    rmSync(join(root, "dist/functions/src/index.js"));
    const run = bundle(root);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("dist/functions/src/index.js is missing: run `npm run build` first.");
  });

  it("fails, naming it, when the lock file resolves no version for an imported package", () => {
    const root = madeUpProject();
    const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
    delete lock.packages["node_modules/zeta"];
    writeFileSync(join(root, "package-lock.json"), JSON.stringify(lock));
    const run = bundle(root);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("package-lock.json resolves no version for zeta");
    expect(listFiles(join(root, "build/function-source"))).toEqual(["left-over.js"]);
  });

  it("fails, naming it, when the functions import a package that is only a dev dependency", () => {
    const root = madeUpProject();
    write(root, { "dist/functions/src/sub/helper.js": 'export { helper } from "vitest";\n' });
    const run = bundle(root);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'the functions import vitest, which package.json does not list in "dependencies"',
    );
    expect(listFiles(join(root, "build/function-source"))).toEqual(["left-over.js"]);
  });

  it("fails with esbuild's own words when a module of ours is missing", () => {
    const root = madeUpProject();
    rmSync(join(root, "dist/functions/src/sub/helper.js"));
    const run = bundle(root);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /could not bundle dist\/functions\/src\/index\.js:\n {2}.*Could not resolve "\.\/sub\/helper\.js"/,
    );
  });
});

describe("bundle-functions.mjs on the real functions", () => {
  const root = () => join(scratch, "real");
  const out = () => join(root(), "build/function-source");

  beforeAll(() => {
    // Compiled afresh into the copy, so a stale dist/ in this checkout cannot hide a problem.
    mkdirSync(join(root(), "scripts"), { recursive: true });
    for (const file of [
      "package.json",
      "package-lock.json",
      "scripts/bundle-functions.mjs",
      "scripts/check-planned-config.mjs",
    ])
      copyFileSync(join(REPO, file), join(root(), file));
    symlinkSync(join(REPO, "node_modules"), join(root(), "node_modules"));
    cpSync(join(REPO, "functions/src"), join(root(), "functions/src"), { recursive: true });
    const tsc = spawnSync(
      process.execPath,
      [
        join(REPO, "node_modules/typescript/bin/tsc"),
        "-p",
        join(REPO, "tsconfig.build.json"),
        "--outDir",
        join(root(), "dist"),
      ],
      { cwd: REPO, encoding: "utf8" },
    );
    expect(tsc.stdout + tsc.stderr).toBe("");
    const run = bundle(root());
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  }, 120_000);

  it("holds one index.js and package.json: no tests, no local stack, no maps", () => {
    expect(listFiles(out())).toEqual(["index.js", "package.json"]);
  });

  it("lists the packages the functions import (not the CLI's, not the Firestore client), at the versions npm ci installed here", () => {
    const manifest = JSON.parse(readFileSync(join(out(), "package.json"), "utf8"));
    // No Firestore client: the ledger speaks REST.
    expect(Object.keys(manifest.dependencies)).toEqual([
      "@google-cloud/functions-framework",
      "google-auth-library",
    ]);
    for (const [name, version] of Object.entries(manifest.dependencies)) {
      const installed = JSON.parse(readFileSync(join(REPO, "node_modules", name, "package.json"), "utf8"));
      expect(version, name).toBe(installed.version);
    }
  });

  it("loads with only the packages it lists and registers exportFirestore and checkExports", () => {
    // Its own node_modules, as Cloud Build makes it; the copy's full one is moved out of the way.
    rmSync(join(root(), "node_modules"));
    const modules = join(out(), "node_modules");
    const manifest = JSON.parse(readFileSync(join(out(), "package.json"), "utf8"));
    for (const name of Object.keys(manifest.dependencies)) {
      mkdirSync(dirname(join(modules, name)), { recursive: true });
      if (!existsSync(join(modules, name)))
        symlinkSync(join(REPO, "node_modules", name), join(modules, name));
    }
    const probe = `
      await import("./index.js");
      const { getFunction } = await import("@google-cloud/functions-framework/testing");
      console.log(["exportFirestore", "checkExports"].map((n) => n + ":" + typeof getFunction(n)).join(" "));
    `;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", probe], {
      cwd: out(),
      encoding: "utf8",
      env: {
        PATH: process.env.PATH ?? "",
        METADATA_SERVER_DETECTION: "none",
        EXPORT_TARGETS: JSON.stringify([
          { database: "projects/demo-project/databases/(default)", bucket: "gs://demo-project-exports" },
        ]),
      },
    });
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe("exportFirestore:function checkExports:function");
  });
  it("check-planned-config starts the real bundle with a plan's environment and reports what it refuses", () => {
    const planWith = (environment: Record<string, string>) => {
      const file = join(scratch, `plan-${Object.keys(environment).length}-${Date.now()}.json`);
      const fn = (name: string) => ({
        address: `google_cloudfunctions2_function.${name}`,
        type: "google_cloudfunctions2_function",
        values: { name: `fx-${name}`, service_config: [{ environment_variables: environment }] },
      });
      writeFileSync(
        file,
        JSON.stringify({
          planned_values: {
            root_module: { child_modules: [{ resources: [fn("exporter"), fn("checker")] }] },
          },
        }),
      );
      return file;
    };
    const check = (plan: string) =>
      spawnSync(process.execPath, [join(root(), "scripts/check-planned-config.mjs"), plan], {
        encoding: "utf8",
      });
    const targets = JSON.stringify([
      { database: "projects/demo-project/databases/(default)", bucket: "gs://demo-project-exports" },
    ]);

    const good = check(planWith({ EXPORT_TARGETS: targets, EXPORT_SCHEDULE: "0 2 * * 1-5" }));
    expect(good.stderr).toBe("");
    expect(good.status).toBe(0);
    expect(good.stdout).toContain(
      "The functions accept the planned configuration (fx-exporter, fx-checker).",
    );

    // Cloud Scheduler would take these; the functions refuse them at every start.
    const bad = check(
      planWith({ EXPORT_TARGETS: targets, EXPORT_SCHEDULE: "0 2 31 4 *", EXPORT_TIME_BUDGET: "20m" }),
    );
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("fx-exporter would not start with the planned configuration:");
    expect(bad.stderr).toContain('  - EXPORT_SCHEDULE: got "0 2 31 4 *"');
    expect(bad.stderr).toContain("the expression names no day that exists");
    expect(bad.stderr).toContain('  - EXPORT_TIME_BUDGET: got "20m"');

    const usage = spawnSync(process.execPath, [join(root(), "scripts/check-planned-config.mjs")], {
      encoding: "utf8",
    });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("usage: node scripts/check-planned-config.mjs PLAN.json");
    const nullPlan = join(scratch, "null-plan.json");
    writeFileSync(nullPlan, "null");
    const notAPlan = check(nullPlan);
    expect(notAPlan.status).toBe(1);
    expect(notAPlan.stderr).toContain("is not a plan: expected the JSON object terraform show -json prints.");

    const warned = check(planWith({ EXPORT_TARGETS: targets, EXPORT_REQUESTS_PER_MINUTE: "60" }));
    expect(warned.status).toBe(0);
    expect(warned.stdout).toContain("warning for fx-exporter: EXPORT_REQUESTS_PER_MINUTE=60");
  });
});
