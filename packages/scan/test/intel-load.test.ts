import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { tempDir } from "@bulwark/testkit";
import { ScanFormatError, ScanLimitError } from "../src/errors.js";
import { INTEL_FINDINGS, loadIntel } from "../src/intel/index.js";
import { write, zip } from "./intel-fixtures.js";

const digest = (alg: string, s: string): string => createHash(alg).update(s).digest("hex");
const TROJAN = "the trojanised ffmpeg library";
const TROJAN_SHA256 = digest("sha256", TROJAN);
const TROJAN_SHA1 = digest("sha1", TROJAN);
const TROJAN_MD5 = digest("md5", TROJAN);
const CLEAN_SHA256 = digest("sha256", "a clean file");
const NOW = new Date("2026-06-01T00:00:00Z");

const noNetwork = { urls: [], domains: [], ips: [] };

function stixIndicator(id: string, pattern: string, extra: object = {}): object {
  return {
    type: "indicator",
    spec_version: "2.1",
    id: `indicator--${id}`,
    created: "2026-01-01T00:00:00.000Z",
    modified: "2026-01-01T00:00:00.000Z",
    name: `indicator ${id}`,
    pattern,
    pattern_type: "stix",
    valid_from: "2026-01-01T00:00:00Z",
    ...extra,
  };
}

function bundle(...objects: object[]): object {
  return { type: "bundle", id: "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", objects };
}

describe("hash lists", () => {
  test("a plain list matches by SHA-256, SHA-1 and MD5, and asks for the extra algorithms", async (t) => {
    const dir = write(tempDir(t), {
      "bad.txt": `# known bad\n\n${TROJAN_SHA256.toUpperCase()}  ffmpeg.dll\n${TROJAN_SHA1}\n${TROJAN_MD5} # md5 too\n`,
    });
    const intel = await loadIntel(dir);
    assert.deepEqual(intel.sources, [{ file: "bad.txt", kind: "hash-list", indicators: 3, skipped: 0 }]);
    assert.deepEqual([...intel.algorithms].sort(), ["md5", "sha1"]);
    const findings = intel.matchFile("app/ffmpeg.dll", { sha256: TROJAN_SHA256, sha1: TROJAN_SHA1, md5: TROJAN_MD5 });
    assert.deepEqual(
      findings.map((f) => [f.id, f.severity, f.layer, f.file, f.evidence.algorithm]),
      [
        ["intel.file-hash", "critical", "intel", "app/ffmpeg.dll", "sha256"],
        ["intel.file-hash", "critical", "intel", "app/ffmpeg.dll", "sha1"],
        ["intel.file-hash", "critical", "intel", "app/ffmpeg.dll", "md5"],
      ],
    );
    assert.equal(findings[0]?.evidence.indicator, `sha256:${TROJAN_SHA256}`);
    assert.deepEqual(findings[0]?.evidence.sources, ["bad.txt"]);
    assert.deepEqual(findings[0]?.evidence.names, ["ffmpeg.dll"]);
    assert.deepEqual(intel.matchFile("app/clean.dll", { sha256: CLEAN_SHA256 }), []);
  });

  test("a CSV list with a commented header (abuse.ch style) names the malware family", async (t) => {
    const dir = write(tempDir(t), {
      "feeds/recent.csv": [
        "################################################################",
        '# "first_seen_utc","sha256_hash","md5_hash","sha1_hash","file_name","signature"',
        `"2026-03-29 10:00:00", "${TROJAN_SHA256}", "${TROJAN_MD5}", "${TROJAN_SHA1}", "ffmpeg.dll", "SmoothOperator"`,
        `"2026-03-29 11:00:00", "${CLEAN_SHA256.replace(/./, "0")}", "n/a", "", "x, with a comma.exe", "Other"`,
        "# end",
      ].join("\r\n"),
    });
    const intel = await loadIntel(dir);
    assert.deepEqual(intel.sources, [{ file: "feeds/recent.csv", kind: "hash-list", indicators: 4, skipped: 0 }]);
    const [f] = intel.matchFile("ffmpeg.dll", { sha256: TROJAN_SHA256 });
    assert.deepEqual(f?.evidence.names, ["SmoothOperator"]);
  });

  test("a CSV list with a plain header", async (t) => {
    const dir = write(tempDir(t), { "h.csv": `sha256,comment\n${TROJAN_SHA256},"bad, ""really"""\n` });
    const intel = await loadIntel(dir);
    assert.equal(intel.matchFile("f", { sha256: TROJAN_SHA256 }).length, 1);
  });

  const malformed: [string, Record<string, string>, string][] = [
    ["a line that is not a digest", { "l.txt": `${TROJAN_SHA256}\nnot-a-hash\n` }, "line 2"],
    ["a digest of an unknown length", { "l.txt": `${TROJAN_SHA256.slice(0, 50)}\n` }, "line 1"],
    ["a CSV without a hash column", { "l.csv": "name,family\nx,y\n" }, "no header"],
    ["a CSV cell that is not a digest", { "l.csv": `sha256_hash\n${TROJAN_SHA256}\nzz\n` }, "line 3"],
    ["an unterminated CSV quote", { "l.csv": `sha256_hash\n"${TROJAN_SHA256}\n` }, "unterminated"],
  ];
  for (const [name, files, where] of malformed) {
    test(`rejects ${name} rather than matching nothing`, async (t) => {
      const dir = write(tempDir(t), files);
      await assert.rejects(loadIntel(dir), (e: unknown) => {
        assert.ok(e instanceof ScanFormatError);
        assert.equal(e.code, "SCAN_BAD_HASH_LIST");
        assert.match(e.message, new RegExp(where));
        return true;
      });
    });
  }
});

