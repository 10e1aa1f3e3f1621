/**
 * `bulwark audit`, the command: output formats, exit codes, errors with what to do next,
 * and the README's runs of the fixture audits. What the audit finds is tested where it
 * lives, in packages/audit.
 */
import assert from "node:assert/strict";
import { readFile, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { AUDIT_SCHEMA, type AuditReport } from "@bulwark/audit";
import { type CliRun, initRepo, listen, runCli } from "./helpers.js";

/** The feed fixtures, in the audit package's source tree (tests run from dist/test). */
const FEEDS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../audit/test/fixtures/feeds");

/** `bulwark audit FEED --json`, asserting it exits 0. */
export async function audit(feed: string, extra: string[] = []): Promise<AuditReport> {
  const run = await runCli(["audit", feed, "--json", ...extra]);
  assert.equal(run.code, 0, `audit ${feed} failed: ${run.stderr}`);
  return run.json<AuditReport>();
}

function errorCode(run: CliRun): string {
  return run.json<{ error: { code: string; message: string } }>().error.code;
}

type T = { after(fn: () => void | Promise<void>): void };

async function serve(t: T, handler: http.RequestListener): Promise<string> {
  return (await listen(t, handler)).slice(0, -1);
}

describe("bulwark audit", () => {
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
      ...readme.matchAll(/```text\n\$ npx bulwark (audit packages\/audit\/test\/fixtures\/feeds\/\S+)\n([^`]*)```/g),
    ];
    assert.ok(blocks.length >= 4, "the README shows the fixture audits");
    for (const [, command, output] of blocks) {
      const run = await runCli((command as string).split(" "), { cwd: root });
      assert.equal(run.stdout, output, `README output of \`bulwark ${command}\``);
    }
  });

  it("a missing file is a clear error, exit 1", async () => {
    const run = await runCli(["audit", path.join(FEEDS, "no-such-feed.yml"), "--json"]);
    assert.equal(run.code, 1);
    assert.equal(errorCode(run), "AUDIT_NOT_FOUND");
  });

  it("an unreachable URL is a clear error, exit 1", async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const run = await runCli(["audit", `http://127.0.0.1:${port}/latest.yml`, "--json"]);
    assert.equal(run.code, 1);
    assert.equal(errorCode(run), "AUDIT_UNREACHABLE");
    assert.match(run.stderr, /cannot reach http:\/\/127\.0\.0\.1:\d+\/latest\.yml/);
  });

  it("a redirect to another host is refused, named, with what to do next", async (t) => {
    let port = 0;
    const base = await serve(t, (_req, res) => {
      res.writeHead(302, { location: `http://localhost:${port}/latest.yml` }).end();
    });
    port = Number(new URL(base).port);
    const run = await runCli(["audit", `${base}/elsewhere`, "--json"]);
    assert.equal(run.code, 1);
    const { error } = run.json<{ error: { code: string; message: string; hint?: string } }>();
    assert.equal(error.code, "AUDIT_REDIRECT_REFUSED");
    assert.match(error.message, new RegExp(`redirects to another host, localhost:${port}`));
    assert.match(error.hint ?? "", new RegExp(`audit it directly: bulwark audit http://localhost:${port}/latest.yml`));
  });

  it("--timeout bounds a server that never answers", async (t) => {
    const silent = await serve(t, () => {});
    const started = Date.now();
    const run = await runCli(["audit", `${silent}/latest.yml`, "--json", "--timeout", "1"]);
    assert.equal(run.code, 1);
    assert.equal(errorCode(run), "AUDIT_TIMEOUT");
    assert.ok(Date.now() - started < 4000);
    assert.equal((await runCli(["audit", `${silent}/latest.yml`, "--timeout", "0"])).code, 2);
  });

  it("a repository whose timestamp is endless stops at the bound, exit 1", async (t) => {
    const dir = await initRepo(t);
    const base = await serve(t, (req, res) => {
      if (req.url === "/metadata/timestamp.json") {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (!res.destroyed) if (!res.write(chunk)) return void res.once("drain", pump);
        };
        pump();
      } else {
        readFile(path.join(dir, "public", req.url ?? ""), (error, data) => {
          res.writeHead(error ? 404 : 200).end(error ? "" : data);
        });
      }
    });
    const started = Date.now();
    const run = await runCli(["audit", `${base}/metadata/`, "--json"]);
    assert.equal(run.code, 1);
    assert.equal(errorCode(run), "AUDIT_TOO_LARGE");
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  it("a folder with no metadata is a usage error, exit 2", async (t) => {
    const dir = await initRepo(t);
    const run = await runCli(["audit", path.join(dir, "keys"), "--json"]);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(errorCode(run), "NOT_A_FEED");
  });
});
