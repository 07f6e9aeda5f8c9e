import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { LogEntry } from "@batchlog/storage";
import { afterEach, describe, expect, it } from "vitest";
import { compileTailFilter, createLogService } from "../src/index.js";
import { eventually } from "./helpers/eventually.js";
import { allEntries, json, openService, type ServiceFixture } from "./helpers/service.js";
import { IMPLEMENTATIONS } from "./helpers/temp-storage.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

const entry = (over: Partial<LogEntry>): LogEntry => ({
  id: 1,
  timestamp: new Date(1000),
  level: "info",
  source: "api",
  message: "Disk FULL on /var",
  fields: { host: "h1", n: 5, ok: true, tags: ["a"] },
  ...over,
});

describe("compileTailFilter", () => {
  it("matches each criterion and their conjunction", () => {
    const e = entry({});
    expect(compileTailFilter({})(e)).toBe(true);
    expect(compileTailFilter({ levels: ["warn", "info"] })(e)).toBe(true);
    expect(compileTailFilter({ levels: ["warn"] })(e)).toBe(false);
    expect(compileTailFilter({ minLevel: "info" })(e)).toBe(true);
    expect(compileTailFilter({ minLevel: "warn" })(e)).toBe(false);
    expect(compileTailFilter({ levels: ["debug", "info"], minLevel: "warn" })(e)).toBe(false);
    expect(compileTailFilter({ sources: ["worker", "api"] })(e)).toBe(true);
    expect(compileTailFilter({ sources: ["worker"] })(e)).toBe(false);
    expect(compileTailFilter({ text: "disk full" })(e)).toBe(true);
    expect(compileTailFilter({ text: "disk empty" })(e)).toBe(false);
    expect(compileTailFilter({ fields: { host: "h1", n: "5", ok: "true" } })(e)).toBe(true);
    expect(compileTailFilter({ fields: { host: "h2" } })(e)).toBe(false);
    expect(compileTailFilter({ fields: { missing: "" } })(e)).toBe(false);
    expect(compileTailFilter({ fields: { tags: '["a"]' } })(e)).toBe(true);
    expect(compileTailFilter({ notFields: { host: ["h2", "h1"] } })(e)).toBe(false);
    expect(compileTailFilter({ notFields: { n: ["4"], ok: ["false"] } })(e)).toBe(true);
    expect(compileTailFilter({ notFields: { n: ["5"] } })(e)).toBe(false);
    expect(compileTailFilter({ notFields: { missing: ["", "x"] } })(e)).toBe(true);
    expect(compileTailFilter({ from: new Date(1000), to: new Date(1001) })(e)).toBe(true);
    expect(compileTailFilter({ to: new Date(1000) })(e)).toBe(false);
    expect(
      compileTailFilter({ levels: ["info"], sources: ["api"], text: "var", fields: { host: "h2" } })(e),
    ).toBe(false);
  });
});

