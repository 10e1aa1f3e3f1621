/**
 * Writes real, structurally valid PE files for the tests: DOS stub, COFF and optional headers,
 * sections, an import table (and a delay-load one), a version resource, an overlay, and an
 * Authenticode signature (see signing.ts). `objdump -p` and `osslsigncode verify` read them.
 */
import { peChecksum } from "../../src/binary/authenticode-hash.js";
import { type PeSigning, signPe } from "./signing.js";

export interface PeSectionSpec {
  readonly name: string;
  readonly data: Uint8Array;
  readonly executable?: boolean;
}

export interface PeImportSpec {
  readonly dll: string;
  /** Function names, or ordinals as numbers. */
  readonly functions: readonly (string | number)[];
}

/** Strings of the version resource's StringFileInfo table. */
export type PeVersionStrings = Readonly<
  Partial<
    Record<
      | "FileVersion"
      | "ProductVersion"
      | "OriginalFilename"
      | "InternalName"
      | "CompanyName"
      | "ProductName"
      | "FileDescription",
      string
    >
  >
>;

export interface WritePeOptions {
  readonly machine?: "x64" | "x86" | "arm64";
  readonly dll?: boolean;
  readonly sections: readonly PeSectionSpec[];
  readonly imports: readonly PeImportSpec[];
  readonly delayImports?: readonly PeImportSpec[];
  readonly version?: PeVersionStrings;
  /** Bytes after the last section (covered by a signature when signed). */
  readonly overlay?: Uint8Array;
  readonly sign?: PeSigning;
}

const MACHINES = { x64: 0x8664, x86: 0x14c, arm64: 0xaa64 } as const;
const FILE_ALIGN = 0x200;
const SECTION_ALIGN = 0x1000;

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Writes a PE image (signed when `sign` is given). */
export function writePe(options: WritePeOptions): Uint8Array {
  const machine = options.machine ?? "x64";
  const pe32Plus = machine !== "x86";
  const optionalSize = pe32Plus ? 240 : 224;
  type Planned = { name: string; executable: boolean; build: (rva: number) => Uint8Array; dir?: number };
  const planned: Planned[] = options.sections.map((s) => ({
    name: s.name,
    executable: s.executable ?? false,
    build: () => s.data,
  }));
  if (options.imports.length > 0) {
    planned.push({
      name: ".idata",
      executable: false,
      dir: 1,
      build: (rva) => importSection(rva, options.imports, pe32Plus, false),
    });
  }
  if (options.delayImports && options.delayImports.length > 0) {
    const delay = options.delayImports;
    planned.push({
      name: ".didat",
      executable: false,
      dir: 13,
      build: (rva) => importSection(rva, delay, pe32Plus, true),
    });
  }
  if (options.version) {
    const version = options.version;
    planned.push({
      name: ".rsrc",
      executable: false,
      dir: 2,
      build: (rva) => resourceSection(rva, version, options.dll ?? false),
    });
  }
  const headerEnd = 0x80 + 4 + 20 + optionalSize + 40 * planned.length;
  const sizeOfHeaders = align(headerEnd, FILE_ALIGN);
  let rva = SECTION_ALIGN;
  let raw = sizeOfHeaders;
  const laid = planned.map((p) => {
    const data = p.build(rva);
    const out = { ...p, data, rva, raw, rawSize: align(Math.max(data.length, 1), FILE_ALIGN) };
    rva += align(Math.max(data.length, 1), SECTION_ALIGN);
    raw += out.rawSize;
    return out;
  });
  const overlay = options.overlay ?? new Uint8Array(0);
  const out = Buffer.alloc(raw + overlay.length);
  // DOS header: "MZ" and e_lfanew.
  out.write("MZ", 0, "latin1");
  out.writeUInt32LE(0x80, 0x3c);
  out.write("This program cannot be run in DOS mode.\r\n$", 0x4e, "latin1");
  out.write("PE\0\0", 0x80, "latin1");
  const coff = 0x84;
  out.writeUInt16LE(MACHINES[machine], coff);
  out.writeUInt16LE(laid.length, coff + 2);
  out.writeUInt32LE(0x5f5e1000, coff + 4);
  out.writeUInt16LE(optionalSize, coff + 16);
  const dll = options.dll ?? false;
  out.writeUInt16LE(0x0002 | 0x0020 | (dll ? 0x2000 : 0) | (pe32Plus ? 0 : 0x0100), coff + 18);
  const opt = coff + 20;
  out.writeUInt16LE(pe32Plus ? 0x20b : 0x10b, opt);
  out.writeUInt8(14, opt + 2);
  const code = laid.filter((s) => s.executable);
  out.writeUInt32LE(
    code.reduce((n, s) => n + s.rawSize, 0),
    opt + 4,
  );
  out.writeUInt32LE(
    laid.filter((s) => !s.executable).reduce((n, s) => n + s.rawSize, 0),
    opt + 8,
  );
  out.writeUInt32LE(code[0]?.rva ?? 0, opt + 16); // AddressOfEntryPoint
  out.writeUInt32LE(code[0]?.rva ?? SECTION_ALIGN, opt + 20); // BaseOfCode
  if (pe32Plus) out.writeBigUInt64LE(dll ? 0x180000000n : 0x140000000n, opt + 24);
  else out.writeUInt32LE(dll ? 0x10000000 : 0x400000, opt + 28);
  out.writeUInt32LE(SECTION_ALIGN, opt + 32);
  out.writeUInt32LE(FILE_ALIGN, opt + 36);
  out.writeUInt16LE(6, opt + 40); // OS version
  out.writeUInt16LE(6, opt + 48); // subsystem version
  out.writeUInt32LE(rva, opt + 56); // SizeOfImage
  out.writeUInt32LE(sizeOfHeaders, opt + 60);
  out.writeUInt16LE(3, opt + 68); // console subsystem
  out.writeUInt16LE(0x8160, opt + 70); // DllCharacteristics: high-entropy VA, dynamic base, NX, terminal-server aware
  const sizes = pe32Plus ? [0x100000n, 0x1000n, 0x100000n, 0x1000n] : [0x100000n, 0x1000n, 0x100000n, 0x1000n];
  sizes.forEach((v, i) => {
    if (pe32Plus) out.writeBigUInt64LE(v, opt + 72 + i * 8);
    else out.writeUInt32LE(Number(v), opt + 72 + i * 4);
  });
  const rvaCount = opt + (pe32Plus ? 108 : 92);
  out.writeUInt32LE(16, rvaCount);
  for (const s of laid) {
    if (s.dir !== undefined) {
      out.writeUInt32LE(s.rva, rvaCount + 4 + s.dir * 8);
      out.writeUInt32LE(s.data.length, rvaCount + 8 + s.dir * 8);
    }
  }
  laid.forEach((s, i) => {
    const h = opt + optionalSize + i * 40;
    out.write(s.name.slice(0, 8), h, "latin1");
    out.writeUInt32LE(s.data.length, h + 8);
    out.writeUInt32LE(s.rva, h + 12);
    out.writeUInt32LE(s.rawSize, h + 16);
    out.writeUInt32LE(s.raw, h + 20);
    // code: CNT_CODE|MEM_EXECUTE|MEM_READ; data: CNT_INITIALIZED_DATA|MEM_READ(|MEM_WRITE for .idata)
    const flags = s.executable ? 0x60000020 : s.name === ".idata" ? 0xc0000040 : 0x40000040;
    out.writeUInt32LE(flags >>> 0, h + 36);
    out.set(s.data, s.raw);
  });
  out.set(overlay, raw);
  const fixChecksum = (bytes: Uint8Array): void => {
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).writeUInt32LE(peChecksum(bytes, opt + 64), opt + 64);
  };
  if (options.sign) return signPe(out, options.sign, fixChecksum);
  const result = new Uint8Array(out);
  fixChecksum(result);
  return result;
}

