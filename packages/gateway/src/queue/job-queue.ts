/**
 * The gateway's job queue, in its own database so jobs survive a restart and several gateway
 * processes share them. A worker claims a job with a lease; it must finish or extend the lease
 * before it runs out, or another worker may claim the job again (a crashed worker's job is
 * retried). Each claim adds one to `attempts`, which is also the claim's fencing token: only
 * the holder of the newest claim can complete or fail a job, so each job is completed once.
 *
 * Claiming is `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (workers never wait on each
 * other's rows) and a write transaction on SQLite (one writer at a time). See ADR 21.
 */
import { UsageError } from "@bulwark/tuf";
import { type Database, placeholders, type Queryable, type Row } from "../db/database.js";
import { StorageError } from "../db/errors.js";
import { type Job, type JobState, parseJob } from "./job.js";

/** How long a claim holds a job before another worker may take it, unless extended. */
export const DEFAULT_LEASE_MS = 60_000;
/** Attempts before a failing job is given up (`dead`). */
export const DEFAULT_MAX_ATTEMPTS = 5;
/** The wait before the first retry; each further retry waits twice as long as the one before… */
export const DEFAULT_BACKOFF_BASE_MS = 1_000;
/** …up to this. */
export const DEFAULT_BACKOFF_MAX_MS = 3_600_000;
/** The longest error message kept on a failed job. */
export const MAX_ERROR_LENGTH = 2_000;

/** Options of {@link JobQueue}. */
export interface JobQueueOptions {
  /** The clock (ms since 1970); tests move it instead of sleeping. */
  readonly now?: () => number;
  readonly leaseMs?: number;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
}

/** Options of {@link JobQueue.enqueue}. */
export interface EnqueueOptions {
  /** Not before this instant (ms since 1970); now when absent. */
  readonly runAt?: number;
  /** While a job with this key waits or runs, enqueueing another with it returns that one. */
  readonly uniqueKey?: string;
  readonly maxAttempts?: number;
  /** Enqueue inside this transaction (commits or rolls back with the caller's other writes). */
  readonly tx?: Queryable;
}

/** What {@link JobQueue.enqueue} did. */
export interface Enqueued {
  readonly id: number;
  /** False when a waiting or running job with the same unique key was returned instead. */
  readonly created: boolean;
}

/** A job queue on one {@link Database}. */
export class JobQueue {
  readonly #now: () => number;
  readonly #leaseMs: number;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;

  constructor(
    readonly db: Database,
    options: JobQueueOptions = {},
  ) {
    this.#now = options.now ?? Date.now;
    this.#leaseMs = positive("leaseMs", options.leaseMs ?? DEFAULT_LEASE_MS);
    this.#backoffBaseMs = positive("backoffBaseMs", options.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS);
    this.#backoffMaxMs = positive("backoffMaxMs", options.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS);
  }

  /** The lease a claim or heartbeat gives, in ms. */
  get leaseMs(): number {
    return this.#leaseMs;
  }

