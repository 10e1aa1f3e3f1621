/**
 * Squirrel.Windows and Velopack RELEASES files, written for these tests from the grammar
 * both projects' ReleaseEntry parsers accept: comments, a staged-rollout `# N%` at the end
 * of a package line, blank lines, a byte-order mark, CRLF, file names or absolute URLs
 * (with query strings), delta packages, SHA-1 in either case, extra white space, and
 * Velopack's file names with spaces and RELEASES-{channel} names. Each must be read, never
 * graded unreadable; what the clients refuse is refused, naming the line. Properties:
 * any input gives entries or a typed error; entries written in any accepted spelling read back.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "@bulwark/testkit";
import fc from "fast-check";
import { auditFeed } from "../src/audit.js";
import { FEED_ERRORS, FeedFormatError } from "../src/errors.js";
import { parseReleases } from "../src/releases-file.js";
import type { AuditReport } from "../src/report.js";

type T = Parameters<typeof tempDir>[0];

const A = "3C363836CF4E16666669A25DA280A1865C2D2874";
const B = "58e6b3a414a1e090dfc6029add0f3555ccba127f";
const C = "E9D71F5EE7C92D6DC9E92FFDAD17B8BD49418F98";

/** Audits `text` written to a file named `name` (RELEASES unless given). */
async function audit(t: T, text: string | Uint8Array, name = "RELEASES"): Promise<AuditReport> {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, name), text);
  return auditFeed(path.join(dir, name));
}

function ids(r: AuditReport): string {
  return r.findings.map((f) => `${f.severity} ${f.id}`).join(", ");
}

function fact(r: AuditReport, name: string): string | undefined {
  return r.feed.facts.find((f) => f.name === name)?.value;
}

/** Every form the clients' parsers accept, and the packages each must yield (full, delta). */
const FORMS: ReadonlyArray<[name: string, text: string | Uint8Array, packages: string]> = [
  ["plain lines", `${A} App-1.0.0-full.nupkg 1000\n${B} App-1.0.1-full.nupkg 1001\n`, "2 full, 0 delta"],
  [
    "comment lines, before and between the packages",
    `# written by the release script\n${A} App-1.0.0-full.nupkg 1000\n#\n# next\n${B} App-1.0.1-full.nupkg 1001\n`,
    "2 full, 0 delta",
  ],
  [
    "a comment after a package line",
    `${A} App-1.0.0-full.nupkg 1000 # the first\n${B} App-1.0.1-full.nupkg 1001#tight\n`,
    "2 full, 0 delta",
  ],
  [
    "a staged rollout at the end of a line",
    `${A} App-1.0.0-full.nupkg 1000\n${B} App-1.0.1-full.nupkg 1001 # 10%\n`,
    "2 full, 0 delta",
  ],
  [
    "blank and white-space-only lines",
    `\n\n${A} App-1.0.0-full.nupkg 1000\n   \n\t\n${B} App-1.0.1-full.nupkg 1001\n\n`,
    "2 full, 0 delta",
  ],
  ["a byte-order mark", `\uFEFF${A} App-1.0.0-full.nupkg 1000\n`, "1 full, 0 delta"],
  ["CRLF line ends", `${A} App-1.0.0-full.nupkg 1000\r\n${B} App-1.0.1-full.nupkg 1001 # 25%\r\n`, "2 full, 0 delta"],
  ["no newline at the end", `${A} App-1.0.0-full.nupkg 1000`, "1 full, 0 delta"],
  [
    "SHA-1 in lower, upper and mixed case",
    `${A} a-1.0.0-full.nupkg 1\n${B} a-1.0.1-full.nupkg 2\n3c363836CF4E16666669a25da280a1865c2d2874 a-1.0.2-full.nupkg 3\n`,
    "3 full, 0 delta",
  ],
  [
    "tabs and runs of spaces between fields, space around the line",
    `  ${A}\t\tApp-1.0.0-full.nupkg    1000  \n`,
    "1 full, 0 delta",
  ],
  [
    "absolute URLs, with a query string",
    `${A} https://cdn.example.com/app/App-1.0.0-full.nupkg 1000\n${B} https://cdn.example.com/app/App-1.0.1-full.nupkg?sig=abc&exp=9 1001\n`,
    "2 full, 0 delta",
  ],
  [
    "delta packages",
    `${A} App-1.0.0-full.nupkg 1000\n${C} App-1.0.1-delta.nupkg 10\n${B} App-1.0.1-full.nupkg 1001\n`,
    "2 full, 1 delta",
  ],
  ["Velopack: a file name with spaces", `${A} My App-1.0.0-full.nupkg 1000\n`, "1 full, 0 delta"],
  ["an empty file (no update offered)", "", "0 full, 0 delta"],
  ["comments only", "# nothing released yet\n", "0 full, 0 delta"],
];

