/**
 * The gateway's first schema: sources, the upstream releases seen on them with the evidence of
 * how each was verified, alerts, approvals, the audit trail and the job queue. JSON is kept as
 * text (parsed at the boundary); timestamps are integer milliseconds since 1970 (UTC).
 */
import type { DialectSql } from "../database.js";
import type { Migration } from "../migrate.js";

/** The states of an upstream release, in the order a release normally moves through them. */
export const RELEASE_STATES = [
  "fetched",
  "verified",
  "quarantined",
  "scanned",
  "approved",
  "published",
  "blocked",
] as const;

/** The states of a job in the queue. */
export const JOB_STATES = ["queued", "running", "done", "dead"] as const;

const quoted = (values: readonly string[]): string => values.map((v) => `'${v}'`).join(", ");

const AUDIT_COLUMNS = "id, created_at, actor, action, subject_type, subject_id, details";
const APPEND_ONLY = "audit_entries is append-only";

/**
 * Audit entries are never changed or deleted, and their transparency-log index is set once.
 * (Against the gateway's own bugs: an operator with the database can drop a trigger, which is
 * why the entries also go to a transparency log.)
 */
function appendOnly(d: DialectSql): string[] {
  if (d.dialect === "sqlite") {
    const abort = `BEGIN SELECT RAISE(ABORT, '${APPEND_ONLY}'); END`;
    return [
      `CREATE TRIGGER audit_entries_no_update BEFORE UPDATE OF ${AUDIT_COLUMNS} ON audit_entries ${abort}`,
      `CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries ${abort}`,
      `CREATE TRIGGER audit_entries_log_index_once BEFORE UPDATE OF log_index ON audit_entries
       WHEN OLD.log_index IS NOT NULL ${abort}`,
    ];
  }
  const run = "FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse()";
  return [
    `CREATE FUNCTION audit_entries_refuse() RETURNS trigger LANGUAGE plpgsql AS
     $$ BEGIN RAISE EXCEPTION '${APPEND_ONLY}'; END $$`,
    `CREATE TRIGGER audit_entries_no_update BEFORE UPDATE OF ${AUDIT_COLUMNS} ON audit_entries ${run}`,
    `CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries ${run}`,
    `CREATE TRIGGER audit_entries_log_index_once BEFORE UPDATE OF log_index ON audit_entries
     FOR EACH ROW WHEN (OLD.log_index IS NOT NULL) EXECUTE FUNCTION audit_entries_refuse()`,
  ];
}

function statements(d: DialectSql): string[] {
  return [
    `CREATE TABLE sources (
      id ${d.serialKey},
      name TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL,
      config ${d.json} NOT NULL,
      created_at ${d.bigint} NOT NULL,
      updated_at ${d.bigint} NOT NULL,
      last_polled_at ${d.bigint}
    )`,
    // What each source's poller remembers between polls (sources/memory.ts): the feed's HTTP
    // validators, and every version it served with the bytes of each file and what the feed
    // declared for it, so a rollback or changed bytes is caught after a restart too.
    `CREATE TABLE feed_validators (
      source_id ${d.bigint} NOT NULL REFERENCES sources (id),
      url TEXT NOT NULL,
      etag TEXT,
      last_modified TEXT,
      updated_at ${d.bigint} NOT NULL,
      PRIMARY KEY (source_id, url)
    )`,
    `CREATE TABLE source_versions (
      id ${d.serialKey},
      source_id ${d.bigint} NOT NULL REFERENCES sources (id),
      version TEXT NOT NULL,
      files ${d.json} NOT NULL,
      declared TEXT NOT NULL,
      verified INTEGER NOT NULL CHECK (verified IN (0, 1)),
      seen_at ${d.bigint} NOT NULL,
      UNIQUE (source_id, version)
    )`,
    `CREATE TABLE releases (
      id ${d.serialKey},
      source_id ${d.bigint} NOT NULL REFERENCES sources (id),
      version TEXT NOT NULL,
      url TEXT NOT NULL,
      sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
      size ${d.bigint} NOT NULL CHECK (size >= 0),
      state TEXT NOT NULL CHECK (state IN (${quoted(RELEASE_STATES)})),
      evidence ${d.json} NOT NULL,
      created_at ${d.bigint} NOT NULL,
      updated_at ${d.bigint} NOT NULL,
      UNIQUE (source_id, version, url)
    )`,
    "CREATE INDEX releases_by_state ON releases (state, updated_at)",
    "CREATE INDEX releases_by_sha256 ON releases (sha256)",
    `CREATE TABLE alerts (
      id ${d.serialKey},
      source_id ${d.bigint} REFERENCES sources (id),
      release_id ${d.bigint} REFERENCES releases (id),
      kind TEXT NOT NULL,
      severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
      message TEXT NOT NULL,
      evidence ${d.json} NOT NULL,
      created_at ${d.bigint} NOT NULL,
      resolved_at ${d.bigint},
      resolved_by TEXT
    )`,
    "CREATE INDEX alerts_open ON alerts (resolved_at, created_at)",
    `CREATE TABLE approvals (
      id ${d.serialKey},
      release_id ${d.bigint} NOT NULL REFERENCES releases (id),
      ring TEXT NOT NULL,
      approver TEXT NOT NULL,
      decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
      comment TEXT,
      created_at ${d.bigint} NOT NULL,
      UNIQUE (release_id, ring, approver)
    )`,
    // Append-only (see appendOnly); each entry also goes to a transparency log, whose index
    // is kept here once it is known.
    `CREATE TABLE audit_entries (
      id ${d.serialKey},
      created_at ${d.bigint} NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      subject_type TEXT NOT NULL,
      subject_id TEXT NOT NULL,
      details ${d.json} NOT NULL,
      log_index ${d.bigint}
    )`,
    "CREATE INDEX audit_by_subject ON audit_entries (subject_type, subject_id, id)",
    ...appendOnly(d),
    `CREATE TABLE jobs (
      id ${d.serialKey},
      kind TEXT NOT NULL,
      payload ${d.json} NOT NULL,
      unique_key TEXT,
      state TEXT NOT NULL CHECK (state IN (${quoted(JOB_STATES)})),
      run_at ${d.bigint} NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
      locked_by TEXT,
      locked_until ${d.bigint},
      last_error TEXT,
      created_at ${d.bigint} NOT NULL,
      updated_at ${d.bigint} NOT NULL
    )`,
    // A unique key deduplicates only while a job with it is waiting or running.
    "CREATE UNIQUE INDEX jobs_unique_pending ON jobs (unique_key) WHERE unique_key IS NOT NULL AND state IN ('queued', 'running')",
    "CREATE INDEX jobs_ready ON jobs (state, run_at, id)",
  ];
}

/** Migration 1. */
export const initial: Migration = { version: 1, name: "initial", statements };
