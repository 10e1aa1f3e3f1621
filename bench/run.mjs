// `npm run bench [-- --quick]`: whole-process client runs against repositories generated
// with @bulwark/tuf and served on 127.0.0.1, medians of interleaved runs, and the goals
// from the issues marked met or not. Results go to bench/results/<date>-<host>.md.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PrivateKeySigner, Repository, TargetFile, Updater, writeRepositoryFiles } from "@bulwark/tuf";
import { benchPublish } from "./publish.mjs";
import { serveDirectory } from "./static-server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes("--quick");
const runs = quick ? 2 : 7;
const work = path.join(here, "work");
const sizes = quick ? { flat: 1_000, bins: 1_000, big: 1 << 20 } : { flat: 100_000, bins: 100_000, big: 10 << 20 };

function signers() {
  const s = () => [PrivateKeySigner.generate()];
  return { root: s(), timestamp: s(), snapshot: s(), targets: s() };
}

function fakeTarget(i) {
  const p = `packages/pkg-${i}/release-${i}.tar.gz`;
  return new TargetFile(p, 1000 + i, new Map([["sha256", createHash("sha256").update(p).digest("hex")]]));
}

async function generate(name, build, options = {}) {
  const dir = path.join(work, name);
  rmSync(dir, { recursive: true, force: true });
  const repo = await Repository.create({ signers: signers(), ...options });
  const started = performance.now();
  const target = await build(repo);
  await repo.publish();
  const publishMs = performance.now() - started;
  await writeRepositoryFiles(path.join(dir, "public"), repo.files());
  writeFileSync(path.join(dir, "root.json"), repo.publishedBytes("root"));
  return { name, dir, target, publishMs };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function runClient(scenario, url, clientDir, download) {
  const args = [path.join(here, "client.mjs"), clientDir, `${url}/metadata/`, scenario.target];
  if (download) args.push(path.join(clientDir, "targets"), `${url}/targets/`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${scenario.name}: ${stderr || error.message}`));
      resolve({ wallMs: performance.now() - started, ...JSON.parse(stdout) });
    });
  });
}

function freshClient(scenario, keep) {
  const dir = path.join(scenario.dir, "client");
  if (!keep) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(path.join(dir, "targets"), { recursive: true });
    cpSync(path.join(scenario.dir, "root.json"), path.join(dir, "root.json"));
  }
  return dir;
}

async function measure(scenario, mode) {
  const server = await serveDirectory(path.join(scenario.dir, "public"));
  const samples = [];
  try {
    for (let i = -1; i < runs; i++) {
      const dir = freshClient(scenario, mode === "warm" && i >= 0);
      const sample = await runClient(scenario, server.url, dir, mode === "download");
      if (i >= 0) samples.push(sample);
    }
  } finally {
    await server.close();
  }
  return {
    wallMs: median(samples.map((s) => s.wallMs)),
    min: Math.min(...samples.map((s) => s.wallMs)),
    max: Math.max(...samples.map((s) => s.wallMs)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    rssMb: median(samples.map((s) => s.maxRssKb)) / 1024,
  };
}

async function verifyBigTarget(scenario) {
  // In process: checking an already-downloaded target against its signed length and hashes.
  const dir = path.join(scenario.dir, "client");
  const updater = new Updater({
    metadataDir: dir,
    metadataBaseUrl: "http://127.0.0.1:1/unused/",
    targetDir: path.join(dir, "targets"),
  });
  const server = await serveDirectory(path.join(scenario.dir, "public"));
  const online = new Updater({ metadataDir: dir, metadataBaseUrl: `${server.url}/metadata/` });
  const info = await online.getTargetInfo(scenario.target);
  await server.close();
  const times = [];
  for (let i = 0; i < (quick ? 3 : 21); i++) {
    const t = performance.now();
    if ((await updater.findCachedTarget(info)) === undefined) throw new Error("cached target did not verify");
    times.push(performance.now() - t);
  }
  return { ms: median(times), mbps: info.length / 1e6 / (median(times) / 1000) };
}

function sha256Limit() {
  const buf = randomBytes(64 << 20);
  const t = performance.now();
  createHash("sha256").update(buf).digest();
  return buf.length / 1e6 / ((performance.now() - t) / 1000);
}

const fmt = (ms) => `${ms.toFixed(0)} ms`;
mkdirSync(work, { recursive: true });
console.log(`generating repositories${quick ? " (quick sizes)" : ""}…`);
const flat = await generate(`flat-${sizes.flat}`, async (repo) => {
  for (let i = 0; i < sizes.flat; i++) repo.addTarget(fakeTarget(i));
  return fakeTarget(Math.floor(sizes.flat * 0.77)).path;
});
// The same repository written as python-tuf writes it (indented JSON): clients re-encode.
const flatIndented = await generate(
  `flat-${sizes.flat}-indented`,
  async (repo) => {
    for (let i = 0; i < sizes.flat; i++) repo.addTarget(fakeTarget(i));
    return fakeTarget(Math.floor(sizes.flat * 0.77)).path;
  },
  { layout: 1 },
);
const bins = await generate(`bins-${sizes.bins}`, async (repo) => {
  repo.addHashedBins({ bitLength: 8, signers: [PrivateKeySigner.generate()] });
  for (let i = 0; i < sizes.bins; i++) repo.addTarget(fakeTarget(i));
  return fakeTarget(Math.floor(sizes.bins * 0.77)).path;
});
const big = await generate("big-target", async (repo) => {
  repo.addTarget({ path: "app/big.bin", data: randomBytes(sizes.big) });
  return "app/big.bin";
});

const rows = [];
const goal = (label, value, limit, unit = "ms") => ({ label, value, limit, unit, met: value <= limit });
for (const [scenario, mode, goalMs] of [
  [flat, "cold", 450],
  [flat, "warm", undefined],
  [flatIndented, "cold", undefined],
  [bins, "cold", 120],
  [bins, "warm", undefined],
  [big, "download", undefined],
]) {
  const r = await measure(scenario, mode);
  rows.push({
    scenario: scenario.name,
    mode,
    ...r,
    goal: quick || goalMs === undefined ? undefined : goal("", r.wallMs, goalMs),
  });
  console.log(`${scenario.name} ${mode}: ${fmt(r.wallMs)} (min ${fmt(r.min)}, max ${fmt(r.max)})`);
}
const verify = await verifyBigTarget(big);
console.log("publishing…");
const publish = await benchPublish({ work, n: sizes.flat, runs: quick ? 1 : 5, median });
const sha = sha256Limit();

const lines = [];
lines.push(`# Bulwark benchmark — ${new Date().toISOString().slice(0, 10)}`, "");
lines.push(
  `Machine: ${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${quick ? "quick run (tiny sizes)" : `${runs} runs each after a warm-up, medians`}.`,
  "",
);
lines.push("| scenario | mode | wall (median) | min–max | CPU | peak RSS | goal |", "|---|---|---|---|---|---|---|");
for (const r of rows) {
  const g = r.goal ? `≤ ${r.goal.limit} ms: ${r.goal.met ? "met" : "NOT met"}` : "";
  lines.push(
    `| ${r.scenario} | ${r.mode} | ${fmt(r.wallMs)} | ${fmt(r.min)}–${fmt(r.max)} | ${fmt(r.cpuMs)} | ${r.rssMb.toFixed(0)} MB | ${g} |`,
  );
}
const verifyGoal = quick ? "" : `≤ 15 ms: ${verify.ms <= 15 ? "met" : "NOT met"}`;
lines.push(
  `| ${(sizes.big / 2 ** 20).toFixed(0)} MiB target | verify cached | ${verify.ms.toFixed(1)} ms (${verify.mbps.toFixed(0)} MB/s) | | | | ${verifyGoal} |`,
);
lines.push("", `Machine limit, SHA-256 over 64 MiB in this process: ${sha.toFixed(0)} MB/s.`, "");
lines.push("| publish (whole `bulwark repo publish` process) | median | min–max | goal |", "|---|---|---|---|");
const publishGoal = (ms, limit) => (quick ? "" : `≤ ${limit} ms: ${ms <= limit ? "met" : "NOT met"}`);
lines.push(
  `| sign and write ${sizes.flat} targets (flat) | ${fmt(publish.flatMs)} | ${fmt(publish.flatMinMax[0])}–${fmt(publish.flatMinMax[1])} | ${publishGoal(publish.flatMs, 1000)} |`,
);
lines.push(
  `| add 1 target to a ${sizes.bins}-target hashed-bin repository, publish | ${fmt(publish.addOneMs)} | ${fmt(publish.addOneMinMax[0])}–${fmt(publish.addOneMinMax[1])} | ${publishGoal(publish.addOneMs, 200)} |`,
);
lines.push(
  "",
  `First publish into hashed bins (switch + sign every bin): ${fmt(publish.binsFirstMs)}; \`release add\` of one file: ${fmt(publish.releaseAddMs)}.`,
);
lines.push(
  `In-process writer (Repository API, sign + serialise): flat ${fmt(flat.publishMs)}, bins ${fmt(bins.publishMs)}.`,
);
const report = lines.join("\n");
console.log(`\n${report}`);
if (!quick) {
  const file = path.join(here, "results", `${new Date().toISOString().slice(0, 10)}-${os.hostname().split(".")[0]}.md`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${report}\n`);
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
}
