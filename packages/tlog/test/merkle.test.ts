/**
 * RFC 6962 hashing and proofs against transparency-dev/merkle's test data: every inclusion
 * and consistency file verifies exactly when `wantErr` is false, and the 8-leaf reference
 * tree's hashes, roots and proofs are recomputed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  b64,
  describeVectors,
  hex,
  listVectorFiles,
  readVectorJson,
  readVectorJsonExact,
  SKIP_VECTORS,
  toHex,
} from "@bulwark/testkit";
import type { JsonObject, JsonValue } from "@bulwark/tuf";
import {
  EMPTY_ROOT,
  hashChildren,
  hashLeaf,
  MemoryTree,
  rootFromLeafHashes,
  TLOG_ERRORS,
  TlogError,
  verifyConsistency,
  verifyInclusion,
  verifySubtreeConsistency,
  verifySubtreeInclusion,
} from "../src/index.js";

const skip = SKIP_VECTORS;

function num(v: JsonValue | undefined): bigint {
  if (typeof v === "number" || typeof v === "bigint") return BigInt(v);
  throw new Error(`not a number: ${String(v)}`);
}

function hashes(v: JsonValue | undefined): Uint8Array[] {
  return Array.isArray(v) ? v.map((h) => b64(h as string)) : [];
}

/** Asserts `fn` throws a TlogError with code TLOG_BAD_PROOF. */
function assertBadProof(fn: () => void, label: string): void {
  assert.throws(fn, (e: unknown) => e instanceof TlogError && e.code === TLOG_ERRORS.BAD_PROOF, label);
}

describeVectors("merkle/inclusion (transparency-dev/merkle testdata)", () => {
  it("verifies every file exactly when wantErr is false", () => {
    const files = listVectorFiles("merkle", "inclusion");
    assert.equal(files.length, 98);
    for (const file of files) {
      const c = readVectorJsonExact("merkle", "inclusion", file) as JsonObject;
      const run = () =>
        verifyInclusion(
          num(c.leafIdx),
          num(c.treeSize),
          b64(c.leafHash as string),
          hashes(c.proof),
          b64(c.root as string),
        );
      if (c.wantErr) assertBadProof(run, file);
      else assert.doesNotThrow(run, file);
    }
  });
});

describeVectors("merkle/consistency (transparency-dev/merkle testdata)", () => {
  it("verifies every file exactly when wantErr is false (size1 = 0 is an error)", () => {
    const files = listVectorFiles("merkle", "consistency");
    assert.equal(files.length, 98);
    for (const file of files) {
      const c = readVectorJsonExact("merkle", "consistency", file) as JsonObject;
      const run = () =>
        verifyConsistency(num(c.size1), num(c.size2), hashes(c.proof), b64(c.root1 as string), b64(c.root2 as string));
      if (c.wantErr) assertBadProof(run, file);
      else assert.doesNotThrow(run, file);
    }
  });
});

describeVectors("merkle/subtreeinclusion and subtreeconsistency (draft-ietf-plants-merkle-tree-certs)", () => {
  it("verifies every subtree inclusion file exactly when wantErr is false", () => {
    const files = listVectorFiles("merkle", "subtreeinclusion");
    assert.equal(files.length, 204);
    for (const file of files) {
      const c = readVectorJsonExact("merkle", "subtreeinclusion", file) as JsonObject;
      const run = () =>
        verifySubtreeInclusion(
          num(c.leafIdx),
          num(c.start),
          num(c.end),
          b64(c.leafHash as string),
          hashes(c.proof),
          b64(c.root as string),
        );
      if (c.wantErr) assertBadProof(run, file);
      else assert.doesNotThrow(run, file);
    }
  });

  it("verifies every subtree consistency file exactly when wantErr is false", () => {
    const files = listVectorFiles("merkle", "subtreeconsistency");
    assert.equal(files.length, 118);
    for (const file of files) {
      const c = readVectorJsonExact("merkle", "subtreeconsistency", file) as JsonObject;
      const run = () =>
        verifySubtreeConsistency(
          num(c.start),
          num(c.end),
          num(c.size),
          hashes(c.proof),
          b64(c.root1 as string),
          b64(c.root2 as string),
        );
      if (c.wantErr) assertBadProof(run, file);
      else assert.doesNotThrow(run, file);
    }
  });
});

