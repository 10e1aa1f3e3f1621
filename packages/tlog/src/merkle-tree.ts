/**
 * Building RFC 6962 proofs from stored hashes. The algorithms of RFC 6962 §2.1.1 (PATH)
 * and §2.1.2 (SUBPROOF) are written against a {@link NodeReader} that returns the hash of
 * a *perfect* subtree (2^level leaves starting at index·2^level). Stored hashes are exactly
 * such nodes, whether they come from a list in memory or from tlog-tiles.
 *
 * {@link proofNodes} runs an algorithm with a recording reader to learn which nodes it needs,
 * so an asynchronous source (tiles over HTTP) can fetch them all first.
 */
import { bitLength, isPowerOfTwo, splitPoint } from "./bits.js";
import { toUint64 } from "./encoding.js";
import { usageError } from "./errors.js";
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from "./rfc6962.js";

/** A perfect subtree: 2^level leaves starting at leaf index·2^level. */
export interface NodeId {
  readonly level: number;
  readonly index: bigint;
}

/** Returns the hash of a perfect subtree that lies inside the tree. */
export type NodeReader = (level: number, index: bigint) => Uint8Array;

/**
 * MTH(D[lo:hi]) for a range that the RFC 6962 recursion produces (its power-of-two parts
 * are aligned), from perfect-subtree hashes.
 */
export function rangeHash(lo: bigint, hi: bigint, read: NodeReader): Uint8Array {
  const n = hi - lo;
  if (n <= 0n) throw usageError(`empty range [${lo}, ${hi})`);
  if (isPowerOfTwo(n)) {
    const level = bitLength(n) - 1;
    if (lo % n !== 0n) throw usageError(`range [${lo}, ${hi}) is not an aligned subtree`);
    return read(level, lo >> BigInt(level));
  }
  const k = splitPoint(n);
  return hashChildren(rangeHash(lo, lo + k, read), rangeHash(lo + k, hi, read));
}

/** RFC 6962 §2.1.1 PATH(m, D[lo:hi]), appended to `out` leaf-sibling first. */
function path(m: bigint, lo: bigint, hi: bigint, read: NodeReader, out: Uint8Array[]): void {
  if (hi - lo <= 1n) return;
  const k = splitPoint(hi - lo);
  if (m < lo + k) {
    path(m, lo, lo + k, read, out);
    out.push(rangeHash(lo + k, hi, read));
  } else {
    path(m, lo + k, hi, read, out);
    out.push(rangeHash(lo, lo + k, read));
  }
}

/** RFC 6962 §2.1.2 SUBPROOF(m, D[lo:hi], b), with m the absolute end of the old tree. */
function subproof(m: bigint, lo: bigint, hi: bigint, complete: boolean, read: NodeReader, out: Uint8Array[]): void {
  if (m === hi) {
    if (!complete) out.push(rangeHash(lo, hi, read));
    return;
  }
  const k = splitPoint(hi - lo);
  if (m <= lo + k) {
    subproof(m, lo, lo + k, complete, read, out);
    out.push(rangeHash(lo + k, hi, read));
  } else {
    subproof(m, lo + k, hi, false, read, out);
    out.push(rangeHash(lo, lo + k, read));
  }
}

function uint64(value: bigint | number, what: string): bigint {
  const v = toUint64(value);
  if (v === undefined) throw usageError(`${what} ${String(value)} is not a uint64`);
  return v;
}

/**
 * The inclusion proof for leaf `index` in the tree of `size` leaves.
 * @throws {UsageError} unless 0 <= index < size.
 */
export function proveInclusion(index: bigint | number, size: bigint | number, read: NodeReader): Uint8Array[] {
  const i = uint64(index, "index");
  const n = uint64(size, "tree size");
  if (i >= n) throw usageError(`index ${i} is not below the tree size ${n}`);
  const out: Uint8Array[] = [];
  path(i, 0n, n, read, out);
  return out;
}

/**
 * The consistency proof from the tree of `size1` leaves to the tree of `size2` leaves.
 * @throws {UsageError} unless 0 < size1 <= size2.
 */
export function proveConsistency(size1: bigint | number, size2: bigint | number, read: NodeReader): Uint8Array[] {
  const m = uint64(size1, "size1");
  const n = uint64(size2, "size2");
  if (m === 0n || m > n) throw usageError(`no consistency proof from size ${m} to size ${n}`);
  const out: Uint8Array[] = [];
  subproof(m, 0n, n, true, read, out);
  return out;
}

/** MTH of the first `size` leaves. */
export function treeRoot(size: bigint | number, read: NodeReader): Uint8Array {
  const n = uint64(size, "tree size");
  return n === 0n ? EMPTY_ROOT : rangeHash(0n, n, read);
}

/**
 * The perfect-subtree nodes that `compute` reads, in first-use order, without duplicates.
 * `compute` receives a reader that returns placeholder hashes.
 */
export function proofNodes(compute: (read: NodeReader) => unknown): NodeId[] {
  const seen = new Set<string>();
  const nodes: NodeId[] = [];
  const placeholder = new Uint8Array(HASH_SIZE);
  compute((level, index) => {
    const key = `${level}/${index}`;
    if (!seen.has(key)) {
      seen.add(key);
      nodes.push({ level, index });
    }
    return placeholder;
  });
  return nodes;
}

/** A whole tree held in memory, level by level, for building proofs over a list of leaves. */
export class MemoryTree {
  /** levels[0] are the leaf hashes; levels[l][i] is the perfect subtree (l, i). */
  readonly #levels: Uint8Array[][];

  constructor(leafHashes: readonly Uint8Array[]) {
    const levels: Uint8Array[][] = [[...leafHashes]];
    for (let below = levels[0] as Uint8Array[]; below.length > 1; ) {
      const above: Uint8Array[] = [];
      for (let j = 0; j + 1 < below.length; j += 2)
        above.push(hashChildren(below[j] as Uint8Array, below[j + 1] as Uint8Array));
      levels.push(above);
      below = above;
    }
    this.#levels = levels;
  }

  /** Number of leaves. */
  get size(): number {
    return (this.#levels[0] as Uint8Array[]).length;
  }

  /** The {@link NodeReader} of this tree. */
  readonly read: NodeReader = (level, index) => {
    const hash = this.#levels[level]?.[Number(index)];
    if (hash === undefined) throw usageError(`node (${level}, ${index}) is not in a tree of ${this.size} leaves`);
    return hash;
  };

  /** MTH of the first `size` leaves (default: all). */
  root(size: bigint | number = this.size): Uint8Array {
    return treeRoot(size, this.read);
  }

  /** The inclusion proof of leaf `index` in the tree of the first `size` leaves (default: all). */
  inclusionProof(index: bigint | number, size: bigint | number = this.size): Uint8Array[] {
    return proveInclusion(index, this.#checkSize(size), this.read);
  }

  /** The consistency proof from the first `size1` leaves to the first `size2` (default: all). */
  consistencyProof(size1: bigint | number, size2: bigint | number = this.size): Uint8Array[] {
    return proveConsistency(size1, this.#checkSize(size2), this.read);
  }

  #checkSize(size: bigint | number): bigint {
    const n = uint64(size, "tree size");
    if (n > BigInt(this.size)) throw usageError(`size ${n} exceeds the ${this.size} leaves held`);
    return n;
  }
}
