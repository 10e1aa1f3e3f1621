/**
 * One tar header block (POSIX ustar, and the GNU variant) and pax extended-header records
 * (POSIX.1-2001 `pax`). Numbers are strict octal (or GNU base-256); the header checksum is verified.
 */
import { ARCHIVE_ERRORS, ArchiveError } from "./errors.js";

/** Tar's block size: headers and data are padded to it. */
export const BLOCK = 512;

/** The fields of a header that extraction uses. uid, gid and owner names are ignored. */
export interface TarHeader {
  readonly name: string;
  readonly mode: number;
  readonly size: number;
  readonly mtime: number;
  readonly typeflag: string;
  readonly linkname: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function malformed(message: string): ArchiveError {
  return new ArchiveError(ARCHIVE_ERRORS.MALFORMED, message);
}

/** Bytes as UTF-8. @throws {ArchiveError} `ARCHIVE_UNSUPPORTED` when they are not. */
function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch (cause) {
    throw new ArchiveError(ARCHIVE_ERRORS.UNSUPPORTED, `${what} is not UTF-8`, { cause });
  }
}

/** Bytes up to the first NUL (a header field, a GNU long name), as UTF-8. */
export function decodeName(bytes: Uint8Array, what: string): string {
  const end = bytes.indexOf(0);
  return decodeUtf8(end < 0 ? bytes : bytes.subarray(0, end), what);
}

/** An unsigned number field: octal digits between optional spaces and NUL/space terminators, or GNU base-256. */
function parseNumber(block: Buffer, start: number, end: number, field: string, at: number): number {
  const first = block[start] as number;
  if (first & 0x80) {
    // GNU base-256: the high bit flags it, the rest is big-endian two's complement.
    if (first & 0x40) throw malformed(`the tar header at byte ${at} has a negative ${field}`);
    let value = first & 0x3f;
    for (let i = start + 1; i < end; i++) value = value * 256 + (block[i] as number);
    if (!Number.isSafeInteger(value)) throw malformed(`the tar header at byte ${at} has a ${field} out of range`);
    return value;
  }
  let i = start;
  while (i < end && block[i] === 0x20) i++;
  let value = 0;
  for (; i < end; i++) {
    const c = block[i] as number;
    if (c < 0x30 || c > 0x37) break;
    value = value * 8 + (c - 0x30);
  }
  for (; i < end; i++) {
    const c = block[i];
    if (c !== 0 && c !== 0x20) throw malformed(`the tar header at byte ${at} has a malformed ${field} field`);
  }
  return value;
}

/** True for a block of 512 zero bytes (the end-of-archive marker is two of them). */
export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** True when `block` carries the ustar magic (`ustar\0` POSIX, `ustar ` GNU). */
export function hasTarMagic(block: Uint8Array): boolean {
  return block.length >= 263 && Buffer.from(block.subarray(257, 262)).toString("latin1") === "ustar";
}

/**
 * Parses and verifies one header block found at byte `at` of the tar stream.
 * @throws {ArchiveError} `ARCHIVE_MALFORMED` for a bad checksum or field, `ARCHIVE_UNSUPPORTED`
 * for a block without the ustar magic (a pre-POSIX tar) or a name that is not UTF-8.
 */
export function parseTarHeader(block: Buffer, at: number): TarHeader {
  if (!hasTarMagic(block)) {
    throw new ArchiveError(
      at === 0 ? ARCHIVE_ERRORS.UNSUPPORTED : ARCHIVE_ERRORS.MALFORMED,
      `the tar header at byte ${at} has no ustar magic`,
    );
  }
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += b;
    signed += b >= 0x80 ? b - 0x100 : b;
  }
  const stored = parseNumber(block, 148, 156, "checksum", at);
  // Some old writers summed signed bytes; both readings are accepted, as GNU tar does.
  if (stored !== unsigned && stored !== signed) {
    throw malformed(`the tar header at byte ${at} fails its checksum (stored ${stored}, computed ${unsigned})`);
  }
  const posix = block[262] === 0;
  let name = decodeName(block.subarray(0, 100), `the name in the tar header at byte ${at}`);
  // The prefix field is ustar's; GNU headers keep other data (access times) there.
  const prefix = posix ? decodeName(block.subarray(345, 500), `the name prefix in the tar header at byte ${at}`) : "";
  if (prefix !== "") name = `${prefix}/${name}`;
  return {
    name,
    mode: parseNumber(block, 100, 108, "mode", at),
    size: parseNumber(block, 124, 136, "size", at),
    mtime: parseNumber(block, 136, 148, "mtime", at),
    typeflag: String.fromCharCode(block[156] as number),
    linkname: decodeName(block.subarray(157, 257), `the link name in the tar header at byte ${at}`),
  };
}

/**
 * The records of a pax extended header: `"<length> <key>=<value>\n"`, where the length
 * counts the whole record. A key may repeat; the last one wins.
 * @throws {ArchiveError} `ARCHIVE_MALFORMED` for a record that does not parse.
 */
export function parsePaxRecords(data: Buffer, at: number): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const digits = space < 0 ? "" : data.subarray(pos, space).toString("latin1");
    if (!/^[1-9][0-9]{0,9}$/.test(digits))
      throw malformed(`the pax header at byte ${at} has a malformed record length`);
    const end = pos + Number(digits);
    if (end > data.length || end <= space + 1 || data[end - 1] !== 0x0a) {
      throw malformed(`the pax header at byte ${at} has a record that overruns it`);
    }
    const record = data.subarray(space + 1, end - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw malformed(`the pax header at byte ${at} has a record without a key`);
    // Values are UTF-8 (hdrcharset=BINARY is not supported), taken whole: a NUL in a path
    // is left for the path check to refuse, not silently cut at.
    const key = decodeUtf8(record.subarray(0, eq), `a key in the pax header at byte ${at}`);
    records.set(key, decodeUtf8(record.subarray(eq + 1), `the ${key} record in the pax header at byte ${at}`));
    pos = end;
  }
  return records;
}
