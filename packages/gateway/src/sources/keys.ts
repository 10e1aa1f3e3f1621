/**
 * The public keys an organisation gives when it adds a source, and the signature checks
 * made with them, all with node:crypto. Keys are parsed when the source is configured, so a
 * bad key is a configuration error, never a release that "fails to verify".
 */
import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { SourceConfigError } from "./errors.js";
import type { SignatureAlgorithm } from "./types.js";

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Strict base64 to bytes, or undefined. */
export function decodeBase64(text: string): Buffer | undefined {
  const t = text.trim();
  if (t.length % 4 !== 0 || !BASE64.test(t)) return undefined;
  return Buffer.from(t, "base64");
}

function rawEd25519(bytes: Buffer): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: bytes.toString("base64url") }, format: "jwk" });
}

/**
 * An Ed25519 public key given as Sparkle gives it (base64 of 32 bytes) or as PEM.
 * @throws {SourceConfigError} when it is neither.
 */
export function ed25519PublicKey(text: string): KeyObject {
  const raw = decodeBase64(text);
  if (raw !== undefined && raw.length === 32) return rawEd25519(raw);
  return pemKey(text, "ed25519");
}

/**
 * A PEM (SPKI) public key of the expected type.
 * @throws {SourceConfigError} when it does not parse or is of another type.
 */
export function pemKey(text: string, type: "ed25519" | "ec"): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch (cause) {
    throw new SourceConfigError(
      `the public key is not a ${type === "ec" ? "PEM ECDSA" : "PEM or base64 Ed25519"} public key (${(cause as Error).message})`,
      "give the vendor's public key as published, e.g. the SUPublicEDKey of a Sparkle app, or a PEM file",
    );
  }
  if (key.asymmetricKeyType !== type) {
    throw new SourceConfigError(`the public key is ${key.asymmetricKeyType ?? "unknown"}, not ${type}`);
  }
  return key;
}

/** The public key of a detached-signature algorithm. @throws {SourceConfigError} */
export function detachedSignatureKey(algorithm: SignatureAlgorithm, text: string): KeyObject {
  return algorithm === "ed25519" ? ed25519PublicKey(text) : pemKey(text, "ec");
}

/**
 * Whether `signature` over `data` verifies under `key` (Ed25519, or ECDSA over SHA-256 with a
 * DER signature). Never throws: a malformed signature does not verify.
 */
export function verifySignature(
  algorithm: SignatureAlgorithm,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    return verify(algorithm === "ed25519" ? null : "sha256", data, key, signature);
  } catch {
    return false;
  }
}

/**
 * A detached signature file as vendors publish them: raw bytes, or base64 text (one line,
 * white space around it ignored). Base64 is tried first only when the whole file is base64.
 */
export function signatureBytes(file: Buffer): Buffer {
  const text = file.toString("latin1").trim();
  const decoded = /^[A-Za-z0-9+/=\s]+$/.test(text) ? decodeBase64(text.replace(/\s+/g, "")) : undefined;
  return decoded ?? file;
}
