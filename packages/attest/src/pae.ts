import { UsageError } from "@bulwark/tuf";

/** The DSSE version this package implements (secure-systems-lab/dsse `protocol.md`). */
export const DSSE_VERSION = "1.0.2";

const utf8 = new TextEncoder();

/**
 * The DSSE v1 pre-authentication encoding, which is what is signed:
 * `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, where LEN is the ASCII decimal
 * BYTE length. The type is UTF-8 encoded, so a non-ASCII type's LEN is its UTF-8 length,
 * never its JavaScript (UTF-16) `.length`.
 *
 * @throws {UsageError} when the type holds a lone surrogate, which has no UTF-8 form
 * (an encoder would substitute U+FFFD, so two types would share one encoding).
 */
export function pae(payloadType: string, body: Uint8Array): Buffer {
  if (!payloadType.isWellFormed()) throw new UsageError("a DSSE payloadType must be well-formed Unicode");
  const type = utf8.encode(payloadType);
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.byteLength} `, "ascii"),
    type,
    Buffer.from(` ${body.byteLength} `, "ascii"),
    body,
  ]);
}
