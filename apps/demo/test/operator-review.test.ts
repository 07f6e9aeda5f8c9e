// What an operator's review of the running server found wrong: wrong methods on known paths,
// the shape of every error answer, and shutdown answers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request, startTestServer, type TestServer } from "./helpers/test-server.js";

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
});
afterAll(() => server.dispose());

describe("a wrong method on a known path", () => {
  it.each([
    ["PUT", "/api/logs", "GET, HEAD, POST"],
    ["DELETE", "/api/logs", "GET, HEAD, POST"],
    ["OPTIONS", "/api/logs", "GET, HEAD, POST"],
    ["POST", "/healthz", "GET, HEAD"],
    ["GET", "/loki/api/v1/push", "POST"],
    ["GET", "/v1/logs?x=1", "POST"],
    ["POST", "/metrics", "GET, HEAD"],
  ])("Should answer %s %s with 405 and Allow: %s", async (method, path, allow) => {
    const res = await request(base, path, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe(allow);
    expect(res.body).toEqual({
      error: `${method} is not allowed on ${path.split("?")[0]} (allowed: ${allow})`,
      code: "BATCHLOG_METHOD_NOT_ALLOWED",
    });
  });

  it("Should still answer 404 to a path that does not exist", async () => {
    const res = await request(base, "/api/nope", { method: "PUT" });
    expect(res.status).toBe(404);
    expect(res.headers.get("allow")).toBeNull();
    expect(res.body).toEqual({ error: "no route PUT /api/nope", code: "BATCHLOG_NOT_FOUND" });
  });
});
