/**
 * Subtree proofs of draft-ietf-plants-merkle-tree-certs (a draft: this module follows the
 * draft's verification steps and transparency-dev/merkle's test data, and may change with
 * the draft). A subtree [start, end) is valid when start < end and start is a multiple of
 * BIT_CEIL(end - start); its hash is MTH(D[start:end]). A subtree consistency proof shows
 * that a subtree hash belongs to a tree of some size; a subtree inclusion proof shows that a
 * leaf is in a subtree.
 */
import { bitLength } from "./bits.js";
import { bytesEqual, toUint64 } from "./encoding.js";
import { TLOG_ERRORS, TlogError } from "./errors.js";
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from "./rfc6962.js";

function badProof(message: string): TlogError {
  return new TlogError(TLOG_ERRORS.BAD_PROOF, message);
}

function uint64(value: bigint | number, what: string): bigint {
  const v = toUint64(value);
  if (v === undefined) throw badProof(`${what} ${String(value)} is not a uint64`);
  return v;
}

/** Whether [start, end) is a valid subtree: non-empty, and start a multiple of BIT_CEIL(end - start). */
export function isValidSubtree(start: bigint | number, end: bigint | number): boolean {
  const s = toUint64(start);
  const e = toUint64(end);
  if (s === undefined || e === undefined || s >= e) return false;
  const width = 1n << BigInt(bitLength(e - s - 1n));
  return s % width === 0n;
}

/**
 * The tree root that a subtree consistency proof leads to, for the subtree [start, end)
 * with hash `subtreeHash` in a tree of `size` leaves (draft §"Verifying a subtree
 * consistency proof"; the numbered steps below are the draft's).
 * @throws {TlogError} TLOG_BAD_PROOF
 */
export function rootFromSubtreeConsistencyProof(
  size: bigint | number,
  start: bigint | number,
  end: bigint | number,
  proof: readonly Uint8Array[],
  subtreeHash: Uint8Array,
): Uint8Array {
  const n = uint64(size, "tree size");
  const s = uint64(start, "start");
  const e = uint64(end, "end");
  // Step 1: the subtree is valid and inside the tree.
  if (!isValidSubtree(s, e) || n < e) throw badProof(`[${s}, ${e}) is not a valid subtree of a tree of ${n}`);
  for (const h of proof) if (h.length !== HASH_SIZE) throw badProof("proof hashes are 32 bytes");
  // Step 2: paths to the subtree's first and last leaves, and to the tree's last leaf.
  let fn = s;
  let sn = e - 1n;
  let tn = n - 1n;
  const up = () => {
    fn >>= 1n;
    sn >>= 1n;
    tn >>= 1n;
  };
  // Steps 3-4: skip to the highest right-edge node of the subtree that is a node of the tree.
  if (sn === tn) {
    while (fn !== sn) up();
  } else {
    while (fn !== sn && (sn & 1n) === 1n) up();
  }
  // Steps 5-6: start from the subtree hash itself when the whole subtree is that node.
  let rest = proof;
  let fr: Uint8Array;
  if (fn === sn) {
    fr = subtreeHash;
  } else {
    if (proof.length === 0) throw badProof("empty subtree consistency proof");
    fr = proof[0] as Uint8Array;
    rest = proof.slice(1);
  }
  let sr = fr;
  // Step 7: climb to the root.
  for (const c of rest) {
    if (tn === 0n) throw badProof("the subtree consistency proof is too long");
    if ((sn & 1n) === 1n || sn === tn) {
      if (fn < sn) fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while ((sn & 1n) === 0n) up();
    } else {
      sr = hashChildren(sr, c);
    }
    up();
  }
  // Step 8: the paths ended together and the subtree hash checks out.
  if (tn !== 0n) throw badProof("the subtree consistency proof is too short");
  if (!bytesEqual(fr, subtreeHash)) throw badProof("the proof does not lead to the subtree hash");
  return sr;
}

/**
 * Verifies that the subtree [start, end) with `subtreeHash` is part of the tree of `size`
 * with root `root`. An empty subtree (start == end <= size) is consistent with any tree,
 * with an empty proof and the empty-tree hash, as in transparency-dev/merkle.
 * @throws {TlogError} TLOG_BAD_PROOF
 */
export function verifySubtreeConsistency(
  start: bigint | number,
  end: bigint | number,
  size: bigint | number,
  proof: readonly Uint8Array[],
  subtreeHash: Uint8Array,
  root: Uint8Array,
): void {
  const s = uint64(start, "start");
  const e = uint64(end, "end");
  const n = uint64(size, "tree size");
  if (s === e) {
    if (s > n || proof.length > 0 || !bytesEqual(subtreeHash, EMPTY_ROOT))
      throw badProof("invalid empty subtree proof");
    return;
  }
  const computed = rootFromSubtreeConsistencyProof(n, s, e, proof, subtreeHash);
  if (!bytesEqual(computed, root)) throw badProof("the subtree consistency proof does not lead to the root");
}

/**
 * Verifies that `leafHash` is the leaf at `index` of the subtree [start, end) whose hash is
 * `subtreeHash`.
 * @throws {TlogError} TLOG_BAD_PROOF
 */
export function verifySubtreeInclusion(
  index: bigint | number,
  start: bigint | number,
  end: bigint | number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  subtreeHash: Uint8Array,
): void {
  const i = uint64(index, "index");
  const s = uint64(start, "start");
  const e = uint64(end, "end");
  if (!isValidSubtree(s, e) || i < s || i >= e) throw badProof(`${i} is not in a valid subtree [${s}, ${e})`);
  if (leafHash.length !== HASH_SIZE) throw badProof("leaf hashes are 32 bytes");
  // Re-rooted at the subtree, inclusion is consistency of the one-leaf subtree [i, i + 1).
  const computed = rootFromSubtreeConsistencyProof(e - s, i - s, i - s + 1n, proof, leafHash);
  if (!bytesEqual(computed, subtreeHash))
    throw badProof("the subtree inclusion proof does not lead to the subtree hash");
}
