import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { build } from "esbuild";
import { cacheDir } from "./fixtures.js";

const BENCH_DIR = join(import.meta.dirname, "..");
const REPO_DIR = join(BENCH_DIR, "..");
/** Projects compiled by this bench run: the sources do not change while it runs. */
const compiled = new Set<string>();

/**
 * Prepares a bench script to run the way the product ships (`pnpm demo` runs `node dist/…`): the
 * given workspace projects compiled by tsc (the storage by default), the script bundled by esbuild
 * with its packages left external, so that `@batchlog/*` resolve to those compiled builds. No tsx
 * loader in the process or in the writer thread (tsx alone adds ~50 MB of RSS). Returns the
 * bundle's path.
 */
export async function buildShipped(script: string, projects = ["packages/storage"]): Promise<string> {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  for (const project of projects.filter((p) => !compiled.has(p))) {
    execFileSync(process.execPath, [tsc, "-p", join(REPO_DIR, project, "tsconfig.build.json")], {
      stdio: "inherit",
    });
    compiled.add(project);
  }
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

/**
 * The V8 flags the server ships with: read from the root package.json's `demo` script, so that
 * the suites measure exactly what `pnpm demo` runs.
 */
export function shippedNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(REPO_DIR, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const flags = pkg.scripts.demo?.match(/--max-old-space-size=\d+/g) ?? [];
  if (flags.length === 0) throw new Error("the demo script sets no --max-old-space-size: update the bench");
  return flags;
}
