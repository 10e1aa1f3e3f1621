/**
 * The Authenticode PE image hash ("Windows Authenticode Portable Executable Signature Format",
 * "Calculating the PE Image Hash"): every byte of the file except the optional header's CheckSum,
 * the security data directory entry and the certificate table itself, and nothing after the
 * table. Sections are hashed in file order as one run from the end of the headers to the table,
 * as osslsigncode does; for a file whose sections are laid out in order (what linkers write)
 * this is the same digest as the specification's per-section walk.
 */
import { createHash } from "node:crypto";
import { DIRECTORY, type PeImage } from "./pe.js";

/** Digest algorithms Authenticode uses, by DigestInfo OID, as node:crypto names them. */
export const DIGEST_OIDS: ReadonlyMap<string, string> = new Map([
  ["1.2.840.113549.2.5", "md5"],
  ["1.3.14.3.2.26", "sha1"],
  ["2.16.840.1.101.3.4.2.1", "sha256"],
  ["2.16.840.1.101.3.4.2.2", "sha384"],
  ["2.16.840.1.101.3.4.2.3", "sha512"],
]);

/**
 * The Authenticode digest of the image. `tableOffset` is where the certificate table starts
 * (the file's end when it has none); bytes from there on are not hashed.
 */
export function authenticodeDigest(image: PeImage, algorithm: string, tableOffset?: number): Buffer {
  const bytes = image.reader.bytes;
  const security = image.directories[DIRECTORY.security];
  const hash = createHash(algorithm);
  const end = Math.min(bytes.length, Math.max(tableOffset ?? bytes.length, image.sizeOfHeaders));
  hash.update(bytes.subarray(0, image.checksumOffset));
  if (security) {
    hash.update(bytes.subarray(image.checksumOffset + 4, security.entryOffset));
    hash.update(bytes.subarray(security.entryOffset + 8, image.sizeOfHeaders));
  } else {
    hash.update(bytes.subarray(image.checksumOffset + 4, image.sizeOfHeaders));
  }
  hash.update(bytes.subarray(image.sizeOfHeaders, end));
  return hash.digest();
}

/** The PE checksum (the algorithm of imagehlp's CheckSumMappedFile), skipping the CheckSum field. */
export function peChecksum(bytes: Uint8Array, checksumOffset: number): number {
  let sum = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words = Math.floor(bytes.length / 2);
  for (let i = 0; i < words; i++) {
    const at = i * 2;
    if (at === checksumOffset || at === checksumOffset + 2) continue;
    sum += view.getUint16(at, true);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (bytes.length % 2 === 1) {
    sum += bytes[bytes.length - 1] ?? 0;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + bytes.length) >>> 0;
}
