import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { type ElectronSourceConfig, pollSource, SourceFeedError, SourceFetchError } from "../src/index.js";
import { pollContext, sha256, sha512, type VendorServer, vendorServer } from "./sources-helpers.js";

function latestYml(version: string, file: string, data: Uint8Array, hash = sha512(data)): string {
  return `version: ${version}\nfiles:\n  - url: ${file}\n    sha512: ${hash}\n    size: ${data.length}\npath: ${file}\nsha512: ${hash}\nreleaseDate: '2026-12-01T10:00:00.000Z'\n`;
}

/** Publishes `version` as the vendor's build machine does: installer, blockmap, latest.yml. */
function publish(server: VendorServer, version: string, data: Uint8Array): string {
  const file = `App-Setup-${version}.exe`;
  server.files.set(file, data);
  server.files.set(`${file}.blockmap`, Buffer.from(`blockmap of ${version}`));
  server.files.set("latest.yml", Buffer.from(latestYml(version, file, data)));
  return file;
}

async function setup(t: Parameters<typeof pollContext>[0]) {
  const server = await vendorServer(t);
  const ctx = pollContext(t);
  const config: ElectronSourceConfig = { kind: "electron", id: "acme-win", feedUrl: `${server.url}latest.yml` };
  return { server, ctx, config };
}

