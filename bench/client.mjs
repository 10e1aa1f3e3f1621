// One whole-process client run for the benchmark (see client-job.mjs): the client library
// named in the job (`@bulwark/tuf` or `tuf-js`), so both peers run the same script, with
// the same size limits (a flat 100,000-target role is ~14.6 MB).
import { readJob, runJob } from "./client-job.mjs";

const startedMs = performance.now();
const job = readJob();
const { Updater } = await import(job.library ?? "@bulwark/tuf");
const importedMs = performance.now();
const make = () =>
  new Updater({
    metadataDir: job.metadataDir,
    metadataBaseUrl: job.metadataUrl,
    targetDir: job.targetDir,
    targetBaseUrl: job.targetUrl,
    config: { targetsMaxLength: 64 * 2 ** 20, snapshotMaxLength: 64 * 2 ** 20 },
  });
await runJob(job, make, startedMs, importedMs);
