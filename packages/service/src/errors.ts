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
 * 413: the body is larger than the limit once decompressed (`limitBytes`), or once its shared
 * labels are copied into each entry (`limitBytes`: 4× the body limit), or holds more entries than the storage
 * queue can ever hold at once (`limitEntries`; retrying would never succeed).
 */
export class PayloadTooLargeError extends HttpError {
  readonly limitBytes: number | undefined;
  readonly limitEntries: number | undefined;
  constructor(
    limit: number | { entries: number; received: number } | { queue: string } | { expanded: number },
  ) {
    super(413, "BATCHLOG_PAYLOAD_TOO_LARGE", describeLimit(limit));
    this.limitBytes = typeof limit === "number" ? limit : "expanded" in limit ? limit.expanded : undefined;
    this.limitEntries = typeof limit === "object" && "entries" in limit ? limit.entries : undefined;
  }
}

function describeLimit(limit: ConstructorParameters<typeof PayloadTooLargeError>[0]): string {
  if (typeof limit === "number") return `request body larger than ${limit} bytes (after decompression)`;
  if ("queue" in limit) return `request ${limit.queue}`;
  if ("expanded" in limit) {
    return (
      `request larger than ${limit.expanded} bytes once each entry carries its stream's labels ` +
      "(Loki) or its resource and scope attributes (OTLP): send fewer entries per request, or fewer shared labels"
    );
  }
  return `request holds ${limit.received} entries; the queue holds at most ${limit.entries}: split it`;
}

/** 404: what the request names does not exist (an entry id never stored, or deleted by retention). */
export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, "BATCHLOG_NOT_FOUND", message);
  }
}

/** 415: a Content-Type or Content-Encoding this route does not accept. */
export class UnsupportedMediaTypeError extends HttpError {
  constructor(message: string) {
    super(415, "BATCHLOG_UNSUPPORTED_MEDIA_TYPE", message);
  }
}
