/**
 * Property tests of every parser of untrusted input: whatever the bytes, the result is a
 * value or a BulwarkError with a non-empty `code`, never a TypeError, RangeError or
 * SyntaxError escaping from inside. Plus lossless round-trips of generated metadata.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  BulwarkError,
  CanonicalJsonError,
  canonicalize,
  DelegatedRole,
  Delegations,
  FormatError,
  formatExpires,
  JsonFloat,
  type JsonObject,
  type JsonValue,
  Key,
  Metadata,
  MetadataFormatError,
  MetaFile,
  matchesPathPattern,
  parseExpires,
  parseJson,
  Role,
  Root,
  Signature,
  Snapshot,
  SuccinctRoles,
  stringifyJson,
  TargetFile,
  Targets,
  Timestamp,
  TOP_LEVEL_ROLE_NAMES,
  type TopLevelRoleName,
} from "../src/index.js";

const RUNS = 500;

/**
 * Runs `fn`; a BulwarkError with a non-empty string code is an accepted outcome, anything
 * else thrown fails the property with its class and message.
 */
function valueOrBulwarkError<T>(fn: () => T): { value: T } | { error: BulwarkError } {
  try {
    return { value: fn() };
  } catch (e) {
    if (e instanceof BulwarkError && typeof e.code === "string" && e.code.length > 0) return { error: e };
    const what = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
    throw new assert.AssertionError({ message: `escaped a non-Bulwark exception: ${what}` });
  }
}

/** Numbers as JSON.parse would give them (but -0 as 0), for comparing parseJson with it. */
function asPlainJson(v: JsonValue): unknown {
  if (typeof v === "bigint") return Number(v);
  if (v instanceof JsonFloat) return v.value + 0;
  if (typeof v === "number") return v + 0;
  if (Array.isArray(v)) return v.map(asPlainJson);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      Object.defineProperty(out, k, { value: asPlainJson(x), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return v;
}

/** fc.jsonValue() with every non-integer number made an integer: canonical JSON has no floats. */
function integersOnly(v: unknown): JsonValue {
  if (typeof v === "number") return Number.isSafeInteger(v) ? v + 0 : Math.trunc(v) % 1000 || 0;
  if (Array.isArray(v)) return v.map(integersOnly);
  if (v !== null && typeof v === "object") {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      Object.defineProperty(out, k, { value: integersOnly(x), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return v as JsonValue;
}

// ---------------------------------------------------------------------------------------
// Generators of valid metadata, built with the models.

const text = fc.string({ unit: "grapheme", maxLength: 10 });
const hex = fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 1, maxLength: 16 });
const keyId = fc.oneof(
  hex,
  text.filter((s) => s.length > 0),
);
const smallJson = fc.jsonValue({ maxDepth: 2, stringUnit: "grapheme" }).map(integersOnly);
const fieldName = fc.oneof(
  text,
  fc.constantFrom("x-tuf-on-ci-keyowner", "custom", "__proto__", "constructor", "version"),
);
const unrecognized = fc.dictionary(fieldName, smallJson, { maxKeys: 2 });
const version = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constant(Number.MAX_SAFE_INTEGER));
const expiresAt = fc
  .date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true })
  .map((d) => d.getTime());
const specVersion = fc.constantFrom("1.0.31", "1.0", "1.0.0", "1.99.7");

function mapOf<K, V>(k: fc.Arbitrary<K>, v: fc.Arbitrary<V>, maxLength = 3): fc.Arbitrary<Map<K, V>> {
  return fc.uniqueArray(fc.tuple(k, v), { selector: (t) => t[0], maxLength }).map((e) => new Map(e));
}

const common = fc.record({ specVersion, version, expiresAt, unrecognized });

