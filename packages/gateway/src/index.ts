/**
 * @bulwark/gateway: the organisation gateway. See docs/gateway.md.
 */

// The gateway folder and its REST API (issue 16 items 1 and 6): see docs/gateway.md, "The API".
export { drainTrail, MAX_DRAIN_BATCH, type Recorded, recordChange } from "./api/changes.js";
export { GatewayApiError, GatewayClient, MAX_ANSWER_BYTES } from "./api/client.js";
export { API_ERRORS, ApiError, type ApiErrorBody, type ApiErrorCode } from "./api/errors.js";
export { type RateLimit, RateLimiter } from "./api/limits.js";
export { ApiMetrics, LATENCY_BUCKETS } from "./api/metrics.js";
export { API_VERSION, openapiDocument, openapiPath } from "./api/openapi.js";
export {
  type AlertView,
  addSource,
  countByState,
  getRelease,
  getSource,
  listReleases,
  listSources,
  PAGE_LIMITS,
  type Page,
  pageOf,
  type ReleaseState,
  type ReleaseView,
  type SourceView,
  sourceConfigOf,
} from "./api/records.js";
export {
  type ApiContext,
  matchRoute,
  type QueryParam,
  ROUTES,
  type Route,
  type RouteRequest,
  type RouteResponse,
} from "./api/routes.js";
export { SOURCE_CONFIG_BODY, type SourceConfigBody, TOKEN_BODY } from "./api/schemas.js";
export {
  API_DEFAULTS,
  type ApiAccessLogEntry,
  type ApiServer,
  type ApiServerOptions,
  createApiServer,
  listenApi,
} from "./api/server.js";
export {
  MAX_TOKEN_NAME_LENGTH,
  roleAllows,
  TOKEN_PREFIX,
  TOKEN_ROLES,
  type TokenInfo,
  type TokenRole,
  TokenStore,
  tokenActor,
} from "./api/tokens.js";
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
export {
  GATEWAY_CONFIG_SCHEMA,
  GATEWAY_CONFIG_SCHEMA_FILE,
  type Gateway,
  type GatewayConfig,
  gatewayLayout,
  type InitGatewayOptions,
  type InitializedGateway,
  initGateway,
  openGateway,
  readGatewayConfig,
  writeGatewayConfig,
} from "./gateway.js";
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
