/**
 * Keys and signers: the python-tuf test keystore against the repository it signed,
 * generated keys for every scheme, and threshold counting (distinct keys only).
 */
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { describeVectors, readVectorJson, SKIP_VECTORS, vectorPath } from "@bulwark/testkit";
import {
  BulwarkError,
  type JsonValue,
  Key,
  Metadata,
  MetadataFormatError,
  PrivateKeySigner,
  Role,
  Root,
  Signature,
  type SignatureScheme,
  SUPPORTED_SCHEMES,
  Timestamp,
  type TopLevelRoleName,
  UnsignedMetadataError,
  UnsupportedAlgorithmError,
  UsageError,
} from "../src/index.js";

const REPO = "python-tuf/repository_data";

interface KeystoreChecks {
  results: {
    "python-tuf repository_data": { keystore: Record<string, string>; keyidsEqualSha256OfCanonicalKey: boolean };
    "python-tuf generated_data ed25519": { keyidsEqualSha256OfCanonicalKey: boolean };
    "sigstore-root-signing": { keyidsNotEqualToSha256OfCanonicalKey: Record<string, string> };
  };
}

/** The role file each keystore key signs in repository/metadata. */
const SIGNS: Record<string, string[]> = {
  root_key: ["root.json"],
  timestamp_key: ["timestamp.json"],
  snapshot_key: ["snapshot.json"],
  targets_key: ["targets.json"],
  delegation_key: ["role1.json", "role2.json"],
};

function readMetadata(file: string): Metadata {
  return Metadata.fromBytes(readFileSync(vectorPath("tuf", REPO, "repository", "metadata", file)));
}

/** The public key python-tuf lists for `keyid`: in root, or in targets' delegations. */
function listedKey(keyid: string): Key {
  const root = readMetadata("root.json").signed as Root;
  const fromRoot = root.keys.get(keyid);
  if (fromRoot !== undefined) return fromRoot;
  const targets = readMetadata("targets.json").signed;
  assert.equal(targets.type, "targets");
  const fromTargets = targets.type === "targets" ? targets.delegations?.keys.get(keyid) : undefined;
  assert.ok(fromTargets !== undefined, `key ${keyid} is listed nowhere`);
  return fromTargets;
}

function spki(key: Key): string {
  return key.publicKey().export({ format: "der", type: "spki" }).toString("hex");
}

function flipBit(data: Uint8Array, bit = 0): Buffer {
  const out = Buffer.from(data);
  out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7));
  return out;
}

describe("python-tuf keystore (../shared/vectors/tuf/python-tuf/repository_data/keystore)", {
  skip: SKIP_VECTORS,
}, () => {
  const keystore = SKIP_VECTORS
    ? {}
    : readVectorJson<KeystoreChecks>("tuf", "checks.json").results["python-tuf repository_data"].keystore;

  for (const [file, keyid] of Object.entries(keystore)) {
    describe(file, () => {
      const pem = readFileSync(vectorPath("tuf", REPO, "keystore", file), "utf8");
      const scheme: SignatureScheme = file === "root_key" ? "rsassa-pss-sha256" : "ed25519";

      it(`is an unencrypted PKCS#8 ${scheme === "ed25519" ? "Ed25519" : "RSA"} key`, () => {
        assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
        assert.equal(createPrivateKey(pem).asymmetricKeyType, scheme === "ed25519" ? "ed25519" : "rsa");
      });

      it(`has the public key the repository lists under ${keyid.slice(0, 8)}…`, () => {
        const signer = PrivateKeySigner.fromPem(pem, scheme, undefined, keyid);
        const listed = listedKey(keyid);
        assert.equal(signer.keyId, keyid);
        assert.equal(listed.scheme, scheme);
        assert.equal(signer.publicKey.scheme, listed.scheme);
        assert.equal(signer.publicKey.keytype, listed.keytype);
        assert.equal(spki(signer.publicKey), spki(listed));
        if (scheme === "ed25519") assert.equal(signer.publicKey.publicValue, listed.publicValue);
      });

      it("signs data that the listed key verifies, and nothing else", () => {
        const signer = PrivateKeySigner.fromPem(pem, scheme, undefined, keyid);
        const listed = listedKey(keyid);
        const data = Buffer.from("bulwark keystore test");
        const sig = signer.signSync(data).toString("hex");
        assert.equal(listed.verify(data, sig), true);
        assert.equal(listed.verify(flipBit(data), sig), false);
        assert.equal(listed.verify(data, flipBit(Buffer.from(sig, "hex"), 9).toString("hex")), false);
      });

      it(`signed ${SIGNS[file]?.join(" and ")} in the repository`, async () => {
        const signer = PrivateKeySigner.fromPem(pem, scheme, undefined, keyid);
        for (const role of SIGNS[file] ?? []) {
          const md = readMetadata(role);
          const existing = md.signatures.get(keyid);
          assert.ok(existing !== undefined, `${role} has no signature by ${keyid}`);
          assert.equal(signer.publicKey.verify(md.signedBytes(), existing.sig), true, role);
          // Ed25519 is deterministic: re-signing reproduces the published signature exactly.
          if (scheme === "ed25519") assert.equal(signer.signSync(md.signedBytes()).toString("hex"), existing.sig, role);
          const copy = readMetadata(role);
          await copy.sign(signer);
          assert.equal(listedKey(keyid).verify(copy.signedBytes(), copy.signatures.get(keyid)?.sig ?? ""), true);
        }
      });
    });
  }

  it("refuses a PEM that is not a private key with a UsageError", () => {
    const publicPem = listedKey(keystore.root_key as string).publicValue;
    assert.throws(
      () => PrivateKeySigner.fromPem(publicPem, "rsassa-pss-sha256"),
      (e: unknown) => e instanceof UsageError && e.code === "KEY_UNREADABLE",
    );
  });
});

