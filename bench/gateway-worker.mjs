// A gateway worker process for bench/gateway-storage.mjs: `node gateway-worker.mjs LOCATION ID`.
// Opens the database, prints `ready`, waits for `go` on stdin, runs `work` jobs until none is
// due, and prints how many it completed.
import { createInterface } from "node:readline";
import { JobQueue, openDatabase, Worker } from "@bulwark/gateway";

const [location, id] = process.argv.slice(2);
const db = await openDatabase(location);
const worker = new Worker(new JobQueue(db), { id, handlers: { work: async () => {} } });
const lines = createInterface({ input: process.stdin });
console.log("ready");
for await (const line of lines) if (line === "go") break;
lines.close();
let done = 0;
for (;;) {
  const outcome = await worker.runOnce();
  if (outcome === null) break;
  if (outcome === "done") done++;
}
await db.close();
console.log(`done ${done}`);
