import { TextDecoder } from "node:util";
import { UnsupportedMediaTypeError } from "./errors.js";

/**
 * The text of a request body. Bytes that are not valid UTF-8 become U+FFFD, as Loki (Go) stores
 * them: refusing the body would lose a whole shipper batch to one Latin-1 byte in a tailed file
 * (promtail, Alloy and Vector drop a batch answered 400). A `charset` other than UTF-8 is decoded
 * as declared (utf-16, iso-8859-1, shift_jis…); one the runtime does not know is a 415. A leading
 * byte-order mark is dropped.
 */
export function bodyText(body: Uint8Array, contentType: string | undefined): string {
  return decoderFor(charsetOf(contentType)).decode(body);
}

const utf8 = new TextDecoder("utf-8");
const decoders = new Map<string, TextDecoder>();

function decoderFor(charset: string | undefined): TextDecoder {
  if (charset === undefined || charset === "utf-8" || charset === "utf8") return utf8;
  let decoder = decoders.get(charset);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(charset);
    } catch {
      throw new UnsupportedMediaTypeError(
        `unsupported charset "${charset.slice(0, 40)}" in Content-Type: send UTF-8`,
      );
    }
    // labels are few (each names one of ~40 encodings); the map cannot grow past them
    decoders.set(decoder.encoding, decoder);
    decoders.set(charset, decoder);
  }
  return decoder;
}

/** The `charset` parameter of a Content-Type, lower-cased, quotes removed; undefined when absent. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const match = contentType?.match(/;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i);
  const value = (match?.[1] ?? match?.[2])?.trim().toLowerCase();
  return value === undefined || value.length === 0 ? undefined : value;
}