/** A growable section: place blobs, learn their offsets, patch RVAs in. */
class SectionBuilder {
  private readonly chunks: Buffer[] = [];
  size = 0;
  place(bytes: Uint8Array | number, alignment = 1): number {
    const pad = align(this.size, alignment) - this.size;
    if (pad > 0) this.chunks.push(Buffer.alloc(pad));
    const at = this.size + pad;
    const chunk = typeof bytes === "number" ? Buffer.alloc(bytes) : Buffer.from(bytes);
    this.chunks.push(chunk);
    this.size = at + chunk.length;
    return at;
  }
  build(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function importSection(rva: number, imports: readonly PeImportSpec[], pe32Plus: boolean, delay: boolean): Uint8Array {
  const b = new SectionBuilder();
  const descSize = delay ? 32 : 20;
  const descs = b.place((imports.length + 1) * descSize, 4);
  const width = pe32Plus ? 8 : 4;
  const planned = imports.map((imp) => {
    const lookup = b.place((imp.functions.length + 1) * width, 8);
    const iat = b.place((imp.functions.length + 1) * width, 8);
    const handle = delay ? b.place(8, 8) : 0;
    return { imp, lookup, iat, handle };
  });
  const strings = planned.map(({ imp }) => ({
    dll: b.place(Buffer.from(`${imp.dll}\0`, "latin1"), 2),
    names: imp.functions.map((f) => {
      if (typeof f === "number") return undefined;
      const hintName = Buffer.alloc(2 + f.length + 1);
      hintName.write(f, 2, "latin1");
      return b.place(hintName, 2);
    }),
  }));
  const out = b.build();
  planned.forEach((p, i) => {
    const s = strings[i];
    if (!s) return;
    const d = descs + i * descSize;
    if (delay) {
      out.writeUInt32LE(1, d); // RVA-based
      out.writeUInt32LE(rva + s.dll, d + 4);
      out.writeUInt32LE(rva + p.handle, d + 8);
      out.writeUInt32LE(rva + p.iat, d + 12);
      out.writeUInt32LE(rva + p.lookup, d + 16);
    } else {
      out.writeUInt32LE(rva + p.lookup, d);
      out.writeUInt32LE(rva + s.dll, d + 12);
      out.writeUInt32LE(rva + p.iat, d + 16);
    }
    p.imp.functions.forEach((f, j) => {
      const nameAt = s.names[j];
      const value =
        typeof f === "number" || nameAt === undefined
          ? (pe32Plus ? 1n << 63n : 1n << 31n) | BigInt(typeof f === "number" ? f : 0)
          : BigInt(rva + nameAt);
      for (const table of [p.lookup, p.iat]) {
        if (pe32Plus) out.writeBigUInt64LE(value, table + j * width);
        else out.writeUInt32LE(Number(value), table + j * width);
      }
    });
  });
  return out;
}

interface VersionNodeSpec {
  readonly key: string;
  readonly type: 0 | 1;
  readonly value?: Uint8Array;
  /** Text values count in 16-bit words (with the NUL), binary ones in bytes. */
  readonly valueLength?: number;
  readonly children?: readonly VersionNodeSpec[];
}

function encodeVersionNode(node: VersionNodeSpec): Buffer {
  const key = Buffer.from(`${node.key}\0`, "utf16le");
  const parts: Buffer[] = [Buffer.alloc(6), key];
  let size = 6 + key.length;
  const pad = (): void => {
    const p = align(size, 4) - size;
    if (p > 0) parts.push(Buffer.alloc(p));
    size += p;
  };
  pad();
  if (node.value) {
    parts.push(Buffer.from(node.value));
    size += node.value.length;
  }
  for (const child of node.children ?? []) {
    pad();
    const encoded = encodeVersionNode(child);
    parts.push(encoded);
    size += encoded.length;
  }
  const out = Buffer.concat(parts);
  out.writeUInt16LE(out.length, 0);
  out.writeUInt16LE(node.valueLength ?? node.value?.length ?? 0, 2);
  out.writeUInt16LE(node.type, 4);
  return out;
}

function numericVersion(text: string | undefined): [number, number] {
  const parts = (text ?? "0").split(/[.,]/).map((p) => Number.parseInt(p, 10) || 0);
  const [a = 0, b = 0, c = 0, d = 0] = parts;
  return [((a & 0xffff) << 16) | (b & 0xffff), ((c & 0xffff) << 16) | (d & 0xffff)];
}

function versionInfo(strings: PeVersionStrings, dll: boolean): Buffer {
  const fixed = Buffer.alloc(52);
  fixed.writeUInt32LE(0xfeef04bd, 0);
  fixed.writeUInt32LE(0x00010000, 4);
  const [fileMs, fileLs] = numericVersion(strings.FileVersion);
  const [prodMs, prodLs] = numericVersion(strings.ProductVersion ?? strings.FileVersion);
  fixed.writeUInt32LE(fileMs >>> 0, 8);
  fixed.writeUInt32LE(fileLs >>> 0, 12);
  fixed.writeUInt32LE(prodMs >>> 0, 16);
  fixed.writeUInt32LE(prodLs >>> 0, 20);
  fixed.writeUInt32LE(0x3f, 24);
  fixed.writeUInt32LE(0x40004, 32); // VOS_NT_WINDOWS32
  fixed.writeUInt32LE(dll ? 2 : 1, 36); // VFT_DLL / VFT_APP
  const entries = Object.entries(strings).filter((e): e is [string, string] => typeof e[1] === "string");
  const translation = Buffer.alloc(4);
  translation.writeUInt16LE(0x0409, 0);
  translation.writeUInt16LE(0x04b0, 2);
  return encodeVersionNode({
    key: "VS_VERSION_INFO",
    type: 0,
    value: fixed,
    children: [
      {
        key: "StringFileInfo",
        type: 1,
        children: [
          {
            key: "040904B0",
            type: 1,
            children: entries.map(([key, value]) => ({
              key,
              type: 1 as const,
              value: Buffer.from(`${value}\0`, "utf16le"),
              valueLength: value.length + 1,
            })),
          },
        ],
      },
      { key: "VarFileInfo", type: 1, children: [{ key: "Translation", type: 0, value: translation }] },
    ],
  });
}

function resourceSection(rva: number, strings: PeVersionStrings, dll: boolean): Uint8Array {
  // Three directory levels (type RT_VERSION=16, name 1, language 0x409), a data entry, the data.
  const dir = (id: number, target: number, subdirectory: boolean): Buffer => {
    const d = Buffer.alloc(24);
    d.writeUInt16LE(1, 14); // one id entry
    d.writeUInt32LE(id, 16);
    d.writeUInt32LE((subdirectory ? 0x80000000 | target : target) >>> 0, 20);
    return d;
  };
  const data = versionInfo(strings, dll);
  const entry = Buffer.alloc(16);
  entry.writeUInt32LE(rva + 24 * 3 + 16, 0);
  entry.writeUInt32LE(data.length, 4);
  return Buffer.concat([dir(16, 24, true), dir(1, 48, true), dir(0x409, 72, false), entry, data]);
}