describe("STIX 2.1 bundles", () => {
  const objects = [
    stixIndicator("1", `[file:hashes.'SHA-256' = '${TROJAN_SHA256}'] OR [file:hashes.MD5 = '${TROJAN_MD5}']`),
    stixIndicator("2", "[domain-name:value = 'Raw.Evil.example.'] OR [url:value = 'https://cdn.evil.example/a#x']"),
    stixIndicator("3", "[ipv4-addr:value = '198.51.100.0/24' OR ipv6-addr:value = '2001:DB8:0:0::1']"),
    stixIndicator("4", "[ipv4-addr:value IN ('203.0.113.9', '203.0.113.10')]"),
    stixIndicator("5", `[file:hashes.'SHA-1' = '${TROJAN_SHA1}']`, { revoked: true }),
    stixIndicator("6", "[domain-name:value = 'expired.example']", { valid_until: "2026-02-01T00:00:00Z" }),
    stixIndicator("7", "[process:name = 'evil.exe']"),
    stixIndicator("8", "[domain-name:value = 'a.example'] FOLLOWEDBY [domain-name:value = 'b.example']"),
    { ...stixIndicator("9", "rule x { condition: true }"), pattern_type: "yara" },
    {
      type: "observed-data",
      spec_version: "2.1",
      id: "observed-data--1",
      first_observed: "2026-01-01T00:00:00Z",
      last_observed: "2026-01-01T00:00:00Z",
      number_observed: 1,
      object_refs: ["file--1", "domain-name--1"],
    },
    { type: "file", id: "file--1", hashes: { "SHA-256": CLEAN_SHA256 } },
    { type: "domain-name", id: "domain-name--1", value: "observed.example" },
    { type: "malware", id: "malware--1", name: "SmoothOperator", is_family: true },
  ];

  test("indicators match file hashes and network indicators; revoked, expired and undecidable ones are skipped", async (t) => {
    const dir = write(tempDir(t), { "bundle.json": bundle(...objects) });
    const intel = await loadIntel(dir, { now: NOW });
    assert.deepEqual(intel.sources, [{ file: "bundle.json", kind: "stix", indicators: 10, skipped: 5 }]);
    assert.deepEqual([...intel.algorithms], ["md5"]);
    const fileHits = intel.matchFile("a.dll", { sha256: TROJAN_SHA256, md5: TROJAN_MD5 });
    assert.equal(fileHits.length, 2);
    assert.deepEqual(fileHits[0]?.evidence.indicatorIds, ["indicator--1"]);
    assert.deepEqual(intel.matchFile("b.dll", { sha256: CLEAN_SHA256 })[0]?.evidence.indicatorIds, [
      "observed-data--1",
    ]);
    const net = intel.matchNetwork("app.js", {
      urls: ["HTTPS://CDN.EVIL.EXAMPLE/a", "https://203.0.113.10:8443/x", "https://benign.example/"],
      domains: ["x.raw.evil.example", "expired.example", "a.example", "observed.example"],
      ips: ["198.51.100.77", "2001:db8::1", "192.0.2.1"],
    });
    for (const f of [...fileHits, ...net]) assert.ok(INTEL_FINDINGS.has(f.id), f.id);
    assert.deepEqual(net.map((f) => [f.id, f.severity, f.evidence.indicator, f.evidence.observed]).sort(), [
      ["intel.domain", "high", "observed.example", "observed.example"],
      ["intel.domain", "high", "raw.evil.example", "x.raw.evil.example"],
      ["intel.ip", "high", "198.51.100.0/24", "198.51.100.77"],
      ["intel.ip", "high", "2001:db8::1", "2001:db8::1"],
      ["intel.ip", "high", "203.0.113.10", "https://203.0.113.10:8443/x"],
      ["intel.url", "high", "https://cdn.evil.example/a", "HTTPS://CDN.EVIL.EXAMPLE/a"],
    ]);
  });

  test("a STIX 2.0 indicator (no pattern_type) is read as a STIX pattern", async (t) => {
    const { pattern_type: _, ...legacy } = stixIndicator("20", "[domain-name:value = 'legacy.example']") as Record<
      string,
      unknown
    >;
    const dir = write(tempDir(t), { "v20.json": bundle(legacy) });
    const intel = await loadIntel(dir, { now: NOW });
    assert.equal(intel.matchNetwork("f", { ...noNetwork, domains: ["legacy.example"] }).length, 1);
  });

  test("an indicator past valid_until is used when the scan's clock is before it", async (t) => {
    const dir = write(tempDir(t), { "bundle.json": bundle(...objects) });
    const intel = await loadIntel(dir, { now: new Date("2026-01-15T00:00:00Z") });
    assert.equal(intel.matchNetwork("f", { ...noNetwork, domains: ["expired.example"] }).length, 1);
  });

  const bad: [string, object, string][] = [
    ["a malformed pattern", bundle(stixIndicator("x", "[file:hashes.MD5 = 'abc'")), "SCAN_BAD_STIX"],
    [
      "an indicator without a pattern",
      bundle({ type: "indicator", id: "indicator--x", pattern_type: "stix" }),
      "SCAN_BAD_STIX",
    ],
    [
      "an unparseable valid_until",
      bundle(stixIndicator("x", "[url:value = 'http://a.example/']", { valid_until: "soon" })),
      "SCAN_BAD_STIX",
    ],
    ["a JSON file that is no intel format", { hello: "world" }, "SCAN_BAD_INTEL"],
  ];
  for (const [name, doc, code] of bad) {
    test(`rejects ${name}`, async (t) => {
      const dir = write(tempDir(t), { "x.json": doc });
      await assert.rejects(loadIntel(dir, { now: NOW }), (e: unknown) => {
        assert.ok(e instanceof ScanFormatError);
        assert.equal(e.code, code);
        assert.match(e.message, /x\.json/);
        return true;
      });
    });
  }
});

