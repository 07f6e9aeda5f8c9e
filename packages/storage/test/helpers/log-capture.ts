import { Writable } from "node:stream";
import pino, { type Logger } from "pino";

export interface CapturedLog {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A real pino logger whose JSON lines are parsed into `lines` (synchronously, in order). */
export function captureLogs(): {
  logger: Logger;
  lines: CapturedLog[];
  messages: (msg: string) => CapturedLog[];
} {
  const lines: CapturedLog[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line));
      callback();
    },
  });
  const logger = pino({ level: "debug" }, stream);
  return { logger, lines, messages: (msg) => lines.filter((l) => l.msg === msg) };
}
