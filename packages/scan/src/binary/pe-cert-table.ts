/**
 * The PE attribute certificate table (PE Format, "The Attribute Certificate Table"): where the
 * security directory points (a file offset, not an RVA), its WIN_CERTIFICATE entries, and
 * everything in or around it that no signature covers: data after a PKCS#7 blob inside an
 * entry (CVE-2013-3900, the 3CX `d3dcompiler_47.dll` payload), data after the table, a table
 * that is not the last thing in the file, malformed entries.
 */
import { ScanLimitError } from "../errors.js";
import type { Evidence } from "../finding.js";
import { readTlvHeader } from "./der.js";
import { entropy } from "./entropy.js";
import { BINARY_LIMITS } from "./limits.js";
import { DIRECTORY, endOfImage, type PeImage } from "./pe.js";

/** WIN_CERT_TYPE_PKCS_SIGNED_DATA. */
const PKCS_SIGNED_DATA = 0x0002;
const REVISIONS = new Set([0x0100, 0x0200]);

/** A structural problem of the table, as a finding id suffix and its evidence. */
export interface CertTableProblem {
  readonly kind:
    | "cert-table-outside-file"
    | "cert-table-not-last"
    | "cert-table-misaligned"
    | "cert-entry-malformed"
    | "cert-table-appended-data"
    | "overlay-after-cert-table";
  readonly message: string;
  readonly evidence: Evidence;
}

export interface CertEntry {
  readonly offset: number;
  readonly revision: number;
  readonly type: number;
  /** The PKCS#7 DER of a PKCS_SIGNED_DATA entry, exactly as long as its outer length says. */
  readonly pkcs7?: Uint8Array;
}

export interface CertTable {
  readonly offset: number;
  readonly size: number;
  readonly entries: readonly CertEntry[];
  readonly problems: readonly CertTableProblem[];
}

/**
 * Reads the certificate table, or undefined when the security directory is empty (unsigned).
 * Problems are reported, not thrown: a signed file with a bad table is what the scan exists to
 * describe.
 * @throws ScanLimitError `SCAN_LIMIT_PE_CERTIFICATES` past {@link BINARY_LIMITS.peCertificates} entries.
 */
export function readCertTable(image: PeImage): CertTable | undefined {
  const dir = image.directories[DIRECTORY.security];
  if (!dir || (dir.rva === 0 && dir.size === 0)) return undefined;
  const bytes = image.reader.bytes;
  const offset = dir.rva;
  const size = dir.size;
  const problems: CertTableProblem[] = [];
  const entries: CertEntry[] = [];
  if (offset + size > bytes.length || size < 8) {
    problems.push({
      kind: "cert-table-outside-file",
      message: `the certificate table (offset ${offset}, ${size} bytes) does not lie inside the file (${bytes.length} bytes)`,
      evidence: { tableOffset: offset, tableSize: size, fileSize: bytes.length },
    });
    return { offset, size, entries, problems };
  }
  if (offset % 8 !== 0) {
    problems.push({
      kind: "cert-table-misaligned",
      message: `the certificate table starts at offset ${offset}, not on an 8-byte boundary as the PE format requires`,
      evidence: { tableOffset: offset },
    });
  }
  const imageEnd = endOfImage(image);
  if (offset < imageEnd) {
    problems.push({
      kind: "cert-table-not-last",
      message: `the certificate table (offset ${offset}) starts before the end of the section data (${imageEnd}): it is not the last structure of the file`,
      evidence: { tableOffset: offset, tableSize: size, endOfSections: imageEnd },
    });
  }
  const tableEnd = offset + size;
  if (tableEnd < bytes.length) {
    const trailing = bytes.subarray(tableEnd);
    problems.push({
      kind: "overlay-after-cert-table",
      message: `${trailing.length} bytes follow the certificate table; no signature covers them`,
      evidence: { overlayOffset: tableEnd, overlaySize: trailing.length, overlayEntropy: entropy(trailing) },
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = offset;
  while (at + 8 <= tableEnd) {
    if (entries.length >= BINARY_LIMITS.peCertificates) {
      throw new ScanLimitError(
        "SCAN_LIMIT_PE_CERTIFICATES",
        `${image.reader.file}: more than ${BINARY_LIMITS.peCertificates} entries in the certificate table`,
        BINARY_LIMITS.peCertificates,
      );
    }
    const length = view.getUint32(at, true);
    const revision = view.getUint16(at + 4, true);
    const type = view.getUint16(at + 6, true);
    if (length < 8 || at + length > tableEnd) {
      problems.push({
        kind: "cert-entry-malformed",
        message: `the WIN_CERTIFICATE at offset ${at} has dwLength ${length}, outside the table`,
        evidence: { entryOffset: at, dwLength: length, tableEnd },
      });
      break;
    }
    if (!REVISIONS.has(revision) || type !== PKCS_SIGNED_DATA) {
      problems.push({
        kind: "cert-entry-malformed",
        message: `the WIN_CERTIFICATE at offset ${at} has revision 0x${revision.toString(16)} and type ${type}; Authenticode uses revision 1.0 or 2.0 and type 2 (PKCS#7 SignedData)`,
        evidence: { entryOffset: at, revision, type },
      });
      entries.push({ offset: at, revision, type });
    } else {
      entries.push(readPkcs7Entry(bytes, at, length, revision, type, problems));
    }
    const next = at + Math.ceil(length / 8) * 8;
    // The padding that aligns the next entry is the only thing an entry may leave uncovered.
    const gap = bytes.subarray(at + length, Math.min(next, tableEnd));
    if (gap.some((b) => b !== 0)) {
      problems.push(appended(at + length, gap, `non-zero padding after the WIN_CERTIFICATE at offset ${at}`));
    }
    at = next;
  }
  if (at < tableEnd) {
    const rest = bytes.subarray(at, tableEnd);
    if (rest.some((b) => b !== 0))
      problems.push(appended(at, rest, "bytes at the end of the certificate table outside any entry"));
  }
  return { offset, size, entries, problems };
}

function readPkcs7Entry(
  bytes: Uint8Array,
  at: number,
  length: number,
  revision: number,
  type: number,
  problems: CertTableProblem[],
): CertEntry {
  const body = bytes.subarray(at + 8, at + length);
  const header = readTlvHeader(body);
  if (header?.tag !== 0x30 || header.length === undefined || header.headerLength + header.length > body.length) {
    problems.push({
      kind: "cert-entry-malformed",
      message: `the WIN_CERTIFICATE at offset ${at} does not hold a complete DER SEQUENCE (PKCS#7 ContentInfo)`,
      evidence: { entryOffset: at, dwLength: length },
    });
    return { offset: at, revision, type };
  }
  const derLength = header.headerLength + header.length;
  const after = body.subarray(derLength);
  // signtool pads the blob to 8 bytes with zeros inside dwLength; more than that, or anything
  // non-zero, is data smuggled past the signature.
  if (after.length >= 8 || after.some((b) => b !== 0)) {
    problems.push(
      appended(at + 8 + derLength, after, `data after the PKCS#7 blob inside the WIN_CERTIFICATE at offset ${at}`),
    );
  }
  return { offset: at, revision, type, pkcs7: body.subarray(0, derLength) };
}

function appended(offset: number, data: Uint8Array, where: string): CertTableProblem {
  return {
    kind: "cert-table-appended-data",
    message: `${data.length} bytes of ${where}: the signature does not cover them (CVE-2013-3900)`,
    evidence: { appendedOffset: offset, appendedSize: data.length, appendedEntropy: entropy(data) },
  };
}
