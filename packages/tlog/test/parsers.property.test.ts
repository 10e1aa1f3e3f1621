/**
 * Property tests of every parser of untrusted log data: whatever the input, the result is
 * a value or a TlogError with a stable code, never another exception. Plus round-trips of
 * generated values through their text forms.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  encodeEntryBundle,
  entryBundlePath,
  formatCheckpoint,
  MemoryTree,
  marshalTlogProof,
  openNote,
  parseCheckpoint,
  parseCosignatureLine,
  parseCosignatureVerifierKey,
  parseCosignerKey,
  parseEntryBundle,
  parseSignerKey,
  parseTile,
  parseTilePath,
  parseTlogProof,
  parseVerifierKey,
  parseWitnessPolicy,
  rootFromInclusionProof,
  signNote,
  TLOG_ERRORS,
  TlogError,
  tilePath,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
  verifySubtreeConsistency,
  verifySubtreeInclusion,
  verifyTlogProof,
} from "../src/index.js";

const RUNS = 400;
const CODES = new Set<string>(Object.values(TLOG_ERRORS));

/** Runs `fn`: a TlogError with a known code is an accepted outcome; anything else thrown fails. */
function valueOrTlogError<T>(fn: () => T): { value: T } | { error: TlogError } {
  try {
    return { value: fn() };
  } catch (e) {
    if (e instanceof TlogError && CODES.has(e.code)) return { error: e };
    const what = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
    throw new assert.AssertionError({ message: `escaped a non-TlogError exception: ${what}` });
  }
}

const PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const WIT_SKEY = "PRIVATE+KEY+Wit1+55ee4561+AeadRiG7XM4XiieCHzD8lxysXMwcViy5nYsoXURWGrlE";
const NOTE =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const CHECKPOINT_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
const COSIG_LINE =
  "\u2014 Wit1 mz+y1QAAAABkGFDLM1oW1Cge43o711GHdmI8QPG1MhuOkQO1kJrg6IUc0qRplRuA9XSmt/d3Y7NujslnO7vHC5/XpLwYsn8xvJ8eAQ==";
const PROOF =
  "c2sp.org/tlog-proof@v1\nextra ZXh0cmEgaW5mb3JtYXRpb24=\nindex 10\nrzFuy5Go7nrpkhBwKy1HWPMM3eO/YePY54fXRoH5Cm4=\n\ncheckpoint data\n";
const POLICY =
  "witness w1 sigsum.org+e4ade967+AZuUY6B08pW3QVHu8uvsrxWPcAv9nykap2Nb4oxCee+r https://sigsum.org/witness/\nwitness w2 example.com+3753d3de+AebBhMcghIUoavZpjuDofa4sW6fYHyVn7gvwDBfvkvuM\ngroup g1 all w1 w2\nquorum g1\n";

/** Arbitrary text: any code units (lone surrogates included), or a mutation of a valid sample. */
function textNear(...samples: string[]): fc.Arbitrary<string> {
  const edit = fc
    .tuple(fc.constantFrom(...samples), fc.nat(), fc.nat(8), fc.string({ unit: "binary", maxLength: 6 }))
    .map(([s, at, cut, insert]) => {
      const i = at % (s.length + 1);
      return s.slice(0, i) + insert + s.slice(i + cut);
    });
  return fc.oneof(
    edit,
    edit,
    fc.string({ unit: "binary" }),
    fc.string({ unit: fc.constantFrom("\n", "\u2014", " ", "+", "a", "0", "=") }),
  );
}

/** Arbitrary bytes: random, or a valid sample's bytes with some flipped. */
function bytesNear(...samples: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const flip = fc
    .tuple(
      fc.constantFrom(...samples),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
    )
    .map(([s, flips]) => {
      const out = new Uint8Array(s);
      for (const [at, x] of flips) if (out.length > 0) out[at % out.length] = (out[at % out.length] as number) ^ x;
      return out;
    });
  return fc.oneof(flip, fc.uint8Array({ maxLength: 600 }));
}

const enc = (s: string) => new TextEncoder().encode(s);

