import { isJsonObject, type JsonObject, type JsonValue } from "@bulwark/tuf";
import { quote } from "./quote.js";

/**
 * An in-toto DigestSet: algorithm name → digest. A `Map`, because the names come from
 * the attestation's producer (rule: never an object keyed by untrusted names).
 */
export type DigestSet = ReadonlyMap<string, string>;

/**
 * Hex lengths of the DigestSet algorithms the in-toto spec (`digest_set.md`) defines as
 * lowercase hex. Values under these names are checked; other names are kept as strings
 * and never matched against anything.
 */
const HEX_DIGESTS: Readonly<Record<string, readonly number[]>> = {
  sha1: [40],
  sha224: [56],
  sha256: [64],
  sha384: [96],
  sha512: [128],
  sha512_224: [56],
  sha512_256: [64],
  sha3_224: [56],
  sha3_256: [64],
  sha3_384: [96],
  sha3_512: [128],
  md5: [32],
  ripemd160: [40],
  sm3: [64],
  gitCommit: [40, 64],
  gitTree: [40, 64],
  gitBlob: [40, 64],
  gitTag: [40, 64],
};

const LOWER_HEX = /^(?:[0-9a-f]{2})+$/;

/** True for lowercase hex of `length` characters. */
export function isLowerHex(value: string, length: number): boolean {
  return value.length === length && LOWER_HEX.test(value);
}

/**
 * Reads a DigestSet: a non-empty object of strings, where every algorithm the spec
 * defines as hex has lowercase hex of its length. Returns an error message or the set.
 */
export function readDigestSet(value: JsonValue | undefined, where: string): DigestSet | string {
  if (!isJsonObject(value)) return `${where} must be an object of digests`;
  const entries = Object.entries(value);
  if (entries.length === 0) return `${where} must name at least one digest`;
  const set = new Map<string, string>();
  for (const [alg, digest] of entries) {
    if (typeof digest !== "string" || digest.length === 0) {
      return `${where}[${quote(alg)}] must be a non-empty string`;
    }
    const lengths = Object.hasOwn(HEX_DIGESTS, alg) ? HEX_DIGESTS[alg] : undefined;
    if (lengths !== undefined && !lengths.some((n) => isLowerHex(digest, n))) {
      return `${where}.${alg} must be lowercase hex of ${lengths.join(" or ")} characters`;
    }
    set.set(alg, digest);
  }
  return set;
}

/** The DigestSet as JSON (own properties, even for a name such as `__proto__`). */
export function digestSetToJSON(set: DigestSet): JsonObject {
  return Object.fromEntries(set) as JsonObject;
}

/** A DigestSet from a plain record or a map, as callers building statements write it. */
export function toDigestSet(digest: DigestSet | Readonly<Record<string, string>>): Map<string, string> {
  return digest instanceof Map ? new Map(digest) : new Map(Object.entries(digest));
}
