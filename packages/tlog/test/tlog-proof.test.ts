/**
 * c2sp.org/tlog-proof@v1 against ../shared/vectors/tlog-proof/tlog-proof.json: exact
 * marshalling, every parse error, the spec example's framing, and end-to-end verification
 * (log signature and origin, witness cosignatures, inclusion of the entry).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { b64, describeVectors, readVectorJson, SKIP_VECTORS, toB64 } from "@bulwark/testkit";
import {
  hashLeaf,
  LogReader,
  LogWriter,
  MemoryStore,
  marshalTlogProof,
  parseCosignerKey,
  parseSignerKey,
  parseTlogProof,
  parseVerifierKey,
  parseWitnessPolicy,
  signNote,
  TLOG_ERRORS,
  TlogError,
  verifyTlogProof,
} from "../src/index.js";

const skip = SKIP_VECTORS;

interface Vectors {
  marshal: {
    desc: string;
    index: string;
    hashesBase64: string[];
    extraBase64?: string;
    checkpoint: string;
    want: string;
  }[];
  unmarshalErrors: {
    desc: string;
    proof?: string;
    proofGenerator?: { prefix: string; repeatChar: string; repeatCount: number; suffix: string };
  }[];
  specExample: {
    proof: string;
    want: { index: string; hashes: string[]; extraBase64: string; checkpoint: string };
  };
  endToEnd: {
    desc: string;
    proof: string;
    entryBase64: string;
    logVkey: string;
    origin: string;
    witnessVkeys: string[];
    witnessThreshold: number;
    want?: { index: string; treeSize: string; witnesses: number };
    wantErr?: boolean;
    why?: string;
  }[];
}

const v = skip ? undefined : readVectorJson<Vectors>("tlog-proof", "tlog-proof.json");
const data = () => v as Vectors;

describeVectors("tlog-proof@v1", () => {
  it("marshals exactly (3) and parses back", () => {
    assert.equal(data().marshal.length, 3);
    for (const c of data().marshal) {
      const proof = {
        index: BigInt(c.index),
        hashes: c.hashesBase64.map(b64),
        checkpoint: c.checkpoint,
        ...(c.extraBase64 === undefined ? {} : { extra: b64(c.extraBase64) }),
      };
      assert.equal(marshalTlogProof(proof), c.want, c.desc);
      assert.deepEqual(parseTlogProof(c.want), proof, c.desc);
      assert.deepEqual(parseTlogProof(new TextEncoder().encode(c.want)), proof, c.desc);
    }
  });

  it("rejects all 8 malformed proofs", () => {
    assert.equal(data().unmarshalErrors.length, 8);
    for (const c of data().unmarshalErrors) {
      const g = c.proofGenerator;
      const text = c.proof ?? `${g?.prefix}${g?.repeatChar.repeat(g.repeatCount)}${g?.suffix}`;
      assert.throws(
        () => parseTlogProof(text),
        (e: unknown) => e instanceof TlogError && e.code === TLOG_ERRORS.MALFORMED_PROOF,
        c.desc,
      );
    }
  });

  it("parses the framing of the spec example", () => {
    const { proof, want } = data().specExample;
    const got = parseTlogProof(proof);
    assert.equal(got.index.toString(), want.index);
    assert.deepEqual(got.hashes.map(toB64), want.hashes);
    assert.equal(toB64(got.extra as Uint8Array), want.extraBase64);
    assert.equal(got.checkpoint, want.checkpoint);
  });

  it("verifies the 9 end-to-end proofs exactly when they are valid", () => {
    assert.equal(data().endToEnd.length, 9);
    const codes: Record<string, string> = {
      "only 2 of required 3 witnesses": TLOG_ERRORS.WITNESS_QUORUM,
      "root mismatch": TLOG_ERRORS.BAD_PROOF,
      "note: unverified": TLOG_ERRORS.UNVERIFIED,
    };
    for (const c of data().endToEnd) {
      const run = () =>
        verifyTlogProof(c.proof, b64(c.entryBase64), {
          logVerifier: parseVerifierKey(c.logVkey),
          origin: c.origin,
          witnesses: c.witnessVkeys.map(parseVerifierKey),
          witnessThreshold: c.witnessThreshold,
        });
      if (c.wantErr) {
        assert.throws(run, (e: unknown) => e instanceof TlogError && e.code === codes[c.why as string], c.desc);
        continue;
      }
      const got = run();
      const want = c.want as NonNullable<Vectors["endToEnd"][number]["want"]>;
      assert.equal(got.proof.index.toString(), want.index, c.desc);
      assert.equal(got.checkpoint.checkpoint.size.toString(), want.treeSize, c.desc);
      assert.equal(got.checkpoint.cosignatures.length, want.witnesses, c.desc);
    }
  });

  it("verifies against a witness policy instead of a count", () => {
    const c = data().endToEnd[0] as Vectors["endToEnd"][number];
    const [w1, w2, w3] = c.witnessVkeys;
    const policy = (quorum: string) =>
      parseWitnessPolicy(
        `witness a ${w1}\nwitness b ${w2}\nwitness c ${w3}\ngroup ab all a b\ngroup abc all a b c\nquorum ${quorum}\n`,
      ).quorum;
    const options = { logVerifier: parseVerifierKey(c.logVkey), origin: c.origin };
    verifyTlogProof(c.proof, b64(c.entryBase64), { ...options, policy: policy("ab") });
    assert.throws(() => verifyTlogProof(c.proof, b64(c.entryBase64), { ...options, policy: policy("abc") }), {
      code: TLOG_ERRORS.WITNESS_QUORUM,
    });
  });
});

describe("tlog-proof from a tiled log", () => {
  it("writes a log, cosigns its checkpoint, and makes a proof that verifies offline", async () => {
    const skey = "PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg";
    const vkey = "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";
    const origin = "example.com/log/testdata";
    const store = new MemoryStore();
    const writer = await LogWriter.create(store, {
      origin,
      signer: parseSignerKey(skey),
      verifier: parseVerifierKey(vkey),
    });
    const entries = Array.from({ length: 1000 }, (_, i) => new TextEncoder().encode(`release ${i}`));
    await writer.append(entries);
    const witness = parseCosignerKey("PRIVATE+KEY+Wit1+55ee4561+AeadRiG7XM4XiieCHzD8lxysXMwcViy5nYsoXURWGrlE");
    const reader = new LogReader(store, { origin, logVerifier: parseVerifierKey(vkey) });
    const verified = await reader.checkpoint();
    const cosigned = await signNote(verified.note, [witness]);
    const index = 777n;
    const entry = entries[777] as Uint8Array;
    const hashes = await reader.inclusionProof(verified.checkpoint, index, hashLeaf(entry));
    const text = marshalTlogProof({ index, hashes, checkpoint: cosigned });
    const ok = verifyTlogProof(text, entry, {
      logVerifier: parseVerifierKey(vkey),
      origin,
      witnesses: [witness.verifier()],
      witnessThreshold: 1,
    });
    assert.equal(ok.checkpoint.cosignatures[0]?.name, "Wit1");
    assert.throws(
      () =>
        verifyTlogProof(text, entries[776] as Uint8Array, {
          logVerifier: parseVerifierKey(vkey),
          origin,
        }),
      { code: TLOG_ERRORS.BAD_PROOF },
    );
  });
});
