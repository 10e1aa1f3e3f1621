/**
 * Property tests of every parser of untrusted input: whatever the bytes, the result is a
 * value or an AttestError with a code, never a TypeError, RangeError or SyntaxError
 * escaping from inside. Plus: tampering never verifies, and the quorum never throws.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type JsonValue, PrivateKeySigner } from "@bulwark/tuf";
import fc from "fast-check";
import {
  AttestError,
  decodeBase64,
  encodeBase64,
  envelopeFromJSON,
  envelopeToJSON,
  IN_TOTO_PAYLOAD_TYPE,
  pae,
  parseEnvelope,
  parseStatement,
  policyFromJSON,
  provenanceFromJSON,
  SLSA_PROVENANCE_V1,
  STATEMENT_TYPE_V1,
  serializeEnvelope,
  signEnvelope,
  verifyEnvelope,
  verifyQuorum,
} from "../src/index.js";
import { ARTIFACT_SHA256, attest, builder, SOURCE_SHA1 } from "./helpers.js";

const RUNS = 400;

/** Runs `fn`; an AttestError with a known code is an accepted outcome, anything else fails. */
function valueOrAttestError<T>(fn: () => T): { value: T } | { error: AttestError } {
  try {
    return { value: fn() };
  } catch (e) {
    if (e instanceof AttestError && typeof e.code === "string" && e.code.startsWith("ATTEST_")) return { error: e };
    const what = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
    throw new assert.AssertionError({ message: `escaped a non-AttestError exception: ${what}` });
  }
}

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8");
const hex = (n: number) => fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: n, maxLength: n });
const b64 = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((b) => encodeBase64(b)),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString("base64url")),
  fc.string({ unit: fc.constantFrom(..."AQ+/-_= \n!"), maxLength: 12 }),
);
const anything: fc.Arbitrary<JsonValue> = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>;
const rawBytes = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 80 }).map((s) => Buffer.from(s)),
  anything.map(bytes),
);

/** Mostly the well-shaped value, sometimes any JSON value: reaches the deep checks. */
function mostly<T>(good: fc.Arbitrary<T>): fc.Arbitrary<T | JsonValue> {
  return fc.oneof({ arbitrary: good, weight: 9 }, { arbitrary: anything, weight: 1 });
}

/** JSON shaped like a DSSE envelope, with any field possibly the wrong type. */
const envelopeLike = fc.record({
  payloadType: mostly(fc.string({ unit: "binary", maxLength: 20 })),
  payload: mostly(b64),
  signatures: mostly(
    fc.array(mostly(fc.record({ keyid: mostly(fc.string()), sig: mostly(b64) })), {
      maxLength: 4,
    }),
  ),
});

/** JSON shaped like a Statement v1 with a SLSA predicate, with any part possibly wrong. */
const digestLike = mostly(
  fc.oneof(
    fc.record({ sha256: mostly(hex(64)) }),
    fc.dictionary(fc.constantFrom("sha1", "sha256", "gitCommit", "other", "__proto__"), mostly(hex(40))),
  ),
);
const predicateLike = fc.record({
  buildDefinition: mostly(
    fc.record({
      buildType: mostly(fc.string()),
      externalParameters: mostly(
        fc.record({ source: fc.oneof(anything, fc.record({ uri: fc.string(), digest: digestLike })) }),
      ),
      resolvedDependencies: mostly(
        fc.array(mostly(fc.record({ uri: fc.string(), digest: digestLike })), {
          maxLength: 3,
        }),
      ),
    }),
  ),
  runDetails: mostly(
    fc.record({
      builder: mostly(fc.record({ id: mostly(fc.string()) })),
      metadata: mostly(fc.record({ invocationId: mostly(fc.string()) })),
    }),
  ),
});
const statementLike = fc.record({
  _type: mostly(fc.constant(STATEMENT_TYPE_V1)),
  subject: mostly(
    fc.array(mostly(fc.record({ name: mostly(fc.string()), digest: digestLike })), {
      maxLength: 3,
    }),
  ),
  predicateType: mostly(fc.constant(SLSA_PROVENANCE_V1)),
  predicate: mostly(predicateLike),
});

const signer = PrivateKeySigner.generate();
const keyJsons = [signer, ...Array.from({ length: 7 }, () => PrivateKeySigner.generate())].map((k) =>
  k.publicKey.toJSON(),
);
const releasePolicyLike = fc.record({
  builders: mostly(
    fc.array(
      mostly(
        fc.record({
          id: mostly(fc.string({ minLength: 1, maxLength: 3 })),
          keys: mostly(
            fc.dictionary(fc.string({ maxLength: 4 }), mostly(fc.constantFrom(...keyJsons)), {
              minKeys: 1,
              maxKeys: 2,
            }),
          ),
        }),
      ),
      { maxLength: 3 },
    ),
  ),
  threshold: fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: 2 }), weight: 4 },
    fc.integer({ min: -1, max: 4 }),
    anything,
  ),
  require: mostly(fc.record({ artifact_sha256: mostly(fc.constant(true)), source_digest: mostly(fc.boolean()) })),
});
const policyLike = fc.record({
  products: mostly(fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), mostly(releasePolicyLike), { maxKeys: 2 })),
  default: mostly(releasePolicyLike),
});