interface Rfc6962 {
  hasher: { op: string; leafHex?: string; leftHex?: string; rightHex?: string; want: string }[];
  referenceTree: {
    leafInputsHex: string[];
    nodeHashes: string[][];
    rootsBySize: string[];
    inclusionProofs: { index: number; size: number; proof: string[] }[];
    consistencyProofs: { size1: number; size2: number; proof: string[] }[];
  };
}

describeVectors("merkle/rfc6962.json", () => {
  const v = skip ? undefined : readVectorJson<Rfc6962>("merkle", "rfc6962.json");

  it("recomputes the hasher values", () => {
    for (const c of v?.hasher ?? []) {
      const got =
        c.op === "emptyRoot"
          ? EMPTY_ROOT
          : c.op === "leaf"
            ? hashLeaf(hex(c.leafHex ?? ""))
            : hashChildren(hex(c.leftHex ?? ""), hex(c.rightHex ?? ""));
      assert.equal(toHex(got), c.want, c.op);
    }
  });

  it("recomputes every node hash and the root of every size of the reference tree", () => {
    const t = (v as Rfc6962).referenceTree;
    const leaves = t.leafInputsHex.map((x) => hashLeaf(hex(x)));
    const tree = new MemoryTree(leaves);
    for (const [level, row] of t.nodeHashes.entries()) {
      for (const [index, want] of row.entries()) assert.equal(toHex(tree.read(level, BigInt(index))), want);
    }
    for (const [size, want] of t.rootsBySize.entries()) {
      assert.equal(toHex(rootFromLeafHashes(leaves.slice(0, size))), want, `root of ${size}`);
      assert.equal(toHex(tree.root(size)), want, `tree root of ${size}`);
    }
  });

  it("builds and verifies the listed inclusion and consistency proofs", () => {
    const t = (v as Rfc6962).referenceTree;
    const leaves = t.leafInputsHex.map((x) => hashLeaf(hex(x)));
    const tree = new MemoryTree(leaves);
    const root = (n: number) => hex(t.rootsBySize[n] as string);
    for (const p of t.inclusionProofs) {
      assert.deepEqual(tree.inclusionProof(p.index, p.size).map(toHex), p.proof);
      verifyInclusion(p.index, p.size, leaves[p.index] as Uint8Array, p.proof.map(hex), root(p.size));
    }
    for (const p of t.consistencyProofs) {
      if (p.size1 !== p.size2) assert.deepEqual(tree.consistencyProof(p.size1, p.size2).map(toHex), p.proof);
      verifyConsistency(p.size1, p.size2, p.proof.map(hex), root(p.size1), root(p.size2));
    }
  });
});

describe("proof generation", () => {
  it("every inclusion and consistency proof of trees up to 40 leaves verifies, and fails for a wrong leaf", () => {
    const leaves = Array.from({ length: 40 }, (_, i) => hashLeaf(new Uint8Array([i, i >> 8])));
    const tree = new MemoryTree(leaves);
    for (let n = 1; n <= leaves.length; n++) {
      const root = tree.root(n);
      assert.deepEqual(root, rootFromLeafHashes(leaves.slice(0, n)));
      for (let i = 0; i < n; i++) {
        const proof = tree.inclusionProof(i, n);
        verifyInclusion(i, n, leaves[i] as Uint8Array, proof, root);
        assertBadProof(() => verifyInclusion(i, n, leaves[(i + 1) % 40] as Uint8Array, proof, root), `${i}/${n}`);
      }
      for (let m = 1; m < n; m++) {
        const proof = tree.consistencyProof(m, n);
        verifyConsistency(m, n, proof, tree.root(m), root);
        assertBadProof(() => verifyConsistency(m, n, proof, tree.root(m), tree.root(n - 1)), `${m}->${n}`);
      }
    }
  });

  it("refuses to prove from the empty tree or beyond the tree", () => {
    const tree = new MemoryTree([hashLeaf(new Uint8Array())]);
    assert.throws(() => tree.consistencyProof(0, 1), { code: "TLOG_USAGE" });
    assert.throws(() => tree.inclusionProof(1, 1), { code: "TLOG_USAGE" });
    assert.throws(() => tree.inclusionProof(0, 2), { code: "TLOG_USAGE" });
  });
});
