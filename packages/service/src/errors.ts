/**
 * Errors the HTTP layer turns into a status code as they are: each carries `statusCode` and a
 * stable `code`, and its message is safe to show to the client (it never quotes stored data).
 */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.statusCode = statusCode;
    this.code = code;
  }
}

/** 400: the request is malformed. `param` names the query parameter or body part at fault. */
export class BadRequestError extends HttpError {
  readonly param: string | undefined;
  constructor(message: string, options?: { param?: string; cause?: unknown }) {
    super(
      400,
      "BATCHLOG_BAD_REQUEST",
      message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.param = options?.param;
  }
}

/**
 * 413: the body is larger than the limit once decompressed (`limitBytes`), or holds more entries
 * than the storage queue can ever hold at once (`limitEntries`; retrying would never succeed).
 */
export class PayloadTooLargeError extends HttpError {
  readonly limitBytes: number | undefined;
  readonly limitEntries: number | undefined;
  constructor(limit: number | { entries: number; received: number } | { queue: string }) {
    super(
      413,
      "BATCHLOG_PAYLOAD_TOO_LARGE",
      typeof limit === "number"
        ? `request body larger than ${limit} bytes (after decompression)`
        : "queue" in limit
          ? `request ${limit.queue}`
          : `request holds ${limit.received} entries; the queue holds at most ${limit.entries}: split it`,
    );
    this.limitBytes = typeof limit === "number" ? limit : undefined;
    this.limitEntries = typeof limit === "number" || "queue" in limit ? undefined : limit.entries;
  }
}

/** 415: a Content-Type or Content-Encoding this route does not accept. */
export class UnsupportedMediaTypeError extends HttpError {
  constructor(message: string) {
    super(415, "BATCHLOG_UNSUPPORTED_MEDIA_TYPE", message);
  }
}
