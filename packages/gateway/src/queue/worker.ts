/**
 * A worker: claims jobs of the kinds it has handlers for, runs them, extends their lease while
 * they run, and records each as done or failed. Several workers, in one process or many, share
 * one {@link JobQueue}.
 */
import { UsageError } from "@bulwark/tuf";
import type { Job } from "./job.js";
import type { JobQueue } from "./job-queue.js";

/** What a handler gets besides its job. */
export interface JobContext {
  /** Aborted when the lease is lost (another worker took the job over): stop, and write nothing. */
  readonly signal: AbortSignal;
  readonly workerId: string;
}

/** Runs one job; a throw is a failed attempt (retried with back-off, or `dead` after the last). */
export type JobHandler = (job: Job, context: JobContext) => Promise<void>;

/** How long an idle worker waits before looking for due jobs again. */
export const DEFAULT_POLL_MS = 1_000;

/** Options of {@link Worker}. */
export interface WorkerOptions {
  /** Names this worker in `locked_by`: unique among the workers sharing the queue. */
  readonly id: string;
  /** A handler per job kind; the worker claims only these kinds. */
  readonly handlers: Readonly<Record<string, JobHandler>>;
  readonly pollMs?: number;
  /** How often a running job's lease is extended; a third of the lease when absent. */
  readonly heartbeatMs?: number;
  /** Told of errors the worker carries on after (a lost lease, a database that is down). */
  readonly onError?: (error: unknown, job?: Job) => void;
}

/** What happened to a job that {@link Worker.runOnce} claimed. */
export type JobOutcome = "done" | "retry" | "dead" | "lost";

/** A worker on a {@link JobQueue}. */
export class Worker {
  readonly #kinds: string[];
  readonly #pollMs: number;
  readonly #heartbeatMs: number;
  #stopped = true;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(
    readonly queue: JobQueue,
    readonly options: WorkerOptions,
  ) {
    if (options.id === "") throw new UsageError("a worker needs an id", { code: "QUEUE_BAD_WORKER" });
    this.#kinds = Object.keys(options.handlers);
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.#heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(queue.leaseMs / 3));
  }

  /** Claims and runs one due job; returns its outcome, or null when nothing was due. */
  async runOnce(): Promise<JobOutcome | null> {
    const job = await this.queue.claim(this.options.id, this.#kinds);
    if (job === null) return null;
    const handler = this.options.handlers[job.kind];
    const lost = new AbortController();
    const timer = setInterval(() => {
      this.queue.heartbeat(job).then(
        (held) => {
          if (!held) lost.abort();
        },
        (error: unknown) => this.options.onError?.(error, job),
      );
    }, this.#heartbeatMs);
    try {
      if (handler === undefined) throw new Error(`no handler for ${job.kind}`);
      await handler(job, { signal: lost.signal, workerId: this.options.id });
    } catch (error) {
      clearInterval(timer);
      if (lost.signal.aborted) return "lost";
      return this.#settle(job, async () => ((await this.queue.fail(job, error)) === "dead" ? "dead" : "retry"));
    }
    clearInterval(timer);
    if (lost.signal.aborted) return "lost";
    return this.#settle(job, async () => {
      await this.queue.complete(job);
      return "done";
    });
  }

  async #settle(job: Job, record: () => Promise<JobOutcome>): Promise<JobOutcome> {
    try {
      return await record();
    } catch (error) {
      if ((error as { code?: unknown }).code !== "QUEUE_LEASE_LOST") throw error;
      this.options.onError?.(error, job);
      return "lost";
    }
  }

  /** Runs due jobs until none is due; returns how many were claimed. */
  async drain(): Promise<number> {
    let claimed = 0;
    while ((await this.runOnce()) !== null) claimed++;
    return claimed;
  }

  /** Starts running jobs in the background until {@link stop}. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  /** Stops claiming, waits for the job in hand to finish, and resolves. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let outcome: JobOutcome | null = null;
      try {
        outcome = await this.runOnce();
      } catch (error) {
        this.options.onError?.(error);
      }
      if (outcome === null && !this.#stopped) await this.#idle();
    }
  }

  #idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.#pollMs);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
