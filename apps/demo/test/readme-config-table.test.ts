// The README's configuration table is what a new user reads first: it must list exactly the
// options the server reads, with the flag, default and meaning that --help prints.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OPTIONS } from "../src/config-options.js";

const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

interface Row {
  variable: string;
  flag: string;
  default: string;
  meaning: string;
}

/** The rows of the table under "## Configuration (demo server)", backticks removed. */
function configTableRows(): Row[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith("Configuration (demo server)"));
  if (section === undefined) throw new Error("README has no 'Configuration (demo server)' section");
  const rows = section.split("\n").filter((line) => line.startsWith("| `BATCHLOG_"));
  return rows.map((line) => {
    const cells = line
      .slice(2, -2)
      .split(" | ")
      .map((cell) => cell.replaceAll("`", "").trim());
    expect(cells, line).toHaveLength(4);
    const [variable, flag, fallback, meaning] = cells as [string, string, string, string];
    return { variable, flag, default: fallback, meaning };
  });
}

describe("README configuration table", () => {
  it("Should list every option the server reads, and nothing else, in the order of --help", () => {
    expect(configTableRows().map((r) => r.variable)).toEqual(OPTIONS.map((o) => o.env));
  });

  it("Should give each option the flag, default and meaning of its definition", () => {
    const rows = new Map(configTableRows().map((r) => [r.variable, r]));
    for (const option of OPTIONS) {
      expect(rows.get(option.env), option.env).toEqual({
        variable: option.env,
        flag: option.flag,
        default: option.default ?? "unset",
        meaning: option.description,
      });
    }
  });
});
