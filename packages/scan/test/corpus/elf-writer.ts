/**
 * Writes real ELF files for the tests (32 or 64 bit, little or big endian): a PT_LOAD covering
 * the file, PT_DYNAMIC and (for executables) PT_INTERP; .dynsym/.dynstr/.dynamic with DT_NEEDED,
 * DT_SONAME and undefined dynamic symbols; user sections; .shstrtab. `readelf -d --dyn-syms`
 * reads them.
 */

export interface ElfSectionSpec {
  readonly name: string;
  readonly data: Uint8Array;
  readonly executable?: boolean;
}

export interface WriteElfOptions {
  readonly soname?: string;
  readonly needed: readonly string[];
  readonly undefinedSymbols: readonly string[];
  readonly sections: readonly ElfSectionSpec[];
  /** An executable (a PIE with an interpreter) rather than a shared library. */
  readonly executable: boolean;
  readonly bits?: 32 | 64;
  readonly endian?: "little" | "big";
  /** e_machine; x86-64 (62) or i386 (3) by default, by class. */
  readonly machine?: number;
  /** Symbol version names the library defines (.gnu.version_d), oldest first: `LIBAV_5.0`. */
  readonly versionDefinitions?: readonly string[];
}

/** The System V ELF hash of a name (vd_hash). */
function elfHash(name: string): number {
  let h = 0;
  for (const c of Buffer.from(name, "latin1")) {
    h = ((h << 4) + c) >>> 0;
    const g = h & 0xf0000000;
    if (g !== 0) h ^= g >>> 24;
    h &= ~g >>> 0;
  }
  return h >>> 0;
}

const SHT = { progbits: 1, strtab: 3, dynamic: 6, dynsym: 11, verdef: 0x6ffffffd } as const;
const DT = {
  null: 0,
  needed: 1,
  strtab: 5,
  symtab: 6,
  strsz: 10,
  syment: 11,
  soname: 14,
  flags1: 0x6ffffffb,
  verdef: 0x6ffffffc,
  verdefnum: 0x6ffffffd,
} as const;