describeVectors("key IDs are opaque labels (checks.json)", () => {
  const results = SKIP_VECTORS ? undefined : readVectorJson<KeystoreChecks>("tuf", "checks.json").results;

  function keyIdMismatches(file: string, options = {}): number {
    const md = Metadata.fromBytes(readFileSync(vectorPath("tuf", file)), "root", options);
    return [...md.signed.keys].filter(([id, key]) => key.computeKeyId() !== id).length;
  }

  it("python-tuf repository_data: every key ID is SHA-256 of the canonical key", () => {
    assert.equal(results?.["python-tuf repository_data"].keyidsEqualSha256OfCanonicalKey, true);
    assert.equal(keyIdMismatches(`${REPO}/repository/metadata/root.json`), 0);
  });

  it("python-tuf generated_data: the key IDs are not content hashes, and still verify", () => {
    assert.equal(results?.["python-tuf generated_data ed25519"].keyidsEqualSha256OfCanonicalKey, false);
    const file = "python-tuf/generated_data/ed25519_metadata/root_with_ed25519.json";
    assert.equal(keyIdMismatches(file), 4);
    const root = Metadata.fromBytes(readFileSync(vectorPath("tuf", file)), "root");
    root.verifyDelegate("root", root);
  });

  it("sigstore v11: one of six key IDs is not SHA-256 of the canonical key", () => {
    assert.equal(results?.["sigstore-root-signing"].keyidsNotEqualToSha256OfCanonicalKey["11"], "1 of 6");
    assert.equal(keyIdMismatches("tuf-conformance/sigstore-root-signing/metadata/11.root.json"), 1);
  });
});

describe("generated keys sign and verify", () => {
  for (const scheme of Object.keys(SUPPORTED_SCHEMES) as SignatureScheme[]) {
    it(`${scheme}: sign, verify, and reject a flipped bit`, () => {
      const signer = PrivateKeySigner.generate(scheme);
      const data = Buffer.from(`signed by ${scheme}`);
      const sig = signer.signSync(data);
      const hex = sig.toString("hex");
      // The key as metadata carries it, read back from JSON.
      const key = Key.fromJSON(signer.publicKey.toJSON(), "key");
      assert.equal(key.scheme, scheme);
      assert.ok((SUPPORTED_SCHEMES[scheme] as readonly string[]).includes(key.keytype));
      assert.equal(key.verify(data, hex), true);
      assert.equal(key.verify(flipBit(data, 3), hex), false);
      assert.equal(key.verify(data, flipBit(sig, 8 * (sig.length - 1)).toString("hex")), false);
      assert.equal(key.verify(data, hex.slice(0, -2)), false);
      assert.equal(key.verify(data, ""), false);
      assert.equal(key.verify(data, "zz"), false);
      assert.equal(PrivateKeySigner.generate(scheme).publicKey.verify(data, hex), false);
      assert.equal(signer.keyId, signer.publicKey.computeKeyId());
    });
  }

  it("exports and re-imports a key with a passphrase", () => {
    const signer = PrivateKeySigner.generate("ed25519");
    const pem = signer.exportPem("correct horse");
    assert.match(pem, /ENCRYPTED PRIVATE KEY/);
    const again = PrivateKeySigner.fromPem(pem, "ed25519", "correct horse");
    assert.equal(again.publicKey.publicValue, signer.publicKey.publicValue);
    assert.throws(
      () => PrivateKeySigner.fromPem(pem, "ed25519", "wrong"),
      (e: unknown) => e instanceof UsageError && e.code === "KEY_UNREADABLE",
    );
  });

  it("refuses a key whose keytype does not fit its scheme, or an unknown scheme", () => {
    const ed = PrivateKeySigner.generate("ed25519").publicKey;
    for (const key of [
      new Key("rsa", "ed25519", ed.keyval),
      new Key("ed25519", "ed448", ed.keyval),
      new Key("ed25519", "ed25519", { public: "abcd" }),
      new Key("ecdsa", "ecdsa-sha2-nistp256", { public: "-----BEGIN PUBLIC KEY-----\nnot base64\n" }),
      new Key("ecdsa", "ecdsa-sha2-nistp384", PrivateKeySigner.generate("ecdsa-sha2-nistp256").publicKey.keyval),
    ]) {
      assert.throws(
        () => key.verify(Buffer.from("x"), "00"),
        (e: unknown) => e instanceof UnsupportedAlgorithmError && e.code === "TUF_UNSUPPORTED_ALGORITHM",
        `${key.keytype}/${key.scheme}`,
      );
    }
  });
});

