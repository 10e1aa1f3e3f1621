/**
 * ELF (System V ABI, gABI "Object Files"): 32 and 64 bit, little and big endian. Reads the
 * section headers, the dynamic section (DT_NEEDED, DT_SONAME, DT_FLAGS_1), undefined dynamic
 * symbols (what the binary imports), the symbol version definitions, and the overlay. A file
 * without section headers (stripped of them, as packed malware often is) is read through its
 * program headers: PT_DYNAMIC and the string table DT_STRTAB points at.
 */
import { ScanLimitError } from "../errors.js";
import { entropy } from "./entropy.js";
import { BINARY_LIMITS } from "./limits.js";
import { ByteReader, WalkBudget } from "./reader.js";
import type { BinaryInfo, SectionInfo } from "./types.js";

const ET_EXEC = 2;
const PT = { load: 1, dynamic: 2, interp: 3 } as const;
const SHT = { nobits: 8, dynamic: 6, dynsym: 11, verdef: 0x6ffffffd } as const;
const DT = { null: 0, needed: 1, strtab: 5, strsz: 10, soname: 14, flags1: 0x6ffffffb } as const;
const DF_1_PIE = 0x08000000;
const SHF_EXECINSTR = 0x4;

interface ElfSection {
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly entsize: number;
}

interface ElfSegment {
  readonly type: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly filesz: number;
}

interface ElfHeader {
  readonly r: ByteReader;
  readonly is64: boolean;
  readonly type: number;
  readonly phoff: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shoff: number;
  readonly shentsize: number;
  readonly shnum: number;
  readonly shstrndx: number;
}

function readHeader(bytes: Uint8Array, file: string): ElfHeader {
  const probe = new ByteReader(bytes, "SCAN_BAD_ELF", file);
  if (probe.length < 52 || probe.u32(0) !== 0x464c457f) probe.fail("no ELF header");
  const cls = probe.u8(4);
  const data = probe.u8(5);
  if (cls !== 1 && cls !== 2) probe.fail(`unknown ELF class ${cls}`, 4);
  if (data !== 1 && data !== 2) probe.fail(`unknown ELF data encoding ${data}`, 5);
  const r = probe.withEndian(data === 1);
  const is64 = cls === 2;
  const word = (at: number, what: string): number => (is64 ? r.u64(at, what) : r.u32(at, what));
  const tail = is64 ? 52 : 40;
  const header = {
    r,
    is64,
    type: r.u16(16, "e_type"),
    phoff: word(is64 ? 32 : 28, "e_phoff"),
    shoff: word(is64 ? 40 : 32, "e_shoff"),
    phentsize: r.u16(tail + 2, "e_phentsize"),
    phnum: r.u16(tail + 4, "e_phnum"),
    shentsize: r.u16(tail + 6, "e_shentsize"),
    shnum: r.u16(tail + 8, "e_shnum"),
    shstrndx: r.u16(tail + 10, "e_shstrndx"),
  };
  if (header.shoff !== 0 && header.shentsize < (is64 ? 64 : 40)) r.fail(`e_shentsize ${header.shentsize} is too small`);
  if (header.phnum !== 0 && header.phentsize < (is64 ? 56 : 32)) r.fail(`e_phentsize ${header.phentsize} is too small`);
  if (header.shoff !== 0) {
    // gABI extended numbering: counts that do not fit 16 bits live in section header 0.
    if (header.shnum === 0) header.shnum = word(header.shoff + (is64 ? 32 : 20), "the extended section count");
    if (header.shstrndx === 0xffff) header.shstrndx = r.u32(header.shoff + (is64 ? 40 : 24), "the extended shstrndx");
  }
  return header;
}

function limit(file: string, what: string, count: number, max: number): void {
  if (count > max) {
    throw new ScanLimitError(
      `SCAN_LIMIT_ELF_${what.toUpperCase()}`,
      `${file}: ${count} ${what}, more than ${max}`,
      max,
    );
  }
}

