import { afterAll } from "vitest";
import { countRowsInFile, describeStorageContract } from "./contract.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

let n = 0;
for (const implementation of ["batched", "direct"] as const) {
  describeStorageContract(`${implementation} on a local file`, {
    freshUrl: () => temp.url(`${implementation}-${++n}.db`),
    config: { implementation },
    countRows: countRowsInFile,
  });
}
