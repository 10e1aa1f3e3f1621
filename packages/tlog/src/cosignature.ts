/**
 * c2sp.org/tlog-cosignature, the Ed25519 `cosignature/v1` type (signature type 0x04): a
 * witness's timestamped signature over a checkpoint. The signature bytes are a big-endian
 * u64 POSIX timestamp followed by an Ed25519 signature of
 *
 *     cosignature/v1\n
 *     time <timestamp>\n
 *     <the whole checkpoint note text>
 */
import type { KeyObject } from "node:crypto";
import {
  checkEd25519Key,
  ED25519_SIGNATURE_SIZE,
  ed25519PrivateKey,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  rawEd25519PublicKey,
} from "./ed25519.js";
import { concatBytes, decodeBase64, encodeBase64, encodeUtf8, hex32, toBytes } from "./encoding.js";
import { TLOG_ERRORS, TlogError, usageError } from "./errors.js";
import { isValidKeyName, keyIdFor, type NoteSigner, type NoteVerifier, SIGNATURE_TYPE } from "./note-key.js";

/** The header line that domain-separates the signed message. */
export const COSIGNATURE_V1_HEADER = "cosignature/v1";
/** Size of a timestamp in a timestamped signature. */
export const COSIGNATURE_TIMESTAMP_SIZE = 8;
/** Size of the signature bytes of an Ed25519 cosignature: timestamp and signature. */
export const COSIGNATURE_V1_SIZE = COSIGNATURE_TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE;
/** The spec's bound on timestamps: 2^63 - 1. */
export const MAX_COSIGNATURE_TIMESTAMP = (1n << 63n) - 1n;

const EM_DASH_PREFIX = "\u2014 ";

/** A decoded cosignature line. */
export interface Cosignature {
  /** The cosigner's key name. */
  readonly name: string;
  /** The key ID from the signature. */
  readonly keyId: number;
  /** The POSIX timestamp (seconds) at which the cosignature was made; may exceed 2^53. */
  readonly timestamp: bigint;
  /** The 64-byte Ed25519 signature. */
  readonly signature: Uint8Array;
}

/** Whether the note text has the three lines Go's formats package requires before cosigning. */
function hasThreeLines(text: Uint8Array): boolean {
  let newlines = 0;
  for (const b of text) if (b === 0x0a && ++newlines === 2) return true;
  return false;
}

/**
 * The exact message a `cosignature/v1` signature covers.
 * @throws {UsageError} for a timestamp outside 0..2^63-1 or a text of fewer than three lines.
 */
export function cosignatureMessage(noteText: Uint8Array | string, timestamp: bigint): Uint8Array {
  const text = toBytes(noteText);
  if (text === undefined || !hasThreeLines(text)) throw usageError("a cosigned note text needs at least three lines");
  if (timestamp < 0n || timestamp > MAX_COSIGNATURE_TIMESTAMP) throw usageError(`timestamp ${timestamp} out of range`);
  return concatBytes(encodeUtf8(`${COSIGNATURE_V1_HEADER}\ntime ${timestamp}\n`), text);
}

/** Splits the timestamped signature bytes (without key ID), or undefined for the wrong size. */
export function splitTimestampedSignature(
  signature: Uint8Array,
): { timestamp: bigint; signature: Uint8Array } | undefined {
  if (signature.length !== COSIGNATURE_V1_SIZE) return undefined;
  const view = new DataView(signature.buffer, signature.byteOffset, signature.byteLength);
  return { timestamp: view.getBigUint64(0, false), signature: signature.subarray(COSIGNATURE_TIMESTAMP_SIZE) };
}

/**
 * Decodes a cosignature line `— <name> base64(key ID || timestamp || signature)` (with or
 * without its final newline). It does not verify anything.
 * @throws {TlogError} TLOG_BAD_COSIGNATURE, for instance for a 68-byte plain note signature.
 */
export function parseCosignatureLine(line: string): Cosignature {
  const body = line.endsWith("\n") ? line.slice(0, -1) : line;
  if (!body.startsWith(EM_DASH_PREFIX)) throw badCosignature("a signature line starts with an em dash and a space");
  const rest = body.slice(EM_DASH_PREFIX.length);
  const space = rest.indexOf(" ");
  const name = space < 0 ? rest : rest.slice(0, space);
  const payload = space < 0 ? undefined : decodeBase64(rest.slice(space + 1));
  if (!isValidKeyName(name) || payload === undefined) throw badCosignature("malformed signature line");
  const want = 4 + COSIGNATURE_V1_SIZE;
  if (payload.length !== want) throw badCosignature(`payload is ${payload.length} bytes, want ${want}`);
  const parts = splitTimestampedSignature(payload.subarray(4)) as { timestamp: bigint; signature: Uint8Array };
  const keyId = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, false);
  return { name, keyId, timestamp: parts.timestamp, signature: parts.signature };
}

