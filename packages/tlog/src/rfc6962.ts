/**
 * RFC 6962 §2.1 Merkle Tree Hash with SHA-256: leaves are hashed with a 0x00 prefix,
 * interior nodes with 0x01, and the empty tree hashes to SHA-256 of the empty string.
 */
import { createHash } from "node:crypto";

/** Size in bytes of every hash in the tree (SHA-256). */
export const HASH_SIZE = 32;

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash("sha256");
  for (const p of parts) hash.update(p);
  const digest = hash.digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** MTH({}) = SHA-256(): the root of the empty tree. */
export const EMPTY_ROOT: Uint8Array = sha256();

/** SHA-256(prefix || parts), hashed in one update (measurably faster than several). */
function prefixedHash(prefix: number, ...parts: Uint8Array[]): Uint8Array {
  let length = 1;
  for (const p of parts) length += p.length;
  const input = Buffer.allocUnsafe(length);
  input[0] = prefix;
  let offset = 1;
  for (const p of parts) {
    input.set(p, offset);
    offset += p.length;
  }
  const digest = createHash("sha256").update(input).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** MTH({d}) = SHA-256(0x00 || d): the hash of a leaf (a log entry). */
export function hashLeaf(entry: Uint8Array): Uint8Array {
  return prefixedHash(0x00, entry);
}

/** SHA-256(0x01 || left || right): the hash of an interior node. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return prefixedHash(0x01, left, right);
}

/**
 * MTH(D[n]) of a list of leaf hashes, without keeping the whole tree: a stack of perfect
 * subtree roots merged as they complete, then folded right to left.
 */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return EMPTY_ROOT;
  const stack: { hash: Uint8Array; level: number }[] = [];
  for (const leaf of leafHashes) {
    let node = { hash: leaf, level: 0 };
    for (let top = stack.at(-1); top !== undefined && top.level === node.level; top = stack.at(-1)) {
      stack.pop();
      node = { hash: hashChildren(top.hash, node.hash), level: node.level + 1 };
    }
    stack.push(node);
  }
  let root = (stack.pop() as { hash: Uint8Array }).hash;
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) root = hashChildren(node.hash, root);
  return root;
}