describe("Squirrel.Windows RELEASES: every form the clients accept is read", () => {
  for (const [name, text, packages] of FORMS) {
    it(name, async (t) => {
      const r = await audit(t, text);
      assert.equal(r.feed.type, "squirrel-windows");
      assert.ok(!r.findings.some((f) => f.id.startsWith("feed.unreadable")), ids(r));
      assert.equal(fact(r, "packages"), packages);
      assert.ok(
        r.findings.some((f) => f.id === "squirrel.no-signature"),
        ids(r),
      );
    });
  }

  it("a staged-rollout line becomes an info finding naming the package and the percentage", async (t) => {
    const r = await audit(t, `${A} App-1.0.0-full.nupkg 1000\r\n${B} App-1.0.1-full.nupkg 1001 # 10%\r\n`);
    const staged = r.findings.find((f) => f.id === "squirrel.staged-rollout");
    assert.equal(staged?.severity, "info");
    assert.equal(staged?.subject, "App-1.0.1-full.nupkg");
    assert.match(staged?.title ?? "", /staged to 10% of users/);
    assert.equal(staged?.evidence, `line 2: ${B} App-1.0.1-full.nupkg 1001 # 10%`);
    assert.equal(fact(r, "staged rollout"), "App-1.0.1-full.nupkg 10%");
  });

  it("a percentage on a line of its own stages nothing, and says so", async (t) => {
    const r = await audit(t, `# 10%\n${A} App-1.0.0-full.nupkg 1000\n`);
    const stray = r.findings.find((f) => f.id === "squirrel.staged-rollout");
    assert.match(stray?.title ?? "", /line of its own.*stages nothing/);
    assert.equal(stray?.evidence, "line 1: # 10%");
  });

  it("Velopack's RELEASES-{channel} files are recognised by name, and RELEASES by content", async (t) => {
    const text = `${A} App-1.0.0-full.nupkg 1000\n`;
    assert.equal((await audit(t, text, "RELEASES-beta")).feed.type, "squirrel-windows");
    assert.equal((await audit(t, `# comment first\n${text}`, "feed.txt")).feed.type, "squirrel-windows");
  });

  it("quotes the package line as evidence, and names the newest full package", async (t) => {
    const r = await audit(
      t,
      `# header\n${A} App-1.0.0-full.nupkg 1000\n${C} App-1.0.1-delta.nupkg 10\n${B} App-1.0.1-full.nupkg 1001\n`,
    );
    assert.equal(
      r.findings.find((f) => f.id === "squirrel.no-signature")?.evidence,
      `line 2: ${A} App-1.0.0-full.nupkg 1000`,
    );
    assert.equal(fact(r, "newest"), "App-1.0.1-full.nupkg");
  });

  it("packages on another host than the feed's are noted, plain-http ones are critical", async (t) => {
    const r = await audit(
      t,
      `${A} https://a.example.com/App-1.0.0-full.nupkg 1000\n${B} http://b.example.net/App-1.0.1-full.nupkg 1001\n`,
    );
    const plain = r.findings.filter((f) => f.id === "transport.plain-http");
    assert.deepEqual(
      plain.map((f) => [f.severity, f.subject]),
      [["critical", "http://b.example.net/App-1.0.1-full.nupkg"]],
    );
    assert.match(plain[0]?.title ?? "", /plain HTTP/);
    assert.ok(
      r.findings.some((f) => f.id === "feed.other-host" && f.subject === "b.example.net"),
      ids(r),
    );
  });
});

