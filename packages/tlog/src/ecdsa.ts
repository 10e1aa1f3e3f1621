/**
 * ECDSA note signatures (signed-note signature type 0x02, as transparency-dev/witness and
 * Rekor v1 make them): an ASN.1 DER ECDSA signature over SHA-256 of the note text. The key
 * material is a DER SubjectPublicKeyInfo, and the key ID is SHA-256(SPKI)[:4], not the
 * name-based formula.
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { concatBytes, encodeBase64, hex32 } from "./encoding.js";
import { usageError } from "./errors.js";
import { isValidKeyName, keyIdOfHash, type NoteVerifier, SIGNATURE_TYPE } from "./note-key.js";
import { sha256 } from "./rfc6962.js";

const CURVES = new Set(["prime256v1", "secp384r1", "secp521r1"]);

/**
 * A node:crypto public key from a DER SPKI, when it is ECDSA on P-256, P-384 or P-521;
 * otherwise undefined.
 */
export function ecdsaPublicKey(spki: Uint8Array): KeyObject | undefined {
  try {
    const key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return key.asymmetricKeyType === "ec" && curve !== undefined && CURVES.has(curve) ? key : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `signature` is a DER ECDSA signature of SHA-256(`message`) by `key`. */
export function ecdsaVerify(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return cryptoVerify("sha256", message, { key, dsaEncoding: "der" }, signature);
  } catch {
    return false;
  }
}

/** Verifies ECDSA note signatures (type 0x02). */
export class EcdsaVerifier implements NoteVerifier {
  readonly type = SIGNATURE_TYPE.ECDSA;
  readonly keyId: number;
  readonly vkey: string;
  readonly #key: KeyObject;

  /**
   * @param spki the DER SubjectPublicKeyInfo of a P-256, P-384 or P-521 key.
   * @throws {UsageError} for an invalid name or an unsupported key.
   */
  constructor(
    readonly name: string,
    readonly spki: Uint8Array,
  ) {
    const key = ecdsaPublicKey(spki);
    if (!isValidKeyName(name) || key === undefined) throw usageError("invalid ECDSA verifier key");
    this.#key = key;
    this.keyId = keyIdOfHash(sha256(spki));
    this.vkey = `${name}+${hex32(this.keyId)}+${encodeBase64(concatBytes(new Uint8Array([this.type]), spki))}`;
  }

  verify(message: Uint8Array, signature: Uint8Array): boolean {
    return ecdsaVerify(this.#key, message, signature);
  }
}
