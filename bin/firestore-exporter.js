#!/usr/bin/env node
// The CLI is TypeScript compiled by `npm run build` (npm ci runs it through `prepare`).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/cli/src/main.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("firestore-exporter: not built yet; run 'npm run build' in the repository first.\n");
  process.exit(2);
}
await import(entry.href);