function badCosignature(message: string): TlogError {
  return new TlogError(TLOG_ERRORS.BAD_COSIGNATURE, message);
}

/** Verifies Ed25519 `cosignature/v1` signatures of one cosigner (type 0x04). */
export class CosignatureV1Verifier implements NoteVerifier {
  readonly type = SIGNATURE_TYPE.COSIGNATURE_V1;
  readonly keyId: number;
  readonly vkey: string;
  readonly #key: KeyObject;

  /**
   * @param publicKey the raw 32-byte Ed25519 cosigner public key.
   * @throws {UsageError} for an invalid key name or key size.
   */
  constructor(
    readonly name: string,
    readonly publicKey: Uint8Array,
  ) {
    checkEd25519Key(name, publicKey, "public key");
    this.keyId = keyIdFor(name, SIGNATURE_TYPE.COSIGNATURE_V1, publicKey);
    this.vkey = `${name}+${hex32(this.keyId)}+${encodeBase64(new Uint8Array([this.type, ...publicKey]))}`;
    this.#key = ed25519PublicKey(publicKey);
  }

  /** Verifies timestamped signature bytes over a note text. Timestamps above 2^63-1 fail. */
  verify(message: Uint8Array, signature: Uint8Array): boolean {
    const parts = splitTimestampedSignature(signature);
    if (parts === undefined || parts.timestamp > MAX_COSIGNATURE_TIMESTAMP || !hasThreeLines(message)) return false;
    return ed25519Verify(this.#key, cosignatureMessage(message, parts.timestamp), parts.signature);
  }

  /** Verifies a decoded cosignature line against the checkpoint note text it was made on. */
  verifyCosignature(noteText: Uint8Array | string, cosignature: Cosignature): boolean {
    const text = toBytes(noteText);
    if (text === undefined || cosignature.name !== this.name || cosignature.keyId !== this.keyId) return false;
    const timestamp = new Uint8Array(COSIGNATURE_TIMESTAMP_SIZE);
    if (cosignature.timestamp < 0n || cosignature.timestamp > MAX_COSIGNATURE_TIMESTAMP) return false;
    new DataView(timestamp.buffer).setBigUint64(0, cosignature.timestamp, false);
    return this.verify(text, concatBytes(timestamp, cosignature.signature));
  }
}

/** Options of {@link CosignatureV1Signer}. */
export interface CosignerOptions {
  /** The time to put in cosignatures, in POSIX seconds (default: now). */
  readonly clock?: () => bigint;
}

/** Makes Ed25519 `cosignature/v1` signatures with a seed held in memory. */
export class CosignatureV1Signer implements NoteSigner {
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  readonly #key: KeyObject;
  readonly #clock: () => bigint;

  /**
   * @param seed the raw 32-byte Ed25519 private key.
   * @throws {UsageError} for an invalid key name or seed size.
   */
  constructor(
    readonly name: string,
    seed: Uint8Array,
    options: CosignerOptions = {},
  ) {
    checkEd25519Key(name, seed, "seed");
    this.#key = ed25519PrivateKey(seed);
    this.publicKey = rawEd25519PublicKey(this.#key);
    this.keyId = keyIdFor(name, SIGNATURE_TYPE.COSIGNATURE_V1, this.publicKey);
    this.#clock = options.clock ?? (() => BigInt(Math.floor(Date.now() / 1000)));
  }

  /** The matching verifier. */
  verifier(): CosignatureV1Verifier {
    return new CosignatureV1Verifier(this.name, this.publicKey);
  }

  /** Timestamped signature bytes over a note text, at the clock's time. */
  async sign(message: Uint8Array): Promise<Uint8Array> {
    return this.cosign(message, this.#clock());
  }

  /**
   * Timestamped signature bytes (timestamp || Ed25519 signature) at `timestamp`.
   * @throws {UsageError} for a timestamp out of range or a text of fewer than three lines.
   */
  cosign(noteText: Uint8Array | string, timestamp: bigint): Uint8Array {
    const message = cosignatureMessage(noteText, timestamp);
    const out = new Uint8Array(COSIGNATURE_V1_SIZE);
    new DataView(out.buffer).setBigUint64(0, timestamp, false);
    out.set(ed25519Sign(this.#key, message), COSIGNATURE_TIMESTAMP_SIZE);
    return out;
  }

  /** The whole signature line `— <name> base64(key ID || timestamp || signature)`, no newline. */
  cosignatureLine(noteText: Uint8Array | string, timestamp: bigint): string {
    const keyId = new Uint8Array(4);
    new DataView(keyId.buffer).setUint32(0, this.keyId, false);
    return `${EM_DASH_PREFIX}${this.name} ${encodeBase64(concatBytes(keyId, this.cosign(noteText, timestamp)))}`;
  }
}
