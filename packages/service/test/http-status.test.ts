import {
  ConfigError,
  QueryTimeoutError,
  QueueFullError,
  StorageClosedError,
  StorageUnavailableError,
  ValidationError,
  WriteTimeoutError,
} from "@batchlog/storage";
import { describe, expect, it } from "vitest";
import {
  BadRequestError,
  PayloadTooLargeError,
  toHttpError,
  UnsupportedMediaTypeError,
} from "../src/index.js";

describe("toHttpError", () => {
  it.each([
    [new BadRequestError("q: bad", { param: "q" }), 400, "BATCHLOG_BAD_REQUEST", undefined],
    [new PayloadTooLargeError(1024), 413, "BATCHLOG_PAYLOAD_TOO_LARGE", undefined],
    [new PayloadTooLargeError({ entries: 5, received: 9 }), 413, "BATCHLOG_PAYLOAD_TOO_LARGE", undefined],
    [new UnsupportedMediaTypeError("nope"), 415, "BATCHLOG_UNSUPPORTED_MEDIA_TYPE", undefined],
    [new ValidationError("message", "too long"), 400, "BATCHLOG_VALIDATION", undefined],
    [new QueueFullError(100, 2500), 429, "BATCHLOG_QUEUE_FULL", 3],
    [new QueueFullError(100, 10), 429, "BATCHLOG_QUEUE_FULL", 1],
    [new StorageUnavailableError("disk gone"), 503, "BATCHLOG_UNAVAILABLE", 5],
    [new StorageClosedError(), 503, "BATCHLOG_CLOSED", 5],
    [new WriteTimeoutError(30_000, true), 503, "BATCHLOG_WRITE_TIMEOUT", 5],
    [new QueryTimeoutError(30_000, true), 504, "BATCHLOG_QUERY_TIMEOUT", undefined],
    [new QueryTimeoutError(30_000, false), 504, "BATCHLOG_QUERY_TIMEOUT", undefined],
  ])("%s → %d %s", (error, statusCode, code, retryAfterSeconds) => {
    const response = toHttpError(error);
    expect(response).toMatchObject({ statusCode, code, message: (error as Error).message });
    expect(response.retryAfterSeconds).toBe(retryAfterSeconds);
  });

  it("hides anything else behind a 500 without its message", () => {
    for (const error of [
      new Error("SQLITE_CORRUPT: row 'secret log line'"),
      new ConfigError([]),
      "a string",
      null,
    ]) {
      expect(toHttpError(error)).toEqual({
        statusCode: 500,
        code: "BATCHLOG_INTERNAL",
        message: "internal error",
      });
    }
  });
});