class StringTable {
  private readonly parts: Buffer[] = [Buffer.alloc(1)];
  private size = 1;
  private readonly offsets = new Map<string, number>();
  add(s: string): number {
    const known = this.offsets.get(s);
    if (known !== undefined) return known;
    const at = this.size;
    const bytes = Buffer.from(`${s}\0`, "latin1");
    this.parts.push(bytes);
    this.size += bytes.length;
    this.offsets.set(s, at);
    return at;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Writes an ELF shared library or PIE executable. */
export function writeElf(options: WriteElfOptions): Uint8Array {
  const is64 = (options.bits ?? 64) === 64;
  const le = (options.endian ?? "little") === "little";
  const w = {
    ehdr: is64 ? 64 : 52,
    phdr: is64 ? 56 : 32,
    shdr: is64 ? 64 : 40,
    sym: is64 ? 24 : 16,
    dyn: is64 ? 16 : 8,
    addr: is64 ? 8 : 4,
  };
  const interp = options.executable
    ? Buffer.from(is64 ? "/lib64/ld-linux-x86-64.so.2\0" : "/lib/ld-linux.so.2\0")
    : undefined;
  const dynstr = new StringTable();
  const neededOffsets = options.needed.map((n) => dynstr.add(n));
  const sonameOffset = options.soname === undefined ? undefined : dynstr.add(options.soname);
  const symbolOffsets = options.undefinedSymbols.map((s) => dynstr.add(s));
  // Version definitions: the base one (the file itself, VER_FLG_BASE), then each named version.
  const versions = options.versionDefinitions ?? [];
  const verdefNames = versions.length > 0 ? [options.soname ?? "", ...versions] : [];
  const verdefNameOffsets = verdefNames.map((n) => dynstr.add(n));
  const dynstrBytes = dynstr.build();

  const phCount = options.executable ? 3 : 2;
  let cursor = w.ehdr + phCount * w.phdr;
  const place = (size: number, alignment: number): number => {
    cursor = Math.ceil(cursor / alignment) * alignment;
    const at = cursor;
    cursor += size;
    return at;
  };
  const interpAt = interp ? place(interp.length, 1) : 0;
  const dynsymSize = (symbolOffsets.length + 1) * w.sym;
  const dynsymAt = place(dynsymSize, 8);
  const dynstrAt = place(dynstrBytes.length, 1);
  const verdefSize = verdefNames.length * 28;
  const verdefAt = verdefSize > 0 ? place(verdefSize, 4) : 0;
  const dynEntries: [number, number][] = [
    ...neededOffsets.map((o): [number, number] => [DT.needed, o]),
    ...(sonameOffset === undefined ? [] : [[DT.soname, sonameOffset] as [number, number]]),
    [DT.strtab, dynstrAt],
    [DT.symtab, dynsymAt],
    [DT.strsz, dynstrBytes.length],
    [DT.syment, w.sym],
    ...(options.executable ? [[DT.flags1, 0x08000000] as [number, number]] : []), // DF_1_PIE
    ...(verdefSize > 0
      ? [[DT.verdef, verdefAt] as [number, number], [DT.verdefnum, verdefNames.length] as [number, number]]
      : []),
    [DT.null, 0],
  ];
  const dynamicAt = place(dynEntries.length * w.dyn, 8);
  const userAt = options.sections.map((s) => place(s.data.length, 16));
  const shstr = new StringTable();
  type Header = {
    name: number;
    type: number;
    flags: number;
    offset: number;
    size: number;
    link: number;
    info: number;
    align: number;
    entsize: number;
  };
  const headers: Header[] = [
    { name: 0, type: 0, flags: 0, offset: 0, size: 0, link: 0, info: 0, align: 0, entsize: 0 },
  ];
  const A = 0x2;
  if (interp)
    headers.push({
      name: shstr.add(".interp"),
      type: SHT.progbits,
      flags: A,
      offset: interpAt,
      size: interp.length,
      link: 0,
      info: 0,
      align: 1,
      entsize: 0,
    });
  const dynsymIndex = headers.length;
  headers.push({
    name: shstr.add(".dynsym"),
    type: SHT.dynsym,
    flags: A,
    offset: dynsymAt,
    size: dynsymSize,
    link: dynsymIndex + 1,
    info: 1,
    align: 8,
    entsize: w.sym,
  });
  headers.push({
    name: shstr.add(".dynstr"),
    type: SHT.strtab,
    flags: A,
    offset: dynstrAt,
    size: dynstrBytes.length,
    link: 0,
    info: 0,
    align: 1,
    entsize: 0,
  });
  headers.push({
    name: shstr.add(".dynamic"),
    type: SHT.dynamic,
    flags: A | 0x1,
    offset: dynamicAt,
    size: dynEntries.length * w.dyn,
    link: dynsymIndex + 1,
    info: 0,
    align: 8,
    entsize: w.dyn,
  });
  if (verdefSize > 0) {
    headers.push({
      name: shstr.add(".gnu.version_d"),
      type: SHT.verdef,
      flags: A,
      offset: verdefAt,
      size: verdefSize,
      link: dynsymIndex + 1,
      info: verdefNames.length,
      align: 4,
      entsize: 0,
    });
  }
  options.sections.forEach((s, i) => {
    headers.push({
      name: shstr.add(s.name),
      type: SHT.progbits,
      flags: A | (s.executable ? 0x4 : 0),
      offset: userAt[i] ?? 0,
      size: s.data.length,
      link: 0,
      info: 0,
      align: 16,
      entsize: 0,
    });
  });
  const shstrName = shstr.add(".shstrtab");
  const shstrBytes = shstr.build();
  const shstrAt = place(shstrBytes.length, 1);
  headers.push({
    name: shstrName,
    type: SHT.strtab,
    flags: 0,
    offset: shstrAt,
    size: shstrBytes.length,
    link: 0,
    info: 0,
    align: 1,
    entsize: 0,
  });
  const shoff = place(headers.length * w.shdr, 8);
  const out = Buffer.alloc(cursor);
  const u16 = (v: number, at: number): number => (le ? out.writeUInt16LE(v, at) : out.writeUInt16BE(v, at));
  const u32 = (v: number, at: number): number => (le ? out.writeUInt32LE(v >>> 0, at) : out.writeUInt32BE(v >>> 0, at));
  const addr = (v: number, at: number): void => {
    if (!is64) u32(v, at);
    else if (le) out.writeBigUInt64LE(BigInt(v), at);
    else out.writeBigUInt64BE(BigInt(v), at);
  };
  // ELF header.
  out.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1], 0);
  u16(3, 16); // ET_DYN: a shared library, or a PIE executable
  u16(options.machine ?? (is64 ? 62 : 3), 18);
  u32(1, 20);
  addr(options.executable ? (userAt[0] ?? 0) : 0, 24); // e_entry
  addr(w.ehdr, is64 ? 32 : 28); // e_phoff
  addr(shoff, is64 ? 40 : 32); // e_shoff
  const tail = is64 ? 52 : 40;
  u16(w.ehdr, tail);
  u16(w.phdr, tail + 2);
  u16(phCount, tail + 4);
  u16(w.shdr, tail + 6);
  u16(headers.length, tail + 8);
  u16(headers.length - 1, tail + 10);
  // Program headers.
  const phdr = (i: number, type: number, flags: number, offset: number, size: number, alignment: number): void => {
    const p = w.ehdr + i * w.phdr;
    u32(type, p);
    if (is64) {
      u32(flags, p + 4);
      addr(offset, p + 8);
      addr(offset, p + 16);
      addr(offset, p + 24);
      addr(size, p + 32);
      addr(size, p + 40);
      addr(alignment, p + 48);
    } else {
      u32(offset, p + 4);
      u32(offset, p + 8);
      u32(offset, p + 12);
      u32(size, p + 16);
      u32(size, p + 20);
      u32(flags, p + 24);
      u32(alignment, p + 28);
    }
  };
  let ph = 0;
  if (interp) phdr(ph++, 3, 4, interpAt, interp.length, 1); // PT_INTERP
  phdr(ph++, 1, 5, 0, cursor, 0x1000); // PT_LOAD R+X
  phdr(ph++, 2, 6, dynamicAt, dynEntries.length * w.dyn, 8); // PT_DYNAMIC
  if (interp) out.set(interp, interpAt);
  symbolOffsets.forEach((nameOffset, i) => {
    const s = dynsymAt + (i + 1) * w.sym;
    u32(nameOffset, s);
    out.writeUInt8(0x12, s + (is64 ? 4 : 12)); // STB_GLOBAL, STT_FUNC; st_shndx stays SHN_UNDEF
  });
  out.set(dynstrBytes, dynstrAt);
  verdefNames.forEach((name, i) => {
    const v = verdefAt + i * 28;
    u16(1, v); // vd_version
    u16(i === 0 ? 1 : 0, v + 2); // VER_FLG_BASE on the first
    u16(i + 1, v + 4); // vd_ndx
    u16(1, v + 6); // vd_cnt
    u32(elfHash(name), v + 8);
    u32(20, v + 12); // vd_aux
    u32(i === verdefNames.length - 1 ? 0 : 28, v + 16); // vd_next
    u32(verdefNameOffsets[i] ?? 0, v + 20); // vda_name
  });
  dynEntries.forEach(([tag, value], i) => {
    addr(tag, dynamicAt + i * w.dyn);
    addr(value, dynamicAt + i * w.dyn + w.addr);
  });
  options.sections.forEach((s, i) => {
    out.set(s.data, userAt[i] ?? 0);
  });
  out.set(shstrBytes, shstrAt);
  headers.forEach((h, i) => {
    const s = shoff + i * w.shdr;
    u32(h.name, s);
    u32(h.type, s + 4);
    if (is64) {
      addr(h.flags, s + 8);
      addr(h.flags & A ? h.offset : 0, s + 16);
      addr(h.offset, s + 24);
      addr(h.size, s + 32);
      u32(h.link, s + 40);
      u32(h.info, s + 44);
      addr(h.align, s + 48);
      addr(h.entsize, s + 56);
    } else {
      u32(h.flags, s + 8);
      u32(h.flags & A ? h.offset : 0, s + 12);
      u32(h.offset, s + 16);
      u32(h.size, s + 20);
      u32(h.link, s + 24);
      u32(h.info, s + 28);
      u32(h.align, s + 32);
      u32(h.entsize, s + 36);
    }
  });
  return new Uint8Array(out);
}
