/**
 * The in-toto reference demo (../shared/vectors/dsse/in-toto/): bob signs write-code,
 * carl signs package, RSA-PSS SHA-256 with salt length 32, in both the classic
 * signed-JSON form and the DSSE form; and the in-toto keyid rule.
 */
import assert from "node:assert/strict";
import { constants, verify as cryptoVerify } from "node:crypto";
import { it } from "node:test";
import { describeVectors, readVectorBytes, readVectorJson, SKIP_VECTORS } from "@bulwark/testkit";
import { canonicalize, isJsonObject, type JsonObject, Key, PrivateKeySigner, parseJson } from "@bulwark/tuf";
import {
  AttestError,
  IN_TOTO_PAYLOAD_TYPE,
  pae,
  parseEnvelope,
  serializeEnvelope,
  signEnvelope,
  verifyEnvelope,
} from "../src/index.js";
import { assertCode, sha256 } from "./helpers.js";

interface InTotoVectors {
  inToto: {
    layout: { keyOwners: Record<string, string> };
    links: Array<{
      file: string;
      signedBy: string;
      publicKeyFile: string;
      keyid: string;
      classic: string;
      dsse: string;
      step: string;
      products: Record<string, { sha256: string }>;
    }>;
    finalProduct: { file: string; sha256: string };
  };
  keys: Array<{ id: string; keyid?: string; publicKeyHex: string }>;
}

const DIR = ["dsse", "in-toto"];
const vectors = SKIP_VECTORS ? undefined : readVectorJson<InTotoVectors>("dsse", "dsse.json").inToto;
const dannyVector = SKIP_VECTORS
  ? undefined
  : readVectorJson<InTotoVectors>("dsse", "dsse.json").keys.find((k) => k.id === "danny");

function rsaKey(pem: string): Key {
  return new Key("rsa", "rsassa-pss-sha256", { public: pem });
}

/** The in-toto keyid: SHA-256 of the canonical JSON of the key without `private`. */
function inTotoKeyId(key: { keytype: string; scheme: string; public: string; hashAlgorithms: string[] }): string {
  return sha256(
    canonicalize({
      keyid_hash_algorithms: key.hashAlgorithms,
      keytype: key.keytype,
      keyval: { public: key.public },
      scheme: key.scheme,
    }),
  );
}

function readDemo(...parts: string[]): Buffer {
  return readVectorBytes(...DIR, ...parts);
}

/** A file named in dsse.json, whose paths are relative to dsse/. */
function dsseFile(relative: string): Buffer {
  return readVectorBytes("dsse", relative);
}

describeVectors("in-toto keyid rule", () => {
  it("reproduces both layout keyids from the keys in the layout", () => {
    const layout = parseJson(readDemo("demo_files", "demo.layout.template")) as JsonObject;
    const keys = (layout.signed as JsonObject).keys as JsonObject;
    assert.deepEqual(Object.keys(keys).sort(), Object.keys(vectors?.layout.keyOwners ?? {}).sort());
    for (const [keyid, value] of Object.entries(keys)) {
      assert.ok(isJsonObject(value));
      const keyval = value.keyval as JsonObject;
      const id = inTotoKeyId({
        keytype: value.keytype as string,
        scheme: value.scheme as string,
        public: keyval.public as string,
        hashAlgorithms: value.keyid_hash_algorithms as string[],
      });
      assert.equal(id, keyid);
    }
  });

  it("reproduces bob's and carl's keyids from their .pub files (PEM without the final newline)", () => {
    for (const link of vectors?.links ?? []) {
      const pem = dsseFile(link.publicKeyFile).toString("utf8").trimEnd();
      const id = inTotoKeyId({
        keytype: "rsa",
        scheme: "rsassa-pss-sha256",
        public: pem,
        hashAlgorithms: ["sha256", "sha512"],
      });
      assert.equal(id, link.keyid, link.signedBy);
    }
  });

  it("reproduces danny's keyid from danny.pub", () => {
    const pub = parseJson(readDemo("demo_files", "danny.pub")) as JsonObject;
    const id = inTotoKeyId({
      keytype: pub.keytype as string,
      scheme: pub.scheme as string,
      public: (pub.keyval as JsonObject).public as string,
      hashAlgorithms: pub.keyid_hash_algorithms as string[],
    });
    assert.equal(id, dannyVector?.keyid);
  });
});

