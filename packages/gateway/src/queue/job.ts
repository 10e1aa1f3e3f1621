/**
 * A job as the queue stores it, parsed from a database row at the boundary.
 */
import type { Row } from "../db/database.js";
import { StorageError } from "../db/errors.js";
import { JOB_STATES } from "../db/migrations/0001-initial.js";

/** Where a job is: waiting (or waiting to be retried), held by a worker, finished, or given up. */
export type JobState = (typeof JOB_STATES)[number];

/** A job in the queue. */
export interface Job {
  readonly id: number;
  readonly kind: string;
  /** The JSON value given to `enqueue`, parsed back: narrow it before use. */
  readonly payload: unknown;
  readonly uniqueKey: string | null;
  readonly state: JobState;
  /** Not before this instant (ms since 1970). */
  readonly runAt: number;
  /** Claims so far, this one included; also the fencing token of the current claim. */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly lockedBy: string | null;
  readonly lockedUntil: number | null;
  readonly lastError: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

function bad(field: string, row: Row): never {
  throw new StorageError("QUEUE_BAD_ROW", `job ${String(row.id)}: bad ${field} in the jobs table`);
}

function int(row: Row, field: string): number {
  const value = row[field];
  if (typeof value !== "number" || !Number.isSafeInteger(value)) bad(field, row);
  return value;
}

function intOrNull(row: Row, field: string): number | null {
  return row[field] === null ? null : int(row, field);
}

function text(row: Row, field: string): string {
  const value = row[field];
  if (typeof value !== "string") bad(field, row);
  return value;
}

function textOrNull(row: Row, field: string): string | null {
  return row[field] === null ? null : text(row, field);
}

/**
 * Parses a `jobs` row.
 * @throws StorageError `QUEUE_BAD_ROW` naming the field that is not what the schema says.
 */
export function parseJob(row: Row): Job {
  const state = text(row, "state");
  if (!(JOB_STATES as readonly string[]).includes(state)) bad("state", row);
  let payload: unknown;
  try {
    payload = JSON.parse(text(row, "payload"));
  } catch {
    bad("payload", row);
  }
  return {
    id: int(row, "id"),
    kind: text(row, "kind"),
    payload,
    uniqueKey: textOrNull(row, "unique_key"),
    state: state as JobState,
    runAt: int(row, "run_at"),
    attempts: int(row, "attempts"),
    maxAttempts: int(row, "max_attempts"),
    lockedBy: textOrNull(row, "locked_by"),
    lockedUntil: intOrNull(row, "locked_until"),
    lastError: textOrNull(row, "last_error"),
    createdAt: int(row, "created_at"),
    updatedAt: int(row, "updated_at"),
  };
}
