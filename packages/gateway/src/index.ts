/**
 * @bulwark/gateway: the organisation gateway. See docs/gateway.md.
 */

// Storage: database, migrations, job queue, blob store.
export type { BlobStore, PutOptions, StoredBlob } from "./blobs/blob-store.js";
export { parseDigest } from "./blobs/blob-store.js";
export { bytesSource, DiskBlobStore, readBlob } from "./blobs/disk-blob-store.js";
export type { Database, Dialect, DialectSql, Queryable, Row, SqlValue } from "./db/database.js";
export { DIALECT_SQL, placeholders } from "./db/database.js";
export { StorageError, type StorageErrorCode } from "./db/errors.js";
export { type Migration, type MigrationReport, migrate, schemaVersion } from "./db/migrate.js";
export { JOB_STATES, RELEASE_STATES } from "./db/migrations/0001-initial.js";
export { MIGRATIONS } from "./db/migrations/index.js";
export { isPostgresUrl, openDatabase } from "./db/open.js";
export { POSTGRES_POOL_SIZE, PostgresDatabase, parsePostgresUrl, redactUrl } from "./db/postgres.js";
export { DatabaseSourceMemory } from "./db/source-memory.js";
export { SQLITE_BUSY_TIMEOUT_MS, SqliteDatabase } from "./db/sqlite.js";
export type { Job, JobState } from "./queue/job.js";
export { parseJob } from "./queue/job.js";
export {
  DEFAULT_BACKOFF_BASE_MS,
  DEFAULT_BACKOFF_MAX_MS,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_ATTEMPTS,
  type Enqueued,
  type EnqueueOptions,
  JobQueue,
  type JobQueueOptions,
  MAX_ERROR_LENGTH,
} from "./queue/job-queue.js";
export {
  DEFAULT_POLL_MS,
  type JobContext,
  type JobHandler,
  type JobOutcome,
  Worker,
  type WorkerOptions,
} from "./queue/worker.js";

// Sources (issue 16 item 2): polling vendors' feeds, verifying and recording each release.
export * from "./sources/index.js";
