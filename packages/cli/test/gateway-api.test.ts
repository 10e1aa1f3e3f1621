/**
 * `bulwark gateway init`, `serve`, `source add`, `source list` and `token create`, as an
 * admin uses them: a real `gateway serve` process, and the client commands over loopback HTTP.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { describe, test } from "node:test";
import { BULWARK_BIN, PASSPHRASE_ENV, runCli, tempDir } from "./helpers.js";

type TestLike = { after(fn: () => void | Promise<void>): void };

/** Runs `bulwark gateway serve DIR` on a free port until the test ends; its URL and access log. */
async function serve(t: TestLike, dir: string): Promise<{ url: string; log: () => string }> {
  const child: ChildProcess = spawn(process.execPath, [BULWARK_BIN, "gateway", "serve", dir, "--port", "0", "--json"], {
    env: { ...process.env, ...PASSPHRASE_ENV, BULWARK_INSECURE_TEST_KDF: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  t.after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) return { url: (JSON.parse(line) as { url: string }).url, log: () => stderr };
  throw new Error(`gateway serve exited: ${stderr}`);
}

describe("bulwark gateway", () => {
  test("init, serve, token create, source add and list: the trail names who added the source", async (t) => {
    const root = tempDir(t);
    const dir = path.join(root, "gw");
    const init = await runCli(["gateway", "init", dir, "--origin", "gw.example.org/trail", "--json"]);
    assert.equal(init.code, 0, init.stderr);
    const { adminToken, vkey } = init.json<{ adminToken: string; vkey: string }>();
    assert.match(adminToken, /^bgw_/);
    assert.match(vkey, /^gw\.example\.org\/trail\+/);
    const key = readFileSync(path.join(dir, "keys", "trail.pem"), "utf8");
    assert.match(key, /ENCRYPTED PRIVATE KEY/, "the trail key is encrypted at rest");
    const again = await runCli(["gateway", "init", dir]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already holds a gateway/);

    const { url, log } = await serve(t, dir);
    const admin = { BULWARK_GATEWAY_URL: url, BULWARK_GATEWAY_TOKEN: adminToken };
    const viewer = await runCli(["gateway", "token", "create", "--role", "viewer", "--name", "dashboard", "--json"], {
      env: admin,
    });
    assert.equal(viewer.code, 0, viewer.stderr);
    const viewerToken = viewer.json<{ token: string; role: string }>().token;

    const feed = "https://updates.acme.example/latest.yml";
    const refused = await runCli(["gateway", "source", "add", "acme", feed, "--kind", "electron"], {
      env: { BULWARK_GATEWAY_URL: url, BULWARK_GATEWAY_TOKEN: viewerToken },
    });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /FORBIDDEN|admin role/);

    const added = await runCli(["gateway", "source", "add", "acme", feed, "--kind", "electron", "--json"], {
      env: admin,
    });
    assert.equal(added.code, 0, added.stderr);
    assert.deepEqual(added.json().config, { kind: "electron", id: "acme", feedUrl: feed });
    const bad = await runCli(
      ["gateway", "source", "add", "spk", "https://x.example/a.xml", "--kind", "sparkle", "--public-key", "AAAA"],
      {
        env: admin,
      },
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /SOURCE_BAD_CONFIG|key/);

    const list = await runCli(["gateway", "source", "list", "--json", "--url", url, "--token", viewerToken]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      list.json<{ sources: { id: string }[] }>().sources.map((s) => s.id),
      ["acme"],
    );
    const text = await runCli(["gateway", "source", "list"], { env: admin });
    assert.match(text.stdout, /acme\s+electron\s+https:\/\/updates\.acme\.example\/latest\.yml/);

    const noUrl = await runCli(["gateway", "source", "list"], { env: { BULWARK_GATEWAY_TOKEN: adminToken } });
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.stderr, /BULWARK_GATEWAY_URL/);

    const access = log()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { route: string; status: number; token?: number });
    assert.ok(access.some((e) => e.route === "/api/sources" && e.status === 201 && e.token === 1));
    assert.ok(access.some((e) => e.route === "/api/sources" && e.status === 403));
    assert.ok(!log().includes(adminToken), "the access log never holds a token");
  });
});