/** A root whose `timestamp` role is signed by `keyids` (mapping to `keys`) with `threshold`. */
function rootWith(keys: Map<string, Key>, keyids: string[], threshold: number): Metadata<Root> {
  const roles = new Map<TopLevelRoleName, Role>([
    ["root", new Role([], 1)],
    ["timestamp", new Role(keyids, threshold)],
    ["snapshot", new Role([], 1)],
    ["targets", new Role([], 1)],
  ]);
  return new Metadata(new Root({ keys, roles }));
}

/** A timestamp carrying a signature by `signer` under each of `keyids`. */
function timestampSignedAs(signer: PrivateKeySigner, keyids: string[]): Metadata<Timestamp> {
  const md = new Metadata(new Timestamp({ version: 7 }));
  const sig = signer.signSync(md.signedBytes()).toString("hex");
  for (const id of keyids) md.signatures.set(id, new Signature(id, sig));
  return md;
}

function assertBelowThreshold(root: Metadata<Root>, md: Metadata): void {
  assert.throws(
    () => root.verifyDelegate("timestamp", md),
    (e: unknown) => e instanceof UnsignedMetadataError && e.code === "TUF_UNSIGNED_METADATA",
  );
}

describe("threshold counting (distinct keys only)", () => {
  const alice = PrivateKeySigner.generate("ed25519");
  const bob = PrivateKeySigner.generate("ed25519");

  it("counts two distinct keys towards a threshold of 2", () => {
    const root = rootWith(
      new Map([
        ["a", alice.publicKey],
        ["b", bob.publicKey],
      ]),
      ["a", "b"],
      2,
    );
    const md = timestampSignedAs(alice, ["a"]);
    md.signatures.set("b", new Signature("b", bob.signSync(md.signedBytes()).toString("hex")));
    const count = root.verifyDelegate("timestamp", md);
    assert.deepEqual(count, { threshold: 2, signed: ["a", "b"], unsigned: [], unusable: [] });
  });

  it("counts the same key listed under two key IDs once (threshold attack)", () => {
    const copy = Key.fromJSON(alice.publicKey.toJSON(), "copy");
    const root = rootWith(
      new Map([
        ["a", alice.publicKey],
        ["a-again", copy],
      ]),
      ["a", "a-again"],
      2,
    );
    const md = timestampSignedAs(alice, ["a", "a-again"]);
    const count = Metadata.countSignatures(root.signed.keys, root.signed.role("timestamp"), md);
    assert.equal(count.signed.length, 1);
    assertBelowThreshold(root, md);
  });

  it("counts one ECDSA key written as two different PEM texts once", () => {
    const ec = PrivateKeySigner.generate("ecdsa-sha2-nistp256");
    const crlf = ec.publicKey.publicValue.replace(/\n/g, "\r\n");
    assert.notEqual(crlf, ec.publicKey.publicValue);
    const root = rootWith(
      new Map([
        ["pem", ec.publicKey],
        ["pem-crlf", new Key(ec.publicKey.keytype, ec.publicKey.scheme, { public: crlf })],
      ]),
      ["pem", "pem-crlf"],
      2,
    );
    const md = timestampSignedAs(ec, ["pem", "pem-crlf"]);
    assert.equal(Metadata.countSignatures(root.signed.keys, root.signed.role("timestamp"), md).signed.length, 1);
    assertBelowThreshold(root, md);
  });

  it("counts a key ID the role lists twice once", () => {
    const root = rootWith(new Map([["a", alice.publicKey]]), ["a", "a"], 2);
    const md = timestampSignedAs(alice, ["a"]);
    assert.equal(Metadata.countSignatures(root.signed.keys, root.signed.role("timestamp"), md).signed.length, 1);
    assertBelowThreshold(root, md);
  });

  it("refuses metadata that lists two signatures under one key ID", () => {
    const md = timestampSignedAs(alice, ["a"]);
    const json = md.toJSON();
    const sigs = json.signatures as JsonValue[];
    json.signatures = [...sigs, ...sigs];
    assert.throws(
      () => Metadata.fromBytes(JSON.stringify(json)),
      (e: unknown) => e instanceof MetadataFormatError && e.code === "TUF_BAD_METADATA",
    );
  });

  it("ignores signatures by key IDs the role does not list", () => {
    const root = rootWith(
      new Map([
        ["a", alice.publicKey],
        ["b", bob.publicKey],
      ]),
      ["a"],
      1,
    );
    // bob is known to root (listed in keys) but not trusted for timestamp; "x" is unknown.
    const md = timestampSignedAs(bob, ["b", "x"]);
    const count = Metadata.countSignatures(root.signed.keys, root.signed.role("timestamp"), md);
    assert.deepEqual(count, { threshold: 1, signed: [], unsigned: ["a"], unusable: [] });
    assertBelowThreshold(root, md);
    // With a valid signature by the listed key, the others change nothing.
    md.signatures.set("a", new Signature("a", alice.signSync(md.signedBytes()).toString("hex")));
    assert.deepEqual(root.verifyDelegate("timestamp", md).signed, ["a"]);
  });

  it("ignores a key ID the role lists but root has no key for", () => {
    const root = rootWith(new Map([["a", alice.publicKey]]), ["a", "ghost"], 1);
    const md = timestampSignedAs(alice, ["a", "ghost"]);
    assert.deepEqual(root.verifyDelegate("timestamp", md), {
      threshold: 1,
      signed: ["a"],
      unsigned: ["ghost"],
      unusable: [],
    });
  });

  it("ignores empty, non-hex and truncated signature strings", () => {
    const root = rootWith(
      new Map([
        ["a", alice.publicKey],
        ["b", bob.publicKey],
      ]),
      ["a", "b"],
      1,
    );
    for (const bad of ["", "not hex", "abc", "00"]) {
      const md = timestampSignedAs(alice, []);
      md.signatures.set("a", new Signature("a", bad));
      const count = Metadata.countSignatures(root.signed.keys, root.signed.role("timestamp"), md);
      assert.deepEqual(count.signed, [], JSON.stringify(bad));
      assertBelowThreshold(root, md);
      // An empty slot next to a real signature (as Sigstore publishes) is no error.
      md.signatures.set("b", new Signature("b", bob.signSync(md.signedBytes()).toString("hex")));
      assert.deepEqual(root.verifyDelegate("timestamp", md).signed, ["b"]);
    }
  });

  it("ignores a signature over other bytes (a changed version)", () => {
    const root = rootWith(new Map([["a", alice.publicKey]]), ["a"], 1);
    const md = timestampSignedAs(alice, ["a"]);
    md.signed.version = 8;
    assertBelowThreshold(root, md);
  });

  it("counts a key this client cannot use as no signature, and still counts the others", () => {
    const hexPoint = new Key("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", { public: `04${"11".repeat(64)}` });
    const root = rootWith(
      new Map([
        ["hex", hexPoint],
        ["a", alice.publicKey],
      ]),
      ["hex", "a"],
      1,
    );
    const md = timestampSignedAs(alice, ["a"]);
    md.signatures.set("hex", new Signature("hex", "3045022100"));
    const count = root.verifyDelegate("timestamp", md);
    assert.deepEqual(
      { ...count, unusable: count.unusable.map((u) => u.keyid) },
      {
        threshold: 1,
        signed: ["a"],
        unsigned: ["hex"],
        unusable: ["hex"],
      },
    );
    assert.ok(count.unusable[0]?.error instanceof UnsupportedAlgorithmError);
  });

  it("errors are BulwarkErrors with a code", () => {
    const root = rootWith(new Map(), [], 1);
    try {
      root.verifyDelegate("timestamp", timestampSignedAs(alice, ["a"]));
      assert.fail("expected a refusal");
    } catch (e) {
      assert.ok(e instanceof BulwarkError);
      assert.equal(e.code, "TUF_UNSIGNED_METADATA");
    }
  });
});
