/**
 * The audit against hostile or broken servers on 127.0.0.1: each case is a finding (a feed
 * that does not parse) or a clear, typed error (a feed that cannot be fetched), never a
 * crash or a hang. Fetches are bounded in size and time.
 */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { listen } from "@bulwark/testkit";
import { auditFeed } from "../src/audit.js";
import { FeedFetchError } from "../src/errors.js";
import { FETCH_LIMITS } from "../src/fetch-feed.js";
import type { AuditReport } from "../src/report.js";

type T = { after(fn: () => void | Promise<void>): void };

/** Serves `handler` on 127.0.0.1; returns the base URL. */
async function serve(t: T, handler: http.RequestListener): Promise<string> {
  return (await listen(t, handler)).slice(0, -1);
}

/** Serves fixed bodies by path. */
function bodies(files: Record<string, string>): http.RequestListener {
  return (req, res) => {
    const body = files[req.url ?? ""];
    res.writeHead(body === undefined ? 404 : 200, { "content-type": "text/plain" });
    res.end(body ?? "not found");
  };
}

/** Audits `url` (with a total time limit of `seconds`), timing it. */
async function timed(
  url: string,
  seconds?: number,
): Promise<{ report?: AuditReport; error?: FeedFetchError; ms: number }> {
  const started = Date.now();
  const limits = seconds === undefined ? FETCH_LIMITS : { ...FETCH_LIMITS, totalTimeoutMs: seconds * 1000 };
  try {
    const report = await auditFeed(url, { limits });
    return { report, ms: Date.now() - started };
  } catch (error) {
    assert.ok(error instanceof FeedFetchError, `expected a FeedFetchError, got ${String(error)}`);
    return { error, ms: Date.now() - started };
  }
}

