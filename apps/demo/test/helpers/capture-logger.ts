// A real pino logger whose NDJSON lines are parsed into `lines`, as an operator's pipeline reads them.
import { Writable } from "node:stream";
import { type Logger, pino } from "pino";

export function captureLogger<T extends { msg: string }>(
  lines: T[],
  level: "debug" | "info" = "info",
): Logger {
  return pino(
    { level },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split("\n")) if (line !== "") lines.push(JSON.parse(line) as T);
        done();
      },
    }),
  );
}
