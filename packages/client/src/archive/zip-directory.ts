/**
 * The zip central directory (APPNOTE.TXT 4.3.12–4.3.16) and the local headers it points
 * to, parsed and cross-checked before any data is read: the end record must sit exactly at
 * the end of the file, the directory must end where it begins, every local header must agree
 * with its directory record, and no two entries' bytes may overlap (the overlapping-file
 * zip bomb). Multi-disk and encrypted archives are refused; zip64 (APPNOTE 4.3.14, 4.5.3) is
 * read only when the caller asks for it (the scan does; the endpoint's extraction does not).
 */
import { dateOfSeconds, type EntryType, typeOfMode } from "./entry.js";
import { ARCHIVE_ERRORS, ArchiveError, entryLabel } from "./errors.js";
import { checkCompressionRatio, type ExtractLimits, MAX_CENTRAL_DIRECTORY_BYTES } from "./limits.js";

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const ZIP64_EOCD_SIZE = 56;
const ZIP64_EXTRA_ID = 0x0001;
const MAX32 = 0xffffffff;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const DESCRIPTOR_SIGNATURE = 0x08074b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;

const FLAG_ENCRYPTED = 0x0001;
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_STRONG_ENCRYPTION = 0x0040;
const FLAG_MASKED_HEADERS = 0x2000;
const HOST_UNIX = 3;

/** How a zip is read. */
export interface ZipReadOptions {
  /** Read zip64 archives and entries (sizes and offsets past 4 GiB, more than 65,535 entries); default false. */
  readonly zip64?: boolean;
}

/** One entry, with where its compressed data lies. */
export interface ZipRecord {
  readonly name: string;
  readonly type: EntryType;
  readonly executable: boolean;
  readonly method: 0 | 8;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly mtime: Date | undefined;
  readonly dataStart: number;
}

interface CentralRecord extends Omit<ZipRecord, "dataStart"> {
  readonly flags: number;
  readonly nameBytes: Buffer;
  readonly localOffset: number;
  /** The sizes came from a zip64 extra field (the local header and descriptor then use zip64 forms). */
  readonly zip64: boolean;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function malformed(message: string): ArchiveError {
  return new ArchiveError(ARCHIVE_ERRORS.MALFORMED, message);
}

function unsupported(message: string): ArchiveError {
  return new ArchiveError(ARCHIVE_ERRORS.UNSUPPORTED, message);
}

/**
 * What the zip reader reads from: an open file (a `FileHandle` is one), or bytes already in
 * memory (a zip nested in another archive, see {@link bytesReader}).
 */
export interface RandomAccessReader {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/** A {@link RandomAccessReader} over bytes in memory. */
export function bytesReader(bytes: Uint8Array): RandomAccessReader {
  return {
    read: async (buffer, offset, length, position) => {
      const part = bytes.subarray(Math.min(position, bytes.length), Math.min(position + length, bytes.length));
      buffer.set(part, offset);
      return { bytesRead: part.length };
    },
  };
}

/** Reads exactly `length` bytes at `position`, or fails as truncated. */
export async function readAt(
  file: RandomAccessReader,
  position: number,
  length: number,
  what: string,
): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw malformed(`the archive is truncated in ${what}`);
    done += bytesRead;
  }
  return buffer;
}

/** The end of central directory record: the last one whose comment runs exactly to the end of the file. */
async function readEndRecord(file: RandomAccessReader, fileSize: number): Promise<{ at: number; record: Buffer }> {
  const tailSize = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT);
  const tail = await readAt(file, fileSize - tailSize, tailSize, "the end of central directory record");
  for (let i = tailSize - EOCD_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIGNATURE && tail.readUInt16LE(i + 20) === tailSize - i - EOCD_SIZE) {
      return { at: fileSize - tailSize + i, record: tail.subarray(i, i + EOCD_SIZE) };
    }
  }
  throw malformed("the archive has no end of central directory record");
}

/** The entry kind and execute bit from the directory record's host and external attributes. */
function kindOf(name: string, madeBy: number, external: number): { type: EntryType; executable: boolean } {
  const mode = madeBy >>> 8 === HOST_UNIX ? external >>> 16 : 0;
  const fromMode = typeOfMode(mode);
  const slash = name.endsWith("/");
  if (fromMode === "unknown") throw malformed(`${entryLabel(name)} has an unknown file type in its mode`);
  const type = fromMode ?? (slash || (external & 0x10) !== 0 ? "directory" : "file");
  return { type, executable: type === "file" && (mode & 0o111) !== 0 };
}

