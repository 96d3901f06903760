import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites each boot emulators; two cores do not gain from running them in parallel.
    fileParallelism: false,
  },
});
