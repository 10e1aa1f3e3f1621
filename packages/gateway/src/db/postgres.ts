/**
 * PostgreSQL (`pg`), for several gateway processes sharing one database. 64-bit integers are
 * read as numbers: the gateway keeps only timestamps in milliseconds, sizes and row ids there,
 * all far below 2^53.
 */
import { UsageError } from "@bulwark/tuf";
import pg from "pg";
import type { Database, Queryable, Row, SqlValue } from "./database.js";
import { StorageError } from "./errors.js";

/** Connections one gateway process keeps open to PostgreSQL at most. */
export const POSTGRES_POOL_SIZE = 10;

const INT8_OID = 20;

const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary"
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
};

/** The URL with any password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unparseable URL)";
  }
}

/**
 * Checks that `url` is a `postgres://` or `postgresql://` URL.
 * @throws UsageError `DB_BAD_URL` when it is not.
 */
export function parsePostgresUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new UsageError(`${redactUrl(url)} is not a database URL`, {
      code: "DB_BAD_URL",
      cause,
      hint: "Give postgres://USER@HOST:PORT/DATABASE, or a file path for SQLite.",
    });
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new UsageError(`${redactUrl(url)} is not a postgres:// URL`, {
      code: "DB_BAD_URL",
      hint: "Give postgres://USER@HOST:PORT/DATABASE, or a file path for SQLite.",
    });
  }
  return parsed;
}

/**
 * A connection that failed (refused, reset, timed out: Node's `E…` codes, not PostgreSQL's
 * five-character SQLSTATEs) becomes `DB_UNAVAILABLE`; errors of the statement itself pass.
 */
function translate(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string" || !/^E[A-Z]+$/.test(code)) return error;
  return new StorageError("DB_UNAVAILABLE", `cannot reach PostgreSQL: ${(error as Error).message}`, {
    cause: error,
    hint: "Check that PostgreSQL is running and that the --database URL is right.",
  });
}

class PostgresStatements implements Queryable {
  readonly dialect = "postgres" as const;
  constructor(readonly client: pg.Pool | pg.PoolClient) {}

  async query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    try {
      return (await this.client.query(sql, params as SqlValue[])).rows as Row[];
    } catch (error) {
      throw translate(error);
    }
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    try {
      return (await this.client.query(sql, params as SqlValue[])).rowCount ?? 0;
    } catch (error) {
      throw translate(error);
    }
  }
}

/** A {@link Database} on a PostgreSQL pool. */
export class PostgresDatabase implements Database {
  readonly dialect = "postgres" as const;
  readonly #pool: pg.Pool;
  readonly #statements: PostgresStatements;

  /**
   * Opens a pool on `url` (connections are made when first used).
   * @throws UsageError `DB_BAD_URL` when `url` is not a postgres:// URL.
   */
  constructor(url: string, options: { poolSize?: number } = {}) {
    parsePostgresUrl(url);
    this.#pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? POSTGRES_POOL_SIZE, types });
    // An idle connection that drops (server restart) must not crash the process.
    this.#pool.on("error", () => {});
    this.#statements = new PostgresStatements(this.#pool);
  }

  query(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.#statements.query(sql, params);
  }

  execute(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.#statements.execute(sql, params);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw translate(error);
    }
    let broken: unknown;
    try {
      await client.query("BEGIN");
      const result = await work(new PostgresStatements(client));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackError) {
        broken = rollbackError;
      }
      throw error;
    } finally {
      // A connection whose rollback failed is in an unknown state: drop it from the pool.
      client.release(broken === undefined ? undefined : (broken as Error));
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
