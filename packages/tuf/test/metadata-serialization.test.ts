/**
 * Every case of ../shared/vectors/tuf/metadata-serialization.json: python-tuf's
 * tests/test_metadata_serialization.py as data. Valid cases parse and serialise back to an
 * equal object (unknown fields kept); invalid cases are refused with a MetadataFormatError.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeVectors, readVectorJson, SKIP_VECTORS } from "@bulwark/testkit";
import {
  BulwarkError,
  canonicalize,
  DelegatedRole,
  Delegations,
  JsonFloat,
  type JsonObject,
  type JsonValue,
  Key,
  Metadata,
  MetadataFormatError,
  MetaFile,
  parseJson,
  Role,
  Root,
  Signature,
  Snapshot,
  SuccinctRoles,
  TargetFile,
  Targets,
  Timestamp,
} from "../src/index.js";

interface Case {
  class: string;
  dataset: string;
  name: string;
  valid: boolean;
  json: string;
}

interface Vectors {
  semantics: Record<string, string>;
  cases: Case[];
}

/** Anything with the one `toJSON` every model has. */
interface Model {
  toJSON(): JsonValue;
}

function asObject(value: JsonValue): JsonObject {
  assert.ok(value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof JsonFloat));
  return value;
}

/**
 * python-tuf's `Key.from_dict(keyid, dict)` takes the key ID apart; in these inputs a
 * `keyid` field stands for the map key under `keys`. Returns the map key (or what stood
 * for it) and the key object without it.
 */
function splitKeyId(value: JsonValue): { keyid: JsonValue | undefined; key: JsonObject } {
  const { keyid, ...key } = asObject(value);
  return { keyid, key };
}

/** Parses one case with the model its class names, as the semantics describe. */
function parseCase(c: Case, value: JsonValue): Model {
  const where = `case ${JSON.stringify(c.name)}`;
  switch (c.class) {
    case "Metadata":
      return Metadata.fromBytes(c.json);
    case "Signature":
      return Signature.fromJSON(value, where);
    case "Key":
      return Key.fromJSON(value, where);
    case "Role":
      return Role.fromJSON(value, where);
    case "Root":
      return Root.fromJSON(value);
    case "MetaFile":
      return MetaFile.fromJSON(value, where);
    case "Timestamp":
      return Timestamp.fromJSON(value);
    case "Snapshot":
      return Snapshot.fromJSON(value);
    case "DelegatedRole":
      return DelegatedRole.fromJSON(value, where);
    case "SuccinctRoles":
      return SuccinctRoles.fromJSON(value, where);
    case "Delegations":
      return Delegations.fromJSON(value, where);
    case "TargetFile":
      return TargetFile.fromJSON("file.txt", value, where);
    case "Targets":
      return Targets.fromJSON(value);
    default:
      throw new Error(`no parser for class ${c.class}: extend this test`);
  }
}

/**
 * `json.dumps(value, sort_keys=True, separators=(",", ":"))` as Python writes it:
 * keys sorted by code point, `ensure_ascii` escapes for everything outside U+0020..U+007E.
 */
function pythonCompactDumps(value: JsonValue): string {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof JsonFloat) return value.source;
  if (typeof value === "string") {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  }
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonCompactDumps).join(",")}]`;
  const keys = Object.keys(value).sort((a, b) => {
    const x = [...a].map((ch) => ch.codePointAt(0) as number);
    const y = [...b].map((ch) => ch.codePointAt(0) as number);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
    }
    return x.length - y.length;
  });
  return `{${keys.map((k) => `${pythonCompactDumps(k)}:${pythonCompactDumps(value[k] as JsonValue)}`).join(",")}}`;
}

function assertBadMetadata(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BulwarkError, `expected a BulwarkError, got ${String(e)}`);
    assert.ok(e instanceof MetadataFormatError, `expected a MetadataFormatError, got ${e.name}: ${e.message}`);
    assert.equal(e.code, "TUF_BAD_METADATA");
    return true;
  });
}

describeVectors("metadata (de)serialisation against ../shared/vectors/tuf/metadata-serialization.json", () => {
  const vectors = SKIP_VECTORS
    ? { semantics: {}, cases: [] }
    : readVectorJson<Vectors>("tuf", "metadata-serialization.json");
  const classes = [...new Set(vectors.cases.map((c) => c.class))];

  it("has a parser for every class the semantics name, and 118 cases", () => {
    assert.equal(vectors.cases.length, 118);
    assert.deepEqual([...classes].sort(), Object.keys(vectors.semantics).sort());
  });

  for (const cls of classes) {
    describe(cls, () => {
      for (const c of vectors.cases.filter((x) => x.class === cls)) {
        it(`${c.valid ? "accepts" : "rejects"} ${c.name} (${c.dataset})`, () => {
          const value = parseJson(c.json);
          if (cls === "Key") {
            checkKeyCase(c, value);
            return;
          }
          if (!c.valid) {
            assertBadMetadata(() => parseCase(c, value));
            return;
          }
          const model = parseCase(c, value);
          assert.deepStrictEqual(model.toJSON(), value);
          if (cls === "Metadata") {
            // python-tuf re-serialises with json.dumps(sort_keys=True, separators=(",", ":")).
            assert.equal(pythonCompactDumps(model.toJSON()), pythonCompactDumps(value));
            assert.ok(model instanceof Metadata);
            assert.deepEqual(canonicalize(model.toJSON()), canonicalize(value));
            // And bytes we write compact parse back to the same model.
            assert.deepStrictEqual(Metadata.fromBytes(model.toBytes({ indent: 0 })).toJSON(), value);
          }
        });
      }
    });
  }
});

/**
 * Key cases: the `keyid` field stands for the map key under `keys`. Valid cases have none
 * and round-trip; invalid cases are refused as a key, and as an entry of a `keys` map.
 */
function checkKeyCase(c: Case, value: JsonValue): void {
  const { keyid, key } = splitKeyId(value);
  if (c.valid) {
    assert.equal(keyid, undefined);
    assert.deepStrictEqual(Key.fromJSON(value, "key").toJSON(), value);
    const delegations = Delegations.fromJSON({ keys: { id: key }, roles: [] }, "delegations");
    assert.deepStrictEqual(delegations.toJSON(), { keys: { id: key }, roles: [] });
    return;
  }
  if (typeof keyid !== "string") {
    // "no keyid" and "keyid wrong type": JSON object keys are always strings, so such a key
    // has no map key and cannot reach Key.fromJSON through any metadata document. The
    // rest of the object is a well-formed key: the case fails only on the key ID.
    assert.ok(["no keyid", "keyid wrong type"].includes(c.name), `unexpected case ${c.name}`);
    assert.doesNotThrow(() => Key.fromJSON(key, "key"));
    return;
  }
  assertBadMetadata(() => Key.fromJSON(key, `keys[${JSON.stringify(keyid)}]`));
  assertBadMetadata(() => Delegations.fromJSON({ keys: { [keyid]: key }, roles: [] }, "delegations"));
}
