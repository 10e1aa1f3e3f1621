/**
 * The gateway folder (`initGateway`, `openGateway`), the route matcher and the rate limiter.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { Passphrases } from "@bulwark/publisher";
import fc from "fast-check";
import { initGateway, matchRoute, openGateway, RateLimiter, ROUTES, TokenStore } from "../src/index.js";
import { PASSPHRASE } from "./api-helpers.js";

function folder(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), "bulwark-gw-folder-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, "gw");
}

const passphrases = (p: string) => new Passphrases(async () => p);

describe("the gateway folder", () => {
  test("init makes config, encrypted trail key, database, blobs and a working admin token", async (t) => {
    const dir = folder(t);
    const made = await initGateway(dir, { passphrase: PASSPHRASE, origin: "gw.example.org/trail" });
    const config = JSON.parse(readFileSync(path.join(dir, "gateway.json"), "utf8"));
    assert.equal(config.$schema, "gateway.schema.json");
    assert.equal(config.origin, "gw.example.org/trail");
    assert.match(readFileSync(path.join(dir, config.key), "utf8"), /^-----BEGIN BULWARK ENCRYPTED PRIVATE KEY-----/);
    const gateway = await openGateway(dir, { passphrases: passphrases(PASSPHRASE) });
    t.after(() => gateway.close());
    const admin = await new TokenStore(gateway.db, gateway.trail).authenticate(made.adminToken);
    assert.equal(admin?.role, "admin");
    assert.equal((await gateway.trail.checkpoint()).checkpoint.size, 1n, "the token's issue is on the trail");
    await assert.rejects(initGateway(dir, { passphrase: PASSPHRASE }), { code: "GATEWAY_EXISTS" });
  });

  test("open refuses a wrong passphrase, a tampered config, a swapped trail key and a missing database", async (t) => {
    const dir = folder(t);
    await initGateway(dir, { passphrase: PASSPHRASE });
    await assert.rejects(openGateway(dir, { passphrases: passphrases("not the passphrase") }), {
      code: "KEY_UNREADABLE",
    });
    const file = path.join(dir, "gateway.json");
    const config = JSON.parse(readFileSync(file, "utf8"));
    writeFileSync(file, JSON.stringify({ ...config, extra: 1 }));
    await assert.rejects(openGateway(dir, { passphrases: passphrases(PASSPHRASE) }), { code: "BAD_GATEWAY_CONFIG" });
    const other = folder(t);
    await initGateway(other, { passphrase: PASSPHRASE });
    writeFileSync(
      file,
      JSON.stringify({ ...config, vkey: JSON.parse(readFileSync(path.join(other, "gateway.json"), "utf8")).vkey }),
    );
    await assert.rejects(openGateway(dir, { passphrases: passphrases(PASSPHRASE) }), { code: "FOREIGN_KEY" });
    rmSync(path.join(other, "gateway.sqlite"));
    await assert.rejects(openGateway(other, { passphrases: passphrases(PASSPHRASE) }), {
      code: "GATEWAY_NO_DATABASE",
    });
    await assert.rejects(openGateway(path.join(dir, "nothing"), { passphrases: passphrases(PASSPHRASE) }), {
      code: "NOT_A_GATEWAY",
    });
  });
});

describe("the route matcher and the rate limiter", () => {
  test("any path is matched to at most one route, never throwing, and parameters never hold a '/'", () => {
    fc.assert(
      fc.property(fc.constantFrom("GET", "POST", "DELETE", "PUT"), fc.string(), (method, tail) => {
        const found = matchRoute(ROUTES, method, `/api/${tail}`);
        if (found.route !== undefined) {
          for (const value of Object.values(found.params)) assert.ok(!value.includes("/") || tail.includes("%2"));
          assert.equal(found.route.method, method);
        }
      }),
    );
    const found = matchRoute(ROUTES, "GET", "/api/sources/acme%2Fapp");
    assert.equal(found.route?.path, "/api/sources/:id");
    assert.deepEqual(found.route && found.params, { id: "acme/app" });
    assert.equal(matchRoute(ROUTES, "GET", "/api/sources/%E0%A4%A").route, undefined, "a bad escape matches nothing");
  });

  test("a bucket allows its burst, then asks to wait; it refills with time", () => {
    let now = 0;
    const limiter = new RateLimiter({ burst: 2, perSecond: 0.5 }, () => now);
    assert.deepEqual([limiter.take("a"), limiter.take("a"), limiter.take("a"), limiter.take("b")], [0, 0, 2, 0]);
    now += 2000;
    assert.equal(limiter.take("a"), 0);
    assert.equal(limiter.take("a"), 2);
  });
});
