// One whole-process Bulwark client run for the benchmark (see client-job.mjs).
import { readJob, runJob } from "./client-job.mjs";

const startedMs = performance.now();
const { Updater } = await import("@bulwark/tuf");
const importedMs = performance.now();
const job = readJob();
const make = () =>
  new Updater({
    metadataDir: job.metadataDir,
    metadataBaseUrl: job.metadataUrl,
    targetDir: job.targetDir,
    targetBaseUrl: job.targetUrl,
    // A flat 100,000-target role is ~14.6 MB; the snapshot lists lengths anyway.
    config: { targetsMaxLength: 64 * 2 ** 20, snapshotMaxLength: 64 * 2 ** 20 },
  });
await runJob(job, make, startedMs, importedMs);
