import { resolve } from "node:path";
import { ConfigError } from "./errors.js";

/** `file:`, an optional `//authority`, the path, an optional `?query` and `#fragment` (as @libsql/client splits it). */
const FILE_URL =
  /^file:(?:\/\/(?<authority>[^/?#]*))?(?<path>[^?#]*)(?:\?(?<query>[^#]*))?(?:#(?<fragment>.*))?$/s;

/**
 * The filesystem path of a `file:` URL: the one file that the client (migrations), the writer,
 * the checkpointer and the reader processes all open. It reads the URL as @libsql/client does
 * (measured on real files): the path's percent-escapes are decoded (`%41` is `A`, `%20` a space,
 * `%25` a `%`, `%23` a `#`); `file://localhost/p` is `/p`, another host is refused; a fragment is
 * refused, and so is a query (`?mode=ro` was dropped without a word: every connection here opens
 * the file read-write). A relative path (`file:./data/x.db`, `file:data/x.db`) is relative
 * to the working directory. What no file can be (`:memory:`, an empty path) is a ConfigError.
 */
export function filePathOf(url: string): string {
  const parts = FILE_URL.exec(url)?.groups;
  if (parts === undefined) throw urlError(url, "is not a file: URL");
  const { authority, path, query, fragment } = parts;
  if (authority !== undefined && !["", "localhost"].includes(authority.toLowerCase())) {
    throw urlError(
      url,
      `names the host "${authority}", which is not a local file: write file:/absolute/path.db, file:///absolute/path.db or file:./relative/path.db`,
    );
  }
  // @libsql/client refuses a fragment; reading the path up to it would open another file
  if (fragment !== undefined)
    throw urlError(url, "has a # (a URL fragment): write a # in a file name as %23");
  if (query !== undefined && query !== "") {
    throw urlError(
      url,
      "has a ?query, which batchlog does not apply (it opens the file read-write, with its own pragmas): remove it, and write a ? in a file name as %3F",
    );
  }
  const decoded = decodePath(url, path ?? "");
  if (decoded === "" || decoded.endsWith("/")) {
    throw urlError(
      url,
      "names no database file: pass one, e.g. file:./data/batchlog.db or file:/var/lib/batchlog/batchlog.db",
    );
  }
  // each connection would open a database of its own: the writer's entries would be invisible
  if (decoded === ":memory:") {
    throw urlError(
      url,
      "an in-memory database is not supported (the writer, the readers and the migrations each open a connection, and each would get its own empty database): pass a file, e.g. file:/tmp/batchlog.db",
    );
  }
  return resolve(decoded);
}

/**
 * The URL @libsql/client decodes back to exactly `path` (an absolute path): passing
 * `file:${path}` instead would read a `%`, `#` or `?` in a file name as URL syntax, and the client
 * would open another file than the native connections.
 */
export function clientFileUrl(path: string): string {
  return `file:${path.split("/").map(encodeURIComponent).join("/")}`;
}

function decodePath(url: string, path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw urlError(url, "has an invalid percent-escape: write a % in a file name as %25");
  }
}

function urlError(url: string, message: string): ConfigError {
  return new ConfigError([{ field: "url", message: `${url} ${message}` }]);
}
