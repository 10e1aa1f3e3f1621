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
// Quarantine and policy (issue 16 item 3): see docs/gateway.md#policies.
export * from "./policy/index.js";
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
// The audit trail (issue 16 item 5): see docs/gateway-trail.md.
export { type Divergence, findDivergence } from "./trail/divergence.js";
export {
  formatTrailEntry,
  MAX_TRAIL_ENTRY_SIZE,
  MAX_TRAIL_ID_LENGTH,
  parseTrailEntry,
  TRAIL_ACTIONS,
  TRAIL_ACTOR_KINDS,
  TRAIL_ENTRY_TYPE,
  type TrailAction,
  type TrailActor,
  type TrailEntry,
  type TrailSubject,
} from "./trail/entry.js";
export {
  TRAIL_ERRORS,
  TRAIL_USAGE,
  type TrailChange,
  TrailEntryError,
  TrailError,
  type TrailErrorCode,
} from "./trail/errors.js";
export { type VerifiedTrailEntry, type VerifyTrailProofOptions, verifyTrailEntryProof } from "./trail/proof.js";
export { readTrailSnapshot, writeTrailSnapshot } from "./trail/snapshot.js";
export { FOLDER_TRAIL_DEFAULTS, FolderTrailStore, TRAIL_LOCK_FILE, type TrailStore } from "./trail/store.js";
export {
  Trail,
  type TrailAppendResult,
  type TrailEntryProof,
  type TrailOptions,
} from "./trail/trail.js";
export { type TrailSnapshot, type TrailVerification, type VerifyTrailOptions, verifyTrail } from "./trail/verify.js";