describe("auditFeed: hostile and broken servers", () => {
  it("an unreachable URL is a clear error, exit 1", async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const run = await timed(`http://127.0.0.1:${port}/latest.yml`);
    assert.equal(run.error?.code, "AUDIT_UNREACHABLE");
    assert.match(run.error?.message ?? "", /cannot reach http:\/\/127\.0\.0\.1:\d+\/latest\.yml/);
  });

  it("a response that announces 1 GB is refused before its body is read", async (t) => {
    const base = await serve(t, (_req, res) => {
      res.writeHead(200, { "content-length": String(1024 ** 3) });
      res.write(Buffer.alloc(1024));
    });
    const run = await timed(`${base}/latest.yml`);
    assert.equal(run.error?.code, "AUDIT_TOO_LARGE");
    assert.ok(run.ms < 3000, `took ${run.ms} ms`);
  });

  it("an endless 1 GB stream stops at the 8 MiB bound, quickly", async (t) => {
    let sent = 0;
    const base = await serve(t, (_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (sent < 1024 ** 3 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    });
    const run = await timed(`${base}/appcast.xml`);
    assert.equal(run.error?.code, "AUDIT_TOO_LARGE");
    assert.ok(run.ms < 5000, `took ${run.ms} ms`);
    assert.ok(sent < 256 * 1024 * 1024, `the server got to send ${sent} bytes`);
  });

  it("a server that never answers, or drips its body, times out (--timeout)", async (t) => {
    const silent = await serve(t, () => {});
    const drip = await serve(t, (_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write("a"), 100);
      res.on("close", () => clearInterval(timer));
    });
    for (const url of [`${silent}/latest.yml`, `${drip}/latest.yml`]) {
      const run = await timed(url, 1);
      assert.equal(run.error?.code, "AUDIT_TIMEOUT", url);
      assert.ok(run.ms < 4000, `${url} took ${run.ms} ms`);
    }
  });

  it("a web page where the appcast should be is an unknown feed, not a refused DTD", async (t) => {
    const base = await serve(t, bodies({ "/appcast.xml": "<!DOCTYPE html>\n<html><body>Sign in</body></html>" }));
    const r = await auditFeed(`${base}/appcast.xml`);
    assert.equal(r.feed.type, "unknown");
    assert.ok(r.findings.some((f) => f.id === "feed.unrecognised"));
  });

  it("a 404 is a clear error", async (t) => {
    const base = await serve(t, bodies({}));
    const run = await timed(`${base}/latest.yml`);
    assert.equal(run.error?.code, "AUDIT_NOT_FOUND");
    assert.equal(run.error?.status, 404);
  });

  it("a redirect to another host is refused and named; one to the same host is followed", async (t) => {
    let port = 0;
    const base = await serve(t, (req, res) => {
      if (req.url === "/elsewhere") res.writeHead(302, { location: `http://localhost:${port}/latest.yml` }).end();
      else if (req.url === "/moved") res.writeHead(301, { location: "/latest.yml" }).end();
      else if (req.url === "/loop") res.writeHead(302, { location: "/loop" }).end();
      else res.writeHead(200).end("version: 1.0.0\npath: a.exe\nsha512: x\n");
    });
    port = Number(new URL(base).port);
    const away = await timed(`${base}/elsewhere`);
    assert.equal(away.error?.code, "AUDIT_REDIRECT_REFUSED");
    assert.match(away.error?.message ?? "", new RegExp(`redirects to another host, localhost:${port}`));
    assert.match(away.error?.hint ?? "", new RegExp(`audit it directly: bulwark audit http://localhost:${port}/`));
    const loop = await timed(`${base}/loop`);
    assert.equal(loop.error?.code, "AUDIT_REDIRECT_REFUSED");
    assert.match(loop.error?.message ?? "", /redirects more than 5 times/);
    const report = await auditFeed(`${base}/moved`);
    assert.deepEqual(report.source.redirects, [`${base}/moved`]);
    assert.equal(report.source.location, `${base}/latest.yml`);
    assert.equal(report.feed.type, "electron-updater");
  });

  const deepJson = `${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}`;
  const rootWithDeepField = JSON.stringify({
    signatures: [],
    signed: {
      _type: "root",
      spec_version: "1.0.31",
      version: 1,
      expires: "2030-01-01T00:00:00Z",
      consistent_snapshot: true,
      keys: {},
      roles: Object.fromEntries(
        ["root", "timestamp", "snapshot", "targets"].map((r) => [r, { keyids: [], threshold: 1 }]),
      ),
      "x-deep": "DEEP",
    },
  }).replace('"DEEP"', `${"[".repeat(200_000)}${"]".repeat(200_000)}`);
  const unreadable: Array<[string, string, string, string]> = [
    ["malformed YAML", "/latest.yml", "version: 1.0.0\nfiles:\n  - url: a.exe\n   sha512: x\n", "feed.unreadable"],
    [
      "YAML aliases that expand without end",
      "/latest.yml",
      `a: &a [${"x,".repeat(99)}x]\nb: &b [${"*a,".repeat(99)}*a]\nc: &c [${"*b,".repeat(99)}*b]\nd: [${"*c,".repeat(99)}*c]\n`,
      "feed.limit-exceeded",
    ],
    ["deeply nested YAML", "/latest.yml", `${"- ".repeat(200_000)}x\n`, "feed.limit-exceeded"],
    [
      "malformed XML",
      "/appcast.xml",
      '<rss xmlns:sparkle="http://www.andymatuschak.org/xml-namespaces/sparkle"><channel>',
      "feed.unreadable",
    ],
    [
      "XML entity expansion (billion laughs)",
      "/appcast.xml",
      `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "${"x".repeat(100)}"><!ENTITY b "${"&a;".repeat(100)}"><!ENTITY c "${"&b;".repeat(100)}">]><rss>&c;</rss>`,
      "feed.entity-expansion-refused",
    ],
    ["deeply nested XML", "/appcast.xml", `<rss>${"<a>".repeat(1_000_000)}`, "feed.limit-exceeded"],
    ["malformed JSON", "/metadata/root.json", '{"signed": {"_type": "root",', "feed.unreadable"],
    ["deeply nested JSON", "/metadata/root.json", deepJson, "feed.unreadable"],
  ];
  for (const [name, file, body, id] of unreadable) {
    it(`${name}: a finding, grade F`, async (t) => {
      const base = await serve(t, bodies({ [file]: body }));
      const run = await timed(`${base}${file}`);
      assert.equal(run.error, undefined, run.error?.message);
      const r = run.report as AuditReport;
      assert.equal(r.grade, "F");
      assert.ok(
        r.findings.some((f) => f.id === id),
        r.findings.map((f) => f.id).join(", "),
      );
      assert.ok(run.ms < 5000, `took ${run.ms} ms`);
    });
  }

  it("a root with a deeply nested unknown field does not crash the audit", async (t) => {
    const base = await serve(t, bodies({ "/metadata/root.json": rootWithDeepField }));
    const r = await auditFeed(`${base}/metadata/`);
    assert.ok(
      r.findings.some((f) => f.id === "tuf.root.does-not-verify" || f.id === "feed.unreadable"),
      r.findings.map((f) => f.id).join(", "),
    );
  });
});
