/**
 * DSSE envelopes made here: signing and verifying with every TUF scheme, distinct-key
 * counting, strict parsing of untrusted bytes with named limits, and base64 rules.
 */
import assert from "node:assert/strict";
import { sign as cryptoSign, generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { Key, keyFromKeyObject, PrivateKeySigner, type SignatureScheme, type Signer, UsageError } from "@bulwark/tuf";
import {
  AttestError,
  decodeBase64,
  ENVELOPE_LIMITS,
  encodeBase64,
  envelopeToJSON,
  pae,
  parseEnvelope,
  serializeEnvelope,
  signEnvelope,
  verifiedKeyIds,
  verifyEnvelope,
} from "../src/index.js";
import { assertCode } from "./helpers.js";

const TYPE = "application/vnd.example+json";
const PAYLOAD = Buffer.from('{"hello":"world"}');

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

describe("signEnvelope and verifyEnvelope", () => {
  const schemes: SignatureScheme[] = ["ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "rsassa-pss-sha256"];
  for (const scheme of schemes) {
    it(`signs and verifies with ${scheme}`, async () => {
      const signer = PrivateKeySigner.generate(scheme);
      const envelope = parseEnvelope(serializeEnvelope(await signEnvelope(TYPE, PAYLOAD, [signer])));
      assert.equal(envelope.signatures[0]?.keyid, signer.keyId);
      const verified = verifyEnvelope(envelope, new Map([[signer.keyId, signer.publicKey]]), 1);
      assert.deepEqual(verified.keyIds, [signer.keyId]);
      assert.deepEqual(Buffer.from(verified.payload), PAYLOAD);
    });
  }

  it("accepts ECDSA signatures in raw r||s (IEEE P1363) as well as DER", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const publicKey = keyFromKeyObject(privateKey, "ecdsa-sha2-nistp256");
    const raw = cryptoSign("sha256", pae(TYPE, PAYLOAD), { key: privateKey, dsaEncoding: "ieee-p1363" });
    const der = cryptoSign("sha256", pae(TYPE, PAYLOAD), privateKey);
    assert.equal(raw.length, 64);
    for (const sig of [raw, der]) {
      const envelope = { payloadType: TYPE, payload: PAYLOAD, signatures: [{ sig }] };
      assert.deepEqual(verifiedKeyIds(envelope, new Map([["k", publicKey]])), ["k"]);
    }
  });

  it("counts one key listed under two key IDs once", async () => {
    const signer = PrivateKeySigner.generate();
    const envelope = await signEnvelope(TYPE, PAYLOAD, [signer, signer]);
    const keys = new Map([
      ["first", signer.publicKey],
      ["second", new Key("ed25519", "ed25519", { public: signer.publicKey.publicValue })],
    ]);
    assert.deepEqual(verifiedKeyIds(envelope, keys), ["first"]);
    assertCode(() => verifyEnvelope(envelope, keys, 2), "ATTEST_UNSIGNED", AttestError);
  });

  it("tries every trusted key when the keyid hint is wrong or absent", async () => {
    const a = PrivateKeySigner.generate();
    const b = PrivateKeySigner.generate();
    const envelope = await signEnvelope(TYPE, PAYLOAD, [a, b]);
    const swapped = {
      ...envelope,
      signatures: envelope.signatures.map((s, i) => ({ keyid: i === 0 ? b.keyId : a.keyId, sig: s.sig })),
    };
    const keys = new Map([
      [a.keyId, a.publicKey],
      [b.keyId, b.publicKey],
    ]);
    assert.deepEqual(verifyEnvelope(swapped, keys, 2).keyIds, [a.keyId, b.keyId]);
    const anonymous = { ...envelope, signatures: envelope.signatures.map((s) => ({ sig: s.sig })) };
    assert.equal(verifyEnvelope(anonymous, keys, 2).keyIds.length, 2);
  });

  it("skips an unusable trusted key instead of failing", async () => {
    const signer = PrivateKeySigner.generate();
    const envelope = await signEnvelope(TYPE, PAYLOAD, [signer]);
    const keys = new Map([
      ["broken", new Key("ed25519", "ed25519", { public: "zz" })],
      ["unknown", new Key("sphincs", "sphincs-plus", { public: "00" })],
      ["good", signer.publicKey],
    ]);
    assert.deepEqual(verifyEnvelope(envelope, keys, 1).keyIds, ["good"]);
  });

  it("rejects a threshold below 1 as a usage error", async () => {
    const signer = PrivateKeySigner.generate();
    const envelope = await signEnvelope(TYPE, PAYLOAD, [signer]);
    for (const threshold of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => verifyEnvelope(envelope, new Map([["k", signer.publicKey]]), threshold), UsageError);
    }
  });

  it("refuses to sign with no signers", async () => {
    await assert.rejects(signEnvelope(TYPE, PAYLOAD, []), UsageError);
  });

  it("wraps a signer that throws, and refuses a signature its own key does not verify", async () => {
    const real = PrivateKeySigner.generate();
    const throwing: Signer = {
      keyId: "kms",
      publicKey: real.publicKey,
      sign: async () => {
        throw new Error("KMS unavailable");
      },
    };
    await assert.rejects(signEnvelope(TYPE, PAYLOAD, [throwing]), (e: unknown) => {
      assert.ok(e instanceof AttestError);
      assert.equal(e.code, "ATTEST_SIGNER_FAILED");
      return true;
    });
    const wrong: Signer = { keyId: "kms", publicKey: real.publicKey, sign: async () => new Uint8Array(64) };
    await assert.rejects(signEnvelope(TYPE, PAYLOAD, [wrong]), (e: unknown) => {
      assert.ok(e instanceof AttestError);
      assert.equal(e.code, "ATTEST_SIGNER_FAILED");
      return true;
    });
  });
});

