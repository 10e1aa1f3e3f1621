import {
  BulwarkError,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  type Key,
  parseJson,
  type Signer,
  UsageError,
} from "@bulwark/tuf";
import { decodeBase64, encodeBase64 } from "./base64.js";
import { AttestError } from "./errors.js";
import { pae } from "./pae.js";
import { keyFingerprint, verifySignature } from "./signature.js";

/** Resource limits applied to an envelope read from untrusted bytes. */
export interface EnvelopeLimits {
  /** Largest envelope accepted, in bytes, checked before any parsing. */
  readonly maxBytes: number;
  /** Most signatures accepted: each may be tried against every trusted key. */
  readonly maxSignatures: number;
}

/**
 * The default {@link EnvelopeLimits}: 1 MiB (an in-toto provenance statement is a few
 * KiB) and 64 signatures (an attestation normally carries one).
 */
export const ENVELOPE_LIMITS: EnvelopeLimits = Object.freeze({ maxBytes: 1024 * 1024, maxSignatures: 64 });

/** One DSSE signature. The `keyid` is an unauthenticated hint, never trusted. */
export interface EnvelopeSignature {
  readonly keyid?: string;
  readonly sig: Uint8Array;
}

/** A DSSE v1 envelope, with payload and signatures decoded from base64. */
export interface Envelope {
  readonly payloadType: string;
  readonly payload: Uint8Array;
  readonly signatures: readonly EnvelopeSignature[];
}

/** What {@link verifyEnvelope} proved: the payload, and which trusted keys signed it. */
export interface VerifiedEnvelope {
  readonly payloadType: string;
  readonly payload: Uint8Array;
  /** The key IDs (as named in the trusted map) of the distinct keys that verified. */
  readonly keyIds: readonly string[];
}

/**
 * Parses a DSSE envelope (JSON) from untrusted bytes. Unknown fields are ignored, as
 * the in-toto parsing rules ask; every known field must have its type.
 *
 * @throws {AttestError} `ATTEST_TOO_LARGE` over `limits.maxBytes` (before parsing),
 * `ATTEST_BAD_ENVELOPE` for anything that is not a well-formed envelope.
 */
export function parseEnvelope(bytes: Uint8Array, limits: Partial<EnvelopeLimits> = {}): Envelope {
  const maxBytes = limits.maxBytes ?? ENVELOPE_LIMITS.maxBytes;
  if (bytes.byteLength > maxBytes) {
    throw new AttestError("ATTEST_TOO_LARGE", `the envelope is ${bytes.byteLength} bytes; the limit is ${maxBytes}`);
  }
  let value: JsonValue;
  try {
    value = parseJson(bytes);
  } catch (cause) {
    throw new AttestError("ATTEST_BAD_ENVELOPE", "the envelope is not valid JSON", { cause });
  }
  return envelopeFromJSON(value, limits);
}

/**
 * Reads an already-parsed DSSE envelope (for one embedded in another document).
 * @throws {AttestError} `ATTEST_BAD_ENVELOPE` naming the bad field.
 */
export function envelopeFromJSON(value: JsonValue, limits: Partial<EnvelopeLimits> = {}): Envelope {
  const maxSignatures = limits.maxSignatures ?? ENVELOPE_LIMITS.maxSignatures;
  const bad = (what: string): never => {
    throw new AttestError("ATTEST_BAD_ENVELOPE", `envelope${what}`);
  };
  if (!isJsonObject(value)) return bad(" must be a JSON object");
  const payloadType = value.payloadType;
  if (typeof payloadType !== "string") return bad(".payloadType must be a string");
  if (!payloadType.isWellFormed()) return bad(".payloadType must be well-formed Unicode");
  // DSSE envelope.md: payload and sig are base64 (standard or URL-safe), keyid optional.
  const payloadText = value.payload;
  if (typeof payloadText !== "string") return bad(".payload must be a string");
  const payload = decodeBase64(payloadText);
  if (payload === undefined) return bad(".payload must be base64");
  const list = value.signatures;
  if (!Array.isArray(list)) return bad(".signatures must be an array");
  if (list.length > maxSignatures) return bad(` has ${list.length} signatures; the limit is ${maxSignatures}`);
  const signatures = list.map((entry, i): EnvelopeSignature => {
    if (!isJsonObject(entry)) return bad(`.signatures[${i}] must be an object`);
    const sigText = entry.sig;
    if (typeof sigText !== "string") return bad(`.signatures[${i}].sig must be a string`);
    const sig = decodeBase64(sigText);
    if (sig === undefined) return bad(`.signatures[${i}].sig must be base64`);
    if (!Object.hasOwn(entry, "keyid")) return { sig };
    const keyid = entry.keyid;
    if (typeof keyid !== "string") return bad(`.signatures[${i}].keyid must be a string`);
    return { keyid, sig };
  });
  return { payloadType, payload, signatures };
}

