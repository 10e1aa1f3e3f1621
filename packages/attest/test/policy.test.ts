/** The JSON form of release policies (for root metadata): strict parsing and round trip. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalize, type JsonObject, Key, PrivateKeySigner, parseJson } from "@bulwark/tuf";
import {
  AttestError,
  policyForProduct,
  policyFromJSON,
  policyToJSON,
  RELEASE_POLICY_FIELD,
  type ReleasePolicy,
  releasePolicyFromJSON,
} from "../src/index.js";
import { assertCode } from "./helpers.js";

const a = PrivateKeySigner.generate();
const b = PrivateKeySigner.generate("ecdsa-sha2-nistp256");
const c = PrivateKeySigner.generate();

function builderJson(id: string, ...signers: PrivateKeySigner[]): JsonObject {
  return { id, keys: Object.fromEntries(signers.map((s) => [s.keyId, s.publicKey.toJSON()])) };
}

function policyJson(overrides: JsonObject = {}): JsonObject {
  return {
    builders: [
      builderJson("https://ci.example/a", a),
      builderJson("https://ci.example/b", b),
      builderJson("https://c.example", c),
    ],
    threshold: 2,
    ...overrides,
  };
}

describe("policyFromJSON / policyToJSON", () => {
  it("round-trips products and a default, with require defaulting to everything", () => {
    const json = { products: { "demo-app": policyJson() }, default: policyJson({ threshold: 3 }) };
    const policies = policyFromJSON(json);
    const demo = policies.products.get("demo-app");
    assert.ok(demo);
    assert.equal(demo.threshold, 2);
    assert.deepEqual(demo.require, { artifactSha256: true, sourceDigest: true });
    assert.deepEqual(
      demo.builders.map((x) => x.id),
      ["https://ci.example/a", "https://ci.example/b", "https://c.example"],
    );
    assert.equal(demo.builders[1]?.keys.get(b.keyId)?.scheme, "ecdsa-sha2-nistp256");
    const written = policyToJSON(policies);
    assert.deepEqual(policyFromJSON(written), policies);
    // Canonical JSON of the written form is stable: it can live inside root.signed.
    assert.deepEqual(canonicalize(policyToJSON(policyFromJSON(written))), canonicalize(written));
  });

  it("reads bytes too, and the field name is an extension name other TUF clients ignore", () => {
    const bytes = Buffer.from(JSON.stringify({ products: {}, default: policyJson() }));
    assert.equal(policyFromJSON(bytes).default?.threshold, 2);
    assert.match(RELEASE_POLICY_FIELD, /^x-/);
  });

  it("picks a product's own policy, else the default", () => {
    const policies = policyFromJSON({ products: { "demo-app": policyJson() }, default: policyJson({ threshold: 1 }) });
    assert.equal(policyForProduct(policies, "demo-app")?.threshold, 2);
    assert.equal(policyForProduct(policies, "other")?.threshold, 1);
    assert.equal(policyForProduct(policyFromJSON({ products: {} }), "other"), undefined);
  });

  it("keeps a product named __proto__ or 1 as a map entry", () => {
    const text = `{"products":{"__proto__":${JSON.stringify(policyJson())},"1":${JSON.stringify(policyJson())}}}`;
    const policies = policyFromJSON(Buffer.from(text));
    assert.deepEqual([...policies.products.keys()].sort(), ["1", "__proto__"]);
    assert.ok(Object.hasOwn(policyToJSON(policies).products as JsonObject, "__proto__"));
  });

  it("reads require.source_digest false, which still checks the artifact digest", () => {
    const p = releasePolicyFromJSON(policyJson({ require: { artifact_sha256: true, source_digest: false } }));
    assert.deepEqual(p.require, { artifactSha256: true, sourceDigest: false });
  });

  const sameKeyTwice = builderJson("https://ci.example/a", a);
  (sameKeyTwice.keys as JsonObject).otherKeyId = a.publicKey.toJSON();
  const rejects: Array<[string, unknown]> = [
    ["a policy that is not an object", []],
    ["no products", { default: policyJson() }],
    ["an unknown top-level field", { products: {}, quorum: 1 }],
    ["an empty product name", { products: { "": policyJson() } }],
    ["a product policy that is not an object", { products: { x: 1 } }],
    ["an unknown policy field", { products: { x: policyJson({ minimumBuilders: 1 }) } }],
    ["no builders", { products: { x: policyJson({ builders: [] }) } }],
    ["a threshold of 0", { products: { x: policyJson({ threshold: 0 }) } }],
    ["a fractional threshold", { products: { x: policyJson({ threshold: 1.5 }) } }],
    ["a threshold above the number of builders", { products: { x: policyJson({ threshold: 4 }) } }],
    [
      "a builder listed twice",
      { products: { x: policyJson({ builders: [builderJson("a", a), builderJson("a", b)] }) } },
    ],
    [
      "a key listed under two builder IDs",
      { products: { x: policyJson({ builders: [builderJson("a", a), builderJson("b", a)], threshold: 1 }) } },
    ],
    ["the same key twice in one builder", { products: { x: policyJson({ builders: [sameKeyTwice], threshold: 1 }) } }],
    ["a builder with no keys", { products: { x: policyJson({ builders: [{ id: "a", keys: {} }], threshold: 1 }) } }],
    ["a builder with an empty id", { products: { x: policyJson({ builders: [builderJson("", a)], threshold: 1 }) } }],
    [
      "an unknown builder field",
      { products: { x: policyJson({ builders: [{ ...builderJson("a", a), url: "x" }], threshold: 1 }) } },
    ],
    [
      "a key without keyval",
      {
        products: {
          x: policyJson({
            builders: [{ id: "a", keys: { k: { keytype: "ed25519", scheme: "ed25519" } } }],
            threshold: 1,
          }),
        },
      },
    ],
    [
      "an unusable key (unknown scheme)",
      {
        products: {
          x: policyJson({
            builders: [{ id: "a", keys: { k: { keytype: "x", scheme: "x", keyval: { public: "00" } } } }],
            threshold: 1,
          }),
        },
      },
    ],
    [
      "an ed25519 key that is not 32 bytes of hex",
      {
        products: {
          x: policyJson({
            builders: [{ id: "a", keys: { k: new Key("ed25519", "ed25519", { public: "abcd" }).toJSON() } }],
            threshold: 1,
          }),
        },
      },
    ],
    ["artifact_sha256 switched off", { products: { x: policyJson({ require: { artifact_sha256: false } }) } }],
    ["a non-boolean source_digest", { products: { x: policyJson({ require: { source_digest: "yes" } }) } }],
    ["an unknown requirement", { products: { x: policyJson({ require: { sbom: true } }) } }],
    ["a default that is not a policy", { products: {}, default: null }],
  ];
  for (const [what, value] of rejects) {
    it(`rejects ${what} (ATTEST_BAD_POLICY)`, () => {
      assertCode(() => policyFromJSON(parseJson(JSON.stringify(value))), "ATTEST_BAD_POLICY", AttestError);
    });
  }

  it("rejects bytes that are not JSON", () => {
    assertCode(() => policyFromJSON(Buffer.from("{")), "ATTEST_BAD_POLICY", AttestError);
  });

  it("writes a policy built in code", () => {
    const policy: ReleasePolicy = {
      builders: [{ id: "a", keys: new Map([[a.keyId, a.publicKey]]) }],
      threshold: 1,
      require: { artifactSha256: true, sourceDigest: false },
    };
    const json = policyToJSON({ products: new Map([["app", policy]]), default: undefined });
    assert.deepEqual(json, {
      products: {
        app: {
          builders: [{ id: "a", keys: { [a.keyId]: a.publicKey.toJSON() } }],
          threshold: 1,
          require: { artifact_sha256: true, source_digest: false },
        },
      },
    });
  });
});
