/**
 * The audit of the feed fixtures (written for these tests, modelled on public
 * electron-updater, Sparkle and Squirrel.Windows feeds): each feed type, its grade, the
 * findings it must report and what the attacker summary says.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { tempDir } from "@bulwark/testkit";
import { auditFeed } from "../src/audit.js";
import { FETCH_ERRORS, FeedFetchError } from "../src/errors.js";
import { AUDIT_SCHEMA, type Verdict } from "../src/finding.js";

/** The fixtures, in the source tree (tests run from dist/test). */
export const FEEDS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../test/fixtures/feeds");

interface Case {
  readonly file: string;
  readonly type: string;
  readonly grade: string;
  readonly findings: ReadonlyArray<readonly [id: string, severity: string]>;
  readonly verdicts: Readonly<Record<string, Verdict>>;
}

const CASES: readonly Case[] = [
  {
    file: "electron-win/latest.yml",
    type: "electron-updater",
    grade: "D",
    findings: [
      ["electron.feed-unsigned", "high"],
      ["electron.windows-publisher-check", "high"],
      ["build.no-independent-builders", "medium"],
      ["feed.no-expiry", "medium"],
      ["feed.no-rollback-protection", "medium"],
      ["release.no-transparency-log", "low"],
      ["electron.staged-rollout", "info"],
    ],
    verdicts: { "arbitrary-install": "unknown", rollback: "possible", "build-machine": "possible" },
  },
  {
    file: "electron-mac/latest-mac.yml",
    type: "electron-updater",
    grade: "D",
    findings: [
      ["electron.feed-unsigned", "high"],
      ["electron.macos-code-signature", "info"],
      ["build.no-independent-builders", "high"],
      ["feed.no-expiry", "medium"],
      ["feed.no-rollback-protection", "medium"],
    ],
    verdicts: { "arbitrary-install": "prevented", rollback: "possible", freeze: "possible" },
  },
  {
    file: "electron-linux/latest-linux.yml",
    type: "electron-updater",
    grade: "F",
    findings: [
      ["electron.linux-no-signature", "critical"],
      ["build.no-independent-builders", "low"],
      ["feed.no-rollback-protection", "medium"],
    ],
    verdicts: { "arbitrary-install": "possible", rollback: "possible" },
  },
  {
    file: "sparkle/appcast.xml",
    type: "sparkle",
    grade: "D",
    findings: [
      ["sparkle.feed-unsigned", "high"],
      ["build.no-independent-builders", "high"],
      ["feed.no-expiry", "medium"],
      ["sparkle.phased-rollout", "info"],
      ["sparkle.critical-update", "info"],
      ["sparkle.version-gate", "info"],
      ["release.no-transparency-log", "low"],
    ],
    verdicts: { "arbitrary-install": "prevented", rollback: "prevented", "mix-and-match": "possible" },
  },
  {
    file: "sparkle-signed/appcast.xml",
    type: "sparkle",
    grade: "C",
    findings: [
      ["sparkle.feed-signed", "info"],
      ["feed.no-expiry", "medium"],
    ],
    verdicts: {
      "arbitrary-install": "prevented",
      rollback: "prevented",
      "mix-and-match": "prevented",
      freeze: "possible",
    },
  },
  {
    file: "sparkle-legacy/appcast.xml",
    type: "sparkle",
    grade: "D",
    findings: [
      ["sparkle.unsigned-enclosure", "high"],
      ["sparkle.dsa-only", "medium"],
      ["transport.plain-http", "high"],
      ["transport.plain-http", "medium"],
      ["build.no-independent-builders", "medium"],
    ],
    verdicts: { "arbitrary-install": "limited" },
  },
  {
    file: "squirrel/RELEASES",
    type: "squirrel-windows",
    grade: "F",
    findings: [
      ["squirrel.no-signature", "critical"],
      ["squirrel.sha1", "medium"],
      ["feed.no-rollback-protection", "medium"],
      ["release.no-transparency-log", "low"],
      ["build.no-independent-builders", "low"],
    ],
    verdicts: { "arbitrary-install": "possible", rollback: "possible", "endless-data": "possible" },
  },
  {
    file: "unknown/update.json",
    type: "unknown",
    grade: "F",
    findings: [
      ["feed.unrecognised", "high"],
      ["unknown.digests", "info"],
    ],
    verdicts: { "arbitrary-install": "unknown" },
  },
  {
    file: "bad/billion-laughs.xml",
    type: "sparkle",
    grade: "F",
    findings: [["feed.entity-expansion-refused", "high"]],
    verdicts: { freeze: "unknown" },
  },
  {
    file: "bad/latest.yml",
    type: "electron-updater",
    grade: "F",
    findings: [["feed.unreadable", "high"]],
    verdicts: { rollback: "unknown" },
  },
];

