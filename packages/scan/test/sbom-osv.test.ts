import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { tempDir } from "@bulwark/testkit";
import fc from "fast-check";
import semver from "semver";
import { ScanFormatError } from "../src/errors.js";
import { loadIntel } from "../src/intel/index.js";
import {
  affectedBySemverRange,
  type Component,
  cvss3BaseScore,
  loadOsv,
  type OsvEvent,
  SBOM_FINDINGS,
} from "../src/sbom/index.js";
import { write, zip } from "./intel-fixtures.js";

const lodashLike = {
  schema_version: "1.6.0",
  id: "GHSA-test-0001-aaaa",
  modified: "2026-01-02T00:00:00Z",
  aliases: ["CVE-2026-0001"],
  summary: "Prototype pollution in left-pad-ish",
  affected: [
    {
      package: { ecosystem: "npm", name: "left-pad-ish" },
      ranges: [
        {
          type: "SEMVER",
          events: [{ introduced: "0" }, { fixed: "1.2.4" }, { introduced: "2.0.0" }, { last_affected: "2.1.0" }],
        },
      ],
    },
  ],
  database_specific: { severity: "HIGH" },
};

const scoped = {
  id: "GHSA-test-0002-bbbb",
  modified: "2026-01-02T00:00:00Z",
  affected: [
    {
      package: { ecosystem: "npm", name: "@acme/updater" },
      ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "3.0.0" }, { fixed: "3.0.2" }] }],
      versions: ["3.0.0", "3.0.1"],
    },
  ],
  severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }],
};

const nativeLib = {
  id: "OSV-TEST-ffmpeg",
  modified: "2026-01-02T00:00:00Z",
  affected: [
    { package: { ecosystem: "OSS-Fuzz", name: "FFmpeg" }, versions: ["4.4.1"] },
    {
      package: { ecosystem: "GIT", name: "ffmpeg" },
      ranges: [{ type: "GIT", repo: "x", events: [{ introduced: "0" }] }],
    },
  ],
};

const withdrawn = {
  ...lodashLike,
  id: "GHSA-test-0003-cccc",
  withdrawn: "2026-01-03T00:00:00Z",
};

const components: Component[] = [
  { type: "npm", name: "left-pad-ish", version: "1.2.3", file: "node_modules/left-pad-ish/package.json" },
  { type: "npm", name: "left-pad-ish", version: "1.2.4", file: "a/node_modules/left-pad-ish/package.json" },
  { type: "npm", name: "left-pad-ish", version: "2.1.0", file: "b/node_modules/left-pad-ish/package.json" },
  { type: "npm", name: "left-pad-ish", version: "2.1.1", file: "c/node_modules/left-pad-ish/package.json" },
  { type: "npm", name: "@acme/updater", version: "3.0.1", file: "node_modules/@acme/updater/package.json" },
  { type: "library", name: "ffmpeg", version: "4.4.1", file: "ffmpeg.dll" },
  { type: "library", name: "ffmpeg", version: "4.4.2", file: "other/ffmpeg.dll" },
  { type: "npm", name: "no-version", file: "x/package.json" },
];

function summary(findings: ReturnType<Awaited<ReturnType<typeof loadOsv>>["match"]>): string[][] {
  return findings.map((f) => [f.file, f.evidence.advisory as string, f.severity, f.evidence.fixed as string]);
}

const expected = [
  ["node_modules/left-pad-ish/package.json", "GHSA-test-0001-aaaa", "high", "1.2.4"],
  ["b/node_modules/left-pad-ish/package.json", "GHSA-test-0001-aaaa", "high", "none"],
  ["node_modules/@acme/updater/package.json", "GHSA-test-0002-bbbb", "critical", "3.0.2"],
  ["ffmpeg.dll", "OSV-TEST-ffmpeg", "medium", "none"],
];

