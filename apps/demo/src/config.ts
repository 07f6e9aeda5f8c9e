// The server's configuration: defaults < JSON config file (BATCHLOG_CONFIG) < environment < flags,
// each value validated with its option's zod schema; every problem is reported, one line each.
import { readFileSync } from "node:fs";
import {
  type BatchConfigInput,
  LARGEST_ENTRY_FIXED_BYTES,
  type LogLevel,
  largestEntryBytes,
  resolveBatchConfig,
  ConfigError as StorageConfigError,
} from "@batchlog/storage";
import type { z } from "zod";
import { OPTIONS, type OptionKey, type OptionSpec } from "./config-options.js";

export type ServerLogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

export interface RetentionConfig {
  maxAgeMs?: number;
  maxAgeByLevel?: Partial<Record<LogLevel, number>>;
  maxEntries?: number;
  maxBytes?: number;
  intervalMs: number;
}

export interface Config {
  host: string;
  port: number;
  /** Bearer token; undefined = auth off. */
  token: string | undefined;
  /** Largest request body after decompression, in bytes. */
  bodyLimitBytes: number;
  /** Entries stamped further ahead are refused at ingest; undefined = taken as sent. */
  maxFutureMs: number | undefined;
  /** Slow-client limits: time to receive a whole request, and its headers (Node's http server). */
  http: Readonly<{ requestTimeoutMs: number; headersTimeoutMs: number; maxConnections: number }>;
  logLevel: ServerLogLevel;
  /** 0 disables the periodic statistics line. */
  statsIntervalMs: number;
  /** Sample traffic in entries per second; 0 = off. */
  generate: number;
  /** Options for `openLogStorage` (without the logger). */
  storage: Readonly<Omit<BatchConfigInput, "logger">>;
  retention: Readonly<RetentionConfig> | undefined;
  tail: Readonly<{
    maxBuffered: number;
    maxClients: number;
    heartbeatMs: number;
    stallTimeoutMs: number;
  }>;
  /** Write failures younger than this leave the server ready (see readiness.ts). */
  readyFailureGraceMs: number;
  shutdownTimeoutMs: number;
  /** Config file that was read, if any. */
  configFile: string | undefined;
}

/** One line per problem, each naming the variable (or flag, or file key) and the bad value. */
export class ConfigValidationError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ConfigValidationError";
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;
/** Values given on the command line, by option key (commander's camelCase names). */
export type CliValues = Partial<Record<OptionKey, string>>;

type Source = { kind: "default" | "file" | "env" | "cli"; raw: unknown };

const byKey = new Map<string, OptionSpec>(OPTIONS.map((o) => [o.key, o]));

/**
 * Builds the frozen Config from `env` (default `process.env`) and command-line values.
 * @throws ConfigValidationError listing every problem
 */
export function loadConfig(env: Env = process.env, cli: CliValues = {}): Config {
  const problems: string[] = [];
  const sources = new Map<string, Source>();
  for (const option of OPTIONS) {
    if (option.default !== undefined) sources.set(option.key, { kind: "default", raw: option.default });
  }
  const configPath = cli.config ?? nonEmpty(env.BATCHLOG_CONFIG);
  if (configPath !== undefined) {
    const named = cli.config !== undefined ? "--config" : "BATCHLOG_CONFIG";
    for (const [key, raw] of Object.entries(readConfigFile(configPath, named, problems))) {
      if (key === "config") problems.push(`${configPath}: "config" cannot be set inside a config file`);
      else if (!byKey.has(key)) problems.push(`${configPath}: unknown option "${clip(key)}"${keyHint(key)}`);
      else sources.set(key, { kind: "file", raw });
    }
  }
  for (const option of OPTIONS) {
    const fromEnv = env[option.env];
    // An empty variable counts as unset, as shells and compose files often leave them.
    if (fromEnv !== undefined && fromEnv !== "") sources.set(option.key, { kind: "env", raw: fromEnv });
    const fromCli = cli[option.key];
    if (fromCli !== undefined) sources.set(option.key, { kind: "cli", raw: fromCli });
  }

  const values: Record<string, unknown> = {};
  for (const option of OPTIONS) {
    const source = sources.get(option.key);
    if (source === undefined) continue;
    const parsed = option.schema.safeParse(source.raw);
    if (parsed.success) values[option.key] = parsed.data;
    else problems.push(describeProblem(option, source, configPath, hintsOf(parsed.error)));
  }
  crossChecks(values, sources, configPath, problems);
  problems.push(...misspeltSecrets(env, sources));
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return deepFreeze(assemble(values, configPath));
}