describe("auditFeed: feed fixtures", () => {
  for (const c of CASES) {
    it(`${c.file}: ${c.type}, grade ${c.grade}`, async () => {
      const r = await auditFeed(path.join(FEEDS, c.file));
      assert.equal(r.schema, AUDIT_SCHEMA);
      assert.equal(r.feed.type, c.type);
      for (const [id, severity] of c.findings) {
        assert.ok(
          r.findings.some((f) => f.id === id && f.severity === severity),
          `expected ${severity} ${id}; got ${r.findings.map((f) => `${f.severity} ${f.id}`).join(", ")}`,
        );
      }
      for (const f of r.findings) {
        assert.ok(f.evidence.length > 0, `${f.id} has evidence`);
        if (f.severity !== "info") assert.ok(f.ask.length > 0, `${f.id} says what to ask the vendor`);
      }
      for (const [attack, verdict] of Object.entries(c.verdicts)) {
        assert.equal(r.attacks.find((a) => a.attack === attack)?.verdict, verdict, attack);
      }
      assert.equal(r.attacks.length, 7, "every attack of the threat model, and the build machine, is judged");
      assert.equal(r.grade, c.grade, r.findings.map((f) => `${f.severity} ${f.id}`).join(", "));
    });
  }

  it("quotes the exact line as evidence", async () => {
    const r = await auditFeed(path.join(FEEDS, "sparkle-legacy/appcast.xml"));
    const dsa = r.findings.find((f) => f.id === "sparkle.dsa-only");
    assert.match(
      dsa?.evidence ?? "",
      /^line 8: <enclosure url="http:\/\/clipper\.example\.org\/files\/Clipper-2\.4\.1\.dmg">/,
    );
    const squirrel = await auditFeed(path.join(FEEDS, "squirrel/RELEASES"));
    assert.match(
      squirrel.findings[0]?.evidence ?? "",
      /^line 1: 86F7E437FAA5A7FCE15D1DDCB9EAEAEA377667B8 ExampleChat-3\.0\.0-full\.nupkg 98123456$/,
    );
  });

  it("a missing file is a clear error", async () => {
    await assert.rejects(
      auditFeed(path.join(FEEDS, "no-such-feed.yml")),
      (error) => error instanceof FeedFetchError && error.code === FETCH_ERRORS.NOT_FOUND,
    );
  });

  it("resolves a relative input against cwd, and names the vendor and the tool", async () => {
    const r = await auditFeed("squirrel/RELEASES", { cwd: FEEDS, vendor: "Example Chat", toolVersion: "9.9.9" });
    assert.equal(r.source.input, "squirrel/RELEASES");
    assert.equal(r.source.location, path.join(FEEDS, "squirrel/RELEASES"));
    assert.equal(r.vendor, "Example Chat");
    assert.deepEqual(r.tool, { name: "bulwark", version: "9.9.9" });
  });
});

const SHA = "3qYayqdvvM1ROeHLnUu84IuXAzAAK2tX3iw51mxtwABLvbTiQoo6czslvHSdHk/8IwGudh+o4x1idlpcMtLqEw==";
const EXE = "Example-Notes-Setup-4.2.1.exe";

