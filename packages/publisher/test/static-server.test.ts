/**
 * The static server of a repository's public tree, over real loopback HTTP: content types,
 * caching headers, ETags, ranges, methods, path escapes (a table named after the attacks)
 * and the access log.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { rawRequest as request } from "@bulwark/testkit";
import {
  type AccessLogEntry,
  CACHE_IMMUTABLE,
  CACHE_REVALIDATE,
  createStaticServer,
  type StaticServer,
} from "../src/index.js";

const SECRET = "TOP SECRET: outside the served root";
const HEX64 = "ab".repeat(32);
const HEX128 = "cd".repeat(64);
/** 100,000 bytes that differ at every offset mod 251, so a wrong slice shows. */
const BIG = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));

/** A public tree with one of every kind of file, a secret beside it, and planted symlinks. */
function makeTree(base: string): string {
  const root = path.join(base, "public");
  const files: Record<string, string | Buffer> = {
    "metadata/root.json": "{}",
    "metadata/1.root.json": "{}",
    "metadata/timestamp.json": '{"signed":{}}',
    "metadata/2.snapshot.json": "{}",
    "metadata/snapshot.json": "{}",
    "metadata/.timestamp.json.0a1b2c.tmp": "half-written",
    [`targets/app/${HEX64}.app-1.0.0.tar.gz`]: "tarball",
    "targets/app/app-1.0.0.tgz": "tgz",
    "targets/app/app.zip": "zip",
    "targets/index.html": "<p>hi</p>",
    "targets/notes.txt": "notes",
    [`targets/${HEX128}.big.bin`]: BIG,
    "targets/empty.bin": "",
  };
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), data);
  }
  mkdirSync(path.join(base, "outside"));
  writeFileSync(path.join(base, "outside", "secret.txt"), SECRET);
  symlinkSync(path.join(base, "outside", "secret.txt"), path.join(root, "targets", "leak"));
  symlinkSync(path.join(base, "outside"), path.join(root, "targets", "escape"));
  symlinkSync("../metadata/timestamp.json", path.join(root, "targets", "alias.json"));
  return root;
}

