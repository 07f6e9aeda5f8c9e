import type { LogEntry, LogStorage } from "@batchlog/storage";
import { afterAll, afterEach } from "vitest";
import { createLogService, type LogService, type LogServiceOptions } from "../../src/index.js";
import { type Implementation, openTempStorage, type TempStorage } from "./temp-storage.js";

export interface ServiceFixture extends TempStorage {
  service: LogService;
}

export async function openService(
  implementation: Implementation,
  options: Omit<LogServiceOptions, "storage"> = {},
  config: Parameters<typeof openTempStorage>[1] = {},
): Promise<ServiceFixture> {
  const temp = await openTempStorage(implementation, config);
  const service = createLogService({ storage: temp.storage, ...options });
  return {
    ...temp,
    service,
    async dispose() {
      await service.close();
      await temp.dispose();
    },
  };
}

/** Every stored entry, oldest first (by id), read back through the storage's own search. */
export async function allEntries(storage: LogStorage): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.search(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
    entries.push(...page.entries);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return entries.sort((a, b) => a.id - b.id);
}

export const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/**
 * The fixtures of one describe block: `open()` gives a fresh service for one test (disposed after
 * it), `refusing()` one shared by the tests whose requests are refused whole and store nothing.
 */
export function useServiceFixtures(impl: Implementation): {
  open: (
    options?: Parameters<typeof openService>[1],
    config?: Parameters<typeof openService>[2],
  ) => Promise<ServiceFixture>;
  refusing: () => Promise<ServiceFixture>;
} {
  let current: ServiceFixture | undefined;
  let shared: ServiceFixture | undefined;
  afterEach(async () => {
    await current?.dispose();
    current = undefined;
  });
  afterAll(async () => shared?.dispose());
  return {
    open: async (options, config) => {
      current = await openService(impl, options, config);
      return current;
    },
    refusing: async () => {
      shared ??= await openService(impl);
      return shared;
    },
  };
}
