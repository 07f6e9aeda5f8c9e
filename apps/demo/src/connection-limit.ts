// Caps the HTTP connections open at once. Past the cap Node closes each new connection as soon
// as it is accepted (`server.maxConnections`), before reading anything: the client sees a reset
// and retries, as shippers do on network errors. A 503 would need the request read first, which
// is the cost the cap is there to refuse. Live-tail streams count (config keeps their own cap
// below this one, so ingest still gets in when every stream slot is taken).
import type { Server } from "node:net";
import type { Logger } from "pino";
import { LogThrottle } from "./log-throttle.js";

/** Sets the cap and logs refused connections, at most once a minute with how many were left out. */
export function limitConnections(server: Server, maxConnections: number, logger: Logger): void {
  server.maxConnections = maxConnections;
  const throttle = new LogThrottle(60_000);
  server.on("drop", () => {
    const occurrence = throttle.take("drop");
    if (occurrence === undefined) return;
    logger.warn(
      { maxConnections, suppressed: occurrence.suppressed },
      "connection closed unanswered: maxConnections are open (batchlog_http_connections_dropped_total)",
    );
  });
}
