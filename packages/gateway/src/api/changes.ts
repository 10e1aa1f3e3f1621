/**
 * A state change and its audit entries, written once: the change and its rows in
 * `audit_entries` in one transaction, then the entries appended to the trail (the
 * transparency log) and each row given its log index.
 *
 * If the process dies between the commit and the append, the rows stay without a log index:
 * they are the evidence of what the trail is missing.
 */
import type { Database, Queryable } from "../db/database.js";
import { formatTrailEntry, type TrailEntry } from "../trail/entry.js";
import type { Trail } from "../trail/trail.js";

/** What a change's work returns: its result and the trail entries that record it. */
export interface Recorded<T> {
  readonly result: T;
  readonly entries: readonly TrailEntry[];
}

/**
 * Runs `work` in a transaction with the `audit_entries` rows of the entries it returns, then
 * appends those entries to `trail` and records their indexes.
 * @throws whatever `work` throws (nothing is written); the trail's errors after the commit.
 */
export async function recordChange<T>(
  db: Database,
  trail: Trail,
  work: (tx: Queryable) => Promise<Recorded<T>>,
): Promise<T> {
  const { result, entries, ids } = await db.transaction(async (tx) => {
    const done = await work(tx);
    const ids: number[] = [];
    for (const entry of done.entries) {
      formatTrailEntry(entry); // an entry the trail would refuse rolls the change back
      const [row] = await tx.query(
        `INSERT INTO audit_entries (created_at, actor, action, subject_type, subject_id, details)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [
          entry.time.getTime(),
          `${entry.actor.kind}:${entry.actor.id}`,
          entry.action,
          entry.subject.kind,
          entry.subject.id,
          JSON.stringify(entry.details),
        ],
      );
      ids.push(Number(row?.id));
    }
    return { ...done, ids };
  });
  if (entries.length > 0) {
    const appended = await trail.append(entries);
    for (const [i, id] of ids.entries()) {
      await db.execute("UPDATE audit_entries SET log_index = $1 WHERE id = $2", [Number(appended.firstIndex) + i, id]);
    }
  }
  return result;
}