/** The options whose absence turns a protection off without a word. */
const SECRET_VARIABLES = new Set(["BATCHLOG_TOKEN", "BATCHLOG_DB_AUTH_TOKEN"]);

/**
 * A misspelt secret (BATCHLOG_TOKN=…) while the real one is unset is refused, not warned about as
 * other unknown variables are: the server would start with auth off, open to anyone who can reach it.
 */
function misspeltSecrets(env: Env, sources: ReadonlyMap<string, Source>): string[] {
  return unknownVariables(env).flatMap(({ variable, didYouMean }) => {
    if (didYouMean === undefined || !SECRET_VARIABLES.has(didYouMean)) return [];
    // a typo (TOKN, TOKNE), not any name a few letters away (BATCHLOG_TOPIC): that one is warned about
    if (editDistance(variable, didYouMean) > 2) return [];
    const option = OPTIONS.find((o) => o.env === didYouMean) as OptionSpec;
    if (sources.has(option.key)) return [];
    return [
      `${variable} is not an option (did you mean ${didYouMean}?): not starting without the secret it seems to hold`,
    ];
  });
}

/**
 * What an operator should hear at start about who can reach the data: auth off because the
 * token variable is set but empty (a compose file's missing secret), or on an address other
 * machines reach.
 */
export function exposureWarnings(env: Env, config: Pick<Config, "token" | "host">): string[] {
  if (config.token !== undefined) return [];
  const warnings: string[] = [];
  if (env.BATCHLOG_TOKEN !== undefined && env.BATCHLOG_TOKEN.trim() === "")
    warnings.push("BATCHLOG_TOKEN is set but empty, which means unset: auth is off");
  const host = config.host.toLowerCase().replace(/^\[|\]$/g, "");
  const loopback = host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  if (!loopback)
    warnings.push(
      `listening on ${config.host} without BATCHLOG_TOKEN: anyone who can reach the port can read, send and erase logs`,
    );
  return warnings;
}

/** Options set that do nothing with the rest of the configuration: the operator meant something. */
export function unusedOptionWarnings(config: Pick<Config, "storage">): string[] {
  const { url = "", authToken, syncUrl } = config.storage;
  if (authToken !== undefined && url.startsWith("file:") && syncUrl === undefined) {
    return [
      "a database auth token is set (BATCHLOG_DB_AUTH_TOKEN, --db-auth-token), but the database is a file: one without a sync URL: no server to send it to, it is not used",
    ];
  }
  return [];
}

export interface UnknownVariable {
  variable: string;
  /** The option variable it is probably a typo of. */
  didYouMean?: string;
}

const KNOWN_VARIABLES = new Set<string>(OPTIONS.map((o) => o.env));
/** Kubernetes' service links for a Service named "batchlog": set by the cluster, not by the operator. */
const SERVICE_LINK = /^BATCHLOG_(SERVICE_HOST|SERVICE_PORT|PORT_\d+_)/;

/**
 * BATCHLOG_* variables that name no option, and so are ignored: a typo such as BATCHLOG_TOKN
 * would otherwise leave auth off without a word. The server warns about each.
 */
export function unknownVariables(env: Env = process.env): UnknownVariable[] {
  const unknown: UnknownVariable[] = [];
  for (const variable of Object.keys(env).sort()) {
    if (!variable.startsWith("BATCHLOG_") || KNOWN_VARIABLES.has(variable) || SERVICE_LINK.test(variable))
      continue;
    const nearest = [...KNOWN_VARIABLES]
      .map((known) => ({ known, distance: editDistance(variable, known) }))
      .sort((a, b) => a.distance - b.distance)[0];
    unknown.push(nearest && nearest.distance <= 3 ? { variable, didYouMean: nearest.known } : { variable });
  }
  return unknown;
}