describe("MISP", () => {
  const event = {
    Event: {
      uuid: "5e5b4a3c-0000-4000-8000-000000000001",
      info: "Trojanised desktop app update",
      Attribute: [
        { uuid: "a1", type: "sha256", value: TROJAN_SHA256, to_ids: true },
        { uuid: "a2", type: "domain", value: "c2.evil.example", to_ids: true },
        { uuid: "a3", type: "ip-dst|port", value: "192.0.2.44|443", to_ids: true },
        { uuid: "a4", type: "hostname", value: "context-only.example", to_ids: false },
        { uuid: "a5", type: "url", value: "https://deleted.example/", to_ids: true, deleted: true },
        { uuid: "a6", type: "mutex", value: "Global\\x", to_ids: true },
      ],
      Object: [
        {
          name: "file",
          Attribute: [{ uuid: "o1", type: "filename|md5", value: `d3dcompiler_47.dll|${TROJAN_MD5}`, to_ids: "1" }],
        },
      ],
    },
  };

  test("to_ids attributes of an event and its objects are indicators, with the event info as context", async (t) => {
    const dir = write(tempDir(t), { "event.json": event });
    const intel = await loadIntel(dir);
    assert.deepEqual(intel.sources, [{ file: "event.json", kind: "misp", indicators: 4, skipped: 1 }]);
    const [hit, md5Hit] = intel.matchFile("ffmpeg.dll", { sha256: TROJAN_SHA256, md5: TROJAN_MD5 });
    assert.deepEqual(hit?.evidence.context, ["Trojanised desktop app update"]);
    assert.deepEqual(md5Hit?.evidence.names, ["d3dcompiler_47.dll"]);
    const net = intel.matchNetwork("f", {
      urls: ["https://deleted.example/"],
      domains: ["context-only.example", "c2.evil.example"],
      ips: ["192.0.2.44"],
    });
    assert.deepEqual(net.map((f) => f.evidence.indicator).sort(), ["192.0.2.44", "c2.evil.example"]);
  });

  test("a MISP feed directory: events read, manifest and hashes.csv index not taken for indicators", async (t) => {
    const uuid = "5e5b4a3c-0000-4000-8000-000000000001";
    const dir = write(tempDir(t), {
      [`feed/${uuid}.json`]: event,
      "feed/manifest.json": { [uuid]: { info: "Trojanised desktop app update", timestamp: "1700000000" } },
      "feed/hashes.csv": `${digest("md5", "c2.evil.example")},${uuid}\n`,
    });
    const intel = await loadIntel(dir);
    assert.deepEqual(
      intel.sources.map((s) => [s.file, s.kind]),
      [[`feed/${uuid}.json`, "misp"]],
    );
  });

  test("a REST search response with several events", async (t) => {
    const dir = write(tempDir(t), { "r.json": { response: [event, { Event: { ...event.Event, deleted: true } }] } });
    const intel = await loadIntel(dir);
    assert.equal(intel.sources[0]?.indicators, 4);
  });

  test("a to_ids attribute with an unusable value (defanged, wrong digest length) is counted as skipped", async (t) => {
    const dir = write(tempDir(t), {
      "e.json": {
        Event: {
          info: "x",
          Attribute: [
            { type: "sha256", value: "xyz", to_ids: true },
            { type: "url", value: "hxxp://evil[.]example/", to_ids: true },
            { type: "domain", value: "ok.example", to_ids: true },
          ],
        },
      },
    });
    const intel = await loadIntel(dir);
    assert.deepEqual(intel.sources, [{ file: "e.json", kind: "misp", indicators: 1, skipped: 2 }]);
  });

  test("rejects an attribute without a type or value", async (t) => {
    const dir = write(tempDir(t), {
      "e.json": { Event: { info: "x", Attribute: [{ type: "sha256", to_ids: true }] } },
    });
    await assert.rejects(loadIntel(dir), { code: "SCAN_BAD_MISP" });
  });
});