describeVectors("in-toto demo links", () => {
  for (const link of vectors?.links ?? []) {
    const pem = () => dsseFile(link.publicKeyFile).toString("utf8");

    it(`classic: ${link.signedBy} signs ${link.step} (canonical JSON of "signed", RSA-PSS salt 32)`, () => {
      const doc = parseJson(dsseFile(link.classic)) as JsonObject;
      const signed = doc.signed as JsonObject;
      const [signature] = doc.signatures as JsonObject[];
      assert.ok(signature);
      assert.equal(signature.keyid, link.keyid);
      const message = canonicalize(signed);
      assert.ok(rsaKey(pem()).verify(message, signature.sig as string));
      // Salt length 32 exactly, as the vectors README states.
      const sig = Buffer.from(signature.sig as string, "hex");
      const options = { key: pem(), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
      assert.ok(cryptoVerify("sha256", message, options, sig));
      assert.equal(signed.name, link.step);
      assert.deepEqual(signed.products, link.products);
    });

    it(`DSSE: ${link.signedBy} signs ${link.step}`, () => {
      const envelope = parseEnvelope(dsseFile(link.dsse));
      assert.equal(envelope.payloadType, IN_TOTO_PAYLOAD_TYPE);
      const verified = verifyEnvelope(envelope, new Map([[link.keyid, rsaKey(pem())]]), 1);
      assert.deepEqual(verified.keyIds, [link.keyid]);
      const payload = parseJson(verified.payload) as JsonObject;
      assert.equal(payload._type, "link");
      assert.equal(payload.name, link.step);
      assert.deepEqual(payload.products, link.products);
      // The DSSE payload is the same link as the classic file's "signed".
      const classic = parseJson(dsseFile(link.classic)) as JsonObject;
      assert.deepEqual(payload, classic.signed);
    });
  }

  it("a link signed by one functionary does not verify with the other's key", () => {
    const [bob, carl] = vectors?.links ?? [];
    assert.ok(bob && carl);
    const envelope = parseEnvelope(dsseFile(bob.dsse));
    const carlKey = rsaKey(dsseFile(carl.publicKeyFile).toString("utf8"));
    assertCode(() => verifyEnvelope(envelope, new Map([[bob.keyid, carlKey]]), 1), "ATTEST_UNSIGNED", AttestError);
  });

  it("the final product is what carl's package step produced", () => {
    const product = dsseFile(vectors?.finalProduct.file ?? "");
    const packageLink = vectors?.links.find((l) => l.step === "package");
    assert.equal(sha256(product), vectors?.finalProduct.sha256);
    assert.equal(packageLink?.products["foo.tar.gz"]?.sha256, vectors?.finalProduct.sha256);
  });

  it("carl's private key signs a new DSSE link that carl's public key verifies", async () => {
    const carl = vectors?.links.find((l) => l.signedBy === "carl");
    assert.ok(carl);
    const signer = PrivateKeySigner.fromPem(readDemo("demo_files", "carl"), "rsassa-pss-sha256", undefined, carl.keyid);
    const payload = Buffer.from(JSON.stringify({ _type: "link", name: "package" }));
    const envelope = parseEnvelope(serializeEnvelope(await signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, [signer])));
    const key = rsaKey(dsseFile(carl.publicKeyFile).toString("utf8"));
    assert.deepEqual(verifyEnvelope(envelope, new Map([[carl.keyid, key]]), 1).keyIds, [carl.keyid]);
    const sig = envelope.signatures[0]?.sig ?? new Uint8Array();
    const options = { key: key.publicKey(), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    assert.ok(cryptoVerify("sha256", pae(IN_TOTO_PAYLOAD_TYPE, payload), options, sig));
  });
});
