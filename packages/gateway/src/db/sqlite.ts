/**
 * The embedded database: one SQLite file (better-sqlite3), in WAL mode, for a gateway that runs
 * as one process with nothing else to install. Several processes on one file also work: each
 * transaction takes the write lock first (`BEGIN IMMEDIATE`) and waits up to
 * {@link SQLITE_BUSY_TIMEOUT_MS} for it.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import type { Database, Queryable, Row, SqlValue } from "./database.js";
import { StorageError } from "./errors.js";

/** How long a statement waits for another process's write lock before failing with SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

type Statement = BetterSqlite3.Statement<unknown[], unknown>;

/** `$1, $2, …` are SQLite parameters named `1`, `2`, …: bind them by name. */
function bind(params: readonly SqlValue[]): Record<string, SqlValue> {
  const named: Record<string, SqlValue> = {};
  params.forEach((value, i) => {
    named[String(i + 1)] = value;
  });
  return named;
}

class SqliteStatements implements Queryable {
  readonly dialect = "sqlite" as const;
  readonly #cache = new Map<string, Statement>();
  constructor(readonly connection: BetterSqlite3.Database) {}

  #prepare(sql: string): Statement {
    let statement = this.#cache.get(sql);
    if (statement === undefined) {
      statement = this.connection.prepare(sql);
      this.#cache.set(sql, statement);
    }
    return statement;
  }

  querySync(sql: string, params: readonly SqlValue[]): Row[] {
    const statement = this.#prepare(sql);
    if (!statement.reader) {
      statement.run(bind(params));
      return [];
    }
    return statement.all(bind(params)) as Row[];
  }

  executeSync(sql: string, params: readonly SqlValue[]): number {
    const statement = this.#prepare(sql);
    // A statement that returns rows (a SELECT, or RETURNING) cannot be run(): count its rows.
    return statement.reader ? statement.all(bind(params)).length : statement.run(bind(params)).changes;
  }

  async query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return this.querySync(sql, params);
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.executeSync(sql, params);
  }
}

/** Another process held the write lock past the busy timeout: a typed error; others pass. */
function translate(error: unknown): unknown {
  if ((error as { code?: unknown }).code !== "SQLITE_BUSY") return error;
  return new StorageError("DB_BUSY", "the SQLite database stayed locked by another process", {
    cause: error,
    hint: "Another gateway process holds a long write on the same file; for several processes, use PostgreSQL.",
  });
}

/**
 * Statements and transactions on one file take turns within a process: better-sqlite3 waits for
 * a lock synchronously, so a second connection in the same process waiting for the first's
 * write lock would block the very event loop the first needs to finish (a deadlock).
 */
const TURNS = new Map<string, { last: Promise<void> }>();

/** A {@link Database} on one SQLite file. */
export class SqliteDatabase implements Database {
  readonly dialect = "sqlite" as const;
  readonly #statements: SqliteStatements;
  readonly #turns: { last: Promise<void> };

  /**
   * Opens (creating when missing) the database file at `file`, and its folder.
   * `busyTimeoutMs`: how long to wait for another process's write lock ({@link SQLITE_BUSY_TIMEOUT_MS}).
   */
  constructor(
    readonly file: string,
    options: { busyTimeoutMs?: number } = {},
  ) {
    mkdirSync(path.dirname(file), { recursive: true });
    const connection = new BetterSqlite3(file, { timeout: options.busyTimeoutMs ?? SQLITE_BUSY_TIMEOUT_MS });
    connection.pragma("journal_mode = WAL");
    // The audit trail and job states must survive a power cut once committed.
    connection.pragma("synchronous = FULL");
    connection.pragma("foreign_keys = ON");
    this.#statements = new SqliteStatements(connection);
    const key = path.resolve(file);
    let turns = TURNS.get(key);
    if (turns === undefined) {
      turns = { last: Promise.resolve() };
      TURNS.set(key, turns);
    }
    this.#turns = turns;
  }

  async #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.#turns.last;
    let release = (): void => {};
    this.#turns.last = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }

  query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return this.#exclusive(async () => {
      try {
        return this.#statements.querySync(sql, params);
      } catch (error) {
        throw translate(error);
      }
    });
  }

  execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.#exclusive(async () => {
      try {
        return this.#statements.executeSync(sql, params);
      } catch (error) {
        throw translate(error);
      }
    });
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      const connection = this.#statements.connection;
      try {
        connection.exec("BEGIN IMMEDIATE");
      } catch (error) {
        throw translate(error);
      }
      try {
        const result = await work(this.#statements);
        connection.exec("COMMIT");
        return result;
      } catch (error) {
        if (connection.inTransaction) connection.exec("ROLLBACK");
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.#exclusive(async () => this.#statements.connection.close());
  }
}
