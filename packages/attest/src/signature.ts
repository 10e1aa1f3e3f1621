import { createHash, verify as cryptoVerify } from "node:crypto";
import type { Key } from "@bulwark/tuf";

/** Raw r||s lengths of the ECDSA curves TUF names, by scheme. */
const P1363_LENGTH: Readonly<Record<string, { bytes: number; hash: string }>> = {
  "ecdsa-sha2-nistp256": { bytes: 64, hash: "sha256" },
  "ecdsa-sha2-nistp384": { bytes: 96, hash: "sha384" },
};

/**
 * Verifies raw signature bytes over `data` with a TUF-format key. ECDSA signatures are
 * accepted in both encodings found in DSSE envelopes: ASN.1 DER (sigstore, cosign, and
 * what `node:crypto` signs) and raw IEEE P1363 r||s (the DSSE spec's own test vector).
 * RSA-PSS and Ed25519 go through the TUF key's own verifier.
 *
 * Returns false for a bad signature and for a key that cannot be used (an unsupported
 * scheme or a malformed public value): a verifier never throws on untrusted input.
 */
export function verifySignature(key: Key, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.byteLength === 0) return false;
  try {
    if (key.verify(data, Buffer.from(signature).toString("hex"))) return true;
    const p1363 = P1363_LENGTH[key.scheme];
    if (p1363 === undefined || signature.byteLength !== p1363.bytes) return false;
    return cryptoVerify(p1363.hash, data, { key: key.publicKey(), dsaEncoding: "ieee-p1363" }, signature);
  } catch {
    // An unusable key, or OpenSSL refusing a malformed signature: not verified.
    return false;
  }
}

/**
 * Identifies the key material itself, whatever key ID or scheme a document lists it
 * under: SHA-256 of its SubjectPublicKeyInfo DER. Thresholds count these, so one key
 * listed under two key IDs (or two builders) is still one key.
 * Returns undefined for a key that cannot be parsed.
 */
export function keyFingerprint(key: Key): string | undefined {
  try {
    const der = key.publicKey().export({ format: "der", type: "spki" });
    return createHash("sha256").update(der).digest("hex");
  } catch {
    return undefined;
  }
}
