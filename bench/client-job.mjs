// The work of one whole-process client run (client.mjs runs it with Bulwark or with
// tuf-js), so both peers do exactly the same steps:
//   refresh → look the target up → [find it cached or download it] → [verify the cached file k times]
// The job comes as one JSON argument; the result is one JSON line on stdout with the
// process's own CPU time, peak memory (maxRSS) and the time of each phase.
//
// Job fields: metadataDir, metadataUrl, targetDir, targetUrl, targetPath,
//             download (boolean), verifyCached (how many times, 0 for none).

/** The job given on the command line. */
export function readJob() {
  return JSON.parse(process.argv[2] ?? "{}");
}

/**
 * Runs `job` with the updater `makeUpdater()` returns (made inside the timed refresh: tuf-js
 * reads its root in the constructor). `startedMs` and `importedMs` are performance.now()
 * readings taken before and after the client library was imported.
 */
export async function runJob(job, makeUpdater, startedMs, importedMs) {
  try {
    await run(job, makeUpdater, startedMs, importedMs);
  } catch (error) {
    // One line the benchmark can put in its table: the error's class, code and message.
    const code = error.code === undefined ? "" : ` [${error.code}]`;
    process.stdout.write(`${JSON.stringify({ error: `${error.name}${code}: ${error.message}` })}\n`);
    process.exitCode = 1;
  }
}

async function run(job, makeUpdater, startedMs, importedMs) {
  const phases = { boot: startedMs, import: importedMs - startedMs };
  let t = performance.now();
  const lap = (name) => {
    const now = performance.now();
    phases[name] = now - t;
    t = now;
  };
  const updater = makeUpdater();
  await updater.refresh();
  lap("refresh");
  const info = await updater.getTargetInfo(job.targetPath);
  if (info === undefined) throw new Error(`${job.targetPath} not found`);
  lap("lookup");
  if (job.download) {
    // As an application does it: reuse a verified cached file, else download.
    if ((await updater.findCachedTarget(info)) === undefined) await updater.downloadTarget(info);
    lap("download");
  }
  if (job.verifyCached > 0) {
    phases.verify = [];
    for (let i = 0; i < job.verifyCached; i++) {
      if ((await updater.findCachedTarget(info)) === undefined) throw new Error("the cached target did not verify");
      phases.verify.push(performance.now() - t);
      t = performance.now();
    }
  }
  const usage = process.resourceUsage();
  const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
  process.stdout.write(`${JSON.stringify({ cpuMs, maxRssKb: usage.maxRSS, phases })}\n`);
}
