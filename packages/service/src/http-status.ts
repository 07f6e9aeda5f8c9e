import {
  QueryTimeoutError,
  QueueFullError,
  StorageClosedError,
  StorageUnavailableError,
  ValidationError,
  WriteTimeoutError,
} from "@batchlog/storage";
import { HttpError } from "./errors.js";

/** What an HTTP layer should answer for an error thrown by the service. */
export interface HttpErrorResponse {
  statusCode: number;
  code: string;
  /** Safe to send to the client: never a driver message (it could quote log contents). */
  message: string;
  /** Seconds for a `Retry-After` header (429 and 503). */
  retryAfterSeconds?: number;
}

/**
 * Maps any error from the service to a status: HttpError → its status; ValidationError → 400;
 * QueueFullError → 429 with Retry-After; StorageUnavailableError, StorageClosedError,
 * WriteTimeoutError → 503 with Retry-After; QueryTimeoutError → 504 without Retry-After (the same
 * query would time out again: it must be narrowed, not retried); anything else → 500 "internal error".
 */
export function toHttpError(error: unknown): HttpErrorResponse {
  if (error instanceof HttpError)
    return { statusCode: error.statusCode, code: error.code, message: error.message };
  if (error instanceof ValidationError) return { statusCode: 400, code: error.code, message: error.message };
  if (error instanceof QueueFullError) {
    return {
      statusCode: 429,
      code: error.code,
      message: error.message,
      retryAfterSeconds: Math.max(1, Math.ceil(error.retryAfterMs / 1000)),
    };
  }
  if (
    error instanceof StorageUnavailableError ||
    error instanceof StorageClosedError ||
    error instanceof WriteTimeoutError
  ) {
    return { statusCode: 503, code: error.code, message: error.message, retryAfterSeconds: 5 };
  }
  if (error instanceof QueryTimeoutError)
    return { statusCode: 504, code: error.code, message: error.message };
  return { statusCode: 500, code: "BATCHLOG_INTERNAL", message: "internal error" };
}
