/**
 * `bulwark gateway init`, `serve`, `source add`, `source list` and `token create`, as an
 * admin uses them: a real `gateway serve` process, and the client commands over loopback HTTP.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { describe, test } from "node:test";
import pg from "pg";
import { runCli, startBulwarkServer, tempDir } from "./helpers.js";

type TestLike = { after(fn: () => void | Promise<void>): void };

/** Runs `bulwark gateway serve DIR` on a free port until the test ends; its URL and access log. */
async function serve(
  t: TestLike,
  dir: string,
  env: Record<string, string> = {},
): Promise<{ url: string; log: () => string }> {
  const { url, stderr } = await startBulwarkServer(t, ["gateway", "serve", dir, "--port", "0", "--json"], {
    BULWARK_INSECURE_TEST_KDF: "1",
    ...env,
  });
  return { url, log: stderr };
}

/** Where PostgreSQL is looked for (as in the gateway's storage tests). */
const POSTGRES_ADMIN_URL = process.env.BULWARK_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/postgres";

function answers(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 5432) });
    socket.setTimeout(2_000);
    const settle = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once("connect", () => settle(true));
    socket.once("timeout", () => settle(false));
    socket.once("error", () => settle(false));
  });
}

const postgresUp = await answers(new URL(POSTGRES_ADMIN_URL));

/** A fresh PostgreSQL database, dropped after the test. */
async function freshPostgres(t: TestLike): Promise<string> {
  const name = `bulwark_cli_gw_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`).finally(() => admin.end());
  t.after(async () => {
    const dropper = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => dropper.end());
  });
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
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

  test("two serve processes on one PostgreSQL serve one gateway: each sees the other's writes, one trail", {
    skip: postgresUp ? false : "PostgreSQL is not answering: skipped (CI runs it)",
  }, async (t) => {
    const database = await freshPostgres(t);
    const dir = path.join(tempDir(t), "gw");
    const env = { BULWARK_GATEWAY_DATABASE: database };
    const init = await runCli(["gateway", "init", dir, "--json"], { env });
    assert.equal(init.code, 0, init.stderr);
    const token = init.json<{ adminToken: string }>().adminToken;
    const alone = await runCli(["gateway", "serve", dir, "--port", "0"]);
    assert.equal(alone.code, 2, "without the URL, no empty SQLite file is made instead");
    assert.match(alone.stderr, /GATEWAY_NO_DATABASE/);
    const [one, two] = await Promise.all([serve(t, dir, env), serve(t, dir, env)]);
    const adds = ["a", "b", "c", "d"].map((id, i) =>
      runCli(["gateway", "source", "add", id, `https://u.example/${id}/latest.yml`, "--kind", "electron"], {
        env: { BULWARK_GATEWAY_URL: (i % 2 === 0 ? one : two).url, BULWARK_GATEWAY_TOKEN: token },
      }),
    );
    for (const added of await Promise.all(adds)) assert.equal(added.code, 0, added.stderr);
    for (const { url } of [one, two]) {
      const list = await runCli(["gateway", "source", "list", "--json", "--url", url, "--token", token]);
      assert.deepEqual(
        list
          .json<{ sources: { id: string }[] }>()
          .sources.map((s) => s.id)
          .sort(),
        ["a", "b", "c", "d"],
      );
    }
    const checkpoint = readFileSync(path.join(dir, "trail", "checkpoint"), "utf8").split("\n");
    assert.equal(checkpoint[1], "5", "the first token's issue and four sources, in one trail");
  });
});