const key = fc
  .record({
    keytype: fc.constantFrom("ed25519", "ecdsa", "rsa", "ecdsa-sha2-nistp256", "weird"),
    scheme: fc.constantFrom("ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "rsassa-pss-sha256", "weird"),
    pub: fc.oneof(hex, text),
    keyvalExtra: unrecognized,
    extra: unrecognized,
  })
  .map((r) => new Key(r.keytype, r.scheme, { ...r.keyvalExtra, public: r.pub }, r.extra));

const keyIds = fc.uniqueArray(keyId, { maxLength: 4 });
const threshold = fc.integer({ min: 1, max: 5 });
const hashes = mapOf(fc.constantFrom("sha256", "sha512", "blake2b-256"), hex, 2).filter((m) => m.size > 0);

const metaFile = fc
  .record({
    version,
    length: fc.option(fc.nat(), { nil: undefined }),
    hashes: fc.option(hashes, { nil: undefined }),
    unrecognized,
  })
  .map((r) => new MetaFile(r.version, r.length, r.hashes, r.unrecognized));

const root = fc
  .record({
    common,
    keys: mapOf(keyId, key),
    roles: fc.array(fc.record({ keyids: keyIds, threshold, unrecognized }), { minLength: 4, maxLength: 4 }),
    consistentSnapshot: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map(
    (r) =>
      new Root({
        ...r.common,
        keys: r.keys,
        roles: new Map(
          TOP_LEVEL_ROLE_NAMES.map((name, i): [TopLevelRoleName, Role] => {
            const role = r.roles[i] as (typeof r.roles)[number];
            return [name, new Role(role.keyids, role.threshold, role.unrecognized)];
          }),
        ),
        consistentSnapshot: r.consistentSnapshot,
      }),
  );

const timestamp = fc
  .record({ common, snapshotMeta: metaFile })
  .map((r) => new Timestamp({ ...r.common, snapshotMeta: r.snapshotMeta }));

const snapshot = fc
  .record({
    common,
    meta: mapOf(
      text.map((s) => `${s}.json`),
      metaFile,
    ),
  })
  .map((r) => new Snapshot({ ...r.common, meta: r.meta }));

const delegatedRole = fc
  .record({
    name: text.filter((s) => s.length > 0 && !(TOP_LEVEL_ROLE_NAMES as readonly string[]).includes(s)),
    keyids: keyIds,
    threshold,
    terminating: fc.boolean(),
    patterns: fc.array(text, { maxLength: 3 }),
    usePrefixes: fc.boolean(),
    unrecognized,
  })
  .map(
    (r) =>
      new DelegatedRole(
        r.name,
        r.keyids,
        r.threshold,
        r.terminating,
        r.usePrefixes ? undefined : r.patterns,
        r.usePrefixes ? r.patterns : undefined,
        r.unrecognized,
      ),
  );

const succinctRoles = fc
  .record({ keyids: keyIds, threshold, bitLength: fc.integer({ min: 1, max: 32 }), prefix: text, unrecognized })
  .map((r) => new SuccinctRoles(r.keyids, r.threshold, r.bitLength, r.prefix, r.unrecognized));

const delegations = fc
  .record({
    keys: mapOf(keyId, key),
    roles: fc.uniqueArray(delegatedRole, { selector: (d) => d.name, maxLength: 3 }),
    succinct: fc.option(succinctRoles, { nil: undefined }),
    unrecognized,
  })
  .map((r) =>
    r.succinct === undefined
      ? new Delegations(r.keys, new Map(r.roles.map((d) => [d.name, d])), undefined, r.unrecognized)
      : new Delegations(r.keys, undefined, r.succinct, r.unrecognized),
  );

const targetFile = fc
  .record({ path: text, length: fc.nat(), hashes, unrecognized })
  .map((r) => new TargetFile(r.path, r.length, r.hashes, r.unrecognized));

const targets = fc
  .record({
    common,
    targets: fc.uniqueArray(targetFile, { selector: (t) => t.path, maxLength: 3 }),
    delegations: fc.option(delegations, { nil: undefined }),
  })
  .map(
    (r) =>
      new Targets({ ...r.common, targets: new Map(r.targets.map((t) => [t.path, t])), delegations: r.delegations }),
  );

const signatures = fc
  .uniqueArray(fc.record({ keyid: keyId, sig: fc.oneof(hex, text), unrecognized }), {
    selector: (s) => s.keyid,
    maxLength: 3,
  })
  .map((list) => new Map(list.map((s) => [s.keyid, new Signature(s.keyid, s.sig, s.unrecognized)])));

const metadata: fc.Arbitrary<Metadata> = fc
  .record({ signed: fc.oneof(root, timestamp, snapshot, targets), signatures, unrecognized })
  .map((r) => new Metadata(r.signed, r.signatures, r.unrecognized));

// ---------------------------------------------------------------------------------------
// Mutations of valid metadata: delete, replace or add a field at any depth.

type Container = JsonObject | JsonValue[];
type Mutation = { pick: number; op: "delete" | "replace" | "add"; name: string; value: JsonValue };

const hostileValue: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>,
  fc.constantFrom<JsonValue>(null, -1, 0, 1, 33, "", [], {}, true, "root", "targets", "1.0", "2030-01-01T00:00:00Z"),
  fc.constantFrom<JsonValue>(
    new JsonFloat("1.5"),
    new JsonFloat("1e400"),
    new JsonFloat("-0.0"),
    2n ** 64n,
    -(2n ** 70n),
  ),
  fc.constantFrom<JsonValue>("2030-01-01T00:00:00.5+01:00", "9999-99-99T99:99:99Z", "0000-00-00T00:00:00Z"),
);

const mutation: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom("delete", "replace", "add"),
  name: fieldName,
  value: hostileValue,
});