describe("electron-updater source", () => {
  test("records a new release with its installer and blockmap, sha512 and size checked", async (t) => {
    const { server, ctx, config } = await setup(t);
    const data = Buffer.from("installer 1.0.0");
    publish(server, "1.0.0", data);
    const result = await pollSource(config, ctx);
    assert.equal(result.changed, true);
    assert.deepEqual(result.alerts, []);
    const [record] = result.records;
    assert.ok(record);
    assert.equal(record.version, "1.0.0");
    assert.equal(record.status, "verified");
    assert.equal(record.verifiedBy, "integrity-only");
    assert.deepEqual(
      record.checks.map((c) => [c.check, c.ok]),
      [
        ["size", true],
        ["sha512", true],
      ],
    );
    assert.match(record.checks[1]?.detail ?? "", /unsigned feed/);
    assert.deepEqual(
      record.artifacts.map((a) => [a.name, a.role, a.sha256]),
      [
        ["App-Setup-1.0.0.exe", "installer", sha256(data)],
        ["App-Setup-1.0.0.exe.blockmap", "blockmap", sha256(Buffer.from("blockmap of 1.0.0"))],
      ],
    );
    assert.deepEqual(readFileSync(record.artifacts[0]?.file ?? ""), data);
  });

  test("an unchanged feed answers 304: nothing new, nothing else fetched", async (t) => {
    const { server, ctx, config } = await setup(t);
    publish(server, "1.0.0", Buffer.from("installer 1.0.0"));
    await pollSource(config, ctx);
    const before = server.log.length;
    const result = await pollSource(config, ctx);
    assert.deepEqual(result, { sourceId: "acme-win", changed: false, records: [], alerts: [] });
    const after = server.log.slice(before);
    assert.deepEqual(
      after.map((s) => [s.path, s.status]),
      [["latest.yml", 304]],
    );
    assert.ok(after[0]?.headers["if-none-match"]);
  });

  test("every release is fetched once, even from a server that ignores conditional requests", async (t) => {
    const { server, ctx, config } = await setup(t);
    server.etags = false;
    publish(server, "1.0.0", Buffer.from("installer 1.0.0"));
    await pollSource(config, ctx);
    const again = await pollSource(config, ctx);
    assert.equal(again.changed, false);
    publish(server, "1.1.0", Buffer.from("installer 1.1.0"));
    const next = await pollSource(config, ctx);
    assert.deepEqual(
      next.records.map((r) => [r.version, r.status]),
      [["1.1.0", "verified"]],
    );
    assert.equal(server.fetched("App-Setup-1.0.0.exe"), 1);
    assert.equal(server.fetched("App-Setup-1.1.0.exe"), 1);
  });

  test("rejects a tampered installer (wrong sha512): suspicious, stopped verifying", async (t) => {
    const { server, ctx, config } = await setup(t);
    publish(server, "1.0.0", Buffer.from("installer 1.0.0"));
    await pollSource(config, ctx);
    const file = publish(server, "1.1.0", Buffer.from("installer 1.1.0"));
    server.files.set(file, Buffer.from("trojan  1.1.0!!"));
    const result = await pollSource(config, ctx);
    const [record] = result.records;
    assert.equal(record?.status, "suspicious");
    assert.equal(record?.verifiedBy, "nothing");
    assert.deepEqual(
      record?.alerts.map((a) => a.kind),
      ["stopped-verifying"],
    );
    assert.equal(record?.alerts[0]?.evidence.lastVerified, "1.0.0");
    assert.match(record?.alerts[0]?.evidence.failed ?? "", /sha512/);
  });

  test("rejects an unhashed file (the feed gives no sha512): suspicious", async (t) => {
    const { server, ctx, config } = await setup(t);
    server.files.set("App.exe", Buffer.from("anything"));
    server.files.set("latest.yml", Buffer.from("version: 1.0.0\nfiles:\n  - url: App.exe\n"));
    const [record] = (await pollSource(config, ctx)).records;
    assert.equal(record?.status, "suspicious");
    assert.deepEqual(
      record?.alerts.map((a) => a.kind),
      ["verification-failed"],
    );
    assert.deepEqual(
      record?.checks.map((c) => [c.check, c.ok]),
      [["no-check", false]],
    );
  });

  test("rejects a version rollback: the feed goes back to a version it served before", async (t) => {
    const { server, ctx, config } = await setup(t);
    publish(server, "1.0.0", Buffer.from("installer 1.0.0"));
    await pollSource(config, ctx);
    const old = server.files.get("latest.yml") as Uint8Array;
    publish(server, "1.1.0", Buffer.from("installer 1.1.0"));
    await pollSource(config, ctx);
    server.files.set("latest.yml", old);
    const result = await pollSource(config, ctx);
    assert.deepEqual(result.records, []);
    assert.deepEqual(
      result.alerts.map((a) => [a.kind, a.version, a.evidence]),
      [["version-rollback", "1.0.0", { highestServedBefore: "1.1.0", newestServedNow: "1.0.0" }]],
    );
  });

  test("rejects a version rollback to a version never served: fetched once, suspicious", async (t) => {
    const { server, ctx, config } = await setup(t);
    publish(server, "2.0.0", Buffer.from("installer 2.0.0"));
    await pollSource(config, ctx);
    publish(server, "1.9.0", Buffer.from("old vulnerable 1.9.0"));
    const [record] = (await pollSource(config, ctx)).records;
    assert.equal(record?.version, "1.9.0");
    assert.equal(record?.status, "suspicious");
    assert.deepEqual(
      record?.alerts.map((a) => a.kind),
      ["version-rollback"],
    );
  });

  test("rejects the same version with other bytes (feed and hash changed together)", async (t) => {
    const { server, ctx, config } = await setup(t);
    const honest = Buffer.from("installer 1.0.0");
    publish(server, "1.0.0", honest);
    await pollSource(config, ctx);
    const trojan = Buffer.from("trojaned 1.0.0 installer");
    publish(server, "1.0.0", trojan);
    const result = await pollSource(config, ctx);
    const [record] = result.records;
    assert.equal(record?.status, "suspicious");
    assert.equal(record?.version, "1.0.0");
    const alert = record?.alerts.find((a) => a.kind === "bytes-changed");
    assert.deepEqual(alert?.evidence, {
      "App-Setup-1.0.0.exe": `was ${sha256(honest)}, now ${sha256(trojan)}`,
    });
    // Its checks pass (the attacker rewrote the hash too): the history is what catches it.
    assert.ok(record?.checks.every((c) => c.ok));
    // Reported once: the same declaration again is not fetched again.
    const again = await pollSource(config, ctx);
    assert.deepEqual(again.records, []);
  });

  test("rejects endless data: a download longer than the feed's size is stopped there", async (t) => {
    const { server, ctx, config } = await setup(t);
    const file = publish(server, "1.0.0", Buffer.from("installer 1.0.0"));
    server.endless.add(file);
    const [record] = (await pollSource(config, ctx)).records;
    assert.equal(record?.status, "suspicious");
    assert.deepEqual(
      record?.checks.map((c) => [c.check, c.ok]),
      [["size", false]],
    );
  });

  test("rejects slow retrieval: a stalled download fails the poll, and nothing is remembered", async (t) => {
    const server = await vendorServer(t);
    const ctx = pollContext(t, { idleTimeoutMs: 200 });
    const config: ElectronSourceConfig = { kind: "electron", id: "acme-win", feedUrl: `${server.url}latest.yml` };
    const file = publish(server, "1.0.0", Buffer.from("installer 1.0.0"));
    server.stalled.add(file);
    await assert.rejects(pollSource(config, ctx), (e: unknown) => {
      assert.ok(e instanceof SourceFetchError);
      assert.equal(e.code, "SOURCE_FETCH_FAILED");
      assert.match(e.message, /slow retrieval/);
      return true;
    });
    assert.deepEqual(await ctx.memory.releases(), []);
    assert.equal(await ctx.memory.validators(config.feedUrl), undefined);
    // The next poll, with the server healthy again, takes the release.
    server.stalled.delete(file);
    assert.equal((await pollSource(config, ctx)).records[0]?.status, "verified");
  });

  test("a document that is not a feed is a typed error, and nothing is remembered", async (t) => {
    const { server, ctx, config } = await setup(t);
    server.files.set("latest.yml", Buffer.from("[unclosed"));
    await assert.rejects(pollSource(config, ctx), (e: unknown) => {
      assert.ok(e instanceof SourceFeedError);
      assert.equal(e.code, "SOURCE_BAD_FEED");
      return true;
    });
    assert.equal(await ctx.memory.validators(config.feedUrl), undefined);
  });
});
