// Real, unmodified shipper libraries pointed at the running server; entries are read back through
// GET /api/logs with the level, source, message and fields they should map to.
import { SeverityNumber } from "@opentelemetry/api-logs";
import { OTLPLogExporter as OtlpHttpExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as OtlpProtoExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { pino } from "pino";
import { pinoLoki } from "pino-loki";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import winston from "winston";
import LokiTransport from "winston-loki";
import {
  eventually,
  search,
  startTestServer,
  type TestServer,
  type WireEntry,
} from "./helpers/test-server.js";

let server: TestServer;
let base: string;
/** Every request the server saw, to assert what the clients really sent. */
const seen: {
  url: string;
  contentType?: string;
  contentEncoding?: string;
  contentLength?: string;
  transferEncoding?: string;
}[] = [];

beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
  server.fastify.server.on("request", (request: import("node:http").IncomingMessage) => {
    seen.push({
      url: request.url ?? "",
      contentType: request.headers["content-type"],
      contentEncoding: request.headers["content-encoding"],
      contentLength: request.headers["content-length"],
      transferEncoding: request.headers["transfer-encoding"],
    });
  });
});
afterAll(() => server.dispose());

const bySource = (source: string, count: number) =>
  eventually(
    async () => {
      const entries = await search(base, { source });
      return entries.length >= count ? entries : undefined;
    },
    15_000,
    `${count} entries from ${source}`,
  );

const find = (entries: WireEntry[], text: string) => {
  const entry = entries.find((e) => e.message.includes(text));
  if (!entry)
    throw new Error(`no entry containing "${text}" in ${JSON.stringify(entries.map((e) => e.message))}`);
  return entry;
};

describe("pino-loki (JSON push)", () => {
  it("Should store pino lines with pino-loki's level label and the app label as source", async () => {
    const stream = pinoLoki({ host: base, batching: false, labels: { app: "pino-app", env: "test" } });
    const logger = pino({ level: "debug" }, stream);
    logger.info({ orderId: "o-1" }, "order created");
    logger.warn("stock low");
    logger.error(new Error("card declined"), "payment failed");
    logger.debug("cache miss");
    const entries = await bySource("pino-app", 4);
    expect(find(entries, "order created")).toMatchObject({
      level: "info",
      source: "pino-app",
      fields: { app: "pino-app", env: "test" },
    });
    expect(find(entries, "order created").message).toContain('"orderId":"o-1"');
    expect(find(entries, "stock low").level).toBe("warn");
    expect(find(entries, "payment failed").level).toBe("error");
    expect(find(entries, "payment failed").message).toContain("card declined");
    expect(find(entries, "cache miss").level).toBe("debug");
    expect(
      seen.some((s) => s.url === "/loki/api/v1/push" && s.contentType?.startsWith("application/json")),
    ).toBe(true);
  });
});

describe("winston-loki", () => {
  it("Should store entries sent in its default mode (snappy-compressed protobuf)", async () => {
    const before = seen.length;
    const transport = new LokiTransport({ host: base, labels: { app: "winston-proto" }, batching: false });
    const logger = winston.createLogger({ level: "debug", transports: [transport] });
    logger.info("user signed in", { userId: "u-7" });
    logger.warn("password expires soon", { labels: { region: "eu" } });
    logger.error("db connection lost");
    const entries = await bySource("winston-proto", 3);
    expect(find(entries, "user signed in")).toMatchObject({
      level: "info",
      source: "winston-proto",
      fields: { app: "winston-proto" },
    });
    expect(find(entries, "user signed in").message).toContain('"userId":"u-7"');
    expect(find(entries, "password expires soon")).toMatchObject({ level: "warn", fields: { region: "eu" } });
    expect(find(entries, "db connection lost").level).toBe("error");
    const pushes = seen.slice(before).filter((s) => s.url === "/loki/api/v1/push");
    expect(pushes.length).toBeGreaterThan(0);
    expect(
      pushes.every((s) => s.contentType === "application/x-protobuf" && s.contentEncoding === undefined),
    ).toBe(true);
    logger.close();
  });

  it("Should store entries sent with json: true", async () => {
    const before = seen.length;
    const transport = new LokiTransport({
      host: base,
      labels: { app: "winston-json" },
      json: true,
      batching: false,
    });
    const logger = winston.createLogger({ level: "debug", transports: [transport] });
    logger.info("json mode hello", { requestId: "r-1" });
    logger.error("json mode failure");
    const entries = await bySource("winston-json", 2);
    expect(find(entries, "json mode hello")).toMatchObject({
      level: "info",
      source: "winston-json",
      fields: { app: "winston-json" },
    });
    expect(find(entries, "json mode failure").level).toBe("error");
    const pushes = seen.slice(before).filter((s) => s.url === "/loki/api/v1/push");
    expect(pushes.every((s) => s.contentType === "application/json")).toBe(true);
    logger.close();
  });
});