describe("parseEnvelope of untrusted bytes", () => {
  const good = { payload: "e30=", payloadType: TYPE, signatures: [{ keyid: "k", sig: "AAAA" }] };

  const rejects: Array<[string, unknown]> = [
    ["an array", []],
    ["null", null],
    ["a missing payloadType", { payload: "e30=", signatures: [] }],
    ["a numeric payloadType", { ...good, payloadType: 1 }],
    ["a payloadType with a lone surrogate", { ...good, payloadType: "a\uDC00" }],
    ["a missing payload", { payloadType: TYPE, signatures: [] }],
    ["a payload that is not base64", { ...good, payload: "e30=!" }],
    ["a payload mixing both base64 alphabets", { ...good, payload: "ab+_" }],
    ["a payload with excess padding", { ...good, payload: "e30==" }],
    ["signatures that is not an array", { ...good, signatures: {} }],
    ["a signature that is not an object", { ...good, signatures: ["AAAA"] }],
    ["a signature without sig", { ...good, signatures: [{ keyid: "k" }] }],
    ["a sig that is not base64", { ...good, signatures: [{ sig: "%%%%" }] }],
    ["a numeric keyid", { ...good, signatures: [{ keyid: 7, sig: "AAAA" }] }],
    ["a null keyid", { ...good, signatures: [{ keyid: null, sig: "AAAA" }] }],
  ];
  for (const [what, value] of rejects) {
    it(`rejects ${what} (ATTEST_BAD_ENVELOPE)`, () => {
      assertCode(() => parseEnvelope(json(value)), "ATTEST_BAD_ENVELOPE", AttestError);
    });
  }

  it("rejects bytes that are not JSON or not UTF-8", () => {
    for (const bytes of [Buffer.from("{"), Buffer.from([0xff, 0xfe]), Buffer.alloc(0)]) {
      assertCode(() => parseEnvelope(bytes), "ATTEST_BAD_ENVELOPE", AttestError);
    }
  });

  it(`rejects an envelope over ENVELOPE_LIMITS.maxBytes (${ENVELOPE_LIMITS.maxBytes}) before parsing it`, () => {
    const big = Buffer.alloc(ENVELOPE_LIMITS.maxBytes + 1, 0x20);
    assertCode(() => parseEnvelope(big), "ATTEST_TOO_LARGE", AttestError);
    assertCode(() => parseEnvelope(json(good), { maxBytes: 10 }), "ATTEST_TOO_LARGE", AttestError);
  });

  it(`rejects more than ENVELOPE_LIMITS.maxSignatures (${ENVELOPE_LIMITS.maxSignatures}) signatures`, () => {
    const many = {
      ...good,
      signatures: Array.from({ length: ENVELOPE_LIMITS.maxSignatures + 1 }, () => ({ sig: "" })),
    };
    assertCode(() => parseEnvelope(json(many)), "ATTEST_BAD_ENVELOPE", AttestError);
    assert.equal(parseEnvelope(json(many), { maxSignatures: 1000 }).signatures.length, 65);
  });

  it("ignores unknown fields and keeps an absent keyid absent", () => {
    const envelope = parseEnvelope(json({ ...good, extra: 1, signatures: [{ sig: "AAAA", note: "x" }] }));
    assert.deepEqual(envelope.signatures, [{ sig: Buffer.from([0, 0, 0]) }]);
    assert.deepEqual(envelopeToJSON(envelope), { payload: "e30=", payloadType: TYPE, signatures: [{ sig: "AAAA" }] });
  });

  it("accepts an empty payload and an empty signature list (verification then fails)", () => {
    const envelope = parseEnvelope(json({ payload: "", payloadType: "", signatures: [] }));
    assert.equal(envelope.payload.length, 0);
    assertCode(() => verifyEnvelope(envelope, new Map(), 1), "ATTEST_UNSIGNED", AttestError);
  });
});

describe("DSSE base64", () => {
  const cases: Array<[string, string | undefined]> = [
    ["", ""],
    ["QQ==", "41"],
    ["QQ", "41"],
    ["QUI=", "4142"],
    ["QUI", "4142"],
    ["QUJD", "414243"],
    ["-_8", "fbff"],
    ["+/8=", "fbff"],
    ["+/8", "fbff"],
    ["Q", undefined],
    ["QUJD=", undefined],
    ["QQ=", undefined],
    ["Q===", undefined],
    ["QQ==QQ==", undefined],
    ["Q Q=", undefined],
    ["+_8=", undefined],
    ["QQ\n", undefined],
  ];
  for (const [text, hex] of cases) {
    it(`${JSON.stringify(text)} → ${hex === undefined ? "rejected" : hex}`, () => {
      assert.equal(decodeBase64(text)?.toString("hex"), hex);
    });
  }

  it("writes standard base64 with padding", () => {
    assert.equal(encodeBase64(Buffer.from([0xfb, 0xff])), "+/8=");
    assert.equal(encodeBase64(new Uint8Array(Buffer.from("abcdef").subarray(1, 3))), "YmM=");
  });
});
