// Benchmark repositories, written with @bulwark/tuf into bench/work/<name>/:
//   public/    the static tree a server offers (metadata/, targets/)
//   root.json  the trusted root a fresh client starts from
// Flat repositories list synthetic targets (entries only, no bytes); big-target
// repositories serve one file of random bytes, streamed to disk once and reused.
import { createHash, randomBytes } from "node:crypto";
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  linkSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { PrivateKeySigner, Repository, TargetFile, writeRepositoryFiles } from "@bulwark/tuf";

const MiB = 2 ** 20;

function signers() {
  const one = () => [PrivateKeySigner.generate()];
  return { root: one(), timestamp: one(), snapshot: one(), targets: one() };
}

function syntheticTarget(i) {
  const p = `packages/pkg-${i}/release-${i}.tar.gz`;
  return new TargetFile(p, 1000 + i, new Map([["sha256", createHash("sha256").update(p).digest("hex")]]));
}

/** A readable name for a byte size: "10 MiB", "1 GiB". */
export function sizeName(bytes) {
  return bytes >= 2 ** 30 ? `${bytes / 2 ** 30} GiB` : `${bytes / MiB} MiB`;
}

/**
 * Creates `file` with `size` random bytes, written in 1 MiB chunks so it is never held in
 * memory; an existing file of the right size is reused.
 */
export async function ensureRandomFile(file, size) {
  if (statSync(file, { throwIfNoEntry: false })?.size === size) return;
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.part`;
  async function* chunks() {
    for (let left = size; left > 0; left -= MiB) yield randomBytes(Math.min(MiB, left));
  }
  await pipeline(chunks, createWriteStream(partial));
  renameSync(partial, file);
}

async function sha256File(file) {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: MiB })) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * Publishes `repo` (timed: the in-process writer), writes it under work/<name>/ and
 * describes it: the target to look up and the bytes of metadata a client verifies for it.
 */
async function write(work, name, repo, targetPath, extraFiles = []) {
  const dir = path.join(work, name);
  rmSync(dir, { recursive: true, force: true });
  const started = performance.now();
  await repo.publish();
  const writerMs = performance.now() - started;
  const publicDir = path.join(dir, "public");
  const files = repo.files();
  await writeRepositoryFiles(publicDir, files);
  const targetsFile = path.join(publicDir, files.find((f) => /^metadata\/\d+\.targets\.json$/.test(f.path)).path);
  for (const { from, to } of extraFiles) {
    const dest = path.join(publicDir, to);
    mkdirSync(path.dirname(dest), { recursive: true });
    try {
      linkSync(from, dest); // same disk: no second copy of a large file
    } catch {
      copyFileSync(from, dest);
    }
  }
  const lookupRoles = ["timestamp", "snapshot", "targets"];
  const holder = repo.roleForTarget(targetPath);
  if (holder !== "targets") lookupRoles.push(holder);
  const metadataBytes = lookupRoles.reduce((sum, role) => sum + (repo.publishedBytes(role)?.length ?? 0), 0);
  const rootFile = path.join(dir, "root.json");
  writeFileSync(rootFile, repo.publishedBytes("root"));
  return { name, dir, publicDir, rootFile, targetsFile, targetPath, metadataBytes, writerMs };
}

/** A repository whose top-level targets role lists `n` targets; `layout` as in Repository.create. */
export async function flatRepository(work, n, layout = "canonical") {
  const repo = await Repository.create({ signers: signers(), layout });
  for (let i = 0; i < n; i++) repo.addTarget(syntheticTarget(i));
  const name = layout === "canonical" ? `flat-${n}` : `flat-${n}-indented`;
  return write(work, name, repo, syntheticTarget(Math.floor(n * 0.77)).path);
}

/** `n` targets in 256 hashed bins (TAP 15 succinct roles). */
export async function binsRepository(work, n) {
  const repo = await Repository.create({ signers: signers() });
  repo.addHashedBins({ bitLength: 8, signers: [PrivateKeySigner.generate()] });
  for (let i = 0; i < n; i++) repo.addTarget(syntheticTarget(i));
  return write(work, `bins-${n}`, repo, syntheticTarget(Math.floor(n * 0.77)).path);
}

/**
 * One target of `size` random bytes, `app/big.bin`. The bytes live in
 * work/random-<size>.bin (kept between runs) and are hard-linked into the served tree.
 */
export async function bigTargetRepository(work, size) {
  const source = path.join(work, `random-${size}.bin`);
  await ensureRandomFile(source, size);
  const sha256 = await sha256File(source);
  const repo = await Repository.create({ signers: signers() });
  const targetPath = "app/big.bin";
  repo.addTarget(new TargetFile(targetPath, size, new Map([["sha256", sha256]])));
  // Consistent snapshots: the server holds targets as <dir>/<hash>.<name> (spec 5.7.3).
  const served = { from: source, to: `targets/app/${sha256}.big.bin` };
  const described = await write(work, `target-${sizeName(size).replace(" ", "")}`, repo, targetPath, [served]);
  return { ...described, targetLength: size };
}
