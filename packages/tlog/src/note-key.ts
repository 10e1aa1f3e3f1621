/**
 * Keys of c2sp.org/signed-note: key names, key IDs, signature types, and the verifier and
 * signer interfaces that notes, checkpoints and cosignatures are checked and made with.
 */
import { hex32 } from "./encoding.js";
import { sha256 } from "./rfc6962.js";

/** Signature type identifier bytes assigned by c2sp.org/signed-note. */
export const SIGNATURE_TYPE = {
  /** Ed25519 over the note text. */
  ED25519: 0x01,
  /** ECDSA over SHA-256 of the note text, as github.com/transparency-dev/witness does. */
  ECDSA: 0x02,
  /** Timestamped Ed25519 witness cosignature (c2sp.org/tlog-cosignature). */
  COSIGNATURE_V1: 0x04,
  /** RFC 6962 TreeHeadSignature (c2sp.org/static-ct-api). */
  RFC6962_STH: 0x05,
} as const;

/** Verifies note signatures made by one key. */
export interface NoteVerifier {
  /** The key name, as it appears in signature lines. */
  readonly name: string;
  /** The uint32 key ID, the first four bytes of every signature by this key. */
  readonly keyId: number;
  /** The signature type byte ({@link SIGNATURE_TYPE}). */
  readonly type: number;
  /** The verifier key in the `name+keyid+base64` form, re-encoded canonically. */
  readonly vkey: string;
  /** Whether `signature` (without the key ID) is valid over the note text `message`. */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** Signs note texts with one key. Asynchronous so that KMS and HSM signers fit. */
export interface NoteSigner {
  /** The key name written in the signature line. */
  readonly name: string;
  /** The uint32 key ID written before the signature. */
  readonly keyId: number;
  /** Signs the note text and returns the signature bytes (without the key ID). */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** Maximum number of signature lines in a note, as in Go's x/mod (C2SP requires >= 16). */
export const MAX_NOTE_SIGNATURES = 100;

// Go's unicode.IsSpace: Latin-1 spaces (including U+0085 and U+00A0) and the Unicode
// White_Space property. Not JavaScript's \s, which also matches U+FEFF.
const UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]/u;

/**
 * Whether `name` may be a key name: non-empty, well-formed Unicode, with no Unicode space
 * and no plus sign (Go's isValidName).
 */
export function isValidKeyName(name: string): boolean {
  return name !== "" && name.isWellFormed() && !UNICODE_SPACE.test(name) && !name.includes("+");
}

/**
 * The recommended key ID: the first four bytes, big-endian, of
 * SHA-256(key name || 0x0A || signature type || public key).
 */
export function keyIdFor(name: string, type: number, publicKey: Uint8Array): number {
  return keyIdOfHash(sha256(Buffer.from(`${name}\n`, "utf8"), new Uint8Array([type]), publicKey));
}

/** The big-endian uint32 at the start of a hash. */
export function keyIdOfHash(hash: Uint8Array): number {
  return Buffer.from(hash.buffer, hash.byteOffset, 4).readUInt32BE(0);
}

/** `name+keyid`, the identity of a key as error messages and lists show it. */
export function keyLabel(name: string, keyId: number): string {
  return `${name}+${hex32(keyId)}`;
}
