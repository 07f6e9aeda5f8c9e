import type { LogEntry, LogStorage } from "@batchlog/storage";
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
