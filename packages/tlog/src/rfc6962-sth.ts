/**
 * RFC 6962 TreeHeadSignature note signatures (signed-note signature type 0x05, defined by
 * c2sp.org/static-ct-api): the signature bytes are a u64 millisecond timestamp followed by
 * a TLS `DigitallySigned` (hash 4 = SHA-256, signature 3 = ECDSA, u16 length, DER
 * signature) over the RFC 6962 §3.5 `TreeHeadSignature` of the checkpoint's size and root.
 *
 * That structure does not cover the origin line, so this verifier also requires the origin
 * to equal its key name; otherwise a valid signature could be moved to another origin.
 */
import type { KeyObject } from "node:crypto";
import { parseCheckpoint } from "./checkpoint.js";
import { ecdsaPublicKey, ecdsaVerify } from "./ecdsa.js";
import { concatBytes, decodeUtf8, encodeBase64, hex32 } from "./encoding.js";
import { usageError } from "./errors.js";
import { isValidKeyName, keyIdFor, type NoteVerifier, SIGNATURE_TYPE } from "./note-key.js";
import { sha256 } from "./rfc6962.js";

const HASH_SHA256 = 4;
const SIGNATURE_ECDSA = 3;

/** Verifies RFC 6962 STH note signatures of a static-ct-api log (type 0x05), ECDSA keys only. */
export class Rfc6962SthVerifier implements NoteVerifier {
  readonly type = SIGNATURE_TYPE.RFC6962_STH;
  readonly keyId: number;
  readonly vkey: string;
  readonly #key: KeyObject;

  /**
   * @param spki the log's DER SubjectPublicKeyInfo (an ECDSA key).
   * @throws {UsageError} for an invalid name or an unsupported key.
   */
  constructor(
    readonly name: string,
    readonly spki: Uint8Array,
  ) {
    const key = ecdsaPublicKey(spki);
    if (!isValidKeyName(name) || key === undefined) throw usageError("invalid RFC 6962 STH verifier key");
    this.#key = key;
    // static-ct-api: the key material hashed into the key ID is the log ID, SHA-256(SPKI).
    this.keyId = keyIdFor(name, this.type, sha256(spki));
    this.vkey = `${name}+${hex32(this.keyId)}+${encodeBase64(concatBytes(new Uint8Array([this.type]), spki))}`;
  }

  verify(message: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length < 12) return false;
    const view = new DataView(signature.buffer, signature.byteOffset, signature.byteLength);
    const timestamp = view.getBigUint64(0, false);
    const length = view.getUint16(10, false);
    if (signature[8] !== HASH_SHA256 || signature[9] !== SIGNATURE_ECDSA || signature.length !== 12 + length)
      return false;
    const text = decodeUtf8(message);
    if (text === undefined) return false;
    let checkpoint: ReturnType<typeof parseCheckpoint>;
    try {
      checkpoint = parseCheckpoint(text);
    } catch {
      return false;
    }
    if (checkpoint.extensionLines.length > 0 || checkpoint.origin !== this.name) return false;
    // RFC 6962 §3.5 TreeHeadSignature: version v1 (0), signature_type tree_hash (1),
    // timestamp, tree_size, sha256_root_hash.
    const input = new Uint8Array(2 + 8 + 8 + 32);
    const out = new DataView(input.buffer);
    out.setUint8(0, 0);
    out.setUint8(1, 1);
    out.setBigUint64(2, timestamp, false);
    out.setBigUint64(10, checkpoint.size, false);
    input.set(checkpoint.rootHash, 18);
    return ecdsaVerify(this.#key, input, signature.subarray(12));
  }
}
