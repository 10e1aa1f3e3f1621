/**
 * `bulwark audit` on the feed fixtures (written for these tests, modelled on public
 * electron-updater, Sparkle and Squirrel.Windows feeds): each feed type, its grade, the
 * findings it must report and what the attacker summary says.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { AUDIT_SCHEMA, type Verdict } from "../src/audit/finding.js";
import type { AuditReport } from "../src/audit/report.js";
import { runCli } from "./helpers.js";

/** The fixtures, in the source tree (tests run from dist/test). */
export const FEEDS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../test/fixtures/feeds");

/** `bulwark audit FEED --json`, asserting it exits 0. */
export async function audit(feed: string, extra: string[] = []): Promise<AuditReport> {
  const run = await runCli(["audit", feed, "--json", ...extra]);
  assert.equal(run.code, 0, `audit ${feed} failed: ${run.stderr}`);
  return run.json<AuditReport>();
}

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
      ["build.no-independent-builders", "high"],
      ["feed.no-expiry", "medium"],
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
      ["feed.no-expiry", "medium"],
    ],
    verdicts: { "arbitrary-install": "prevented", freeze: "possible" },
  },
  {
    file: "electron-linux/latest-linux.yml",
    type: "electron-updater",
    grade: "F",
    findings: [["electron.linux-no-signature", "critical"]],
    verdicts: { "arbitrary-install": "possible" },
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
    ],
    verdicts: { "arbitrary-install": "prevented", rollback: "possible", "mix-and-match": "possible" },
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
      rollback: "limited",
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
    ],
    verdicts: { "arbitrary-install": "possible", "endless-data": "possible" },
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

describe("bulwark audit: feed fixtures", () => {
  for (const c of CASES) {
    it(`${c.file}: ${c.type}, grade ${c.grade}`, async () => {
      const r = await audit(path.join(FEEDS, c.file));
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
    const r = await audit(path.join(FEEDS, "sparkle-legacy/appcast.xml"));
    const dsa = r.findings.find((f) => f.id === "sparkle.dsa-only");
    assert.match(
      dsa?.evidence ?? "",
      /^line 8: <enclosure url="http:\/\/clipper\.example\.org\/files\/Clipper-2\.4\.1\.dmg">/,
    );
    const squirrel = await audit(path.join(FEEDS, "squirrel/RELEASES"));
    assert.match(
      squirrel.findings[0]?.evidence ?? "",
      /^line 1: 86F7E437FAA5A7FCE15D1DDCB9EAEAEA377667B8 ExampleChat-3\.0\.0-full\.nupkg 98123456$/,
    );
  });

  it("prints a table, Markdown, or the JSON document with --format json", async () => {
    const feed = path.join(FEEDS, "electron-win/latest.yml");
    const table = await runCli(["audit", feed, "--vendor-name", "Example Notes"]);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^Example Notes: electron-updater feed at .*latest\.yml\nGrade D/);
    assert.match(
      table.stdout,
      /An attacker who controls this server can …\nattack +verdict +why\narbitrary install +unknown/,
    );
    const md = await runCli(["audit", feed, "--format", "markdown"]);
    assert.match(md.stdout, /^# Update feed audit: electron-updater feed at/);
    assert.match(md.stdout, /\| high \| the feed itself is not signed/);
    const json = await runCli(["audit", feed, "--format", "json"]);
    assert.equal(JSON.parse(json.stdout).schema, AUDIT_SCHEMA);
    assert.equal((await runCli(["audit", feed, "--format", "yaml"])).code, 2);
  });

  it("--min-grade fails the run below the grade", async () => {
    const feed = path.join(FEEDS, "squirrel/RELEASES");
    assert.equal((await runCli(["audit", feed, "--min-grade", "C"])).code, 1);
    assert.equal((await runCli(["audit", feed, "--min-grade", "F"])).code, 0);
  });

  it("the README shows real runs of the fixture audits", async () => {
    const root = path.resolve(FEEDS, "../../../../..");
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    const blocks = [
      ...readme.matchAll(/```text\n\$ npx bulwark (audit packages\/cli\/test\/fixtures\/feeds\/\S+)\n([^`]*)```/g),
    ];
    assert.ok(blocks.length >= 4, "the README shows the fixture audits");
    for (const [, command, output] of blocks) {
      const run = await runCli((command as string).split(" "), { cwd: root });
      assert.equal(run.stdout, output, `README output of \`bulwark ${command}\``);
    }
  });

  it("a missing file is a clear error", async () => {
    const run = await runCli(["audit", path.join(FEEDS, "no-such-feed.yml"), "--json"]);
    assert.equal(run.code, 1);
    assert.equal(run.json<{ error: { code: string } }>().error.code, "AUDIT_NOT_FOUND");
  });
});
