/**
 * Base64 as DSSE uses it. Writers use standard base64 with padding (RFC 4648 §4);
 * readers MUST accept both standard and URL-safe (§5) encodings, padded or not.
 */

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;

/** Standard base64 with padding, as DSSE writers should emit it. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/**
 * Decodes standard or URL-safe base64, with or without padding. Returns undefined for
 * anything else: characters outside one alphabet (the two are not mixed), misplaced
 * or excess padding, or a length no encoder produces. `Buffer.from(s, "base64")` alone
 * would silently skip such characters, so two different strings could carry one value.
 */
export function decodeBase64(text: string): Buffer | undefined {
  if (!STANDARD.test(text) && !URL_SAFE.test(text)) return undefined;
  const padding = text.length - text.replace(/=+$/, "").length;
  if (padding > 0 && text.length % 4 !== 0) return undefined;
  const body = text.length - padding;
  if (body % 4 === 1) return undefined;
  // Padding only where the last group is short: "QQ==" yes, "QUJD=" no.
  if (padding > 0 && (4 - (body % 4)) % 4 !== padding) return undefined;
  return Buffer.from(text, text.includes("-") || text.includes("_") ? "base64url" : "base64");
}
