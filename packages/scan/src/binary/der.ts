/** The tag-and-length header of one DER/BER element, read without trusting its content. */

export interface TlvHeader {
  readonly tag: number;
  readonly headerLength: number;
  /** Content length; undefined for the BER indefinite form. */
  readonly length: number | undefined;
}

/** Reads the identifier and length octets at `at`; undefined when they are truncated or absurd. */
export function readTlvHeader(bytes: Uint8Array, at = 0): TlvHeader | undefined {
  const tag = bytes[at];
  const first = bytes[at + 1];
  if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) return undefined;
  if (first < 0x80) return { tag, headerLength: 2, length: first };
  if (first === 0x80) return { tag, headerLength: 2, length: undefined };
  const count = first & 0x7f;
  if (count > 4 || at + 2 + count > bytes.length) return undefined;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + (bytes[at + 2 + i] ?? 0);
  return { tag, headerLength: 2 + count, length };
}
