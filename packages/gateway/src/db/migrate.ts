/**
 * Versioned migrations. Each is applied once, in its own transaction, together with its row in
 * `schema_migrations`; concurrent gateway processes starting at once apply each exactly once
 * (PostgreSQL: an advisory lock held for the transaction; SQLite: the write lock). A database
 * migrated by a newer gateway is refused rather than used with a schema this code does not know.
 */
import { UsageError } from "@bulwark/tuf";
import { type Database, DIALECT_SQL, type DialectSql, type Queryable } from "./database.js";
import { StorageError } from "./errors.js";
import { MIGRATIONS } from "./migrations/index.js";

/** One numbered schema change, written once for both dialects. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: (dialect: DialectSql) => readonly string[];
}

/** What {@link migrate} did. */
export interface MigrationReport {
  /** The versions applied by this call, in order (empty when the schema was current). */
  readonly applied: number[];
  /** The schema version the database is at now. */
  readonly version: number;
}

/** An arbitrary constant naming the gateway's migration lock among PostgreSQL advisory locks. */
const MIGRATION_LOCK = 0x62_75_6c_77;

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

function checkNumbering(migrations: readonly Migration[]): void {
  migrations.forEach((migration, i) => {
    if (migration.version !== i + 1) {
      throw new UsageError(`migration ${migration.name} is numbered ${migration.version}, expected ${i + 1}`, {
        code: "DB_MIGRATION_ORDER",
      });
    }
  });
}

/** The version the database is at, under the lock; refuses one newer than `latest`. */
async function lockedVersion(tx: Queryable, latest: number): Promise<number> {
  if (tx.dialect === "postgres") await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
  await tx.execute(CREATE_TABLE);
  const [row] = await tx.query("SELECT MAX(version) AS version FROM schema_migrations");
  const version = Number(row?.version ?? 0);
  if (version > latest) {
    throw new StorageError(
      "DB_SCHEMA_NEWER",
      `the database's schema is at version ${version}, newer than this gateway knows (${latest})`,
      { hint: "Run the newer gateway that migrated this database, or restore a backup made for this version." },
    );
  }
  return version;
}

/**
 * Brings the database's schema up to the newest migration.
 * @throws StorageError `DB_SCHEMA_NEWER` when the database was migrated by newer code;
 *   `DB_MIGRATION_FAILED` when a migration's statements fail (that migration is rolled back).
 */
export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  checkNumbering(migrations);
  const latest = migrations.length;
  const applied: number[] = [];
  for (;;) {
    const next = await db.transaction(async (tx) => {
      const version = await lockedVersion(tx, latest);
      const migration = migrations[version];
      if (migration === undefined) return undefined;
      try {
        for (const sql of migration.statements(DIALECT_SQL[tx.dialect])) await tx.execute(sql);
      } catch (cause) {
        throw new StorageError(
          "DB_MIGRATION_FAILED",
          `migration ${migration.version} (${migration.name}) failed: ${(cause as Error).message}`,
          { cause },
        );
      }
      await tx.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
        migration.version,
        migration.name,
        Date.now(),
      ]);
      return migration.version;
    });
    if (next === undefined) return { applied, version: latest };
    applied.push(next);
  }
}

/** The schema version recorded in the database (0 when it was never migrated). */
export async function schemaVersion(db: Queryable): Promise<number> {
  await db.execute(CREATE_TABLE);
  const [row] = await db.query("SELECT MAX(version) AS version FROM schema_migrations");
  return Number(row?.version ?? 0);
}
