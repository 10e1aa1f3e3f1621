import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { tempDir } from "@bulwark/testkit";
import {
  type Database,
  DatabaseSourceMemory,
  type ElectronSourceConfig,
  httpFetchContext,
  migrate,
  pollSource,
  type SeenRelease,
} from "../src/index.js";
import { BACKENDS, withDatabase } from "./db-backends.js";
import { sha256, sha512, type VendorServer, vendorServer } from "./sources-helpers.js";

async function addSource(db: Database, name: string): Promise<void> {
  await db.execute(
    "INSERT INTO sources (name, kind, config, created_at, updated_at) VALUES ($1, 'electron', '{}', 1, 1)",
    [name],
  );
}

const seen = (version: string, verified = true): SeenRelease => ({
  version,
  sha256: { [`App-${version}.exe`]: sha256(Buffer.from(version)) },
  declared: `declared ${version}`,
  verified,
  seenAt: "2026-12-01T10:00:00.000Z",
});

/** The vendor publishes `version` as electron-builder does: the installer and latest.yml. */
function publish(server: VendorServer, version: string, data: Uint8Array): void {
  const file = `App-Setup-${version}.exe`;
  server.files.set(file, data);
  server.files.set(
    "latest.yml",
    Buffer.from(
      `version: ${version}\nfiles:\n  - url: ${file}\n    sha512: ${sha512(data)}\n    size: ${data.length}\npath: ${file}\nsha512: ${sha512(data)}\n`,
    ),
  );
}

for (const backend of BACKENDS) {
  describe(`sources' memory in the database on ${backend.name}`, { skip: backend.skip }, () => {
    test("versions come back in the order first seen; remembering one again replaces it in place", () =>
      withDatabase(backend, async (db) => {
        await migrate(db);
        await addSource(db, "acme");
        await addSource(db, "other");
        const memory = await DatabaseSourceMemory.open(db, "acme");
        await memory.remember(seen("1.0.0"));
        await memory.remember(seen("1.1.0"));
        await memory.remember({ ...seen("1.0.0", false), declared: "declared again" });
        assert.deepEqual(await memory.releases(), [
          { ...seen("1.0.0", false), declared: "declared again" },
          seen("1.1.0"),
        ]);
        assert.deepEqual(await (await DatabaseSourceMemory.open(db, "other")).releases(), [], "kept per source");
        await assert.rejects(memory.remember({ ...seen("2.0.0"), seenAt: "yesterday" }), { code: "DB_BAD_TIME" });
      }));

    test("a feed's validators are kept per URL and replaced whole", () =>
      withDatabase(backend, async (db) => {
        await migrate(db);
        await addSource(db, "acme");
        const memory = await DatabaseSourceMemory.open(db, "acme");
        assert.equal(await memory.validators("https://acme.example/latest.yml"), undefined);
        await memory.setValidators("https://acme.example/latest.yml", {
          etag: '"a"',
          lastModified: "Tue, 01 Dec 2026",
        });
        await memory.setValidators("https://acme.example/latest.yml", { etag: '"b"' });
        assert.deepEqual(await memory.validators("https://acme.example/latest.yml"), { etag: '"b"' });
        assert.equal(await memory.validators("https://acme.example/beta.yml"), undefined);
      }));

    test("an unknown source is refused", () =>
      withDatabase(backend, async (db) => {
        await migrate(db);
        await assert.rejects(DatabaseSourceMemory.open(db, "nobody"), { code: "DB_UNKNOWN_SOURCE" });
      }));

    test("a vendor that swaps a version's bytes while the gateway restarts is still caught", (t) =>
      withDatabase(backend, async (db, where) => {
        await migrate(db);
        await addSource(db, "acme-win");
        const server = await vendorServer(t);
        const dir = tempDir(t, "bulwark-gw-memory-");
        const config: ElectronSourceConfig = { kind: "electron", id: "acme-win", feedUrl: `${server.url}latest.yml` };
        const context = async (on: Database) => ({
          memory: await DatabaseSourceMemory.open(on, "acme-win"),
          fetch: httpFetchContext(`${dir}/staging`, {}, { minBytesPerSecond: 0 }),
          workDir: `${dir}/work`,
        });
        const honest = Buffer.from("installer 1.0.0");
        publish(server, "1.0.0", honest);
        assert.equal((await pollSource(config, await context(db))).records[0]?.status, "verified");

        // Another gateway process (or this one, restarted) polls next, from the database alone.
        const restarted = where.open();
        try {
          const unchanged = await pollSource(config, await context(restarted));
          assert.equal(unchanged.changed, false, "the stored ETag made it a conditional request");
          assert.equal(server.log.at(-1)?.status, 304);
          const trojan = Buffer.from("trojaned 1.0.0 installer");
          publish(server, "1.0.0", trojan);
          const result = await pollSource(config, await context(restarted));
          const alert = result.records[0]?.alerts.find((a) => a.kind === "bytes-changed");
          assert.deepEqual(alert?.evidence, { "App-Setup-1.0.0.exe": `was ${sha256(honest)}, now ${sha256(trojan)}` });
        } finally {
          await restarted.close();
        }
      }));
  });
}
