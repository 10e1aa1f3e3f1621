/**
 * The one small interface the gateway uses to reach its database: parameterised statements and
 * transactions. Statements are written once, with PostgreSQL's `$1, $2, …` placeholders, which
 * SQLite also reads (as parameters named `1`, `2`, …); what differs between the two is kept in
 * {@link DialectSql}.
 */

/** Which database is behind a {@link Database}. */
export type Dialect = "sqlite" | "postgres";

/** A value bound to a placeholder. Timestamps are integer milliseconds since 1970. */
export type SqlValue = string | number | null | Uint8Array;

/** A row as the driver returns it: narrow it with a parser before use. */
export type Row = Readonly<Record<string, unknown>>;

/** Runs statements; inside a transaction, on that transaction. */
export interface Queryable {
  readonly dialect: Dialect;
  /** Runs one statement and returns its rows (none for a statement without `RETURNING`). */
  query(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Runs one statement and returns how many rows it changed. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** A connection (SQLite) or pool (PostgreSQL) the gateway keeps for its lifetime. */
export interface Database extends Queryable {
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws.
   * SQLite takes the write lock at the start (`BEGIN IMMEDIATE`), so transactions of several
   * processes on one file run one after another.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Closes the connection or pool; the object must not be used afterwards. */
  close(): Promise<void>;
}

/** The SQL fragments that differ between the dialects, so a schema is written once. */
export interface DialectSql {
  /** For the rare statement that has no common form (triggers). */
  readonly dialect: Dialect;
  /** An auto-numbered 64-bit primary key column type. */
  readonly serialKey: string;
  /** A 64-bit integer (timestamps in milliseconds, sizes). */
  readonly bigint: string;
  /** Text holding JSON. */
  readonly json: string;
}

/** The fragments of each dialect. */
export const DIALECT_SQL: Readonly<Record<Dialect, DialectSql>> = {
  sqlite: { dialect: "sqlite", serialKey: "INTEGER PRIMARY KEY AUTOINCREMENT", bigint: "INTEGER", json: "TEXT" },
  postgres: {
    dialect: "postgres",
    serialKey: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    bigint: "BIGINT",
    json: "TEXT",
  },
};

/** `$1, $2, …, $n` starting after `from` placeholders: for `IN (…)` lists. */
export function placeholders(count: number, from = 0): string {
  return Array.from({ length: count }, (_, i) => `$${from + i + 1}`).join(", ");
}