/** The config-file key a misspelt one (`maxBatchsize`) or an env-style one (`BATCHLOG_PORT`) means. */
function keyHint(key: string): string {
  const bare = (k: string) =>
    k
      .replace(/^BATCHLOG_/i, "")
      .replace(/[_-]/g, "")
      .toLowerCase();
  const nearest = OPTIONS.map((o) => ({ key: o.key, distance: editDistance(bare(key), bare(o.key)) })).sort(
    (a, b) => a.distance - b.distance,
  )[0];
  return nearest && nearest.distance <= 2 ? ` (did you mean "${nearest.key}"?)` : "";
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, (previous[j] as number) + 1, (current[j - 1] as number) + 1);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

function crossChecks(
  values: Record<string, unknown>,
  sources: Map<string, Source>,
  file: string | undefined,
  problems: string[],
) {
  // Each check runs when its options are valid on their own, so that every problem shows at once.
  const has = (...keys: OptionKey[]) => keys.every((key) => values[key] !== undefined);
  const name = (key: OptionKey) => origin(byKey.get(key)!, sources.get(key)!, file);
  if (has("retryInitialDelayMs", "retryMaxDelayMs")) {
    const initial = values.retryInitialDelayMs as number;
    const max = values.retryMaxDelayMs as number;
    if (max < initial) {
      problems.push(
        `${name("retryMaxDelayMs")}=${max}: must be >= ${name("retryInitialDelayMs")} (${initial})`,
      );
    }
  }
  // Node refuses to start a server whose headers may take longer than the whole request.
  if (
    has("headersTimeoutMs", "requestTimeoutMs") &&
    (values.headersTimeoutMs as number) > (values.requestTimeoutMs as number)
  ) {
    problems.push(
      `${name("headersTimeoutMs")}=${values.headersTimeoutMs}: must be <= ${name("requestTimeoutMs")} (${values.requestTimeoutMs})`,
    );
  }
  // Every live-tail stream holds a connection: at the stream cap, ingest must still get in.
  if (
    has("tailMaxClients", "maxConnections") &&
    (values.tailMaxClients as number) >= (values.maxConnections as number)
  ) {
    problems.push(
      `${name("tailMaxClients")}=${values.tailMaxClients}: must be < ${name("maxConnections")} (${values.maxConnections})`,
    );
  }
  const queueProblem = has("queueCapacityBytes", "maxMessageBytes", "maxFieldsBytes")
    ? queueTooSmall(values, sources, file)
    : undefined;
  if (queueProblem !== undefined) problems.push(queueProblem);
  // The storage validates its own options too: anything it still refuses is reported by variable
  // (once the rest is right: it would repeat what the lines above say).
  if (problems.length > 0) return;
  try {
    resolveBatchConfig(storageOptions(values));
  } catch (error) {
    if (!(error instanceof StorageConfigError)) throw error;
    for (const issue of error.issues) {
      const option = OPTIONS.find((o) => storageField(o.key) === issue.field);
      const name = option
        ? origin(option, sources.get(option.key) ?? { kind: "default", raw: "" }, file)
        : issue.field;
      problems.push(`${name}: ${inOptionNames(issue.message, sources, file)}`);
    }
  }
}

/** The storage's message with its field names (`syncUrl`) written as the operator set them. */
function inOptionNames(message: string, sources: Map<string, Source>, file: string | undefined): string {
  // camelCase words only: a plain "url" in a sentence is a word, not the option
  return message.replace(/\b[a-z]+[A-Z][A-Za-z]*\b/g, (word) => {
    const option = OPTIONS.find((o) => storageField(o.key) === word);
    if (option === undefined) return word;
    return origin(option, sources.get(option.key) ?? { kind: "env", raw: "" }, file);
  });
}

/** A queue that cannot hold one largest entry would answer 429 to it forever. */
function queueTooSmall(
  values: Record<string, unknown>,
  sources: Map<string, Source>,
  file: string | undefined,
): string | undefined {
  const capacity = values.queueCapacityBytes as number;
  const maxMessageBytes = values.maxMessageBytes as number;
  const maxFieldsBytes = values.maxFieldsBytes as number;
  const minimum = largestEntryBytes({ maxMessageBytes, maxFieldsBytes });
  if (capacity >= minimum) return undefined;
  const name = (key: OptionKey) => origin(byKey.get(key)!, sources.get(key)!, file);
  return (
    `${name("queueCapacityBytes")}=${capacity}: must hold one largest entry, so at least ${minimum} bytes ` +
    `= 6 × ${name("maxMessageBytes")} (${maxMessageBytes}) + 2 × ${name("maxFieldsBytes")} (${maxFieldsBytes}) ` +
    `+ ${LARGEST_ENTRY_FIXED_BYTES} (JSON escaping can grow a message 6× and fields 2×; ` +
    "source, timestamp and per-entry overhead)"
  );
}

