/**
 * A state change and its audit entries, written once: the change and its rows in
 * `audit_entries` in one transaction; then every row not yet in the trail (the transparency
 * log) is appended to it and given its log index ({@link drainTrail}).
 *
 * Draining is what makes a crash harmless: rows committed by a process that died before it
 * appended them are appended by the next change, or when a gateway opens. Drainers exclude
 * each other through the database (PostgreSQL: the rows locked `FOR UPDATE`; SQLite: the
 * write lock), so each row is appended once. (A crash after the append but before the commit
 * of the log indexes appends those entries again on the next drain: the trail may then hold
 * an entry twice, never miss one.)
 */
import type { JsonObject } from "@bulwark/tuf";
import type { Database, Queryable, Row } from "../db/database.js";
import { StorageError } from "../db/errors.js";
import { formatTrailEntry, type TrailActor, type TrailEntry } from "../trail/entry.js";
import type { Trail } from "../trail/trail.js";

/** What a change's work returns: its result and the trail entries that record it. */
export interface Recorded<T> {
  readonly result: T;
  readonly entries: readonly TrailEntry[];
}

/** The most rows one drain appends (one checkpoint); a longer backlog takes several. */
export const MAX_DRAIN_BATCH = 1000;

/**
 * Runs `work` in a transaction with the `audit_entries` rows of the entries it returns, then
 * drains them (and any other pending row) into `trail`.
 * @throws whatever `work` throws (nothing is written); UsageError TRAIL_USAGE for an entry the
 *   trail would refuse (nothing is written); the trail's errors after the commit (the rows stay
 *   pending, for the next drain).
 */
export async function recordChange<T>(
  db: Database,
  trail: Trail,
  work: (tx: Queryable) => Promise<Recorded<T>>,
): Promise<T> {
  const { result, entries } = await db.transaction(async (tx) => {
    const done = await work(tx);
    for (const entry of done.entries) {
      formatTrailEntry(entry); // an entry the trail would refuse rolls the change back
      await tx.execute(
        `INSERT INTO audit_entries (created_at, actor, action, subject_type, subject_id, details)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          entry.time.getTime(),
          `${entry.actor.kind}:${entry.actor.id}`,
          entry.action,
          entry.subject.kind,
          entry.subject.id,
          JSON.stringify(entry.details),
        ],
      );
    }
    return done;
  });
  if (entries.length > 0) await drainTrail(db, trail);
  return result;
}

function entryOfRow(row: Row): TrailEntry {
  const { actor, action, subject_type: kind, subject_id: id, details } = row;
  if (typeof actor !== "string" || typeof details !== "string") {
    throw new StorageError("DB_BAD_ROW", "bad row in the audit_entries table");
  }
  const colon = actor.indexOf(":");
  return {
    actor: { kind: actor.slice(0, colon), id: actor.slice(colon + 1) } as TrailActor,
    action: action as TrailEntry["action"],
    subject: { kind: kind as string, id: id as string },
    time: new Date(Number(row.created_at)),
    details: JSON.parse(details) as JsonObject,
  };
}

/**
 * Appends every `audit_entries` row without a log index to the trail, oldest first, and
 * records the indexes; returns how many it appended.
 * @throws the trail's errors (nothing is recorded; the rows stay pending).
 */
export async function drainTrail(db: Database, trail: Trail): Promise<number> {
  let total = 0;
  for (;;) {
    const appended = await db.transaction(async (tx) => {
      const lock = tx.dialect === "postgres" ? " FOR UPDATE" : "";
      const rows = await tx.query(
        `SELECT id, created_at, actor, action, subject_type, subject_id, details FROM audit_entries
         WHERE log_index IS NULL ORDER BY id LIMIT ${MAX_DRAIN_BATCH}${lock}`,
      );
      if (rows.length === 0) return 0;
      const { firstIndex } = await trail.append(rows.map(entryOfRow));
      for (const [i, row] of rows.entries()) {
        await tx.execute("UPDATE audit_entries SET log_index = $1 WHERE id = $2", [
          Number(firstIndex) + i,
          Number(row.id),
        ]);
      }
      return rows.length;
    });
    total += appended;
    if (appended < MAX_DRAIN_BATCH) return total;
  }
}
