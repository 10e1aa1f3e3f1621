/**
 * c2sp.org/tlog-checkpoint against ../shared/vectors/checkpoints/checkpoints.json: body
 * parsing, verification against a log key and origin (with x/mod note semantics), and real
 * Rekor v2 inclusion proofs against their signed checkpoints.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { b64, describeVectors, readVectorJson, SKIP_VECTORS, toB64 } from "@bulwark/testkit";
import {
  formatCheckpoint,
  hashLeaf,
  keyIdFor,
  MemoryTree,
  parseCheckpoint,
  parseVerifierKey,
  TLOG_ERRORS,
  TlogError,
  verifyCheckpoint,
  verifyCheckpointConsistency,
  verifyInclusion,
} from "../src/index.js";

const skip = SKIP_VECTORS;

interface BodyCase {
  desc: string;
  text: string;
  want?: { origin: string; size: string; rootHash: string; rootHashBytes: number; extensionLines: string[] };
  wantErr?: boolean;
}
interface VerifyCase {
  desc: string;
  checkpoint: string;
  logVkey: string;
  origin: string;
  witnessVkeys?: string[];
  want?: { origin: string; size: string; rootHash: string; verifiedCosigners: string[]; ignoredSignatures: string[] };
  wantErr?: boolean;
  why?: string;
  signatureType?: number;
}
interface InclusionCase {
  desc: string;
  entryBase64: string;
  leafHashBase64: string;
  index: string;
  treeSize: string;
  proof: string[];
  rootHash: string;
  checkpoint: string;
  logVkey: string;
}
interface Checkpoints {
  bodyParsing: BodyCase[];
  verify: VerifyCase[];
  inclusion: InclusionCase[];
}

const v = skip ? undefined : readVectorJson<Checkpoints>("checkpoints", "checkpoints.json");
const data = () => v as Checkpoints;
const hex8 = (n: number) => n.toString(16).padStart(8, "0");

describeVectors("checkpoint bodies (bodyParsing, 19 cases)", () => {
  it("parses the valid bodies, round-trips them, and rejects the invalid ones", () => {
    assert.equal(data().bodyParsing.length, 19);
    for (const c of data().bodyParsing) {
      if (c.wantErr) {
        assert.throws(
          () => parseCheckpoint(c.text, { anyRootHashSize: true }),
          (e: unknown) => e instanceof TlogError && e.code === TLOG_ERRORS.BAD_CHECKPOINT,
          c.desc,
        );
        continue;
      }
      const want = c.want as NonNullable<BodyCase["want"]>;
      // Roots of other sizes than 32 bytes parse only when asked for (formats' own test data).
      const options = want.rootHashBytes === 32 ? {} : { anyRootHashSize: true };
      if (want.rootHashBytes !== 32) assert.throws(() => parseCheckpoint(c.text), { code: TLOG_ERRORS.BAD_CHECKPOINT });
      const cp = parseCheckpoint(c.text, options);
      assert.equal(cp.origin, want.origin, c.desc);
      assert.equal(cp.size.toString(), want.size, c.desc);
      assert.equal(toB64(cp.rootHash), want.rootHash, c.desc);
      assert.equal(cp.rootHash.length, want.rootHashBytes, c.desc);
      assert.deepEqual(cp.extensionLines, want.extensionLines, c.desc);
      assert.equal(formatCheckpoint(cp), c.text, c.desc);
    }
  });
});

describeVectors("checkpoint verification (verify, 35 cases)", () => {
  it("accepts and rejects exactly as the vectors say (types 0x01, 0x02 ECDSA and 0x05 RFC 6962 STH)", () => {
    assert.equal(data().verify.length, 35);
    const byType = new Map<number, number>();
    for (const c of data().verify) {
      const type = c.signatureType ?? 1;
      byType.set(type, (byType.get(type) ?? 0) + 1);
      const run = () =>
        verifyCheckpoint(c.checkpoint, {
          logVerifier: parseVerifierKey(c.logVkey),
          origin: c.origin,
          witnesses: (c.witnessVkeys ?? []).map(parseVerifierKey),
        });
      if (c.wantErr) {
        assert.throws(run, (e: unknown) => e instanceof TlogError, `${c.desc} (${c.why})`);
        continue;
      }
      const want = c.want as NonNullable<VerifyCase["want"]>;
      const got = run();
      assert.equal(got.checkpoint.origin, want.origin, c.desc);
      assert.equal(got.checkpoint.size.toString(), want.size, c.desc);
      assert.equal(toB64(got.checkpoint.rootHash), want.rootHash, c.desc);
      assert.deepEqual(
        got.cosignatures.map((s) => s.name),
        want.verifiedCosigners,
        c.desc,
      );
      assert.deepEqual(
        got.ignored.map((s) => `${s.name}+${hex8(s.keyId)}`),
        want.ignoredSignatures,
        c.desc,
      );
    }
    assert.deepEqual(Object.fromEntries(byType), { 1: 29, 2: 4, 5: 2 });
  });

  it("names the reason of a rejection with a stable code", () => {
    const codeOf = (c: VerifyCase) => {
      try {
        verifyCheckpoint(c.checkpoint, {
          logVerifier: parseVerifierKey(c.logVkey),
          origin: c.origin,
          witnesses: (c.witnessVkeys ?? []).map(parseVerifierKey),
        });
      } catch (e) {
        return (e as TlogError).code;
      }
      return "accepted";
    };
    const want: Record<string, string> = {
      "origin mismatch": TLOG_ERRORS.BAD_CHECKPOINT,
      malformed: TLOG_ERRORS.MALFORMED_NOTE,
      "invalid signature": TLOG_ERRORS.INVALID_SIGNATURE,
      "no log signature": TLOG_ERRORS.UNVERIFIED,
      "bad checkpoint body: fewer than 3 lines": TLOG_ERRORS.BAD_CHECKPOINT,
    };
    for (const c of data().verify.filter((x) => x.wantErr)) {
      // A 0x05 signature does not cover the origin line, so its verifier binds it to the
      // key name: another origin makes the log's signature itself fail.
      const expected = c.signatureType === 5 ? TLOG_ERRORS.INVALID_SIGNATURE : want[c.why as string];
      assert.equal(codeOf(c), expected, `${c.desc} (${c.why})`);
    }
  });

  it("binds a 0x05 signature to its origin and computes its key ID from the log ID", () => {
    const c = data().verify.find((x) => x.signatureType === 5 && !x.wantErr) as VerifyCase;
    const verifier = parseVerifierKey(c.logVkey);
    assert.equal(verifier.type, 5);
    assert.notEqual(verifier.keyId, keyIdFor(verifier.name, 5, new Uint8Array(0)));
  });
});

describeVectors("checkpoint inclusion (Rekor v2 entries)", () => {
  it("verifies both entries against their signed checkpoints", () => {
    assert.equal(data().inclusion.length, 2);
    for (const c of data().inclusion) {
      const { checkpoint } = verifyCheckpoint(c.checkpoint, {
        logVerifier: parseVerifierKey(c.logVkey),
        origin: c.checkpoint.slice(0, c.checkpoint.indexOf("\n")),
      });
      assert.equal(checkpoint.size.toString(), c.treeSize);
      assert.equal(toB64(checkpoint.rootHash), c.rootHash);
      const leaf = hashLeaf(b64(c.entryBase64));
      assert.equal(toB64(leaf), c.leafHashBase64);
      verifyInclusion(BigInt(c.index), checkpoint.size, leaf, c.proof.map(b64), checkpoint.rootHash);
      assert.throws(
        () => verifyInclusion(BigInt(c.index) - 1n, checkpoint.size, leaf, c.proof.map(b64), checkpoint.rootHash),
        {
          code: TLOG_ERRORS.BAD_PROOF,
        },
      );
    }
  });
});

describe("checkpoint consistency", () => {
  const leaves = Array.from({ length: 10 }, (_, i) => hashLeaf(new Uint8Array([i])));
  const tree = new MemoryTree(leaves);
  const cp = (size: number, origin = "example.com/log") => ({
    origin,
    size: BigInt(size),
    rootHash: tree.root(size),
    extensionLines: [],
  });

  it("accepts a growing log, the empty tree as the old one, and an unchanged checkpoint", () => {
    verifyCheckpointConsistency(cp(3), cp(10), tree.consistencyProof(3, 10));
    verifyCheckpointConsistency(cp(0), cp(10), []);
    verifyCheckpointConsistency(cp(10), cp(10), []);
  });

  it("rejects a fork, a shrinking log, another origin, and a proof from the empty tree", () => {
    const forked = { ...cp(10), rootHash: tree.root(9) };
    assert.throws(() => verifyCheckpointConsistency(cp(3), forked, tree.consistencyProof(3, 10)), {
      code: TLOG_ERRORS.BAD_PROOF,
    });
    assert.throws(() => verifyCheckpointConsistency(cp(10), cp(3), []), { code: TLOG_ERRORS.BAD_PROOF });
    assert.throws(() => verifyCheckpointConsistency(cp(3), cp(10, "other"), tree.consistencyProof(3, 10)), {
      code: TLOG_ERRORS.BAD_CHECKPOINT,
    });
    assert.throws(() => verifyCheckpointConsistency(cp(0), cp(10), [tree.root(1)]), { code: TLOG_ERRORS.BAD_PROOF });
    assert.throws(() => verifyCheckpointConsistency(cp(10), { ...cp(10), rootHash: tree.root(9) }, []), {
      code: TLOG_ERRORS.BAD_PROOF,
    });
  });
});
