/**
 * What a security reviewer reports for each feed type, by category (issue 14): rollback,
 * transparency, the build-machine case rated by what it changes for the feed's attacker,
 * hostile inputs named by the bound or construct refused, and plain HTTP apart from a local
 * test's loopback address. Feeds are written here from each format's public documentation.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { listen, tempDir } from "@bulwark/testkit";
import { auditFeed } from "../src/audit.js";
import { buildMachineSeverity, isLoopback, transportOf } from "../src/common.js";
import { ATTACKS } from "../src/finding.js";
import { allFindingIds } from "../src/finding-ids.js";
import type { AuditReport } from "../src/report.js";

type T = Parameters<typeof tempDir>[0] & { after(fn: () => void | Promise<void>): void };

const SHA = "3qYayqdvvM1ROeHLnUu84IuXAzAAK2tX3iw51mxtwABLvbTiQoo6czslvHSdHk/8IwGudh+o4x1idlpcMtLqEw==";
const ED = "V3emrSp54vgJMpLI+3KnGKrNgpiv7CjiMgHtGu6gdccoRHQ86gQmCUpaqitiHMVLb0T2yGX9ZY2oxn1TofDX4A==";
const SQUIRREL = "3C363836CF4E16666669A25DA280A1865C2D2874 Example-2.0.0-full.nupkg 1000\n";

const electron = (files = "  - url: Example-Setup-2.0.0.exe") =>
  `version: 2.0.0\nfiles:\n${files}\n    sha512: ${SHA}\n    size: 1000\npath: Example-Setup-2.0.0.exe\nsha512: ${SHA}\nreleaseDate: "2025-06-01T10:00:00.000Z"\n`;

/** An appcast with one item; `enclosure` is the enclosure's attributes. */
const appcast = (enclosure: string, tail = "") =>
  `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:sparkle="http://www.andymatuschak.org/xml-namespaces/sparkle">
  <channel>
    <title>Example</title>
    <item>
      <title>Version 2.0</title>
      <sparkle:version>200</sparkle:version>
      <enclosure ${enclosure} length="1000" type="application/octet-stream"/>
    </item>
  </channel>
</rss>
${tail}`;

/** Sparkle's signed-feed block over `body` (the signature is not verified by the audit: the key is in the app). */
function signed(body: string): string {
  return `${body}<!-- sparkle-signatures:\nedSignature: ${ED}\nlength: ${Buffer.byteLength(body)}\n-->\n`;
}

async function audit(t: T, name: string, text: string): Promise<AuditReport> {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, name), text);
  return auditFeed(path.join(dir, name));
}

function ids(r: AuditReport): string {
  return r.findings.map((f) => `${f.severity} ${f.id}`).join(", ");
}

function verdict(r: AuditReport, attack: string): string | undefined {
  return r.attacks.find((a) => a.attack === attack)?.verdict;
}

function severityOf(r: AuditReport, id: string): string | undefined {
  return r.findings.find((f) => f.id === id)?.severity;
}

const ARCHIVE = `url="https://example.com/Example-2.0.zip" sparkle:edSignature="${ED}"`;
const PACKAGE = `url="https://example.com/Example-2.0.pkg" sparkle:installationType="package" sparkle:edSignature="${ED}"`;