function isContainer(v: JsonValue | undefined): v is Container {
  return v !== null && typeof v === "object" && !(v instanceof JsonFloat);
}

/** Every (container, key) slot of a JSON tree, and every container. */
function slotsOf(root: Container): { slots: Array<[Container, string | number]>; containers: Container[] } {
  const slots: Array<[Container, string | number]> = [];
  const containers: Container[] = [];
  const stack: Container[] = [root];
  while (stack.length > 0) {
    const c = stack.pop() as Container;
    containers.push(c);
    const entries: Array<[string | number, JsonValue]> = Array.isArray(c) ? [...c.entries()] : Object.entries(c);
    for (const [k, v] of entries) {
      slots.push([c, k]);
      if (isContainer(v)) stack.push(v);
    }
  }
  return { slots, containers };
}

function setOwn(c: Container, k: string | number, value: JsonValue): void {
  Object.defineProperty(c, k, { value, enumerable: true, writable: true, configurable: true });
}

/** A deep copy: generated values can be shared constants, and must never form a cycle. */
function cloneJson(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(cloneJson);
  if (v === null || typeof v !== "object" || v instanceof JsonFloat) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) setOwn(out, k, cloneJson(x));
  return out;
}

function mutate(doc: JsonObject, mutations: Mutation[]): JsonObject {
  for (const { value: shared, ...rest } of mutations) {
    const m = { ...rest, value: cloneJson(shared) };
    const { slots, containers } = slotsOf(doc);
    if (m.op === "add") {
      const c = containers[m.pick % containers.length] as Container;
      if (Array.isArray(c)) c.push(m.value);
      else setOwn(c, m.name, m.value);
      continue;
    }
    if (slots.length === 0) continue;
    const [c, k] = slots[m.pick % slots.length] as [Container, string | number];
    if (m.op === "replace") setOwn(c, k, m.value);
    else if (Array.isArray(c)) c.splice(k as number, 1);
    else delete c[k as string];
  }
  return doc;
}

function parseMetadata(bytes: Uint8Array | string, type: string | undefined, lenientDates: boolean): Metadata {
  const options = { lenientDates };
  switch (type) {
    case "root":
    case "timestamp":
    case "snapshot":
    case "targets":
      return Metadata.fromBytes(bytes, type, options);
    default:
      return Metadata.fromBytes(bytes, undefined, options);
  }
}

const expectedType = fc.constantFrom(undefined, "root", "timestamp", "snapshot", "targets");

// ---------------------------------------------------------------------------------------