describe("OpenTelemetry OTLP/HTTP log exporters", () => {
  const emitAll = async (exporter: OtlpHttpExporter | OtlpProtoExporter, service: string) => {
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ "service.name": service, "deployment.environment": "test" }),
      processors: [new BatchLogRecordProcessor({ exporter })],
    });
    const logger = provider.getLogger("checkout-scope", "1.2.3");
    logger.emit({
      severityNumber: SeverityNumber.INFO,
      severityText: "INFO",
      body: "otel info line",
      attributes: { "http.status_code": 200, user: "ada" },
    });
    logger.emit({ severityNumber: SeverityNumber.WARN2, body: "otel warn line", attributes: { retries: 2 } });
    logger.emit({
      severityNumber: SeverityNumber.ERROR,
      body: "otel error line",
      attributes: { "exception.type": "TimeoutError" },
    });
    logger.emit({ severityNumber: SeverityNumber.FATAL, body: "otel fatal line" });
    logger.emit({ severityNumber: SeverityNumber.TRACE, body: "otel trace line" });
    logger.emit({ eventName: "cart.viewed", attributes: { sku: "A1" } }); // an event: no body
    await provider.forceFlush();
    await provider.shutdown();
  };

  const checkEntries = async (service: string) => {
    const entries = await bySource(service, 6);
    expect(find(entries, "otel info line")).toMatchObject({
      level: "info",
      source: service,
      message: "otel info line",
      fields: { "http.status_code": 200, user: "ada", "deployment.environment": "test" },
    });
    expect(find(entries, "otel warn line")).toMatchObject({ level: "warn", fields: { retries: 2 } });
    expect(find(entries, "otel error line")).toMatchObject({
      level: "error",
      fields: { "exception.type": "TimeoutError" },
    });
    expect(find(entries, "otel fatal line").level).toBe("fatal");
    expect(find(entries, "otel trace line").level).toBe("trace");
    expect(entries.find((e) => e.fields?.event_name === "cart.viewed")).toMatchObject({
      message: "",
      fields: { sku: "A1" },
    });
  };

  it("Should store records from exporter-logs-otlp-http (JSON, chunked without Content-Length)", async () => {
    const before = seen.length;
    await emitAll(new OtlpHttpExporter({ url: `${base}/v1/logs` }), "otel-http-json");
    await checkEntries("otel-http-json");
    const posts = seen.slice(before).filter((s) => s.url === "/v1/logs");
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.every((s) => s.contentType === "application/json")).toBe(true);
    expect(posts.some((s) => s.contentLength === undefined && s.transferEncoding === "chunked")).toBe(true);
  });

  it("Should store records from exporter-logs-otlp-http with gzip compression", async () => {
    const before = seen.length;
    await emitAll(
      new OtlpHttpExporter({ url: `${base}/v1/logs`, compression: "gzip" as never }),
      "otel-http-gzip",
    );
    await checkEntries("otel-http-gzip");
    expect(seen.slice(before).some((s) => s.url === "/v1/logs" && s.contentEncoding === "gzip")).toBe(true);
  });

  it("Should store records from exporter-logs-otlp-proto (protobuf)", async () => {
    const before = seen.length;
    await emitAll(new OtlpProtoExporter({ url: `${base}/v1/logs` }), "otel-proto");
    await checkEntries("otel-proto");
    const posts = seen.slice(before).filter((s) => s.url === "/v1/logs");
    expect(posts.every((s) => s.contentType === "application/x-protobuf")).toBe(true);
  });
});