describe("rollback: version monotonicity", () => {
  const unprotected: ReadonlyArray<[string, string, string]> = [
    ["electron-updater (latest.yml)", "latest.yml", electron()],
    ["Squirrel.Windows (RELEASES)", "RELEASES", SQUIRREL],
    ["a Sparkle installer package in an unsigned appcast", "appcast.xml", appcast(PACKAGE)],
  ];
  for (const [name, file, text] of unprotected) {
    it(`${name}: a finding, and rollback is possible`, async (t) => {
      const r = await audit(t, file, text);
      assert.equal(severityOf(r, "feed.no-rollback-protection"), "medium", ids(r));
      assert.equal(verdict(r, "rollback"), "possible");
    });
  }

  it("Sparkle app bundles: downgrade protection is credited, even with an unsigned appcast", async (t) => {
    const r = await audit(t, "appcast.xml", appcast(ARCHIVE));
    assert.equal(verdict(r, "rollback"), "prevented");
    assert.match(r.attacks.find((a) => a.attack === "rollback")?.detail ?? "", /newer than the installed one/);
    assert.ok(!r.findings.some((f) => f.id === "feed.no-rollback-protection"), ids(r));
  });

  it("Sparkle installer packages in a signed appcast: limited (it holds if the app requires signed feeds)", async (t) => {
    const r = await audit(t, "appcast.xml", signed(appcast(PACKAGE)));
    assert.equal(verdict(r, "rollback"), "limited");
    assert.ok(!r.findings.some((f) => f.id === "feed.no-rollback-protection"), ids(r));
    assert.equal(r.feed.facts.find((f) => f.name === "installer packages")?.value, "1 of 1");
  });

  it("an installation type written as an item element counts as well", async (t) => {
    const text = appcast(ARCHIVE.replace(".zip", ".dmg")).replace(
      "<sparkle:version>",
      "<sparkle:installationType>interactive-package</sparkle:installationType><sparkle:version>",
    );
    const r = await audit(t, "appcast.xml", text);
    assert.equal(verdict(r, "rollback"), "possible");
  });
});

describe("transparency: feeds logged nowhere", () => {
  const feeds: ReadonlyArray<[string, string]> = [
    ["latest.yml", electron()],
    ["appcast.xml", signed(appcast(ARCHIVE))],
    ["RELEASES", SQUIRREL],
  ];
  for (const [file, text] of feeds) {
    it(`${file}: release.no-transparency-log, and a targeted release is possible`, async (t) => {
      const r = await audit(t, file, text);
      assert.equal(severityOf(r, "release.no-transparency-log"), "low", ids(r));
      assert.equal(verdict(r, "targeted-release"), "possible");
    });
  }
});

describe("build machine (3CX): rated by what it changes for the feed's attacker", () => {
  const cases: ReadonlyArray<[string, string, string, string]> = [
    [
      "Linux electron-updater: the server already installs anything",
      "latest-linux.yml",
      electron("  - url: Example-2.0.0.AppImage"),
      "low",
    ],
    ["Squirrel.Windows: the server already installs anything", "RELEASES", SQUIRREL, "low"],
    ["Windows electron-updater: only Authenticode stands", "latest.yml", electron(), "medium"],
    [
      "Sparkle without EdDSA: only Apple code signing stands",
      "appcast.xml",
      appcast('url="https://example.com/Example-2.0.zip"'),
      "medium",
    ],
    [
      "macOS electron-updater: the build machine is the way left",
      "latest-mac.yml",
      electron("  - url: Example-2.0.0-mac.zip"),
      "high",
    ],
    ["Sparkle with EdDSA on every archive: the build machine is the way left", "appcast.xml", appcast(ARCHIVE), "high"],
  ];
  for (const [name, file, text, severity] of cases) {
    it(`${name}: ${severity}`, async (t) => {
      const r = await audit(t, file, text);
      assert.equal(severityOf(r, "build.no-independent-builders"), severity, ids(r));
    });
  }

  it("the rubric follows the arbitrary-install verdict", () => {
    assert.deepEqual((["prevented", "limited", "unknown", "possible"] as const).map(buildMachineSeverity), [
      "high",
      "medium",
      "medium",
      "low",
    ]);
  });
});