describe("parsers never throw anything but a TlogError", () => {
  it("openNote (strings and bytes)", () => {
    const verifiers = [parseVerifierKey(PETER_VKEY)];
    fc.assert(
      fc.property(textNear(NOTE, `${CHECKPOINT_BODY}\n${COSIG_LINE}\n`), (s) => {
        valueOrTlogError(() => openNote(s, verifiers));
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(bytesNear(enc(NOTE)), (b) => {
        valueOrTlogError(() => openNote(b, verifiers));
      }),
      { numRuns: RUNS },
    );
  });

  it("parseVerifierKey, parseCosignatureVerifierKey, parseSignerKey, parseCosignerKey", () => {
    fc.assert(
      fc.property(textNear(PETER_VKEY, "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"), (s) => {
        valueOrTlogError(() => parseVerifierKey(s));
        valueOrTlogError(() => parseCosignatureVerifierKey(s));
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(textNear(PETER_SKEY, WIT_SKEY), (s) => {
        valueOrTlogError(() => parseSignerKey(s));
        valueOrTlogError(() => parseCosignerKey(s));
      }),
      { numRuns: RUNS },
    );
  });

  it("parseCheckpoint and verifyCheckpoint", () => {
    const logVerifier = parseVerifierKey(PETER_VKEY);
    fc.assert(
      fc.property(textNear(CHECKPOINT_BODY, `${CHECKPOINT_BODY}ext\n`), (s) => {
        valueOrTlogError(() => parseCheckpoint(s));
        valueOrTlogError(() => parseCheckpoint(s, { anyRootHashSize: true }));
        valueOrTlogError(() => verifyCheckpoint(s, { logVerifier, origin: "x" }));
      }),
      { numRuns: RUNS },
    );
  });

  it("parseCosignatureLine", () => {
    fc.assert(
      fc.property(textNear(COSIG_LINE), (s) => {
        valueOrTlogError(() => parseCosignatureLine(s));
      }),
      { numRuns: RUNS },
    );
  });

  it("parseTilePath", () => {
    fc.assert(
      fc.property(textNear("tile/0/x001/x234/067.p/8", "tile/entries/000", "tile/63/x999/999.p/255"), (s) => {
        valueOrTlogError(() => parseTilePath(s));
      }),
      { numRuns: RUNS },
    );
  });

  it("parseTile and parseEntryBundle", () => {
    fc.assert(
      fc.property(
        bytesNear(encodeEntryBundle([enc("one"), enc("two")]), new Uint8Array(64)),
        fc.integer({ min: -2, max: 300 }),
        (b, w) => {
          valueOrTlogError(() => parseTile(b, w));
          valueOrTlogError(() => parseEntryBundle(b));
          valueOrTlogError(() => parseEntryBundle(b, w));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("parseTlogProof and verifyTlogProof", () => {
    const logVerifier = parseVerifierKey(PETER_VKEY);
    fc.assert(
      fc.property(textNear(PROOF, `c2sp.org/tlog-proof@v1\nindex 0\n\n${NOTE}`), (s) => {
        valueOrTlogError(() => parseTlogProof(s));
        valueOrTlogError(() => parseTlogProof(enc(s)));
        valueOrTlogError(() => verifyTlogProof(s, enc("entry"), { logVerifier, origin: "x", witnessThreshold: 1 }));
      }),
      { numRuns: RUNS },
    );
  });

  it("parseWitnessPolicy", () => {
    fc.assert(
      fc.property(textNear(POLICY, "quorum none\n", "witness a b\ngroup g any a\nquorum g"), (s) => {
        valueOrTlogError(() => parseWitnessPolicy(s));
      }),
      { numRuns: RUNS },
    );
  });

  it("verifyInclusion and verifyConsistency on arbitrary sizes and hashes", () => {
    const hash = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 }));
    const size = fc.oneof(fc.bigInt({ min: -2n, max: 1n << 65n }), fc.bigInt({ min: 0n, max: 70n }));
    fc.assert(
      fc.property(size, size, hash, hash, fc.array(hash, { maxLength: 70 }), (a, b, h1, h2, proof) => {
        valueOrTlogError(() => verifyInclusion(a, b, h1, proof, h2));
        valueOrTlogError(() => rootFromInclusionProof(a, b, h1, proof));
        valueOrTlogError(() => verifyConsistency(a, b, proof, h1, h2));
        valueOrTlogError(() => verifySubtreeConsistency(a, b, a + b, proof, h1, h2));
        valueOrTlogError(() => verifySubtreeInclusion(a, a, b, h1, proof, h2));
      }),
      { numRuns: RUNS },
    );
  });
});

describe("round trips", () => {
  it("checkpoint text", () => {
    const line = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes("\n"));
    fc.assert(
      fc.property(
        line,
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(line, { maxLength: 3 }),
        (origin, size, rootHash, extensionLines) => {
          const cp = { origin, size, rootHash, extensionLines };
          assert.deepEqual(parseCheckpoint(formatCheckpoint(cp)), cp);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("tile paths", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 63 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.integer({ min: 1, max: 256 }),
        (level, index, width) => {
          assert.deepEqual(parseTilePath(tilePath(level, index, width)), { kind: "tile", level, index, width });
          assert.deepEqual(parseTilePath(entryBundlePath(index, width)), { kind: "entries", index, width });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("entry bundles", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 256 }), (entries) => {
        assert.deepEqual(parseEntryBundle(encodeEntryBundle(entries), entries.length), entries);
      }),
      { numRuns: 100 },
    );
  });

  it("tlog proofs", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 64 }),
        fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
        fc.string({ minLength: 1 }).filter((s) => s.isWellFormed()),
        (index, hashes, extra, checkpoint) => {
          const proof = extra === undefined ? { index, hashes, checkpoint } : { index, hashes, checkpoint, extra };
          assert.deepEqual(parseTlogProof(marshalTlogProof(proof)), proof);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("signed notes, and generated proofs verify", async () => {
    const signer = parseSignerKey(PETER_SKEY);
    const verifier = parseVerifierKey(PETER_VKEY);
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: "grapheme" }).filter((s) => [...s].every((c) => c === "\n" || c.charCodeAt(0) >= 0x20)),
        async (body) => {
          const text = `${body}\n`;
          assert.equal(openNote(await signNote(text, [signer]), [verifier]).text, text);
        },
      ),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 60 }),
        fc.nat(),
        fc.nat(),
        (leaves, a, b) => {
          const tree = new MemoryTree(leaves);
          const n = leaves.length;
          const i = a % n;
          verifyInclusion(i, n, leaves[i] as Uint8Array, tree.inclusionProof(i), tree.root());
          const m = (b % n) + 1;
          verifyConsistency(m, n, m === n ? [] : tree.consistencyProof(m), tree.root(m), tree.root());
        },
      ),
      { numRuns: RUNS },
    );
  });
});