describe("zips of intel", () => {
  test("a zip in the intel directory is read entry by entry (STIX bundle and OSV record)", async (t) => {
    const dir = tempDir(t);
    const osv = {
      id: "GHSA-test-zip",
      modified: "2026-01-01T00:00:00Z",
      affected: [{ package: { ecosystem: "npm", name: "x" }, versions: ["1.0.0"] }],
    };
    const stix = bundle(stixIndicator("z", `[file:hashes.'SHA-256' = '${TROJAN_SHA256}']`));
    writeFileSync(
      join(dir, "all.zip"),
      zip({ "a/stix.json": JSON.stringify(stix), "b/osv.json": JSON.stringify(osv) }),
    );
    const intel = await loadIntel(dir, { now: NOW });
    assert.deepEqual(
      intel.sources.map((s) => [s.file, s.kind, s.indicators]),
      [
        ["all.zip!/a/stix.json", "stix", 1],
        ["all.zip!/b/osv.json", "osv", 1],
      ],
    );
    assert.deepEqual(intel.matchFile("f", { sha256: TROJAN_SHA256 })[0]?.evidence.sources, ["all.zip!/a/stix.json"]);
    assert.equal(intel.advisories.count, 1);
  });
});

describe("bounds on hostile intel", () => {
  test("a huge STIX bundle is refused with a limit error", async (t) => {
    const many = Array.from({ length: 1001 }, (_, i) =>
      stixIndicator(String(i), `[domain-name:value = 'd${i}.example']`),
    );
    const dir = write(tempDir(t), { "huge.json": bundle(...many) });
    await assert.rejects(loadIntel(dir, { limits: { maxObjectsPerFile: 1000 } }), (e: unknown) => {
      assert.ok(e instanceof ScanLimitError);
      assert.equal(e.code, "SCAN_LIMIT_INTEL_OBJECTS");
      assert.equal(e.limit, 1000);
      return true;
    });
  });

  test("too many indicators across files are refused", async (t) => {
    const lines = Array.from({ length: 6 }, (_, i) => digest("sha256", String(i))).join("\n");
    const dir = write(tempDir(t), { "a.txt": lines, "b.txt": lines });
    await assert.rejects(loadIntel(dir, { limits: { maxIndicators: 10 } }), { code: "SCAN_LIMIT_INTEL_INDICATORS" });
  });

  test("deeply nested JSON is refused before parsing", async (t) => {
    const dir = write(tempDir(t), { "deep.json": `${"[".repeat(100_000)}${"]".repeat(100_000)}` });
    await assert.rejects(loadIntel(dir), { code: "SCAN_LIMIT_JSON_DEPTH" });
  });

  test("an intel file over the size limit is refused", async (t) => {
    const dir = write(tempDir(t), { "big.txt": `${TROJAN_SHA256}\n`.repeat(100) });
    await assert.rejects(loadIntel(dir, { limits: { maxFileBytes: 1000 } }), { code: "SCAN_LIMIT_FILE_SIZE" });
  });

  test("a symbolic link in the intel directory is not followed", async (t) => {
    const outside = write(tempDir(t), { "x.txt": "not a hash list at all" });
    const dir = write(tempDir(t), { "ok.txt": TROJAN_SHA256 });
    symlinkSync(join(outside, "x.txt"), join(dir, "link.txt"));
    const intel = await loadIntel(dir);
    assert.deepEqual(
      intel.sources.map((s) => s.file),
      ["ok.txt"],
    );
  });

  test("a missing directory is a usage error", async () => {
    await assert.rejects(loadIntel("/nonexistent/intel"), { code: "SCAN_NO_DIRECTORY" });
  });
});
