/**
 * Opens the gateway's database from what the operator gave: a `postgres://` URL, or else a
 * SQLite file path. The schema is migrated before the database is handed back.
 */
import type { Database } from "./database.js";
import { migrate } from "./migrate.js";
import { PostgresDatabase } from "./postgres.js";
import { SqliteDatabase } from "./sqlite.js";

/** Whether `location` names PostgreSQL rather than a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * Opens `location` (a `postgres://` URL or a SQLite file path) and migrates it.
 * @throws UsageError `DB_BAD_URL`; StorageError `DB_SCHEMA_NEWER`, `DB_MIGRATION_FAILED`, `DB_UNAVAILABLE`.
 */
export async function openDatabase(location: string): Promise<Database> {
  const db: Database = isPostgresUrl(location) ? new PostgresDatabase(location) : new SqliteDatabase(location);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
