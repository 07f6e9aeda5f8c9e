import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogService } from "../src/index.js";
import { json } from "./helpers/service.js";
import { openTempStorage, type TempStorage } from "./helpers/temp-storage.js";

describe("createLogService options", () => {
  let temp: TempStorage;
  beforeAll(async () => {
    temp = await openTempStorage("direct");
  });
  afterAll(async () => temp.dispose());

  it.each([
    [{ maxBodyBytes: 0 }, /maxBodyBytes/],
    [{ maxBodyBytes: 1.5 }, /maxBodyBytes/],
    [{ limits: { maxMessageBytes: 0 } }, /limits\.maxMessageBytes/],
    [{ limits: { maxFieldsBytes: -1 } }, /limits\.maxFieldsBytes/],
  ])("rejects %j with a message naming the option", (options, message) => {
    expect(() => createLogService({ storage: temp.storage, ...options })).toThrow(message);
  });

  it("applies maxBodyBytes and custom entry limits; stats count items", async () => {
    const service = createLogService({
      storage: temp.storage,
      maxBodyBytes: 64,
      limits: { maxMessageBytes: 10 },
    });
    await expect(service.ingestNative(json({ message: "x".repeat(80) }), undefined)).rejects.toMatchObject({
      statusCode: 413,
    });
    const result = await service.ingestNative(
      json([{ message: "0123456789" }, { message: "0123456789a" }]),
      undefined,
    );
    expect(result.accepted).toBe(1);
    expect(result.errors).toMatchObject([
      { index: 1, field: "message", error: "message: longer than 10 bytes" },
    ]);
    expect(service.stats()).toMatchObject({ accepted: 1, rejected: 1 });
    await service.close();
  });
});
