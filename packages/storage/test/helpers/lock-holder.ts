// Child process: holds the write lock of a database (BEGIN IMMEDIATE) for argv[3] ms, then rolls back.
import Database from "libsql";

const [path, holdMs] = process.argv.slice(2);
if (path === undefined || holdMs === undefined) throw new Error("usage: lock-holder <db> <holdMs>");
const db = new Database(path);
db.exec("PRAGMA busy_timeout = 10000");
db.exec("BEGIN IMMEDIATE");
process.stdout.write("locked\n");
setTimeout(() => {
  db.exec("ROLLBACK");
  db.close();
  process.stdout.write("released\n");
}, Number(holdMs));
