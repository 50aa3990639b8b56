import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files run in parallel; each uses its own resources (queues, streams, data dirs, ports).
    pool: "forks",
    setupFiles: ["test/setup-env.ts"],
    reporters: ["default", "./test/reporters/summary.ts"],
  },
});
