import { createHash, getHashes, type Hash } from "node:crypto";
import { LengthOrHashMismatchError, MetadataFormatError, UnsupportedHashError } from "../errors.js";

const AVAILABLE = new Set(getHashes());
const HEX_DIGEST = /^[0-9a-f]+$/;

/** Hash algorithm names TUF metadata uses, mapped to `node:crypto` names. */
const ALGORITHMS: Record<string, string> = {
  sha256: "sha256",
  sha384: "sha384",
  sha512: "sha512",
  "sha3-256": "sha3-256",
  "sha3-512": "sha3-512",
};

/** True when `algorithm` can be computed here. */
export function isSupportedHash(algorithm: string): boolean {
  const name = Object.hasOwn(ALGORITHMS, algorithm) ? ALGORITHMS[algorithm] : undefined;
  return name !== undefined && AVAILABLE.has(name);
}

/** Checks that a `hashes` map is non-empty and its digests look like hex. */
export function validateHashes(hashes: ReadonlyMap<string, string>, where: string): void {
  if (hashes.size === 0) throw new MetadataFormatError(`${where}.hashes must not be empty`);
}

/**
 * An incremental verifier of every supported hash in a `hashes` map. Unsupported
 * algorithms are skipped, but at least one must be supported.
 */
export class HashVerifier {
  private readonly hashers: Array<[string, string, Hash]> = [];

  constructor(
    hashes: ReadonlyMap<string, string>,
    readonly what: string,
  ) {
    for (const [algorithm, expected] of hashes) {
      if (isSupportedHash(algorithm)) {
        this.hashers.push([algorithm, expected.toLowerCase(), createHash(ALGORITHMS[algorithm] as string)]);
      }
    }
    if (this.hashers.length === 0) {
      throw new UnsupportedHashError(
        `${what}: the signed metadata lists only hash algorithms this client cannot compute (${[...hashes.keys()].join(", ")}); supported: ${Object.keys(ALGORITHMS).filter(isSupportedHash).join(", ")}`,
      );
    }
  }

  update(chunk: Uint8Array): void {
    for (const [, , h] of this.hashers) h.update(chunk);
  }

  /** @throws {LengthOrHashMismatchError} when any digest differs. */
  verify(): void {
    for (const [algorithm, expected, h] of this.hashers) {
      const actual = h.digest("hex");
      if (!HEX_DIGEST.test(expected) || actual !== expected) {
        throw new LengthOrHashMismatchError(`${this.what}: ${algorithm} hash does not match the signed metadata`);
      }
    }
  }
}

/** Verifies `data` against a `hashes` map in one go. */
export function verifyHashes(data: Uint8Array, hashes: ReadonlyMap<string, string>, what: string): void {
  const v = new HashVerifier(hashes, what);
  v.update(data);
  v.verify();
}

/** Verifies the length of `data`. */
export function verifyLength(data: Uint8Array, length: number, what: string): void {
  if (data.length > length) throw longerThanSigned(what, length);
  if (data.length < length) throw shorterThanSigned(what, data.length, length);
}

/**
 * A file longer than its signed length: the one error for it, whether the fetcher or the
 * verifier notices first (the fetcher stops reading at the signed length).
 */
export function longerThanSigned(what: string, length: number): LengthOrHashMismatchError {
  return new LengthOrHashMismatchError(
    `${what} is longer than its signed length, ${length} bytes (endless-data attack?)`,
  );
}

/** A file shorter than its signed length. */
export function shorterThanSigned(what: string, received: number, length: number): LengthOrHashMismatchError {
  return new LengthOrHashMismatchError(`${what} is ${received} bytes, shorter than its signed length, ${length} bytes`);
}

/** Computes the given hashes of `data` as hex, for writing metadata. */
export function computeHashes(data: Uint8Array, algorithms: readonly string[] = ["sha256"]): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of algorithms)
    out.set(
      a,
      createHash(ALGORITHMS[a] ?? a)
        .update(data)
        .digest("hex"),
    );
  return out;
}