/** Modification time: the UTC extended-timestamp field (0x5455) if present, else the MS-DOS local time. */
function mtimeOf(extra: Buffer, dosTime: number, dosDate: number): Date | undefined {
  for (let i = 0; i + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(i);
    const size = extra.readUInt16LE(i + 2);
    if (id === 0x5455 && size >= 5 && i + 9 <= extra.length && ((extra[i + 4] as number) & 1) !== 0) {
      return dateOfSeconds(extra.readUInt32LE(i + 5));
    }
    i += 4 + size;
  }
  const date = new Date(
    (dosDate >>> 9) + 1980,
    ((dosDate >>> 5) & 0xf) - 1,
    dosDate & 0x1f,
    dosTime >>> 11,
    (dosTime >>> 5) & 0x3f,
    (dosTime & 0x1f) * 2,
  );
  return Number.isFinite(date.getTime()) ? date : undefined;
}

/** A little-endian 64-bit field as a safe integer, or a refusal. */
function uint64(buffer: Buffer, at: number, what: string): number {
  const value = buffer.readBigUInt64LE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw unsupported(`${what} is past 2^53 bytes`);
  return Number(value);
}

/**
 * The zip64 extended-information extra field (APPNOTE 4.5.3): 8-byte values, in this order,
 * for each of the record's fields that holds 0xFFFFFFFF.
 */
function zip64Fields(
  extra: Buffer,
  name: string,
  fields: { size: number; compressedSize: number; localOffset: number },
): { size: number; compressedSize: number; localOffset: number } {
  for (let i = 0; i + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(i);
    const length = extra.readUInt16LE(i + 2);
    if (i + 4 + length > extra.length) break;
    if (id === ZIP64_EXTRA_ID) {
      const out = { ...fields };
      let at = i + 4;
      for (const key of ["size", "compressedSize", "localOffset"] as const) {
        if (fields[key] !== MAX32) continue;
        if (at + 8 > i + 4 + length) throw malformed(`${entryLabel(name)} has a short zip64 extra field`);
        out[key] = uint64(extra, at, `the ${key} of ${entryLabel(name)}`);
        at += 8;
      }
      return out;
    }
    i += 4 + length;
  }
  throw malformed(`${entryLabel(name)} needs zip64 values but has no zip64 extra field`);
}

function parseCentralRecord(
  cd: Buffer,
  pos: number,
  index: number,
  options: ZipReadOptions,
): { record: CentralRecord; next: number } {
  if (pos + CENTRAL_SIZE > cd.length || cd.readUInt32LE(pos) !== CENTRAL_SIGNATURE) {
    throw malformed(`the central directory's record ${index} is missing or has a bad signature`);
  }
  const nameLength = cd.readUInt16LE(pos + 28);
  const extraLength = cd.readUInt16LE(pos + 30);
  const commentLength = cd.readUInt16LE(pos + 32);
  const next = pos + CENTRAL_SIZE + nameLength + extraLength + commentLength;
  if (next > cd.length) throw malformed(`the central directory's record ${index} overruns the directory`);
  const nameBytes = cd.subarray(pos + CENTRAL_SIZE, pos + CENTRAL_SIZE + nameLength);
  let name: string;
  try {
    // Names are taken as UTF-8 whether or not flag bit 11 says so: that is what Info-ZIP
    // writes on Unix. CP437 names with high bytes are refused rather than guessed at.
    name = utf8.decode(nameBytes);
  } catch (cause) {
    throw new ArchiveError(ARCHIVE_ERRORS.UNSUPPORTED, `the name of the zip entry ${index} is not UTF-8`, { cause });
  }
  const flags = cd.readUInt16LE(pos + 8);
  const method = cd.readUInt16LE(pos + 10);
  const crc = cd.readUInt32LE(pos + 16);
  let compressedSize = cd.readUInt32LE(pos + 20);
  let size = cd.readUInt32LE(pos + 24);
  let localOffset = cd.readUInt32LE(pos + 42);
  if (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS)) {
    throw unsupported(`${entryLabel(name)} is encrypted`);
  }
  const zip64 = compressedSize === MAX32 || size === MAX32 || localOffset === MAX32;
  if (zip64 && options.zip64 !== true) throw unsupported(`${entryLabel(name)} needs zip64, which is not supported`);
  const extra = cd.subarray(pos + CENTRAL_SIZE + nameLength, pos + CENTRAL_SIZE + nameLength + extraLength);
  if (zip64) ({ size, compressedSize, localOffset } = zip64Fields(extra, name, { size, compressedSize, localOffset }));
  if (cd.readUInt16LE(pos + 34) !== 0) throw unsupported(`${entryLabel(name)} is on another disk`);
  if (method !== 0 && method !== 8) {
    throw unsupported(
      `${entryLabel(name)} uses compression method ${method}; only stored (0) and deflate (8) are supported`,
    );
  }
  if (method === 0 && compressedSize !== size) {
    throw malformed(`${entryLabel(name)} is stored but its compressed and expanded sizes differ`);
  }
  const { type, executable } = kindOf(name, cd.readUInt16LE(pos + 4), cd.readUInt32LE(pos + 38));
  if (type === "directory" && size !== 0) throw malformed(`${entryLabel(name)} is a directory with data`);
  const mtime = mtimeOf(extra, cd.readUInt16LE(pos + 12), cd.readUInt16LE(pos + 14));
  return {
    record: { name, type, executable, method, crc, compressedSize, size, mtime, flags, nameBytes, localOffset, zip64 },
    next,
  };
}