describe("OSV advisories matched against components", () => {
  test("a directory of OSV records: ranges, versions lists, severity, withdrawn records left out", async (t) => {
    const dir = write(tempDir(t), {
      "npm/GHSA-test-0001-aaaa.json": lodashLike,
      "npm/GHSA-test-0002-bbbb.json": scoped,
      "npm/GHSA-test-0003-cccc.json": withdrawn,
      "oss-fuzz/ffmpeg.json": [nativeLib],
      "README.txt": "ignored",
    });
    const advisories = await loadOsv(dir);
    assert.equal(advisories.count, 3);
    const findings = advisories.match(components);
    assert.deepEqual(summary(findings), expected);
    const [first] = findings;
    assert.equal(first?.id, "sbom.vulnerable-component");
    assert.ok(SBOM_FINDINGS.has(first?.id ?? ""));
    assert.equal(first?.layer, "sbom");
    assert.deepEqual(first?.evidence.aliases, ["CVE-2026-0001"]);
    assert.equal(first?.evidence.package, "left-pad-ish");
    assert.equal(first?.evidence.version, "1.2.3");
    assert.match(first?.why ?? "", /left-pad-ish@1\.2\.3 is affected by GHSA-test-0001-aaaa, CVE-2026-0001: Prototype/);
  });

  test("an osv.dev-style all.zip gives the same findings", async (t) => {
    const dir = tempDir(t);
    const path = join(dir, "all.zip");
    writeFileSync(
      path,
      zip({
        "GHSA-test-0001-aaaa.json": JSON.stringify(lodashLike),
        "GHSA-test-0002-bbbb.json": JSON.stringify(scoped),
        "OSV-TEST-ffmpeg.json": JSON.stringify(nativeLib),
        "notes.txt": "not json",
      }),
    );
    assert.deepEqual(summary((await loadOsv(path)).match(components)), expected);
    // A zip inside the advisory directory is read too.
    assert.equal((await loadOsv(dir)).count, 3);
    // A zip larger than the per-file limit is read from disk entry by entry, with the same result.
    assert.deepEqual(summary((await loadOsv(path, { limits: { maxFileBytes: 600 } })).match(components)), expected);
  });

  test("OSV records in an intel directory reach the SBOM layer", async (t) => {
    const dir = write(tempDir(t), { "GHSA-test-0001-aaaa.json": lodashLike });
    const intel = await loadIntel(dir);
    assert.deepEqual(intel.sources, [{ file: "GHSA-test-0001-aaaa.json", kind: "osv", indicators: 1, skipped: 0 }]);
    assert.equal(intel.advisories.match(components).length, 2);
  });

  test("of two records with one id, the later modified wins", async (t) => {
    const fixedLater = {
      ...lodashLike,
      modified: "2026-02-01T00:00:00Z",
      affected: [{ package: { ecosystem: "npm", name: "left-pad-ish" }, versions: ["9.9.9"] }],
    };
    const dir = write(tempDir(t), { "a.json": fixedLater, "b.json": lodashLike });
    const advisories = await loadOsv(dir);
    assert.equal(advisories.count, 1);
    assert.deepEqual(advisories.match(components), []);
  });

  const bad: [string, object, string][] = [
    [
      "a record without affected packages' names",
      { id: "X", modified: "m", affected: [{ package: { ecosystem: "npm" } }] },
      "package needs",
    ],
    [
      "an event with two fields",
      {
        id: "X",
        modified: "m",
        affected: [
          {
            package: { ecosystem: "npm", name: "a" },
            ranges: [{ type: "SEMVER", events: [{ introduced: "0", fixed: "1.0.0" }] }],
          },
        ],
      },
      "exactly one",
    ],
    ["a JSON file that is not OSV", { hello: "world" }, "not an OSV record"],
  ];
  for (const [name, doc, message] of bad) {
    test(`rejects ${name}`, async (t) => {
      const dir = write(tempDir(t), { "x.json": doc });
      await assert.rejects(loadOsv(dir), (e: unknown) => {
        assert.ok(e instanceof ScanFormatError);
        assert.equal(e.code, "SCAN_BAD_OSV");
        assert.match(e.message, new RegExp(`x\\.json.*${message}`));
        return true;
      });
    });
  }

  test("rejects a zip entry that inflates past the size limit (zip bomb)", async (t) => {
    const dir = tempDir(t);
    const path = join(dir, "all.zip");
    writeFileSync(path, zip({ "big.json": JSON.stringify({ ...lodashLike, details: "A".repeat(200_000) }) }));
    await assert.rejects(loadOsv(path, { limits: { maxFileBytes: 100_000 } }), { code: "SCAN_LIMIT_FILE_SIZE" });
  });

  test("rejects a zip entry whose header understates its size (zip bomb), while inflating", async (t) => {
    const dir = tempDir(t);
    const bomb = JSON.stringify({ ...lodashLike, details: "A".repeat(5_000_000) });
    writeFileSync(join(dir, "lying.zip"), zip({ "a.json": bomb }, { declaredSize: 100 }));
    await assert.rejects(loadOsv(join(dir, "lying.zip"), { limits: { maxFileBytes: 1_000_000 } }), {
      code: "SCAN_LIMIT_FILE_SIZE",
    });
    await assert.rejects(loadOsv(join(dir, "lying.zip")), { code: "SCAN_BAD_ZIP" });
  });

  test("rejects a corrupt zip with a typed error", async (t) => {
    const dir = tempDir(t);
    const path = join(dir, "all.zip");
    const good = zip({ "a.json": JSON.stringify(lodashLike) });
    good.fill(0xff, 30, 60); // damage the deflated data
    writeFileSync(path, good);
    await assert.rejects(
      loadOsv(path),
      (e: unknown) => e instanceof ScanFormatError && /SCAN_BAD_(ZIP|OSV)/.test(e.code),
    );
  });
});

describe("CVSS v3 base scores", () => {
  const cases: [string, number | undefined][] = [
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1],
    ["CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8],
    ["CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", undefined],
    ["CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", undefined],
  ];
  for (const [vector, score] of cases) {
    test(vector, () => assert.equal(cvss3BaseScore(vector), score));
  }
});

describe("property: OSV range evaluation agrees with semver ranges", () => {
  const version = fc
    .tuple(fc.nat(5), fc.nat(5), fc.nat(5), fc.option(fc.constantFrom("alpha", "beta.1", "rc.2"), { nil: undefined }))
    .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre === undefined ? "" : `-${pre}`}`);
  test("introduced/fixed pairs", () => {
    fc.assert(
      fc.property(fc.array(version, { minLength: 2, maxLength: 6 }), version, (bounds, v) => {
        const sorted = [...new Set(bounds)].sort(semver.compare);
        if (sorted.length < 2) return;
        const events: OsvEvent[] = [];
        const ranges: string[] = [];
        for (let i = 0; i + 1 < sorted.length; i += 2) {
          events.push({ introduced: sorted[i] as string }, { fixed: sorted[i + 1] as string });
          ranges.push(`>=${sorted[i]} <${sorted[i + 1]}`);
        }
        // Events in any order: the evaluation sorts them.
        const shuffled = [...events].reverse();
        const expected = semver.satisfies(v, ranges.join(" || "), { includePrerelease: true });
        assert.equal(affectedBySemverRange(v, shuffled) !== undefined, expected, `${v} in ${ranges.join(" || ")}`);
      }),
      { numRuns: 1000 },
    );
  });
});
