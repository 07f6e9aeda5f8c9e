// Optional bearer-token check. Digests of equal length go through timingSafeEqual, so the
// comparison time says nothing about the token.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { sendError } from "./http-errors.js";

/** Routes open without a token: liveness, and the UI shell (it holds no data and asks for the token). */
const OPEN_ROUTES = new Set(["/healthz", "/"]);
/**
 * Routes that also accept `?token=`: EventSource cannot send headers, nor can a browser following
 * a download link.
 */
const QUERY_TOKEN_ROUTES = new Set(["/api/logs/tail", "/api/logs/export"]);

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

export function tokensEqual(expected: Buffer, given: string): boolean {
  return timingSafeEqual(expected, digest(given));
}

/** An onRequest hook that answers 401 unless the request carries `token`. */
export function bearerAuth(token: string) {
  const expected = digest(token);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url;
    if (route !== undefined && OPEN_ROUTES.has(route)) return;
    const given = presentedToken(request, route !== undefined && QUERY_TOKEN_ROUTES.has(route));
    if (given !== undefined && tokensEqual(expected, given)) return;
    // RFC 6750: a token that was given but is wrong is an "invalid_token".
    reply.header(
      "www-authenticate",
      given === undefined ? 'Bearer realm="batchlog"' : 'Bearer realm="batchlog", error="invalid_token"',
    );
    return sendError(
      reply,
      401,
      "BATCHLOG_UNAUTHORIZED",
      given === undefined ? "a bearer token is required" : "invalid token",
    );
  };
}

function presentedToken(request: FastifyRequest, allowQuery: boolean): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === "string") {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match) return match[1];
  }
  if (allowQuery) {
    const value = (request.query as Record<string, unknown> | undefined)?.token;
    if (typeof value === "string" && value.length > 0) return value;
  }
  return undefined;
}
