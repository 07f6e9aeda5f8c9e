import { accessSync, constants, existsSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Throws, naming the path, when this process could not write the database at `path`. SQLite opens
 * a file it may only read in read-only mode without a word, so the server would start, report
 * ready and refuse every write; and a directory it may not write fails with "unable to open
 * connection: 14" (SQLITE_CANTOPEN). The directory holds the -wal, -shm and reserve files too.
 */
export function assertWritable(path: string): void {
  const directory = dirname(path);
  check(directory, constants.W_OK | constants.X_OK, "directory");
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(file)) check(file, constants.R_OK | constants.W_OK, "file");
  }
}

function check(path: string, mode: number, what: "directory" | "file"): void {
  try {
    accessSync(path, mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new Error(`the ${what} ${path} is not writable by this process (${code})`);
  }
}
