import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { UsageError } from "@bulwark/tuf";
import BetterSqlite3 from "better-sqlite3";
import {
  isPostgresUrl,
  MIGRATIONS,
  migrate,
  PostgresDatabase,
  parsePostgresUrl,
  redactUrl,
  SqliteDatabase,
  StorageError,
} from "../src/index.js";
import { BACKENDS, withDatabase } from "./db-backends.js";

for (const backend of BACKENDS) {
  describe(`database on ${backend.name}`, { skip: backend.skip }, () => {
    test("parameters round-trip: text, whole numbers past 2^32, null", () =>
      withDatabase(backend, async (db) => {
        await migrate(db);
        const at = 1_765_000_000_123;
        const [row] = await db.query(
          "INSERT INTO audit_entries (created_at, actor, action, subject_type, subject_id, details) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
          [at, "alice", "source.add", "source", "1", '{"note":"it\'s $1"}'],
        );
        assert.equal(row?.created_at, at);
        assert.equal(row?.log_index, null);
        assert.equal(row?.details, '{"note":"it\'s $1"}');
        assert.equal(typeof row?.id, "number");
      }));

    test("execute counts the rows of a statement that returns rows", () =>
      withDatabase(backend, async (db) => {
        await migrate(db);
        assert.equal(await db.execute("SELECT version FROM schema_migrations"), MIGRATIONS.length);
      }));

    test("a transaction commits when its work resolves and rolls back when it throws", () =>
      withDatabase(backend, async (db) => {
        await migrate(db);
        const add = (tx: { execute: typeof db.execute }, name: string) =>
          tx.execute(
            "INSERT INTO sources (name, kind, config, created_at, updated_at) VALUES ($1, 'url', '{}', 1, 1)",
            [name],
          );
        await db.transaction((tx) => add(tx, "kept"));
        await assert.rejects(
          db.transaction(async (tx) => {
            await add(tx, "rolled-back");
            throw new Error("stop");
          }),
          /stop/,
        );
        const rows = await db.query("SELECT name FROM sources ORDER BY name");
        assert.deepEqual(
          rows.map((r) => r.name),
          ["kept"],
        );
      }));

    test("concurrent transactions on one database object do not see each other's half-done work", () =>
      withDatabase(backend, async (db) => {
        await migrate(db);
        await db.execute(
          "INSERT INTO sources (name, kind, config, created_at, updated_at) VALUES ('n', 'url', '0', 1, 1)",
        );
        // Each adds one to a counter in a read-then-write transaction; lost updates would show.
        const bump = () =>
          db.transaction(async (tx) => {
            if (tx.dialect === "postgres") await tx.query("SELECT 1 FROM sources WHERE name = 'n' FOR UPDATE");
            const [row] = await tx.query("SELECT config FROM sources WHERE name = 'n'");
            await new Promise((resolve) => setImmediate(resolve));
            await tx.execute("UPDATE sources SET config = $1 WHERE name = 'n'", [String(Number(row?.config) + 1)]);
          });
        await Promise.all(Array.from({ length: 20 }, bump));
        const [row] = await db.query("SELECT config FROM sources WHERE name = 'n'");
        assert.equal(row?.config, "20");
      }));
  });
}

test("a database location is PostgreSQL only with a postgres:// or postgresql:// scheme", () => {
  assert.equal(isPostgresUrl("postgres://u@h/db"), true);
  assert.equal(isPostgresUrl("postgresql://u@h/db"), true);
  assert.equal(isPostgresUrl("/var/lib/gateway/gateway.sqlite"), false);
  assert.equal(isPostgresUrl("./postgres://x"), false);
});

test("a bad PostgreSQL URL is refused without echoing its password", () => {
  assert.throws(
    () => parsePostgresUrl("mysql://admin:hunter2@db/gw"),
    (e: unknown) => e instanceof UsageError && e.code === "DB_BAD_URL" && !e.message.includes("hunter2"),
  );
  assert.throws(() => new PostgresDatabase("not a url"), { code: "DB_BAD_URL" });
  assert.equal(redactUrl("postgres://admin:hunter2@db:5432/gw"), "postgres://admin:***@db:5432/gw");
});

test("an unreachable PostgreSQL is DB_UNAVAILABLE with a hint", async () => {
  // Port 1 on loopback: nothing listens there.
  const db = new PostgresDatabase("postgres://nobody@127.0.0.1:1/none");
  const unavailable = (e: unknown) => e instanceof StorageError && e.code === "DB_UNAVAILABLE" && e.hint !== undefined;
  try {
    await assert.rejects(migrate(db), unavailable);
    await assert.rejects(db.query("SELECT 1"), unavailable);
  } finally {
    await db.close();
  }
});

test("a SQLite file locked by another process past the busy timeout is DB_BUSY, not a hang", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "bulwark-gw-busy-"));
  const file = path.join(dir, "gateway.sqlite");
  const db = new SqliteDatabase(file, { busyTimeoutMs: 1 });
  // Another connection, as another process would, holds the write lock.
  const other = new BetterSqlite3(file);
  try {
    await migrate(db);
    other.exec("BEGIN IMMEDIATE");
    await assert.rejects(
      db.transaction(async () => {}),
      (e: unknown) => e instanceof StorageError && e.code === "DB_BUSY",
    );
    await assert.rejects(
      db.execute("INSERT INTO sources (name, kind, config, created_at, updated_at) VALUES ('x', 'url', '{}', 1, 1)"),
      { code: "DB_BUSY" },
    );
    other.exec("COMMIT");
    await db.transaction(async () => {});
  } finally {
    other.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