describe("hostile inputs: what was refused, and why", () => {
  const aliasBomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (const [n, p] of [
    ["b", "a"],
    ["c", "b"],
    ["d", "c"],
    ["e", "d"],
  ]) {
    aliasBomb.push(`${n}: &${n} [${Array(10).fill(`*${p}`).join(", ")}]`);
  }
  const cases: ReadonlyArray<[string, string, string, string, RegExp]> = [
    [
      "a YAML alias bomb (billion laughs)",
      "latest.yml",
      `version: 1.0.0\n${aliasBomb.join("\n")}\n`,
      "feed.limit-exceeded",
      /more than 100 aliases resolved \(bound maxAliasCount\), an alias bomb/,
    ],
    [
      "YAML nested past the depth bound",
      "latest.yml",
      `version: 1.0.0\nx: ${"[".repeat(40)}${"]".repeat(40)}\n`,
      "feed.limit-exceeded",
      /nested deeper than 32 levels \(bound maxDepth\)/,
    ],
    [
      "an XML entity bomb",
      "appcast.xml",
      '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n<rss>&b;</rss>',
      "feed.entity-expansion-refused",
      /declares <!DOCTYPE, with entity declarations; DTDs are refused and no entity is ever expanded/,
    ],
    [
      "an external DTD",
      "appcast.xml",
      '<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "http://attacker.example/x.dtd">\n<rss/>',
      "feed.entity-expansion-refused",
      /declares <!DOCTYPE;/,
    ],
    [
      "an undeclared entity",
      "appcast.xml",
      '<rss version="2.0"><channel><title>&xxe;</title></channel></rss>',
      "feed.entity-expansion-refused",
      /&xxe; is not one of XML's five predefined entities/,
    ],
    [
      "XML nested past the depth bound",
      "appcast.xml",
      `<rss>${"<a>".repeat(100)}${"</a>".repeat(100)}</rss>`,
      "feed.limit-exceeded",
      /elements nested deeper than 64 levels \(bound maxDepth\)/,
    ],
    [
      "XML with too many nodes",
      "appcast.xml",
      `<rss><channel>${"<item/>".repeat(200_001)}</channel></rss>`,
      "feed.limit-exceeded",
      /more than 200000 elements, text runs and comments \(bound maxNodes\)/,
    ],
  ];
  for (const [name, file, text, id, title] of cases) {
    it(`${name}: ${id}, naming it`, async (t) => {
      const r = await audit(t, file, text);
      const f = r.findings.find((x) => x.id === id);
      assert.match(f?.title ?? "", title, ids(r));
      assert.equal(r.grade, "F");
      assert.ok(!r.findings.some((x) => x.id === "feed.unreadable"), ids(r));
    });
  }
});

describe("electron-updater: a file name built for the 2020 signature-check bypass", () => {
  it("a quote in a Windows installer's name is a high finding; spaces are fine", async (t) => {
    const r = await audit(t, "latest.yml", electron(`  - url: "v'ulnerable-Setup-2.0.0.exe"`));
    const f = r.findings.find((x) => x.id === "electron.unsafe-file-name");
    assert.equal(f?.severity, "high", ids(r));
    assert.match(f?.title ?? "", /failed open \(the 2020 signature-validation bypass\)/);
    const fine = await audit(t, "latest.yml", electron("  - url: Example Setup 2.0.0.exe"));
    assert.ok(!fine.findings.some((x) => x.id === "electron.unsafe-file-name"), ids(fine));
    const encoded = await audit(t, "latest.yml", electron("  - url: https://example.com/a%27b-Setup.exe"));
    assert.ok(
      encoded.findings.some((x) => x.id === "electron.unsafe-file-name"),
      ids(encoded),
    );
  });
});

describe("feeds edited by hand: fields that disagree, signatures that cannot verify", () => {
  it("a legacy path that is not one of the files: older clients get another file", async (t) => {
    const text = electron().replace("path: Example-Setup-2.0.0.exe", "path: Other-Setup-1.0.0.exe");
    const r = await audit(t, "latest.yml", text);
    assert.equal(severityOf(r, "electron.legacy-mismatch"), "medium", ids(r));
    const digest = electron().replace(/^sha512: .*$/m, `sha512: ${"A".repeat(86)}==`);
    assert.match(
      (await audit(t, "latest.yml", digest)).findings.find((f) => f.id === "electron.legacy-mismatch")?.title ?? "",
      /legacy top-level sha512 .* differs/,
    );
    assert.ok(!(await audit(t, "latest.yml", electron())).findings.some((f) => f.id === "electron.legacy-mismatch"));
  });

  it("an edSignature that is not 64 bytes of base64: Sparkle refuses the update", async (t) => {
    const r = await audit(
      t,
      "appcast.xml",
      appcast('url="https://example.com/Example-2.0.zip" sparkle:edSignature="c2lnbmF0dXJl"'),
    );
    assert.equal(severityOf(r, "sparkle.bad-signature"), "medium", ids(r));
    assert.ok(
      !(await audit(t, "appcast.xml", appcast(ARCHIVE))).findings.some((f) => f.id === "sparkle.bad-signature"),
    );
  });
});

