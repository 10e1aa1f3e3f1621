/**
 * Verification of RFC 6962 §2.1.1 inclusion proofs (audit paths) and §2.1.2 consistency
 * proofs, for uint64 tree sizes. A proof is accepted only when it has exactly the length
 * the sizes imply and every hash in it is 32 bytes.
 */
import { bitLength, onesCount, trailingZeros } from "./bits.js";
import { bytesEqual, toUint64 } from "./encoding.js";
import { TLOG_ERRORS, TlogError } from "./errors.js";
import { HASH_SIZE, hashChildren } from "./rfc6962.js";

function badProof(message: string): TlogError {
  return new TlogError(TLOG_ERRORS.BAD_PROOF, message);
}

function uint64(value: bigint | number, what: string): bigint {
  const v = toUint64(value);
  if (v === undefined) throw badProof(`${what} ${String(value)} is not a uint64`);
  return v;
}

function checkHashes(proof: readonly Uint8Array[]): void {
  for (const [i, h] of proof.entries()) {
    if (h.length !== HASH_SIZE) throw badProof(`proof hash ${i} is ${h.length} bytes, want ${HASH_SIZE}`);
  }
}

/**
 * Splits the audit path of leaf `index` in a tree of `size` where the paths to `index` and
 * to `size - 1` meet: `inner` hashes below that point, `border` hashes on the right border.
 */
function decompose(index: bigint, size: bigint): { inner: number; border: number } {
  const inner = bitLength(index ^ (size - 1n));
  return { inner, border: onesCount(index >> BigInt(inner)) };
}

/**
 * The root that an inclusion proof leads to, for the leaf hash at `index` in a tree of
 * `size` leaves. Requires 0 <= index < size.
 * @throws {TlogError} TLOG_BAD_PROOF when the proof cannot be valid for these sizes.
 */
export function rootFromInclusionProof(
  index: bigint | number,
  size: bigint | number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  const i = uint64(index, "index");
  const n = uint64(size, "tree size");
  if (i >= n) throw badProof(`index ${i} is beyond the tree size ${n}`);
  if (leafHash.length !== HASH_SIZE) throw badProof(`leaf hash is ${leafHash.length} bytes, want ${HASH_SIZE}`);
  checkHashes(proof);
  const { inner, border } = decompose(i, n);
  if (proof.length !== inner + border) throw badProof(`proof has ${proof.length} hashes, want ${inner + border}`);
  let hash = leafHash;
  for (const [level, sibling] of proof.entries()) {
    // RFC 6962 §2.1.1: below the split the leaf's side decides the order; above it, the
    // proof holds only left siblings on the right border.
    const leftChild = level < inner && ((i >> BigInt(level)) & 1n) === 0n;
    hash = leftChild ? hashChildren(hash, sibling) : hashChildren(sibling, hash);
  }
  return hash;
}

/**
 * Verifies that `leafHash` is the leaf at `index` of the tree of `size` with root `root`.
 * @throws {TlogError} TLOG_BAD_PROOF
 */
export function verifyInclusion(
  index: bigint | number,
  size: bigint | number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  const computed = rootFromInclusionProof(index, size, leafHash, proof);
  if (!bytesEqual(computed, root)) throw badProof("the inclusion proof does not lead to the expected root");
}

/**
 * Verifies that the tree of `size2` with root `root2` extends the tree of `size1` with
 * root `root1`. As in transparency-dev/merkle, `size1 = 0` is an error (every tree extends
 * the empty one, so there is nothing to prove: callers such as a witness must handle an
 * old size of 0 before calling this), and `size1 == size2` needs an empty proof and equal roots.
 * @throws {TlogError} TLOG_BAD_PROOF
 */
export function verifyConsistency(
  size1: bigint | number,
  size2: bigint | number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  const m = uint64(size1, "size1");
  const n = uint64(size2, "size2");
  if (m === 0n) throw badProof("a consistency proof from the empty tree is meaningless");
  if (n < m) throw badProof(`size2 ${n} is smaller than size1 ${m}`);
  if (m === n) {
    if (proof.length > 0) throw badProof("size1 equals size2 but the proof is not empty");
    if (!bytesEqual(root1, root2)) throw badProof("size1 equals size2 but the roots differ");
    return;
  }
  if (proof.length === 0) throw badProof("empty consistency proof");
  checkHashes(proof);

  const { inner: fullInner, border } = decompose(m - 1n, n);
  // The old tree's rightmost perfect subtree has 2^shift leaves; the proof starts there.
  const shift = trailingZeros(m);
  const inner = fullInner - shift;
  const oldIsPerfect = m === 1n << BigInt(shift);
  const seed = oldIsPerfect ? root1 : (proof[0] as Uint8Array);
  const path = oldIsPerfect ? proof : proof.slice(1);
  if (path.length !== inner + border) {
    throw badProof(`proof has ${proof.length} hashes, want ${inner + border + (oldIsPerfect ? 0 : 1)}`);
  }
  const mask = (m - 1n) >> BigInt(shift);
  let hash1 = seed;
  let hash2 = seed;
  for (const [level, sibling] of path.entries()) {
    const rightChild = level >= inner || ((mask >> BigInt(level)) & 1n) === 1n;
    if (rightChild) {
      // A left sibling belongs to both trees.
      hash1 = hashChildren(sibling, hash1);
      hash2 = hashChildren(sibling, hash2);
    } else {
      // A right sibling only exists in the new tree.
      hash2 = hashChildren(hash2, sibling);
    }
  }
  if (!bytesEqual(hash1, root1)) throw badProof("the consistency proof does not lead to the old root");
  if (!bytesEqual(hash2, root2)) throw badProof("the consistency proof does not lead to the new root");
}