/** Checks the local header against the directory record; returns where data starts and the record's end. */
async function checkLocalHeader(
  file: RandomAccessReader,
  r: CentralRecord,
  limit: number,
): Promise<{ dataStart: number; end: number }> {
  const what = `the local header of ${entryLabel(r.name)}`;
  if (r.localOffset + LOCAL_SIZE > limit) throw malformed(`${what} lies outside the entries' area`);
  const local = await readAt(file, r.localOffset, LOCAL_SIZE, what);
  if (local.readUInt32LE(0) !== LOCAL_SIGNATURE) throw malformed(`${what} has a bad signature`);
  const flags = local.readUInt16LE(6);
  if ((flags & (FLAG_ENCRYPTED | FLAG_DESCRIPTOR)) !== (r.flags & (FLAG_ENCRYPTED | FLAG_DESCRIPTOR))) {
    throw malformed(`${what} has flags that disagree with the central directory`);
  }
  if (local.readUInt16LE(8) !== r.method)
    throw malformed(`${what} has a method that disagrees with the central directory`);
  const fields: Array<[number, number, string]> = [
    [local.readUInt32LE(14), r.crc, "CRC-32"],
    [local.readUInt32LE(18), r.compressedSize, "compressed size"],
    [local.readUInt32LE(22), r.size, "size"],
  ];
  for (const [mine, theirs, field] of fields) {
    // With a data descriptor the local fields may be zero; a zip64 entry's sizes are in the
    // local zip64 extra field (0xFFFFFFFF here); otherwise they must agree.
    if (
      mine !== theirs &&
      !(r.flags & FLAG_DESCRIPTOR && mine === 0) &&
      !(r.zip64 && mine === MAX32 && field !== "CRC-32")
    ) {
      throw malformed(`${what} has a ${field} that disagrees with the central directory`);
    }
  }
  const nameLength = local.readUInt16LE(26);
  const dataStart = r.localOffset + LOCAL_SIZE + nameLength + local.readUInt16LE(28);
  const name = await readAt(file, r.localOffset + LOCAL_SIZE, nameLength, what);
  if (!name.equals(r.nameBytes)) throw malformed(`${what} names another file`);
  let end = dataStart + r.compressedSize;
  if (r.flags & FLAG_DESCRIPTOR) {
    const descriptor = await readAt(
      file,
      end,
      Math.min(r.zip64 ? 24 : 16, Math.max(0, limit - end)),
      `the data descriptor of ${entryLabel(r.name)}`,
    );
    // The descriptor's signature is optional, so try the signed layout, then the bare one.
    // A zip64 entry's descriptor holds 8-byte sizes (APPNOTE 4.3.9.2).
    const width = r.zip64 ? 8 : 4;
    const agrees = (base: number): boolean =>
      descriptor.length >= base + 4 + 2 * width &&
      descriptor.readUInt32LE(base) === r.crc &&
      (width === 8
        ? descriptor.readBigUInt64LE(base + 4) === BigInt(r.compressedSize) &&
          descriptor.readBigUInt64LE(base + 12) === BigInt(r.size)
        : descriptor.readUInt32LE(base + 4) === r.compressedSize && descriptor.readUInt32LE(base + 8) === r.size);
    const signed = descriptor.length >= 4 && descriptor.readUInt32LE(0) === DESCRIPTOR_SIGNATURE && agrees(4);
    if (!signed && !agrees(0)) {
      throw malformed(
        `the data descriptor of ${entryLabel(r.name)} is missing or disagrees with the central directory`,
      );
    }
    end += (signed ? 4 : 0) + 4 + 2 * width;
  }
  if (end > limit) throw malformed(`the data of ${entryLabel(r.name)} runs into the central directory`);
  return { dataStart, end };
}

/**
 * Reads and cross-checks the directory of the zip archive open as `file`, and refuses it
 * up front when its declared sizes or entry count are over the limits.
 * @throws {ArchiveError}
 */