describe("transport: plain HTTP, and a local test's loopback address", () => {
  it("a plain-http download URL in a feed says plain HTTP clearly", async (t) => {
    const r = await audit(t, "latest.yml", electron("  - url: http://downloads.example.com/Example-Setup-2.0.0.exe"));
    const f = r.findings.find((x) => x.id === "transport.plain-http");
    assert.equal(f?.severity, "high");
    assert.match(f?.title ?? "", /is fetched over plain HTTP \(no TLS\)/);
  });

  it("a feed served from 127.0.0.1 over http is not a finding against the vendor, only a note", async (t) => {
    const text = electron();
    const base = await listen(t, (_req, res) => res.writeHead(200).end(text));
    const r = await auditFeed(`${base}latest.yml`);
    assert.ok(!r.findings.some((f) => f.id === "transport.plain-http"), ids(r));
    const note = r.findings.find((f) => f.id === "transport.loopback");
    assert.equal(note?.severity, "info");
    assert.match(note?.title ?? "", /plain HTTP on this machine's loopback address/);
    assert.equal(r.feed.facts.find((f) => f.name === "transport")?.value, "plain HTTP on loopback (a local test)");
  });

  it("the transport fact says plain HTTP, https or a local file", () => {
    assert.deepEqual(
      ["http://updates.example.com/latest.yml", "https://updates.example.com/latest.yml", "/tmp/latest.yml"].map(
        transportOf,
      ),
      ["plain HTTP (no TLS)", "https", "local file"],
    );
  });

  it("loopback is 127.0.0.0/8, ::1 and localhost, nothing else", () => {
    for (const url of [
      "http://127.0.0.1/",
      "http://127.1.2.3:8080/x",
      "http://[::1]/",
      "http://localhost/",
      "http://app.localhost/",
      "http://[::ffff:127.0.0.1]/",
    ]) {
      assert.ok(isLoopback(url), url);
    }
    for (const url of [
      "http://128.0.0.1/",
      "http://10.0.0.1/",
      "http://localhost.example.com/",
      "http://127.0.0.1.nip.io/",
      "not a url",
    ]) {
      assert.ok(!isLoopback(url), url);
    }
  });
});

describe("docs/audit.md lists every finding ID, verdict and attack", () => {
  const doc = readFileSync(
    path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../docs/audit.md"),
    "utf8",
  );
  const table = doc.slice(doc.indexOf("## Finding IDs"));

  it("every ID the code can emit has a row with its meaning", () => {
    for (const id of allFindingIds()) {
      const spelled = id.replace(
        /^tuf\.(root|timestamp|snapshot|targets|delegated)\.(threshold-unreachable|key-aliases|unknown-key-id|long-expiry|expired|missing|does-not-verify)$/,
        "tuf.ROLE.$2",
      );
      assert.match(table, new RegExp(`^\\| \`${spelled.replaceAll(".", "\\.")}\` \\| [a-z]+[^|]*\\| \\S`, "m"), id);
    }
  });

  it("every ID the docs list is one the code can emit", () => {
    const known = new Set(
      allFindingIds().map((id) =>
        id.replace(
          /^tuf\.[a-z]+\.(threshold-unreachable|key-aliases|unknown-key-id|long-expiry|expired|missing|does-not-verify)$/,
          "tuf.ROLE.$1",
        ),
      ),
    );
    for (const [, id] of table.matchAll(/^\| `([a-zA-Z.-]+)` \|/gm)) assert.ok(known.has(id as string), id);
  });

  it("every verdict and attack is explained", () => {
    for (const v of ["possible", "limited", "prevented", "unknown"])
      assert.match(doc, new RegExp(`^\\| ${v} \\| \\S`, "m"), v);
    for (const a of Object.keys(ATTACKS)) assert.match(doc, new RegExp(`^\\| \`${a}\` \\| \\S`, "m"), a);
  });
});
