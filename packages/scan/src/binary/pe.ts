/**
 * PE/COFF headers and sections (Microsoft PE Format specification). The reader keeps the
 * offsets Authenticode needs (checksum, the security data directory entry) and maps RVAs to file
 * offsets for the import and resource readers.
 */
import { ScanLimitError } from "../errors.js";
import { BINARY_LIMITS } from "./limits.js";
import { ByteReader } from "./reader.js";

/** Data directory indexes used here (PE Format, "Optional Header Data Directories"). */
export const DIRECTORY = { import: 1, resource: 2, security: 4, delayImport: 13 } as const;

/** IMAGE_SCN_MEM_EXECUTE and IMAGE_SCN_CNT_CODE. */
const SCN_EXECUTE = 0x20000000;
const SCN_CODE = 0x00000020;
/** IMAGE_FILE_DLL. */
const FILE_DLL = 0x2000;

export interface PeSection {
  readonly name: string;
  readonly virtualAddress: number;
  readonly virtualSize: number;
  readonly rawOffset: number;
  readonly rawSize: number;
  readonly executable: boolean;
}

export interface DataDirectory {
  readonly rva: number;
  readonly size: number;
  /** File offset of the 8-byte entry itself (Authenticode skips the security entry). */
  readonly entryOffset: number;
}

export interface PeImage {
  readonly reader: ByteReader;
  readonly machine: number;
  readonly characteristics: number;
  readonly dll: boolean;
  readonly pe32Plus: boolean;
  readonly imageBase: bigint;
  readonly sizeOfHeaders: number;
  /** File offset of the optional header's CheckSum field. */
  readonly checksumOffset: number;
  readonly sections: readonly PeSection[];
  readonly directories: readonly DataDirectory[];
}

/**
 * Reads the DOS, COFF and optional headers and the section table.
 * @throws ScanFormatError `SCAN_BAD_PE` when a header is missing, truncated or inconsistent.
 * @throws ScanLimitError `SCAN_LIMIT_PE_SECTIONS` past {@link BINARY_LIMITS.peSections}.
 */
export function readPe(bytes: Uint8Array, file: string): PeImage {
  const r = new ByteReader(bytes, "SCAN_BAD_PE", file);
  if (r.length < 64 || r.u16(0) !== 0x5a4d) r.fail("no MZ header");
  const pe = r.u32(0x3c, "e_lfanew");
  if (r.u32(pe, "the PE signature") !== 0x00004550) r.fail(`no PE signature at offset ${pe}`, pe);
  const coff = pe + 4;
  const machine = r.u16(coff, "Machine");
  const sectionCount = r.u16(coff + 2, "NumberOfSections");
  const optionalSize = r.u16(coff + 16, "SizeOfOptionalHeader");
  const characteristics = r.u16(coff + 18, "Characteristics");
  if (sectionCount > BINARY_LIMITS.peSections) {
    throw new ScanLimitError(
      "SCAN_LIMIT_PE_SECTIONS",
      `${file}: ${sectionCount} sections, more than ${BINARY_LIMITS.peSections}`,
      BINARY_LIMITS.peSections,
    );
  }
  const opt = coff + 20;
  const magic = r.u16(opt, "the optional header magic");
  if (magic !== 0x10b && magic !== 0x20b) r.fail(`unknown optional header magic 0x${magic.toString(16)}`, opt);
  const pe32Plus = magic === 0x20b;
  const imageBase = pe32Plus ? r.u64Big(opt + 24, "ImageBase") : BigInt(r.u32(opt + 28, "ImageBase"));
  const sizeOfHeaders = r.u32(opt + 60, "SizeOfHeaders");
  const checksumOffset = opt + 64;
  r.need(checksumOffset, 4, "CheckSum");
  const rvaCountOffset = opt + (pe32Plus ? 108 : 92);
  const rvaCount = Math.min(r.u32(rvaCountOffset, "NumberOfRvaAndSizes"), 16);
  const dirStart = rvaCountOffset + 4;
  if (dirStart + rvaCount * 8 > opt + optionalSize) r.fail("the data directories run past SizeOfOptionalHeader", opt);
  const directories: DataDirectory[] = [];
  for (let i = 0; i < rvaCount; i++) {
    const entryOffset = dirStart + i * 8;
    directories.push({ rva: r.u32(entryOffset, "a data directory"), size: r.u32(entryOffset + 4), entryOffset });
  }
  const sectionTable = opt + optionalSize;
  const sections: PeSection[] = [];
  for (let i = 0; i < sectionCount; i++) {
    const s = sectionTable + i * 40;
    r.need(s, 40, "a section header");
    const flags = r.u32(s + 36);
    sections.push({
      name: r.fixedString(s, 8, "a section name"),
      virtualSize: r.u32(s + 8),
      virtualAddress: r.u32(s + 12),
      rawSize: r.u32(s + 16),
      rawOffset: r.u32(s + 20),
      executable: (flags & (SCN_EXECUTE | SCN_CODE)) !== 0,
    });
  }
  return {
    reader: r,
    machine,
    characteristics,
    dll: (characteristics & FILE_DLL) !== 0,
    pe32Plus,
    imageBase,
    sizeOfHeaders,
    checksumOffset,
    sections,
    directories,
  };
}

/** The data directory at `index`, or undefined when absent or empty. */
export function directory(image: PeImage, index: number): DataDirectory | undefined {
  const d = image.directories[index];
  return d && d.rva !== 0 && d.size !== 0 ? d : undefined;
}

/** Maps an RVA to a file offset through the section table; undefined when no section holds it. */
export function rvaToOffset(image: PeImage, rva: number): number | undefined {
  if (rva < image.sizeOfHeaders) return rva;
  for (const s of image.sections) {
    const span = Math.max(s.virtualSize, s.rawSize);
    if (rva >= s.virtualAddress && rva < s.virtualAddress + span) {
      const delta = rva - s.virtualAddress;
      return delta < s.rawSize ? s.rawOffset + delta : undefined;
    }
  }
  return undefined;
}

/** Like {@link rvaToOffset}, but a missing mapping is a `SCAN_BAD_PE` error naming `what`. */
export function needOffset(image: PeImage, rva: number, what: string): number {
  const offset = rvaToOffset(image, rva);
  if (offset === undefined || offset >= image.reader.length) {
    image.reader.fail(`${what} (RVA 0x${rva.toString(16)}) is not backed by file data`);
  }
  return offset;
}

/** End of the last section's raw data: where the overlay, if any, begins. */
export function endOfImage(image: PeImage): number {
  let end = image.sizeOfHeaders;
  for (const s of image.sections) if (s.rawSize > 0) end = Math.max(end, s.rawOffset + s.rawSize);
  return Math.min(end, image.reader.length);
}