/** The envelope as DSSE JSON, with standard padded base64. */
export function envelopeToJSON(envelope: Envelope): JsonObject {
  return {
    payload: encodeBase64(envelope.payload),
    payloadType: envelope.payloadType,
    signatures: envelope.signatures.map((s) =>
      s.keyid === undefined ? { sig: encodeBase64(s.sig) } : { keyid: s.keyid, sig: encodeBase64(s.sig) },
    ),
  };
}

/** The envelope as compact JSON bytes, ready to publish. */
export function serializeEnvelope(envelope: Envelope): Buffer {
  return Buffer.from(JSON.stringify(envelopeToJSON(envelope)), "utf8");
}

/**
 * Signs `payload` as a DSSE envelope: each signer signs PAE(payloadType, payload) and
 * is recorded under its key ID. Each signature is verified with the signer's public key
 * before it is returned, so a misconfigured remote signer fails here, not at install.
 *
 * @throws {UsageError} with no signers, or a payloadType that is not well-formed Unicode.
 * @throws {AttestError} `ATTEST_SIGNER_FAILED` when a signer throws or signs wrongly.
 */
export async function signEnvelope(
  payloadType: string,
  payload: Uint8Array,
  signers: readonly Signer[],
): Promise<Envelope> {
  if (signers.length === 0) throw new UsageError("signEnvelope needs at least one signer");
  const message = pae(payloadType, payload);
  const signatures: EnvelopeSignature[] = [];
  for (const signer of signers) {
    let sig: Uint8Array;
    try {
      sig = Uint8Array.from(await signer.sign(message));
    } catch (cause) {
      if (cause instanceof BulwarkError) throw cause;
      throw new AttestError("ATTEST_SIGNER_FAILED", `the signer for key ${signer.keyId} failed (see cause)`, { cause });
    }
    if (!verifySignature(signer.publicKey, message, sig)) {
      throw new AttestError(
        "ATTEST_SIGNER_FAILED",
        `the signer for key ${signer.keyId} returned a signature its public key does not verify`,
      );
    }
    signatures.push({ keyid: signer.keyId, sig });
  }
  return { payloadType, payload: Uint8Array.from(payload), signatures };
}

/**
 * The key IDs of the distinct trusted keys that signed the envelope, in signature order.
 * The DSSE keyid is only a hint: the hinted key is tried first, then every other trusted
 * key. Distinct means distinct key material ({@link keyFingerprint}): the same signature
 * twice, or one key listed under two key IDs, counts once. Corrupt signatures and
 * unusable keys are skipped.
 */
export function verifiedKeyIds(envelope: Envelope, trustedKeys: ReadonlyMap<string, Key>): string[] {
  const candidates: Array<{ keyId: string; key: Key; fingerprint: string }> = [];
  for (const [keyId, key] of trustedKeys) {
    const fingerprint = keyFingerprint(key);
    if (fingerprint !== undefined) candidates.push({ keyId, key, fingerprint });
  }
  // DSSE protocol.md, verification step 3: every signature is over PAE(type, body).
  const message = pae(envelope.payloadType, envelope.payload);
  const counted = new Set<string>();
  const keyIds: string[] = [];
  for (const signature of envelope.signatures) {
    // Step 2 ("optionally filter acceptable public keys by KEYID") only orders the
    // candidates here: the keyid is unauthenticated, so a wrong one must not lose a signature.
    const hinted = candidates.filter((c) => c.keyId === signature.keyid);
    const others = candidates.filter((c) => c.keyId !== signature.keyid);
    for (const candidate of [...hinted, ...others]) {
      if (counted.has(candidate.fingerprint)) continue;
      if (verifySignature(candidate.key, message, signature.sig)) {
        counted.add(candidate.fingerprint);
        keyIds.push(candidate.keyId);
        break;
      }
    }
  }
  return keyIds;
}

/**
 * Verifies a DSSE envelope against trusted keys: at least `threshold` distinct keys
 * must have signed PAE(payloadType, payload). Only then may the payload be parsed.
 *
 * @throws {UsageError} when `threshold` is not an integer >= 1.
 * @throws {AttestError} `ATTEST_UNSIGNED` when fewer distinct trusted keys verified.
 */
export function verifyEnvelope(
  envelope: Envelope,
  trustedKeys: ReadonlyMap<string, Key>,
  threshold: number,
): VerifiedEnvelope {
  if (!Number.isSafeInteger(threshold) || threshold < 1) {
    throw new UsageError(`a signature threshold must be an integer >= 1, got ${threshold}`);
  }
  const keyIds = verifiedKeyIds(envelope, trustedKeys);
  if (keyIds.length < threshold) {
    throw new AttestError(
      "ATTEST_UNSIGNED",
      `the envelope is signed by ${keyIds.length} of the ${threshold} distinct trusted keys required`,
    );
  }
  return { payloadType: envelope.payloadType, payload: envelope.payload, keyIds };
}