describe("parsers never throw anything but an AttestError", () => {
  it("parseEnvelope: arbitrary bytes and envelope-shaped JSON", () => {
    fc.assert(
      fc.property(fc.oneof(rawBytes, envelopeLike.map(bytes)), (input) => {
        const out = valueOrAttestError(() => parseEnvelope(input));
        if ("value" in out) assert.deepEqual(envelopeFromJSON(envelopeToJSON(out.value)), out.value);
      }),
      { numRuns: RUNS },
    );
  });

  it("envelopeFromJSON: arbitrary JSON values", () => {
    fc.assert(
      fc.property(fc.oneof(anything, envelopeLike as fc.Arbitrary<JsonValue>), (value) => {
        valueOrAttestError(() => envelopeFromJSON(value));
      }),
      { numRuns: RUNS },
    );
  });

  it("parseStatement (and the provenance inside): arbitrary bytes and statement-shaped JSON", () => {
    fc.assert(
      fc.property(fc.oneof(rawBytes, statementLike.map(bytes)), (input) => {
        const out = valueOrAttestError(() => parseStatement(input));
        if ("value" in out) valueOrAttestError(() => provenanceFromJSON(out.value.predicate));
      }),
      { numRuns: RUNS },
    );
  });

  it("provenanceFromJSON: arbitrary JSON values", () => {
    fc.assert(
      fc.property(fc.oneof(anything, predicateLike as fc.Arbitrary<JsonValue>), (value) => {
        valueOrAttestError(() => provenanceFromJSON(value));
      }),
      { numRuns: RUNS },
    );
  });

  it("policyFromJSON: arbitrary bytes and policy-shaped JSON", () => {
    fc.assert(
      fc.property(fc.oneof(rawBytes, policyLike.map(bytes)), (input) => {
        valueOrAttestError(() => policyFromJSON(input));
      }),
      { numRuns: RUNS },
    );
  });

  it("decodeBase64: any string decodes or is refused; encodings round-trip", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 20 }), fc.uint8Array({ maxLength: 50 }), (s, data) => {
        decodeBase64(s);
        assert.deepEqual(decodeBase64(encodeBase64(data)), Buffer.from(data));
        assert.deepEqual(decodeBase64(Buffer.from(data).toString("base64url")), Buffer.from(data));
      }),
      { numRuns: RUNS },
    );
  });
});

describe("PAE and verification properties", () => {
  it("PAE lengths are UTF-8 byte lengths", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 30 }).filter((s) => s.isWellFormed()),
        fc.uint8Array({ maxLength: 30 }),
        (type, body) => {
          const out = pae(type, body);
          const head = `DSSEv1 ${Buffer.byteLength(type)} `;
          assert.equal(out.subarray(0, head.length).toString("latin1"), head);
          assert.equal(out.length, head.length + Buffer.byteLength(type) + ` ${body.length} `.length + body.length);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("a changed byte of a signed envelope never verifies to another payload or type", async () => {
    const envelope = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from('{"a":1}'), [signer]);
    const original = serializeEnvelope(envelope);
    const keys = new Map([[signer.keyId, signer.publicKey]]);
    fc.assert(
      fc.property(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const changed = Buffer.from(original);
        changed[at] = (changed[at] ?? 0) ^ xor;
        const parsed = valueOrAttestError(() => parseEnvelope(changed));
        if (!("value" in parsed)) return;
        const verified = valueOrAttestError(() => verifyEnvelope(parsed.value, keys, 1));
        if ("value" in verified) {
          assert.deepEqual(Buffer.from(verified.value.payload), Buffer.from(envelope.payload));
          assert.equal(verified.value.payloadType, envelope.payloadType);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("verifyQuorum never throws on untrusted attestations, and garbage never reaches a quorum", async () => {
    const A = builder("a");
    const policy = {
      builders: [{ id: A.id, keys: new Map([[A.signer.keyId, A.signer.publicKey]]) }],
      threshold: 1,
      require: { artifactSha256: true, sourceDigest: true },
    } as const;
    const valid = await attest(A, { artifactSha256: ARTIFACT_SHA256 });
    const artifact = { name: "demo", sha256: ARTIFACT_SHA256 };
    const source = { alg: "sha1", hex: SOURCE_SHA1 } as const;
    assert.equal(verifyQuorum(policy, artifact, source, [valid]).ok, true);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(rawBytes, envelopeLike.map(bytes)), { maxLength: 4 }),
        fc.nat({ max: valid.length - 1 }),
        (garbage, at) => {
          const flipped = Buffer.from(valid);
          flipped[at] = (flipped[at] ?? 0) ^ 0x01;
          const result = verifyQuorum(policy, artifact, source, [...garbage, flipped]);
          assert.equal(result.invalid.length + result.agreeing.length + result.disagreeing.length > 0, true);
          if (result.ok) {
            // Only a flip that leaves the signed content intact (e.g. in the keyid) can still count.
            const env = parseEnvelope(flipped);
            assert.deepEqual(Buffer.from(env.payload), Buffer.from(parseEnvelope(valid).payload));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
