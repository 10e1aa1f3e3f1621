// The release log's benchmarks (issue 7): release entries appended to a folder log in
// batches of 1,000 and of 100 (entries per second, every batch made durable and signed),
// and verifying inclusion proofs, per entry: the RFC 6962 hashes alone, and a whole
// release proof as a client checks it (checkpoint signature, inclusion, entry).
//   node bench/log.mjs [--quick]     (also run by bench/run.mjs)
import { createHash } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  FolderStore,
  formatReleaseEntry,
  generateKey,
  hashLeaf,
  LogWriter,
  marshalTlogProof,
  parseCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  TiledTree,
  verifyInclusion,
  verifyReleaseProof,
} from "@bulwark/tlog";
import { median } from "./stats.mjs";

/** The goal from issue 7, read off the batches of 1,000. */
export const LOG_GOAL = { label: "append release entries to the folder log, batches of 1,000", limit: 10_000 };

const SIZES = {
  full: { batch1000: 100_000, batch100: 20_000, proofs: 2_000, runs: 3 },
  quick: { batch1000: 10_000, batch100: 2_000, proofs: 500, runs: 1 },
};

const ORIGIN = "bench.example/log";
const sha = (s) => createHash("sha256").update(s).digest("hex");

function entries(n, tag) {
  const targets = { role: "targets", version: 1, sha256: sha("targets") };
  return Array.from({ length: n }, (_, i) =>
    formatReleaseEntry({
      name: `app-${i % 97}`,
      version: `${tag}.${i}`,
      path: `app-${i % 97}/app-${tag}.${i}.tar.gz`,
      sha256: sha(`${tag} ${i}`),
      length: 1_000_000 + i,
      targets,
    }),
  );
}

function keys() {
  const { skey, vkey } = generateKey(ORIGIN);
  return { origin: ORIGIN, signer: parseSignerKey(skey), verifier: parseVerifierKey(vkey) };
}

/** Entries per second appending `all` in batches of `batch` to a new folder log under `dir`. */
async function appendRate(dir, all, batch, options) {
  rmSync(dir, { recursive: true, force: true });
  const writer = await LogWriter.create(new FolderStore(dir), options);
  const started = performance.now();
  for (let i = 0; i < all.length; i += batch) await writer.append(all.slice(i, i + batch));
  const seconds = (performance.now() - started) / 1000;
  return { rate: all.length / seconds, writer };
}

/** Microseconds per verification of `count` proofs from the log. */
async function proofTimes(writer, count, options) {
  const checkpoint = parseCheckpoint(writer.checkpoint.slice(0, writer.checkpoint.lastIndexOf("\n\n") + 1));
  const tree = new TiledTree(writer.store, checkpoint.size);
  await tree.verifyRoot(checkpoint.rootHash);
  const step = checkpoint.size / BigInt(count);
  const samples = [];
  for (let k = 0n; k < BigInt(count); k++) {
    const index = k * step;
    const [entry] = await tree.entries(index, 1);
    const hashes = await tree.inclusionProof(index);
    samples.push({
      index,
      entry,
      hashes,
      proof: marshalTlogProof({ index, hashes, checkpoint: writer.checkpoint, extra: entry }),
    });
  }
  const verify = { origin: ORIGIN, logVerifier: options.verifier };
  // One untimed pass first: steady state, not the JIT warming up.
  for (const s of samples) verifyReleaseProof(s.proof, verify);
  let started = performance.now();
  for (const s of samples) verifyInclusion(s.index, checkpoint.size, hashLeaf(s.entry), s.hashes, checkpoint.rootHash);
  const inclusionUs = ((performance.now() - started) * 1000) / samples.length;
  started = performance.now();
  for (const s of samples) verifyReleaseProof(s.proof, verify);
  const releaseProofUs = ((performance.now() - started) * 1000) / samples.length;
  return { inclusionUs, releaseProofUs, treeSize: checkpoint.size };
}

/** Runs the log benchmarks under `work`. */
export async function benchLog({ work, quick }) {
  const size = quick ? SIZES.quick : SIZES.full;
  const dir = path.join(work, "log");
  mkdirSync(dir, { recursive: true });
  const options = keys();
  const big = entries(size.batch1000, "1");
  const small = entries(size.batch100, "2");
  const rates1000 = [];
  const rates100 = [];
  let writer;
  for (let run = 0; run < size.runs; run++) {
    ({ rate: rates1000[run], writer } = await appendRate(path.join(dir, "batch-1000"), big, 1000, options));
    rates100.push((await appendRate(path.join(dir, "batch-100"), small, 100, options)).rate);
  }
  const proofs = await proofTimes(writer, size.proofs, options);
  return {
    batch1000: {
      entries: size.batch1000,
      rate: median(rates1000),
      min: Math.min(...rates1000),
      max: Math.max(...rates1000),
    },
    batch100: {
      entries: size.batch100,
      rate: median(rates100),
      min: Math.min(...rates100),
      max: Math.max(...rates100),
    },
    proofs: { count: size.proofs, ...proofs },
    runs: size.runs,
  };
}

const perSecond = (x) => `${Math.round(x).toLocaleString("en")} entries/s`;

/** The goal, measured: for the goals table. */
export function logGoal(result) {
  const met = result.batch1000.rate >= LOG_GOAL.limit;
  return {
    ...LOG_GOAL,
    bound: `≥ ${LOG_GOAL.limit.toLocaleString("en")} entries/s`,
    value: result.batch1000.rate,
    met,
    text: perSecond(result.batch1000.rate),
  };
}

/** The results as a Markdown section. */
export function renderLogBench(result) {
  const goal = logGoal(result);
  const n = (x) => x.toLocaleString("en");
  const range = (r) => (result.runs > 1 ? ` (min–max ${n(Math.round(r.min))}–${n(Math.round(r.max))})` : "");
  return [
    "## Release log (folder, tlog-tiles)",
    "",
    `| log | measured | goal |`,
    "|---|---|---|",
    `| append ${n(result.batch1000.entries)} release entries, batches of 1,000 | ${perSecond(result.batch1000.rate)}${range(result.batch1000)} | ${goal.bound}: ${goal.met ? "met" : "**NOT met**"} |`,
    `| append ${n(result.batch100.entries)} release entries, batches of 100 | ${perSecond(result.batch100.rate)}${range(result.batch100)} | |`,
    `| verify an inclusion proof (RFC 6962 hashes), tree of ${n(Number(result.proofs.treeSize))} | ${result.proofs.inclusionUs.toFixed(1)} µs per entry | |`,
    `| verify a release proof (checkpoint signature, inclusion, entry) | ${result.proofs.releaseProofUs.toFixed(1)} µs per entry | |`,
    "",
    `Each batch is one signed checkpoint, its tiles and bundles fsynced before the checkpoint is written; medians of ${result.runs} run(s); proofs: ${n(result.proofs.count)} entries spread over the log.`,
    "",
  ].join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const result = await benchLog({ work: path.join(here, "work"), quick: process.argv.includes("--quick") });
  console.log(renderLogBench(result));
}
