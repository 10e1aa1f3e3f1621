// `bulwark scan` benchmark (issue 15): a generated 200 MiB release (an Electron-shaped app:
// a 64 MiB native library, an app.asar, npm modules) scanned against its previous version,
// each scan in its own process, timed, with its peak RSS set against the largest file. Run
// alone with `node bench/scan.mjs [--quick]`, or as part of `npm run bench`.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import zlib from "node:zlib";

const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

/** The goal from issue 15: release + previous scanned within this many seconds. */
export const SCAN_GOAL_MS = 10_000;

/** Deterministic bytes: a SHA-256 counter stream (high entropy, same every run). */
function noise(n, seed) {
  const out = Buffer.alloc(n);
  for (let i = 0, block = 0; i < n; block++) {
    const h = createHash("sha256").update(`${seed}:${block}`).digest();
    i += h.copy(out, i);
  }
  return out;
}

/** JavaScript-like text of about `n` bytes, with identifiers, member accesses and a few URLs. */
function script(n, seed) {
  const lines = [];
  let size = 0;
  for (let i = 0; size < n; i++) {
    const line = `export function f${seed}_${i}(e, t) { const r = e.exports[t] ?? this.cache.get("k${i}"); if (!r) return fetch("https://api.vendor-${seed % 7}.com/v1/items/${seed}?page=" + ${i}); return r.value * ${i} + Math.max(t.length, ${seed}); }\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(""));
}

function tarHeader(name, size) {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, "utf8");
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
  h.write("14540000000\0", 136);
  h.write("        ", 148);
  h.write("0", 156);
  h.write("ustar\0", 257);
  h.write("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return h;
}

function asar(files) {
  const toc = { files: {} };
  let offset = 0;
  for (const [name, bytes] of files) {
    toc.files[name] = { size: bytes.length, offset: String(offset) };
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(toc));
  const padded = Math.ceil(json.length / 4) * 4;
  const header = Buffer.alloc(16 + padded);
  header.writeUInt32LE(4, 0);
  header.writeUInt32LE(padded + 8, 4);
  header.writeUInt32LE(padded + 4, 8);
  header.writeUInt32LE(json.length, 12);
  json.copy(header, 16);
  return Buffer.concat([header, ...files.map(([, b]) => b)]);
}

/**
 * The files of release `version` (1 or 2): about `total` bytes; version 2 changes some.
 * `modules` npm modules (150 by default) hold about half of `total`; more modules make a
 * bigger release with the same largest file.
 */
function releaseFiles(total, version, modules = 150) {
  const files = [];
  const big = Math.round(total * 0.32);
  const lib = noise(big, "libbig");
  if (version === 2) noise(4096, "patch").copy(lib, 1024 * 1024); // a rebuilt library
  files.push(["app/lib/libbig.so.1.2.3", lib]);
  const asarFiles = [];
  for (let i = 0; i < 400; i++)
    asarFiles.push([
      `m${i}.js`,
      script(Math.round((total * 0.2) / 400), i + (version === 2 && i % 50 === 0 ? 1000 : 0)),
    ]);
  files.push(["app/resources/app.asar", asar(asarFiles)]);
  const perFile = Math.round((total * 0.48) / (150 * 10));
  for (let m = 0; m < modules; m++) {
    const v = version === 2 && m % 30 === 0 ? "1.0.1" : "1.0.0";
    files.push([`app/node_modules/mod${m}/package.json`, Buffer.from(`{"name":"mod${m}","version":"${v}"}`)]);
    for (let f = 0; f < 10; f++) {
      files.push([`app/node_modules/mod${m}/lib/f${f}.js`, script(perFile, m * 10 + f + (v === "1.0.1" ? 5000 : 0))]);
    }
  }
  return files;
}

/** Writes release `version` as a tar.gz under `dir` (once; later runs reuse it). */
function writeRelease(dir, total, version, modules = 150) {
  const file = path.join(dir, `app-${version}-${total}-${modules}.tar.gz`);
  if (existsSync(file)) return file;
  const parts = [];
  for (const [name, bytes] of releaseFiles(total, version, modules)) {
    parts.push(tarHeader(name, bytes.length), bytes, Buffer.alloc((512 - (bytes.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  writeFileSync(file, zlib.gzipSync(Buffer.concat(parts), { level: 1 }));
  return file;
}

async function job(...args) {
  const { stdout } = await run(process.execPath, [path.join(here, "scan-job.mjs"), ...args], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout);
}

/** Generates the releases and scans them `runs` times; returns the measurements. */
export async function benchScan({ work, quick = false, runs = 3 }) {
  const total = quick ? 20 * 2 ** 20 : 200 * 2 ** 20;
  const dir = path.join(work, "scan");
  mkdirSync(dir, { recursive: true });
  const previous = writeRelease(dir, total, 1);
  const next = writeRelease(dir, total, 2);
  const largest = Math.round(total * 0.32);
  const baseline = await job("--baseline");
  const results = [];
  for (let i = 0; i < (quick ? 1 : runs); i++) results.push(await job(next, previous));
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  const rss = Math.max(...results.map((r) => r.maxRssMiB));
  return {
    total,
    largest,
    baseline: baseline.maxRssMiB,
    medianMs: ms[Math.floor(ms.length / 2)],
    rss,
    last: results.at(-1),
    // The same largest file in a release with three times the modules: memory should stay put.
    bigger: await job(writeRelease(dir, total, 2, 450), writeRelease(dir, total, 1, 450)),
  };
}

/** The Markdown section of the benchmark report. */
export function renderScanBench(r) {
  const mib = (b) => (b / 2 ** 20).toFixed(0);
  const met = r.medianMs <= SCAN_GOAL_MS ? "met" : "NOT met";
  const overBaseline = r.rss - r.baseline;
  return `## bulwark scan

A ${mib(r.total)} MiB release (tar.gz: a ${mib(r.largest)} MiB native library, a ${mib(r.total * 0.2)} MiB app.asar of 400 scripts, 150 npm modules of 10 scripts, ${mib(r.total * 0.48)} MiB in all) scanned against its previous version (${r.last.files} files each, ${mib(r.last.bytes)} MiB walked in all), each scan in its own process.

| measure | value |
|---|---|
| release + previous, median wall time | ${(r.medianMs / 1000).toFixed(2)} s (goal ≤ ${SCAN_GOAL_MS / 1000} s: ${met}) |
| peak RSS of the scan | ${r.rss.toFixed(0)} MiB |
| RSS of the process before scanning | ${r.baseline.toFixed(0)} MiB |
| peak RSS above that | ${overBaseline.toFixed(0)} MiB = ${(overBaseline / (r.largest / 2 ** 20)).toFixed(1)} × the largest file (${mib(r.largest)} MiB); the release is ${mib(r.total)} MiB |
| verdict, findings | ${r.last.verdict}; ${Object.entries(r.last.counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(", ")} |
| the same pair with 3 × the modules (${mib(r.bigger.bytes / 2)} MiB walked per release, same largest file) | ${(r.bigger.ms / 1000).toFixed(2)} s, peak RSS ${r.bigger.maxRssMiB.toFixed(0)} MiB |

Both releases are walked at once, each holding one file (and the archive around it) in memory; the rest is the inventory kept for the diff (hashes and network indicators of each file).
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes("--quick");
  const result = await benchScan({ work: path.join(here, "work"), quick });
  console.log(renderScanBench(result));
}
