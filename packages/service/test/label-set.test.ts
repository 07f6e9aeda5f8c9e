import { describe, expect, it } from "vitest";
import { parseLabelSet } from "../src/index.js";

describe("parseLabelSet", () => {
  it("parses a Prometheus label set", () => {
    expect(parseLabelSet('{job="varlogs", level="warn",service_name="api"}')).toEqual({
      job: "varlogs",
      level: "warn",
      service_name: "api",
    });
  });

  it("parses the empty set and tolerates spaces and a trailing comma", () => {
    expect(parseLabelSet("{}")).toEqual({});
    expect(parseLabelSet('  { a = "1" , }  ')).toEqual({ a: "1" });
  });

  it("undoes Go string escapes", () => {
    const parsed = parseLabelSet(
      String.raw`{msg="say \"hi\"\n\tnow", path="C:\\temp", u="\u00e9\U0001F600", x="\xc3\xa9", o="\303\251"}`,
    );
    expect(parsed).toEqual({ msg: 'say "hi"\n\tnow', path: "C:\\temp", u: "é😀", x: "é", o: "é" });
  });

  it("accepts single-quoted and raw values and quoted UTF-8 names", () => {
    expect(parseLabelSet('{a=\'x"y\', b=`raw\\n`, "service.name"="api"}')).toEqual({
      a: 'x"y',
      b: "raw\\n",
      "service.name": "api",
    });
  });

  it("is lenient with what naive clients send: unknown escapes kept, hyphens in names", () => {
    expect(parseLabelSet(String.raw`{app-name="x", path="C:\data\q"}`)).toEqual({
      "app-name": "x",
      path: "C:\\data\\q",
    });
  });

  it("keeps braces, commas and equals signs inside values", () => {
    expect(parseLabelSet('{q="{a=1, b=2}"}')).toEqual({ q: "{a=1, b=2}" });
  });

  it.each([
    "",
    "job=varlogs",
    '{job="a"',
    "{job=a}",
    '{job="a" level="b"}',
    '{1job="a"}',
    '{job="a"} extra',
    '{job="a", job="b"}',
    '{job="\\xZZ"}',
    '{job="\\uD800"}',
    '{="a"}',
  ])("rejects %j", (input) => {
    expect(() => parseLabelSet(input)).toThrow(SyntaxError);
  });
});
