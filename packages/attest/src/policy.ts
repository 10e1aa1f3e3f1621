import {
  BulwarkError,
  canonicalString,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  Key,
  parseJson,
} from "@bulwark/tuf";
import { AttestError } from "./errors.js";
import { quote } from "./quote.js";
import { keyFingerprint } from "./signature.js";

/**
 * The name of the field in `root.signed` that holds the JSON form of the policies.
 * Other TUF clients ignore unknown fields, and root's signatures cover it.
 */
export const RELEASE_POLICY_FIELD = "x-bulwark-release-policy";

/** One independent builder: its identity (SLSA `runDetails.builder.id`) and its keys. */
export interface BuilderPolicy {
  readonly id: string;
  /** The builder's signing keys by key ID; any one of them attests for the builder. */
  readonly keys: ReadonlyMap<string, Key>;
}

/** What every counted attestation must match. */
export interface QuorumRequirements {
  /** The subject's sha256 must be the artifact's: always required. */
  readonly artifactSha256: true;
  /** The provenance's source digest must be the expected one. */
  readonly sourceDigest: boolean;
}

/** k of n independent builders must attest the same artifact, built from the same source. */
export interface ReleasePolicy {
  readonly builders: readonly BuilderPolicy[];
  /** k: how many distinct builders must agree. */
  readonly threshold: number;
  readonly require: QuorumRequirements;
}

/** The policies of a repository: one per product name, and a default for the rest. */
export interface ReleasePolicies {
  readonly products: ReadonlyMap<string, ReleasePolicy>;
  readonly default: ReleasePolicy | undefined;
}

/** The policy that governs `product`: its own, else the default, else undefined. */
export function policyForProduct(policies: ReleasePolicies, product: string): ReleasePolicy | undefined {
  return policies.products.get(product) ?? policies.default;
}

function bad(message: string, cause?: unknown): never {
  throw new AttestError("ATTEST_BAD_POLICY", message, cause === undefined ? undefined : { cause });
}

function onlyFields(value: JsonObject, allowed: readonly string[], where: string): void {
  // Fail closed on fields this version does not know: one could be a new requirement.
  for (const name of Object.keys(value)) {
    if (!allowed.includes(name)) bad(`${where} has an unknown field ${quote(name)}`);
  }
}

/**
 * Reads the JSON form of the release policies (from root metadata) strictly:
 * `{"products": {"<name>": <policy>}, "default"?: <policy>}`, where a policy is
 * `{"builders": [{"id", "keys": {"<keyid>": <TUF key>}}], "threshold": k,
 * "require"?: {"artifact_sha256": true, "source_digest": bool}}`. Unknown fields are
 * refused, builder IDs must be distinct, a key (by its material) may belong to one
 * builder only, and `threshold` must be between 1 and the number of builders.
 *
 * @throws {AttestError} `ATTEST_BAD_POLICY` naming the bad field.
 */
export function policyFromJSON(input: JsonValue | Uint8Array): ReleasePolicies {
  let value: JsonValue;
  if (input instanceof Uint8Array) {
    try {
      value = parseJson(input);
    } catch (cause) {
      return bad("the release policy is not valid JSON", cause);
    }
  } else {
    value = input;
  }
  const where = RELEASE_POLICY_FIELD;
  if (!isJsonObject(value)) return bad(`${where} must be an object`);
  onlyFields(value, ["products", "default"], where);
  const products = new Map<string, ReleasePolicy>();
  const list = value.products;
  if (!Object.hasOwn(value, "products") || !isJsonObject(list)) return bad(`${where}.products must be an object`);
  for (const [name, policy] of Object.entries(list)) {
    if (name.length === 0) bad(`${where}.products has an empty product name`);
    products.set(name, releasePolicyFromJSON(policy, `${where}.products[${quote(name)}]`));
  }
  const fallback = Object.hasOwn(value, "default")
    ? releasePolicyFromJSON(value.default, `${where}.default`)
    : undefined;
  return { products, default: fallback };
}

/**
 * Reads one release policy (see {@link policyFromJSON}).
 * @throws {AttestError} `ATTEST_BAD_POLICY` naming the bad field.
 */
export function releasePolicyFromJSON(value: JsonValue | undefined, where = "policy"): ReleasePolicy {
  if (!isJsonObject(value)) return bad(`${where} must be an object`);
  onlyFields(value, ["builders", "threshold", "require"], where);
  const list = value.builders;
  if (!Array.isArray(list) || list.length === 0) return bad(`${where}.builders must be a non-empty array`);
  const ids = new Set<string>();
  const owners = new Map<string, string>();
  const builders = list.map((entry, i): BuilderPolicy => {
    const at = `${where}.builders[${i}]`;
    if (!isJsonObject(entry)) return bad(`${at} must be an object`);
    onlyFields(entry, ["id", "keys"], at);
    const id = entry.id;
    if (typeof id !== "string" || id.length === 0) return bad(`${at}.id must be a non-empty string`);
    if (ids.has(id)) return bad(`${at}.id ${quote(id)} is listed twice: a builder counts once`);
    ids.add(id);
    const keysJson = entry.keys;
    if (!isJsonObject(keysJson) || Object.keys(keysJson).length === 0) {
      return bad(`${at}.keys must be a non-empty object of keys by key ID`);
    }
    const keys = new Map<string, Key>();
    for (const [keyId, keyJson] of Object.entries(keysJson)) {
      const keyAt = `${at}.keys[${quote(keyId)}]`;
      const key = readKey(keyJson, keyAt);
      const fingerprint = keyFingerprint(key);
      if (fingerprint === undefined) return bad(`${keyAt} is not a usable key`);
      const owner = owners.get(fingerprint);
      if (owner !== undefined) {
        return bad(
          owner === id
            ? `${keyAt} is the same key as another key of builder ${quote(id)}`
            : `${keyAt} is also a key of builder ${quote(owner)}: builders must not share keys`,
        );
      }
      owners.set(fingerprint, id);
      keys.set(keyId, key);
    }
    return { id, keys };
  });
  const threshold = value.threshold;
  if (typeof threshold !== "number" || !Number.isSafeInteger(threshold) || threshold < 1) {
    return bad(`${where}.threshold must be an integer >= 1`);
  }
  if (threshold > builders.length) {
    return bad(`${where}.threshold is ${threshold} but only ${builders.length} builders are listed: never satisfiable`);
  }
  return { builders, threshold, require: readRequire(value, where) };
}