describe("Squirrel.Windows RELEASES: what the clients refuse is refused, naming the line", () => {
  const refused: ReadonlyArray<[string, string, RegExp]> = [
    [
      "a path instead of a file name (path traversal)",
      `${A} ..\\..\\evil.exe 1000\n`,
      /is neither a file name nor an http\(s\) URL .*\(line 1\)$/,
    ],
    ["a short SHA-1", `ABCDEF App-1.0.0-full.nupkg 1000\n`, /does not start with a 40-digit SHA-1 \(line 1\)$/],
    ["a size that is not a number", `${A} App-1.0.0-full.nupkg big\n`, /size "big" is not a number/],
    ["a missing size", `${A} App-1.0.0-full.nupkg\n`, /a field is missing|not a number/],
    ["a size beyond 64 bits", `${A} App-1.0.0-full.nupkg 99999999999999999999\n`, /larger than a 64-bit integer/],
    ["a URL that ends in a folder", `${A} https://cdn.example.com/app/ 1000\n`, /does not end in a file name/],
  ];
  for (const [name, text, message] of refused) {
    it(name, async (t) => {
      const r = await audit(t, text);
      assert.equal(r.grade, "F");
      const f = r.findings.find((x) => x.id === "feed.unreadable");
      assert.match(f?.title ?? "", message, ids(r));
    });
  }

  it("a file past the line bound is refused at the bound, naming it", async (t) => {
    const r = await audit(t, `${A} ${"a".repeat(10_000)}.nupkg 1\n`);
    const f = r.findings.find((x) => x.id === "feed.limit-exceeded");
    assert.match(f?.title ?? "", /longer than 8192 characters \(the audit's maxLineChars bound\)/, ids(r));
  });
});

const hex40 = fc.stringMatching(/^[0-9a-fA-F]{40}$/);
const baseName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,12}$/);
const entry = fc.record({
  sha1: hex40,
  name: fc.tuple(baseName, fc.constantFrom("-full.nupkg", "-delta.nupkg", ".nupkg")).map(([b, s]) => `${b}${s}`),
  url: fc.option(fc.constantFrom("https://cdn.example.com/app/", "http://10.0.0.1/r/"), { nil: undefined }),
  query: fc.option(fc.constantFrom("?a=1", "?sig=x&exp=2"), { nil: undefined }),
  size: fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }),
  staging: fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }),
  gap: fc.constantFrom(" ", "\t", "  ", " \t "),
  comment: fc.option(fc.constantFrom(" # note", "#x"), { nil: undefined }),
});
type Entry = typeof entry extends fc.Arbitrary<infer E> ? E : never;

function line(e: Entry): string {
  const file = e.url === undefined ? e.name : `${e.url}${e.name}${e.query ?? ""}`;
  const tail = e.staging !== undefined ? ` # ${e.staging}%` : (e.comment ?? "");
  return `${e.sha1}${e.gap}${file}${e.gap}${e.size}${tail}`;
}

describe("Squirrel.Windows RELEASES: properties", () => {
  it("entries written in any accepted spelling read back", () => {
    const file = fc.record({
      entries: fc.array(entry, { maxLength: 8 }),
      eol: fc.constantFrom("\n", "\r\n"),
      bom: fc.boolean(),
      blank: fc.constantFrom("", "# comment", "   "),
    });
    fc.assert(
      fc.property(file, ({ entries, eol, bom, blank }) => {
        const text = `${bom ? "\uFEFF" : ""}${entries.map(line).join(`${eol}${blank}${eol}`)}${eol}`;
        const read = parseReleases(text).entries;
        assert.equal(read.length, entries.length);
        for (const [i, e] of entries.entries()) {
          const r = read[i];
          assert.equal(r?.sha1, e.sha1.toLowerCase());
          assert.equal(r?.name, e.name);
          assert.equal(r?.size, Number(e.size));
          assert.equal(r?.delta, e.name.endsWith("-delta.nupkg"));
          assert.equal(r?.stagingPercentage, e.staging);
          assert.equal(r?.query, e.url === undefined ? undefined : e.query);
        }
      }),
    );
  });

  it("any input gives entries or a typed error, never another throw", () => {
    const tokens = fc.constantFrom(
      A,
      B,
      " ",
      "\t",
      "\n",
      "\r\n",
      "#",
      "# 10%",
      "%",
      "App-1.0.0-full.nupkg",
      "https://x/",
      "?q",
      "\\",
      "123",
      "\uFEFF",
    );
    const soup = fc.array(tokens, { maxLength: 30 }).map((t) => t.join(""));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), soup), (text) => {
        try {
          parseReleases(text);
        } catch (error) {
          assert.ok(error instanceof FeedFormatError, String(error));
          assert.ok([FEED_ERRORS.RELEASES, FEED_ERRORS.TOO_LARGE].includes(error.code as never), error.code);
        }
      }),
    );
  });
});
