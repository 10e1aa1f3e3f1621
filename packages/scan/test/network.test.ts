/**
 * Network indicators in strings: URLs, domains and IPs are found in ASCII and UTF-16LE
 * text, and what only looks like one (identifiers such as `Foo.Bar` or `console.info`, file
 * names, version numbers, private addresses) is not reported.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parse } from "tldts";
import { extractNetworkIndicators, MAX_INDICATORS_PER_FILE, SEARCH_CHUNK } from "../src/index.js";

const ascii = (s: string) => Buffer.from(s, "latin1");

describe("network indicators", () => {
  it("finds URLs, their hosts, bare domains and public IPs", () => {
    const found = extractNetworkIndicators(
      ascii(
        'fetch("https://update.vendor.com/v2/check?x=1"); host=cdn.example-c2.net; ping 45.33.2.1; ws://93.184.216.34:8080/s',
      ),
    );
    assert.deepEqual(found.urls, ["https://update.vendor.com/v2/check?x=1", "ws://93.184.216.34:8080/s"]);
    assert.deepEqual(found.domains, ["cdn.example-c2.net", "update.vendor.com"]);
    assert.deepEqual(found.ips, ["45.33.2.1", "93.184.216.34"]);
  });

  it("finds them in UTF-16LE strings, as Windows binaries keep them", () => {
    const bytes = Buffer.concat([
      Buffer.from([0, 1, 2]),
      Buffer.from("https://beacon.attacker.org/p", "utf16le"),
      Buffer.alloc(8),
    ]);
    const found = extractNetworkIndicators(bytes);
    assert.deepEqual(found.urls, ["https://beacon.attacker.org/p"]);
    assert.deepEqual(found.domains, ["beacon.attacker.org"]);
  });

  it("splits URLs stored back to back without terminators", () => {
    const found = extractNetworkIndicators(ascii("https://a-docs.dev/rules/onehttps://a-docs.dev/rules/two"));
    assert.deepEqual(found.urls, ["https://a-docs.dev/rules/one", "https://a-docs.dev/rules/two"]);
  });

  for (const [what, text] of [
    ["identifiers (Foo.Bar, module.exports)", "Foo.Bar Object.keys module.exports e.exports self.Foo"],
    ["members whose name is a TLD (console.info, window.top, this.app)", "console.info window.top this.app obj.name"],
    ["file names (readme.md, libssl.so, setup.py, main.rs)", "readme.md libssl.so setup.py main.rs install.sh"],
    ["version numbers (1.0.0.0, 4.2.0.12, v2.1.3.4)", "1.0.0.0 4.2.0.12 v2.1.3.4 10.0.19041.0"],
    [
      "private, loopback and documentation addresses",
      "http://10.0.0.1/ http://127.0.0.1:80/ 192.168.1.20 http://192.0.2.1/",
    ],
    ["reserved names (example.com, localhost, .test)", "https://example.com/x http://localhost:3000/ https://a.test/"],
  ] as const) {
    it(`does not report ${what}`, () => {
      const found = extractNetworkIndicators(ascii(text));
      assert.deepEqual([...found.urls, ...found.domains, ...found.ips], []);
    });
  }

  it("finds an indicator across the boundary of two search chunks, whole and once", () => {
    const bytes = Buffer.alloc(2 * SEARCH_CHUNK + 100, 0x20);
    bytes.write("https://boundary.vendor-updates.com/a/long/path", SEARCH_CHUNK - 20, "latin1");
    bytes.write("edge.vendor-updates.com", 2 * SEARCH_CHUNK - 10, "latin1");
    const found = extractNetworkIndicators(bytes);
    assert.deepEqual(found.urls, ["https://boundary.vendor-updates.com/a/long/path"]);
    assert.deepEqual(found.domains, ["boundary.vendor-updates.com", "edge.vendor-updates.com"]);
  });

  it("keeps at most MAX_INDICATORS_PER_FILE of each kind, and says so", () => {
    const many = Array.from({ length: MAX_INDICATORS_PER_FILE + 5 }, (_, i) => `host${i}.vendor.com`).join(" ");
    const found = extractNetworkIndicators(ascii(many));
    assert.equal(found.domains.length, MAX_INDICATORS_PER_FILE);
    assert.equal(found.truncated, true);
  });

  it("property: any bytes give sorted, unique, lowercase, ICANN-registrable domains and never throw", () => {
    const word = fc.constantFrom(
      "http://",
      "https://",
      "www.",
      "a.b",
      "vendor",
      ".com",
      ".io",
      "1.2.",
      "8.8",
      "/x",
      " ",
      "\0",
      "é",
      "Foo.Bar",
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc.array(word, { maxLength: 40 }).map((w) => Buffer.from(w.join(""), "latin1")),
        ),
        (bytes) => {
          const found = extractNetworkIndicators(bytes);
          for (const list of [found.urls, found.domains, found.ips]) assert.deepEqual(list, [...new Set(list)].sort());
          for (const d of found.domains) {
            assert.equal(d, d.toLowerCase());
            assert.equal(parse(d).isIcann, true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