function readSections(h: ElfHeader): ElfSection[] {
  const { r, is64 } = h;
  if (h.shoff === 0 || h.shnum === 0) return [];
  limit(r.file, "sections", h.shnum, BINARY_LIMITS.elfSections);
  r.need(h.shoff, h.shnum * h.shentsize, "the section header table");
  const word = (at: number): number => (is64 ? r.u64(at) : r.u32(at));
  const raw = Array.from({ length: h.shnum }, (_, i) => {
    const s = h.shoff + i * h.shentsize;
    return {
      nameOffset: r.u32(s),
      type: r.u32(s + 4),
      flags: word(s + 8),
      offset: word(s + (is64 ? 24 : 16)),
      size: word(s + (is64 ? 32 : 20)),
      link: r.u32(s + (is64 ? 40 : 24)),
      info: r.u32(s + (is64 ? 44 : 28)),
      entsize: word(s + (is64 ? 56 : 36)),
    };
  });
  const strtab = raw[h.shstrndx];
  return raw.map((s, i) => {
    if (i !== 0 && s.type !== SHT.nobits) r.need(s.offset, s.size, `section ${i}`);
    const name =
      strtab && strtab.type !== SHT.nobits && s.nameOffset < strtab.size
        ? r.cString(strtab.offset + s.nameOffset, `the name of section ${i}`, BINARY_LIMITS.nameBytes)
        : "";
    return {
      name,
      type: s.type,
      flags: s.flags,
      offset: s.offset,
      size: s.size,
      link: s.link,
      info: s.info,
      entsize: s.entsize,
    };
  });
}

function readSegments(h: ElfHeader): ElfSegment[] {
  const { r, is64 } = h;
  if (h.phoff === 0 || h.phnum === 0) return [];
  limit(r.file, "segments", h.phnum, BINARY_LIMITS.elfSegments);
  r.need(h.phoff, h.phnum * h.phentsize, "the program header table");
  const word = (at: number): number => (is64 ? r.u64(at) : r.u32(at));
  return Array.from({ length: h.phnum }, (_, i) => {
    const p = h.phoff + i * h.phentsize;
    return {
      type: r.u32(p),
      offset: word(p + (is64 ? 8 : 4)),
      vaddr: word(p + (is64 ? 16 : 8)),
      filesz: word(p + (is64 ? 32 : 16)),
    };
  });
}

/** Where the dynamic entries and their string table are, from sections or else from segments. */
function locateDynamic(
  h: ElfHeader,
  sections: readonly ElfSection[],
  segments: readonly ElfSegment[],
): { offset: number; size: number; strtab?: { offset: number; size: number } } | undefined {
  const section = sections.find((s) => s.type === SHT.dynamic);
  if (section) {
    const strtab = sections[section.link];
    return {
      offset: section.offset,
      size: section.size,
      ...(strtab && strtab.type !== SHT.nobits ? { strtab: { offset: strtab.offset, size: strtab.size } } : {}),
    };
  }
  const segment = segments.find((s) => s.type === PT.dynamic);
  if (!segment) return undefined;
  h.r.need(segment.offset, segment.filesz, "PT_DYNAMIC");
  return { offset: segment.offset, size: segment.filesz };
}

