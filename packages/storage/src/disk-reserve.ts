import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, rmSync, statfsSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";

const CHUNK = 1024 * 1024;

/**
 * Space set aside next to the database (`<db>.reserve`) so that a full disk never becomes a
 * trap. SQLite can only reuse WAL space after a checkpoint has copied the WAL into the database
 * file, and that copy grows the database file: when the WAL is larger than the free space, the
 * checkpoint itself fails with SQLITE_FULL and every later write fails with it (FACTS.md).
 * Deleting this file frees enough room for that checkpoint; it is re-created as soon as there is
 * room again, before new entries can take that room.
 *
 * The file holds real, incompressible bytes (a sparse or all-zero file could reserve nothing).
 * It is synchronous on purpose: it runs in the writer thread, between batches.
 */
export class DiskReserve {
  readonly path: string;
  readonly bytes: number;
  readonly #dir: string;

  constructor(databasePath: string, bytes: number) {
    this.path = `${databasePath}.reserve`;
    this.bytes = bytes;
    this.#dir = dirname(databasePath);
  }

  /** True while the reserve file exists at its full size. */
  get held(): boolean {
    try {
      return statSync(this.path).size >= this.bytes;
    } catch {
      return false;
    }
  }

  /** Bytes the filesystem would give this process now; undefined where statfs fails. */
  freeBytes(): number | undefined {
    try {
      const stats = statfsSync(this.#dir);
      return stats.bavail * stats.bsize;
    } catch {
      return undefined;
    }
  }

  /**
   * Creates the reserve if it is missing and the volume has `bytes + headroom` free; returns
   * whether it is held afterwards. Never fails: a partial file (ENOSPC midway) is removed.
   */
  ensure(headroom = 0): boolean {
    if (this.bytes <= 0) return false;
    if (this.held) return true;
    let fd: number | undefined;
    try {
      if (existsSync(this.path)) rmSync(this.path, { force: true });
      if ((this.freeBytes() ?? 0) < this.bytes + headroom) return false;
      fd = openSync(this.path, "w");
      const chunk = randomBytes(Math.min(CHUNK, this.bytes));
      for (let written = 0; written < this.bytes; ) {
        written += writeSync(fd, chunk, 0, Math.min(chunk.length, this.bytes - written));
      }
      closeSync(fd);
      return true;
    } catch {
      // ENOSPC midway, a read-only or odd filesystem: no reserve, and never a half-written one.
      try {
        if (fd !== undefined) closeSync(fd);
        rmSync(this.path, { force: true });
      } catch {
        // nothing more to undo
      }
      return false;
    }
  }

  /** Deletes the reserve; returns the bytes it gave back (0 if it was not held). */
  release(): number {
    let size = 0;
    try {
      size = statSync(this.path).size;
    } catch {
      return 0;
    }
    try {
      rmSync(this.path, { force: true });
    } catch {
      return 0;
    }
    return size;
  }
}
