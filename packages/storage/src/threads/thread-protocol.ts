/** An error carried across a thread boundary: the driver's codes, and a ValidationError's field. */
export interface ThreadErrorInfo {
  message: string;
  code?: string | undefined;
  rawCode?: number | undefined;
  /** The error class's name (e.g. "ValidationError"), so that the caller can rebuild it. */
  name?: string | undefined;
  field?: string | undefined;
}

export type ThreadRequest = { seq: number; op: string } & Record<string, unknown>;

export type ThreadResponse =
  | { seq: number; ok: true; value: unknown }
  | { seq: number; ok: false; error: ThreadErrorInfo };

/** Posted once by a thread when it is ready (its connection open) or could not start. */
export type ThreadReady = { ready: true } | { ready: false; error: ThreadErrorInfo };

export function toThreadErrorInfo(error: unknown): ThreadErrorInfo {
  if (!(error instanceof Error)) return { message: String(error) };
  const e = error as Error & { code?: unknown; rawCode?: unknown; field?: unknown };
  const info: ThreadErrorInfo = { message: e.message, name: e.name };
  if (typeof e.code === "string") info.code = e.code;
  if (typeof e.rawCode === "number") info.rawCode = e.rawCode;
  if (typeof e.field === "string") info.field = e.field;
  return info;
}

/** A driver failure carried back from a database thread, with its SQLite codes. */
export class DriverThreadError extends Error {
  readonly code: string | undefined;
  readonly rawCode: number | undefined;
  constructor(info: ThreadErrorInfo) {
    super(info.message);
    this.code = info.code;
    this.rawCode = info.rawCode;
  }
}
