/**
 * c2sp.org/tlog-cosignature (cosignature/v1, Ed25519, type 0x04) against
 * ../shared/vectors/checkpoints/cosignatures.json, and witness policies against
 * witness-policy.json.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { describeVectors, readVectorJson, SKIP_VECTORS, toHex } from "@bulwark/testkit";
import {
  CosignatureV1Verifier,
  cosignatureMessage,
  isSatisfied,
  type NoteVerifier,
  openNote,
  type PolicyComponent,
  parseCosignatureLine,
  parseCosignatureVerifierKey,
  parseCosignerKey,
  parseVerifierKey,
  parseWitnessPolicy,
  policyVerifiers,
  signNote,
  TLOG_ERRORS,
  TlogError,
  UnverifiedNoteError,
  witness,
  witnessGroup,
} from "../src/index.js";

const skip = SKIP_VECTORS;
const hex8 = (n: number) => n.toString(16).padStart(8, "0");

interface Cosignatures {
  keys: { id: string; skey: string; ed25519Vkey: string; cosignatureVkey: string; cosignatureKeyId: string }[];
  messages: { desc: string; checkpointBody: string; timestamp: string; wantMessage: string; wantMessageHex: string }[];
  lines: {
    desc: string;
    line: string;
    want: { name?: string; keyId?: string; timestamp?: string; signatureBytes?: number; error?: string };
  }[];
  verify: {
    desc: string;
    checkpointBody: string;
    line: string;
    vkey: string;
    want: { valid: boolean; timestamp?: string };
  }[];
  sign: {
    desc: string;
    skey: string;
    cosignatureVkey: string;
    checkpointBody: string;
    timestamp: string;
    wantLine: string;
  }[];
}

const v = skip ? undefined : readVectorJson<Cosignatures>("checkpoints", "cosignatures.json");
const data = () => v as Cosignatures;

describeVectors("cosignature/v1", () => {
  it("builds the exact signed messages (3 cases; a timestamp beyond 2^53 stays exact)", () => {
    assert.equal(data().messages.length, 3);
    for (const c of data().messages) {
      const message = cosignatureMessage(c.checkpointBody, BigInt(c.timestamp));
      assert.equal(Buffer.from(message).toString("utf8"), c.wantMessage, c.desc);
      assert.equal(toHex(message), c.wantMessageHex, c.desc);
    }
  });

  it("decodes cosignature lines and refuses a plain 68-byte signature (4 cases)", () => {
    assert.equal(data().lines.length, 4);
    for (const c of data().lines) {
      if (c.want.error !== undefined) {
        assert.throws(
          () => parseCosignatureLine(c.line),
          (e: unknown) => e instanceof TlogError && e.code === TLOG_ERRORS.BAD_COSIGNATURE,
          c.desc,
        );
        continue;
      }
      const got = parseCosignatureLine(c.line);
      assert.equal(got.name, c.want.name, c.desc);
      assert.equal(hex8(got.keyId), c.want.keyId, c.desc);
      assert.equal(got.timestamp.toString(), c.want.timestamp, c.desc);
      assert.equal(got.signature.length, c.want.signatureBytes, c.desc);
    }
  });

  it("verifies the real witness cosignatures, and not on a changed checkpoint or under a 0x01 key (7 cases)", () => {
    assert.equal(data().verify.length, 7);
    for (const c of data().verify) {
      const verifier = parseVerifierKey(c.vkey);
      const cosignature = parseCosignatureLine(c.line);
      // As a note: the line must match the key's name and ID, then verify.
      const note = `${c.checkpointBody}\n${c.line}\n`;
      let valid: boolean;
      try {
        valid = openNote(note, [verifier]).sigs.length === 1;
      } catch (e) {
        if (!(e instanceof TlogError)) throw e;
        valid = false;
      }
      assert.equal(valid, c.want.valid, c.desc);
      if (verifier instanceof CosignatureV1Verifier) {
        assert.equal(verifier.verifyCosignature(c.checkpointBody, cosignature), c.want.valid, c.desc);
      } else {
        assert.equal(verifier.type, 1, c.desc);
      }
      if (c.want.timestamp !== undefined) assert.equal(cosignature.timestamp.toString(), c.want.timestamp);
    }
  });

  it("signs exactly the published lines with Wit1-3 (6 cases), from their 0x01 skeys", () => {
    assert.equal(data().sign.length, 6);
    for (const c of data().sign) {
      const signer = parseCosignerKey(c.skey);
      assert.equal(signer.verifier().vkey, c.cosignatureVkey);
      assert.equal(signer.cosignatureLine(c.checkpointBody, BigInt(c.timestamp)), c.wantLine, c.desc);
    }
  });

  it("signs through signNote with a fixed clock and verifies as a note", async () => {
    const c = data().sign[0] as Cosignatures["sign"][number];
    const signer = parseCosignerKey(c.skey, { clock: () => BigInt(c.timestamp) });
    const note = await signNote(c.checkpointBody, [signer]);
    assert.equal(note, `${c.checkpointBody}\n${c.wantLine}\n`);
    assert.equal(openNote(note, [parseVerifierKey(c.cosignatureVkey)]).sigs.length, 1);
  });

  it("converts a 0x01 witness key to its cosignature key as formats does", () => {
    for (const k of data().keys) {
      assert.equal(parseCosignatureVerifierKey(k.ed25519Vkey).vkey, k.cosignatureVkey);
      assert.equal(hex8(parseCosignatureVerifierKey(k.cosignatureVkey).keyId), k.cosignatureKeyId);
    }
  });

  it("rejects timestamps above 2^63-1", () => {
    const c = data().sign[0] as Cosignatures["sign"][number];
    const signer = parseCosignerKey(c.skey);
    assert.throws(() => signer.cosign(c.checkpointBody, 1n << 63n), { code: "TLOG_USAGE" });
    const line = parseCosignatureLine(c.wantLine);
    assert.equal(signer.verifier().verifyCosignature(c.checkpointBody, { ...line, timestamp: 1n << 63n }), false);
  });
});

interface Policies {
  witnesses: Record<string, string>;
  policies: {
    desc: string;
    policy: string;
    want?: { quorum: string; threshold: number; components: number };
    wantErr?: boolean;
    errorContains?: string;
  }[];
  groups: { desc: string; group: GroupJson; note: string; signers: string[]; wantSatisfied: boolean }[];
}
type GroupJson = { threshold: number; members: (string | GroupJson)[] };

const p = skip ? undefined : readVectorJson<Policies>("checkpoints", "witness-policy.json");
const policies = () => p as Policies;

describeVectors("witness policies", () => {
  it("parses the 11 policy texts, or fails with the expected reason", () => {
    assert.equal(policies().policies.length, 11);
    for (const c of policies().policies) {
      if (c.wantErr) {
        assert.throws(
          () => parseWitnessPolicy(c.policy),
          (e: unknown) =>
            e instanceof TlogError && e.code === TLOG_ERRORS.BAD_POLICY && e.message.includes(c.errorContains ?? ""),
          c.desc,
        );
        continue;
      }
      const want = c.want as NonNullable<Policies["policies"][number]["want"]>;
      const policy = parseWitnessPolicy(c.policy);
      assert.equal(policy.quorum.threshold, want.threshold, c.desc);
      assert.equal(policy.quorum.members.length, want.components, c.desc);
      assert.equal(policy.components.get(want.quorum), policy.quorum, c.desc);
    }
  });

  it("evaluates the 12 nested k-of-n groups against cosigned notes", () => {
    assert.equal(policies().groups.length, 12);
    const verifiers = new Map(
      Object.entries(policies().witnesses).map(([id, vkey]) => [id, parseCosignatureVerifierKey(vkey)]),
    );
    const build = (g: GroupJson): PolicyComponent =>
      witnessGroup(
        g.threshold,
        g.members.map((m) =>
          typeof m === "string" ? witness(m, verifiers.get(m) as CosignatureV1Verifier) : build(m),
        ),
      );
    for (const c of policies().groups) {
      const group = build(c.group);
      let cosigners: readonly NoteVerifier[] = [];
      if (!c.note.endsWith("\n\n")) {
        // A note with no signature line at all is malformed, so it has no cosigners.
        try {
          cosigners = openNote(c.note, policyVerifiers(group)).sigs.map((s) => s.verifier);
        } catch (e) {
          if (!(e instanceof UnverifiedNoteError)) throw e;
        }
      }
      assert.deepEqual(
        cosigners.map((x) => x.name),
        c.signers,
        c.desc,
      );
      assert.equal(isSatisfied(group, cosigners), c.wantSatisfied, c.desc);
    }
  });
});
