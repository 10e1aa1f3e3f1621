/** Byte encodings the vectors use. */

/** Bytes of a base64 string (vectors only: not strict). */
export function b64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** Bytes of a hex string. */
export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "hex"));
}

/** Hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Base64 of bytes. */
export function toB64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}
