// The gateway's storage (issue 16): jobs enqueued in one transaction, then drained by two
// worker processes sharing the queue, on SQLite and on PostgreSQL (127.0.0.1:5432, skipped
// with a note when it does not answer); and releases streamed into the content-addressed
// blob store (hashed, fsynced, renamed).
//   node bench/gateway-storage.mjs [--quick]     (also run by bench/run.mjs)
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DiskBlobStore, JobQueue, openDatabase } from "@bulwark/gateway";
import pg from "pg";

const here = path.dirname(fileURLToPath(import.meta.url));
const ADMIN_URL = process.env.BULWARK_BENCH_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/postgres";
const SIZES = {
  full: { jobs: 5_000, blobs: 200, blobBytes: 1 << 20 },
  quick: { jobs: 500, blobs: 20, blobBytes: 1 << 18 },
};

function answers(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 5432) });
    const settle = (up) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(2_000, () => settle(false));
    socket.once("connect", () => settle(true));
    socket.once("error", () => resolve(false));
  });
}

async function admin(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function startWorker(location, id) {
  const child = spawn(process.execPath, [path.join(here, "gateway-worker.mjs"), location, id], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return { child, lines };
}

async function expectLine(worker, pattern) {
  const { value, done } = await worker.lines.next();
  const match = done ? null : pattern.exec(value);
  if (!match) throw new Error(`gateway worker: expected ${pattern}, got ${done ? "its exit" : value}`);
  return match;
}

/** Enqueue `jobs` jobs, then time two worker processes draining them. */
async function queueRun(location, jobs) {
  const db = await openDatabase(location);
  try {
    const workers = [startWorker(location, "bench-1"), startWorker(location, "bench-2")];
    for (const w of workers) await expectLine(w, /^ready$/);
    const queue = new JobQueue(db);
    let started = performance.now();
    await db.transaction(async (tx) => {
      for (let i = 0; i < jobs; i++) await queue.enqueue("work", { release: i }, { tx });
    });
    const enqueueS = (performance.now() - started) / 1000;
    started = performance.now();
    for (const w of workers) w.child.stdin.end("go\n");
    const split = [];
    for (const w of workers) split.push(Number((await expectLine(w, /^done (\d+)$/))[1]));
    const drainS = (performance.now() - started) / 1000;
    const counts = await queue.counts();
    if (counts.done !== jobs || split[0] + split[1] !== jobs) {
      throw new Error(`gateway queue: ${JSON.stringify(counts)}, split ${split.join("/")}, expected ${jobs} done once`);
    }
    return { jobs, enqueueRate: jobs / enqueueS, drainRate: jobs / drainS, split };
  } finally {
    await db.close();
  }
}

async function blobRun(dir, count, bytes) {
  rmSync(dir, { recursive: true, force: true });
  const store = new DiskBlobStore(dir);
  const payloads = Array.from({ length: count }, () => randomBytes(bytes));
  const started = performance.now();
  for (const payload of payloads) await store.put([payload]);
  const seconds = (performance.now() - started) / 1000;
  rmSync(dir, { recursive: true, force: true });
  return { count, bytes, perSecond: count / seconds, mbPerSecond: (count * bytes) / 2 ** 20 / seconds };
}

/** Runs the gateway storage benchmarks under `work`. */
export async function benchGatewayStorage({ work, quick }) {
  const size = quick ? SIZES.quick : SIZES.full;
  const dir = path.join(work, "gateway");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result = { notes: [], queues: [] };
  result.queues.push({ backend: "SQLite (WAL)", ...(await queueRun(path.join(dir, "gateway.sqlite"), size.jobs)) });
  if (await answers(ADMIN_URL)) {
    const name = `bulwark_bench_${process.pid}`;
    await admin(`CREATE DATABASE ${name}`);
    try {
      const url = new URL(ADMIN_URL);
      url.pathname = `/${name}`;
      result.queues.push({ backend: "PostgreSQL", ...(await queueRun(url.toString(), size.jobs)) });
    } finally {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } else {
    result.notes.push(`PostgreSQL not answering at ${new URL(ADMIN_URL).host}: its queue run skipped.`);
  }
  result.blobs = await blobRun(path.join(dir, "blobs"), size.blobs, size.blobBytes);
  return result;
}

/** The results as a Markdown section. */
export function renderGatewayStorageBench(result) {
  const n = (x) => Math.round(x).toLocaleString("en");
  const b = result.blobs;
  return [
    "## Gateway storage",
    "",
    "| job queue | jobs | enqueue (one transaction) | drained by two worker processes | split |",
    "|---|---|---|---|---|",
    ...result.queues.map(
      (q) =>
        `| ${q.backend} | ${n(q.jobs)} | ${n(q.enqueueRate)} jobs/s | ${n(q.drainRate)} jobs/s | ${q.split.join(" / ")} |`,
    ),
    "",
    `Blob store (disk): ${n(b.count)} blobs of ${n(b.bytes / 1024)} KiB streamed in, hashed, fsynced and renamed: ${n(b.perSecond)} blobs/s, ${b.mbPerSecond.toFixed(1)} MiB/s.`,
    ...result.notes.map((note) => `\nNOTE: ${note}`),
    "",
  ].join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchGatewayStorage({ work: path.join(here, "work"), quick: process.argv.includes("--quick") });
  console.log(renderGatewayStorageBench(result));
}