describe("static server", () => {
  let base: string;
  let root: string;
  let server: StaticServer;
  const log: AccessLogEntry[] = [];
  const get = (p: string, headers: Record<string, string> = {}) => request(server.url, p, { headers });

  before(async () => {
    base = mkdtempSync(path.join(tmpdir(), "bulwark-serve-"));
    root = makeTree(base);
    server = await createStaticServer(root, { log: (e) => log.push(e) });
  });
  after(async () => {
    await server.close();
    rmSync(base, { recursive: true, force: true });
  });

  it("listens on 127.0.0.1 on a free port by default", () => {
    assert.equal(server.address, "127.0.0.1");
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.notEqual(server.port, 0);
  });

  it("sends each kind of file with its content type, nosniff, Accept-Ranges and Content-Length", async () => {
    for (const [p, type] of [
      ["/metadata/timestamp.json", "application/json"],
      [`/targets/app/${HEX64}.app-1.0.0.tar.gz`, "application/gzip"],
      ["/targets/app/app-1.0.0.tgz", "application/gzip"],
      ["/targets/app/app.zip", "application/zip"],
      ["/targets/index.html", "text/html"],
      ["/targets/notes.txt", "application/octet-stream"],
      [`/targets/${HEX128}.big.bin`, "application/octet-stream"],
    ] as const) {
      const res = await get(p);
      assert.equal(res.status, 200, p);
      assert.equal(res.headers["content-type"], type, p);
      assert.equal(res.headers["x-content-type-options"], "nosniff", p);
      assert.equal(res.headers["accept-ranges"], "bytes", p);
      assert.equal(res.headers["content-length"], String(res.body.length), p);
    }
    const big = await get(`/targets/${HEX128}.big.bin`);
    assert.deepEqual(big.body, BIG);
    const empty = await get("/targets/empty.bin");
    assert.equal(empty.headers["content-length"], "0");
  });

  it("sends cache headers per kind of file", async () => {
    for (const [p, cache] of [
      ["/metadata/timestamp.json", CACHE_REVALIDATE],
      ["/metadata/root.json", CACHE_REVALIDATE],
      ["/metadata/snapshot.json", CACHE_REVALIDATE],
      ["/metadata/1.root.json", CACHE_IMMUTABLE],
      ["/metadata/2.snapshot.json", CACHE_IMMUTABLE],
      [`/targets/app/${HEX64}.app-1.0.0.tar.gz`, CACHE_IMMUTABLE],
      [`/targets/${HEX128}.big.bin`, CACHE_IMMUTABLE],
      ["/targets/app/app-1.0.0.tgz", CACHE_REVALIDATE],
      ["/targets/notes.txt", CACHE_REVALIDATE],
      ["/metadata/3.root.json", CACHE_REVALIDATE], // a 404: must not hide a later root rotation
    ] as const) {
      assert.equal((await get(p)).headers["cache-control"], cache, p);
    }
    assert.equal(CACHE_IMMUTABLE, "public, max-age=31536000, immutable");
    assert.equal(CACHE_REVALIDATE, "no-cache");
  });

  it("answers If-None-Match with 304, and changes the ETag when a file is replaced", async (t) => {
    const p = "/metadata/timestamp.json";
    const first = await get(p);
    const etag = first.headers.etag ?? "";
    assert.match(etag, /^"[^"]+"$/, "a strong ETag");
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const res = await get(p, { "if-none-match": inm });
      assert.equal(res.status, 304, inm);
      assert.equal(res.body.length, 0);
      assert.equal(res.headers.etag, etag);
      assert.equal(res.headers["cache-control"], CACHE_REVALIDATE);
    }
    assert.equal((await get(p, { "if-none-match": '"other"' })).status, 200);
    // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    const future = new Date(Date.now() + 3_600_000).toUTCString();
    assert.equal((await get(p, { "if-modified-since": future })).status, 304);
    assert.equal((await get(p, { "if-none-match": '"other"', "if-modified-since": future })).status, 200);

    // a publish replaces timestamp.json by rename: a new ETag, so caches fetch it again
    const file = path.join(root, "metadata", "timestamp.json");
    const original = readFileSync(file);
    t.after(() => writeFileSync(file, original));
    writeFileSync(`${file}.new`, '{"signed":{"version":2}}');
    renameSync(`${file}.new`, file);
    const replaced = await get(p, { "if-none-match": etag });
    assert.equal(replaced.status, 200);
    assert.notEqual(replaced.headers.etag, etag);
    assert.equal(replaced.body.toString(), '{"signed":{"version":2}}');
  });

  it("serves single byte ranges with 206, refuses unsatisfiable ones with 416", async () => {
    const p = `/targets/${HEX128}.big.bin`;
    const size = BIG.length;
    for (const [name, range, status, contentRange, slice] of [
      ["first bytes", "bytes=0-99", 206, `bytes 0-99/${size}`, [0, 100]],
      ["an open range", "bytes=99990-", 206, `bytes 99990-99999/${size}`, [99990, size]],
      ["a suffix", "bytes=-10", 206, `bytes 99990-99999/${size}`, [99990, size]],
      ["a suffix longer than the file", "bytes=-200000", 206, `bytes 0-99999/${size}`, [0, size]],
      ["an end past the file", "bytes=99998-500000", 206, `bytes 99998-99999/${size}`, [99998, size]],
      ["one byte", "bytes=5-5", 206, `bytes 5-5/${size}`, [5, 6]],
      ["a start past the end", `bytes=${size}-`, 416, `bytes */${size}`, undefined],
      ["an empty suffix", "bytes=-0", 416, `bytes */${size}`, undefined],
      ["several ranges (whole file)", "bytes=0-1,5-6", 200, undefined, [0, size]],
      ["a reversed range (ignored)", "bytes=9-1", 200, undefined, [0, size]],
      ["another unit (ignored)", "items=0-1", 200, undefined, [0, size]],
      ["garbage (ignored)", "bytes=x-y", 200, undefined, [0, size]],
    ] as const) {
      const res = await get(p, { range });
      assert.equal(res.status, status, name);
      assert.equal(res.headers["content-range"], contentRange, name);
      if (slice) {
        assert.deepEqual(res.body, BIG.subarray(slice[0], slice[1]), name);
        assert.equal(res.headers["content-length"], String(slice[1] - slice[0]), name);
      }
    }
    const empty = await get("/targets/empty.bin", { range: "bytes=0-" });
    assert.equal(empty.status, 416);
    assert.equal(empty.headers["content-range"], "bytes */0");
  });

  it("honours If-Range: the range only while the strong ETag still matches", async () => {
    const p = `/targets/${HEX128}.big.bin`;
    const etag = (await get(p)).headers.etag ?? "";
    for (const [name, ifRange, status] of [
      ["the current ETag", etag, 206],
      ["an old ETag", '"old"', 200],
      ["a weak ETag", `W/${etag}`, 200],
      ["a date", new Date(Date.now() + 3_600_000).toUTCString(), 200],
    ] as const) {
      const res = await get(p, { range: "bytes=10-19", "if-range": ifRange });
      assert.equal(res.status, status, name);
      assert.deepEqual(res.body, status === 206 ? BIG.subarray(10, 20) : BIG, name);
    }
  });

  it("answers HEAD with the headers of GET and no body, ignoring Range", async () => {
    const p = `/targets/${HEX128}.big.bin`;
    const got = await get(p);
    for (const headers of [{}, { range: "bytes=0-9" }]) {
      const head = await request(server.url, p, { method: "HEAD", headers });
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
      for (const h of ["content-type", "content-length", "etag", "cache-control", "last-modified", "accept-ranges"])
        assert.equal(head.headers[h], got.headers[h], h);
    }
  });

  it("answers other methods with 405 and Allow", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      const res = await request(server.url, "/metadata/timestamp.json", { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.allow, "GET, HEAD", method);
    }
  });

  it("never serves anything outside the root, nor directories or temporary files", async () => {
    const attacks: ReadonlyArray<readonly [attack: string, rawPath: string]> = [
      ["dot-dot traversal", "/../outside/secret.txt"],
      ["dot-dot traversal from a subfolder", "/targets/../../outside/secret.txt"],
      ["percent-encoded dot-dot", "/%2e%2e/outside/secret.txt"],
      ["upper-case percent-encoded dot-dot", "/targets/%2E%2E/%2E%2E/outside/secret.txt"],
      ["percent-encoded slashes", "/targets%2f..%2f..%2foutside%2fsecret.txt"],
      ["double percent-encoding", "/%252e%252e/outside/secret.txt"],
      ["overlong UTF-8 dot (invalid encoding)", "/%c0%ae%c0%ae/outside/secret.txt"],
      ["backslash traversal", "/targets\\..\\..\\outside\\secret.txt"],
      ["percent-encoded backslashes", "/targets%5c..%5c..%5coutside%5csecret.txt"],
      ["NUL byte truncation", "/metadata/timestamp.json%00.txt"],
      ["an empty segment (absolute path)", "//etc/passwd"],
      ["an encoded absolute path", "/%2fetc%2fpasswd"],
      ["absolute-form request target", "http://127.0.0.1/../outside/secret.txt"],
      ["a symlink planted inside the root pointing to a file outside", "/targets/leak"],
      ["a symlink planted inside the root pointing to a folder outside", "/targets/escape/secret.txt"],
      ["a directory listing", "/targets/"],
      ["a directory without a slash", "/metadata"],
      ["the root itself", "/"],
      ["a temporary file of an atomic write", "/metadata/.timestamp.json.0a1b2c.tmp"],
      ["a single dot segment", "/./metadata/timestamp.json"],
      ["malformed percent-encoding", "/metadata/%zz.json"],
    ];
    for (const [attack, rawPath] of attacks) {
      for (const method of ["GET", "HEAD"]) {
        const res = await request(server.url, rawPath, { method });
        assert.equal(res.status, 404, `${attack} (${method} ${rawPath})`);
        assert.ok(!res.body.toString().includes("SECRET"), attack);
      }
    }
    // the secret is there to be found: only the server's checks kept it out
    assert.equal(readFileSync(path.join(root, "targets", "leak"), "utf8"), SECRET);
  });

  it("a remembered path swapped for a symlink out of the root is never followed (symlink swap)", async () => {
    // Served once, so the server remembers where it leads; then the file is swapped for a
    // link to the secret outside the root, as an attacker who can write inside it would.
    mkdirSync(path.join(root, "swap"), { recursive: true });
    const file = path.join(root, "swap", "file.json");
    writeFileSync(file, "{}");
    assert.equal((await get("/swap/file.json")).status, 200);
    rmSync(file);
    symlinkSync(path.join(base, "outside", "secret.txt"), file);
    const res = await get("/swap/file.json");
    assert.equal(res.status, 404);
    assert.ok(!res.body.toString().includes("SECRET"));
  });

  it("a remembered path whose folder is swapped for a symlink out of the root is refused within a second (folder swap)", async () => {
    const dir = path.join(root, "swapdir");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "secret.txt"), "inside");
    assert.equal((await get("/swapdir/secret.txt")).body.toString(), "inside");
    rmSync(dir, { recursive: true });
    symlinkSync(path.join(base, "outside"), dir);
    // The path is resolved again at least every second (PathCache's REVALIDATE_MS).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const res = await get("/swapdir/secret.txt");
    assert.equal(res.status, 404);
    assert.ok(!res.body.toString().includes("SECRET"));
  });

  it("follows a symlink that stays inside the root", async () => {
    const res = await get("/targets/alias.json");
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), readFileSync(path.join(root, "metadata", "timestamp.json"), "utf8"));
  });

  it("logs every request once: method, path, status, bytes, ms", async () => {
    log.length = 0;
    await get("/targets/notes.txt");
    await request(server.url, "/targets/notes.txt", { method: "HEAD" });
    await get("/nope");
    await get(`/targets/${HEX128}.big.bin`, { range: "bytes=0-9" });
    await until(() => log.length === 4);
    assert.deepEqual(
      log.map(({ method, path: p, status, bytes }) => [method, p, status, bytes]),
      [
        ["GET", "/targets/notes.txt", 200, 5],
        ["HEAD", "/targets/notes.txt", 200, 0],
        ["GET", "/nope", 404, "not found\n".length],
        ["GET", `/targets/${HEX128}.big.bin`, 206, 10],
      ],
    );
    assert.ok(log.every((e) => typeof e.ms === "number" && e.ms >= 0));
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
}
