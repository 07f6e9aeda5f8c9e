import { describe, expect, it } from "vitest";
import { redactSecrets, redactUrl } from "../src/index.js";

describe("redactUrl", () => {
  it.each([
    ["libsql://db-org.turso.io?authToken=eyJhbGciOi.x.y", "libsql://db-org.turso.io?authToken=(hidden)"],
    ["http://admin:s3cr%40t@127.0.0.1:8080/", "http://admin:(hidden)@127.0.0.1:8080/"],
    ["https://tok123@host/db", "https://(hidden)@host/db"],
    ["ws://h?tls=0&auth_token=abc&x=1#frag", "ws://h?tls=0&auth_token=(hidden)&x=1#frag"],
    ["file:/var/lib/batchlog/logs.db", "file:/var/lib/batchlog/logs.db"],
    ["file:./data/a.db?mode=rwc", "file:./data/a.db?mode=rwc"],
    ["http://h/x?token=a", "http://h/x?token=(hidden)"],
    // an unescaped @ in the password: userinfo ends at the last @, as URL parsers read it
    ["http://admin:hunter2@topsecret99@127.0.0.1:1/", "http://admin:(hidden)@127.0.0.1:1/"],
  ])("%s → %s", (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});

describe("redactSecrets", () => {
  it("hides the URL's secrets and the auth token wherever a driver message quotes them", () => {
    const url = "http://admin:PASSWD321@127.0.0.1:1?authToken=URL%2BSECRET";
    const message =
      `Request cannot be constructed from a URL that includes credentials: ${url}; ` +
      "user admin, password PASSWD321, token URL+SECRET, header Bearer TOKEN-42";
    const shown = redactSecrets(message, url, "TOKEN-42");
    expect(shown).not.toMatch(/PASSWD321|URL%2BSECRET|URL\+SECRET|TOKEN-42/);
    expect(shown).toContain("http://admin:(hidden)@127.0.0.1:1?authToken=(hidden)");
    expect(shown).toContain("user admin");
  });

  it("hides a password a driver quotes percent-encoded", () => {
    const url = "http://admin:hunter2@topsecret99@127.0.0.1:1";
    const message = "cannot connect to http://admin:hunter2%40topsecret99@127.0.0.1:1/";
    expect(redactSecrets(message, url)).toBe("cannot connect to http://admin:(hidden)@127.0.0.1:1/");
  });

  it("leaves a message alone when the secrets are too short to tell from other text", () => {
    expect(redactSecrets("a failure at line a", "http://u:a@h", "b")).toBe("a failure at line a");
  });
});
