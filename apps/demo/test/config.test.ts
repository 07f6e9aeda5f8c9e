import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseCommandLine } from "../src/cli.js";
import { exposureWarnings, loadConfig, unusedOptionWarnings } from "../src/config.js";
import { OPTIONS } from "../src/config-options.js";
import { runMain, waitForUrl } from "./helpers/child-server.js";
import { problemsOf } from "./helpers/config-problems.js";

const dir = mkdtempSync(join(tmpdir(), "batchlog-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("loadConfig", () => {
  it("Should apply the SPEC §4 defaults and freeze the result", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8080,
      token: undefined,
      bodyLimitBytes: 10 * 1024 * 1024,
      http: { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, maxConnections: 4096 },
      logLevel: "info",
      statsIntervalMs: 60_000,
      retention: undefined,
      storage: {
        url: "file:./data/batchlog.db",
        maxBatchSize: 1000,
        maxBatchDelayMs: 10,
        queueCapacity: 100_000,
        whenFull: "reject",
        synchronous: "full",
        fullText: true,
      },
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.storage)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it("Should map every variable", () => {
    const config = loadConfig({
      BATCHLOG_HOST: "0.0.0.0",
      BATCHLOG_PORT: "9999",
      BATCHLOG_DB_URL: "libsql://db.example.test",
      BATCHLOG_DB_AUTH_TOKEN: "tok",
      BATCHLOG_TOKEN: "secret",
      BATCHLOG_MAX_BATCH_SIZE: "500",
      BATCHLOG_MAX_BATCH_DELAY_MS: "0",
      BATCHLOG_QUEUE_CAPACITY: "42",
      BATCHLOG_WHEN_FULL: "WAIT",
      BATCHLOG_ENQUEUE_TIMEOUT_MS: "1500",
      BATCHLOG_WRITE_TIMEOUT_MS: "9000",
      BATCHLOG_SYNCHRONOUS: "normal",
      BATCHLOG_FULL_TEXT: "false",
      BATCHLOG_RETENTION_MAX_AGE: "7d",
      BATCHLOG_RETENTION_MAX_ENTRIES: "1000000",
      BATCHLOG_RETENTION_INTERVAL: "30s",
      BATCHLOG_BODY_LIMIT: "512kb",
      BATCHLOG_LOG_LEVEL: "debug",
      BATCHLOG_STATS_INTERVAL_MS: "0",
      BATCHLOG_GENERATE: "200",
      BATCHLOG_REQUEST_TIMEOUT_MS: "60000",
      BATCHLOG_HEADERS_TIMEOUT_MS: "5000",
    });
    expect(config).toMatchObject({
      host: "0.0.0.0",
      port: 9999,
      token: "secret",
      bodyLimitBytes: 512 * 1024,
      http: { requestTimeoutMs: 60_000, headersTimeoutMs: 5000, maxConnections: 4096 },
      logLevel: "debug",
      statsIntervalMs: 0,
      generate: 200,
      retention: { maxAgeMs: 7 * 86_400_000, maxEntries: 1_000_000, intervalMs: 30_000 },
      storage: {
        url: "libsql://db.example.test",
        authToken: "tok",
        maxBatchSize: 500,
        maxBatchDelayMs: 0,
        queueCapacity: 42,
        whenFull: "wait",
        enqueueTimeoutMs: 1500,
        writeTimeoutMs: 9000,
        synchronous: "normal",
        fullText: false,
      },
    });
  });

  it("Should read a JSON config file, with the environment and flags winning", () => {
    const file = join(dir, "batchlog.json");
    writeFileSync(
      file,
      JSON.stringify({ port: 7000, maxBatchSize: 250, logLevel: "warn", bodyLimit: "1mb" }),
    );
    const config = loadConfig(
      { BATCHLOG_CONFIG: file, BATCHLOG_MAX_BATCH_SIZE: "300" },
      { logLevel: "error" },
    );
    expect(config.port).toBe(7000);
    expect(config.storage.maxBatchSize).toBe(300);
    expect(config.logLevel).toBe("error");
    expect(config.bodyLimitBytes).toBe(1024 * 1024);
    expect(config.configFile).toBe(file);
  });

  it("Should read indexed fields as a comma-separated list, or a JSON array from the file", () => {
    expect(loadConfig({ BATCHLOG_INDEXED_FIELDS: " trace_id, user.id ,," }).storage.indexedFields).toEqual([
      "trace_id",
      "user.id",
    ]);
    const file = join(dir, "indexed.json");
    writeFileSync(file, JSON.stringify({ indexedFields: ["request_id"] }));
    expect(loadConfig({ BATCHLOG_CONFIG: file }).storage.indexedFields).toEqual(["request_id"]);
    expect(loadConfig({}).storage.indexedFields).toBeUndefined();
  });

  it.each([
    ["BATCHLOG_PORT", "eighty", 'BATCHLOG_PORT="eighty": expected an integer from 0 to 65535'],
    ["BATCHLOG_PORT", "70000", 'BATCHLOG_PORT="70000": expected an integer from 0 to 65535'],
    ["BATCHLOG_DB_URL", "postgres://x", 'BATCHLOG_DB_URL="postgres://x": expected a URL starting with file:'],
    ["BATCHLOG_MAX_BATCH_SIZE", "0", 'BATCHLOG_MAX_BATCH_SIZE="0": expected an integer from 1 to 32766'],
    ["BATCHLOG_MAX_BATCH_SIZE", "40000", 'BATCHLOG_MAX_BATCH_SIZE="40000"'],
    [
      "BATCHLOG_MAX_BATCH_DELAY_MS",
      "-1",
      'BATCHLOG_MAX_BATCH_DELAY_MS="-1": expected an integer from 0 to 2147483647',
    ],
    ["BATCHLOG_QUEUE_CAPACITY", "1.5", 'BATCHLOG_QUEUE_CAPACITY="1.5": expected an integer >= 1'],
    ["BATCHLOG_WHEN_FULL", "drop", 'BATCHLOG_WHEN_FULL="drop": expected reject or wait'],
    ["BATCHLOG_SYNCHRONOUS", "off", 'BATCHLOG_SYNCHRONOUS="off": expected full or normal'],
    ["BATCHLOG_FULL_TEXT", "maybe", 'BATCHLOG_FULL_TEXT="maybe": expected true or false'],
    ["BATCHLOG_RETENTION_MAX_AGE", "a week", 'BATCHLOG_RETENTION_MAX_AGE="a week": expected a duration'],
    ["BATCHLOG_RETENTION_MAX_ENTRIES", "lots", 'BATCHLOG_RETENTION_MAX_ENTRIES="lots"'],
    [
      "BATCHLOG_RETENTION_MAX_AGE_BY_LEVEL",
      "debug=1d,loud=2d",
      'BATCHLOG_RETENTION_MAX_AGE_BY_LEVEL="debug=1d,loud=2d": expected level=duration pairs',
    ],
    ["BATCHLOG_RETENTION_MAX_AGE_BY_LEVEL", "debug", 'BATCHLOG_RETENTION_MAX_AGE_BY_LEVEL="debug": expected'],
    [
      "BATCHLOG_RETENTION_MAX_AGE_BY_LEVEL",
      "error=0",
      'BATCHLOG_RETENTION_MAX_AGE_BY_LEVEL="error=0": expected',
    ],
    ["BATCHLOG_RETENTION_MAX_AGE_BY_LEVEL", ",", 'BATCHLOG_RETENTION_MAX_AGE_BY_LEVEL=",": expected'],
    ["BATCHLOG_RETENTION_INTERVAL", "0", 'BATCHLOG_RETENTION_INTERVAL="0": expected a duration'],
    [
      "BATCHLOG_RETENTION_MAX_BYTES",
      "10",
      'BATCHLOG_RETENTION_MAX_BYTES="10": expected a size of at least 1mb',
    ],
    ["BATCHLOG_BODY_LIMIT", "10 parsecs", 'BATCHLOG_BODY_LIMIT="10 parsecs": expected a size'],
    ["BATCHLOG_LOG_LEVEL", "loud", 'BATCHLOG_LOG_LEVEL="loud": expected one of trace, debug, info'],
    [
      "BATCHLOG_STATS_INTERVAL_MS",
      "soon",
      'BATCHLOG_STATS_INTERVAL_MS="soon": expected an integer from 0 to 2147483647',
    ],
    [
      "BATCHLOG_WRITE_TIMEOUT_MS",
      "0",
      'BATCHLOG_WRITE_TIMEOUT_MS="0": expected an integer from 1 to 2147483647',
    ],
    ["BATCHLOG_ENQUEUE_TIMEOUT_MS", "x", 'BATCHLOG_ENQUEUE_TIMEOUT_MS="x"'],
    ["BATCHLOG_GENERATE", "-5", 'BATCHLOG_GENERATE="-5": expected an integer from 0 to 1000000'],
    ["BATCHLOG_DB_SYNC_URL", "ftp://x", 'BATCHLOG_DB_SYNC_URL="ftp://x"'],
    ["BATCHLOG_TOKEN", "   ", "BATCHLOG_TOKEN=(hidden): expected a non-empty string"],
  ])("Should name %s and its bad value %j", (name, value, message) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it("Should read ages per level as level=duration pairs (aliases taken), or a JSON object from the file", () => {
    expect(
      loadConfig({ BATCHLOG_RETENTION_MAX_AGE_BY_LEVEL: " DEBUG=1d, warning = 12h,error=90d ,," }).retention,
    ).toEqual({
      maxAgeByLevel: { debug: 86_400_000, warn: 12 * 3_600_000, error: 90 * 86_400_000 },
      intervalMs: 300_000,
    });
    const file = join(dir, "ages.json");
    writeFileSync(
      file,
      JSON.stringify({ retentionMaxAge: "7d", retentionMaxAgeByLevel: { trace: "1h", fatal: "1m" } }),
    );
    expect(loadConfig({ BATCHLOG_CONFIG: file }).retention).toEqual({
      maxAgeMs: 7 * 86_400_000,
      maxAgeByLevel: { trace: 3_600_000, fatal: 60_000 },
      intervalMs: 300_000,
    });
  });

  it("Should refuse a duration without a unit, which was milliseconds: a 30 meant as 30 days deleted everything", () => {
    expect(problemsOf({ BATCHLOG_RETENTION_MAX_AGE: "30" })).toEqual([
      'BATCHLOG_RETENTION_MAX_AGE="30": expected a duration such as 7d, 12h, 30m (30 has no unit: write 30d, 30h, 30m, 30s or 30ms)',
    ]);
    expect(problemsOf({ BATCHLOG_RETENTION_INTERVAL: "5" })[0]).toContain("(5 has no unit: write 5d");
    expect(problemsOf({ BATCHLOG_MAX_FUTURE: "600000" })[0]).toContain(
      "(600000 has no unit: write 600000ms, 600000s",
    );
    expect(problemsOf({ BATCHLOG_RETENTION_MAX_AGE_BY_LEVEL: "debug=7,error=90d" })[0]).toContain(
      "(debug=7: 7 has no unit: write 7d",
    );
    // and from the file, where it was a JSON number
    const file = join(dir, "bare-age.json");
    writeFileSync(file, JSON.stringify({ retentionMaxAge: 7, retentionMaxAgeByLevel: { info: 1.5 } }));
    const fromFile = problemsOf({ BATCHLOG_CONFIG: file });
    expect(fromFile).toHaveLength(2);
    expect(fromFile[0]).toContain("(7 has no unit");
    expect(fromFile[1]).toContain("(info=1.5: 1.5 has no unit");
    expect(loadConfig({ BATCHLOG_RETENTION_MAX_AGE: "30000ms" }).retention?.maxAgeMs).toBe(30_000);
  });

  it("Should refuse to start with a misspelt token variable while the real one is unset (auth would be off)", () => {
    expect(problemsOf({ BATCHLOG_TOKN: "s3cret" })).toEqual([
      "BATCHLOG_TOKN is not an option (did you mean BATCHLOG_TOKEN?): not starting without the secret it seems to hold",
    ]);
    expect(problemsOf({ BATCHLOG_DB_AUTH_TOKN: "x" })[0]).toContain("did you mean BATCHLOG_DB_AUTH_TOKEN?");
    // with the real one set, it is only an unknown variable (the server warns)
    expect(problemsOf({ BATCHLOG_TOKN: "s3cret", BATCHLOG_TOKEN: "real" })).toEqual([]);
    // names merely near it are only warned about
    for (const name of ["BATCHLOG_TOPIC", "BATCHLOG_LOGIN", "BATCHLOG_KEY", "BATCHLOG_TOKEN_FILE"])
      expect(problemsOf({ [name]: "x" }), name).toEqual([]);
    expect(problemsOf({ BATCHLOG_TOKN: "s3cret" }, { token: "real" })).toEqual([]);
  });

  it("Should warn when auth is off because the token is empty, or on an address others reach", () => {
    const warnings = (env: Record<string, string>) => exposureWarnings(env, loadConfig(env));
    expect(warnings({})).toEqual([]);
    expect(warnings({ BATCHLOG_TOKEN: "" })).toEqual([
      "BATCHLOG_TOKEN is set but empty, which means unset: auth is off",
    ]);
    expect(warnings({ BATCHLOG_HOST: "0.0.0.0" })[0]).toMatch(
      /^listening on 0\.0\.0\.0 without BATCHLOG_TOKEN/,
    );
    expect(warnings({ BATCHLOG_HOST: "0.0.0.0", BATCHLOG_TOKEN: "t0ken-t0ken" })).toEqual([]);
    expect(warnings({ BATCHLOG_HOST: "::1" })).toEqual([]);
  });

  it("Should take 1 and 0 for a switch in the JSON file, as its error line offers", () => {
    const file = join(dir, "switch-numbers.json");
    writeFileSync(file, JSON.stringify({ dbRecover: 1, fullText: 0 }));
    const config = loadConfig({ BATCHLOG_CONFIG: file });
    expect([config.storage.recover, config.storage.fullText]).toEqual([true, false]);
    writeFileSync(file, JSON.stringify({ dbRecover: 2 }));
    expect(problemsOf({ BATCHLOG_CONFIG: file })).toHaveLength(1);
  });

  it("Should report every cross-option problem at once, beside the bad values", () => {
    const problems = problemsOf({
      BATCHLOG_RETRY_MAX_DELAY_MS: "10",
      BATCHLOG_HEADERS_TIMEOUT_MS: "40000",
      BATCHLOG_TAIL_MAX_CLIENTS: "5000",
      BATCHLOG_QUEUE_CAPACITY_BYTES: "1kb",
      BATCHLOG_PORT: "nope",
    });
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/^BATCHLOG_PORT="nope"/);
    expect(problems.slice(1).map((p) => p.split("=")[0])).toEqual([
      "BATCHLOG_RETRY_MAX_DELAY_MS",
      "BATCHLOG_HEADERS_TIMEOUT_MS",
      "BATCHLOG_TAIL_MAX_CLIENTS",
      "BATCHLOG_QUEUE_CAPACITY_BYTES",
    ]);
  });

  it("Should name the storage's own refusals by the options the operator set", () => {
    expect(problemsOf({ BATCHLOG_DB_SYNC_INTERVAL_SEC: "60" })).toEqual([
      "BATCHLOG_DB_SYNC_INTERVAL_SEC: only applies with BATCHLOG_DB_SYNC_URL (embedded replica)",
    ]);
  });

  it("Should refuse a file: URL that names no file, or carries a query, as a configuration error", () => {
    expect(problemsOf({ BATCHLOG_DB_URL: "file:/tmp/x.db?mode=ro" })).toEqual([
      expect.stringMatching(/^BATCHLOG_DB_URL: file:\/tmp\/x\.db\?mode=ro has a \?query/),
    ]);
    expect(problemsOf({}, { dbUrl: "file::memory:" })).toEqual([
      expect.stringMatching(/^--db-url: file::memory: an in-memory database is not supported/),
    ]);
  });

  it("Should warn about a database auth token with nothing to send it to", () => {
    expect(unusedOptionWarnings(loadConfig({ BATCHLOG_DB_AUTH_TOKEN: "t0k3n" }))).toEqual([
      expect.stringMatching(
        /^a database auth token is set .* but the database is a file: one without a sync URL/,
      ),
    ]);
    expect(
      unusedOptionWarnings(
        loadConfig({ BATCHLOG_DB_AUTH_TOKEN: "t0k3n", BATCHLOG_DB_URL: "libsql://db.example" }),
      ),
    ).toEqual([]);
    expect(unusedOptionWarnings(loadConfig({}))).toEqual([]);
  });

  it("Should refuse a level given twice an age, as neither can be known to be meant", () => {
    expect(problemsOf({ BATCHLOG_RETENTION_MAX_AGE_BY_LEVEL: "debug=1d,DEBUG=2d" })[0]).toContain(
      "(debug is given twice)",
    );
  });

  it("Should check every option's schema against a clearly invalid value", () => {
    for (const option of OPTIONS) {
      if (
        option.key === "config" ||
        option.key === "host" ||
        option.key === "token" ||
        option.key === "dbAuthToken"
      )
        continue;
      const problems = problemsOf({ [option.env]: "%%invalid%%" });
      expect(problems, option.env).toEqual([`${option.env}="%%invalid%%": expected ${option.expected}`]);
    }
  });

  it("Should refuse a timer option longer than a Node.js timer can wait, naming the maximum", () => {
    // Node fires a timer asked to wait more than 2^31 - 1 ms after 1 ms instead: a 4w retention
    // interval ran retention thousands of times a second, a 3e9 ms query timeout failed every
    // search. Every millisecond option is held to the same limit.
    const timerOptions = [
      "BATCHLOG_REQUEST_TIMEOUT_MS",
      "BATCHLOG_HEADERS_TIMEOUT_MS",
      "BATCHLOG_STATS_INTERVAL_MS",
      "BATCHLOG_QUERY_TIMEOUT_MS",
      "BATCHLOG_MAX_BATCH_DELAY_MS",
      "BATCHLOG_ENQUEUE_TIMEOUT_MS",
      "BATCHLOG_WRITE_TIMEOUT_MS",
      "BATCHLOG_RETRY_INITIAL_DELAY_MS",
      "BATCHLOG_RETRY_MAX_DELAY_MS",
      "BATCHLOG_CHECKPOINT_INTERVAL_MS",
      "BATCHLOG_BUSY_TIMEOUT_MS",
      "BATCHLOG_DRAIN_TIMEOUT_MS",
      "BATCHLOG_TAIL_HEARTBEAT_MS",
      "BATCHLOG_TAIL_STALL_TIMEOUT_MS",
      "BATCHLOG_READY_FAILURE_GRACE_MS",
      "BATCHLOG_SHUTDOWN_TIMEOUT_MS",
    ];
    expect(timerOptions).toEqual(OPTIONS.filter((o) => o.env.endsWith("_MS")).map((o) => o.env));
    for (const env of timerOptions) {
      const option = OPTIONS.find((o) => o.env === env)!;
      expect(option.expected, env).toContain("2147483647 (about 24.8 days");
      expect(problemsOf({ [env]: "2147483648" }), env).toEqual([
        `${env}="2147483648": expected ${option.expected}`,
      ]);
      expect(option.schema.safeParse("2147483647").success, env).toBe(true);
    }
    const interval = OPTIONS.find((o) => o.key === "retentionInterval")!;
    expect(problemsOf({ BATCHLOG_RETENTION_INTERVAL: "4w" })).toEqual([
      `BATCHLOG_RETENTION_INTERVAL="4w": expected ${interval.expected}`,
    ]);
    expect(interval.expected).toContain("2147483647 ms (about 24.8 days");
    expect(interval.schema.safeParse("24d").success).toBe(true);
    expect(interval.schema.safeParse(2_147_483_648).success).toBe(false);
    // ages are compared, not waited for: a year's retention stays valid
    expect(problemsOf({ BATCHLOG_RETENTION_MAX_AGE: "52w", BATCHLOG_MAX_FUTURE: "8w" })).toEqual([]);
  });

  it("Should take off in any case for BATCHLOG_MAX_FUTURE, as the on/off switches do", () => {
    for (const off of ["off", "OFF", " Off "]) {
      expect(loadConfig({ BATCHLOG_MAX_FUTURE: off }).maxFutureMs, off).toBeUndefined();
    }
    expect(loadConfig({ BATCHLOG_MAX_FUTURE: "1h" }).maxFutureMs).toBe(3_600_000);
  });

  it("Should list every problem at once, one line each, and check cross-field rules", () => {
    expect(problemsOf({ BATCHLOG_PORT: "x", BATCHLOG_WHEN_FULL: "y", BATCHLOG_FULL_TEXT: "z" })).toHaveLength(
      3,
    );
    expect(
      problemsOf({ BATCHLOG_RETRY_INITIAL_DELAY_MS: "500", BATCHLOG_RETRY_MAX_DELAY_MS: "100" }),
    ).toEqual(["BATCHLOG_RETRY_MAX_DELAY_MS=100: must be >= BATCHLOG_RETRY_INITIAL_DELAY_MS (500)"]);
    // Node refuses to start a server whose headers timeout exceeds its request timeout
    expect(problemsOf({ BATCHLOG_REQUEST_TIMEOUT_MS: "5000", BATCHLOG_HEADERS_TIMEOUT_MS: "8000" })).toEqual([
      "BATCHLOG_HEADERS_TIMEOUT_MS=8000: must be <= BATCHLOG_REQUEST_TIMEOUT_MS (5000)",
    ]);
    // every live-tail stream holds a connection: at the stream cap, ingest must still get one
    expect(problemsOf({ BATCHLOG_MAX_CONNECTIONS: "100" })).toEqual([
      "BATCHLOG_TAIL_MAX_CLIENTS=100: must be < BATCHLOG_MAX_CONNECTIONS (100)",
    ]);
    expect(problemsOf({ BATCHLOG_MAX_CONNECTIONS: "101" })).toEqual([]);
  });

  it("Should report a bad config file, unknown keys and bad values in it, and name flags", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ port: "high", colour: "blue" }));
    expect(problemsOf({ BATCHLOG_CONFIG: bad })).toEqual([
      `${bad}: unknown option "colour"`,
      `${bad} port="high": expected an integer from 0 to 65535`,
    ]);
    // A misspelt key, or an option written the environment's way, names the key the file needs.
    const misspelt = join(dir, "misspelt.json");
    writeFileSync(
      misspelt,
      JSON.stringify({ maxBatchsize: 500, BATCHLOG_PORT: 9000, retention_max_age: "7d" }),
    );
    expect(problemsOf({ BATCHLOG_CONFIG: misspelt })).toEqual([
      `${misspelt}: unknown option "maxBatchsize" (did you mean "maxBatchSize"?)`,
      `${misspelt}: unknown option "BATCHLOG_PORT" (did you mean "port"?)`,
      `${misspelt}: unknown option "retention_max_age" (did you mean "retentionMaxAge"?)`,
    ]);
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ nope");
    expect(problemsOf({ BATCHLOG_CONFIG: broken })[0]).toMatch(
      /^BATCHLOG_CONFIG=".*broken.json": not valid JSON/,
    );
    expect(problemsOf({ BATCHLOG_CONFIG: join(dir, "missing.json") })[0]).toMatch(
      /cannot read the file \(ENOENT\)/,
    );
    // A value of a secret left unquoted (a template's): the error says where, never the text there,
    // on one line; --config is named when it gave the path; a byte-order mark is no error.
    const leaky = join(dir, "leaky.json");
    writeFileSync(leaky, '{\n  "port": 1,\n  "token": supersecretvalue123\n}\n');
    const leak = problemsOf({}, { config: leaky });
    expect(leak).toEqual([`--config="${leaky}": not valid JSON (syntax error near line 3)`]);
    expect(problemsOf({ BATCHLOG_CONFIG: broken })[0]).toContain("(syntax error at line 1, column 3)");
    const bom = join(dir, "bom.json");
    writeFileSync(bom, '\uFEFF{"port": 9001}');
    expect(loadConfig({ BATCHLOG_CONFIG: bom }).port).toBe(9001);
    expect(problemsOf({}, { port: "-3" })).toEqual(['--port="-3": expected an integer from 0 to 65535']);
    // Kubernetes' service link for a Service named batchlog: say where it comes from.
    expect(problemsOf({ BATCHLOG_PORT: "tcp://10.96.0.12:8080" })).toEqual([
      'BATCHLOG_PORT="tcp://10.96.0.12:8080": expected an integer from 0 to 65535 (Kubernetes sets this for a Service named batchlog: set BATCHLOG_PORT in the pod spec, or enableServiceLinks: false)',
    ]);
  });
});