describe("parseJson", () => {
  it("returns a value or a FormatError JSON_PARSE for arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = valueOrBulwarkError(() => parseJson(bytes));
        if ("error" in r)
          assert.ok(r.error instanceof FormatError && ["JSON_PARSE", "JSON_TOO_DEEP"].includes(r.error.code));
      }),
      { numRuns: RUNS },
    );
  });

  it("returns a value or a FormatError for valid JSON with one byte changed", () => {
    fc.assert(
      fc.property(fc.json(), fc.nat(), fc.integer({ min: 0, max: 255 }), (json, at, byte) => {
        const bytes = Buffer.from(json, "utf8");
        bytes[at % bytes.length] = byte;
        const r = valueOrBulwarkError(() => parseJson(bytes));
        if ("error" in r) assert.ok(r.error instanceof FormatError);
      }),
      { numRuns: RUNS },
    );
  });

  it("accepts exactly what JSON.parse accepts, with the same values (arbitrary strings)", () => {
    const jsonish = fc.string({ unit: fc.constantFrom(...'{}[],:" \\\n\t0123456789.eE+-tfnrulsa_'), maxLength: 40 });
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 60 }), jsonish, fc.json()), (s) => {
        let expected: unknown;
        let jsonOk = true;
        try {
          expected = JSON.parse(s);
        } catch {
          jsonOk = false;
        }
        const r = valueOrBulwarkError(() => parseJson(s));
        assert.equal("value" in r, jsonOk, `JSON.parse ${jsonOk ? "accepts" : "rejects"} ${JSON.stringify(s)}`);
        if ("value" in r) assert.deepEqual(asPlainJson(r.value), asPlainJson(expected as JsonValue));
      }),
      { numRuns: 1000 },
    );
  });

  it("keeps integers beyond 2^53 exact", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }), (n) => {
        const v = parseJson(`[${n}]`) as JsonValue[];
        assert.equal(BigInt(v[0] as number | bigint), n);
        assert.equal(stringifyJson(v, { indent: 0 }), `[${n}]`);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("canonical JSON", () => {
  it("is idempotent: canonicalize(parseJson(canonical)) gives the same bytes", () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.json({ stringUnit: "grapheme" }), fc.json({ stringUnit: "binary" })), (s) => {
        const r = valueOrBulwarkError(() => canonicalize(parseJson(s)));
        if ("error" in r) {
          assert.ok(r.error instanceof CanonicalJsonError, `${r.error.name}: ${r.error.message}`);
          return;
        }
        // OLPC canonical JSON writes control characters raw, which no JSON parser accepts
        // back (securesystemslib does the same): such output is canonical, not JSON.
        const reparsed = valueOrBulwarkError(() => parseJson(r.value));
        if ("error" in reparsed) {
          assert.ok(
            r.value.some((b) => b < 0x20),
            reparsed.error.message,
          );
          return;
        }
        const again = canonicalize(reparsed.value);
        assert.deepEqual(again, r.value);
        assert.deepEqual(asPlainJson(parseJson(r.value)), asPlainJson(parseJson(s)));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("Metadata.fromBytes", () => {
  it("returns a model or a BulwarkError for arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), expectedType, fc.boolean(), (bytes, type, lenient) => {
        const r = valueOrBulwarkError(() => parseMetadata(bytes, type, lenient));
        if ("error" in r) assert.ok(r.error instanceof MetadataFormatError);
      }),
      { numRuns: RUNS },
    );
  });

  it("returns a model or a MetadataFormatError for arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.json(), expectedType, fc.boolean(), (s, type, lenient) => {
        const r = valueOrBulwarkError(() => parseMetadata(s, type, lenient));
        if ("error" in r) assert.ok(r.error instanceof MetadataFormatError, r.error.name);
      }),
      { numRuns: RUNS },
    );
  });

  it("returns a model or a MetadataFormatError for envelopes of arbitrary JSON", () => {
    const signed = fc.record(
      {
        _type: fc.oneof(fc.constantFrom("root", "timestamp", "snapshot", "targets"), hostileValue),
        spec_version: fc.oneof(specVersion, hostileValue),
        version: fc.oneof(version, hostileValue),
        expires: fc.oneof(fc.constant("2030-01-01T00:00:00Z"), hostileValue),
        meta: hostileValue,
        keys: hostileValue,
        roles: hostileValue,
        targets: hostileValue,
        delegations: hostileValue,
      },
      { requiredKeys: ["_type"] },
    );
    const envelope = fc.record({ signed, signatures: fc.oneof(fc.constant([]), hostileValue) });
    fc.assert(
      fc.property(envelope, expectedType, (doc, type) => {
        const s = stringifyJson(doc as JsonObject, { indent: 0 });
        const r = valueOrBulwarkError(() => parseMetadata(s, type, false));
        if ("error" in r) assert.ok(r.error instanceof MetadataFormatError, r.error.name);
      }),
      { numRuns: RUNS },
    );
  });

  it("returns a model or a MetadataFormatError for mutated valid metadata, and a model is lossless", () => {
    fc.assert(
      fc.property(
        metadata,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        expectedType,
        fc.boolean(),
        (md, mutations, type, lenient) => {
          const doc = mutate(parseJson(md.toBytes()) as JsonObject, mutations);
          const s = stringifyJson(doc, { indent: 0 });
          const r = valueOrBulwarkError(() => parseMetadata(s, type, lenient));
          if ("error" in r) {
            assert.ok(r.error instanceof MetadataFormatError, `${r.error.name}: ${r.error.message}`);
            return;
          }
          // Accepted: every field, unknown ones included, survives the model.
          assert.deepStrictEqual(r.value.toJSON(), parseJson(s));
          valueOrBulwarkError(() => r.value.signedBytes());
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("round-trips generated metadata: same canonical bytes, and toBytes is a fixed point", () => {
    fc.assert(
      fc.property(metadata, fc.constantFrom<number | string>(0, 1, 2, "\t"), (md, indent) => {
        const bytes = md.toBytes({ indent });
        const again = Metadata.fromBytes(bytes);
        assert.deepEqual(canonicalize(again.toJSON()), canonicalize(md.toJSON()));
        assert.deepEqual(again.signedBytes(), md.signedBytes());
        assert.deepEqual(again.toBytes({ indent }), bytes);
        assert.equal(again.signed.type, md.signed.type);
        assert.equal(again.signed.expiresAt, Math.floor(md.signed.expiresAt / 1000) * 1000);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("Key.fromJSON and key use", () => {
  const pems = [
    generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey,
    generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey,
    generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey,
    generateKeyPairSync("ed25519").publicKey,
  ].map((k) => k.export({ format: "pem", type: "spki" }).toString());

  const publicValue = fc.oneof(
    fc.constantFrom(...pems),
    fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 64, maxLength: 64 }),
    fc.constantFrom(...pems).map((p) => p.replace(/[A-Za-z]{4}/, "AAAA")),
    text.map((t) => `-----BEGIN PUBLIC KEY-----\n${t}\n-----END PUBLIC KEY-----\n`),
    text,
  );
  const keyJson = fc.record({
    keytype: fc.oneof(
      fc.constantFrom("ed25519", "ecdsa", "rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384"),
      hostileValue,
    ),
    scheme: fc.oneof(
      fc.constantFrom("ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "rsassa-pss-sha256", "toString"),
      hostileValue,
    ),
    keyval: fc.oneof(fc.record({ public: fc.oneof(publicValue, hostileValue) }), hostileValue),
  });

  it("returns a Key or a MetadataFormatError for arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue() as fc.Arbitrary<JsonValue>, keyJson as fc.Arbitrary<JsonValue>), (raw) => {
        // As a parser gives it: fast-check also makes null-prototype objects.
        const v = parseJson(stringifyJson(raw, { indent: 0 }));
        const r = valueOrBulwarkError(() => Key.fromJSON(v, "key"));
        if ("error" in r) assert.ok(r.error instanceof MetadataFormatError);
        else assert.deepStrictEqual(r.value.toJSON(), v);
      }),
      { numRuns: RUNS },
    );
  });

  it("verify() returns a boolean or throws a BulwarkError, whatever the key and signature", () => {
    fc.assert(
      fc.property(keyJson, fc.uint8Array({ maxLength: 64 }), fc.oneof(hex, text), (v, data, sig) => {
        const parsed = valueOrBulwarkError(() => Key.fromJSON(v as JsonValue, "key"));
        if (!("value" in parsed)) return;
        const r = valueOrBulwarkError(() => parsed.value.verify(data, sig));
        if ("value" in r) assert.equal(r.value, false);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("parseExpires", () => {
  const dateLike = fc.stringMatching(/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,12})?([Zz]|[+-]\d{2}:\d{2})?$/);

  it("returns a finite instant or a MetadataFormatError, for any string", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), dateLike), fc.boolean(), (s, lenientDates) => {
        const r = valueOrBulwarkError(() => parseExpires(s, { lenientDates }));
        if ("error" in r) assert.ok(r.error instanceof MetadataFormatError);
        else assert.ok(Number.isFinite(r.value));
      }),
      { numRuns: 1000 },
    );
  });

  it("accepts in strict mode only what formatExpires writes back identically", () => {
    fc.assert(
      fc.property(dateLike, (s) => {
        const r = valueOrBulwarkError(() => parseExpires(s));
        if ("value" in r) assert.equal(formatExpires(r.value), s);
      }),
      { numRuns: RUNS },
    );
  });

  it("round-trips formatExpires for every whole second of the years 0100–9999", () => {
    const date = fc.date({
      min: new Date("0100-01-01T00:00:00Z"),
      max: new Date("9999-12-31T23:59:59Z"),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(date, (d) => {
        assert.equal(parseExpires(formatExpires(d)), Math.floor(d.getTime() / 1000) * 1000);
      }),
      { numRuns: RUNS },
    );
  });

  it("accepts valid dates in the years 0000–0099", () => {
    // Date.UTC maps years 0–99 to 1900–1999, so these valid spec-form dates must not be
    // checked against Date.UTC's own reading of the year.
    for (const s of ["0000-01-01T00:00:00Z", "0050-06-15T12:00:00Z", "0099-12-31T23:59:59Z"]) {
      const r = valueOrBulwarkError(() => parseExpires(s));
      assert.ok("value" in r, `${s} was refused`);
      assert.equal(formatExpires(r.value), s);
    }
  });
});

describe("matchesPathPattern", () => {
  const ch = fc.constantFrom(..."abz-!^]\\/*?");
  const globby = fc
    .array(
      fc.oneof(
        fc.constantFrom("*", "?", "/", "a", "b", "z", ".", "!", "^", "\\", "-", "[", "]"),
        fc.tuple(ch, ch).map(([x, y]) => `[${x}-${y}]`),
        fc.tuple(ch, ch).map(([x, y]) => `[!${x}${y}]`),
      ),
      { maxLength: 8 },
    )
    .map((tokens) => tokens.join(""));

  it("returns a boolean for any target path and pattern, and never throws", () => {
    fc.assert(
      fc.property(fc.oneof(globby, fc.string({ unit: "binary" })), fc.oneof(globby, fc.string()), (pattern, path) => {
        const r = valueOrBulwarkError(() => matchesPathPattern(path, pattern));
        assert.ok("value" in r && typeof r.value === "boolean");
      }),
      { numRuns: 1000 },
    );
  });

  it("matches a pattern without wildcards against itself only", () => {
    const plain = fc.string({ unit: fc.constantFrom(..."ab/.-z^$()+{}|\\"), maxLength: 12 });
    fc.assert(
      fc.property(plain, plain, (pattern, path) => {
        assert.equal(matchesPathPattern(pattern, pattern), true);
        assert.equal(matchesPathPattern(path, pattern), path === pattern);
      }),
      { numRuns: RUNS },
    );
  });

  it("never lets * or ? cross a /", () => {
    const segment = fc.string({ unit: fc.constantFrom(..."ab.-"), maxLength: 4 });
    const wild = fc.string({ unit: fc.constantFrom(..."ab*?"), minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(fc.array(segment, { minLength: 2, maxLength: 4 }), wild, (segments, pattern) => {
        const path = segments.join("/");
        assert.equal(matchesPathPattern(path, pattern), false);
        // One wildcard segment per path segment is what it takes.
        assert.equal(matchesPathPattern(path, segments.map(() => "*").join("/")), true);
      }),
      { numRuns: RUNS },
    );
  });
});
