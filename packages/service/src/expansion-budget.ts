import { PayloadTooLargeError } from "./errors.js";

/**
 * Bounds what a request grows to once each entry carries its own copy of what was sent once for
 * many: a Loki stream's labels, an OTLP resource's and scope's attributes. Without it a 4 MB OTLP
 * body (20,000 resource attributes over 5,000 records) built 100 million properties and ran the
 * server out of memory. The limit is EXPANSION_FACTOR × the body limit: an OTel Collector's
 * default batch (8,192 records) under a Kubernetes resource of 1–1.5 KB expands to 8–12 MB, and
 * a 413 is not retried (the batch is lost), so ordinary batches must fit with room to spare.
 */
export const EXPANSION_FACTOR = 4;

export class ExpansionBudget {
  readonly #maxBytes: number;
  #left: number;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
    this.#left = maxBytes;
  }

  /** Counts one more copy of `bytes` of shared fields; a PayloadTooLargeError (413) past the limit. */
  charge(bytes: number): void {
    this.#left -= bytes;
    if (this.#left < 0) throw new PayloadTooLargeError({ expanded: this.#maxBytes });
  }
}

/** The size of shared fields as every entry would hold them (JSON; UTF-16 units, close enough). */
export function sharedBytes(fields: Record<string, unknown>): number {
  return JSON.stringify(fields).length;
}
