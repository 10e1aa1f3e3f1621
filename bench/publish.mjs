// Publishing benchmarks: whole `bulwark repo publish` processes.
//  - a repository whose targets role lists N targets (flat), signed and written;
//  - one target added to an N-target hashed-bin repository, then published.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Metadata, TargetFile, Targets } from "@bulwark/tuf";
import { median } from "./stats.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const bulwark = path.join(here, "..", "packages", "cli", "bin", "bulwark.js");
const env = { ...process.env, BULWARK_PASSPHRASE: "benchmark passphrase" };

function run(argv) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [bulwark, ...argv], { env }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`bulwark ${argv.join(" ")}: ${stderr || error.message}`));
      resolve({ wallMs: performance.now() - started, stdout });
    });
  });
}

function targetsWith(n, version) {
  const md = new Metadata(new Targets({ version }));
  for (let i = 0; i < n; i++) {
    const p = `packages/pkg-${i}/release-${i}.tar.gz`;
    md.signed.addTarget(
      new TargetFile(p, 1000 + i, new Map([["sha256", createHash("sha256").update(p).digest("hex")]])),
    );
  }
  md.signed.sortTargets();
  return md.toCanonicalLayoutBytes();
}

async function init(dir, hashedBinsThreshold) {
  rmSync(dir, { recursive: true, force: true });
  await run(["repo", "init", dir, "--single-key", "--quiet"]);
  const configFile = path.join(dir, "bulwark.json");
  const config = JSON.parse(readFileSync(configFile, "utf8"));
  writeFileSync(configFile, JSON.stringify({ ...config, hashedBinsThreshold }, null, 2));
}

function stageTargets(dir, bytes) {
  mkdirSync(path.join(dir, "staged", "metadata"), { recursive: true });
  writeFileSync(path.join(dir, "staged", "metadata", "targets.json"), bytes);
}

/** Medians over `runs` publishes (after a warm-up) of both scenarios, for `n` targets. */
export async function benchPublish({ work, n, runs }) {
  const flatDir = path.join(work, `publish-flat-${n}`);
  await init(flatDir, 0);
  const staged = targetsWith(n, 1);
  const flat = [];
  for (let i = -1; i < runs; i++) {
    stageTargets(flatDir, staged);
    const { wallMs } = await run(["repo", "publish", flatDir, "--quiet"]);
    if (i >= 0) flat.push(wallMs);
  }

  const binsDir = path.join(work, `publish-bins-${n}`);
  await init(binsDir, 10_000);
  stageTargets(binsDir, staged);
  const first = await run(["repo", "publish", binsDir, "--quiet"]);
  const release = path.join(work, "one-release.bin");
  const addOne = [];
  const add = [];
  for (let i = -1; i < runs; i++) {
    writeFileSync(release, `release ${i}`);
    const staging = await run([
      "release",
      "add",
      binsDir,
      release,
      "--name",
      "app",
      "--version",
      `1.0.${i + 1}`,
      "--quiet",
    ]);
    const { wallMs } = await run(["repo", "publish", binsDir, "--quiet"]);
    if (i >= 0) {
      addOne.push(wallMs);
      add.push(staging.wallMs);
    }
  }
  return {
    n,
    flatMs: median(flat),
    flatMinMax: [Math.min(...flat), Math.max(...flat)],
    binsFirstMs: first.wallMs,
    addOneMs: median(addOne),
    addOneMinMax: [Math.min(...addOne), Math.max(...addOne)],
    releaseAddMs: median(add),
  };
}
