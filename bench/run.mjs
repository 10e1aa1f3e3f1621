// `npm run bench [-- --quick] [-- --runs N] [-- --bound S]`: Bulwark's client and tuf-js 5.0.1,
// each as whole processes, against repositories generated with @bulwark/tuf and served on
// 127.0.0.1; this machine's limits measured in the same run; `bulwark repo publish` timed;
// the release log and opening an encrypted key file measured; the gateway's job queue (two
// worker processes, SQLite and PostgreSQL) and blob store; `bulwark scan` of a 200 MiB
// release against its previous version timed, with its peak memory (bench/scan.mjs).
// Prints a Markdown report with each goal from the issues marked met or not, and (not with
// --quick) writes it to bench/results/<date>-<host>.md. Timings never fail the run; a client
// that fails (not one that is slow) makes it exit 1.
import { mkdirSync, readFileSync, statfsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchGatewayStorage, renderGatewayStorageBench } from "./gateway-storage.mjs";
import { bigTargetRepository, binsRepository, flatRepository, sizeName } from "./generate.mjs";
import { benchKeyFile, renderKeyFileBench } from "./key-file.mjs";
import { measureLimits } from "./limits.mjs";
import { benchLog, renderLogBench } from "./log.mjs";
import { describeMachine } from "./machine.mjs";
import { measureScenario } from "./measure.mjs";
import { benchPublish } from "./publish.mjs";
import { renderReport } from "./report.mjs";
import { benchScan, renderScanBench } from "./scan.mjs";
import { benchServe, renderServeBench } from "./serve.mjs";
import { BIG_TARGET_FREE_BYTES, readSettings } from "./settings.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const work = path.join(here, "work");
const settings = readSettings(process.argv.slice(2));
const machine = describeMachine();
const started = performance.now();
const notes = [];
const log = (line) => console.log(line);

function freeBytes(dir) {
  const { bavail, bsize } = statfsSync(dir);
  return bavail * bsize;
}

/** The big-target sizes this disk has room for; a skipped size gets a visible note. */
function bigTargetSizes() {
  const free = freeBytes(work);
  return settings.bigTargets.filter((size) => {
    if (size < 2 ** 30 || free >= BIG_TARGET_FREE_BYTES) return true;
    const note = `${sizeName(size)} scenario skipped: ${(free / 2 ** 30).toFixed(1)} GiB free under ${work}, it needs ${BIG_TARGET_FREE_BYTES / 2 ** 30} GiB.`;
    notes.push(note);
    log(`NOTE: ${note}`);
    return false;
  });
}

mkdirSync(work, { recursive: true });
log(`generating repositories${settings.quick ? " (quick sizes)" : ""}…`);
const flats = [];
for (const n of settings.flat) flats.push(await flatRepository(work, n));
const largest = flats.at(-1);
// The largest, written as python-tuf writes (indented JSON): clients must re-encode to verify.
const indented = await flatRepository(work, settings.flat.at(-1), 1);
const bins = await binsRepository(work, settings.bins);
const bigs = [];
for (const size of bigTargetSizes()) bigs.push(await bigTargetRepository(work, size));

log("measuring this machine's limits…");
const limits = await measureLimits({ work, settings, metadata: readFileSync(largest.targetsFile) });
const limitsInput = `${largest.name} targets metadata (${(readFileSync(largest.targetsFile).length / 1e6).toFixed(2)} MB)`;

const scenarios = [
  ...flats.flatMap((repo) => [
    { repo, mode: "cold" },
    { repo, mode: "warm" },
  ]),
  { repo: indented, mode: "cold" },
  { repo: indented, mode: "warm" },
  { repo: bins, mode: "cold" },
  { repo: bins, mode: "warm" },
  ...bigs.flatMap((repo) => [
    { repo, mode: "download" },
    { repo, mode: "verify" },
  ]),
];
const rows = [];
for (const scenario of scenarios) {
  const row = await measureScenario(scenario, settings);
  rows.push(row);
  const cells = row.peers.map((r) => {
    if (r.over) return `${r.peer.name} over ${settings.boundMs / 1000} s`;
    if (r.error) return `${r.peer.name} failed: ${r.error}`;
    return `${r.peer.name} ${r.wall.median.toFixed(0)} ms`;
  });
  log(`${scenario.repo.name} ${scenario.mode}: ${cells.join(" · ")}`);
}

log("publishing…");
const publish = await benchPublish({ work, n: settings.publishTargets, runs: settings.quick ? 1 : settings.runs });

log("release log…");
const logBench = await benchLog({ work, quick: settings.quick });

log("key files…");
const keyFileBench = await benchKeyFile({ quick: settings.quick });

log("scanning a release against its previous version…");
const scanBench = await benchScan({ work, quick: settings.quick, runs: settings.runs });

log("serving polls: bulwark serve and nginx…");
const serveBench = await benchServe({ work, root: bins.publicDir, quick: settings.quick });

log("gateway storage…");
const gatewayStorage = await benchGatewayStorage({ work, quick: settings.quick });

const writers = [...flats, indented, bins];
const report = renderReport({ machine, settings, limits, limitsInput, rows, publish, writers, notes });
const markdown = `${report.markdown}\n${renderLogBench(logBench)}\n${renderKeyFileBench(keyFileBench)}\n${renderServeBench(serveBench)}\n${renderGatewayStorageBench(gatewayStorage)}\n${renderScanBench(scanBench)}`;
log(`\n${markdown}`);
if (!settings.quick) {
  const file = path.join(here, "results", `${machine.date.slice(0, 10)}-${machine.host}.md`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, markdown);
  log(`written to ${path.relative(process.cwd(), file)}`);
}
log(`benchmark took ${((performance.now() - started) / 1000).toFixed(0)} s`);
// A client that failed is a broken client or harness, not a slow one: the one way this
// run fails. Going over the time bound never does.
const failed = rows.flatMap((row) =>
  row.peers.filter((r) => r.error).map((r) => `${row.repo.name} ${row.mode}: ${r.peer.name}`),
);
if (failed.length > 0) {
  console.error(`client runs failed: ${failed.join("; ")}`);
  process.exitCode = 1;
}
