/**
 * docs/serving.md's nginx configuration, run for real: Debian's nginx serves a published
 * repository with the documented configuration, sends the caching headers a TUF client and
 * the caches in between rely on (no-cache for files that change in place, immutable for
 * versioned and hash-prefixed ones, never a cached 404), and an endpoint updates through it
 * with `bulwark agent`. Skips, saying so, where nginx is not installed (CI installs it).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { NGINX, startNginx, type TestLike, tempDir, writeNginxConfig } from "@bulwark/testkit";
import { EXIT } from "../src/exit-codes.js";
import { agentConfig, once_ } from "./agent-helpers.js";
import { Vendor } from "./e2e-helpers.js";

const DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../docs/serving.md");
const IMMUTABLE = "public, max-age=31536000, immutable";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** nginx serving `root` with the documented configuration; its base URL. */
async function nginx(t: TestLike, root: string): Promise<string> {
  const dir = tempDir(t, "bulwark-nginx-");
  const port = await freePort();
  const config = writeNginxConfig({ docFile: DOC, root, port, dir });
  const check = spawnSync(NGINX as string, ["-t", "-c", config, "-p", dir], { encoding: "utf8" });
  assert.equal(check.status, 0, `nginx -t refused the documented configuration:\n${check.stderr}`);
  const proc = startNginx(config);
  t.after(() => void proc.kill("SIGQUIT"));
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url);
      return url;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nginx did not start: ${readFileSync(path.join(dir, "error.log"), "utf8")}`);
}

describe("serving a repository with nginx, as docs/serving.md configures it", {
  skip: NGINX ? false : "nginx is not installed (apt-get install nginx-light); CI installs it",
}, () => {
  it("sends TUF-aware caching headers, and an endpoint updates through it", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const url = await nginx(t, path.join(vendor.dir, "public"));

    const timestamp = await fetch(`${url}metadata/timestamp.json`);
    assert.equal(timestamp.status, 200);
    assert.equal(timestamp.headers.get("cache-control"), "no-cache");
    assert.equal(timestamp.headers.get("content-type"), "application/json");
    assert.equal(timestamp.headers.get("x-content-type-options"), "nosniff");
    const etag = timestamp.headers.get("etag");
    assert.ok(etag && !etag.startsWith("W/"), `a strong ETag, got ${etag}`);
    const again = await fetch(`${url}metadata/timestamp.json`, { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get("cache-control"), "no-cache");

    assert.equal((await fetch(`${url}metadata/root.json`)).headers.get("cache-control"), "no-cache");
    const versioned = await fetch(`${url}metadata/1.root.json`);
    assert.equal(versioned.status, 200);
    assert.equal(versioned.headers.get("cache-control"), IMMUTABLE);

    const missing = await fetch(`${url}metadata/9.root.json`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get("cache-control"), "no-cache", "a 404 for a future root is never cached");

    const targets = readdirSync(path.join(vendor.dir, "public", "targets"), { recursive: true, encoding: "utf8" });
    const release = targets.find((f) => /(^|\/)[0-9a-f]{64}\.app-1\.0\.0\.tar\.gz$/.test(f));
    assert.ok(release, `a hash-prefixed release file among ${targets.join(", ")}`);
    const ranged = await fetch(`${url}targets/${release}`, { headers: { range: "bytes=10-19" } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get("cache-control"), IMMUTABLE);
    assert.equal((await ranged.arrayBuffer()).byteLength, 10);

    assert.equal((await fetch(`${url}metadata/.timestamp.json.tmp`)).status, 404, "dot-files are never served");
    assert.notEqual((await fetch(`${url}metadata/timestamp.json`, { method: "POST" })).status, 200);

    const endpoint = agentConfig(t, {
      metadataUrl: `${url}metadata/`,
      targetsUrl: `${url}targets/`,
      root: vendor.root(),
    });
    assert.equal((await once_(endpoint)).code, EXIT.OK);
    assert.equal(readFileSync(path.join(endpoint.appDir, "current", "VERSION"), "utf8"), "1.0.0\n");
  });
});
