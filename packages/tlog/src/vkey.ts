/**
 * The text forms of signed-note keys. A verifier key (vkey) is `<name>+<key ID>+<base64>`
 * where the base64 holds the signature type byte and the public key; a signer key (skey)
 * is `PRIVATE+KEY+<name>+<key ID>+<base64>` with the type byte and the Ed25519 seed. The
 * base64 may contain `+`, so only the first separators split.
 */
import { generateKeyPairSync } from "node:crypto";
import { CosignatureV1Signer, CosignatureV1Verifier, type CosignerOptions } from "./cosignature.js";
import { EcdsaVerifier } from "./ecdsa.js";
import { ED25519_KEY_SIZE, Ed25519Signer, Ed25519Verifier } from "./ed25519.js";
import { decodeBase64, encodeBase64, hex32 } from "./encoding.js";
import { TLOG_ERRORS, TlogError, usageError } from "./errors.js";
import { isValidKeyName, type NoteVerifier, SIGNATURE_TYPE } from "./note-key.js";
import { Rfc6962SthVerifier } from "./rfc6962-sth.js";

function badKey(message: string): TlogError {
  return new TlogError(TLOG_ERRORS.BAD_KEY, message);
}

/** Cuts `s` at the first `sep`, like Go's strings.Cut. */
function cut(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + 1)];
}

interface KeyParts {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly material: Uint8Array;
}

/** Splits `name+hex8+base64` and checks what every key type shares. */
function splitKey(text: string, what: string): KeyParts {
  const [name, rest] = cut(text, "+");
  const [id, base64] = cut(rest, "+");
  const key = decodeBase64(base64);
  if (!/^[0-9a-fA-F]{8}$/.test(id) || key === undefined || !isValidKeyName(name) || key.length === 0) {
    throw badKey(`malformed ${what}`);
  }
  return { name, keyId: Number.parseInt(id, 16), type: key[0] as number, material: key.subarray(1) };
}

function checkId(parts: KeyParts, computed: number, what: string): void {
  if (parts.keyId !== computed)
    throw badKey(`${what} for ${parts.name}: key ID ${hex32(parts.keyId)} does not match the key`);
}

function ed25519Material(parts: KeyParts, what: string): Uint8Array {
  if (parts.material.length !== ED25519_KEY_SIZE) throw badKey(`${what} for ${parts.name}: Ed25519 key of wrong size`);
  return parts.material;
}

/**
 * Parses a verifier key of a supported signature type: 0x01 Ed25519, 0x02 ECDSA, 0x04
 * Ed25519 cosignature/v1, 0x05 RFC 6962 STH. The key ID must match the key.
 * @throws {TlogError} TLOG_BAD_KEY
 */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const parts = splitKey(vkey, "verifier key");
  let verifier: NoteVerifier;
  switch (parts.type) {
    case SIGNATURE_TYPE.ED25519:
      verifier = new Ed25519Verifier(parts.name, ed25519Material(parts, "verifier key"));
      break;
    case SIGNATURE_TYPE.COSIGNATURE_V1:
      verifier = new CosignatureV1Verifier(parts.name, ed25519Material(parts, "verifier key"));
      break;
    case SIGNATURE_TYPE.ECDSA:
    case SIGNATURE_TYPE.RFC6962_STH:
      try {
        verifier =
          parts.type === SIGNATURE_TYPE.ECDSA
            ? new EcdsaVerifier(parts.name, parts.material)
            : new Rfc6962SthVerifier(parts.name, parts.material);
      } catch (cause) {
        throw new TlogError(TLOG_ERRORS.BAD_KEY, `verifier key for ${parts.name}: unsupported public key`, { cause });
      }
      break;
    default:
      throw badKey(`verifier key for ${parts.name}: unknown signature type 0x${parts.type.toString(16)}`);
  }
  checkId(parts, verifier.keyId, "verifier key");
  return verifier;
}

/**
 * A tlog-cosignature/v1 verifier from a 0x04 vkey, or from a plain Ed25519 (0x01) vkey of
 * the same key, converted as transparency-dev/formats does for witness policies (the key
 * ID then changes to the 0x04 one).
 * @throws {TlogError} TLOG_BAD_KEY
 */
export function parseCosignatureVerifierKey(vkey: string): CosignatureV1Verifier {
  const verifier = parseVerifierKey(vkey);
  if (verifier instanceof CosignatureV1Verifier) return verifier;
  if (verifier instanceof Ed25519Verifier) return new CosignatureV1Verifier(verifier.name, verifier.publicKey);
  throw badKey(`${verifier.name}: a witness key must be an Ed25519 or cosignature/v1 key`);
}

function splitSignerKey(skey: string): KeyParts {
  const [p1, rest1] = cut(skey, "+");
  const [p2, rest2] = cut(rest1, "+");
  if (p1 !== "PRIVATE" || p2 !== "KEY") throw badKey("malformed signer key");
  const parts = splitKey(rest2, "signer key");
  return { ...parts, material: ed25519Material(parts, "signer key") };
}

/**
 * Parses an Ed25519 signer key (type 0x01). The key ID must match the derived public key.
 * @throws {TlogError} TLOG_BAD_KEY
 */
export function parseSignerKey(skey: string): Ed25519Signer {
  const parts = splitSignerKey(skey);
  if (parts.type !== SIGNATURE_TYPE.ED25519) throw badKey(`signer key for ${parts.name}: unsupported signature type`);
  const signer = new Ed25519Signer(parts.name, parts.material);
  checkId(parts, signer.keyId, "signer key");
  return signer;
}

/**
 * A cosignature/v1 signer from an Ed25519 signer key of type 0x01 or 0x04 (the key ID is
 * checked against the type it was written with; cosignatures carry the 0x04 key ID).
 * @throws {TlogError} TLOG_BAD_KEY
 */
export function parseCosignerKey(skey: string, options: CosignerOptions = {}): CosignatureV1Signer {
  const parts = splitSignerKey(skey);
  if (parts.type === SIGNATURE_TYPE.ED25519) {
    checkId(parts, new Ed25519Signer(parts.name, parts.material).keyId, "signer key");
  } else if (parts.type !== SIGNATURE_TYPE.COSIGNATURE_V1) {
    throw badKey(`signer key for ${parts.name}: unsupported signature type`);
  }
  const signer = new CosignatureV1Signer(parts.name, parts.material, options);
  if (parts.type === SIGNATURE_TYPE.COSIGNATURE_V1) checkId(parts, signer.keyId, "signer key");
  return signer;
}

/** A fresh Ed25519 key pair in text form. The skey is secret. */
export interface GeneratedKey {
  readonly skey: string;
  readonly vkey: string;
}

/**
 * Generates an Ed25519 note key (type 0x01) for `name`.
 * @throws {UsageError} for an invalid key name.
 */
export function generateKey(name: string): GeneratedKey {
  if (!isValidKeyName(name)) throw usageError(`invalid key name ${JSON.stringify(name)}`);
  const jwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
  const seed = Buffer.from(jwk.d as string, "base64url");
  const signer = new Ed25519Signer(name, seed);
  const typedSeed = new Uint8Array([SIGNATURE_TYPE.ED25519, ...seed]);
  seed.fill(0);
  return {
    skey: `PRIVATE+KEY+${name}+${hex32(signer.keyId)}+${encodeBase64(typedSeed)}`,
    vkey: signer.verifier().vkey,
  };
}
