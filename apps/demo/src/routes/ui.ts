// The web UI: one self-contained HTML file built by Vite into apps/demo/ui/dist (see build:ui).
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { sendError } from "../http-errors.js";

/** Same relative path from src/ (tsx, tests) and from dist/ (the build). */
export const UI_FILE = fileURLToPath(new URL("../../ui/dist/index.html", import.meta.url));

export async function uiRoutes(app: FastifyInstance, { file = UI_FILE }: { file?: string } = {}) {
  let html: Buffer | undefined;
  app.get("/", async (_request, reply) => {
    try {
      html ??= await readFile(file);
    } catch {
      return sendError(
        reply,
        503,
        "BATCHLOG_UI_NOT_BUILT",
        "the UI is not built: run `pnpm --filter @batchlog/demo build`",
      );
    }
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer")
      .send(html);
  });
}
