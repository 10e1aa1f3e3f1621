import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  MIGRATIONS,
  type Migration,
  migrate,
  openDatabase,
  RELEASE_STATES,
  StorageError,
  schemaVersion,
} from "../src/index.js";
import { BACKENDS, withDatabase } from "./db-backends.js";

const TABLES = [
  "alerts",
  "api_tokens",
  "approvals",
  "approvers",
  "audit_entries",
  "feed_validators",
  "freezes",
  "jobs",
  "pins",
  "policies",
  "release_rings",
  "releases",
  "rings",
  "schema_migrations",
  "source_versions",
  "sources",
];
const LATEST = MIGRATIONS.length;
const VERSIONS = MIGRATIONS.map((m) => m.version);
const SHA = "a".repeat(64);

for (const backend of BACKENDS) {
  describe(`migrations on ${backend.name}`, { skip: backend.skip }, () => {
    test("a new database is migrated to the newest version once; again is a no-op", () =>
      withDatabase(backend, async (db) => {
        assert.deepEqual(await migrate(db), { applied: VERSIONS, version: LATEST });
        assert.deepEqual(await migrate(db), { applied: [], version: MIGRATIONS.length });
        const rows = await db.query("SELECT version, name FROM schema_migrations ORDER BY version");
        assert.deepEqual(
          rows.map((r) => [Number(r.version), r.name]),
          MIGRATIONS.map((m) => [m.version, m.name]),
        );
        const tables =
          db.dialect === "sqlite"
            ? await db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            : await db.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'");
        assert.deepEqual(tables.map((t) => t.name).sort(), TABLES);
      }));

    test("two processes' gateways starting at once apply each migration once", () =>
      withDatabase(backend, async (db, where) => {
        const other = where.open();
        try {
          const reports = await Promise.all([migrate(db), migrate(other)]);
          assert.deepEqual(
            reports.flatMap((r) => r.applied).sort((a, b) => a - b),
            VERSIONS,
          );
          assert.equal(await schemaVersion(db), LATEST);
        } finally {
          await other.close();
        }
      }));

    test("refuses a database migrated by a newer gateway (DB_SCHEMA_NEWER)", () =>
      withDatabase(backend, async (db, where) => {
        await migrate(db);
        await db.execute(
          "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from-the-future', 0)",
          [LATEST + 1],
        );
        await assert.rejects(migrate(db), (e: unknown) => e instanceof StorageError && e.code === "DB_SCHEMA_NEWER");
        await assert.rejects(
          openDatabase(where.location),
          (e: unknown) => e instanceof StorageError && e.code === "DB_SCHEMA_NEWER" && e.hint !== undefined,
        );
      }));

    test("a failing migration is rolled back whole and not recorded", () =>
      withDatabase(backend, async (db) => {
        const broken: Migration = {
          version: LATEST + 1,
          name: "broken",
          statements: () => ["CREATE TABLE half_done (id INTEGER)", "CREATE TABLE releases (id INTEGER)"],
        };
        await assert.rejects(
          migrate(db, [...MIGRATIONS, broken]),
          (e: unknown) => e instanceof StorageError && e.code === "DB_MIGRATION_FAILED",
        );
        assert.equal(await schemaVersion(db), LATEST);
        await assert.rejects(db.query("SELECT * FROM half_done"));
      }));

    test("an audit entry cannot be rewritten or deleted; its log index is set once (a rewritten audit trail)", () =>
      withDatabase(backend, async (db) => {
        await migrate(db);
        const [entry] = await db.query(
          `INSERT INTO audit_entries (created_at, actor, action, subject_type, subject_id, details)
           VALUES (1, 'alice', 'release.approve', 'release', '7', '{}') RETURNING id`,
        );
        const id = Number(entry?.id);
        const appendOnly = /append-only/;
        await assert.rejects(db.execute("UPDATE audit_entries SET actor = 'mallory' WHERE id = $1", [id]), appendOnly);
        await assert.rejects(db.execute("UPDATE audit_entries SET details = '{\"x\":1}'"), appendOnly);
        await assert.rejects(db.execute("DELETE FROM audit_entries WHERE id = $1", [id]), appendOnly);
        assert.equal(await db.execute("UPDATE audit_entries SET log_index = 41 WHERE id = $1", [id]), 1);
        await assert.rejects(db.execute("UPDATE audit_entries SET log_index = 42 WHERE id = $1", [id]), appendOnly);
        const [row] = await db.query("SELECT actor, log_index FROM audit_entries WHERE id = $1", [id]);
        assert.deepEqual([row?.actor, row?.log_index], ["alice", 41]);
      }));

    test("migrations must be numbered 1, 2, 3 without gaps", () =>
      withDatabase(backend, async (db) => {
        const skipped: Migration = { version: LATEST + 2, name: "skipped", statements: () => [] };
        await assert.rejects(migrate(db, [...MIGRATIONS, skipped]), { code: "DB_MIGRATION_ORDER" });
      }));

    test("the schema refuses a release state, digest or size it does not know", () =>
      withDatabase(backend, async (db) => {
        await migrate(db);
        const [source] = await db.query(
          "INSERT INTO sources (name, kind, config, created_at, updated_at) VALUES ('vendor', 'url', '{}', 1, 1) RETURNING id",
        );
        const insert = (state: string, sha256: string, size: number) =>
          db.execute(
            `INSERT INTO releases (source_id, version, url, sha256, size, state, evidence, created_at, updated_at)
             VALUES ($1, '1.0.0', $2, $3, $4, $5, '{}', 1, 1)`,
            [Number(source?.id), `https://vendor.example/${state}/${size}`, sha256, size, state],
          );
        for (const state of RELEASE_STATES) assert.equal(await insert(state, SHA, 1), 1);
        await assert.rejects(insert("installed", SHA, 1));
        await assert.rejects(insert("fetched", "abc", 1));
        await assert.rejects(insert("fetched", SHA, -1));
        // The same URL for the same version twice is one release, not two.
        await assert.rejects(insert("fetched", SHA, 1));
      }));
  });
}