  /**
   * Adds a job of `kind` with a JSON `payload`.
   * @throws UsageError `QUEUE_BAD_JOB` when the payload is not JSON or an option is out of range.
   */
  async enqueue(kind: string, payload: unknown, options: EnqueueOptions = {}): Promise<Enqueued> {
    if (kind === "") throw new UsageError("a job needs a kind", { code: "QUEUE_BAD_JOB" });
    const json = JSON.stringify(payload);
    if (json === undefined) throw new UsageError(`the payload of a ${kind} job is not JSON`, { code: "QUEUE_BAD_JOB" });
    const maxAttempts = positive("maxAttempts", options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    const now = this.#now();
    const uniqueKey = options.uniqueKey ?? null;
    const insert = async (tx: Queryable): Promise<Enqueued> => {
      // A key held by a waiting or running job is a conflict; that job may finish between the
      // insert and the look-up, so try again (a few times at most: each retry saw it finish).
      for (let round = 0; round < 3; round++) {
        const [row] = await tx.query(
          `INSERT INTO jobs (kind, payload, unique_key, state, run_at, attempts, max_attempts, created_at, updated_at)
           VALUES ($1, $2, $3, 'queued', $4, 0, $5, $6, $6) ON CONFLICT DO NOTHING RETURNING id`,
          [kind, json, uniqueKey, options.runAt ?? now, maxAttempts, now],
        );
        if (row !== undefined) return { id: Number(row.id), created: true };
        const [existing] = await tx.query(
          "SELECT id FROM jobs WHERE unique_key = $1 AND state IN ('queued', 'running')",
          [uniqueKey],
        );
        if (existing !== undefined) return { id: Number(existing.id), created: false };
      }
      throw new StorageError("QUEUE_BAD_ROW", `could not enqueue a ${kind} job with unique key ${uniqueKey}`);
    };
    return options.tx === undefined ? this.db.transaction(insert) : insert(options.tx);
  }

  /**
   * Claims the next due job of one of `kinds` for `workerId`, with a lease of {@link leaseMs}:
   * a waiting job whose time has come, or a running one whose lease ran out (its worker
   * crashed or stalled). Running jobs whose lease ran out on their last attempt become `dead`.
   * Returns null when nothing is due.
   */
  async claim(workerId: string, kinds: readonly string[]): Promise<Job | null> {
    if (kinds.length === 0) return null;
    const now = this.#now();
    const params = [workerId, now + this.#leaseMs, now, ...kinds];
    const sweep = (nowParam: string) =>
      `UPDATE jobs SET state = 'dead', locked_by = NULL, locked_until = NULL, updated_at = ${nowParam},
         last_error = 'the lease ran out on the last attempt (the worker stopped or stalled)'
       WHERE state = 'running' AND locked_until <= ${nowParam} AND attempts >= max_attempts`;
    const take = (lock: string) =>
      `UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3
       WHERE id = (
         SELECT id FROM jobs
         WHERE ((state = 'queued' AND run_at <= $3) OR (state = 'running' AND locked_until <= $3))
           AND attempts < max_attempts AND kind IN (${placeholders(kinds.length, 3)})
         ORDER BY run_at, id LIMIT 1 ${lock}
       ) RETURNING *`;
    let row: Row | undefined;
    if (this.db.dialect === "postgres") {
      // One statement, one round trip: SKIP LOCKED passes over rows other workers are claiming.
      [row] = await this.db.query(
        `WITH swept AS (${sweep("$3")} RETURNING id) ${take("FOR UPDATE SKIP LOCKED")}`,
        params,
      );
    } else {
      // SQLite has no writing CTEs; the write transaction makes the two statements one step.
      row = await this.db.transaction(async (tx) => {
        await tx.execute(sweep("$1"), [now]);
        return (await tx.query(take(""), params))[0];
      });
    }
    return row === undefined ? null : parseJob(row);
  }

  /** Extends the lease of a claimed job; false when the claim was lost (the job was taken over). */
  async heartbeat(job: Job): Promise<boolean> {
    const now = this.#now();
    const changed = await this.db.execute(
      `UPDATE jobs SET locked_until = $4, updated_at = $5
       WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND state = 'running'`,
      [job.id, job.lockedBy, job.attempts, now + this.#leaseMs, now],
    );
    return changed === 1;
  }

  /**
   * Marks a claimed job done. Give `tx` to commit the job's effects and its completion together.
   * @throws StorageError `QUEUE_LEASE_LOST` when this claim is no longer the job's newest (another
   *   worker took it over after the lease ran out): the caller's transaction must roll back.
   */
  async complete(job: Job, tx?: Queryable): Promise<void> {
    const changed = await (tx ?? this.db).execute(
      `UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, updated_at = $4
       WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND state = 'running'`,
      [job.id, job.lockedBy, job.attempts, this.#now()],
    );
    if (changed !== 1) throw leaseLost(job);
  }

  /**
   * Records a failed attempt: the job waits {@link backoffMs} and is retried, or is `dead` after
   * its last attempt. Returns the state it is in now.
   * @throws StorageError `QUEUE_LEASE_LOST` as for {@link complete}.
   */
  async fail(job: Job, error: unknown): Promise<JobState> {
    const state: JobState = job.attempts >= job.maxAttempts ? "dead" : "queued";
    const now = this.#now();
    const message = (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR_LENGTH);
    const changed = await this.db.execute(
      `UPDATE jobs SET state = $4, run_at = $5, last_error = $6, locked_by = NULL, locked_until = NULL, updated_at = $7
       WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND state = 'running'`,
      [job.id, job.lockedBy, job.attempts, state, now + this.backoffMs(job.attempts), message, now],
    );
    if (changed !== 1) throw leaseLost(job);
    return state;
  }

  /** The wait before retrying after failed attempt number `attempt` (1, 2, …). */
  backoffMs(attempt: number): number {
    return Math.min(this.#backoffBaseMs * 2 ** Math.max(0, attempt - 1), this.#backoffMaxMs);
  }

  /** The job with `id`, or null. */
  async get(id: number): Promise<Job | null> {
    const [row] = await this.db.query("SELECT * FROM jobs WHERE id = $1", [id]);
    return row === undefined ? null : parseJob(row);
  }

  /** How many jobs are in each state. */
  async counts(): Promise<Record<JobState, number>> {
    const counts: Record<JobState, number> = { queued: 0, running: 0, done: 0, dead: 0 };
    const rows = await this.db.query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state");
    for (const row of rows) counts[parseJobState(row.state)] = Number(row.n);
    return counts;
  }
}

function parseJobState(value: unknown): JobState {
  if (value === "queued" || value === "running" || value === "done" || value === "dead") return value;
  throw new StorageError("QUEUE_BAD_ROW", `unknown job state ${String(value)} in the jobs table`);
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`${name} must be a positive whole number, not ${value}`, { code: "QUEUE_BAD_JOB" });
  }
  return value;
}

function leaseLost(job: Job): StorageError {
  return new StorageError(
    "QUEUE_LEASE_LOST",
    `job ${job.id} (${job.kind}) attempt ${job.attempts} no longer holds its lease: another worker took it over`,
    { hint: "Extend the lease with heartbeats while a job runs longer than the lease." },
  );
}