export async function readZipDirectory(
  file: RandomAccessReader,
  fileSize: number,
  limits: ExtractLimits,
  options: ZipReadOptions = {},
): Promise<ZipRecord[]> {
  if (fileSize < EOCD_SIZE) throw malformed("the archive is too short to be a zip file");
  const { at: eocdAt, record: eocd } = await readEndRecord(file, fileSize);
  let count = eocd.readUInt16LE(10);
  let cdSize = eocd.readUInt32LE(12);
  let cdOffset = eocd.readUInt32LE(16);
  if (eocd.readUInt16LE(4) !== 0 || eocd.readUInt16LE(6) !== 0 || eocd.readUInt16LE(8) !== count) {
    throw unsupported("the archive spans several disks");
  }
  // Where the central directory must end: the end record, or the zip64 end record before it.
  let cdEnd = eocdAt;
  const locator = eocdAt >= 20 ? await readAt(file, eocdAt - 20, 20, "the zip64 locator") : undefined;
  if (locator !== undefined && locator.readUInt32LE(0) === ZIP64_LOCATOR_SIGNATURE) {
    if (options.zip64 !== true) throw unsupported("the archive is a zip64 archive, which is not supported");
    if (locator.readUInt32LE(4) !== 0 || locator.readUInt32LE(16) !== 1)
      throw unsupported("the archive spans several disks");
    const at = uint64(locator, 8, "the zip64 end record's offset");
    if (at + ZIP64_EOCD_SIZE > eocdAt - 20) throw malformed("the zip64 end record lies outside the archive");
    const z = await readAt(file, at, ZIP64_EOCD_SIZE, "the zip64 end record");
    if (z.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE) throw malformed("the zip64 end record has a bad signature");
    if (z.readUInt32LE(16) !== 0 || z.readUInt32LE(20) !== 0 || z.readBigUInt64LE(24) !== z.readBigUInt64LE(32)) {
      throw unsupported("the archive spans several disks");
    }
    count = uint64(z, 32, "the zip64 entry count");
    cdSize = uint64(z, 40, "the zip64 central directory size");
    cdOffset = uint64(z, 48, "the zip64 central directory offset");
    cdEnd = at;
  } else if (count === 0xffff || cdSize === MAX32 || cdOffset === MAX32) {
    throw options.zip64 === true
      ? malformed("the end record asks for zip64 values but there is no zip64 end record")
      : unsupported("the archive is a zip64 archive, which is not supported");
  }
  if (count > limits.maxEntries) {
    throw new ArchiveError(
      ARCHIVE_ERRORS.TOO_LARGE,
      `the archive has ${count} entries, over maxEntries (${limits.maxEntries})`,
    );
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY_BYTES) {
    throw new ArchiveError(
      ARCHIVE_ERRORS.TOO_LARGE,
      `the central directory is over ${MAX_CENTRAL_DIRECTORY_BYTES} bytes`,
    );
  }
  if (cdOffset + cdSize !== cdEnd) throw malformed("the central directory does not end where its end record begins");

  const cd = await readAt(file, cdOffset, cdSize, "the central directory");
  const central: CentralRecord[] = [];
  let pos = 0;
  let declared = 0;
  for (let index = 0; index < count; index++) {
    const { record, next } = parseCentralRecord(cd, pos, index, options);
    pos = next;
    if (record.size > limits.maxEntryBytes) {
      throw new ArchiveError(
        ARCHIVE_ERRORS.TOO_LARGE,
        `${entryLabel(record.name)} declares ${record.size} bytes, over maxEntryBytes (${limits.maxEntryBytes})`,
      );
    }
    declared += record.size;
    if (declared > limits.maxTotalBytes) {
      throw new ArchiveError(
        ARCHIVE_ERRORS.TOO_LARGE,
        `the archive declares more than maxTotalBytes (${limits.maxTotalBytes})`,
      );
    }
    checkCompressionRatio(limits, record.size, record.compressedSize, entryLabel(record.name));
    central.push(record);
  }
  if (pos !== cdSize) throw malformed(`the central directory holds more than its ${count} records`);

  const ranges: Array<{ start: number; end: number; name: string }> = [];
  const records: ZipRecord[] = [];
  for (const r of central) {
    const { dataStart, end } = await checkLocalHeader(file, r, cdOffset);
    ranges.push({ start: r.localOffset, end, name: r.name });
    const { flags: _f, nameBytes: _n, localOffset: _o, zip64: _z, ...rest } = r;
    records.push({ ...rest, dataStart });
  }
  ranges.sort((a, b) => a.start - b.start);
  for (let i = 1; i < ranges.length; i++) {
    const prev = ranges[i - 1];
    const cur = ranges[i];
    if (prev !== undefined && cur !== undefined && cur.start < prev.end) {
      throw malformed(`${entryLabel(cur.name)} overlaps the data of ${entryLabel(prev.name)}`);
    }
  }
  return records;
}