function assemble(values: Record<string, unknown>, configFile: string | undefined): Config {
  const v = values as Record<OptionKey, unknown>;
  const num = (key: OptionKey) => v[key] as number;
  const hasRetention =
    v.retentionMaxAge !== undefined ||
    v.retentionMaxAgeByLevel !== undefined ||
    v.retentionMaxEntries !== undefined ||
    v.retentionMaxBytes !== undefined;
  const retention: RetentionConfig | undefined = hasRetention
    ? {
        ...(v.retentionMaxAge !== undefined && { maxAgeMs: num("retentionMaxAge") }),
        ...(v.retentionMaxAgeByLevel !== undefined && {
          maxAgeByLevel: v.retentionMaxAgeByLevel as Partial<Record<LogLevel, number>>,
        }),
        ...(v.retentionMaxEntries !== undefined && { maxEntries: num("retentionMaxEntries") }),
        ...(v.retentionMaxBytes !== undefined && { maxBytes: num("retentionMaxBytes") }),
        intervalMs: num("retentionInterval"),
      }
    : undefined;
  return {
    host: v.host as string,
    port: num("port"),
    token: v.token as string | undefined,
    bodyLimitBytes: num("bodyLimit"),
    maxFutureMs: v.maxFuture === "off" ? undefined : num("maxFuture"),
    http: {
      requestTimeoutMs: num("requestTimeoutMs"),
      headersTimeoutMs: num("headersTimeoutMs"),
      maxConnections: num("maxConnections"),
    },
    logLevel: v.logLevel as ServerLogLevel,
    statsIntervalMs: num("statsIntervalMs"),
    generate: num("generate"),
    storage: storageOptions(values),
    retention,
    tail: {
      maxBuffered: num("tailMaxBuffered"),
      maxClients: num("tailMaxClients"),
      heartbeatMs: num("tailHeartbeatMs"),
      stallTimeoutMs: num("tailStallTimeoutMs"),
    },
    readyFailureGraceMs: num("readyFailureGraceMs"),
    shutdownTimeoutMs: num("shutdownTimeoutMs"),
    configFile,
  };
}

/** Maps option keys onto `BatchConfigInput`; unset optional ones are left out. */
function storageOptions(values: Record<string, unknown>): Omit<BatchConfigInput, "logger"> {
  const out: Record<string, unknown> = {};
  for (const option of OPTIONS) {
    const field = storageField(option.key);
    if (field === undefined || field.startsWith("retry.") || values[option.key] === undefined) continue;
    out[field] = values[option.key];
  }
  out.retry = { initialDelayMs: values.retryInitialDelayMs, maxDelayMs: values.retryMaxDelayMs };
  return out as Omit<BatchConfigInput, "logger">;
}

const STORAGE_FIELDS: Partial<Record<OptionKey, string>> = {
  dbUrl: "url",
  dbAuthToken: "authToken",
  dbSyncUrl: "syncUrl",
  dbSyncIntervalSec: "syncIntervalSec",
  dbRecover: "recover",
  storageImplementation: "implementation",
  writerThread: "writerThread",
  readerThread: "readerThread",
  queryTimeoutMs: "queryTimeoutMs",
  maxBatchSize: "maxBatchSize",
  maxBatchDelayMs: "maxBatchDelayMs",
  queueCapacity: "queueCapacity",
  queueCapacityBytes: "queueCapacityBytes",
  whenFull: "whenFull",
  enqueueTimeoutMs: "enqueueTimeoutMs",
  writeTimeoutMs: "writeTimeoutMs",
  retryInitialDelayMs: "retry.initialDelayMs",
  retryMaxDelayMs: "retry.maxDelayMs",
  synchronous: "synchronous",
  fullText: "fullText",
  indexedFields: "indexedFields",
  walAutocheckpoint: "walAutocheckpoint",
  checkpointIntervalMs: "checkpointIntervalMs",
  journalSizeLimit: "journalSizeLimit",
  busyTimeoutMs: "busyTimeoutMs",
  diskReserveBytes: "diskReserveBytes",
  drainTimeoutMs: "drainTimeoutMs",
  maxMessageBytes: "maxMessageBytes",
  maxFieldsBytes: "maxFieldsBytes",
};

