// One whole-process tuf-js 5.0.1 client run for the benchmark: the same job and the same
// JSON line as client.mjs, with the same size limits (see client-job.mjs).
import { readJob, runJob } from "./client-job.mjs";

const startedMs = performance.now();
const { Updater } = await import("tuf-js");
const importedMs = performance.now();
const job = readJob();
const make = () =>
  new Updater({
    metadataDir: job.metadataDir,
    metadataBaseUrl: job.metadataUrl,
    targetDir: job.targetDir,
    targetBaseUrl: job.targetUrl,
    config: { targetsMaxLength: 64 * 2 ** 20, snapshotMaxLength: 64 * 2 ** 20 },
  });
await runJob(job, make, startedMs, importedMs);
