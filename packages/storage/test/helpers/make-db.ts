// Child process: builds a database through the storage, closes it cleanly and VACUUMs it (no WAL,
// no free pages), so the parent can damage a file no connection of its own has ever touched.
// argv: <dbPath> <entries>
import { randomBytes } from "node:crypto";
import Database from "libsql";
import { openLogStorage } from "../../src/index.js";

const [path, count] = process.argv.slice(2);
if (path === undefined || count === undefined) throw new Error("usage: make-db <db> <entries>");
const storage = await openLogStorage({ url: `file:${path}`, diskReserveBytes: 0 });
await storage.storeMany(
  Array.from({ length: Number(count) }, (_, i) => ({
    message: `entry ${i} ${randomBytes(40).toString("hex")}`,
  })),
);
await storage.close();
const db = new Database(path);
db.exec("VACUUM");
db.close();
process.stdout.write("done\n");
