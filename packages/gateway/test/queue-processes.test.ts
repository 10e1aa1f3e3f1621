/**
 * The queue shared by real gateway processes: two workers in two child processes drain 1,000
 * jobs, each done exactly once; a worker process killed in the middle of a job has that job
 * retried by another after the lease.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { DEFAULT_LEASE_MS, JobQueue, migrate } from "../src/index.js";
import { BACKENDS, withDatabase } from "./db-backends.js";

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "queue-worker.js");
const JOBS = 1_000;

interface WorkerProcess {
  readonly child: ChildProcess;
  readonly lines: AsyncIterator<string>;
  readonly exited: Promise<number | null>;
}

function startWorker(location: string, id: string, mode: "drain" | "hang"): WorkerProcess {
  const child = spawn(process.execPath, [WORKER, location, id, mode], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout ?? assert.fail() })[Symbol.asyncIterator]();
  return { child, lines, exited };
}

async function nextLine(worker: WorkerProcess): Promise<string> {
  const { value, done } = await worker.lines.next();
  assert.equal(done, false, "the worker process exited early");
  return value;
}

/** Every `done ID` line a worker prints until it exits. */
async function completions(worker: WorkerProcess): Promise<number[]> {
  const ids: number[] = [];
  for (;;) {
    const { value, done } = await worker.lines.next();
    if (done) break;
    const match = /^done (\d+)$/.exec(value);
    assert.ok(match, `unexpected line from a worker: ${value}`);
    ids.push(Number(match[1]));
  }
  assert.equal(await worker.exited, 0);
  return ids;
}

for (const backend of BACKENDS) {
  describe(`job queue shared by worker processes on ${backend.name}`, { skip: backend.skip }, () => {
    test(`two worker processes drain ${JOBS} jobs, each done exactly once`, (t) =>
      withDatabase(backend, async (db, where) => {
        await migrate(db);
        const workers = [
          startWorker(where.location, "gateway-1", "drain"),
          startWorker(where.location, "gateway-2", "drain"),
        ];
        for (const worker of workers) assert.equal(await nextLine(worker), "ready");
        const queue = new JobQueue(db);
        const ids = await db.transaction(async (tx) => {
          const made: number[] = [];
          for (let i = 0; i < JOBS; i++) made.push((await queue.enqueue("work", { release: i }, { tx })).id);
          return made;
        });
        for (const worker of workers) worker.child.stdin?.end("go\n");
        const [first, second] = await Promise.all(workers.map(completions));
        assert.ok(first && second);
        // On PostgreSQL both take part (SKIP LOCKED: neither waits for the other). SQLite's
        // lock is not fair: a process waiting for it sleeps and retries while the holder takes
        // it again, so one process may do most or all of the work; the split is reported.
        if (backend.name === "postgres") {
          assert.ok(first.length > 0 && second.length > 0, `split ${first.length}/${second.length}`);
        }
        // No job was completed twice, and together they did every job.
        const all = [...first, ...second].sort((a, b) => a - b);
        assert.equal(new Set(all).size, all.length, "a job was completed twice");
        assert.deepEqual(
          all,
          ids.sort((a, b) => a - b),
        );
        assert.deepEqual(await queue.counts(), { queued: 0, running: 0, done: JOBS, dead: 0 });
        const [retried] = await db.query("SELECT COUNT(*) AS n FROM jobs WHERE attempts <> 1");
        assert.equal(Number(retried?.n), 0, "every job was claimed once");
        t.diagnostic(`${backend.name}: gateway-1 did ${first.length} jobs, gateway-2 did ${second.length}`);
      }));

    test("a job whose worker process was killed mid-job is retried by another after the lease", () =>
      withDatabase(backend, async (db, where) => {
        await migrate(db);
        const queue = new JobQueue(db);
        const { id } = await queue.enqueue("work", { release: "1.2.3" });
        const crashing = startWorker(where.location, "gateway-crashing", "hang");
        assert.equal(await nextLine(crashing), "ready");
        crashing.child.stdin?.end("go\n");
        assert.equal(await nextLine(crashing), `claimed ${id}`);
        crashing.child.kill("SIGKILL");
        await crashing.exited;
        assert.equal(await queue.claim("gateway-2", ["work"]), null, "its lease still holds");
        // The survivor's clock is past the lease: it takes the job over.
        const later = new JobQueue(db, { now: () => Date.now() + DEFAULT_LEASE_MS });
        const job = await later.claim("gateway-2", ["work"]);
        assert.deepEqual([job?.id, job?.attempts, job?.payload], [id, 2, { release: "1.2.3" }]);
        await later.complete(job ?? assert.fail());
        assert.equal((await queue.get(id))?.state, "done");
      }));
  });
}