describe.each(IMPLEMENTATIONS)("live tail on %s storage", (impl) => {
  let fx: ServiceFixture;
  afterEach(async () => fx?.dispose());

  const items = [
    { level: "warn", source: "api", message: "disk almost full", fields: { host: "h1" } },
    { level: "info", source: "api", message: "disk ok", fields: { host: "h1" } },
    { level: "error", source: "worker", message: "disk full", fields: { host: "h1" } },
    { level: "fatal", source: "api", message: "DISK gone", fields: { host: "h1" } },
    { level: "error", source: "api", message: "disk gone", fields: { host: "h2" } },
    { level: "error", source: "api", message: "network down", fields: { host: "h1" } },
  ];

  it("delivers committed entries that match the filter, with their ids, in commit order", async () => {
    fx = await openService(impl);
    const filtered: LogEntry[] = [];
    const all: LogEntry[] = [];
    const sub = fx.service.subscribe(
      fx.service.parseSearchQuery(new URLSearchParams("minLevel=warn&source=api&q=disk&field.host=h1")),
      (entries) => filtered.push(...entries),
    );
    fx.service.subscribe({}, (entries) => all.push(...entries));
    const result = await fx.service.ingestNative(json(items), "application/json");
    await eventually(() => expect(all).toHaveLength(items.length));
    expect(all.map((e) => e.id)).toEqual(result.ids);
    expect(filtered.map((e) => [e.id, e.message])).toEqual([
      [result.ids[0], "disk almost full"],
      [result.ids[3], "DISK gone"],
    ]);
    expect(sub.dropped()).toBe(0);
    expect(fx.service.stats().tailSubscribers).toBe(2);
  });

  it("stops delivering after unsubscribe", async () => {
    fx = await openService(impl);
    const seen: string[] = [];
    const sub = fx.service.subscribe({}, (entries) => seen.push(...entries.map((e) => e.message)));
    await fx.service.ingestNative(json({ message: "before" }), undefined);
    await eventually(() => expect(seen).toEqual(["before"]));
    sub.unsubscribe();
    expect(sub.closed).toBe(true);
    expect(fx.service.stats().tailSubscribers).toBe(0);
    await fx.service.ingestNative(json({ message: "after" }), undefined);
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual(["before"]);
  });

  it("bounds a paused (slow) subscriber: drops the oldest, counts them, keeps the newest", async () => {
    fx = await openService(impl);
    const slow: string[] = [];
    const fast: string[] = [];
    const sub = fx.service.subscribe({}, (entries) => slow.push(...entries.map((e) => e.message)), {
      maxBuffered: 10,
    });
    fx.service.subscribe({}, (entries) => fast.push(...entries.map((e) => e.message)));
    sub.pause();
    const messages = Array.from({ length: 50 }, (_, i) => `m${i}`);
    for (let i = 0; i < 50; i += 5) {
      await fx.service.ingestNative(
        json(messages.slice(i, i + 5).map((message) => ({ message }))),
        undefined,
      );
    }
    await eventually(() => expect(fast).toHaveLength(50));
    expect(slow).toEqual([]);
    expect(sub.buffered()).toBe(10);
    expect(sub.dropped()).toBe(40);
    sub.resume();
    await eventually(() => expect(slow).toEqual(messages.slice(40)));
    expect(sub.buffered()).toBe(0);
    expect(fx.service.stats().tailDropped).toBe(40);
    expect(fast).toEqual(messages);
  });

  it("a paused subscriber keeps only the entries it still holds reachable, not the dropped ones", async () => {
    fx = await openService(impl);
    const sub = fx.service.subscribe({}, () => {}, { maxBuffered: 10 });
    const delivered: WeakRef<LogEntry>[] = [];
    fx.service.subscribe({}, (entries) => {
      for (const e of entries) delivered.push(new WeakRef(e));
    });
    sub.pause();
    for (let i = 0; i < 50; i += 5) {
      await fx.service.ingestNative(
        json(Array.from({ length: 5 }, (_, j) => ({ message: `m${i + j}` }))),
        undefined,
      );
    }
    await eventually(() => expect(delivered).toHaveLength(50));
    collectGarbage();
    expect(sub.dropped()).toBe(40);
    // the same entry objects go to every subscriber: only the paused one's 10 may be alive
    expect(delivered.filter((ref) => ref.deref() !== undefined).length).toBeLessThanOrEqual(10);
    sub.unsubscribe();
  });

  it("a throwing subscriber neither breaks the others nor the writes", async () => {
    const logged: string[] = [];
    const noop = () => {};
    fx = await openService(impl, {
      logger: { debug: noop, info: noop, warn: noop, error: (_obj, msg) => logged.push(msg ?? "") },
    });
    const seen: string[] = [];
    fx.service.subscribe({}, () => {
      throw new Error("subscriber bug");
    });
    fx.service.subscribe({}, (entries) => seen.push(...entries.map((e) => e.message)));
    const first = await fx.service.ingestNative(json({ message: "one" }), undefined);
    const second = await fx.service.ingestNative(json({ message: "two" }), undefined);
    expect([first.accepted, second.accepted]).toEqual([1, 1]);
    await eventually(() => expect(seen).toEqual(["one", "two"]));
    expect(logged.length).toBeGreaterThanOrEqual(1);
    expect(logged[0]).toMatch(/subscriber threw/);
  });

  it("resumes after an entry id: what was committed since, then live, each once, in commit order", async () => {
    fx = await openService(impl);
    const first = await fx.storage.storeMany(
      Array.from({ length: 30 }, (_, i) => ({
        message: `before ${i}`,
        level: i % 3 === 0 ? "error" : "info",
      })),
    );
    const seenUpTo = first[9]!;
    const resumed: LogEntry[] = [];
    // writes in flight while the resumed subscription reads its history and starts listening
    const during = Array.from({ length: 20 }, (_, k) =>
      fx.storage.storeMany(
        Array.from({ length: 25 }, (_, i) => ({
          message: `during ${k}.${i}`,
          level: i % 3 === 0 ? "error" : "info",
        })),
      ),
    );
    const sub = fx.service.subscribe({ minLevel: "error" }, (entries) => resumed.push(...entries), {
      afterId: seenUpTo,
    });
    await sub.caughtUp;
    const ids = [...first, ...(await Promise.all(during)).flat()];
    const last = await fx.storage.store({ message: "after", level: "fatal" });
    const all = await allEntries(fx.storage);
    const want = all.filter((e) => e.id > seenUpTo && ["error", "fatal"].includes(e.level)).map((e) => e.id);
    expect(want).toContain(last);
    expect(ids.length + 1).toBe(all.length);
    await eventually(() => expect(resumed.map((e) => e.id)).toEqual(want));
    expect(sub.dropped()).toBe(0);
  });

  it("resumes without repeating what its read returned, when a commit's notification comes after the read", async () => {
    const opened = await openService(impl);
    fx = opened;
    // the storage, except that commit notifications reach listeners 400 ms late (a busy main
    // thread, the writer thread's message behind others): the resume's read sees the rows first
    const storage = new Proxy(opened.storage, {
      get(target, name) {
        if (name === "onCommit") {
          return (listener: (entries: readonly LogEntry[]) => void) =>
            target.onCommit((entries) => setTimeout(() => listener(entries), 400));
        }
        const value = Reflect.get(target, name, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const service = createLogService({ storage });
    const seen = await opened.storage.storeMany([{ message: "seen 1" }, { message: "seen 2" }]);
    await opened.storage.getRecent(1); // the reader started: the resume's read takes milliseconds
    const resumed: number[] = [];
    const first = service.subscribe({}, () => {}); // listening before the commit below
    const late = await opened.storage.storeMany([{ message: "late 1" }, { message: "late 2" }]);
    const sub = service.subscribe({}, (entries) => resumed.push(...entries.map((e) => e.id)), {
      afterId: seen[1]!,
    });
    await sub.caughtUp;
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(resumed).toEqual(late);
    expect(sub.dropped()).toBe(0);
    first.unsubscribe();
    await service.close();
  });

  it("resumes with at most maxBuffered missed entries, the newest, and counts the older as dropped", async () => {
    fx = await openService(impl);
    const ids = await fx.storage.storeMany(Array.from({ length: 40 }, (_, i) => ({ message: `m${i}` })));
    const resumed: string[] = [];
    const sub = fx.service.subscribe({}, (entries) => resumed.push(...entries.map((e) => e.message)), {
      afterId: ids[4]!,
      maxBuffered: 10,
    });
    await sub.caughtUp;
    await eventually(() => expect(resumed).toEqual(Array.from({ length: 10 }, (_, i) => `m${30 + i}`)));
    expect(sub.dropped()).toBe(25);
  });

  it("rejects a bad maxBuffered", async () => {
    fx = await openService(impl);
    expect(() => fx.service.subscribe({}, () => {}, { maxBuffered: 0 })).toThrow(/maxBuffered/);
  });
});
