// What a web page in the operator's browser must not be able to do to a batchlog it can reach:
// - cross-site writes (CSRF): a page may POST `text/plain` (no preflight) to http://127.0.0.1:8080,
//   so with auth off it could forge log entries or erase them. Browsers name the page's origin in
//   `Origin` on such requests, and shippers send none: a write whose Origin is another site's is
//   refused (the UI's own requests are same-origin).
// - DNS rebinding: a page whose name is made to resolve to 127.0.0.1 reads the API as its own
//   origin, Host and all. With auth off and the server on a loopback address (the default), a Host
//   that is not a loopback name or the configured host is refused; behind a proxy that keeps its
//   own Host, set a token (a rebinding page cannot know it).
import type { FastifyReply, FastifyRequest } from "fastify";
import { sendError } from "./http-errors.js";

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Whether a Host header's name is this machine's loopback (or the address listened on). */
function loopbackName(hostname: string, listenHost: string): boolean {
  const name = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return (
    name === "localhost" ||
    name.endsWith(".localhost") ||
    name === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) ||
    name === listenHost.toLowerCase().replace(/^\[|\]$/g, "")
  );
}

function hostnameOf(hostHeader: string): string | undefined {
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return undefined;
  }
}

/** An onRequest hook refusing cross-site writes always, and foreign Host names when it is open to them. */
export function browserGuard({ listenHost, authenticated }: { listenHost: string; authenticated: boolean }) {
  // on 0.0.0.0 or a LAN address the operator exposed it on purpose, under any name
  const checkHost = !authenticated && loopbackName(listenHost, "localhost");
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const host = request.headers.host ?? "";
    // liveness reveals nothing: a probe may call it by any name. No Host at all (HTTP/1.0
    // clients) is no browser: browsers always send one.
    if (checkHost && host !== "" && request.url !== "/healthz") {
      const name = hostnameOf(host);
      if (name === undefined || !loopbackName(name, listenHost)) {
        return sendError(
          reply,
          403,
          "BATCHLOG_FORBIDDEN_HOST",
          `Host "${host.slice(0, 80)}" is not this server's: with no token set, a server on ${listenHost} answers only loopback names (set BATCHLOG_TOKEN to serve others, e.g. behind a proxy that keeps its Host)`,
        );
      }
    }
    const origin = request.headers.origin;
    if (origin !== undefined && UNSAFE_METHODS.has(request.method) && !sameSite(origin, host)) {
      return sendError(
        reply,
        403,
        "BATCHLOG_CROSS_SITE",
        `a ${request.method} from a web page of another site (Origin ${origin.slice(0, 80)}) is refused`,
      );
    }
  };
}

function sameSite(origin: string, host: string): boolean {
  if (origin === "null") return false;
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}
