/** The few logger methods the service calls; a pino logger fits as it is. */
export interface ServiceLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = () => {};

export const silentLogger: ServiceLogger = { debug: noop, info: noop, warn: noop, error: noop };
