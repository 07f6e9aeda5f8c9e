// HTTP client for the batchlog API (SPEC §4) with bearer-token handling.

export const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
export type Level = (typeof LEVELS)[number];

export interface LogEntry {
  id: number;
  timestamp: string | number;
  level: Level;
  source: string;
  message: string;
  fields: Record<string, unknown> | null;
}

/** GET /api/fields: the fields keys of the newest matches and their most frequent values. */
export interface FieldSummaries {
  sampled: number;
  partial: boolean;
  fields: Array<{
    key: string;
    count: number;
    values: Array<{ value: string; count: number }>;
    distinct: number;
  }>;
}

export interface SearchPage {
  entries: LogEntry[];
  nextCursor?: string | null;
}

export type LevelCounts = Record<Level, number>;

export interface StatsBucket {
  start: string | number;
  counts: Partial<LevelCounts>;
}

export interface Stats {
  from?: string | number;
  to?: string | number;
  bucketMs: number;
  buckets: StatsBucket[];
  totals: Partial<LevelCounts> & { all?: number };
  total?: number;
}

export interface Readiness {
  status: string;
  queue?: { depth?: number; capacity?: number };
  lastCommitAt?: string | number | null;
  [key: string]: unknown;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

const TOKEN_KEY = "batchlog.token";

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage unavailable (private mode): the token lives for this page only
    memoryToken = token;
  }
}

let memoryToken: string | null = null;
const currentToken = () => getToken() ?? memoryToken;

/** Asks the user for a token; resolves null when they cancel. Installed by the UI. */
type TokenPrompt = (reason: string) => Promise<string | null>;
let promptForToken: TokenPrompt = async () => null;
let pendingPrompt: Promise<string | null> | null = null;

export function setTokenPrompt(fn: TokenPrompt): void {
  promptForToken = fn;
}

/** Set when the user cancels the prompt: background calls (status polls, tail reconnects) then fail quietly. */
let promptDeclined = false;

/** One prompt at a time: concurrent 401s share it; none after a cancel until `allowTokenPrompt()`. */
export function requestToken(reason: string): Promise<string | null> {
  if (promptDeclined) return Promise.resolve(null);
  if (!pendingPrompt) {
    pendingPrompt = promptForToken(reason)
      .then((token) => {
        promptDeclined = token === null;
        return token;
      })
      .finally(() => {
        pendingPrompt = null;
      });
  }
  return pendingPrompt;
}

/** The user asked to sign in: the next 401 prompts again. */
export function allowTokenPrompt(): void {
  promptDeclined = false;
}

function errorMessage(body: unknown, fallback: string): string {
  if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    for (const key of ["message", "error", "detail"]) {
      const v = b[key];
      if (typeof v === "string" && v) return v;
      if (v && typeof v === "object" && typeof (v as { message?: unknown }).message === "string") {
        return (v as { message: string }).message;
      }
    }
  }
  if (typeof body === "string" && body.trim()) return body.trim().slice(0, 300);
  return fallback;
}

export async function getJson<T>(
  path: string,
  signal?: AbortSignal,
  opts: { okStatuses?: number[] } = {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = { accept: "application/json" };
    const token = currentToken();
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(path, { headers, signal });
    if (res.status === 401 && attempt < 5) {
      const next = await requestToken(
        token ? "That token was not accepted." : "This server requires a token.",
      );
      if (next === null) throw new HttpError(401, "Authentication required");
      setToken(next);
      continue;
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    if (!res.ok && !opts.okStatuses?.includes(res.status)) {
      throw new HttpError(res.status, errorMessage(body, `${res.status} ${res.statusText}`), body);
    }
    return body as T;
  }
}

/** Builds a URL with the token as a query parameter (EventSource cannot send headers). */
export function withToken(path: string): string {
  const token = currentToken();
  if (!token) return path;
  return `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
}

export function entryTime(e: { timestamp: string | number }): number {
  return typeof e.timestamp === "number" ? e.timestamp : Date.parse(e.timestamp);
}
