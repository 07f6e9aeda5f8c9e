// Erasing entries by filter (DELETE /api/logs): what an operator reaches for when something was
// logged that must not stay (a user's data, a leaked secret). Same filters as a search; the
// service refuses a request that names nothing, and logs each erase (filters and count).
import type { LogService } from "@batchlog/service";
import type { FastifyInstance } from "fastify";
import { searchParamsOf } from "./query.js";

export async function deleteRoutes(app: FastifyInstance, { service }: { service: LogService }) {
  // The filters are in the query; a body is ignored, not parsed: clients that send
  // `Content-Type: application/json` on every request got a 400 for the empty body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: 64 * 1024 }, (_request, _body, done) =>
    done(null, undefined),
  );
  app.delete("/api/logs", async (request) => {
    const { deleted, lastId, to } = await service.deleteEntries(searchParamsOf(request));
    return { deleted, lastId, ...(to !== null && { to }) };
  });
}