describe("main (the process)", () => {
  it("Should exit non-zero with one line per problem on a bad environment", async () => {
    const run = runMain([], {
      BATCHLOG_PORT: "eighty",
      BATCHLOG_QUEUE_CAPACITY: "0",
      BATCHLOG_DB_URL: `file:${join(dir, "never.db")}`,
    });
    const exit = await run.exited;
    expect(exit.code).toBe(2);
    expect(run.stderr().trim().split("\n")).toEqual([
      'batchlog: invalid configuration: BATCHLOG_PORT="eighty": expected an integer from 0 to 65535',
      'batchlog: invalid configuration: BATCHLOG_QUEUE_CAPACITY="0": expected an integer >= 1',
    ]);
  });

  it("Should exit 2 naming the option and the maximum when a timer option is too long for Node's timers", async () => {
    const run = runMain(["--query-timeout-ms", "3000000000", "--retention-interval", "4w"], {
      BATCHLOG_DB_URL: `file:${join(dir, "never.db")}`,
    });
    expect((await run.exited).code).toBe(2);
    expect(run.stderr().trim().split("\n")).toEqual([
      'batchlog: invalid configuration: --query-timeout-ms="3000000000": expected an integer from 1 to 2147483647 (about 24.8 days, the longest a timer waits)',
      'batchlog: invalid configuration: --retention-interval="4w": expected a duration such as 30s, 5m, 1h, of at most 2147483647 ms (about 24.8 days, the longest a timer waits)',
    ]);
  });

  it("Should exit non-zero on a bad flag value and on an unknown flag", async () => {
    const bad = runMain(["--generate", "lots"], {});
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr()).toContain('--generate="lots": expected an integer from 0 to 1000000');
    const unknown = runMain(["--colour", "blue"], {});
    expect((await unknown.exited).code).not.toBe(0);
    expect(unknown.stderr()).toContain("unknown option '--colour'");
  });

  it("Should warn about a BATCHLOG_ variable that names no option, with the option it is probably a typo of", async () => {
    const run = runMain([], {
      BATCHLOG_PORT: "0",
      BATCHLOG_DB_URL: `file:${join(dir, "typo.db")}`,
      BATCHLOG_MAX_BATCH_SIZ: "500",
      BATCHLOG_RETENTION_DAYS: "7",
      // Kubernetes' service links for a Service named batchlog: not the operator's doing.
      BATCHLOG_SERVICE_HOST: "10.96.0.12",
      BATCHLOG_PORT_8080_TCP_ADDR: "10.96.0.12",
    });
    await waitForUrl(run);
    run.child.kill("SIGTERM");
    expect((await run.exited).code).toBe(0);
    const warnings = run
      .stdout()
      .split("\n")
      .filter((line) => line.includes("unknown BATCHLOG_ environment variable"))
      .map((line) => JSON.parse(line) as { level: number; variable: string; didYouMean?: string });
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 40,
        variable: "BATCHLOG_MAX_BATCH_SIZ",
        didYouMean: "BATCHLOG_MAX_BATCH_SIZE",
      }),
      expect.objectContaining({ level: 40, variable: "BATCHLOG_RETENTION_DAYS" }),
    ]);
    expect(warnings[1]).not.toHaveProperty("didYouMean");
  });

  it("Should take a switch given alone as on, and a value after it as before", () => {
    expect(parseCommandLine(["--db-recover", "--port", "0"])).toEqual({ dbRecover: "true", port: "0" });
    expect(parseCommandLine(["--full-text", "false", "--writer-thread"])).toEqual({
      fullText: "false",
      writerThread: "true",
    });
  });

  it("Should list every option with its variable and default in --help", async () => {
    const run = runMain(["--help"], {});
    expect((await run.exited).code).toBe(0);
    const help = run.stdout().replace(/\s+/g, " ");
    for (const option of OPTIONS) {
      expect(help).toContain(option.flag);
      expect(help).toContain(`[${option.env}; default: ${option.default ?? "unset"}]`);
    }
    expect(help).toContain(
      "Exit codes: 0 stopped cleanly; 1 cannot start, or shutdown failed, timed out or lost entries answered 202; 2 invalid configuration.",
    );
  });
});