function storageField(key: string): string | undefined {
  return STORAGE_FIELDS[key as OptionKey];
}

/** `named`: where the path came from (--config or BATCHLOG_CONFIG), for the error lines. */
function readConfigFile(path: string, named: string, problems: string[]): Record<string, unknown> {
  const where = `${named}="${clip(path)}"`;
  let text: string;
  try {
    // an editor's byte-order mark is not the file's fault
    text = readFileSync(path, "utf8").replace(/^\uFEFF/, "");
  } catch (error) {
    problems.push(`${where}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    return {};
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // Only where: V8's message quotes the text around the error, which may be a token's value,
    // and spans lines when the file does.
    problems.push(`${where}: not valid JSON (${jsonErrorPosition(text, error as Error)})`);
    return {};
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    problems.push(`${where}: must hold a JSON object of options`);
    return {};
  }
  return json as Record<string, unknown>;
}

/**
 * Where JSON.parse stopped: "line 3, column 14" from V8's "position N", else "near line 3" from
 * the excerpt it quotes (found in the text, never repeated: it may be a secret's value).
 */
function jsonErrorPosition(text: string, error: Error): string {
  const lineOf = (offset: number) => text.slice(0, offset).split("\n").length;
  const at = /position (\d+)/.exec(error.message);
  if (at !== null) {
    const offset = Number(at[1]);
    const column = offset - text.lastIndexOf("\n", offset - 1);
    return `syntax error at line ${lineOf(offset)}, column ${column}`;
  }
  const excerpt = /(?:\.\.\.)?"(.+)"(?:\.\.\.)? is not valid JSON$/s.exec(error.message)?.[1];
  const found = excerpt === undefined ? -1 : text.indexOf(excerpt);
  if (found !== -1)
    return `syntax error near line ${lineOf(found + Math.floor((excerpt as string).length / 2))}`;
  return /end of JSON input/i.test(error.message) ? "it ends too soon" : "syntax error";
}

/** What an option's schema says about this value in particular (issues marked `params.hint`). */
function hintsOf(error: z.ZodError): string {
  const hints = (issues: readonly z.core.$ZodIssue[]): string[] =>
    issues.flatMap((issue) => {
      // a union (maxFuture: off or a duration) holds each branch's issues
      if (issue.code === "invalid_union") return issue.errors.flatMap(hints);
      return issue.code === "custom" && issue.params?.hint === true ? [issue.message] : [];
    });
  const found = hints(error.issues);
  return found.length === 0 ? "" : ` (${found.join("; ")})`;
}

function describeProblem(option: OptionSpec, source: Source, file: string | undefined, hint = ""): string {
  const raw = typeof source.raw === "string" && option.redact ? option.redact(source.raw) : source.raw;
  const shown = option.secret ? "(hidden)" : JSON.stringify(typeof raw === "string" ? clip(raw) : raw);
  return `${origin(option, source, file)}=${shown}: expected ${option.expected}${hint}${serviceLinkHint(option, source)}`;
}

/** Kubernetes sets BATCHLOG_PORT=tcp://10.96.0.12:8080 in every pod beside a Service named batchlog. */
function serviceLinkHint(option: OptionSpec, source: Source): string {
  if (option.env !== "BATCHLOG_PORT" || source.kind !== "env" || !/^tcp:\/\//.test(String(source.raw)))
    return "";
  return " (Kubernetes sets this for a Service named batchlog: set BATCHLOG_PORT in the pod spec, or enableServiceLinks: false)";
}

function origin(option: OptionSpec, source: Source, file: string | undefined): string {
  switch (source.kind) {
    case "cli":
      return option.flag.split(" ")[0] as string;
    case "file":
      return `${file} ${option.key}`;
    default:
      return option.env;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
