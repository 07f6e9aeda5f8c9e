import { existsSync, readFileSync, statSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { DiskReserve } from "../../src/disk-reserve.js";
import { makeTempDir } from "../helpers/temp-dir.js";

const temp = makeTempDir("batchlog-reserve-");
afterAll(() => temp.cleanup());

describe("DiskReserve", () => {
  it("creates <db>.reserve with real, incompressible bytes, once; release() deletes it and reports its size", () => {
    const reserve = new DiskReserve(temp.path("a.db"), 3 * 1024 * 1024 + 123);
    expect(reserve.path).toBe(temp.path("a.db.reserve"));
    expect(reserve.held).toBe(false);
    expect(reserve.ensure()).toBe(true);
    expect(statSync(reserve.path).size).toBe(3 * 1024 * 1024 + 123);
    // Not sparse and not zeros: a filesystem with compression could otherwise reserve nothing.
    const sample = readFileSync(reserve.path).subarray(0, 65536);
    expect(new Set(sample).size).toBeGreaterThan(250);
    expect(statSync(reserve.path).blocks * 512).toBeGreaterThanOrEqual(3 * 1024 * 1024);
    const mtime = statSync(reserve.path).mtimeMs;
    expect(reserve.ensure()).toBe(true);
    expect(statSync(reserve.path).mtimeMs).toBe(mtime);

    expect(reserve.release()).toBe(3 * 1024 * 1024 + 123);
    expect(existsSync(reserve.path)).toBe(false);
    expect(reserve.release()).toBe(0);
  });

  it("is not created without room for it plus the headroom asked, and never throws", () => {
    const reserve = new DiskReserve(temp.path("b.db"), 1024 * 1024);
    expect(reserve.ensure(reserve.freeBytes())).toBe(false);
    expect(existsSync(reserve.path)).toBe(false);
    const nowhere = new DiskReserve(temp.path("missing-dir/c.db"), 1024 * 1024);
    expect(nowhere.ensure()).toBe(false);
    expect(nowhere.release()).toBe(0);
  });
});
