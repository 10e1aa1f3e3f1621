/**
 * Small strict codecs shared by the text formats: standard base64 (RFC 4648 §4), ASCII
 * decimal uint64 with no leading zeroes, and UTF-8 that keeps every byte (no BOM removal,
 * no replacement characters).
 */

/** 2^64 - 1, the largest tree size or index. */
export const MAX_UINT64 = (1n << 64n) - 1n;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard, padded base64, or returns undefined. Canonical only: the encoding of
 * the result must give back the input, so unused bits must be zero (Go's `Strict()`).
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  if (bytes.toString("base64") !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Standard, padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

const DECIMAL = /^(?:0|[1-9][0-9]{0,19})$/;

/**
 * Parses an ASCII decimal uint64 with no leading zeroes (unless it is `0`), or returns
 * undefined. This is the form of checkpoint tree sizes and tlog-proof indexes.
 */
export function parseUint64(text: string): bigint | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const value = BigInt(text);
  return value <= MAX_UINT64 ? value : undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Decodes UTF-8 exactly (a leading BOM is kept), or returns undefined for invalid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** UTF-8 bytes of a string. The string must be well-formed (no lone surrogates). */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Bytes of text-or-bytes input. Returns undefined for a string with lone surrogates,
 * which has no UTF-8 form.
 */
export function toBytes(input: string | Uint8Array): Uint8Array | undefined {
  if (typeof input !== "string") return input;
  return input.isWellFormed() ? encoder.encode(input) : undefined;
}

/** Lowercase 8-digit hex of a uint32 key ID. */
export function hex32(value: number): string {
  return value.toString(16).padStart(8, "0");
}

/** Byte-wise equality (for public data: hashes, keys, signatures). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Concatenation of byte strings. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Normalises an index or size given as number or bigint; undefined when not a uint64. */
export function toUint64(value: bigint | number): bigint | undefined {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) return undefined;
    return BigInt(value);
  }
  return value >= 0n && value <= MAX_UINT64 ? value : undefined;
}
