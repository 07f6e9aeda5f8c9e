import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { DiskReserve } from "../../src/disk-reserve.js";
import { filePathOf } from "../../src/file-url.js";
import { openLogStorage } from "../../src/index.js";
import { captureLogs } from "../helpers/log-capture.js";
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

describe("the disk reserve in health() and stats()", () => {
  it("reports it held, missing once its file is gone (status unchanged), and held again after the writer re-creates it", async () => {
    const url = temp.url("health.db");
    const reservePath = `${filePathOf(url)}.reserve`;
    const s = await openLogStorage({ url, diskReserveBytes: 1024 * 1024 });
    try {
      expect(s.health()).toMatchObject({ status: "ok", diskReserve: "held" });
      expect(s.stats().diskReserveBytes).toBe(1024 * 1024);
      rmSync(reservePath);
      expect(s.health()).toMatchObject({ status: "ok", diskReserve: "missing" });
      expect(s.stats().diskReserveBytes).toBe(0);
      // the writer re-creates a missing reserve after a successful write, when there is room
      await s.store({ message: "x" });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await s.store({ message: "y" });
      expect(s.health().diskReserve).toBe("held");
    } finally {
      await s.close();
    }
  });

  it("warns at open when the volume has no room for it, and reports it off when disabled", async () => {
    const { logger, messages } = captureLogs();
    const huge = 2 ** 50; // 1 PiB: more than any test volume has free
    const s = await openLogStorage({ url: temp.url("huge.db"), diskReserveBytes: huge, logger });
    try {
      expect(s.health()).toMatchObject({ status: "ok", diskReserve: "missing" });
      const warned = messages(
        "disk reserve could not be created: a full disk would stop writes until space is freed",
      );
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatchObject({ bytes: huge, freeBytes: expect.any(Number) });
    } finally {
      await s.close();
    }
    const off = await openLogStorage({ url: temp.url("off.db"), diskReserveBytes: 0 });
    expect(off.health().diskReserve).toBe("off");
    expect(off.stats().diskReserveBytes).toBeNull();
    await off.close();
    const direct = await openLogStorage({ url: temp.url("direct.db"), implementation: "direct" });
    expect(direct.health().diskReserve).toBe("off");
    await direct.close();
  });
});
