/**
 * Ed25519 note signatures (signed-note signature type 0x01), on node:crypto. Raw 32-byte
 * keys are wrapped in their fixed SPKI and PKCS#8 DER prefixes.
 */
import {
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from "node:crypto";
import { encodeBase64, hex32 } from "./encoding.js";
import { usageError } from "./errors.js";
import { isValidKeyName, keyIdFor, type NoteSigner, type NoteVerifier, SIGNATURE_TYPE } from "./note-key.js";

/** Size of an Ed25519 public key or seed. */
export const ED25519_KEY_SIZE = 32;
/** Size of an Ed25519 signature. */
export const ED25519_SIGNATURE_SIZE = 64;

const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** A node:crypto public key from a raw 32-byte Ed25519 public key. */
export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

/** A node:crypto private key from a raw 32-byte Ed25519 seed. */
export function ed25519PrivateKey(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
}

/** The raw 32-byte public key of a node:crypto Ed25519 key (public or private). */
export function rawEd25519PublicKey(key: KeyObject): Uint8Array {
  const spki = (key.type === "private" ? createPublicKey(key) : key).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(spki.length - ED25519_KEY_SIZE));
}

/** Whether `signature` is a valid 64-byte Ed25519 signature of `message` by `key`. */
export function ed25519Verify(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_SIZE) return false;
  try {
    return cryptoVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** The Ed25519 signature of `message`. */
export function ed25519Sign(key: KeyObject, message: Uint8Array): Uint8Array {
  return new Uint8Array(cryptoSign(null, message, key));
}

/**
 * Checks a key name and a raw Ed25519 key or seed handed to a constructor.
 * @throws {UsageError}
 */
export function checkEd25519Key(name: string, key: Uint8Array, what: string): void {
  if (!isValidKeyName(name)) throw usageError(`invalid key name ${JSON.stringify(name)}`);
  if (key.length !== ED25519_KEY_SIZE)
    throw usageError(`an Ed25519 ${what} is ${ED25519_KEY_SIZE} bytes, not ${key.length}`);
}

/** A verifier of plain Ed25519 note signatures (type 0x01). */
export class Ed25519Verifier implements NoteVerifier {
  readonly type = SIGNATURE_TYPE.ED25519;
  readonly keyId: number;
  readonly vkey: string;
  readonly #key: KeyObject;

  /**
   * @param publicKey the raw 32-byte Ed25519 public key.
   * @throws {UsageError} for an invalid key name or key size.
   */
  constructor(
    readonly name: string,
    readonly publicKey: Uint8Array,
  ) {
    checkEd25519Key(name, publicKey, "public key");
    const typed = new Uint8Array([SIGNATURE_TYPE.ED25519, ...publicKey]);
    this.keyId = keyIdFor(name, SIGNATURE_TYPE.ED25519, publicKey);
    this.vkey = `${name}+${hex32(this.keyId)}+${encodeBase64(typed)}`;
    this.#key = ed25519PublicKey(publicKey);
  }

  verify(message: Uint8Array, signature: Uint8Array): boolean {
    return ed25519Verify(this.#key, message, signature);
  }
}

/** A signer of plain Ed25519 note signatures (type 0x01) holding the seed in memory. */
export class Ed25519Signer implements NoteSigner {
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  readonly #key: KeyObject;

  /**
   * @param seed the raw 32-byte Ed25519 private key (RFC 8032 seed).
   * @throws {UsageError} for an invalid key name or seed size.
   */
  constructor(
    readonly name: string,
    seed: Uint8Array,
  ) {
    checkEd25519Key(name, seed, "seed");
    this.#key = ed25519PrivateKey(seed);
    this.publicKey = rawEd25519PublicKey(this.#key);
    this.keyId = keyIdFor(name, SIGNATURE_TYPE.ED25519, this.publicKey);
  }

  /** The matching verifier. */
  verifier(): Ed25519Verifier {
    return new Ed25519Verifier(this.name, this.publicKey);
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return ed25519Sign(this.#key, message);
  }
}
