import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@batchlog/source"] },
  ssr: { resolve: { conditions: ["@batchlog/source"] } },
  test: {
    include: ["test/**/*.test.ts", "ui/test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