function readKey(value: JsonValue | undefined, where: string): Key {
  try {
    const key = Key.fromJSON(value, where);
    key.publicKey(); // refuse an unusable key now, not at install time
    return key;
  } catch (cause) {
    if (cause instanceof BulwarkError) return bad(`${where} is not a usable key: ${cause.message}`, cause);
    throw cause;
  }
}

function readRequire(value: JsonObject, where: string): QuorumRequirements {
  // Absent means everything is required: the safe default.
  if (!Object.hasOwn(value, "require")) return { artifactSha256: true, sourceDigest: true };
  const require = value.require;
  const at = `${where}.require`;
  if (!isJsonObject(require)) return bad(`${at} must be an object`);
  onlyFields(require, ["artifact_sha256", "source_digest"], at);
  if (Object.hasOwn(require, "artifact_sha256") && require.artifact_sha256 !== true) {
    return bad(`${at}.artifact_sha256 must be true: the artifact digest is always checked`);
  }
  const sourceDigest = Object.hasOwn(require, "source_digest") ? require.source_digest : true;
  if (typeof sourceDigest !== "boolean") return bad(`${at}.source_digest must be a boolean`);
  return { artifactSha256: true, sourceDigest };
}

/** One release policy as JSON (see {@link policyFromJSON}). */
export function releasePolicyToJSON(policy: ReleasePolicy): JsonObject {
  return {
    builders: policy.builders.map((b) => ({
      id: b.id,
      keys: Object.fromEntries([...b.keys].map(([keyId, key]) => [keyId, key.toJSON()])) as JsonObject,
    })),
    threshold: policy.threshold,
    require: { artifact_sha256: true, source_digest: policy.require.sourceDigest },
  };
}

/** The release policies as JSON, for `root.signed[RELEASE_POLICY_FIELD]`. */
export function policyToJSON(policies: ReleasePolicies): JsonObject {
  const json: JsonObject = {
    products: Object.fromEntries(
      [...policies.products].map(([name, p]) => [name, releasePolicyToJSON(p)]),
    ) as JsonObject,
  };
  if (policies.default !== undefined) json.default = releasePolicyToJSON(policies.default);
  return json;
}

/** A root's fields other TUF clients ignore, where the policies live. */
interface RootFields {
  unrecognized: Record<string, JsonValue>;
}

/** No policies at all. */
export const NO_POLICIES: ReleasePolicies = Object.freeze({ products: new Map(), default: undefined });

/**
 * The release policies a root carries (`root.signed[RELEASE_POLICY_FIELD]`), or undefined
 * when it carries none.
 * @throws {AttestError} `ATTEST_BAD_POLICY` when the field is there but does not parse.
 */
export function releasePoliciesOf(root: Readonly<RootFields>): ReleasePolicies | undefined {
  if (!Object.hasOwn(root.unrecognized, RELEASE_POLICY_FIELD)) return undefined;
  return policyFromJSON(root.unrecognized[RELEASE_POLICY_FIELD] as JsonValue);
}

/** The canonical JSON of the policies a root carries, for comparisons; undefined when none. */
export function releasePoliciesJsonIn(root: Readonly<RootFields>): string | undefined {
  if (!Object.hasOwn(root.unrecognized, RELEASE_POLICY_FIELD)) return undefined;
  return canonicalString(root.unrecognized[RELEASE_POLICY_FIELD] as JsonValue);
}

/** The canonical JSON {@link writeReleasePolicies} stores for `policies`; undefined when there are none. */
export function releasePoliciesJson(policies: ReleasePolicies): string | undefined {
  if (policies.products.size === 0 && policies.default === undefined) return undefined;
  return canonicalString(policyToJSON(policies));
}

/**
 * Writes `policies` into a root (removing the field when there are none), after checking
 * that they read back as a client will read them.
 * @throws {AttestError} `ATTEST_BAD_POLICY` when they would not (shared keys, a threshold
 * above the builders, ...); the root is then unchanged.
 */
export function writeReleasePolicies(root: RootFields, policies: ReleasePolicies): void {
  const { [RELEASE_POLICY_FIELD]: _old, ...rest } = root.unrecognized;
  if (policies.products.size === 0 && policies.default === undefined) {
    root.unrecognized = rest;
    return;
  }
  const json = policyToJSON(policies);
  policyFromJSON(json);
  root.unrecognized = { ...rest, [RELEASE_POLICY_FIELD]: json };
}
