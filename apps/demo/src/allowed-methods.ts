// Which methods each registered path answers, so that a known path asked with another method gets
// 405 and an `Allow` header (RFC 9110) instead of a 404 that says the path does not exist.
import type { FastifyInstance } from "fastify";

/** Records every route added after this call; returns the lookup by path (query string ignored). */
export function trackAllowedMethods(app: FastifyInstance): (url: string) => string[] | undefined {
  const byPath = new Map<string, Set<string>>();
  app.addHook("onRoute", (route) => {
    const methods = byPath.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    byPath.set(route.url, methods);
  });
  return (url) => {
    const methods = byPath.get(url.split("?")[0] as string);
    return methods === undefined ? undefined : [...methods].sort();
  };
}
