/**
 * The databases every storage test runs against: a SQLite file in a temporary folder, and a
 * fresh PostgreSQL database on 127.0.0.1:5432 (skipped, with a note, when nothing answers there).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { type Database, PostgresDatabase, SqliteDatabase } from "../src/index.js";

/** Where the tests look for PostgreSQL. */
export const POSTGRES_ADMIN_URL = process.env.BULWARK_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** A fresh, empty database and how to reach it from another process. */
export interface TestDatabase {
  /** The URL or file another process opens. */
  readonly location: string;
  open(): Database;
  /** Drops the database or deletes the file. */
  cleanup(): Promise<void>;
}

/** One kind of database under test. */
export interface Backend {
  readonly name: "sqlite" | "postgres";
  /** Why the tests of this backend are skipped, or false. */
  readonly skip: string | false;
  create(): Promise<TestDatabase>;
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2_000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
  });
}

const adminUrl = new URL(POSTGRES_ADMIN_URL);
const postgresUp = await answers(adminUrl.hostname, Number(adminUrl.port || 5432));

let counter = 0;

const sqlite: Backend = {
  name: "sqlite",
  skip: false,
  async create() {
    const dir = mkdtempSync(path.join(tmpdir(), "bulwark-gw-db-"));
    const location = path.join(dir, "gateway.sqlite");
    return {
      location,
      open: () => new SqliteDatabase(location),
      async cleanup() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: Backend = {
  name: "postgres",
  skip: postgresUp ? false : `PostgreSQL is not answering on ${adminUrl.host}: PostgreSQL tests skipped (CI runs them)`,
  async create() {
    const name = `bulwark_test_${process.pid}_${Date.now()}_${counter++}`;
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${name}`;
    return {
      location: url.toString(),
      open: () => new PostgresDatabase(url.toString()),
      async cleanup() {
        const dropper = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
        await dropper.connect();
        try {
          await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await dropper.end();
        }
      },
    };
  },
};

/** SQLite, then PostgreSQL. */
export const BACKENDS: readonly Backend[] = [sqlite, postgres];

/** Runs `work` on a fresh database of `backend` (opened, not migrated), then drops it. */
export async function withDatabase<T>(
  backend: Backend,
  work: (db: Database, test: TestDatabase) => Promise<T>,
): Promise<T> {
  const test = await backend.create();
  const db = test.open();
  try {
    return await work(db, test);
  } finally {
    await db.close();
    await test.cleanup();
  }
}
