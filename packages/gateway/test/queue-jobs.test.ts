import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Database, type Job, JobQueue, migrate, StorageError, Worker } from "../src/index.js";
import { BACKENDS, withDatabase } from "./db-backends.js";

/** A clock the test moves by hand: nothing here sleeps. */
function clock(start = 1_765_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

const LEASE = 30_000;

async function queueOn(db: Database, time = clock()) {
  await migrate(db);
  return { queue: new JobQueue(db, { now: time.now, leaseMs: LEASE, backoffBaseMs: 1_000 }), time };
}

function claimed(job: Job | null): Job {
  assert.ok(job, "a job was due");
  return job;
}

const lost = (e: unknown) => e instanceof StorageError && e.code === "QUEUE_LEASE_LOST";

for (const backend of BACKENDS) {
  describe(`job queue on ${backend.name}`, { skip: backend.skip }, () => {
    test("enqueue, claim, complete: a done job is never claimed again", () =>
      withDatabase(backend, async (db) => {
        const { queue, time } = await queueOn(db);
        const { id, created } = await queue.enqueue("poll", { source: 7 });
        assert.equal(created, true);
        const job = claimed(await queue.claim("w1", ["poll"]));
        assert.deepEqual(
          [job.id, job.kind, job.payload, job.attempts, job.lockedBy],
          [id, "poll", { source: 7 }, 1, "w1"],
        );
        assert.equal(job.lockedUntil, time.now() + LEASE);
        assert.equal(await queue.claim("w2", ["poll"]), null, "a leased job is not handed out twice");
        await queue.complete(job);
        time.advance(10 * LEASE);
        assert.equal(await queue.claim("w2", ["poll"]), null);
        assert.deepEqual(await queue.counts(), { queued: 0, running: 0, done: 1, dead: 0 });
      }));

    test("a worker claims only the kinds it handles, oldest due first", () =>
      withDatabase(backend, async (db) => {
        const { queue, time } = await queueOn(db);
        await queue.enqueue("scan", 1);
        const later = await queue.enqueue("poll", 2, { runAt: time.now() + 5_000 });
        const first = await queue.enqueue("poll", 3);
        assert.equal(claimed(await queue.claim("w", ["poll"])).id, first.id);
        assert.equal(await queue.claim("w", ["poll"]), null, "not before its run-at");
        time.advance(5_000);
        assert.equal(claimed(await queue.claim("w", ["poll"])).id, later.id);
        assert.equal(await queue.claim("w", []), null);
      }));

    test("a unique key deduplicates while its job waits or runs, and is free again once it is done", () =>
      withDatabase(backend, async (db) => {
        const { queue } = await queueOn(db);
        const a = await queue.enqueue("poll", { n: 1 }, { uniqueKey: "poll:source-1" });
        const b = await queue.enqueue("poll", { n: 2 }, { uniqueKey: "poll:source-1" });
        assert.deepEqual(b, { id: a.id, created: false });
        const job = claimed(await queue.claim("w", ["poll"]));
        assert.deepEqual((await queue.enqueue("poll", {}, { uniqueKey: "poll:source-1" })).id, a.id);
        await queue.complete(job);
        const c = await queue.enqueue("poll", { n: 3 }, { uniqueKey: "poll:source-1" });
        assert.equal(c.created, true);
        assert.notEqual(c.id, a.id);
      }));

    test("a job enqueued in a transaction that rolls back does not exist", () =>
      withDatabase(backend, async (db) => {
        const { queue } = await queueOn(db);
        await assert.rejects(
          db.transaction(async (tx) => {
            await queue.enqueue("publish", {}, { tx });
            throw new Error("the release write failed");
          }),
        );
        assert.deepEqual(await queue.counts(), { queued: 0, running: 0, done: 0, dead: 0 });
      }));

    test("a failed attempt is retried after an exponential back-off, then dead after max attempts", () =>
      withDatabase(backend, async (db) => {
        const { queue, time } = await queueOn(db);
        const { id } = await queue.enqueue("fetch", {}, { maxAttempts: 3 });
        assert.equal(await queue.fail(claimed(await queue.claim("w", ["fetch"])), new Error("503")), "queued");
        time.advance(999);
        assert.equal(await queue.claim("w", ["fetch"]), null, "back-off of 1 s after attempt 1");
        time.advance(1);
        assert.equal(await queue.fail(claimed(await queue.claim("w", ["fetch"])), "timeout"), "queued");
        time.advance(1_999);
        assert.equal(await queue.claim("w", ["fetch"]), null, "back-off of 2 s after attempt 2");
        time.advance(1);
        const third = claimed(await queue.claim("w", ["fetch"]));
        assert.equal(third.attempts, 3);
        assert.equal(await queue.fail(third, new Error("503 again")), "dead");
        time.advance(3_600_000);
        assert.equal(await queue.claim("w", ["fetch"]), null);
        const dead = await queue.get(id);
        assert.deepEqual([dead?.state, dead?.attempts, dead?.lastError], ["dead", 3, "503 again"]);
      }));

    test("a job whose worker stopped heart-beating is claimed again after its lease", () =>
      withDatabase(backend, async (db) => {
        const { queue, time } = await queueOn(db);
        await queue.enqueue("scan", {});
        const first = claimed(await queue.claim("crashed", ["scan"]));
        time.advance(LEASE - 1);
        assert.equal(await queue.claim("w2", ["scan"]), null, "not while the lease holds");
        time.advance(1);
        const second = claimed(await queue.claim("w2", ["scan"]));
        assert.deepEqual([second.id, second.attempts, second.lockedBy], [first.id, 2, "w2"]);
      }));

    test("heartbeats keep a long job's lease", () =>
      withDatabase(backend, async (db) => {
        const { queue, time } = await queueOn(db);
        await queue.enqueue("scan", {});
        const job = claimed(await queue.claim("w1", ["scan"]));
        for (let i = 0; i < 5; i++) {
          time.advance(LEASE - 1);
          assert.equal(await queue.heartbeat(job), true);
        }
        assert.equal(await queue.claim("w2", ["scan"]), null);
        await queue.complete(job);
      }));

    test("a stalled worker cannot complete or fail a job another worker took over (fencing)", () =>
      withDatabase(backend, async (db) => {
        const { queue, time } = await queueOn(db);
        await queue.enqueue("publish", {});
        const stalled = claimed(await queue.claim("w1", ["publish"]));
        time.advance(LEASE);
        const takeover = claimed(await queue.claim("w2", ["publish"]));
        await assert.rejects(queue.complete(stalled), lost);
        await assert.rejects(queue.fail(stalled, "late"), lost);
        assert.equal(await queue.heartbeat(stalled), false);
        await queue.complete(takeover);
        await assert.rejects(queue.complete(takeover), lost, "done once, not twice");
      }));

    test("a job whose lease runs out on its last attempt is dead, not retried forever", () =>
      withDatabase(backend, async (db) => {
        const { queue, time } = await queueOn(db);
        const { id } = await queue.enqueue("scan", {}, { maxAttempts: 1 });
        claimed(await queue.claim("crashed", ["scan"]));
        time.advance(LEASE);
        assert.equal(await queue.claim("w2", ["scan"]), null);
        assert.equal((await queue.get(id))?.state, "dead");
      }));

    test("completing in the caller's transaction commits the job's effect and its completion together", () =>
      withDatabase(backend, async (db) => {
        const { queue } = await queueOn(db);
        await queue.enqueue("audit", {});
        const job = claimed(await queue.claim("w", ["audit"]));
        await db.transaction(async (tx) => {
          await tx.execute(
            "INSERT INTO audit_entries (created_at, actor, action, subject_type, subject_id, details) VALUES (1, 'gateway', 'job.done', 'job', $1, '{}')",
            [String(job.id)],
          );
          await queue.complete(job, tx);
        });
        assert.equal((await queue.get(job.id))?.state, "done");
        assert.equal((await db.query("SELECT * FROM audit_entries")).length, 1);
      }));

    test("a worker runs its handlers and records their outcome", () =>
      withDatabase(backend, async (db) => {
        const { queue, time } = await queueOn(db);
        const seen: unknown[] = [];
        const worker = new Worker(queue, {
          id: "w",
          handlers: {
            ok: async (job) => {
              seen.push(job.payload);
            },
            broken: async () => {
              throw new Error("feed unreachable");
            },
          },
        });
        await queue.enqueue("ok", "a");
        await queue.enqueue("broken", "b", { maxAttempts: 2 });
        await queue.enqueue("someone-else's", "c");
        assert.equal(await worker.runOnce(), "done");
        assert.equal(await worker.runOnce(), "retry");
        assert.equal(await worker.runOnce(), null);
        time.advance(1_000);
        assert.equal(await worker.drain(), 1);
        assert.deepEqual(seen, ["a"]);
        assert.deepEqual(await queue.counts(), { queued: 1, running: 0, done: 1, dead: 1 });
      }));

    test("a worker whose lease was taken over mid-job is told (signal) and records nothing", () =>
      withDatabase(backend, async (db) => {
        const { queue, time } = await queueOn(db);
        const { id } = await queue.enqueue("scan", {});
        let takeover: Job | null = null;
        const worker = new Worker(queue, {
          id: "stalled",
          heartbeatMs: 1,
          handlers: {
            scan: async (_job, { signal }) => {
              // The worker stalls past its lease; another claims the job.
              time.advance(LEASE);
              takeover = await queue.claim("w2", ["scan"]);
              await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
            },
          },
        });
        assert.equal(await worker.runOnce(), "lost");
        const job = await queue.get(id);
        assert.deepEqual([job?.state, job?.lockedBy, job?.attempts], ["running", "w2", 2]);
        await queue.complete(claimed(takeover));
      }));

    test("a started worker runs jobs as they arrive and stops cleanly", () =>
      withDatabase(backend, async (db) => {
        const { queue } = await queueOn(db);
        const seen: unknown[] = [];
        let finish = () => {};
        const allDone = new Promise<void>((resolve) => {
          finish = resolve;
        });
        const worker = new Worker(queue, {
          id: "w",
          pollMs: 5,
          handlers: {
            poll: async (job) => {
              seen.push(job.payload);
              if (seen.length === 3) finish();
            },
          },
        });
        worker.start();
        for (const n of [1, 2, 3]) await queue.enqueue("poll", n);
        await allDone;
        await worker.stop();
        assert.deepEqual(seen, [1, 2, 3]);
        assert.deepEqual(await queue.counts(), { queued: 0, running: 0, done: 3, dead: 0 });
      }));
  });
}

test("a payload that is not JSON is refused", () =>
  withDatabase(BACKENDS[0] ?? assert.fail(), async (db) => {
    const { queue } = await queueOn(db);
    await assert.rejects(queue.enqueue("poll", undefined), { code: "QUEUE_BAD_JOB" });
    await assert.rejects(queue.enqueue("", {}), { code: "QUEUE_BAD_JOB" });
    await assert.rejects(queue.enqueue("poll", {}, { maxAttempts: 0 }), { code: "QUEUE_BAD_JOB" });
  }));