function vaddrToOffset(segments: readonly ElfSegment[], vaddr: number): number | undefined {
  for (const s of segments) {
    if (s.type === PT.load && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return s.offset + (vaddr - s.vaddr);
  }
  return undefined;
}

/**
 * Parses an ELF file into a {@link BinaryInfo} (ELF has no code signature: `present: false`).
 * @throws ScanFormatError `SCAN_BAD_ELF`; ScanLimitError `SCAN_LIMIT_ELF_*`.
 */
export function analyzeElf(bytes: Uint8Array, file: string): BinaryInfo {
  const h = readHeader(bytes, file);
  const { r, is64 } = h;
  const sections = readSections(h);
  const segments = readSegments(h);
  const imports = new Set<string>();
  let soname: string | undefined;
  let flags1 = 0;
  const dynamic = locateDynamic(h, sections, segments);
  if (dynamic) {
    const entry = is64 ? 16 : 8;
    const count = Math.floor(dynamic.size / entry);
    limit(file, "dynamic entries", count, BINARY_LIMITS.elfDynamicEntries);
    const entries: [number, number][] = [];
    for (let i = 0; i < count; i++) {
      const at = dynamic.offset + i * entry;
      const tag = is64 ? Number(r.u64Big(at, "a dynamic entry") & 0xffffffffn) : r.u32(at, "a dynamic entry");
      if (tag === DT.null) break;
      entries.push([tag, is64 ? Number(r.u64Big(at + 8, "a dynamic entry") & 0xffffffffffffn) : r.u32(at + 4)]);
    }
    let strtab = dynamic.strtab;
    if (!strtab) {
      const address = entries.find(([t]) => t === DT.strtab)?.[1];
      const size = entries.find(([t]) => t === DT.strsz)?.[1] ?? 0;
      const offset = address === undefined ? undefined : vaddrToOffset(segments, address);
      if (offset !== undefined) strtab = { offset, size };
    }
    const string = (value: number, what: string): string | undefined => {
      if (!strtab || value >= strtab.size) return undefined;
      return r.cString(strtab.offset + value, what, BINARY_LIMITS.nameBytes);
    };
    for (const [tag, value] of entries) {
      if (tag === DT.needed) {
        const name = string(value, "a DT_NEEDED name");
        if (name) imports.add(`needed:${name}`);
      } else if (tag === DT.soname) {
        soname = string(value, "DT_SONAME");
      } else if (tag === DT.flags1) {
        flags1 = value;
      }
    }
  }
  const dynsym = sections.find((s) => s.type === SHT.dynsym);
  const symbolStrings = dynsym ? sections[dynsym.link] : undefined;
  if (dynsym && symbolStrings) {
    const size = is64 ? 24 : 16;
    const count = Math.floor(dynsym.size / size);
    limit(file, "symbols", count, BINARY_LIMITS.elfSymbols);
    for (let i = 1; i < count; i++) {
      const at = dynsym.offset + i * size;
      const shndx = r.u16(at + (is64 ? 6 : 14), "a symbol");
      const nameOffset = r.u32(at, "a symbol");
      if (shndx !== 0 || nameOffset === 0 || nameOffset >= symbolStrings.size) continue;
      imports.add(`sym:${r.cString(symbolStrings.offset + nameOffset, "a symbol name", BINARY_LIMITS.nameBytes)}`);
    }
  }
  const version = sonameVersion(soname) ?? lastVersionDefinition(r, sections);
  const sectionInfos: SectionInfo[] = sections.slice(1).map((s) => {
    const size = s.type === SHT.nobits ? 0 : s.size;
    return {
      name: s.name,
      offset: s.offset,
      size,
      entropy: entropy(bytes.subarray(s.offset, s.offset + size)),
      executable: (s.flags & SHF_EXECINSTR) !== 0,
    };
  });
  let end = Math.max(is64 ? 64 : 52, h.phoff + h.phnum * h.phentsize, h.shoff + h.shnum * h.shentsize);
  for (const s of sections) if (s.type !== SHT.nobits) end = Math.max(end, s.offset + s.size);
  for (const s of segments) end = Math.max(end, s.offset + s.filesz);
  const overlay = end < bytes.length ? bytes.subarray(end) : undefined;
  const executable =
    h.type === ET_EXEC || (h.type === 3 && (segments.some((s) => s.type === PT.interp) || (flags1 & DF_1_PIE) !== 0));
  return {
    format: "elf",
    executable,
    ...(version ? { version } : {}),
    ...(soname ? { name: soname } : {}),
    imports: [...imports].sort(),
    sections: sectionInfos,
    ...(overlay ? { overlay: { offset: end, size: overlay.length, entropy: entropy(overlay) } } : {}),
    signature: { present: false },
  };
}

/** `libfoo.so.1.2.3` → `1.2.3`. */
function sonameVersion(soname: string | undefined): string | undefined {
  return soname ? /\.so\.(\d+(?:\.\d+)*)$/.exec(soname)?.[1] : undefined;
}

/** The last symbol version the library defines (`OPENSSL_3.0.9`), when its soname has no version. */
function lastVersionDefinition(r: ByteReader, sections: readonly ElfSection[]): string | undefined {
  const verdef = sections.find((s) => s.type === SHT.verdef);
  const strings = verdef ? sections[verdef.link] : undefined;
  if (!verdef || !strings) return undefined;
  const budget = new WalkBudget(BINARY_LIMITS.elfSymbols, "SCAN_LIMIT_ELF_VERSIONS", "version definitions");
  let at = verdef.offset;
  let last: string | undefined;
  for (let i = 0; i < verdef.info; i++) {
    budget.step(r.file);
    const flags = r.u16(at + 2, "a version definition");
    const aux = r.u32(at + 12, "a version definition");
    const next = r.u32(at + 16, "a version definition");
    const nameOffset = r.u32(at + aux, "a version definition name");
    // VER_FLG_BASE names the file itself, not a version.
    if ((flags & 1) === 0 && nameOffset < strings.size) {
      last = r.cString(strings.offset + nameOffset, "a version name", BINARY_LIMITS.nameBytes);
    }
    if (next === 0) break;
    at += next; // vd_next is relative and positive, so the walk cannot loop
  }
  return last;
}
