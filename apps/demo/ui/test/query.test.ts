// The explorer's field filters (pure functions of src/query.ts): typed text and the URL round trip.
import { describe, expect, it } from "vitest";
import { emptyQuery, parseFieldFilter, parseQuery, queryToSearch, withFieldFilter } from "../src/query";

describe("field filters in the explorer", () => {
  it("parses key=value and key!=value, spaces around the operator allowed", () => {
    expect(parseFieldFilter("route=/a=b")).toEqual(["route", "/a=b"]);
    expect(parseFieldFilter(" route != /healthz ")).toEqual(["route!", "/healthz"]);
    expect(parseFieldFilter("!=x")).toBeNull();
    expect(parseFieldFilter("=x")).toBeNull();
    expect(parseFieldFilter("novalue")).toBeNull();
  });

  it("keeps one value per key, any number of exclusions, and drops a filter's opposite", () => {
    let fields = withFieldFilter([], ["route", "/a"]);
    fields = withFieldFilter(fields, ["route", "/b"]);
    expect(fields).toEqual([["route", "/b"]]);
    fields = withFieldFilter(fields, ["route!", "/healthz"]);
    fields = withFieldFilter(fields, ["route!", "/metrics"]);
    fields = withFieldFilter(fields, ["route!", "/healthz"]);
    expect(fields).toEqual([
      ["route", "/b"],
      ["route!", "/metrics"],
      ["route!", "/healthz"],
    ]);
    expect(withFieldFilter(fields, ["route!", "/b"])).toEqual([
      ["route!", "/metrics"],
      ["route!", "/healthz"],
      ["route!", "/b"],
    ]);
    expect(withFieldFilter(fields, ["route", "/metrics"])).toEqual([
      ["route!", "/healthz"],
      ["route", "/metrics"],
    ]);
  });

  it("writes exclusions to the URL as field.KEY! and reads them back", () => {
    const query = {
      ...emptyQuery(),
      fields: [
        ["route!", "/healthz"],
        ["route!", "/metrics"],
        ["ok", "true"],
      ],
    };
    const search = queryToSearch(query as ReturnType<typeof emptyQuery>);
    expect(new URLSearchParams(search).getAll("field.route!")).toEqual(["/healthz", "/metrics"]);
    expect(parseQuery(search).fields).toEqual(query.fields);
  });
});
