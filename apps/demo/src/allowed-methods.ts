// Which methods each registered path answers, so that a known path asked with another method gets
// 405 and an `Allow` header (RFC 9110) instead of a 404 that says the path does not exist.
import type { FastifyInstance } from "fastify";

/**
 * Records every route added after this call; returns the lookup by path (query string ignored).
 * A parametric route (`/api/logs/:id/context`) covers every path with a value in that segment.
 */
export function trackAllowedMethods(app: FastifyInstance): (url: string) => string[] | undefined {
  const byPath = new Map<string, Set<string>>();
  const patterns = new Map<string, RegExp>();
  app.addHook("onRoute", (route) => {
    const methods = byPath.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    byPath.set(route.url, methods);
    if (route.url.includes("/:")) patterns.set(route.url, patternOf(route.url));
  });
  return (url) => {
    const path = url.split("?")[0] as string;
    let methods = byPath.get(path);
    for (const [route, pattern] of patterns)
      if (methods === undefined && pattern.test(path)) methods = byPath.get(route);
    return methods === undefined ? undefined : [...methods].sort();
  };
}

function patternOf(route: string): RegExp {
  const segments = route
    .split("/")
    .map((s) => (s.startsWith(":") ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  return new RegExp(`^${segments.join("/")}$`);
}
