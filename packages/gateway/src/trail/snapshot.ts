/**
 * A monitor's {@link TrailSnapshot} in a folder: `checkpoint` (the signed note) and `leaves`
 * (the leaf hashes, 32 bytes each, in order). Both are written atomically, the leaves first,
 * so a crash leaves either the old snapshot or the new one's hashes beside the old
 * checkpoint, which {@link readTrailSnapshot} refuses rather than trusts.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { HASH_SIZE } from "@bulwark/tlog";
import { readFileIfExists, writeFileAtomic } from "@bulwark/tuf";
import { usageError } from "./errors.js";
import type { TrailSnapshot } from "./verify.js";

/**
 * Writes `snapshot` to `dir`.
 * @throws {StorageError}
 */
export async function writeTrailSnapshot(dir: string, snapshot: TrailSnapshot): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, "leaves"), Buffer.concat(snapshot.leafHashes.map((h) => Buffer.from(h))));
  await writeFileAtomic(path.join(dir, "checkpoint"), new TextEncoder().encode(snapshot.checkpoint));
}

/**
 * Reads the snapshot kept in `dir`, or undefined when there is none. The caller passes it
 * to {@link verifyTrail}, which checks the hashes against the checkpoint.
 * @throws {UsageError} TRAIL_USAGE when only one of the files is there or `leaves` is cut short.
 */
export async function readTrailSnapshot(dir: string): Promise<TrailSnapshot | undefined> {
  const checkpoint = await readFileIfExists(path.join(dir, "checkpoint"));
  const leaves = await readFileIfExists(path.join(dir, "leaves"));
  if (checkpoint === undefined && leaves === undefined) return undefined;
  if (checkpoint === undefined || leaves === undefined || leaves.length % HASH_SIZE !== 0) {
    throw usageError(`the trail snapshot in ${dir} is incomplete`);
  }
  const leafHashes: Uint8Array[] = [];
  for (let at = 0; at < leaves.length; at += HASH_SIZE)
    leafHashes.push(new Uint8Array(leaves.subarray(at, at + HASH_SIZE)));
  return { checkpoint: new TextDecoder().decode(checkpoint), leafHashes };
}
