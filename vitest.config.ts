import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites each boot emulators; two cores do not gain from running them in parallel.
    fileParallelism: false,
    // Client libraries must never probe the GCE metadata server from a test machine.
    env: { METADATA_SERVER_DETECTION: "none" },
  },
});
