import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { build } from "esbuild";
import { cacheDir } from "./fixtures.js";

const BENCH_DIR = join(import.meta.dirname, "..");
const REPO_DIR = join(BENCH_DIR, "..");

/**
 * Prepares a bench script to run the way the product ships (`pnpm demo` runs `node dist/…`): the
 * storage compiled by tsc, the script bundled by esbuild with its packages left external, so that
 * `@batchlog/storage` resolves to that compiled build. No tsx loader in the process or in the
 * writer thread (tsx alone adds ~50 MB of RSS). Returns the bundle's path.
 */
export async function buildShipped(script: string): Promise<string> {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", join(REPO_DIR, "packages/storage/tsconfig.build.json")], {
    stdio: "inherit",
  });
  // Inside bench/ so that Node resolves the externals from bench/node_modules.
  const outfile = join(cacheDir(), script.replace(/\.ts$/, ".mjs"));
  await build({
    entryPoints: [join(BENCH_DIR, "src", script)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
  return outfile;
}
