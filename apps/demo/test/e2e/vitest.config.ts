// Runs only the browser tests: `vitest run --config test/e2e/vitest.config.ts` (from apps/demo).
// The package's own vitest config runs them too; this one exists for running them alone.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../../", import.meta.url)),
  resolve: { conditions: ["@batchlog/source"] },
  ssr: { resolve: { conditions: ["@batchlog/source"] } },
  test: {
    include: ["test/e2e/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