/**
 * The fixture electron-win/latest.yml, written with YAML that a subset reader refused:
 * electron-updater reads each of them with its full YAML parser, so each must grade as
 * the plain one does.
 */
const SPELLINGS: ReadonlyArray<[string, string]> = [
  [
    "flow mappings and sequences",
    `version: 4.2.1\nfiles: [{url: ${EXE}, sha512: "${SHA}", size: 91234567, isAdminRightsRequired: false}]\npath: ${EXE}\nsha512: ${SHA}\nreleaseDate: "2025-05-14T09:12:44.318Z"\nstagingPercentage: 25\n`,
  ],
  [
    "block scalars",
    `version: 4.2.1\nfiles:\n  - url: ${EXE}\n    sha512: >-\n      ${SHA}\n    size: 91234567\npath: |-\n  ${EXE}\nsha512: ${SHA}\nreleaseDate: "2025-05-14T09:12:44.318Z"\nstagingPercentage: 25\n`,
  ],
  [
    "quoted keys and comments",
    `# written by electron-builder\n"version": 4.2.1 # the newest\n'files':\n  # one installer\n  - "url": ${EXE}\n    'sha512': ${SHA}\n    size: 91234567\n"path": ${EXE}\nsha512: ${SHA}\nreleaseDate: '2025-05-14T09:12:44.318Z'\nstagingPercentage: 25\n`,
  ],
  [
    "anchors and aliases",
    `version: 4.2.1\nfiles:\n  - url: &installer ${EXE}\n    sha512: &hash ${SHA}\n    size: 91234567\npath: *installer\nsha512: *hash\nreleaseDate: "2025-05-14T09:12:44.318Z"\nstagingPercentage: 25\n`,
  ],
  [
    "multi-line strings",
    `version: 4.2.1\nfiles:\n  - url: ${EXE}\n    sha512: ${SHA}\n    size: 91234567\npath: ${EXE}\nsha512: ${SHA}\nreleaseNotes: Fixes a crash\n  when the window closes,\n  and speeds up start.\nreleaseName: "Example Notes\n  4.2.1"\nreleaseDate: "2025-05-14T09:12:44.318Z"\nstagingPercentage: 25\n`,
  ],
  [
    "a --- document start and ... end",
    `---\nversion: 4.2.1\nfiles:\n- url: ${EXE}\n  sha512: ${SHA}\n  size: 91234567\npath: ${EXE}\nsha512: ${SHA}\nreleaseDate: "2025-05-14T09:12:44.318Z"\nstagingPercentage: 25\n...\n`,
  ],
];

describe("auditFeed: valid YAML grades like its plain equivalent", () => {
  for (const [name, text] of SPELLINGS) {
    it(name, async (t) => {
      const plain = await auditFeed(path.join(FEEDS, "electron-win/latest.yml"));
      const dir = tempDir(t);
      writeFileSync(path.join(dir, "latest.yml"), text);
      const r = await auditFeed(path.join(dir, "latest.yml"));
      assert.equal(r.feed.type, "electron-updater");
      assert.equal(r.grade, plain.grade);
      assert.deepEqual(r.findings, plain.findings);
      assert.deepEqual(r.attacks, plain.attacks);
      assert.deepEqual(r.feed.facts, plain.feed.facts);
    });
  }

  it("an alias bomb is unreadable (graded F), not expanded", async (t) => {
    const dir = tempDir(t);
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (const [name, prev] of [
      ["b", "a"],
      ["c", "b"],
      ["d", "c"],
      ["e", "d"],
      ["f", "e"],
    ]) {
      bomb.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
    }
    writeFileSync(path.join(dir, "latest.yml"), `version: 1.0.0\n${bomb.join("\n")}\n`);
    const r = await auditFeed(path.join(dir, "latest.yml"));
    assert.equal(r.grade, "F");
    assert.match(r.feed.facts.find((f) => f.name === "parse error")?.value ?? "", /AUDIT_TOO_LARGE/);
  });
});
